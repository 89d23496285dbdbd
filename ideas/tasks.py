"""Thin tasks: ids in, one service call out. All are idempotent."""

from celery import shared_task

from portal.core.tasks import RETRYING_TASK

from . import notifications

_OPTIONS = RETRYING_TASK


@shared_task(name="ideas.notify_followers", **_OPTIONS)
def notify_followers(status_change_id: int) -> int:
    return notifications.status_change_notify(status_change_id=status_change_id)


@shared_task(name="ideas.notify_comment", **_OPTIONS)
def notify_comment(comment_id: int) -> int:
    return notifications.comment_notify(comment_id=comment_id)


@shared_task(name="ideas.notify_staff_vote_burst", **_OPTIONS)
def notify_staff_vote_burst(burst_id: int) -> int:
    return notifications.vote_burst_notify(burst_id=burst_id)
