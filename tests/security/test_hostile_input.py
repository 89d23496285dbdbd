"""Hostile input on every form: XSS, SQL-like strings, huge bodies, Unicode.

Each endpoint below is a form somebody can post: members' pages, the public
opt-out and invitation pages, and the staff screens in the Wagtail admin.
For each one, every payload is posted (the main forms get the full set, the
others a representative one) and the suite expects:

- never a server error: a clean rejection (4xx, or the form again with its
  error) or success;
- after success, no executable markup on the pages that show the value: no
  <script> with the payload, no on* handler attribute carrying it, and no
  javascript: URL in a link or a source (checked on the parsed HTML, so the
  escaped text "&lt;script&gt;" is fine and a real <script> tag is not);
- a plain payload is accepted and shows up, so each endpoint's valid data is
  right and the checks above are not vacuous.

Every payload runs as a subtest named after the endpoint and the payload.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import quote_plus

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

# The payloads carry this marker, so a page's own scripts never match.
MARK = "alert(1337)"
PLAIN = "Plain words from a careful member"


@dataclass(frozen=True)
class Payload:
    name: str
    text: str
    # Long payloads replace the whole value; short ones go inside a sentence
    # long enough for the forms' minimum lengths.
    whole: bool = False


XSS = [
    Payload("script tag", f"<script>{MARK}</script>"),
    Payload("img onerror", f"<img src=x onerror={MARK}>"),
    Payload("attribute breakout", f'"><svg onload={MARK}>'),
    Payload("single-quote breakout", f"'><body onload='{MARK}'>"),
    Payload("javascript url", f"javascript:{MARK}"),
    Payload("markdown javascript link", f"[click me](javascript:{MARK})"),
    Payload("markdown image onerror", f'![x](x" onerror="{MARK})'),
    Payload("iframe srcdoc", f'<iframe srcdoc="<script>{MARK}</script>">'),
    Payload("template injection", "{{ request.user.password }} {% debug %}"),
]
SQL = [
    Payload("sql or", "' OR 1=1 --"),
    Payload("sql drop", "x'; DROP TABLE ideas_idea; --"),
    Payload("sql union", '" UNION SELECT username, password FROM accounts_user --'),
]
UNICODE = [
    Payload("rtl override", "invoice \u202etxt.exe\u202c done"),
    Payload("zero-width joiners", "ze\u200dro\u200bwidth\u2060 \ufeffbom"),
    Payload("emoji skin tones", "thanks 👍🏽👩🏿‍💻👨‍👩‍👧‍👦 🏳️‍🌈"),
    Payload("combining characters", "Z\u0351\u036b\u0343a\u0310l\u0352go\u0489"),
    Payload("nul byte", "before\x00after"),
    Payload("control characters", "bell\x07 back\x08 esc\x1b[31m del\x7f"),
    # Not encodable as UTF-8; sent as its CESU bytes (%ED%A0%80), which the
    # server must decode or reject, not crash on.
    Payload("lone surrogate", "half \ud800 a pair"),
    Payload("non-characters", "\ufffe\uffff\U0010ffff end"),
]
HUGE = [
    Payload("1 MB field", "A" * (1024 * 1024), whole=True),
    Payload(
        "body over DATA_UPLOAD_MAX_MEMORY_SIZE",
        "B" * (django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1024),
        whole=True,
    ),
]
# The full set on the main forms, a representative one elsewhere; the huge
# bodies only where a long text is expected (each one is slow to post, and
# a form that refuses it renders it back).
FULL = [*XSS, *SQL, *UNICODE]
SMALL = [XSS[0], XSS[2], XSS[5], SQL[0], UNICODE[4], UNICODE[6]]


# --- what counts as executable markup ----------------------------------------

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data"}
INERT_SCRIPT_TYPES = {"application/json", "application/ld+json", "text/template"}


class ExecutableMarkup(HTMLParser):
    """Collects markup a browser would run: a <script> holding the marker, an
    on* attribute holding it, a javascript: URL, or an iframe's srcdoc."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            kind = (attributes.get("type") or "").lower()
            self._script = kind not in INERT_SCRIPT_TYPES
        for name, value in attrs:
            value = value or ""
            if name.startswith("on") and MARK in value:
                self.found.append(f"<{tag} {name}={value!r}>")
            if name in URL_ATTRIBUTES:
                squashed = "".join(value.split()).lower()
                if squashed.startswith(("javascript:", "vbscript:", "data:text/html")):
                    self.found.append(f"<{tag} {name}={value!r}>")
            if name == "srcdoc" and MARK in value:
                self.found.append(f"<{tag} srcdoc={value!r}>")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = False

    def handle_data(self, data):
        if self._script and MARK in data:
            self.found.append(f"<script>{data[:80]!r}")


def executable_markup(html: str) -> list[str]:
    parser = ExecutableMarkup()
    parser.feed(html)
    parser.close()
    return parser.found


def test_the_markup_check_tells_escaped_text_from_live_markup():
    escaped = f"<p>&lt;script&gt;{MARK}&lt;/script&gt; &lt;img onerror={MARK}&gt;</p>"
    assert executable_markup(escaped) == []
    assert executable_markup(f"<p><script>{MARK}</script></p>")
    assert executable_markup(f'<img src="x" onerror="{MARK}">')
    assert executable_markup('<a href=" JaVaScRiPt:void(0)">x</a>')
    assert executable_markup(f'<script type="application/json">"{MARK}"</script>') == []


# --- the endpoints -----------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    """A form: who posts it, where, its valid data, the fields that take the
    payload, and the pages (viewer role, URL) that show what was stored."""

    name: str
    role: str
    url: Callable
    data: Callable
    fields: tuple[str, ...]
    shows: tuple[tuple[str, Callable], ...] = ()
    payloads: tuple[Payload, ...] = tuple(SMALL)
    # Whether the plain payload must show on the pages above (False where the
    # field is not shown back, e.g. a choice or a password).
    plain_shows: bool = True
    method: str = "post"


def _page(world, name: str) -> str:
    return getattr(world, name).url


def _comment_data(world) -> dict:
    import django_comments

    form = django_comments.get_form()(world.idea)
    data = {**form.initial, "followup": "on", "reply_to": "0"}
    data.pop("honeypot", None)
    return {k: str(v) for k, v in data.items()}


def _latest_application(world) -> str:
    from experts.models import ExpertApplication

    latest = ExpertApplication.objects.order_by("-pk").first()
    return reverse("experts_admin:application", args=[latest.pk])


def _idea_page(world) -> str:
    return world.idea.get_absolute_url()


def _question_page(world) -> str:
    return world.question.get_absolute_url()


def _newest_idea_page(world) -> str:
    from ideas.models import Idea

    return Idea.objects.order_by("-pk").first().get_absolute_url()


def _newest_question_page(world) -> str:
    from experts.models import Question

    return Question.objects.order_by("-pk").first().get_absolute_url()


def _workspace(world) -> str:
    return reverse("listening_inbox:mention", args=[world.mention.pk])


def _case_page(world) -> str:
    return f"{world.questions_page.url}{world.private_question.pk}/private/"


ENDPOINTS = [
    # --- members ---------------------------------------------------------
    Endpoint(
        "idea submit",
        "member",
        lambda w: f"{w.ideas_page.url}new/",
        lambda w: {"title": "", "body": "", "tags": "", "focus_area": "billing"},
        ("title", "body", "tags"),
        shows=(
            ("anonymous", _newest_idea_page),
            ("anonymous", lambda w: w.ideas_page.url),
        ),
        payloads=(*FULL, *HUGE),
    ),
    Endpoint(
        "idea comment",
        "member",
        lambda w: "/comments/post/",
        _comment_data,
        ("comment",),
        shows=(("anonymous", _idea_page),),
        payloads=(*FULL, *HUGE),
    ),
    Endpoint(
        "idea vote",
        "member",
        lambda w: f"{w.ideas_page.url}{w.idea.pk}/vote/",
        lambda w: {"action": "", "next": ""},
        ("action", "next"),
        plain_shows=False,
    ),
    Endpoint(
        "idea follow",
        "member",
        lambda w: f"{w.ideas_page.url}{w.idea.pk}/follow/",
        lambda w: {"action": ""},
        ("action",),
        plain_shows=False,
    ),
    Endpoint(
        "idea flag",
        "expert",
        lambda w: f"{w.ideas_page.url}{w.idea.pk}/flag/",
        lambda w: {"reason": ""},
        ("reason",),
        plain_shows=False,
    ),
    Endpoint(
        "idea submit through the API",
        "member",
        lambda w: "/api/v1/ideas/",
        lambda w: {"title": "", "body": ""},
        ("title", "body"),
        shows=(("anonymous", _newest_idea_page),),
        method="json",
    ),
    Endpoint(
        "question ask",
        "member",
        lambda w: f"{w.questions_page.url}ask/",
        lambda w: {"title": "", "body": "", "focus_area": "billing"},
        ("title", "body"),
        shows=(("anonymous", _newest_question_page),),
        payloads=tuple(FULL),
    ),
    Endpoint(
        "answer",
        "expert",
        lambda w: f"{w.questions_page.url}{w.question.pk}/answer/",
        lambda w: {"body": ""},
        ("body",),
        shows=(("anonymous", _question_page),),
        payloads=tuple(FULL),
    ),
    Endpoint(
        "expert application",
        "member",
        lambda w: f"{w.questions_page.url}experts/apply/",
        lambda w: {
            "focus_areas": "billing",
            "motivation": "",
            "accepts_guidelines": "on",
            "opts_in": "on",
        },
        ("motivation",),
        shows=(("staff", _latest_application),),
    ),
    Endpoint(
        "expert settings",
        "expert",
        lambda w: f"{w.questions_page.url}experts/me/",
        lambda w: {
            "action": "preferences",
            "headline": "",
            "focus_areas": "billing",
            "daily_cap": "3",
            "timezone": "Europe/Amsterdam",
        },
        ("headline",),
        shows=(("anonymous", lambda w: f"{w.questions_page.url}experts/joost/"),),
    ),
    Endpoint(
        "private case message",
        "asker",
        lambda w: _case_page(w),
        lambda w: {"action": "message", "body": ""},
        ("body",),
        shows=(("asker", _case_page), ("staff", _case_page)),
        payloads=(*FULL, *HUGE),
    ),
    Endpoint(
        "profile",
        "member",
        lambda w: reverse("accounts:profile_edit"),
        lambda w: {"display_name": "", "bio": "", "language": "en"},
        ("display_name", "bio"),
        shows=(
            ("anonymous", lambda w: reverse("accounts:profile", args=["sanne"])),
            ("anonymous", _idea_page),
        ),
        payloads=(*FULL, *HUGE),
    ),
    Endpoint(
        "notification settings",
        "member",
        lambda w: reverse("accounts:notification_preferences"),
        lambda w: {
            "email_enabled": "on",
            "email_frequency": "",
            "onsite_enabled": "on",
        },
        ("email_frequency",),
        plain_shows=False,
    ),
    Endpoint(
        "GDPR delete confirmation",
        "member",
        lambda w: reverse("accounts:account_delete"),
        lambda w: {"confirmation": "", "password": ""},
        ("confirmation", "password"),
        plain_shows=False,
    ),
    Endpoint(
        "public opt-out",
        "anonymous",
        lambda w: reverse("listening_optout"),
        lambda w: {"handle": "", "network": ""},
        ("handle", "network"),
        plain_shows=False,
        payloads=(*FULL, *HUGE),
    ),
    Endpoint(
        "invitation join",
        "member",
        lambda w: reverse("listening_invite", args=[w.invitation_token]),
        lambda w: {"action": ""},
        ("action",),
        plain_shows=False,
    ),
    Endpoint(
        "contribution draft",
        "member",
        lambda w: reverse("listening_draft", args=[w.draft.pk]),
        lambda w: {"kind": "idea", "title": "", "body": "", "action": "save"},
        ("title", "body"),
        shows=(("member", lambda w: reverse("listening_draft", args=[w.draft.pk])),),
        payloads=tuple(FULL),
    ),
    Endpoint(
        "site search",
        "anonymous",
        lambda w: reverse("search"),
        lambda w: {"q": ""},
        ("q",),
        plain_shows=False,
        method="get",
    ),
    Endpoint(
        "ideas filter",
        "anonymous",
        lambda w: w.ideas_page.url,
        lambda w: {"q": "", "sort": "", "tag": ""},
        ("q", "sort", "tag"),
        plain_shows=False,
        method="get",
    ),
    # --- staff in the Wagtail admin --------------------------------------
    Endpoint(
        "official idea response",
        "staff",
        lambda w: reverse("ideas_admin:respond", args=[w.idea.pk]),
        lambda w: {"status": "planned", "response": ""},
        ("response",),
        shows=(("anonymous", _idea_page),),
        payloads=tuple(FULL),
    ),
    Endpoint(
        "idea merge",
        "staff",
        lambda w: reverse("ideas_admin:merge", args=[w.idea.pk]),
        lambda w: {"target": ""},
        ("target",),
        plain_shows=False,
    ),
    Endpoint(
        "application decision",
        "staff",
        lambda w: reverse("experts_admin:application", args=[w.application.pk]),
        lambda w: {"decision": "decline", "note": ""},
        ("note",),
        plain_shows=False,
    ),
    Endpoint(
        "official answer",
        "staff",
        lambda w: reverse("experts_admin:question", args=[w.question.pk]),
        lambda w: {"body": ""},
        ("body",),
        shows=(("anonymous", _question_page),),
        payloads=tuple(FULL),
    ),
    Endpoint(
        "answer verification note",
        "staff",
        lambda w: reverse("experts_admin:answer_verify", args=[w.answer.pk]),
        lambda w: {"verified": "1", "note": ""},
        ("note",),
        shows=(("anonymous", _question_page),),
        plain_shows=False,
    ),
    Endpoint(
        "case reply",
        "staff",
        lambda w: reverse("experts_admin:case", args=[w.case.pk]),
        lambda w: {"body": ""},
        ("body",),
        shows=(
            ("asker", _case_page),
            ("staff", lambda w: reverse("experts_admin:case", args=[w.case.pk])),
        ),
    ),
    Endpoint(
        "case resolve summary",
        "staff",
        lambda w: reverse("experts_admin:case_resolve", args=[w.case.pk]),
        lambda w: {"public_summary": ""},
        ("public_summary",),
        shows=(("anonymous", lambda w: w.private_question.get_absolute_url()),),
    ),
    Endpoint(
        "webcare reply",
        "staff",
        lambda w: reverse("listening_inbox:reply", args=[w.mention.pk]),
        lambda w: {"text": "", "action": "confirm", "kind": "answer", "next": ""},
        ("text", "next"),
        shows=(("staff", _workspace),),
        payloads=(*FULL, *HUGE),
    ),
    Endpoint(
        "webcare invitation override",
        "staff",
        lambda w: reverse("listening_inbox:invite", args=[w.mention.pk]),
        lambda w: {"override_reason": ""},
        ("override_reason",),
        plain_shows=False,
    ),
    Endpoint(
        "webcare link",
        "staff",
        lambda w: reverse("listening_inbox:link", args=[w.mention.pk]),
        lambda w: {"idea": "", "question": ""},
        ("idea",),
        plain_shows=False,
    ),
    Endpoint(
        "inbox assign",
        "staff",
        lambda w: reverse("listening_inbox:assign", args=[w.mention.pk]),
        lambda w: {"assignee": "", "next": ""},
        ("assignee", "next"),
        plain_shows=False,
    ),
    Endpoint(
        "inbox status",
        "staff",
        lambda w: reverse("listening_inbox:status", args=[w.mention.pk]),
        lambda w: {"status": "", "next": ""},
        ("status", "next"),
        plain_shows=False,
    ),
    Endpoint(
        "inbox bulk action",
        "staff",
        lambda w: reverse("listening_inbox:bulk"),
        lambda w: {"action": "", "ids": str(w.mention.pk), "assignee": ""},
        ("action", "ids", "assignee"),
        plain_shows=False,
    ),
    Endpoint(
        "inbox filters",
        "staff",
        lambda w: reverse("listening_inbox:index"),
        lambda w: {"q": "", "status": "", "language": "", "sort": "", "page": ""},
        ("q", "status", "language", "sort", "page"),
        plain_shows=False,
        method="get",
    ),
    Endpoint(
        "label correction",
        "staff",
        lambda w: reverse("listening_corrections:correct", args=[w.mention.pk]),
        lambda w: {"intent": "", "sentiment": ""},
        ("intent", "sentiment"),
        plain_shows=False,
    ),
    Endpoint(
        "privacy request",
        "staff",
        lambda w: reverse("listening_privacy:requests"),
        lambda w: {"handle": "", "action": "export", "note": ""},
        ("handle", "note"),
        shows=(("staff", lambda w: reverse("listening_privacy:requests")),),
        plain_shows=False,
    ),
]


# --- posting -----------------------------------------------------------------


def _value(payload: Payload, field_name: str, endpoint: Endpoint) -> str:
    if payload.whole:
        return payload.text
    if field_name in {"title", "display_name", "headline", "handle"}:
        return f"Dark theme {payload.text}"
    return f"{PLAIN}, and this: {payload.text} (thank you)"


def _plain_value(field_name: str) -> str:
    if field_name in {"title", "display_name", "headline"}:
        return f"{PLAIN[:40]}"
    return f"{PLAIN}. It would help me every single day."


def _urlencoded(data: dict[str, str]) -> bytes:
    """Form encoding that also carries lone surrogates (as CESU-8 bytes)."""
    return "&".join(
        f"{quote_plus(name)}={quote_plus(value.encode('utf-8', 'surrogatepass'))}"
        for name, value in data.items()
    ).encode("ascii")


def _send(client: Client, endpoint: Endpoint, url: str, data: dict[str, str]):
    if endpoint.method == "get":
        query = _urlencoded(data).decode("ascii")
        return client.get(f"{url}?{query}")
    if endpoint.method == "json":
        import json

        body = json.dumps(data, ensure_ascii=True)  # \ud800 stays an escape
        return client.post(url, body, content_type="application/json")
    return client.post(
        url, _urlencoded(data), content_type="application/x-www-form-urlencoded"
    )


@pytest.fixture
def clients(roles, world):
    made = {name: role.client() for name, role in roles.items()}
    asker = Client()
    asker.force_login(world.asker)
    made["asker"] = asker
    return made


@pytest.fixture
def _generous_limits(settings):
    settings.LISTENING_OPTOUT_RATE = "1000/m"
    settings.EXPERTS_ASK_RATE = "1000/m"
    settings.EXPERTS_ANSWER_RATE = "1000/m"


def _pages(clients, world, endpoint: Endpoint, response) -> list[tuple[str, str]]:
    """(label, html) of the response itself and of every page showing it."""
    pages = []
    if response.get("Content-Type", "").startswith("text/html"):
        pages.append(("the response", response.content.decode("utf-8", "replace")))
    for viewer, url_of in endpoint.shows:
        url = url_of(world)
        page = clients[viewer].get(url, follow=True)
        assert page.status_code < 500, f"{url} as {viewer}: {page.status_code}"
        pages.append((f"{url} as {viewer}", page.content.decode("utf-8", "replace")))
    return pages


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_form_survives_hostile_input_and_stores_no_script(
    endpoint, world, clients, subtests, _generous_limits
):
    client = clients[endpoint.role]
    url = endpoint.url(world)

    # The plain payload first: the form's valid data works and shows up.
    plain = endpoint.data(world)
    for name in endpoint.fields:
        plain[name] = plain.get(name) or _plain_value(name)
    response = _send(client, endpoint, url, plain)
    assert response.status_code < 500, f"plain input: {response.status_code}"
    if endpoint.plain_shows:
        assert response.status_code in (200, 201, 302), response.status_code
        pages = _pages(clients, world, endpoint, response)
        assert any(PLAIN[:30] in html for _, html in pages), (
            f"{endpoint.name}: the plain value shows nowhere in "
            f"{[label for label, _ in pages]}"
        )

    for payload in endpoint.payloads:
        with subtests.test(msg=f"{endpoint.name} ← {payload.name}"):
            cache.clear()  # rate limits and reply tokens start afresh
            data = endpoint.data(world)
            for name in endpoint.fields:
                data[name] = _value(payload, name, endpoint)
            response = _send(client, endpoint, url, data)
            assert response.status_code < 500, (
                f"{endpoint.name} ← {payload.name}: {response.status_code}"
            )
            for label, html in _pages(clients, world, endpoint, response):
                found = executable_markup(html)
                assert not found, f"{endpoint.name} ← {payload.name}: {label}: {found}"
