"""Settings for every environment, read from the process environment (see .env.example).

Local defaults are safe and need no server: SQLite in ``var/``, a filesystem Celery broker,
a file-based cache. Production points DATABASE_URL, CELERY_BROKER_URL and CACHE_URL at
PostgreSQL and Redis.
"""

from datetime import timedelta
from pathlib import Path

from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

from config.optional_apps import present_dev_apps
from config.public_url import is_loopback_http, validate_public_base_url
from config.schedule import BEAT_SCHEDULE
from config.task_routing import account_queue_names
from crm_integrations.core.env import Env  # the empty-means-default reader, shared with the providers

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = Env()
Env.read_env(BASE_DIR / ".env", overwrite=False)
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (see .env.example).")
    SECRET_KEY = "insecure-local-development-key-only-used-with-debug"  # noqa: S105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000")
validate_public_base_url(PUBLIC_BASE_URL, debug=DEBUG)  # https outside DEBUG, unless loopback (`make run`)

INSTALLED_APPS = [
    "config.apps.LeadRoutingAdminConfig",  # django.contrib.admin with the scoped site (config/apps.py)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "django_celery_beat",
    "axes",
    "csp",
    "crm_integrations",
    "field_mapping",
    "routing",
    "contracts",
    *present_dev_apps(),  # devtools where it is installed (config/optional_apps.py)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.session_timeout.SessionTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "OPTIONS": {
            # Django's default loaders, plus each registered provider's own templates/ folder
            # (crm_integrations/core/templates.py); cached, as Django's default is.
            "loaders": [
                (
                    "django.template.loaders.cached.Loader",
                    [
                        "django.template.loaders.filesystem.Loader",
                        "django.template.loaders.app_directories.Loader",
                        "crm_integrations.core.templates.ProviderTemplatesLoader",
                    ],
                )
            ],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web, worker, beat) share the file: WAL lets readers run beside a
    # writer, IMMEDIATE makes every transaction take the write lock up front so two writers
    # queue instead of failing with "database is locked" half-way through; our backend
    # (config/db/sqlite3/base.py) waits for that lock in 1 ms polls, not SQLite's 100 ms sleeps.
    DATABASES["default"]["ENGINE"] = "config.db.sqlite3"
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
# Keep connections between requests (a new SQLite connection per webhook request cost ~2 ms).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_SQLITE = DATABASES["default"]["ENGINE"] == "config.db.sqlite3"

# --- Cache (shared by every process: file-based locally, Redis in production) ---------------
CACHES = {"default": env.cache("CACHE_URL", default=f"filecache://{VAR_DIR / 'cache'}")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.filebased.FileBasedCache":
    CACHES["default"]["BACKEND"] = "config.file_cache.LockedAddFileCache"  # an atomic add (its docstring)

# --- Auth, i18n, static ---------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
LOGIN_URL = "admin:login"

# --- HTTPS, cookies, sessions, login throttling, CSP -----------------------------------------------
# Production runs behind a TLS-terminating proxy (README "Production"): trust its X-Forwarded-Proto,
# redirect http to https and send HSTS. `make run` serves http://127.0.0.1 with DEBUG off, so these
# follow BEHIND_TLS_PROXY and cookies follow PUBLIC_BASE_URL, not DEBUG alone.
BEHIND_TLS_PROXY = env.bool("BEHIND_TLS_PROXY", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_TLS_PROXY else None
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=BEHIND_TLS_PROXY)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # probes that reach the app directly, over http
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600 if BEHIND_TLS_PROXY else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
# Session and CSRF cookies only over HTTPS outside DEBUG, unless the app is served on loopback http.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool(
    "SECURE_COOKIES", default=not DEBUG and not is_loopback_http(PUBLIC_BASE_URL)
)
# Staff sessions end this long after login, and after this long without a request
# (config/session_timeout.py).
SESSION_COOKIE_AGE = env.int("SESSION_HOURS", default=8) * 3600
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_MINUTES", default=30) * 60

# django-axes: after LOGIN_FAILURE_LIMIT wrong passwords for one username from one address, that
# pair is refused for LOGIN_LOCKOUT_MINUTES (config/lockout.py says so); staff unlock it sooner by
# deleting the row under Axes → Access attempts. Behind a proxy the address is the one the proxy saw.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "config.lockout.lockout_response"
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1 if BEHIND_TLS_PROXY else 0)
AXES_CLIENT_IP_CALLABLE = "config.client_ip.client_ip"

# Content-Security-Policy (django-csp): scripts only from our own static files, so an injected
# inline <script>, on*= handler or javascript: URL does not run. Styles allow 'unsafe-inline'
# because Django's admin writes inline <style> (admin/change_list.html) and style attributes.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Staff only by default; the contracts API (contracts/api/) also takes API tokens
# (`manage.py create_api_token <username>`) and lets organization members in.
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
}
# API tokens (django-rest-knox): only a SHA-512 digest is stored, the token is shown once.
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=env.int("API_TOKEN_DAYS", default=90)),
    "TOKEN_PREFIX": "lr_",
    "AUTO_REFRESH": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Lead Routing API",
    "VERSION": "1",
    "DESCRIPTION": (
        "Contracts of your organizations under /api/v1/contracts/: list, retrieve and set the "
        "negotiation status. Provider health per connection under /api/v1/health/ (staff). "
        "Authenticate with `Authorization: Token <key>` or a session."
    ),
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "NegotiationStatusEnum": "contracts.models.NegotiationStatus",
        "SyncStateEnum": "contracts.models.SyncState",
        "FileStateEnum": "contracts.models.FileState",
    },
    # The schema is for staff (drf-spectacular's own default would serve it to anyone).
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAdminUser"],
    # It describes the API, not itself (its `format`/`lang` switches are drf-spectacular's).
    "SERVE_INCLUDE_SCHEMA": False,
}

# --- Celery -----------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
BROKER_DIR = VAR_DIR / "broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Producer and worker share one config, so "in" and "out" must be the same folder.
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "store_processed": False,
        "control_folder": str(BROKER_DIR / "control"),
        # A worker whose prefetch is full waits this long before looking again (kombu's default is
        # 1 s): each task hop of an otherwise idle pipeline, and every task of a busy one, waited that.
        # A lead's path has three hops (delivery, intake round, write-back): at 0.1 s they cost a
        # 300-lead burst's p95 about 0.15 s. monday sends one webhook per item, so its burst of 1,000
        # is 2,000 short tasks, each waiting for the next look: drained in 31 to 36 s at 0.02, 10 to 15 s
        # at 0.01 (docs/benchmarks.md). An idle worker (3 processes) spends 1.3% of a core at 0.01
        # (0.6% at 0.02): config/embedded_broker.py lists the folder once for all queues.
        "polling_interval": env.float("CELERY_FILESYSTEM_POLLING_INTERVAL", default=0.01),
    }
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_IGNORE_RESULT = CELERY_RESULT_BACKEND is None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # keep our handlers (and their secret redaction)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = BEAT_SCHEDULE
# One CRM account's pipeline tasks (deliveries, intake rounds, owner write-backs) go to one of a few
# account queues (config/task_routing.py), so one organization's burst never queues ahead of
# another's; every worker consumes every queue in turn (a worker started without -Q listens to all
# of CELERY_TASK_QUEUES). "writeback" stays for messages queued before the account queues.
CELERY_ACCOUNT_QUEUES = env.int("CELERY_ACCOUNT_QUEUES", default=8)
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = (
    Queue("celery"),
    Queue("writeback"),
    *(Queue(name) for name in account_queue_names(CELERY_ACCOUNT_QUEUES)),
)
CELERY_TASK_ROUTES = ("config.task_routing.route_task",)

# The embedded defaults keep their files under VAR_DIR: make sure the folders exist (the
# filesystem broker lists its folders and fails when they are missing).
for _folder in (VAR_DIR, MEDIA_ROOT, BROKER_DIR / "queue", BROKER_DIR / "processed", BROKER_DIR / "control"):
    Path(_folder).mkdir(parents=True, exist_ok=True)

# --- Credentials at rest ----------------------------------------------------------------------
# Comma-separated "key_id:base64url(32 random bytes)"; the FIRST key encrypts, every key
# decrypts. Generate one with `manage.py generate_encryption_key`.
ENCRYPTION_KEYS = env.list("ENCRYPTION_KEYS", default=[])
if not ENCRYPTION_KEYS and not DEBUG:
    raise ImproperlyConfigured("ENCRYPTION_KEYS must be set when DEBUG is off (see .env.example).")

# --- CRM providers ----------------------------------------------------------------------------
# Adding a provider: its folder under crm_integrations/ and one line here. Each provider reads its own
# settings from its own environment variables (crm_integrations/<provider>/SETUP.md lists them; a
# deployment may instead set the Django setting of the same name, e.g. a dict of its apps).
CRM_PROVIDERS = env.list(
    "CRM_PROVIDERS",
    default=[
        "crm_integrations.hubspot.provider.HubSpotProvider",
        "crm_integrations.monday.provider.MondayProvider",
        "crm_integrations.salesforce.provider.SalesforceProvider",
    ],
)
# Refresh an access token when it expires within this many seconds (HubSpot's live 30 minutes).
CRM_TOKEN_REFRESH_MARGIN = env.int("CRM_TOKEN_REFRESH_MARGIN", default=300)
# 0: owners are written at once, and what piles up while a flush is under way goes out together
# when it is done (routing/writeback.py); above 0, a fixed window of that many seconds instead.
ROUTING_WRITEBACK_WINDOW = env.float("ROUTING_WRITEBACK_WINDOW", default=0.0)

# --- Contracts (from CRM deals) ----------------------------------------------------------------
# Files attached to a deal: at most this many bytes each, of these MIME types (by extension, and
# the content must look like it); other files are kept on the contract as refused, with the reason.
CONTRACT_FILE_MAX_BYTES = env.int("CONTRACT_FILE_MAX_BYTES", default=10 * 1024 * 1024)
CONTRACT_FILE_TYPES = env.list(
    "CONTRACT_FILE_TYPES",
    default=[
        "application/pdf",
        "application/msword",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.oasis.opendocument.text",
        "image/png",
        "image/jpeg",
        "text/plain",
    ],
)
# Downloads tried per file before it is marked failed; the waits between runs double from the base.
CONTRACT_FILE_ATTEMPTS = env.int("CONTRACT_FILE_ATTEMPTS", default=5)
CONTRACT_FILE_RETRY_SECONDS = env.float("CONTRACT_FILE_RETRY_SECONDS", default=30.0)
# A status change that cannot be written to the deal for now (429, 5xx, timeouts) is tried again
# after waits doubling from the base, up to this many tries in all; then the contract shows it failed.
CONTRACT_STATUS_ATTEMPTS = env.int("CONTRACT_STATUS_ATTEMPTS", default=8)
CONTRACT_STATUS_RETRY_SECONDS = env.float("CONTRACT_STATUS_RETRY_SECONDS", default=5.0)
# The currency of a deal whose CRM names none (ISO 4217).
CONTRACT_DEFAULT_CURRENCY = env.str("CONTRACT_DEFAULT_CURRENCY", default="USD")

# The "sandbox" environment of every CRM (our local fake CRMs by default) is offered and its webhooks
# accepted only when this is on (default: DEBUG). Its built-in public secrets never count outside
# DEBUG (crm_integrations/core/environments.py): `make run` writes generated ones to .env.
CRM_SANDBOXES_ENABLED = env.bool("CRM_SANDBOXES_ENABLED", default=DEBUG)

# Webhook bodies larger than this are refused with 413 (HubSpot sends at most 100 events).
WEBHOOK_MAX_BODY_BYTES = env.int("WEBHOOK_MAX_BODY_BYTES", default=1024 * 1024)
# Refused webhook requests (bad signature, too large...) per client address and minute: past it they
# are answered 429 and not stored (crm_integrations/intake/refusals.py). Correctly signed ones never count.
WEBHOOK_REFUSED_PER_MINUTE = env.int("WEBHOOK_REFUSED_PER_MINUTE", default=60)
# Webhook events are taken in by rounds of at most WEBHOOK_INTAKE_BATCH records: at once when no round
# of their connection is under way, else by the next round, which the round under way queues as a task
# when it is done (crm_integrations/intake/batches.py).
WEBHOOK_INTAKE_BATCH = env.int("WEBHOOK_INTAKE_BATCH", default=1000)
# The share of a CRM account's API budget the intake's rounds keep to: after a round, the next starts
# no sooner than the round's calls take to refill at that share of the budget's pace (a round of six
# HubSpot calls at 100 per 10 s: 0.75 s), so a steady trickle is taken in by rounds that fit the budget.
WEBHOOK_INTAKE_BUDGET_SHARE = env.float("WEBHOOK_INTAKE_BUDGET_SHARE", default=0.8)
# ... and the share of that budget its rounds may spend at once after a quiet spell (a token bucket:
# a burst's first rounds go back to back, a trickle is paced once the allowance is spent). Share and
# burst together are kept within the whole budget.
WEBHOOK_INTAKE_BUDGET_BURST = env.float("WEBHOOK_INTAKE_BUDGET_BURST", default=0.15)
# How many intake rounds of one connection may run at once: a further round starts only when a whole
# WEBHOOK_INTAKE_BATCH waits and the API budget is not the bound (crm_integrations/intake/pacing.py),
# so a backlog uses several worker processes and rounds stay full.
WEBHOOK_INTAKE_PARALLEL_ROUNDS = env.int("WEBHOOK_INTAKE_PARALLEL_ROUNDS", default=2)
# A round beside another of the same connection takes at most this many records, so one
# connection's backlog never holds every worker process for long (another organization's lead waits
# for a process at most such a round).
WEBHOOK_INTAKE_BESIDE_BATCH = env.int("WEBHOOK_INTAKE_BESIDE_BATCH", default=200)
# A write whose answer never came and that a read back did not find is sent again no sooner than
# this (seconds): a request the CRM held may still land meanwhile (crm_integrations/core/write_once.py).
CRM_WRITE_SETTLE_SECONDS = env.float("CRM_WRITE_SETTLE_SECONDS", default=60.0)

# The resilient HTTP layer under every provider client (crm_integrations.core.http).
CRM_HTTP = {
    "CONNECT_TIMEOUT": env.float("CRM_HTTP_CONNECT_TIMEOUT", default=3.05),
    "READ_TIMEOUT": env.float("CRM_HTTP_READ_TIMEOUT", default=30.0),
    # Batch writes' own read timeout (HubSpot answers them well under a second): a write stuck at
    # the CRM holds a worker this long, then its records are read back (OutcomeUnknown).
    "WRITE_READ_TIMEOUT": env.float("CRM_HTTP_WRITE_READ_TIMEOUT", default=5.0),
    "MAX_ATTEMPTS": env.int("CRM_HTTP_MAX_ATTEMPTS", default=4),
    "BACKOFF_BASE": env.float("CRM_HTTP_BACKOFF_BASE", default=0.5),
    "BACKOFF_MAX": env.float("CRM_HTTP_BACKOFF_MAX", default=8.0),
    # A wait longer than this is not slept inline: the call raises "retry later" and the
    # Celery task reschedules itself, so no worker sleeps for minutes.
    "MAX_INLINE_WAIT": env.float("CRM_HTTP_MAX_INLINE_WAIT", default=10.0),
    "BREAKER_FAIL_MAX": env.int("CRM_BREAKER_FAIL_MAX", default=5),
    "BREAKER_RESET_TIMEOUT": env.float("CRM_BREAKER_RESET_TIMEOUT", default=30.0),
    # Chunks of one batch read in flight at once (a 1,000-lead round reads ~30 chunks of 100).
    "CONCURRENT_READS": env.int("CRM_HTTP_CONCURRENT_READS", default=4),
    # Where the shared rate limiter keeps its buckets: a SQLite file (one machine) or Redis.
    "RATE_LIMIT_STORAGE_URL": env.str(
        "RATE_LIMIT_STORAGE_URL", default=f"sqlite:///{VAR_DIR / 'ratelimit.sqlite3'}"
    ),
}
# Rate budgets per provider account come from the providers (crm_integrations/core/http/budgets.py,
# each adjustable by its own variables); entries here override them: {"<budget>": [[units, seconds]]}.
CRM_RATE_LIMITS: dict[str, list[list[float]]] = {}

# Retention (crm_integrations/retention.py, routing/retention.py): pruned daily by beat in batches
# of RETENTION_BATCH_SIZE rows, each its own short transaction; `manage.py prune_data --dry-run`
# shows what each would remove. 0 keeps that data for ever. Raw call records are rolled up
# (crm_integrations/rollups.py) before they are pruned; the rollups keep the health history.
DATA_RETENTION = {
    "WEBHOOK_BODY_DAYS": env.int("WEBHOOK_BODY_RETENTION_DAYS", default=30),
    "WEBHOOK_DAYS": env.int("WEBHOOK_RETENTION_DAYS", default=180),
    "API_CALL_DAYS": env.int("API_CALL_RETENTION_DAYS", default=14),
    "API_ROLLUP_MINUTE_DAYS": env.int("API_ROLLUP_MINUTE_RETENTION_DAYS", default=30),
    "API_ROLLUP_HOUR_DAYS": env.int("API_ROLLUP_HOUR_RETENTION_DAYS", default=400),
    # Provider health (crm_integrations/webhook_rollups.py, routing/timing_rollups.py, breaker changes).
    "HEALTH_ROLLUP_MINUTE_DAYS": env.int("HEALTH_ROLLUP_MINUTE_RETENTION_DAYS", default=30),
    "HEALTH_ROLLUP_HOUR_DAYS": env.int("HEALTH_ROLLUP_HOUR_RETENTION_DAYS", default=400),
    "BREAKER_TRANSITION_DAYS": env.int("BREAKER_TRANSITION_RETENTION_DAYS", default=90),
    "JOURNEY_DAYS": env.int("JOURNEY_RETENTION_DAYS", default=180),
    "DECISION_DAYS": env.int("DECISION_RETENTION_DAYS", default=180),
    "INCIDENT_DAYS": env.int("INCIDENT_RETENTION_DAYS", default=365),  # resolved incidents only
    "TRACE_DAYS": env.int("TRACE_RETENTION_DAYS", default=7),  # spans kept for the journey waterfall
    "BATCH_SIZE": env.int("RETENTION_BATCH_SIZE", default=1000),
}

# --- Alerts when a person is needed (crm_integrations/alerts/, docs/operations.md#alerts) --------
# Email through Django's mail settings: EMAIL_URL such as smtp+tls://user:password@smtp.example.com:587
# (default: the console, which prints each message in the worker's log).
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)  # EMAIL_BACKEND, EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER... (django-environ)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Lead Routing <alerts@localhost>")
ALERTS = {
    # A circuit breaker failing (open or half-open, no call through) for longer than this opens an incident.
    "BREAKER_OPEN_MINUTES": env.int("ALERT_BREAKER_OPEN_MINUTES", default=10),
    # Owner write-backs of the last WRITEBACK_WINDOW_MINUTES: an incident when at least
    # WRITEBACK_MIN_FAILURES failed (or wait for a retry) and they are WRITEBACK_FAILED_PERCENT or more.
    "WRITEBACK_WINDOW_MINUTES": env.int("ALERT_WRITEBACK_WINDOW_MINUTES", default=30),
    "WRITEBACK_MIN_FAILURES": env.int("ALERT_WRITEBACK_MIN_FAILURES", default=5),
    "WRITEBACK_FAILED_PERCENT": env.int("ALERT_WRITEBACK_FAILED_PERCENT", default=20),
    # Webhook events of new records waiting (pending or failed) longer than this, none taken in since.
    "INTAKE_STALL_MINUTES": env.int("ALERT_INTAKE_STALL_MINUTES", default=30),
    # A notice that could not be sent is tried again after this many seconds, once.
    "NOTICE_RETRY_SECONDS": env.int("ALERT_NOTICE_RETRY_SECONDS", default=300),
}

# --- Logging and errors -------------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact_secrets": {"()": "crm_integrations.core.redaction.RedactSecretsFilter"},
        # The trace id of the span the line was written in (crm_integrations/core/tracing/logs.py).
        "trace_id": {"()": "crm_integrations.core.tracing.logs.TraceIdLogFilter"},
    },
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s trace=%(trace_id)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["trace_id", "redact_secrets"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
}

# /metrics (crm_integrations/views/metrics.py): a staff session, or this token as a bearer (a scraper).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        send_default_pii=False,
        # Frame locals and request bodies may hold OAuth tokens, webhook payloads and passwords.
        include_local_variables=False,
        max_request_body_size="never",
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
        environment=env.str("SENTRY_ENVIRONMENT", default="production"),
    )
