"""Settings for mergeplan. Everything that differs between machines comes from the environment.

Embedded default (no variables set): SQLite in WAL mode, Celery on kombu's filesystem broker,
console e-mail. Production sets DATABASE_URL, CELERY_BROKER_URL (Redis), SECRET_KEY, ALLOWED_HOSTS.
"""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("MERGEPLAN_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
env.read_env(BASE_DIR / ".env") if (BASE_DIR / ".env").exists() else None

DEBUG = env.bool("DJANGO_DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DJANGO_DEBUG is off.")
    SECRET_KEY = "insecure-dev-only-" + "mergeplan-embedded-default"  # noqa: S105 - DEBUG only

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_celery_beat",
    "audit",
    "municipalities",
    "systems",
    "runbook",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.DanishFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "mergeplan.urls"
WSGI_APPLICATION = "mergeplan.wsgi.application"

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
                "django.template.context_processors.i18n",
                "core.context_processors.planning",
                "runbook.context_processors.merger_alerts",
            ],
            # |day, |week and |stamp: the one date format of the pages (core/formats/)
            "builtins": ["core.formats.filters"],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'mergeplan.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {})
    # WAL lets the web server and the Celery worker read while the other writes.
    DATABASES["default"]["OPTIONS"].update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
            "transaction_mode": "IMMEDIATE",
        }
    )
    # The test database is a file (not in memory) so that a real Celery worker started by the integration
    # tests (tests/integration) can open it too; one per test process, so parallel runs do not collide.
    DATABASES["default"]["TEST"] = {
        "NAME": env.str("MERGEPLAN_TEST_DB", default=str(VAR_DIR / f"test-db-{os.getpid()}.sqlite3"))
    }
    # The steps' covering indexes (the polled lists' stamp) carry INCLUDE columns for PostgreSQL's
    # index-only scans; SQLite builds them without, which is all the embedded default needs.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (throttling, recompute de-duplication): Redis when REDIS_URL is set, else per process -----
REDIS_URL = env.str("REDIS_URL", default="")
CACHES = {
    "default": (
        # fails open: Redis down → "not cached", throttling off, logged (core/cache.py)
        {"BACKEND": "core.cache.FailOpenRedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# --- Auth -----------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Internationalisation: Danish first, English available ------------------------------------------
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="da")
LANGUAGES = [("da", _("Danish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Copenhagen")
USE_I18N = True
USE_TZ = True
#: The pages' date formats, once per language (core/formats/da, en): "15. mar. 2006". ISO dates stay
#: in exports, the API and inputs.
FORMAT_MODULE_PATH = ["core.formats"]

#: Pins the planning clock (ISO date); see core.clock.today().
_today = env.str("MERGEPLAN_TODAY", default="")
MERGEPLAN_TODAY = dt.date.fromisoformat(_today) if _today else None

# --- Static files ---------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# `make run` runs with DEBUG off (the real error pages) and lets whitenoise serve static/ as it is edited
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=DEBUG)
WHITENOISE_AUTOREFRESH = env.bool("WHITENOISE_AUTOREFRESH", default=DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_BACKEND", default="django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- E-mail ---------------------------------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="mergeplan <mergeplan@localhost>")
EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    vars().update(env.email_url("EMAIL_URL"))

# --- Celery ---------------------------------------------------------------------------------------
_queue_dir = VAR_DIR / "celery"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=env.str("REDIS_URL", default="filesystem://localhost/"))
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("queue", "processed", "control"):
        (_queue_dir / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # in and out are the SAME folder so that any process can both send and receive
        "data_folder_in": str(_queue_dir / "queue"),
        "data_folder_out": str(_queue_dir / "queue"),
        "processed_folder": str(_queue_dir / "processed"),
        "control_folder": str(_queue_dir / "control"),
        "store_processed": False,
        "polling_interval": 0.1,
    }
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SOFT_TIME_LIMIT = 120
CELERY_TASK_TIME_LIMIT = 180
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ACKS_ON_FAILURE_OR_TIMEOUT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- REST framework -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.AutoSchema",  # + If-Match, 412/428 on writes
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "municipalities.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "municipalities.api.permissions.ReadOnlyTokenPermission",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "core.api.filters.FilterBackend",
        "core.api.filters.SearchFilter",  # its 400 names `search`
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "core.api.filters.ContentNegotiation",  # ?format= (empty): 400
    "DEFAULT_THROTTLE_CLASSES": ["municipalities.api.throttling.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"token": env.str("API_TOKEN_THROTTLE_RATE", default="1200/min") or None},
    "DATETIME_FORMAT": "iso-8601",
    "DATE_FORMAT": "iso-8601",
    "COERCE_DECIMAL_TO_STRING": False,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "mergeplan API",
    "DESCRIPTION": "Milestones, runbook steps and inventory of municipal IT mergers.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "StepStatusEnum": "runbook.models.StepStatus",
        "ConversionStatusEnum": "systems.models.ConversionStatus",
    },
    # every operation documents every status code it can answer (400/401/403/404/409/413/429, 304)
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.schema_hooks.document_error_responses",
    ],
}

# --- Security in production -----------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "core.errors.csrf_failure"  # the 403 page in the site's look, saying what to do
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Secure cookies in production (https behind the proxy); the dev run (DJANGO_DEBUG=1, http) keeps plain ones.
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# --- Logins: rate limits and lockout ---------------------------------------------------------------
# django-axes counts failed logins (login page and admin) in the database, so the count holds under parallel
# attempts; see logins/__init__.py. API tokens never pass through it. Locked out: 429 with
# Retry-After and a page in the login card's look. Unlock early: `manage.py axes_reset_username NAME`.
INSTALLED_APPS += ["axes", "logins"]
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]  # after the auth middleware; turns a lockout into the page
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_ENABLED = env.bool("LOGIN_LOCKOUT_ENABLED", default=True)
AXES_HANDLER = "logins.handler.LoginAttemptHandler"
#: failures per account (from any address) within the cool-off that lock the account
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
#: failures from one address across all accounts that lock the address (0: off)
LOGIN_ADDRESS_FAILURE_LIMIT = env.int("LOGIN_ADDRESS_FAILURE_LIMIT", default=50)
AXES_COOLOFF_TIME = dt.timedelta(minutes=max(1, env.int("LOGIN_LOCKOUT_MINUTES", default=15)))
AXES_LOCKOUT_PARAMETERS = ["username", ["ip_address", "username"]]
AXES_RESET_ON_SUCCESS = False  # a success by one account must not clear an address's count
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_CALLABLE = "logins.views.lockout_response"
AXES_CLIENT_IP_CALLABLE = "logins.handler.client_ip_address"
#: reverse proxies in front of the app whose X-Forwarded-For is trusted (0: use REMOTE_ADDR)
LOGIN_TRUSTED_PROXY_COUNT = env.int("LOGIN_TRUSTED_PROXY_COUNT", default=0)
AXES_VERBOSE = False
#: Read requests reuse a Bearer token that authenticated in this process within this many seconds (no
#: token query); a revocation elsewhere reaches reads at the latest this much later (municipalities/api/authentication.py)
API_TOKEN_CACHE_SECONDS = env.int("API_TOKEN_CACHE_SECONDS", default=5)
#: an API token's use is recorded in the audit trail at most this often
TOKEN_USE_EVENT_INTERVAL = dt.timedelta(minutes=env.int("TOKEN_USE_EVENT_INTERVAL_MINUTES", default=60))

# --- Operations: cache, security, health ---------------------------------------------------------------
# The cache fails open (CACHES above, core/cache.py). Production (DEBUG off) sits behind a
# TLS-terminating proxy that sets X-Forwarded-Proto (and drops the client's): http is redirected to https,
# HSTS is sent, cookies are Secure (above). The dev run (DJANGO_DEBUG=1, plain http) does none of this.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz/?$", r"^readyz/?$"]  # probes inside the network speak plain http
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
if not SECURE_HSTS_PRELOAD:
    # check --deploy's W021 asks for preload; listing a domain in the browsers' preload list binds every
    # subdomain of the registrable domain for months: the domain owner's decision (SECURE_HSTS_PRELOAD=1).
    SILENCED_SYSTEM_CHECKS = [*globals().get("SILENCED_SYSTEM_CHECKS", []), "security.W021"]

# Content-Security-Policy (django-csp; core/security.py widens it for the API docs only): scripts from
# this origin only — no inline <script>, no on* handlers, no eval (htmx: allowEval=false in base.html);
# inline style *attributes* (progress bars, charts) but no inline <style> elements.
INSTALLED_APPS += ["csp"]
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
                  "core.security.CSPMiddleware")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# /healthz (alive) and /readyz (database, broker; 503 when down) — answered first, before the host check,
# the SSL redirect, sessions and throttling (core/health.py). Each readiness check has this budget.
MIDDLEWARE.insert(0, "core.health.HealthCheckMiddleware")
HEALTH_CHECK_TIMEOUT = env.float("HEALTH_CHECK_TIMEOUT", default=1.0)

# --- Celery delivery (outbox) ---
# No dropped work (runbook/planning/__init__.py, docstring 2 and 6): a task is acknowledged only after it
# ran; a worker lost mid-task gives its task back; on Redis an unacknowledged task (its worker SIGKILLed)
# is redelivered after the visibility timeout (seconds; longer than any countdown used here — a task
# still running after it, such as a long nightly run, may be delivered twice: every task is idempotent);
# the every-minute sweep (runbook.recompute_sweep) enqueues a pending replan whose request is older than
# MERGEPLAN_RECOMPUTE_SWEEP_AFTER seconds.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
if CELERY_BROKER_URL.startswith(("redis://", "rediss://", "unix://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        **globals().get("CELERY_BROKER_TRANSPORT_OPTIONS", {}),
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=300),
        # look for expired unacknowledged tasks every 10 s (kombu's default scans every 100 s)
        "unacked_restore_interval": 10,
        "unacked_restore_throttle": 1,
    }
MERGEPLAN_RECOMPUTE_SWEEP_AFTER = env.float("MERGEPLAN_RECOMPUTE_SWEEP_AFTER", default=30.0)
