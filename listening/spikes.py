"""Spike alerts: a sudden rise in a tracker's mentions, or in its negative ones.

``spikes_detect`` runs every 15 minutes (beat, ``listening.spikes_detect``).
For every active tracker it counts the mentions that arrived in the last
``LISTENING_SPIKE_WINDOW_MINUTES`` and compares them with a Poisson model of
the ``LISTENING_SPIKE_BASELINE_DAYS`` before: the expected count ``λ`` is the
baseline's rate scaled to one window. A window alerts when it has at least
``LISTENING_SPIKE_MIN_MENTIONS`` mentions, at least twice ``λ``, and a chance
below ``LISTENING_SPIKE_P_VALUE`` of reaching that count if nothing had
changed. Negative mentions (``sentiment_label`` negative) are tested the same
way against the baseline's negative mentions.

Why arrival time (``fetched_at``) and not ``posted_at``: a live alert is about
what reaches us now, ``fetched_at`` is indexed and always set, and a network
that reports no date or a wrong clock cannot hide a spike. What arrives but is
old (an import of last year's posts, a source catching up after days down) is
not a spike, so a mention counts only when it has no ``posted_at`` or was
posted at most a day before it arrived; the baseline uses the same rule.

Windows end on a quarter hour (``now`` floored to 15 minutes), so a retried
task and two overlapping runs look at the same ``window_start`` and the
unique (tracker, kind, window_start) constraint turns the second alert into a
no-op. One spike raises one alert: while a tracker's alert of the same kind is
ongoing (its ``window_end`` is after this window's start) no new alert is
raised, and a window that is still significant extends the alert's
``window_end``, so ``window_start``–``window_end`` spans every window in
which the spike was significant; ``observed`` and ``expected`` stay those of
the window that raised it.

The explanation (``SpikeAlert.explanation``) stores data, not prose: terms
with their lift against the baseline, authors, languages, sources, the
sentiment mix and the most influential mentions. ``spike_summary`` turns it
into one sentence in the reader's language, for the email and the admin page.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Max, Q, QuerySet
from django.db.models.functions import Mod
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext, ngettext

from .enrichment.terms import term_lift
from .models import Mention, SentimentLabel, SourceKind, SpikeAlert, SpikeKind, Tracker

logger = logging.getLogger(__name__)

STEP_SECONDS = 15 * 60  # the beat interval: windows end on a quarter hour
# A mention counts as live when posted at most this long before it arrived.
LIVE_LAG = timedelta(days=1)
# The expected count never drops below half a mention an hour, so a quiet
# tracker's empty baseline doesn't make a handful of posts "significant".
MIN_RATE_PER_HOUR = 0.5
# A tracker younger than the baseline is measured over its own life; one
# younger than a day is not measured yet (a rate from an hour is noise, and a
# new tracker's first posts are not a spike).
MIN_BASELINE = timedelta(days=1)
TERMS_SHOWN = 10
TERM_SAMPLE = 2000  # window and baseline texts read for the term lift
AUTHORS_SHOWN = 10
MENTIONS_SHOWN = 20
NOTIFY_WITHIN = timedelta(days=1)  # older unsent alerts are not news any more


# --- statistics ----------------------------------------------------------------


def poisson_tail(k: int, lam: float) -> float:
    """P(X ≥ k) for X ~ Poisson(lam), in pure Python.

    Works from the log of P(X = k) (``lgamma``), then sums the ratios of the
    neighbouring terms, which all lie in [0, 1]: upwards from k when k > λ
    (the tail itself, accurate down to the smallest float), downwards from
    k − 1 otherwise (then the answer is 1 − P(X < k), which is not small
    anyway). Stable for k and λ in the hundreds of thousands; the loops stop
    once a term no longer changes the sum, after about 8·√λ terms at most.
    """
    if k <= 0:
        return 1.0
    if lam <= 0:
        return 0.0
    log_pk = -lam + k * math.log(lam) - math.lgamma(k + 1)
    if k > lam:
        total, term, j = 1.0, 1.0, k
        while term > 1e-17 * total:
            j += 1
            term *= lam / j
            total += term
        return min(1.0, math.exp(log_pk + math.log(total)))
    # P(X ≤ k − 1) = p(k − 1)·(1 + (k − 1)/λ + (k − 1)(k − 2)/λ² + …)
    log_below = log_pk + math.log(k / lam)
    total, term, j = 1.0, 1.0, k - 1
    while j > 0 and term > 1e-17 * total:
        term *= j / lam
        j -= 1
        total += term
    return min(1.0, max(0.0, 1.0 - math.exp(log_below + math.log(total))))


def window_for(now: datetime) -> tuple[datetime, datetime]:
    """The window a run at ``now`` looks at: it ends at ``now`` floored to a
    quarter hour (in UTC, so every time zone agrees)."""
    seconds = int(now.timestamp()) // STEP_SECONDS * STEP_SECONDS
    end = datetime.fromtimestamp(seconds, tz=UTC)
    return end - timedelta(minutes=settings.LISTENING_SPIKE_WINDOW_MINUTES), end


def expected_count(baseline: int, *, baseline_span: timedelta, minutes: int) -> float:
    """λ: the baseline's rate over one window, never below the floor."""
    span_minutes = max(baseline_span.total_seconds() / 60, 1.0)
    return max(baseline * minutes / span_minutes, MIN_RATE_PER_HOUR * minutes / 60)


def is_spike(observed: int, expected: float) -> tuple[bool, float]:
    """Whether ``observed`` against ``expected`` alerts, and its p-value."""
    if observed < settings.LISTENING_SPIKE_MIN_MENTIONS or observed < 2 * expected:
        return False, 1.0
    p = poisson_tail(observed, expected)
    return p < settings.LISTENING_SPIKE_P_VALUE, p


# --- counting --------------------------------------------------------------------


def _live(prefix: str = "") -> Q:
    """Mentions that arrived around when they were posted (see the module)."""
    return Q(**{f"{prefix}posted_at__isnull": True}) | Q(
        **{f"{prefix}posted_at__gte": F(f"{prefix}fetched_at") - LIVE_LAG}
    )


def _counts(
    tracker_ids: list[int], *, base_start: datetime, start: datetime, end: datetime
) -> dict[int, dict[str, int]]:
    """Per tracker: mentions and negative mentions in the window and in the
    baseline, in one grouped query over the tracker–mention table (read
    through the ``fetched_at`` index)."""
    through = Mention.trackers.through
    negative = Q(mention__sentiment_label=SentimentLabel.NEGATIVE)
    in_window = Q(mention__fetched_at__gte=start)
    in_baseline = Q(mention__fetched_at__lt=start)
    rows = (
        through.objects.filter(
            tracker_id__in=tracker_ids,
            mention__fetched_at__gte=base_start,
            mention__fetched_at__lt=end,
        )
        .filter(_live("mention__"))
        .values("tracker_id")
        .annotate(
            window=Count("id", filter=in_window),
            window_negative=Count("id", filter=in_window & negative),
            baseline=Count("id", filter=in_baseline),
            baseline_negative=Count("id", filter=in_baseline & negative),
        )
        .order_by()
    )
    return {row.pop("tracker_id"): row for row in rows}


def _window_mentions(
    tracker_id: int, kind: str, start: datetime, end: datetime
) -> QuerySet[Mention]:
    qs = Mention.objects.filter(
        trackers=tracker_id, fetched_at__gte=start, fetched_at__lt=end
    ).filter(_live())
    if kind == SpikeKind.NEGATIVE:
        qs = qs.filter(sentiment_label=SentimentLabel.NEGATIVE)
    return qs.order_by()


# --- the explanation ----------------------------------------------------------


def _text_sample(qs: QuerySet[Mention], count: int) -> list[str]:
    """At most TERM_SAMPLE texts spread over the whole set: every m-th id,
    filtered in the database (no random sort over a fortnight of rows)."""
    step = max(1, math.ceil(count / TERM_SAMPLE))
    if step > 1:
        qs = qs.annotate(bucket=Mod("id", step)).filter(bucket=0)
    return list(qs.values_list("text", flat=True)[:TERM_SAMPLE])


def _explain(
    *,
    tracker_id: int,
    kind: str,
    start: datetime,
    end: datetime,
    base_start: datetime,
    observed: int,
    baseline_count: int,
    minutes: int,
) -> dict:
    """Why this window is a spike, as data (five queries, however big)."""
    window = _window_mentions(tracker_id, kind, start, end)
    baseline = _window_mentions(tracker_id, kind, base_start, start)

    languages: Counter = Counter()
    sentiment: Counter = Counter()
    sources: dict[int, dict] = {}
    for row in window.values(
        "language", "sentiment_label", "source_id", "source__name", "source__kind"
    ).annotate(posts=Count("id")):
        languages[row["language"]] += row["posts"]
        sentiment[row["sentiment_label"]] += row["posts"]
        source = sources.setdefault(
            row["source_id"],
            {"name": row["source__name"], "kind": row["source__kind"], "posts": 0},
        )
        source["posts"] += row["posts"]

    authors = [
        {
            "handle": row["author_handle"],
            "posts": row["posts"],
            "influence": round(row["influence"] or 0.0, 2),
        }
        for row in window.exclude(author_handle="")
        .values("author_handle")
        .annotate(posts=Count("id"), influence=Max("influence"))
        .order_by("-posts", "-influence", "author_handle")[:AUTHORS_SHOWN]
    ]
    mention_ids = list(
        window.order_by("-influence", "-id").values_list("id", flat=True)[
            :MENTIONS_SHOWN
        ]
    )
    terms = term_lift(
        _text_sample(window, observed),
        _text_sample(baseline, baseline_count),
        n=TERMS_SHOWN,
    )

    def ranked(counter: Counter) -> list[dict]:
        return [
            {"code": code, "posts": posts}
            for code, posts in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
        ]

    return {
        "minutes": minutes,
        "baseline_days": round((start - base_start).total_seconds() / 86400, 1),
        "baseline_mentions": baseline_count,
        "terms": terms,
        "authors": authors,
        "languages": ranked(languages),
        "sources": sorted(
            sources.values(), key=lambda s: (-s["posts"], s["name"] or "")
        ),
        "sentiment": dict(sentiment),
        "mentions": mention_ids,
    }


# --- detection -------------------------------------------------------------------


def spikes_detect(*, now: datetime | None = None) -> list[int]:
    """Raise an alert for every significant spike; returns the new alerts' ids.

    Two queries when nothing happens (active trackers, grouped counts), one
    more for the ongoing alerts and about five per new alert. Idempotent: a
    retry or an overlapping run finds the same window and raises nothing new;
    staff are notified of each alert once (``spike_alerts_notify``)."""
    now = now or timezone.now()
    start, end = window_for(now)
    minutes = settings.LISTENING_SPIKE_WINDOW_MINUTES
    baseline_span = timedelta(days=settings.LISTENING_SPIKE_BASELINE_DAYS)
    base_start = start - baseline_span
    trackers = dict(
        Tracker.objects.filter(is_active=True).values_list("id", "created_at")
    )
    counts = (
        _counts(list(trackers), base_start=base_start, start=start, end=end)
        if trackers
        else {}
    )

    candidates = []
    for tracker_id, row in counts.items():
        # A tracker younger than the baseline only has mentions since it was
        # made; one younger than a day has no rate worth comparing with yet.
        age = start - trackers[tracker_id]
        if age < MIN_BASELINE:
            continue
        span = min(baseline_span, age)
        for kind, observed, baseline in (
            (SpikeKind.VOLUME, row["window"], row["baseline"]),
            (SpikeKind.NEGATIVE, row["window_negative"], row["baseline_negative"]),
        ):
            expected = expected_count(baseline, baseline_span=span, minutes=minutes)
            spike, p_value = is_spike(observed, expected)
            if spike:
                candidates.append(
                    (tracker_id, kind, observed, expected, p_value, baseline, span)
                )

    created: list[int] = []
    if candidates:
        ongoing = {
            (alert.tracker_id, alert.kind): alert
            for alert in SpikeAlert.objects.filter(
                tracker_id__in={c[0] for c in candidates}, window_end__gt=start
            ).only("id", "tracker_id", "kind", "window_end")
        }
        for tracker_id, kind, observed, expected, p_value, baseline, span in candidates:
            current = ongoing.get((tracker_id, kind))
            if current is not None:
                # Still significant: the same spike goes on.
                SpikeAlert.objects.filter(pk=current.pk, window_end__lt=end).update(
                    window_end=end
                )
                continue
            explanation = _explain(
                tracker_id=tracker_id,
                kind=kind,
                start=start,
                end=end,
                base_start=start - span,
                observed=observed,
                baseline_count=baseline,
                minutes=minutes,
            )
            alert, is_new = SpikeAlert.objects.get_or_create(
                tracker_id=tracker_id,
                kind=kind,
                window_start=start,
                defaults={
                    "window_end": end,
                    "observed": observed,
                    "expected": round(expected, 3),
                    "p_value": p_value,
                    "explanation": explanation,
                },
            )
            if is_new:
                created.append(alert.pk)
                logger.info(
                    "spike alert %s: tracker %s %s %d vs %.1f expected (p=%.2g)",
                    alert.pk,
                    tracker_id,
                    kind,
                    observed,
                    expected,
                    p_value,
                )
    spike_alerts_notify(now=now)
    return created


# --- notifying and acknowledging -------------------------------------------------


def spike_alert_url(alert_id: int) -> str:
    return reverse("listening_spikes:detail", args=[alert_id])


def spike_alert_title(alert: SpikeAlert) -> str:
    """The notification's title in the active language."""
    if alert.kind == SpikeKind.NEGATIVE:
        return gettext("Spike in negative mentions of “%(name)s”") % {
            "name": alert.tracker.name
        }
    return gettext("Spike in mentions of “%(name)s”") % {"name": alert.tracker.name}


def spike_alerts_notify(*, now: datetime | None = None) -> list[int]:
    """Notify every active staff member of each alert not yet notified.

    The alert is claimed with a conditional update of ``notified_at`` in the
    same transaction as the notifications: a concurrent run finds nothing to
    claim, and a run that fails halfway rolls the claim back with the
    notifications it made, so a retry sends them all once (emails leave on
    commit)."""
    from django.contrib.auth import get_user_model

    from portal.notifications.models import Notification
    from portal.notifications.services import notification_send

    now = now or timezone.now()
    pending = list(
        SpikeAlert.objects.filter(
            notified_at__isnull=True, window_end__gte=now - NOTIFY_WITHIN
        ).select_related("tracker")
    )
    if not pending:
        return []
    staff = list(get_user_model().objects.filter(is_staff=True, is_active=True))
    notified = []
    for alert in pending:
        with transaction.atomic():
            claimed = SpikeAlert.objects.filter(
                pk=alert.pk, notified_at__isnull=True
            ).update(notified_at=now)
            if not claimed:
                continue
            for user in staff:
                with translation.override(user.language or settings.LANGUAGE_CODE):
                    title = spike_alert_title(alert)
                    body = spike_summary(alert)
                notification_send(
                    recipient=user,
                    kind=f"listening.spike:{alert.pk}",
                    title=title,
                    body=body,
                    url=spike_alert_url(alert.pk),
                    category=Notification.Category.SYSTEM,
                )
        notified.append(alert.pk)
    return notified


def spike_acknowledge(*, alert: SpikeAlert, user) -> bool:
    """A staff member has seen the alert; the first acknowledgement stays."""
    from django.core.exceptions import PermissionDenied

    if user is None or not (user.is_active and user.is_staff):
        raise PermissionDenied(gettext("Only staff can acknowledge spike alerts."))
    return bool(
        SpikeAlert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
            acknowledged_at=timezone.now(), acknowledged_by=user
        )
    )


# --- words for people ------------------------------------------------------------


def language_name(code: str) -> str:
    """The language's name in the active language; the code when unknown."""
    if not code:
        return gettext("unknown language")
    try:
        return str(translation.get_language_info(code)["name_translated"])
    except KeyError:
        return code


def source_label(source: dict) -> str:
    """A source as people know it: the network (Mastodon), else its name."""
    kind = source.get("kind")
    if kind in SourceKind.values and kind not in (SourceKind.RSS, SourceKind.UPLOAD):
        return str(SourceKind(kind).label)
    return source.get("name") or kind or ""


def _duration(minutes: int) -> str:
    if minutes == 60:
        return gettext("an hour")
    if minutes % 60 == 0:
        hours = minutes // 60
        return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}


def _expected(value: float) -> str:
    return number_format(value, decimal_pos=1 if value < 10 else 0)


def _majority(rows: list[dict]) -> dict | None:
    """The first row when it holds more than half of the posts."""
    total = sum(row["posts"] for row in rows)
    if rows and total and rows[0]["posts"] * 2 > total:
        return rows[0]
    return None


def spike_summary(alert: SpikeAlert) -> str:
    """One sentence on the spike, in the active language, built from the
    stored explanation: "142 mentions in an hour against 6.0 expected; most
    about “storing”, “wifi”; mainly Dutch; mostly from Mastodon."."""
    data = alert.explanation or {}
    minutes = data.get("minutes") or settings.LISTENING_SPIKE_WINDOW_MINUTES
    values = {
        "n": alert.observed,
        "duration": _duration(minutes),
        "expected": _expected(alert.expected),
    }
    if alert.kind == SpikeKind.NEGATIVE:
        head = ngettext(
            "%(n)d negative mention in %(duration)s against %(expected)s expected",
            "%(n)d negative mentions in %(duration)s against %(expected)s expected",
            alert.observed,
        )
    else:
        head = ngettext(
            "%(n)d mention in %(duration)s against %(expected)s expected",
            "%(n)d mentions in %(duration)s against %(expected)s expected",
            alert.observed,
        )
    parts = [head % values]
    terms = [item["term"] for item in data.get("terms", [])[:3]]
    if terms:
        parts.append(
            gettext("most about %(terms)s")
            % {"terms": ", ".join(f"“{term}”" for term in terms)}
        )
    language = _majority(data.get("languages", []))
    if language and language["code"]:
        name = language_name(language["code"])
        parts.append(gettext("mainly %(language)s") % {"language": name})
    source = _majority(data.get("sources", []))
    if source:
        label = source_label(source)
        parts.append(gettext("mostly from %(source)s") % {"source": label})
    return "; ".join(parts) + "."
