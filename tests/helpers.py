"""Helpers shared by the test modules."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Values a production deployment would set; every test that needs "production" starts here.
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "p6w!k#y2e@x9r%t1m^n0b&v7c*z5q(l3j)h8g_f4d+s-a=u.Wq3Zr8Ty",
    "ALLOWED_HOSTS": "waymark.example.gov.uk",
    "CSRF_TRUSTED_ORIGINS": "https://waymark.example.gov.uk",
    "SITE_URL": "https://waymark.example.gov.uk",
    "USE_X_FORWARDED_PROTO": "1",
    "LOG_FORMAT": "json",
}


def run_manage(*args: str, env: dict[str, str | None] | None = None, timeout: int = 120):
    """Run manage.py in a fresh interpreter with the given environment overrides.

    The variables a deployment sets are cleared first; an override of None removes one.
    """
    full_env = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV}
    full_env.pop("HTTPS_ONLY", None)
    full_env.pop("LOCAL_BACKENDS", None)  # on for the tests; a deployment leaves it off
    full_env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set while browser tests run
    for key, value in (env or {}).items():
        if value is None:
            full_env.pop(key, None)
        else:
            full_env[key] = value
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def use_secrets(settings, **variables: str) -> None:
    """Provider credentials as the environment would hold them: NAME for every council, or
    NAME_<COUNCIL> for one (see config/secrets.py), added to those already set."""
    from config import secrets

    environ = {
        name + (f"_{suffix}" if suffix else ""): value
        for name, values in settings.COUNCIL_SECRETS.items()
        for suffix, value in values.items()
    }
    settings.COUNCIL_SECRETS = secrets.from_environment({**environ, **variables})
