"""A transactional outbox for Celery tasks: no enqueue is lost while the
broker is down.

Every task a service queues goes through `enqueue(task, *args, **kwargs)`:

1. It writes an `OutboxMessage` row (the task's name and its JSON arguments)
   in the caller's transaction, so the row exists exactly when the write it
   belongs to was committed; a rollback takes both.
2. Once the transaction commits, it publishes the message, with a short retry
   policy so a page does not hang when Redis is down, and deletes the row.
   If the broker cannot be reached it logs a warning and leaves the row; for
   `BROKER_BACKOFF_SECONDS` afterwards this process does not try again on
   commit (the rows wait for the sweeper), so pages stay fast during an
   outage.
3. `outbox_flush` (the `core.outbox_flush` task, run by beat every minute,
   and `manage.py outbox_flush`) publishes the rows left behind, oldest
   first, in batches. On PostgreSQL it locks them with `SELECT ... FOR UPDATE
   SKIP LOCKED`, so two sweepers, or a sweeper and a commit hook, never
   publish the same row twice at the same time.

The contract is **at-least-once**: a message can be published twice (the
broker took it, then the process died before the row's deletion committed),
and with `acks_late` a worker that dies mid-task hands the message to
another. Every task is idempotent for that reason (docs/architecture.md,
"Tasks"). A message is never lost once its transaction committed.

In eager mode (`CELERY_TASK_ALWAYS_EAGER`, the embedded default and the test
suite) no row is written: the task runs on commit, in process, as it always
did. See docs/operations.md, "When Redis or PostgreSQL go away".
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from celery import Task, current_app
from django.db import transaction
from django.db.models import F
from django.utils import timezone

if TYPE_CHECKING:
    from .models import OutboxMessage

logger = logging.getLogger(__name__)

# On commit a request publishes with one quick retry: with the broker down it
# gives up in well under a second (the rows wait for the sweeper). The
# sweeper runs in a worker and can afford a little more patience.
PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
SWEEP_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
}
# After a failed publish on commit, this process leaves new rows to the
# sweeper for this long instead of paying the broker's timeout on every page.
BROKER_BACKOFF_SECONDS = 10.0
# The sweeper leaves rows younger than this to their commit hook.
SWEEP_MIN_AGE = timedelta(seconds=10)
SWEEP_BATCH_SIZE = 100
SWEEP_MAX_BATCHES = 50

_broker_down_until = 0.0


class UnknownTask(LookupError):
    """A row names a task this code base no longer has."""


def enqueue(task: Task, /, *args: Any, **kwargs: Any) -> None:
    """Queue `task(*args, **kwargs)` once the current transaction commits.

    Arguments must be JSON values (tasks take ids). Outside a transaction the
    message is written and published at once.
    """
    enqueue_call(task, args=args, kwargs=kwargs)


def enqueue_call(
    task: Task,
    *,
    args: Iterable[Any] = (),
    kwargs: Mapping[str, Any] | None = None,
    countdown: float | None = None,
    robust: bool = False,
) -> None:
    """`enqueue` with Celery's options: `countdown` (seconds before a worker
    may run it) and `robust` (eager mode only: log the task's exception
    instead of raising it in the caller, as `on_commit(robust=True)` does).
    """
    args = list(args)
    kwargs = dict(kwargs or {})
    if task.app.conf.task_always_eager:
        options = {"countdown": countdown} if countdown else {}
        transaction.on_commit(
            lambda: task.apply_async(args, kwargs, **options), robust=robust
        )
        return
    from .models import OutboxMessage  # services import this module early

    eta = timezone.now() + timedelta(seconds=countdown) if countdown else None
    message = OutboxMessage.objects.create(
        task=task.name, args=args, kwargs=kwargs, eta=eta
    )
    # robust: the caller's write has committed; whatever goes wrong here, the
    # row is still there for the sweeper, so the request must not fail.
    transaction.on_commit(partial(_publish_committed, message.pk), robust=True)


def _publish_committed(message_id: int) -> None:
    global _broker_down_until  # noqa: PLW0603 - one flag per process
    if time.monotonic() < _broker_down_until:
        return  # the broker failed a moment ago: the sweeper sends it
    from .models import OutboxMessage

    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id)
            .first()
        )
        if message is None:
            return  # a sweeper holds it or has sent it
        try:
            _publish(message, retry_policy=PUBLISH_RETRY_POLICY)
        except Exception as exc:  # noqa: BLE001 - any failure keeps the row
            _broker_down_until = time.monotonic() + BROKER_BACKOFF_SECONDS
            _failure_record(message, exc)
            return
        OutboxMessage.objects.filter(pk=message.pk).delete()


def _publish(message: OutboxMessage, *, retry_policy: dict) -> None:
    task = current_app.tasks.get(message.task)
    if task is None:
        raise UnknownTask(f"no task named {message.task!r}")
    options: dict[str, Any] = {}
    if message.eta is not None and message.eta > timezone.now():
        options["eta"] = message.eta
    task.apply_async(
        message.args,
        message.kwargs,
        retry=True,
        retry_policy=retry_policy,
        **options,
    )


def _failure_record(message: OutboxMessage, exc: Exception) -> None:
    logger.warning(
        "outbox: could not publish %s (message %s), left for the sweeper: %s",
        message.task,
        message.pk,
        exc,
    )
    type(message).objects.filter(pk=message.pk).update(
        attempts=F("attempts") + 1,
        last_error=f"{type(exc).__name__}: {exc}"[:2000],
        updated_at=timezone.now(),
    )


def outbox_flush(
    *,
    min_age: timedelta = SWEEP_MIN_AGE,
    batch_size: int = SWEEP_BATCH_SIZE,
    max_batches: int = SWEEP_MAX_BATCHES,
) -> dict[str, int]:
    """Publish the rows older than `min_age`, oldest first; delete each one
    the broker took. Stops at the first broker failure (the next run tries
    again). Returns the counts published, failed and still waiting."""
    global _broker_down_until  # noqa: PLW0603
    from .models import OutboxMessage

    cutoff = timezone.now() - min_age
    published = failed = 0
    passed_over: list[int] = []  # rows naming an unknown task
    for _ in range(max_batches):
        broker_down = False
        with transaction.atomic():
            batch = list(
                OutboxMessage.objects.select_for_update(skip_locked=True)
                .filter(created_at__lte=cutoff)
                .exclude(pk__in=passed_over)
                .order_by("created_at", "pk")[:batch_size]
            )
            if not batch:
                break
            sent: list[int] = []
            for message in batch:
                try:
                    _publish(message, retry_policy=SWEEP_RETRY_POLICY)
                except UnknownTask as exc:
                    logger.error("outbox: message %s: %s", message.pk, exc)
                    _failure_record(message, exc)
                    passed_over.append(message.pk)
                    failed += 1
                    continue
                except Exception as exc:  # noqa: BLE001 - the broker is down
                    _failure_record(message, exc)
                    failed += 1
                    broker_down = True
                    break
                sent.append(message.pk)
            OutboxMessage.objects.filter(pk__in=sent).delete()
            published += len(sent)
        if broker_down:
            break
        _broker_down_until = 0.0
    return {
        "published": published,
        "failed": failed,
        "waiting": OutboxMessage.objects.count(),
    }


def broker_backoff_reset() -> None:
    """Forget a recent broker failure (tests, and after an outage is over)."""
    global _broker_down_until  # noqa: PLW0603
    _broker_down_until = 0.0
