"""The Reddit connector: real PRAW and prawcore against a real local server.

The server plays both www.reddit.com (POST /api/v1/access_token, the
application-only OAuth token) and oauth.reddit.com (listings), answering
with recorded-shape JSON from tests/data/listening/reddit/. PRAW is aimed at
it through its own settings (reddit_url, oauth_url, short_url and the
requestor's session); nothing in PRAW is mocked.
"""

import copy
import json
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler

import pytest

from listening import services
from listening.connectors import (
    ConnectorError,
    RateLimited,
    RedditConnector,
    connector_for,
)
from listening.connectors.base import private_addresses
from listening.models import Mention, Source, Tracker

from .conftest import DATA_DIR, LocalHttpServer, RecordedRequest, Reply

TOKEN = "/api/v1/access_token"
NEW = "/r/vonk/new"
SEARCH = "/r/all/search"
JSON = {"Content-Type": "application/json; charset=UTF-8"}
REDDIT_DATA = DATA_DIR / "reddit"


class OAuthServer(LocalHttpServer):
    """The conftest server, answering POST as well (the token request)."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        super().__init__()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self
        base = super()._handler_class()

        class Handler(base):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                headers = {name.lower(): value for name, value in self.headers.items()}
                length = int(headers.get("content-length") or 0)
                body = self.rfile.read(length)
                with server._lock:
                    server.requests.append(RecordedRequest("POST", self.path, headers))
                    server.bodies.append(body)
                reply = server._next_reply(self.path)
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        return Handler


@pytest.fixture
def reddit():
    server = OAuthServer()
    server.start()
    server.route(TOKEN, json_reply(recorded("token.json")))
    yield server
    server.stop()


def recorded(filename: str):
    return json.loads((REDDIT_DATA / filename).read_text(encoding="utf-8"))


def json_reply(data, **reply) -> Reply:
    headers = {**JSON, **reply.pop("headers", {})}
    return Reply(body=json.dumps(data).encode(), headers=headers, **reply)


def fetch(server, cursor=None, **config):
    if "search" not in config:
        config.setdefault("subreddits", ["vonk"])
    config.setdefault("client_id", "seed-client-id")
    config.setdefault("client_secret", "seed-client-secret")
    config.setdefault("user_agent", "Seed-Listening/1.0 (by /u/seed-test)")
    return RedditConnector().fetch(
        url=server.base_url, config=config, cursor=cursor or {}
    )


def test_connector_for_reddit_returns_the_reddit_connector():
    assert isinstance(connector_for("reddit"), RedditConnector)


def test_new_posts_map_to_clean_mentions_through_application_only_oauth(reddit):
    reddit.route(NEW, json_reply(recorded("new_vonk.json")))

    result = fetch(reddit)

    assert result.rejected == []
    anna, pieter = result.mentions
    assert anna.external_id == "t3_1j3xyz9"
    # Title and body, tags and script content gone, NUL and bidi override
    # removed, the entity decoded.
    assert anna.text == (
        "Vonk dynamic tariff: worth it? Switched to Vonk's dynamic tariff last "
        "month. Saved about €30 & the app is great."
    )
    assert anna.url == (
        "https://www.reddit.com/r/vonk/comments/1j3xyz9/vonk_dynamic_tariff_worth_it/"
    )
    assert anna.author_handle == "u/anna_jansen"
    assert anna.author_name == "anna_jansen"
    assert anna.author_url == "https://www.reddit.com/user/anna_jansen"
    assert anna.author_followers is None
    assert anna.posted_at == datetime(2025, 3, 4, 9, 15, tzinfo=UTC)
    assert anna.raw == {
        "id": "t3_1j3xyz9",
        "subreddit": "vonk",
        "link": (
            "https://www.reddit.com/r/vonk/comments/1j3xyz9/"
            "vonk_dynamic_tariff_worth_it/"
        ),
        "likes": 42,
        "replies": 7,
        "reposts": 1,
    }
    assert pieter.raw["link"] == "https://nieuws.example.nl/vonk-terugleveren"

    (token,) = reddit.requests_to(TOKEN)
    assert token.method == "POST"
    assert token.headers["authorization"].startswith("Basic ")
    assert b"grant_type=client_credentials" in reddit.bodies[0]
    (listing,) = reddit.requests_to(NEW)
    assert listing.headers["authorization"] == (
        "bearer " + recorded("token.json")["access_token"]
    )
    assert listing.headers["user-agent"].startswith("Seed-Listening/1.0")
    assert listing.query == {"limit": ["100"], "raw_json": ["1"]}


def test_nsfw_deleted_and_removed_posts_are_skipped_and_counted(reddit):
    reddit.route(NEW, json_reply(recorded("new_vonk.json")))

    result = fetch(reddit)

    assert result.skipped == 3
    assert {m.external_id for m in result.mentions} == {"t3_1j3xyz9", "t3_1j3xyz8"}


def test_cursor_round_trip_stores_nothing_new(reddit):
    reddit.route(NEW, json_reply(recorded("new_vonk.json")))

    first = fetch(reddit)
    second = fetch(reddit, cursor=json.loads(json.dumps(first.cursor)))

    assert first.cursor["since"] == {"new:vonk": 1741079700.0}
    assert "t3_1j3xyz9" in first.cursor["seen"]["new:vonk"]
    assert second.mentions == []
    assert second.skipped == 0
    assert second.cursor["since"] == first.cursor["since"]


def test_a_new_post_after_the_cursor_is_fetched_once(reddit):
    page = recorded("new_vonk.json")
    newer = copy.deepcopy(page["data"]["children"][1])
    newer["data"].update(
        id="1j4new1",
        name="t3_1j4new1",
        title="Vonk heeft de tarieven verlaagd!",
        created_utc=1741180000.0,
    )
    later = copy.deepcopy(page)
    later["data"]["children"].insert(0, newer)
    reddit.route(NEW, json_reply(page), json_reply(later))

    first = fetch(reddit)
    second = fetch(reddit, cursor=first.cursor)

    assert [m.external_id for m in second.mentions] == ["t3_1j4new1"]
    assert second.cursor["since"]["new:vonk"] == 1741180000.0


def test_search_terms_search_r_all_newest_first_with_their_own_cursor(reddit):
    reddit.route(SEARCH, json_reply(recorded("new_vonk.json")))

    result = fetch(reddit, search=["vonk energie"], limit=25)

    (request,) = reddit.requests_to(SEARCH)
    assert request.query == {
        "q": ["vonk energie"],
        "sort": ["new"],
        "t": ["all"],
        "limit": ["25"],
        "raw_json": ["1"],
    }
    assert set(result.cursor["since"]) == {"search:vonk energie"}
    assert len(result.mentions) == 2


def test_search_within_subreddits_restricts_the_search(reddit):
    reddit.route("/r/vonk+energie/search", json_reply(recorded("new_vonk.json")))

    fetch(reddit, search=["tarief"], search_subreddits=["r/vonk", "energie"])

    (request,) = reddit.requests_to("/r/vonk+energie/search")
    assert request.query["restrict_sr"] == ["on"]


def test_a_post_found_by_a_stream_and_a_search_counts_once(reddit):
    reddit.route(NEW, json_reply(recorded("new_vonk.json")))
    reddit.route(SEARCH, json_reply(recorded("new_vonk.json")))

    result = fetch(reddit, subreddits=["vonk"], search=["vonk"])

    assert len(result.mentions) == 2
    assert set(result.cursor["since"]) == {"new:vonk", "search:vonk"}


def test_bad_posts_are_rejected_with_a_reason_while_good_ones_land(reddit):
    reddit.route(NEW, json_reply(recorded("new_bad_item.json")))

    result = fetch(reddit)

    assert [m.external_id for m in result.mentions] == ["t3_1j3xyz8"]
    reasons = dict(result.rejected)
    assert reasons["new:vonk item 2"].startswith("not a post: An invalid value")
    assert reasons["t3_1j3nodate"] == "no created_utc"
    assert reasons["new:vonk item 4"] == "not a listing child"
    assert reasons["new:vonk item 5"] == "not a post (kind t1)"
    assert reasons["t3_1j3empty"] == "empty text"
    assert len(result.rejected) == 5

    # Posts with a fullname are reported once; the others can only be
    # reported again.
    again = fetch(reddit, cursor=result.cursor)
    assert again.mentions == []
    assert sorted(ref for ref, _reason in again.rejected) == [
        "new:vonk item 2",
        "new:vonk item 4",
        "new:vonk item 5",
    ]


def test_429_with_retry_after_raises_rate_limited(reddit):
    reddit.route(
        NEW,
        Reply(
            status=429,
            body=b"Too Many Requests",
            headers={"Retry-After": "75", "Content-Type": "text/plain"},
        ),
    )

    with pytest.raises(RateLimited) as caught:
        fetch(reddit)

    assert caught.value.retry_after == 75


def test_429_with_only_x_ratelimit_reset_uses_the_reset(reddit):
    reddit.route(
        NEW,
        json_reply(
            {"message": "Too Many Requests", "error": 429},
            status=429,
            headers={
                "x-ratelimit-remaining": "0",
                "x-ratelimit-used": "100",
                "x-ratelimit-reset": "240",
            },
        ),
    )

    with pytest.raises(RateLimited) as caught:
        fetch(reddit)

    assert caught.value.retry_after == 240


def test_a_used_up_rate_limit_raises_instead_of_sleeping(reddit):
    reddit.route(
        NEW,
        json_reply(
            recorded("new_vonk.json"),
            headers={
                "x-ratelimit-remaining": "0.0",
                "x-ratelimit-used": "100",
                "x-ratelimit-reset": "300",
            },
        ),
    )

    with pytest.raises(RateLimited) as caught:
        fetch(reddit, subreddits=["vonk", "energie"])

    assert caught.value.retry_after == 300
    assert reddit.requests_to("/r/energie/new") == []


def test_500_raises_a_connector_error_after_prawcores_retries(reddit):
    reddit.route(NEW, Reply(status=500, body=b"oops"))

    with pytest.raises(ConnectorError, match="HTTP 500"):
        fetch(reddit)

    assert len(reddit.requests_to(NEW)) == 3  # prawcore retries 5xx twice


def test_a_timeout_raises_a_connector_error(reddit):
    reddit.route(NEW, json_reply(recorded("new_vonk.json"), delay=3))

    with pytest.raises(ConnectorError, match="timed out after 0.2 s"):
        fetch(reddit, timeout=0.2)


def test_a_refused_token_is_a_connector_error(reddit):
    reddit.route(
        TOKEN, json_reply({"message": "Unauthorized", "error": 401}, status=401)
    )

    with pytest.raises(ConnectorError, match="HTTP 401"):
        fetch(reddit)

    assert reddit.requests_to(NEW) == []


def test_malformed_json_raises_a_connector_error(reddit):
    reddit.route(NEW, Reply(body=b'{"kind": "Listing", "data": {', headers=JSON))

    with pytest.raises(ConnectorError, match="malformed JSON"):
        fetch(reddit)


@pytest.mark.parametrize(
    "body",
    [[], {"kind": "t3", "data": {}}, {"kind": "Listing", "data": {"children": {}}}],
    ids=["list", "not-a-listing", "children-not-a-list"],
)
def test_json_of_the_wrong_shape_raises_a_connector_error(reddit, body):
    reddit.route(NEW, json_reply(body))

    with pytest.raises(ConnectorError, match="unexpected response"):
        fetch(reddit)


def test_a_private_address_is_refused_unless_allowed(reddit):
    reddit.route(NEW, json_reply(recorded("new_vonk.json")))

    with private_addresses(False), pytest.raises(ConnectorError, match="private"):
        fetch(reddit)

    assert reddit.requests == []  # not even the token request


def test_missing_credentials_or_bad_names_are_connector_errors(reddit):
    with pytest.raises(ConnectorError, match="client_id and client_secret"):
        fetch(reddit, client_secret="")
    with pytest.raises(ConnectorError, match="not a subreddit name"):
        fetch(reddit, subreddits=["../../api/v1/me"])
    assert reddit.requests == []


@pytest.mark.django_db
def test_source_poll_stores_reddit_mentions_once(reddit):
    Tracker.objects.create(name="Vonk", kind="brand", any_terms="vonk")
    reddit.route(NEW, json_reply(recorded("new_vonk.json")))
    source = Source.objects.create(
        name="Reddit",
        kind="reddit",
        url=reddit.base_url,
        config={
            "subreddits": ["vonk"],
            "client_id": "seed-client-id",
            "client_secret": "seed-client-secret",
        },
    )

    first = services.source_poll(source_id=source.pk)
    second = services.source_poll(source_id=source.pk)

    assert first["stored"] == 2, first
    assert second["stored"] == 0
    stored = Mention.objects.get(source=source, external_id="t3_1j3xyz9")
    assert stored.author_handle == "u/anna_jansen"
    assert stored.influence > 0
