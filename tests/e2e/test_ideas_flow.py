"""A member finds a duplicate while typing, votes instead, comments, and hears
back when staff respond."""

import re

import pytest

from ideas import services
from ideas.models import Vote
from portal.notifications.models import Notification
from tests.factories import PASSWORD, StaffFactory, UserFactory, make_idea

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _log_in(page, live_server, user):
    page.goto(f"{live_server.url}/en/accounts/login/")
    page.get_by_label("Email:").fill(user.email)
    page.get_by_label("Password:").fill(PASSWORD)
    page.locator(".layout-main button[type=submit]").click()
    page.wait_for_load_state()


def test_duplicate_while_typing_vote_instead_comment_and_hear_back(
    page, live_server, home, shot
):
    from ideas.pages import IdeasIndexPage

    index = IdeasIndexPage(title="Ideas", slug="ideas")
    home.add_child(instance=index)
    index.save_revision().publish()
    original = make_idea(title="Dark mode in the Vonk app")
    member = UserFactory(username="e2e-member", display_name="Noor")
    _log_in(page, live_server, member)

    page.goto(f"{live_server.url}/en/ideas/new/")
    page.get_by_label("Your idea in one sentence").press_sequentially(
        "dark theme for the app", delay=30
    )
    suggestion = page.locator("#similar .similar-idea").first
    suggestion.wait_for(timeout=30000)
    assert "Dark mode in the Vonk app" in suggestion.inner_text()
    shot(page, "10-idea-duplicate-while-typing")

    suggestion.get_by_role("button", name="Vote for this instead").click()
    page.wait_for_url(re.compile(rf"/en/ideas/{original.pk}-"))
    assert Vote.objects.filter(idea=original, user=member).exists()
    assert page.locator(".idea-header .vote-count").inner_text() == "1"

    page.get_by_label("Add a comment").fill("Yes please, my eyes will thank you.")
    page.get_by_role("button", name="Post").click()
    page.wait_for_load_state()
    assert page.get_by_text("Yes please, my eyes will thank you.").is_visible()
    shot(page, "11-idea-voted-and-commented")

    services.idea_respond(
        idea=original,
        by=StaffFactory(),
        status="planned",
        response="We are building it this quarter.",
    )
    assert Notification.objects.filter(
        recipient=member, kind__startswith="idea.status"
    ).exists()
    page.goto(f"{live_server.url}/en/notifications/")
    assert page.get_by_text("is now: Planned").is_visible()
    shot(page, "12-idea-follower-notified")


def test_vote_button_works_with_htmx(page, live_server, home):
    from ideas.pages import IdeasIndexPage

    index = IdeasIndexPage(title="Ideas", slug="ideas")
    home.add_child(instance=index)
    index.save_revision().publish()
    idea = make_idea(title="Pay the bill in instalments")
    member = UserFactory(username="e2e-voter")
    _log_in(page, live_server, member)
    page.goto(f"{live_server.url}/en/ideas/")
    card = page.locator(f"#vote-{idea.pk}")
    card.get_by_role("button", name="Vote").click()
    page.locator(f"#vote-{idea.pk} .vote-button.voted").wait_for()
    assert page.url.endswith("/en/ideas/")  # no reload, no navigation
    assert card.locator(".vote-count").inner_text() == "1"
