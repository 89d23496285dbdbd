"""Signal receivers only call services; they hold no rules of their own."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from .models import User
from .services import notification_preferences_get


@receiver(post_save, sender=User, dispatch_uid="accounts.create_preferences")
def _create_preferences(sender, instance: User, created: bool, **kwargs) -> None:
    if created and not kwargs.get("raw"):
        notification_preferences_get(user=instance)
