"""The daily mention rollup (listening/rollup.py): what a day counts, how a
cluster and a post in two trackers are counted, and how the incremental
refresh finds the days to rebuild."""

from datetime import UTC, date, datetime, timedelta
from itertools import count
from zoneinfo import ZoneInfo

import pytest

from listening.models import Mention, MentionDaily, RollupState, Source, Tracker
from listening.rollup import rollup_refresh

pytestmark = pytest.mark.django_db

AMS = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2026, 4, 10, 10, 0, tzinfo=UTC)  # 12:00 in Amsterdam (summer)
_ids = count(1)


@pytest.fixture
def rss():
    return Source.objects.create(name="Forum", kind="rss", url="http://x.test/")


@pytest.fixture
def mastodon():
    return Source.objects.create(name="Toots", kind="mastodon", url="http://m.test/")


@pytest.fixture
def vonk():
    return Tracker.objects.create(name="Vonk", kind="brand", any_terms="vonk")


@pytest.fixture
def rival():
    return Tracker.objects.create(name="Rival", kind="competitor", any_terms="rival")


def make(source, *, trackers=(), fetched_at=None, cluster=None, **fields) -> Mention:
    n = next(_ids)
    fields.setdefault("text", f"Vonk post {n}")
    fields.setdefault("language", "en")
    mention = Mention.objects.create(
        source=source, external_id=f"r{n}", cluster_key=cluster or f"c{n}", **fields
    )
    if trackers:
        mention.trackers.set(trackers)
    # fetched_at is auto_now_add: set it afterwards.
    Mention.objects.filter(pk=mention.pk).update(fetched_at=fetched_at or NOW)
    mention.refresh_from_db()
    return mention


def local(*args) -> datetime:
    return datetime(*args, tzinfo=AMS)


def rows(**filters) -> list[tuple]:
    return sorted(
        (
            r.day,
            r.tracker_id or 0,
            r.source_kind,
            r.language,
            r.intent,
            r.sentiment_label,
            r.mentions,
            r.clusters,
            round(r.sentiment_sum, 6),
            r.sentiment_n,
            r.leads,
        )
        for r in MentionDaily.objects.filter(**filters)
    )


def totals(day: date, tracker=None) -> dict:
    qs = MentionDaily.objects.filter(day=day)
    qs = qs.filter(tracker=tracker) if tracker else qs.filter(tracker__isnull=True)
    out = {"mentions": 0, "clusters": 0, "sum": 0.0, "n": 0, "leads": 0}
    for r in qs:
        out["mentions"] += r.mentions
        out["clusters"] += r.clusters
        out["sum"] += r.sentiment_sum
        out["n"] += r.sentiment_n
        out["leads"] += r.leads
    out["sum"] = round(out["sum"], 6)
    return out


def test_a_day_is_counted_per_dimension(rss, mastodon, vonk):
    day = local(2026, 4, 1, 12)
    make(
        rss,
        trackers=[vonk],
        posted_at=day,
        sentiment_score=0.5,
        sentiment_label="positive",
        intent="praise",
    )
    make(
        rss,
        trackers=[vonk],
        posted_at=day,
        sentiment_score=0.7,
        sentiment_label="positive",
        intent="praise",
    )
    make(
        mastodon,
        trackers=[vonk],
        posted_at=day,
        language="nl",
        sentiment_label="negative",
        intent="lead",
        is_lead=True,
    )

    result = rollup_refresh(now=NOW)

    d = date(2026, 4, 1)
    assert rows(day=d, tracker__isnull=True) == [
        (d, 0, "mastodon", "nl", "lead", "negative", 1, 1, 0.0, 0, 1),
        (d, 0, "rss", "en", "praise", "positive", 2, 2, 1.2, 2, 0),
    ]
    assert rows(day=d, tracker=vonk) == [
        (d, vonk.pk, "mastodon", "nl", "lead", "negative", 1, 1, 0.0, 0, 1),
        (d, vonk.pk, "rss", "en", "praise", "positive", 2, 2, 1.2, 2, 0),
    ]
    assert result["rows"] == MentionDaily.objects.count() == 4
    assert result["days"] >= 1


def test_a_mention_in_two_trackers_counts_once_in_the_total(rss, vonk, rival):
    make(rss, trackers=[vonk, rival], posted_at=local(2026, 4, 2, 9))
    make(rss, trackers=[vonk], posted_at=local(2026, 4, 2, 10))
    make(rss, posted_at=local(2026, 4, 2, 11))  # no tracker any more

    rollup_refresh(now=NOW)

    d = date(2026, 4, 2)
    assert totals(d)["mentions"] == 3
    assert totals(d, vonk)["mentions"] == 2
    assert totals(d, rival)["mentions"] == 1


def test_a_cluster_counts_once_on_the_day_of_its_first_mention(rss, mastodon, vonk):
    make(rss, trackers=[vonk], posted_at=local(2026, 4, 3, 9), cluster="same")
    make(mastodon, trackers=[vonk], posted_at=local(2026, 4, 4, 9), cluster="same")
    make(rss, trackers=[vonk], posted_at=local(2026, 4, 4, 10), cluster="same")
    # Same moment: the lower id is the first.
    first = make(rss, posted_at=local(2026, 4, 4, 12), cluster="tie")
    make(mastodon, posted_at=local(2026, 4, 4, 12), cluster="tie")

    rollup_refresh(now=NOW)

    assert totals(date(2026, 4, 3)) == {
        "mentions": 1,
        "clusters": 1,
        "sum": 0.0,
        "n": 0,
        "leads": 0,
    }
    assert totals(date(2026, 4, 4))["mentions"] == 4
    assert totals(date(2026, 4, 4))["clusters"] == 1  # the tie's first
    assert totals(date(2026, 4, 4), vonk)["clusters"] == 0
    tie = MentionDaily.objects.get(
        day=date(2026, 4, 4), tracker__isnull=True, source_kind="rss", clusters=1
    )
    assert tie.source_kind == first.source.kind


def test_sentiment_sums_skip_unscored_mentions(rss):
    day = local(2026, 4, 5, 9)
    make(rss, posted_at=day, sentiment_score=-0.5, sentiment_label="negative")
    make(rss, posted_at=day, sentiment_score=-0.25, sentiment_label="negative")
    make(rss, posted_at=day, sentiment_label="negative")  # label, no score

    rollup_refresh(now=NOW)

    assert totals(date(2026, 4, 5)) == {
        "mentions": 3,
        "clusters": 3,
        "sum": -0.75,
        "n": 2,
        "leads": 0,
    }


def test_days_are_local_dates_across_the_summer_time_change(rss):
    # The clocks went forward on 29 March 2026 (UTC+1 → UTC+2).
    make(rss, posted_at=local(2026, 3, 28, 23, 30))  # 22:30 UTC on the 28th
    make(rss, posted_at=local(2026, 3, 29, 0, 30))  # 23:30 UTC on the 28th
    make(rss, posted_at=local(2026, 3, 29, 23, 30))  # 21:30 UTC on the 29th
    make(rss, posted_at=local(2026, 3, 30, 0, 30))  # 22:30 UTC on the 29th
    # No date from the network: the fetch time counts.
    make(rss, posted_at=None, fetched_at=datetime(2026, 3, 27, 23, 30, tzinfo=UTC))

    rollup_refresh(now=NOW)

    per_day = {
        d: totals(d)["mentions"]
        for d in MentionDaily.objects.values_list("day", flat=True).distinct()
    }
    assert per_day == {
        date(2026, 3, 28): 2,  # 00:30 local on the 28th (UTC+1) and 23:30
        date(2026, 3, 29): 2,
        date(2026, 3, 30): 1,
    }


def test_winter_boundary(rss):
    make(rss, posted_at=datetime(2026, 1, 12, 22, 59, tzinfo=UTC))  # 23:59 local
    make(rss, posted_at=datetime(2026, 1, 12, 23, 0, tzinfo=UTC))  # 00:00 local

    rollup_refresh(now=NOW)

    assert totals(date(2026, 1, 12))["mentions"] == 1
    assert totals(date(2026, 1, 13))["mentions"] == 1


def test_refresh_is_idempotent(rss, mastodon, vonk, rival):
    make(rss, trackers=[vonk, rival], posted_at=local(2026, 4, 9, 9), cluster="k")
    make(
        mastodon,
        trackers=[vonk],
        posted_at=local(2026, 4, 10, 9),
        cluster="k",
        sentiment_score=0.3,
        sentiment_label="positive",
    )
    make(rss, trackers=[rival], posted_at=local(2026, 2, 1, 9), is_lead=True)

    first = rollup_refresh(now=NOW)
    before = rows()
    again = rollup_refresh(now=NOW)
    assert rows() == before
    assert again["rows"] == first["rows"] == len(before)
    # Rebuilding named days changes nothing either.
    rollup_refresh(days=[date(2026, 4, 9), date(2026, 2, 1)], now=NOW)
    assert rows() == before


def test_incremental_refresh_reads_new_mentions_and_stops_at_the_watermark(rss, vonk):
    old = local(2026, 1, 5, 12)  # long before the last 35 days
    make(rss, trackers=[vonk], posted_at=old, fetched_at=NOW - timedelta(days=90))
    make(rss, trackers=[vonk], posted_at=local(2026, 4, 10, 9), fetched_at=NOW)
    rollup_refresh(now=NOW)
    state = RollupState.objects.get(name="mention_daily")
    assert state.watermark == NOW
    assert totals(date(2026, 1, 5))["mentions"] == 1

    # A change nobody fetched is not seen by an incremental refresh...
    Mention.objects.filter(posted_at=old).update(sentiment_label="negative")
    later = NOW + timedelta(hours=1)
    result = rollup_refresh(now=later)
    assert result["days"] == 2  # today and yesterday only
    assert not MentionDaily.objects.filter(sentiment_label="negative").exists()

    # ...but a late import of an old post is: its day is rebuilt (and so the
    # label change on that day shows up too).
    make(
        rss,
        trackers=[vonk],
        posted_at=old + timedelta(hours=1),
        fetched_at=later + timedelta(minutes=5),
    )
    result = rollup_refresh(now=later + timedelta(minutes=10))
    assert result["days"] == 3
    assert totals(date(2026, 1, 5))["mentions"] == 2
    assert MentionDaily.objects.filter(
        day=date(2026, 1, 5), tracker__isnull=True, sentiment_label="negative"
    ).exists()
    state.refresh_from_db()
    assert state.watermark == later + timedelta(minutes=5)


def test_a_late_copy_with_an_earlier_date_moves_the_cluster(rss):
    make(
        rss,
        posted_at=local(2026, 1, 10, 12),
        cluster="k",
        fetched_at=NOW - timedelta(days=80),
    )
    rollup_refresh(now=NOW)
    assert totals(date(2026, 1, 10))["clusters"] == 1

    make(
        rss,
        posted_at=local(2026, 1, 8, 12),
        cluster="k",
        fetched_at=NOW + timedelta(minutes=1),
    )
    rollup_refresh(now=NOW + timedelta(minutes=2))

    assert totals(date(2026, 1, 8))["clusters"] == 1
    assert totals(date(2026, 1, 10)) == {
        "mentions": 1,
        "clusters": 0,
        "sum": 0.0,
        "n": 0,
        "leads": 0,
    }


def test_the_daily_full_pass_rebuilds_the_last_35_days(rss):
    day = local(2026, 3, 20, 12)  # 21 days before NOW
    mention = make(rss, posted_at=day, fetched_at=NOW - timedelta(days=21))
    make(rss, posted_at=local(2026, 4, 10, 9), fetched_at=NOW)  # the watermark
    assert rollup_refresh(now=NOW)["days"] >= 35
    Mention.objects.filter(pk=mention.pk).update(intent="question")

    assert rollup_refresh(now=NOW + timedelta(hours=23))["days"] == 2
    assert MentionDaily.objects.get(day=date(2026, 3, 20)).intent == ""

    assert rollup_refresh(now=NOW + timedelta(hours=24))["days"] == 35
    assert MentionDaily.objects.get(day=date(2026, 3, 20)).intent == "question"
    assert RollupState.objects.get(name="mention_daily_full").refreshed_at == (
        NOW + timedelta(hours=24)
    )


def test_deleted_mentions_stay_counted_on_days_not_rebuilt(rss):
    gone = make(
        rss, posted_at=local(2026, 1, 5, 12), fetched_at=NOW - timedelta(days=95)
    )
    rollup_refresh(now=NOW)
    gone.delete()  # retention
    rollup_refresh(now=NOW + timedelta(days=2))
    assert totals(date(2026, 1, 5))["mentions"] == 1
    # Rebuilding the day on purpose does drop it.
    rollup_refresh(days=[date(2026, 1, 5)], now=NOW)
    assert totals(date(2026, 1, 5))["mentions"] == 0


def test_min_interval_skips_a_refresh_when_nothing_arrived(rss):
    make(rss, posted_at=local(2026, 4, 10, 9))
    rollup_refresh(now=NOW)
    skipped = rollup_refresh(
        now=NOW + timedelta(seconds=30), min_interval=timedelta(minutes=1)
    )
    assert skipped == {"days": 0, "rows": 0}
    make(rss, posted_at=local(2026, 4, 10, 10), fetched_at=NOW + timedelta(seconds=40))
    done = rollup_refresh(
        now=NOW + timedelta(seconds=50), min_interval=timedelta(minutes=1)
    )
    assert done["days"] == 2 and totals(date(2026, 4, 10))["mentions"] == 2


def test_an_empty_database_refreshes_to_no_rows():
    assert rollup_refresh(now=NOW) == {"days": 35, "rows": 0}
    assert RollupState.objects.get(name="mention_daily").watermark is None


def test_the_celery_task_runs_the_refresh(rss):
    from listening.tasks import rollup_refresh as task

    make(rss, posted_at=local(2026, 4, 1, 9))
    result = task.apply().get()
    assert result["rows"] == 1


def test_a_report_page_refresh_is_light_on_a_big_install(rss, monkeypatch):
    """light=True (the report page): nothing before the first full build, only
    the new mentions' days after it, and nothing when they span many days."""
    from listening import rollup

    monkeypatch.setattr(rollup, "LIGHT_SMALL_INSTALL", 0)  # act as if big
    make(rss, posted_at=local(2026, 4, 1, 9), fetched_at=NOW - timedelta(days=9))
    assert rollup_refresh(now=NOW, light=True) == {"days": 0, "rows": 0}
    assert not MentionDaily.objects.exists()

    rollup_refresh(now=NOW)  # the beat task's full build
    later = NOW + timedelta(hours=1)
    make(rss, posted_at=local(2026, 4, 10, 11), fetched_at=later)
    # Its day, and the day of the last mention counted (re-read: the overlap).
    assert rollup_refresh(now=later, light=True)["days"] == 2
    assert totals(date(2026, 4, 10))["mentions"] == 1

    old_import = NOW + timedelta(hours=2)
    for day in range(1, 6):
        make(rss, posted_at=local(2026, 3, day, 9), fetched_at=old_import)
    assert rollup_refresh(now=old_import, light=True) == {"days": 0, "rows": 0}
    assert totals(date(2026, 3, 1))["mentions"] == 0  # left to the beat task
    rollup_refresh(now=old_import)
    assert totals(date(2026, 3, 1))["mentions"] == 1


# --- the care rollup -------------------------------------------------------------

OLD_DAY = date(2026, 3, 1)  # before the monthly pass's 35 days (from 6 March)


def care_day(day: date) -> dict:
    from django.db.models import Sum

    from listening.models import CareDaily

    names = ("arrived", "answered", "ignored", "unanswered", "sla_met", "sla_missed")
    found = CareDaily.objects.filter(day=day).aggregate(
        **{name: Sum(name) for name in names}
    )
    return {name: found[name] or 0 for name in names}


def old_and_new(rss) -> Mention:
    """A mention that arrived on OLD_DAY (due two hours later), counted by a
    full build, and a fresh one that moves the watermark up to NOW."""
    old = make(
        rss,
        posted_at=local(2026, 3, 1, 9),
        fetched_at=local(2026, 3, 1, 10),
        due_at=local(2026, 3, 1, 12),
    )
    make(rss, posted_at=local(2026, 4, 10, 11), fetched_at=NOW)
    rollup_refresh(now=NOW)
    assert care_day(OLD_DAY)["unanswered"] == 1
    return old


def test_care_rollup_counts_the_outcomes_per_day_of_arrival(rss, staff):
    """The day is the local date of fetched_at (00:30 on 2 March in Amsterdam
    is still 1 March in UTC), and the outcomes are disjoint."""
    arrived = local(2026, 3, 2, 0, 30)
    make(
        rss,
        fetched_at=arrived,
        due_at=arrived + timedelta(hours=2),
        first_response_at=arrived + timedelta(hours=1),
        first_response_seconds=3600,
        first_response_by=staff,
        status="responded",
    )
    make(rss, fetched_at=arrived, status="ignored")
    make(rss, fetched_at=arrived, status="assigned", assignee=staff)
    rollup_refresh(now=NOW)
    assert care_day(date(2026, 3, 2)) == {
        "arrived": 3,
        "answered": 1,
        "ignored": 1,
        "unanswered": 1,
        "sla_met": 1,
        "sla_missed": 0,
    }
    assert care_day(date(2026, 3, 1))["arrived"] == 0
    from listening.models import CareDaily, CareResponse

    assert list(CareResponse.objects.values_list("seconds", "n", "responder_id")) == [
        (3600, 1, staff.pk)
    ]
    waiting = CareDaily.objects.get(unanswered=1)
    assert (waiting.responder_id, waiting.assignee_id) == (None, staff.pk)


def test_an_answer_to_an_old_mention_recounts_its_day(rss, staff):
    old = old_and_new(rss)
    answered = NOW + timedelta(hours=1)
    Mention.objects.filter(pk=old.pk).update(
        first_response_at=answered,
        first_response_seconds=int((answered - old.fetched_at).total_seconds()),
        first_response_by=staff,
    )
    rollup_refresh(now=NOW + timedelta(hours=2))  # no monthly pass yet
    assert care_day(OLD_DAY) == {
        "arrived": 1,
        "answered": 1,
        "ignored": 0,
        "unanswered": 0,
        "sla_met": 0,
        "sla_missed": 1,
    }
    from listening.models import CareResponse

    assert CareResponse.objects.get(day=OLD_DAY).responder_id == staff.pk


def test_ignoring_an_old_mention_recounts_its_day(rss):
    old = old_and_new(rss)
    Mention.objects.filter(pk=old.pk).update(
        status="ignored", status_changed_at=NOW + timedelta(hours=1)
    )
    rollup_refresh(now=NOW + timedelta(hours=2))
    assert care_day(OLD_DAY)["ignored"] == 1
    assert care_day(OLD_DAY)["unanswered"] == 0


def test_an_old_change_without_a_stamp_waits_for_an_explicit_rebuild(rss):
    """Only the stamps mark a day dirty (an intent correction has none and
    is caught by the monthly pass within 35 days); ``days=`` rebuilds."""
    old = old_and_new(rss)
    Mention.objects.filter(pk=old.pk).update(status="ignored")
    rollup_refresh(now=NOW + timedelta(hours=2))
    assert care_day(OLD_DAY)["ignored"] == 0
    rollup_refresh(days=[OLD_DAY], now=NOW + timedelta(hours=2))
    assert care_day(OLD_DAY)["ignored"] == 1


def test_the_care_page_refresh_is_light_on_a_big_install(rss, staff, monkeypatch):
    from listening import rollup

    monkeypatch.setattr(rollup, "LIGHT_SMALL_INSTALL", 0)  # act as if big
    old = make(rss, fetched_at=local(2026, 3, 1, 10))
    assert rollup.care_refresh(now=NOW, light=True) == {"days": 0, "rows": 0}
    assert care_day(OLD_DAY)["arrived"] == 0  # left to the beat task

    rollup_refresh(now=NOW)  # the beat task's full build
    assert care_day(OLD_DAY)["unanswered"] == 1
    # Nothing changed: three indexed lookups and no rebuild.
    assert rollup.care_refresh(now=NOW, light=True) == {"days": 0, "rows": 0}
    # An answer today to the old mention: its day only.
    Mention.objects.filter(pk=old.pk).update(
        first_response_at=NOW + timedelta(hours=1),
        first_response_seconds=3600,
        first_response_by=staff,
    )
    later = NOW + timedelta(hours=2)
    assert rollup.care_refresh(now=later, light=True)["days"] == 1
    assert care_day(OLD_DAY)["answered"] == 1
    # A stamp ahead of the clock waits until it is reached.
    Mention.objects.filter(pk=old.pk).update(
        status="closed", status_changed_at=later + timedelta(hours=1)
    )
    assert rollup.care_refresh(now=later, light=True) == {"days": 0, "rows": 0}
