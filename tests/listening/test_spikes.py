"""Spike alerts (listening/spikes.py, listening/spike_views.py): the Poisson
tail, detection on generated streams, the explanation, notifying staff once,
and the admin pages."""

import math
from datetime import UTC, datetime, timedelta
from itertools import count
from unittest import mock

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from listening.models import Mention, Source, SpikeAlert, Tracker
from listening.spike_views import report_url
from listening.spikes import (
    poisson_tail,
    spike_summary,
    spikes_detect,
    window_for,
)
from portal.notifications.models import Notification
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

SPIKES = "/admin/listening/spikes/"
_ids = count(1)


# --- generated streams ------------------------------------------------------------


def replay(source: Source, tracker: Tracker, times, **fields) -> list[int]:
    """Store one mention of ``tracker`` per arrival time, as if fetched then.

    ``fetched_at`` is ``auto_now_add``; a replay writes the arrival times the
    mentions would have had, so the field's default is switched off while
    they are stored. ``text`` may be a function of the running number."""
    text = fields.pop("text", "Vonk levert groene stroom")
    posted_at = fields.pop("posted_at", None)
    rows = []
    for at in times:
        n = next(_ids)
        rows.append(
            Mention(
                source=source,
                external_id=f"replay-{n}",
                text=text(n) if callable(text) else text,
                posted_at=posted_at or at,
                fetched_at=at,
                cluster_key=f"c{n}",
                **fields,
            )
        )
    field = Mention._meta.get_field("fetched_at")
    with mock.patch.object(field, "auto_now_add", False):
        stored = Mention.objects.bulk_create(rows, batch_size=500)
    through = Mention.trackers.through
    through.objects.bulk_create(
        [through(mention_id=m.pk, tracker_id=tracker.pk) for m in stored],
        batch_size=500,
    )
    return [m.pk for m in stored]


def steady(start: datetime, end: datetime, per_hour: int):
    """Arrival times spread evenly over [start, end)."""
    step = timedelta(hours=1) / per_hour
    at = start
    while at < end:
        yield at
        at += step


def burst(start: datetime, n: int, minutes: int = 50):
    """``n`` arrivals within ``minutes`` after ``start``."""
    return [start + timedelta(minutes=minutes) * i / n for i in range(n)]


# A Wednesday in winter (UTC+1): the window is 09:00–10:00 UTC.
NOW = datetime(2026, 11, 18, 10, 7, 30, tzinfo=UTC)
START = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)
END = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)


@pytest.fixture
def vonk():
    tracker = Tracker.objects.create(name="Vonk", kind="brand", any_terms="vonk")
    # Old enough for the full 14-day baseline.
    Tracker.objects.filter(pk=tracker.pk).update(created_at=NOW - timedelta(days=60))
    tracker.refresh_from_db()
    return tracker


@pytest.fixture
def blog():
    return Source.objects.create(name="Energy blog", kind="rss", url="http://x.test/")


@pytest.fixture
def mastodon():
    return Source.objects.create(
        name="Mastodon NL", kind="mastodon", url="https://mastodon.test/"
    )


@pytest.fixture
def baseline(blog, vonk):
    """Two English mentions an hour for the 14 days before the window and in
    it: 672 in the baseline, so 2.0 expected per hour."""
    return replay(
        blog,
        vonk,
        steady(START - timedelta(days=14), END, per_hour=2),
        language="en",
        sentiment_label="neutral",
        text=lambda n: f"Vonk levert groene stroom, factuur {n} klopt",
    )


def storm(source, tracker, start=START, n=40):
    """A Dutch burst about an outage: every post says "storing", half "wifi";
    authors @storm (the most influential, 20 posts) and @buur."""
    ids = []
    for i, at in enumerate(burst(start, n)):
        ids += replay(
            source,
            tracker,
            [at],
            language="nl",
            sentiment_label="neutral",
            author_handle="@storm" if i % 2 == 0 else "@buur",
            influence=0.9 if i % 2 == 0 else 0.1 + i / 1000,
            text="Vonk storing, geen stroom" + (" en geen wifi" if i % 2 else ""),
        )
    return ids


@pytest.fixture
def staff_members(db):
    return [
        StaffFactory(username="eva", language="en"),
        StaffFactory(username="bram", language="nl"),
    ]


# --- the Poisson tail -------------------------------------------------------------


def test_poisson_tail_matches_hand_computed_values():
    e = math.exp(1)
    # P(X ≥ 1 | 1) = 1 − e⁻¹; P(X ≥ 3 | 1) = 1 − e⁻¹(1 + 1 + ½)
    assert poisson_tail(1, 1.0) == pytest.approx(1 - 1 / e, rel=1e-12)
    assert poisson_tail(3, 1.0) == pytest.approx(1 - 2.5 / e, rel=1e-12)
    # P(X ≥ 10 | 2) = 1 − Σ_{j<10} e⁻² 2ʲ / j!
    below = sum(math.exp(-2) * 2**j / math.factorial(j) for j in range(10))
    assert poisson_tail(10, 2.0) == pytest.approx(1 - below, rel=1e-9)
    # A small tail summed directly: P(X ≥ 10 | 0.5) ≈ 1.7097e-10.
    tail = sum(math.exp(-0.5) * 0.5**j / math.factorial(j) for j in range(10, 40))
    assert poisson_tail(10, 0.5) == pytest.approx(tail, rel=1e-12)
    # Edges: nothing is always reached; nothing expected never reaches one.
    assert poisson_tail(0, 3.0) == 1.0
    assert poisson_tail(5, 0.0) == 0.0
    assert poisson_tail(1, 1e-9) == pytest.approx(1e-9, rel=1e-6)


def test_poisson_tail_is_stable_for_large_counts():
    # At k = λ the tail is just over a half: ½ + 1/(3√(2πλ)) to first order.
    lam = 20_000
    assert poisson_tail(lam, lam) == pytest.approx(
        0.5 + 1 / (3 * math.sqrt(2 * math.pi * lam)), abs=1e-5
    )
    # 1,000 above 19,000 is 7.25 standard deviations: about 3.24e-13
    # (regularised incomplete gamma, 40 digits).
    assert poisson_tail(20_000, 19_000) == pytest.approx(3.23687464362e-13, rel=1e-8)
    # Far beyond a float: 0.0, not an error; and 1.0 far below the mean.
    assert poisson_tail(50_000, 1_000) == 0.0
    assert poisson_tail(5, 100.0) == pytest.approx(1.0)
    # The tail falls as k grows.
    values = [poisson_tail(k, 6.0) for k in range(0, 40)]
    assert all(a >= b for a, b in zip(values, values[1:], strict=False))


def test_windows_end_on_a_quarter_hour():
    assert window_for(NOW) == (START, END)
    assert window_for(END) == (START, END)
    assert window_for(END - timedelta(microseconds=1))[1] == END - timedelta(minutes=15)


# --- detection ----------------------------------------------------------------------


def test_a_burst_raises_one_volume_alert_that_explains_itself(
    baseline, mastodon, vonk, staff_members, django_capture_on_commit_callbacks
):
    burst_ids = storm(mastodon, vonk)
    with django_capture_on_commit_callbacks(execute=True):
        created = spikes_detect(now=NOW)

    assert len(created) == 1
    alert = SpikeAlert.objects.get()
    assert alert.pk == created[0]
    assert (alert.kind, alert.window_start, alert.window_end) == ("volume", START, END)
    # 2 steady + 40 burst against 672 × 60 / (14 × 24 × 60) = 2.0 expected.
    assert alert.observed == 42
    assert alert.expected == 2.0
    assert alert.p_value == pytest.approx(poisson_tail(42, 2.0))
    assert alert.p_value < 1e-30

    why = alert.explanation
    assert why["minutes"] == 60
    assert why["baseline_mentions"] == 672
    assert why["terms"][0]["term"] == "storing"
    assert why["terms"][0]["posts"] == 40
    assert why["terms"][0]["baseline_share"] == 0.0
    assert [t["term"] for t in why["terms"][:2]] == ["storing", "wifi"]
    assert why["authors"][0] == {"handle": "@storm", "posts": 20, "influence": 0.9}
    assert why["authors"][1]["handle"] == "@buur"
    assert why["languages"] == [
        {"code": "nl", "posts": 40},
        {"code": "en", "posts": 2},
    ]
    assert [(s["name"], s["kind"], s["posts"]) for s in why["sources"]] == [
        ("Mastodon NL", "mastodon", 40),
        ("Energy blog", "rss", 2),
    ]
    assert why["sentiment"] == {"neutral": 42}
    # The 20 most influential mentions: @storm's 20 posts (0.9), newest first.
    assert len(why["mentions"]) == 20
    assert set(why["mentions"]) == set(burst_ids[::2])
    assert why["mentions"] == sorted(why["mentions"], reverse=True)

    assert spike_summary(alert) == (
        "42 mentions in an hour against 2.0 expected; most about “storing”, "
        "“wifi”; mainly Dutch; mostly from Mastodon."
    )

    # Every staff member: one in-app notification and one email.
    notes = Notification.objects.filter(kind=f"listening.spike:{alert.pk}")
    assert {n.recipient.username for n in notes} == {"eva", "bram"}
    note = notes.get(recipient__username="eva")
    assert note.title == "Spike in mentions of “Vonk”"
    assert note.body == spike_summary(alert)
    assert note.url == f"{SPIKES}{alert.pk}/"
    assert note.category == Notification.Category.SYSTEM
    assert sorted(m.to[0] for m in mail.outbox) == [
        "bram@example.com",
        "eva@example.com",
    ]
    email = next(m for m in mail.outbox if m.to == ["eva@example.com"])
    assert email.subject == "Spike in mentions of “Vonk”"
    assert spike_summary(alert) in email.body
    assert f"{SPIKES}{alert.pk}/" in email.body
    alert.refresh_from_db()
    assert alert.notified_at == NOW


def test_a_steady_stream_raises_nothing(baseline, blog, vonk, staff_members):
    assert spikes_detect(now=NOW) == []
    # Four more than usual is not a spike (below the minimum of 10 mentions).
    replay(blog, vonk, burst(START, 4))
    assert spikes_detect(now=NOW) == []
    assert not SpikeAlert.objects.exists()
    assert not Notification.objects.exists()


def test_a_quiet_tracker_needs_the_minimum_count(blog, vonk):
    # No baseline at all: the floor (0.5 an hour) keeps 9 posts from alerting…
    replay(blog, vonk, burst(START, 9))
    assert spikes_detect(now=NOW) == []
    # …and 10 are enough: P(X ≥ 10 | 0.5) ≈ 1.7e-10.
    replay(blog, vonk, burst(START, 1))
    [alert_id] = spikes_detect(now=NOW)
    alert = SpikeAlert.objects.get(pk=alert_id)
    assert (alert.observed, alert.expected) == (10, 0.5)


def test_running_twice_raises_one_alert_and_notifies_each_staff_member_once(
    baseline, mastodon, vonk, staff_members, django_capture_on_commit_callbacks
):
    storm(mastodon, vonk)
    with django_capture_on_commit_callbacks(execute=True):
        first = spikes_detect(now=NOW)
        # A retry, and a run a few minutes later: the same window.
        assert spikes_detect(now=NOW) == []
        assert spikes_detect(now=NOW + timedelta(minutes=5)) == []
    assert len(first) == 1
    assert SpikeAlert.objects.count() == 1
    for member in staff_members:
        assert Notification.objects.filter(recipient=member).count() == 1
    assert len(mail.outbox) == len(staff_members)


def test_an_unsent_alert_is_notified_by_the_next_run(
    baseline, mastodon, vonk, staff_members
):
    # A run that stored the alert but died before notifying.
    storm(mastodon, vonk)
    with mock.patch("listening.spikes.spike_alerts_notify"):
        [alert_id] = spikes_detect(now=NOW)
    assert not Notification.objects.exists()
    assert spikes_detect(now=NOW) == []
    assert Notification.objects.filter(kind=f"listening.spike:{alert_id}").count() == 2


def test_a_notification_failure_leaves_the_alert_to_notify_again(
    baseline, mastodon, vonk, staff_members
):
    storm(mastodon, vonk)
    with (
        mock.patch(
            "portal.notifications.services.notification_send",
            side_effect=[None, RuntimeError("mail server gone")],
        ),
        pytest.raises(RuntimeError),
    ):
        spikes_detect(now=NOW)
    alert = SpikeAlert.objects.get()
    assert alert.notified_at is None  # the claim was rolled back
    assert spikes_detect(now=NOW) == []
    assert Notification.objects.filter(kind=f"listening.spike:{alert.pk}").count() == 2


def test_a_negative_spike_is_its_own_alert(blog, vonk, staff_members):
    # Six mentions an hour (one in twelve negative) before and in the window.
    replay(
        blog,
        vonk,
        steady(START - timedelta(days=14), END, per_hour=6),
        sentiment_label="neutral",
    )
    every_twelfth = list(
        Mention.objects.filter(fetched_at__lt=START).values_list("pk", flat=True)
    )[::12]
    Mention.objects.filter(pk__in=every_twelfth).update(sentiment_label="negative")
    # Twelve angry posts arrive.
    replay(
        blog,
        vonk,
        burst(START, 12),
        sentiment_label="negative",
        language="nl",
        text="Vonk waardeloze klantenservice, boos",
    )
    created = spikes_detect(now=NOW)
    kinds = dict(SpikeAlert.objects.values_list("kind", "pk"))
    assert "negative" in kinds and created.count(kinds["negative"]) == 1
    negative = SpikeAlert.objects.get(kind="negative")
    baseline_negative = Mention.objects.filter(
        sentiment_label="negative", fetched_at__lt=START
    ).count()
    assert negative.observed == 12
    assert negative.expected == pytest.approx(
        max(baseline_negative * 60 / (14 * 24 * 60), 0.5), abs=1e-3
    )
    assert negative.explanation["sentiment"] == {"negative": 12}
    assert negative.explanation["terms"][0]["term"] in {
        "boos",
        "klantenservice",
        "waardeloze",
    }
    assert spike_summary(negative).startswith("12 negative mentions in an hour")
    # They also make 18 mentions against 6.0 expected: P(X ≥ 18 | 6) ≈ 1.2e-4,
    # a volume spike of its own.
    assert set(kinds) == {"volume", "negative"}
    assert SpikeAlert.objects.get(kind="volume").observed == 18
    assert (
        Notification.objects.filter(kind=f"listening.spike:{kinds['negative']}").count()
        == 2
    )


def test_only_negative_posts_rise(blog, vonk):
    # Volume as usual (6 an hour), but all of the window's posts are negative.
    replay(
        blog,
        vonk,
        steady(START - timedelta(days=14), START, per_hour=6),
        sentiment_label="neutral",
    )
    replay(blog, vonk, steady(START, END, per_hour=12), sentiment_label="negative")
    [alert_id] = spikes_detect(now=NOW)
    alert = SpikeAlert.objects.get(pk=alert_id)
    # 12 against 6 is twice λ, but P(X ≥ 12 | 6) ≈ 0.02: no volume alert.
    assert (alert.kind, alert.observed, alert.expected) == ("negative", 12, 0.5)


def test_an_ongoing_spike_is_not_raised_again(baseline, mastodon, vonk):
    storm(mastodon, vonk)
    [first] = spikes_detect(now=NOW)
    # The outage goes on into the next quarter: same alert, longer.
    storm(mastodon, vonk, start=END, n=20)
    later = NOW + timedelta(minutes=15)
    assert spikes_detect(now=later) == []
    alert = SpikeAlert.objects.get()
    assert (alert.pk, alert.window_start) == (first, START)
    assert alert.window_end == END + timedelta(minutes=15)
    assert alert.observed == 42  # the window that raised it
    # Hours later it is over; a new outage is a new alert.
    assert spikes_detect(now=NOW + timedelta(hours=3)) == []
    new_start = START + timedelta(hours=4)
    storm(mastodon, vonk, start=new_start)
    [second] = spikes_detect(now=NOW + timedelta(hours=4))
    assert second != first
    assert SpikeAlert.objects.get(pk=second).window_start == new_start


def test_old_posts_arriving_now_are_no_spike(baseline, blog, vonk):
    # An import of last year's posts arrives in the window.
    replay(
        blog,
        vonk,
        burst(START, 200),
        posted_at=NOW - timedelta(days=365),
    )
    assert spikes_detect(now=NOW) == []


def test_an_inactive_tracker_is_not_watched(baseline, mastodon, vonk):
    storm(mastodon, vonk)
    Tracker.objects.filter(pk=vonk.pk).update(is_active=False)
    assert spikes_detect(now=NOW) == []


def test_a_young_tracker_is_measured_over_its_own_life(blog, mastodon, vonk):
    # Two days old, two mentions an hour since: 2.0 expected, not 2/7.
    Tracker.objects.filter(pk=vonk.pk).update(created_at=START - timedelta(days=2))
    replay(blog, vonk, steady(START - timedelta(days=2), END, per_hour=2))
    storm(mastodon, vonk)
    spikes_detect(now=NOW)
    alert = SpikeAlert.objects.get()
    assert alert.expected == 2.0
    assert alert.explanation["baseline_days"] == 2.0


def test_a_tracker_younger_than_a_day_is_not_watched_yet(mastodon, vonk):
    Tracker.objects.filter(pk=vonk.pk).update(created_at=START - timedelta(hours=20))
    storm(mastodon, vonk)
    assert spikes_detect(now=NOW) == []
    Tracker.objects.filter(pk=vonk.pk).update(created_at=START - timedelta(days=1))
    assert len(spikes_detect(now=NOW)) == 1


def test_the_task_runs_the_detector(mastodon, vonk):
    from listening.tasks import spikes_detect as task

    storm(mastodon, vonk, start=window_for(timezone.now())[0])
    assert len(task.delay().get()) == 1


# --- the summary --------------------------------------------------------------------


def test_the_summary_leaves_out_what_has_no_majority():
    tracker = Tracker(name="Vonk")
    alert = SpikeAlert(
        tracker=tracker,
        kind="volume",
        observed=1,
        expected=0.5,
        explanation={
            "minutes": 30,
            "languages": [{"code": "nl", "posts": 1}, {"code": "en", "posts": 1}],
            "sources": [
                {"name": "A", "kind": "rss", "posts": 1},
                {"name": "B", "kind": "rss", "posts": 2},
            ],
        },
    )
    # Sources come sorted by posts in real explanations; here the first has
    # a third, so no "mostly from".
    assert spike_summary(alert) == "1 mention in 30 minutes against 0.5 expected."
    alert.explanation["sources"].reverse()
    alert.explanation["languages"] = [{"code": "de", "posts": 3}]
    alert.expected = 12.4
    assert spike_summary(alert) == (
        "1 mention in 30 minutes against 12 expected; mainly German; mostly from B."
    )


# --- the admin pages ----------------------------------------------------------------


def _alert(tracker, **fields) -> SpikeAlert:
    values = {
        "kind": "volume",
        "window_start": START,
        "window_end": END,
        "observed": 42,
        "expected": 2.0,
        "p_value": 1e-30,
        "explanation": {},
    }
    values.update(fields)
    return SpikeAlert.objects.create(tracker=tracker, **values)


@pytest.fixture
def raised(baseline, mastodon, vonk):
    storm(mastodon, vonk)
    [alert_id] = spikes_detect(now=NOW)
    return SpikeAlert.objects.get(pk=alert_id)


@pytest.mark.parametrize("role", ["anonymous", "member", "superuser-not-staff"])
def test_only_staff_see_and_acknowledge_alerts(role, vonk):
    alert = _alert(vonk)
    client = Client()
    if role == "member":
        client.force_login(UserFactory(username="sanne"))
    elif role == "superuser-not-staff":
        client.force_login(UserFactory(username="boss", is_superuser=True))
    for url in (SPIKES, f"{SPIKES}{alert.pk}/"):
        response = client.get(url)
        assert response.status_code in (302, 403)
        assert b"data-spike-alerts" not in response.content
        assert b"data-summary" not in response.content
        if role == "anonymous":
            assert "/admin/login/" in response["Location"]
    assert client.post(f"{SPIKES}{alert.pk}/acknowledge/").status_code in (302, 403)
    alert.refresh_from_db()
    assert alert.acknowledged_at is None


def test_staff_list_alerts_newest_first(
    staff_client, vonk, django_assert_max_num_queries
):
    rival = Tracker.objects.create(name="Rival", kind="competitor")
    for hour in range(30):
        _alert(
            vonk if hour % 2 else rival,
            window_start=START - timedelta(hours=hour),
            window_end=END - timedelta(hours=hour),
            acknowledged_at=NOW if hour % 3 == 0 else None,
            acknowledged_by=UserFactory() if hour == 0 else None,
        )
    with django_assert_max_num_queries(10):
        response = staff_client.get(SPIKES)
    assert response.status_code == 200
    html = response.content.decode()
    rows = html.count("data-alert=")
    assert rows == 30
    newest = SpikeAlert.objects.get(window_start=START)
    older = SpikeAlert.objects.get(window_start=START - timedelta(hours=1))
    assert html.index(f'data-alert="{newest.pk}"') < html.index(
        f'data-alert="{older.pk}"'
    )
    response = staff_client.get(SPIKES, {"state": "open"})
    assert response.content.decode().count("data-alert=") == 20


def test_the_alert_page_explains_it_with_links(
    staff_client, raised, django_assert_max_num_queries
):
    url = f"{SPIKES}{raised.pk}/"
    with django_assert_max_num_queries(10):
        response = staff_client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "42 mentions in an hour against 2.0 expected" in html
    assert "42 in the first 60 minutes" in html
    assert "672 mentions in the 14 days before" in html
    assert "storing" in html and "@storm" in html and "Dutch" in html
    for mention_id in raised.explanation["mentions"]:
        assert f"/admin/listening/inbox/{mention_id}/" in html
    assert (
        f"/admin/insight/listening/?since=2026-11-18&amp;until=2026-11-18&amp;"
        f"trackers={raised.tracker_id}" in html
    )


def test_the_alert_page_survives_expired_mentions(staff_client, raised):
    Mention.objects.filter(pk__in=raised.explanation["mentions"][:5]).delete()
    response = staff_client.get(f"{SPIKES}{raised.pk}/")
    assert response.status_code == 200
    assert response.content.decode().count("data-mention=") == 15
    assert "5 mentions have expired since." in response.content.decode()


def test_the_report_link_uses_local_days():
    # 23:30–00:30 in Amsterdam (UTC+1 in winter) spans two local days…
    alert = SpikeAlert(
        tracker_id=7,
        window_start=datetime(2026, 1, 14, 22, 30, tzinfo=UTC),
        window_end=datetime(2026, 1, 14, 23, 30, tzinfo=UTC),
    )
    assert report_url(alert) == (
        "/admin/insight/listening/?since=2026-01-14&until=2026-01-15&trackers=7"
    )
    # …and a window ending exactly at local midnight stays on its day (UTC+2
    # in summer).
    alert.window_start = datetime(2026, 7, 14, 21, 0, tzinfo=UTC)
    alert.window_end = datetime(2026, 7, 14, 22, 0, tzinfo=UTC)
    assert report_url(alert).startswith(
        "/admin/insight/listening/?since=2026-07-14&until=2026-07-14"
    )


def test_acknowledging_needs_a_post_with_csrf_and_keeps_the_first(staff, vonk):
    alert = _alert(vonk)
    url = f"{SPIKES}{alert.pk}/acknowledge/"
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(staff)
    assert strict.post(url).status_code == 403
    client = Client()
    client.force_login(staff)
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == f"{SPIKES}{alert.pk}/"
    alert.refresh_from_db()
    assert alert.acknowledged_by == staff
    first = alert.acknowledged_at
    other = StaffFactory(username="piet")
    client.force_login(other)
    client.post(url)
    alert.refresh_from_db()
    assert (alert.acknowledged_by, alert.acknowledged_at) == (staff, first)
    page = client.get(f"{SPIKES}{alert.pk}/").content.decode()
    assert "acknowledge/" not in page


def test_the_dashboard_lists_unacknowledged_alerts_of_the_week(
    staff_client, vonk, django_assert_max_num_queries
):
    fresh = _alert(vonk)
    seen = _alert(vonk, kind="negative", acknowledged_at=timezone.now())
    old = _alert(vonk, window_start=START - timedelta(days=1))
    SpikeAlert.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=8)
    )
    response = staff_client.get("/admin/")
    html = response.content.decode()
    assert "data-spike-panel" in html
    assert f"{SPIKES}{fresh.pk}/" in html
    assert f"{SPIKES}{seen.pk}/" not in html
    assert f"{SPIKES}{old.pk}/" not in html
    # The Insight menu links the list.
    assert SPIKES in html.replace(f"{SPIKES}{fresh.pk}/", "")


def test_the_dashboard_panel_is_one_query(rf, staff, vonk, django_assert_num_queries):
    from listening.wagtail_hooks import SpikeAlertsPanel

    _alert(vonk)
    request = rf.get("/admin/")
    request.user = staff
    with django_assert_num_queries(1):
        html = SpikeAlertsPanel().render_html({"request": request})
    assert "data-spike-panel" in html
