from celery import shared_task

from .services import task_ping_record


@shared_task(
    name="core.health_ping",
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=10,
    time_limit=20,
)
def health_ping(token: str) -> str:
    """Record that a worker picked up this ping. Idempotent per token."""
    hostname = getattr(health_ping.request, "hostname", None) or "eager"
    task_ping_record(token=token, worker=hostname)
    return token
