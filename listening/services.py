"""Writes for listening: store fetched mentions, poll a source.

`mention_upsert_batch` is idempotent (one row per source and external id,
`bulk_create(ignore_conflicts=True)`) and advances the source's cursor in the
same transaction as the rows, so a retried poll neither loses nor duplicates.
"""

import logging
from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .connectors import ConnectorError, RateLimited, RawMention, connector_for
from .enrichment.cluster import cluster_key
from .enrichment.influence import influence_score
from .enrichment.intent import intent_detect
from .enrichment.language import language_detect
from .enrichment.sentiment import sentiment_analyse
from .enrichment.trackers import trackers_matching
from .models import Mention, Source, Tracker

logger = logging.getLogger(__name__)


def _queries():
    return [t.query() for t in Tracker.objects.filter(is_active=True)]


def _enrichment(raw: RawMention, language: str, matched, competitors) -> dict:
    """What the pure enrichment functions say about one post."""
    sentiment = sentiment_analyse(raw.text, language=language)
    intent = intent_detect(raw.text, language=language)
    engagement = raw.raw if isinstance(raw.raw, dict) else {}

    def count(key: str) -> int:
        value = engagement.get(key)
        return value if isinstance(value, int) and value > 0 else 0

    return {
        "sentiment_score": round(sentiment.score, 4),
        "sentiment_label": sentiment.label,
        "intent": intent.label,
        "intent_confidence": round(intent.confidence, 3),
        "is_lead": intent.is_lead or intent.label == "lead",
        "is_competitor": bool(competitors.intersection(matched)),
        "influence": round(
            influence_score(
                followers=raw.author_followers,
                reposts=count("reblogs_count") or count("reposts"),
                likes=count("favourites_count") or count("likes"),
                replies=count("replies_count") or count("replies"),
            ),
            2,
        ),
    }


def mention_upsert_batch(
    *, source: Source, raw_mentions: Sequence[RawMention], cursor: dict | None = None
) -> dict[str, int]:
    """Enrich and store mentions that match at least one tracker.

    Returns counts: stored (new rows), duplicates (already stored), unmatched
    (no tracker matched: not stored, nothing personal is kept).
    """
    queries = _queries()
    competitors = set(
        Tracker.objects.filter(kind="competitor", is_active=True).values_list(
            "pk", flat=True
        )
    )
    languages = tuple(settings.LISTENING_LANGUAGES)
    rows: list[tuple[Mention, list[int]]] = []
    unmatched = repeated = 0
    seen: set[str] = set()
    for raw in raw_mentions:
        external_id = raw.external_id[:255]
        if external_id in seen:  # the same post twice in one batch
            repeated += 1
            continue
        seen.add(external_id)
        language, confidence = language_detect(raw.text, languages=languages)
        if not language and raw.language:
            language, confidence = raw.language.split("-")[0].lower()[:10], None
        matched = trackers_matching(
            queries, raw.text, language=language, source_kind=source.kind
        )
        if not matched:
            unmatched += 1
            continue
        rows.append(
            (
                Mention(
                    source=source,
                    external_id=raw.external_id[:255],
                    url=raw.url[:1000],
                    author_handle=raw.author_handle[:255],
                    author_name=raw.author_name[:255],
                    author_url=raw.author_url[:1000],
                    author_followers=raw.author_followers,
                    text=raw.text[:20000],
                    language=language,
                    language_confidence=confidence,
                    posted_at=raw.posted_at,
                    raw=raw.raw,
                    cluster_key=cluster_key(raw.text),
                    **_enrichment(raw, language, matched, competitors),
                ),
                matched,
            )
        )
    with transaction.atomic():
        ids = [m.external_id for m, _t in rows]
        existing = set(
            Mention.objects.filter(source=source, external_id__in=ids).values_list(
                "external_id", flat=True
            )
        )
        new = [(m, t) for m, t in rows if m.external_id not in existing]
        Mention.objects.bulk_create([m for m, _t in new], ignore_conflicts=True)
        stored = {
            m.external_id: m.pk
            for m in Mention.objects.filter(
                source=source, external_id__in=[m.external_id for m, _t in new]
            ).only("pk", "external_id")
        }
        through = Mention.trackers.through
        through.objects.bulk_create(
            [
                through(mention_id=stored[m.external_id], tracker_id=tracker_id)
                for m, trackers in new
                if m.external_id in stored
                for tracker_id in trackers
            ],
            ignore_conflicts=True,
        )
        updates = {"fetched_total": F("fetched_total") + len(new)}
        if cursor is not None:
            updates["cursor"] = cursor
        Source.objects.filter(pk=source.pk).update(**updates)
    return {
        "stored": len(new),
        "duplicates": len(rows) - len(new) + repeated,
        "unmatched": unmatched,
    }


def source_poll(*, source_id: int) -> dict:
    """Fetch one source from its cursor and store what matches.

    Failures are recorded on the source (health), never raised: one broken
    source must not stop the others. A rate limit pauses the source until
    the time the network asked for.
    """
    source = Source.objects.filter(pk=source_id).first()
    now = timezone.now()
    if source is None or not source.enabled:
        return {"skipped": "disabled"}
    if source.rate_limited_until and source.rate_limited_until > now:
        return {"skipped": "rate_limited"}
    Source.objects.filter(pk=source.pk).update(last_run_at=now)
    try:
        result = connector_for(source.kind).fetch(
            url=source.url, config=source.config, cursor=source.cursor
        )
    except RateLimited as exc:
        Source.objects.filter(pk=source.pk).update(
            rate_limited_until=now + timedelta(seconds=max(exc.retry_after, 1)),
            last_error=str(exc)[:2000],
            last_error_at=now,
        )
        return {"rate_limited": exc.retry_after}
    except (ConnectorError, KeyError) as exc:
        Source.objects.filter(pk=source.pk).update(
            last_error=str(exc)[:2000],
            last_error_at=now,
            consecutive_failures=F("consecutive_failures") + 1,
        )
        logger.warning("listening: source %s failed: %s", source.pk, exc)
        return {"error": str(exc)}
    counts = {"stored": 0, "duplicates": 0, "unmatched": 0}
    if not result.not_modified:
        counts = mention_upsert_batch(
            source=source, raw_mentions=result.mentions, cursor=result.cursor
        )
    Source.objects.filter(pk=source.pk).update(
        last_success_at=timezone.now(),
        consecutive_failures=0,
        rate_limited_until=None,
        alerted_at=None,
    )
    return {**counts, "rejected": len(result.rejected)}


def sources_due(*, now=None) -> list[int]:
    """Enabled sources whose interval has passed since their last run."""
    now = now or timezone.now()
    due = []
    for source in Source.objects.filter(enabled=True).only(
        "pk", "last_run_at", "interval_minutes", "rate_limited_until", "kind"
    ):
        if source.kind in ("upload", "webhook"):
            continue
        if source.rate_limited_until and source.rate_limited_until > now:
            continue
        if source.last_run_at is None or source.last_run_at <= now - timedelta(
            minutes=source.interval_minutes
        ):
            due.append(source.pk)
    return due


def sources_alert_broken(*, now=None) -> list[int]:
    """Tell staff about sources that have not succeeded for too long (once)."""
    from django.contrib.auth import get_user_model

    from portal.notifications.models import Notification
    from portal.notifications.services import notification_send

    now = now or timezone.now()
    limit = now - timedelta(hours=settings.LISTENING_SOURCE_ALERT_HOURS)
    broken = (
        Source.objects.filter(
            enabled=True, alerted_at__isnull=True, consecutive_failures__gt=0
        )
        .exclude(last_success_at__gt=limit)
        .exclude(created_at__gt=limit)
    )
    alerted = []
    staff = list(get_user_model().objects.filter(is_staff=True, is_active=True))
    for source in broken:
        claimed = Source.objects.filter(pk=source.pk, alerted_at__isnull=True).update(
            alerted_at=now
        )
        if not claimed:
            continue
        for user in staff:
            with translation.override(user.language or "en"):
                title = _("Source “%(name)s” has been failing") % {"name": source.name}
            notification_send(
                recipient=user,
                kind=f"listening.source_broken:{source.pk}:{now:%Y%m%d%H}",
                title=title,
                body=source.last_error[:500],
                url=f"/admin/listening/sources/inspect/{source.pk}/",
                category=Notification.Category.SYSTEM,
            )
        alerted.append(source.pk)
    return alerted


def source_create(**fields) -> Source:
    """A new source, from the admin or the staff API (fields validated there)."""
    return Source.objects.create(**fields)


def tracker_create(**fields) -> Tracker:
    """A new tracker; it applies to mentions stored from now on."""
    return Tracker.objects.create(**fields)
