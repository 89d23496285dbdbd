"""The RSS/Atom connector against a real local HTTP server: no mocks."""

import json
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from listening.connectors import (
    ConnectorError,
    RateLimited,
    RssConnector,
    connector_for,
)
from listening.connectors.base import MAX_TEXT_CHARS, mention_text

from .conftest import DATA_DIR, Reply

RSS = "application/rss+xml"
ATOM = "application/atom+xml"


def fetch(url: str, cursor: dict | None = None, **config):
    return RssConnector().fetch(url=url, config=config, cursor=cursor or {})


def rss_item(guid: str, title: str) -> str:
    return (
        f'<item><title>{title}</title><guid isPermaLink="false">{guid}</guid>'
        "<description>Vonk in het nieuws.</description></item>"
    )


def rss_feed(*items: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        "<title>Vonk nieuws</title><link>https://nieuws.example.nl/</link>"
        f"<description>Alles over Vonk</description>{''.join(items)}"
        "</channel></rss>"
    ).encode()


def test_connector_for_rss_returns_the_rss_connector():
    assert isinstance(connector_for("rss"), RssConnector)
    assert connector_for("rss").kind == "rss"


def test_connector_for_unknown_kind_raises_key_error():
    with pytest.raises(KeyError, match="myspace"):
        connector_for("myspace")


def test_rss_feed_yields_english_and_dutch_mentions(http_server):
    url = http_server.serve_file("/feed.xml", "vonk_blog.rss.xml", content_type=RSS)

    result = fetch(url)

    assert not result.not_modified
    assert result.rejected == []
    assert [m.external_id for m in result.mentions] == [
        "energywatch-1042",
        "https://energywatch.example.org/2025/03/weg-bij-vonk",
        # No guid: the link is the id.
        "https://energywatch.example.org/2025/02/vonk-zonnedak",
    ]
    english, dutch, no_author = result.mentions
    assert english.text.startswith("Vonk's new dynamic tariff, reviewed We switched")
    assert "saved us about €30" in english.text
    assert "<" not in english.text
    assert english.url == "https://energywatch.example.org/2025/03/vonk-dynamic-tariff"
    assert english.author_name == "Sarah Mills"
    assert english.author_handle == "Sarah Mills"
    assert english.posted_at == datetime(2025, 3, 4, 9, 15, tzinfo=UTC)
    assert english.language == "en-gb"  # the channel's <language>
    assert dutch.text.startswith("Waarom ik na vijf jaar bij Vonk weg ben De klant")
    assert "Niet goed" in dutch.text
    # "email (name)": the name is kept, the address is not stored anywhere.
    assert dutch.author_name == "Pieter de Boer"
    assert "pieter@example.nl" not in json.dumps(dutch.raw)
    assert no_author.author_name == ""
    assert no_author.posted_at == datetime(2025, 2, 28, 8, 0, tzinfo=UTC)
    assert english.raw == {
        "id": "energywatch-1042",
        "link": "https://energywatch.example.org/2025/03/vonk-dynamic-tariff",
        "title": "Vonk's new dynamic tariff, reviewed",
        "published": "2025-03-04T09:15:00+00:00",
    }
    json.dumps([m.raw for m in result.mentions])  # JSON-serialisable


def test_atom_feed_yields_mentions_with_entry_languages(http_server):
    url = http_server.serve_file(
        "/leveranciers.atom", "vonk_forum.atom.xml", content_type=ATOM
    )

    result = fetch(url)

    question, praise = result.mentions
    assert question.external_id == "tag:forum.example.nl,2025:topic-8812"
    assert question.text == (
        "Vraag: terugleveren bij Vonk vanaf 2025? Weet iemand hoeveel Vonk gaat "
        "rekenen voor terugleveren? Ik heb 12 panelen en wil niet voor een "
        "verrassing komen te staan."
    )
    assert question.language == "nl"
    assert question.author_name == "zonnepanelen_jan"
    assert question.author_url == "https://forum.example.nl/u/zonnepanelen_jan"
    assert question.posted_at == datetime(2025, 3, 5, 10, 20, tzinfo=UTC)
    assert question.posted_at.utcoffset() == timedelta(0)
    assert praise.language == "en"  # the entry's own xml:lang wins
    # Only <updated>: that is the posting time.
    assert praise.posted_at == datetime(2025, 3, 4, 16, 5, tzinfo=UTC)
    # A relative link resolves against the address the feed came from.
    assert praise.url == http_server.url("/t/8790")


def test_request_identifies_itself_and_asks_for_feeds(http_server):
    url = http_server.serve_file("/feed.xml", "vonk_blog.rss.xml", content_type=RSS)

    fetch(url)

    (request,) = http_server.requests_to("/feed.xml")
    assert request.headers["user-agent"] == "Seed-Listening/1.0 (+community listening)"
    assert "application/rss+xml" in request.headers["accept"]
    assert "if-none-match" not in request.headers


def test_cursor_prevents_refetching_when_server_ignores_conditional_requests(
    http_server,
):
    url = http_server.serve_file("/feed.xml", "vonk_blog.rss.xml", content_type=RSS)

    first = fetch(url)
    second = fetch(url, cursor=first.cursor)

    assert len(first.mentions) == 3
    assert second.mentions == []
    assert second.rejected == []
    assert not second.not_modified
    assert second.cursor["seen"] == first.cursor["seen"]
    json.dumps(second.cursor)  # stored in a JSONField


def test_only_new_entries_are_returned_on_the_next_fetch(http_server):
    url = http_server.route(
        "/feed.xml",
        Reply(body=rss_feed(rss_item("n-1", "Vonk een")), headers={"X": "1"}),
        Reply(
            body=rss_feed(
                rss_item("n-2", "Vonk twee"), rss_item("n-1", "Vonk een, bewerkt")
            )
        ),
    )

    first = fetch(url)
    second = fetch(url, cursor=first.cursor)

    assert [m.external_id for m in first.mentions] == ["n-1"]
    assert [m.external_id for m in second.mentions] == ["n-2"]
    assert second.cursor["seen"] == ["n-2", "n-1"]


def test_seen_window_keeps_the_most_recent_ids(http_server):
    items = [rss_item(f"n-{i}", f"Vonk {i}") for i in range(5)]
    url = http_server.route("/feed.xml", Reply(body=rss_feed(*items)))

    result = fetch(url, cursor={"seen": ["old-1", "old-2"]}, seen_limit=6)

    assert result.cursor["seen"] == ["n-0", "n-1", "n-2", "n-3", "n-4", "old-1"]


def test_etag_is_sent_back_and_304_means_not_modified(http_server):
    url = http_server.serve_file(
        "/feed.xml", "vonk_blog.rss.xml", content_type=RSS, etag='"v1"'
    )

    first = fetch(url)
    second = fetch(url, cursor=first.cursor)

    assert first.cursor["etag"] == '"v1"'
    assert http_server.requests_to("/feed.xml")[1].headers["if-none-match"] == '"v1"'
    assert second.not_modified
    assert second.mentions == []
    assert second.cursor == first.cursor


def test_last_modified_is_sent_back_as_if_modified_since(http_server):
    stamp = "Wed, 05 Mar 2025 12:00:00 GMT"
    body = (DATA_DIR / "vonk_blog.rss.xml").read_bytes()
    url = http_server.route(
        "/feed.xml",
        Reply(body=body, headers={"Content-Type": RSS, "Last-Modified": stamp}),
        Reply(status=304),
    )

    first = fetch(url)
    second = fetch(url, cursor=first.cursor)

    assert first.cursor["modified"] == stamp
    assert http_server.requests_to("/feed.xml")[1].headers["if-modified-since"] == (
        stamp
    )
    assert second.not_modified


def test_429_with_retry_after_seconds_raises_rate_limited(http_server):
    url = http_server.route(
        "/feed.xml", Reply(status=429, headers={"Retry-After": "120"})
    )

    with pytest.raises(RateLimited) as caught:
        fetch(url)

    assert caught.value.retry_after == 120
    assert isinstance(caught.value, ConnectorError)


def test_429_without_retry_after_waits_a_minute(http_server):
    url = http_server.route("/feed.xml", Reply(status=429))

    with pytest.raises(RateLimited) as caught:
        fetch(url)

    assert caught.value.retry_after == 60


def test_503_with_retry_after_http_date_raises_rate_limited(http_server):
    later = format_datetime(datetime.now(UTC) + timedelta(minutes=5), usegmt=True)
    url = http_server.route(
        "/feed.xml", Reply(status=503, headers={"Retry-After": later})
    )

    with pytest.raises(RateLimited) as caught:
        fetch(url)

    assert 290 <= caught.value.retry_after <= 300


def test_500_raises_connector_error(http_server):
    url = http_server.route("/feed.xml", Reply(status=500, body=b"oops"))

    with pytest.raises(ConnectorError, match="HTTP 500") as caught:
        fetch(url)

    assert not isinstance(caught.value, RateLimited)


def test_503_without_retry_after_is_a_plain_failure(http_server):
    url = http_server.route("/feed.xml", Reply(status=503))

    with pytest.raises(ConnectorError) as caught:
        fetch(url)

    assert not isinstance(caught.value, RateLimited)


def test_404_raises_connector_error(http_server):
    with pytest.raises(ConnectorError, match="HTTP 404"):
        fetch(http_server.url("/gone.xml"))


def test_slow_server_times_out_with_connector_error(http_server):
    url = http_server.serve_file(
        "/feed.xml", "vonk_blog.rss.xml", content_type=RSS, delay=5
    )

    started = time.monotonic()
    with pytest.raises(ConnectorError, match="timed out"):
        fetch(url, timeout=0.5)

    assert time.monotonic() - started < 3


def test_refused_connection_raises_connector_error(http_server):
    url = http_server.url("/feed.xml")
    http_server.stop()

    with pytest.raises(ConnectorError, match="request failed"):
        fetch(url, timeout=1)


def test_redirect_is_followed(http_server):
    target = http_server.serve_file("/new.xml", "vonk_blog.rss.xml", content_type=RSS)
    url = http_server.route("/old.xml", Reply(status=301, headers={"Location": target}))

    assert len(fetch(url).mentions) == 3


def test_malformed_xml_without_entries_raises_connector_error(http_server):
    url = http_server.serve_file("/feed.xml", "malformed.xml", content_type=RSS)

    with pytest.raises(ConnectorError, match="malformed feed"):
        fetch(url)


def test_html_page_is_not_a_feed(http_server):
    page = b"<!DOCTYPE html><html><body><p>Welkom bij Vonk</p></body></html>"
    url = http_server.route(
        "/", Reply(body=page, headers={"Content-Type": "text/html; charset=utf-8"})
    )

    with pytest.raises(ConnectorError):
        fetch(url)


def test_truncated_feed_keeps_the_entries_before_the_damage(http_server):
    url = http_server.serve_file("/feed.xml", "truncated.rss.xml", content_type=RSS)

    result = fetch(url)

    assert [m.external_id for m in result.mentions] == ["storing-501", "storing-502"]
    assert result.rejected == [
        ("entry 3 (Nieuwe storing & onbekende oorzaak)", "no id or link")
    ]


def test_broken_entries_are_rejected_and_good_ones_land(http_server):
    url = http_server.serve_file(
        "/feed.xml", "one_broken_entry.rss.xml", content_type=RSS
    )

    result = fetch(url)

    assert [m.external_id for m in result.mentions] == ["alert-1", "alert-4"]
    assert result.rejected == [
        ("entry 2 (An entry with neither guid nor link)", "no id or link"),
        ("entry 3", "empty text"),
    ]


def test_duplicate_entries_in_one_feed_count_once(http_server):
    body = rss_feed(rss_item("d-1", "Vonk"), rss_item("d-1", "Vonk again"))
    url = http_server.route("/feed.xml", Reply(body=body))

    result = fetch(url)

    assert [m.external_id for m in result.mentions] == ["d-1"]
    assert result.cursor["seen"] == ["d-1"]


def test_latin1_feed_with_declared_encoding_reads_accents(http_server):
    url = http_server.serve_file("/feed.xml", "latin1.rss.xml", content_type=RSS)

    (mention,) = fetch(url).mentions

    assert mention.text == (
        "Vonk opent een café in Gent Het café van Vonk geeft advies over "
        "isolatie. Een idée die werkt."
    )
    assert mention.language == "nl-be"


def test_script_html_and_control_characters_are_stripped(http_server):
    url = http_server.serve_file("/feed.xml", "hostile_text.rss.xml", content_type=RSS)

    (mention,) = fetch(url).mentions

    assert mention.text == "Vonk bill shock My Vonk bill doubled! Call them today."
    assert mention.url == ""  # a javascript: link is never stored
    assert mention.raw["link"] == ""


def test_raw_control_characters_in_the_xml_are_removed(http_server):
    body = rss_feed(
        '<item><title>Vonk\x01 storing\x1b</title><guid isPermaLink="false">c-1'
        "</guid><description>Geen\x00 stroom\u202e sinds\t\tvanochtend</description>"
        "</item>"
    )
    url = http_server.route("/feed.xml", Reply(body=body))

    (mention,) = fetch(url).mentions

    assert mention.text == "Vonk storing Geen stroom sinds vanochtend"


def test_declared_oversized_response_raises_connector_error(http_server):
    body = rss_feed(*(rss_item(f"b-{i}", "Vonk " * 50) for i in range(100)))
    url = http_server.route("/feed.xml", Reply(body=body))

    with pytest.raises(ConnectorError, match="larger than"):
        fetch(url, max_bytes=10_000)


def test_undeclared_response_beyond_10_mb_raises_connector_error(http_server):
    body = rss_feed(rss_item("big", "Vonk " * (11 * 1024 * 1024 // 5)))
    url = http_server.route("/feed.xml", Reply(body=body, content_length=False))

    with pytest.raises(ConnectorError, match="larger than 10485760 bytes"):
        fetch(url)


def test_overlong_ids_are_hashed_stably(http_server):
    long_id = "https://nieuws.example.nl/" + "vonk-" * 100
    url = http_server.route("/feed.xml", Reply(body=rss_feed(rss_item(long_id, "V"))))

    first = fetch(url).mentions[0].external_id
    again = fetch(url).mentions[0].external_id

    assert first == again
    assert first.startswith("sha256:")
    assert len(first) <= 255


def test_mention_text_is_capped():
    assert len(mention_text("Vonk " * 10_000)) == MAX_TEXT_CHARS - 1
