"""Signal receivers only call services."""

from django.dispatch import receiver
from django_comments.signals import comment_was_flagged


@receiver(comment_was_flagged, dispatch_uid="core.comment_flagged")
def _comment_flagged(sender, comment, flag, created, request, **kwargs) -> None:
    if created:
        from .comments import comment_flag_received

        comment_flag_received(comment=comment)
