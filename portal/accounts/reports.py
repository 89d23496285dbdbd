"""The community report (slug ``community``) and its members sections.

``portal`` may not import the apps, yet "active members" has to count
everyone who did anything anywhere. So apps register their contributions
here (``register_activity``): a function ``(start_at, end_at)`` returning a
flat ``values_list`` of the contributing users' ids. The members section
counts them without knowing which apps exist, in one of two shapes (see
``active_members_counts``). Comments are counted here because
django-comments belongs to no app of ours.

Staff are left out of both member figures: their answers and responses are
work, not community activity, and "new members" should not grow when a
colleague gets an account.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import reduce
from operator import or_

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from portal.core.reports import (
    Chart,
    Figure,
    Heading,
    Period,
    Report,
    ReportForm,
    Series,
    as_bucket,
    register_report,
    register_section,
)
from portal.pages.models import FocusArea

from .models import SignupSource

ActivitySource = Callable[[datetime, datetime], QuerySet]

_activity: list[ActivitySource] = []
_activity_order: dict[ActivitySource, int] = {}


def register_activity(source: ActivitySource, *, order: int = 100) -> None:
    """Count ``source(start_at, end_at)`` as member activity.

    The function returns ``Model.objects.filter(<time> in [start_at,
    end_at)).values_list("<user fk>_id", flat=True)``: one column of user ids,
    duplicates allowed (the UNION removes them). A lower ``order`` comes
    first; give the commonest activity the lowest, because the per-member
    probes of long periods stop at the first source that has a row.
    Registering twice is a no-op.
    """
    if source in _activity:
        return
    _activity_order[source] = order
    _activity.append(source)
    _activity.sort(key=_activity_order.__getitem__)


def _comment_activity(start_at: datetime, end_at: datetime) -> QuerySet:
    from django_comments.models import Comment

    return Comment.objects.filter(
        submit_date__gte=start_at,
        submit_date__lt=end_at,
        user_id__isnull=False,
        is_removed=False,
    ).values_list("user_id", flat=True)


def active_members_count(start_at: datetime, end_at: datetime) -> int:
    """Distinct non-staff members who contributed anything in the interval.

    One query: ``user.id IN (a UNION b UNION …) AND NOT is_staff``. Each part
    filters on its own indexed time column; ordering is cleared because a
    compound SELECT may not contain ORDER BY on SQLite. Its cost grows with
    the activity rows in the interval, so it suits short periods.
    """
    parts = [source(start_at, end_at).order_by() for source in _activity]
    if not parts:
        return 0
    union = parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]
    return (
        get_user_model().objects.filter(is_staff=False, pk__in=union).order_by().count()
    )


def _active_in(start_at: datetime, end_at: datetime) -> Q:
    """The member has a row in some source in the interval: an ``EXISTS``
    per source, ``OR``-ed, so a member's probes stop at the first hit."""
    probes = []
    for source in _activity:
        qs = source(start_at, end_at).order_by()
        (user_field,) = qs.query.values_select
        probes.append(Q(Exists(qs.filter(**{user_field: OuterRef("pk")}))))
    return reduce(or_, probes)


# From this length on, the period's activity rows outnumber the members by far
# (at 50k members and 1M votes: 90 days ≈ 380k rows, a year ≈ 1M), and probing
# each member's (user, time) indexes beats collecting and de-duplicating every
# row; below it the union reads fewer rows than there are members to probe.
# Both shapes count exactly the same members.
LONG_PERIOD_DAYS = 60


def active_members_counts(period: Period) -> tuple[int, int]:
    """(active members in the period, in the previous period).

    Short periods: the ``UNION`` per interval (``active_members_count``,
    two queries). Long periods: one pass over the members with, per
    interval, an ``EXISTS`` probe per source (index on ``(user, time)``),
    both intervals counted in the same query, so no activity row is read
    twice and nothing is sorted.
    """
    previous = period.previous()
    if not _activity:
        return 0, 0
    if period.days < LONG_PERIOD_DAYS:
        return (
            active_members_count(period.start_at, period.end_at),
            active_members_count(previous.start_at, previous.end_at),
        )
    row = (
        get_user_model()
        .objects.filter(is_staff=False)
        .order_by()
        .aggregate(
            now=Count("pk", filter=_active_in(period.start_at, period.end_at)),
            before=Count("pk", filter=_active_in(previous.start_at, previous.end_at)),
        )
    )
    return row["now"], row["before"]


def _new_members(period: Period) -> QuerySet:
    return get_user_model().objects.filter(
        is_staff=False,
        date_joined__gte=period.start_at,
        date_joined__lt=period.end_at,
    )


def new_members_count(period: Period) -> int:
    return _new_members(period).count()


def members_headline(period: Period, filters: dict) -> list:
    previous = period.previous()
    active, active_before = active_members_counts(period)
    return [
        Figure(
            "members-new",
            _("New members"),
            new_members_count(period),
            previous=new_members_count(previous),
            help=_("Accounts created in the period, staff not included."),
        ),
        Figure(
            "members-active",
            _("Active members"),
            active,
            previous=active_before,
            help=_(
                "Members who posted, voted, commented, asked, answered or found "
                "an answer helpful in the period."
            ),
        ),
    ]


UNKNOWN_SOURCE = _("Before sources were recorded")


def new_members_by_source(period: Period, filters: dict) -> list:
    """New members per bucket, stacked by how they signed up (one query)."""
    rows = (
        _new_members(period)
        .annotate(bucket=period.trunc("date_joined"))
        .order_by()
        .values_list("bucket", "signup_source")
        .annotate(n=Count("id"))
    )
    buckets = period.buckets()
    position = {bucket: i for i, bucket in enumerate(buckets)}
    counts: dict[str, list[int]] = {}
    for bucket, source, n in rows:
        day = as_bucket(bucket)
        if day is None:
            continue
        values = counts.setdefault(source or "", [0] * len(buckets))
        values[position[period.bucket_start(day)]] += n
    series = [
        Series(label, counts.get(value, [0] * len(buckets)), key=value)
        for value, label in SignupSource.choices
    ]
    if "" in counts:
        # Older accounts have no source; shown only when there are any, so the
        # legend does not carry an empty series forever.
        series.append(Series(UNKNOWN_SOURCE, counts[""], key="unknown"))
    totals = [sum(s.values) for s in series]
    return [
        Heading(
            "members",
            _("Members"),
            _("Staff accounts are not counted. The focus area filter does not apply."),
        ),
        Chart(
            "members-new-by-source",
            _("New members by source"),
            "stacked",
            period.labels(),
            series,
            description=_(
                "Accounts created per period, by how the member signed up; "
                "“Invitation from social media” are members who joined through "
                "a webcare invitation."
            ),
        ),
        Chart(
            "members-new-sources",
            _("New members by source, whole period"),
            "doughnut",
            [str(s.label) for s in series],
            [Series(_("New members"), totals)],
            label_header=_("Source"),
        ),
    ]


class CommunityReportForm(ReportForm):
    """The date range plus a focus area, which narrows ideas and questions."""

    focus_area = forms.ModelChoiceField(
        label=_("Focus area"),
        queryset=FocusArea.objects.order_by("sort_order", "name"),
        required=False,
        empty_label=_("All focus areas"),
    )


COMMUNITY = "community"


def register() -> None:
    register_report(
        Report(
            COMMUNITY,
            _("Community"),
            _("Ideas, questions, experts and members."),
            form_class=CommunityReportForm,
            order=30,
            icon="group",
        )
    )
    # Last: django_comments has no (user, time) index, so its probe reads the
    # member's comments; by then most members have been found elsewhere.
    register_activity(_comment_activity, order=900)
    register_section(COMMUNITY, members_headline, order=30, headline=True)
    register_section(COMMUNITY, new_members_by_source, order=30)
