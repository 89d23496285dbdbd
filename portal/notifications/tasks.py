from celery import shared_task

from portal.core.tasks import RETRYING_TASK

from . import services

_OPTIONS = {**RETRYING_TASK, "max_retries": 6, "soft_time_limit": 60, "time_limit": 90}


@shared_task(name="notifications.deliver_email", **_OPTIONS)
def deliver_email(notification_id: int) -> bool:
    return services.notification_email_deliver(notification_id=notification_id)


@shared_task(name="notifications.deliver_digest", **_OPTIONS)
def deliver_digest(frequency: str) -> int:
    return services.notification_digest_deliver(frequency=frequency)
