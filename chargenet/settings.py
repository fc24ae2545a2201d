"""ChargeNet settings, read from the environment only.

With no variable set ChargeNet runs embedded: SQLite, an in-memory channel layer and
Celery tasks executed eagerly in-process. Every variable is documented in README.md.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CHARGENET_VAR_DIR", BASE_DIR / "var"))


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# The embedded default gets a per-checkout key so `make run` needs no setup; production
# must set SECRET_KEY (README: "Production").
EMBEDDED_SECRET_KEY = "embedded-insecure-key-set-SECRET_KEY-in-production"
SECRET_KEY = env("SECRET_KEY") or EMBEDDED_SECRET_KEY
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

# HTTPS=1: served over TLS (terminated at the balancer, which sets X-Forwarded-Proto).
# OCPP sockets are not HTTP requests, so the redirect never touches ws:// stations.
HTTPS = env_bool("HTTPS", False)
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    if not DEBUG and SECRET_KEY == EMBEDDED_SECRET_KEY:
        # Production (DEBUG=0 behind TLS) with the key everyone can read in this file:
        # sessions, password resets and signed cookies could be forged. Refuse to start.
        raise ImproperlyConfigured(
            "SECRET_KEY is not set: production (DEBUG=0, HTTPS=1) needs a secret of its own."
        )

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "chargenet",  # its system checks (chargenet/checks.py)
    "stations",
    "billing",
    "drivers",
    "demo",
    "webhooks",
    "reliability",
    "ocpi",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Pages show times without a site in the driver's or the operator's time zone.
    "drivers.clock.ClockMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "api.audit.AuditMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the 429 page.
    "axes.middleware.AxesMiddleware",
    # Innermost: a view's unreachable database or Redis answers 503 (runtime/outages.py).
    "runtime.outages.OutageMiddleware",
]

# Content-Security-Policy (django-csp): scripts only from here, or inline with the
# response's nonce; inline style attributes are allowed (bar widths, legend colours);
# the live pages' WebSocket is same-origin; Redoc runs its search in a blob: worker.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "worker-src": [SELF, "blob:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

ROOT_URLCONF = "chargenet.urls"
ASGI_APPLICATION = "chargenet.asgi.application"

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
            ],
        },
    },
]

# Database: PostgreSQL (psycopg 3) from DATABASE_URL, else an embedded SQLite file.
DATABASE_URL = env("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60)
        )
    }
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "chargenet.sqlite3",
        }
    }
# Threads (each with its own connection) that run stations' database work per daphne.
DATABASE_THREADS = env_int("DATABASE_THREADS", 12)
# The hot path's plain statements are prepared once per connection on PostgreSQL
# (runtime/sql.py); 0 behind a pooler that cannot keep them (PgBouncer before 1.21).
DATABASE_PREPARED = env_bool("DATABASE_PREPARED", True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and IMMEDIATE transactions let the server, the simulator's demo tasks and
    # tests share one file without "database is locked" errors.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # A file, not memory, so a live daphne started by the tests shares the test database.
    DATABASES["default"].setdefault("TEST", {}).setdefault(
        "NAME", str(VAR_DIR / f"test-{os.getpid()}.sqlite3")
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Channel layer and Celery: Redis when REDIS_URL is set, in-process otherwise.
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "runtime.channel_layer.ResilientRedisChannelLayer",
            "CONFIG": {
                # channels_redis blocks 5 s reading a channel; redis-py's default read
                # timeout is also 5 s, which would kill idle consumers: read longer.
                "hosts": [{"address": REDIS_URL, "socket_timeout": 15}],
                "capacity": 1000,
                "expiry": 30,
                # A station's socket may stay up for months; keep its group that long.
                "group_expiry": 365 * 86400,
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not REDIS_URL)
# Embedded mode (eager, no broker): `manage.py serve` runs the beat schedule itself
# (runtime/scheduler.py).
EMBEDDED_BEAT = env_bool("EMBEDDED_BEAT", True)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TIMEZONE = "UTC"
# A broker that goes away (Redis restarted) must never end the worker: retry the
# connection at start and for ever after, never give up after 100 attempts.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BROKER_POOL_LIMIT = 10
# A task whose acknowledgement died with the connection is run again (the work is
# idempotent), instead of running on unacknowledgeable.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # A message taken but not acknowledged (the worker died) is given out again
    # after this long; longer than the longest countdown (webhook retries, 1 h).
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 7200),
    "socket_timeout": 15,
    "socket_connect_timeout": 5,
    "retry_on_timeout": True,
    "health_check_interval": 30,
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "stations.services.passwords.StationPasswordHasher",
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "media/"
# Where stations reach ChargeNet over HTTP (diagnostics uploads); else the request's host.
CHARGENET_PUBLIC_URL = env("CHARGENET_PUBLIC_URL")
PORT = env_int("PORT", 8000)
DIAGNOSTICS_MAX_BYTES = env_int("DIAGNOSTICS_MAX_BYTES", 100 * 1024 * 1024)

EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "ChargeNet <noreply@localhost>")
# A card a driver adds waits for an operator's approval before it may charge.
DRIVER_CARDS_NEED_APPROVAL = env_bool("DRIVER_CARDS_NEED_APPROVAL", True)
# A TrueType CJK font for Chinese invoice PDFs; empty: the first Debian one installed.
INVOICE_CJK_FONT = env("INVOICE_CJK_FONT", "")

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard:overview"

# Brute-force throttling of every password login (operators, admin, drivers) by
# django-axes: the user name + address pair is locked after LOGIN_FAILURE_LIMIT
# failures for LOGIN_COOLOFF_MINUTES, the right password included; a success resets
# the count. The address, for every user name, after LOGIN_ADDRESS_FAILURE_LIMIT
# failures across user names (runtime.login_throttling.LoginFailures): one user
# guessing wrong does not lock out the office behind the same NAT, trying many user
# names does. Attempts live in the database, so every daphne process sees them.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_HANDLER = "runtime.login_throttling.LoginFailures"
LOGIN_ADDRESS_FAILURE_LIMIT = env_int("LOGIN_ADDRESS_FAILURE_LIMIT", 25)
# daphne --proxy-headers already puts the client's address in REMOTE_ADDR; a header
# the client sends itself (X-Forwarded-For) must never choose whom to lock out.
AXES_CLIENT_IP_CALLABLE = "runtime.login_throttling.client_address"
AXES_LOCKOUT_CALLABLE = "runtime.login_throttling.lockout_response"

REST_FRAMEWORK = {
    # Token first, so a request without credentials answers 401 with WWW-Authenticate.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.IsOperator"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "api.throttling.TokenRateThrottle",
        "api.throttling.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "token": env("API_RATE_TOKEN", "1200/min"),
        "anon": env("API_RATE_ANON", "60/min"),
    },
}
if REDIS_URL:
    # Throttle counters shared by every daphne process.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "chargenet",
        }
    }
SPECTACULAR_SETTINGS = {
    "TITLE": "ChargeNet API",
    "DESCRIPTION": "Stations, sessions, ID tokens and commands of a ChargeNet network.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Each command action's parameters as a component of its own (stations/commands/api_schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "stations.commands.api_schema.command_components",
    ],
    # Swagger UI and Redoc from our own static files: the docs work without internet.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Choice sets several components share keep their station-named enums.
    "ENUM_NAME_OVERRIDES": {
        "StationKindEnum": "stations.models.ChargingStation.Kind",
        "StationStatusEnum": "stations.api.serializers.CONNECTOR_STATUSES",
    },
}

# Prometheus metrics at /metrics of each process (runtime/metrics.py): answered to a
# request carrying `Authorization: Bearer METRICS_TOKEN` (when set), or coming from one
# of METRICS_ALLOWED_ADDRESSES (addresses or networks; empty: none).
METRICS_TOKEN = env("METRICS_TOKEN")
METRICS_ALLOWED_ADDRESSES = env_list("METRICS_ALLOWED_ADDRESSES", "127.0.0.1,::1")

# OCPP policy (README: "OCPP settings").
OCPP_UNKNOWN_STATIONS = env("OCPP_UNKNOWN_STATIONS", "reject")  # reject | pending
OCPP_REQUIRE_PASSWORD = env_bool("OCPP_REQUIRE_PASSWORD", False)
OCPP_HEARTBEAT_INTERVAL = env_int("OCPP_HEARTBEAT_INTERVAL", 300)
OCPP_PENDING_INTERVAL = env_int("OCPP_PENDING_INTERVAL", 60)
OCPP_PING_INTERVAL = env_int("OCPP_PING_INTERVAL", 30)
OCPP_COMMAND_TIMEOUT = env_int("OCPP_COMMAND_TIMEOUT", 30)
OCPP_MESSAGE_RETENTION_DAYS = env_int("OCPP_MESSAGE_RETENTION_DAYS", 30)
# Seconds a session the station seems to have dropped (reboot, connector Available)
# waits for a StopTransaction/TransactionEvent before stations.services.reconcile closes it.
OCPP_RECONCILE_GRACE = env_int("OCPP_RECONCILE_GRACE", 120)
# Days meter samples are kept before being rolled up into session summaries.
METER_SAMPLE_RETENTION_DAYS = env_int("METER_SAMPLE_RETENTION_DAYS", 90)
OCPP_LOG_FLUSH_INTERVAL = float(env("OCPP_LOG_FLUSH_INTERVAL", "0.5"))
OCPP_REMOTE_START_TIMEOUT = env_int("OCPP_REMOTE_START_TIMEOUT", 120)  # s to a session
# Seconds between the running costs (CostUpdated) sent to 2.x stations charging under
# a tariff (billing.tasks.send_cost_updates on the beat schedule); 0: never sent.
OCPP_COST_UPDATE_INTERVAL = env_int("OCPP_COST_UPDATE_INTERVAL", 60)

# Alarms (reliability/alarms): a station silent this long (s) is offline; this many
# failed sessions in a row on a port; an e-bike port drawing more than its rated power
# plus this share; a Temperature reading over this (°C). Mailed to ALARM_EMAILS, or to
# every active staff user with an e-mail address when it is empty.
ALARM_OFFLINE_AFTER = env_int("ALARM_OFFLINE_AFTER", 600)
ALARM_FAILED_SESSIONS_IN_A_ROW = env_int("ALARM_FAILED_SESSIONS_IN_A_ROW", 3)
ALARM_OVERLOAD_MARGIN = float(env("ALARM_OVERLOAD_MARGIN", "0.10"))
ALARM_TEMPERATURE_LIMIT_C = env_int("ALARM_TEMPERATURE_LIMIT_C", 70)
ALARM_EMAILS = env_list("ALARM_EMAILS", "")
OCPP_MAX_STATION_ID_LENGTH = 48
OCPP_MAX_FRAME_SIZE = env_int("OCPP_MAX_FRAME_SIZE", 256 * 1024)  # characters
OCPP_RATE_LIMIT = float(env("OCPP_RATE_LIMIT", "20"))  # messages/s per station, sustained
OCPP_RATE_BURST = env_int("OCPP_RATE_BURST", 200)  # messages at once
# Every frame counts by size too, replies and malformed frames included. A busy real
# station sends a few kB a second at most (MeterValues of every measurand every few
# seconds, a status burst after a reboot); diagnostics and firmware go over HTTP/FTP,
# not OCPP. 64 KiB/s is far above that, and the 1 MiB burst lets four frames of the
# largest size (OCPP_MAX_FRAME_SIZE, 256 KiB) through at once. A flood of large frames
# (600 CallResults of 250 kB) is refused after the first few.
OCPP_RATE_BYTES = env_int("OCPP_RATE_BYTES", 64 * 1024)  # bytes/s per station, sustained
OCPP_RATE_BYTES_BURST = env_int("OCPP_RATE_BYTES_BURST", 1024 * 1024)  # bytes at once
# Frames refused for the limits above, with no second's pause between refusals, after
# which the station is disconnected (close code 1008). 500: 25 s at twice the rate.
OCPP_RATE_REFUSALS = env_int("OCPP_RATE_REFUSALS", 500)
# Bytes of one frame the message log keeps; the rest is replaced by its size and SHA-256.
OCPP_LOG_MAX_PAYLOAD = env_int("OCPP_LOG_MAX_PAYLOAD", 64 * 1024)
# Frames the message log holds in memory while the database is unreachable, written
# when it answers again; beyond this the oldest are dropped (counted and logged).
OCPP_LOG_OUTAGE_BUFFER = env_int("OCPP_LOG_OUTAGE_BUFFER", 100_000)
# Handshakes one process runs at once; more wait up to OCPP_HANDSHAKE_WAIT s, then 503.
# A slot is held across Redis and event-loop waits too, so it is set well above
# DATABASE_THREADS: with 32, a 200-at-a-time burst left the database threads idle.
OCPP_HANDSHAKE_CONCURRENCY = env_int("OCPP_HANDSHAKE_CONCURRENCY", 128)
OCPP_HANDSHAKE_WAIT = float(env("OCPP_HANDSHAKE_WAIT", "5"))
# Refused handshakes (400/401/404) per minute before 429 at once: for one station id from
# one address, and (much higher, so a depot's NAT is not locked out by one misconfigured
# station) for all ids from one address.
OCPP_HANDSHAKE_FAILURE_LIMIT = env_int("OCPP_HANDSHAKE_FAILURE_LIMIT", 30)
OCPP_HANDSHAKE_ADDRESS_FAILURE_LIMIT = env_int("OCPP_HANDSHAKE_ADDRESS_FAILURE_LIMIT", 300)

# Certificates (stations/pki/): the CA that signs stations' CSRs (SignCertificate; none:
# Rejected), the CSO's name their subject must carry, and how long a certificate lasts.
OCPP_CA_CERT = env("OCPP_CA_CERT")  # PEM: the signing certificate first, then its chain
OCPP_CA_KEY = env("OCPP_CA_KEY")  # PEM private key of the signing certificate
OCPP_V2G_CA_CERT = env("OCPP_V2G_CA_CERT")  # the same for ISO 15118 (V2GCertificate)
OCPP_V2G_CA_KEY = env("OCPP_V2G_CA_KEY")
OCPP_CA_ORGANIZATION = env("OCPP_CA_ORGANIZATION")  # CSR subject O; empty: not checked
OCPP_CERTIFICATE_DAYS = env_int("OCPP_CERTIFICATE_DAYS", 365)
# Certificate status and ISO 15118 contract certificates: the provider class, and what the
# local one uses (an OCSP responder; a contract-certificate service; trusted MO/V2G roots).
OCPP_CERTIFICATE_PROVIDER = env(
    "OCPP_CERTIFICATE_PROVIDER", "stations.pki.local.LocalCertificateProvider"
)
OCPP_OCSP_RESPONDER_URL = env("OCPP_OCSP_RESPONDER_URL")  # empty: the URL the station names
OCPP_CONTRACT_CERTIFICATE_URL = env("OCPP_CONTRACT_CERTIFICATE_URL")  # empty: none
OCPP_CONTRACT_ROOTS = env("OCPP_CONTRACT_ROOTS")  # PEM file of V2G/MO root and sub-CAs
OCPP_PKI_TIMEOUT = float(env("OCPP_PKI_TIMEOUT", "5"))  # s per OCSP / contract request
# Security profile 3: the balancer's header with the verified client certificate's
# subject, trusted only from these addresses (the balancers').
OCPP_CLIENT_CERT_HEADER = env("OCPP_CLIENT_CERT_HEADER", "X-SSL-Client-CN")
OCPP_TRUSTED_PROXIES = env_list("OCPP_TRUSTED_PROXIES", "127.0.0.1,::1")
# OCPI 2.2.1 (ocpi/): who ChargeNet is to roaming parties, and where it answers. The base
# URL is the public origin the parties reach (/ocpi/ is appended); it defaults to
# CHARGENET_PUBLIC_URL, else to the origin of the request being answered.
OCPI_COUNTRY_CODE = env("OCPI_COUNTRY_CODE", "NL")
OCPI_PARTY_ID = env("OCPI_PARTY_ID", "CNT")
OCPI_BUSINESS_NAME = env("OCPI_BUSINESS_NAME", "ChargeNet")
OCPI_BUSINESS_WEBSITE = env("OCPI_BUSINESS_WEBSITE")
OCPI_BASE_URL = env("OCPI_BASE_URL", CHARGENET_PUBLIC_URL)
OCPI_TIMEOUT = float(env("OCPI_TIMEOUT", "10"))
OCPI_PAGE_LIMIT = env_int("OCPI_PAGE_LIMIT", 100)
# The public open-data feed (/ocpi/public/...) is rebuilt at most this often.
OCPI_PUBLIC_CACHE_SECONDS = env_int("OCPI_PUBLIC_CACHE_SECONDS", 30)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        # The ocpp library logs every frame at INFO; ChargeNet keeps its own log.
        "ocpp": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
        "django.channels.server": {"level": "WARNING"},
    },
}
