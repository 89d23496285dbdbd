"""Steps that several end-to-end flows share: signing in, signing up and
verifying, opening a second person's browser, reading links from emails, and
uploading a listening export in the admin."""

import re
from pathlib import Path

from django.core import mail

from tests.factories import PASSWORD

NEW_PASSWORD = "a-Long-enough-pass-42"
VIEWPORT = {"width": 1280, "height": 900}


def new_tab(browser, locale: str = "en-GB"):
    """A page in a browser context of its own: another person, other cookies.
    Close it with `tab.context.close()`."""
    context = browser.new_context(locale=locale, viewport=VIEWPORT)
    tab = context.new_page()
    tab.set_default_timeout(15000)
    return tab


def log_in(page, url: str, email: str, password: str = PASSWORD) -> None:
    """Sign in on the site's own login page."""
    page.goto(f"{url}/en/accounts/login/")
    page.get_by_label("Email:").fill(email)
    page.get_by_label("Password:").fill(password)
    page.locator(".layout-main button[type=submit]").click()
    page.wait_for_load_state()


def log_in_admin(page, url: str, user, next_url: str = "/admin/") -> None:
    """Sign in on the Wagtail admin's login page."""
    page.goto(f"{url}/admin/login/?next={next_url}")
    page.locator("input[name=username]").fill(user.username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_load_state()


def link_in(text: str, contains: str = "/") -> str:
    """The path of the first absolute link in `text` whose path contains
    `contains`: emails and drafted replies carry the site's public address,
    which is not the live server's."""
    for match in re.finditer(r"https?://[^/\s]+(/\S+)", text):
        if contains in match.group(1):
            return match.group(1).rstrip(").,")
    raise AssertionError(f"No link with {contains!r} in: {text}")


def sign_up(page, email: str, password: str = NEW_PASSWORD) -> None:
    """Fill in allauth's sign-up form (already open) and send it."""
    page.get_by_label("Email:").fill(email)
    page.get_by_label("Password:", exact=True).fill(password)
    page.get_by_label("Password (again):").fill(password)
    page.get_by_role("button", name="Sign Up").click()
    page.wait_for_url(re.compile(r"/confirm-email/"))


def confirm_email(page, url: str, email: str) -> None:
    """Follow the verification link of the last email sent to `email`."""
    sent = [m for m in mail.outbox if email in m.to]
    assert sent, f"No email was sent to {email}"
    page.goto(url + link_in(sent[-1].body, "/confirm-email/"))
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_load_state()


def upload_export(
    page, path: Path, preset: str = "generic", source: str = ""
) -> dict[str, str]:
    """Upload a listening export on Listening → Imports (already open), wait
    for the import to finish and return its report."""
    page.get_by_label("File").set_input_files(str(path))
    page.get_by_label("Column mapping").select_option(preset)
    if source:
        page.get_by_label("Source name").fill(source)
    page.get_by_role("button", name="Import", exact=True).click()
    page.wait_for_load_state()
    page.wait_for_selector("#import-status[data-status=done]")
    return import_report(page)


def import_report(page) -> dict[str, str]:
    rows = page.locator("#import-status table").first.locator("tr")
    return {
        rows.nth(i).locator("th").inner_text(): rows.nth(i).locator("td").inner_text()
        for i in range(rows.count())
    }


def admin_settled(page) -> None:
    """Wait for the admin's slide-in messages to finish, for the screenshot."""
    page.wait_for_function(
        """() => [...document.querySelectorAll('.messages')].every(m =>
            m.getAnimations({subtree: true}).every(a => a.playState !== 'running'))"""
    )
