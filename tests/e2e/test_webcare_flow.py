"""Webcare as a community manager and an invited person live it (issue 6):

triage → reply → link → invite → join → the draft idea is published → the
idea launches → the loop is closed; and an opt-out followed by a re-import of
the same person's posts → the invitation is refused, with the reason shown.
"""

import re

import pytest
from django.core import mail
from django.utils import timezone

from ideas.models import Idea
from listening.connectors import RawMention
from listening.models import (
    Invitation,
    Mention,
    MentionLink,
    MentionReply,
    Source,
    Tracker,
)
from listening.services import mention_upsert_batch
from portal.notifications.models import Notification
from tests.factories import StaffFactory, make_idea

from .helpers import log_in_admin

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NOOR = "@noor@mastodon.social"
POST = (
    "Vonk should show my solar yield per hour in the app, so I can plan "
    "when to run the washing machine."
)


def _post(n: int, text: str, handle: str) -> RawMention:
    return RawMention(
        external_id=f"e2e-webcare-{n}",
        text=text,
        author_handle=handle,
        author_name=handle.split("@")[1].title(),
        url=f"https://mastodon.social/{handle.split('@')[1]}/{n}",
        posted_at=timezone.now(),
        raw={"id": str(1000 + n)},
    )


@pytest.fixture
def community(home):
    from ideas.pages import IdeasIndexPage

    index = IdeasIndexPage(title="Ideas", slug="ideas")
    home.add_child(instance=index)
    index.save_revision().publish()
    Tracker.objects.create(name="Vonk", kind="brand", any_terms="vonk")
    source = Source.objects.create(
        name="Mastodon #vonk", kind="mastodon", url="https://mastodon.social"
    )
    return source


def test_triage_reply_link_invite_join_publish_launch_and_close_the_loop(
    page, browser, live_server, community, shot
):
    staff = StaffFactory(username="eva", display_name="Eva")
    existing = make_idea(title="Solar yield per hour in the app")
    mention_upsert_batch(source=community, raw_mentions=[_post(1, POST, NOOR)])
    mention = Mention.objects.get()
    assert mention.intent == "idea"

    # Triage: the inbox shows it with its SLA clock; "a" assigns it to me.
    log_in_admin(page, live_server.url, staff, "/admin/listening/inbox/")
    row = page.locator("tbody tr").first
    assert "solar yield per hour" in row.inner_text()
    assert re.search(r"due in|overdue", row.inner_text(), re.I)
    shot(page, "60-webcare-inbox")
    page.keyboard.press("j")
    with page.expect_navigation():
        page.keyboard.press("a")
    mention.refresh_from_db()
    assert (mention.status, mention.assignee) == ("assigned", staff)

    # Reply: written by hand (this source has no posting credentials), posted
    # on Mastodon by the staff member, then confirmed here.
    page.goto(f"{live_server.url}/admin/listening/inbox/{mention.pk}/")
    page.locator("textarea[name=text]").first.fill(
        f"{NOOR.split('@mastodon')[0]} Great idea, thanks! We are looking into it."
    )
    shot(page, "61-webcare-reply")
    page.get_by_role("button", name="I replied").first.click()
    page.wait_for_load_state()
    reply = MentionReply.objects.get()
    assert (reply.replied_by, reply.channel) == (staff, "manual")
    mention.refresh_from_db()
    assert mention.status == "responded"
    assert mention.first_response_seconds is not None

    # Link: the linker suggests the similar idea; the composer is pre-filled
    # with a reply that points to it.
    page.get_by_role("button", name="Link to this idea").first.click()
    page.wait_for_load_state()
    link = MentionLink.objects.get()
    assert link.idea == existing
    composer = page.locator("textarea[name=text]").first
    assert "/ideas/" in composer.input_value()
    shot(page, "62-webcare-linked")

    # Invite: the ledger agrees, a personal link with an opt-out is drafted,
    # and nothing is sent.
    page.get_by_role("button", name="Offer invitation").click()
    page.wait_for_load_state()
    invitation = Invitation.objects.get()
    assert "/invite/" in invitation.reply_text
    assert "/optout/" in invitation.reply_text
    assert "/invite/" in page.locator("textarea[name=text]").first.input_value()
    assert len(mail.outbox) == 0
    shot(page, "63-webcare-invitation-drafted")
    invite_path = re.search(
        r"https?://[^/\s]+(/\S+/invite/\S+?/)", invitation.reply_text
    )
    assert invite_path

    # The invited person: the landing page quotes their post; they join.
    guest = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    person = guest.new_page()
    person.set_default_timeout(15000)
    person.goto(live_server.url + invite_path.group(1))
    assert "solar yield per hour" in person.locator("blockquote").inner_text()
    shot(person, "64-invitation-landing")
    person.get_by_role("button", name="Join").click()
    person.get_by_label("Email:").fill("noor@example.com")
    person.get_by_label("Password:", exact=True).fill("a-Long-enough-pass-42")
    person.get_by_label("Password (again):").fill("a-Long-enough-pass-42")
    person.get_by_role("button", name="Sign Up").click()
    person.wait_for_url(re.compile(r"/confirm-email/"))
    confirm = re.search(r"https?://[^/\s]+(/\S+)", mail.outbox[-1].body).group(1)
    person.goto(live_server.url + confirm)
    person.get_by_role("button", name="Confirm").click()
    person.wait_for_url(re.compile(r"/invite/drafts/\d+/"))
    shot(person, "65-invitee-draft")

    # Their own post is a private draft idea; they edit and publish it.
    person.get_by_label("Title").fill("Show solar yield per hour in the app")
    person.get_by_role("button", name="Publish").click()
    person.wait_for_url(re.compile(r"/ideas/\d+-"))
    published = Idea.objects.get(title="Show solar yield per hour in the app")
    assert published.author.email == "noor@example.com"
    invitation.refresh_from_db()
    assert invitation.status == "contributed"
    shot(person, "66-invitee-idea-published")

    # The brand launches the idea; whoever linked the post is asked to close
    # the loop, and does.
    page.goto(f"{live_server.url}/admin/ideas-console/{published.pk}/respond/")
    page.get_by_label("Status").select_option("launched")
    page.locator("textarea[name=response]").fill("It is live in the app today.")
    page.get_by_role("button", name="Publish").click()
    page.wait_for_load_state()
    published.refresh_from_db()
    assert published.status == "launched"
    assert Notification.objects.filter(
        recipient=staff, kind="listening.close_loop"
    ).exists()
    page.goto(f"{live_server.url}/admin/listening/inbox/loop/{published.pk}/")
    assert "solar yield per hour" in page.content()
    shot(page, "67-webcare-close-the-loop")
    page.get_by_role("button", name="I replied").first.click()
    page.wait_for_load_state()
    loop = MentionLink.objects.get(idea=published)
    assert loop.loop_closed_at is not None
    assert MentionReply.objects.filter(kind="loop").count() == 1
    guest.close()


def test_an_opt_out_survives_a_re_import_and_the_refusal_says_why(
    page, browser, live_server, community, shot
):
    staff = StaffFactory(username="eva", display_name="Eva")
    kim = "@kim@mastodon.social"

    # Kim opts out on the public page, without an account.
    guest = browser.new_context(locale="en-GB")
    visitor = guest.new_page()
    visitor.goto(f"{live_server.url}/en/optout/")
    visitor.get_by_label("Your handle or username").fill(kim)
    visitor.get_by_role("button", name=re.compile("opt out|never", re.I)).click()
    visitor.wait_for_load_state()
    shot(visitor, "68-optout-done")
    guest.close()

    # Later, Kim's posts are imported (again).
    text = "Vonk, I love the new tariff screen, you should add a monthly graph too"
    for _ in range(2):
        mention_upsert_batch(source=community, raw_mentions=[_post(7, text, kim)])
    mention = Mention.objects.get()

    log_in_admin(page, live_server.url, staff, f"/admin/listening/inbox/{mention.pk}/")
    page.get_by_role("button", name="Offer invitation").click()
    page.wait_for_load_state()
    # Said at the top of the page and in the invitation section.
    refusal = page.get_by_text("This person asked never to be invited.")
    assert refusal.first.is_visible()
    assert not Invitation.objects.exists()
    shot(page, "69-webcare-invitation-refused")
