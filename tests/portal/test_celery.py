import pytest
from django.conf import settings
from django.db import transaction

from portal.celery import app
from portal.core.models import TaskPing
from portal.core.services import health_ping_enqueue


def test_celery_uses_json_late_acks_and_time_limits():
    conf = app.conf
    assert conf.task_serializer == "json"
    assert conf.accept_content == ["json"]
    assert conf.task_acks_late is True
    assert conf.task_time_limit and conf.task_soft_time_limit
    assert conf.task_soft_time_limit < conf.task_time_limit
    assert conf.beat_scheduler.startswith("django_celery_beat")


def test_health_ping_task_is_registered():
    app.loader.import_default_modules()
    assert "core.health_ping" in app.tasks
    assert "notifications.deliver_email" in app.tasks


@pytest.mark.django_db
def test_health_ping_runs_on_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        token = health_ping_enqueue()
        assert not TaskPing.objects.filter(token=token).exists()
    assert TaskPing.objects.get(token=token).worker


@pytest.mark.django_db(transaction=True)
def test_health_ping_in_a_rolled_back_transaction_never_runs():
    class Rollback(Exception):
        pass

    token = None
    with pytest.raises(Rollback), transaction.atomic():
        token = health_ping_enqueue()
        raise Rollback
    assert not TaskPing.objects.filter(token=token).exists()


@pytest.mark.django_db
def test_health_ping_is_idempotent():
    from portal.core.tasks import health_ping

    health_ping("same")
    health_ping("same")
    assert TaskPing.objects.filter(token="same").count() == 1


def test_embedded_defaults_need_no_service():
    if not settings.CELERY_BROKER_URL.startswith("memory"):
        pytest.skip("this run is configured against a real broker")
    assert settings.CELERY_TASK_ALWAYS_EAGER


def test_beat_schedule_only_names_registered_tasks():
    app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks
