"""Settings for the NaaP Plugin Marketplace: one module, read from the environment (SPEC §10).

With no environment at all the project runs on SQLite, local-filesystem assets served under
/cdn/ and the local-memory cache, so a newcomer needs nothing running.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from botocore.config import Config
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    value = env_str(name)
    if not value:
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 1 or 0, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = env_str(name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError as error:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from error


def env_list(name: str, default: list[str]) -> list[str]:
    value = env_str(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_networks(name: str) -> list[str]:
    """A comma-separated list of IP addresses or networks (CIDR), each checked."""
    networks = env_list(name, [])
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError as error:
            raise ImproperlyConfigured(
                f"{name} must list IP addresses or networks such as 10.0.0.0/8, not {network!r}"
            ) from error
    return networks


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off (or set DEBUG=1 for development)."
        )
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"
# Fernet keys that encrypt the secret settings of installations (installs/config_secrets.py):
# comma-separated, the first encrypts, all decrypt (rotation: README). Unset: a development
# key derived from SECRET_KEY.
CONFIG_ENCRYPTION_KEYS = env_list("NAAP_CONFIG_KEY", [])

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])


# Proxies whose X-Forwarded-For is believed when they are the peer (naap/http.py): your load
# balancers. Empty: the peer is the client.
NAAP_TRUSTED_PROXIES = env_networks("NAAP_TRUSTED_PROXIES")

DATA_DIR = Path(env_str("NAAP_DATA_DIR") or BASE_DIR / "var").resolve()

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "registry",
    "publishing",
    "installs",
    "reviews",
    "webhooks",
    "analytics",
    "django_tasks_db",
]

MIDDLEWARE = [
    "naap.middleware.RetryLostConnectionMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "naap.middleware.ApiCorsMiddleware",
    "naap.middleware.RefuseNulMiddleware",
    # Before the CSRF check, which reads a form's whole body.
    "naap.middleware.RequestBodyLimitMiddleware",
    "naap.middleware.RateLimitHeadersMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "naap.urls"
WSGI_APPLICATION = "naap.wsgi.application"
ASGI_APPLICATION = "naap.asgi.application"

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
                "django.template.context_processors.csp",
            ],
        },
    },
]

# Database: SQLite in the data directory unless DATABASE_URL names another (PostgreSQL).
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    # Connections live a minute and are checked before each request reuses one, so a
    # connection the server or a proxy has dropped is replaced instead of failing a request.
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    }
else:
    # The embedded default keeps its SQLite file in the data directory, made on first use.
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "naap.sqlite3",
            # Writers queue for the lock instead of failing at once when two requests (or
            # test threads) write together; tests use a file so threads share one database.
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
            "TEST": {"NAME": DATA_DIR / f"test-{os.getpid()}.sqlite3"},
        }
    }
IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: Redis when REDIS_URL is set, the process's own memory otherwise.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's RedisCache with one client object per process (naap/redis_cache.py).
            "BACKEND": "naap.redis_cache.NaapRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "naap"),
            # A down or hung Redis costs a request at most the timeout, once: then this process
            # skips the cache and retries it in the background (docs/decisions.md, "Redis
            # outages").
            "OPTIONS": {
                "socket_connect_timeout": env_int("NAAP_REDIS_TIMEOUT_MS", 500) / 1000,
                "socket_timeout": env_int("NAAP_REDIS_TIMEOUT_MS", 500) / 1000,
                "retry_after": env_int("NAAP_REDIS_RETRY_MS", 5000) / 1000,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Plugin assets: S3 when a bucket is named, the local filesystem served under /cdn/ otherwise.
MEDIA_ROOT = DATA_DIR / "cdn"
MEDIA_URL = "/cdn/"
ASSET_CACHE_CONTROL = "public, max-age=31536000, immutable"
AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME")
PLUGIN_CDN_URL = env_str("PLUGIN_CDN_URL").rstrip("/")
if AWS_STORAGE_BUCKET_NAME:
    plugin_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL") or None,
            "access_key": env_str("AWS_ACCESS_KEY_ID") or None,
            "secret_key": env_str("AWS_SECRET_ACCESS_KEY") or None,
            "region_name": env_str("AWS_S3_REGION_NAME") or None,
            # A hung store must fail a publish in seconds, not hold a worker for minutes: with
            # these defaults a store that accepts connections and never answers fails a call
            # (and so the publish, with a 503) after two tries of three seconds.
            "client_config": Config(
                connect_timeout=env_int("NAAP_S3_CONNECT_TIMEOUT", 2),
                read_timeout=env_int("NAAP_S3_READ_TIMEOUT", 3),
                # Tries in all, the first included (botocore's max_attempts counts retries).
                retries={
                    "total_max_attempts": env_int("NAAP_S3_ATTEMPTS", 2),
                    "mode": "standard",
                },
            ),
            # Content-hashed keys never change, so every object may be cached forever.
            "object_parameters": {"CacheControl": ASSET_CACHE_CONTROL},
            "file_overwrite": True,
            "querystring_auth": False,
            "default_acl": None,
            "custom_domain": urlsplit(PLUGIN_CDN_URL).netloc if PLUGIN_CDN_URL else None,
            "url_protocol": (urlsplit(PLUGIN_CDN_URL).scheme or "https") + ":"
            if PLUGIN_CDN_URL
            else "https:",
        },
    }
else:
    plugin_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT, "base_url": MEDIA_URL},
    }
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": DATA_DIR / "uploads"},
    },
    "plugins": plugin_storage,
    "staticfiles": {
        "BACKEND": "naap.staticfiles.HashedModulesStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}
# Text-search dictionary for descriptions (PostgreSQL); names and keywords use "simple".
SEARCH_CONFIG = env_str("NAAP_SEARCH_CONFIG", "english")
# Whether API search and list answers are kept in the cache per catalog generation
# (registry/browse_cache.py); off, every search runs its SQL (the benchmark measures both).
SEARCH_RESULT_CACHE = env_bool("NAAP_SEARCH_RESULT_CACHE", True)
PLUGIN_MAX_BUNDLE_BYTES = env_int("PLUGIN_MAX_BUNDLE_BYTES", 5 * 1024 * 1024)
PLUGIN_MAX_STYLES_BYTES = 1024 * 1024
# Request bodies, checked by their Content-Length before anything reads them (docs/limits.md):
# every route but publish takes at most NAAP_MAX_REQUEST_BYTES; a publish the largest bundle,
# styles and sourcemap (4 bundles) plus 1 MiB for the manifest, release notes and multipart.
NAAP_MAX_REQUEST_BYTES = env_int("NAAP_MAX_REQUEST_BYTES", 1024 * 1024)
PUBLISH_MAX_REQUEST_BYTES = PLUGIN_MAX_BUNDLE_BYTES * 5 + PLUGIN_MAX_STYLES_BYTES + 1024 * 1024
# Form fields (not files) held in memory; files above FILE_UPLOAD_MAX_MEMORY_SIZE go to disk.
DATA_UPLOAD_MAX_MEMORY_SIZE = NAAP_MAX_REQUEST_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = PLUGIN_MAX_BUNDLE_BYTES + 1024 * 1024
# Version of the shell runtime this server ships (static/naap/shell.js).
NAAP_SHELL_VERSION = "1.0.0"

# Background tasks (django.tasks) are rows in the database (django-tasks-db): a queued webhook
# delivery survives restarts, and any number of `manage.py db_worker` processes share the queue
# (docs/decisions.md, "Webhooks").
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# Webhooks (docs/decisions.md, "Webhooks"): http:// and private addresses only when allowed
# (development and tests); production sends to public https:// endpoints only.
WEBHOOK_ALLOW_PRIVATE_URLS = env_bool("WEBHOOK_ALLOW_PRIVATE_URLS", DEBUG)
WEBHOOK_MAX_ENDPOINTS = env_int("WEBHOOK_MAX_ENDPOINTS", 10)
WEBHOOK_MAX_URL_LENGTH = 500
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 6)
# Wait after the n-th failed attempt: WEBHOOK_BACKOFF_SECONDS * 4^(n-1) (30 s, 2 min, 8 min, …).
WEBHOOK_BACKOFF_SECONDS = env_int("WEBHOOK_BACKOFF_SECONDS", 30)
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10)

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Security: strict in production, relaxed only where DEBUG (plain http on 127.0.0.1) needs it.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
# Lax, never None: plugin code runs in a sandboxed frame whose opaque origin is another site,
# so the browser never sends these cookies with the plugin's requests (docs/shell-runtime.md).
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# A plugin's token in the shell (its own API routes, for the signed-in person) lives this many
# seconds; the shell renews it through the marketplace's page, with the session, before it
# ends. An expired token may be exchanged for a fresh one for NAAP_PLUGIN_GRANT_MAX_AGE seconds
# after it was issued (a working day), never after its session ended.
NAAP_PLUGIN_TOKEN_LIFETIME = env_int("NAAP_PLUGIN_TOKEN_LIFETIME", 600)
NAAP_PLUGIN_GRANT_MAX_AGE = env_int("NAAP_PLUGIN_GRANT_MAX_AGE", 12 * 3600)
# Sessions are read from the cache (Redis in production) and written through to the database,
# so a signed-in request (the shell bootstrap) does not query PostgreSQL for its session.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Preloading is a hard-to-undo promise for a whole domain: the operator opts in, we don't
# (docs/decisions.md, "HSTS preload").
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# /healthz and /readyz answer load balancers over plain http inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]


def origin_of(url: str) -> str:
    """scheme://host[:port] of an absolute URL, or "" for a relative or empty one."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


# Content-Security-Policy (Django's built-in CSP): scripts and styles only from this site, the
# plugin CDN and tags carrying the per-request nonce; no eval, no inline script without the
# nonce, no plugins, no framing, no <base> hijacking (docs/shell-runtime.md, "CSP").
PLUGIN_ASSET_ORIGINS = [origin_of(PLUGIN_CDN_URL)] if PLUGIN_CDN_URL else []
if AWS_STORAGE_BUCKET_NAME:
    # The bucket's own URL: where the shell loads bundles without a CDN, and where previews
    # load files in review (presigned URLs, never through the CDN) with one.
    PLUGIN_ASSET_ORIGINS.append(
        origin_of(env_str("AWS_S3_ENDPOINT_URL"))
        or f"https://{AWS_STORAGE_BUCKET_NAME}.s3.amazonaws.com"
    )
    if env_str("AWS_S3_REGION_NAME") and not env_str("AWS_S3_ENDPOINT_URL"):
        PLUGIN_ASSET_ORIGINS.append(
            f"https://{AWS_STORAGE_BUCKET_NAME}.s3.{env_str('AWS_S3_REGION_NAME')}.amazonaws.com"
        )
_ASSET_SOURCES = [CSP.SELF, *PLUGIN_ASSET_ORIGINS]
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [*_ASSET_SOURCES, CSP.NONCE],
    "style-src": [*_ASSET_SOURCES, CSP.NONCE],
    "img-src": [*_ASSET_SOURCES, "data:"],
    "font-src": [*_ASSET_SOURCES, "data:"],
    # The shell diagnoses a refused bundle by fetching it (integrity or network?).
    "connect-src": _ASSET_SOURCES,
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
# The demo shell's sandboxed frame (installs/shell_views.py): the site's policy, plus `sandbox`
# (an opaque origin even when the frame's URL is opened on its own) and framing by our pages.
# Never allow-same-origin: with it, plugin code would be the marketplace again.
PLUGIN_FRAME_SANDBOX = [
    "allow-scripts",
    "allow-forms",
    "allow-popups",
    "allow-popups-to-escape-sandbox",
    "allow-modals",
]
PLUGIN_FRAME_CSP = {**SECURE_CSP, "frame-ancestors": [CSP.SELF], "sandbox": PLUGIN_FRAME_SANDBOX}
# The API docs page (drf-spectacular's Swagger UI, its files served as our own static files by
# drf-spectacular-sidecar: nothing from a public CDN) has an inline <style> block it gives no
# nonce; only that view gets this policy. Its script is served as a file
# (SpectacularSwaggerSplitView), so scripts stay without 'unsafe-inline'.
API_DOCS_CSP = {
    **SECURE_CSP,
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
}

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "DEFAULT_PARSER_CLASSES": [
        "naap.api.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # Bearer first so that anonymous API calls get 401 with a WWW-Authenticate challenge.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "publishing.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "EXCEPTION_HANDLER": "naap.api.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "naap.schema.NaapAutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "naap.throttles.AnonReadThrottle",
        "naap.throttles.UserWriteThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon_read": env_str("NAAP_THROTTLE_ANON_READ", "600/min"),
        "user_write": env_str("NAAP_THROTTLE_USER_WRITE", "120/min"),
        "publish": env_str("NAAP_THROTTLE_PUBLISH", "30/hour"),
        # Creating, editing, deleting and replying to reviews, per person.
        "review": env_str("NAAP_THROTTLE_REVIEW", "30/hour"),
    },
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

# How long an app-server worker answers a manifest from memory before it reads the package's
# generation again (registry/manifest_fastpath.py); also how often it adds its manifest request
# counts to the shared rate counters. 0: at every request. A change reaches every worker within
# this time; the CDN in front caches manifests for 300 s anyway.
MANIFEST_RECHECK_SECONDS = env_int("NAAP_MANIFEST_RECHECK_MS", 1000) / 1000

# Field reports (registry/field_reports.py): batches one client address may send per minute.
NAAP_FIELD_REPORTS_PER_MINUTE = env_int("NAAP_FIELD_REPORTS_PER_MINUTE", 120)

SPECTACULAR_SETTINGS = {
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "TITLE": "NaaP Plugin Marketplace API",
    "DESCRIPTION": "Registry, CDN origin and marketplace for NaaP shell plugins.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
