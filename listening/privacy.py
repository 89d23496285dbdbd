"""Retention and privacy for listening: expire mentions nobody engaged with,
and export or erase everything stored about one author's handle.

Handles are compared in a normal form (`handle_normalise`) and remembered
only as keyed hashes (`handle_hash`, HMAC-SHA256 with SECRET_KEY): an erased
author's handle is not kept, yet later fetches, webhooks and imports can
still recognise and skip it (`handles_suppressed`, used by
`services.mention_upsert_batch`).

Expired mentions keep a stable pseudonym instead of the handle
(`handle_pseudonym`), so reports can still count one author's posts once
without saying who wrote them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.models import Case, QuerySet, Value, When
from django.db.models.functions import Cast
from django.utils import timezone

from portal.core.outbox import enqueue_call

from .apps import RETENTION_ACTIONS
from .models import Invitation, Mention, PrivacyRequest, PrivacyRequestKind

PSEUDONYM_PREFIX = "anon-"
# Different salts: a pseudonym cannot be matched against the stored hashes of
# privacy requests, and neither reveals the other.
_HASH_SALT = "listening.privacy.handle"
_PSEUDONYM_SALT = "listening.privacy.pseudonym"
# What a pseudonymised mention keeps of its raw payload: engagement counts
# only (influence and reports use them), as the connectors name them.
ENGAGEMENT_KEYS = frozenset(
    {
        "reblogs_count",  # Mastodon
        "favourites_count",
        "replies_count",
        "reposts",  # Bluesky, webhook, uploads
        "likes",
        "replies",
        "quotes",
        "score",  # Reddit
        "num_comments",
        "retweet_count",  # X v2 public_metrics
        "reply_count",
        "like_count",
        "quote_count",
    }
)


# --- handles ---------------------------------------------------------------


def handle_normalise(handle: str) -> str:
    """One form per handle: NFKC, case-folded, trimmed, without a leading "@".

    "@Sanne@mastodon.social", " sanne@Mastodon.Social " and
    "sanne@mastodon.social" are the same author.
    """
    text = unicodedata.normalize("NFKC", handle or "").strip().casefold()
    # "/u/name" (how Reddit links a user) is stored as "u/name"; the "u/"
    # stays, so a Reddit name never matches someone's X handle.
    return text.lstrip("@/").strip()


@lru_cache(maxsize=16)
def _derived_key(salt: str, secret: str) -> bytes:
    # What django.utils.crypto.salted_hmac derives on every call; kept, since
    # every handle of every fetched batch is hashed.
    return hashlib.sha256(salt.encode() + secret.encode()).digest()


def _hmac(salt: str, normalised: str, secret: str | None = None) -> str:
    """HMAC-SHA256, the same value as salted_hmac(salt, value, secret)."""
    key = _derived_key(salt, settings.SECRET_KEY if secret is None else secret)
    return hmac.new(key, normalised.encode(), hashlib.sha256).hexdigest()


def handle_hash(handle: str) -> str:
    """The keyed hash stored for a handle (64 hex characters)."""
    return _hmac(_HASH_SALT, handle_normalise(handle))


def _handle_hashes(normalised: str) -> list[str]:
    """The hash under the current key and under each fallback key, so an
    erasure survives a SECRET_KEY rotation done with SECRET_KEY_FALLBACKS."""
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [_hmac(_HASH_SALT, normalised, secret) for secret in secrets]


def handle_pseudonym(handle: str) -> str:
    """A stable stand-in for a handle ("anon-" + 12 hex); empty stays empty."""
    normalised = handle_normalise(handle)
    if not normalised:
        return ""
    return PSEUDONYM_PREFIX + _hmac(_PSEUDONYM_SALT, normalised)[:12]


def handle_mask(handle: str) -> str:
    """A hint for the log that never spells out the handle:
    "@Sanne@mastodon.social" → "@sa…@mastodon.social", "@user1" → "@us…"."""
    normalised = handle_normalise(handle)
    local, at, domain = normalised.partition("@")
    if len(local) > 4:
        shown = local[:2]
    elif len(local) > 1:
        shown = local[:1]
    else:
        shown = ""
    hint = f"@{shown}…" + (f"@{domain}" if at else "")
    return hint[:64]


def handles_suppressed(handles: Iterable[str]) -> set[str]:
    """Which of these handles (as given) belong to erased authors.

    One query for the whole batch, however many handles it has.
    """
    by_hash: dict[str, set[str]] = defaultdict(set)
    for handle in set(handles):
        normalised = handle_normalise(handle)
        if normalised:
            for digest in _handle_hashes(normalised):
                by_hash[digest].add(handle)
    if not by_hash:
        return set()
    erased = PrivacyRequest.objects.filter(
        kind=PrivacyRequestKind.ERASE, handle_hash__in=list(by_hash)
    ).values_list("handle_hash", flat=True)
    return {handle for digest in set(erased) for handle in by_hash[digest]}


def handle_mentions(handle: str) -> QuerySet[Mention]:
    """Every mention by this author, across all sources, including the ones
    already pseudonymised (their pseudonym is derived from the handle)."""
    normalised = handle_normalise(handle)
    if not normalised:
        return Mention.objects.none()
    # Every stored handle is put in the normal form here: a database filter
    # cannot do NFKC and case folding ("Straße" is "strasse"). It reads the
    # handles of the whole table, which is fine for a request staff run by
    # hand; fetches use the keyed hashes instead.
    pseudonym = handle_pseudonym(normalised)
    handles = Mention.objects.exclude(author_handle="").values_list(
        "pk", "author_handle"
    )
    pks = [
        pk
        for pk, author in handles.iterator(chunk_size=5000)
        if author == pseudonym or handle_normalise(author) == normalised
    ]
    return Mention.objects.filter(pk__in=pks)


# --- export and erase ------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def handle_export(*, handle: str, user=None, note: str = "") -> dict:
    """Everything stored about a handle, as a JSON-safe dict; the request is
    logged (hash and masked hint only)."""
    normalised = handle_normalise(handle)
    if not normalised:
        raise ValueError("empty handle")
    mentions = list(
        handle_mentions(normalised)
        .select_related("source")
        .prefetch_related("trackers", "corrections")
        .order_by("fetched_at", "pk")
    )
    now = timezone.now()
    data = {
        "handle": handle_mask(normalised),
        "exported_at": now.isoformat(),
        "count": len(mentions),
        "mentions": [
            {
                "source": {"name": m.source.name, "kind": m.source.kind},
                "external_id": m.external_id,
                "url": m.url,
                "author_handle": m.author_handle,
                "author_name": m.author_name,
                "author_url": m.author_url,
                "author_followers": m.author_followers,
                "text": m.text,
                "language": m.language,
                "posted_at": _iso(m.posted_at),
                "fetched_at": _iso(m.fetched_at),
                "raw": m.raw,
                "sentiment": {
                    "label": m.sentiment_label,
                    "score": m.sentiment_score,
                },
                "intent": m.intent,
                "is_lead": m.is_lead,
                "is_competitor": m.is_competitor,
                "influence": m.influence,
                "trackers": sorted(t.name for t in m.trackers.all()),
                "corrections": [
                    {
                        "field": c.field,
                        "previous": c.previous,
                        "value": c.value,
                        "created_at": _iso(c.created_at),
                    }
                    for c in m.corrections.all()
                ],
                "engaged_at": _iso(m.engaged_at),
                "pseudonymised_at": _iso(m.pseudonymised_at),
            }
            for m in mentions
        ],
    }
    PrivacyRequest.objects.create(
        kind=PrivacyRequestKind.EXPORT,
        handle_hash=handle_hash(normalised),
        handle_hint=handle_mask(normalised),
        mentions=len(mentions),
        note=note,
        requested_by=user,
    )
    return data


def handle_erase(*, handle: str, user=None, note: str = "") -> int:
    """Delete every mention by this handle (label corrections and tracker
    links go with them) and remember the erasure, so the author stays out of
    later fetches, webhooks and imports. Returns the number of mentions."""
    normalised = handle_normalise(handle)
    if not normalised:
        raise ValueError("empty handle")
    # The suppression is committed before anything is deleted, so fetches
    # that start from here on skip the author. Should the deletion fail, the
    # erasure still holds for new posts and can simply be run again.
    request = PrivacyRequest.objects.create(
        kind=PrivacyRequestKind.ERASE,
        handle_hash=handle_hash(normalised),
        handle_hint=handle_mask(normalised),
        note=note,
        requested_by=user,
    )
    with transaction.atomic():
        _total, per_model = handle_mentions(normalised).delete()
        erased = per_model.get(Mention._meta.label, 0)
        PrivacyRequest.objects.filter(pk=request.pk).update(mentions=erased)
        # The consent ledger keeps its hashes (an opt-out lasts forever), but
        # drafted invitation texts name the handle: they go.
        Invitation.objects.filter(handle_hash__in=_handle_hashes(normalised)).update(
            reply_text=""
        )
    # A fetch that checked its batch just before the erasure was recorded can
    # still commit one of this author's posts afterwards: a second pass, a
    # few minutes later, removes it. It gets the hash, never the handle.
    from .tasks import erasure_sweep

    enqueue_call(
        erasure_sweep, args=[request.handle_hash], countdown=ERASURE_SWEEP_DELAY
    )
    return erased


# Seconds after an erasure before the second pass (longer than a batch takes).
ERASURE_SWEEP_DELAY = 300


def erasure_sweep(*, hashed: str) -> int:
    """Delete mentions whose handle has this erasure hash. Idempotent."""
    if not PrivacyRequest.objects.filter(
        kind=PrivacyRequestKind.ERASE, handle_hash=hashed
    ).exists():
        return 0
    handles = Mention.objects.exclude(author_handle="").values_list(
        "pk", "author_handle"
    )
    pks = [
        pk
        for pk, author in handles.iterator(chunk_size=5000)
        if handle_hash(author) == hashed
    ]
    deleted = 0
    for start in range(0, len(pks), 1000):
        _total, per_model = Mention.objects.filter(
            pk__in=pks[start : start + 1000]
        ).delete()
        deleted += per_model.get(Mention._meta.label, 0)
    return deleted


# --- engagement and retention ----------------------------------------------


def mention_engage(mention: Mention, *, now: datetime | None = None) -> Mention:
    """Staff acted on this mention: it is kept past the retention period."""
    if mention.engaged_at is None:
        now = now or timezone.now()
        Mention.objects.filter(pk=mention.pk, engaged_at__isnull=True).update(
            engaged_at=now
        )
        mention.engaged_at = now
    return mention


def retention_action() -> str:
    action = settings.LISTENING_RETENTION_ACTION
    if action not in RETENTION_ACTIONS:
        raise ImproperlyConfigured(
            f"LISTENING_RETENTION_ACTION must be one of {RETENTION_ACTIONS}, "
            f"not {action!r}"
        )
    return action


def _engagement_only(raw) -> dict:
    if not isinstance(raw, dict):
        return {}
    return {
        key: value
        for key, value in raw.items()
        if key in ENGAGEMENT_KEYS and isinstance(value, int)
    }


def _expiring(cutoff: datetime) -> QuerySet[Mention]:
    # Matches the partial index "mention_expiring".
    return Mention.objects.filter(
        engaged_at__isnull=True, pseudonymised_at__isnull=True, fetched_at__lt=cutoff
    )


def _pseudonymise(pks: list[int], cutoff: datetime, now: datetime) -> int:
    """One conditional UPDATE for the batch: rows that another run already
    pseudonymised, or that staff engaged with meanwhile, no longer match the
    WHERE clause, so they are never hashed twice."""
    handles: dict[str, list[int]] = defaultdict(list)
    raws: dict[str, tuple[dict, list[int]]] = {}
    for pk, author, raw in (
        _expiring(cutoff).filter(pk__in=pks).values_list("pk", "author_handle", "raw")
    ):
        handles[handle_pseudonym(author)].append(pk)
        kept = _engagement_only(raw)
        raws.setdefault(json.dumps(kept, sort_keys=True), (kept, []))[1].append(pk)
    if not handles:
        return 0
    # As QuerySet.bulk_update builds it, including the cast PostgreSQL needs.
    field = Mention._meta.get_field("raw")
    raw_case = Case(
        *(
            When(pk__in=ids, then=Value(kept, output_field=field))
            for kept, ids in raws.values()
        ),
        default=Value({}, output_field=field),
        output_field=field,
    )
    if connection.features.requires_casted_case_in_updates:
        raw_case = Cast(raw_case, output_field=field)
    return (
        _expiring(cutoff)
        .filter(pk__in=[pk for ids in handles.values() for pk in ids])
        .update(
            author_handle=Case(
                *(When(pk__in=ids, then=Value(p)) for p, ids in handles.items()),
                default=Value(""),
            ),
            author_name="",
            author_url="",
            author_followers=None,
            url="",  # post links name the author on most networks
            raw=raw_case,
            pseudonymised_at=now,
        )
    )


def mentions_expire(*, now: datetime | None = None, batch_size: int = 1000) -> dict:
    """Pseudonymise or delete (LISTENING_RETENTION_ACTION) the mentions nobody
    engaged with that were fetched more than LISTENING_RETENTION_DAYS ago.

    Batched by primary key; each batch commits on its own and acts only on
    rows that still qualify, so a second run (or two at once) changes nothing
    more.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    action = retention_action()
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.LISTENING_RETENTION_DAYS)
    done = batches = 0
    last_pk = 0
    while True:
        pks = list(
            _expiring(cutoff)
            .filter(pk__gt=last_pk)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not pks:
            break
        last_pk = pks[-1]
        batches += 1
        with transaction.atomic():
            if action == "delete":
                _total, per_model = _expiring(cutoff).filter(pk__in=pks).delete()
                done += per_model.get(Mention._meta.label, 0)
            else:
                done += _pseudonymise(pks, cutoff, now)
    return {
        "action": action,
        "cutoff": cutoff.isoformat(),
        "batches": batches,
        "pseudonymised": done if action == "pseudonymise" else 0,
        "deleted": done if action == "delete" else 0,
    }
