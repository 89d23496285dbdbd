"""A Redis cache that degrades instead of failing when Redis goes away.

The cache only makes pages faster, so a cache outage must not turn them into
errors. `TolerantRedisCache` is Django's `RedisCache` (settings switch to it
when `REDIS_CACHE_URL` is a redis:// URL) with every call wrapped: when Redis
cannot be reached or does not answer within its socket timeout
(`REDIS_CACHE_SOCKET_TIMEOUT`), the call logs a warning and behaves like an
empty cache:

- reads (`get`, `get_many`, `has_key`) return the default, a miss;
- writes (`set`, `set_many`, `touch`, `delete`, `delete_many`, `clear`) do
  nothing;
- `add` returns True and `incr` returns `delta`, as if the key were new. Both
  fail **open**: a rate limit (django-ratelimit calls `add`, then `incr`)
  counts every request as the first in its window and lets it through, and a
  one-time token (`add` as a lock) is granted. During an outage rate limits
  and double-submit guards are off; they come back with Redis.

Sessions do not live in the cache (the database session engine), so nobody
is signed out when the cache goes away.
"""

from __future__ import annotations

import logging
from functools import wraps

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError)


def _degrade(fallback):
    """Run the method; if Redis is unavailable, log and return `fallback(...)`
    (called with the method's arguments)."""

    def decorate(method):
        @wraps(method)
        def wrapper(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except UNAVAILABLE as exc:
                logger.warning(
                    "cache: Redis unavailable, %s carries on without it: %s",
                    method.__name__,
                    exc,
                )
                return fallback(*args, **kwargs)

        return wrapper

    return decorate


def _default(key, default=None, version=None):
    return default


def _nothing(*args, **kwargs):
    return None


def _true(*args, **kwargs):
    return True


def _false(*args, **kwargs):
    return False


def _empty(*args, **kwargs):
    return {}


def _no_keys_failed(data, *args, **kwargs):
    return []


def _first(key, delta=1, version=None):
    return delta


class TolerantRedisCache(RedisCache):
    """Django's RedisCache that logs and degrades on a Redis outage."""

    get = _degrade(_default)(RedisCache.get)
    get_many = _degrade(_empty)(RedisCache.get_many)
    has_key = _degrade(_false)(RedisCache.has_key)
    set = _degrade(_nothing)(RedisCache.set)
    set_many = _degrade(_no_keys_failed)(RedisCache.set_many)
    touch = _degrade(_false)(RedisCache.touch)
    delete = _degrade(_false)(RedisCache.delete)
    delete_many = _degrade(_nothing)(RedisCache.delete_many)
    clear = _degrade(_false)(RedisCache.clear)
    add = _degrade(_true)(RedisCache.add)
    incr = _degrade(_first)(RedisCache.incr)
