"""The Bluesky connector: the real atproto SDK against a real local HTTP server.

The server answers app.bsky.feed.searchPosts with recorded-shape XRPC JSON
from tests/data/listening/bluesky/; nothing in the SDK is mocked.
"""

import base64
import copy
import json
from datetime import UTC, datetime

import pytest

from listening import services
from listening.connectors import (
    BlueskyConnector,
    ConnectorError,
    RateLimited,
    connector_for,
)
from listening.connectors.base import private_addresses
from listening.models import Mention, Source, Tracker

from .conftest import DATA_DIR, Reply
from .test_reddit_connector import OAuthServer

SEARCH = "/xrpc/app.bsky.feed.searchPosts"
CREATE_SESSION = "/xrpc/com.atproto.server.createSession"
JSON = {"Content-Type": "application/json; charset=utf-8"}
BLUESKY_DATA = DATA_DIR / "bluesky"
ANNA = "at://did:plc:z72i7hdynmk6r22z27h6tvur/app.bsky.feed.post/3lkfpvhw3cs2a"
PIETER = "at://did:plc:4b2nk6pmdcbd6q3y4xk3m5ru/app.bsky.feed.post/3lkfq2abcde2b"


def recorded(filename: str):
    return json.loads((BLUESKY_DATA / filename).read_text(encoding="utf-8"))


def json_reply(data, **reply) -> Reply:
    headers = {**JSON, **reply.pop("headers", {})}
    return Reply(body=json.dumps(data).encode(), headers=headers, **reply)


def fetch(server, cursor=None, **config):
    config.setdefault("search", ["vonk"])
    return BlueskyConnector().fetch(
        url=server.base_url, config=config, cursor=cursor or {}
    )


def test_connector_for_bluesky_returns_the_bluesky_connector():
    assert isinstance(connector_for("bluesky"), BlueskyConnector)


def test_search_maps_posts_to_clean_mentions(http_server):
    http_server.route(SEARCH, json_reply(recorded("search_vonk.json")))

    result = fetch(http_server, lang="en", limit=30)

    assert result.rejected == []
    by_id = {m.external_id: m for m in result.mentions}
    assert set(by_id) == {ANNA, PIETER}
    anna = by_id[ANNA]
    # Script content, NUL and the bidi override are gone; the entity is
    # decoded.
    assert anna.text == (
        "Switched to Vonk's dynamic tariff last month. Saved about €30 & the "
        "app is great."
    )
    assert anna.url == ("https://bsky.app/profile/anna.bsky.social/post/3lkfpvhw3cs2a")
    assert anna.author_handle == "@anna.bsky.social"
    assert anna.author_name == "Anna Jansen"
    assert anna.author_url == "https://bsky.app/profile/anna.bsky.social"
    assert anna.author_followers is None
    assert anna.language == "en"
    assert anna.posted_at == datetime(2025, 3, 4, 9, 15, tzinfo=UTC)
    assert anna.raw == {
        "uri": ANNA,
        "cid": "bafyreibx5kgbhwf3ukyykzj2yfdvzsq4smxkfgqlkdpyjmaz6e7q7o7dqe",
        "indexed_at": "2025-03-04T09:15:01.123Z",
        "reposts": 5,
        "likes": 11,
        "replies": 2,
        "quotes": 1,
    }
    assert by_id[PIETER].language == "nl"

    (request,) = http_server.requests_to(SEARCH)
    assert request.query == {
        "q": ["vonk"],
        "sort": ["latest"],
        "lang": ["en"],
        "limit": ["30"],
    }
    assert request.headers["user-agent"].startswith("Seed-Listening/")
    assert "authorization" not in request.headers


def test_opted_out_authors_and_posts_are_skipped_and_counted(http_server):
    http_server.route(SEARCH, json_reply(recorded("search_vonk.json")))

    result = fetch(http_server)

    # The !no-unauthenticated label on an account, on a single post, and
    # #nobot in a description that the payload carries.
    assert result.skipped == 3
    handles = {m.author_handle for m in result.mentions}
    assert handles == {"@anna.bsky.social", "@pieter.nl"}


def test_second_fetch_sends_since_and_stores_nothing_new(http_server):
    http_server.route(SEARCH, json_reply(recorded("search_vonk.json")))

    first = fetch(http_server)
    # The server ignores `since` and answers the same page again.
    second = fetch(http_server, cursor=json.loads(json.dumps(first.cursor)))

    assert first.cursor["since"] == {"search:vonk": "2025-03-04T10:02:13.000000Z"}
    assert second.mentions == []
    assert second.skipped == 0
    assert second.cursor["since"] == first.cursor["since"]
    later = http_server.requests_to(SEARCH)[1]
    assert later.query["since"] == ["2025-03-04T10:02:13.000000Z"]


def test_a_new_post_after_the_cursor_is_fetched_once(http_server):
    page = recorded("search_vonk.json")
    newer = copy.deepcopy(page["posts"][1])
    newer["uri"] = newer["uri"].replace("3lkfq2abcde2b", "3lkfz9newpost")
    newer["record"]["createdAt"] = "2025-03-05T12:00:00.000Z"
    newer["indexedAt"] = "2025-03-05T12:00:00.500Z"
    newer["record"]["text"] = "Vonk heeft de tarieven verlaagd!"
    http_server.route(
        SEARCH,
        json_reply(page),
        json_reply({"posts": [newer, *page["posts"]]}),
    )

    first = fetch(http_server)
    second = fetch(http_server, cursor=first.cursor)

    assert [m.text for m in second.mentions] == ["Vonk heeft de tarieven verlaagd!"]
    assert second.cursor["since"]["search:vonk"] == "2025-03-05T12:00:00.000000Z"


def test_each_term_keeps_its_own_cursor_and_a_post_found_twice_counts_once(
    http_server,
):
    http_server.route(SEARCH, json_reply(recorded("search_vonk.json")))

    result = fetch(http_server, search=["vonk", "Vonk", "energie"])

    assert set(result.cursor["since"]) == {"search:vonk", "search:energie"}
    assert len(result.mentions) == 2
    assert len(http_server.requests_to(SEARCH)) == 2


def test_a_bad_post_is_rejected_with_a_reason_and_the_good_one_lands(http_server):
    http_server.route(SEARCH, json_reply(recorded("search_bad_item.json")))

    result = fetch(http_server)

    assert [m.external_id for m in result.mentions] == [PIETER]
    reasons = dict(result.rejected)
    assert len(result.rejected) == 3
    noauthor = "at://did:plc:noauthor444444444444444/app.bsky.feed.post/3lkfq4noauth1"
    assert reasons[noauthor].startswith("not a post view: author")
    assert reasons["search:vonk item 3"] == "not a post object"
    empty = "at://did:plc:empty555555555555555555/app.bsky.feed.post/3lkfq5empty01"
    assert reasons[empty] == "empty text"

    # Posts with a uri are reported once; one without can only be reported
    # again.
    again = fetch(http_server, cursor=result.cursor)
    assert again.mentions == []
    assert again.rejected == [("search:vonk item 3", "not a post object")]


def test_pages_follow_the_cursor_up_to_max_pages(http_server):
    page = recorded("search_vonk.json")
    http_server.route(SEARCH, json_reply({**page, "cursor": "25"}))

    fetch(http_server, max_pages=2)

    requests = http_server.requests_to(SEARCH)
    assert len(requests) == 2
    assert requests[1].query["cursor"] == ["25"]


def test_429_with_retry_after_raises_rate_limited(http_server):
    http_server.route(
        SEARCH,
        json_reply(
            {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
            status=429,
            headers={"Retry-After": "90", "RateLimit-Remaining": "0"},
        ),
    )

    with pytest.raises(RateLimited) as caught:
        fetch(http_server)

    assert caught.value.retry_after == 90


def test_500_raises_a_connector_error_with_the_status(http_server):
    http_server.route(
        SEARCH,
        json_reply(
            {"error": "InternalServerError", "message": "Internal Server Error"},
            status=500,
        ),
    )

    with pytest.raises(ConnectorError, match="HTTP 500 InternalServerError"):
        fetch(http_server)


def test_a_timeout_raises_a_connector_error(http_server):
    http_server.route(SEARCH, json_reply({"posts": []}, delay=2))

    with pytest.raises(ConnectorError, match="timed out after 0.3 s"):
        fetch(http_server, timeout=0.3)


def test_malformed_json_raises_a_connector_error(http_server):
    http_server.route(SEARCH, Reply(body=b'{"posts": [', headers=JSON))

    with pytest.raises(ConnectorError, match="malformed JSON"):
        fetch(http_server)


@pytest.mark.parametrize("body", [[], {"posts": {"uri": "x"}}, {"feed": []}], ids=str)
def test_json_of_the_wrong_shape_raises_a_connector_error(http_server, body):
    http_server.route(SEARCH, json_reply(body))

    with pytest.raises(ConnectorError):
        fetch(http_server)


def test_a_private_address_is_refused_unless_allowed(http_server):
    http_server.route(SEARCH, json_reply(recorded("search_vonk.json")))

    with private_addresses(False), pytest.raises(ConnectorError, match="private"):
        fetch(http_server)

    assert http_server.requests == []


def test_no_terms_or_a_bad_address_is_a_connector_error(http_server):
    with pytest.raises(ConnectorError, match="no search terms"):
        fetch(http_server, search=[])
    with pytest.raises(ConnectorError, match="http"):
        BlueskyConnector().fetch(
            url="javascript:alert(1)", config={"search": ["vonk"]}, cursor={}
        )


def _jwt(**claims) -> str:
    def part(data: dict) -> str:
        raw = json.dumps(data).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{part({'typ': 'at+jwt', 'alg': 'ES256K'})}.{part(claims)}.c2ln"


@pytest.fixture
def pds():
    """A server that answers POST too (createSession is a procedure)."""
    server = OAuthServer()
    server.start()
    yield server
    server.stop()


def test_an_app_password_logs_in_and_searches_with_the_session(pds):
    did = "did:plc:seedlistening0000000000"
    # Expires in 2100: the SDK refreshes sessions close to their expiry.
    access = _jwt(scope="com.atproto.appPass", sub=did, iat=1741000000, exp=4102444800)
    pds.route(
        CREATE_SESSION,
        json_reply(
            {
                "did": did,
                "handle": "seed.bsky.social",
                "accessJwt": access,
                "refreshJwt": _jwt(
                    scope="com.atproto.refresh", sub=did, exp=4102444800
                ),
                "active": True,
            }
        ),
    )
    pds.route(SEARCH, json_reply(recorded("search_vonk.json")))

    result = fetch(pds, handle="seed.bsky.social", app_password="abcd-efgh-ijkl-mnop")

    assert len(result.mentions) == 2
    (login,) = pds.requests_to(CREATE_SESSION)
    assert login.method == "POST"
    assert json.loads(pds.bodies[0]) == {
        "identifier": "seed.bsky.social",
        "password": "abcd-efgh-ijkl-mnop",
    }
    (search,) = pds.requests_to(SEARCH)
    assert search.headers["authorization"] == f"Bearer {access}"


def test_a_refused_app_password_is_a_connector_error(pds):
    pds.route(
        CREATE_SESSION,
        json_reply(
            {
                "error": "AuthenticationRequired",
                "message": "Invalid identifier or password",
            },
            status=401,
        ),
    )

    with pytest.raises(ConnectorError, match="HTTP 401 AuthenticationRequired"):
        fetch(pds, handle="seed.bsky.social", app_password="wrong")

    assert pds.requests_to(SEARCH) == []


@pytest.mark.django_db
def test_source_poll_stores_bluesky_mentions_once(http_server):
    Tracker.objects.create(name="Vonk", kind="brand", any_terms="vonk")
    http_server.route(SEARCH, json_reply(recorded("search_vonk.json")))
    source = Source.objects.create(
        name="Bluesky",
        kind="bluesky",
        url=http_server.base_url,
        config={"search": ["vonk"]},
    )

    first = services.source_poll(source_id=source.pk)
    second = services.source_poll(source_id=source.pk)

    assert first["stored"] == 2, first
    assert second["stored"] == 0
    stored = Mention.objects.get(source=source, external_id=ANNA)
    assert stored.author_handle == "@anna.bsky.social"
    assert stored.influence > 0
    assert Mention.objects.filter(source=source).count() == 2
