"""Waymark settings.

Every difference between a laptop and production is an environment variable (see the
configuration table in README.md). Without any variables set, Waymark runs on an
embedded SQLite database with local backends for every outside service.
"""

import os
from pathlib import Path
from typing import Literal

import environ

from config import secrets

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# --- Core ------------------------------------------------------------------------------

DEBUG = env.bool("DEBUG", default=False)
# The default key is only good for a laptop: `check --deploy` flags it (security.W009).
SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-local-development-only")
# Keys SECRET_KEY replaced, still accepted for what they signed (links sent, sessions).
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://localhost:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",  # the widgets' own templates, for FORM_RENDERER below
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "cases",
    "notify",
    "payments",
]

MIDDLEWARE = [
    "config.logging.RequestIDMiddleware",
    "cases.api.errors.ProblemMiddleware",  # no HTML error page ever leaves /api/
    "cases.open311.errors.Open311ErrorMiddleware",  # nor /open311/: errors as <errors>
    "django.middleware.security.SecurityMiddleware",
    "config.security.SecurityHeadersMiddleware",  # CSP, Permissions-Policy, CORP
    "config.security.NullCharacterMiddleware",  # 400 for a NUL in the address
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "cases.portal.uploads.UploadLimitMiddleware",  # before anything reads the body
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "cases.admin.staff_auth.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
# Form widgets render with the project's templates (templates/widgets/ overrides some).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.waymark",
            ],
        },
    },
]

# --- Database --------------------------------------------------------------------------
# SQLite (the embedded default) runs in WAL mode with IMMEDIATE transactions and a busy
# timeout, so the web server and the worker can write to one file without "database is
# locked" errors. DATABASE_URL=postgres://… switches to PostgreSQL through psycopg 3.

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": env.int("SQLITE_BUSY_TIMEOUT", default=20),
    }
else:
    _db["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    _db["CONN_HEALTH_CHECKS"] = True
    _db.setdefault("OPTIONS", {})
    _db["OPTIONS"].setdefault("connect_timeout", env.int("DB_CONNECT_TIMEOUT", default=5))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication --------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"
# Staff must confirm a TOTP code (an authenticator app) to use the admin. On by default
# whenever DEBUG is off; STAFF_TWO_FACTOR=0 turns it off (e.g. behind single sign-on).
STAFF_TWO_FACTOR = env.bool("STAFF_TWO_FACTOR", default=not DEBUG)
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Waymark")
# Failed admin sign-ins allowed per account and per address in 15 minutes.
STAFF_SIGNIN_ATTEMPTS = env.int("STAFF_SIGNIN_ATTEMPTS", default=5)

# --- Internationalisation --------------------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("cy", "Cymraeg")]
LOCALE_PATHS = [BASE_DIR / "cases" / "locale"]  # every Welsh string of the project
LANGUAGE_COOKIE_NAME = "waymark_language"
LANGUAGE_COOKIE_SECURE = env.bool("HTTPS_ONLY", default=not DEBUG)
LANGUAGE_COOKIE_SAMESITE: Literal["Lax", "Strict", "None", False] | None = "Lax"
TIME_ZONE = "Europe/London"
FORMAT_MODULE_PATH = ["config.formats"]  # English dates day first (config/formats/en)
USE_I18N = True
USE_TZ = True

# --- Static files ----------------------------------------------------------------------
# GOV.UK Frontend and MOJ Frontend are installed from npm and built into static/dist/ by
# `make assets`, which also runs collectstatic; they are never committed. WhiteNoise serves
# /static/ from STATIC_ROOT with hashed, compressed, long-cached files. With DEBUG on it
# serves straight from static/ instead, so edits show without collectstatic.

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "/media/"

# --- Security --------------------------------------------------------------------------
# HTTPS_ONLY (on whenever DEBUG is off) turns on HSTS, secure cookies and the redirect to
# HTTPS. Behind a proxy that terminates TLS, set USE_X_FORWARDED_PROTO=1.

HTTPS_ONLY = env.bool("HTTPS_ONLY", default=not DEBUG)
SECURE_SSL_REDIRECT = HTTPS_ONLY
SESSION_COOKIE_SECURE = HTTPS_ONLY
CSRF_COOKIE_SECURE = HTTPS_ONLY
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if HTTPS_ONLY else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=SECURE_HSTS_INCLUDE_SUBDOMAINS)
# How many proxies (load balancer, CDN) stand in front of Waymark and add themselves to
# X-Forwarded-For: the client's address is read that many hops back (config/net.py).
TRUSTED_PROXIES = env.int("TRUSTED_PROXIES", default=0)
if env.bool("USE_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "cases.portal.errors.csrf_failure"  # "This page has expired", not Django's
X_FRAME_OPTIONS = "DENY"
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# A citizen's file stops being read once it passes 10MB (cases/portal/uploads.py).
FILE_UPLOAD_HANDLERS = [
    "cases.portal.uploads.CappedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# --- Background work (django-q2) -------------------------------------------------------
# The ORM broker needs nothing beyond the database. For scale-out, set Q_REDIS_URL to use
# Redis as the broker instead (pip install "waymark[redis]"). A task that has not finished
# within `timeout` seconds is killed; `retry` (larger) is when the broker hands an
# unacknowledged task to another worker; `max_attempts` bounds how often that happens.

Q_CLUSTER = {
    "name": "waymark",
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": env.int("Q_TIMEOUT", default=60),
    "retry": env.int("Q_RETRY", default=90),
    "max_attempts": env.int("Q_MAX_ATTEMPTS", default=5),
    "save_limit": 500,
    # Tasks the broker hands a worker at a time: fewer round trips when the queue is long.
    "bulk": env.int("Q_BULK", default=10),
    "catch_up": False,
    "label": "Background tasks",
    "sync": env.bool("Q_SYNC", default=False),
}
if env.str("Q_REDIS_URL", default=""):
    Q_CLUSTER["redis"] = env.str("Q_REDIS_URL")
else:
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["poll"] = env.float("Q_POLL", default=0.5)

# The longest one of the case sweeps (overdue flags, scheduled transitions) runs before
# it queues itself again for the rest, within the task timeout (the system check says so).
CASE_SWEEP_SECONDS = env.int("CASE_SWEEP_SECONDS", default=30)

# How long since a worker last ran its heartbeat before /healthz reports it missing.
HEALTH_WORKER_MAX_AGE = env.int("HEALTH_WORKER_MAX_AGE", default=300)

# --- Outside services: credentials per council ----------------------------------------
# Every key, webhook secret and callback token is per council: NAME_<COUNCIL> (the slug in
# capitals, e.g. STRIPE_SECRET_KEY_BRYN_DEWI), or NAME for councils without their own.
# See config/secrets.py. A council with no credentials for a service uses that service's
# local backend only when LOCAL_BACKENDS is on (with DEBUG, or for a demo site); otherwise
# its messages wait in the outbox and its citizens are told they cannot pay online yet,
# and `check --deploy` names what is missing.

COUNCIL_SECRETS = secrets.from_environment(os.environ)
LOCAL_BACKENDS = env.bool("LOCAL_BACKENDS", default=DEBUG)

# --- GOV.UK Notify ---------------------------------------------------------------------

NOTIFY_API_BASE_URL = env.str(
    "NOTIFY_API_BASE_URL", default="https://api.notifications.service.gov.uk"
)
NOTIFY_TIMEOUT = env.float("NOTIFY_TIMEOUT", default=10)
# Our side of Notify's 3,000 requests a minute per key: sends per second per key.
NOTIFY_SENDS_PER_SECOND = env.int("NOTIFY_SENDS_PER_SECOND", default=49)
NOTIFY_MAX_ATTEMPTS = env.int("NOTIFY_MAX_ATTEMPTS", default=8)
# The longest wait between two attempts at a message (the backoff doubles up to it).
NOTIFY_RETRY_MAX_DELAY_SECONDS = env.int("NOTIFY_RETRY_MAX_DELAY_SECONDS", default=300)
# After a 429 from Notify, every worker holds back sends on that key this long.
NOTIFY_RATE_LIMIT_PAUSE_SECONDS = env.int("NOTIFY_RATE_LIMIT_PAUSE_SECONDS", default=1)
# The longest a worker waits for a send slot; then it gives the message back, untried.
NOTIFY_ACQUIRE_WAIT_SECONDS = env.int("NOTIFY_ACQUIRE_WAIT_SECONDS", default=5)
# A worker's claim on a message: after this, another worker's sweep takes it over (asks
# Notify whether it has it). Longer than a live worker can hold one (the checks say so).
NOTIFY_CLAIM_LEASE_SECONDS = env.int("NOTIFY_CLAIM_LEASE_SECONDS", default=60)
# A message accepted by Notify without a final status this long is asked about.
NOTIFY_STUCK_AFTER_MINUTES = env.int("NOTIFY_STUCK_AFTER_MINUTES", default=15)
# The longest one sweep (claims run out, receipts) runs, within the task timeout.
NOTIFY_SWEEP_SECONDS = env.int("NOTIFY_SWEEP_SECONDS", default=30)
SMS_FREE_FRAGMENTS = env.int("SMS_FREE_FRAGMENTS", default=10_000)
SMS_FRAGMENT_PENCE = env.float("SMS_FRAGMENT_PENCE", default=2.4)

# --- Webhooks out (cases.webhooks) ------------------------------------------------------
# Seconds one delivery attempt may take in all (connect, send, answer).
WEBHOOK_TIMEOUT = env.float("WEBHOOK_TIMEOUT", default=10)
# Deliver to loopback and private addresses and over plain http: a laptop's receiver.
# Outside DEBUG it is an error that `check --deploy` names (waymark.E002).
WEBHOOKS_LOCAL_TARGETS = env.bool("WEBHOOKS_LOCAL_TARGETS", default=DEBUG)

# --- Citizen portal --------------------------------------------------------------------
# Lookups of a case by reference number and postcode or email, per 15 minutes.
TRACK_ATTEMPTS_PER_IP = env.int("TRACK_ATTEMPTS_PER_IP", default=20)
TRACK_ATTEMPTS_PER_REFERENCE = env.int("TRACK_ATTEMPTS_PER_REFERENCE", default=5)
# "Send me a link to my case": requests per address in 15 minutes; links per reference an hour.
LINK_REQUESTS_PER_IP = env.int("LINK_REQUESTS_PER_IP", default=10)
LINK_REQUESTS_PER_REFERENCE = env.int("LINK_REQUESTS_PER_REFERENCE", default=3)
# Where the phase banner's "give your feedback" link goes (it opens in a new tab): by
# default /feedback/, which sends citizens to the council that runs the service they used;
# or a survey or form of your own (any URL, or mailto: an inbox someone reads).
FEEDBACK_URL = env.str("FEEDBACK_URL", default="/feedback/")
# The street report's optional map: a tile server's URL template (Leaflet's, e.g.
# https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png); empty shows no map, and the text
# location is all that is asked. Its host is added to img-src (config/security.py). The
# attribution, shown on the map as plain text, is the one the tiles' licence asks for.
MAP_TILE_URL = env.str("MAP_TILE_URL", default="")
MAP_ATTRIBUTION = env.str("MAP_ATTRIBUTION", default="© OpenStreetMap contributors")

# --- Payments --------------------------------------------------------------------------
# Each council chooses Stripe or GOV.UK Pay in its service settings (its keys above).

STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")
GOVUK_PAY_API_BASE = env.str(
    "GOVUK_PAY_API_BASE", default="https://publicapi.payments.service.gov.uk"
)
PAYMENTS_TIMEOUT = env.float("PAYMENTS_TIMEOUT", default=15)
# Reconciliation: ask the provider about checkouts pending longer than this many minutes;
# remind the citizen after these many days unpaid; close the request after EXPIRY days.
PAYMENT_RECONCILE_AFTER_MINUTES = env.int("PAYMENT_RECONCILE_AFTER_MINUTES", default=5)
PAYMENT_RECONCILE_EVERY_MINUTES = env.int("PAYMENT_RECONCILE_EVERY_MINUTES", default=2)
PAYMENT_REMINDER_DAYS = env.list("PAYMENT_REMINDER_DAYS", cast=int, default=[7, 21])
PAYMENT_EXPIRY_DAYS = env.int("PAYMENT_EXPIRY_DAYS", default=42)

# --- API -------------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": ["cases.api.auth.BearerKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["cases.api.auth.HasScope"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["cases.api.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "cases.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
}
# Requests a minute each API key may make (shared by every process); more get 429.
API_REQUESTS_PER_MINUTE = env.int("API_REQUESTS_PER_MINUTE", default=1200)
SPECTACULAR_SETTINGS = {
    "TITLE": "Waymark API",
    "DESCRIPTION": (
        "A council's partner API: open cases, read where they are, take their next steps and "
        "catch up on every change, by the same process ID the citizen and the caseworker use. "
        "Errors are RFC 9457 problems (application/problem+json). Guide: docs/api/README.md."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "cases.api.schema.add_links",
    ],
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ServiceEnum": "cases.models.Service",
        "EventTypeEnum": "cases.webhooks.models.EventType",
        "DeliveryStatusEnum": ["pending", "delivered", "failed"],
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
}

# --- Logging ---------------------------------------------------------------------------
# JSON lines by default (one object per record, with the request ID); LOG_FORMAT=plain for
# a human-readable console.

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "config.logging.RequestIDFilter"}},
    "formatters": {
        "json": {"()": "config.logging.JSONFormatter"},
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": env.str("LOG_FORMAT", default="json"),
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # django-q2 adds a handler of its own to a logger that has none: give it ours.
        "django-q": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
    },
}
