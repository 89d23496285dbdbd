"""The daily mention rollup (``MentionDaily``) behind the listening reports.

Reports over a year of a million mentions cannot count mentions on every page
view, so ``rollup_refresh`` counts them once per day and dimension (tracker,
source kind, language, intent, sentiment label) and the reports add up those
few thousand rows instead.

What is counted (see ``MentionDaily``):

- ``day`` is the local date (``TIME_ZONE``) of ``posted_at``, or of
  ``fetched_at`` when the network gave no date;
- each tracker has its own rows (through ``Mention.trackers``), and the rows
  with ``tracker=None`` count every mention once, so totals never double
  count a post that matches two trackers;
- ``clusters`` counts only the first mention of each near-duplicate cluster
  (lowest posted/fetched time, then lowest id), on the day of that first
  mention: a post copied over three days counts once, on its first day. The
  first mention is the cluster's first overall, not per tracker;
- ``sentiment_sum``/``sentiment_n`` add up the scores that exist, so a report
  divides one by the other for an average that ignores unscored posts.

How it stays current: a day is rebuilt as a whole (its rows deleted and
recounted from ``Mention`` with aggregate SQL, in the refresh's transaction),
which makes every refresh idempotent. The ``RollupState`` row
``mention_daily`` keeps a watermark, the latest ``fetched_at`` counted; a
refresh rebuilds

- the days of every mention fetched since the watermark, and of the other
  mentions in their clusters (a late copy with an earlier date moves the
  cluster's first mention, and so the day that counts it);
- today and yesterday, because labels change after arrival (staff
  corrections, the few-shot relabelling);
- once a day (``mention_daily_full``), the last ``FULL_DAYS`` days, which
  catches everything else that changed in a month (late corrections,
  erasures, a mention moved to another tracker).

Mentions that retention deletes (``LISTENING_RETENTION_ACTION=delete``) stay
counted on the days that are no longer rebuilt: history keeps its counts.
That is on purpose: retention limits what we keep *about people*, not how
many posts there were, and a report of last year should not shrink every
night. Pseudonymised mentions are still rows and count as before. A day that
is rebuilt explicitly (``days=``) after its mentions were deleted does lose
them, so only rebuild old days on purpose.

Concurrent refreshes (beat and a report page) are serialised by a row lock on
the state row (``select_for_update``); a refresh that may not wait (the report
page) skips when another one is running and reads the rows as they are.

The same beat task refreshes the care report's rollup (``CareDaily``,
``CareResponse``; see "the care rollup" below and
``listening/reports/care.py``): ``rollup_refresh`` runs ``care_refresh`` after
the mention rows, except for a light refresh (the listening page's), as the
care page runs its own.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    DateTimeField,
    Exists,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from portal.core.reports import day_start, local_date, local_tz

from .models import CareDaily, CareResponse, Mention, MentionDaily, RollupState

STATE = "mention_daily"
FULL_STATE = "mention_daily_full"
FULL_DAYS = 35
FULL_EVERY = timedelta(hours=24)
# Mentions are stamped with fetched_at when inserted, not when their
# transaction commits: a batch that commits after a refresh read the
# watermark may carry an older stamp. Re-reading this much before the
# watermark catches those; recounting a day twice changes nothing.
WATERMARK_OVERLAP = timedelta(minutes=15)
# Days counted in one aggregate query (and one bulk insert).
CHUNK_DAYS = 31
# A report page recounts at most this many days itself (about 0.3 s a day on
# a million mentions a year); more is left to the beat task.
LIGHT_MAX_DAYS = 3
# …except on a small install (a fresh `make run`, a test), where recounting
# any number of days is cheap.
LIGHT_SMALL_INSTALL = 20_000


def _moment():
    """When a mention happened: posted, or fetched when the date is unknown."""
    return Coalesce("posted_at", "fetched_at", output_field=DateTimeField())


def _day():
    return TruncDate(_moment(), tzinfo=local_tz())


def _first_of_cluster():
    """True for the first mention of its cluster (no earlier one, ties by id).

    An indexed lookup on ``cluster_key`` per mention; clusters are small."""
    outer = Coalesce(
        OuterRef("posted_at"), OuterRef("fetched_at"), output_field=DateTimeField()
    )
    earlier = (
        Mention.objects.filter(cluster_key=OuterRef("cluster_key"))
        .annotate(moment=_moment())
        .filter(Q(moment__lt=outer) | Q(moment=outer, pk__lt=OuterRef("pk")))
    )
    return ~Exists(earlier)


def _in_days(days: list[date]) -> Q:
    """Mentions whose day is one of ``days``: one range per run of days.

    Written on the columns (not on the coalesced day) so the database can use
    the indexes on ``posted_at`` and ``fetched_at``."""
    q = Q(pk__in=[])
    for first, last in _runs(days):
        start, end = day_start(first), day_start(last + timedelta(days=1))
        q |= Q(posted_at__gte=start, posted_at__lt=end) | Q(
            posted_at__isnull=True, fetched_at__gte=start, fetched_at__lt=end
        )
    return q


def _runs(days: list[date]) -> list[tuple[date, date]]:
    runs: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if runs and day == runs[-1][1] + timedelta(days=1):
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _chunks(days: Iterable[date]) -> list[list[date]]:
    """Sorted days in groups spanning at most CHUNK_DAYS calendar days."""
    chunks: list[list[date]] = []
    for day in sorted(set(days)):
        if chunks and (day - chunks[-1][0]).days < CHUNK_DAYS:
            chunks[-1].append(day)
        else:
            chunks.append([day])
    return chunks


def _aggregate(queryset: QuerySet, group: tuple[str, ...]) -> QuerySet:
    return (
        queryset.annotate(day=_day(), first=_first_of_cluster())
        .values("day", *group)
        .annotate(
            n_mentions=Count("pk"),
            n_clusters=Count("pk", filter=Q(first=True)),
            score_sum=Coalesce(Sum("sentiment_score"), Value(0.0)),
            score_n=Count("sentiment_score"),
            n_leads=Count("pk", filter=Q(is_lead=True)),
        )
        .order_by()
    )


def _rows_for(days: list[date]) -> list[MentionDaily]:
    """The rollup rows of ``days``, counted in two aggregate queries."""
    wanted = set(days)
    mentions = Mention.objects.filter(_in_days(days))
    dims = ("source__kind", "language", "intent", "sentiment_label")
    rows: list[MentionDaily] = []

    def add(tracker_id, item) -> None:
        day = item["day"]
        if isinstance(day, datetime):  # some backends return the truncation
            day = day.date()
        if day not in wanted:
            return
        rows.append(
            MentionDaily(
                day=day,
                tracker_id=tracker_id,
                source_kind=item["source__kind"],
                language=item["language"],
                intent=item["intent"],
                sentiment_label=item["sentiment_label"],
                mentions=item["n_mentions"],
                clusters=item["n_clusters"],
                sentiment_sum=item["score_sum"],
                sentiment_n=item["score_n"],
                leads=item["n_leads"],
            )
        )

    for item in _aggregate(mentions, dims):
        add(None, item)
    tracked = mentions.filter(trackers__isnull=False).annotate(
        tracker_ref=F("trackers")
    )
    for item in _aggregate(tracked, ("tracker_ref", *dims)):
        add(item["tracker_ref"], item)
    return rows


def _rebuild(days: list[date]) -> int:
    created = 0
    for chunk in _chunks(days):
        rows = _rows_for(chunk)
        MentionDaily.objects.filter(day__in=chunk).delete()
        created += len(MentionDaily.objects.bulk_create(rows, batch_size=1000))
    return created


def _days_since(watermark: datetime | None) -> set[date]:
    """Days to recount for the mentions fetched after ``watermark``: theirs
    and those of the other mentions in their clusters."""
    everything = Mention.objects.all()
    if watermark is not None:
        fresh = Mention.objects.filter(fetched_at__gt=watermark - WATERMARK_OVERLAP)
        everything = everything.filter(
            cluster_key__in=fresh.values("cluster_key").order_by()
        )
    found = everything.annotate(day=_day()).values_list("day", flat=True).distinct()
    return {d.date() if isinstance(d, datetime) else d for d in found.order_by()}


def _state(name: str, *, wait: bool) -> RollupState | None:
    RollupState.objects.get_or_create(name=name)
    locked = RollupState.objects.select_for_update(skip_locked=not wait)
    return locked.filter(name=name).first()


def rollup_refresh(
    *,
    days: Iterable[date] | None = None,
    now: datetime | None = None,
    wait: bool = True,
    min_interval: timedelta | None = None,
    light: bool = False,
) -> dict:
    """Refresh ``MentionDaily`` (see ``mention_daily_refresh``, whose result
    this returns), then, unless ``light``, the care rollup (``care_refresh``).

    A light refresh is the listening report's page view: it leaves the care
    rollup to the care report's own page (``care_refresh(light=True)``)."""
    result = mention_daily_refresh(
        days=days, now=now, wait=wait, min_interval=min_interval, light=light
    )
    if not light:
        care_refresh(days=days, now=now, wait=wait)
    return result


def mention_daily_refresh(
    *,
    days: Iterable[date] | None = None,
    now: datetime | None = None,
    wait: bool = True,
    min_interval: timedelta | None = None,
    light: bool = False,
) -> dict:
    """Rebuild the ``MentionDaily`` rows that may have changed (or ``days``).

    ``wait=False`` returns at once when another refresh holds the lock.
    ``min_interval``: do nothing when the last refresh is more recent than
    this and no mention arrived since (the report page uses it, so a page
    view after a fresh refresh costs two small queries).

    ``light=True`` (a report page, so ``make run`` without beat shows new
    mentions): only when mentions arrived since the watermark, only their
    days, and nothing at all when that is more than ``LIGHT_MAX_DAYS`` days
    (the beat task does those); no today/yesterday or monthly pass.

    Returns ``{"days": days rebuilt, "rows": rows written}``.
    """
    now = now or timezone.now()
    if light:
        state = RollupState.objects.filter(name=STATE).first()
        if state is not None and (
            state.watermark is None
            or not Mention.objects.filter(fetched_at__gt=state.watermark).exists()
        ):
            return {"days": 0, "rows": 0}
    if days is None and min_interval is not None:
        state = RollupState.objects.filter(name=STATE).first()
        if (
            state is not None
            and state.refreshed_at is not None
            and now - state.refreshed_at < min_interval
            and state.watermark is not None
            and not Mention.objects.filter(fetched_at__gt=state.watermark).exists()
        ):
            return {"days": 0, "rows": 0}

    with transaction.atomic():
        state = _state(STATE, wait=wait)
        if state is None:  # another refresh is running
            return {"days": 0, "rows": 0}
        if days is not None:
            wanted = set(days)
            return {"days": len(wanted), "rows": _rebuild(sorted(wanted))}

        # Read the new watermark first: mentions stored while we count are
        # after it and are picked up next time.
        watermark = Mention.objects.aggregate(latest=Max("fetched_at"))["latest"]
        wanted = _days_since(state.watermark)
        if light:
            small = (
                Mention.objects.all()[: LIGHT_SMALL_INSTALL + 1].count()
                <= LIGHT_SMALL_INSTALL
            )
            if not small and (state.watermark is None or len(wanted) > LIGHT_MAX_DAYS):
                return {"days": 0, "rows": 0}
            if watermark is None:
                return {"days": 0, "rows": 0}
            rows = _rebuild(sorted(wanted))
            state.watermark = max(watermark, state.watermark or watermark)
            state.refreshed_at = now
            state.save(update_fields=["watermark", "refreshed_at"])
            return {"days": len(wanted), "rows": rows}
        today = local_date(now)
        wanted |= {today, today - timedelta(days=1)}
        full = _state(FULL_STATE, wait=True)
        if full.refreshed_at is None or now - full.refreshed_at >= FULL_EVERY:
            wanted |= {today - timedelta(days=n) for n in range(FULL_DAYS)}
            full.refreshed_at = now
            full.save(update_fields=["refreshed_at"])
        rows = _rebuild(sorted(wanted))
        if watermark is not None:
            state.watermark = max(watermark, state.watermark or watermark)
        state.refreshed_at = now
        state.save(update_fields=["watermark", "refreshed_at"])
    return {"days": len(wanted), "rows": rows}


# --- the care rollup ---------------------------------------------------------------
#
# ``CareDaily`` (counts) and ``CareResponse`` (first-response times) behind the
# care report (listening/reports/care.py), per local day of ``fetched_at``:
# the report's population is the mentions that arrived in a period.
#
# Dirty days. A mention's outcome changes after it arrived: it is answered
# (``first_response_at``), ignored, closed or assigned (``status_changed_at``).
# So a refresh rebuilds the days of the mentions fetched, answered or moved to
# another status since the watermark (``care_daily``: the latest of those
# three stamps counted; all three columns are indexed), plus today and
# yesterday, plus once a day (``care_daily_full``) the last ``FULL_DAYS`` days
# for what changes without a stamp (an intent corrected, and with it the
# deadline). A day is rebuilt whole (delete and insert from aggregate SQL),
# so refreshes are idempotent, as for ``MentionDaily``.

CARE_STATE = "care_daily"
CARE_FULL_STATE = "care_daily_full"
CARE_STAMPS = ("fetched_at", "first_response_at", "status_changed_at")
# Histogram bins of the response times: floor(ln(1 + seconds) * this), so a
# bin spans a factor e^(1/100), about 1 % (see listening/reports/care.py).
CARE_BINS_PER_E = 100


def care_bin(seconds: int) -> int:
    return int(math.log1p(seconds) * CARE_BINS_PER_E)


def _care_day():
    return TruncDate("fetched_at", tzinfo=local_tz())


def _as_date(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def _fetched_in(days: list[date]) -> Q:
    q = Q(pk__in=[])
    for first, last in _runs(days):
        q |= Q(
            fetched_at__gte=day_start(first),
            fetched_at__lt=day_start(last + timedelta(days=1)),
        )
    return q


def _care_rows(days: list[date]) -> tuple[list[CareDaily], list[CareResponse]]:
    """The care rows of ``days``: two aggregate queries."""
    wanted = set(days)
    mentions = Mention.objects.filter(_fetched_in(days)).order_by()
    answered = Q(first_response_at__isnull=False)
    no_response = Q(first_response_at__isnull=True)
    ignored = Q(status="ignored")
    # The assignee of a mention nobody is recorded as answering first.
    waiting = Case(
        When(first_response_by__isnull=True, then=F("assignee_id")),
        default=Value(None),
        output_field=BigIntegerField(),
    )
    counts = (
        mentions.annotate(day=_care_day(), waiting=waiting)
        .values("day", "intent", "source__kind", "first_response_by", "waiting")
        .annotate(
            n_arrived=Count("pk"),
            n_answered=Count("pk", filter=answered),
            n_ignored=Count("pk", filter=no_response & ignored),
            n_unanswered=Count("pk", filter=no_response & ~ignored),
            n_met=Count(
                "pk",
                filter=answered
                & Q(due_at__isnull=False, first_response_at__lte=F("due_at")),
            ),
            n_missed=Count(
                "pk",
                filter=answered
                & Q(due_at__isnull=False, first_response_at__gt=F("due_at")),
            ),
        )
    )
    daily = [
        CareDaily(
            day=_as_date(row["day"]),
            intent=row["intent"],
            source_kind=row["source__kind"],
            responder_id=row["first_response_by"],
            assignee_id=row["waiting"],
            arrived=row["n_arrived"],
            answered=row["n_answered"],
            ignored=row["n_ignored"],
            unanswered=row["n_unanswered"],
            sla_met=row["n_met"],
            sla_missed=row["n_missed"],
        )
        for row in counts
        if _as_date(row["day"]) in wanted
    ]
    times = (
        mentions.filter(first_response_seconds__isnull=False)
        .annotate(day=_care_day(), waiting=waiting)
        .values(
            "day",
            "intent",
            "source__kind",
            "first_response_by",
            "waiting",
            "first_response_seconds",
        )
        .annotate(n=Count("pk"))
    )
    responses = [
        CareResponse(
            day=_as_date(row["day"]),
            intent=row["intent"],
            source_kind=row["source__kind"],
            responder_id=row["first_response_by"],
            assignee_id=row["waiting"],
            seconds=row["first_response_seconds"],
            n=row["n"],
            bin=care_bin(row["first_response_seconds"]),
            week=_as_date(row["day"]) - timedelta(days=_as_date(row["day"]).weekday()),
            month=_as_date(row["day"]).replace(day=1),
        )
        for row in times
        if _as_date(row["day"]) in wanted
    ]
    return daily, responses


def care_rebuild(days: Iterable[date]) -> int:
    """Rebuild the care rows of ``days``; returns the rows written."""
    created = 0
    for chunk in _chunks(days):
        daily, responses = _care_rows(chunk)
        CareDaily.objects.filter(day__in=chunk).delete()
        CareResponse.objects.filter(day__in=chunk).delete()
        created += len(CareDaily.objects.bulk_create(daily, batch_size=1000))
        created += len(CareResponse.objects.bulk_create(responses, batch_size=1000))
    return created


def _care_watermark() -> datetime | None:
    """The latest of the stamps that move a mention's care outcome (one
    indexed MAX each)."""
    latest = [
        Mention.objects.aggregate(latest=Max(stamp))["latest"] for stamp in CARE_STAMPS
    ]
    found = [moment for moment in latest if moment is not None]
    return max(found) if found else None


def _changed_after(moment: datetime, now: datetime) -> Q:
    """Mentions fetched, answered or moved to another status after ``moment``
    (and by ``now``: a stamp ahead of the clock counts once it is reached)."""
    q = Q(pk__in=[])
    for stamp in CARE_STAMPS:
        q |= Q(**{f"{stamp}__gt": moment, f"{stamp}__lte": now})
    return q


def care_days_since(watermark: datetime | None, now: datetime) -> set[date]:
    """The days (of arrival) of the mentions fetched, answered or moved to
    another status after ``watermark``; every day when there is none."""
    mentions = Mention.objects.all()
    if watermark is not None:
        mentions = mentions.filter(_changed_after(watermark - WATERMARK_OVERLAP, now))
    found = mentions.annotate(day=_care_day()).values_list("day", flat=True)
    return {_as_date(d) for d in found.distinct().order_by()}


def care_refresh(
    *,
    days: Iterable[date] | None = None,
    now: datetime | None = None,
    wait: bool = True,
    light: bool = False,
) -> dict:
    """Rebuild the care rows that may have changed (or ``days``).

    ``light=True`` (a report page): nothing when no mention was fetched,
    answered or changed status since the watermark (three indexed lookups);
    else only those days, and nothing at all on a big install before the
    first full build or when that is more than ``LIGHT_MAX_DAYS`` days (the
    beat task does those). ``wait=False`` skips when another refresh runs.
    Returns ``{"days": days rebuilt, "rows": rows written}``."""
    now = now or timezone.now()
    if light:
        state = RollupState.objects.filter(name=CARE_STATE).first()
        if state is not None and (
            state.watermark is None
            or not Mention.objects.filter(_changed_after(state.watermark, now)).exists()
        ):
            return {"days": 0, "rows": 0}
    with transaction.atomic():
        state = _state(CARE_STATE, wait=wait)
        if state is None:
            return {"days": 0, "rows": 0}
        if days is not None:
            wanted = set(days)
            return {"days": len(wanted), "rows": care_rebuild(wanted)}
        # Capped at now: a stamp from a clock ahead (or synthetic data) must
        # not hide the changes made until then.
        watermark = _care_watermark()
        if watermark is not None:
            watermark = min(watermark, now)
        if light:
            small = (
                Mention.objects.all()[: LIGHT_SMALL_INSTALL + 1].count()
                <= LIGHT_SMALL_INSTALL
            )
            if not small and state.watermark is None:
                return {"days": 0, "rows": 0}
            wanted = care_days_since(state.watermark, now)
            if not small and len(wanted) > LIGHT_MAX_DAYS:
                return {"days": 0, "rows": 0}
        else:
            wanted = care_days_since(state.watermark, now)
            today = local_date(now)
            wanted |= {today, today - timedelta(days=1)}
            full = _state(CARE_FULL_STATE, wait=True)
            if full.refreshed_at is None or now - full.refreshed_at >= FULL_EVERY:
                wanted |= {today - timedelta(days=n) for n in range(FULL_DAYS)}
                full.refreshed_at = now
                full.save(update_fields=["refreshed_at"])
        rows = care_rebuild(wanted)
        if watermark is not None:
            state.watermark = watermark
        state.refreshed_at = now
        state.save(update_fields=["watermark", "refreshed_at"])
    return {"days": len(wanted), "rows": rows}
