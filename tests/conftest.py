import pytest
from django.conf import settings as django_settings


def pytest_configure(config):
    manifest = django_settings.STATIC_ROOT / "staticfiles.json"
    if not django_settings.DEBUG and not manifest.exists():
        raise pytest.UsageError(
            f"{manifest} is missing: build the front-end assets first with `make assets` "
            "(or run the whole suite with `make test`)."
        )


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    """Uploaded files go to a throwaway folder; passwords hash fast."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_events_left_unwritten_by_another_test():
    """The rate limiter's per-process tally starts empty (its rows are rolled back), and so
    does what the webhooks know of councils' subscriptions."""
    from cases import ratelimit
    from cases.webhooks import outbox

    ratelimit._unwritten.clear()
    outbox._known.clear()
