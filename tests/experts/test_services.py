from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from experts import services
from experts.models import (
    Answer,
    ApplicationStatus,
    BadgeAward,
    ExpertProfile,
    ExpertStatus,
    PrivateCase,
    Question,
    QuestionStatus,
    Reputation,
    RoutingRound,
)
from experts.reputation import ledger_total, programme_settings
from portal.notifications.models import Notification
from tests.factories import UserFactory

from .conftest import make_answer, make_expert, make_question

# --- asking and answering -------------------------------------------------


def test_asking_sets_the_response_target_from_the_focus_area(
    questions_page, member, billing
):
    billing.first_answer_target_hours = 4
    billing.save()
    question = make_question(member, billing)
    expected = question.created_at + timedelta(hours=4)
    assert abs((question.first_answer_due_at - expected).total_seconds()) < 5


def test_asking_without_a_focus_area_uses_the_site_target(
    questions_page, member, community_settings
):
    question = make_question(member, None)
    target = community_settings.first_answer_target_hours
    assert question.first_answer_due_at - question.created_at == pytest.approx(
        timedelta(hours=target), abs=timedelta(seconds=5)
    )


@pytest.mark.parametrize(
    ("title", "body", "field"),
    [("Short?", "Long enough body text for the question.", "title"),
     ("A question with a proper title", "too short", "body"),
     ("x" * 200, "Long enough body text for the question.", "title")],
)  # fmt: skip
def test_bad_question_text_is_rejected_per_field(
    questions_page, member, title, body, field
):
    with pytest.raises(ValidationError) as info:
        services.question_ask(author=member, title=title, body=body)
    assert field in info.value.message_dict


def test_hostile_text_is_sanitised(questions_page, member, billing, expert):
    question = make_question(
        member,
        billing,
        title="<script>alert(1)</script> How do I pay?",
        body="<img src=x onerror=alert(1)> [click](javascript:alert(1)) details",
    )
    assert "<script" not in question.body_html
    assert "<img" not in question.body_html
    assert 'href="javascript' not in question.body_html
    answer = make_answer(question, expert.user, body="<script>x()</script> pay now")
    assert "<script" not in answer.body_html


def test_anonymous_cannot_ask_or_answer(questions_page, question):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        services.question_ask(
            author=AnonymousUser(), title="A long enough title", body="x" * 30
        )
    with pytest.raises(PermissionDenied):
        services.answer_post(question=question, author=AnonymousUser(), body="x" * 30)


def test_first_answer_records_time_and_who(question, expert):
    answer = make_answer(question, expert.user)
    question.refresh_from_db()
    assert question.first_answered_at == answer.created_at or question.first_answered_at
    assert question.first_answer_seconds is not None
    assert question.first_answer_by_expert is True
    assert question.status == QuestionStatus.ANSWERED
    assert answer.by_expert


def test_the_askers_own_reply_is_not_a_first_answer(question, member):
    make_answer(question, member, body="Some more details from me, the asker.")
    question.refresh_from_db()
    assert question.first_answered_at is None
    assert question.status == QuestionStatus.OPEN


def test_only_staff_answer_officially(question, member, other_member, staff):
    with pytest.raises(PermissionDenied):
        make_answer(question, other_member, official=True)
    answer = make_answer(question, staff, official=True)
    assert answer.is_official
    question.refresh_from_db()
    assert question.first_answer_by_expert is False


# --- accepting, helpful votes, verification, reputation -------------------


def test_only_the_asker_or_staff_can_accept(answer, other_member, expert, staff):
    with pytest.raises(PermissionDenied):
        services.answer_accept(answer=answer, by=other_member)
    with pytest.raises(PermissionDenied):
        services.answer_accept(answer=answer, by=expert.user)
    services.answer_accept(answer=answer, by=staff)
    assert Question.objects.get(pk=answer.question_id).status == QuestionStatus.SOLVED


def test_accepting_another_answer_moves_the_points(question, member, expert):
    other = make_expert(question.focus_area, username="second")
    first = make_answer(question, expert.user)
    second = make_answer(question, other.user, body="Another good answer here.")
    services.answer_accept(answer=first, by=member)
    services.answer_accept(answer=second, by=member)
    first.refresh_from_db()
    assert not first.is_accepted
    assert Reputation.objects.get(user=expert.user).points == 0
    assert Reputation.objects.get(user=other.user).points == 15
    question.refresh_from_db()
    assert question.accepted_answer_id == second.pk


def test_accept_unaccept_farming_earns_nothing_extra(answer, member, expert):
    for _ in range(5):
        services.answer_accept(answer=answer, by=member)
        services.answer_unaccept(answer=answer, by=member)
    services.answer_accept(answer=answer, by=member)
    services.answer_accept(answer=answer, by=member)  # twice: no double points
    rep = Reputation.objects.get(user=expert.user)
    assert rep.points == 15
    assert rep.accepted_count == 1
    assert ledger_total(expert.user) == 15


def test_accepting_your_own_answer_earns_nothing(question, member):
    own = make_answer(question, member, body="I found it myself: call support.")
    services.answer_accept(answer=own, by=member)
    assert not Reputation.objects.filter(user=member, points__gt=0).exists()


def test_helpful_votes_count_once_and_never_for_yourself(answer, expert, member):
    voter = UserFactory()
    assert services.answer_helpful(answer=answer, user=voter) is True
    assert services.answer_helpful(answer=answer, user=voter) is False
    with pytest.raises(ValidationError):
        services.answer_helpful(answer=answer, user=expert.user)
    answer.refresh_from_db()
    assert answer.helpful_count == 1
    assert services.answer_unhelpful(answer=answer, user=voter) is True
    answer.refresh_from_db()
    assert answer.helpful_count == 0
    assert Reputation.objects.get(user=expert.user).points == 0


def test_verification_records_who_and_when_and_can_be_withdrawn(
    answer, staff, member, expert
):
    with pytest.raises(PermissionDenied):
        services.answer_verify(answer=answer, by=member)
    services.answer_verify(answer=answer, by=staff)
    answer.refresh_from_db()
    assert answer.verified_by == staff and answer.verified_at
    services.answer_verify(answer=answer, by=staff, verified=False, note="outdated")
    answer.refresh_from_db()
    assert answer.verified_at is None
    events = list(answer.verifications.values_list("verified", "by", "note"))
    assert events == [(False, staff.pk, "outdated"), (True, staff.pk, "")]
    assert Reputation.objects.get(user=expert.user).points == 0


def test_level_up_notifies_and_badges_are_awarded(
    answer, member, staff, expert, django_capture_on_commit_callbacks
):
    programme = programme_settings()
    programme.points_accepted = 60
    programme.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.answer_accept(answer=answer, by=member)
    assert Notification.objects.filter(
        recipient=expert.user, kind="experts.level:50"
    ).exists()
    badges = set(
        BadgeAward.objects.filter(user=expert.user).values_list("badge", flat=True)
    )
    assert {"first_answer", "first_accepted"} <= badges


def test_hiding_an_accepted_answer_takes_its_points_back(answer, member, staff, expert):
    services.answer_accept(answer=answer, by=member)
    services.answer_verify(answer=answer, by=staff)
    services.answer_set_hidden(answer=answer, by=staff, hidden=True)
    rep = Reputation.objects.get(user=expert.user)
    assert rep.points == 0 == ledger_total(expert.user)


# --- the expert programme -------------------------------------------------


def test_apply_requires_guidelines_opt_in_and_motivation(member, billing):
    with pytest.raises(ValidationError) as info:
        services.expert_apply(
            user=member,
            focus_areas=[],
            motivation="short",
            accepts_guidelines=False,
            opts_in=False,
        )
    assert set(info.value.message_dict) == {
        "focus_areas",
        "motivation",
        "accepts_guidelines",
        "opts_in",
    }


def _apply(user, *areas):
    return services.expert_apply(
        user=user,
        focus_areas=areas,
        motivation="I have had solar panels for ten years and like helping.",
        accepts_guidelines=True,
        opts_in=True,
    )


def test_staff_approve_an_application_and_the_member_becomes_an_expert(
    member, billing, staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        application = _apply(member, billing)
    assert application.status == ApplicationStatus.PENDING
    assert Notification.objects.filter(
        recipient=staff, kind=f"experts.application:{application.pk}"
    ).exists()
    with pytest.raises(ValidationError):
        _apply(member, billing)  # one pending application at a time
    with django_capture_on_commit_callbacks(execute=True):
        services.expert_application_decide(
            application=application, by=staff, approve=True
        )
    profile = ExpertProfile.objects.get(user=member)
    assert profile.status == ExpertStatus.ACTIVE
    assert list(profile.focus_areas.all()) == [billing]
    assert Notification.objects.filter(
        recipient=member, kind=f"experts.decided:{application.pk}"
    ).exists()


def test_members_cannot_decide_applications(member, other_member, billing):
    application = _apply(member, billing)
    with pytest.raises(PermissionDenied):
        services.expert_application_decide(
            application=application, by=other_member, approve=True
        )


def test_declined_application_creates_no_expert(member, billing, staff):
    application = _apply(member, billing)
    services.expert_application_decide(
        application=application, by=staff, approve=False, note="Not yet"
    )
    assert not ExpertProfile.objects.filter(user=member).exists()


def test_auto_qualify_approves_members_with_enough_accepted_answers(
    questions_page, member, other_member, billing
):
    programme = programme_settings()
    programme.auto_qualify = True
    programme.auto_qualify_points = 30
    programme.auto_qualify_accepted_answers = 2
    programme.save()
    for i in range(2):
        question = make_question(
            other_member, billing, title=f"Question {i} about my energy bill"
        )
        services.answer_accept(
            answer=make_answer(question, member, body="Here is the answer, clearly."),
            by=other_member,
        )
    application = _apply(member, billing)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED
    assert application.auto_qualified
    assert ExpertProfile.objects.get(user=member).is_current


def test_auto_qualify_needs_the_answers_in_that_area(
    questions_page, member, other_member, billing, solar
):
    programme = programme_settings()
    programme.auto_qualify = True
    programme.auto_qualify_points = 0
    programme.auto_qualify_accepted_answers = 1
    programme.save()
    question = make_question(other_member, billing)
    services.answer_accept(
        answer=make_answer(question, member, body="Here is the answer, clearly."),
        by=other_member,
    )
    assert _apply(member, solar).status == ApplicationStatus.PENDING


def test_pause_resume_and_leave(expert, billing):
    user = expert.user
    services.expert_pause(user=user, until=timezone.now() + timedelta(days=7))
    assert ExpertProfile.objects.get(pk=expert.pk).status == ExpertStatus.PAUSED
    services.expert_resume(user=user)
    assert ExpertProfile.objects.get(pk=expert.pk).status == ExpertStatus.ACTIVE
    services.expert_leave(user=user)
    assert services.expert_profile_current(user) is None
    with pytest.raises(PermissionDenied):
        services.expert_pause(user=user)


def test_answers_after_leaving_carry_no_expert_badge(question, expert):
    services.expert_leave(user=expert.user)
    assert not make_answer(question, expert.user).by_expert


def test_preferences_are_validated(expert):
    from datetime import time

    with pytest.raises(ValidationError) as info:
        services.expert_preferences_update(
            user=expert.user,
            quiet_hours_start=time(22),
            quiet_hours_end=None,
            daily_cap=0,
            timezone_name="Mars/Olympus",
        )
    assert set(info.value.message_dict) == {"quiet_hours_end", "daily_cap", "timezone"}


def test_paused_experts_resume_when_their_pause_ends(expert):
    expert.status = ExpertStatus.PAUSED
    expert.paused_until = timezone.now() - timedelta(minutes=1)
    expert.save()
    assert services.experts_resume_due() == 1
    expert.refresh_from_db()
    assert expert.status == ExpertStatus.ACTIVE


# --- response-time target -------------------------------------------------


def test_sla_sweep_reroutes_at_half_and_escalates_at_the_target(
    questions_page, member, billing, staff, django_capture_on_commit_callbacks
):
    for i in range(4):
        make_expert(billing, username=f"expert{i}", daily_cap=10)
    question = make_question(member, billing)
    assert question.routing_decisions.count() == 3
    created, due = question.created_at, question.first_answer_due_at
    early = created + (due - created) * 0.4
    assert services.sla_sweep(now=early) == {"rerouted": 0, "escalated": 0}
    half = created + (due - created) * 0.6
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sla_sweep(now=half) == {"rerouted": 1, "escalated": 0}
        assert services.sla_sweep(now=half) == {"rerouted": 0, "escalated": 0}
    rounds = list(question.routing_rounds.values_list("trigger", flat=True))
    assert rounds == [RoutingRound.Trigger.NEW, RoutingRound.Trigger.REROUTE]
    assert question.routing_decisions.count() == 4
    late = due + timedelta(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sla_sweep(now=late)["escalated"] == 1
        assert services.sla_sweep(now=late)["escalated"] == 0
    assert (
        Notification.objects.filter(
            recipient=staff, kind=f"experts.overdue:{question.pk}"
        ).count()
        == 1
    )


def test_answered_questions_are_left_alone_by_the_sweep(question, answer):
    late = question.first_answer_due_at + timedelta(hours=1)
    assert services.sla_sweep(now=late) == {"rerouted": 0, "escalated": 0}


# --- private cases, conversion --------------------------------------------


def test_escalating_to_private_redacts_and_keeps_the_original(
    questions_page, member, billing, staff, expert, django_capture_on_commit_callbacks
):
    question = make_question(
        member,
        billing,
        title="Wrong bill for order 123456789",
        body="Call me on 06-12345678 or mail sanne@example.nl, "
        "IBAN NL91ABNA0417164300.",
    )
    answer = make_answer(question, expert.user, body="Sanne, mail me at j@vonk.example")
    with django_capture_on_commit_callbacks(execute=True):
        case = services.question_make_private(
            question=question, by=staff, reason=PrivateCase.Reason.MONEY
        )
    question.refresh_from_db()
    assert question.is_private and question.status == QuestionStatus.PRIVATE
    for secret in ["12345678", "sanne@example.nl", "NL91", "123456789"]:
        assert secret not in question.title + question.body
    assert "06-12345678" in case.original_body
    assert "j@vonk.example" not in Answer.objects.get(pk=answer.pk).body
    assert Notification.objects.filter(
        recipient=member, kind=f"experts.case:{case.pk}"
    ).exists()
    with pytest.raises(ValidationError):
        services.answer_post(question=question, author=expert.user, body="x" * 20)


def test_private_case_messages_are_for_staff_and_the_asker(
    question, member, other_member, staff, django_capture_on_commit_callbacks
):
    case = services.question_make_private(question=question, by=staff, reason="account")
    with pytest.raises(PermissionDenied):
        services.case_message_post(case=case, author=other_member, body="hello there")
    with django_capture_on_commit_callbacks(execute=True):
        services.case_message_post(case=case, author=staff, body="We are on it.")
    assert Notification.objects.filter(recipient=member).exists()
    services.case_message_post(case=case, author=member, body="Thank you!")
    services.case_resolve(
        case=case, by=staff, public_summary="Fixed; mail was sent to a@b.nl"
    )
    case.refresh_from_db()
    assert case.closed_at and "a@b.nl" not in case.public_summary


def test_only_staff_escalate(question, member):
    with pytest.raises(PermissionDenied):
        services.question_make_private(question=question, by=member, reason="money")


def test_question_becomes_an_idea_with_author_text_and_link(
    question, staff, member, ideas_page
):
    idea = services.question_convert_to_idea(question=question, by=staff)
    assert idea.author == member
    assert question.body in idea.body
    assert question.get_absolute_url() in idea.body
    question.refresh_from_db()
    assert question.converted_idea == idea
    assert question.status == QuestionStatus.CONVERTED
    assert services.question_convert_to_idea(question=question, by=staff) == idea


def test_members_cannot_convert_questions(question, member):
    with pytest.raises(PermissionDenied):
        services.question_convert_to_idea(question=question, by=member)


def test_notifications_are_sent_once_even_when_a_task_is_retried(answer, member):
    from experts import notifications

    assert notifications.answer_notify(answer_id=answer.pk) == 1
    assert notifications.answer_notify(answer_id=answer.pk) == 0


def test_gdpr_export_and_erase_cover_expertcare(
    question, answer, member, staff, expert
):
    from portal.accounts.services import user_data_export, user_erase

    case = services.question_make_private(question=question, by=staff, reason="account")
    data = user_data_export(user=member)
    assert data["experts"]["questions"][0]["id"] == question.pk
    assert data["experts"]["private_cases"][0]["original_body"] == case.original_body
    expert_data = user_data_export(user=expert.user)
    assert expert_data["experts"]["expert_profile"]["focus_areas"] == ["billing"]
    user_erase(user=member)
    case.refresh_from_db()
    assert case.original_body == Question.objects.get(pk=question.pk).body


# --- what review found: copies of private data, and clean reversals -------


def test_escalation_also_redacts_notifications_comments_and_the_index(
    questions_page, member, billing, staff, expert, django_capture_on_commit_callbacks
):
    from django.contrib.sites.models import Site
    from django_comments_xtd.models import XtdComment

    from portal import semantic

    with django_capture_on_commit_callbacks(execute=True):
        question = make_question(
            member, billing, title="Bill wrong, call 0612345678 please"
        )
        answer = make_answer(question, expert.user)
    comment = XtdComment.objects.create(
        content_object=answer,
        site=Site.objects.get_current(),
        user=member,
        comment="My IBAN is nl91abna0417164300",
    )
    routed = Notification.objects.get(kind=f"experts.routed:{question.pk}")
    assert "0612345678" in routed.title
    with django_capture_on_commit_callbacks(execute=True):
        services.question_make_private(question=question, by=staff, reason="money")
    routed.refresh_from_db()
    comment.refresh_from_db()
    assert "0612345678" not in routed.title
    assert "nl91" not in comment.comment
    hits = semantic.similar(
        "bill wrong call", kinds=["answer", "question"], filters={"visible": True}
    )
    assert hits == []


def test_a_question_that_became_an_idea_cannot_be_made_private(
    question, staff, ideas_page
):
    services.question_convert_to_idea(question=question, by=staff)
    with pytest.raises(ValidationError):
        services.question_make_private(question=question, by=staff, reason="money")


def test_removed_experts_are_not_requalified_automatically(
    questions_page, member, other_member, billing, staff
):
    programme = programme_settings()
    programme.auto_qualify = True
    programme.auto_qualify_points = 0
    programme.auto_qualify_accepted_answers = 0
    programme.save()
    profile = make_expert(billing)
    services.expert_set_status(profile=profile, by=staff, status=ExpertStatus.REMOVED)
    application = _apply(profile.user, billing)
    assert application.status == ApplicationStatus.PENDING


def test_staff_cannot_bring_back_an_expert_who_left(expert, staff):
    services.expert_leave(user=expert.user)
    with pytest.raises(ValidationError):
        services.expert_set_status(profile=expert, by=staff, status="active")


def test_votes_close_on_private_questions_and_staff_cannot_verify_themselves(
    question, answer, member, staff
):
    own = make_answer(question, staff, body="An official word from the team.")
    with pytest.raises(ValidationError):
        services.answer_verify(answer=own, by=staff)
    services.question_make_private(question=question, by=staff, reason="account")
    with pytest.raises(ValidationError):
        services.answer_helpful(answer=Answer.objects.get(pk=answer.pk), user=member)


def test_hiding_the_only_answer_puts_the_question_back_in_the_queue(
    question, answer, staff
):
    from experts.selectors import staff_queue

    assert question not in staff_queue()
    services.answer_set_hidden(answer=answer, by=staff, hidden=True)
    question.refresh_from_db()
    assert question.first_answered_at is None
    assert question.answer_count == 0
    assert question.status == QuestionStatus.OPEN
    assert question in staff_queue()
    services.answer_set_hidden(answer=answer, by=staff, hidden=False)
    question.refresh_from_db()
    assert question.first_answered_at is not None
    assert question.status == QuestionStatus.ANSWERED


def test_a_reversal_takes_back_what_was_granted_even_after_a_settings_change(
    answer, member, staff, expert
):
    services.answer_accept(answer=answer, by=member)
    services.answer_verify(answer=answer, by=staff)
    programme = programme_settings()
    programme.points_accepted = 40
    programme.points_verified = 50
    programme.save()
    services.answer_unaccept(answer=answer, by=member)
    services.answer_verify(answer=answer, by=staff, verified=False)
    rep = Reputation.objects.get(user=expert.user)
    assert rep.points == 0 == ledger_total(expert.user)
    assert rep.accepted_count == 0 and rep.verified_count == 0
