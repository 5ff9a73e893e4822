import json

import pytest

from tests.helpers import PRODUCTION_ENV, run_manage

PRINT_SETTINGS = """
import json
from django.conf import settings as s
print(json.dumps({
    "DEBUG": s.DEBUG,
    "ENGINE": s.DATABASES["default"]["ENGINE"],
    "OPTIONS": s.DATABASES["default"].get("OPTIONS", {}),
    "CONN_HEALTH_CHECKS": s.DATABASES["default"].get("CONN_HEALTH_CHECKS"),
    "HOST": s.DATABASES["default"].get("HOST"),
    "NAME": str(s.DATABASES["default"].get("NAME")),
    "SECURE_SSL_REDIRECT": s.SECURE_SSL_REDIRECT,
    "SESSION_COOKIE_SECURE": s.SESSION_COOKIE_SECURE,
    "CSRF_COOKIE_SECURE": s.CSRF_COOKIE_SECURE,
    "SECURE_HSTS_SECONDS": s.SECURE_HSTS_SECONDS,
    "SECURE_PROXY_SSL_HEADER": s.SECURE_PROXY_SSL_HEADER,
    "ALLOWED_HOSTS": s.ALLOWED_HOSTS,
    "Q_CLUSTER": s.Q_CLUSTER,
}))
"""


def settings_under(env: dict[str, str | None]) -> dict:
    result = run_manage("shell", "-c", PRINT_SETTINGS, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_default_database_is_sqlite_tuned_for_a_web_server_and_worker_sharing_it():
    values = settings_under({"DATABASE_URL": None, "DEBUG": "1"})
    assert values["ENGINE"] == "django.db.backends.sqlite3"
    assert values["NAME"].endswith("db.sqlite3")
    assert "journal_mode=WAL" in values["OPTIONS"]["init_command"]
    assert values["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert values["OPTIONS"]["timeout"] >= 5


def test_database_url_switches_to_postgresql_with_health_checks():
    values = settings_under({"DATABASE_URL": "postgres://waymark:secret@db.internal:5432/waymark"})
    assert values["ENGINE"] == "django.db.backends.postgresql"
    assert values["HOST"] == "db.internal"
    assert values["CONN_HEALTH_CHECKS"] is True


def test_production_turns_on_https_protections():
    values = settings_under(PRODUCTION_ENV)
    assert values["DEBUG"] is False
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["ALLOWED_HOSTS"] == ["waymark.example.gov.uk"]


def test_debug_laptop_does_not_force_https():
    values = settings_under({"DEBUG": "1"})
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SECURE_HSTS_SECONDS"] == 0


def test_worker_timeout_is_below_retry_and_attempts_are_bounded():
    q = settings_under({})["Q_CLUSTER"]
    assert q["timeout"] < q["retry"]
    assert 0 < q["max_attempts"] <= 10
    assert q["orm"] == "default"


def test_redis_broker_switch():
    q = settings_under({"Q_REDIS_URL": "redis://127.0.0.1:6379/0"})["Q_CLUSTER"]
    assert q["redis"] == "redis://127.0.0.1:6379/0"
    assert "orm" not in q


@pytest.fixture(scope="module")
def production_database(tmp_path_factory):
    """Production settings on a migrated database of their own."""
    path = tmp_path_factory.mktemp("production") / "db.sqlite3"
    env = {**PRODUCTION_ENV, "DATABASE_URL": f"sqlite:///{path}"}
    migrated = run_manage("migrate", "--noinput", "-v0", env=env)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    return env


def test_check_deploy_is_clean_with_production_settings(production_database):
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=production_database)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


# Every credential the demo councils need: Northshire charges through Stripe, Bryn Dewi
# charges nothing; both send messages through GOV.UK Notify.
DEMO_CREDENTIALS = {
    "STRIPE_SECRET_KEY_NORTHSHIRE": "sk_live_northshire",
    "STRIPE_WEBHOOK_SECRET_NORTHSHIRE": "whsec_northshire",
    "NOTIFY_API_KEY_NORTHSHIRE": "live-northshire-key",
    "NOTIFY_CALLBACK_TOKEN_NORTHSHIRE": "a-long-northshire-token",
    "NOTIFY_API_KEY": "live-shared-key",  # Bryn Dewi uses the default
    "NOTIFY_CALLBACK_TOKEN": "a-long-default-token",
}


@pytest.fixture(scope="module")
def demo_councils(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "db.sqlite3"
    env = {**PRODUCTION_ENV, "DATABASE_URL": f"sqlite:///{path}"}
    for command in (("migrate", "--noinput", "-v0"), ("seed_demo", "--allow-production")):
        done = run_manage(*command, env=env)
        assert done.returncode == 0, done.stdout + done.stderr
    return env


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        ("STRIPE_SECRET_KEY_NORTHSHIRE", "Northshire Council – Blue Badge application"),
        ("STRIPE_WEBHOOK_SECRET_NORTHSHIRE", "Northshire Council – Blue Badge application"),
        ("NOTIFY_API_KEY", "Bryn Dewi County Council"),  # the default only Bryn Dewi uses
        ("NOTIFY_CALLBACK_TOKEN", "Bryn Dewi County Council"),
    ],
)
def test_check_deploy_names_each_council_whose_credentials_are_missing(
    demo_councils, missing, named
):
    env = {**demo_councils, **DEMO_CREDENTIALS, missing: None}
    result = run_manage("check", "--deploy", env=env)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert named in output
    assert missing.removesuffix("_NORTHSHIRE") in output
    other = "Bryn Dewi" if named.startswith("Northshire") else "Northshire"
    assert other not in output


def test_a_councils_own_variable_falls_back_to_the_default(demo_councils):
    env = {**demo_councils, **DEMO_CREDENTIALS, "NOTIFY_API_KEY_NORTHSHIRE": None}
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_passes_once_every_council_has_its_credentials(demo_councils):
    env = {**demo_councils, **DEMO_CREDENTIALS}
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_warns_when_local_backends_are_on_outside_debug(production_database):
    env = {**production_database, "LOCAL_BACKENDS": "1"}
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "waymark.W001" in result.stdout + result.stderr


def test_check_deploy_flags_the_laptop_secret_key():
    env = {**PRODUCTION_ENV, "SECRET_KEY": None}
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr
