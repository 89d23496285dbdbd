"""Thin tasks: ids in, one service call out. All are idempotent."""

from celery import shared_task
from django.db import transaction

from . import services

_OPTIONS = {
    "acks_late": True,
    "soft_time_limit": 240,
    "time_limit": 300,
}


@shared_task(name="listening.poll_source", **_OPTIONS)
def poll_source(source_id: int) -> dict:
    return services.source_poll(source_id=source_id)


@shared_task(name="listening.poll_due", **_OPTIONS)
def poll_due() -> int:
    """Enqueue a poll for every source whose interval has passed (beat)."""
    due = services.sources_due()
    for source_id in due:
        transaction.on_commit(lambda sid=source_id: poll_source.delay(sid))
    services.sources_alert_broken()
    return len(due)
