"""What happens after an invited person clicks "Join" (issue 6,
"consent-first invitation"): their post becomes a draft they own, they edit
it, and publishing it makes it an idea or a question.

- `invitation_join`: once per invitation. The invitation moves to "joined"
  (a conditional UPDATE, like consent._step), the ledger records it, the
  Person is linked to the member account, and the post becomes a draft:
  a question when its intent is "question", an idea otherwise.
- `draft_update`, `draft_publish`, `draft_discard`: only the owner. Publishing
  goes through the ideas and experts services (their validation, their
  notifications), moves the invitation to "contributed", and links the
  original post to the new idea or question so the idea counts it as "heard
  on social".
- `join_from_session`, `login_landing`: the glue for the sign-up flow; the
  receivers in listening/signals.py call them.

Social identity. Joining links the Person (the human behind the handles) to
the member account: `Person.user` is the identity link. Logging in with
Mastodon or Bluesky is not configured (allauth has no provider for either),
so nothing more can be linked for those networks. A member who signed up
with an OAuth account of the same network (X through `twitter_oauth2`, or
Reddit) already has an allauth `SocialAccount`; nothing more is recorded for
them either, so no handle is ever stored in clear text.
"""

from __future__ import annotations

import re
import time

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.core.text import clean_single_line

from .models import (
    ConsentEvent,
    ConsentEventKind,
    ContributionDraft,
    DraftKind,
    Intent,
    Invitation,
    InvitationStatus,
    Mention,
    MentionLink,
    Person,
)

# Where "Join" leaves the invitation for the sign-up flow to pick up, and
# where the receivers leave the draft the member should land on.
SESSION_INVITATION = "listening_invitation"
SESSION_DRAFT = "listening_draft"
# portal.accounts.adapters.AccountAdapter sends the next login there (a
# local path only); portal never imports listening, so it is a plain key.
SESSION_LOGIN_REDIRECT = "accounts_login_redirect"

JOINABLE = (InvitationStatus.OFFERED, InvitationStatus.OPENED)
TITLE_TARGET = 100
TITLE_MAX = 160
BODY_MAX = 10000
# Short enough for the ideas and the questions title minimum (8 and 10).
FALLBACK_TITLES = {
    DraftKind.IDEA: _("An idea I shared on social media"),
    DraftKind.QUESTION: _("A question I asked on social media"),
}
_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_LEADING_HANDLES = re.compile(r"^(?:[@.]\S+\s+)+")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


# --- the draft's first version ----------------------------------------------


def _one_line(text: str) -> str:
    # Line breaks become spaces first: clean_single_line drops them.
    return clean_single_line(" ".join((text or "").split()))


def _language(mention: Mention | None) -> str:
    return ((mention.language if mention else "") or "").split("-")[0].lower()[:10]


def _kind(mention: Mention | None) -> str:
    if mention is not None and mention.intent == Intent.QUESTION:
        return DraftKind.QUESTION
    return DraftKind.IDEA


def draft_title(text: str, *, kind: str = DraftKind.IDEA, language: str = "") -> str:
    """A title from a post: its first sentence, or its first ~100 characters
    on one line, without links or the @handles a reply starts with. Never
    empty: a short or empty post gets a generic title to edit."""
    cleaned = _one_line(_URL.sub(" ", text or ""))
    cleaned = _one_line(_LEADING_HANDLES.sub("", cleaned))
    first = _SENTENCE_END.split(cleaned, maxsplit=1)[0]
    title = first if len(first) >= 10 else cleaned
    if len(title) > TITLE_TARGET:
        cut = title[:TITLE_TARGET].rsplit(" ", 1)[0] or title[:TITLE_TARGET]
        title = cut.rstrip(" ,;:-") + "…"
    if len(title) < 10:
        codes = {code for code, _name in settings.LANGUAGES}
        with translation.override(language if language in codes else None):
            title = str(FALLBACK_TITLES.get(kind, FALLBACK_TITLES[DraftKind.IDEA]))
    return title


def _draft_fields(mention: Mention | None) -> dict:
    if mention is None or mention.pseudonymised_at is not None:
        # The post is gone or expired: the person starts from an empty page.
        return {"kind": DraftKind.IDEA, "title": "", "body": "", "language": ""}
    kind = _kind(mention)
    language = _language(mention)
    body = (mention.text or "").replace("\x00", "").strip()[:BODY_MAX]
    return {
        "kind": kind,
        "title": draft_title(body, kind=kind, language=language),
        "body": body,
        "language": language,
    }


# --- joining -----------------------------------------------------------------


def invitation_usable(invitation: Invitation | None) -> bool:
    return (
        invitation is not None
        and invitation.status in JOINABLE
        and invitation.expires_at > timezone.now()
    )


def invitation_join(*, invitation: Invitation, user) -> ContributionDraft:
    """The invited person joined as `user`: their post becomes a draft they
    own. Once only; calling it again returns the same draft."""
    if not (getattr(user, "is_authenticated", False) and user.is_active):
        raise PermissionDenied(gettext("Log in to join."))
    with transaction.atomic():
        # No select_related: PostgreSQL cannot lock the nullable side of
        # the outer join to the mention.
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        existing = ContributionDraft.objects.filter(invitation=invitation).first()
        if existing is not None:
            if existing.owner_id != user.pk:
                raise PermissionDenied(gettext("This invitation was already used."))
            return existing
        if not invitation_usable(invitation):
            raise ValidationError(gettext("This invitation can no longer be used."))
        now = timezone.now()
        moved = Invitation.objects.filter(pk=invitation.pk, status__in=JOINABLE).update(
            status=InvitationStatus.JOINED, joined_at=now
        )
        if not moved:  # joined, declined or opted out a moment ago
            raise ValidationError(gettext("This invitation can no longer be used."))
        ConsentEvent.objects.create(
            kind=ConsentEventKind.JOINED,
            invitation=invitation,
            person_id=invitation.person_id,
            handle_hash=invitation.handle_hash,
            actor=user,
        )
        # The identity link (see the module docstring); an earlier link wins.
        Person.objects.filter(pk=invitation.person_id, user__isnull=True).update(
            user=user
        )
        return ContributionDraft.objects.create(
            invitation=invitation, owner=user, **_draft_fields(invitation.mention)
        )


JOIN_WINDOW = 2 * 60 * 60  # seconds from "Join" to signing up or logging in


def join_session_value(invitation) -> list:
    return [invitation.pk, int(time.time())]


def join_from_session(*, session, user) -> ContributionDraft | None:
    """Join the invitation that "Join" left in the session, if it is still
    usable; remember the draft for the landing after login."""
    if session is None or SESSION_INVITATION not in session:
        return None
    value = session.pop(SESSION_INVITATION)
    # [invitation id, when "Join" was clicked]: an old click in a shared
    # browser must not hand someone's invitation to the next person who
    # logs in there.
    pk, clicked = (value + [0, 0])[:2] if isinstance(value, list) else (None, 0)
    if not isinstance(clicked, int | float) or time.time() - clicked > JOIN_WINDOW:
        return None
    invitation = (
        Invitation.objects.filter(pk=pk).first() if isinstance(pk, int) else None
    )
    if not invitation_usable(invitation):
        return None
    try:
        draft = invitation_join(invitation=invitation, user=user)
    except (PermissionDenied, ValidationError):
        return None
    session[SESSION_DRAFT] = draft.pk
    return draft


def draft_url(draft: ContributionDraft) -> str:
    return reverse("listening_draft", args=[draft.pk])


def login_landing(*, session, user) -> str:
    """Where a member with drafts waiting lands after logging in: the draft
    they just made, or their drafts. Also works when the confirmation link
    of the sign-up was opened in another browser. "" when nothing waits."""
    if session is None or not getattr(user, "is_authenticated", False):
        return ""
    waiting = ContributionDraft.objects.filter(owner=user, published_at__isnull=True)
    pending = session.get(SESSION_DRAFT)
    if pending and waiting.filter(pk=pending).exists():
        url = reverse("listening_draft", args=[pending])
    elif waiting.exists():
        url = reverse("listening_drafts")
    else:
        return ""
    session[SESSION_LOGIN_REDIRECT] = url
    return url


# --- the member's drafts -----------------------------------------------------


def _require_owner(draft: ContributionDraft, user) -> None:
    if not (
        getattr(user, "is_authenticated", False)
        and user.is_active
        and draft.owner_id == user.pk
    ):
        raise PermissionDenied(gettext("Only you can change your draft."))


def _check_kind(kind: str) -> str:
    if kind not in DraftKind.values:
        raise ValidationError({"kind": gettext("Choose idea or question.")})
    return kind


def draft_update(
    *, draft: ContributionDraft, user, title: str, body: str, kind: str
) -> ContributionDraft:
    """Save the draft as it is; checked only when it is published."""
    _require_owner(draft, user)
    if draft.published_at:
        raise ValidationError(gettext("This draft is already published."))
    draft.kind = _check_kind(kind)
    draft.title = _one_line(title)[:TITLE_MAX]
    draft.body = (body or "").replace("\x00", "").strip()[:BODY_MAX]
    draft.save(update_fields=["kind", "title", "body"])
    return draft


def _published(draft: ContributionDraft):
    obj = draft.idea or draft.question
    if obj is None:  # published, then deleted by staff
        raise ValidationError(gettext("This draft is already published."))
    return obj


def _link_mention(invitation: Invitation | None, **target) -> None:
    """Count the original post on the new idea or question ("heard on
    social"), as linked by whoever offered the invitation."""
    if invitation is None or invitation.mention_id is None:
        return
    by = invitation.offered_by
    if by is not None and not (by.is_active and by.is_staff):
        by = None
    try:
        with transaction.atomic():
            MentionLink.objects.get_or_create(
                mention_id=invitation.mention_id,
                defaults={"linked_by": by},
                **target,
            )
    except IntegrityError:  # linked at the same moment by someone else
        pass


def _contributed(invitation: Invitation | None, user) -> None:
    if invitation is None:
        return
    now = timezone.now()
    moved = Invitation.objects.filter(
        pk=invitation.pk, status=InvitationStatus.JOINED
    ).update(status=InvitationStatus.CONTRIBUTED, contributed_at=now)
    if moved:
        invitation.status = InvitationStatus.CONTRIBUTED
        invitation.contributed_at = now
        ConsentEvent.objects.create(
            kind=ConsentEventKind.CONTRIBUTED,
            invitation=invitation,
            person_id=invitation.person_id,
            handle_hash=invitation.handle_hash,
            actor=user,
        )


def draft_publish(
    *, draft: ContributionDraft, user, title: str, body: str, kind: str = ""
):
    """Publish the draft as an idea or a question (returns it). Only the
    owner; the ideas or experts validation applies (a ValidationError keyed
    by "title" and "body"). Publishing again returns the same object."""
    from experts.services.questions import question_ask, validate_question_text
    from ideas.services.submit import idea_submit, validate_idea_text

    _require_owner(draft, user)
    with transaction.atomic():
        # Locked alone (its relations are nullable outer joins, which
        # PostgreSQL cannot lock); a second publish waits here.
        draft = ContributionDraft.objects.select_for_update().get(pk=draft.pk)
        if draft.published_at:
            return _published(draft)
        kind = _check_kind(kind or draft.kind)
        if kind == DraftKind.QUESTION:
            title, body = validate_question_text(title=title, body=body)
            obj = question_ask(
                author=user, title=title, body=body, language=draft.language
            )
            draft.question, target = obj, {"question": obj}
        else:
            title, body = validate_idea_text(title=title, body=body)
            obj = idea_submit(
                author=user, title=title, body=body, language=draft.language
            )
            draft.idea, target = obj, {"idea": obj}
        draft.kind, draft.title, draft.body = kind, title[:TITLE_MAX], body
        draft.published_at = timezone.now()
        draft.save(
            update_fields=["kind", "title", "body", "published_at", "idea", "question"]
        )
        _contributed(draft.invitation, user)
        _link_mention(draft.invitation, **target)
    return obj


def draft_discard(*, draft: ContributionDraft, user) -> None:
    """Throw the draft away. The ledger keeps "joined"; nothing is
    published."""
    _require_owner(draft, user)
    if draft.published_at:
        raise ValidationError(gettext("This draft is already published."))
    ContributionDraft.objects.filter(pk=draft.pk, published_at__isnull=True).delete()


# --- reads -------------------------------------------------------------------


def drafts_for(user):
    """The member's unpublished drafts, newest first."""
    return ContributionDraft.objects.filter(owner=user, published_at__isnull=True)
