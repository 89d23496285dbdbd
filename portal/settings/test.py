"""The test suite: embedded by default, real services when the environment says so.

`DATABASE_URL` and `CELERY_BROKER_URL` switch the suite to PostgreSQL and Redis
(CI runs it both ways). Tasks run eagerly unless a test starts a real worker.
"""

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "test-only-key-not-secret"  # noqa: S105 # nosec B105
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
CELERY_TASK_ALWAYS_EAGER = True
SEMANTIC_STORE = "memory"
MEDIA_ROOT = VAR_DIR / "test-media"  # noqa: F405
# Rate limits are tested explicitly where they matter.
ACCOUNT_RATE_LIMITS = False
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}  # noqa: F405
# Generous limits so tests exercise behaviour; limits are tested explicitly.
IDEAS_SUBMIT_RATE = "1000/m"
IDEAS_VOTE_RATE = "1000/m"
COMMENTS_POST_RATE = "1000/m"
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], BASE_DIR / "tests" / "templates"]  # noqa: F405
# Connector tests talk to a local HTTP server on 127.0.0.1.
LISTENING_ALLOW_PRIVATE_ADDRESSES = True
EXPERTS_ASK_RATE = "1000/m"
EXPERTS_ANSWER_RATE = "1000/m"
EXPERTS_HELPFUL_RATE = "1000/m"
