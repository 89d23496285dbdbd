from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from listening import services
from listening.connectors import RawMention
from listening.models import Mention, Source, Tracker
from portal.notifications.models import Notification
from tests.factories import StaffFactory

from .conftest import Reply

pytestmark = pytest.mark.django_db


@pytest.fixture
def vonk():
    return Tracker.objects.create(
        name="Vonk", kind="brand", any_terms="vonk\n@vonkenergie"
    )


@pytest.fixture
def rival():
    return Tracker.objects.create(
        name="Stroomco", kind="competitor", any_terms="stroomco"
    )


@pytest.fixture
def feed():
    return Source.objects.create(name="Forum", kind="rss", url="http://x.test/feed")


def _raw(n, text):
    return RawMention(
        external_id=f"post-{n}",
        text=text,
        url=f"https://forum.example/post/{n}",
        author_handle=f"user{n}",
        posted_at=datetime(2026, 11, 20, 12, n, tzinfo=UTC),
    )


def test_upsert_stores_matching_mentions_with_trackers_and_language(feed, vonk, rival):
    counts = services.mention_upsert_batch(
        source=feed,
        raw_mentions=[
            _raw(1, "Mijn jaarafrekening van Vonk is veel te hoog dit jaar"),
            _raw(2, "Switching from Stroomco to Vonk was the best decision"),
            _raw(3, "Nothing about energy companies in this post at all"),
        ],
        cursor={"seen": ["post-1", "post-2", "post-3"]},
    )
    assert counts == {"stored": 2, "duplicates": 0, "unmatched": 1}
    first = Mention.objects.get(external_id="post-1")
    assert first.language == "nl"
    assert list(first.trackers.all()) == [vonk]
    second = Mention.objects.get(external_id="post-2")
    assert set(second.trackers.all()) == {vonk, rival}
    feed.refresh_from_db()
    assert feed.cursor == {"seen": ["post-1", "post-2", "post-3"]}
    assert feed.fetched_total == 2


def test_upsert_twice_stores_nothing_new(feed, vonk):
    batch = [_raw(1, "Vonk app is down again"), _raw(2, "Vonk support was great")]
    services.mention_upsert_batch(source=feed, raw_mentions=batch)
    again = services.mention_upsert_batch(source=feed, raw_mentions=batch)
    assert again == {"stored": 0, "duplicates": 2, "unmatched": 0}
    assert Mention.objects.count() == 2
    assert Mention.trackers.through.objects.count() == 2


def test_reposts_share_a_cluster(feed, vonk):
    services.mention_upsert_batch(
        source=feed,
        raw_mentions=[
            _raw(1, "Vonk raised prices again https://t.co/abc"),
            _raw(2, "RT @someone: Vonk raised prices again https://t.co/xyz"),
        ],
    )
    keys = set(Mention.objects.values_list("cluster_key", flat=True))
    assert len(keys) == 1


def test_inactive_trackers_match_nothing(feed, vonk):
    vonk.is_active = False
    vonk.save()
    counts = services.mention_upsert_batch(
        source=feed, raw_mentions=[_raw(1, "Vonk is great")]
    )
    assert counts["stored"] == 0


def test_sources_due_respects_interval_rate_limits_and_kind(feed):
    now = timezone.now()
    assert services.sources_due(now=now) == [feed.pk]
    Source.objects.filter(pk=feed.pk).update(last_run_at=now - timedelta(minutes=5))
    assert services.sources_due(now=now) == []
    Source.objects.filter(pk=feed.pk).update(
        last_run_at=now - timedelta(hours=1),
        rate_limited_until=now + timedelta(minutes=1),
    )
    assert services.sources_due(now=now) == []
    Source.objects.create(name="Upload", kind="upload")
    Source.objects.filter(pk=feed.pk).update(rate_limited_until=None)
    assert services.sources_due(now=now) == [feed.pk]


def test_a_source_failing_for_hours_alerts_staff_once(feed):
    staff = StaffFactory()
    old = timezone.now() - timedelta(hours=12)
    Source.objects.filter(pk=feed.pk).update(
        created_at=old, consecutive_failures=3, last_error="HTTP 500"
    )
    assert services.sources_alert_broken() == [feed.pk]
    assert services.sources_alert_broken() == []
    assert (
        Notification.objects.filter(
            recipient=staff, kind__startswith=f"listening.source_broken:{feed.pk}"
        ).count()
        == 1
    )


# --- polling a real feed over HTTP ------------------------------------------


def _feed_source(http_server):
    url = http_server.serve_file(
        "/feed.xml", "vonk_blog.rss.xml", content_type="application/rss+xml"
    )
    return Source.objects.create(name="Energy blog", kind="rss", url=url)


def test_poll_stores_matches_records_health_and_never_refetches(http_server, vonk):
    source = _feed_source(http_server)
    first = services.source_poll(source_id=source.pk)
    assert first["stored"] >= 1
    source.refresh_from_db()
    assert source.last_success_at and source.consecutive_failures == 0
    assert source.fetched_total == first["stored"]
    second = services.source_poll(source_id=source.pk)
    assert second["stored"] == 0
    assert Mention.objects.filter(source=source).count() == first["stored"]


def test_a_failing_source_records_the_error_and_does_not_raise(http_server, vonk):
    url = http_server.route("/broken.xml", Reply(status=500, body=b"oops"))
    source = Source.objects.create(name="Broken", kind="rss", url=url)
    result = services.source_poll(source_id=source.pk)
    assert "error" in result
    source.refresh_from_db()
    assert source.consecutive_failures == 1
    assert "500" in source.last_error
    assert source.last_success_at is None


def test_a_rate_limited_source_waits_as_long_as_it_was_asked(http_server, vonk):
    url = http_server.route(
        "/busy.xml", Reply(status=429, headers={"Retry-After": "120"})
    )
    source = Source.objects.create(name="Busy", kind="rss", url=url)
    assert services.source_poll(source_id=source.pk) == {"rate_limited": 120}
    source.refresh_from_db()
    wait = (source.rate_limited_until - timezone.now()).total_seconds()
    assert 100 < wait <= 120
    assert services.source_poll(source_id=source.pk) == {"skipped": "rate_limited"}
    assert len(http_server.requests_to("/busy.xml")) == 1


def test_poll_due_task_polls_each_due_source(
    http_server, vonk, django_capture_on_commit_callbacks
):
    from listening.tasks import poll_due

    source = _feed_source(http_server)
    with django_capture_on_commit_callbacks(execute=True):
        assert poll_due() == 1
    assert Mention.objects.filter(source=source).exists()


def test_the_same_post_twice_in_one_batch_is_stored_and_counted_once(feed, vonk):
    counts = services.mention_upsert_batch(
        source=feed, raw_mentions=[_raw(1, "Vonk again"), _raw(1, "Vonk again")]
    )
    assert counts == {"stored": 1, "duplicates": 1, "unmatched": 0}
    feed.refresh_from_db()
    assert feed.fetched_total == 1


def test_stored_mentions_carry_sentiment_intent_lead_and_influence(feed, vonk, rival):
    services.mention_upsert_batch(
        source=feed,
        raw_mentions=[
            RawMention(
                external_id="a",
                text="De app van Vonk werkt alweer niet, echt waardeloos!",
                author_followers=12000,
                raw={"reblogs_count": 4},
            ),
            RawMention(
                external_id="b",
                text="Thinking of switching from Stroomco to Vonk. "
                "How much do solar panels cost with you?",
            ),
        ],
    )
    complaint = Mention.objects.get(external_id="a")
    assert complaint.language == "nl"
    assert complaint.sentiment_label == "negative"
    assert complaint.intent == "complaint"
    assert complaint.influence > 0
    assert not complaint.is_competitor
    lead = Mention.objects.get(external_id="b")
    assert lead.is_lead
    assert lead.is_competitor


def test_a_failing_source_backs_off_exponentially_up_to_a_cap(feed):
    now = timezone.now()
    feed.interval_minutes = 15
    feed.last_run_at = now - timedelta(minutes=20)
    feed.save()
    assert services.sources_due(now=now) == [feed.pk]

    feed.consecutive_failures = 1  # 30 minutes
    feed.save()
    assert services.sources_due(now=now) == []
    assert services.sources_due(now=now + timedelta(minutes=11)) == [feed.pk]

    feed.consecutive_failures = 10  # capped at 16 × 15 minutes = 4 hours
    feed.save()
    assert services.source_next_run(feed) == timedelta(hours=4)
    feed.interval_minutes = 600  # 16 × 10 hours, but never beyond a day
    assert services.source_next_run(feed) == timedelta(hours=24)


@pytest.mark.parametrize("config", [{"timeout": "abc"}, {"timeout": None}])
def test_a_source_with_settings_of_the_wrong_type_fails_visibly(config):
    source = Source.objects.create(
        name="Bad settings",
        kind="x",
        url="",
        config={**config, "bearer_token": "t", "search": ["vonk"]},
    )
    result = services.source_poll(source_id=source.pk)
    source.refresh_from_db()
    assert "float" in result["error"]
    assert source.consecutive_failures == 1 and source.last_error
