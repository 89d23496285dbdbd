"""Integration tests run against real PostgreSQL, Redis and a Celery worker.

They run when DATABASE_URL points at PostgreSQL and CELERY_BROKER_URL at Redis
(the second pass of .ci/run). On the embedded defaults they are skipped, and
under CI that skip becomes a failure so a misconfigured run can't pass quietly.
"""

import os
import socket
import time
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.db import connection

from tests.conftest import service_required


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=2
        ):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def real_services() -> None:
    broker = settings.CELERY_BROKER_URL
    if connection.vendor != "postgresql" or not broker.startswith("redis"):
        if os.environ.get("SEED_EMBEDDED_RUN"):
            pytest.skip("embedded run: no PostgreSQL or Redis configured")
        service_required("PostgreSQL (DATABASE_URL) and Redis (CELERY_BROKER_URL)")
    if not _reachable(broker, 6379):
        pytest.fail(f"Redis broker at {broker} is configured but not reachable")


@pytest.fixture
def worker(real_services):
    """A real Celery worker on the Redis broker, consuming every queue."""
    from celery.contrib.testing.worker import start_worker

    from portal.celery import app

    app.conf.task_always_eager = False
    try:
        with start_worker(
            app,
            pool="solo",
            perform_ping_check=False,
            shutdown_timeout=10,
            queues=["default", "notify", "index", "ingest", "enrich"],
        ) as w:
            yield w
    finally:
        app.conf.task_always_eager = True


def wait_for(predicate, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False
