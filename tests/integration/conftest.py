"""Integration tests run against real PostgreSQL, Redis and a Celery worker.

They run when DATABASE_URL points at PostgreSQL and CELERY_BROKER_URL at Redis
(the second pass of .ci/run). On the embedded defaults they are skipped, and
under CI that skip becomes a failure so a misconfigured run can't pass quietly.
"""

import os
import socket
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
