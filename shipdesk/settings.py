"""ShipDesk settings, read from the environment (see README: Environment).

Development defaults are safe and need no configuration: SQLite under var/, the ORM
broker for django-q2, the embedded Stamps.com sandbox and the console SMS back-end.
With DEBUG off the project refuses to start without a real SECRET_KEY and encryption keys.
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

# Generic Django classes (ModelAdmin[Model], QuerySet[Model]) can be subscripted at run time.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("SHIPDESK_VAR_DIR", BASE_DIR / "var"))

TRUTHY = {"1", "true", "yes", "on"}
FALSY = {"0", "false", "no", "off", ""}


def envbool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUTHY:
        return True
    if value in FALSY:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0/true/false, not {raw!r}")


def envint(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}") from exc


def envlist(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = envbool("DEBUG", True)
TESTING = "pytest" in sys.modules or envbool("SHIPDESK_TESTING", False)

_DEV_SECRET_KEY = "django-insecure-shipdesk-development-only-key-do-not-use-in-production"
# A development-only Fernet key (urlsafe base64 of 32 bytes); production must set its own.
_DEV_ENCRYPTION_KEY = "c2hpcGRlc2stZGV2LW9ubHktZW5jcnlwdGlvbi1rZXk="

SECRET_KEY = os.environ.get("SECRET_KEY", "")
FIELD_ENCRYPTION_KEYS = envlist("FIELD_ENCRYPTION_KEYS", [])
if DEBUG:
    SECRET_KEY = SECRET_KEY or _DEV_SECRET_KEY
    FIELD_ENCRYPTION_KEYS = FIELD_ENCRYPTION_KEYS or [_DEV_ENCRYPTION_KEY]
else:
    if not SECRET_KEY or SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set to a random value of at least 50 characters when DEBUG is off."
        )
    if not FIELD_ENCRYPTION_KEYS or _DEV_ENCRYPTION_KEY in FIELD_ENCRYPTION_KEYS:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS must list at least one Fernet key when DEBUG is off "
            "(generate one with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())')."
        )

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    # Otherwise every request would get a bare 400 and the server would look healthy.
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS must list the host names ShipDesk answers to when DEBUG is off "
        "(comma-separated, e.g. shipdesk.example.com)."
    )
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_q",
    "axes",
    "merchants",
    "carriers",
    "funding",
    "locations",
    "orders",
    "shipments",
    "endofday",
    "tracking",
    "support",
    "front",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # A NUL character in the address is refused in words (PostgreSQL can't compare it).
    "merchants.nul.NulCharacterMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "merchants.tenancy.MerchantMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "shipdesk.urls"
WSGI_APPLICATION = "shipdesk.wsgi.application"
ASGI_APPLICATION = "shipdesk.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "merchants.tenancy.merchant_context",
                "merchants.confirmation.banner",
                "carriers.context_processors.carrier_alerts",
            ],
            "builtins": ["django_htmx.templatetags.django_htmx"],
        },
    }
]

DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        # Worker processes (tests, benchmarks) share a SQLite file: the same settings as below,
        # and a test database that is a file beside it (never memory, which a worker process
        # started by a test or a benchmark could not see: it would wait for rows forever).
        DATABASES["default"]["OPTIONS"] = {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
        _db_file = Path(DATABASES["default"]["NAME"] or VAR_DIR / "shipdesk.sqlite3")
        if str(_db_file) != ":memory:":
            DATABASES["default"]["TEST"] = {
                "NAME": str(_db_file.with_name(f"test_{_db_file.stem}_{os.getpid()}.sqlite3"))
            }
    elif DATABASES["default"]["ENGINE"].endswith("postgresql"):
        # No parallel workers: every list reads a page (LIMIT 51), and a parallel scan under a
        # LIMIT keeps its workers reading far past it (a SKU search read 560,000 orders to show
        # 50, in a second, where one process reads 30,000 in 50 ms). Web requests need one core
        # each, not three.
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
            "-c max_parallel_workers_per_gather=0"
        )
        # The hot paths' own statements (merchants.rows.prepared_cursor) are prepared on
        # their 5th run on a connection, then parsed and planned no more; Django's own
        # cursors never prepare. Behind a pooler that hands one server connection to many
        # clients (PgBouncer in transaction mode without max_prepared_statements), turn it
        # off with DATABASE_PREPARED_STATEMENTS=0.
        DATABASES["default"]["OPTIONS"]["prepare_threshold"] = (
            5 if os.environ.get("DATABASE_PREPARED_STATEMENTS", "1") != "0" else None
        )
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "shipdesk.sqlite3"),
            # The web server and the qcluster worker share this file: wait for locks
            # instead of failing, and start write transactions eagerly to avoid upgrades
            # from read to write locks deadlocking.
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            # A file, not memory: tests start real worker processes that share it. One per
            # test run, so two runs on one machine never share (or delete) each other's.
            "TEST": {"NAME": str(VAR_DIR / f"test_shipdesk_{os.getpid()}.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # First: refuses to even check a password while that login is locked out.
    "axes.backends.AxesStandaloneBackend",
    # Then: refuses an address that failed too many sign-ins across any e-mails (spraying).
    "merchants.auth.SprayGuardBackend",
    "merchants.auth.EmailBackend",
]
# Login rate limiting (django-axes): 5 failures for one e-mail from one address lock that
# pair for 15 minutes. Keyed on the pair, so nobody can lock a merchant out from elsewhere.
AXES_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Failures are counted under the e-mail as sign-in matches it: trimmed, lower case.
AXES_USERNAME_CALLABLE = "merchants.auth.login_name"
# PROXY_COUNT: the number of reverse proxies in front of ShipDesk (0 = clients connect
# directly). Each proxy appends the address it saw to X-Forwarded-For and the nearest one is
# REMOTE_ADDR, so the header lists PROXY_COUNT - 1 proxies after the client: ipware's count.
# Only the right-hand entries are trusted (a client can forge the left ones), and without a
# proxy the header is ignored entirely.
PROXY_COUNT = envint("PROXY_COUNT", 0)
AXES_IPWARE_META_PRECEDENCE_ORDER: tuple[str, ...]
AXES_IPWARE_PROXY_COUNT: int | None
if PROXY_COUNT:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    AXES_IPWARE_PROXY_COUNT = PROXY_COUNT - 1
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)
    AXES_IPWARE_PROXY_COUNT = None
# Not strict: a header with more entries than proxies (a client's own X-Forwarded-For, or a
# corporate proxy's) still yields the address our first proxy saw, not the proxy itself.
IPWARE_STRICT = False
# Abuse limits (django-ratelimit counters in the cache, keyed on the same client address).
RATELIMIT_IP_META_KEY = "merchants.limits.client_ip"
LOGIN_SPRAY_LIMIT = envint("LOGIN_SPRAY_LIMIT", 20)  # failed sign-ins per address, 15 minutes
SIGNUP_LIMIT = envint("SIGNUP_LIMIT", 5)  # sign-ups per address per hour
PASSWORD_RESET_LIMIT = envint("PASSWORD_RESET_LIMIT", 5)  # per address and per e-mail, hour
TWO_STEP_FAILURE_LIMIT = envint("TWO_STEP_FAILURE_LIMIT", 5)  # wrong codes per person, 15 min
TWO_STEP_PENDING_SECONDS = 300  # between the right password and the code
CONFIRMATION_RESEND_LIMIT = envint("CONFIRMATION_RESEND_LIMIT", 3)  # per person per hour
INVITATION_TIMEOUT = envint("INVITATION_TIMEOUT", 7 * 24 * 3600)  # seconds
EMAIL_CONFIRMATION_TIMEOUT = envint("EMAIL_CONFIRMATION_TIMEOUT", 3 * 24 * 3600)  # seconds
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

MAILERS = {
    "default": {
        "BACKEND": os.environ.get(
            "EMAIL_BACKEND",
            "django.core.mail.backends.console.EmailBackend"
            if DEBUG
            else "django.core.mail.backends.smtp.EmailBackend",
        ),
    }
}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "ShipDesk <no-reply@shipdesk.test>")

# Content-Security-Policy: nothing loads from outside, and no inline script runs without
# the per-request nonce (htmx is served by django-htmx with that nonce).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

REDIS_URL = os.environ.get("REDIS_URL", "")
# Two django-q2 clusters, so a 500-label batch never delays a purchase waiting to be confirmed:
# `manage.py qcluster` runs the short jobs (following purchases, auto-funding, tracking,
# webhooks, e-mails) and every schedule (the sweeps); `Q_CLUSTER_NAME=shipdesk-long manage.py
# qcluster` runs the long ones (label batches, imports, address checks of an import). Each may
# run on as many hosts as needed: they share the broker and the database.
# Every job names its cluster: one queued from inside a worker would otherwise go to that
# worker's own cluster (django-q2's default), e.g. a label's auto-funding check to the batches.
Q_SHORT_CLUSTER = "shipdesk"
Q_LONG_CLUSTER = "shipdesk-long"
Q_CLUSTER: dict = {
    "name": Q_SHORT_CLUSTER,
    "workers": envint("Q_WORKERS", 2),
    "timeout": envint("Q_TIMEOUT", 600),
    # retry must exceed timeout, or a long batch is handed to a second worker.
    "retry": envint("Q_TIMEOUT", 600) + 60,
    "max_attempts": 1,
    "catch_up": False,
    "poll": 0.5,
    "ack_failures": True,
    "save_limit": 1000,
    "label": "Background jobs",
    "ALT_CLUSTERS": {
        Q_LONG_CLUSTER: {
            "workers": envint("Q_LONG_WORKERS", envint("Q_WORKERS", 2)),
            "timeout": envint("Q_LONG_TIMEOUT", envint("Q_TIMEOUT", 600) * 3),
            "retry": envint("Q_LONG_TIMEOUT", envint("Q_TIMEOUT", 600) * 3) + 60,
        }
    },
}
if REDIS_URL:
    # No acknowledgements: a task a dying worker held is gone. Every job is recovered by a
    # sweep (purchases, labels left buying, batches without a heartbeat), never by the broker.
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

CACHES = {
    "default": (
        # merchants.cache: Django's Redis backend, keeping its clients (it builds one a call).
        {"BACKEND": "merchants.cache.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
# Sessions: with Redis, read from the cache and written through to the database (cached_db), so
# a page costs no session query and a Redis flush signs nobody out. Without Redis the cache is
# per process, so the database alone.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if REDIS_URL
    else "django.contrib.sessions.backends.db"
)

# Stamps.com. The sandbox is served by this same process in development and tests.
STAMPS_SANDBOX = envbool("STAMPS_SANDBOX", DEBUG)
# The sandbox signs anyone in to its accounts and voids labels on request: never in production.
# Only the load benchmark, which measures production mode against it, may say otherwise.
if STAMPS_SANDBOX and not DEBUG and not envbool("STAMPS_SANDBOX_LOAD_BENCHMARK", False):
    raise ImproperlyConfigured(
        "STAMPS_SANDBOX=1 is for development: it cannot run with DEBUG off. "
        "Unset STAMPS_SANDBOX in production."
    )
# The sandbox is a development and test stand-in for Stamps.com: production databases never
# get its tables, and its URLs are mounted only when it is on (shipdesk/urls.py).
if STAMPS_SANDBOX:
    INSTALLED_APPS.append("carriers.stamps.sandbox")
STAMPS_WSDL_URL = os.environ.get("STAMPS_WSDL_URL", "")
STAMPS_INTEGRATION_ID = os.environ.get(
    "STAMPS_INTEGRATION_ID", "00000000-0000-0000-0000-000000000000" if DEBUG else ""
)
STAMPS_TIMEOUT = envint("STAMPS_TIMEOUT", 20)
# Where the client finds the sandbox (it runs in this process under `make run`).
STAMPS_SANDBOX_URL = os.environ.get(
    "STAMPS_SANDBOX_URL", "http://127.0.0.1:8000/sandbox/stamps/swsim.asmx"
)
# Seconds the sandbox keeps a voided label's refund pending before it credits the balance
# (R41: live, USPS approves refunds within days, up to about three weeks).
STAMPS_SANDBOX_REFUND_DELAY = envint("STAMPS_SANDBOX_REFUND_DELAY", 300)
# Re-addresses the WSDL's service (e.g. the real v135 WSDL pointed at the sandbox).
STAMPS_SERVICE_URL = os.environ.get("STAMPS_SERVICE_URL", "")
# Temporary failures of read-only calls (and of purchases with the same IntegratorTxID).
STAMPS_RETRIES = envint("STAMPS_RETRIES", 2)
STAMPS_RETRY_BACKOFF_MS = envint("STAMPS_RETRY_BACKOFF_MS", 500)
# Calls in flight at once per Stamps.com account, across every web and worker process
# (carriers/stamps/limits.py); half as many for STAMPS_SLOW_BACKOFF_SECONDS after an answer
# slower than STAMPS_SLOW_CALL_SECONDS (or none). A call waits at most STAMPS_IN_FLIGHT_WAIT
# seconds for a slot.
STAMPS_MAX_IN_FLIGHT = envint("STAMPS_MAX_IN_FLIGHT", 10)
STAMPS_IN_FLIGHT_WAIT = envint("STAMPS_IN_FLIGHT_WAIT", 60)
STAMPS_SLOW_CALL_SECONDS = envint("STAMPS_SLOW_CALL_SECONDS", 5)
STAMPS_SLOW_BACKOFF_SECONDS = envint("STAMPS_SLOW_BACKOFF_SECONDS", 30)

# Features. Every knob lives here, read from the environment, so code reads settings.X.
ORDERS_IMPORT_INLINE_MAX_ROWS = envint("ORDERS_IMPORT_INLINE_MAX_ROWS", 300)
# Upper bounds of one CSV file (a ShipStation export has about 60 columns).
ORDERS_IMPORT_MAX_COLUMNS = envint("ORDERS_IMPORT_MAX_COLUMNS", 200)
ORDERS_IMPORT_MAX_ROWS = envint("ORDERS_IMPORT_MAX_ROWS", 100_000)
ORDERS_MAX_ITEMS_PER_ORDER = envint("ORDERS_MAX_ITEMS_PER_ORDER", 100)
ORDERS_JOBS_SYNC = envbool("ORDERS_JOBS_SYNC", False)
RATE_CACHE_SECONDS = envint("RATE_CACHE_SECONDS", 120)
# A label batch is bought by LABEL_BATCH_RUNNERS tasks at once on the long-jobs clusters,
# LABEL_BATCH_THREADS labels at once over all of them (0: twice STAMPS_MAX_IN_FLIGHT, so one
# batch alone keeps the account's every slot busy). shipments/batches.py.
LABEL_BATCH_RUNNERS = envint("LABEL_BATCH_RUNNERS", 3)
LABEL_BATCH_THREADS = envint("LABEL_BATCH_THREADS", 0)
LABEL_BATCH_STALE_SECONDS = envint("LABEL_BATCH_STALE_SECONDS", 120)
# A bought label whose follow-up job (its image, tracking, the customer's e-mail, webhooks)
# has not finished this long after the purchase lost that job (a worker died; Redis has no
# acknowledgements): the sweep queues it again, LABEL_FOLLOW_UP_CHUNK labels a pass. Longer
# than the short queue ever lags, or a job merely late would run twice.
LABEL_FOLLOW_UP_AFTER_SECONDS = envint("LABEL_FOLLOW_UP_AFTER_SECONDS", 600)
LABEL_FOLLOW_UP_CHUNK = envint("LABEL_FOLLOW_UP_CHUNK", 200)
FUNDING_POLL_SECONDS = envint("FUNDING_POLL_SECONDS", 2)
# Tracking (the tracking app): where links in customer e-mails point, how many public
# tracking pages one address may open a minute, and webhooks. Plain HTTP and private or
# loopback webhook addresses are refused unless WEBHOOKS_ALLOW_PRIVATE (default: DEBUG).
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
TRACKING_PAGE_RATE_PER_MINUTE = envint("TRACKING_PAGE_RATE_PER_MINUTE", 30)
WEBHOOKS_ALLOW_PRIVATE = envbool("WEBHOOKS_ALLOW_PRIVATE", DEBUG)
WEBHOOK_TIMEOUT = envint("WEBHOOK_TIMEOUT", 10)

# R42: Stamps.com sends and checks the code itself (``carrier``) unless ShipDesk is a
# verification partner: then a code Stamps.com issued to the partner goes with the phone number
# ShipDesk verified (``twilio``; ``console`` in development). The sandbox "issues" its own.
# How long the sandbox's label image links work (the carrier's expire too).
STAMPS_SANDBOX_IMAGE_TTL = envint("STAMPS_SANDBOX_IMAGE_TTL", 3600)
STAMPS_SANDBOX_PARTNER_CODE = os.environ.get("STAMPS_SANDBOX_PARTNER_CODE", "SANDBOX-PARTNER-7731")
STAMPS_PARTNER_VERIFICATION_CODE = os.environ.get(
    "STAMPS_PARTNER_VERIFICATION_CODE", STAMPS_SANDBOX_PARTNER_CODE if STAMPS_SANDBOX else ""
)
SMS_BACKEND = os.environ.get("SMS_BACKEND", "console" if DEBUG else "carrier")
TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN", "")
TWILIO_VERIFY_SERVICE_SID = os.environ.get("TWILIO_VERIFY_SERVICE_SID", "")
TWILIO_TIMEOUT = envint("TWILIO_TIMEOUT", 10)  # seconds for one Verify request
# Two-step sign-in by text message (merchants.sms): ``twilio`` (Verify v2), ``console``
# (development: the code is shown on the code page) or ``off`` (authenticator apps only). Not
# SMS_BACKEND: Stamps.com (``carrier``) only verifies its own accounts' phones.
TWO_STEP_SMS_BACKEND = os.environ.get(
    "TWO_STEP_SMS_BACKEND",
    "console" if DEBUG else ("twilio" if TWILIO_VERIFY_SERVICE_SID else "off"),
)
TWO_STEP_SMS_SEND_LIMIT = envint("TWO_STEP_SMS_SEND_LIMIT", 5)  # texts per person (and number)/h
# The console back-ends show the code they "sent" on the page itself: in production anyone
# holding a stolen password would read the code meant for the owner's phone.
for _name, _backend in (
    ("SMS_BACKEND", SMS_BACKEND),
    ("TWO_STEP_SMS_BACKEND", TWO_STEP_SMS_BACKEND),
):
    if _backend == "console" and not DEBUG:
        raise ImproperlyConfigured(
            f"{_name}=console shows verification codes on the page: it is for development and "
            "cannot run with DEBUG off. Use a real back-end (see README)."
        )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"quiet_enqueued": {"()": "shipdesk.logs.QuietEnqueued"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # zeep logs whole SOAP envelopes at DEBUG, credentials included: never let it.
        "zeep": {"level": "WARNING"},
        # twilio logs every request's URL and headers at INFO: nothing anyone needs to read.
        "twilio": {"level": "WARNING"},
        # A line for every job queued, on the merchant's wait: see shipdesk.logs.
        "django-q": {"filters": ["quiet_enqueued"]},
    },
}
