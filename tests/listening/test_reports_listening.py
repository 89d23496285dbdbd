"""The listening report (listening/reports/listening.py) against figures
computed by hand on a small fixture.

The fixture, in Amsterdam time (January: UTC+1), for the period
10–12 January 2026 (the previous period is 7–9 January):

====  ================  =================  =====  =========  ==========  ====
post  posted            trackers           lang   sentiment  intent      cl.
====  ================  =================  =====  =========  ==========  ====
m1    10 Jan 10:00      Vonk               en     +0.8 pos   praise      A
m2    10 Jan 12:00      Vonk, Rival        en     −0.6 neg   complaint   B
m3    11 Jan 09:00      Vonk               en     +0.6 pos   praise      A
m7    11 Jan 10:00      (none)             —      —          —           E
m4    12 Jan 23:30      Rival, Battery     nl      0.0 neu   question*   C
m5    13 Jan 00:30      Vonk               en     −0.9 neg   complaint   F
m6     9 Jan 12:00      Vonk               en     −0.5 neg   complaint   D
====  ================  =================  =====  =========  ==========  ====

m3 is a copy of m1 (cluster A), m4 is a sales lead (*), m5 falls just
outside the period, m6 is in the previous period, m7 is pseudonymised.
m2 is on Mastodon, the rest on the forum (RSS).
"""

import csv
import io
import json
from datetime import datetime
from itertools import count
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from listening.models import Mention, Source, Tracker
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

AMS = ZoneInfo("Europe/Amsterdam")
URL = reverse("insight:report", args=["listening"])
PERIOD = {"since": "2026-01-10", "until": "2026-01-12"}
_ids = count(1)


def local(*args) -> datetime:
    return datetime(*args, tzinfo=AMS)


def make(source, *, trackers=(), cluster=None, **fields) -> Mention:
    n = next(_ids)
    fields.setdefault("text", f"Vonk post number {n}")
    mention = Mention.objects.create(
        source=source, external_id=f"l{n}", cluster_key=cluster or f"c{n}", **fields
    )
    if trackers:
        mention.trackers.set(trackers)
    return mention


@pytest.fixture
def data(db):
    rss = Source.objects.create(name="Forum", kind="rss", url="http://x.test/")
    mastodon = Source.objects.create(name="Toots", kind="mastodon", url="http://m/")
    vonk = Tracker.objects.create(name="Vonk", kind="brand", any_terms="vonk")
    rival = Tracker.objects.create(name="Rival", kind="competitor", any_terms="r")
    battery = Tracker.objects.create(name="Battery", kind="topic", any_terms="b")
    m = {}
    m[1] = make(
        rss,
        trackers=[vonk],
        cluster="A",
        posted_at=local(2026, 1, 10, 10),
        language="en",
        sentiment_score=0.8,
        sentiment_label="positive",
        intent="praise",
        author_handle="@anna",
        influence=50,
        author_followers=1000,
        text="Vonk charger works great, lovely charger",
    )
    m[2] = make(
        mastodon,
        trackers=[vonk, rival],
        cluster="B",
        posted_at=local(2026, 1, 10, 12),
        language="en",
        sentiment_score=-0.6,
        sentiment_label="negative",
        intent="complaint",
        author_handle="@bob",
        influence=80,
        author_followers=5000,
        text="Vonk battery died again, Rival battery lasts",
    )
    m[3] = make(
        rss,
        trackers=[vonk],
        cluster="A",
        posted_at=local(2026, 1, 11, 9),
        language="en",
        sentiment_score=0.6,
        sentiment_label="positive",
        intent="praise",
        author_handle="@anna",
        influence=30,
        author_followers=1200,
        text="Vonk charger works great, lovely charger (copy)",
    )
    m[7] = make(
        rss,
        cluster="E",
        posted_at=local(2026, 1, 11, 10),
        language="",
        author_handle="anon-0123456789ab",
        influence=99,
        pseudonymised_at=timezone.now(),
        text="Something else entirely",
    )
    m[4] = make(
        rss,
        trackers=[rival, battery],
        cluster="C",
        posted_at=local(2026, 1, 12, 23, 30),
        language="nl",
        sentiment_score=0.0,
        sentiment_label="neutral",
        intent="question",
        is_lead=True,
        author_handle="@carl",
        influence=10,
        author_followers=100,
        text="Which battery should I buy from Rival? " + "x" * 200,
    )
    m[5] = make(
        rss,
        trackers=[vonk],
        cluster="F",
        posted_at=local(2026, 1, 13, 0, 30),
        language="en",
        sentiment_score=-0.9,
        sentiment_label="negative",
        intent="complaint",
        author_handle="@dave",
        influence=70,
    )
    m[6] = make(
        rss,
        trackers=[vonk],
        cluster="D",
        posted_at=local(2026, 1, 9, 12),
        language="en",
        sentiment_score=-0.5,
        sentiment_label="negative",
        intent="complaint",
        author_handle="@erin",
    )
    return {"vonk": vonk, "rival": rival, "battery": battery, "m": m}


@pytest.fixture
def staff_client(client):
    client.force_login(StaffFactory())
    return client


def page(client, **params) -> str:
    response = client.get(URL, {**PERIOD, **params})
    assert response.status_code == 200, response.content[:2000]
    return response.content.decode()


def chart(html: str, key: str) -> dict:
    start = html.index(f'id="chart-{key}"')
    return json.loads(html[html.index(">", start) + 1 : html.index("</script>", start)])


def series(html: str, key: str) -> dict[str, list]:
    return {s["label"]: s["values"] for s in chart(html, key)["series"]}


def figures(client, **params) -> dict:
    """The headline figures as the CSV gives them: value and previous."""
    out = {}
    for key in (
        "listening-mentions",
        "listening-negative",
        "listening-net-sentiment",
        "listening-share-of-voice",
        "listening-leads",
    ):
        response = client.get(URL, {**PERIOD, **params, "format": "csv", "block": key})
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        out[key.removeprefix("listening-")] = (rows[1][1], rows[1][2])
    return out


def table(client, key: str, **params) -> list[list[str]]:
    response = client.get(URL, {**PERIOD, **params, "format": "csv", "block": key})
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_headline_figures(staff_client, data):
    assert figures(staff_client) == {
        "mentions": ("4", "1"),  # A, B, C, E (m3 copies m1); D before
        "negative": ("25.0", "100.0"),  # 1 of 4 with a sentiment; 1 of 1
        "net-sentiment": ("25.0", "-100.0"),  # (2 − 1) / 4; (0 − 1) / 1
        "share-of-voice": ("50.0", "100.0"),  # Vonk 2 of 4 (m1, m2 | m2, m4)
        "leads": ("1", "0"),
    }


def test_volume_per_tracker_counts_a_cluster_once(staff_client, data):
    html = page(staff_client)
    volume = chart(html, "listening-volume")
    assert volume["labels"] == ["2026-01-10", "2026-01-11", "2026-01-12"]
    assert [s["label"] for s in volume["series"]] == [
        "All mentions",
        "Vonk",
        "Rival",
        "Battery",
    ]
    assert series(html, "listening-volume") == {
        "All mentions": [2, 1, 1],  # m3 is a copy; m4 at 23:30 is in, m5 out
        "Vonk": [2, 0, 0],
        "Rival": [1, 0, 1],
        "Battery": [0, 0, 1],
    }


def test_sentiment_trend_and_per_language(staff_client, data):
    html = page(staff_client)
    assert series(html, "listening-sentiment-trend") == {
        "All mentions": [0.1, 0.6, 0.0],  # (0.8 − 0.6) / 2; m3; m4
        "Vonk": [0.1, 0.6, None],
        "Rival": [-0.6, None, 0.0],
        "Battery": [None, None, 0.0],
    }
    by_language = chart(html, "listening-sentiment-language")
    assert len(by_language["labels"]) == 3  # English, Dutch, other languages
    assert series(html, "listening-sentiment-language") == {
        "Positive": [2, 0, 0],
        "Neutral": [0, 1, 0],
        "Negative": [1, 0, 0],
    }


def test_share_of_voice(staff_client, data):
    html = page(staff_client)
    doughnut = chart(html, "listening-share-of-voice")
    assert doughnut["labels"] == ["Our brand", "Rival"]
    assert doughnut["series"][0]["values"] == [2, 2]
    assert series(html, "listening-share-of-voice-trend") == {
        "Our brand": [66.7, None, 0.0],
        "Rival": [33.3, None, 100.0],
    }


def test_topics_terms_intent_and_leads(staff_client, data):
    html = page(staff_client)
    topics = chart(html, "listening-topics")
    assert topics["labels"] == ["Battery"] and topics["series"][0]["values"] == [1]
    terms = dict(
        zip(
            chart(html, "listening-terms")["labels"],
            chart(html, "listening-terms")["series"][0]["values"],
            strict=True,
        )
    )
    # In two posts: m2 and m4 ("battery", "rival"), m1/m3 count once.
    assert terms == {"battery": 2, "rival": 2, "vonk": 2}
    assert series(html, "listening-intent") == {"Mentions": [1, 1, 0, 1, 0, 0, 1]}

    leads = table(staff_client, "listening-leads-list")
    assert leads[0] == ["Date", "Author", "Network", "Text"]
    assert len(leads) == 2
    date_, author, network, text = leads[1]
    assert (date_, author, network) == (
        "2026-01-12 23:30",
        "'@carl",
        "RSS or Atom feed",
    )
    assert len(text) == 140 and text.endswith("…")
    link = reverse("listening_inbox:mention", args=[data["m"][4].pk])
    assert f'href="{link}"' in html


def test_most_influential_authors(staff_client, data):
    rows = table(staff_client, "listening-authors")
    assert rows[0] == ["Author", "Network", "Mentions", "Influence", "Followers"]
    assert rows[1:] == [
        ["'@bob", "Mastodon", "1", "80.0", "5000"],
        ["'@anna", "RSS or Atom feed", "2", "50.0", "1200"],
        ["'@carl", "RSS or Atom feed", "1", "10.0", "100"],
    ]  # the pseudonymised m7 (influence 99) and m5 (outside) are left out


def test_filters_apply_to_every_block(staff_client, data):
    nl = figures(staff_client, language="nl")
    assert nl["mentions"] == ("1", "0") and nl["leads"] == ("1", "0")
    html = page(staff_client, language="nl")
    assert series(html, "listening-volume")["All mentions"] == [0, 0, 1]
    assert table(staff_client, "listening-authors", language="nl")[1:] == [
        ["'@carl", "RSS or Atom feed", "1", "10.0", "100"]
    ]

    other = figures(staff_client, language="other")  # m7 has no language
    assert other["mentions"] == ("1", "0")
    assert other["negative"] == ("", "")

    toots = page(staff_client, source_kind="mastodon")
    assert series(toots, "listening-volume") == {
        "All mentions": [1, 0, 0],
        "Vonk": [1, 0, 0],
        "Rival": [1, 0, 0],
    }
    assert len(table(staff_client, "listening-leads-list", source_kind="mastodon")) == 1


def test_chosen_trackers_are_the_totals(staff_client, data):
    rival = data["rival"].pk
    assert figures(staff_client, trackers=[rival]) == {
        "mentions": ("2", "0"),
        "negative": ("50.0", ""),
        "net-sentiment": ("-50.0", ""),
        "share-of-voice": ("0.0", ""),
        "leads": ("1", "0"),
    }
    html = page(staff_client, trackers=[rival])
    assert series(html, "listening-volume") == {
        "Selected trackers": [1, 0, 1],
        "Rival": [1, 0, 1],
    }
    # Two trackers: the total adds them up (m2 is in both).
    both = page(staff_client, trackers=[rival, data["vonk"].pk])
    assert series(both, "listening-volume")["Selected trackers"] == [3, 0, 1]
    # The lists read mentions: m2 is one post, listed once.
    rows = table(staff_client, "listening-authors", trackers=[rival, data["vonk"].pk])
    assert [r[0] for r in rows[1:]] == ["'@bob", "'@anna", "'@carl"]


def test_an_empty_range(staff_client, data):
    params = {"since": "2025-06-01", "until": "2025-06-02"}
    assert figures(staff_client, **params) == {
        "mentions": ("0", "0"),
        "negative": ("", ""),
        "net-sentiment": ("", ""),
        "share-of-voice": ("", ""),
        "leads": ("0", "0"),
    }
    html = page(staff_client, **params)
    assert 'id="chart-listening-volume"' not in html  # "Nothing in this period."
    assert table(staff_client, "listening-volume", **params)[1:] == [
        ["2025-06-01", "0"],
        ["2025-06-02", "0"],
    ]
    assert table(staff_client, "listening-authors", **params)[1:] == []
    assert table(staff_client, "listening-leads-list", **params)[1:] == []
    assert table(staff_client, "listening-terms", **params)[1:] == []


def test_a_single_day_with_the_boundary_post(staff_client, data):
    params = {"since": "2026-01-12", "until": "2026-01-12"}
    html = page(staff_client, **params)
    assert chart(html, "listening-volume")["labels"] == ["2026-01-12"]
    assert series(html, "listening-volume") == {
        "All mentions": [1],  # m4 at 23:30; m5 at 00:30 the next day is out
        "Rival": [1],
        "Battery": [1],
    }


def test_weekly_buckets(staff_client, data):
    params = {"since": "2025-12-01", "until": "2026-03-01"}
    html = page(staff_client, **params)
    volume = chart(html, "listening-volume")
    week = volume["labels"].index("2026-01-05")  # Monday 5 January
    assert series(html, "listening-volume")["All mentions"][week : week + 2] == [4, 2]


def test_csv_of_a_chart_equals_its_json(staff_client, data):
    html = page(staff_client)
    data_ = chart(html, "listening-volume")
    rows = table(staff_client, "listening-volume")
    assert rows[0] == ["Period", *(s["label"] for s in data_["series"])]
    assert rows[1:] == [
        [label, *(str(s["values"][i]) for s in data_["series"])]
        for i, label in enumerate(data_["labels"])
    ]


def test_new_mentions_show_on_the_next_page_view(staff_client, data):
    page(staff_client)
    make(
        Source.objects.get(kind="rss"),
        trackers=[data["vonk"]],
        posted_at=local(2026, 1, 11, 15),
    )
    html = page(staff_client)
    assert series(html, "listening-volume")["All mentions"] == [2, 2, 1]


def test_query_count_is_pinned(staff_client, data, django_assert_max_num_queries):
    page(staff_client)  # the first view counts the rollup
    # More trackers and mentions add no queries: about 8 for the admin frame
    # and the form, 2 to see that the rollup is current, 9 for the report.
    rss = Source.objects.get(kind="rss")
    for n in range(5):
        tracker = Tracker.objects.create(name=f"Topic {n}", kind="topic")
        make(rss, trackers=[tracker], posted_at=local(2026, 1, 11, n))
    page(staff_client)
    with django_assert_max_num_queries(20):
        page(staff_client)
    with django_assert_max_num_queries(20):
        page(staff_client, trackers=[data["vonk"].pk], language="en")


def test_the_page_refreshes_the_rollup_once(staff_client, data, monkeypatch):
    from listening.reports import listening as report

    calls = []
    real = report.rollup_refresh
    monkeypatch.setattr(
        report, "rollup_refresh", lambda **kw: calls.append(kw) or real(**kw)
    )
    page(staff_client)
    assert len(calls) == 1


def test_overview_shows_the_headline(staff_client, data):
    response = staff_client.get(reverse("insight:index"))
    assert response.status_code == 200
    assert "Share of voice" in response.content.decode()


def test_permissions(client, data):
    assert client.get(URL).status_code == 302
    client.force_login(UserFactory())
    assert client.get(URL).status_code in (302, 403)
    client.force_login(StaffFactory())
    assert client.get(URL).status_code == 200


def test_bad_filter_is_a_400(staff_client, data):
    assert staff_client.get(URL, {"language": "xx"}).status_code == 400
    assert staff_client.get(URL, {"trackers": ["999999"]}).status_code == 400


def test_an_inactive_tracker_with_data_still_shows(staff_client, data):
    Tracker.objects.filter(pk=data["battery"].pk).update(is_active=False)
    html = page(staff_client)
    assert "Battery" in series(html, "listening-volume")
