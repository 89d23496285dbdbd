"""Insight reports: the frame every staff report and public figure uses.

An app registers a report (``register_report``) and adds sections to it
(``register_section``); a section is a function ``(period, filters) -> list of
blocks``. Blocks are plain data:

- ``Figure``: one headline number, optionally with the previous period's value;
- ``Chart``: labels and series; the page draws it with Chart.js and prints the
  same numbers in a table under it, and its CSV export is that table;
- ``Table``: rows with optional links (lists such as sales leads).

``portal.core`` serves every registered report at ``/admin/insight/<slug>/``
(``portal/core/report_views.py``); apps never write report views. Because the
chart, the table and the CSV come from one ``Chart`` object, they cannot
disagree.

Public figures (``register_public_figure``) are the numbers a page may show
the community, computed by the same functions the staff reports call.

All periods are whole local days in ``TIME_ZONE``: ``Period.start`` and
``Period.end`` are dates (both inclusive); ``start_at``/``end_at`` are the
aware datetimes of the half-open interval ``[start_at, end_at)``.
"""

from __future__ import annotations

import math
import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.db import connection
from django.db.models import Aggregate, FloatField, QuerySet
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

# --- periods ------------------------------------------------------------------

BUCKET_DAY, BUCKET_WEEK, BUCKET_MONTH = "day", "week", "month"


def local_tz() -> zoneinfo.ZoneInfo:
    return timezone.get_default_timezone()


def day_start(day: date) -> datetime:
    """Midnight at the start of ``day`` in the site's time zone, aware."""
    return datetime.combine(day, time.min, tzinfo=local_tz())


def local_date(moment: datetime) -> date:
    return timezone.localtime(moment, local_tz()).date()


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("end before start")

    @property
    def start_at(self) -> datetime:
        return day_start(self.start)

    @property
    def end_at(self) -> datetime:
        return day_start(self.end + timedelta(days=1))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def bucket(self) -> str:
        """Days up to two months, weeks up to a year and a bit, then months."""
        if self.days <= 62:
            return BUCKET_DAY
        if self.days <= 400:
            return BUCKET_WEEK
        return BUCKET_MONTH

    def bucket_start(self, day: date) -> date:
        if self.bucket == BUCKET_DAY:
            return day
        if self.bucket == BUCKET_WEEK:
            return day - timedelta(days=day.weekday())
        return day.replace(day=1)

    def buckets(self) -> list[date]:
        """Every bucket in the period, in order (empty ones too)."""
        out: list[date] = []
        current = self.bucket_start(self.start)
        while current <= self.end:
            out.append(current)
            if self.bucket == BUCKET_DAY:
                current += timedelta(days=1)
            elif self.bucket == BUCKET_WEEK:
                current += timedelta(days=7)
            else:
                current = (current.replace(day=28) + timedelta(days=4)).replace(day=1)
        return out

    def bucket_label(self, bucket: date) -> str:
        if self.bucket == BUCKET_MONTH:
            return bucket.strftime("%Y-%m")
        return bucket.isoformat()

    def labels(self) -> list[str]:
        return [self.bucket_label(b) for b in self.buckets()]

    def trunc(self, expression: str):
        """A database expression: the local bucket (a date) of a datetime."""
        tz = local_tz()
        if self.bucket == BUCKET_DAY:
            return TruncDay(expression, tzinfo=tz)
        if self.bucket == BUCKET_WEEK:
            return TruncWeek(expression, tzinfo=tz)
        return TruncMonth(expression, tzinfo=tz)

    def trunc_date(self, expression: str):
        """Like ``trunc`` for a ``DateField`` (no time zone to apply)."""
        if self.bucket == BUCKET_DAY:
            return TruncDay(expression)
        if self.bucket == BUCKET_WEEK:
            return TruncWeek(expression)
        return TruncMonth(expression)

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        length = timedelta(days=self.days)
        return Period(self.start - length, self.end - length)

    def __str__(self) -> str:
        return f"{self.start.isoformat()} – {self.end.isoformat()}"


def as_bucket(value) -> date | None:
    """A trunc result (date, or aware datetime on some backends) as a date."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value, local_tz())
        return value.date()
    return value


def series_by_bucket(
    period: Period, rows: Iterable[tuple[Any, Any]], default=0
) -> list:
    """Values in bucket order from ``(bucket, value)`` rows; missing = default."""
    found: dict[date, Any] = {}
    for bucket, value in rows:
        day = as_bucket(bucket)
        if day is None or value is None:
            continue
        key = period.bucket_start(day)
        found[key] = found.get(key, 0) + value
    return [found.get(b, default) for b in period.buckets()]


PRESETS = {
    "7d": _("Last 7 days"),
    "30d": _("Last 30 days"),
    "this_month": _("This month"),
    "last_month": _("Last month"),
    "90d": _("Last 90 days"),
    "this_year": _("This year"),
    "365d": _("Last 12 months"),
}
DEFAULT_PRESET = "30d"
MAX_DAYS = 3 * 366


def preset_period(key: str, today: date | None = None) -> Period:
    today = today or timezone.localdate(timezone=local_tz())
    if key == "7d":
        return Period(today - timedelta(days=6), today)
    if key == "90d":
        return Period(today - timedelta(days=89), today)
    if key == "365d":
        return Period(today - timedelta(days=364), today)
    if key == "this_month":
        return Period(today.replace(day=1), today)
    if key == "last_month":
        last = today.replace(day=1) - timedelta(days=1)
        return Period(last.replace(day=1), last)
    if key == "this_year":
        return Period(today.replace(month=1, day=1), today)
    return Period(today - timedelta(days=29), today)


class ReportForm(forms.Form):
    """The date range every report has; reports subclass it to add filters.

    A filter field's cleaned value reaches the sections in ``filters`` under
    the field's name (empty values are left out).
    """

    preset = forms.ChoiceField(
        label=_("Period"),
        required=False,
        choices=[("", _("Custom dates")), *PRESETS.items()],
    )
    since = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = forms.DateField(
        label=_("Until (inclusive)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since or until:
            today = timezone.localdate(timezone=local_tz())
            since = since or (until or today) - timedelta(days=29)
            until = until or today
            if until < since:
                raise forms.ValidationError(_("The end date is before the start date."))
            if (until - since).days + 1 > MAX_DAYS:
                raise forms.ValidationError(
                    _("Choose at most %(n)d days.") % {"n": MAX_DAYS}
                )
            data["period"] = Period(since, until)
        else:
            data["period"] = preset_period(data.get("preset") or DEFAULT_PRESET)
        return data

    def filters(self) -> dict:
        skip = {"preset", "since", "until", "period"}
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name not in skip and value not in (None, "", [], ())
        }


# --- blocks -------------------------------------------------------------------


# Colours with a meaning, for series that have one (sentiment); other series
# take the report palette in order (static/js/reports.js).
COLOURS = {
    "positive": "#009E73",
    "neutral": "#999999",
    "negative": "#D55E00",
}


@dataclass
class Series:
    label: str
    values: list
    key: str = ""
    colour: str = ""  # a key of COLOURS or a #rrggbb value


@dataclass
class Figure:
    key: str
    label: str
    value: float | int | None
    unit: str = ""  # "", "%", "h" (hours), "min", "d"
    previous: float | int | None = None
    help: str = ""
    # When a higher value is bad (response times, backlog): colours the change.
    lower_is_better: bool = False
    block_type = "figure"

    @property
    def display(self) -> str:
        return format_value(self.value, self.unit)

    @property
    def change(self) -> float | None:
        """The change against the previous period: in percentage points for
        a figure that is itself a percentage, else in per cent."""
        if self.value is None or self.previous is None:
            return None
        if self.unit == "%":
            return round(self.value - self.previous, 1)
        if self.previous == 0:
            return None
        return round((self.value - self.previous) * 100 / abs(self.previous))

    @property
    def change_display(self) -> str:
        change = self.change
        if change is None:
            return ""
        sign = "+" if change > 0 else ("−" if change < 0 else "±")
        if self.unit == "%":
            return f"{sign}{formats.number_format(abs(change), decimal_pos=1)} pp"
        return f"{sign}{formats.number_format(abs(change), force_grouping=True)}%"

    @property
    def previous_display(self) -> str:
        return format_value(self.previous, self.unit)

    @property
    def change_is_good(self) -> bool | None:
        if self.change in (None, 0):
            return None
        return (self.change < 0) if self.lower_is_better else (self.change > 0)


CHART_KINDS = ("line", "bar", "stacked", "hbar", "doughnut")


@dataclass
class Chart:
    key: str
    title: str
    kind: str  # one of CHART_KINDS
    labels: list[str]
    series: list[Series]
    unit: str = ""
    label_header: str = ""  # the first column's header in the table and CSV
    description: str = ""
    block_type = "chart"

    def __post_init__(self) -> None:
        if self.kind not in CHART_KINDS:
            raise ValueError(f"unknown chart kind {self.kind!r}")
        for s in self.series:
            if len(s.values) != len(self.labels):
                raise ValueError(f"{self.key}: series {s.label!r} has the wrong length")

    @property
    def is_empty(self) -> bool:
        return not any(v for s in self.series for v in s.values if v)

    def header(self) -> list[str]:
        return [
            str(self.label_header or _("Period")),
            *(str(s.label) for s in self.series),
        ]

    def rows(self) -> list[list]:
        return [
            [label, *(s.values[i] for s in self.series)]
            for i, label in enumerate(self.labels)
        ]

    def display_rows(self) -> list[list[str]]:
        return [
            [str(row[0]), *(format_value(v, self.unit) for v in row[1:])]
            for row in self.rows()
        ]

    def chart_data(self) -> dict:
        """What static/js/reports.js hands to Chart.js."""
        return {
            "kind": self.kind,
            "unit": self.unit,
            "labels": [str(x) for x in self.labels],
            "series": [
                {
                    "label": str(s.label),
                    "values": list(s.values),
                    "colour": COLOURS.get(s.colour, s.colour),
                }
                for s in self.series
            ],
        }


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list]
    # One URL per row (or None): the first cell links to it.
    links: list[str | None] = field(default_factory=list)
    description: str = ""
    empty: str = ""
    block_type = "table"

    @property
    def is_empty(self) -> bool:
        return not self.rows

    def header(self) -> list[str]:
        return [str(c) for c in self.columns]

    def display_rows(self) -> list[list[str]]:
        return [["" if v is None else str(v) for v in row] for row in self.rows]

    def linked_rows(self) -> list[tuple[str | None, list[str]]]:
        links = list(self.links) + [None] * (len(self.rows) - len(self.links))
        return list(zip(links, self.display_rows(), strict=False))


@dataclass
class Heading:
    """Starts a group of blocks on the page (and in the long CSV)."""

    key: str
    title: str
    description: str = ""
    block_type = "heading"


Block = Figure | Chart | Table | Heading


def format_value(value, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        if math.isnan(value):
            return "—"
        shown = formats.number_format(value, decimal_pos=1 if abs(value) < 100 else 0)
    else:
        shown = formats.number_format(value, force_grouping=True)
    return f"{shown}{'%' if unit == '%' else (' ' + unit if unit else '')}"


# --- statistics that work on SQLite and PostgreSQL ----------------------------


class PercentileCont(Aggregate):
    """PostgreSQL's ``percentile_cont(f) WITHIN GROUP (ORDER BY expr)``."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        fraction = float(fraction)
        if not 0.0 <= fraction <= 1.0:
            raise ValueError("a percentile is between 0 and 1")
        super().__init__(expression, fraction=repr(fraction), **extra)


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks, as ``percentile_cont``."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = math.floor(position)
    high = math.ceil(position)
    if low == high:
        return float(ordered[low])
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def percentiles(
    queryset: QuerySet, field_name: str, fractions: Sequence[float] = (0.5, 0.9)
) -> list[float | None]:
    """Percentiles of a numeric column over a queryset (NULLs ignored).

    PostgreSQL computes them in the database; elsewhere the values are read
    and computed here with the same interpolation."""
    queryset = queryset.filter(**{f"{field_name}__isnull": False})
    if connection.vendor == "postgresql":
        row = queryset.aggregate(
            **{f"p{i}": PercentileCont(field_name, f) for i, f in enumerate(fractions)}
        )
        return [row[f"p{i}"] for i in range(len(fractions))]
    values = list(queryset.values_list(field_name, flat=True))
    return [percentile(values, f) for f in fractions]


def percentiles_by(
    queryset: QuerySet,
    group: str,
    field_name: str,
    fractions: Sequence[float] = (0.5, 0.9),
) -> dict[Any, list[float | None]]:
    """``percentiles`` per value of ``group``."""
    queryset = queryset.filter(**{f"{field_name}__isnull": False})
    if connection.vendor == "postgresql":
        rows = (
            queryset.order_by()
            .values(group)
            .annotate(
                **{
                    f"p{i}": PercentileCont(field_name, f)
                    for i, f in enumerate(fractions)
                }
            )
        )
        return {
            row[group]: [row[f"p{i}"] for i in range(len(fractions))] for row in rows
        }
    grouped: dict[Any, list] = {}
    for key, value in queryset.order_by().values_list(group, field_name):
        grouped.setdefault(key, []).append(value)
    return {
        key: [percentile(values, f) for f in fractions]
        for key, values in grouped.items()
    }


def share(part: int | float | None, whole: int | float | None) -> float | None:
    """``part`` as a percentage of ``whole`` (one decimal), None when whole is 0."""
    if not whole or part is None:
        return None
    return round(part * 100 / whole, 1)


def hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 1)


# --- registries ---------------------------------------------------------------

Section = Callable[[Period, dict], list]


@dataclass
class Report:
    slug: str
    title: Any
    description: Any = ""
    form_class: type[ReportForm] = ReportForm
    order: int = 100
    icon: str = "table"
    sections: list[tuple[int, Section]] = field(default_factory=list)
    # Sections of headline figures: shown first on the report and on the
    # insight overview ("how are we doing this month").
    headlines: list[tuple[int, Section]] = field(default_factory=list)

    def blocks(self, period: Period, filters: dict) -> list[Block]:
        out: list[Block] = []
        for _order, section in sorted(self.sections, key=lambda item: item[0]):
            out.extend(section(period, filters))
        return out

    def headline_figures(self, period: Period, filters: dict) -> list[Figure]:
        out: list[Figure] = []
        for _order, section in sorted(self.headlines, key=lambda item: item[0]):
            out.extend(section(period, filters))
        return out


_reports: dict[str, Report] = {}
_pending: dict[str, list[tuple[int, Section, bool]]] = {}


def register_report(report: Report) -> Report:
    """Declare a report. Idempotent: the first declaration wins. Sections may
    be registered before or after their report."""
    existing = _reports.get(report.slug)
    if existing is not None:
        return existing
    _reports[report.slug] = report
    for order, section, headline in _pending.pop(report.slug, []):
        _attach(report, section, order, headline)
    return report


def _attach(report: Report, section: Section, order: int, headline: bool) -> None:
    target = report.headlines if headline else report.sections
    if any(existing is section for _o, existing in target):
        return
    target.append((order, section))


def register_section(
    slug: str, section: Section, *, order: int = 100, headline: bool = False
) -> None:
    """Add a section to a report. ``headline=True``: the section returns only
    ``Figure`` blocks, shown at the top and on the overview."""
    report = _reports.get(slug)
    if report is None:
        _pending.setdefault(slug, []).append((order, section, headline))
        return
    _attach(report, section, order, headline)


def reports() -> list[Report]:
    return sorted(_reports.values(), key=lambda r: (r.order, r.slug))


def get_report(slug: str) -> Report | None:
    return _reports.get(slug)


@dataclass
class PublicFigure:
    key: str
    label: Any
    compute: Callable[[], Figure]
    help: Any = ""


_public_figures: dict[str, PublicFigure] = {}


def register_public_figure(
    key: str, label, compute: Callable[[], Figure], *, help=""
) -> None:
    """A figure editors may show the community (``portal.pages`` blocks)."""
    _public_figures[key] = PublicFigure(key, label, compute, help)


def public_figures() -> list[PublicFigure]:
    return list(_public_figures.values())


def public_figure(key: str) -> PublicFigure | None:
    return _public_figures.get(key)
