from django.db import IntegrityError, transaction
from django.db.models import F

from ..models import Idea, IdeaFollow


def idea_follow(*, idea: Idea, user) -> bool:
    """Follow an idea. Returns False if the member already follows it."""
    try:
        with transaction.atomic():
            IdeaFollow.objects.create(idea=idea, user=user)
    except IntegrityError:
        return False
    Idea.objects.filter(pk=idea.pk).update(follower_count=F("follower_count") + 1)
    return True


def idea_unfollow(*, idea: Idea, user) -> bool:
    deleted, _ = IdeaFollow.objects.filter(idea=idea, user=user).delete()
    if deleted:
        Idea.objects.filter(pk=idea.pk, follower_count__gt=0).update(
            follower_count=F("follower_count") - 1
        )
    return bool(deleted)
