"""The Mastodon connector: real Mastodon.py against a real local HTTP server.

The server answers with recorded-shape Mastodon API JSON from
tests/data/listening/mastodon/; nothing in Mastodon.py is mocked.
"""

import copy
import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from listening.connectors import (
    ConnectorError,
    MastodonConnector,
    RateLimited,
    connector_for,
)

from .conftest import DATA_DIR, Reply

TAG = "/api/v1/timelines/tag/vonk"
SEARCH = "/api/v2/search"
INSTANCE = "/api/v2/instance/"
JSON = {"Content-Type": "application/json; charset=utf-8"}
MASTODON_DATA = DATA_DIR / "mastodon"


def recorded(filename: str):
    return json.loads((MASTODON_DATA / filename).read_text(encoding="utf-8"))


def json_reply(data, **reply) -> Reply:
    headers = {**JSON, **reply.pop("headers", {})}
    return Reply(body=json.dumps(data).encode(), headers=headers, **reply)


@pytest.fixture
def instance(http_server):
    """The local server as a Mastodon instance (GET /api/v2/instance/ is what
    Mastodon.py asks before a hashtag timeline)."""
    http_server.route(INSTANCE, json_reply(recorded("instance_v2.json")))
    return http_server


def fetch(server, cursor=None, **config):
    config.setdefault("hashtags", ["vonk"])
    return MastodonConnector().fetch(
        url=server.base_url, config=config, cursor=cursor or {}
    )


def one_status(**changes) -> dict:
    """Anna's recorded post with some fields changed."""
    status = copy.deepcopy(recorded("tag_vonk.json")[3])
    account = changes.pop("account", {})
    status.update(changes)
    status["account"].update(account)
    return status


def test_connector_for_mastodon_returns_the_mastodon_connector():
    assert isinstance(connector_for("mastodon"), MastodonConnector)
    assert connector_for("mastodon").kind == "mastodon"


def test_hashtag_timeline_maps_statuses_to_mentions(instance):
    instance.route(TAG, json_reply(recorded("tag_vonk.json")))

    result = fetch(instance)

    assert result.rejected == []
    assert result.skipped == 0
    by_handle = {m.author_handle: m for m in result.mentions}
    host = "127.0.0.1"  # the instance's own accounts get its domain
    anna = by_handle[f"@anna@{host}"]
    assert anna.external_id == (
        "https://mastodon.social/users/anna/statuses/113923046723874501"
    )
    assert anna.url == "https://mastodon.social/@anna/113923046723874501"
    # Tags stripped, entities decoded, <br> and paragraphs keep words apart,
    # and the link's hidden parts join into the full address again.
    assert anna.text == (
        "Switched to #Vonk's dynamic tariff last month. Saved about €30 & the "
        "app is great. https://energywatch.example.org/2025/03/vonk-dynamic-tariff"
        " Anyone else?"
    )
    assert anna.author_name == "Anna Jansen"
    assert anna.author_url == "https://mastodon.social/@anna"
    assert anna.author_followers == 1234
    assert anna.language == "en"
    assert anna.posted_at == datetime(2025, 3, 4, 9, 15, tzinfo=UTC)
    assert anna.posted_at.tzinfo is UTC
    assert anna.raw == {
        "id": "113923046723874501",
        "uri": "https://mastodon.social/users/anna/statuses/113923046723874501",
        "url": "https://mastodon.social/@anna/113923046723874501",
        "reblogs_count": 5,
        "favourites_count": 11,
        "replies_count": 2,
    }
    json.dumps(anna.raw)  # JSON-safe

    pieter = by_handle["@pieter@social.example.nl"]  # remote: acct has a domain
    # The content warning comes first, as Mastodon shows it.
    assert pieter.text == (
        "energie, geld Niet goed: #vonk rekent nu 12 cent voor terugleveren. "
        "@anna herken je dit?"
    )
    assert pieter.author_name == "Pieter de Boer :verified:"
    assert pieter.author_followers == 87
    assert pieter.language == "nl"
    assert pieter.posted_at == datetime(2025, 3, 4, 10, 2, 13, tzinfo=UTC)


def test_reblogs_collapse_to_the_original_and_leave_the_booster_out(instance):
    instance.route(TAG, json_reply(recorded("tag_vonk.json")))

    result = fetch(instance)

    # Four timeline entries: two boosts, Pieter's post and Anna's post, which
    # one of the boosts boosted.
    assert sorted(m.author_handle for m in result.mentions) == [
        "@anna@127.0.0.1",
        "@kees@toot.example.org",
        "@pieter@social.example.nl",
    ]
    assert all("booster" not in json.dumps(m.raw) for m in result.mentions)
    kees = next(m for m in result.mentions if m.author_handle.startswith("@kees"))
    assert kees.external_id == (
        "https://toot.example.org/users/kees/statuses/113900000000000003"
    )
    assert kees.text == "Wie weet of #vonk ook thuisbatterijen levert?"
    assert kees.author_followers == 12


def test_first_fetch_asks_for_the_latest_page_without_since_id(instance):
    instance.route(TAG, json_reply(recorded("tag_vonk.json")))

    fetch(instance, limit=20)

    (request,) = instance.requests_to(TAG)
    assert request.query == {"limit": ["20"]}
    assert "authorization" not in request.headers
    assert request.headers["user-agent"].startswith("Seed-Listening/")


def test_second_fetch_sends_since_id_and_returns_only_new_statuses(instance):
    page = recorded("tag_vonk.json")
    newer = one_status(
        id="113923300000000999",
        uri="https://mastodon.social/users/anna/statuses/113923300000000999",
        content="<p>Nog een #vonk bericht.</p>",
    )
    # The server ignores since_id the second time: the old page comes again.
    instance.route(TAG, json_reply(page), json_reply([newer, *page]))

    first = fetch(instance)
    second = fetch(instance, cursor=first.cursor)

    assert first.cursor == {"since": {"#vonk": "113923099999999010"}}
    second_request = instance.requests_to(TAG)[1]
    assert second_request.query["since_id"] == ["113923099999999010"]
    assert [m.raw["id"] for m in second.mentions] == ["113923300000000999"]
    assert second.cursor == {"since": {"#vonk": "113923300000000999"}}


def test_empty_page_keeps_the_cursor(instance):
    instance.route(TAG, json_reply([]))
    cursor = {"since": {"#vonk": "113923099999999010"}}

    result = fetch(instance, cursor=cursor)

    assert result.mentions == []
    assert result.cursor == cursor


def test_malformed_cursor_starts_afresh(instance):
    instance.route(TAG, json_reply(recorded("tag_vonk.json")))

    result = fetch(instance, cursor={"since": ["not", "a", "dict"]})

    assert len(result.mentions) == 3
    assert "since_id" not in instance.requests_to(TAG)[0].query


def test_numeric_cursor_bound_is_honoured(instance):
    instance.route(TAG, json_reply(recorded("tag_vonk.json")))

    result = fetch(instance, cursor={"since": {"#vonk": 113923050000000002}})

    assert instance.requests_to(TAG)[0].query["since_id"] == ["113923050000000002"]
    # Only the two boosts are newer; Kees's post arrives through one of them.
    assert [m.raw["id"] for m in result.mentions] == [
        "113923046723874501",
        "113900000000000003",
    ]


def test_each_hashtag_has_its_own_cursor(instance):
    instance.route(TAG, json_reply(recorded("tag_vonk.json")))
    instance.route("/api/v1/timelines/tag/energie", json_reply([]))
    cursor = {"since": {"#energie": "5", "#dropped": "7"}}

    result = fetch(instance, cursor=cursor, hashtags=["#vonk", "energie", "Vonk"])

    # "#vonk" and "Vonk" are one hashtag, asked for once, without the "#".
    assert [r.path.split("?")[0] for r in instance.requests_to(TAG)] == [TAG]
    assert instance.requests_to("/api/v1/timelines/tag/Vonk") == []
    energie = instance.requests_to("/api/v1/timelines/tag/energie")
    assert energie[0].query["since_id"] == ["5"]
    # Hashtags no longer configured leave the cursor.
    assert result.cursor == {"since": {"#vonk": "113923099999999010", "#energie": "5"}}


def test_construction_calls_nothing_but_the_instance_and_the_timeline(instance):
    instance.route(TAG, json_reply(recorded("tag_vonk.json")))

    fetch(instance)

    assert [r.path.split("?")[0] for r in instance.requests] == [INSTANCE, TAG]


def test_missing_instance_endpoint_does_not_stop_the_timeline(http_server):
    http_server.route(TAG, json_reply(recorded("tag_vonk.json")))

    result = fetch(http_server)

    assert len(result.mentions) == 3


def test_opted_out_authors_are_skipped_and_counted(instance):
    instance.route(TAG, json_reply(recorded("tag_vonk_optouts.json")))

    result = fetch(instance)

    # Only the author who did not opt out; a hashtag in a bio is no opt-out.
    assert [m.author_handle for m in result.mentions] == ["@welcome@127.0.0.1"]
    assert result.skipped == 5
    assert result.rejected == []
    # Skipped statuses still move the cursor, so they are not fetched again.
    assert result.cursor == {"since": {"#vonk": "113923100000000106"}}


@pytest.mark.parametrize(
    "username",
    [
        "quiet",  # indexable: false
        "hidden",  # discoverable: false
        "human",  # #nobot in the bio, as a linked hashtag
        "private",  # #NoIndex in the bio
        "fields",  # #nobot in a profile field
    ],
)
def test_each_opt_out_skips_the_author(instance, username):
    statuses = recorded("tag_vonk_optouts.json")
    status = next(s for s in statuses if s["account"]["username"] == username)
    instance.route(TAG, json_reply([status]))

    result = fetch(instance)

    assert result.mentions == []
    assert result.skipped == 1


def test_noindex_account_flag_skips_the_author(instance):
    instance.route(TAG, json_reply([one_status(account={"noindex": True})]))

    result = fetch(instance)

    assert (result.mentions, result.skipped) == ([], 1)


def test_opt_out_of_the_boosted_author_skips_the_boost(instance):
    boost = recorded("tag_vonk.json")[0]
    boost["reblog"]["account"]["indexable"] = False
    instance.route(TAG, json_reply([boost]))

    result = fetch(instance)

    assert (result.mentions, result.skipped) == ([], 1)


def test_opt_out_of_the_booster_does_not_matter(instance):
    boost = recorded("tag_vonk.json")[0]
    boost["account"]["note"] = "<p>#nobot</p>"
    instance.route(TAG, json_reply([boost]))

    result = fetch(instance)

    assert [m.author_handle for m in result.mentions] == ["@anna@127.0.0.1"]


def test_missing_opt_in_fields_are_not_an_opt_out(instance):
    status = one_status()
    for name in ("indexable", "discoverable", "noindex", "fields"):
        del status["account"][name]
    instance.route(TAG, json_reply([status]))

    assert len(fetch(instance).mentions) == 1


def test_word_starting_with_nobot_is_not_an_opt_out(instance):
    status = one_status(account={"note": "<p>Building #nobots-free tools</p>"})
    instance.route(TAG, json_reply([status]))

    result = fetch(instance)

    assert (len(result.mentions), result.skipped) == (1, 0)


def test_search_finds_statuses_with_the_access_token(instance):
    instance.route(SEARCH, json_reply(recorded("search_vonk_energie.json")))

    result = fetch(instance, hashtags=[], search=["Vonk Energie"], access_token="t0ken")

    (request,) = instance.requests_to(SEARCH)
    assert request.query == {
        "q": ["Vonk Energie"],
        "type": ["statuses"],
        "limit": ["40"],
    }
    assert request.headers["authorization"] == "Bearer t0ken"
    sam, kees = result.mentions
    assert sam.author_handle == "@sam@127.0.0.1"
    assert sam.author_followers == 3021
    assert sam.text == ("Vonk Energie just announced a new heat pump deal. Worth it?")
    assert kees.author_handle == "@kees@toot.example.org"
    assert kees.language == "nl"
    assert result.cursor == {"since": {"search:vonk energie": "113923200000000201"}}


def test_second_search_sends_min_id_and_returns_nothing_twice(instance):
    page = recorded("search_vonk_energie.json")
    instance.route(SEARCH, json_reply(page))

    first = fetch(instance, hashtags=[], search=["Vonk Energie"], access_token="t")
    second = fetch(
        instance,
        cursor=first.cursor,
        hashtags=[],
        search=["Vonk Energie"],
        access_token="t",
    )

    assert instance.requests_to(SEARCH)[1].query["min_id"] == ["113923200000000201"]
    assert second.mentions == []
    assert second.cursor == first.cursor


def test_hashtags_and_search_together(instance):
    instance.route(TAG, json_reply(recorded("tag_vonk.json")))
    instance.route(SEARCH, json_reply(recorded("search_vonk_energie.json")))

    result = fetch(instance, search=["Vonk Energie"], access_token="t")

    # Kees's two posts are different statuses; each appears once.
    assert len(result.mentions) == 5
    assert set(result.cursor["since"]) == {"#vonk", "search:vonk energie"}


def test_same_status_from_hashtag_and_search_counts_once(instance):
    page = recorded("tag_vonk.json")
    instance.route(TAG, json_reply(page))
    instance.route(
        SEARCH, json_reply({"accounts": [], "statuses": [page[3]], "hashtags": []})
    )

    result = fetch(instance, search=["tariff"], access_token="t")

    assert len(result.mentions) == 3


def test_non_public_statuses_are_skipped(instance):
    page = recorded("search_vonk_energie.json")
    page["statuses"][0]["visibility"] = "private"
    page["statuses"][1]["visibility"] = "direct"
    instance.route(SEARCH, json_reply(page))

    result = fetch(instance, hashtags=[], search=["vonk"], access_token="t")

    assert (result.mentions, result.skipped) == ([], 2)


def test_access_token_is_sent_as_is_never_read_from_a_file(instance, tmp_path):
    secret = tmp_path / "token"
    secret.write_text("first-line-of-a-local-file\n")
    instance.route(TAG, json_reply([]))

    fetch(instance, access_token=str(secret))

    assert instance.requests_to(TAG)[0].headers["authorization"] == f"Bearer {secret}"


def test_search_without_token_refused_raises_connector_error(instance):
    instance.route(
        SEARCH,
        json_reply(
            {"error": "This API requires an authenticated user"},
            status=401,
        ),
    )

    with pytest.raises(ConnectorError, match="HTTP 401.*authenticated user"):
        fetch(instance, hashtags=[], search=["vonk"])


def test_429_with_rate_limit_reset_raises_rate_limited_without_sleeping(instance):
    reset = datetime.now(UTC) + timedelta(seconds=120)
    instance.route(
        TAG,
        json_reply(
            {"error": "Too many requests"},
            status=429,
            headers={
                "X-RateLimit-Limit": "300",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": reset.isoformat().replace("+00:00", "Z"),
            },
        ),
    )

    started = time.monotonic()
    with pytest.raises(RateLimited) as caught:
        fetch(instance)

    assert time.monotonic() - started < 5  # Mastodon.py did not wait it out
    assert 100 <= caught.value.retry_after <= 122
    assert len(instance.requests_to(TAG)) == 1


def test_429_with_retry_after_raises_rate_limited(instance):
    instance.route(TAG, Reply(status=429, headers={"Retry-After": "30"}))

    with pytest.raises(RateLimited) as caught:
        fetch(instance)

    assert caught.value.retry_after == 30


def test_429_without_headers_waits_a_minute(instance):
    instance.route(TAG, Reply(status=429))

    with pytest.raises(RateLimited) as caught:
        fetch(instance)

    assert caught.value.retry_after == 60


def test_503_with_retry_after_raises_rate_limited(instance):
    instance.route(TAG, Reply(status=503, headers={"Retry-After": "90"}))

    with pytest.raises(RateLimited) as caught:
        fetch(instance)

    assert caught.value.retry_after == 90


def test_500_raises_connector_error(instance):
    instance.route(TAG, Reply(status=500, body=b"<html>oops</html>"))

    with pytest.raises(ConnectorError, match="HTTP 500") as caught:
        fetch(instance)

    assert not isinstance(caught.value, RateLimited)


def test_404_hashtag_endpoint_raises_connector_error(instance):
    instance.route(TAG, json_reply({"error": "Record not found"}, status=404))

    with pytest.raises(ConnectorError, match="HTTP 404.*Record not found"):
        fetch(instance)


def test_slow_server_times_out_with_connector_error(instance):
    instance.route(TAG, Reply(body=b"[]", headers=JSON, delay=3))

    with pytest.raises(ConnectorError, match="timed out after 0.5 s"):
        fetch(instance, timeout=0.5)


def test_refused_connection_raises_connector_error():
    with pytest.raises(ConnectorError, match="request failed: ConnectionError"):
        MastodonConnector().fetch(
            url="http://127.0.0.1:9", config={"hashtags": ["vonk"]}, cursor={}
        )


def test_malformed_json_raises_connector_error(instance):
    instance.route(TAG, Reply(body=b'[{"id": "1", "content": "<p>Vo', headers=JSON))

    with pytest.raises(ConnectorError, match="^malformed JSON response$"):
        fetch(instance)


def test_json_of_the_wrong_shape_raises_connector_error(instance):
    instance.route(TAG, json_reply({"statuses": []}))

    with pytest.raises(ConnectorError, match="not a list of statuses"):
        fetch(instance)


def test_search_answer_of_the_wrong_shape_raises_connector_error(instance):
    instance.route(SEARCH, json_reply({"statuses": "none"}))

    with pytest.raises(ConnectorError, match="not a list of statuses"):
        fetch(instance, hashtags=[], search=["vonk"], access_token="t")


def test_broken_statuses_are_rejected_and_good_ones_land(instance):
    no_id = one_status()
    del no_id["id"]
    media_only = one_status(
        id="113923046723874600",
        uri="https://mastodon.social/users/anna/statuses/113923046723874600",
        url="https://mastodon.social/@anna/113923046723874600",
        content="",
    )
    no_account = one_status(
        id="113923046723874700",
        uri="https://mastodon.social/users/anna/statuses/113923046723874700",
        url="https://mastodon.social/@anna/113923046723874700",
    )
    no_account["account"] = None
    instance.route(
        TAG, json_reply(["not a status", no_id, media_only, no_account, one_status()])
    )

    result = fetch(instance)

    assert [m.raw["id"] for m in result.mentions] == ["113923046723874501"]
    assert result.rejected == [
        ("#vonk item 1", "not a status object"),
        ("#vonk item 2", "no id"),
        ("https://mastodon.social/@anna/113923046723874600", "empty text"),
        ("https://mastodon.social/@anna/113923046723874700", "no account"),
    ]


def test_script_html_and_control_characters_are_stripped(instance):
    status = one_status(
        content=(
            '<p>Vonk<script>alert("x")</script> is <b onclick="steal()">great'
            "</b>\u202e\x07<style>p{}</style></p>"
            '<p><a href="javascript:alert(1)">klik</a></p>'
        ),
        spoiler_text="<img src=x onerror=alert(1)>CW",
        url="javascript:alert(1)",
        account={
            "display_name": "<script>x</script>Anna\u202e",
            "url": "javascript:alert(2)",
            "acct": "anna\u0000",
        },
    )
    instance.route(TAG, json_reply([status]))

    (mention,) = fetch(instance).mentions

    assert mention.text == "CW Vonk is great klik"
    assert mention.author_name == "Anna"
    assert mention.author_handle == "@anna@127.0.0.1"
    # A javascript: url is dropped; the ActivityPub uri is the fallback link.
    assert mention.url == (
        "https://mastodon.social/users/anna/statuses/113923046723874501"
    )
    assert mention.author_url == ""


def test_invalid_counts_and_dates_become_empty(instance):
    status = one_status(
        created_at="not a date", account={"followers_count": -3}, language="xx_!!"
    )
    instance.route(TAG, json_reply([status]))

    (mention,) = fetch(instance).mentions

    assert mention.posted_at is None
    assert mention.author_followers is None
    assert mention.language == ""


def test_no_hashtags_or_search_terms_raises_connector_error(instance):
    with pytest.raises(ConnectorError, match="no hashtags or search terms"):
        fetch(instance, hashtags=[" ", "#"], search=[])
    assert instance.requests == []


def test_non_http_instance_address_raises_connector_error():
    with pytest.raises(ConnectorError, match="not an http"):
        MastodonConnector().fetch(
            url="file:///etc/passwd", config={"hashtags": ["vonk"]}, cursor={}
        )


def test_hashtag_with_url_characters_stays_in_the_path(instance):
    instance.route("/api/v1/timelines/tag/a%3Fb%2Fc", json_reply([]))

    result = fetch(instance, hashtags=["a?b/c"])

    (request,) = instance.requests_to("/api/v1/timelines/tag/a%3Fb%2Fc")
    assert request.query == {"limit": ["40"]}
    assert result.mentions == []
