"""The questions and experts part of the community report, and a public figure.

Which questions: public questions asked in the period (not hidden, not moved
to private support). "Answered" means a first answer from someone other than
the asker (``Question.first_answered_at``, kept by the answer services);
"answered by an expert" means that first answer came from a current expert
who is not staff (``Question.first_answer_by_expert``). Shares of experts are
of the answered questions, so unanswered ones do not dilute them (the answer
rate shows those).

Experts at risk of burnout, the rule: for each active expert (not paused,
not gone), the answers in the last 14 days of the period are compared with
their weekly average over the 8 weeks before those 14 days. "Rise" when the
recent weekly rate is at least twice the baseline and there are at least 6
answers in the 14 days; "fall" when the baseline is at least 2 answers a week
and the recent weekly rate is at most a quarter of it. Both are signs to
check in with someone: overwork before it breaks, or a drop that often
means they are losing interest.

The public figure ``questions_answered_by_experts`` calls the same function
as the section.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db.models import Count, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.core.reports import (
    Chart,
    Figure,
    Heading,
    Period,
    Series,
    Table,
    hours,
    local_tz,
    percentiles,
    percentiles_by,
    register_public_figure,
    register_section,
    series_by_bucket,
    share,
)

from .models import (
    PUBLIC_QUESTION,
    Answer,
    ExpertStatus,
    HelpfulVote,
    Question,
)

REPORT = "community"

BURNOUT_RECENT_DAYS = 14
BURNOUT_BASELINE_WEEKS = 8
BURNOUT_RISE_FACTOR = 2.0
BURNOUT_RISE_MIN_ANSWERS = 6
BURNOUT_FALL_FACTOR = 0.25
BURNOUT_FALL_MIN_WEEKLY = 2.0
ACTIVITY_ROWS = 50


# --- selectors the sections and the public figure share ------------------------


def question_cohort(period: Period, filters: dict | None = None) -> QuerySet[Question]:
    qs = Question.objects.filter(
        PUBLIC_QUESTION,
        is_private=False,
        created_at__gte=period.start_at,
        created_at__lt=period.end_at,
    )
    focus_area = (filters or {}).get("focus_area")
    if focus_area is not None:
        qs = qs.filter(focus_area=focus_area)
    return qs


def questions_summary(period: Period, filters: dict | None = None) -> dict:
    """Counts for the cohort in one query: asked, answered, accepted, and
    first answered by an expert."""
    return question_cohort(period, filters).aggregate(
        asked=Count("pk"),
        answered=Count("pk", filter=Q(first_answered_at__isnull=False)),
        accepted=Count("pk", filter=Q(accepted_answer__isnull=False)),
        by_expert=Count("pk", filter=Q(first_answer_by_expert=True)),
    )


def answer_rate(summary: dict) -> float | None:
    return share(summary["answered"], summary["asked"])


def accepted_rate(summary: dict) -> float | None:
    return share(summary["accepted"], summary["asked"])


def expert_share(summary: dict) -> float | None:
    """Of the answered questions, the share an expert answered first."""
    return share(summary["by_expert"], summary["answered"])


def first_answer_hours(
    period: Period, filters: dict | None = None
) -> list[float | None]:
    """[median, p90] hours from asking to the first answer (answered ones)."""
    return [
        hours(v)
        for v in percentiles(question_cohort(period, filters), "first_answer_seconds")
    ]


def _expert_name(row: dict) -> str:
    if row["author__is_erased"]:
        return gettext("Former member")
    return row["author__display_name"] or row["author__username"]


def _expert_link(profile_id: int | None) -> str | None:
    if profile_id is None:
        return None
    return reverse("wagtailsnippets_experts_expertprofile:edit", args=[profile_id])


_AUTHOR_FIELDS = (
    "author_id",
    "author__display_name",
    "author__username",
    "author__is_erased",
    "author__expert_profile__id",
)


def expert_activity(period: Period, filters: dict | None = None) -> list[dict]:
    """Per expert: answers, accepted, helpful votes and verified answers in
    the period, and answers in the previous period; one query over both.

    Counts answers written as an expert (``by_expert``) and not hidden;
    helpful votes are those on the period's answers, to date."""
    previous = period.previous()
    now = Q(created_at__gte=period.start_at)
    qs = Answer.objects.filter(
        by_expert=True,
        is_hidden=False,
        created_at__gte=previous.start_at,
        created_at__lt=period.end_at,
    )
    focus_area = (filters or {}).get("focus_area")
    if focus_area is not None:
        qs = qs.filter(question__focus_area=focus_area)
    rows = (
        qs.order_by()
        .values(*_AUTHOR_FIELDS)
        .annotate(
            answers=Count("pk", filter=now),
            accepted=Count("pk", filter=now & Q(is_accepted=True)),
            helpful=Sum("helpful_count", filter=now, default=0),
            verified=Count("pk", filter=now & Q(verified_at__isnull=False)),
            before=Count("pk", filter=Q(created_at__lt=period.start_at)),
        )
        .order_by("-answers", "-before", "author_id")
    )
    return list(rows[:ACTIVITY_ROWS])


def change_percent(now: int, before: int) -> int | None:
    if not before:
        return None
    return round((now - before) * 100 / before)


def burnout_window(period: Period) -> tuple[datetime, datetime, datetime]:
    """(baseline start, recent start, end): the 8 weeks, then the last 14 days
    of the period."""
    end = period.end_at
    recent_start = end - timedelta(days=BURNOUT_RECENT_DAYS)
    baseline_start = recent_start - timedelta(weeks=BURNOUT_BASELINE_WEEKS)
    return baseline_start, recent_start, end


def burnout_flag(recent: int, baseline: int) -> str | None:
    """ "rise", "fall" or None for answers in the last 14 days and in the 8
    weeks before (the rule in the module docstring)."""
    recent_weekly = recent / (BURNOUT_RECENT_DAYS / 7)
    baseline_weekly = baseline / BURNOUT_BASELINE_WEEKS
    if (
        recent >= BURNOUT_RISE_MIN_ANSWERS
        and recent_weekly >= BURNOUT_RISE_FACTOR * baseline_weekly
    ):
        return "rise"
    if (
        baseline_weekly >= BURNOUT_FALL_MIN_WEEKLY
        and recent_weekly <= BURNOUT_FALL_FACTOR * baseline_weekly
    ):
        return "fall"
    return None


def experts_at_risk(period: Period) -> list[dict]:
    """Active experts whose activity rose or fell sharply; one query.

    Every answer counts (as an expert or not, any focus area): burnout is
    about the person, not the topic."""
    baseline_start, recent_start, end = burnout_window(period)
    rows = (
        Answer.objects.filter(
            author__expert_profile__status=ExpertStatus.ACTIVE,
            is_hidden=False,
            created_at__gte=baseline_start,
            created_at__lt=end,
        )
        .order_by()
        .values(*_AUTHOR_FIELDS)
        .annotate(
            recent=Count("pk", filter=Q(created_at__gte=recent_start)),
            baseline=Count("pk", filter=Q(created_at__lt=recent_start)),
        )
    )
    flagged = []
    for row in rows:
        flag = burnout_flag(row["recent"], row["baseline"])
        if flag:
            flagged.append({**row, "flag": flag})
    flagged.sort(key=lambda r: (r["flag"] != "rise", -r["recent"], -r["baseline"]))
    return flagged


# --- sections -------------------------------------------------------------------


def questions_headline(period: Period, filters: dict) -> list:
    summary = questions_summary(period, filters)
    before = questions_summary(period.previous(), filters)
    median = first_answer_hours(period, filters)[0]
    median_before = first_answer_hours(period.previous(), filters)[0]
    return [
        Figure(
            "questions-answer-rate",
            _("Questions answered"),
            answer_rate(summary),
            unit="%",
            previous=answer_rate(before),
            help=_("Share of the public questions asked in the period."),
        ),
        Figure(
            "questions-first-answer-hours",
            _("Median time to a first answer"),
            median,
            unit="h",
            previous=median_before,
            lower_is_better=True,
        ),
        Figure(
            "questions-expert-share",
            _("Answered first by an expert"),
            expert_share(summary),
            unit="%",
            previous=expert_share(before),
            help=_("Share of the answered questions, rather than staff or members."),
        ),
    ]


def questions_section(period: Period, filters: dict) -> list:
    summary = questions_summary(period, filters)
    _median, p90 = first_answer_hours(period, filters)
    cohort = question_cohort(period, filters).annotate(
        bucket=period.trunc("created_at")
    )
    rows = list(
        cohort.order_by()
        .values_list("bucket")
        .annotate(
            asked=Count("pk"),
            expert=Count("pk", filter=Q(first_answer_by_expert=True)),
            other=Count("pk", filter=Q(first_answer_by_expert=False)),
            unanswered=Count("pk", filter=Q(first_answered_at__isnull=True)),
        )
    )
    by_bucket = percentiles_by(cohort, "bucket", "first_answer_seconds")
    median_series = series_by_bucket(
        period, ((b, hours(v[0])) for b, v in by_bucket.items()), default=None
    )
    p90_series = series_by_bucket(
        period, ((b, hours(v[1])) for b, v in by_bucket.items()), default=None
    )
    return [
        Heading(
            "questions",
            _("Questions"),
            _(
                "Public questions asked in the period. Answered = a first answer "
                "from someone other than the asker; by an expert = that answer "
                "came from an expert who is not staff."
            ),
        ),
        Figure("questions-asked", _("Questions asked"), summary["asked"]),
        Figure(
            "questions-accepted",
            _("With an accepted answer"),
            accepted_rate(summary),
            unit="%",
        ),
        Figure(
            "questions-first-answer-p90",
            _("90th percentile, time to a first answer"),
            p90,
            unit="h",
            lower_is_better=True,
        ),
        Chart(
            "questions-by-first-answer",
            _("Questions by who answered first"),
            "stacked",
            period.labels(),
            [
                Series(
                    _("An expert"),
                    series_by_bucket(period, ((r[0], r[2]) for r in rows)),
                ),
                Series(
                    _("Staff or another member"),
                    series_by_bucket(period, ((r[0], r[3]) for r in rows)),
                ),
                Series(
                    _("Not answered"),
                    series_by_bucket(period, ((r[0], r[4]) for r in rows)),
                ),
            ],
        ),
        Chart(
            "questions-first-answer-trend",
            _("Time to a first answer"),
            "line",
            period.labels(),
            [
                Series(_("Median"), median_series),
                Series(_("90th percentile"), p90_series),
            ],
            unit="h",
            description=_("By the day, week or month the question was asked."),
        ),
    ]


def experts_section(period: Period, filters: dict) -> list:
    activity = expert_activity(period, filters)
    at_risk = experts_at_risk(period)
    flags = {"rise": gettext("Sudden rise"), "fall": gettext("Sudden fall")}
    weeks = BURNOUT_RECENT_DAYS / 7
    return [
        Heading("experts", _("Experts")),
        Table(
            "experts-activity",
            _("Expert activity"),
            [
                _("Expert"),
                _("Answers"),
                _("Accepted"),
                _("Helpful votes"),
                _("Verified"),
                _("Answers, previous period"),
                _("Change (%)"),
            ],
            [
                [
                    _expert_name(row),
                    row["answers"],
                    row["accepted"],
                    row["helpful"],
                    row["verified"],
                    row["before"],
                    change_percent(row["answers"], row["before"]),
                ]
                for row in activity
            ],
            links=[_expert_link(row["author__expert_profile__id"]) for row in activity],
            description=_(
                "Answers written as an expert in the period, most active first "
                "(at most %(n)d). Helpful votes are those on these answers."
            )
            % {"n": ACTIVITY_ROWS},
            empty=_("No answers from experts in this period."),
        ),
        Table(
            "experts-burnout",
            _("Experts at risk of burnout"),
            [
                _("Expert"),
                _("Signal"),
                _("Answers, last 14 days"),
                _("Per week, last 14 days"),
                _("Per week, 8 weeks before"),
            ],
            [
                [
                    _expert_name(row),
                    flags[row["flag"]],
                    row["recent"],
                    round(row["recent"] / weeks, 1),
                    round(row["baseline"] / BURNOUT_BASELINE_WEEKS, 1),
                ]
                for row in at_risk
            ],
            links=[_expert_link(row["author__expert_profile__id"]) for row in at_risk],
            description=_(
                "Active experts' answers in the last 14 days of the period "
                "against their weekly average in the 8 weeks before. Sudden "
                "rise: at least twice the average and at least 6 answers. "
                "Sudden fall: at most a quarter of an average of at least 2 a "
                "week. All focus areas."
            ),
            empty=_("No sudden changes in expert activity."),
        ),
    ]


# --- public figure ----------------------------------------------------------------


def _today() -> date:
    return timezone.localdate(timezone=local_tz())


def last_365_days(today: date | None = None) -> Period:
    today = today or _today()
    return Period(today - timedelta(days=364), today)


def public_questions_answered_by_experts() -> Figure:
    return Figure(
        "questions_answered_by_experts",
        _("Questions answered by experts"),
        expert_share(questions_summary(last_365_days())),
        unit="%",
        help=_("Of the questions answered in the last 12 months."),
    )


# --- member activity --------------------------------------------------------------


def _question_activity(start_at: datetime, end_at: datetime) -> QuerySet:
    return Question.objects.filter(
        created_at__gte=start_at, created_at__lt=end_at
    ).values_list("author_id", flat=True)


def _answer_activity(start_at: datetime, end_at: datetime) -> QuerySet:
    return Answer.objects.filter(
        created_at__gte=start_at, created_at__lt=end_at
    ).values_list("author_id", flat=True)


def _helpful_activity(start_at: datetime, end_at: datetime) -> QuerySet:
    return HelpfulVote.objects.filter(
        created_at__gte=start_at, created_at__lt=end_at
    ).values_list("user_id", flat=True)


def register() -> None:
    from portal.accounts.reports import register_activity

    for source in (_question_activity, _answer_activity, _helpful_activity):
        register_activity(source)
    register_section(REPORT, questions_headline, order=20, headline=True)
    register_section(REPORT, questions_section, order=20)
    register_section(REPORT, experts_section, order=21)
    register_public_figure(
        "questions_answered_by_experts",
        _("Questions answered by experts"),
        public_questions_answered_by_experts,
        help=_(
            "Share of the questions asked in the last 12 months and answered, "
            "whose first answer came from one of our customer experts."
        ),
    )
