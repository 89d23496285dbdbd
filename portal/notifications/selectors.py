from django.db.models import QuerySet

from .models import Notification


def notification_list_for(*, user) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user, show_onsite=True)


def notification_unread_count(*, user) -> int:
    return Notification.objects.filter(
        recipient=user, show_onsite=True, read_at__isnull=True
    ).count()
