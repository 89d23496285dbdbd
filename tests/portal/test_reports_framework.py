"""The insight report frame (portal.core.reports, portal.core.report_views)."""

import csv
import io
import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from portal.core import reports as r
from tests.factories import StaffFactory, UserFactory

AMS = ZoneInfo("Europe/Amsterdam")


def _demo_section(period, filters):
    return [
        r.Figure("total", "Total", 12, previous=10),
        r.Heading("part", "A part"),
        r.Chart(
            "volume",
            "Volume",
            "line",
            period.labels(),
            [
                r.Series(
                    "Brand",
                    list(
                        range(
                            period.days
                            if period.bucket == "day"
                            else len(period.buckets())
                        )
                    ),
                )
            ],
        ),
        r.Table(
            "list",
            "A list",
            ["Name", "Count"],
            [["=cmd()", 3], ["b", 4]],
            links=["/x/", None],
        ),
    ]


@pytest.fixture
def demo_report():
    report = r.register_report(r.Report("frame-test", "Frame test"))
    r.register_section("frame-test", _demo_section)
    yield report
    r._reports.pop("frame-test", None)


def test_period_buckets_and_boundaries():
    p = r.Period(date(2026, 3, 28), date(2026, 3, 30))
    assert p.bucket == "day" and p.labels() == [
        "2026-03-28",
        "2026-03-29",
        "2026-03-30",
    ]
    # The clocks go forward on 29 March: the period still starts and ends at
    # local midnight.
    assert p.start_at == datetime(2026, 3, 28, tzinfo=AMS)
    assert p.end_at == datetime(2026, 3, 31, tzinfo=AMS)
    assert p.end_at.utcoffset().total_seconds() == 7200
    week = r.Period(date(2026, 1, 1), date(2026, 6, 30))
    assert week.bucket == "week" and week.buckets()[0] == date(2025, 12, 29)
    month = r.Period(date(2024, 11, 15), date(2026, 2, 1))
    assert month.bucket == "month" and month.labels()[:2] == ["2024-11", "2024-12"]
    assert month.labels()[-1] == "2026-02"
    assert r.Period(date(2026, 2, 1), date(2026, 2, 28)).previous() == r.Period(
        date(2026, 1, 4), date(2026, 1, 31)
    )
    with pytest.raises(ValueError):
        r.Period(date(2026, 2, 2), date(2026, 2, 1))


def test_presets():
    today = date(2026, 1, 15)
    assert r.preset_period("this_month", today) == r.Period(date(2026, 1, 1), today)
    assert r.preset_period("last_month", today) == r.Period(
        date(2025, 12, 1), date(2025, 12, 31)
    )
    assert r.preset_period("7d", today) == r.Period(date(2026, 1, 9), today)
    assert r.preset_period("nonsense", today).days == 30


def test_percentile_matches_percentile_cont():
    assert r.percentile([], 0.5) is None
    assert r.percentile([7], 0.9) == 7
    assert r.percentile([1, 2, 3, 4], 0.5) == 2.5
    assert r.percentile([10, 20, 30, 40, 50], 0.9) == pytest.approx(46)


def test_series_by_bucket_fills_gaps():
    p = r.Period(date(2026, 1, 1), date(2026, 1, 3))
    rows = [(date(2026, 1, 3), 2), (datetime(2026, 1, 1, tzinfo=AMS), 1), (None, 9)]
    assert r.series_by_bucket(p, rows) == [1, 0, 2]


def test_figure_change():
    assert r.Figure("a", "A", 12, previous=10).change == 20
    f = r.Figure("b", "B", 5, previous=10, lower_is_better=True)
    assert f.change == -50 and f.change_is_good is True
    assert r.Figure("c", "C", None).display == "—"


@pytest.mark.django_db
def test_report_page_permissions(client, demo_report):
    url = reverse("insight:report", args=["frame-test"])
    assert client.get(url).status_code == 302  # anonymous: to the login
    client.force_login(UserFactory())
    assert client.get(url).status_code in (302, 403)
    client.force_login(StaffFactory())
    assert client.get(url).status_code == 200
    assert client.get(reverse("insight:report", args=["nope"])).status_code == 404


@pytest.mark.django_db
def test_report_page_chart_table_and_csv_agree(client, demo_report):
    client.force_login(StaffFactory())
    url = reverse("insight:report", args=["frame-test"])
    page = client.get(url, {"since": "2026-01-01", "until": "2026-01-03"})
    html = page.content.decode()
    assert "Frame test" in html and "A part" in html
    start = html.index('id="chart-volume"')
    data = json.loads(html[html.index(">", start) + 1 : html.index("</script>", start)])
    assert data["labels"] == ["2026-01-01", "2026-01-02", "2026-01-03"]
    assert data["series"][0]["values"] == [0, 1, 2]

    one = client.get(
        url,
        {
            "since": "2026-01-01",
            "until": "2026-01-03",
            "format": "csv",
            "block": "volume",
        },
    )
    rows = list(csv.reader(io.StringIO(one.content.decode("utf-8-sig"))))
    assert rows[0] == ["Period", "Brand"]
    assert rows[1:] == [
        [label, str(v)]
        for label, v in zip(data["labels"], data["series"][0]["values"], strict=True)
    ]

    table = client.get(
        url,
        {
            "since": "2026-01-01",
            "until": "2026-01-03",
            "format": "csv",
            "block": "list",
        },
    )
    assert "'=cmd()" in table.content.decode()  # no formula injection

    whole = client.get(
        url, {"since": "2026-01-01", "until": "2026-01-03", "format": "csv"}
    )
    long_rows = list(csv.reader(io.StringIO(whole.content.decode("utf-8-sig"))))
    assert ["volume", "Volume", "2026-01-02", "Brand", "1"] in long_rows
    assert ["total", "Total", "", "", "12"] in long_rows


@pytest.mark.django_db
def test_report_bad_range_is_a_400(client, demo_report):
    client.force_login(StaffFactory())
    url = reverse("insight:report", args=["frame-test"])
    response = client.get(url, {"since": "2026-02-01", "until": "2026-01-01"})
    assert response.status_code == 400
    assert "The end date is before the start date." in response.content.decode()
    assert client.get(url, {"since": "not a date"}).status_code == 400
    assert (
        client.get(url, {"since": "2020-01-01", "until": "2026-01-01"}).status_code
        == 400
    )


@pytest.mark.django_db
def test_overview(client, demo_report):
    client.force_login(StaffFactory())
    response = client.get(reverse("insight:index"))
    assert response.status_code == 200
    assert "Frame test" in response.content.decode()


def test_a_percentage_changes_in_points():
    f = r.Figure("s", "Share", 61.7, unit="%", previous=62.7)
    assert f.change == -1.0 and f.change_display == "−1.0 pp"
    assert r.Figure("n", "N", 12, previous=10).change_display == "+20%"
    assert r.Figure("z", "Z", 3, previous=0).change is None
    assert r.Figure("z", "Z", 3, previous=0).previous_display == "0"
