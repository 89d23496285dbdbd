from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.core.outbox import enqueue

from ..models import Idea, Vote, VoteBurst
from .common import idea_counters_refresh
from .errors import IdeaActionError, PermissionDenied
from .follow import idea_follow


def _check_can_vote(idea: Idea, user) -> None:
    if not user.is_authenticated or not user.is_active:
        raise PermissionDenied(_("Log in to vote."))
    if idea.merged_into_id:
        raise IdeaActionError(_("This idea was merged; vote on the original instead."))
    if idea.is_hidden:
        raise IdeaActionError(_("This idea is hidden while our team reviews it."))
    if idea.is_locked:
        raise IdeaActionError(_("Voting on this idea is closed."))
    if not idea.can_vote:
        raise IdeaActionError(_("Voting is closed for ideas with this status."))


def idea_vote(*, idea: Idea, user) -> bool:
    """Vote for an idea. Returns False when the member had already voted.

    The unique constraint decides under concurrency; the count is changed by
    an UPDATE … SET vote_count = vote_count + 1 in the same transaction.
    """
    _check_can_vote(idea, user)
    try:
        with transaction.atomic():
            Vote.objects.create(idea=idea, user=user)
            idea_counters_refresh(
                idea_id=idea.pk, created_at=idea.created_at, vote_delta=1
            )
            idea_follow(idea=idea, user=user)
    except IntegrityError:
        return False
    _watch_for_vote_burst(idea=idea, user=user)
    return True


def idea_unvote(*, idea: Idea, user) -> bool:
    if not user.is_authenticated:
        raise PermissionDenied(_("Log in to vote."))
    if idea.is_locked or idea.merged_into_id:
        raise IdeaActionError(_("Votes on this idea can no longer change."))
    with transaction.atomic():
        deleted, _count = Vote.objects.filter(idea=idea, user=user).delete()
        if deleted:
            idea_counters_refresh(
                idea_id=idea.pk, created_at=idea.created_at, vote_delta=-1
            )
    return bool(deleted)


def _watch_for_vote_burst(*, idea: Idea, user) -> None:
    """Flag an idea for staff when many brand-new accounts vote on it at once."""
    account_age = timedelta(hours=settings.IDEAS_NEW_ACCOUNT_HOURS)
    now = timezone.now()
    if user.date_joined < now - account_age:
        return
    window = timedelta(minutes=settings.IDEAS_VOTE_BURST_WINDOW_MINUTES)
    new_votes = Vote.objects.filter(
        idea=idea,
        created_at__gte=now - window,
        user__date_joined__gte=now - account_age,
    ).count()
    if new_votes < settings.IDEAS_VOTE_BURST_THRESHOLD:
        return
    if VoteBurst.objects.filter(idea=idea, created_at__gte=now - window).exists():
        return
    burst = VoteBurst.objects.create(
        idea=idea,
        new_account_votes=new_votes,
        window_minutes=settings.IDEAS_VOTE_BURST_WINDOW_MINUTES,
    )
    from ..tasks import notify_staff_vote_burst

    enqueue(notify_staff_vote_burst, burst.pk)
