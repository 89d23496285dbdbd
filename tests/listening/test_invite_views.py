"""The public side of consent-first invitations: the landing page of an
invitation link, the opt-out page and POST /api/v1/optouts/. No login is
needed; a bad link never gives a 500 and grants nothing; the opt-out never
reveals whether a handle is known."""

import re
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from experts.models import ExpertProfile
from listening import consent, privacy
from listening.invite_views import SESSION_KEY
from listening.models import ConsentEvent, Invitation, Mention, OptOut, Source
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SANNE = "@Sanne@mastodon.social"
OPTOUT = "/en/optout/"
API = "/api/v1/optouts/"
POST_TEXT = "Vonk should show my usage per week <b>please</b>"


@pytest.fixture
def invitation(home, staff):
    source = Source.objects.create(name="Mastodon", kind="mastodon")
    mention = Mention.objects.create(
        source=source,
        external_id="p1",
        author_handle=SANNE,
        text=POST_TEXT,
        language="en",
        sentiment_score=0.4,
        cluster_key="c1",
    )
    return consent.invitation_offer(mention=mention, user=staff)


def url(invitation, language="en"):
    return f"/{language}/invite/{consent.invitation_token(invitation)}/"


def _client(role, member, staff):
    client = Client()
    if role == "member":
        client.force_login(member)
    elif role == "expert":
        user = UserFactory(username="joost-expert")
        ExpertProfile.objects.create(user=user)
        client.force_login(user)
    elif role == "staff":
        client.force_login(staff)
    return client


ROLES = ["anonymous", "member", "expert", "staff"]


# --- the landing page -----------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_the_landing_page_quotes_the_post_for_anyone_with_the_link(
    invitation, member, staff, role
):
    response = _client(role, member, staff).get(url(invitation))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Vonk should show my usage per week" in html
    assert "<b>please</b>" not in html  # the post is escaped
    for button in ('value="join"', 'value="decline"', 'value="optout"'):
        assert button in html
    invitation.refresh_from_db()
    assert invitation.status == "opened"


def test_opening_twice_records_one_opened_event(client, invitation):
    client.get(url(invitation))
    client.get(url(invitation))
    assert list(
        ConsentEvent.objects.filter(invitation=invitation).values_list(
            "kind", flat=True
        )
    ) == ["offered", "opened"]


def test_the_landing_page_in_dutch(client, invitation):
    response = client.get(url(invitation, "nl"))
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "nl"


def test_the_landing_page_takes_a_fixed_number_of_queries(
    client, invitation, django_assert_max_num_queries
):
    client.get(url(invitation))  # warm the site and settings caches
    # One for the invitation; the rest is the site shell (site, settings,
    # locale, menu) that every page pays.
    with django_assert_max_num_queries(7):
        assert client.get(url(invitation)).status_code == 200


def test_join_keeps_the_invitation_in_the_session_for_signup(client, invitation):
    response = client.post(url(invitation), {"action": "join"})
    assert response.status_code == 302
    assert "/accounts/signup/" in response["Location"]
    assert client.session[SESSION_KEY][0] == invitation.pk


def test_not_now_declines_and_the_link_then_grants_nothing(client, invitation):
    response = client.post(url(invitation), {"action": "decline"})
    assert response.status_code == 200
    assert b"We will not send you another invitation" in response.content
    invitation.refresh_from_db()
    assert invitation.status == "declined"
    again = client.get(url(invitation))
    assert again.status_code == 410
    assert b"already been used" in again.content
    # Reposting the old form does nothing either.
    assert client.post(url(invitation), {"action": "optout"}).status_code == 410
    assert not OptOut.objects.exists()


def test_never_ask_again_opts_out_for_good(client, invitation):
    response = client.post(url(invitation), {"action": "optout"})
    assert response.status_code == 200
    assert b"We will never invite you again" in response.content
    assert OptOut.objects.filter(handle_hash=privacy.handle_hash(SANNE)).exists()
    assert client.get(url(invitation)).status_code == 410


@pytest.mark.parametrize(
    "token",
    ["nonsense", "eyJpIjoxLCJuIjoiMDAifQ:1v:abcdefghijklmnop", "%00", "a" * 300],
)
def test_a_forged_link_gets_a_friendly_page(client, invitation, token):
    response = client.get(f"/en/invite/{token}/")
    assert response.status_code == 404
    assert b"This link does not work" in response.content
    invitation.refresh_from_db()
    assert invitation.status == "offered"


def test_an_expired_link_gets_a_friendly_page(client, invitation):
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    response = client.get(url(invitation))
    assert response.status_code == 410
    assert b"has expired" in response.content
    assert client.post(url(invitation), {"action": "join"}).status_code == 410


def test_posting_to_the_landing_page_needs_a_csrf_token(invitation):
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(url(invitation), {"action": "optout"}).status_code == 403
    invitation.refresh_from_db()
    assert invitation.status == "offered"


# --- the opt-out page ------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_the_opt_out_page_works_for_anyone(home, member, staff, role):
    client = _client(role, member, staff)
    assert client.get(OPTOUT).status_code == 200
    response = client.post(OPTOUT, {"handle": f"{role}@mastodon.test"})
    assert response.status_code == 200
    assert OptOut.objects.filter(
        handle_hash=privacy.handle_hash(f"{role}@mastodon.test")
    ).exists()


def _without_csrf(html: str) -> str:
    return re.sub(r'value="[A-Za-z0-9]{64}"', "", html)


def test_the_opt_out_page_never_reveals_whether_a_handle_is_known(client, invitation):
    known = client.post(OPTOUT, {"handle": SANNE, "network": "mastodon"})
    unknown = client.post(OPTOUT, {"handle": "nobody@nowhere.test", "network": "x"})
    again = client.post(OPTOUT, {"handle": SANNE, "network": "mastodon"})
    assert known.status_code == unknown.status_code == again.status_code == 200
    assert _without_csrf(known.content.decode()) == _without_csrf(
        unknown.content.decode()
    )
    assert _without_csrf(known.content.decode()) == _without_csrf(
        again.content.decode()
    )
    assert OptOut.objects.count() == 2


def test_the_opt_out_page_asks_for_a_handle(client, home):
    response = client.post(OPTOUT, {"handle": " @ "})
    assert response.status_code == 200
    assert b"Enter your handle." in response.content
    assert not OptOut.objects.exists()


def test_the_opt_out_page_needs_a_csrf_token(home):
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(OPTOUT, {"handle": SANNE}).status_code == 403
    assert not OptOut.objects.exists()


def test_the_opt_out_page_is_rate_limited(client, home, settings):
    settings.LISTENING_OPTOUT_RATE = "2/m"
    for n in range(2):
        assert client.post(OPTOUT, {"handle": f"h{n}@x.test"}).status_code == 200
    limited = client.post(OPTOUT, {"handle": "h9@x.test"})
    assert limited.status_code == 429
    assert b"Too many requests" in limited.content
    assert OptOut.objects.count() == 2


def test_a_refused_re_import_after_an_opt_out(client, invitation, staff):
    client.post(OPTOUT, {"handle": "sanne@MASTODON.social"})
    repost = Mention.objects.create(
        source=invitation.mention.source,
        external_id="p2",
        author_handle=SANNE,
        text="Vonk still has no usage graph",
        sentiment_score=0.1,
        cluster_key="c2",
    )
    refusal = consent.invitation_offer(mention=repost, user=staff)
    assert refusal.code == "opted_out"


# --- POST /api/v1/optouts/ ----------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_the_api_takes_opt_outs_from_anyone(member, staff, role):
    client = _client(role, member, staff)
    response = client.post(
        API, {"handle": "sanne.bsky.social", "source": "bluesky"}, "application/json"
    )
    assert response.status_code == 202
    assert OptOut.objects.get().via == "api"


def test_the_api_answers_the_same_for_known_and_unknown_handles(client, invitation):
    known = client.post(
        API, {"handle": SANNE, "source": "mastodon"}, "application/json"
    )
    unknown = client.post(API, {"handle": "nobody@x.test"}, "application/json")
    again = client.post(API, {"handle": SANNE}, "application/json")
    assert known.status_code == unknown.status_code == again.status_code == 202
    assert known.json() == unknown.json() == again.json()
    assert OptOut.objects.count() == 2


def test_the_api_needs_no_csrf_token():
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(API, {"handle": SANNE}, "application/json")
    assert response.status_code == 202


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "handle"),
        ({"handle": "  @ "}, "handle"),
        ({"handle": "x" * 256}, "handle"),
        ({"handle": SANNE, "source": "myspace"}, "source"),
    ],
)
def test_the_api_says_what_is_wrong_with_bad_input(client, body, field):
    response = client.post(API, body, "application/json")
    assert response.status_code == 400
    assert field in response.json()
    assert not OptOut.objects.exists()


def test_the_api_is_throttled(client):
    rate = django_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["listening.optout"]
    limit = int(rate.split("/")[0])
    for n in range(limit):
        body = {"handle": f"h{n}@x.test"}
        assert client.post(API, body, "application/json").status_code == 202
    assert (
        client.post(API, {"handle": "late@x.test"}, "application/json").status_code
        == 429
    )


def test_the_api_is_in_the_openapi_schema(staff_client):
    schema = staff_client.get("/api/v1/schema/?format=json").json()
    post = schema["paths"]["/api/v1/optouts/"]["post"]
    assert "202" in post["responses"]
    assert {"handle", "source"} <= set(
        schema["components"]["schemas"]["OptOut"]["properties"]
    )


@pytest.mark.parametrize(
    "agent",
    [
        "http.rb/5.1.1 (Mastodon/4.3.0; +https://mastodon.social/)",
        "Bluesky Cardyb/1.1",
        "facebookexternalhit/1.1",
        "Slackbot-LinkExpanding 1.0",
    ],
)
def test_a_link_preview_fetch_is_not_an_open(client, invitation, agent):
    response = client.get(url(invitation), HTTP_USER_AGENT=agent)
    assert response.status_code == 200
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    invitation.refresh_from_db()
    assert invitation.status == "offered"
    browser = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0"
    client.get(url(invitation), HTTP_USER_AGENT=browser)
    invitation.refresh_from_db()
    assert invitation.status == "opened"
