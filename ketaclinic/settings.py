"""ketaclinic settings: everything comes from environment variables, parsed strictly.

Two modes:
- default (demo and development): SQLite under ``var/``, plain HTTP on 127.0.0.1 allowed.
- ``KETACLINIC_DEPLOY=true`` (production): HTTPS-only cookies with ``__Host-`` names, HSTS, a secret key
  that must be supplied, ``ALLOWED_HOSTS`` that must be supplied. ``ketaclinic check --deploy`` is clean.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import dj_database_url
import django_stubs_ext
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from ketaclinic.lib.clientip import TrustedProxyError, parse_networks
from ketaclinic.lib.env import SettingError, envbool, envint, envlist, envsecret, envstr

django_stubs_ext.monkeypatch()  # lets ModelForm[Patient] and friends be subscripted at run time

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent
VAR_DIR = Path(envstr("KETACLINIC_VAR_DIR", str(PROJECT_DIR / "var")))

try:
    DEPLOY = envbool("KETACLINIC_DEPLOY", False)
    DEBUG = envbool("KETACLINIC_DEBUG", False)
    HTTPS = envbool("KETACLINIC_HTTPS", DEPLOY)
    SESSION_IDLE_SECONDS = envint("KETACLINIC_SESSION_IDLE_SECONDS", 15 * 60, minimum=60)
    SESSION_ABSOLUTE_SECONDS = envint("KETACLINIC_SESSION_ABSOLUTE_SECONDS", 12 * 3600, minimum=600)
    SECRET_KEY_FROM_ENV = envsecret("KETACLINIC_SECRET_KEY")
    # Audit head seals (issue 10): "<id>:<secret>,<older id>:<older secret>"; the first seals.
    AUDIT_SEAL_KEYS = envsecret("KETACLINIC_AUDIT_SEAL_KEYS") or ""
    AUDIT_ANCHOR_SYSLOG = envstr("KETACLINIC_AUDIT_ANCHOR_SYSLOG", "")
    # Where the worker's hourly anchoring job appends the heads: keep it on another disk or
    # ship it elsewhere (syslog above) so that it is outside what a database writer can reach.
    AUDIT_ANCHOR_FILE = envstr("KETACLINIC_AUDIT_ANCHOR_FILE", str(VAR_DIR / "audit-anchors.log"))
    ALLOWED_HOSTS = envlist(
        "KETACLINIC_ALLOWED_HOSTS", [] if DEPLOY else ["127.0.0.1", "localhost", "testserver"]
    )
    DATABASE_URL = envstr("DATABASE_URL", "")
    AXES_FAILURE_LIMIT = envint("KETACLINIC_LOGIN_FAILURE_LIMIT", 5, minimum=1)
    AXES_COOLOFF_MINUTES = envint("KETACLINIC_LOGIN_COOLOFF_MINUTES", 15, minimum=1)
    # Per username from any address (the per-username+address limit above is django-axes').
    LOGIN_USERNAME_FAILURE_LIMIT = envint("KETACLINIC_LOGIN_USERNAME_LIMIT", 20, minimum=1)
    LOGIN_USERNAME_LOCK_MINUTES = envint("KETACLINIC_LOGIN_USERNAME_LOCK_MINUTES", 60, minimum=1)
    # Behind a reverse proxy: the header it sets (e.g. X-Forwarded-For) and the proxies' own
    # addresses. The header is read only on requests whose peer is one of those proxies.
    TRUSTED_PROXY_HEADER = envstr("KETACLINIC_CLIENT_IP_HEADER", "").strip()
    TRUSTED_PROXIES = envlist(
        "KETACLINIC_TRUSTED_PROXIES", ["127.0.0.1", "::1"] if TRUSTED_PROXY_HEADER else []
    )
    DB_CONN_MAX_AGE = envint("KETACLINIC_DB_CONN_MAX_AGE", 300, minimum=0)
    # PostgreSQL: server-side prepared statements (issue 15; off for a pooler that cannot keep them).
    DB_PREPARED_STATEMENTS = envbool("KETACLINIC_DB_PREPARED_STATEMENTS", True)
    # Background jobs: a run not finished within the lease is taken to have died with its worker
    # and is retried, up to the attempt limit.
    JOBS_LEASE_SECONDS = envint("KETACLINIC_JOBS_LEASE_SECONDS", 15 * 60, minimum=30)
    JOBS_MAX_ATTEMPTS = envint("KETACLINIC_JOBS_MAX_ATTEMPTS", 3, minimum=1)
except SettingError as exc:
    raise ImproperlyConfigured(str(exc)) from None

try:
    TRUSTED_PROXY_NETWORKS = parse_networks(TRUSTED_PROXIES)
except TrustedProxyError as exc:
    raise ImproperlyConfigured(f"KETACLINIC_TRUSTED_PROXIES: {exc}") from None

if SECRET_KEY_FROM_ENV:
    SECRET_KEY = SECRET_KEY_FROM_ENV
elif DEPLOY:
    raise ImproperlyConfigured(
        "KETACLINIC_SECRET_KEY (or KETACLINIC_SECRET_KEY_FILE) is required when KETACLINIC_DEPLOY=true"
    )
else:
    # Development and demo: a random key kept in var/ so sessions survive a restart.
    _key_file = VAR_DIR / "secret_key"
    if not _key_file.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        _key_file.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        _key_file.chmod(0o600)
    SECRET_KEY = _key_file.read_text(encoding="utf-8").strip()

if DEPLOY and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("KETACLINIC_ALLOWED_HOSTS is required when KETACLINIC_DEPLOY=true")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "django_htmx",
    "csp",
    "ketaclinic.core",
    "ketaclinic.audit",
    "ketaclinic.accounts",
    "ketaclinic.patients",
    "ketaclinic.alerts",
    "ketaclinic.scales",
    "ketaclinic.screening",
    "ketaclinic.treatment",
    "ketaclinic.inventory",
    "ketaclinic.pharmacology",
    "ketaclinic.research",
    "ketaclinic.surveillance",
    "django_tasks",
    "django_tasks_db",
    "ketaclinic.ops",
    "ketaclinic.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "ketaclinic.core.middleware.RequestContextMiddleware",
    "ketaclinic.core.db_unavailable.DatabaseUnavailableMiddleware",  # a 503 when the database is down
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's AuthenticationMiddleware and django-otp's OTPMiddleware in one: the session, user,
    # TOTP device and active memberships come from one joined query (accounts/sessions.py).
    "ketaclinic.accounts.middleware.SessionAuthMiddleware",
    # Before SessionLifetimeMiddleware, which tells the user why their session ended.
    "django.contrib.messages.middleware.MessageMiddleware",
    "ketaclinic.accounts.middleware.SessionLifetimeMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "ketaclinic.accounts.middleware.TwoFactorRequiredMiddleware",
    "ketaclinic.accounts.middleware.PasswordChangeRequiredMiddleware",
    "ketaclinic.accounts.middleware.ActiveClinicMiddleware",
    "ketaclinic.core.middleware.ClinicTimeZoneMiddleware",
    "ketaclinic.core.middleware.ReadAuditMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "ketaclinic.core.middleware.PrivateCacheMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ketaclinic.urls"
WSGI_APPLICATION = "ketaclinic.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ketaclinic.accounts.context_processors.clinic",
                "ketaclinic.core.context_processors.navigation",
            ],
            "string_if_invalid": "",
            # Filters for every template: code names in words, times in the clinic's zone.
            "builtins": ["ketaclinic.core.templatetags.ketaclinic_tags"],
        },
    }
]


def _tcp_liveness(options: dict[str, Any]) -> dict[str, Any]:
    """libpq TCP keepalives and ``tcp_user_timeout`` (a URL's ``?keepalives_idle=`` etc. win).

    Keepalives: an idle connection (including one waiting for a query's answer) whose peer stops
    acknowledging probes for ``idle + interval x count`` seconds (30 + 10 x 3) is broken, so a
    dead host or a network partition is noticed in about a minute instead of the kernel's two
    hours. ``tcp_user_timeout`` (30 s): data sent and not acknowledged for that long breaks the
    connection (a partition while a query is being sent). Neither notices a server whose kernel
    still acknowledges (a SIGSTOPped or hung PostgreSQL, a stuck backend): that is the stall
    watchdog's job (core/db_unavailable.py)."""
    try:
        wanted: dict[str, Any] = {
            "keepalives": 1,
            "keepalives_idle": envint("KETACLINIC_DB_KEEPALIVES_IDLE", 30, minimum=1),
            "keepalives_interval": envint("KETACLINIC_DB_KEEPALIVES_INTERVAL", 10, minimum=1),
            "keepalives_count": envint("KETACLINIC_DB_KEEPALIVES_COUNT", 3, minimum=1),
            "tcp_user_timeout": envint("KETACLINIC_DB_TCP_USER_TIMEOUT_MS", 30_000, minimum=0),
        }
    except SettingError as exc:
        raise ImproperlyConfigured(str(exc)) from None
    return {key: options.get(key, value) for key, value in wanted.items()}


def _database(url: str) -> dict[str, Any]:
    if not url:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{VAR_DIR / 'ketaclinic.sqlite3'}"
    if not url.startswith(("sqlite:", "postgres:", "postgresql:")):
        raise ImproperlyConfigured(
            "DATABASE_URL must start with sqlite:/// or postgres:// (got another scheme)"
        )
    config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=0))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL with synchronous=FULL: a committed write survives power loss (NORMAL may lose it).
        # IMMEDIATE transactions take the write lock at BEGIN, so writers queue instead of failing.
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
            ),
        }
    else:
        config.setdefault("OPTIONS", {})
        # Give up on an unreachable server after 3 s (a URL's ?connect_timeout= wins): requests
        # then fail fast with the 503 page of core/db_unavailable.py instead of hanging.
        config["OPTIONS"].setdefault("connect_timeout", 3)
        config["OPTIONS"].update(_tcp_liveness(config["OPTIONS"]))
        # A server that accepts bytes but never answers (a frozen host or process: its kernel
        # still ACKs, so no TCP option notices): core/db_unavailable.py's stall watchdog cuts a
        # request's connection once it has waited this long and a new connection gets no answer
        # either (0 turns the watchdog off).
        try:
            config["STALL_SECONDS"] = envint("KETACLINIC_DB_STALL_SECONDS", 5, minimum=0)
        except SettingError as exc:
            raise ImproperlyConfigured(str(exc)) from None
        # Keep connections between requests: opening one costs a PostgreSQL backend process
        # (several milliseconds, more than the rest of a small write).
        config["CONN_MAX_AGE"] = DB_CONN_MAX_AGE
        config["CONN_HEALTH_CHECKS"] = True
        if DB_PREPARED_STATEMENTS:
            # Parameters bound by the server, and a statement run twice on a connection is
            # prepared there (psycopg): PostgreSQL parses and plans it once, not per request.
            config["OPTIONS"].setdefault("server_side_binding", True)
            config["OPTIONS"].setdefault("prepare_threshold", 2)
    config["ATOMIC_REQUESTS"] = False
    return config


DATABASES = {"default": _database(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

PASSWORD_HASHERS = [
    # Argon2id, argon2-cffi defaults (t=2, m=100 MiB, p=8): above OWASP ASVS 5.0 Appendix C.
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "ketaclinic.accounts.validators.LowVarietyPasswordValidator"},
    {"NAME": "ketaclinic.accounts.validators.UserAttributeContainedValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Login throttling (OWASP ASVS 2.2.1): lock a username+IP pair after repeated failures.
AXES_ENABLED = envbool("KETACLINIC_AXES_ENABLED", True)
AXES_COOLOFF_TIME = AXES_COOLOFF_MINUTES / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
# The client address comes from the one trusted-proxy rule (accounts.http.client_ip), not from
# django-ipware (not installed: axes would otherwise fall back to REMOTE_ADDR, the proxy).
AXES_CLIENT_IP_CALLABLE = "ketaclinic.accounts.http.client_ip"

OTP_TOTP_ISSUER = "ketaclinic"

# Sessions: server-side rows; 15 minutes idle, 12 hours absolute (OWASP ASVS 3.3.2, 7.3.1-2).
# Database sessions; an expired session's row is deleted when it is next presented.
SESSION_ENGINE = "ketaclinic.accounts.sessions"
SESSION_COOKIE_AGE = SESSION_IDLE_SECONDS
SESSION_SAVE_EVERY_REQUEST = False  # renewed by SessionLifetimeMiddleware, at most once a minute
SESSION_REFRESH_SECONDS = 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
if HTTPS:
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    SECURE_SSL_REDIRECT = envbool("KETACLINIC_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = envint("KETACLINIC_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if TRUSTED_PROXY_HEADER:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = envlist("KETACLINIC_CSRF_TRUSTED_ORIGINS", [])

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "object-src": [NONE],
        "base-uri": [SELF],
    }
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True
DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i"
SHORT_DATE_FORMAT = "Y-m-d"

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns when it is missing
STATICFILES_DIRS = [BASE_DIR / "static"]
# Static files are served by WhiteNoise straight from the installed packages (no CDN, no build step).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"scrub": {"()": "ketaclinic.core.logging.ScrubFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["scrub"], "formatter": "plain"}
    },
    "root": {"handlers": ["console"], "level": envstr("KETACLINIC_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "axes": {"level": "WARNING"},
    },
}

# Background jobs (ketaclinic.ops): django-tasks with its database backend, so the embedded SQLite
# and PostgreSQL both run jobs without another service. `ketaclinic worker` runs them and schedules
# the periodic ones (ketaclinic/ops/schedule.py).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

TEST_RUNNER = "django.test.runner.DiscoverRunner"
