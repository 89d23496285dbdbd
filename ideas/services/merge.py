from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_comments_xtd.models import XtdComment

from ..models import Idea, IdeaFollow, IdeaMerge, IdeaStatus, StatusChange, Vote
from .common import enqueue_reindex, trending_score
from .errors import IdeaActionError, PermissionDenied


def _recount(idea_ids: list[int]) -> None:
    ct = ContentType.objects.get_for_model(Idea)
    for idea in Idea.objects.filter(pk__in=idea_ids):
        idea.vote_count = Vote.objects.filter(idea=idea).count()
        idea.follower_count = IdeaFollow.objects.filter(idea=idea).count()
        idea.comment_count = XtdComment.objects.filter(
            content_type=ct, object_pk=str(idea.pk), is_public=True, is_removed=False
        ).count()
        idea.trending_score = trending_score(
            votes=idea.vote_count, created_at=idea.created_at
        )
        idea.last_activity_at = timezone.now()
        idea.save(
            update_fields=[
                "vote_count",
                "follower_count",
                "comment_count",
                "trending_score",
                "last_activity_at",
            ]
        )


@transaction.atomic
def idea_merge(*, source: Idea, target: Idea, by, note: str = "") -> IdeaMerge:
    """Fold a duplicate into the original without losing or doubling a vote."""
    if not by.is_staff:
        raise PermissionDenied(_("Only staff can merge ideas."))
    if source.pk == target.pk:
        raise IdeaActionError(_("An idea cannot be merged into itself."))
    # Lock both rows in a fixed order so two merges can't deadlock.
    locked = {
        i.pk: i
        for i in Idea.objects.select_for_update().filter(pk__in=[source.pk, target.pk])
    }
    source, target = locked[source.pk], locked[target.pk]
    if source.status == IdeaStatus.MERGED:
        raise IdeaActionError(_("This idea was already merged."))
    if target.status == IdeaStatus.MERGED:
        raise IdeaActionError(_("Merge into the original idea, not into a duplicate."))

    target_voters = set(
        Vote.objects.filter(idea=target).values_list("user_id", flat=True)
    )
    source_voters = set(
        Vote.objects.filter(idea=source).values_list("user_id", flat=True)
    )
    shared = sorted(source_voters & target_voters)
    moved = sorted(source_voters - target_voters)
    Vote.objects.filter(idea=source, user_id__in=moved).update(idea=target)
    Vote.objects.filter(idea=source, user_id__in=shared).delete()

    target_followers = set(
        IdeaFollow.objects.filter(idea=target).values_list("user_id", flat=True)
    )
    source_followers = set(
        IdeaFollow.objects.filter(idea=source).values_list("user_id", flat=True)
    )
    moved_followers = sorted(source_followers - target_followers)
    IdeaFollow.objects.filter(idea=source, user_id__in=moved_followers).update(
        idea=target
    )
    IdeaFollow.objects.filter(idea=source).delete()

    ct = ContentType.objects.get_for_model(Idea)
    comment_ids = list(
        XtdComment.objects.filter(
            content_type=ct, object_pk=str(source.pk)
        ).values_list("pk", flat=True)
    )
    XtdComment.objects.filter(pk__in=comment_ids).update(object_pk=str(target.pk))

    merge = IdeaMerge.objects.create(
        source=source,
        target=target,
        merged_by=by,
        source_status=source.status,
        moved_vote_user_ids=moved,
        shared_vote_user_ids=shared,
        moved_follower_ids=sorted(source_followers),
        moved_comment_ids=comment_ids,
    )
    response = note or _("Merged into “%(title)s”, where the votes now count.") % {
        "title": target.title
    }
    StatusChange.objects.create(
        idea=source,
        from_status=source.status,
        to_status=IdeaStatus.MERGED,
        changed_by=by,
        response=response,
    )
    source.status = IdeaStatus.MERGED
    source.merged_into = target
    source.status_changed_at = timezone.now()
    source.save(update_fields=["status", "merged_into", "status_changed_at"])
    _recount([source.pk, target.pk])
    enqueue_reindex(source.pk)
    enqueue_reindex(target.pk)
    return merge


@transaction.atomic
def idea_merge_undo(*, merge: IdeaMerge, by) -> IdeaMerge:
    """Put a merged idea back as it was, with its own votes, followers and
    comments. Votes cast on the original since the merge stay there."""
    if not by.is_staff:
        raise PermissionDenied(_("Only staff can undo a merge."))
    merge = IdeaMerge.objects.select_for_update().get(pk=merge.pk)
    if merge.undone_at:
        raise IdeaActionError(_("This merge was already undone."))
    source = Idea.objects.select_for_update().get(pk=merge.source_id)
    if source.merged_into_id != merge.target_id:
        raise IdeaActionError(_("The idea has changed since this merge."))

    Vote.objects.filter(
        idea_id=merge.target_id, user_id__in=merge.moved_vote_user_ids
    ).update(idea=source)
    Vote.objects.bulk_create(
        [Vote(idea=source, user_id=uid) for uid in merge.shared_vote_user_ids],
        ignore_conflicts=True,
    )
    IdeaFollow.objects.bulk_create(
        [IdeaFollow(idea=source, user_id=uid) for uid in merge.moved_follower_ids],
        ignore_conflicts=True,
    )
    XtdComment.objects.filter(pk__in=merge.moved_comment_ids).update(
        object_pk=str(source.pk)
    )
    StatusChange.objects.create(
        idea=source,
        from_status=IdeaStatus.MERGED,
        to_status=merge.source_status,
        changed_by=by,
        response=_("This idea is not a duplicate after all; the merge was undone."),
    )
    source.status = merge.source_status
    source.merged_into = None
    source.status_changed_at = timezone.now()
    source.save(update_fields=["status", "merged_into", "status_changed_at"])
    merge.undone_at = timezone.now()
    merge.undone_by = by
    merge.save(update_fields=["undone_at", "undone_by"])
    _recount([source.pk, merge.target_id])
    enqueue_reindex(source.pk)
    enqueue_reindex(merge.target_id)
    return merge
