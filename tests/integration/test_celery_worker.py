"""A real worker on Redis picks up tasks that were enqueued on commit."""

import pytest
from django.db import transaction

from portal.core.models import TaskPing
from portal.core.services import health_ping_enqueue

from .conftest import wait_for as _wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


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
