"""GDPR in the browser, as a member lives it: download my data, then delete
my account.

A member with an idea, a vote, a comment, a question and an answer downloads
their data from their settings and finds all of it in the file and nothing of
another member's; then they erase their account with the confirmation word
and their password, are logged out, cannot log in again, have no public
profile, and what they contributed stays, signed "Former member".

The staff side of erasure, a social-media handle's mentions erased on
request, is covered by step 3 of
tests/e2e/test_listening_flow.py::test_import_correct_and_erase_as_staff.

Screenshots: var/e2e/50-… to 57-….
"""

import json
import re
from html import escape

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.contrib.sites.models import Site
from django_comments_xtd.models import XtdComment

from experts import services as experts_services
from experts.pages import QuestionsIndexPage
from ideas import services as ideas_services
from ideas.models import Idea, Vote
from portal.notifications.models import Notification
from portal.pages.models import FocusArea
from tests.factories import PASSWORD, UserFactory, make_idea

from .helpers import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MY_COMMENT = "Night tariffs would make my heat pump much cheaper to run."
THEIR_COMMENT = "Joost here: I would use this every single day."


@pytest.fixture
def questions_index(home):
    page = QuestionsIndexPage(title="Questions", slug="questions")
    home.add_child(instance=page)
    page.save_revision().publish()
    return page


@pytest.fixture
def two_members(ideas_index, questions_index, community_settings, semantic_model):
    """Sanne and Joost, each with an idea, a vote on the other's idea, a
    question, and an answer to the other's question; Joost has also
    commented on Sanne's idea."""
    billing = FocusArea.objects.get(slug="billing")
    sanne = UserFactory(
        username="e2e-sanne", display_name="Sanne Visser", email="sanne@example.com"
    )
    joost = UserFactory(
        username="e2e-joost", display_name="Joost de Vries", email="joost@example.com"
    )
    mine = make_idea(
        author=sanne,
        title="Show my usage per appliance",
        body="I want to see what the dishwasher costs me each month.",
    )
    theirs = make_idea(
        author=joost,
        title="A cheaper night tariff for heat pumps",
        body="Heat pumps run at night; the tariff should follow.",
    )
    ideas_services.idea_vote(idea=theirs, user=sanne)
    ideas_services.idea_vote(idea=mine, user=joost)
    XtdComment.objects.create(
        content_type=ContentType.objects.get_for_model(Idea),
        object_pk=str(mine.pk),
        site=Site.objects.get_current(),
        user=joost,
        user_name=joost.public_name,
        user_email=joost.email,
        comment=THEIR_COMMENT,
    )
    my_question = experts_services.question_ask(
        author=sanne,
        title="Why did my advance payment go up in November?",
        body="It went from 90 to 130 euro without a letter.",
        focus_area=billing,
    )
    their_question = experts_services.question_ask(
        author=joost,
        title="Can I pause my contract while abroad for a year?",
        body="I rent out my house while I work in Canada.",
        focus_area=billing,
    )
    experts_services.answer_post(
        question=their_question,
        author=sanne,
        body="Yes: ask for a temporary stop, I did it last year for six months.",
    )
    experts_services.answer_post(
        question=my_question,
        author=joost,
        body="Advances follow the new tariff; the letter is in the app inbox.",
    )
    return {
        "sanne": sanne,
        "joost": joost,
        "mine": mine,
        "theirs": theirs,
        "my_question": my_question,
        "their_question": their_question,
    }


def test_member_downloads_their_data_then_erases_their_account(
    page, live_server, two_members, shot
):
    url = live_server.url
    sanne, joost = two_members["sanne"], two_members["joost"]
    mine, theirs = two_members["mine"], two_members["theirs"]
    my_question = two_members["my_question"]
    their_question = two_members["their_question"]

    # Sanne comments on Joost's idea, in the browser.
    log_in(page, url, sanne.email)
    page.goto(url + theirs.get_absolute_url())
    page.get_by_label("Add a comment").fill(MY_COMMENT)
    page.get_by_role("button", name="Post").click()
    page.wait_for_load_state()
    assert page.get_by_text(MY_COMMENT).is_visible()

    # Her settings → Privacy and your data → Download my data.
    page.goto(f"{url}/en/settings/profile/")
    page.get_by_role("link", name="Privacy and your data").click()
    page.wait_for_url(re.compile(r"/en/settings/privacy/$"))
    shot(page, "50-gdpr-privacy-settings")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download my data").click()
    assert re.fullmatch(r"seed-my-data-\d{8}\.json", download.value.suggested_filename)
    text = download.value.path().read_text(encoding="utf-8")
    data = json.loads(text)

    # Everything of hers is in it...
    assert data["profile"]["username"] == "e2e-sanne"
    assert data["profile"]["email"] == "sanne@example.com"
    assert data["profile"]["display_name"] == "Sanne Visser"
    assert [a["email"] for a in data["email_addresses"]] == ["sanne@example.com"]
    assert [i["title"] for i in data["ideas"]["ideas"]] == [mine.title]
    assert [v["idea"] for v in data["ideas"]["votes"]] == [theirs.pk]
    assert [c["comment"] for c in data["comments"]] == [MY_COMMENT]
    assert [q["title"] for q in data["experts"]["questions"]] == [my_question.title]
    assert [(a["question"], a["body"]) for a in data["experts"]["answers"]] == [
        (
            their_question.pk,
            "Yes: ask for a temporary stop, I did it last year for six months.",
        )
    ]
    # ...and nothing of Joost's: not his account, nor what he wrote. The
    # notifications she received are hers, and quote his public name and
    # answer as they were sent to her; outside them he does not appear.
    assert "joost@example.com" not in text
    assert "e2e-joost" not in text
    own = json.dumps({k: v for k, v in data.items() if k != "notifications"})
    for theirs_text in (
        joost.display_name,
        theirs.title,
        theirs.body,
        their_question.title,
        THEIR_COMMENT,
        "the letter is in the app inbox",
    ):
        assert theirs_text not in own
    assert {n["kind"].split(":")[0] for n in data["notifications"]} <= {
        "experts.answer",
        "idea.comment",
    }
    # The file itself, shown as text for the record.
    viewer = page.context.new_page()
    viewer.set_content(f"<pre>{escape(text)}</pre>")
    shot(viewer, "51-gdpr-downloaded-file")
    viewer.close()

    # Delete my account: the password must be hers.
    page.get_by_label("Type DELETE to confirm").fill("DELETE")
    page.get_by_label("Your password").fill("not my password")
    page.get_by_role("button", name="Delete my account").click()
    page.wait_for_load_state()
    assert page.get_by_text("That is not your password.").is_visible()
    assert get_user_model().objects.filter(username="e2e-sanne").exists()
    shot(page, "52-gdpr-delete-refused-wrong-password")

    page.get_by_label("Type DELETE to confirm").fill("DELETE")
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Delete my account").click()
    page.wait_for_url(re.compile(r"/en/$"))
    assert page.get_by_text("Your account was deleted.").is_visible()
    assert page.get_by_role("link", name="Log in").is_visible()
    shot(page, "53-gdpr-account-deleted-and-logged-out")

    sanne.refresh_from_db()
    assert sanne.is_erased and not sanne.is_active
    assert sanne.username.startswith("former-")
    assert (sanne.email, sanne.display_name) == ("", "")
    assert not EmailAddress.objects.filter(user=sanne).exists()
    assert not Notification.objects.filter(recipient=sanne).exists()

    # She cannot log in again, with her old email and password.
    log_in(page, url, "sanne@example.com")
    assert "/accounts/login/" in page.url
    assert page.get_by_role("link", name="Log in").is_visible()
    assert page.get_by_text(
        re.compile("password you specified are not correct")
    ).count()
    shot(page, "54-gdpr-cannot-log-in-again")

    # Her public profile is gone, under her old name and the new one.
    for username in ("e2e-sanne", sanne.username):
        response = page.goto(f"{url}/en/members/{username}/")
        assert response.status == 404
    shot(page, "55-gdpr-public-profile-gone")

    # What she contributed stays, signed "Former member"; her vote still counts.
    page.goto(url + mine.get_absolute_url())
    assert "by Former member" in page.locator(".idea-header").inner_text()
    assert "Sanne" not in page.locator("main").inner_text()
    shot(page, "56-gdpr-idea-by-former-member")
    page.goto(url + theirs.get_absolute_url())
    comment = page.locator(".comment", has_text=MY_COMMENT)
    assert comment.locator(".comment-author").inner_text() == "Former member"
    assert page.locator(".idea-header .vote-count").inner_text() == "1"
    assert Vote.objects.filter(idea=theirs, user=sanne).exists()

    page.goto(url + my_question.get_absolute_url())
    assert "asked by Former member" in page.locator("main").inner_text()
    page.goto(url + their_question.get_absolute_url())
    answer = page.locator(".answer", has_text="temporary stop")
    assert answer.locator(".answer-author").inner_text() == "Former member"
    # No link to a profile that no longer exists.
    assert answer.locator("a.answer-author").count() == 0
    assert "Sanne" not in page.locator("main").inner_text()
    assert joost.display_name in page.locator("main").inner_text()
    shot(page, "57-gdpr-answer-by-former-member")
