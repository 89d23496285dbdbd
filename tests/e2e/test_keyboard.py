"""Every page works with the keyboard (issue 8), tested with real key presses.

No clicks and no `fill()` here: focus moves with Tab, text is typed into the
focused field, buttons are pressed with Enter or Space. Where a check reads
the page (which element has focus, how it is drawn) it only reads.
"""

import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.contrib.sites.models import Site as DjangoSite
from django_comments_xtd.models import XtdComment
from wagtail.models import Locale

from tests.e2e.conftest import SCREENSHOTS
from tests.factories import PASSWORD, UserFactory, make_idea

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# The elements Tab should reach, in document order: what the browser makes
# focusable, minus what is hidden, disabled or taken out with tabindex=-1.
# Radio buttons are one stop per group (the checked one, else the first).
TAB_STOPS_JS = """() => {
    const selector = 'a[href], button, input, select, textarea, summary, '
        + 'iframe, [tabindex], [contenteditable=""], [contenteditable=true]';
    const seen = new Set();
    const stops = [];
    for (const el of document.querySelectorAll(selector)) {
        if (el.tabIndex < 0 || el.disabled || el.closest('[inert]')) continue;
        if (el.type === 'hidden') continue;
        if (!el.checkVisibility({visibilityProperty: true})) continue;
        const closed = el.closest('details:not([open])');
        if (closed && el !== closed.querySelector(':scope > summary')) continue;
        if (el.type === 'radio') {
            const group = el.form ? el.form.elements[el.name] : [el];
            if (seen.has(el.name)) continue;
            seen.add(el.name);
            const checked = [...group].find(r => r.checked);
            if (checked && checked !== el) {
                checked.dataset.kb = stops.length; stops.push(describe(checked));
                continue;
            }
        }
        el.dataset.kb = stops.length;
        stops.push(describe(el));
    }
    return stops;
    function describe(el) {
        const name = (el.getAttribute('aria-label') || el.innerText
            || el.value || el.name || el.id || '').trim().slice(0, 40);
        return `${el.tagName.toLowerCase()} "${name}"`;
    }
}"""

# Which element has focus, and whether it shows that it has.
FOCUSED_JS = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const style = getComputedStyle(el);
    const outline = style.outlineStyle !== 'none'
        && parseFloat(style.outlineWidth) >= 1;
    const shadow = style.boxShadow !== 'none';
    return {
        kb: el.dataset.kb ?? null,
        tag: el.tagName.toLowerCase(),
        id: el.id,
        text: (el.getAttribute('aria-label') || el.innerText || el.name || '')
            .trim().slice(0, 40),
        indicator: outline || shadow,
        outline: `${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor}`,
    };
}"""


@pytest.fixture
def kb_page(browser, live_server):
    context = browser.new_context(
        locale="en-GB", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


@pytest.fixture
def community(home, community_settings):
    from experts.pages import QuestionsIndexPage
    from ideas.models import Idea
    from ideas.pages import IdeasIndexPage

    nl = Locale.objects.get(language_code="nl")
    for model, title, slug in (
        (IdeasIndexPage, "Ideas", "ideas"),
        (QuestionsIndexPage, "Questions", "questions"),
    ):
        index = model(title=title, slug=slug, show_in_menus=True)
        home.add_child(instance=index)
        index.save_revision().publish()
        index.copy_for_translation(nl).save_revision().publish()
    member = UserFactory(username="kb-member", display_name="Sanne")
    idea = make_idea(title="Dark mode in the Vonk app")
    XtdComment.objects.create(
        content_type=ContentType.objects.get_for_model(Idea),
        object_pk=str(idea.pk),
        user=idea.author,
        user_name=idea.author.public_name,
        user_email=idea.author.email,
        comment="Please, my eyes hurt at night.",
        site=DjangoSite.objects.get_current(),
    )
    return {"member": member, "idea": idea}


def _focused(page) -> dict | None:
    return page.evaluate(FOCUSED_JS)


def _tab_to(page, selector: str, *, limit: int = 80, key: str = "Tab") -> None:
    """Press Tab until the element matching `selector` has focus."""
    target = page.locator(selector)
    target.first.wait_for(state="attached")
    for _ in range(limit):
        page.keyboard.press(key)
        if page.evaluate(
            "s => !!document.activeElement && document.activeElement.matches(s)",
            selector,
        ):
            return
    raise AssertionError(f"Tab never reached {selector} in {limit} presses")


def _log_in_with_keyboard(page, url, user):
    page.goto(f"{url}/en/accounts/login/")
    _tab_to(page, "#id_login")
    page.keyboard.type(user.email)
    page.keyboard.press("Tab")
    assert _focused(page)["id"] == "id_password"
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state()


def _walk(page, name: str) -> tuple[list[str], str]:
    """Tab through the whole page. Return what went wrong, and a summary."""
    page.wait_for_load_state("networkidle")
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    page.evaluate("() => window.scrollTo(0, 0)")
    stops = page.evaluate(TAB_STOPS_JS)
    problems = []
    if page.locator("[tabindex]:not([tabindex='0']):not([tabindex^='-'])").count():
        problems.append(f"{name}: a positive tabindex changes the order")
    # Start from the top of the document, as a fresh page load would.
    page.evaluate(
        "() => { document.body.setAttribute('tabindex', '-1');"
        " document.body.focus(); document.body.removeAttribute('tabindex'); }"
    )
    reached, revealed = [], []
    last = str(len(stops) - 1)
    for _ in range(len(stops) + 10):
        page.keyboard.press("Tab")
        focused = _focused(page)
        if focused is None:
            break
        label = f"{focused['tag']} {focused['text']!r}"
        if not focused["indicator"]:
            problems.append(f"{name}: no visible focus on {label}")
        if focused["kb"] is None:
            # Shown only while focus is near (the language switcher's Go).
            revealed.append(label)
            continue
        reached.append(focused["kb"])
        if focused["kb"] == last:
            break
    expected = [str(i) for i in range(len(stops))]
    if reached != expected:
        at = next(
            (
                i
                for i, (a, b) in enumerate(zip(reached, expected, strict=False))
                if a != b
            ),
            min(len(reached), len(expected)),
        )
        problems.append(
            f"{name}: Tab order differs at stop {at}: expected "
            f"{stops[at] if at < len(stops) else 'the end'}, got "
            f"{reached[at : at + 3]} (stops: {stops})"
        )
    # No trap: from the last stop, Tab leaves the page's controls and comes
    # round to the first one again.
    for _ in range(3):
        page.keyboard.press("Tab")
        focused = _focused(page)
        if focused is not None and focused["kb"] == "0":
            break
    else:
        problems.append(f"{name}: Tab did not come round to the start again")
    summary = f"{name}: {len(stops)} Tab stops in order"
    if revealed:
        summary += f", plus {', '.join(revealed)} shown on focus"
    return problems, summary


def test_the_skip_link_is_the_first_tab_stop_and_jumps_to_the_content(
    kb_page, live_server, community, shot
):
    page, url = kb_page, live_server.url
    idea = community["idea"]
    for path in ("/en/", "/en/ideas/", f"/en/ideas/{idea.pk}/", "/nl/ideas/"):
        page.goto(url + path)
        page.keyboard.press("Tab")
        focused = _focused(page)
        assert focused["tag"] == "a" and "skip-link" in page.evaluate(
            "() => document.activeElement.className"
        ), f"{path}: the first Tab stop is {focused}"
        box = page.locator(".skip-link").bounding_box()
        assert box["x"] >= 0 and box["y"] >= 0, f"{path}: skip link off screen"
        assert focused["indicator"], path
        if path == "/en/":
            shot(page, "a11y-kb-skip-link")
        page.keyboard.press("Enter")
        assert page.evaluate("() => document.activeElement.id") == "main", path
        # The next Tab goes on from the content (into it, or past it when it
        # holds no control), never back into the header.
        page.keyboard.press("Tab")
        assert page.evaluate(
            "() => !!(document.getElementById('main')"
            ".compareDocumentPosition(document.activeElement)"
            " & Node.DOCUMENT_POSITION_FOLLOWING)"
        ), f"{path}: after the skip link, Tab went to {_focused(page)}"
    assert page.locator(".skip-link").inner_text() == "Naar de inhoud"


def test_tab_reaches_every_control_in_order_with_visible_focus_and_no_trap(
    kb_page, live_server, community, shot
):
    page, url = kb_page, live_server.url
    idea = community["idea"]
    problems = []
    visitor_pages = {
        "home": "/en/",
        "ideas list": "/en/ideas/",
        "idea detail": f"/en/ideas/{idea.pk}/",
        "questions list": "/en/questions/",
        "login": "/en/accounts/login/",
        "sign-up": "/en/accounts/signup/",
        "opt-out": "/en/optout/",
    }
    summaries = []
    for name, path in visitor_pages.items():
        page.goto(url + path)
        found, summary = _walk(page, name)
        problems += found
        summaries.append(summary)
    _log_in_with_keyboard(page, url, community["member"])
    member_pages = {
        "idea detail (member)": f"/en/ideas/{idea.pk}/",
        "new idea form": "/en/ideas/new/",
        "ask form": "/en/questions/ask/",
        "profile settings": "/en/settings/profile/",
        "notifications": "/en/notifications/",
    }
    for name, path in member_pages.items():
        page.goto(url + path)
        found, summary = _walk(page, name)
        problems += found
        summaries.append(summary)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "a11y-report-keyboard.txt").write_text(
        "\n".join(summaries + problems) + "\n", encoding="utf-8"
    )
    if problems:
        shot(page, "a11y-kb-tab-walk")
    assert not problems, "\n".join(problems)


def test_log_in_share_an_idea_and_pick_a_duplicate_with_the_keyboard_only(
    kb_page, live_server, community, shot
):
    from ideas.models import Idea, Vote

    page, url = kb_page, live_server.url
    member, original = community["member"], community["idea"]
    _log_in_with_keyboard(page, url, member)
    assert page.locator(".account-nav").get_by_text("Sanne").is_visible()

    # A new idea, typed and sent from the keyboard.
    page.goto(f"{url}/en/ideas/new/")
    _tab_to(page, "#id_title")
    page.keyboard.type("Pay the bill in instalments over the year")
    page.wait_for_load_state("networkidle")
    _tab_to(page, "#id_body")
    page.keyboard.type("Twelve equal parts instead of one big bill in January.")
    _tab_to(page, "form.stacked-form button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert Idea.objects.filter(title__startswith="Pay the bill").exists()

    # Typing a look-alike shows the live list; Tab goes from the title into
    # it, and Enter on "Vote for this instead" votes for the original.
    page.goto(f"{url}/en/ideas/new/")
    _tab_to(page, "#id_title")
    page.keyboard.type("dark theme for the app", delay=20)
    page.locator("#similar .similar-idea").first.wait_for(timeout=30000)
    assert _focused(page)["id"] == "id_title"  # the list did not steal focus
    page.keyboard.press("Tab")
    assert _focused(page)["text"] == original.title  # the suggestion's link
    page.keyboard.press("Tab")
    focused = _focused(page)
    assert focused["text"] == "Vote for this instead" and focused["indicator"]
    shot(page, "a11y-kb-duplicate-suggestion")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/en/ideas/{original.pk}-"))
    assert Vote.objects.filter(idea=original, user=member).exists()


def test_vote_with_space_and_enter_and_comment_with_the_keyboard(
    kb_page, live_server, community, shot
):
    from ideas.models import Vote

    page, url = kb_page, live_server.url
    member, idea = community["member"], community["idea"]
    _log_in_with_keyboard(page, url, member)
    page.goto(f"{url}/en/ideas/")
    button = f"#vote-{idea.pk} button.vote-button"
    _tab_to(page, button)
    page.keyboard.press("Space")
    page.locator(f"{button}.voted").wait_for()
    assert Vote.objects.filter(idea=idea, user=member).exists()
    # Focus stays on the button htmx swapped in, so Enter takes the vote back.
    assert page.evaluate("s => document.activeElement.matches(s)", f"{button}.voted")
    assert _focused(page)["indicator"]
    page.keyboard.press("Enter")
    page.locator(f"{button}:not(.voted)").wait_for()
    assert not Vote.objects.filter(idea=idea, user=member).exists()
    assert page.url.endswith("/en/ideas/")

    # A comment on the idea's page.
    page.goto(f"{url}/en/ideas/{idea.pk}/")
    _tab_to(page, "textarea[name=comment]")
    page.keyboard.type("Yes please, from the keyboard.")
    _tab_to(page, ".comment-form button[name=post]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert page.get_by_text("Yes please, from the keyboard.").is_visible()
    shot(page, "a11y-kb-commented")


def test_ask_a_question_with_the_keyboard(kb_page, live_server, community, shot):
    from experts.models import Question

    page, url = kb_page, live_server.url
    _log_in_with_keyboard(page, url, community["member"])
    page.goto(f"{url}/en/questions/ask/")
    _tab_to(page, "#id_title")
    page.keyboard.type("Why did my advance payment go up this month?")
    _tab_to(page, "#id_body")
    page.keyboard.type("It went from 120 to 150 euro without a letter explaining it.")
    _tab_to(page, "#id_focus_area")
    page.keyboard.press("ArrowDown")  # a closed <select> changes in place
    assert page.locator("#id_focus_area").input_value() == "billing"
    _tab_to(page, "form.stacked-form button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert Question.objects.filter(title__startswith="Why did my advance").exists()
    shot(page, "a11y-kb-question-asked")


def test_disclosures_open_with_enter_close_with_escape_and_do_not_trap(
    kb_page, live_server, community, shot
):
    page, url = kb_page, live_server.url
    idea = community["idea"]
    _log_in_with_keyboard(page, url, community["member"])
    page.goto(f"{url}/en/ideas/{idea.pk}/")
    details = page.locator("details.flag-details")
    _tab_to(page, "details.flag-details > summary")
    page.keyboard.press("Enter")
    assert details.get_attribute("open") is not None
    # Into the form it reveals, and out again past it.
    page.keyboard.press("Tab")
    assert page.evaluate("() => !!document.activeElement.closest('.flag-details')")
    shot(page, "a11y-kb-report-open")
    page.keyboard.press("Escape")
    assert details.get_attribute("open") is None
    assert page.evaluate(
        "() => document.activeElement.matches('details.flag-details > summary')"
    )
    page.keyboard.press("Space")
    assert details.get_attribute("open") is not None
    for _ in range(15):
        page.keyboard.press("Tab")
        if not page.evaluate("() => !!document.activeElement.closest('.flag-details')"):
            break
    else:
        raise AssertionError("Tab stayed inside the open Report form")

    # The language menu: arrows choose, nothing happens until Go is pressed.
    page.goto(f"{url}/en/ideas/")
    _tab_to(page, "#language-select")
    page.keyboard.press("ArrowDown")
    assert page.url.endswith("/en/ideas/")
    assert page.locator("#language-select").input_value() == "nl"
    page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert "/nl/" in page.url
