"""Core tasks, and the options every retrying task in the project shares."""

from celery import shared_task

from .services import task_ping_record

# Idempotent work that may retry: acknowledged only after it ran (a worker
# that dies mid-task hands it to another), retried with backoff on any error,
# and stopped if it hangs. Apps pass these to shared_task (**RETRYING_TASK).
RETRYING_TASK = {
    "acks_late": True,
    "autoretry_for": (Exception,),
    "retry_backoff": True,
    "max_retries": 5,
    "soft_time_limit": 120,
    "time_limit": 180,
}


@shared_task(
    name="core.health_ping",
    **{**RETRYING_TASK, "soft_time_limit": 10, "time_limit": 20},
)
def health_ping(token: str) -> str:
    """Record that a worker picked up this ping. Idempotent per token."""
    hostname = getattr(health_ping.request, "hostname", None) or "eager"
    task_ping_record(token=token, worker=hostname)
    return token


# Beat runs it every minute; a run that waits in the queue longer than that
# has been overtaken by the next one (the beat entry sets `expire_seconds`).
@shared_task(
    name="core.outbox_flush", acks_late=True, soft_time_limit=50, time_limit=60
)
def outbox_flush() -> dict[str, int]:
    """Publish the outbox rows a commit hook could not (the broker was down).

    Idempotent: each row is published until the broker takes it, then
    deleted; tasks themselves are idempotent (at-least-once delivery)."""
    from .outbox import outbox_flush as flush

    return flush()
