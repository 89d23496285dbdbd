from datetime import UTC, datetime, timedelta

import pytest
from rest_framework.authtoken.models import Token

from listening import services
from listening.connectors import RawMention
from listening.models import Mention, Source, Tracker
from tests.experts.conftest import make_expert

pytestmark = pytest.mark.django_db

LISTS = ["/api/v1/mentions/", "/api/v1/sources/", "/api/v1/trackers/"]


@pytest.fixture
def vonk():
    return Tracker.objects.create(name="Vonk", kind="brand", any_terms="vonk")


@pytest.fixture
def rival():
    return Tracker.objects.create(
        name="Stroomco", kind="competitor", any_terms="stroomco"
    )


@pytest.fixture
def feed():
    return Source.objects.create(
        name="Forum",
        kind="rss",
        url="https://forum.example/feed",
        config={"timeout": 5, "auth": {"api_token": "tok-123", "user": "bot"}},
    )


@pytest.fixture
def hook():
    return Source.objects.create(
        name="Helpdesk", kind="webhook", config={"secret": "x" * 40}
    )


def _raw(n, text, day=20):
    return RawMention(
        external_id=f"post-{n}",
        text=text,
        url=f"https://forum.example/post/{n}",
        author_handle=f"user{n}",
        posted_at=datetime(2026, 11, day, 12, n % 60, tzinfo=UTC),
        raw={"secret": "payload only for the database"},
    )


@pytest.fixture
def mentions(feed, hook, vonk, rival):
    services.mention_upsert_batch(
        source=feed,
        raw_mentions=[
            _raw(
                n,
                "I switched from Stroomco to Vonk last month and the customer "
                f"service has been wonderful so far, story {n}",
            )
            for n in range(30)
        ],
    )
    services.mention_upsert_batch(
        source=hook,
        raw_mentions=[
            _raw(100, "Mijn jaarafrekening van Vonk is veel te hoog dit jaar", 10)
        ],
    )
    return Mention.objects.all()


# Permissions


@pytest.mark.parametrize("url", LISTS)
def test_anonymous_callers_get_401(client, url):
    assert client.get(url).status_code == 401
    assert client.post(url, {}, content_type="application/json").status_code == 401


@pytest.mark.parametrize("url", LISTS)
def test_members_get_403(member_client, url):
    assert member_client.get(url).status_code == 403
    response = member_client.post(url, {}, content_type="application/json")
    assert response.status_code == 403


@pytest.mark.parametrize("url", LISTS)
def test_experts_are_not_staff(client, url):
    expert = make_expert()
    client.force_login(expert.user)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", LISTS)
def test_staff_token_works(client, staff, url):
    token = Token.objects.create(user=staff)
    response = client.get(url, HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200


def test_endpoints_are_in_the_schema(client):
    import yaml

    schema = yaml.safe_load(client.get("/api/v1/schema/").content)
    for url in LISTS:
        assert url in schema["paths"]
    assert "post" in schema["paths"]["/api/v1/sources/"]
    assert "post" not in schema["paths"]["/api/v1/mentions/"]


# Mentions


def test_mention_list_has_enrichment_and_no_raw_payload(
    staff_client, mentions, vonk, rival
):
    response = staff_client.get("/api/v1/mentions/")
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 31
    assert len(data["results"]) == 25
    first = data["results"][0]
    assert sorted(first["trackers"]) == sorted([vonk.pk, rival.pk])
    assert len(first["cluster_key"]) == 32
    assert first["language"] == "en"
    assert first["language_confidence"] > 0.8
    assert "raw" not in first
    assert "payload only" not in response.content.decode()


def test_mention_list_query_count_is_pinned(
    staff_client, mentions, django_assert_max_num_queries
):
    # session, user, count, page, trackers
    with django_assert_max_num_queries(5):
        response = staff_client.get("/api/v1/mentions/")
    assert len(response.json()["results"]) == 25


def test_mention_list_filters(staff_client, mentions, hook, vonk, rival):
    def ids(query):
        response = staff_client.get(f"/api/v1/mentions/?{query}")
        assert response.status_code == 200
        return {m["external_id"] for m in response.json()["results"]}

    def count(query):
        return staff_client.get(f"/api/v1/mentions/?{query}").json()["count"]

    assert ids(f"source={hook.pk}") == {"post-100"}
    assert ids("language=nl") == {"post-100"}
    assert count(f"tracker={rival.pk}") == 30
    assert count(f"tracker={vonk.pk}") == 31
    assert ids(f"tracker={vonk.pk}&language=NL") == {"post-100"}
    assert "post-100" not in ids("since=2026-11-15T00:00:00Z")
    assert ids(f"since=2026-11-10T00:00:00Z&source={hook.pk}") == {"post-100"}


def test_mention_list_rejects_bad_filters(staff_client):
    response = staff_client.get("/api/v1/mentions/?source=abc&since=yesterday")
    assert response.status_code == 400
    assert set(response.json()) == {"source", "since"}


# Sources


def test_source_list_masks_credentials(staff_client, feed, hook):
    response = staff_client.get("/api/v1/sources/")
    assert response.status_code == 200
    by_name = {s["name"]: s for s in response.json()["results"]}
    assert by_name["Helpdesk"]["config"] == {"secret": "********"}
    assert by_name["Forum"]["config"] == {
        "timeout": 5,
        "auth": {"api_token": "********", "user": "bot"},
    }
    body = response.content.decode()
    assert "tok-123" not in body and "x" * 40 not in body
    assert "cursor" not in by_name["Forum"]


def test_source_list_query_count_is_pinned(
    staff_client, feed, hook, django_assert_max_num_queries
):
    for n in range(10):
        Source.objects.create(name=f"Feed {n}", kind="rss", url="https://x.test/")
    with django_assert_max_num_queries(4):
        response = staff_client.get("/api/v1/sources/")
    assert response.json()["count"] == 12


def test_staff_create_a_source(staff_client):
    response = staff_client.post(
        "/api/v1/sources/",
        {
            "name": "Energy news",
            "kind": "rss",
            "url": "https://news.example/energy.xml",
            "interval_minutes": 30,
        },
        content_type="application/json",
    )
    assert response.status_code == 201
    source = Source.objects.get(name="Energy news")
    assert response.json()["id"] == source.pk
    assert source.kind == "rss" and source.interval_minutes == 30
    assert source.enabled


def test_created_webhook_source_does_not_echo_its_secret(staff_client):
    secret = "a-long-random-webhook-secret-0123456789"  # noqa: S105
    response = staff_client.post(
        "/api/v1/sources/",
        {"name": "Push", "kind": "webhook", "config": {"secret": secret}},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["config"] == {"secret": "********"}
    assert secret not in response.content.decode()
    assert Source.objects.get(name="Push").config == {"secret": secret}


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"name": "A", "kind": "gopher", "url": "https://x.test/"}, "kind"),
        ({"name": "A", "kind": "rss", "url": "not a url"}, "url"),
        ({"name": "A", "kind": "rss", "url": "ftp://x.test/feed"}, "url"),
        ({"name": "A", "kind": "rss"}, "url"),
        ({"name": "A", "kind": "mastodon", "url": ""}, "url"),
        ({"kind": "rss", "url": "https://x.test/"}, "name"),
        (
            {"name": "A", "kind": "rss", "url": "https://x.test/", "config": []},
            "config",
        ),
        ({"name": "A", "kind": "webhook"}, "config"),
        ({"name": "A", "kind": "webhook", "config": {"secret": "short"}}, "config"),
        (
            {
                "name": "A",
                "kind": "rss",
                "url": "https://x.test/",
                "interval_minutes": 0,
            },
            "interval_minutes",
        ),
        (
            {
                "name": "A",
                "kind": "rss",
                "url": "https://x.test/",
                "config": {"blob": "x" * 20_000},
            },
            "config",
        ),
    ],
)
def test_bad_source_payloads_are_field_errors(staff_client, payload, field):
    response = staff_client.post(
        "/api/v1/sources/", payload, content_type="application/json"
    )
    assert response.status_code == 400
    assert field in response.json()
    assert not Source.objects.exists()


def test_health_fields_cannot_be_set_through_the_api(staff_client):
    response = staff_client.post(
        "/api/v1/sources/",
        {
            "name": "Feed",
            "kind": "rss",
            "url": "https://x.test/feed",
            "fetched_total": 99,
            "last_error": "boom",
        },
        content_type="application/json",
    )
    assert response.status_code == 201
    source = Source.objects.get()
    assert source.fetched_total == 0 and source.last_error == ""


# Trackers


def test_staff_create_a_tracker(staff_client):
    response = staff_client.post(
        "/api/v1/trackers/",
        {
            "name": "Vonk",
            "kind": "brand",
            "any_terms": ["vonk", "@vonkenergie"],
            "none_terms": ["vonken"],
            "phrases": ["vonk energie"],
            "languages": ["nl", "EN"],
            "source_kinds": ["rss", "webhook"],
        },
        content_type="application/json",
    )
    assert response.status_code == 201
    tracker = Tracker.objects.get()
    assert tracker.any_terms == "vonk\n@vonkenergie"
    assert tracker.languages == "nl,en"
    assert tracker.source_kinds == "rss,webhook"
    data = response.json()
    assert data["any_terms"] == ["vonk", "@vonkenergie"]
    assert data["languages"] == ["nl", "en"]
    assert data["source_kinds"] == ["rss", "webhook"]
    assert data["is_active"] is True


def test_tracker_list(staff_client, vonk, rival, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        response = staff_client.get("/api/v1/trackers/")
    assert response.status_code == 200
    assert [t["name"] for t in response.json()["results"]] == ["Stroomco", "Vonk"]
    assert response.json()["results"][1]["any_terms"] == ["vonk"]


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"name": "T", "kind": "brand"}, "any_terms"),
        ({"name": "T", "kind": "brand", "none_terms": ["x"]}, "any_terms"),
        ({"name": "T", "kind": "fan", "any_terms": ["x"]}, "kind"),
        ({"name": "T", "kind": "brand", "any_terms": "vonk"}, "any_terms"),
        ({"name": "T", "kind": "brand", "any_terms": ["a\nb"]}, "any_terms"),
        ({"name": "T", "kind": "brand", "any_terms": ["x" * 201]}, "any_terms"),
        (
            {"name": "T", "kind": "brand", "any_terms": ["x"], "languages": ["dutch!"]},
            "languages",
        ),
        (
            {"name": "T", "kind": "brand", "any_terms": ["x"], "source_kinds": ["fax"]},
            "source_kinds",
        ),
        ({"kind": "brand", "any_terms": ["x"]}, "name"),
    ],
)
def test_bad_tracker_payloads_are_field_errors(staff_client, payload, field):
    response = staff_client.post(
        "/api/v1/trackers/", payload, content_type="application/json"
    )
    assert response.status_code == 400
    assert field in response.json()
    assert not Tracker.objects.exists()


def test_since_accepts_an_offset(staff_client, mentions):
    since = (datetime(2026, 11, 20, 12, 0, tzinfo=UTC) + timedelta(hours=1)).isoformat()
    response = staff_client.get("/api/v1/mentions/", {"since": since})
    assert response.status_code == 200
    # Posted 12:00-12:29 UTC, so nothing is at or after 13:00 UTC.
    assert response.json()["count"] == 0
