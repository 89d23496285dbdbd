"""A real worker on Redis picks up tasks that were enqueued on commit."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import transaction

from portal.celery import app
from portal.core.models import TaskPing
from portal.core.services import health_ping_enqueue

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(real_services):
    app.conf.task_always_eager = False
    try:
        with start_worker(
            app,
            pool="solo",
            perform_ping_check=False,
            shutdown_timeout=10,
            queues=["default", "notify", "index", "ingest"],
        ) as w:
            yield w
    finally:
        app.conf.task_always_eager = True


def _wait_for(predicate, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_task_enqueued_on_commit_runs_on_a_real_worker(worker):
    with transaction.atomic():
        token = health_ping_enqueue()
    assert _wait_for(lambda: TaskPing.objects.filter(token=token).exists())
    assert TaskPing.objects.get(token=token).worker != "eager"


def test_task_enqueued_in_a_rolled_back_transaction_never_runs(worker):
    class Rollback(Exception):
        pass

    with pytest.raises(Rollback), transaction.atomic():
        lost = health_ping_enqueue()
        raise Rollback
    # A ping sent afterwards proves the worker was running and has drained
    # the queue up to that point.
    with transaction.atomic():
        marker = health_ping_enqueue()
    assert _wait_for(lambda: TaskPing.objects.filter(token=marker).exists())
    assert not TaskPing.objects.filter(token=lost).exists()


def test_database_is_postgresql_and_broker_is_redis(real_services):
    from django.conf import settings
    from django.db import connection

    assert connection.vendor == "postgresql"
    assert settings.CELERY_BROKER_URL.startswith("redis://")
