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
reads it once (``care_facts``, memoised per render by ``_reads``): one grouped
COUNT … FILTER query per (intent, first responder, waiting assignee, bucket),
summed here into each grouping, and one query for the percentiles of every
grouping (PostgreSQL: ``percentile_cont`` with ``GROUPING SETS``; elsewhere the
values are read and ``percentile`` interpolates the same way). Then the
previous period's totals (one query) and the open backlog (one query on the
open-status partial indexes). The two period reads still scan the period's
rows in the heap: fine for a month (about 80k of 1M mentions), too slow for
a year of 1M mentions, which needs a rollup of the response times (as
``MentionDaily`` is for volume) or a covering index on ``fetched_at``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    F,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.core.reports import (
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
    Intent,
    Mention,
    MentionStatus,
    Source,
    SourceKind,
)

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
    groups = {"": total, "i": by_intent, "s": by_staff, "b": by_bucket}
    answered = population.filter(first_response_seconds__isnull=False)
    for (kind, key), (p50, p90) in _grouped_percentiles(answered, period).items():
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
            'SELECT "i", "s", "b", GROUPING("i", "s", "b"), '  # noqa: S608
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


def backlog_by_age(filters: dict, *, now: datetime) -> list[tuple[Any, int, int]]:
    """Open mentions now as (age label, overdue, within SLA), one query.

    Open mentions without a deadline count as within the SLA."""
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
    row = (
        _filtered(Mention.objects.filter(status__in=OPEN), filters)
        .order_by()
        .aggregate(**aggregates)
    )
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


def _facts(period: Period, filters: dict) -> CareFacts:
    return _reads(
        period, filters, "facts", lambda now: care_facts(period, filters, now=now)
    )


def _backlog(period: Period, filters: dict) -> list[tuple[Any, int, int]]:
    return _reads(
        period, filters, "backlog", lambda now: backlog_by_age(filters, now=now)
    )


# --- sections -------------------------------------------------------------------


def headline(period: Period, filters: dict) -> list[Figure]:
    current = _facts(period, filters).total
    before = _reads(
        period,
        filters,
        "previous",
        lambda now: period_totals(period.previous(), filters, now=now),
    )
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
