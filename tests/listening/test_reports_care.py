"""The care report (listening/reports/care.py): response times, the unanswered
share next to them, the SLA share, per intent and staff member, the trend and
the backlog by age. Every expected figure is worked out by hand below."""

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from itertools import count

import pytest
from django.urls import reverse
from django.utils import timezone

from listening import webcare
from listening.models import Mention, Source
from listening.reports import care
from listening.rollup import rollup_refresh
from portal.core.reports import Period
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db
_ids = count(1)

URL = reverse("insight:report", args=["care"])
JANUARY = {"since": "2026-01-01", "until": "2026-01-31"}
DAY = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)  # 13:00 in Amsterdam
H = 3600


@pytest.fixture(autouse=True, params=["live", "rollup"])
def reads(request, monkeypatch):
    """Every test twice: reading the mentions live (a small install) and
    reading the care rollup (a big one; built by the page's light refresh,
    which on a small install recounts every changed day)."""
    if request.param == "rollup":
        monkeypatch.setattr(care, "ROLLUP_MIN_MENTIONS", 0)
    return request.param


@pytest.fixture
def forum():
    return Source.objects.create(name="Forum", kind="rss", url="http://x.test/")


@pytest.fixture
def mastodon():
    return Source.objects.create(
        name="Mastodon", kind="mastodon", url="https://mastodon.test/"
    )


@pytest.fixture
def piet(db):
    return StaffFactory(username="piet", display_name="Piet")


def arrive(source, fetched_at, *, after=None, by=None, due_in=2 * H, **fields):
    """A mention that arrived at ``fetched_at`` with its deadline ``due_in``
    seconds later (None: no deadline) and, with ``after``, a first response
    that many seconds after arrival by ``by``."""
    n = next(_ids)
    fields.setdefault("intent", "question")
    mention = Mention.objects.create(
        source=source,
        external_id=f"care-{n}",
        cluster_key=f"care{n}",
        text=f"Vonk post {n}",
        **fields,
    )
    updates = {
        "fetched_at": fetched_at,
        "due_at": None if due_in is None else fetched_at + timedelta(seconds=due_in),
    }
    if after is not None:
        updates.update(
            first_response_at=fetched_at + timedelta(seconds=after),
            first_response_seconds=after,
            first_response_by=by,
            assignee=fields.get("assignee", by),
            status=fields.get("status", "responded"),
        )
    Mention.objects.filter(pk=mention.pk).update(**updates)
    return mention


@pytest.fixture
def january(forum, staff, piet):
    """Ten mentions on 10 January, each due two hours after it arrived.

    answered (5): eva 1 h (met), eva 3 h (missed), piet 2 h (met: exactly on
    the deadline), piet 5 h (missed), eva 10 h (missed);
    ignored (2): a question and a praise post;
    unanswered (3): a complaint still open and overdue (assigned to piet), a
    question closed without a reply (assigned to eva), an unclassified post
    still new without a deadline.
    """
    arrive(forum, DAY, after=1 * H, by=staff, intent="question")
    arrive(forum, DAY, after=3 * H, by=staff, intent="question")
    arrive(forum, DAY, after=2 * H, by=piet, intent="complaint")
    arrive(forum, DAY, after=5 * H, by=piet, intent="complaint")
    arrive(forum, DAY, after=10 * H, by=staff, intent="complaint")
    arrive(forum, DAY, intent="question", status="ignored")
    arrive(forum, DAY, intent="praise", status="ignored")
    arrive(forum, DAY, intent="complaint", status="assigned", assignee=piet)
    arrive(forum, DAY, intent="question", status="closed", assignee=staff)
    arrive(forum, DAY, intent="", status="new", due_in=None)


def blocks(period: Period, filters: dict | None = None) -> dict:
    from portal.core.reports import get_report

    report = get_report("care")
    found = {b.key: b for b in report.headline_figures(period, filters or {})}
    found.update({b.key: b for b in report.blocks(period, filters or {})})
    return found


def chart_json(response, key: str) -> dict:
    html = response.content.decode()
    start = html.index(f'id="chart-{key}"')
    return json.loads(html[html.index(">", start) + 1 : html.index("</script>", start)])


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


JAN = Period(date(2026, 1, 1), date(2026, 1, 31))


# --- the headline --------------------------------------------------------------


def test_headline_figures_by_hand(january):
    b = blocks(JAN)
    # Answered: 1, 2, 3, 5, 10 h → median 3 h; p90 at rank 3.6: 5 + 0.6 × 5 = 8 h.
    assert b["care-median"].value == 3.0
    assert b["care-p90"].value == 8.0
    # Met 2 (1 h, and 2 h exactly on time) of 6 decided: 5 answered + 1 overdue.
    assert b["care-sla"].value == 33.3
    # 3 unanswered of the 8 not ignored.
    assert b["care-unanswered"].value == 37.5
    # Open now: the overdue complaint and the new unclassified post.
    assert b["care-backlog"].value == 2
    assert b["care-median"].lower_is_better and b["care-unanswered"].lower_is_better
    assert not b["care-sla"].lower_is_better
    assert b["care-median"].unit == "h" and b["care-sla"].unit == "%"


def test_headline_compares_with_the_period_before(january, forum, staff):
    # December is January's previous period (31 days before).
    arrive(forum, datetime(2025, 12, 20, 9, tzinfo=UTC), after=2 * H, by=staff)
    arrive(forum, datetime(2025, 12, 21, 9, tzinfo=UTC), intent="question")
    b = blocks(JAN)
    assert b["care-median"].previous == 2.0
    assert b["care-median"].change == 50  # 3 h against 2 h
    assert b["care-median"].change_is_good is False
    assert b["care-unanswered"].previous == 50.0
    # The unanswered December post is still new: the backlog is now,
    # whatever the period.
    assert b["care-backlog"].value == 3


def test_a_fast_team_that_skips_mentions_does_not_look_good(forum, staff):
    # Answered in minutes, but only one of four: the share says so.
    arrive(forum, DAY, after=600, by=staff)
    for _n in range(3):
        arrive(forum, DAY, status="closed")
    b = blocks(JAN)
    assert b["care-median"].value == 0.2
    assert b["care-unanswered"].value == 75.0
    assert b["care-sla"].value == 100.0  # closed without an answer has no clock


def test_empty_range(forum, staff):
    arrive(forum, DAY, after=H, by=staff)
    b = blocks(Period(date(2025, 6, 1), date(2025, 6, 30)))
    for key in ("care-median", "care-p90", "care-sla", "care-unanswered"):
        assert b[key].value is None, key
        assert b[key].display == "—"
    assert b["care-backlog"].value == 0
    assert b["care-intent-table"].rows == []
    assert b["care-ttfr-intent"].is_empty and b["care-ttfr-staff"].is_empty
    assert b["care-trend-time"].is_empty


def test_a_single_reply_recorded_through_webcare(forum, staff):
    """One mention, answered through the real service 90 minutes after it
    arrived: median and p90 are that one time."""
    now = timezone.now()
    mention = arrive(forum, now - timedelta(minutes=90), due_in=2 * H)
    webcare.reply_record(mention=mention, by=staff, text="Thanks!", channel="manual")
    mention.refresh_from_db()
    assert mention.first_response_by == staff
    today = timezone.localdate()
    b = blocks(Period(today - timedelta(days=1), today))
    assert b["care-median"].value == b["care-p90"].value == 1.5
    assert b["care-sla"].value == 100.0
    assert b["care-unanswered"].value == 0.0
    assert b["care-staff-table"].rows == [["Eva", 1, 0, 1.5, 1.5, 100.0]]


# --- time-zone boundaries ------------------------------------------------------


@pytest.mark.parametrize(
    ("until", "in_at", "out_at"),
    [
        # Winter (UTC+1): 23:30 and 00:30 local.
        (
            date(2026, 1, 31),
            datetime(2026, 1, 31, 22, 30, tzinfo=UTC),
            datetime(2026, 1, 31, 23, 30, tzinfo=UTC),
        ),
        # Summer (UTC+2).
        (
            date(2026, 7, 31),
            datetime(2026, 7, 31, 21, 30, tzinfo=UTC),
            datetime(2026, 7, 31, 22, 30, tzinfo=UTC),
        ),
    ],
)
def test_the_period_ends_at_local_midnight(forum, staff, until, in_at, out_at):
    arrive(forum, in_at, after=1 * H, by=staff)
    arrive(forum, out_at, after=2 * H, by=staff)
    period = Period(until.replace(day=1), until)
    b = blocks(period)
    assert b["care-median"].value == 1.0
    assert b["care-intent-table"].rows[0][1] == 1  # arrived
    assert b["care-trend-time"].series[0].values[-1] == 1.0
    following = Period(until + timedelta(days=1), until + timedelta(days=28))
    after = blocks(following)
    assert after["care-median"].value == 2.0
    assert after["care-trend-time"].series[0].values[0] == 2.0


# --- per intent and per staff member ---------------------------------------------


def test_per_intent_table_and_chart(january):
    b = blocks(JAN)
    table = b["care-intent-table"]
    assert [str(c) for c in table.columns] == [
        "Intent",
        "Arrived",
        "Answered",
        "Ignored",
        "Unanswered",
        "Unanswered (%)",
        "Median (h)",
        "90th percentile (h)",
        "Within SLA (%)",
    ]
    assert table.rows == [
        # 1 h, 3 h → median 2 h, p90 1 + 0.9 × 2 = 2.8 h; met 1 of 2; the
        # closed one unanswered out of 3 not ignored.
        ["Question", 4, 2, 1, 1, 33.3, 2.0, 2.8, 50.0],
        # 2, 5, 10 h → median 5 h, p90 rank 1.8: 5 + 0.8 × 5 = 9 h; met 1 of
        # 3 answered + 1 overdue.
        ["Complaint", 4, 3, 0, 1, 25.0, 5.0, 9.0, 25.0],
        ["Praise", 1, 0, 1, 0, None, None, None, None],
        ["Not classified", 1, 0, 0, 1, 100.0, None, None, None],
    ]
    chart = b["care-ttfr-intent"]
    assert chart.kind == "bar" and chart.unit == "h"
    assert chart.labels == ["Question", "Complaint", "Praise", "Not classified"]
    assert chart.series[0].values == [2.0, 5.0, None, None]
    assert chart.series[1].values == [2.8, 9.0, None, None]


def test_per_staff_member(january):
    b = blocks(JAN)
    assert b["care-staff-table"].rows == [
        # eva answered 1, 3 and 10 h first: median 3 h, p90 rank 1.8:
        # 3 + 0.8 × 7 = 8.6 h; met 1 of 3; the closed question is hers.
        ["Eva", 3, 1, 3.0, 8.6, 33.3],
        # piet: 2 and 5 h → 3.5 h, p90 2 + 0.9 × 3 = 4.7 h; met 1 of 2; the
        # open complaint is his.
        ["Piet", 2, 1, 3.5, 4.7, 50.0],
    ]
    chart = b["care-ttfr-staff"]
    assert chart.labels == ["Eva", "Piet"]
    assert chart.series[0].values == [3.0, 3.5]


def test_filters(january, forum, mastodon, piet):
    by_piet = blocks(JAN, {"staff": piet})
    # His two answers and the complaint assigned to him.
    assert by_piet["care-median"].value == 3.5
    assert by_piet["care-unanswered"].value == 33.3
    assert by_piet["care-sla"].value == 33.3  # met 1 of 2 answered + 1 overdue
    assert by_piet["care-backlog"].value == 1
    assert [row[0] for row in by_piet["care-staff-table"].rows] == ["Piet"]

    complaints = blocks(JAN, {"intent": "complaint"})
    assert complaints["care-median"].value == 5.0
    assert [row[0] for row in complaints["care-intent-table"].rows] == ["Complaint"]

    arrive(mastodon, DAY, after=20 * H, by=piet, intent="praise")
    on_mastodon = blocks(JAN, {"source_kind": "mastodon"})
    assert on_mastodon["care-median"].value == 20.0
    assert on_mastodon["care-intent-table"].rows == [
        ["Praise", 1, 1, 0, 0, 0.0, 20.0, 20.0, 0.0]
    ]
    assert blocks(JAN, {"source_kind": "rss"})["care-median"].value == 3.0


def test_one_render_reads_the_mentions_once(
    january, forum, staff, django_assert_num_queries
):
    from portal.core.reports import get_report

    report = get_report("care")
    filters: dict = {}
    report.headline_figures(JAN, filters)
    with django_assert_num_queries(1):  # only the staff members' names
        report.blocks(JAN, filters)
    # Another page (another filters dict) reads afresh.
    arrive(forum, DAY, after=20 * H, by=staff, intent="idea")
    fresh = blocks(JAN)
    assert fresh["care-intent-table"].rows[2][0] == "Idea or suggestion"


# --- trend and backlog ---------------------------------------------------------


def test_trend_per_day(january, forum, staff):
    arrive(forum, datetime(2026, 1, 12, 8, tzinfo=UTC), after=4 * H, by=staff)
    b = blocks(JAN)
    time, shares = b["care-trend-time"], b["care-trend-shares"]
    assert time.labels[9:12] == ["2026-01-10", "2026-01-11", "2026-01-12"]
    assert time.series[0].values[9:12] == [3.0, None, 4.0]
    assert time.series[1].values[9:12] == [8.0, None, 4.0]
    assert shares.series[0].values[9:12] == [37.5, None, 0.0]  # unanswered
    assert shares.series[1].values[9:12] == [33.3, None, 0.0]  # 4 h: missed
    assert time.series[0].values[0] is None and len(time.labels) == 31


def test_trend_per_week():
    period = Period(date(2026, 1, 1), date(2026, 3, 31))  # 90 days: weeks
    assert period.bucket == "week"
    source = Source.objects.create(name="F", kind="rss")
    # Monday 5 January and Sunday 11 January 23:30 local are one week; Monday
    # 12 January 00:30 local is the next.
    arrive(source, datetime(2026, 1, 5, 9, tzinfo=UTC), after=1 * H)
    arrive(source, datetime(2026, 1, 11, 22, 30, tzinfo=UTC), after=3 * H)
    arrive(source, datetime(2026, 1, 11, 23, 30, tzinfo=UTC), after=6 * H)
    values = blocks(period)["care-trend-time"].series[0].values
    assert values[:3] == [None, 2.0, 6.0]  # week of 29 December, 5 and 12 January


def test_backlog_by_age_now(forum, staff):
    now = timezone.now()

    def open_(age: timedelta, due: timedelta | None, **fields):
        m = arrive(forum, now - age, due_in=None, **fields)
        if due is not None:
            Mention.objects.filter(pk=m.pk).update(due_at=now + due)

    open_(timedelta(minutes=30), timedelta(hours=1))  # < 1 h, within
    open_(timedelta(hours=2), timedelta(hours=-1))  # 1–4 h, overdue
    open_(timedelta(hours=10), None)  # 4–24 h, no deadline: within
    open_(timedelta(days=2), timedelta(days=-1))  # 1–3 d, overdue
    open_(timedelta(days=5), timedelta(days=-4), status="assigned", assignee=staff)
    open_(timedelta(days=10), timedelta(days=-9))  # > 7 d, overdue
    open_(timedelta(hours=2), timedelta(hours=-1), status="closed")  # not open
    open_(timedelta(hours=2), timedelta(hours=-1), status="ignored")  # not open
    # The backlog is now, whatever the period chosen.
    chart = blocks(Period(date(2020, 1, 1), date(2020, 1, 2)))["care-backlog-age"]
    assert chart.kind == "stacked"
    assert chart.labels == [
        "Under 1 h",
        "1–4 h",
        "4–24 h",
        "1–3 days",
        "3–7 days",
        "Over 7 days",
    ]
    assert chart.series[0].values == [0, 1, 0, 1, 1, 1]  # overdue
    assert chart.series[1].values == [1, 0, 1, 0, 0, 0]  # within the SLA
    assert blocks(JAN, {"staff": staff})["care-backlog-age"].series[0].values == [
        0,
        0,
        0,
        0,
        1,
        0,
    ]


# --- the page -------------------------------------------------------------------


def test_only_staff_see_the_report(client, member, staff):
    assert client.get(URL).status_code == 302
    client.force_login(member)
    assert client.get(URL).status_code in (302, 403)
    client.force_login(staff)
    assert client.get(URL).status_code == 200


def test_report_page_with_pinned_queries(
    staff_client, january, django_assert_max_num_queries, reads
):
    # Live, 15 on SQLite: session, user and profile (3); whether the install
    # is big enough for the rollup (1); the report's reads, once for the
    # whole page: the period's counts and response times (2), the previous
    # period's (2), the backlog (1), the staff members' names (1); the admin
    # chrome (4); the staff filter's options (1). PostgreSQL reads the
    # previous period's response times with its counts (14).
    # From the rollup, once beat has refreshed it (no install-size check
    # here, as the test forces the rollup): the light refresh finds nothing
    # changed (2), the rollup is built (1); counts, the overdue mentions and
    # the response times for the period (3) and the previous one (3).
    limit = 15 if reads == "live" else 19
    if reads == "rollup":
        rollup_refresh()
    with django_assert_max_num_queries(limit):
        response = staff_client.get(URL, JANUARY)
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("Median time to first response", "Backlog by age, now", "Piet"):
        assert text in html
    assert chart_json(response, "care-ttfr-intent")["series"][0]["values"] == [
        2.0,
        5.0,
        None,
        None,
    ]
    # More data, same number of queries.
    for _n in range(20):
        arrive(Source.objects.first(), DAY, after=H, by=StaffFactory(), intent="idea")
    if reads == "rollup":
        rollup_refresh()
    with django_assert_max_num_queries(limit):
        assert staff_client.get(URL, JANUARY).status_code == 200


def test_the_staff_filter_on_the_page(staff_client, january, piet):
    response = staff_client.get(URL, {**JANUARY, "staff": piet.pk})
    assert response.status_code == 200
    assert chart_json(response, "care-ttfr-staff")["labels"] == ["Piet"]
    assert staff_client.get(URL, {**JANUARY, "staff": "nobody"}).status_code == 400
    assert staff_client.get(URL, {**JANUARY, "intent": "nonsense"}).status_code == 400


def test_csv_of_a_chart_equals_its_json(staff_client, january):
    page = staff_client.get(URL, JANUARY)
    for key in ("care-trend-time", "care-ttfr-intent", "care-backlog-age"):
        data = chart_json(page, key)
        rows = csv_rows(
            staff_client.get(URL, {**JANUARY, "format": "csv", "block": key})
        )
        assert rows[0][1:] == [s["label"] for s in data["series"]]
        expected = [
            [
                label,
                *(
                    "" if s["values"][i] is None else str(s["values"][i])
                    for s in data["series"]
                ),
            ]
            for i, label in enumerate(data["labels"])
        ]
        assert rows[1:] == expected, key
    table = csv_rows(
        staff_client.get(
            URL, {**JANUARY, "format": "csv", "block": "care-intent-table"}
        )
    )
    assert table[1] == ["Question", "4", "2", "1", "1", "33.3", "2.0", "2.8", "50.0"]
    whole = csv_rows(staff_client.get(URL, {**JANUARY, "format": "csv"}))
    assert ["care-median", "Median time to first response", "", "", "3.0"] in whole


def test_the_care_form_offers_active_staff_only(staff, piet):
    from tests.factories import UserFactory

    UserFactory(username="outsider")
    StaffFactory(username="gone", is_active=False)
    form = care.CareReportForm()
    names = [str(u) for u in form.fields["staff"].queryset]
    assert names == ["Eva", "Piet"]


def test_percentiles_from_a_histogram_interpolate_within_a_bin():
    """Big periods on PostgreSQL: (bin, count, lowest, highest) per bin. The
    times of a bin are placed evenly between its lowest and highest, so with
    10 | 20..40 (3) | 100 the estimate is percentile_cont of 10 20 30 40 100."""
    bins = [(2, 1, 100, 100), (0, 1, 10, 10), (1, 3, 20, 40)]
    assert care._histogram_percentile(bins, 0.5) == 30.0
    assert care._histogram_percentile(bins, 0.9) == pytest.approx(76.0)
    assert care._histogram_percentile([(5, 1, 7, 7)], 0.9) == 7.0
    assert care._histogram_percentile([], 0.5) is None
