"""Settings of the load bench's gunicorn and Celery worker (never deployed).

`portal.settings.production` as it is, plus three things a load test needs:

- ROOT_URLCONF adds /bench/tiny/, the bare view every figure is compared with
  (bench/load/urls.py);
- the session and CSRF cookies lose their Secure flag: the bench speaks plain
  HTTP to gunicorn on 127.0.0.1, where production has TLS in front (a client
  does not send Secure cookies over HTTP, so no member could stay logged in);
- allauth's login rate limit is raised (everyone comes from 127.0.0.1), and
  Celery logs each task's outcome (INFO), so run.py can count them in the
  worker's log. The app's own rate limits (IDEAS_VOTE_RATE,
  COMMENTS_POST_RATE, EXPERTS_ASK_RATE, ...) are raised by run.py through
  their environment variables.

Everything else (DEBUG off, the Redis cache, the Redis broker, the middleware,
the manifest static storage, CSP and security headers) is production's.
"""

from portal.settings.production import *  # noqa: F403
from portal.settings.production import ACCOUNT_RATE_LIMITS, LOGGING

ROOT_URLCONF = "bench.load.urls"
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
ACCOUNT_RATE_LIMITS = {**ACCOUNT_RATE_LIMITS, "login": "10000/m/ip"}
LOGGING = {
    **LOGGING,
    "loggers": {**LOGGING["loggers"], "celery.app.trace": {"level": "INFO"}},
}
