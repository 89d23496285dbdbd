"""A newcomer signs up, verifies their email, edits their profile and leaves."""

import re

import pytest
from django.core import mail

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_newcomer_signs_up_verifies_and_logs_out(page, live_server, home, shot):
    page.goto(f"{live_server.url}/")
    assert page.url.endswith("/en/")
    shot(page, "01-home")

    page.get_by_role("link", name="Join").click()
    page.get_by_label("Email:").fill("newcomer@example.com")
    page.get_by_label("Password:", exact=True).fill("a-Long-enough-pass-42")
    page.get_by_label("Password (again):").fill("a-Long-enough-pass-42")
    shot(page, "02-signup")
    page.get_by_role("button", name="Sign Up").click()
    page.wait_for_url(re.compile(r"/confirm-email/"))
    shot(page, "03-verify-sent")

    link = re.search(r"https?://[^/\s]+(/\S+)", mail.outbox[-1].body).group(1)
    page.goto(f"{live_server.url}{link}")
    page.get_by_role("button", name="Confirm").click()
    page.goto(f"{live_server.url}/en/settings/profile/")
    page.get_by_label("Display name").fill("New Member")
    page.get_by_role("button", name="Save profile").click()
    assert page.get_by_text("Your profile was saved.").is_visible()
    shot(page, "04-profile")

    page.get_by_role("button", name="Log out").first.click()
    page.wait_for_url(re.compile(r"/en/$"))
    assert page.get_by_role("link", name="Log in").is_visible()


def test_dutch_visitor_lands_on_the_dutch_site(browser, live_server, home, shot):
    context = browser.new_context(locale="nl-NL")
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    assert page.url.endswith("/nl/")
    assert page.locator("html").get_attribute("lang") == "nl"
    shot(page, "05-home-nl")
    context.close()
