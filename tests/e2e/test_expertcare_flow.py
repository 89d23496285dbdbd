"""The expertcare loop in a browser: apply, approve, ask (with answered
look-alikes while typing), route, answer, accept, verify, level up; then an
overdue question is re-routed, escalated and moved to private support."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from experts import services
from experts.models import (
    ExpertLevel,
    ExpertProfile,
    Question,
    QuestionStatus,
    RoutingDecision,
    RoutingRound,
)
from experts.pages import QuestionsIndexPage
from portal.pages.models import FocusArea
from tests.factories import PASSWORD, StaffFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def questions_page(home):
    page = QuestionsIndexPage(title="Questions", slug="questions")
    home.add_child(instance=page)
    page.save_revision().publish()
    return page


@pytest.fixture
def billing(community_settings):
    return FocusArea.objects.get(slug="billing")


@pytest.fixture
def as_user(browser, live_server):
    """A logged-in browser tab per person, each with its own cookies."""
    contexts = []

    def open_as(user):
        context = browser.new_context(
            locale="en-GB", viewport={"width": 1280, "height": 900}
        )
        contexts.append(context)
        tab = context.new_page()
        tab.set_default_timeout(15000)
        tab.goto(f"{live_server.url}/en/accounts/login/")
        tab.get_by_label("Email:").fill(user.email)
        tab.get_by_label("Password:").fill(PASSWORD)
        tab.locator(".layout-main button[type=submit]").click()
        tab.wait_for_load_state()
        return tab

    yield open_as
    for context in contexts:
        context.close()


def test_apply_approve_ask_route_answer_accept_verify_level_up(
    live_server, questions_page, billing, as_user, shot
):
    url = live_server.url
    ExpertLevel.objects.create(name="Newcomer", name_nl="Nieuwkomer", min_points=0)
    ExpertLevel.objects.create(name="Helper", name_nl="Helper", min_points=30)
    staff = StaffFactory(username="e2e-staff")
    joost = UserFactory(username="e2e-joost", display_name="Joost")
    sanne = UserFactory(username="e2e-sanne", display_name="Sanne")
    # An earlier question with an accepted answer, to be found while typing.
    earlier = services.question_ask(
        author=UserFactory(),
        title="Why is my annual bill higher than my advance payments?",
        body="I paid 140 euro a month but must pay 310 euro extra now.",
        focus_area=billing,
    )
    helper = UserFactory()
    services.answer_accept(
        answer=services.answer_post(
            question=earlier,
            author=helper,
            body="Advances are an estimate; the annual bill settles the difference.",
        ),
        by=earlier.author,
    )
    from portal import semantic

    semantic.index_ids(kind="question", ids=[earlier.pk])

    # Joost applies.
    tab_joost = as_user(joost)
    tab_joost.goto(f"{url}/en/questions/experts/apply/")
    tab_joost.get_by_label("Billing").check()
    tab_joost.get_by_label("Why do you want to help other customers?").fill(
        "I read energy bills for fun and like explaining them to neighbours."
    )
    tab_joost.get_by_label("I have read and accept the expert guidelines").check()
    tab_joost.get_by_label(re.compile("send me questions from other customers")).check()
    tab_joost.get_by_role("button", name="Send my application").click()
    tab_joost.wait_for_load_state()
    shot(tab_joost, "20-expert-applied")
    assert not ExpertProfile.objects.filter(user=joost).exists()

    # Staff approve it in the admin.
    tab_staff = as_user(staff)
    tab_staff.goto(f"{url}/admin/expertcare/applications/")
    tab_staff.get_by_role("link", name="Approve / Decline").first.click()
    tab_staff.get_by_role("button", name="Approve").click()
    tab_staff.wait_for_load_state()
    shot(tab_staff, "21-staff-approved-application")
    assert ExpertProfile.objects.get(user=joost).is_current

    # Sanne asks, and sees the answered look-alike while typing.
    tab_sanne = as_user(sanne)
    tab_sanne.goto(f"{url}/en/questions/ask/")
    tab_sanne.get_by_label("Your question in one sentence").press_sequentially(
        "annual bill higher than advance", delay=30
    )
    similar = tab_sanne.locator("#similar li").first
    similar.wait_for(timeout=30000)
    assert "annual bill" in similar.inner_text()
    shot(tab_sanne, "22-question-similar-while-typing")
    tab_sanne.get_by_label("Your question in one sentence").fill(
        "Why did my monthly advance go up by 40 euro?"
    )
    tab_sanne.get_by_label("Details").fill(
        "Vonk raised my advance payment from 90 to 130 euro without explaining why."
    )
    tab_sanne.get_by_label("Focus area").select_option("billing")
    tab_sanne.get_by_role("button", name="Post my question").click()
    tab_sanne.wait_for_url(re.compile(r"/en/questions/\d+-"))
    question = Question.objects.get(author=sanne)
    shot(tab_sanne, "23-question-posted")

    # It was routed to Joost, who hears about it and answers.
    decision = RoutingDecision.objects.get(question=question)
    assert decision.expert.user == joost and decision.reasons["area"] is True
    tab_joost.goto(f"{url}/en/notifications/")
    tab_joost.get_by_text("A question for you").first.click()
    tab_joost.wait_for_url(re.compile(rf"/en/questions/{question.pk}-"))
    tab_joost.get_by_role("textbox", name="Your answer").fill(
        "Advances follow your expected use and the current tariff. Check the "
        "letter about the new tariff; you can lower the advance in the app."
    )
    tab_joost.get_by_role("button", name="Post my answer").click()
    tab_joost.wait_for_load_state()
    assert tab_joost.locator(".answer").first.get_by_text("Expert").first.is_visible()
    shot(tab_joost, "24-expert-answered")

    # Sanne accepts; staff verify.
    tab_sanne.reload()
    tab_sanne.get_by_role("button", name="Accept this answer").click()
    tab_sanne.wait_for_load_state()
    question.refresh_from_db()
    assert question.status == QuestionStatus.SOLVED
    tab_staff.goto(f"{url}/en/questions/{question.pk}/")
    tab_staff.get_by_role("button", name=re.compile("Verify for")).click()
    tab_staff.wait_for_load_state()
    assert tab_staff.get_by_text(re.compile("Verified by")).first.is_visible()
    shot(tab_staff, "25-answer-accepted-and-verified")

    # Joost reached the next level (15 accepted + 20 verified ≥ 30).
    tab_joost.goto(f"{url}/en/notifications/")
    assert tab_joost.get_by_text("You reached a new level: Helper").is_visible()
    tab_joost.goto(f"{url}/en/questions/experts/{joost.username}/")
    assert tab_joost.get_by_text("Helper").first.is_visible()
    shot(tab_joost, "26-expert-profile-level-up")


def test_overdue_question_is_rerouted_escalated_and_made_private(
    live_server, questions_page, billing, as_user, shot
):
    from tests.experts.conftest import make_expert

    url = live_server.url
    staff = StaffFactory(username="e2e-staff2")
    asker = UserFactory(username="e2e-asker", display_name="Mark")
    for i in range(4):
        make_expert(billing, username=f"e2e-expert{i}", daily_cap=10)
    question = services.question_ask(
        author=asker,
        title="My bill is wrong and nobody helps me",
        body="Call me on 06-12345678, my IBAN is NL91ABNA0417164300. I am furious.",
        focus_area=billing,
    )
    created, due = question.created_at, question.first_answer_due_at
    services.sla_sweep(now=created + (due - created) * 0.6)
    services.sla_sweep(now=due + timedelta(minutes=1))
    Question.objects.filter(pk=question.pk).update(
        created_at=timezone.now() - (due - created) * 1.2,
        first_answer_due_at=timezone.now() - timedelta(minutes=5),
    )
    assert list(question.routing_rounds.values_list("trigger", flat=True)) == [
        RoutingRound.Trigger.NEW,
        RoutingRound.Trigger.REROUTE,
    ]

    tab_staff = as_user(staff)
    tab_staff.goto(f"{url}/admin/expertcare/queue/")
    row = tab_staff.locator("tr", has_text="My bill is wrong")
    assert "overdue" in row.inner_text().lower()
    shot(tab_staff, "27-staff-queue-overdue")
    row.get_by_role("link", name="Console").click()
    shot(tab_staff, "27b-console")
    assert "Unanswered at half the target" in tab_staff.locator("main").inner_text()
    tab_staff.get_by_label("Why is this private?").select_option("anger")
    tab_staff.get_by_role("button", name="Move to private support").click()
    tab_staff.wait_for_load_state()
    shot(tab_staff, "28-staff-moved-to-private")

    tab_public = as_user(UserFactory(username="e2e-neighbour"))
    tab_public.goto(f"{url}/en/questions/{question.pk}/")
    body = tab_public.locator("main").inner_text()
    assert "moved to private support" in body
    assert "12345678" not in body and "NL91" not in body
    shot(tab_public, "29-public-private-notice")
    tab_public.goto(f"{url}/en/questions/{question.pk}/private/")
    assert "06-12345678" not in tab_public.content()

    tab_asker = as_user(asker)
    tab_asker.goto(f"{url}/en/questions/{question.pk}/private/")
    assert tab_asker.get_by_text("06-12345678").first.is_visible()
    tab_asker.get_by_label("Your message").fill("Thanks, please call me tomorrow.")
    tab_asker.get_by_role("button", name=re.compile("Send")).click()
    tab_asker.wait_for_load_state()
    assert tab_asker.get_by_text("Thanks, please call me tomorrow.").is_visible()
    shot(tab_asker, "30-asker-private-conversation")
