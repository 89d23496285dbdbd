"""Webcare: what staff do with a mention in the inbox (issue 6).

Writes only; the inbox's reads live in listening/inbox.py. Every function
here checks that the acting user is active staff, and records who did what:

- `mention_assign`: to a colleague, to oneself, or back to nobody;
- `mention_set_status`: close, ignore, or reopen;
- `reply_record`: a public reply, posted through the network or confirmed by
  hand; the first one fixes the time to first response;
- `mention_link`: to an idea ("heard on social") or a question;
- `loop_prompt`: a linked idea changed status, so whoever linked it is asked
  to tell the people behind the linked posts; `loop_close` records that.

The SLA clock: a mention's `due_at` is its arrival plus the target for its
intent (WebcareSettings), fixed on arrival and moved when its intent changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, When
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import (
    OPEN_MENTION_STATUSES,
    Intent,
    Mention,
    MentionLink,
    MentionReply,
    MentionStatus,
    ReplyChannel,
    ReplyKind,
)
from .pages import WebcareSettings

REPLY_MAX_CHARS = 5000
# Statuses staff set by hand; the others follow from what they do.
MANUAL_STATUSES = (MentionStatus.NEW, MentionStatus.CLOSED, MentionStatus.IGNORED)
BULK_MAX = 500


def webcare_settings() -> WebcareSettings:
    """The default site's webcare settings (created with the defaults on
    first use); unsaved defaults when there is no site yet."""
    from wagtail.models import Site

    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        return WebcareSettings()
    return WebcareSettings.for_site(site)


def sla_target(intent: str, cfg: WebcareSettings | None = None) -> timedelta:
    cfg = cfg or webcare_settings()
    return timedelta(minutes=cfg.sla_minutes(intent or Intent.OTHER))


def due_at_for(
    intent: str, arrived_at: datetime, cfg: WebcareSettings | None = None
) -> datetime:
    return arrived_at + sla_target(intent, cfg)


def _due_expression(cfg: WebcareSettings):
    """due_at = fetched_at + the target for the row's intent, in SQL."""
    return Case(
        *[
            When(
                intent=intent,
                then=F("fetched_at") + timedelta(minutes=cfg.sla_minutes(intent)),
            )
            for intent in Intent.values
        ],
        default=F("fetched_at") + timedelta(minutes=cfg.sla_other),
    )


def mentions_due_refresh(mention_ids: Iterable[int]) -> int:
    """Move the SLA deadline of mentions whose intent changed and that still
    wait for a first response."""
    ids = list(mention_ids)
    if not ids:
        return 0
    cfg = webcare_settings()
    return Mention.objects.filter(pk__in=ids, first_response_at__isnull=True).update(
        due_at=_due_expression(cfg)
    )


def _require_staff(user) -> None:
    if user is None or not (
        getattr(user, "is_active", False) and getattr(user, "is_staff", False)
    ):
        raise PermissionDenied(_("Only staff can work in the inbox."))


def _ids(mentions) -> list[int]:
    ids = []
    for m in mentions:
        ids.append(m.pk if isinstance(m, Mention) else int(m))
    if len(ids) > BULK_MAX:
        raise ValidationError(
            _("Select at most %(n)d mentions at once.") % {"n": BULK_MAX}
        )
    return ids


@transaction.atomic
def mention_assign(*, mentions, assignee, by) -> int:
    """Assign mentions to a staff member (or to nobody: `assignee=None`).
    New mentions become "assigned"; unassigned ones go back to "new"."""
    _require_staff(by)
    if assignee is not None and not (assignee.is_active and assignee.is_staff):
        raise ValidationError(_("Mentions can only be assigned to staff."))
    ids = _ids(mentions)
    now = timezone.now()
    qs = Mention.objects.filter(pk__in=ids)
    if assignee is None:
        qs.filter(status=MentionStatus.ASSIGNED).update(
            status=MentionStatus.NEW, status_changed_at=now
        )
        return qs.update(assignee=None)
    qs.filter(status=MentionStatus.NEW).update(
        status=MentionStatus.ASSIGNED, status_changed_at=now
    )
    return qs.update(
        assignee=assignee,
        engaged_at=Case(
            When(engaged_at__isnull=True, then=now), default=F("engaged_at")
        ),
    )


@transaction.atomic
def mention_set_status(*, mentions, status: str, by) -> int:
    """Close, ignore or reopen mentions. Reopening goes back to "assigned"
    when someone is assigned, else "new"."""
    _require_staff(by)
    if status not in MANUAL_STATUSES:
        raise ValidationError(
            _("“%(status)s” cannot be set by hand; choose one of: %(choices)s.")
            % {"status": status, "choices": ", ".join(MANUAL_STATUSES)}
        )
    ids = _ids(mentions)
    now = timezone.now()
    qs = Mention.objects.filter(pk__in=ids)
    if status == MentionStatus.NEW:
        assigned = qs.filter(assignee__isnull=False).update(
            status=MentionStatus.ASSIGNED, status_changed_at=now
        )
        return assigned + qs.filter(assignee__isnull=True).update(
            status=MentionStatus.NEW, status_changed_at=now
        )
    return qs.update(status=status, status_changed_at=now)


def reply_record(
    *,
    mention: Mention,
    by,
    text: str,
    channel: str,
    kind: str = ReplyKind.ANSWER,
    external_id: str = "",
    external_url: str = "",
) -> MentionReply:
    """Record a public reply: posted through the network (with the id it got
    there) or posted by hand and confirmed. The first reply to a mention sets
    its time to first response."""
    _require_staff(by)
    text = (text or "").replace("\x00", "").strip()
    if not text:
        raise ValidationError({"text": _("Write the reply first.")})
    if len(text) > REPLY_MAX_CHARS:
        raise ValidationError(
            {
                "text": _("Keep the reply under %(n)d characters.")
                % {"n": REPLY_MAX_CHARS}
            }
        )
    if channel not in ReplyChannel.values:
        raise ValidationError({"channel": _("Unknown channel.")})
    if kind not in ReplyKind.values:
        raise ValidationError({"kind": _("Unknown kind of reply.")})
    with transaction.atomic():
        current = Mention.objects.select_for_update().get(pk=mention.pk)
        now = timezone.now()
        reply = MentionReply.objects.create(
            mention=current,
            kind=kind,
            text=text,
            channel=channel,
            external_id=(external_id or "")[:255],
            external_url=(external_url or "")[:1000],
            replied_by=by,
        )
        updates: dict = {"engaged_at": current.engaged_at or now}
        if current.first_response_at is None:
            updates["first_response_at"] = now
            updates["first_response_seconds"] = max(
                0, int((now - current.fetched_at).total_seconds())
            )
            updates["first_response_by"] = by
        if kind == ReplyKind.ANSWER and current.status in (
            *OPEN_MENTION_STATUSES,
            MentionStatus.CLOSED,
            MentionStatus.IGNORED,
        ):
            updates["status"] = MentionStatus.RESPONDED
            updates["status_changed_at"] = now
        if current.assignee_id is None:
            updates["assignee"] = by
        Mention.objects.filter(pk=current.pk).update(**updates)
        for key, value in updates.items():
            setattr(mention, key, value)
    return reply


def mention_link(*, mention: Mention, by, idea=None, question=None) -> MentionLink:
    """Link a mention to an idea or a question. Linking the same pair again
    returns the existing link."""
    _require_staff(by)
    if (idea is None) == (question is None):
        raise ValidationError(_("Link to one idea or one question."))
    target = {"idea": idea} if idea is not None else {"question": question}
    with transaction.atomic():
        existing = MentionLink.objects.filter(mention=mention, **target).first()
        if existing:
            return existing
        try:
            with transaction.atomic():
                link = MentionLink.objects.create(
                    mention=mention, linked_by=by, **target
                )
        except IntegrityError:  # linked at the same moment by someone else
            return MentionLink.objects.get(mention=mention, **target)
        now = timezone.now()
        updates = {"engaged_at": mention.engaged_at or now}
        if mention.status in (*OPEN_MENTION_STATUSES, MentionStatus.RESPONDED):
            updates.update({"status": MentionStatus.LINKED, "status_changed_at": now})
        Mention.objects.filter(pk=mention.pk).update(**updates)
        for key, value in updates.items():
            setattr(mention, key, value)
    return link


def mention_mark_invited(mention: Mention, now=None) -> None:
    """An invitation was drafted for this mention's author."""
    now = now or timezone.now()
    Mention.objects.filter(
        pk=mention.pk,
        status__in=[
            *OPEN_MENTION_STATUSES,
            MentionStatus.RESPONDED,
            MentionStatus.LINKED,
        ],
    ).update(status=MentionStatus.INVITED, status_changed_at=now)


# --- closing the loop --------------------------------------------------------


def loop_prompt(*, idea, to_status: str) -> int:
    """A linked idea moved to a new status: ask each staff member who linked
    posts to it to tell those people. Returns the number of prompts sent."""
    from django.urls import reverse

    from portal.notifications.services import notification_send

    links = MentionLink.objects.filter(idea=idea, loop_closed_at__isnull=True)
    now = timezone.now()
    links.update(loop_status=to_status, loop_prompted_at=now)
    linkers = {}
    for link in links.select_related("linked_by"):
        if link.linked_by and link.linked_by.is_active and link.linked_by.is_staff:
            linkers.setdefault(link.linked_by, 0)
            linkers[link.linked_by] += 1
    sent = 0
    from ideas.models import IdeaStatus

    for user, count in linkers.items():
        # Written in the linker's language, not in that of whoever changed
        # the status.
        with translation.override(user.language or settings.LANGUAGE_CODE):
            status_label = str(dict(IdeaStatus.choices).get(to_status, to_status))
            title = _("Close the loop: “%(idea)s” is now %(status)s") % {
                "idea": idea.title[:120],
                "status": status_label.lower(),
            }
            body = ngettext(
                "You linked %(count)d social post to this idea. Let that "
                "person know what happened.",
                "You linked %(count)d social posts to this idea. Let those "
                "people know what happened.",
                count,
            ) % {"count": count}
        notification_send(
            recipient=user,
            kind="listening.close_loop",
            title=title,
            body=body,
            url=reverse("listening_inbox:loop", args=[idea.pk]),
        )
        sent += 1
    return sent


def loop_close(
    *, link: MentionLink, by, text: str, channel: str, **reply
) -> MentionReply:
    """Tell the person behind a linked post what became of the idea."""
    _require_staff(by)
    with transaction.atomic():
        result = reply_record(
            mention=link.mention,
            by=by,
            text=text,
            channel=channel,
            kind=ReplyKind.LOOP,
            **reply,
        )
        MentionLink.objects.filter(pk=link.pk).update(loop_closed_at=timezone.now())
    return result


def links_for_loop(idea) -> list[MentionLink]:
    return list(
        MentionLink.objects.filter(idea=idea)
        .select_related("mention", "mention__source", "linked_by")
        .order_by("loop_closed_at", "-created_at")
    )


def open_filter() -> Q:
    return Q(status__in=OPEN_MENTION_STATUSES)
