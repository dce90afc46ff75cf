"""The one settings file, read from the environment.

Defaults run out of the box: embedded SQLite (WAL) under var/ and an in-memory
channel layer. DATABASE_URL, REDIS_URL and SECRET_KEY override.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent
VAR_DIR = Path(os.environ.get("GOVHALL_VAR_DIR", PROJECT_DIR / "var"))


def _secret_key() -> str:
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = VAR_DIR / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(50)
        path.write_text(key)
        return key


def _env_bool(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


SECRET_KEY = _secret_key()
DEBUG = _env_bool("DEBUG", False)
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "*").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "govhall.web.adminconfig.GovhallAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "govhall.accounts",
    "govhall.catalog",
    "govhall.halls",
    "govhall.queueing",
    "govhall.realtime",
    "govhall.guide",
    "govhall.monitor",
    "govhall.insights",
    "govhall.appointments",
    "govhall.ratings",
    "govhall.reminders",
    "govhall.dashboard",
    "govhall.staff",
    "govhall.remotehelp",
    "govhall.assistant",
    "govhall.booklet",
    "govhall.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "govhall.web.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "govhall.urls"
ASGI_APPLICATION = "govhall.asgi.application"

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
                "django.template.context_processors.i18n",
                "govhall.web.manage.context",
            ],
        },
    },
]

# --- database -------------------------------------------------------------
DEFAULT_SQLITE = VAR_DIR / "govhall.sqlite3"
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE}"
_db = dj_database_url.parse(DATABASE_URL, conn_max_age=0)
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["ENGINE"] = "govhall.dbbackends.sqlite"  # Django's, with writers of a process queued fairly
    if _db["NAME"] not in ("", ":memory:"):
        Path(_db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    _db["OPTIONS"] = {
        # WAL lets readers go on while one writer writes; IMMEDIATE takes the write
        # lock at BEGIN so two writers never deadlock on a lock upgrade.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
    # A file, not shared-cache memory, so threaded tests see real SQLite locking.
    # One file per test run (pid), so concurrent runs on one checkout never share it.
    _db["TEST"] = {
        "NAME": str(VAR_DIR / f"test-db-{os.environ.get('GOVHALL_TEST_RUN', os.getpid())}.sqlite3")
    }
else:
    # Under ASGI every request may run in its own thread: a bounded pool per process, not
    # persistent per-thread connections, keeps PostgreSQL below max_connections under load.
    _db["CONN_MAX_AGE"] = 0
    _pool_size = int(os.environ.get("GOVHALL_DB_POOL_SIZE", "16"))
    _db.setdefault("OPTIONS", {})["pool"] = {
        # opened when a server process starts (govhall.asgi), so a first burst finds connections
        "min_size": min(_pool_size, int(os.environ.get("GOVHALL_DB_POOL_MIN", "4"))),
        "max_size": _pool_size,
        "timeout": 30,
    }
    # One test database per run, so several test runs against one server never collide.
    _db["TEST"] = {"NAME": f"test_govhall_{os.environ.get('GOVHALL_TEST_RUN', os.getpid())}"}
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_POSTGRES = _db["ENGINE"].startswith("django.db.backends.postgresql")

# --- realtime and cache -----------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}}
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- auth -----------------------------------------------------------------
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/manage/"
AUTH_PASSWORD_VALIDATORS: list[dict[str, str]] = []

# --- i18n -----------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

# --- static ---------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [
    ("vendor/htmx", PROJECT_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/echarts", PROJECT_DIR / "node_modules" / "echarts" / "dist"),
]
STATICFILES_DIRS = [d for d in STATICFILES_DIRS if d[1].is_dir()]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- govhall ----------------------------------------------------------------
GOVHALL = {
    # public endpoints: requests per minute per client address; loopback is never limited
    "RATE_LIMIT_PER_MINUTE": int(os.environ.get("GOVHALL_RATE_LIMIT_PER_MINUTE", "60")),
    "RATE_LIMIT_LOOPBACK": _env_bool("GOVHALL_RATE_LIMIT_LOOPBACK", False),
    "MAX_RECALLS": int(os.environ.get("GOVHALL_MAX_RECALLS", "3")),
    "DEFAULT_SERVICE_SECONDS": 300,
    "EVENT_POLL_SECONDS": float(os.environ.get("GOVHALL_EVENT_POLL_SECONDS", "0.5")),
    # HTTP requests one server process runs at once (govhall.handlers). Few: the requests share one
    # GIL, and a thread that holds a row lock (a zone's counter, the hall's event id) while fifteen
    # others compete for the GIL keeps every other request of the hall waiting. Measured with
    # bench/queue_load.py (50 tickets/s, 2 processes): issue p99 194–244 ms with 4 threads,
    # 343–692 ms with 16 (docs/benchmarks.md).
    "HTTP_THREADS": int(os.environ.get("GOVHALL_HTTP_THREADS", "4")),
}
# the guidance search's semantic model keeps its vectors of matter texts here (govhall.guide.semantic)
GOVHALL_GUIDE_VECTORS = os.environ.get("GOVHALL_GUIDE_VECTORS", str(VAR_DIR / "guide-vectors.sqlite3"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr"}},
    "root": {"handlers": ["stderr"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
