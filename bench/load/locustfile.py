"""The load scenario: who the simulated visitors are and what they do.

Run by bench/load/run.py (see its docstring), in two phases:

    locust -f bench/load/locustfile.py --headless ... BareUser
    locust -f bench/load/locustfile.py --headless ... Visitor Member

- BareUser requests /bench/tiny/ (bench/load/urls.py) over and over: the
  baseline, a few bytes through the full middleware stack.
- Visitor browses anonymously: the site shell alone (/bench/bare/, base.html
  with no content), the home page, the ideas list (first page of
  "trending", and deep pages of every sort), idea pages, the questions list
  and question pages, and the site search.
- Member does the same browsing logged in (a session made by prepare.py,
  and the CSRF token the pages give it) and also votes (and takes votes
  back), comments on ideas and asks questions.

Every user waits 0 s between requests (a closed loop), so the throughput is
the server's and the latency includes the queue in front of gunicorn's
workers. Each request is named after its endpoint class ("idea detail"), not
its URL, so the figures group by class; the class also goes to the server
in an X-Bench-Class header, which gunicorn's access log records with the
request's own time (without the queue), see run.py. A response counts as a failure when
its status is not the one that class expects; the message names the status
("HTTP 500"), so run.py can count the server errors apart.

LOAD_BENCH_DATA names the JSON file written by bench/load/prepare.py: the page
URLs, the sampled idea and question ids, the members' session keys.
"""

import itertools
import json
import os
import random
from html.parser import HTMLParser
from http.cookiejar import Cookie
from pathlib import Path
from urllib.parse import urlsplit

from locust import FastHttpUser, constant, task

DATA_PATH = os.environ.get(
    "LOAD_BENCH_DATA", str(Path(__file__).resolve().parents[1] / "var/load/data.json")
)
SORTS = ["trending", "top", "new", "updated"]
SEARCH_WORDS = ["app", "solar", "heat pump", "invoice", "meter", "charging", "energy"]
WORDS = (
    "battery solar panel invoice meter tariff app charging station heat pump "
    "contract night rate smart export winter balcony dashboard notification"
).split()
_counter = itertools.count(1)


def load_data() -> dict:
    try:
        return json.loads(Path(DATA_PATH).read_text())
    except FileNotFoundError:
        # Imported without a prepared run (e.g. `locust --list`): no data.
        return {}


DATA = load_data()


class Forms(HTMLParser):
    """The forms of a page: action, and the value of every named field (the
    first option of a select, unless one is selected)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attributes.get("action", ""), "fields": {}})
            return
        if not self.forms:
            return
        fields = self.forms[-1]["fields"]
        name = attributes.get("name")
        if tag == "input" and name:
            kind = attributes.get("type", "text")
            if kind not in ("checkbox", "radio", "submit") or "checked" in attributes:
                fields[name] = attributes.get("value") or ""
        elif tag == "textarea" and name:
            fields[name] = ""
        elif tag == "select" and name:
            self._select = name
            fields[name] = None
        elif tag == "option" and self._select:
            value = attributes.get("value", "")
            if value and (fields[self._select] is None or "selected" in attributes):
                fields[self._select] = value

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def forms_of(html: str) -> list[dict]:
    parser = Forms()
    parser.feed(html)
    return parser.forms


def cookie(name: str, value: str, host: str) -> Cookie:
    """A cookie for `host` only, as the server would have set it."""
    return Cookie(
        version=0,
        name=name,
        value=value,
        port=None,
        port_specified=False,
        domain=host,
        domain_specified=False,
        domain_initial_dot=False,
        path="/",
        path_specified=True,
        secure=False,
        expires=None,
        discard=True,
        comment=None,
        comment_url=None,
        rest={"HttpOnly": ""},
    )


def sentence(n: int) -> str:
    return " ".join(random.choice(WORDS) for _ in range(n))  # noqa: S311 # nosec B311


class BenchUser(FastHttpUser):
    abstract = True
    wait_time = constant(0)

    def expect(self, method: str, url: str, name: str, status: int, **kwargs):
        """One request counted under `name`; a failure unless it answers `status`.
        Redirects are not followed: a redirect is the answer."""
        kwargs.setdefault("allow_redirects", False)
        # gunicorn logs this header with each request's own time (run.py).
        kwargs["headers"] = {**kwargs.get("headers", {}), "X-Bench-Class": name}
        with self.client.request(
            method, url, name=name, catch_response=True, **kwargs
        ) as response:
            if response.status_code != status:
                response.failure(f"HTTP {response.status_code}")
            return response


class BareUser(BenchUser):
    """Phase 1: the baseline only."""

    @task
    def bare(self) -> None:
        self.expect("GET", "/bench/tiny/", "bare", 200)


class Visitor(BenchUser):
    """Anonymous browsing (phase 2)."""

    @task(1)
    def shell(self) -> None:
        # The site's frame with nothing in it (portal.core.views.bench_bare):
        # how much of each page the shell (base.html, menus, settings) costs.
        self.expect("GET", "/bench/bare/", "site shell (base.html)", 200)

    @task(2)
    def home(self) -> None:
        self.expect("GET", DATA["home_url"], "home", 200)

    @task(4)
    def ideas_list(self) -> None:
        self.expect("GET", DATA["ideas_url"], "ideas list", 200)

    @task(2)
    def ideas_list_deep(self) -> None:
        # The card and count caches mostly miss here (bench/ideas_list_bench.py).
        page = random.randint(2, min(DATA["list_pages"], 250))  # noqa: S311 # nosec B311
        sort = random.choice(SORTS)  # noqa: S311 # nosec B311
        self.expect(
            "GET",
            f"{DATA['ideas_url']}?sort={sort}&page={page}",
            "ideas list (deep page)",
            200,
        )

    @task(6)
    def idea_detail(self) -> None:
        self.open_idea(random.choice(DATA["ideas"]))  # noqa: S311 # nosec B311

    @task(2)
    def questions_list(self) -> None:
        self.expect("GET", DATA["questions_url"], "questions list", 200)

    @task(4)
    def question_detail(self) -> None:
        question = random.choice(DATA["questions"])  # noqa: S311 # nosec B311
        self.expect(
            "GET", f"{DATA['questions_url']}{question}/", "question detail", 200
        )

    @task(1)
    def search(self) -> None:
        word = random.choice(SEARCH_WORDS)  # noqa: S311 # nosec B311
        self.expect("GET", f"{DATA['home_url']}search/?q={word}", "search", 200)

    def open_idea(self, idea_id: int):
        return self.expect("GET", f"{DATA['ideas_url']}{idea_id}/", "idea detail", 200)


class Member(Visitor):
    """A logged-in member: browses like a visitor, and votes, comments and
    asks (phase 2). Comes back with a session made by prepare.py (as after an
    earlier login) and takes its CSRF cookie from the first page it opens."""

    def on_start(self) -> None:
        self.voted: list[int] = []
        sessions = DATA["sessions"]
        key = sessions[(next(_counter) - 1) % len(sessions)]
        host = urlsplit(self.host).hostname
        self.client.cookiejar.set_cookie(cookie(DATA["session_cookie"], key, host))
        # A page with a form sets the CSRF cookie; votes send it as a header.
        self.expect("GET", f"{DATA['questions_url']}ask/", "ask form", 200)

    def csrf_token(self) -> str:
        for item in self.client.cookiejar:
            if item.name == "csrftoken":
                return item.value
        return ""

    @staticmethod
    def form_with(html: str, field: str, action_end: str = "") -> dict | None:
        """The fields of the first form that has `field` (and whose action ends
        with `action_end`), a new top-level comment rather than a reply."""
        for form in forms_of(html):
            fields = form["fields"]
            if field not in fields or not form["action"].endswith(action_end):
                continue
            if fields.get("reply_to", "0") not in ("0", ""):
                continue
            return fields
        return None

    @task(3)
    def vote(self) -> None:
        # Take back an earlier vote one time in three, else vote.
        if self.voted and random.random() < 1 / 3:  # noqa: S311 # nosec B311
            idea_id, action = self.voted.pop(), "unvote"
        else:
            idea_id, action = random.choice(DATA["votable_ideas"]), "vote"  # noqa: S311 # nosec B311
        self.expect(
            "POST",
            f"{DATA['ideas_url']}{idea_id}/vote/",
            "vote" if action == "vote" else "unvote",
            200,
            data={"action": action},
            headers={"HX-Request": "true", "X-CSRFToken": self.csrf_token()},
        )
        if action == "vote":
            self.voted.append(idea_id)

    @task(1)
    def comment(self) -> None:
        page = self.open_idea(random.choice(DATA["ideas"]))  # noqa: S311 # nosec B311
        fields = self.form_with(page.text or "", "comment", "/comments/post/")
        if fields is None:
            return
        fields["comment"] = f"Load bench comment {next(_counter)}: {sentence(12)}."
        fields.pop("followup", None)
        # django-comments answers a posted comment with a redirect; a form it
        # rejects comes back as a 200 preview page: a failure here.
        self.expect("POST", "/comments/post/", "comment", 302, data=fields)

    @task(1)
    def ask(self) -> None:
        url = f"{DATA['questions_url']}ask/"
        page = self.expect("GET", url, "ask form", 200)
        fields = self.form_with(page.text or "", "title")
        if fields is None:
            return
        n = next(_counter)
        fields["title"] = f"How do I get my {sentence(3)} working, case {n}?"
        fields["body"] = f"I tried {sentence(10)} and then {sentence(10)}. Case {n}."
        self.expect("POST", url, "ask", 302, data=fields)
