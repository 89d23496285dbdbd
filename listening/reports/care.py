"""The care report: how quickly and how completely the team answers.

The population is the mentions that *arrived* in the period (``fetched_at``),
not the ones posted in it: the SLA clock starts when a mention arrives
(``webcare.reply_record`` measures ``first_response_seconds`` from
``fetched_at``), so a post found a day late is judged from when the team could
first see it. ``fetched_at`` is indexed (``mention_sort_fetched``), so every
query is a range scan plus one aggregate.

Three outcomes per mention, disjoint and complete:

- **answered**: it has a first response (whatever its status now);
- **ignored**: no response and staff chose to ignore it; shown as its own
  column, never hidden, and left out of the unanswered share's base;
- **unanswered**: no response and not ignored (open, closed or linked
  without a reply). The unanswered share sits next to every response time,
  so a fast team that skips half its mentions cannot look good.

"Within the SLA" follows the inbox's clock (``listening.inbox.sla_state``):
answered before ``due_at`` ("met"), out of the mentions that were met,
missed, or are still open past their deadline ("overdue"). Open mentions not
yet due are still running and count nowhere; mentions without a deadline
have no clock.

Cost. Every section shows a grouping of the same population, so the page
reads it once per render (``_reads``). Two ways to read it, chosen per render
(``rollup_ready``):

- **Live**, on an install with fewer than ``ROLLUP_MIN_MENTIONS`` mentions (a
  fresh ``make run``, the tests) or before the rollup is first built:
  ``care_facts`` is one grouped COUNT … FILTER query per (intent, first
  responder, waiting assignee, bucket) plus one ``GROUPING SETS`` percentile
  query; ``period_totals`` the same for the previous period. Always current.
- **Rollup**, on a big install: a year of 1M mentions is a CPU-bound scan
  (0.9 s for the counts, 0.7 s for the percentiles), so the page reads the
  care rollup of ``listening.rollup`` instead: ``CareDaily`` (additive
  counts per local day of arrival, intent, source kind, first responder and
  assignee: arrived, answered, ignored, unanswered, SLA met, SLA missed)
  and ``CareResponse`` (the first-response times, one row per day, dimension
  and exact number of seconds). Beat refreshes both with ``MentionDaily``
  (``rollup_refresh``); the page first runs ``care_refresh(light=True)``,
  which recounts the few days whose mentions arrived, were answered or
  changed status since the last refresh (three indexed lookups when nothing
  did). "Open past its deadline" depends on *now*, so it is never rolled up:
  ``open_now`` counts it live on the open-status partial indexes (open
  mentions are a few % of all), with the backlog by age in the same query,
  and adds it to the SLA's base.

Percentiles in the rollup mode (``_rollup_percentiles``) are exact up to
``EXACT_MAX`` answered mentions in the period (the times are read and
interpolated like ``percentile_cont``). Above that, on PostgreSQL, exact
percentiles per grouping cost a sort of the period's times per grouping (a
year: 380k times, ~0.15 s a sort, 0.74 s for the four groupings even on a
narrow table), so one hash-aggregated ``GROUPING SETS`` query returns a
histogram per grouping: logarithmic bins of about 1 % (``CareResponse.bin``), each
with its count and its lowest and highest time. ``_histogram_percentile``
interpolates within the bin that holds the rank, between two times that
really occur in it: the error is below the bin's width, 1 % of the value
(at most 0.4 h on a p90 of 39 h). Measured on the bench (the last 365 and
90 days, 97 groupings, 194 medians and p90s against ``percentile_cont``):
at most 0.3 % off; 29 of the figures, shown to 0.1 h, were 0.1 h off, the
rest equal. Counts, shares and SLA figures are exact in both modes (checked
against the live reads on the bench).

Cost in the rollup mode, a year on the bench: the rollup's counts (60 ms),
the open mentions (150 ms), the histogram (300 ms); with a full previous
year (the bench has none) add its counts and an overall histogram (~150 ms).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.core.reports import (
    BUCKET_DAY,
    BUCKET_WEEK,
    Chart,
    Figure,
    Heading,
    PercentileCont,
    Period,
    ReportForm,
    Series,
    Table,
    as_bucket,
    hours,
    percentile,
    percentiles,
    register_section,
    share,
)

from ..inbox import staff_users
from ..models import (
    OPEN_MENTION_STATUSES,
    CareDaily,
    CareResponse,
    Intent,
    Mention,
    MentionStatus,
    RollupState,
    Source,
    SourceKind,
)
from ..rollup import CARE_STATE, care_refresh

SLUG = "care"
FRS = "first_response_seconds"
OPEN = [str(status) for status in OPEN_MENTION_STATUSES]

ANSWERED = Q(first_response_at__isnull=False)
IGNORED = Q(first_response_at__isnull=True, status=MentionStatus.IGNORED)
UNANSWERED = Q(first_response_at__isnull=True) & ~Q(status=MentionStatus.IGNORED)
SLA_MET = Q(
    first_response_at__isnull=False,
    due_at__isnull=False,
    first_response_at__lte=F("due_at"),
)

# The backlog's age buckets: (label, from, to) in hours since arrival.
AGE_BUCKETS: list[tuple[Any, int, int | None]] = [
    (_("Under 1 h"), 0, 1),
    (_("1–4 h"), 1, 4),
    (_("4–24 h"), 4, 24),
    (_("1–3 days"), 24, 72),
    (_("3–7 days"), 72, 168),
    (_("Over 7 days"), 168, None),
]


class CareReportForm(ReportForm):
    intent = forms.ChoiceField(
        label=_("Intent"),
        required=False,
        choices=[("", _("Any intent")), *Intent.choices],
    )
    # public_name (the option label) reads display_name and is_erased.
    staff = forms.ModelChoiceField(
        label=_("Staff member"),
        required=False,
        queryset=staff_users().only("pk", "username", "display_name", "is_erased"),
        empty_label=_("Anyone"),
    )
    source_kind = forms.ChoiceField(
        label=_("Source"),
        required=False,
        choices=[("", _("Any source")), *SourceKind.choices],
    )


# --- selectors ----------------------------------------------------------------


def _filtered(queryset: QuerySet[Mention], filters: dict) -> QuerySet[Mention]:
    """Apply the form's filters. A staff member's mentions are the ones they
    answered first, plus those assigned to them that nobody answered yet."""
    if intent := filters.get("intent"):
        queryset = queryset.filter(intent=intent)
    if kind := filters.get("source_kind"):
        # A subquery on the ten-odd sources, not a join on every mention.
        queryset = queryset.filter(
            source__in=Source.objects.filter(kind=kind).values("pk")
        )
    if member := filters.get("staff"):
        queryset = queryset.filter(
            Q(first_response_by=member)
            | Q(first_response_by__isnull=True, assignee=member)
        )
    return queryset


def mentions_arrived(period: Period, filters: dict) -> QuerySet[Mention]:
    """The report's population: mentions that arrived in the period."""
    return _filtered(
        Mention.objects.filter(
            fetched_at__gte=period.start_at, fetched_at__lt=period.end_at
        ),
        filters,
    )


def _sla_decided(now: datetime) -> Q:
    """Met, missed or overdue: the mentions whose SLA outcome is known."""
    return Q(due_at__isnull=False) & (
        ANSWERED | Q(first_response_at__isnull=True, status__in=OPEN, due_at__lt=now)
    )


def _aggregates(now: datetime) -> dict:
    return {
        "arrived": Count("pk"),
        "answered": Count("pk", filter=ANSWERED),
        "ignored": Count("pk", filter=IGNORED),
        "unanswered": Count("pk", filter=UNANSWERED),
        "sla_met": Count("pk", filter=SLA_MET),
        "sla_decided": Count("pk", filter=_sla_decided(now)),
    }


def _measures(row: dict) -> dict:
    return {
        **row,
        "unanswered_share": share(row["unanswered"], row["arrived"] - row["ignored"]),
        "sla_share": share(row["sla_met"], row["sla_decided"]),
        "median_h": hours(row.get("p50")),
        "p90_h": hours(row.get("p90")),
    }


COUNTS = ("arrived", "answered", "ignored", "unanswered", "sla_met", "sla_decided")
# Installs with fewer mentions read them live (always current, and exact);
# bigger ones read the care rollup once it is built.
ROLLUP_MIN_MENTIONS = 20_000
# Percentiles of at most this many answered mentions are exact (their times
# are read from CareResponse); above it PostgreSQL sums a histogram.
EXACT_MAX = 20_000
HISTOGRAM_WORK_MEM = "32MB"


def _add(into: dict, key, row: dict) -> None:
    totals = into.setdefault(key, dict.fromkeys(COUNTS, 0))
    for name in COUNTS:
        totals[name] += row[name]


@dataclass
class CareFacts:
    """Every grouping the sections show, from two reads of the population.

    ``total``, ``by_intent``, ``by_staff`` (the mentions each person answered
    first), ``by_bucket`` (local date of the bucket): counts, percentiles and
    their ``_measures``; ``waiting``: per assignee, the mentions assigned to
    them that nobody answered (ignored ones left out)."""

    total: dict
    by_intent: dict[str, dict]
    by_staff: dict[int, dict]
    by_bucket: dict[date, dict]
    waiting: dict[int, int]


def _bucket(period: Period, value) -> date | None:
    day = as_bucket(value)
    return None if day is None else period.bucket_start(day)


def care_facts(period: Period, filters: dict, *, now: datetime) -> CareFacts:
    """Counts per (intent, first responder, waiting assignee, bucket) in one
    grouped query, summed here into each grouping (a few thousand rows at
    most); then the percentiles of every grouping in one more query."""
    population = mentions_arrived(period, filters).order_by()
    waiting_for = Case(
        When(UNANSWERED, then=F("assignee_id")),
        default=Value(None),
        output_field=BigIntegerField(),
    )
    rows = (
        population.annotate(bucket=period.trunc("fetched_at"), waiting_for=waiting_for)
        .values("intent", "first_response_by", "waiting_for", "bucket")
        .annotate(**_aggregates(now))
    )
    total: dict = {None: dict.fromkeys(COUNTS, 0)}
    by_intent: dict = {}
    by_staff: dict = {}
    by_bucket: dict = {}
    waiting: dict[int, int] = {}
    for row in rows:
        _add(total, None, row)
        _add(by_intent, row["intent"], row)
        if row["first_response_by"] is not None:
            _add(by_staff, row["first_response_by"], row)
        if row["waiting_for"] is not None:
            waiting[row["waiting_for"]] = (
                waiting.get(row["waiting_for"], 0) + row["unanswered"]
            )
        bucket = _bucket(period, row["bucket"])
        if bucket is not None:
            _add(by_bucket, bucket, row)
    answered = population.filter(first_response_seconds__isnull=False)
    return _care_facts(
        total,
        by_intent,
        by_staff,
        by_bucket,
        waiting,
        _grouped_percentiles(answered, period),
    )


def _care_facts(
    total: dict,
    by_intent: dict,
    by_staff: dict,
    by_bucket: dict,
    waiting: dict,
    found_percentiles: dict,
) -> CareFacts:
    """The groupings' measures, with their percentiles (keyed ``("", None)``,
    ``("i", intent)``, ``("s", staff id)``, ``("b", bucket)``), from the live
    reads and from the rollup alike."""
    groups = {"": total, "i": by_intent, "s": by_staff, "b": by_bucket}
    for (kind, key), (p50, p90) in found_percentiles.items():
        if key in groups[kind]:
            groups[kind][key].update(p50=p50, p90=p90)

    def measured(group: dict) -> dict:
        return {key: _measures(row) for key, row in group.items()}

    return CareFacts(
        total=_measures(total[None]),
        by_intent=measured(by_intent),
        by_staff=measured(by_staff),
        by_bucket=measured(by_bucket),
        waiting=waiting,
    )


def _grouped_percentiles(
    answered: QuerySet[Mention], period: Period
) -> dict[tuple[str, Any], tuple[float | None, float | None]]:
    """Median and p90 of ``first_response_seconds`` overall ("", None), per
    intent ("i", …), first responder ("s", pk) and bucket ("b", date).

    PostgreSQL: one ``GROUPING SETS`` query with ``percentile_cont`` (Django
    has no grouping sets, so the ORM's SQL is wrapped). Elsewhere the values
    are read once and ``percentile`` interpolates the same way."""
    values = answered.annotate(
        i=F("intent"),
        s=F("first_response_by_id"),
        b=period.trunc("fetched_at"),
        v=F(FRS),
    ).values_list("i", "s", "b", "v")
    found: dict = {}
    if connection.vendor == "postgresql":
        # The inner SQL is the ORM's own, its values passed as parameters.
        inner, params = values.query.sql_with_params()
        sql = (
            'SELECT "i", "s", "b", GROUPING("i", "s", "b"), '  # noqa: S608 # nosec B608
            'percentile_cont(0.5) WITHIN GROUP (ORDER BY "v"), '
            'percentile_cont(0.9) WITHIN GROUP (ORDER BY "v") '
            f"FROM ({inner}) AS answered "
            'GROUP BY GROUPING SETS ((), ("i"), ("s"), ("b"))'
        )
        # GROUPING(): a bit per column left out of the set, "i" the highest.
        kinds = {7: ("", None), 3: ("i", 0), 5: ("s", 1), 6: ("b", 2)}
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for *keys, grouping, p50, p90 in cursor.fetchall():
                kind, index = kinds[grouping]
                key = None if index is None else keys[index]
                if kind == "b":
                    key = _bucket(period, key)
                found[(kind, key)] = (p50, p90)
        return found
    grouped: dict = {}
    for intent, staff, bucket, seconds in values:
        for key in (
            ("", None),
            ("i", intent),
            ("s", staff),
            ("b", _bucket(period, bucket)),
        ):
            grouped.setdefault(key, []).append(seconds)
    return {
        key: (percentile(seconds, 0.5), percentile(seconds, 0.9))
        for key, seconds in grouped.items()
    }


def period_totals(period: Period, filters: dict, *, now: datetime) -> dict:
    """The whole population's counts and percentiles, for the headline's
    previous period (one query on PostgreSQL)."""
    queryset = mentions_arrived(period, filters).order_by()
    aggregates = _aggregates(now)
    postgres = connection.vendor == "postgresql"
    if postgres:
        # percentile_cont skips NULLs: only answered mentions count.
        aggregates["p50"] = PercentileCont(FRS, 0.5)
        aggregates["p90"] = PercentileCont(FRS, 0.9)
    row = queryset.aggregate(**aggregates)
    if not postgres:
        row["p50"], row["p90"] = percentiles(queryset, FRS, (0.5, 0.9))
    return _measures(row)


# --- the rollup (big installs) ----------------------------------------------------


def rollup_ready(*, now: datetime) -> bool:
    """Whether this render reads the care rollup: on a big install, once the
    beat task has built it. Brings it up to date first (``light``: the days
    changed since the last refresh, a few at most; the beat task does more)."""
    if ROLLUP_MIN_MENTIONS:
        sample = Mention.objects.order_by()[:ROLLUP_MIN_MENTIONS].count()
        if sample < ROLLUP_MIN_MENTIONS:
            return False
    care_refresh(now=now, wait=False, light=True)
    return RollupState.objects.filter(name=CARE_STATE, watermark__isnull=False).exists()


def _rollup_filtered(queryset: QuerySet, filters: dict) -> QuerySet:
    """The form's filters on ``CareDaily``/``CareResponse``: the same
    population as ``_filtered`` (the assignee column is only set for
    mentions nobody is recorded as answering first)."""
    if intent := filters.get("intent"):
        queryset = queryset.filter(intent=intent)
    if kind := filters.get("source_kind"):
        queryset = queryset.filter(source_kind=kind)
    if member := filters.get("staff"):
        queryset = queryset.filter(
            Q(responder_id=member.pk)
            | Q(responder_id__isnull=True, assignee_id=member.pk)
        )
    return queryset


def _in_period(model, period: Period, filters: dict) -> QuerySet:
    return _rollup_filtered(
        model.objects.filter(day__gte=period.start, day__lte=period.end), filters
    ).order_by()


@dataclass
class OpenNow:
    """The open mentions now, read once for a rollup render: the backlog by
    age, and the unanswered ones past their deadline that arrived in the
    period (per intent and bucket) and in the period before (a total)."""

    backlog: list[tuple[Any, int, int]]
    overdue: list[dict]
    overdue_before: int


def open_now(period: Period, filters: dict, *, now: datetime) -> OpenNow:
    """One query on the open mentions (the open-status partial indexes; a few
    % of all): "open past its deadline" depends on *now*, so it is never
    rolled up, and the backlog by age reads the same rows."""
    before = period.previous()
    overdue = Q(status__in=OPEN, first_response_at__isnull=True, due_at__lt=now)
    rows = list(
        _filtered(Mention.objects.filter(status__in=OPEN), filters)
        .order_by()
        .annotate(bucket=period.trunc("fetched_at"))
        .values("intent", "bucket")
        .annotate(
            **_backlog_aggregates(now),
            n_overdue=Count(
                "pk",
                filter=overdue
                & Q(fetched_at__gte=period.start_at, fetched_at__lt=period.end_at),
            ),
            n_overdue_before=Count(
                "pk",
                filter=overdue
                & Q(fetched_at__gte=before.start_at, fetched_at__lt=before.end_at),
            ),
        )
    )
    totals = {key: sum(row[key] for row in rows) for key in _backlog_aggregates(now)}
    return OpenNow(
        backlog=_backlog_rows(totals),
        overdue=[
            {"intent": row["intent"], "bucket": row["bucket"], "n": row["n_overdue"]}
            for row in rows
            if row["n_overdue"]
        ],
        overdue_before=sum(row["n_overdue_before"] for row in rows),
    )


def _summed() -> dict:
    return {
        name: Sum(name)
        for name in ("arrived", "answered", "ignored", "unanswered", "sla_met")
    } | {"sla_missed": Sum("sla_missed")}


def _counts(row: dict) -> dict:
    found = {name: row[name] or 0 for name in COUNTS if name != "sla_decided"}
    found["sla_decided"] = (row["sla_met"] or 0) + (row["sla_missed"] or 0)
    return found


def care_facts_rollup(
    period: Period, filters: dict, *, now: datetime, overdue: list[dict]
) -> CareFacts:
    """``care_facts`` from the rollup: the day rows summed per (intent, first
    responder, assignee, bucket), the overdue mentions live, then the
    percentiles (``_rollup_percentiles``)."""
    rows = (
        _in_period(CareDaily, period, filters)
        .annotate(bucket=period.trunc_date("day"))
        .values("intent", "responder_id", "assignee_id", "bucket")
        .annotate(**_summed())
    )
    total: dict = {None: dict.fromkeys(COUNTS, 0)}
    by_intent: dict = {}
    by_staff: dict = {}
    by_bucket: dict = {}
    waiting: dict[int, int] = {}
    for found in rows:
        row = _counts(found)
        _add(total, None, row)
        _add(by_intent, found["intent"], row)
        if found["responder_id"] is not None:
            _add(by_staff, found["responder_id"], row)
        elif found["assignee_id"] is not None and row["unanswered"]:
            waiting[found["assignee_id"]] = (
                waiting.get(found["assignee_id"], 0) + row["unanswered"]
            )
        bucket = _bucket(period, found["bucket"])
        if bucket is not None:
            _add(by_bucket, bucket, row)
    for found in overdue:
        total[None]["sla_decided"] += found["n"]
        if found["intent"] in by_intent:
            by_intent[found["intent"]]["sla_decided"] += found["n"]
        bucket = _bucket(period, found["bucket"])
        if bucket in by_bucket:
            by_bucket[bucket]["sla_decided"] += found["n"]
    return _care_facts(
        total,
        by_intent,
        by_staff,
        by_bucket,
        waiting,
        _rollup_percentiles(period, filters, total[None]["answered"], grouped=True),
    )


def period_totals_rollup(period: Period, filters: dict, *, overdue: int) -> dict:
    """``period_totals`` from the rollup (two small queries), with the
    ``overdue`` count of ``open_now``."""
    row = _counts(_in_period(CareDaily, period, filters).aggregate(**_summed()))
    row["sla_decided"] += overdue
    row["p50"], row["p90"] = _rollup_percentiles(
        period, filters, row["answered"], grouped=False
    ).get(("", None), (None, None))
    return _measures(row)


def _rollup_percentiles(
    period: Period, filters: dict, answered: int, *, grouped: bool
) -> dict[tuple[str, Any], tuple[float | None, float | None]]:
    """Median and p90 overall and (``grouped``) per intent, first responder
    and bucket, keyed as in ``_grouped_percentiles``.

    Exact up to ``EXACT_MAX`` answered mentions (and on SQLite): the times
    are read from ``CareResponse`` and ``percentile`` interpolates like
    ``percentile_cont``. Above it, on PostgreSQL, one hash-aggregated query
    returns a histogram per grouping (bins of about 1 %, with the lowest and
    highest time seen in each), and ``_histogram_percentile`` interpolates
    within the bin that holds the rank: the estimate lies between two times
    that really occur in that bin, so it is off by less than the bin's
    width, 1 % of the value (under 0.4 h on a p90 of 39 h; in practice far
    less, as the times within a bin are close to evenly spread)."""
    if not answered:
        return {}
    queryset = _in_period(CareResponse, period, filters)
    bucket_column = {BUCKET_DAY: "day", BUCKET_WEEK: "week"}.get(period.bucket, "month")
    if answered <= EXACT_MAX and connection.vendor == "postgresql":
        return _exact_percentiles_sql(period, queryset, bucket_column, grouped=grouped)
    if answered <= EXACT_MAX or connection.vendor != "postgresql":
        grouped_values: dict = {}
        rows = queryset.annotate(b=period.trunc_date("day")).values_list(
            "intent", "responder_id", "b", "seconds", "n"
        )
        for intent, staff, bucket, seconds, n in rows:
            keys = [("", None)]
            if grouped:
                keys += [("i", intent), ("s", staff), ("b", _bucket(period, bucket))]
            for key in keys:
                grouped_values.setdefault(key, []).extend([seconds] * n)
        return {
            key: (percentile(values, 0.5), percentile(values, 0.9))
            for key, values in grouped_values.items()
        }
    histogram = queryset.annotate(
        i=F("intent"),
        s=F("responder_id"),
        b=F(bucket_column),
        h=F("bin"),
        v=F("seconds"),
        w=F("n"),
    ).values_list("i", "s", "b", "h", "v", "w")
    inner, params = histogram.query.sql_with_params()
    if grouped:
        sql = (
            'SELECT "i", "s", "b", GROUPING("i", "s", "b"), "h", '  # noqa: S608
            'SUM("w"), MIN("v"), MAX("v") FROM ({inner}) AS answered '
            'GROUP BY GROUPING SETS (("h"), ("i", "h"), ("s", "h"), ("b", "h"))'
        )
    else:
        sql = (
            'SELECT NULL, NULL, NULL, 7, "h", '  # noqa: S608
            'SUM("w"), MIN("v"), MAX("v") FROM ({inner}) AS answered GROUP BY "h"'
        )
    sql = sql.replace("{inner}", inner)
    kinds = {7: ("", None), 3: ("i", 0), 5: ("s", 1), 6: ("b", 2)}
    bins: dict = {}
    buckets: dict = {}  # a bucket's rows share their key: convert it once
    with transaction.atomic(), connection.cursor() as cursor:
        # Enough memory to hash the groups (tens of thousands of small rows)
        # instead of sorting the year's times on disk once per grouping.
        cursor.execute(f"SET LOCAL work_mem = '{HISTOGRAM_WORK_MEM}'")
        cursor.execute(sql, params)
        for *keys, grouping, h, n, low, high in cursor.fetchall():
            kind, index = kinds[grouping]
            key = None if index is None else keys[index]
            if kind == "b":
                if key not in buckets:
                    buckets[key] = _bucket(period, key)
                key = buckets[key]
            bins.setdefault((kind, key), []).append((h, int(n), low, high))
    # Tens of thousands of rows for a year: still cheaper than picking the
    # bins of the wanted ranks with window functions in the database
    # (measured: 0.37-0.42 s against 0.43-0.60 s).
    return {
        key: (
            _histogram_percentile(found, 0.5),
            _histogram_percentile(found, 0.9),
        )
        for key, found in bins.items()
    }


def _exact_percentiles_sql(
    period: Period, queryset, bucket_column: str, *, grouped: bool
) -> dict[tuple[str, Any], tuple[float | None, float | None]]:
    """The exact path on PostgreSQL: ``percentile_cont`` over the times, each
    repeated ``n`` times (``generate_series``), in the database. Reading the
    rows into Python cost about 0.25 s per call at 20,000 times."""
    rows = queryset.annotate(
        i=F("intent"), s=F("responder_id"), b=F(bucket_column), v=F("seconds"), w=F("n")
    ).values_list("i", "s", "b", "v", "w")
    inner, params = rows.query.sql_with_params()
    if grouped:
        columns = '"i", "s", "b", GROUPING("i", "s", "b")'
        group_by = 'GROUP BY GROUPING SETS ((), ("i"), ("s"), ("b"))'
    else:
        columns, group_by = "NULL, NULL, NULL, 7", ""
    sql = (
        f"SELECT {columns}, "  # noqa: S608 # nosec B608
        'percentile_cont(0.5) WITHIN GROUP (ORDER BY "v"), '
        'percentile_cont(0.9) WITHIN GROUP (ORDER BY "v") '
        "FROM ({inner}) AS answered "
        'CROSS JOIN LATERAL generate_series(1, answered."w") '
        f"{group_by}"
    ).replace("{inner}", inner)
    kinds = {7: ("", None), 3: ("i", 0), 5: ("s", 1), 6: ("b", 2)}
    out: dict = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for *keys, grouping, p50, p90 in cursor.fetchall():
            kind, index = kinds[grouping]
            key = None if index is None else keys[index]
            if kind == "b":
                key = _bucket(period, key)
            out[(kind, key)] = (p50, p90)
    return out


def _histogram_percentile(
    bins: list[tuple[float, int, int, int]], fraction: float
) -> float | None:
    """``percentile_cont`` estimated from every (bin, count, lowest, highest)
    row of a histogram (see ``_ranked_percentile``)."""
    ranked = []
    before = 0
    for _h, n, low, high in sorted(bins):
        ranked.append((before, n, low, high))
        before += n
    return _ranked_percentile(ranked, before, fraction)


def _ranked_percentile(
    ranked: list[tuple[int, int, int, int]], total: int, fraction: float
) -> float | None:
    """``percentile_cont`` of ``total`` times from the bins that hold the
    wanted ranks, as (times in lower bins, count, lowest, highest): the times
    of a bin are placed evenly between its lowest and highest."""
    if not total:
        return None
    rank = fraction * (total - 1)
    below = int(rank)

    def kth(k: int) -> float:
        for before, n, low, high in ranked:
            if before <= k < before + n:
                if n == 1:
                    return float(low)
                return low + (k - before) / (n - 1) * (high - low)
        raise ValueError(f"rank {k} is in none of the bins")

    first = kth(below)
    if rank == below:
        return first
    return first + (rank - below) * (kth(below + 1) - first)


def backlog_by_age(filters: dict, *, now: datetime) -> list[tuple[Any, int, int]]:
    """Open mentions now as (age label, overdue, within SLA), one query.

    Open mentions without a deadline count as within the SLA."""
    row = (
        _filtered(Mention.objects.filter(status__in=OPEN), filters)
        .order_by()
        .aggregate(**_backlog_aggregates(now))
    )
    return _backlog_rows(row)


def _backlog_aggregates(now: datetime) -> dict:
    overdue = Q(due_at__lt=now)
    within = Q(due_at__gte=now) | Q(due_at__isnull=True)
    aggregates = {}
    for i, (_label, low, high) in enumerate(AGE_BUCKETS):
        age = Q()
        if low:
            age &= Q(fetched_at__lte=now - timedelta(hours=low))
        if high is not None:
            age &= Q(fetched_at__gt=now - timedelta(hours=high))
        aggregates[f"o{i}"] = Count("pk", filter=age & overdue)
        aggregates[f"w{i}"] = Count("pk", filter=age & within)
    return aggregates


def _backlog_rows(row: dict) -> list[tuple[Any, int, int]]:
    return [
        (label, row[f"o{i}"], row[f"w{i}"])
        for i, (label, _low, _high) in enumerate(AGE_BUCKETS)
    ]


def _intent_label(value: str) -> str:
    return (
        str(Intent(value).label) if value in Intent.values else str(_("Not classified"))
    )


def _ordered_intents(keys: Iterable[str]) -> list[str]:
    present = set(keys)
    order = [*Intent.values, ""]
    return [k for k in order if k in present] + sorted(
        k for k in present if k not in order and k is not None
    )


# --- one render's reads ---------------------------------------------------------

_render = threading.local()
RENDER_MEMO_TTL = timedelta(minutes=1)


def _reads(period: Period, filters: dict, name: str, compute: Callable) -> Any:
    """``compute(now)`` once per render of the report.

    The headline and the sections all show the same few reads, and on 1M
    mentions each read is a scan of the period; reading once per page keeps
    the report within its time. The frame hands one ``filters`` dict to every
    section of one page (portal.core.report_views), so that object marks the
    render: a new page builds a new dict and reads afresh, and a caller that
    passes another dict only reads again. Per thread, only the last render is
    kept (it holds a reference to its ``filters``, so the identity cannot be
    reused), and for a minute at most, in case a caller keeps one dict."""
    now = timezone.now()
    memo = getattr(_render, "memo", None)
    if (
        memo is None
        or memo["filters"] is not filters
        or memo["period"] != period
        or now - memo["now"] > RENDER_MEMO_TTL
    ):
        memo = {"filters": filters, "period": period, "now": now}
        _render.memo = memo
    if name not in memo:
        memo[name] = compute(memo["now"])
    return memo[name]


def _rollup(period: Period, filters: dict) -> bool:
    return _reads(period, filters, "rollup", lambda now: rollup_ready(now=now))


def _open(period: Period, filters: dict) -> OpenNow:
    return _reads(
        period, filters, "open", lambda now: open_now(period, filters, now=now)
    )


def _facts(period: Period, filters: dict) -> CareFacts:
    if _rollup(period, filters):
        overdue = _open(period, filters).overdue
        return _reads(
            period,
            filters,
            "facts",
            lambda now: care_facts_rollup(period, filters, now=now, overdue=overdue),
        )
    return _reads(
        period, filters, "facts", lambda now: care_facts(period, filters, now=now)
    )


def _previous(period: Period, filters: dict) -> dict:
    if _rollup(period, filters):
        overdue = _open(period, filters).overdue_before
        return _reads(
            period,
            filters,
            "previous",
            lambda now: period_totals_rollup(
                period.previous(), filters, overdue=overdue
            ),
        )
    return _reads(
        period,
        filters,
        "previous",
        lambda now: period_totals(period.previous(), filters, now=now),
    )


def _backlog(period: Period, filters: dict) -> list[tuple[Any, int, int]]:
    if _rollup(period, filters):
        return _open(period, filters).backlog
    return _reads(
        period, filters, "backlog", lambda now: backlog_by_age(filters, now=now)
    )


# --- sections -------------------------------------------------------------------


def headline(period: Period, filters: dict) -> list[Figure]:
    current = _facts(period, filters).total
    before = _previous(period, filters)
    backlog = sum(overdue + within for _l, overdue, within in _backlog(period, filters))
    return [
        Figure(
            "care-median",
            _("Median time to first response"),
            current["median_h"],
            "h",
            previous=before["median_h"],
            lower_is_better=True,
            help=_("Mentions that arrived in the period and were answered."),
        ),
        Figure(
            "care-p90",
            _("90th percentile time to first response"),
            current["p90_h"],
            "h",
            previous=before["p90_h"],
            lower_is_better=True,
            help=_("Nine in ten answers came faster than this."),
        ),
        Figure(
            "care-sla",
            _("Answered within the SLA"),
            current["sla_share"],
            "%",
            previous=before["sla_share"],
            help=_("Of the mentions answered, or still open past their deadline."),
        ),
        Figure(
            "care-unanswered",
            _("Unanswered"),
            current["unanswered_share"],
            "%",
            previous=before["unanswered_share"],
            lower_is_better=True,
            help=_(
                "Mentions that arrived in the period, were not ignored and have "
                "no response."
            ),
        ),
        Figure(
            "care-backlog",
            _("Open backlog now"),
            backlog,
            lower_is_better=True,
            help=_("New or assigned mentions right now, whatever the period."),
        ),
    ]


def _outcome_columns() -> list:
    return [
        _("Arrived"),
        _("Answered"),
        _("Ignored"),
        _("Unanswered"),
        _("Unanswered (%)"),
        _("Median (h)"),
        _("90th percentile (h)"),
        _("Within SLA (%)"),
    ]


def _outcome_cells(row: dict) -> list:
    # The unanswered share stands right before the response times.
    return [
        row["arrived"],
        row["answered"],
        row["ignored"],
        row["unanswered"],
        row["unanswered_share"],
        row["median_h"],
        row["p90_h"],
        row["sla_share"],
    ]


def by_intent(period: Period, filters: dict) -> list:
    rows = _facts(period, filters).by_intent
    keys = _ordered_intents(rows)
    labels = [_intent_label(k) for k in keys]
    return [
        Heading(
            "care-intent",
            _("Per intent"),
            _(
                "Mentions that arrived in the period (by the time they were "
                "fetched), per intent. Response times are for the answered ones; "
                "the unanswered share leaves out the ignored ones, which have "
                "their own column."
            ),
        ),
        Chart(
            "care-ttfr-intent",
            _("Time to first response per intent"),
            "bar",
            labels,
            [
                Series(_("Median"), [rows[k]["median_h"] for k in keys]),
                Series(_("90th percentile"), [rows[k]["p90_h"] for k in keys]),
            ],
            unit="h",
            label_header=_("Intent"),
        ),
        Table(
            "care-intent-table",
            _("Answered, unanswered and response time per intent"),
            [_("Intent"), *_outcome_columns()],
            [
                [label, *_outcome_cells(rows[k])]
                for label, k in zip(labels, keys, strict=True)
            ],
            description=_(
                "Within SLA: answered before the deadline, out of the mentions "
                "answered or still open past their deadline."
            ),
        ),
    ]


def by_staff(period: Period, filters: dict) -> list:
    facts = _facts(period, filters)
    answered, waiting = facts.by_staff, facts.waiting
    ids = set(answered) | set(waiting)
    users = {
        user.pk: user
        for user in get_user_model()
        .objects.filter(pk__in=ids)
        .only("pk", "username", "display_name", "is_erased")
    }
    order = sorted(
        ids,
        key=lambda pk: (
            -(answered[pk]["answered"] if pk in answered else 0),
            -waiting.get(pk, 0),
            str(users.get(pk, pk)),
        ),
    )
    charted = [pk for pk in order if pk in answered]
    return [
        Heading(
            "care-staff",
            _("Per staff member"),
            _(
                "Response times and the SLA share are for the mentions each "
                "person answered first; “assigned, unanswered” counts the "
                "mentions assigned to them that nobody answered (ignored ones "
                "left out). Mentions that arrived in the period."
            ),
        ),
        Chart(
            "care-ttfr-staff",
            _("Time to first response per staff member"),
            "bar",
            [str(users.get(pk, pk)) for pk in charted],
            [
                Series(_("Median"), [answered[pk]["median_h"] for pk in charted]),
                Series(_("90th percentile"), [answered[pk]["p90_h"] for pk in charted]),
            ],
            unit="h",
            label_header=_("Staff member"),
        ),
        Table(
            "care-staff-table",
            _("Answers and open assignments per staff member"),
            [
                _("Staff member"),
                _("Answered first"),
                _("Assigned, unanswered"),
                _("Median (h)"),
                _("90th percentile (h)"),
                _("Within SLA (%)"),
            ],
            [
                [
                    str(users.get(pk, pk)),
                    answered[pk]["answered"] if pk in answered else 0,
                    waiting.get(pk, 0),
                    answered[pk]["median_h"] if pk in answered else None,
                    answered[pk]["p90_h"] if pk in answered else None,
                    answered[pk]["sla_share"] if pk in answered else None,
                ]
                for pk in order
            ],
        ),
    ]


def trend(period: Period, filters: dict) -> list:
    found = _facts(period, filters).by_bucket
    buckets = period.buckets()

    def column(name: str) -> list:
        return [found[b][name] if b in found else None for b in buckets]

    labels = period.labels()
    return [
        Heading(
            "care-trend",
            _("Over time"),
            _("Mentions by the day, week or month they arrived."),
        ),
        Chart(
            "care-trend-time",
            _("Time to first response"),
            "line",
            labels,
            [
                Series(_("Median"), column("median_h")),
                Series(_("90th percentile"), column("p90_h")),
            ],
            unit="h",
        ),
        Chart(
            "care-trend-shares",
            _("Unanswered and answered within the SLA"),
            "line",
            labels,
            [
                Series(_("Unanswered"), column("unanswered_share")),
                Series(_("Within SLA"), column("sla_share")),
            ],
            unit="%",
            description=_(
                "Read the two together: a falling response time means little "
                "when the unanswered share rises."
            ),
        ),
    ]


def backlog(period: Period, filters: dict) -> list:
    rows = _backlog(period, filters)
    return [
        Chart(
            "care-backlog-age",
            _("Backlog by age, now"),
            "stacked",
            [str(label) for label, _o, _w in rows],
            [
                Series(
                    _("Overdue"),
                    [overdue for _l, overdue, _w in rows],
                    colour="negative",
                ),
                Series(
                    _("Within SLA"),
                    [within for _l, _o, within in rows],
                    colour="positive",
                ),
            ],
            label_header=_("Age"),
            description=_(
                "Mentions open right now (new or assigned), by the time since "
                "they arrived. This is the current state, whatever the period; "
                "the other filters apply. Mentions without a deadline count as "
                "within the SLA."
            ),
        )
    ]


def register() -> None:
    register_section(SLUG, headline, order=10, headline=True)
    register_section(SLUG, by_intent, order=10)
    register_section(SLUG, by_staff, order=20)
    register_section(SLUG, trend, order=30)
    register_section(SLUG, backlog, order=40)
