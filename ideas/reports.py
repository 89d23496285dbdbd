"""The ideas part of the community report, and two public figures.

Which ideas: every section about "ideas submitted in the period" looks at one
cohort, the ideas created in the period that are not hidden by moderation
(merged duplicates are included and shown as such). The funnel, the time at
each stage and the time to an official response all describe that cohort,
so their numbers can be read together.

The funnel counts an idea at a stage when it ever reached that stage or a
later one, according to its status history (``StatusChange``) or its current
status:

- reviewed: under review, planned, in progress, launched or declined (a
  decline is a reviewed idea with a "no");
- planned: planned, in progress or launched;
- launched: launched.

Declined and merged are the ideas whose current status is that, shown next to
the funnel rather than in it. An official response is a history entry with a
response text written through ``idea_respond`` (which also sets
``has_official_response``); the automatic note of a merge is not one.

Public figures (``ideas_launched_year``, ``median_official_response``) call
the same functions as the sections, so the page and the report agree.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import connection
from django.db.models import (
    Count,
    F,
    FloatField,
    Func,
    Min,
    Q,
    QuerySet,
    Window,
)
from django.db.models.functions import Lead
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.core.reports import (
    Chart,
    Figure,
    Heading,
    Period,
    Series,
    Table,
    local_tz,
    percentile,
    percentiles,
    register_public_figure,
    register_section,
    share,
)

from .models import OPEN_STATUSES, PUBLIC_IDEA, Idea, IdeaStatus, StatusChange, Vote

REPORT = "community"
DAY = 86400

REVIEWED = [
    IdeaStatus.UNDER_REVIEW,
    IdeaStatus.PLANNED,
    IdeaStatus.IN_PROGRESS,
    IdeaStatus.LAUNCHED,
    IdeaStatus.DECLINED,
]
PLANNED = [IdeaStatus.PLANNED, IdeaStatus.IN_PROGRESS, IdeaStatus.LAUNCHED]
LAUNCHED = [IdeaStatus.LAUNCHED]
# Stages an idea waits in; launched, declined and merged are where it ends.
WAITING_STAGES = [
    IdeaStatus.NEW,
    IdeaStatus.UNDER_REVIEW,
    IdeaStatus.PLANNED,
    IdeaStatus.IN_PROGRESS,
]


class SecondsBetween(Func):
    """Seconds from ``start`` to ``end`` (two datetimes) as a float.

    Django has no portable "interval in seconds"; PostgreSQL extracts the
    epoch of the interval, SQLite (which stores UTC text) subtracts Julian
    days. NULL in, NULL out, so a missing end is left out of percentiles."""

    output_field = FloatField()
    arity = 2

    def __init__(self, start, end, **extra):
        super().__init__(end, start, **extra)

    def as_sql(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler,
            connection,
            template="EXTRACT(EPOCH FROM (%(expressions)s))::double precision",
            arg_joiner=" - ",
            **extra_context,
        )

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s)) * 86400.0)",
            arg_joiner=") - julianday(",
            **extra_context,
        )


def days(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / DAY, 1)


# --- selectors the sections and the public figures share ---------------------


def idea_cohort(period: Period, filters: dict | None = None) -> QuerySet[Idea]:
    """Ideas submitted in the period, hidden ones left out (read off the
    covering index ``idea_report_cohort`` on PostgreSQL)."""
    qs = Idea.objects.filter(
        created_at__gte=period.start_at,
        created_at__lt=period.end_at,
        is_hidden=False,
    )
    focus_area = (filters or {}).get("focus_area")
    if focus_area is not None:
        qs = qs.filter(focus_area=focus_area)
    return qs


def _reached(period: Period, statuses: list[str]) -> Q:
    """The idea's status is in ``statuses``, or its history ever entered one.

    The history side is an uncorrelated ``id IN (…)`` that PostgreSQL hashes
    once, off the index ``status_to_time``, and looks up only for ideas whose
    status alone does not settle it. A cohort idea's history is written after
    it was submitted, so only changes from the period's start on are read:
    for a week that is a week of history, not all of it."""
    entered = StatusChange.objects.filter(
        to_status__in=statuses, created_at__gte=period.start_at
    ).values("idea_id")
    return Q(status__in=statuses) | Q(pk__in=entered)


def idea_funnel(period: Period, filters: dict | None = None) -> dict[str, int]:
    """How far the cohort got; one query over the cohort, one row per idea.

    (A LEFT JOIN of every idea with its whole history and six
    ``COUNT(DISTINCT)`` measured twice as slow on PostgreSQL at 50k ideas.)"""
    return idea_cohort(period, filters).aggregate(
        submitted=Count("pk"),
        reviewed=Count("pk", filter=_reached(period, REVIEWED)),
        planned=Count("pk", filter=_reached(period, PLANNED)),
        launched=Count("pk", filter=_reached(period, LAUNCHED)),
        declined=Count("pk", filter=Q(status=IdeaStatus.DECLINED)),
        merged=Count("pk", filter=Q(status=IdeaStatus.MERGED)),
    )


STAGE_PERCENTILES_SQL = (
    "SELECT status, COUNT(*), "  # noqa: S608
    "percentile_cont(0.5) WITHIN GROUP (ORDER BY secs), "
    "percentile_cont(0.9) WITHIN GROUP (ORDER BY secs) "
    "FROM (SELECT t.status, "
    "EXTRACT(EPOCH FROM (t.left_at - t.entered_at))::double precision AS secs "
    "FROM ({inner}) AS t (status, entered_at, left_at)) AS d "
    "WHERE secs IS NOT NULL GROUP BY status"
)


def stage_durations(
    period: Period, filters: dict | None = None
) -> dict[str, tuple[int, float | None, float | None]]:
    """Per status: (times left, median seconds, p90 seconds) in that status.

    For the cohort's status changes (rows where the status really changed;
    a response alone keeps the status), the time in a status runs from the
    change that entered it to the next change of the same idea (``LEAD``
    over the idea's history). A status not yet left has no duration and is
    not counted. PostgreSQL computes the percentiles over the window in one
    statement; SQLite reads the (bounded) cohort's rows.
    """
    changes = StatusChange.objects.filter(
        idea__in=idea_cohort(period, filters).values("pk")
    ).exclude(from_status=F("to_status"))
    rows = (
        changes.annotate(
            left_at=Window(
                Lead("created_at"),
                partition_by=[F("idea_id")],
                order_by=[F("created_at").asc(), F("pk").asc()],
            )
        )
        .order_by()
        .values_list("to_status", "created_at", "left_at")
    )
    if connection.vendor == "postgresql":
        sql, params = rows.query.sql_with_params()
        # The inner statement is Django's own SQL with its parameters kept
        # separate, so nothing user-supplied is formatted into the string.
        statement = STAGE_PERCENTILES_SQL.format(inner=sql)
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
            return {status: (n, p50, p90) for status, n, p50, p90 in cursor.fetchall()}
    grouped: dict[str, list[float]] = {}
    for status, entered_at, left_at in rows:
        if left_at is not None:
            grouped.setdefault(status, []).append(
                (left_at - entered_at).total_seconds()
            )
    return {
        status: (len(values), percentile(values, 0.5), percentile(values, 0.9))
        for status, values in grouped.items()
    }


# A merge and its undo leave an automatic note in the history; that is not the
# brand answering the idea (``idea_respond`` alone sets has_official_response).
OFFICIAL_RESPONSE_EXCLUDED = Q(to_status=IdeaStatus.MERGED) | Q(
    from_status=IdeaStatus.MERGED
)


def responded_ideas(period: Period, filters: dict | None = None) -> QuerySet:
    """One row per idea of the cohort with an official response: the seconds
    from submission to its first response (``response_secs``).

    Grouped from the history side (response rows joined to the cohort,
    ``MIN`` per idea) rather than a subquery per idea, which PostgreSQL ran
    twice per row. Ideas still waiting are not here; the section shows how
    many answered, so a fast median cannot hide unanswered ideas. The
    partial index ``status_response`` holds exactly the response rows."""
    focus_area = (filters or {}).get("focus_area")
    qs = (
        StatusChange.objects.filter(
            idea__created_at__gte=period.start_at,
            idea__created_at__lt=period.end_at,
            idea__is_hidden=False,
            # Only idea_respond writes responses and sets this flag; it lets
            # PostgreSQL skip ideas that never had one.
            idea__has_official_response=True,
        )
        .exclude(response="")
        .exclude(OFFICIAL_RESPONSE_EXCLUDED)
    )
    if focus_area is not None:
        qs = qs.filter(idea__focus_area=focus_area)
    return (
        qs.order_by()
        .values("idea_id")
        .annotate(
            response_secs=SecondsBetween(Min("idea__created_at"), Min("created_at"))
        )
    )


def official_response_seconds(
    period: Period, filters: dict | None = None
) -> list[float | None]:
    """[median, p90] seconds to the first official response (one query)."""
    return percentiles(responded_ideas(period, filters), "response_secs", (0.5, 0.9))


def median_official_response_days(
    period: Period, filters: dict | None = None
) -> float | None:
    return days(official_response_seconds(period, filters)[0])


def ideas_launched_count(period: Period, filters: dict | None = None) -> int:
    """Ideas that reached "launched" in the period (once each, whenever they
    were submitted); hidden ideas are left out."""
    qs = StatusChange.objects.filter(
        to_status=IdeaStatus.LAUNCHED,
        created_at__gte=period.start_at,
        created_at__lt=period.end_at,
        idea__is_hidden=False,
    ).exclude(from_status=IdeaStatus.LAUNCHED)
    focus_area = (filters or {}).get("focus_area")
    if focus_area is not None:
        qs = qs.filter(idea__focus_area=focus_area)
    return qs.aggregate(n=Count("idea", distinct=True))["n"]


def ideas_submitted_counts(period: Period, filters: dict | None = None) -> tuple:
    """(this period, previous period) in one query."""
    previous = period.previous()
    focus_area = (filters or {}).get("focus_area")
    qs = Idea.objects.filter(
        created_at__gte=previous.start_at, created_at__lt=period.end_at, is_hidden=False
    )
    if focus_area is not None:
        qs = qs.filter(focus_area=focus_area)
    row = qs.aggregate(
        now=Count("pk", filter=Q(created_at__gte=period.start_at)),
        before=Count("pk", filter=Q(created_at__lt=period.start_at)),
    )
    return row["now"], row["before"]


def open_ideas_without_response(
    filters: dict | None = None, limit: int = 20
) -> list[Idea]:
    """The most-voted public open ideas the brand has not answered yet."""
    qs = Idea.objects.filter(
        PUBLIC_IDEA, status__in=OPEN_STATUSES, has_official_response=False
    )
    focus_area = (filters or {}).get("focus_area")
    if focus_area is not None:
        qs = qs.filter(focus_area=focus_area)
    return list(
        qs.only("pk", "title", "status", "vote_count", "created_at").order_by(
            "-vote_count", "-pk"
        )[:limit]
    )


# --- sections -------------------------------------------------------------------


def ideas_headline(period: Period, filters: dict) -> list:
    submitted, submitted_before = ideas_submitted_counts(period, filters)
    previous = period.previous()
    return [
        Figure(
            "ideas-submitted",
            _("Ideas submitted"),
            submitted,
            previous=submitted_before,
        ),
        Figure(
            "ideas-launched",
            _("Ideas launched"),
            ideas_launched_count(period, filters),
            previous=ideas_launched_count(previous, filters),
            help=_("Ideas whose status became “Launched” in the period."),
        ),
        Figure(
            "ideas-response-days",
            _("Median days to an official response"),
            median_official_response_days(period, filters),
            unit="d",
            previous=median_official_response_days(previous, filters),
            lower_is_better=True,
            help=_("For ideas submitted in the period that have a response."),
        ),
    ]


FUNNEL_LABELS = {
    "submitted": _("Submitted"),
    "reviewed": _("Reviewed"),
    "planned": IdeaStatus.PLANNED.label,
    "launched": IdeaStatus.LAUNCHED.label,
    "declined": IdeaStatus.DECLINED.label,
    "merged": IdeaStatus.MERGED.label,
}


def ideas_funnel_section(period: Period, filters: dict) -> list:
    funnel = idea_funnel(period, filters)
    steps = ["submitted", "reviewed", "planned", "launched"]
    rows = []
    before = None
    for step in steps:
        rows.append(
            [
                str(FUNNEL_LABELS[step]),
                funnel[step],
                share(funnel[step], funnel["submitted"]),
                None if before is None else share(funnel[step], funnel[before]),
            ]
        )
        before = step
    for step in ("declined", "merged"):
        rows.append(
            [
                str(FUNNEL_LABELS[step]),
                funnel[step],
                share(funnel[step], funnel["submitted"]),
                None,
            ]
        )
    return [
        Heading(
            "ideas",
            _("Ideas"),
            _(
                "Ideas submitted in the period (hidden ones left out). An idea "
                "counts at a stage when it ever reached that stage or a later "
                "one: reviewed = under review, planned, in progress, launched "
                "or declined; planned = planned, in progress or launched. "
                "Declined and merged are the ideas with that status now."
            ),
        ),
        Chart(
            "ideas-funnel",
            _("Idea funnel"),
            "bar",
            [str(FUNNEL_LABELS[s]) for s in steps],
            [Series(_("Ideas"), [funnel[s] for s in steps])],
            label_header=_("Stage"),
        ),
        Table(
            "ideas-funnel-conversion",
            _("Idea funnel: conversion"),
            [
                _("Stage"),
                _("Ideas"),
                _("Share of submitted (%)"),
                _("Share of the stage before (%)"),
            ],
            rows,
        ),
    ]


def ideas_stage_section(period: Period, filters: dict) -> list:
    durations = stage_durations(period, filters)
    labels = [str(IdeaStatus(s).label) for s in WAITING_STAGES]
    found = [durations.get(s, (0, None, None)) for s in WAITING_STAGES]
    left = sum(n for n, _p50, _p90 in found)
    return [
        Chart(
            "ideas-stage-days",
            _("Time spent at each stage"),
            "bar",
            labels,
            [
                Series(_("Median (days)"), [days(p50) for _n, p50, _p90 in found]),
                Series(
                    _("90th percentile (days)"), [days(p90) for _n, _p, p90 in found]
                ),
            ],
            label_header=_("Stage"),
            description=_(
                "From entering a status to the next status change, for the "
                "ideas above; a stage not left yet is not counted "
                "(%(n)d stage changes measured)."
            )
            % {"n": left},
        ),
    ]


def ideas_response_section(period: Period, filters: dict) -> list:
    counts = idea_cohort(period, filters).aggregate(
        submitted=Count("pk"),
        responded=Count("pk", filter=Q(has_official_response=True)),
    )
    p50, p90 = official_response_seconds(period, filters)
    waiting = open_ideas_without_response(filters)
    now = timezone.now()
    return [
        Figure(
            "ideas-response-median",
            _("Median days to an official response"),
            days(p50),
            unit="d",
            lower_is_better=True,
        ),
        Figure(
            "ideas-response-p90",
            _("90th percentile, days to an official response"),
            days(p90),
            unit="d",
            lower_is_better=True,
        ),
        Figure(
            "ideas-responded-share",
            _("Ideas with an official response"),
            share(counts["responded"], counts["submitted"]),
            unit="%",
            help=_("Of the ideas submitted in the period."),
        ),
        Table(
            "ideas-waiting",
            _("Most-voted open ideas without an official response"),
            [_("Idea"), _("Status"), _("Votes"), _("Age (days)")],
            [
                [
                    idea.title,
                    str(IdeaStatus(idea.status).label),
                    idea.vote_count,
                    (now - idea.created_at).days,
                ]
                for idea in waiting
            ],
            links=[reverse("ideas_admin:respond", args=[idea.pk]) for idea in waiting],
            description=_(
                "Public ideas that are still open, whenever they were "
                "submitted; the link opens the response form."
            ),
            empty=_("Every open idea has an official response."),
        ),
    ]


# --- public figures -------------------------------------------------------------


def _today() -> date:
    return timezone.localdate(timezone=local_tz())


def year_to_date(today: date | None = None) -> Period:
    today = today or _today()
    return Period(today.replace(month=1, day=1), today)


def last_365_days(today: date | None = None) -> Period:
    today = today or _today()
    return Period(today - timedelta(days=364), today)


def public_ideas_launched_year() -> Figure:
    period = year_to_date()
    return Figure(
        "ideas_launched_year",
        _("Ideas launched this year"),
        ideas_launched_count(period),
    )


def public_median_official_response() -> Figure:
    return Figure(
        "median_official_response",
        _("Median time to an official response"),
        median_official_response_days(last_365_days()),
        unit="d",
        lower_is_better=True,
        help=_("For ideas submitted in the last 12 months."),
    )


# --- member activity --------------------------------------------------------------


def _idea_activity(start_at: datetime, end_at: datetime) -> QuerySet:
    return Idea.objects.filter(
        created_at__gte=start_at, created_at__lt=end_at, is_hidden=False
    ).values_list("author_id", flat=True)


def _vote_activity(start_at: datetime, end_at: datetime) -> QuerySet:
    return Vote.objects.filter(
        created_at__gte=start_at, created_at__lt=end_at
    ).values_list("user_id", flat=True)


def register() -> None:
    from portal.accounts.reports import register_activity

    # Votes first: the commonest activity, so most members' probes stop there.
    register_activity(_vote_activity, order=10)
    register_activity(_idea_activity)
    register_section(REPORT, ideas_headline, order=10, headline=True)
    register_section(REPORT, ideas_funnel_section, order=10)
    register_section(REPORT, ideas_stage_section, order=11)
    register_section(REPORT, ideas_response_section, order=12)
    register_public_figure(
        "ideas_launched_year",
        _("Ideas launched this year"),
        public_ideas_launched_year,
        help=_("Ideas whose status became “Launched” since 1 January."),
    )
    register_public_figure(
        "median_official_response",
        _("Median time to an official response (days)"),
        public_median_official_response,
        help=_(
            "Median days from submitting an idea to the brand's first official "
            "response, for ideas submitted in the last 12 months."
        ),
    )
