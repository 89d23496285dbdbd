"""Rate limits and login lockout.

The member login is allauth's (ACCOUNT_RATE_LIMITS); the Wagtail and Django
admin logins are locked out by portal/accounts/admin_login.py
(ADMIN_LOGIN_RATE). RATE_LIMITED lists every rate-limited endpoint in one
place, and test_every_rate_limited_endpoint_answers_429 drives each one past
its limit. Test settings make the limits generous; each test sets the one it
checks (pytest-django's `settings` fixture restores it afterwards).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from portal.settings import base as base_settings
from tests.factories import PASSWORD, StaffFactory

pytestmark = pytest.mark.django_db

LOGIN = "/en/accounts/login/"


# --- the member login (allauth) ------------------------------------------


@pytest.fixture
def production_login_limits(settings):
    """The login limits as configured for real (test settings switch them
    off): 5 failures per account in 5 minutes, 10 per IP a minute."""
    settings.ACCOUNT_RATE_LIMITS = base_settings.ACCOUNT_RATE_LIMITS
    return settings.ACCOUNT_RATE_LIMITS


def _login(client, email, password):
    return client.post(LOGIN, {"login": email, "password": password})


def test_five_failed_logins_lock_the_account_even_for_the_right_password(
    world, production_login_limits
):
    member = world.users["member"]
    client = Client()
    for _ in range(5):
        response = _login(client, member.email, "wrong password")
        assert response.status_code == 200
        assert response.context["form"].errors
    locked = _login(client, member.email, PASSWORD)
    # allauth answers with the form and a clear error, not a login.
    assert locked.status_code == 200
    assert b"Too many failed login attempts. Try again later." in locked.content
    assert "_auth_user_id" not in client.session
    assert client.get("/en/settings/profile/").status_code == 302


def test_the_lockout_is_per_account_another_member_still_logs_in(
    world, production_login_limits
):
    member, other = world.users["member"], world.users["expert"]
    client = Client()
    for _ in range(5):
        _login(client, member.email, "wrong password")
    response = _login(Client(), other.email, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_a_successful_login_does_not_wipe_the_failures(world, production_login_limits):
    """allauth rolls back only the attempt that succeeded, so an attacker
    cannot reset the count by logging in to their own account in between."""
    member = world.users["member"]
    for _ in range(4):
        _login(Client(), member.email, "wrong password")
    assert _login(Client(), member.email, PASSWORD).status_code == 302
    _login(Client(), member.email, "wrong password")
    locked = _login(Client(), member.email, PASSWORD)
    assert b"Too many failed login attempts" in locked.content


def test_too_many_logins_from_one_address_get_a_friendly_429_page(world, settings):
    settings.ACCOUNT_RATE_LIMITS = {"login": "2/d/ip"}
    member = world.users["member"]
    for _ in range(2):
        _login(Client(), member.email, "wrong password")
    response = _login(Client(), member.email, PASSWORD)
    assert response.status_code == 429
    html = response.content.decode()
    # Our own page (templates/429.html), in the site's layout.
    assert "<h1>Too many requests</h1>" in html
    assert 'role="alert"' in html and "<nav" in html


# --- the admin logins -------------------------------------------------------

ADMIN_LOGINS = ["/admin/login/", "/django-admin/login/"]


def _admin_login(path, username, password, ip="10.0.0.1"):
    client = Client(REMOTE_ADDR=ip)
    response = client.post(path, {"username": username, "password": password})
    return client, response


@pytest.fixture
def admin_staff(db, settings):
    # The configured count, over a day: django-ratelimit counts in fixed
    # windows, and a slow machine could cross into a new one mid-test.
    settings.ADMIN_LOGIN_RATE = base_settings.ADMIN_LOGIN_RATE.split("/")[0] + "/d"
    return StaffFactory(username="eva", display_name="Eva")


def test_the_admin_login_rate_is_a_setting(settings):
    assert base_settings.ADMIN_LOGIN_RATE == "5/5m"
    assert settings.ADMIN_LOGIN_RATE == "5/5m"


@pytest.mark.parametrize("path", ADMIN_LOGINS)
def test_admin_login_works_before_any_failure(path, admin_staff, home):
    client, response = _admin_login(path, "eva", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(admin_staff.pk)


@pytest.mark.parametrize("path", ADMIN_LOGINS)
def test_admin_login_locks_out_after_five_failures_even_with_the_right_password(
    path, admin_staff, home
):
    for _ in range(5):
        _client, response = _admin_login(path, "eva", "wrong password")
        assert response.status_code == 200  # the form, with its error
    client, locked = _admin_login(path, "eva", PASSWORD)
    assert locked.status_code == 429
    assert b"Too many failed login attempts" in locked.content
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("path", ADMIN_LOGINS)
def test_admin_lockout_counts_per_username_and_per_address(path, admin_staff, home):
    StaffFactory(username="piet")
    for _ in range(5):
        _admin_login(path, "eva", "wrong password", ip="10.0.0.1")
    # The same username from another address: still locked.
    assert _admin_login(path, "eva", PASSWORD, ip="10.0.0.2")[1].status_code == 429
    # Another username from the same address: locked too (per-IP bucket).
    assert _admin_login(path, "piet", PASSWORD, ip="10.0.0.1")[1].status_code == 429
    # Another username from another address logs in.
    assert _admin_login(path, "piet", PASSWORD, ip="10.0.0.3")[1].status_code == 302


@pytest.mark.parametrize("path", ADMIN_LOGINS)
def test_successful_admin_logins_are_not_counted(path, admin_staff, home, settings):
    settings.ADMIN_LOGIN_RATE = "2/d"
    for _ in range(4):
        assert _admin_login(path, "eva", PASSWORD)[1].status_code == 302


@pytest.mark.parametrize("path", ADMIN_LOGINS)
def test_the_admin_login_form_still_shows_while_locked(path, admin_staff, home):
    for _ in range(5):
        _admin_login(path, "eva", "wrong password")
    assert Client(REMOTE_ADDR="10.0.0.1").get(path).status_code == 200


# --- every rate-limited endpoint, in one place -----------------------------


@dataclass(frozen=True)
class Limited:
    """One rate-limited endpoint: the setting that holds its rate, and how a
    member (or anyone) uses it once."""

    name: str
    setting: str  # a setting name, or "REST:<scope>" for a DRF throttle scope
    role: str
    method: str
    path: str  # formatted with the world
    data: dict
    htmx: bool = False
    json: bool = False
    vary: str = ""  # a data field to make unique per request
    says: bytes = b""  # what the 429 page or fragment tells the member


RATE_LIMITED = [
    # Web forms: django-ratelimit, per member (or per IP when anonymous).
    Limited(
        "submit an idea",
        "IDEAS_SUBMIT_RATE",
        "member",
        "post",
        "{ideas}new/",
        {"body": "A daily chart of my solar yield in the app, please."},
        vary="title",
        says=b"You have shared a lot of ideas at once. Try again later.",
    ),
    Limited(
        "vote",
        "IDEAS_VOTE_RATE",
        "member",
        "post",
        "{ideas}{idea}/vote/",
        {},
        htmx=True,
        says=b"You are voting very fast. Please wait a moment.",
    ),
    Limited(
        "comment",
        "COMMENTS_POST_RATE",
        "member",
        "post",
        "/comments/post/",
        {},
        vary="comment",
        says=b"You are commenting very fast. Please wait a minute.",
    ),
    Limited(
        "ask a question",
        "EXPERTS_ASK_RATE",
        "member",
        "post",
        "{questions}ask/",
        {"body": "Some details that are long enough.", "focus_area": "billing"},
        vary="title",
        says=b"You have asked a lot of questions at once. Try later.",
    ),
    Limited(
        "answer",
        "EXPERTS_ANSWER_RATE",
        "expert",
        "post",
        "{questions}{question}/answer/",
        {},
        vary="body",
        says=b"You are answering very fast. Try again later.",
    ),
    Limited(
        "mark an answer helpful",
        "EXPERTS_HELPFUL_RATE",
        "member",
        "post",
        "{questions}answers/{answer}/helpful/",
        {},
        htmx=True,
        says=b"You are voting very fast. Please wait a moment.",
    ),
    Limited(
        "opt out (page)",
        "LISTENING_OPTOUT_RATE",
        "anonymous",
        "post",
        "/en/optout/",
        {},
        vary="handle",
        says=b"Too many requests. Please try again later.",
    ),
    # API: DRF scoped throttles.
    Limited(
        "submit an idea (API)",
        "REST:ideas.submit",
        "member",
        "post",
        "/api/v1/ideas/",
        {"body": "A daily chart of my solar yield in the app, please."},
        json=True,
        vary="title",
    ),
    Limited(
        "vote (API)",
        "REST:ideas.vote",
        "member",
        "post",
        "/api/v1/ideas/{idea}/vote/",
        {},
        json=True,
    ),
    Limited(
        "ask (API)",
        "REST:experts.ask",
        "member",
        "post",
        "/api/v1/questions/",
        {"body": "Some details that are long enough."},
        json=True,
        vary="title",
    ),
    Limited(
        "answer (API)",
        "REST:experts.answer",
        "expert",
        "post",
        "/api/v1/questions/{question}/answers/",
        {},
        json=True,
        vary="body",
    ),
    Limited(
        "helpful (API)",
        "REST:experts.helpful",
        "member",
        "post",
        "/api/v1/answers/{answer}/helpful/",
        {},
        json=True,
    ),
    Limited(
        "opt out (API)",
        "REST:listening.optout",
        "anonymous",
        "post",
        "/api/v1/optouts/",
        {},
        json=True,
        vary="handle",
    ),
]
# Logins and sign-up are limited too; they have tests of their own above:
# allauth's ACCOUNT_RATE_LIMITS (login, login_failed, signup, confirm_email,
# reset_password) and ADMIN_LOGIN_RATE for /admin/login/ and
# /django-admin/login/.


def _comment_form_data(world, text):
    from django_comments.forms import CommentSecurityForm

    security = CommentSecurityForm(world.idea).generate_security_data()
    return {**security, "comment": text, "name": "", "email": "", "url": ""}


def _use(limited: Limited, world, roles, n: int):
    client = roles[limited.role].client()
    path = limited.path.format(
        ideas=world.ideas_page.url,
        questions=world.questions_page.url,
        idea=world.idea.pk,
        question=world.question.pk,
        answer=world.answer.pk,
    )
    data = dict(limited.data)
    if limited.name == "comment":
        data = _comment_form_data(world, f"Comment number {n} on this idea")
    elif limited.vary == "handle":
        data["handle"] = f"person{n}@example.org"
    elif limited.vary:
        data[limited.vary] = f"Number {n}: a title and body that are long enough"
    extra = {"HTTP_HX_REQUEST": "true"} if limited.htmx else {}
    if limited.json:
        return client.post(path, data, content_type="application/json", **extra)
    return client.post(path, data, **extra)


@pytest.mark.parametrize("limited", RATE_LIMITED, ids=lambda item: item.name)
def test_every_rate_limited_endpoint_answers_429(
    limited, world, roles, settings, monkeypatch
):
    if limited.setting.startswith("REST:"):
        # DRF copies the rates at import time; change them for this test only.
        from rest_framework.throttling import SimpleRateThrottle

        scope = limited.setting.removeprefix("REST:")
        rates = {**SimpleRateThrottle.THROTTLE_RATES, scope: "1/day"}
        monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    else:
        # A day, not a minute: django-ratelimit counts in fixed windows, and a
        # slow machine could otherwise cross into a new one between requests.
        setattr(settings, limited.setting, "1/d")
    first = _use(limited, world, roles, 1)
    assert first.status_code < 400, (first.status_code, first.content[:300])
    second = _use(limited, world, roles, 2)
    assert second.status_code == 429, (second.status_code, second.content[:300])
    if limited.json:
        assert "throttled" in second.json()["detail"].lower() or second.json()
        assert "Retry-After" in second
    else:
        assert limited.says in second.content
    if not (limited.json or limited.htmx):
        assert b"<html" in second.content  # a whole page in the site's layout
