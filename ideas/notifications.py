"""Who hears about what happens to an idea. Called from tasks, after commit.

Each notification is keyed by (kind, event id, recipient), so a retried task
does not notify anyone twice.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_comments_xtd.models import XtdComment

from portal.core.text import plain_text
from portal.notifications.models import Notification
from portal.notifications.services import notification_send

from .models import IdeaFollow, StatusChange, VoteBurst


def _already_sent(kind: str, recipient_ids: list[int]) -> set[int]:
    return set(
        Notification.objects.filter(
            kind=kind, recipient_id__in=recipient_ids
        ).values_list("recipient_id", flat=True)
    )


def status_change_notify(*, status_change_id: int) -> int:
    change = (
        StatusChange.objects.select_related("idea").filter(pk=status_change_id).first()
    )
    if change is None:
        return 0
    idea = change.idea
    kind = f"idea.status:{change.pk}"
    followers = list(
        IdeaFollow.objects.filter(idea=idea)
        .exclude(user_id=change.changed_by_id)
        .select_related("user")
    )
    done = _already_sent(kind, [f.user_id for f in followers])
    sent = 0
    for follow in followers:
        user = follow.user
        if user.pk in done:
            continue
        with translation.override(user.language or settings.LANGUAGE_CODE):
            if change.is_status_change:
                title = _("“%(idea)s” is now: %(status)s") % {
                    "idea": idea.title,
                    "status": change.get_to_status_display(),
                }
            else:
                title = _("Official response on “%(idea)s”") % {"idea": idea.title}
            url = idea.get_absolute_url()
        if notification_send(
            recipient=user,
            kind=kind,
            title=title[:200],
            body=plain_text(change.response_html)[:500],
            url=url,
            category=Notification.Category.STATUS,
        ):
            sent += 1
    return sent


def comment_notify(*, comment_id: int) -> int:
    comment = XtdComment.objects.filter(pk=comment_id, is_public=True).first()
    if comment is None:
        return 0
    idea = comment.content_object
    if idea is None:
        return 0
    kind = f"idea.comment:{comment.pk}"
    recipients: dict[int, str] = {}
    if comment.parent_id and comment.parent_id != comment.pk:
        parent = XtdComment.objects.filter(pk=comment.parent_id).first()
        if parent and parent.user_id:
            recipients[parent.user_id] = "reply"
    for user_id in IdeaFollow.objects.filter(idea=idea).values_list(
        "user_id", flat=True
    ):
        recipients.setdefault(user_id, "follow")
    recipients.pop(comment.user_id, None)
    done = _already_sent(kind, list(recipients))
    users = get_user_model().objects.in_bulk([u for u in recipients if u not in done])
    sent = 0
    for user_id, why in recipients.items():
        user = users.get(user_id)
        if user is None:
            continue
        with translation.override(user.language or settings.LANGUAGE_CODE):
            if why == "reply":
                title = _("%(name)s replied to you on “%(idea)s”")
            else:
                title = _("%(name)s commented on “%(idea)s”")
            title = title % {
                "name": comment.user_name or _("Someone"),
                "idea": idea.title,
            }
            url = idea.get_absolute_url() + f"#c{comment.pk}"
        if notification_send(
            recipient=user,
            kind=kind,
            title=title[:200],
            body=comment.comment[:300],
            url=url,
            category=Notification.Category.REPLY,
        ):
            sent += 1
    return sent


def vote_burst_notify(*, burst_id: int) -> int:
    burst = VoteBurst.objects.select_related("idea").filter(pk=burst_id).first()
    if burst is None:
        return 0
    kind = f"idea.vote_burst:{burst.pk}"
    staff = get_user_model().objects.filter(is_staff=True, is_active=True)
    done = _already_sent(kind, [u.pk for u in staff])
    sent = 0
    for user in staff:
        if user.pk in done:
            continue
        with translation.override(user.language or settings.LANGUAGE_CODE):
            title = ngettext(
                "Unusual voting on “%(idea)s”: %(n)d new accounts in %(m)d minute",
                "Unusual voting on “%(idea)s”: %(n)d new accounts in %(m)d minutes",
                burst.window_minutes,
            ) % {
                "idea": burst.idea.title,
                "n": burst.new_account_votes,
                "m": burst.window_minutes,
            }
        if notification_send(
            recipient=user,
            kind=kind,
            title=title[:200],
            url=f"/admin/snippets/ideas/idea/edit/{burst.idea_id}/",
        ):
            sent += 1
    return sent
