"""Settings shared by every environment.

Everything that differs between a laptop and production is read from the
environment (see `.env.example`). The defaults are the embedded ones: SQLite,
Celery running tasks eagerly, a local-memory cache, console email and a Qdrant
store on a local path, so `make run` needs no service at all.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A `.env` file next to manage.py is read when present; real environment
# variables always win over it.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

VAR_DIR = Path(env("VAR_DIR", default=str(BASE_DIR / "var")))

INSTALLED_APPS = [
    # Seed's own apps
    "portal.core",
    "portal.accounts",
    "portal.notifications",
    "portal.pages",
    "portal.semantic",
    "ideas",
    "experts",
    "listening",
    # Wagtail
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.search_promotions",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail.locales",
    "wagtail",
    "modelcluster",
    "taggit",
    # Django
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    # Accounts
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "allauth.socialaccount.providers.facebook",
    "allauth.socialaccount.providers.twitter_oauth2",
    "allauth.socialaccount.providers.github",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.mfa",
    # Comments
    "django_comments_xtd",
    "django_comments",
    # API
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Jobs and operations
    "django_celery_beat",
    "django_htmx",
    "health_check",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "portal.core.middleware.SiteLocaleMiddleware",
    "portal.core.middleware.NullCharacterMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.accounts.middleware.PreferredLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
                "portal.core.context_processors.site_shell",
            ],
        },
    },
]

# Database: SQLite on the laptop, anything dj-database-url understands elsewhere.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Reconnect transparently after a PostgreSQL restart.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # No JIT compilation: for the report aggregates it cost more (up to 0.3 s a
    # query) than it saved; queries here are short (docs/performance.md).
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = (_options.get("options", "") + " -c jit=off").strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: local memory by default; a Redis of its own in production, never the
# broker's Redis (a full cache must not evict queued tasks).
CACHES = {"default": env.cache("REDIS_CACHE_URL", default="locmemcache://")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # A cache outage must not take pages down: this subclass logs and carries
    # on without the cache, and gives up on a dead server within the timeout.
    CACHES["default"]["BACKEND"] = "portal.core.cache.TolerantRedisCache"
    _timeout = env.float("REDIS_CACHE_SOCKET_TIMEOUT", default=0.5)
    CACHES["default"].setdefault("OPTIONS", {}).update(
        socket_timeout=_timeout, socket_connect_timeout=_timeout
    )

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
_VALIDATORS = "django.contrib.auth.password_validation"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"{_VALIDATORS}.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"

SITE_ID = 1

# Internationalisation: English and Dutch are both first-class.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("nl", _("Dutch"))]
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
WAGTAIL_I18N_ENABLED = True
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", default="Europe/Amsterdam")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Email: printed to the console unless EMAIL_URL points at a real server.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Seed <community@example.com>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Wagtail
WAGTAIL_SITE_NAME = env("WAGTAIL_SITE_NAME", default="Seed community")
WAGTAILADMIN_BASE_URL = env("WAGTAILADMIN_BASE_URL", default="http://localhost:8000")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["csv", "pdf", "txt", "docx", "xlsx", "json"]
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES

# django-allauth: email sign-up with mandatory verification.
# https://docs.allauth.org/en/latest/account/configuration.html
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_USER_MODEL_USERNAME_FIELD = "username"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_ADAPTER = "portal.accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "portal.accounts.adapters.SocialAccountAdapter"
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
# Login lockout and sign-up throttling are allauth's own rate limits.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",  # nosec B105 - a rate
}
# The Wagtail and Django admin logins are not allauth's: failed attempts are
# counted per IP and per username, and past this rate (django-ratelimit
# syntax) the form answers 429 until the window has passed.
ADMIN_LOGIN_RATE = env("ADMIN_LOGIN_RATE", default="5/5m")
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_EMAIL_VERIFICATION = "mandatory"

# Social login. Each provider is switched on either here, from the environment
# (client id and secret), or in the Django admin as a "Social application".
# Providers without credentials are simply not offered on the login page.
SOCIALACCOUNT_PROVIDERS: dict = {}
for _provider, _prefix in [
    ("google", "GOOGLE"),
    ("facebook", "FACEBOOK"),
    ("twitter_oauth2", "X"),
    ("github", "GITHUB"),
]:
    _client_id = env(f"{_prefix}_CLIENT_ID", default="")
    if _client_id:
        SOCIALACCOUNT_PROVIDERS[_provider] = {
            "APPS": [
                {"client_id": _client_id, "secret": env(f"{_prefix}_CLIENT_SECRET")}
            ]
        }
if env("OIDC_CLIENT_ID", default=""):
    SOCIALACCOUNT_PROVIDERS["openid_connect"] = {
        "APPS": [
            {
                "provider_id": env("OIDC_PROVIDER_ID", default="brand-sso"),
                "name": env("OIDC_NAME", default="Brand SSO"),
                "client_id": env("OIDC_CLIENT_ID"),
                "secret": env("OIDC_CLIENT_SECRET"),
                "settings": {"server_url": env("OIDC_SERVER_URL")},
            }
        ]
    }

# django-comments-xtd: threaded comments with follow-up notifications,
# moderation and flagging. https://django-comments-xtd.readthedocs.io/
COMMENTS_APP = "django_comments_xtd"
COMMENTS_XTD_MAX_THREAD_LEVEL = 3
COMMENTS_XTD_CONFIRM_EMAIL = False
COMMENTS_XTD_LIST_ORDER = ("thread_id", "order")
COMMENTS_XTD_FROM_EMAIL = DEFAULT_FROM_EMAIL
COMMENTS_XTD_CONTACT_EMAIL = DEFAULT_FROM_EMAIL
COMMENTS_XTD_APP_MODEL_OPTIONS = {
    "default": {
        "allow_flagging": True,
        "allow_feedback": True,
        "show_feedback": True,
        "who_can_post": "users",
    }
}
COMMENTS_HIDE_REMOVED = True

# Django REST framework and the OpenAPI schema.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so an unauthenticated call gets a 401 with a challenge.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": "60/min",
        "user": "600/min",
        "ideas.submit": "5/hour",
        "ideas.vote": "60/min",
        "experts.ask": "5/hour",
        "experts.answer": "20/hour",
        "experts.helpful": "60/min",
        "listening.optout": "10/min",
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Seed API",
    "DESCRIPTION": "The community, expertcare and listening API of a Seed site.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "PREPROCESSING_HOOKS": ["portal.core.openapi.only_public_api"],
    # Keep the enum hook (the default) and document the error responses.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "portal.core.openapi.document_errors",
    ],
    # Two serializers share the question status; name the enum once. Sources
    # and trackers both have a "kind", and a tracker lists source kinds.
    "ENUM_NAME_OVERRIDES": {
        "QuestionStatusEnum": "experts.models.QuestionStatus",
        "SourceKindEnum": "listening.models.SourceKind",
        "TrackerKindEnum": "listening.models.TrackerKind",
    },
}

# Celery: JSON only, late acknowledgement, hard and soft time limits.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="memory://")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_ALWAYS_EAGER = env.bool(
    "CELERY_TASK_ALWAYS_EAGER", default=CELERY_BROKER_URL == "memory://"
)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_DEFAULT_QUEUE = "default"
# Each kind of work has a queue of its own, so a bulk re-index never delays a
# notification; docker-compose.yml runs workers that consume all of them.
CELERY_TASK_ROUTES = {
    "semantic.*": {"queue": "index"},
    "notifications.*": {"queue": "notify"},
    "ideas.notify_*": {"queue": "notify"},
    "experts.notify_*": {"queue": "notify"},
    # Relabelling loads the embedding model: the enrich queue's workers, so
    # ingest workers stay small (first match wins).
    "listening.relabel_*": {"queue": "enrich"},
    "listening.*": {"queue": "ingest"},
}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# With Redis as the broker, a message a worker took but never acknowledged (the
# worker was killed) goes back to the queue after this many seconds. It must
# exceed the longest countdown (erasure sweep: 300 s) and the longest task a
# second worker must not start twice; tasks are idempotent either way.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_BROKER_VISIBILITY_TIMEOUT", default=3600),
}
# Beat copies these into django-celery-beat's tables on start; staff can then
# change or pause them in the Django admin ("Periodic tasks").
CELERY_BEAT_SCHEDULE = {
    "notifications-daily-digest": {
        "task": "notifications.deliver_digest",
        "schedule": crontab(hour=7, minute=0),
        "args": ["daily"],
    },
    "notifications-weekly-digest": {
        "task": "notifications.deliver_digest",
        "schedule": crontab(hour=7, minute=30, day_of_week="mon"),
        "args": ["weekly"],
    },
    "experts-sla-sweep": {
        "task": "experts.sla_sweep",
        "schedule": crontab(minute="*/5"),
    },
    # Each source has its own interval; this only enqueues the ones due.
    "listening-poll-due": {
        "task": "listening.poll_due",
        "schedule": crontab(minute="*"),
    },
    # Mentions nobody engaged with, past LISTENING_RETENTION_DAYS.
    "listening-expire-mentions": {
        "task": "listening.expire_mentions",
        "schedule": crontab(hour=3, minute=20),
    },
    # The daily rollup behind the listening reports (listening/rollup.py).
    "listening-rollup-refresh": {
        "task": "listening.rollup_refresh",
        "schedule": crontab(minute="*/10"),
    },
    # Spike alerts (listening/spikes.py); the window is
    # LISTENING_SPIKE_WINDOW_MINUTES, checked four times per window at most.
    "listening-spikes-detect": {
        "task": "listening.spikes_detect",
        "schedule": crontab(minute="*/15"),
    },
    # Background imports whose worker died (stale heartbeat) or never began.
    "listening-resume-imports": {
        "task": "listening.resume_imports",
        "schedule": crontab(minute="*/2"),
    },
    # Tasks enqueued while the broker was down (portal/core/outbox.py).
    "core-outbox-flush": {
        "task": "core.outbox_flush",
        "schedule": crontab(minute="*"),
        # django-celery-beat's name for Celery's `expires` option.
        "options": {"expire_seconds": 55},
    },
}

# Semantic search (portal.semantic): in-memory, a Qdrant path, or a server.
QDRANT_URL = env("QDRANT_URL", default="")
QDRANT_PATH = env("QDRANT_PATH", default=str(VAR_DIR / "qdrant"))
SEMANTIC_STORE = env(
    "SEMANTIC_STORE", default="qdrant-server" if QDRANT_URL else "qdrant-edge"
)

# Content Security Policy (django-csp 4). htmx and our scripts are served from
# our own origin; inline styles are allowed for Wagtail's rich text output.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "script-src": ["'self'"],
        "frame-ancestors": ["'self'"],
        "form-action": ["'self'"],
    },
    "EXCLUDE_URL_PREFIXES": ["/admin/", "/django-admin/", "/api/v1/docs/"],
}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "SAMEORIGIN"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Wagtail logs every page action and django_tasks every index task.
        "django_tasks": {"level": "WARNING"},
        "wagtail": {"level": "WARNING"},
        "haystack": {"level": "WARNING"},
        "celery.app.trace": {"level": "WARNING"},
    },
}

# Comments with more links than this, or with a blocked word, wait for a
# moderator before they appear.
COMMENTS_MAX_LINKS_BEFORE_MODERATION = env.int(
    "COMMENTS_MAX_LINKS_BEFORE_MODERATION", default=2
)
COMMENTS_BLOCKED_WORDS = env.list("COMMENTS_BLOCKED_WORDS", default=[])
# Member reports that hide a comment until a moderator has looked at it.
COMMENTS_FLAGS_TO_HIDE = env.int("COMMENTS_FLAGS_TO_HIDE", default=3)
WAGTAIL_GRAVATAR_PROVIDER_URL = None  # no third-party avatars; nothing leaves the site

# Ideas: moderation and abuse thresholds.
IDEAS_FLAGS_TO_HIDE = env.int("IDEAS_FLAGS_TO_HIDE", default=3)
IDEAS_NEW_ACCOUNT_HOURS = env.int("IDEAS_NEW_ACCOUNT_HOURS", default=48)
IDEAS_VOTE_BURST_THRESHOLD = env.int("IDEAS_VOTE_BURST_THRESHOLD", default=10)
IDEAS_VOTE_BURST_WINDOW_MINUTES = env.int("IDEAS_VOTE_BURST_WINDOW_MINUTES", default=60)
# Per-member rate limits (django-ratelimit syntax: count/period).
IDEAS_SUBMIT_RATE = env("IDEAS_SUBMIT_RATE", default="5/h")
IDEAS_VOTE_RATE = env("IDEAS_VOTE_RATE", default="60/m")
COMMENTS_POST_RATE = env("COMMENTS_POST_RATE", default="10/m")

# Expertcare: per-member rate limits, and extra personal-data patterns that
# private cases redact ("name=regex", comma separated), next to the built-in
# email, phone, IBAN and order-number patterns (experts/redaction.py).
EXPERTS_ASK_RATE = env("EXPERTS_ASK_RATE", default="5/h")
EXPERTS_ANSWER_RATE = env("EXPERTS_ANSWER_RATE", default="20/h")
EXPERTS_HELPFUL_RATE = env("EXPERTS_HELPFUL_RATE", default="60/m")
REDACTION_EXTRA_PATTERNS = env.list("REDACTION_EXTRA_PATTERNS", default=[])

# Listening: the languages mentions are detected in (lingua, ISO 639-1), and
# how long a source may fail before staff are alerted.
LISTENING_LANGUAGES = env.list("LISTENING_LANGUAGES", default=["en", "nl"])
LISTENING_SOURCE_ALERT_HOURS = env.int("LISTENING_SOURCE_ALERT_HOURS", default=6)
# Sources may not reach loopback, private or link-local addresses unless this
# is on (a feed must not become a way into the internal network).
LISTENING_ALLOW_PRIVATE_ADDRESSES = env.bool(
    "LISTENING_ALLOW_PRIVATE_ADDRESSES", default=False
)
# Mentions nobody engaged with expire after this many days: their author data
# is pseudonymised ("pseudonymise") or the mention is deleted ("delete").
LISTENING_RETENTION_DAYS = env.int("LISTENING_RETENTION_DAYS", default=90)
LISTENING_RETENTION_ACTION = env("LISTENING_RETENTION_ACTION", default="pseudonymise")
# Uploads up to this size are imported in the request (API); bigger ones become
# a background ImportJob. A running job whose heartbeat is older than
# LISTENING_IMPORT_STALE_SECONDS is taken to have lost its worker and resumed.
LISTENING_IMPORT_SYNC_MAX_BYTES = env.int(
    "LISTENING_IMPORT_SYNC_MAX_BYTES", default=5 * 1024 * 1024
)
LISTENING_IMPORT_STALE_SECONDS = env.int("LISTENING_IMPORT_STALE_SECONDS", default=120)
# Staff corrections teach a few-shot classifier (listening/relabel.py): it runs
# once a label has this many corrected mentions, on new mentions and, after
# new corrections, on those fetched in the last LISTENING_FEWSHOT_RELABEL_DAYS
# days (at most LISTENING_FEWSHOT_RELABEL_LIMIT, newest first).
LISTENING_FEWSHOT_MIN_EXAMPLES = env.int("LISTENING_FEWSHOT_MIN_EXAMPLES", default=10)
LISTENING_FEWSHOT_RELABEL_DAYS = env.int("LISTENING_FEWSHOT_RELABEL_DAYS", default=14)
LISTENING_FEWSHOT_RELABEL_LIMIT = env.int(
    "LISTENING_FEWSHOT_RELABEL_LIMIT", default=5000
)
# Consent-first invitations (listening/consent.py). These are the defaults of
# Settings → Webcare in the admin, which staff can change per site: at most this many
# invitations per person, ever; no invitation from a post whose sentiment is at
# or below the floor (unless staff override with a reason); invitation links
# expire after LISTENING_INVITE_DAYS; the public opt-out form is rate limited
# per address (django-ratelimit syntax).
LISTENING_INVITE_MAX_PER_PERSON = env.int("LISTENING_INVITE_MAX_PER_PERSON", default=1)
LISTENING_INVITE_SENTIMENT_FLOOR = env.float(
    "LISTENING_INVITE_SENTIMENT_FLOOR", default=-0.5
)
LISTENING_INVITE_DAYS = env.int("LISTENING_INVITE_DAYS", default=14)
LISTENING_INVITE_COOLDOWN_DAYS = env.int("LISTENING_INVITE_COOLDOWN_DAYS", default=90)
LISTENING_OPTOUT_RATE = env("LISTENING_OPTOUT_RATE", default="10/m")

# Spike alerts (listening/spikes.py, docs/subsystems/insight.md): every
# LISTENING_SPIKE_WINDOW_MINUTES, each tracker's mentions (and negative ones)
# in the last window are compared with the same window over the previous
# LISTENING_SPIKE_BASELINE_DAYS days. An alert needs at least
# LISTENING_SPIKE_MIN_MENTIONS mentions and a chance below
# LISTENING_SPIKE_P_VALUE of seeing that many if nothing had changed.
LISTENING_SPIKE_WINDOW_MINUTES = env.int("LISTENING_SPIKE_WINDOW_MINUTES", default=60)
LISTENING_SPIKE_BASELINE_DAYS = env.int("LISTENING_SPIKE_BASELINE_DAYS", default=14)
LISTENING_SPIKE_MIN_MENTIONS = env.int("LISTENING_SPIKE_MIN_MENTIONS", default=10)
LISTENING_SPIKE_P_VALUE = env.float("LISTENING_SPIKE_P_VALUE", default=0.001)

# portal.semantic (docs/subsystems/duplicate-detection.md). The embedding model
# is the packaged all-MiniLM-L6-v2 unless SEMANTIC_MODEL_PATH names another
# sentence-transformers folder; without a usable model, search is BM25 alone.
SEMANTIC_MODEL_PATH = env("SEMANTIC_MODEL_PATH", default=None)
SEMANTIC_EMBEDDINGS_ENABLED = env.bool("SEMANTIC_EMBEDDINGS_ENABLED", default=True)
SEMANTIC_COLLECTION = env("SEMANTIC_COLLECTION", default="semantic")
# Torch threads per process for embedding (0 keeps torch's default, one per core).
SEMANTIC_TORCH_THREADS = env.int("SEMANTIC_TORCH_THREADS", default=1)

# Benchmarks: routes /bench/bare/ (base.html and nothing else) for bench/*.py.
BENCH_VIEWS = env.bool("BENCH_VIEWS", default=False)
