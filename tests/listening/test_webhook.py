import json
import time

import pytest

from listening.models import Mention, Source
from listening.webhook import (
    MAX_BODY_BYTES,
    webhook_sign,
    webhook_signature_valid,
)

pytestmark = pytest.mark.django_db

SECRET = "s3cr3t-for-tests-0123456789abcdefghij"  # noqa: S105


@pytest.fixture
def vonk():
    from listening.models import Tracker

    return Tracker.objects.create(name="Vonk", kind="brand", any_terms="vonk")


@pytest.fixture
def hook():
    return Source.objects.create(
        name="Helpdesk push", kind="webhook", config={"secret": SECRET}
    )


def _mention(n, text="Vonk support fixed my meter in a day", **extra):
    return {
        "id": f"ticket-{n}",
        "text": text,
        "url": f"https://help.example/t/{n}",
        "author": f"@user{n}",
        "author_name": f"User {n}",
        "author_url": f"https://help.example/u/{n}",
        "followers": 10 * n,
        "language": "en",
        "posted_at": "2026-11-20T12:00:00+01:00",
        **extra,
    }


def _post(client, source, body, *, secret=SECRET, timestamp=None, headers=None):
    if not isinstance(body, bytes):
        body = json.dumps(body).encode()
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    signed = {
        "HTTP_X_SEED_TIMESTAMP": timestamp,
        "HTTP_X_SEED_SIGNATURE": webhook_sign(
            secret=secret, timestamp=timestamp, body=body
        ),
    }
    return client.post(
        f"/hooks/listening/{source.pk}/",
        data=body,
        content_type="application/json",
        **(signed if headers is None else headers),
    )


def test_signed_delivery_stores_mentions(client, hook, vonk):
    response = _post(client, hook, {"mentions": [_mention(1), _mention(2)]})
    assert response.status_code == 200
    assert response.json() == {
        "stored": 2,
        "duplicates": 0,
        "unmatched": 0,
        "rejected": [],
    }
    mention = Mention.objects.get(external_id="ticket-1")
    assert mention.source == hook
    assert mention.author_handle == "@user1"
    assert mention.author_followers == 10
    assert mention.posted_at.isoformat() == "2026-11-20T11:00:00+00:00"
    assert list(mention.trackers.all()) == [vonk]


def test_same_delivery_twice_stores_nothing_new(client, hook, vonk):
    body = json.dumps({"mentions": [_mention(1), _mention(2)]}).encode()
    _post(client, hook, body)
    again = _post(client, hook, body)
    assert again.status_code == 200
    assert again.json()["stored"] == 0
    assert again.json()["duplicates"] == 2
    assert Mention.objects.count() == 2


def test_mentions_without_a_matching_tracker_are_not_kept(client, hook, vonk):
    response = _post(
        client, hook, {"mentions": [_mention(1, text="Nothing about us at all")]}
    )
    assert response.json()["unmatched"] == 1
    assert not Mention.objects.exists()


def test_bad_signature_is_refused_and_nothing_stored(client, hook, vonk):
    response = _post(client, hook, {"mentions": [_mention(1)]}, secret="wrong")
    assert response.status_code == 401
    assert "WWW-Authenticate" in response.headers
    assert not Mention.objects.exists()


def test_signature_over_a_different_body_is_refused(client, hook, vonk):
    timestamp = str(int(time.time()))
    signature = webhook_sign(
        secret=SECRET, timestamp=timestamp, body=b'{"mentions": []}'
    )
    response = _post(
        client,
        hook,
        {"mentions": [_mention(1)]},
        headers={
            "HTTP_X_SEED_TIMESTAMP": timestamp,
            "HTTP_X_SEED_SIGNATURE": signature,
        },
    )
    assert response.status_code == 401
    assert not Mention.objects.exists()


@pytest.mark.parametrize("missing", ["HTTP_X_SEED_TIMESTAMP", "HTTP_X_SEED_SIGNATURE"])
def test_missing_signature_header_is_refused(client, hook, vonk, missing):
    body = json.dumps({"mentions": [_mention(1)]}).encode()
    timestamp = str(int(time.time()))
    headers = {
        "HTTP_X_SEED_TIMESTAMP": timestamp,
        "HTTP_X_SEED_SIGNATURE": webhook_sign(
            secret=SECRET, timestamp=timestamp, body=body
        ),
    }
    del headers[missing]
    response = _post(client, hook, body, headers=headers)
    assert response.status_code == 401
    assert not Mention.objects.exists()


@pytest.mark.parametrize("age", [301, -301, 86_400])
def test_stale_or_future_timestamp_is_refused(client, hook, vonk, age):
    response = _post(
        client, hook, {"mentions": [_mention(1)]}, timestamp=int(time.time()) - age
    )
    assert response.status_code == 401
    assert not Mention.objects.exists()


def test_signature_check_accepts_only_fresh_exact_signatures():
    body = b'{"mentions": []}'
    sig = webhook_sign(secret=SECRET, timestamp="1000", body=body)
    check = webhook_signature_valid
    assert check(secret=SECRET, timestamp="1000", signature=sig, body=body, now=1299)
    assert not check(
        secret=SECRET, timestamp="1000", signature=sig, body=body, now=1301
    )
    assert not check(
        secret=SECRET, timestamp="1000", signature=sig[:-1], body=body, now=1000
    )
    assert not check(
        secret=SECRET,
        timestamp="1000",
        signature=sig.removeprefix("sha256="),
        body=body,
        now=1000,
    )
    assert not check(secret="", timestamp="1000", signature=sig, body=body, now=1000)
    assert not check(secret=SECRET, timestamp="1e3", signature=sig, body=body, now=1000)


def test_source_without_a_secret_refuses_every_delivery(client, vonk):
    source = Source.objects.create(name="Unset", kind="webhook", config={})
    response = _post(client, source, {"mentions": [_mention(1)]}, secret="")
    assert response.status_code == 401
    assert not Mention.objects.exists()


def test_source_of_another_kind_is_not_a_webhook(client, vonk):
    feed = Source.objects.create(
        name="Feed", kind="rss", url="https://x.test/feed", config={"secret": SECRET}
    )
    response = _post(client, feed, {"mentions": [_mention(1)]})
    assert response.status_code == 404
    assert not Mention.objects.exists()


def test_disabled_or_unknown_webhook_is_not_found(client, hook, vonk):
    hook.enabled = False
    hook.save()
    assert _post(client, hook, {"mentions": [_mention(1)]}).status_code == 404
    hook.pk = 999_999
    response = _post(client, hook, {"mentions": [_mention(1)]})
    # A real 404, not a redirect to a language-prefixed page.
    assert response.status_code == 404
    assert not Mention.objects.exists()


def test_get_is_not_allowed(client, hook):
    assert client.get(f"/hooks/listening/{hook.pk}/").status_code == 405


def test_oversized_body_is_refused(client, hook, vonk):
    padding = "x" * (MAX_BODY_BYTES + 1)
    response = _post(client, hook, {"mentions": [_mention(1)], "padding": padding})
    assert response.status_code == 413
    assert not Mention.objects.exists()


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"\xff\xfe\x00garbage", b""],
    ids=["broken", "not-utf8", "empty"],
)
def test_invalid_json_is_a_bad_request(client, hook, body):
    response = _post(client, hook, body)
    assert response.status_code == 400
    assert "detail" in response.json()


@pytest.mark.parametrize(
    "payload",
    [[], {"mentions": {"id": 1}}, {"items": []}, "mentions", None],
    ids=["list", "mentions-object", "no-mentions", "string", "null"],
)
def test_wrong_shape_is_a_bad_request(client, hook, payload):
    response = _post(client, hook, payload)
    assert response.status_code == 400


def test_too_many_mentions_per_delivery_is_a_bad_request(client, hook, vonk):
    response = _post(client, hook, {"mentions": [_mention(n) for n in range(501)]})
    assert response.status_code == 400
    assert not Mention.objects.exists()


def test_good_items_land_and_bad_ones_are_reported(client, hook, vonk):
    response = _post(
        client,
        hook,
        {
            "mentions": [
                _mention(1),
                "not an object",
                _mention(2, id=None),
                _mention(3, text=42),
                _mention(4, url="javascript:alert(1)"),
                _mention(5, followers=-3),
                _mention(6, posted_at="yesterday"),
                _mention(7, posted_at="2026-11-20T12:00:00"),
                _mention(8, language="not a language"),
                _mention(9, text="<p></p>"),
                _mention(10, author=["@a"]),
                _mention(11),
                _mention(1),
            ]
        },
    )
    assert response.status_code == 200
    data = response.json()
    assert data["stored"] == 2
    rejected = {r["index"]: r["reason"] for r in data["rejected"]}
    assert sorted(rejected) == list(range(1, 11)) + [12]
    assert "id" in rejected[2]
    assert "text" in rejected[3]
    assert "url" in rejected[4]
    assert "followers" in rejected[5]
    assert "posted_at" in rejected[6] and "posted_at" in rejected[7]
    assert "language" in rejected[8]
    assert "author" in rejected[10]
    assert "0" in rejected[12]
    assert set(Mention.objects.values_list("external_id", flat=True)) == {
        "ticket-1",
        "ticket-11",
    }


def test_script_markup_and_controls_in_text_are_removed(client, hook, vonk):
    _post(
        client,
        hook,
        {
            "mentions": [
                _mention(
                    1,
                    text="<script>alert('x')</script><b>Vonk</b> is\u202e great\x00 "
                    "&lt;img src=x onerror=alert(1)&gt;",
                    author="<i>@evil</i>\n",
                )
            ]
        },
    )
    mention = Mention.objects.get()
    assert mention.text == "Vonk is great"
    assert mention.author_handle == "@evil"
    assert "<" not in mention.text and "alert" not in mention.text


def test_numeric_ids_and_missing_optional_fields_are_fine(client, hook, vonk):
    response = _post(client, hook, {"mentions": [{"id": 7, "text": "Vonk rocks"}]})
    assert response.json()["stored"] == 1
    mention = Mention.objects.get()
    assert mention.external_id == "7"
    assert mention.url == ""
    assert mention.posted_at is None


def test_webhook_needs_no_csrf_token_or_session(hook, vonk):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = _post(strict, hook, {"mentions": [_mention(1)]})
    assert response.status_code == 200
