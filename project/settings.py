"""Settings for the chat, read from environment variables with safe local defaults.

DEBUG is off unless DEBUG=true (`make run` sets it for local use, in the
checkout's local.env, which is read first: project/local_env.py); with it
off SECRET_KEY is required. In production set at least SECRET_KEY,
ALLOWED_HOSTS, DATABASE_URL and REDIS_URL (docs/configuration.md).
"""

import os
from pathlib import Path

import dj_database_url
import dj_email_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff
from redis.retry import Retry

from . import local_env

BASE_DIR = Path(__file__).resolve().parent.parent

# A local trial's settings (`make run`), under whatever the environment sets.
local_env.load()


def env_bool(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_int(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def env_list(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    # Only for local development: DEBUG is on and nothing is deployed.
    SECRET_KEY = "django-insecure-local-development-only-key-0123456789-abcdefghij"
# Rotating the key: the previous one here keeps sessions signed with it valid
# until they are re-signed or expire (docs/security.md, "Rotating the secret key").
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", [])

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    # daphne first: its runserver serves HTTP and WebSockets in one process.
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "django_htmx",
    "core",
    "frontend",
    "accounts",
    "rooms",
    "realtime",
    "search",
    "files",
    "django_tasks_db",
    "integrations",
    "notifications",
    "operations",
    "push",
    "transfer",
]

MIDDLEWARE = [
    # Outermost: every request gets its id in the log context and is timed
    # whole, the answers below it included (core/middleware.py).
    "core.middleware.request_context",
    # Next: it sees every answer, to make those under /api/ JSON.
    "integrations.middleware.api_errors_as_json",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Django's, taking the token from the X-CSRFToken header before any body (core/csrf.py).
    "core.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.login_throttle",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "project.urls"
ASGI_APPLICATION = "project.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "accounts.context_processors.signup",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("CONN_MAX_AGE", 0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several threads (daphne's sync pool) write at once: wait instead of
    # failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT: the app's queries are short index scans, but once a table
    # holds millions of rows the planner's cost estimates pass jit_above_cost
    # and PostgreSQL spends ~300 ms compiling each such query before running
    # it for a few ms (measured by bench/datascale at 1M messages).
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} -c jit=off".strip()
    # Each process keeps its connections in a pool (psycopg's, through
    # Django): every request and every socket handler's database call takes
    # one and gives it back, instead of opening a connection (a new
    # PostgreSQL backend process) per request and per socket frame. Sized
    # for one web process: the sockets' handlers share one thread, each
    # HTTP request in flight holds one more. A request that finds the pool
    # exhausted waits up to DATABASE_POOL_TIMEOUT seconds for a connection.
    # DATABASE_POOL_MAX_SIZE=0 turns the pool off (then CONN_MAX_AGE keeps
    # one connection per thread, as before).
    pool_max_size = env_int("DATABASE_POOL_MAX_SIZE", 10)
    if pool_max_size > 0:
        pool_min_size = env_int("DATABASE_POOL_MIN_SIZE", 2)
        if not 0 <= pool_min_size <= pool_max_size:
            raise ImproperlyConfigured(
                f"DATABASE_POOL_MIN_SIZE ({pool_min_size}) must be between 0 and "
                f"DATABASE_POOL_MAX_SIZE ({pool_max_size})"
            )
        options["pool"] = {
            "min_size": pool_min_size,
            "max_size": pool_max_size,
            "timeout": env_int("DATABASE_POOL_TIMEOUT", 10),
        }
        # Django refuses persistent connections with a pool: the pool keeps them.
        DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Channels: in-memory layer for one process; Redis shares rooms across processes.
REDIS_URL = os.environ.get("REDIS_URL", "")
# Heroku-style Redis presents a self-signed certificate over rediss://.
REDIS_SSL_VERIFY = env_bool("REDIS_SSL_VERIFY", False)


def redis_options(url):
    """Options for every asyncio Redis connection pool (channel layer,
    presence). Pooled connections idle for a second are checked before use,
    and a check or command that finds its connection dead reconnects and
    tries once more: after a Redis restart every pooled connection is dead,
    and each would otherwise fail one caller (a message's broadcast, a
    presence announcement). A command tried twice can at worst deliver a
    fragment twice, which pages drop by id. A self-signed certificate is
    accepted over rediss:// unless REDIS_SSL_VERIFY is true."""
    options = {"health_check_interval": 1, "socket_connect_timeout": 5, "retry": AsyncRetry(NoBackoff(), 1)}
    if url.startswith("rediss://") and not REDIS_SSL_VERIFY:
        options["ssl_cert_reqs"] = None
    return options


REDIS_OPTIONS = redis_options(REDIS_URL)

if REDIS_URL:
    if not REDIS_URL.startswith(("redis://", "rediss://")):
        raise ImproperlyConfigured("REDIS_URL must start with redis:// or rediss://")
    CHANNEL_LAYERS = {
        "default": {
            # channels-redis's, receiving in batches (realtime/layer.py).
            "BACKEND": "realtime.layer.RedisChannelLayer",
            "CONFIG": {
                # channels-redis blocks 5 s per BZPOPMIN; redis-py 8 also times
                # reads out after 5 s by default, which would turn every idle
                # receive into an error.
                "hosts": [{"address": REDIS_URL, **REDIS_OPTIONS, "socket_timeout": 15}],
                "prefix": "chat",
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "chat",
            # The cache's client is synchronous: same options, its own kind of retry.
            "OPTIONS": {**REDIS_OPTIONS, "retry": Retry(NoBackoff(), 1)},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "rooms:list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Files served at the site's root by WhiteNoise: /favicon.ico (scripts/make-favicon).
WHITENOISE_ROOT = BASE_DIR / "frontend" / "root"
# Attachments (files/): the local MEDIA_ROOT unless AWS_STORAGE_BUCKET_NAME
# names an S3-compatible bucket. Either way files are only ever fetched
# through files/views.py, which checks the reader: MEDIA_URL is not served.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or BASE_DIR / "media")
MEDIA_URL = "media/"
AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")
# How long a signed URL, issued after the permission check, stays valid.
CHAT_FILE_URL_SECONDS = env_int("CHAT_FILE_URL_SECONDS", 60)


def s3_storage(environ):
    """django-storages' S3 backend for the bucket `environ` names, private
    objects read through signed URLs. Keys come from AWS_ACCESS_KEY_ID /
    AWS_SECRET_ACCESS_KEY (or whatever else boto3 finds: an instance role)."""
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": environ["AWS_STORAGE_BUCKET_NAME"],
            "endpoint_url": environ.get("AWS_S3_ENDPOINT_URL") or None,
            "access_key": environ.get("AWS_ACCESS_KEY_ID") or None,
            "secret_key": environ.get("AWS_SECRET_ACCESS_KEY") or None,
            "region_name": environ.get("AWS_S3_REGION_NAME") or None,
            "addressing_style": environ.get("AWS_S3_ADDRESSING_STYLE") or None,
            "signature_version": "s3v4",
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": CHAT_FILE_URL_SECONDS,
            "file_overwrite": False,
        },
    }


def s3_origins(environ):
    """Where a browser loads images from once redirected to a signed URL (CSP img-src)."""
    if not environ.get("AWS_STORAGE_BUCKET_NAME"):
        return []
    if environ.get("AWS_S3_ENDPOINT_URL"):
        from urllib.parse import urlsplit

        endpoint = urlsplit(environ["AWS_S3_ENDPOINT_URL"])
        # Path-style URLs on the endpoint itself, virtual-hosted ones on a subdomain.
        return [f"{endpoint.scheme}://{endpoint.netloc}", f"{endpoint.scheme}://*.{endpoint.netloc}"]
    return ["https://*.amazonaws.com"]


STORAGES = {
    "default": (
        s3_storage(os.environ)
        if AWS_STORAGE_BUCKET_NAME
        else {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    ),
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "core.storage.ModuleAwareStaticFilesStorage"
        )
    },
}

# Chat behaviour.
CHAT_MAX_MESSAGE_LENGTH = env_int("CHAT_MAX_MESSAGE_LENGTH", 2000)
CHAT_RATE_LIMIT_MESSAGES = env_int("CHAT_RATE_LIMIT_MESSAGES", 10)
CHAT_RATE_LIMIT_SECONDS = env_int("CHAT_RATE_LIMIT_SECONDS", 10)
# Authors may edit a message for this long after sending (delete any time).
CHAT_EDIT_WINDOW_SECONDS = env_int("CHAT_EDIT_WINDOW_SECONDS", 900)
CHAT_HISTORY_LENGTH = 50
# Reactions: at most this many different emoji on one message, and per
# person on one message (a row of buttons, not a wall).
CHAT_REACTION_EMOJI_PER_MESSAGE = 20
CHAT_REACTION_EMOJI_PER_PERSON = 10
# A dead process's presence entries vanish within TTL + HEARTBEAT seconds.
CHAT_PRESENCE_TTL = env_int("CHAT_PRESENCE_TTL", 60)
CHAT_PRESENCE_HEARTBEAT = env_int("CHAT_PRESENCE_HEARTBEAT", 20)
# Fragments for a room that arrive within this window go out as one frame.
CHAT_BROADCAST_COALESCE_MS = env_int("CHAT_BROADCAST_COALESCE_MS", 50)
# The same for the site-wide room list (unread signals of every room, to every
# page): while anything is said anywhere, every open page gets one frame per
# window, so this window, not the traffic, sets that cost (docs/performance.md).
CHAT_LIST_COALESCE_MS = env_int("CHAT_LIST_COALESCE_MS", 1000)
# Most messages a reconnecting page is sent per frame while catching up,
# and in all: a page further behind is told to reload.
CHAT_CATCH_UP_BATCH = 200
CHAT_SYNC_MAX_MESSAGES = env_int("CHAT_SYNC_MAX_MESSAGES", 500)
# PostgreSQL's text search configuration for messages (stemming, stop words):
# `manage.py search_reindex` after changing it. SQLite always uses FTS5's porter.
CHAT_SEARCH_CONFIG = os.environ.get("CHAT_SEARCH_CONFIG", "english")
CHAT_SEARCH_PAGE_SIZE = 20
# Per user, across processes: open sockets, and frames of each kind per
# window (realtime/protocol.py has the defaults; {"read": 240} raises one).
CHAT_MAX_SOCKETS_PER_USER = env_int("CHAT_MAX_SOCKETS_PER_USER", 20)
CHAT_FRAME_BUDGETS = {}
# A socket whose unsent output passes this is dropped (its page reconnects and catches up).
CHAT_SOCKET_MAX_BUFFER_BYTES = env_int("CHAT_SOCKET_MAX_BUFFER_BYTES", 1024 * 1024)

# Files (docs/configuration.md, "Files and images"): each file's limit, files per message;
# images past the pixel limit are refused before decoding (decompression
# bombs), and stored at most this wide or high (previews are smaller).
CHAT_MAX_UPLOAD_BYTES = env_int("CHAT_MAX_UPLOAD_BYTES", 25 * 1024 * 1024)
CHAT_MAX_FILES_PER_MESSAGE = env_int("CHAT_MAX_FILES_PER_MESSAGE", 10)
CHAT_MAX_IMAGE_PIXELS = env_int("CHAT_MAX_IMAGE_PIXELS", 40_000_000)
CHAT_IMAGE_MAX_DIMENSION = env_int("CHAT_IMAGE_MAX_DIMENSION", 4096)
# Images are re-encoded in child processes (core/reencoder.py), at most this
# many at once per server process; further uploads wait their turn.
CHAT_IMAGE_PROCESSES = env_int("CHAT_IMAGE_PROCESSES", 2)
# Refused uploads per user within the window before further ones are
# refused unread (each refusal cost a body received, perhaps parsed).
CHAT_UPLOAD_ATTEMPTS = env_int("CHAT_UPLOAD_ATTEMPTS", 10)
CHAT_UPLOAD_WINDOW_SECONDS = env_int("CHAT_UPLOAD_WINDOW_SECONDS", 600)

# The largest request body any other view accepts (forms, the admin, the
# bots' API); larger ones are refused while they arrive (core/request_bodies.py).
CHAT_MAX_REQUEST_BYTES = env_int("CHAT_MAX_REQUEST_BYTES", 1024 * 1024)

# Accounts (docs/security.md, "Accounts and sessions"). Who may sign up: invite, open or closed.
CHAT_SIGNUP = os.environ.get("CHAT_SIGNUP", "invite")
if CHAT_SIGNUP not in {"invite", "open", "closed"}:
    raise ImproperlyConfigured(f"CHAT_SIGNUP must be invite, open or closed, not {CHAT_SIGNUP!r}")
# Failed logins (and sign-up attempts) per username and per client address
# within the window before further attempts get 429 until the window passes.
CHAT_LOGIN_ATTEMPTS = env_int("CHAT_LOGIN_ATTEMPTS", 5)
CHAT_LOGIN_WINDOW_SECONDS = env_int("CHAT_LOGIN_WINDOW_SECONDS", 900)
# Where the chat is reached from outside, for links printed outside a request
# (manage.py invite) and every link in an email (no email is sent without
# it), e.g. https://chat.example.com.
CHAT_BASE_URL = os.environ.get("CHAT_BASE_URL", "").rstrip("/")
# What a new invitation allows unless its maker says otherwise.
CHAT_INVITE_USES = env_int("CHAT_INVITE_USES", 1)
CHAT_INVITE_HOURS = env_int("CHAT_INVITE_HOURS", 72)

# Background work (core/tasks.py): django.tasks on a queue kept
# in the database, run by `manage.py db_worker` (the Procfile's worker:).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# A failed attempt of a retrying task runs again after BASE, 2 BASE, 4 BASE... seconds.
CHAT_TASK_RETRY_BASE_SECONDS = env_int("CHAT_TASK_RETRY_BASE_SECONDS", 10)
# The server process runs the tasks itself, in a thread (core/worker_in_server.py):
# for a trial on one machine without Redis, where a worker process's
# broadcasts could not reach the server's pages (`make run` sets it then).
CHAT_TASKS_IN_SERVER = env_bool("CHAT_TASKS_IN_SERVER", False)
# Bots' outgoing webhooks: seconds to wait for an answer, and whether URLs
# that resolve to loopback, private or link-local addresses may be called.
CHAT_WEBHOOK_TIMEOUT_SECONDS = env_int("CHAT_WEBHOOK_TIMEOUT_SECONDS", 10)
CHAT_WEBHOOK_ALLOW_PRIVATE = env_bool("CHAT_WEBHOOK_ALLOW_PRIVATE", False)

# Email (notifications/): SMTP from EMAIL_URL (smtp://user:pass@host:587/?tls=True,
# parsed by dj-email-url into Django 6.1's MAILERS), else printed to the
# console (the worker's log): with no EMAIL_URL nothing is sent, so the
# deploy check that forbids the console backend is silenced then only.
# Mentions unread this long are emailed, at most one email per person per
# CHAT_EMAIL_INTERVAL_SECONDS, to confirmed addresses only.
EMAIL_URL = os.environ.get("EMAIL_URL", "")


def mailer(url):
    parsed = dj_email_url.parse(url)
    options = {
        "host": parsed["EMAIL_HOST"],
        "port": parsed["EMAIL_PORT"],
        "username": parsed["EMAIL_HOST_USER"],
        "password": parsed["EMAIL_HOST_PASSWORD"],
        "use_tls": parsed["EMAIL_USE_TLS"],
        "use_ssl": parsed["EMAIL_USE_SSL"],
        "timeout": parsed["EMAIL_TIMEOUT"] or 20,
    }
    if parsed["EMAIL_BACKEND"] != "django.core.mail.backends.smtp.EmailBackend":
        return {"BACKEND": parsed["EMAIL_BACKEND"]}
    return {"BACKEND": parsed["EMAIL_BACKEND"], "OPTIONS": {k: v for k, v in options.items() if v is not None}}


MAILERS = {"default": mailer(EMAIL_URL or "console:")}
# Django's deploy check for CSRF looks for its middleware by name
# (security.W003; W016 checks the cookie only when that name is there):
# core.csrf.CsrfViewMiddleware is that middleware, and CSRF_COOKIE_SECURE
# is on whenever DEBUG is off (project/tests/test_deploy.py holds both).
SILENCED_SYSTEM_CHECKS = ["security.W003", *([] if EMAIL_URL else ["mail.E001"])]
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "chat@localhost")
CHAT_EMAIL_DELAY_SECONDS = env_int("CHAT_EMAIL_DELAY_SECONDS", 600)
CHAT_EMAIL_INTERVAL_SECONDS = env_int("CHAT_EMAIL_INTERVAL_SECONDS", 900)
# "Download my data" (transfer/): how long a person's archive is kept for them.
CHAT_DATA_EXPORT_DAYS = env_int("CHAT_DATA_EXPORT_DAYS", 7)

# Web Push (push/, docs/push-notifications.md): the VAPID pair `manage.py
# vapid_keys` prints; without both keys push is off. CHAT_PUSH_PREVIEW=false
# keeps message text out of pushes (who and where only). Push endpoints must
# be https on public addresses unless CHAT_PUSH_ALLOW_PRIVATE (tests).
VAPID_PUBLIC_KEY = os.environ.get("VAPID_PUBLIC_KEY", "")
VAPID_PRIVATE_KEY = os.environ.get("VAPID_PRIVATE_KEY", "")
CHAT_PUSH_PREVIEW = env_bool("CHAT_PUSH_PREVIEW", True)
CHAT_PUSH_ALLOW_PRIVATE = env_bool("CHAT_PUSH_ALLOW_PRIVATE", False)

# Only behind a proxy that sets them (Heroku-style routers do) may
# X-Forwarded-For and X-Forwarded-Proto be believed: anyone else can send them.
TRUST_PROXY_HEADERS = env_bool("TRUST_PROXY_HEADERS", False)
if TRUST_PROXY_HEADERS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# No inline scripts or styles anywhere; the page talks only to its own origin.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", *s3_origins(os.environ)],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}

# Production hardening: on whenever DEBUG is off.
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SECURE_CONTENT_TYPE_NOSNIFF = True
    # /healthz is probed over plain HTTP by platforms' routers, and
    # Prometheus may scrape /metrics on a private network (docs/monitoring.md).
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]

# Operations (docs/monitoring.md). GET /metrics answers only to
# `Authorization: Bearer <METRICS_TOKEN>`, and nobody when it is unset;
# PROMETHEUS_MULTIPROC_DIR (read by prometheus-client itself) adds up the
# processes of a host.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
# text: lines as written; json: one JSON object per line, with the request,
# socket or task it belongs to (core/logs.py).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
if LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, not {LOG_FORMAT!r}")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "core.logs.JsonFormatter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", **({"formatter": "json"} if LOG_FORMAT == "json" else {})},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Every line goes out once, through the root's handler. Django's own
        # default gives "django" a console handler of its own (with DEBUG on)
        # and lets it propagate to the root too: every django.* line (a 404,
        # daphne's request log, a task's outcome) was printed twice. Its other
        # handler mails ADMINS, which this project never sets.
        "django": {"handlers": []},
        "django.channels.server": {"level": "WARNING"},
        # A line per request and socket (core/middleware.py, realtime/page.py):
        # in production; with DEBUG on it is as quiet as runserver's log.
        "chat.access": {"level": "WARNING" if DEBUG else "INFO"},
    },
}
