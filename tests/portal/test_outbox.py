"""The transactional outbox (portal/core/outbox.py) on the embedded database.

Messages go to Celery's in-memory broker, read back with kombu as a worker
would read them; "the broker is down" is a Redis URL on a port nobody listens
on, so the publish really fails to connect.
"""

from contextlib import contextmanager
from datetime import timedelta
from io import StringIO
from queue import Empty

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from portal.celery import app
from portal.core import outbox
from portal.core.models import OutboxMessage, TaskPing
from portal.core.tasks import health_ping

pytestmark = pytest.mark.django_db

MEMORY = "memory://"
DOWN = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connection refused


BROKER_KEYS = ("broker_read_url", "broker_write_url")


def _pools_reset() -> None:
    # kombu keeps one pool per broker URL; the app only caches the current one.
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def broker(url: str):
    """Point the project's Celery app at another broker for a while."""
    # broker_url itself would lose to the CELERY_BROKER_URL environment variable
    # (set in CI's second pass).
    previous = {key: app.conf.get(key) for key in BROKER_KEYS}
    app.conf.update(dict.fromkeys(BROKER_KEYS, url))
    _pools_reset()
    try:
        yield
    finally:
        app.conf.update(previous)
        _pools_reset()


def published(queue: str = "default") -> list[tuple[str, list]]:
    """Take every message off a queue of the in-memory broker, as a worker
    would: (task name, positional arguments) in the order they were sent."""
    taken = []
    with app.connection_for_read() as conn:
        simple = conn.SimpleQueue(queue, no_ack=True)
        try:
            while True:
                try:
                    message = simple.get(block=False)
                except Empty:
                    break
                args, _kwargs, _embed = message.payload
                taken.append((message.headers["task"], args))
        finally:
            simple.close()
    return taken


@pytest.fixture
def queued():
    """Celery in publishing mode on an empty in-memory broker."""
    outbox.broker_backoff_reset()
    app.conf.task_always_eager = False
    with broker(MEMORY):
        published()
        try:
            yield
        finally:
            published()
            app.conf.task_always_eager = True
            outbox.broker_backoff_reset()


def test_enqueue_writes_the_message_in_the_callers_transaction(
    queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        with transaction.atomic():
            outbox.enqueue(health_ping, "abc")
            message = OutboxMessage.objects.get()
    assert (message.task, message.args, message.kwargs) == (
        "core.health_ping",
        ["abc"],
        {},
    )
    assert len(callbacks) == 1
    assert published() == []  # nothing leaves before the commit


def test_the_message_is_published_on_commit_and_its_row_deleted(
    queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            outbox.enqueue(health_ping, "abc")

    assert published() == [("core.health_ping", ["abc"])]
    assert not OutboxMessage.objects.exists()
    assert not TaskPing.objects.exists()  # published, not run in process


def test_a_failed_publish_keeps_the_row_and_does_not_fail_the_caller(
    queued, django_capture_on_commit_callbacks
):
    with broker(DOWN), django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            outbox.enqueue(health_ping, "abc")

    message = OutboxMessage.objects.get()
    assert message.attempts == 1
    assert message.last_error
    assert published() == []


def test_after_a_failed_publish_new_messages_wait_for_the_sweeper(
    queued, django_capture_on_commit_callbacks
):
    """Pages do not pay the broker's timeout again and again during an outage."""
    with broker(DOWN), django_capture_on_commit_callbacks(execute=True):
        outbox.enqueue(health_ping, "first")
    with django_capture_on_commit_callbacks(execute=True):
        outbox.enqueue(health_ping, "second")  # the broker is back, but unknown

    second = OutboxMessage.objects.get(args=["second"])
    assert second.attempts == 0
    assert published() == []


def test_a_rolled_back_transaction_takes_its_messages_with_it(
    queued, django_capture_on_commit_callbacks
):
    class Rollback(Exception):
        pass

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(Rollback), transaction.atomic():
            outbox.enqueue(health_ping, "lost")
            raise Rollback

    assert callbacks == []
    assert not OutboxMessage.objects.exists()
    assert published() == []


def test_the_sweeper_publishes_each_waiting_message_once_oldest_first(
    queued, django_capture_on_commit_callbacks
):
    with broker(DOWN), django_capture_on_commit_callbacks(execute=True):
        for token in ("one", "two", "three"):
            outbox.enqueue(health_ping, token)
    assert OutboxMessage.objects.count() == 3
    # Written in this order, a second apart (the newest first in the table).
    now = timezone.now()
    for age, token in enumerate(("three", "two", "one"), start=1):
        OutboxMessage.objects.filter(args=[token]).update(
            created_at=now - timedelta(seconds=age)
        )

    first = outbox.outbox_flush(min_age=timedelta(0), batch_size=2)
    second = outbox.outbox_flush(min_age=timedelta(0))

    assert first == {"published": 3, "failed": 0, "waiting": 0}
    assert second == {"published": 0, "failed": 0, "waiting": 0}
    assert published() == [
        ("core.health_ping", ["one"]),
        ("core.health_ping", ["two"]),
        ("core.health_ping", ["three"]),
    ]


def test_the_sweeper_leaves_fresh_messages_to_their_commit_hook(queued):
    OutboxMessage.objects.create(task="core.health_ping", args=["fresh"])

    counts = outbox.outbox_flush(min_age=timedelta(seconds=60))

    assert counts == {"published": 0, "failed": 0, "waiting": 1}
    assert published() == []


def test_the_sweeper_stops_while_the_broker_is_down_and_keeps_every_row(queued):
    for token in ("one", "two"):
        OutboxMessage.objects.create(task="core.health_ping", args=[token])

    with broker(DOWN):
        counts = outbox.outbox_flush(min_age=timedelta(0))

    assert counts == {"published": 0, "failed": 1, "waiting": 2}
    assert sorted(OutboxMessage.objects.values_list("attempts", flat=True)) == [0, 1]


def test_a_message_for_an_unknown_task_is_kept_and_does_not_block_the_rest(queued):
    OutboxMessage.objects.create(task="core.no_such_task", args=[1])
    OutboxMessage.objects.create(task="core.health_ping", args=["after"])

    counts = outbox.outbox_flush(min_age=timedelta(0))

    assert counts == {"published": 1, "failed": 1, "waiting": 1}
    stuck = OutboxMessage.objects.get()
    assert stuck.task == "core.no_such_task"
    assert "no task named" in stuck.last_error
    assert published() == [("core.health_ping", ["after"])]


def test_a_countdown_is_kept_as_the_messages_eta(
    queued, django_capture_on_commit_callbacks
):
    before = timezone.now()
    with broker(DOWN), django_capture_on_commit_callbacks(execute=True):
        outbox.enqueue_call(health_ping, args=["later"], countdown=300)
    message = OutboxMessage.objects.get()
    assert message.eta >= before + timedelta(seconds=300)

    outbox.outbox_flush(min_age=timedelta(0))

    with app.connection_for_read() as conn:
        simple = conn.SimpleQueue("default", no_ack=True)
        sent = simple.get(block=False)
        simple.close()
    assert sent.headers["eta"] == message.eta.isoformat()


def test_the_outbox_flush_command_reports_what_it_sent(queued):
    OutboxMessage.objects.create(task="core.health_ping", args=["cmd"])
    out = StringIO()

    call_command("outbox_flush", "--min-age", "0", stdout=out)

    assert "published: 1, failed: 0, waiting: 0" in out.getvalue()
    assert published() == [("core.health_ping", ["cmd"])]


def test_eager_mode_runs_the_task_on_commit_without_a_row(
    django_capture_on_commit_callbacks,
):
    assert app.conf.task_always_eager
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            outbox.enqueue(health_ping, "eager-token")
            assert not TaskPing.objects.exists()

    assert TaskPing.objects.filter(token="eager-token").exists()
    assert not OutboxMessage.objects.exists()


def test_eager_mode_drops_the_task_of_a_rolled_back_transaction(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(ZeroDivisionError), transaction.atomic():
            outbox.enqueue(health_ping, "never")
            1 / 0  # noqa: B018

    assert not TaskPing.objects.exists()


def test_the_sweeper_runs_every_minute_from_beat(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["core-outbox-flush"]
    assert entry["task"] == "core.outbox_flush"
    assert "core.outbox_flush" in app.tasks
