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
from .connectors.base import address_check, private_addresses
from .enrichment.cluster import cluster_key
from .enrichment.influence import influence_score
from .enrichment.intent import intent_detect
from .enrichment.language import language_detect
from .enrichment.sentiment import sentiment_analyse
from .enrichment.trackers import trackers_matching
from .models import Mention, Source, Tracker
from .privacy import handles_suppressed
from .relabel import relabel_new_enqueue

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
    (no tracker matched: not stored, nothing personal is kept). Posts by
    authors who had their data erased are left out too and counted in
    unmatched; "suppressed" (present only when not zero) says how many.
    """
    from .webcare import due_at_for, webcare_settings

    cfg = webcare_settings()
    arrived = timezone.now()
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
    # One query for the batch (listening/privacy.py): an erasure lasts.
    erased = handles_suppressed(r.author_handle for r in raw_mentions)
    suppressed = 0
    for raw in raw_mentions:
        external_id = raw.external_id[:255]
        if external_id in seen:  # the same post twice in one batch
            repeated += 1
            continue
        seen.add(external_id)
        if raw.author_handle in erased:
            suppressed += 1
            continue
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
    for mention, _t in rows:  # the SLA clock starts on arrival
        mention.due_at = due_at_for(mention.intent, arrived, cfg)
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
        # The few-shot classifier (staff corrections) relabels the new rows in
        # a worker after commit: embedding is too slow for the import itself.
        relabel_new_enqueue(mention_ids=list(stored.values()))
    return {
        "stored": len(new),
        "duplicates": len(rows) - len(new) + repeated,
        "unmatched": unmatched + suppressed,
        **({"suppressed": suppressed} if suppressed else {}),
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
        with private_addresses(settings.LISTENING_ALLOW_PRIVATE_ADDRESSES):
            if source.url:
                address_check(source.url)
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
    except (ConnectorError, KeyError, ValueError, TypeError) as exc:
        # ValueError/TypeError: settings of the wrong type ("timeout": "abc").
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


# A failing source is retried less and less often: its interval doubles with
# each failure in a row, up to 16 times the interval and never beyond a day.
BACKOFF_MAX_FACTOR = 16
BACKOFF_MAX = timedelta(hours=24)


def source_next_run(source: Source) -> timedelta:
    """How long after its last run a source is due again."""
    interval = timedelta(minutes=source.interval_minutes)
    if not source.consecutive_failures:
        return interval
    factor = min(2**source.consecutive_failures, BACKOFF_MAX_FACTOR)
    return max(interval, min(interval * factor, BACKOFF_MAX))


def sources_due(*, now=None) -> list[int]:
    """Enabled sources whose interval (with backoff) has passed since their
    last run and that are not rate limited."""
    now = now or timezone.now()
    due = []
    for source in Source.objects.filter(enabled=True).only(
        "pk",
        "last_run_at",
        "interval_minutes",
        "rate_limited_until",
        "kind",
        "consecutive_failures",
    ):
        if source.kind in ("upload", "webhook"):
            continue
        if source.rate_limited_until and source.rate_limited_until > now:
            continue
        if source.last_run_at is None or source.last_run_at <= now - source_next_run(
            source
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
            with translation.override(user.language or settings.LANGUAGE_CODE):
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


def mention_correct(*, mention: Mention, field: str, value: str, user) -> Mention:
    """Staff set a mention's intent or sentiment by hand.

    Records a `MentionCorrection` (previous → value, who), updates the label
    (a corrected intent gets confidence 1.0 and, for "lead", the lead flag; a
    corrected sentiment gets a score on the label's side when the lexicon's
    score contradicts it) and marks the mention engaged, so it is kept past
    the retention period. The same value again changes nothing and records
    nothing. Corrections teach the few-shot classifier (listening/relabel.py),
    which never overwrites a corrected label.
    """
    from django.core.exceptions import PermissionDenied, ValidationError

    from .enrichment.fewshot import sentiment_score_for_label
    from .models import CorrectionField, Intent, MentionCorrection, SentimentLabel
    from .relabel import relabel_recent_enqueue

    if user is None or not (user.is_active and user.is_staff):
        raise PermissionDenied(_("Only staff can correct labels."))
    if field not in CorrectionField.values:
        raise ValidationError(
            _("“%(field)s” cannot be corrected; choose one of: %(choices)s.")
            % {"field": field, "choices": ", ".join(CorrectionField.values)},
            code="field",
        )
    choices = (
        Intent.values if field == CorrectionField.INTENT else SentimentLabel.values
    )
    if value not in choices:
        raise ValidationError(
            _("“%(value)s” is not a valid %(field)s; choose one of: %(choices)s.")
            % {"value": value, "field": field, "choices": ", ".join(choices)},
            code="value",
        )
    with transaction.atomic():
        # The relabel task takes the same lock before it writes, so it either
        # sees this correction or has finished before it.
        current = Mention.objects.select_for_update().get(pk=mention.pk)
        if field == CorrectionField.INTENT:
            previous = current.intent
            updates = {"intent": value, "intent_confidence": 1.0}
            if value == Intent.LEAD:
                updates["is_lead"] = True
            elif previous == Intent.LEAD:
                # The flag came from the label staff just corrected away.
                updates["is_lead"] = False
        else:
            previous = current.sentiment_label
            updates = {
                "sentiment_label": value,
                "sentiment_score": sentiment_score_for_label(
                    value, current.sentiment_score
                ),
            }
        if previous == value:
            return current
        if current.engaged_at is None:
            updates["engaged_at"] = timezone.now()
        Mention.objects.filter(pk=current.pk).update(**updates)
        if field == CorrectionField.INTENT:
            from .webcare import mentions_due_refresh

            mentions_due_refresh([current.pk])
        MentionCorrection.objects.create(
            mention=current,
            field=field,
            previous=previous,
            value=value,
            corrected_by=user,
        )
        relabel_recent_enqueue()
    for name, new_value in updates.items():
        setattr(current, name, new_value)
    logger.info(
        "listening: mention %s %s corrected %s → %s by user %s",
        current.pk,
        field,
        previous,
        value,
        user.pk,
    )
    return current
