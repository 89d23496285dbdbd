from datetime import UTC, time, timedelta

import pytest
from django.utils import timezone

from experts.models import ExpertStatus, RoutingDecision, RoutingRound
from experts.routing import expert_availability, in_quiet_hours, question_route
from portal.notifications.models import Notification

from .conftest import make_answer, make_expert, make_question


def _asked(question) -> set[str]:
    return set(
        RoutingDecision.objects.filter(question=question).values_list(
            "expert__user__username", flat=True
        )
    )


def test_new_question_is_routed_to_experts_in_its_area(
    questions_page, member, billing, solar, django_capture_on_commit_callbacks
):
    make_expert(billing, username="bill")
    make_expert(solar, username="sol")
    with django_capture_on_commit_callbacks(execute=True):
        question = make_question(member, billing)
    assert _asked(question) == {"bill"}
    decision = RoutingDecision.objects.get(question=question)
    assert decision.reasons["area"] is True
    assert Notification.objects.filter(
        recipient=decision.expert.user, kind=f"experts.routed:{question.pk}"
    ).exists()


def test_paused_left_and_removed_experts_are_never_routed(
    questions_page, member, billing
):
    make_expert(billing, username="paused", status=ExpertStatus.PAUSED)
    make_expert(billing, username="left", status=ExpertStatus.LEFT)
    make_expert(billing, username="removed", status=ExpertStatus.REMOVED)
    question = make_question(member, billing)
    assert _asked(question) == set()
    round_ = RoutingRound.objects.get(question=question)
    assert round_.skipped == {"paused": 1}


def test_a_pause_with_an_end_date_in_the_past_no_longer_blocks(billing):
    profile = make_expert(
        billing,
        status=ExpertStatus.PAUSED,
        paused_until=timezone.now() - timedelta(hours=1),
    )
    assert expert_availability(profile, sent_today=0) is None


def test_quiet_hours_wrap_around_midnight(billing):
    profile = make_expert(
        billing, quiet_hours_start=time(22), quiet_hours_end=time(7), timezone="UTC"
    )
    day = timezone.now().replace(hour=12, minute=0)
    assert not in_quiet_hours(profile, day)
    assert in_quiet_hours(profile, day.replace(hour=23))
    assert in_quiet_hours(profile, day.replace(hour=3))
    assert not in_quiet_hours(profile, day.replace(hour=7))


def test_experts_in_quiet_hours_are_skipped(questions_page, member, billing):
    now = timezone.now().astimezone(UTC)
    start = (now - timedelta(hours=1)).time().replace(second=0, microsecond=0)
    end = (now + timedelta(hours=1)).time().replace(second=0, microsecond=0)
    make_expert(billing, quiet_hours_start=start, quiet_hours_end=end, timezone="UTC")
    question = make_question(member, billing)
    assert RoutingRound.objects.get(question=question).skipped == {"quiet_hours": 1}


def test_daily_cap_stops_an_expert_from_being_spammed(
    questions_page, member, other_member, billing
):
    make_expert(billing, username="busy", daily_cap=2)
    asked = [
        make_question(member, billing, title=f"Question number {i} about my bill")
        for i in range(3)
    ]
    assert [bool(_asked(q)) for q in asked] == [True, True, False]
    assert RoutingRound.objects.filter(question=asked[2]).get().skipped == {
        "daily_cap": 1
    }


def test_the_asker_is_never_routed_their_own_question(questions_page, billing):
    expert = make_expert(billing, username="asker")
    question = make_question(expert.user, billing)
    assert _asked(question) == set()


def test_routing_prefers_experts_whose_accepted_answers_resemble_the_question(
    questions_page, member, other_member, billing, settings
):
    settings.SEMANTIC_EMBEDDINGS_ENABLED = True
    heat = make_expert(billing, username="heatpump", daily_cap=50)
    make_expert(billing, username="generalist", daily_cap=50)
    earlier = make_question(
        other_member,
        billing,
        title="My heat pump uses a lot of power in winter",
        body="The heat pump runs all night and my power bill doubled in January.",
    )
    from experts.services import answer_accept
    from portal import semantic

    accepted = make_answer(
        earlier,
        heat.user,
        body="Lower the flow temperature of the heat pump to 35 degrees.",
    )
    answer_accept(answer=accepted, by=other_member)
    semantic.index_ids(kind="answer", ids=[accepted.pk])  # as the task would
    question = make_question(
        member,
        billing,
        title="Heat pump power use is very high",
        body="Since winter started my heat pump uses far more power than expected.",
    )
    decisions = list(RoutingDecision.objects.filter(question=question))
    first = min(decisions, key=lambda d: d.rank)
    assert first.expert == heat
    assert first.reasons["similarity"] > 0


def test_load_spreads_questions_across_equal_experts(questions_page, member, billing):
    from experts.reputation import programme_settings

    programme = programme_settings()
    programme.experts_per_question = 1
    programme.save()
    make_expert(billing, username="a", daily_cap=50)
    make_expert(billing, username="b", daily_cap=50)
    asked = [
        make_question(member, billing, title=f"Question number {i} about my bill")
        for i in range(4)
    ]
    firsts = [
        RoutingDecision.objects.filter(question=q, rank=1)
        .values_list("expert__user__username", flat=True)
        .get()
        for q in asked
    ]
    # One expert per question: the open, unanswered load alternates them.
    assert firsts == ["a", "b", "a", "b"]


def test_rerouting_never_asks_the_same_expert_twice(questions_page, member, billing):
    make_expert(billing, username="only", daily_cap=50)
    question = make_question(member, billing)
    again = question_route(question=question, trigger=RoutingRound.Trigger.MANUAL)
    assert again.decisions.count() == 0
    assert RoutingDecision.objects.filter(question=question).count() == 1


@pytest.mark.parametrize("limit", [1, 3])
def test_routing_asks_at_most_the_configured_number(
    questions_page, member, billing, limit
):
    for i in range(5):
        make_expert(billing, username=f"e{i}", daily_cap=50)
    question = make_question(member, billing)
    assert RoutingDecision.objects.filter(question=question).count() == 3
    round_ = question_route(
        question=question, trigger=RoutingRound.Trigger.MANUAL, limit=limit
    )
    assert round_.decisions.count() == min(limit, 2)


def test_experts_outside_the_area_only_fill_places_the_area_cannot(
    questions_page, member, other_member, billing, solar
):
    from experts.services import answer_accept
    from portal import semantic

    sol = make_expert(solar, username="sol", daily_cap=50)
    bill = make_expert(billing, username="bill", daily_cap=50)
    earlier = make_question(
        other_member,
        solar,
        title="Why is my solar bill credit so low?",
        body="The feed-in credit on my bill is lower than my panels produced.",
    )
    accepted = make_answer(earlier, sol.user, body="The feed-in tariff changed.")
    answer_accept(answer=accepted, by=other_member)
    semantic.index_ids(kind="answer", ids=[accepted.pk])
    question = make_question(member, billing, title="Why is my bill so high?")
    ranked = list(RoutingDecision.objects.filter(question=question).order_by("rank"))
    assert [d.expert for d in ranked] == [bill, sol]
    assert ranked[1].reasons["area"] is False
