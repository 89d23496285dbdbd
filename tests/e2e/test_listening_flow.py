"""Listening in the Wagtail admin, as a community manager works it: import an
export and read its report, correct a mention's labels, erase a handle on
request; a member is kept out."""

import re

import pytest

from listening.models import (
    ImportJob,
    Intent,
    Mention,
    PrivacyRequest,
    SentimentLabel,
    Tracker,
)
from tests.factories import StaffFactory, UserFactory

from .helpers import (
    admin_settled,
    import_report,
    log_in,
    log_in_admin,
    upload_export,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# A generic export: two good rows, a row without an id, a row with markup and
# a script, a row that matches no tracker and a repeat of the first row.
EXPORT = (
    "id,text,author,language,posted_at\n"
    "e2e-1,The Vonk app keeps crashing when I open my bill,"
    "@annabel@mastodon.social,en,2026-11-20T09:00:00Z\n"
    '"e2e-2","<script>alert(\'xss\')</script>Vonk <b>solar panels</b> look great",'
    "@bram,en,2026-11-20T10:00:00Z\n"
    ",Vonk without an id,@carla,en,2026-11-20T11:00:00Z\n"
    "e2e-3,Nothing about us here,@dirk,en,2026-11-20T12:00:00Z\n"
    "e2e-1,The Vonk app keeps crashing when I open my bill,"
    "@annabel@mastodon.social,en,2026-11-20T09:00:00Z\n"
)
HANDLE = "@annabel@mastodon.social"


def _log_in_admin(page, url, user):
    # Straight to Listening: earlier transactional tests flush the page tree
    # that the admin dashboard explores.
    log_in_admin(page, url, user, "/admin/listening/imports/")


def _open_listening(page, item):
    """Listening → item in the admin sidebar."""
    page.get_by_role("button", name="Listening").click()
    page.get_by_role("link", name=item, exact=True).click()
    page.wait_for_load_state()


def test_import_correct_and_erase_as_staff(page, live_server, tmp_path, shot):
    url = live_server.url
    Tracker.objects.create(name="Vonk", kind="brand", any_terms="vonk")
    staff = StaffFactory(username="e2e-listener", display_name="Eva")
    export = tmp_path / "november-export.csv"
    export.write_text(EXPORT, encoding="utf-8")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    # 1. Upload the export and read the report.
    _log_in_admin(page, url, staff)
    _open_listening(page, "Imports")
    assert page.url.endswith("/admin/listening/imports/")
    upload_export(page, export)
    assert re.search(r"/admin/listening/imports/\d+/$", page.url)
    assert page.get_by_text("“november-export.csv” is being imported.").is_visible()
    assert import_report(page) == {
        "Rows read": "5",
        "Imported": "2",
        "Duplicates (already imported)": "1",
        "Matched no tracker (not kept)": "1",
        "Rejected": "1",
        "Kept with a warning": "0",
    }
    rejected = page.locator("#import-status table").nth(1)
    assert rejected.locator("tbody tr").count() == 1
    assert rejected.locator("tbody td").nth(0).inner_text() == "4"  # header is 1
    assert rejected.locator("tbody td").nth(1).inner_text() == "No id."
    admin_settled(page)
    shot(page, "40-listening-import-report")

    # The same file again stores nothing new.
    _open_listening(page, "Imports")
    upload_export(page, export)
    report = import_report(page)
    assert report["Imported"] == "0"
    assert report["Duplicates (already imported)"] == "3"
    assert ImportJob.objects.count() == 2
    assert Mention.objects.count() == 2

    # 2. Correct the crash report's labels from the mentions list.
    crash = Mention.objects.get(external_id="e2e-1")
    intent = next(v for v in (Intent.COMPLAINT, Intent.QUESTION) if v != crash.intent)
    sentiment = next(
        v
        for v in (SentimentLabel.NEGATIVE, SentimentLabel.NEUTRAL)
        if v != crash.sentiment_label
    )
    _open_listening(page, "Mentions")
    row = page.locator("tr", has_text="keeps crashing")
    row.get_by_role("link", name="Correct", exact=True).click()
    page.wait_for_load_state()
    page.get_by_label("Intent").select_option(intent.value)
    page.get_by_label("Sentiment").select_option(sentiment.value)
    page.get_by_role("button", name="Save corrections").click()
    page.wait_for_load_state()
    assert page.get_by_text("Corrected: Intent, Sentiment.").count()
    crash.refresh_from_db()
    assert (crash.intent, crash.sentiment_label) == (intent, sentiment)
    assert crash.corrections.count() == 2

    _open_listening(page, "Mentions")
    row = page.locator("tr", has_text="keeps crashing")
    assert row.get_by_text(str(intent.label), exact=True).count() == 1
    assert row.get_by_text(str(sentiment.label), exact=True).count() == 1
    # The script row shows as plain text: tags and script body are gone.
    scripted = page.locator("tr", has_text="solar panels")
    assert "Vonk solar panels look great" in scripted.inner_text()
    assert "alert" not in scripted.inner_html()
    assert not Mention.objects.filter(text__contains="<").exists()
    admin_settled(page)
    shot(page, "41-listening-mention-corrected")

    # 3. Erase everything about one handle, after a preview.
    _open_listening(page, "Privacy requests")
    page.get_by_label("Handle").fill(HANDLE)
    page.get_by_label("Erase").check()
    page.get_by_label("Note").fill("Ticket 4711")
    page.get_by_role("button", name="Preview").click()
    page.wait_for_load_state()
    assert page.get_by_text("1 mention by @an…@mastodon.social is stored.").count()
    assert Mention.objects.filter(external_id="e2e-1").exists()
    page.get_by_label(re.compile("I understand that erasing")).check()
    page.get_by_role("button", name="Run request").click()
    page.wait_for_load_state()
    assert page.get_by_text(
        "Erased 1 mention by @an…@mastodon.social. "
        "Their posts will be left out from now on."
    ).count()
    log_row = page.locator("table.listing tbody tr").first
    assert "@an…@mastodon.social" in log_row.inner_text()
    assert "Ticket 4711" in log_row.inner_text()
    assert HANDLE not in page.content()
    assert PrivacyRequest.objects.get().mentions == 1
    admin_settled(page)
    shot(page, "42-listening-privacy-erased")

    _open_listening(page, "Mentions")
    assert page.locator("tr", has_text="keeps crashing").count() == 0
    assert page.locator("tr", has_text="solar panels").count() == 1
    assert dialogs == []


def test_member_is_kept_out_of_imports(page, live_server, shot):
    url = live_server.url
    member = UserFactory(username="e2e-member", display_name="Noor")
    log_in(page, url, member.email)
    # Signed in on the site (whichever page the message lands on).
    assert page.get_by_role("button", name="Log out").count()

    page.goto(f"{url}/admin/listening/imports/")
    # Wagtail sends people without admin access to its sign-in page.
    assert page.url.split("?")[0] == f"{url}/admin/login/"
    assert page.get_by_text("You do not have permission to access the admin.").count()
    assert page.locator("input[type=file]").count() == 0
    assert page.get_by_role("heading", name="Imports").count() == 0
    admin_settled(page)
    shot(page, "43-listening-member-kept-out")
