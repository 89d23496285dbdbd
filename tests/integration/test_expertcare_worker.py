"""Expertcare's on-commit work and its periodic sweep on a real worker."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from experts.models import ExpertProfile, Question, RoutingRound
from experts.services import question_ask
from experts.tasks import sla_sweep
from portal.core.models import TaskPing
from portal.core.services import health_ping_enqueue
from portal.notifications.models import Notification
from tests.factories import StaffFactory, UserFactory

from .conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def billing(community_settings):
    return community_settings.focus_areas.get(slug="billing")


def test_routed_expert_is_notified_by_the_worker(worker, billing):
    expert = ExpertProfile.objects.create(user=UserFactory(), daily_cap=5)
    expert.focus_areas.set([billing])
    with transaction.atomic():
        question = question_ask(
            author=UserFactory(),
            title="Why did my advance payment go up?",
            body="My monthly advance went from 90 to 130 euro without notice.",
            focus_area=billing,
        )
    assert wait_for(
        lambda: Notification.objects.filter(
            recipient=expert.user, kind=f"experts.routed:{question.pk}"
        ).exists()
    )


def test_sla_sweep_on_the_worker_escalates_once(worker, billing):
    staff = StaffFactory()
    with transaction.atomic():
        question = question_ask(
            author=UserFactory(),
            title="Nobody answers my question about the meter",
            body="My smart meter has shown the same reading for a week now.",
            focus_area=billing,
        )
    Question.objects.filter(pk=question.pk).update(
        created_at=timezone.now() - timedelta(days=3),
        first_answer_due_at=timezone.now() - timedelta(days=2),
    )
    # Two sweeps at once, as two beat ticks or two workers might run them.
    sla_sweep.delay()
    sla_sweep.delay()
    # The solo worker takes tasks in order: once a ping sent after both sweeps
    # has run, both sweeps (and the notification they enqueued) have too.
    with transaction.atomic():
        marker = health_ping_enqueue()
    assert wait_for(lambda: TaskPing.objects.filter(token=marker).exists())
    assert wait_for(
        lambda: Notification.objects.filter(
            recipient=staff, kind=f"experts.overdue:{question.pk}"
        ).exists()
    )
    question.refresh_from_db()
    assert question.escalated_at is not None
    assert (
        Notification.objects.filter(kind=f"experts.overdue:{question.pk}").count() == 1
    )
    assert RoutingRound.objects.filter(question=question).count() == 1
