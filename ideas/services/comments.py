from django.db.models import F
from django.utils import timezone

from portal.core.outbox import enqueue

from ..models import Idea
from .follow import idea_follow


def idea_comment_posted(*, comment) -> None:
    """A member commented: count it, make them a follower, tell the others."""
    idea = comment.content_object
    if comment.is_public:
        Idea.objects.filter(pk=idea.pk).update(
            comment_count=F("comment_count") + 1, last_activity_at=timezone.now()
        )
    if comment.user_id:
        idea_follow(idea=idea, user=comment.user)
    from ..tasks import notify_comment

    enqueue(notify_comment, comment.pk)
