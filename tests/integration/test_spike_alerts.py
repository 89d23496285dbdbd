"""Spike alerts fire on a real worker: a generated burst is replayed into
PostgreSQL, ``listening.spikes_detect`` goes through Redis to a Celery worker
(twice, as two beat ticks or a retry would), and staff get one alert, one
in-app notification each and one email each."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from listening.models import Source, SpikeAlert, Tracker
from listening.spikes import window_for
from listening.tasks import spikes_detect
from portal.core.models import TaskPing
from portal.core.tasks import health_ping
from portal.notifications.models import Notification
from tests.factories import StaffFactory, UserFactory
from tests.listening.test_spikes import replay, steady

from .conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

BURST = 60


def test_a_replayed_burst_raises_one_alert_and_notifies_staff_once(worker):
    staff = [StaffFactory(language="en"), StaffFactory(language="nl")]
    member = UserFactory()
    tracker = Tracker.objects.create(name="Vonk", kind="brand", any_terms="vonk")
    Tracker.objects.filter(pk=tracker.pk).update(
        created_at=timezone.now() - timedelta(days=60)
    )
    blog = Source.objects.create(name="Energy blog", kind="rss", url="http://x.test/")
    mastodon = Source.objects.create(name="Mastodon NL", kind="mastodon")

    # The worker may run in the next quarter hour: the burst lies in the part
    # of this window that the next one shares, so either run sees all of it.
    start, end = window_for(timezone.now())
    replay(
        blog,
        tracker,
        steady(start - timedelta(days=14), start, per_hour=2),
        language="en",
        sentiment_label="neutral",
    )
    burst_start = end - timedelta(minutes=45)
    replay(
        mastodon,
        tracker,
        [burst_start + timedelta(minutes=40) * i / BURST for i in range(BURST)],
        language="nl",
        sentiment_label="neutral",
        author_handle="@storm",
        text=lambda n: f"Vonk storing, geen stroom in Utrecht ({n})",
    )

    # Two ticks, then a marker on the same queue: the solo worker takes the
    # ingest queue in order, so once the marker ran both detections have.
    spikes_detect.delay()
    spikes_detect.delay()
    token = uuid.uuid4().hex
    health_ping.apply_async(args=[token], queue="ingest")
    assert wait_for(lambda: TaskPing.objects.filter(token=token).exists(), 60)

    alert = SpikeAlert.objects.get()
    assert alert.kind == "volume"
    assert alert.observed == BURST
    # 672 baseline mentions over 14 days: 2.0 an hour.
    assert alert.expected == pytest.approx(2.0, abs=0.01)
    # "storing" and "utrecht" are in every burst post and never before; ties
    # go alphabetically.
    assert [t["term"] for t in alert.explanation["terms"][:2]] == [
        "storing",
        "utrecht",
    ]
    assert alert.explanation["authors"][0]["handle"] == "@storm"
    assert alert.notified_at is not None

    kind = f"listening.spike:{alert.pk}"
    for user in staff:
        assert Notification.objects.filter(recipient=user, kind=kind).count() == 1
    assert not Notification.objects.filter(recipient=member).exists()
    # The emails leave through the notify queue on the same worker.
    assert wait_for(
        lambda: (
            Notification.objects.filter(kind=kind, emailed_at__isnull=False).count()
            == len(staff)
        ),
        60,
    )
