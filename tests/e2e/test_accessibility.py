"""axe-core checks the key pages, in English and in Dutch (issue 8).

axe-core is vendored in tests/e2e/vendor/ (see its README) and injected into
each page; nothing is downloaded at run time. A page passes when axe finds no
serious or critical violation of WCAG 2.1 A/AA (and axe's best practices);
moderate and minor findings are written to var/e2e/a11y-report-*.txt (and
shown when a page fails), so they stay visible without failing the run.

Our pages send `script-src 'self'`, which would block an injected script, so
the browser context is opened with Playwright's `bypass_csp`.
"""

import re
import time
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.contrib.sites.models import Site as DjangoSite
from django.utils import timezone
from django_comments_xtd.models import XtdComment
from wagtail.models import Locale

from tests.e2e.conftest import SCREENSHOTS
from tests.factories import PASSWORD, StaffFactory, UserFactory, make_idea

pytestmark = pytest.mark.e2e
live_db = pytest.mark.django_db(transaction=True)

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
BLOCKING = {"serious", "critical"}


def _axe(page) -> list[dict]:
    """Run axe on the page as it is now; return its violations."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """tags => axe.run(document, {
            runOnly: {type: 'tag', values: tags},
            resultTypes: ['violations'],
        }).then(r => r.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => ({
                target: n.target.join(' '), html: n.html.slice(0, 160),
                summary: (n.failureSummary || '').slice(0, 300),
            })),
        })))""",
        TAGS,
    )
    return result


def _describe(name: str, violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"  [{v['impact']}] {name}: {v['id']} — {v['help']}")
        for node in v["nodes"][:5]:
            lines.append(f"      {node['target']}  {node['html']}")
            if node["summary"]:
                lines.append(f"        {node['summary']}".replace("\n", " "))
    return "\n".join(lines)


class Audit:
    """Visits pages, runs axe on each and keeps what it found."""

    def __init__(self, page, base_url: str, shot, label: str):
        self.page = page
        self.base_url = base_url
        self.shot = shot
        self.label = label
        self.blocking: list[str] = []
        self.advisory: list[str] = []
        self.checked: list[str] = []

    def check(self, name: str, path: str | None = None, *, status: int = 200):
        started = time.monotonic()
        if path is not None:
            response = self.page.goto(self.base_url + path)
            assert response is not None and response.status == status, (
                f"{name}: {path} answered {response and response.status}"
            )
            # Not sent elsewhere (to the login page, say) on the way.
            assert self.page.url == self.base_url + path, f"{name}: {self.page.url}"
            # htmx's load-time requests (the live lists) have finished.
            self.page.wait_for_function(
                "() => !document.querySelector('.htmx-request')"
            )
        violations = _axe(self.page)
        blocking = [v for v in violations if v["impact"] in BLOCKING]
        advisory = [v for v in violations if v["impact"] not in BLOCKING]
        self.checked.append(f"{name} ({time.monotonic() - started:.1f} s)")
        if blocking:
            slug = re.sub(r"[^a-z0-9]+", "-", f"{self.label}-{name}".lower())
            self.shot(self.page, f"a11y-{slug.strip('-')}")
            self.blocking.append(_describe(name, blocking))
        if advisory:
            self.advisory.append(_describe(name, advisory))

    def report(self) -> str:
        return (
            f"{self.label}: {len(self.checked)} pages checked: "
            + ", ".join(self.checked)
            + "\n"
            + ("Serious/critical:\n" + "\n".join(self.blocking) + "\n")
            * bool(self.blocking)
            + ("Moderate/minor (not failing):\n" + "\n".join(self.advisory))
            * bool(self.advisory)
        )

    def assert_clean(self):
        # Kept with the screenshots as a CI artifact, passing or not.
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        (SCREENSHOTS / f"a11y-report-{self.label}.txt").write_text(
            self.report() + "\n", encoding="utf-8"
        )
        assert not self.blocking, self.report()


@pytest.fixture
def audit_context(browser, live_server):
    contexts = []

    def open_context(locale: str):
        context = browser.new_context(
            locale=locale, viewport={"width": 1280, "height": 900}, bypass_csp=True
        )
        contexts.append(context)
        tab = context.new_page()
        tab.set_default_timeout(15000)
        return tab

    yield open_context
    for context in contexts:
        context.close()


def _log_in(page, url, user, lang="en"):
    page.goto(f"{url}/{lang}/accounts/login/")
    page.locator("#id_login").fill(user.email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator(".layout-main button[type=submit]").click()
    page.wait_for_load_state()


def _log_in_admin(page, url, user, next_url):
    page.goto(f"{url}/admin/login/?next={next_url}")
    page.locator("input[name=username]").fill(user.username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_load_state()


@pytest.fixture
def community(home, community_settings):
    """A small community with one of everything the key pages show."""
    from experts import services as expert_services
    from experts.pages import QuestionsIndexPage
    from ideas import services as idea_services
    from ideas.models import Idea
    from ideas.pages import IdeasIndexPage
    from listening.connectors import RawMention
    from listening.consent import invitation_offer, invitation_token
    from listening.models import Mention, Source, Tracker
    from listening.services import mention_upsert_batch
    from portal.pages.models import FocusArea

    nl = Locale.objects.get(language_code="nl")
    for model, en_data, nl_data in (
        (IdeasIndexPage, ("Ideas", "ideas"), ("Ideeën", "ideeen")),
        (QuestionsIndexPage, ("Questions", "questions"), ("Vragen", "vragen")),
    ):
        index = model(title=en_data[0], slug=en_data[1], show_in_menus=True)
        home.add_child(instance=index)
        index.save_revision().publish()
        index_nl = index.copy_for_translation(nl).specific
        index_nl.title, index_nl.slug = nl_data
        index_nl.save_revision().publish()

    billing = FocusArea.objects.get(slug="billing")
    member = UserFactory(username="a11y-member", display_name="Sanne")
    staff = StaffFactory(username="a11y-staff", display_name="Eva")
    idea = make_idea(
        title="Dark mode in the Vonk app", author=UserFactory(display_name="Noor")
    )
    make_idea(title="Pay the bill in instalments")
    idea_services.idea_vote(idea=idea, user=member)
    XtdComment.objects.create(
        content_type=ContentType.objects.get_for_model(Idea),
        object_pk=str(idea.pk),
        user=member,
        user_name=member.public_name,
        user_email=member.email,
        comment="Yes please, my eyes will thank you.",
        site=DjangoSite.objects.get_current(),
    )
    idea_services.idea_respond(
        idea=idea, by=staff, status="planned", response="We are building it."
    )
    question = expert_services.question_ask(
        author=UserFactory(display_name="Joost"),
        title="Why is my annual bill higher than my advance payments?",
        body="I paid 140 euro a month but must pay 310 euro extra now.",
        focus_area=billing,
    )
    expert_services.answer_post(
        question=question,
        author=member,
        body="Advances are an estimate; the annual bill settles the difference.",
    )

    Tracker.objects.create(name="Vonk", kind="brand", any_terms="vonk")
    source = Source.objects.create(
        name="Mastodon #vonk", kind="mastodon", url="https://mastodon.social"
    )
    mention_upsert_batch(
        source=source,
        raw_mentions=[
            RawMention(
                external_id="a11y-1",
                text="Vonk should show my solar yield per hour in the app.",
                author_handle="@noor@mastodon.social",
                author_name="Noor",
                url="https://mastodon.social/@noor/1",
                posted_at=timezone.now(),
                raw={"id": "1"},
            )
        ],
    )
    mention = Mention.objects.get()
    invitation = invitation_offer(mention=mention, user=staff)
    return {
        "member": member,
        "staff": staff,
        "idea": idea,
        "question": question,
        "mention": mention,
        "token": invitation_token(invitation),
    }


def _paths(lang: str, data: dict) -> dict[str, str]:
    ideas, questions = ("ideas", "questions") if lang == "en" else ("ideeen", "vragen")
    idea, question = data["idea"], data["question"]
    return {
        "home": f"/{lang}/",
        "ideas list": f"/{lang}/{ideas}/",
        "idea detail": f"/{lang}/{ideas}/{idea.pk}/",
        "roadmap": f"/{lang}/{ideas}/roadmap/",
        "ideas in action": f"/{lang}/{ideas}/in-action/",
        "questions list": f"/{lang}/{questions}/",
        "question detail": f"/{lang}/{questions}/{question.pk}/",
        "expert programme": f"/{lang}/{questions}/experts/",
        "expert application": f"/{lang}/{questions}/experts/apply/",
        "opt-out": f"/{lang}/optout/",
        "invitation": f"/{lang}/invite/{data['token']}/",
        "search": f"/{lang}/search/?q=bill",
        "login": f"/{lang}/accounts/login/",
        "sign-up": f"/{lang}/accounts/signup/",
    }


@live_db
@pytest.mark.parametrize("lang,locale", [("en", "en-GB"), ("nl", "nl-NL")])
def test_key_pages_have_no_serious_or_critical_violations(
    lang, locale, live_server, audit_context, community, shot
):
    url = live_server.url
    page = audit_context(locale)
    audit = Audit(page, url, shot, f"{lang}")
    paths = _paths(lang, community)
    for name in (
        "home",
        "ideas list",
        "idea detail",
        "roadmap",
        "ideas in action",
        "questions list",
        "question detail",
        "expert programme",
        "opt-out",
        "invitation",
        "search",
        "login",
        "sign-up",
    ):
        audit.check(f"{name} (visitor)", paths[name])
    audit.check("404", f"/{lang}/no-such-page/", status=404)
    assert page.locator("html").get_attribute("lang") == lang

    _log_in(page, url, community["member"], lang)
    ideas = paths["ideas list"]
    questions = paths["questions list"]
    for name, path in (
        ("home (member)", paths["home"]),
        ("ideas list (member)", ideas),
        ("idea detail (member)", paths["idea detail"]),
        ("new idea form", f"{ideas}new/"),
        ("question detail (member)", paths["question detail"]),
        ("ask form", f"{questions}ask/"),
        ("expert application", paths["expert application"]),
        ("profile settings", f"/{lang}/settings/profile/"),
        ("notification settings", f"/{lang}/settings/notifications/"),
        ("privacy settings", f"/{lang}/settings/privacy/"),
        ("notifications", f"/{lang}/notifications/"),
        ("public profile", f"/{lang}/members/a11y-member/"),
    ):
        audit.check(name, path)
    # The live duplicate list, filled in while typing.
    page.goto(f"{url}{ideas}new/")
    page.locator("#id_title").press_sequentially("dark theme for the app", delay=20)
    page.locator("#similar .similar-idea").first.wait_for(timeout=30000)
    audit.check("new idea form with suggestions")
    audit.assert_clean()


@live_db
def test_staff_pages_have_no_serious_or_critical_violations(
    live_server, audit_context, community, shot
):
    url = live_server.url
    page = audit_context("en-GB")
    _log_in_admin(page, url, community["staff"], "/admin/listening/inbox/")
    audit = Audit(page, url, shot, "staff")
    audit.check("listening inbox", "/admin/listening/inbox/")
    audit.check(
        "mention workspace", f"/admin/listening/inbox/{community['mention'].pk}/"
    )
    audit.check("insight overview", "/admin/insight/")
    audit.check("listening report", "/admin/insight/listening/")
    audit.assert_clean()


def test_the_audit_does_catch_a_violation(browser):
    """A guard on the guard: axe runs, and a serious violation fails a page."""
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.set_content(
        '<html lang="en"><body><main><h1>Bad</h1>'
        '<img src="x.png"><input type="text">'
        '<p style="color:#ccc;background:#fff">Hard to read</p></main></body></html>'
    )
    audit = Audit(page, "", lambda *args: None, "self-check")
    audit.check("a bad page")
    context.close()
    found = "\n".join(audit.blocking)
    for rule in ("image-alt", "label", "color-contrast"):
        assert f": {rule} " in found, found
