"""The X connector: httpx against a real local HTTP server.

The server answers GET /2/tweets/search/recent with recorded-shape API v2
JSON from tests/data/listening/x/.
"""

import json
from datetime import UTC, datetime

import pytest

from listening import services
from listening.connectors import ConnectorError, RateLimited, XConnector, connector_for
from listening.connectors.base import private_addresses
from listening.models import Mention, Source, Tracker

from .conftest import DATA_DIR, Reply

SEARCH = "/2/tweets/search/recent"
JSON = {"Content-Type": "application/json; charset=utf-8"}
X_DATA = DATA_DIR / "x"
QUERY = "vonk -is:retweet"


def recorded(filename: str):
    return json.loads((X_DATA / filename).read_text(encoding="utf-8"))


def json_reply(data, **reply) -> Reply:
    headers = {**JSON, **reply.pop("headers", {})}
    return Reply(body=json.dumps(data).encode(), headers=headers, **reply)


def fetch(server, cursor=None, **config):
    config.setdefault("search", ["vonk"])
    config.setdefault("bearer_token", "test-bearer-token")
    return XConnector().fetch(url=server.base_url, config=config, cursor=cursor or {})


def test_connector_for_x_returns_the_x_connector():
    assert isinstance(connector_for("x"), XConnector)


def test_recent_search_maps_tweets_to_clean_mentions(http_server):
    http_server.route(SEARCH, json_reply(recorded("search_vonk.json")))

    result = fetch(http_server)

    assert result.rejected == []
    anna, pieter = result.mentions
    assert anna.external_id == "1897312345678901234"
    assert anna.text == (
        "Switched to @vonkenergie's dynamic tariff last month. Saved €30 & the "
        "app is great https://t.co/abc123"
    )
    assert anna.url == "https://x.com/annajansen/status/1897312345678901234"
    assert anna.author_handle == "@annajansen"
    assert anna.author_name == "Anna Jansen"
    assert anna.author_url == "https://x.com/annajansen"
    assert anna.author_followers == 1234
    assert anna.language == "en"
    assert anna.posted_at == datetime(2025, 3, 4, 9, 15, tzinfo=UTC)
    assert anna.raw == {
        "id": "1897312345678901234",
        "author_id": "2244994945",
        "reposts": 5,
        "likes": 11,
        "replies": 2,
        "quotes": 1,
    }
    assert pieter.language == "nl"
    assert pieter.author_followers == 87

    (request,) = http_server.requests_to(SEARCH)
    assert request.headers["authorization"] == "Bearer test-bearer-token"
    assert request.query == {
        "query": [QUERY],
        "max_results": ["100"],
        "tweet.fields": ["created_at,lang,public_metrics,author_id"],
        "expansions": ["author_id"],
        "user.fields": ["username,name,public_metrics"],
    }


def test_search_terms_build_one_or_query_and_a_query_can_be_given(http_server):
    http_server.route(SEARCH, json_reply({"meta": {"result_count": 0}}))

    fetch(http_server, search=["vonk", "vonk energie"])
    fetch(http_server, query="from:vonkenergie", exclude_retweets=False)

    first, second = http_server.requests_to(SEARCH)
    assert first.query["query"] == ['(vonk OR "vonk energie") -is:retweet']
    assert second.query["query"] == ["from:vonkenergie"]


def test_cursor_round_trip_sends_since_id_and_stores_nothing_new(http_server):
    http_server.route(SEARCH, json_reply(recorded("search_vonk.json")))

    first = fetch(http_server)
    # The server ignores since_id and answers the same page again.
    second = fetch(http_server, cursor=json.loads(json.dumps(first.cursor)))

    assert first.cursor == {"since_id": {QUERY: "1897312345678901234"}}
    assert second.mentions == []
    assert second.cursor == first.cursor
    later = http_server.requests_to(SEARCH)[1]
    assert later.query["since_id"] == ["1897312345678901234"]


def test_an_empty_result_keeps_the_cursor(http_server):
    http_server.route(SEARCH, json_reply({"meta": {"result_count": 0}}))

    result = fetch(http_server, cursor={"since_id": {QUERY: "1897312345678901234"}})

    assert result.mentions == []
    assert result.cursor == {"since_id": {QUERY: "1897312345678901234"}}


def test_pages_follow_next_token_up_to_max_pages(http_server):
    page = recorded("search_vonk.json")
    page["meta"]["next_token"] = "b26v89c19zqg8o3fpds"
    http_server.route(SEARCH, json_reply(page))

    result = fetch(http_server, max_pages=2)

    requests = http_server.requests_to(SEARCH)
    assert len(requests) == 2
    assert requests[1].query["next_token"] == ["b26v89c19zqg8o3fpds"]
    assert len(result.mentions) == 2  # the same tweets twice count once


def test_bad_tweets_and_errors_are_rejected_while_good_ones_land(http_server):
    http_server.route(SEARCH, json_reply(recorded("search_partial_errors.json")))

    result = fetch(http_server)

    assert [m.external_id for m in result.mentions] == ["1897300000000000001"]
    assert result.skipped == 1  # the protected account
    assert dict(result.rejected) == {
        "user 1700000000000000003": (
            "Could not find user with author_id: [1700000000000000003]."
        ),
        "tweet 2": "no numeric id",
        "tweet 1897300000000000002": "empty text",
    }
    assert result.cursor == {"since_id": {QUERY: "1897300000000000003"}}


def test_a_private_address_is_refused_unless_allowed(http_server):
    http_server.route(SEARCH, json_reply(recorded("search_vonk.json")))

    with private_addresses(False), pytest.raises(ConnectorError, match="private"):
        fetch(http_server)

    assert http_server.requests == []


def test_no_bearer_token_is_a_clear_connector_error(http_server):
    with pytest.raises(ConnectorError, match="no bearer token configured"):
        fetch(http_server, bearer_token="")
    assert http_server.requests == []


@pytest.mark.parametrize(
    "headers",
    [{"Retry-After": "120"}, {"x-rate-limit-reset": "{reset}"}],
    ids=["retry-after", "x-rate-limit-reset"],
)
def test_429_raises_rate_limited(http_server, headers):
    import time

    reset = str(int(time.time()) + 600)
    headers = {k: v.format(reset=reset) for k, v in headers.items()}
    http_server.route(
        SEARCH,
        json_reply(
            {"title": "Too Many Requests", "detail": "Too Many Requests"},
            status=429,
            headers={"x-rate-limit-remaining": "0", **headers},
        ),
    )

    with pytest.raises(RateLimited) as caught:
        fetch(http_server)

    assert 100 < caught.value.retry_after <= 600


def test_401_says_the_token_was_not_accepted(http_server):
    http_server.route(SEARCH, json_reply({"title": "Unauthorized"}, status=401))

    with pytest.raises(ConnectorError, match="bearer token was not accepted"):
        fetch(http_server)


def test_500_raises_a_connector_error(http_server):
    http_server.route(
        SEARCH,
        json_reply(
            {"title": "Internal Error", "detail": "Something broke"}, status=500
        ),
    )

    with pytest.raises(
        ConnectorError, match="HTTP 500 Internal Server Error: Something"
    ):
        fetch(http_server)


def test_a_timeout_raises_a_connector_error(http_server):
    http_server.route(SEARCH, json_reply({"data": []}, delay=2))

    with pytest.raises(ConnectorError, match="timed out after 0.3 s"):
        fetch(http_server, timeout=0.3)


def test_malformed_json_raises_a_connector_error(http_server):
    http_server.route(SEARCH, Reply(body=b'{"data": [', headers=JSON))

    with pytest.raises(ConnectorError, match="malformed JSON"):
        fetch(http_server)


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"data": {"id": "1"}},
        {"errors": [{"title": "Invalid Request", "detail": "bad query"}]},
    ],
    ids=["list", "data-not-list", "only-errors"],
)
def test_json_of_the_wrong_shape_raises_a_connector_error(http_server, body):
    http_server.route(SEARCH, json_reply(body))

    with pytest.raises(ConnectorError):
        fetch(http_server)


@pytest.mark.django_db
def test_source_poll_stores_x_mentions_once(http_server):
    Tracker.objects.create(name="Vonk", kind="brand", any_terms="vonk\n@vonkenergie")
    http_server.route(SEARCH, json_reply(recorded("search_vonk.json")))
    source = Source.objects.create(
        name="X",
        kind="x",
        url=http_server.base_url,
        config={"search": ["vonk"], "bearer_token": "test-bearer-token"},
    )

    first = services.source_poll(source_id=source.pk)
    second = services.source_poll(source_id=source.pk)

    assert first["stored"] == 2, first
    assert second["stored"] == 0
    stored = Mention.objects.get(source=source, external_id="1897312345678901234")
    assert stored.author_followers == 1234
    assert stored.influence > 0
