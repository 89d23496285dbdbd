import uuid

from .models import TaskPing
from .outbox import enqueue


def health_ping_enqueue(*, token: str | None = None) -> str:
    """Queue a health ping once the surrounding transaction commits.

    Returns the token the worker will record, so callers can look for it.
    """
    from .tasks import health_ping

    token = token or uuid.uuid4().hex
    enqueue(health_ping, token)
    return token


def task_ping_record(*, token: str, worker: str = "") -> TaskPing:
    ping, _ = TaskPing.objects.get_or_create(token=token, defaults={"worker": worker})
    return ping
