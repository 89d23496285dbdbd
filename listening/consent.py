"""The consent ledger: who may be invited, and what happened to each
invitation (issue 6, "consent-first invitation").

Rules, checked in this order before anything is drafted (`invitation_check`):

1. opted out: any handle of the person, or this handle, opted out → never;
2. invited before: the person (across all their handles) already has
   LISTENING_INVITE_MAX_PER_PERSON invitations (default 1, ever) → never;
3. sensitive: a strongly negative post (sentiment at or below
   LISTENING_INVITE_SENTIMENT_FLOOR) or one about illness, death, grief,
   suicide, debt, divorce or abuse (enrichment/sensitivity.py) → only staff
   can override, with a written reason that the ledger records;
4. no author: nobody to invite.

`invitation_offer` runs the check while holding a row lock on the Person, so
two offers at once cannot both pass. It only drafts: nothing is ever sent.
Handles are kept only as keyed hashes (listening.privacy.handle_hash), and
opt-outs are never deleted, not by retention and not by erasure.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from .enrichment.sensitivity import sensitive_topics
from .models import (
    ConsentEvent,
    ConsentEventKind,
    Invitation,
    InvitationStatus,
    Mention,
    OptOut,
    Person,
    PersonHandle,
)
from .pages import INVITE_VALID_DAYS_MAX
from .privacy import (
    PSEUDONYM_PREFIX,
    _handle_hashes,
    handle_hash,
    handle_normalise,
    mention_engage,
)
from .webcare import mention_mark_invited, webcare_settings

INVITATION_SALT = "listening.consent.invitation"
REPLY_LANGUAGES = ("en", "nl")
# Once an invitation reached one of these, its token grants nothing more.
FINAL_STATUSES = (
    InvitationStatus.JOINED,
    InvitationStatus.CONTRIBUTED,
    InvitationStatus.DECLINED,
    InvitationStatus.OPTED_OUT,
)
REFUSAL_MESSAGES = {
    "opted_out": _("This person asked never to be invited."),
    "invited_before": _("This person has been invited before."),
    "sensitive": _(
        "This post is emotional or about a sensitive subject. Staff can "
        "override this with a written reason."
    ),
    "no_author": _("This mention has no author to invite."),
}
TOKEN_MESSAGES = {
    "forged": _("This invitation link is not valid."),
    "unknown": _("This invitation link is not valid."),
    "expired": _("This invitation link has expired."),
    "used": _("This invitation link has already been used."),
}


@dataclass(frozen=True)
class Refusal:
    """Why an invitation was not drafted."""

    code: str
    detail: str = ""

    @property
    def message(self) -> str:
        return str(REFUSAL_MESSAGES[self.code])

    @property
    def overridable(self) -> bool:
        return self.code == "sensitive"


# --- people and handles ------------------------------------------------------


def _hash_or_error(handle: str) -> str:
    if not handle_normalise(handle):
        raise ValueError("empty handle")
    return handle_hash(handle)


def person_for_handle(network: str, handle: str) -> Person:
    """The person behind this handle, created on first sight."""
    digest = _hash_or_error(handle)
    found = PersonHandle.objects.select_related("person").filter(handle_hash=digest)
    existing = found.first()
    if existing:
        return existing.person
    try:
        with transaction.atomic():
            person = Person.objects.create()
            PersonHandle.objects.create(
                person=person, handle_hash=digest, network=network or ""
            )
            return person
    except IntegrityError:  # someone else created it meanwhile
        return found.get().person


def handles_link(
    handle_a: str, handle_b: str, network_a: str = "", network_b: str = ""
) -> Person:
    """Put two handles on one person. Two people become one: the older keeps
    every handle, invitation and ledger event of the other, so whoever was
    invited or opted out under either handle stays so."""
    with transaction.atomic():
        first = person_for_handle(network_a, handle_a)
        second = person_for_handle(network_b, handle_b)
        if first.pk == second.pk:
            return first
        keep, gone = sorted(
            Person.objects.select_for_update().filter(pk__in=[first.pk, second.pk]),
            key=lambda p: p.pk,
        )
        PersonHandle.objects.filter(person=gone).update(person=keep)
        Invitation.objects.filter(person=gone).update(person=keep)
        ConsentEvent.objects.filter(person=gone).update(person=keep)
        gone.delete()
        return keep


def _opted_out(hashes: list[str]) -> bool:
    return OptOut.objects.filter(handle_hash__in=hashes).exists()


def _optout_forms(handle: str, network: str) -> list[str]:
    """The stored forms an opt-out must cover. Reddit authors are stored as
    "u/name", but people type "name": on Reddit, or when no network is
    given, both forms are opted out."""
    normalised = handle_normalise(handle)
    forms = [normalised]
    if (
        network in ("", "reddit")
        and "@" not in normalised
        and not normalised.startswith("u/")
    ):
        forms.append("u/" + normalised)
    return forms


@transaction.atomic
def optout_record(*, handle: str, network: str = "", via: str, person=None) -> None:
    """Never invite this handle (or its person) again. Idempotent, and it
    answers the same whether or not the handle was known."""
    _hash_or_error(handle)
    for form in _optout_forms(handle, network):
        _optout_one(handle_hash(form), via=via, person=person)


def _optout_one(digest: str, *, via: str, person=None) -> None:
    optout, created = OptOut.objects.get_or_create(
        handle_hash=digest, defaults={"via": via}
    )
    if person is None:
        known = PersonHandle.objects.select_related("person").filter(handle_hash=digest)
        person = known[0].person if known else None
    if created:
        ConsentEvent.objects.create(
            kind=ConsentEventKind.OPTED_OUT,
            person=person,
            handle_hash=digest,
            reason=via,
        )
    if person is not None:
        # Open invitations of this person end here: their links stop working.
        Invitation.objects.filter(
            person=person,
            status__in=[InvitationStatus.OFFERED, InvitationStatus.OPENED],
        ).update(status=InvitationStatus.OPTED_OUT, opted_out_at=timezone.now())


# --- checking and offering ---------------------------------------------------


def _mention_handle(mention: Mention) -> str:
    handle = mention.author_handle or ""
    if mention.pseudonymised_at and handle.startswith(PSEUDONYM_PREFIX):
        return ""  # expired: the author is no longer known
    return handle if handle_normalise(handle) else ""


def _person_hashes(person: Person | None, handle: str) -> list[str]:
    hashes = set(_handle_hashes(handle_normalise(handle))) if handle else set()
    if person is not None:
        hashes.update(person.handles.values_list("handle_hash", flat=True))
    return sorted(hashes)


def sensitivity_refusal(mention: Mention, cfg=None) -> Refusal | None:
    """A strongly negative post, or one about a sensitive subject (the rules
    are in WebcareSettings)."""
    cfg = cfg or webcare_settings()
    score = mention.sentiment_score
    if score is not None and score <= cfg.sentiment_floor:
        return Refusal("sensitive", detail="sentiment")
    topics = sensitive_topics(mention.text, tuple(cfg.extra_sensitive_terms()))
    if not cfg.block_sensitive_topics:
        topics = [t for t in topics if t == "custom"]
    if topics:
        return Refusal("sensitive", detail=",".join(topics))
    return None


def invitation_check(
    *,
    mention: Mention,
    person: Person | None = None,
    allow_sensitive: bool = False,
    cfg=None,
) -> Refusal | None:
    """Why this mention's author may not be invited, or None if they may.

    `allow_sensitive` skips rule 3 only (a recorded staff override); the
    other rules cannot be overridden.
    """
    handle = _mention_handle(mention)
    if handle and person is None:
        digest = handle_hash(handle)
        known = PersonHandle.objects.select_related("person").filter(handle_hash=digest)
        person = known[0].person if known else None
    if handle and _opted_out(_person_hashes(person, handle)):
        return Refusal("opted_out")
    cfg = cfg or webcare_settings()
    if person is not None:
        invitations = Invitation.objects.filter(person=person)
        if invitations.count() >= cfg.invite_max_per_person:
            return Refusal("invited_before")
        cooldown = timedelta(days=cfg.invite_cooldown_days)
        if invitations.filter(created_at__gt=timezone.now() - cooldown).exists():
            return Refusal("invited_before", detail="cooldown")
    if not allow_sensitive:
        refusal = sensitivity_refusal(mention, cfg)
        if refusal is not None:
            return refusal
    if not handle:
        return Refusal("no_author")
    return None


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=INVITATION_SALT)


def invitation_token(invitation: Invitation) -> str:
    """ "<id>.<nonce>:<time>:<signature>", about 85 characters: short enough
    for a reply on Bluesky (300) with the opt-out link and a sentence."""
    return _signer().sign(f"{invitation.pk}.{invitation.nonce}")


def reply_language(mention: Mention | None) -> str:
    language = (mention.language if mention else "") or ""
    language = language.split("-")[0].lower()
    return language if language in REPLY_LANGUAGES else REPLY_LANGUAGES[0]


def _absolute(path: str) -> str:
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path


def _greeting_name(mention: Mention | None, handle: str) -> str:
    """How the drafted reply greets the person. Mastodon notifies only the
    accounts a post mentions, so there it is "@name"; a Bluesky reply
    notifies its parent's author anyway, and a long "@name.bsky.social"
    would eat a tenth of the 300 characters, so there it is the first name."""
    if not handle:
        return ""
    network = mention.source.kind if mention is not None and mention.source_id else ""
    if network == "bluesky":
        first = (mention.author_name or "").split()
        return first[0][:30] if first else handle_normalise(handle).split(".")[0]
    return "@" + handle_normalise(handle).split("@")[0]


def reply_draft(invitation: Invitation, handle: str, cfg=None) -> str:
    language = invitation.language or REPLY_LANGUAGES[0]
    with translation.override(language):
        invite_url = _absolute(
            reverse("listening_invite", args=[invitation_token(invitation)])
        )
        optout_url = _absolute(reverse("listening_optout"))
    shown = _greeting_name(invitation.mention, handle)
    template = (cfg or webcare_settings()).invite_text(language)
    try:
        return template.format(
            handle=shown, invite_url=invite_url, optout_url=optout_url
        )
    except (KeyError, IndexError, ValueError):  # a text saved before validation
        return f"{shown} {invite_url} ({optout_url})".strip()


def invitation_offer(
    *, mention: Mention, user, override_reason: str = ""
) -> Invitation | Refusal:
    """Draft an invitation for the author of this mention, or say why not.

    Only staff may override a "sensitive" refusal, and only with a reason.
    Every outcome is recorded in the ledger. Nothing is sent.
    """
    override_reason = (override_reason or "").strip()
    handle = _mention_handle(mention)
    network = mention.source.kind if mention.source_id else ""
    cfg = webcare_settings()
    with transaction.atomic():
        person = None
        digest = ""
        if handle:
            person = person_for_handle(network, handle)
            # The lock: a second offer for this person waits here, then sees
            # the first one's invitation.
            person = Person.objects.select_for_update().get(pk=person.pk)
            digest = handle_hash(handle)
        refusal = invitation_check(mention=mention, person=person, cfg=cfg)
        overridden = (
            refusal is not None
            and refusal.overridable
            and bool(override_reason)
            and getattr(user, "is_staff", False)
        )
        if overridden:
            sensitive, refusal = (
                refusal,
                invitation_check(
                    mention=mention, person=person, allow_sensitive=True, cfg=cfg
                ),
            )
        if refusal is not None:
            ConsentEvent.objects.create(
                kind=ConsentEventKind.REFUSED,
                person=person,
                handle_hash=digest,
                actor=user if getattr(user, "pk", None) else None,
                reason=refusal.code + (f": {refusal.detail}" if refusal.detail else ""),
            )
            return refusal
        now = timezone.now()
        invitation = Invitation.objects.create(
            mention=mention,
            person=person,
            handle_hash=digest,
            offered_by=user,
            override_reason=override_reason if overridden else "",
            language=reply_language(mention),
            nonce=secrets.token_hex(16),
            expires_at=now + timedelta(days=cfg.invite_valid_days),
        )
        invitation.reply_text = reply_draft(invitation, handle, cfg)
        invitation.save(update_fields=["reply_text"])
        if overridden:
            ConsentEvent.objects.create(
                kind=ConsentEventKind.OVERRIDE,
                invitation=invitation,
                person=person,
                handle_hash=digest,
                actor=user,
                reason=f"{sensitive.code}: {sensitive.detail} — {override_reason}",
            )
        ConsentEvent.objects.create(
            kind=ConsentEventKind.OFFERED,
            invitation=invitation,
            person=person,
            handle_hash=digest,
            actor=user,
        )
        mention_engage(mention, now=now)
        mention_mark_invited(mention, now=now)
    return invitation


# --- the invited person's steps ----------------------------------------------


def invitation_from_token(token: str) -> tuple[Invitation | None, str]:
    """(invitation, "") for a usable token, else (None, reason): "forged",
    "expired", "unknown" or "used"."""
    # The invitation's own expires_at decides; the signature only has to be
    # younger than the longest validity the settings allow.
    max_age = timedelta(days=INVITE_VALID_DAYS_MAX + 1)
    try:
        value = _signer().unsign(token or "", max_age=max_age)
    except signing.SignatureExpired:
        return None, "expired"
    except signing.BadSignature:
        return None, "forged"
    pk, _dot, nonce = value.partition(".")
    if not (pk.isdigit() and len(pk) < 19 and nonce):
        return None, "forged"
    invitation = (
        Invitation.objects.select_related("mention", "mention__source")
        .filter(pk=int(pk), nonce=nonce)
        .first()
    )
    if invitation is None:
        return None, "unknown"
    if invitation.status in FINAL_STATUSES:
        return None, "used"
    if invitation.expires_at <= timezone.now():
        return None, "expired"
    return invitation, ""


def _step(invitation: Invitation, status: str, field: str, kind: str) -> bool:
    """Move an invitation on, once: a conditional UPDATE, so a repeated or
    concurrent step changes nothing more. True if this call moved it."""
    now = timezone.now()
    allowed = [InvitationStatus.OFFERED, InvitationStatus.OPENED]
    moved = Invitation.objects.filter(pk=invitation.pk, status__in=allowed).update(
        status=status, **{field: now}
    )
    if moved:
        invitation.status = status
        setattr(invitation, field, now)
        ConsentEvent.objects.create(
            kind=kind,
            invitation=invitation,
            person_id=invitation.person_id,
            handle_hash=invitation.handle_hash,
        )
    return bool(moved)


def invitation_open(invitation: Invitation) -> bool:
    if invitation.status != InvitationStatus.OFFERED:
        return False  # opened before: nothing to record
    now = timezone.now()
    with transaction.atomic():
        moved = Invitation.objects.filter(
            pk=invitation.pk, status=InvitationStatus.OFFERED
        ).update(status=InvitationStatus.OPENED, opened_at=now)
        if moved:
            invitation.status = InvitationStatus.OPENED
            invitation.opened_at = now
            ConsentEvent.objects.create(
                kind=ConsentEventKind.OPENED,
                invitation=invitation,
                person_id=invitation.person_id,
                handle_hash=invitation.handle_hash,
            )
    return bool(moved)


def invitation_decline(invitation: Invitation) -> bool:
    with transaction.atomic():
        return _step(
            invitation,
            InvitationStatus.DECLINED,
            "declined_at",
            ConsentEventKind.DECLINED,
        )


def invitation_optout(invitation: Invitation) -> bool:
    """ "Never ask me again": the invitation ends and every handle of the
    person is opted out for good."""
    with transaction.atomic():
        moved = _step(
            invitation,
            InvitationStatus.OPTED_OUT,
            "opted_out_at",
            ConsentEventKind.OPTED_OUT,
        )
        if moved:
            hashes = set(
                PersonHandle.objects.filter(person_id=invitation.person_id).values_list(
                    "handle_hash", flat=True
                )
            )
            hashes.add(invitation.handle_hash)
            for digest in sorted(h for h in hashes if h):
                OptOut.objects.get_or_create(
                    handle_hash=digest, defaults={"via": "link"}
                )
            # The person's other open invitations (if the maximum allows more
            # than one) end too: "never" means never.
            Invitation.objects.filter(
                person_id=invitation.person_id,
                status__in=[InvitationStatus.OFFERED, InvitationStatus.OPENED],
            ).update(
                status=InvitationStatus.OPTED_OUT,
                opted_out_at=invitation.opted_out_at,
            )
    return moved
