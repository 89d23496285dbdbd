"""The member journeys of issue 8, each unbroken and in the browser.

1. A newcomer signs up and verifies their email, shares an idea, starts a
   second one, sees that it exists already, votes for that one instead and
   comments; a staff member, in a browser of their own, responds officially
   and changes the status in the Wagtail admin; the newcomer, now a follower,
   hears about it on the site and by email.
2. Posts arrive through a real import (an export uploaded in the admin); one
   is triaged, replied to and its author invited; the invitee joins, and
   their post, now their draft, becomes an idea.
3. An invited person follows the opt-out link of their invitation and
   confirms; their invitation stops working, and after their new posts are
   imported (by the import command and again by an upload) staff cannot
   invite them: the refusal says why.

Screenshots: var/e2e/80-… to 89-… (journey 1) and 90-… to 97-… (journeys 2
and 3).
"""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from ideas.models import Idea, IdeaFollow, IdeaStatus, Vote
from listening.models import (
    ContributionDraft,
    Invitation,
    InvitationStatus,
    Mention,
    MentionReply,
    OptOut,
    Tracker,
)
from portal.notifications.models import Notification
from tests.factories import StaffFactory, UserFactory, make_idea

from .helpers import (
    admin_settled,
    confirm_email,
    link_in,
    log_in_admin,
    new_tab,
    sign_up,
    upload_export,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NEWCOMER = "newcomer@example.com"


def test_newcomer_signs_up_shares_votes_instead_comments_and_hears_staff_respond(
    page, browser, live_server, ideas_index, community_settings, semantic_model, shot
):
    url = live_server.url
    original = make_idea(
        author=UserFactory(username="e2e-first-author"),
        title="Dark mode in the Vonk app",
    )
    staff = StaffFactory(username="e2e-eva", display_name="Eva")

    # Sign up from the home page and verify the email address.
    page.goto(f"{url}/")
    page.get_by_role("link", name="Join").click()
    sign_up(page, NEWCOMER)
    shot(page, "80-journey-signed-up")
    confirm_email(page, url, NEWCOMER)
    newcomer = get_user_model().objects.get(email=NEWCOMER)
    assert newcomer.emailaddress_set.get().verified
    page.goto(f"{url}/en/ideas/")
    assert page.get_by_role("button", name="Log out").first.is_visible()
    shot(page, "81-journey-verified-and-signed-in")

    # Share an idea nobody had yet.
    page.get_by_role("link", name="Share an idea").click()
    page.get_by_label("Your idea in one sentence").fill(
        "Let me pay my energy bill in ten instalments"
    )
    page.get_by_label("Describe your idea").fill(
        "Winter bills are high; spreading them over ten months would help."
    )
    page.get_by_role("button", name="Share my idea").click()
    page.wait_for_url(re.compile(r"/en/ideas/\d+-"))
    mine = Idea.objects.get(author=newcomer)
    assert mine.title == "Let me pay my energy bill in ten instalments"
    shot(page, "82-journey-idea-shared")

    # Start another: while typing, the existing one shows up; vote instead.
    page.goto(f"{url}/en/ideas/")
    page.get_by_role("link", name="Share an idea").click()
    page.get_by_label("Your idea in one sentence").press_sequentially(
        "dark theme for the app", delay=30
    )
    suggestion = page.locator("#similar .similar-idea", has_text=original.title)
    suggestion.wait_for(timeout=30000)
    shot(page, "83-journey-duplicate-while-typing")
    suggestion.get_by_role("button", name="Vote for this instead").click()
    page.wait_for_url(re.compile(rf"/en/ideas/{original.pk}-"))
    assert Vote.objects.filter(idea=original, user=newcomer).exists()
    assert Idea.objects.filter(author=newcomer).count() == 1  # no copy made
    assert page.locator(".idea-header .vote-count").inner_text() == "1"

    page.get_by_label("Add a comment").fill("Yes please, my eyes will thank you.")
    page.get_by_role("button", name="Post").click()
    page.wait_for_load_state()
    assert page.get_by_text("Yes please, my eyes will thank you.").is_visible()
    assert IdeaFollow.objects.filter(idea=original, user=newcomer).exists()
    shot(page, "84-journey-voted-and-commented")

    # Staff, in a browser of their own: Ideas in the admin → Respond.
    desk = new_tab(browser)
    log_in_admin(desk, url, staff, "/admin/snippets/ideas/idea/")
    row = desk.locator("tr", has_text=original.title)
    row.get_by_role("link", name="Respond").click()
    desk.wait_for_url(re.compile(rf"/admin/ideas-console/{original.pk}/respond/"))
    desk.get_by_label("Status").select_option(IdeaStatus.PLANNED)
    desk.get_by_label("Official response").fill(
        "We are building it this quarter. Thanks for the votes!"
    )
    shot(desk, "85-journey-staff-respond-form")
    desk.get_by_role("button", name="Publish").click()
    desk.wait_for_url(re.compile(r"/admin/snippets/ideas/idea/"))
    assert desk.get_by_text("Your response is published.").first.is_visible()
    shot(desk, "86-journey-staff-response-published")
    desk.context.close()
    original.refresh_from_db()
    assert original.status == IdeaStatus.PLANNED and original.has_official_response

    # The newcomer hears about it on the site...
    page.goto(f"{url}/en/ideas/")
    badge = page.locator(".notif-link .badge")
    assert badge.inner_text() == "1"
    page.locator(".notif-link").click()
    page.wait_for_url(re.compile(r"/en/notifications/"))
    news = page.locator(".notification-list li", has_text="is now: Planned")
    assert "We are building it this quarter." in news.inner_text()
    shot(page, "87-journey-notified-on-site")
    assert Notification.objects.filter(recipient=newcomer).count() == 1

    # ...and by email, whose link leads to the official response.
    emails = [m for m in mail.outbox if m.to == [NEWCOMER] and "Planned" in m.subject]
    assert len(emails) == 1
    assert emails[0].subject == "“Dark mode in the Vonk app” is now: Planned"
    assert "We are building it this quarter." in emails[0].body
    page.goto(url + link_in(emails[0].body, f"/ideas/{original.pk}-"))
    response = page.locator(".official-response").first
    assert "We are building it this quarter." in response.inner_text()
    assert "Planned" in page.locator(".idea-header").inner_text()
    shot(page, "88-journey-email-link-to-response")


# --- imported posts, invitations and opt-outs ---------------------------------

SOURCE = "Mastodon export"
NOOR = "@noor@mastodon.social"
KIM = "@kim@mastodon.social"


def _export(path, rows) -> None:
    """A listening tool's export in the generic column mapping, posted an
    hour ago (the inbox shows recent posts first)."""
    posted = (timezone.now() - timezone.timedelta(hours=1)).isoformat()
    lines = ["id,text,url,author,language,posted_at"]
    for external_id, text, author in rows:
        name = author.split("@")[1]
        url = f"https://mastodon.social/@{name}/{external_id}"
        lines.append(f'{external_id},"{text}",{url},{author},en,{posted}')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def listening(ideas_index, community_settings, semantic_model):
    return Tracker.objects.create(name="Vonk", kind="brand", any_terms="vonk")


def _open_mention(page, url, text) -> None:
    """From the inbox, open the mention whose text contains `text`."""
    page.goto(f"{url}/admin/listening/inbox/")
    page.locator("tr.inbox-row", has_text=text).locator("a[data-open]").click()
    page.wait_for_url(re.compile(r"/admin/listening/inbox/\d+/$"))


def _drafted_invitation(page) -> str:
    return page.locator("#ws-invitations textarea").first.input_value()


def test_imported_post_is_triaged_answered_and_its_invited_author_makes_it_an_idea(
    page, browser, live_server, listening, tmp_path, shot
):
    url = live_server.url
    staff = StaffFactory(username="e2e-eva", display_name="Eva")
    export = tmp_path / "mastodon-export.csv"
    _export(
        export,
        [
            (
                "9001",
                "Vonk should show my solar yield per hour in the app, so I can "
                "plan when to run the washing machine.",
                NOOR,
            ),
            ("9002", "Vonk, why is my bill so late this month?", KIM),
        ],
    )

    # Import: the export is uploaded in the admin and its report read.
    log_in_admin(page, url, staff, "/admin/listening/imports/")
    report = upload_export(page, export, source=SOURCE)
    assert report["Imported"] == "2"
    assert report["Rejected"] == "0"
    admin_settled(page)
    shot(page, "90-invitee-import-report")
    mention = Mention.objects.get(external_id="9001")
    assert mention.source.kind == "upload"

    # Triage: open it from the inbox and take it.
    _open_mention(page, url, "solar yield per hour")
    page.get_by_role("button", name="Assign to me").click()
    page.wait_for_load_state()
    mention.refresh_from_db()
    assert (mention.status, mention.assignee) == ("assigned", staff)

    # Reply (posted by hand on the network, confirmed here), then invite.
    page.locator("textarea[name=text]").first.fill(
        "@noor Great idea, thanks! We are looking into it."
    )
    page.get_by_role("button", name="I replied").first.click()
    page.wait_for_load_state()
    assert MentionReply.objects.filter(mention=mention, replied_by=staff).exists()
    page.get_by_role("button", name="Offer invitation").click()
    page.wait_for_load_state()
    drafted = _drafted_invitation(page)
    assert "@noor," in drafted  # the greeting names them
    assert "/optout/" in drafted
    admin_settled(page)
    shot(page, "91-invitee-replied-and-invited")

    # The invitee follows the link in the reply staff posted, and joins.
    person = new_tab(browser)
    person.goto(url + link_in(drafted, "/invite/"))
    assert "solar yield per hour" in person.locator("blockquote").inner_text()
    shot(person, "92-invitee-landing")
    person.get_by_role("button", name="Join").click()
    sign_up(person, "noor@example.com")
    confirm_email(person, url, "noor@example.com")
    person.wait_for_url(re.compile(r"/en/invite/drafts/\d+/"))
    draft = ContributionDraft.objects.get()
    assert draft.owner.email == "noor@example.com"
    shot(person, "93-invitee-draft")

    # Their post is their draft; they edit it and publish it as an idea.
    person.get_by_label("Idea", exact=True).check()
    person.get_by_label("Title").fill("Show solar yield per hour in the app")
    person.get_by_role("button", name="Publish").click()
    person.wait_for_url(re.compile(r"/en/ideas/\d+-"))
    assert person.get_by_text("Thank you! Your idea is online.").is_visible()
    idea = Idea.objects.get(title="Show solar yield per hour in the app")
    assert idea.author == draft.owner
    assert "solar yield per hour" in idea.body
    invitation = Invitation.objects.get()
    assert invitation.status == InvitationStatus.CONTRIBUTED
    shot(person, "94-invitee-idea-published")
    person.context.close()

    # On the mention, staff see the idea it became.
    page.reload()
    assert idea.title in page.locator("#ws-links").inner_text()


def test_an_invitee_opts_out_and_no_re_import_lets_staff_invite_them_again(
    page, browser, live_server, listening, tmp_path, shot
):
    url = live_server.url
    staff = StaffFactory(username="e2e-eva", display_name="Eva")
    first = tmp_path / "first-export.csv"
    first_post = ("9101", "Vonk, the tariff screen is great, add a monthly graph", KIM)
    _export(first, [first_post])

    # Kim's post comes in through the import command; staff invite her.
    call_command("listening_import", str(first), preset="generic", source=SOURCE)
    log_in_admin(page, url, staff, "/admin/listening/inbox/")
    _open_mention(page, url, "monthly graph")
    page.get_by_role("button", name="Offer invitation").click()
    page.wait_for_load_state()
    drafted = _drafted_invitation(page)
    invite_path = link_in(drafted, "/invite/")

    # Kim follows the opt-out link of the invitation and confirms.
    kim = new_tab(browser)
    kim.goto(url + link_in(drafted, "/optout/"))
    kim.get_by_label("Your handle or username").fill(KIM)
    shot(kim, "95-optout-from-invitation")
    kim.get_by_role("button", name="Opt out").click()
    kim.wait_for_load_state()
    assert OptOut.objects.count() == 1
    assert Invitation.objects.get().status == InvitationStatus.OPTED_OUT
    shot(kim, "96-optout-confirmed")
    # Her invitation link no longer works.
    kim.goto(url + invite_path)
    assert kim.get_by_text("This invitation link has already been used.").is_visible()
    kim.context.close()

    # She posts again; the same export and the new post are uploaded.
    second = tmp_path / "second-export.csv"
    _export(
        second,
        [first_post, ("9102", "Vonk, a monthly graph is still missing", KIM)],
    )
    page.goto(f"{url}/admin/listening/imports/")
    report = upload_export(page, second, source=SOURCE)
    assert (report["Imported"], report["Duplicates (already imported)"]) == ("1", "1")

    # Staff try to invite her from the new post: refused, with the reason.
    _open_mention(page, url, "still missing")
    page.get_by_role("button", name="Offer invitation").click()
    page.wait_for_load_state()
    refusal = page.locator("#ws-refusal")
    assert "This person asked never to be invited." in refusal.inner_text()
    assert page.get_by_role("button", name="Offer invitation").count() == 0
    assert Invitation.objects.count() == 1
    admin_settled(page)
    shot(page, "97-optout-invitation-refused-after-re-import")
