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
