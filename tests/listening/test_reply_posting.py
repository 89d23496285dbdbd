"""Posting a reply through the network: real Mastodon.py and the real atproto
SDK against a real local HTTP server (the connector tests' server, answering
POST as well). Nothing in either library is mocked.
"""

import copy
import json
from urllib.parse import parse_qs

import pytest
from django.urls import reverse

from listening.connectors.reply import PostedReply, ReplyError, reply_post
from listening.models import Mention, MentionReply, ReplyChannel, Source
from listening.reply_views import SESSION_DRAFT

from .conftest import DATA_DIR, RecordedRequest, Reply
from .test_reddit_connector import OAuthServer

pytestmark = pytest.mark.django_db

JSON = {"Content-Type": "application/json; charset=utf-8"}
STATUSES = "/api/v1/statuses"
CREATE_SESSION = "/xrpc/com.atproto.server.createSession"
GET_POSTS = "/xrpc/app.bsky.feed.getPosts"
CREATE_RECORD = "/xrpc/com.atproto.repo.createRecord"
STATUS_ID = "113923046723874501"
STATUS_URI = f"https://mastodon.social/users/anna/statuses/{STATUS_ID}"
ANNA = "at://did:plc:z72i7hdynmk6r22z27h6tvur/app.bsky.feed.post/3lkfpvhw3cs2a"
SEED_DID = "did:plc:seedlistening0000000000"
TEXT = "@anna@mastodon.social Thanks Anna! Glad the app helps."


def recorded(path: str):
    return json.loads((DATA_DIR / path).read_text(encoding="utf-8"))


def json_reply(data, **reply) -> Reply:
    headers = {**JSON, **reply.pop("headers", {})}
    return Reply(body=json.dumps(data).encode(), headers=headers, **reply)


class PostServer(OAuthServer):
    """OAuthServer that also waits before answering a POST when told to."""

    def _handler_class(self):
        server = self
        base = super()._handler_class()

        class Handler(base):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                headers = {name.lower(): value for name, value in self.headers.items()}
                body = self.rfile.read(int(headers.get("content-length") or 0))
                with server._lock:
                    server.requests.append(RecordedRequest("POST", self.path, headers))
                    server.bodies.append(body)
                reply = server._next_reply(self.path)
                if reply.delay and server._stopping.wait(reply.delay):
                    return
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

    def body_of(self, path: str, index: int = 0) -> bytes:
        posts = [
            body
            for request, body in zip(
                [r for r in self.requests if r.method == "POST"],
                self.bodies,
                strict=True,
            )
            if request.path.split("?")[0] == path
        ]
        return posts[index]


@pytest.fixture
def server():
    server = PostServer()
    server.start()
    yield server
    server.stop()


def send(client, mention, text=TEXT, **data):
    data.setdefault("action", "post")
    data.setdefault("token", "form-token-1")
    return client.post(
        reverse("listening_inbox:reply", args=[mention.pk]), {"text": text, **data}
    )


def messages_of(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


# --- Mastodon ------------------------------------------------------------------


@pytest.fixture
def mastodon_mention(server):
    source = Source.objects.create(
        name="Vonk on Mastodon",
        kind="mastodon",
        url=server.base_url,
        config={"hashtags": ["vonk"], "access_token": "t0ken", "timeout": 1},
    )
    return Mention.objects.create(
        source=source,
        external_id=STATUS_URI,
        url=f"https://mastodon.social/@anna/{STATUS_ID}",
        author_handle="@anna@mastodon.social",
        text="Switched to Vonk's dynamic tariff last month.",
        cluster_key="c1",
        raw={"id": STATUS_ID, "uri": STATUS_URI},
    )


def created_status(**changes) -> dict:
    status = copy.deepcopy(recorded("mastodon/tag_vonk.json")[3])
    status.update(
        id="113999000000000042",
        uri="https://mastodon.example/users/vonk/statuses/113999000000000042",
        url="https://mastodon.example/@vonk/113999000000000042",
        in_reply_to_id=STATUS_ID,
        content="<p>Thanks Anna! Glad the app helps.</p>",
    )
    status.update(changes)
    return status


def test_mastodon_reply_is_posted_in_the_thread_and_its_id_stored(
    server, mastodon_mention, staff_client, staff
):
    server.route(STATUSES, json_reply(created_status()))

    response = send(staff_client, mastodon_mention)

    assert response.status_code == 302
    (request,) = server.requests_to(STATUSES)
    assert request.method == "POST"
    assert request.headers["authorization"] == "Bearer t0ken"
    assert request.headers["idempotency-key"] == "form-token-1"
    form = parse_qs(server.body_of(STATUSES).decode())
    assert form["status"] == [TEXT]
    assert form["in_reply_to_id"] == [STATUS_ID]
    assert form["visibility"] == ["public"]
    reply = MentionReply.objects.get()
    assert reply.channel == ReplyChannel.POSTED
    assert reply.external_id == "113999000000000042"
    assert reply.external_url == "https://mastodon.example/@vonk/113999000000000042"
    assert reply.replied_by == staff
    assert reply.text == TEXT
    mastodon_mention.refresh_from_db()
    assert mastodon_mention.first_response_at is not None
    assert mastodon_mention.status == "responded"
    assert "Reply posted on Mastodon." in messages_of(response)


def test_mastodon_reply_to_a_webhook_mention_uses_the_external_id(
    server, mastodon_mention, staff_client
):
    Mention.objects.filter(pk=mastodon_mention.pk).update(
        external_id="113923046723874777", raw={}
    )
    server.route(STATUSES, json_reply(created_status()))

    send(staff_client, mastodon_mention)

    form = parse_qs(server.body_of(STATUSES).decode())
    assert form["in_reply_to_id"] == ["113923046723874777"]


def test_the_same_form_sent_twice_posts_once(server, mastodon_mention, staff_client):
    server.route(STATUSES, json_reply(created_status()))

    send(staff_client, mastodon_mention)
    second = send(staff_client, mastodon_mention)

    assert len(server.requests_to(STATUSES)) == 1
    assert MentionReply.objects.count() == 1
    assert any("already sent" in m for m in messages_of(second))


def test_a_text_over_the_mastodon_limit_is_not_sent(
    server, mastodon_mention, staff_client
):
    response = send(staff_client, mastodon_mention, text="x" * 501)

    assert server.requests_to(STATUSES) == []
    assert not MentionReply.objects.exists()
    assert any("at most 500 characters" in m for m in messages_of(response))


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (
            json_reply({"error": "The access token is invalid"}, status=401),
            "refused our credentials (HTTP 401)",
        ),
        (
            json_reply(
                {"error": "Validation failed: Text character limit"}, status=422
            ),
            "Validation failed: Text character limit",
        ),
        (Reply(status=500, body=b"<html>oops</html>"), "refused the reply"),
        (json_reply({"error": "Record not found"}, status=404), "no longer there"),
        (Reply(status=429, headers={"Retry-After": "30"}), "slow down"),
    ],
)
def test_a_refused_mastodon_reply_records_nothing_and_keeps_the_text(
    server, mastodon_mention, staff_client, reply, message
):
    server.route(STATUSES, reply)

    response = send(staff_client, mastodon_mention)

    assert response.status_code == 302
    assert not MentionReply.objects.exists()
    assert any(message in m for m in messages_of(response)), messages_of(response)
    assert staff_client.session[SESSION_DRAFT]["text"] == TEXT
    mastodon_mention.refresh_from_db()
    assert mastodon_mention.first_response_at is None


def test_after_a_failure_the_same_form_may_try_again(
    server, mastodon_mention, staff_client
):
    server.route(
        STATUSES, Reply(status=500, body=b"oops"), json_reply(created_status())
    )

    send(staff_client, mastodon_mention)
    send(staff_client, mastodon_mention)

    assert len(server.requests_to(STATUSES)) == 2
    assert MentionReply.objects.get().external_id == "113999000000000042"


def test_a_slow_instance_times_out_and_records_nothing(
    server, mastodon_mention, staff_client
):
    server.route(STATUSES, json_reply(created_status(), delay=3))

    response = send(staff_client, mastodon_mention)

    assert not MentionReply.objects.exists()
    assert any("did not answer in time" in m for m in messages_of(response))


def test_an_unreachable_instance_records_nothing(mastodon_mention, staff_client):
    Source.objects.filter(pk=mastodon_mention.source_id).update(
        url="http://127.0.0.1:9"
    )

    response = send(staff_client, mastodon_mention)

    assert not MentionReply.objects.exists()
    assert any("could not be reached" in m for m in messages_of(response))


def test_a_mastodon_source_without_a_token_posts_nothing(
    server, mastodon_mention, staff_client
):
    Source.objects.filter(pk=mastodon_mention.source_id).update(config={})

    send(staff_client, mastodon_mention)

    assert server.requests == []
    assert not MentionReply.objects.exists()


def test_reply_post_raises_for_missing_credentials_and_other_networks(
    mastodon_mention,
):
    mastodon_mention.source.config = {}
    with pytest.raises(ReplyError) as caught:
        reply_post(mastodon_mention, "Hi")
    assert caught.value.code == "credentials"

    mastodon_mention.source.kind = "x"
    with pytest.raises(ReplyError) as caught:
        reply_post(mastodon_mention, "Hi")
    assert caught.value.code == "unsupported"


def test_reply_post_needs_the_status_id(mastodon_mention):
    mastodon_mention.raw = {}
    with pytest.raises(ReplyError) as caught:
        reply_post(mastodon_mention, "Hi")
    assert caught.value.code == "no_id"


# --- Bluesky -------------------------------------------------------------------


def _jwt(**claims) -> str:
    import base64

    def part(data: dict) -> str:
        raw = json.dumps(data).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{part({'typ': 'at+jwt', 'alg': 'ES256K'})}.{part(claims)}.c2ln"


ACCESS = _jwt(scope="com.atproto.appPass", sub=SEED_DID, iat=1741000000, exp=4102444800)
SESSION = {
    "did": SEED_DID,
    "handle": "vonk.bsky.social",
    "accessJwt": ACCESS,
    "refreshJwt": _jwt(scope="com.atproto.refresh", sub=SEED_DID, exp=4102444800),
    "active": True,
}
REPLY_URI = f"at://{SEED_DID}/app.bsky.feed.post/3lzzreply22a"


def anna_post(**record_changes) -> dict:
    post = copy.deepcopy(recorded("bluesky/search_vonk.json")["posts"][0])
    post["record"]["text"] = "Switched to Vonk's dynamic tariff last month."
    post["record"].update(record_changes)
    return post


@pytest.fixture
def bluesky(server):
    server.route(CREATE_SESSION, json_reply(SESSION))
    server.route(GET_POSTS, json_reply({"posts": [anna_post()]}))
    server.route(
        CREATE_RECORD,
        json_reply({"uri": REPLY_URI, "cid": "bafyreiseedreply0000000000000000000"}),
    )
    return server


@pytest.fixture
def bluesky_mention(server):
    source = Source.objects.create(
        name="Vonk on Bluesky",
        kind="bluesky",
        url=server.base_url,
        config={
            "search": ["vonk"],
            "handle": "vonk.bsky.social",
            "app_password": "abcd-efgh-ijkl-mnop",
            "timeout": 1,
        },
    )
    return Mention.objects.create(
        source=source,
        external_id=ANNA,
        url="https://bsky.app/profile/anna.bsky.social/post/3lkfpvhw3cs2a",
        author_handle="@anna.bsky.social",
        text="Switched to Vonk's dynamic tariff last month.",
        language="en",
        cluster_key="b1",
        raw={
            "uri": ANNA,
            "cid": "bafyreibx5kgbhwf3ukyykzj2yfdvzsq4smxkfgqlkdpyjmaz6e7q7o7dqe",
        },
    )


def test_bluesky_reply_is_posted_in_the_thread_and_its_uri_stored(
    bluesky, bluesky_mention, staff_client
):
    response = send(staff_client, bluesky_mention, text="Thanks Anna!")

    assert response.status_code == 302
    assert json.loads(bluesky.body_of(CREATE_SESSION)) == {
        "identifier": "vonk.bsky.social",
        "password": "abcd-efgh-ijkl-mnop",
    }
    (get_posts,) = bluesky.requests_to(GET_POSTS)
    assert get_posts.query["uris"] == [ANNA]
    (create,) = bluesky.requests_to(CREATE_RECORD)
    assert create.headers["authorization"] == f"Bearer {ACCESS}"
    body = json.loads(bluesky.body_of(CREATE_RECORD))
    assert body["repo"] == SEED_DID
    assert body["collection"] == "app.bsky.feed.post"
    record = body["record"]
    assert record["text"] == "Thanks Anna!"
    assert record["langs"] == ["en"]
    parent = {
        "$type": "com.atproto.repo.strongRef",
        "uri": ANNA,
        "cid": "bafyreibx5kgbhwf3ukyykzj2yfdvzsq4smxkfgqlkdpyjmaz6e7q7o7dqe",
    }
    assert record["reply"]["parent"] == parent
    assert record["reply"]["root"] == parent  # Anna's post starts the thread
    reply = MentionReply.objects.get()
    assert reply.channel == ReplyChannel.POSTED
    assert reply.external_id == REPLY_URI
    assert reply.external_url == (
        f"https://bsky.app/profile/{SEED_DID}/post/3lzzreply22a"
    )


def test_bluesky_reply_to_a_reply_keeps_the_thread_root(
    bluesky, bluesky_mention, staff_client
):
    root = {
        "$type": "com.atproto.repo.strongRef",
        "uri": "at://did:plc:rootauthor/app.bsky.feed.post/3kroot00000aa",
        "cid": "bafyreirootcid000000000000000000000000000000000000000000",
    }
    bluesky.route(
        GET_POSTS,
        json_reply({"posts": [anna_post(reply={"root": root, "parent": root})]}),
    )

    send(staff_client, bluesky_mention, text="Thanks Anna!")

    record = json.loads(bluesky.body_of(CREATE_RECORD))["record"]
    assert record["reply"]["root"] == root
    assert record["reply"]["parent"]["uri"] == ANNA


def test_bluesky_links_in_a_reply_are_clickable(bluesky, bluesky_mention, staff_client):
    text = "Hoi! Doe mee: https://vonk.example/nl/invite/1.ab:c:d/ (stop: https://vonk.example/nl/optout/)"
    send(staff_client, bluesky_mention, text=text)

    record = json.loads(bluesky.body_of(CREATE_RECORD))["record"]
    assert record["text"] == text
    links = [
        (
            f["features"][0]["uri"],
            text.encode()[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode(),
        )
        for f in record["facets"]
    ]
    assert links == [
        ("https://vonk.example/nl/invite/1.ab:c:d/",) * 2,
        ("https://vonk.example/nl/optout/",) * 2,
    ]


def test_bluesky_login_refused_records_nothing(bluesky, bluesky_mention, staff_client):
    bluesky.route(
        CREATE_SESSION,
        json_reply(
            {"error": "AuthenticationRequired", "message": "Invalid password"},
            status=401,
        ),
    )

    response = send(staff_client, bluesky_mention, text="Thanks Anna!")

    assert bluesky.requests_to(CREATE_RECORD) == []
    assert not MentionReply.objects.exists()
    assert any("HTTP 401" in m for m in messages_of(response))
    assert staff_client.session[SESSION_DRAFT]["text"] == "Thanks Anna!"


def test_bluesky_server_error_records_nothing(bluesky, bluesky_mention, staff_client):
    bluesky.route(CREATE_RECORD, json_reply({"error": "InternalError"}, status=500))

    response = send(staff_client, bluesky_mention, text="Thanks Anna!")

    assert not MentionReply.objects.exists()
    assert any("refused the reply" in m for m in messages_of(response))


def test_bluesky_timeout_records_nothing(bluesky, bluesky_mention, staff_client):
    bluesky.route(CREATE_RECORD, json_reply({"uri": REPLY_URI, "cid": "bafy"}, delay=3))

    response = send(staff_client, bluesky_mention, text="Thanks Anna!")

    assert not MentionReply.objects.exists()
    assert any("did not answer in time" in m for m in messages_of(response))


def test_a_deleted_bluesky_post_is_not_replied_to(
    bluesky, bluesky_mention, staff_client
):
    bluesky.route(GET_POSTS, json_reply({"posts": []}))

    response = send(staff_client, bluesky_mention, text="Thanks Anna!")

    assert bluesky.requests_to(CREATE_RECORD) == []
    assert not MentionReply.objects.exists()
    assert any("no longer there" in m for m in messages_of(response))


def test_a_bluesky_text_over_300_characters_is_not_sent(
    bluesky, bluesky_mention, staff_client
):
    send(staff_client, bluesky_mention, text="x" * 301)

    assert bluesky.requests == []
    assert not MentionReply.objects.exists()


def test_reply_post_returns_the_posted_reply(bluesky, bluesky_mention):
    from listening.connectors.base import private_addresses

    with private_addresses(True):
        posted = reply_post(bluesky_mention, "Thanks!")

    assert posted == PostedReply(
        external_id=REPLY_URI,
        url=f"https://bsky.app/profile/{SEED_DID}/post/3lzzreply22a",
    )


def test_a_private_address_is_refused_unless_allowed(
    bluesky, bluesky_mention, staff_client, settings
):
    settings.LISTENING_ALLOW_PRIVATE_ADDRESSES = False

    response = send(staff_client, bluesky_mention, text="Thanks Anna!")

    assert bluesky.requests == []
    assert not MentionReply.objects.exists()
    assert any("could not be reached" in m for m in messages_of(response))
