import json

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


def test_check_deploy_is_clean_with_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_flags_the_laptop_secret_key():
    env = {**PRODUCTION_ENV, "SECRET_KEY": None}
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr
