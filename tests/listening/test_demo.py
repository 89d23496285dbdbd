"""The listening demo: trackers, switched-off sources, enriched posts, and two
months of history that make the listening, care and invitation reports
meaningful."""

from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import timezone

from listening import demo
from listening.models import (
    ConsentEvent,
    Invitation,
    Mention,
    MentionReply,
    MentionStatus,
    Source,
    SpikeAlert,
    Tracker,
)
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def test_demo_seed_is_enriched_and_idempotent():
    demo.seed(home_en=None, nl=None, staff=None, members={})
    total = Mention.objects.count()
    demo.seed(home_en=None, nl=None, staff=None, members={})

    assert Tracker.objects.count() == len(demo.TRACKERS)
    assert not Source.objects.filter(enabled=True).exists()
    mentions = Mention.objects.all()
    assert mentions.count() == total
    assert mentions.filter(source__name="Demo posts").count() == len(demo.POSTS)
    # About two months of history next to the hand-written posts.
    assert total > len(demo.POSTS) + 100
    oldest = mentions.order_by("posted_at").first().posted_at
    assert timezone.now() - oldest > timedelta(days=demo.HISTORY_DAYS - 2)
    assert set(mentions.values_list("language", flat=True)) == {"en", "nl"}
    assert mentions.filter(intent="question").exists()
    assert mentions.filter(intent="complaint").exists()
    assert mentions.filter(is_lead=True).exists()
    assert mentions.filter(is_competitor=True).exists()
    assert mentions.filter(sentiment_label="negative").exists()
    assert mentions.filter(sentiment_label="positive").exists()
    assert mentions.filter(trackers__name="Stroomco").count() > 20  # share of voice
    # The repost and the news post share a cluster.
    news = mentions.get(external_id="demo-15")
    assert mentions.get(external_id="demo-16").cluster_key == news.cluster_key
    # Without staff nobody answered.
    assert not mentions.filter(first_response_at__isnull=False).exists()


def test_demo_history_has_care_work_invitations_and_a_spike(home):
    staff = StaffFactory(username="community", display_name="Eva de Boer")
    colleague = StaffFactory(username="daan", display_name="Daan", is_superuser=False)
    members = {"daan": colleague}

    demo.seed(home_en=None, nl=None, staff=staff, members=members)
    counts = (
        Mention.objects.count(),
        MentionReply.objects.count(),
        Invitation.objects.count(),
        ConsentEvent.objects.count(),
    )
    demo.seed(home_en=None, nl=None, staff=staff, members=members)
    assert (
        Mention.objects.count(),
        MentionReply.objects.count(),
        Invitation.objects.count(),
        ConsentEvent.objects.count(),
    ) == counts

    now = timezone.now()
    answered = Mention.objects.filter(first_response_at__isnull=False)
    assert answered.count() > 40
    # The response fields agree with each other and with the reply rows.
    for mention in answered:
        assert mention.first_response_by_id in (staff.pk, colleague.pk)
        assert mention.first_response_seconds == int(
            (mention.first_response_at - mention.fetched_at).total_seconds()
        )
        assert mention.first_response_at <= now
    assert answered.filter(first_response_by=colleague).exists()
    assert (
        MentionReply.objects.filter(
            mention__in=answered, created_at=F("mention__first_response_at")
        ).count()
        == answered.count()
    )
    on_time = answered.filter(first_response_at__lte=F("due_at")).count()
    late = answered.filter(first_response_at__gt=F("due_at")).count()
    assert on_time > late > 0
    assert Mention.objects.filter(status=MentionStatus.IGNORED).count() > 5
    overdue = Mention.objects.filter(
        status=MentionStatus.NEW, first_response_at__isnull=True, due_at__lt=now
    )
    assert overdue.filter(posted_at__lt=now - timedelta(days=2)).exists()
    # Posts arrived when they were posted (the SLA clock starts then).
    assert not Mention.objects.exclude(fetched_at=F("posted_at")).exists()
    # A spread of days, not one afternoon.
    days = {m.posted_at.date() for m in Mention.objects.only("posted_at")}
    assert len(days) > 40

    # Invitations through the consent ledger, at every step of the funnel.
    statuses = set(Invitation.objects.values_list("status", flat=True))
    assert {"offered", "opened", "joined", "contributed", "opted_out"} <= statuses
    assert not Invitation.objects.filter(created_at__gt=now).exists()
    for invitation in Invitation.objects.exclude(opened_at=None):
        assert invitation.created_at < invitation.opened_at
    from portal.accounts.models import User

    assert User.objects.filter(signup_source="invitation").count() == 2

    # The burst in the last hour raises a spike alert for the brand.
    assert Mention.objects.filter(external_id__startswith="demo-b").count() == (
        demo.BURST_SIZE
    )
    assert SpikeAlert.objects.filter(tracker__name="Vonk").exists()
