"""Voting from the ideas list with htmx: no reload, the count updates.

The whole ideas loop (a duplicate found while typing, vote instead, comment,
staff respond and change the status in the admin, the follower is notified
on the site and by email) is one journey in
tests/e2e/test_member_journey.py.
"""

import pytest

from tests.factories import UserFactory, make_idea

from .helpers import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_vote_button_works_with_htmx(page, live_server, ideas_index):
    idea = make_idea(title="Pay the bill in instalments")
    member = UserFactory(username="e2e-voter")
    log_in(page, live_server.url, member.email)
    page.goto(f"{live_server.url}/en/ideas/")
    card = page.locator(f"#vote-{idea.pk}")
    card.get_by_role("button", name="Vote").click()
    page.locator(f"#vote-{idea.pk} .vote-button.voted").wait_for()
    assert page.url.endswith("/en/ideas/")  # no reload, no navigation
    assert card.locator(".vote-count").inner_text() == "1"
