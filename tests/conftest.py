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
def _media_root(settings, tmp_path):
    """Uploaded files from a test go to a throwaway folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
