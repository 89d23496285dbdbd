"""Insight as a community manager uses it (issue 7), on the demo community:

"how are we doing this month" from the overview → the listening report with
its charts, a chart's table and its CSV (which match) → another period →
care, community and invitations → a bad date range → the spike alert on the
admin dashboard, its explanation, acknowledged → the public "How we listen"
page in English and Dutch; and a member is kept out of the reports.
"""

import csv
import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from wagtail.models import Locale, Page

from listening.models import SpikeAlert
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(live_server):
    if Page.get_first_root_node() is None:
        # A transactional test before this one flushed the tree that
        # Wagtail's migration made.
        en, _ = Locale.objects.get_or_create(language_code="en")
        Page.add_root(instance=Page(title="Root", slug="root", locale=en))
    call_command("seed_demo", stdout=io.StringIO())
    staff = get_user_model().objects.get(username="community")
    # English screens make the assertions readable; the demo's own language
    # for this account is Dutch.
    staff.language = "en"
    staff.set_password(PASSWORD)  # the demo's password is random unless DEBUG
    staff.save()
    return staff


def _log_in(page, url, username, password, next_url):
    page.goto(f"{url}/admin/login/?next={next_url}")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.locator("form button[type=submit]").click()
    page.wait_for_load_state()


def _charts_drawn(page) -> int:
    charts = page.locator("canvas[data-chart]")
    count = charts.count()
    page.wait_for_function(
        "n => document.querySelectorAll('canvas[data-drawn=true]').length === n",
        arg=count,
    )
    return count


def test_a_month_in_one_minute_a_spike_explained_and_public_figures(
    page, browser, live_server, demo, shot
):
    url = live_server.url
    _log_in(page, url, "community", PASSWORD, "/admin/insight/")

    # The overview: every report's headline figures for this month.
    assert page.locator("h1").first.inner_text() == "Insight"
    for slug in ("listening", "care", "community", "invitations"):
        assert page.locator(f"#overview-{slug}").count() == 1
    assert page.locator("[data-figure]").count() >= 16
    assert page.locator("[data-figure] [data-value]").first.inner_text() != "—"
    shot(page, "70-insight-overview")

    # Listening: charts drawn, each with its table; the CSV is the table.
    page.locator("#overview-listening a").click()
    page.wait_for_load_state()
    assert _charts_drawn(page) >= 6
    volume = json.loads(page.locator("#chart-listening-volume").text_content())
    assert sum(volume["series"][0]["values"]) > 0
    block = page.locator("[data-block=listening-volume]")
    block.locator("summary").click()
    assert block.locator("table tbody tr").count() == len(volume["labels"])
    with page.expect_download() as download:
        block.get_by_role("link", name="CSV").click()
    rows = list(csv.reader(io.StringIO(download.value.path().read_text("utf-8-sig"))))
    assert rows[0][1:] == [s["label"] for s in volume["series"]]
    assert [row[0] for row in rows[1:]] == volume["labels"]
    assert [int(row[1]) for row in rows[1:]] == volume["series"][0]["values"]
    shot(page, "71-insight-listening")

    # Another period: the last 90 days, one point per week.
    page.locator("select[name=preset]").select_option("90d")
    with page.expect_navigation():
        page.get_by_role("button", name="Show").click()
    assert "One point per week" in page.locator(".insight-period").inner_text()
    _charts_drawn(page)

    for slug, name in (
        ("care", "72-insight-care"),
        ("community", "73-insight-community"),
        ("invitations", "74-insight-invitations"),
    ):
        page.goto(f"{url}/admin/insight/{slug}/?preset=90d")
        assert _charts_drawn(page) >= 1
        assert page.locator("[data-figure]").count() >= 4
        shot(page, name)
    # The unanswered share sits next to the response times, per intent.
    page.goto(f"{url}/admin/insight/care/")
    header = page.locator("[data-block=care-intent-table] thead").inner_text()
    assert header.index("Unanswered") < header.index("Median")

    # A range that ends before it starts is refused, with the reason.
    page.goto(f"{url}/admin/insight/care/?since=2026-02-01&until=2026-01-01")
    assert "The end date is before the start date." in page.content()

    # The spike alert: on the dashboard, explained, acknowledged.
    page.goto(f"{url}/admin/")
    panel = page.locator("[data-spike-panel]")
    assert panel.count() == 1
    shot(page, "75-admin-dashboard-spike")
    panel.locator("a").first.click()
    page.wait_for_load_state()
    assert "mentions in an hour" in page.content()
    assert page.locator("table").first.locator("tbody tr").count() >= 1  # terms
    shot(page, "76-spike-alert")
    with page.expect_navigation():
        page.get_by_role("button", name="Acknowledge").click()
    alert = SpikeAlert.objects.get()
    assert alert.acknowledged_by == demo
    assert page.locator("[data-acknowledged]").inner_text() != "Not yet"

    # The public page: the same figures for everyone, in both languages.
    visitor = browser.new_context(
        locale="nl-NL", viewport={"width": 1280, "height": 900}
    )
    public = visitor.new_page()
    public.goto(f"{url}/en/how-we-listen/")
    assert public.locator(".live-figures .live-figure").count() == 3
    assert "Ideas launched this year" in public.content()
    shot(public, "77-public-how-we-listen")
    public.goto(f"{url}/nl/zo-luisteren-we/")
    assert "Dit jaar gelanceerde ideeën" in public.content()
    shot(public, "78-public-zo-luisteren-we")
    visitor.close()


def test_a_member_is_kept_out_of_the_reports(page, live_server, home):
    member = UserFactory()
    _log_in(page, live_server.url, member.username, PASSWORD, "/admin/insight/")
    # Wagtail refuses the admin to a member: still on its login page.
    assert "/admin/login/" in page.url
    for path in ("/admin/insight/", "/admin/insight/care/?format=csv"):
        page.goto(f"{live_server.url}{path}")
        assert "/admin/login/" in page.url
        assert "Insight" not in page.locator("h1").first.inner_text()
