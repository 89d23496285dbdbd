"""The Redis cache degrades instead of failing (portal/core/cache.py).

"Redis is down" is a URL on a port nobody listens on: redis-py really fails
to connect. tests/integration/test_faults.py stops a real Redis under pages.
"""

import logging
import os
import subprocess  # noqa: S404 - reads the settings in a fresh process
import sys
from pathlib import Path

import pytest
from django.core.cache import caches

ROOT = Path(__file__).resolve().parents[2]

DOWN = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connection refused


@pytest.fixture
def down(settings):
    settings.CACHES = {
        **settings.CACHES,
        "down": {
            "BACKEND": "portal.core.cache.TolerantRedisCache",
            "LOCATION": DOWN,
            "OPTIONS": {"socket_timeout": 0.5, "socket_connect_timeout": 0.5},
        },
    }
    return caches["down"]


def test_reads_miss_and_writes_do_nothing_while_redis_is_down(down, caplog):
    # An in-process Celery worker (integration tests) leaves the root at ERROR.
    caplog.set_level(logging.WARNING, logger="portal.core.cache")
    assert down.get("key") is None
    assert down.get("key", "fallback") == "fallback"
    assert down.get_many(["a", "b"]) == {}
    assert down.has_key("key") is False
    assert down.set("key", 1) is None
    assert down.set_many({"a": 1}) == []
    assert down.touch("key") is False
    assert down.delete("key") is False
    assert down.delete_many(["a"]) is None
    assert down.clear() is False
    assert down.get_or_set("key", "computed") == "computed"
    assert "Redis unavailable" in caplog.text


def test_rate_limit_counters_fail_open_while_redis_is_down(down):
    """django-ratelimit calls add() and then incr(): every request counts as
    the first in its window, so nobody is limited during an outage."""
    assert down.add("rl:key", 1, 60) is True
    assert down.incr("rl:key") == 1
    assert down.incr("rl:key", 5) == 5


def test_a_rate_limited_view_lets_requests_through_while_redis_is_down(
    down, settings, rf
):
    from django_ratelimit.core import is_ratelimited

    settings.RATELIMIT_USE_CACHE = "down"
    request = rf.post("/")
    for _ in range(3):
        assert not is_ratelimited(
            request, group="test", key="ip", rate="1/m", increment=True
        )


def test_a_redis_cache_url_selects_the_tolerant_backend_with_a_short_timeout():
    env = {
        "DJANGO_SETTINGS_MODULE": "portal.settings.dev",
        "REDIS_CACHE_URL": "redis://cache.internal:6380/0",
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", str(ROOT)),
    }
    code = (
        "import django; django.setup(); from django.conf import settings as s;"
        "c = s.CACHES['default'];"
        "print(c['BACKEND'], c['LOCATION'], c['OPTIONS']['socket_timeout'])"
    )
    result = subprocess.run(  # noqa: S603 - our own settings, fixed arguments
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "portal.core.cache.TolerantRedisCache",
        "redis://cache.internal:6380/0",
        "0.5",
    ]
