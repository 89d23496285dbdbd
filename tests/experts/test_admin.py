"""The expertcare staff console in the Wagtail admin."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from experts import services
from experts.models import (
    ApplicationStatus,
    ExpertApplication,
    ExpertLevel,
    ExpertProfile,
    ExpertStatus,
    PrivateCase,
    Question,
    QuestionStatus,
    RoutingRound,
)
from ideas.models import Idea
from ideas.pages import IdeasIndexPage
from tests.factories import UserFactory

from .conftest import make_answer, make_expert, make_question

pytestmark = pytest.mark.django_db

MOTIVATION = "I have read every energy bill since 2009 and like explaining them."


@pytest.fixture
def ideas_page(home):
    page = IdeasIndexPage(title="Ideas", slug="ideas", intro="Share and vote")
    home.add_child(instance=page)
    page.save_revision().publish()
    return page


def _apply(user, *areas) -> ExpertApplication:
    return services.expert_apply(
        user=user,
        focus_areas=areas,
        motivation=MOTIVATION,
        accepts_guidelines=True,
        opts_in=True,
    )


def _client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def console_data(questions_page, member, billing, expert, staff):
    """A few rows in every listing, so N+1 queries would show."""
    for n in range(3):
        applicant = UserFactory()
        _apply(applicant, billing)
        make_expert(billing, daily_cap=4)
        question = make_question(
            member, billing, title=f"Which tariff fits a heat pump, case {n}?"
        )
        make_answer(question, expert.user)
        ExpertLevel.objects.create(name=f"Level {n}", min_points=10 * n)
    private = make_question(member, billing, title="My account number is wrong")
    services.question_make_private(question=private, by=staff, reason="account")
    return private


# The snippet listings (paths chosen so the notification links resolve).
LISTINGS = [
    ("/admin/expertcare/applications/", 10),
    ("/admin/expertcare/applications/?status=pending", 10),
    ("/admin/expertcare/experts/", 11),
    ("/admin/expertcare/experts/?status=active", 11),
    ("/admin/expertcare/experts/?ordering=-points", 11),
    ("/admin/expertcare/questions/", 10),
    ("/admin/expertcare/questions/?status=answered&is_private=false", 10),
    ("/admin/expertcare/questions/?q=heat+pump", 10),
    ("/admin/expertcare/cases/", 9),
    ("/admin/expertcare/levels/", 9),
    ("/admin/expertcare/queue/", 9),
]


@pytest.mark.parametrize(("path", "max_queries"), LISTINGS)
def test_staff_lists_each_console_screen(
    staff_client, console_data, path, max_queries, django_assert_max_num_queries
):
    with django_assert_max_num_queries(max_queries):
        response = staff_client.get(path)
    assert response.status_code == 200


def test_staff_inspect_each_record(staff_client, console_data):
    case = PrivateCase.objects.get()
    for prefix, obj in [
        ("applications", ExpertApplication.objects.first()),
        ("experts", ExpertProfile.objects.first()),
        ("questions", case.question),
        ("cases", case),
    ]:
        url = f"/admin/expertcare/{prefix}/inspect/{obj.pk}/"
        assert staff_client.get(url).status_code == 200, url


def test_the_menu_has_the_expertcare_group_and_queue(staff_client, member):
    html = staff_client.get("/admin/").content.decode()
    assert "expertcare-queue" in html and "/admin/expertcare/queue/" in html
    assert "/admin/expertcare/levels/" in html


def test_notification_links_resolve_to_the_console():
    assert reverse("experts_admin:queue") == "/admin/expertcare/queue/"
    assert (
        reverse("wagtailsnippets_experts_expertapplication:list")
        == "/admin/expertcare/applications/"
    )


def test_expert_list_filters_by_focus_area(staff_client, billing, solar):
    sun = make_expert(solar, username="zonnepaneel")
    bill = make_expert(billing, username="rekeningen")
    response = staff_client.get("/admin/expertcare/experts/", {"focus_areas": solar.pk})
    assert response.status_code == 200
    html = response.content.decode()
    assert sun.user.public_name in html
    assert bill.user.public_name not in html


def test_question_list_searches_titles(staff_client, questions_page, member):
    make_question(member, title="Which tariff fits a heat pump?")
    make_question(member, title="Where do I change my bank account?")
    response = staff_client.get("/admin/expertcare/questions/", {"q": "heat pump"})
    html = response.content.decode()
    assert "Which tariff fits a heat pump?" in html
    assert "Where do I change my bank account?" not in html


def test_applications_cannot_be_added_or_edited_in_the_admin(
    staff_client, member, billing
):
    application = _apply(member, billing)
    listing = staff_client.get("/admin/expertcare/applications/")
    assert b"/admin/expertcare/applications/add/" not in listing.content
    assert staff_client.get("/admin/expertcare/applications/add/").status_code in (
        302,
        403,
    )
    edit = f"/admin/expertcare/applications/edit/{application.pk}/"
    assert staff_client.get(edit).status_code in (302, 403)
    inspect = f"/admin/expertcare/applications/inspect/{application.pk}/"
    assert staff_client.get(inspect).status_code == 200


def test_programme_settings_show_in_settings(staff_client, community_settings):
    url = reverse("wagtailsettings:edit", args=["experts", "expertprogrammesettings"])
    assert staff_client.get(url, follow=True).status_code == 200


# --- permissions -----------------------------------------------------------


def _custom_urls(question, answer, case, application, profile):
    return [
        ("get", reverse("experts_admin:queue")),
        ("get", reverse("experts_admin:question", args=[question.pk])),
        ("get", reverse("experts_admin:case", args=[case.pk])),
        ("get", reverse("experts_admin:application", args=[application.pk])),
        ("post", reverse("experts_admin:question", args=[question.pk])),
        ("post", reverse("experts_admin:question_route", args=[question.pk])),
        ("post", reverse("experts_admin:question_private", args=[question.pk])),
        ("post", reverse("experts_admin:question_idea", args=[question.pk])),
        ("post", reverse("experts_admin:question_hide", args=[question.pk])),
        ("post", reverse("experts_admin:answer_verify", args=[answer.pk])),
        ("post", reverse("experts_admin:answer_hide", args=[answer.pk])),
        ("post", reverse("experts_admin:case", args=[case.pk])),
        ("post", reverse("experts_admin:case_resolve", args=[case.pk])),
        ("post", reverse("experts_admin:application", args=[application.pk])),
        ("post", reverse("experts_admin:expert_status", args=[profile.pk])),
    ]


@pytest.mark.parametrize("who", ["anonymous", "member", "expert", "paused_expert"])
def test_non_staff_are_refused_on_every_custom_view(
    who, questions_page, member, billing, expert, paused_expert, staff
):
    question = make_question(member, billing)
    answer = make_answer(question, expert.user)
    private = make_question(member, billing, title="Private matter about my bill")
    case = services.question_make_private(question=private, by=staff, reason="money")
    application = _apply(UserFactory(), billing)
    user = {
        "anonymous": None,
        "member": member,
        "expert": expert.user,
        "paused_expert": paused_expert.user,
    }[who]
    client = _client_for(user)
    data = {
        "body": "A reply that should never be stored anywhere.",
        "reason": "money",
        "hidden": "1",
        "verified": "1",
        "decision": "approve",
        "status": "removed",
        "public_summary": "Resolved.",
    }
    for method, url in _custom_urls(question, answer, case, application, expert):
        response = getattr(client, method)(url, data if method == "post" else None)
        assert response.status_code in (302, 403), (method, url)
        if response.status_code == 302:
            assert "/login/" in response["Location"], (method, url)
    question.refresh_from_db()
    answer.refresh_from_db()
    application.refresh_from_db()
    expert.refresh_from_db()
    case.refresh_from_db()
    assert not question.is_hidden and not question.is_private
    assert question.answer_count == 1 and question.converted_idea_id is None
    assert answer.verified_at is None and not answer.is_hidden
    assert application.status == ApplicationStatus.PENDING
    assert expert.status == ExpertStatus.ACTIVE
    assert case.closed_at is None and not case.messages.exists()
    assert RoutingRound.objects.filter(trigger="manual").count() == 0


def test_staff_cannot_change_anything_with_a_get(staff_client, question, answer):
    for name, arg in [
        ("experts_admin:question_route", question.pk),
        ("experts_admin:question_hide", question.pk),
        ("experts_admin:answer_verify", answer.pk),
    ]:
        assert staff_client.get(reverse(name, args=[arg])).status_code == 405
    answer.refresh_from_db()
    assert answer.verified_at is None


# --- applications ----------------------------------------------------------


def test_staff_approves_an_application(staff_client, member, billing, solar):
    application = _apply(member, billing, solar)
    url = reverse("experts_admin:application", args=[application.pk])
    page = staff_client.get(url)
    assert page.status_code == 200
    assert MOTIVATION.encode() in page.content
    response = staff_client.post(url, {"decision": "approve", "note": "Welcome!"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED
    assert application.decision_note == "Welcome!"
    profile = ExpertProfile.objects.get(user=member)
    assert profile.status == ExpertStatus.ACTIVE
    assert set(profile.focus_areas.all()) == {billing, solar}


def test_staff_declines_an_application(staff_client, member, billing):
    application = _apply(member, billing)
    url = reverse("experts_admin:application", args=[application.pk])
    staff_client.post(url, {"decision": "decline", "note": "Not yet."})
    application.refresh_from_db()
    assert application.status == ApplicationStatus.DECLINED
    assert not ExpertProfile.objects.filter(user=member).exists()
    # Deciding twice shows the service's message and changes nothing.
    again = staff_client.post(url, {"decision": "approve"}, follow=True)
    assert b"already decided" in again.content
    assert not ExpertProfile.objects.filter(user=member).exists()


def test_a_decision_needs_approve_or_decline(staff_client, member, billing):
    application = _apply(member, billing)
    url = reverse("experts_admin:application", args=[application.pk])
    assert staff_client.post(url, {"decision": "maybe"}).status_code == 200
    application.refresh_from_db()
    assert application.status == ApplicationStatus.PENDING


# --- experts ---------------------------------------------------------------


def test_staff_pauses_reactivates_and_removes_an_expert(staff_client, expert):
    url = reverse("experts_admin:expert_status", args=[expert.pk])
    listing = staff_client.get("/admin/expertcare/experts/")
    assert url.encode() in listing.content
    staff_client.post(url, {"status": "paused"})
    expert.refresh_from_db()
    assert expert.status == ExpertStatus.PAUSED
    staff_client.post(url, {"status": "active"})
    expert.refresh_from_db()
    assert expert.status == ExpertStatus.ACTIVE
    response = staff_client.post(url, {"status": "removed"})
    assert response.status_code == 302
    expert.refresh_from_db()
    assert expert.status == ExpertStatus.REMOVED and expert.left_at is not None


def test_staff_cannot_set_an_unknown_expert_status(staff_client, expert):
    url = reverse("experts_admin:expert_status", args=[expert.pk])
    staff_client.post(url, {"status": "left"})
    expert.refresh_from_db()
    assert expert.status == ExpertStatus.ACTIVE


# --- the queue -------------------------------------------------------------


def test_queue_shows_overdue_questions_first_and_highlighted(
    staff_client, questions_page, member, billing, expert
):
    late = make_question(member, billing, title="An old question nobody answered")
    Question.objects.filter(pk=late.pk).update(
        created_at=timezone.now() - timedelta(days=3),
        first_answer_due_at=timezone.now() - timedelta(hours=2),
    )
    fresh = make_question(member, billing, title="A brand new question about tariffs")
    answered = make_question(member, billing, title="A question that has an answer")
    make_answer(answered, expert.user)
    response = staff_client.get("/admin/expertcare/queue/")
    html = response.content.decode()
    assert response.status_code == 200
    assert late.title in html and fresh.title in html
    assert answered.title not in html
    assert html.index(late.title) < html.index(fresh.title)
    assert html.count('class="queue-overdue"') == 1
    row = html[html.index('class="queue-overdue"') :]
    assert row.index(late.title) < row.index("</tr>")
    assert "Overdue" in row[: row.index("</tr>")]


# --- the question console --------------------------------------------------


def test_console_shows_the_routing_record(staff_client, expert, question):
    response = staff_client.get(reverse("experts_admin:question", args=[question.pk]))
    assert response.status_code == 200
    round_ = response.context["rounds"][0]
    assert round_.trigger == RoutingRound.Trigger.NEW
    assert [d.expert_id for d in round_.decisions.all()] == [expert.pk]
    assert expert.user.public_name.encode() in response.content


def test_console_query_count_does_not_grow_with_answers(
    staff_client, question, expert, django_assert_max_num_queries
):
    for n in range(5):
        make_answer(question, UserFactory(), body=f"Answer number {n}, with details.")
    url = reverse("experts_admin:question", args=[question.pk])
    with django_assert_max_num_queries(16):
        assert staff_client.get(url).status_code == 200


def test_staff_verifies_and_withdraws_from_the_console(staff_client, staff, answer):
    url = reverse("experts_admin:answer_verify", args=[answer.pk])
    response = staff_client.post(url, {"verified": "1"})
    assert response.status_code == 302
    answer.refresh_from_db()
    assert answer.verified_at is not None and answer.verified_by == staff
    console = staff_client.get(response["Location"])
    assert b"Withdraw verification" in console.content
    staff_client.post(url, {"verified": "0"})
    answer.refresh_from_db()
    assert answer.verified_at is None
    assert list(answer.verifications.values_list("verified", flat=True)) == [
        False,
        True,
    ]


def test_staff_hides_and_shows_an_answer(staff_client, answer):
    url = reverse("experts_admin:answer_hide", args=[answer.pk])
    staff_client.post(url, {"hidden": "1"})
    answer.refresh_from_db()
    assert answer.is_hidden
    staff_client.post(url, {"hidden": "0"})
    answer.refresh_from_db()
    assert not answer.is_hidden


def test_staff_hides_and_shows_a_question(staff_client, question):
    url = reverse("experts_admin:question_hide", args=[question.pk])
    staff_client.post(url, {"hidden": "1"})
    question.refresh_from_db()
    assert question.is_hidden
    staff_client.post(url, {"hidden": "0"})
    question.refresh_from_db()
    assert not question.is_hidden


def test_staff_answers_officially(staff_client, staff, question):
    url = reverse("experts_admin:question", args=[question.pk])
    response = staff_client.post(url, {"body": "This is the official answer."})
    assert response.status_code == 302
    answer = question.answers.get()
    assert answer.is_official and answer.author == staff
    too_short = staff_client.post(url, {"body": "Short"})
    assert too_short.status_code == 200
    assert question.answers.count() == 1


def test_reroute_records_a_manual_round(staff_client, expert, question, billing):
    second = make_expert(billing, username="tweede")
    url = reverse("experts_admin:question_route", args=[question.pk])
    response = staff_client.post(url)
    assert response.status_code == 302
    round_ = RoutingRound.objects.filter(question=question).latest("pk")
    assert round_.trigger == RoutingRound.Trigger.MANUAL
    # Nobody is asked twice: the first expert was asked when it was posted.
    assert [d.expert_id for d in round_.decisions.all()] == [second.pk]


def test_escalating_to_private_redacts_contact_details(
    staff_client, questions_page, member, billing
):
    question = make_question(
        member,
        billing,
        title="Wrong amount on my bill this month",
        body="Please call me on 06-12345678 or mail sanne.private@example.com "
        "about the amount you charged me.",
    )
    url = reverse("experts_admin:question_private", args=[question.pk])
    assert staff_client.post(url, {"reason": ""}).status_code == 302
    assert not PrivateCase.objects.exists()
    response = staff_client.post(url, {"reason": "account"})
    case = PrivateCase.objects.get(question=question)
    assert response["Location"] == reverse("experts_admin:case", args=[case.pk])
    question.refresh_from_db()
    assert question.is_private and question.status == QuestionStatus.PRIVATE
    for text in (question.body, question.body_html):
        assert "sanne.private@example.com" not in text
        assert "06-12345678" not in text
    assert "06-12345678" in case.original_body
    page = staff_client.get(response["Location"])
    assert b"sanne.private@example.com" in page.content  # staff see the original


def test_convert_to_idea_keeps_the_author(staff_client, ideas_page, question, member):
    url = reverse("experts_admin:question_idea", args=[question.pk])
    response = staff_client.post(url)
    assert response.status_code == 302
    question.refresh_from_db()
    idea = Idea.objects.get()
    assert idea.author == member and question.converted_idea == idea
    assert question.status == QuestionStatus.CONVERTED
    console = staff_client.get(response["Location"])
    assert reverse("ideas_admin:respond", args=[idea.pk]).encode() in console.content


# --- private cases ---------------------------------------------------------


def test_staff_reply_and_resolve_a_private_case(staff_client, staff, question, member):
    case = services.question_make_private(question=question, by=staff, reason="anger")
    url = reverse("experts_admin:case", args=[case.pk])
    assert staff_client.get(url).status_code == 200
    staff_client.post(url, {"body": "We are sorry, we will call you today."})
    message = case.messages.get()
    assert message.author == staff
    page = staff_client.get(url)
    assert b"we will call you today" in page.content
    resolve = reverse("experts_admin:case_resolve", args=[case.pk])
    staff_client.post(resolve, {"public_summary": "Solved by phone, mail a@b.nl"})
    case.refresh_from_db()
    assert case.closed_at is not None
    assert "a@b.nl" not in case.public_summary
    # A resolved case takes no more messages.
    after = staff_client.post(url, {"body": "One more thing to add here."})
    assert after.status_code == 200 and case.messages.count() == 1


# --- levels ----------------------------------------------------------------


def test_staff_configure_levels(staff_client):
    response = staff_client.post(
        "/admin/expertcare/levels/add/",
        {"name": "Guru", "name_nl": "Goeroe", "min_points": 5000},
    )
    assert response.status_code == 302
    level = ExpertLevel.objects.get(name="Guru")
    edit = f"/admin/expertcare/levels/edit/{level.pk}/"
    staff_client.post(edit, {"name": "Guru", "name_nl": "Goeroe", "min_points": 4000})
    level.refresh_from_db()
    assert level.min_points == 4000
    staff_client.post(f"/admin/expertcare/levels/delete/{level.pk}/")
    assert not ExpertLevel.objects.exists()
