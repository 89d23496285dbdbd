"""Hostile files and feeds for the listening imports.

tests/listening/ already covers script and HTML in text, control characters,
broken quoting, cp1252 bytes, oversized fields and lines, deeply nested JSON,
and hostile RSS text. This suite adds what was missing, end to end through
the staff upload endpoints, the webhook and the RSS connector: spreadsheet
formula cells, a UTF-8 BOM, wrong column counts, invalid UTF-8, binary
garbage, NUL bytes, lone surrogates, an entity-expansion ("billion laughs")
feed and an external-entity feed. The expectation is the same everywhere: no
server error, bad rows rejected one by one with a reason, good rows stored,
and no executable markup in the inbox or the workspace.
"""

from __future__ import annotations

import json
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from listening.connectors import ConnectorError, RssConnector
from listening.connectors.base import MAX_TEXT_CHARS
from listening.models import Mention, Source, Tracker
from listening.webhook import webhook_sign
from tests.listening.conftest import LocalHttpServer, Reply

from .test_hostile_input import executable_markup

pytestmark = pytest.mark.django_db

IMPORT_API = "/api/v1/mentions/import/"
MARK = "alert(1337)"


@pytest.fixture
def vonk(db):
    return Tracker.objects.create(name="Vonk", kind="brand", any_terms="vonk")


@pytest.fixture
def http_server():
    """A real local feed server; the connector may reach 127.0.0.1 (the poll
    service allows that from LISTENING_ALLOW_PRIVATE_ADDRESSES itself)."""
    from listening.connectors.base import private_addresses

    server = LocalHttpServer()
    server.start()
    with private_addresses(True):
        yield server
    server.stop()


def _upload(client, name: str, data: bytes, **fields):
    return client.post(
        IMPORT_API,
        {"file": SimpleUploadedFile(name, data), "preset": "generic", **fields},
    )


def _inbox_pages(client) -> list[tuple[str, str]]:
    """The inbox list and every stored mention's workspace, as staff."""
    urls = [reverse("listening_inbox:index") + "?status=all"]
    urls += [
        reverse("listening_inbox:mention", args=[pk])
        for pk in Mention.objects.values_list("pk", flat=True)
    ]
    pages = []
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        pages.append((url, response.content.decode()))
    return pages


def _assert_no_markup(client) -> None:
    for url, html in _inbox_pages(client):
        assert not executable_markup(html), (url, executable_markup(html))


# -- uploads through the API ----------------------------------------------------


HOSTILE_CSV = (
    "\ufeffid,text,url,author,followers\r\n"
    # Spreadsheet formulas: stored as text, never evaluated anywhere.
    'f1,"=HYPERLINK(""https://evil.example"",""Vonk refund"")",'
    "https://example.org/1,@f1,10\r\n"
    "f2,+cmd|' /C calc'!A0 Vonk,https://example.org/2,@f2,10\r\n"
    "f3,@SUM(1+1)*cmd|' /C calc'!A0 Vonk,https://example.org/3,@f3,10\r\n"
    # Markup that must not come back live.
    f'x1,"<img src=x onerror={MARK}> Vonk <script>{MARK}</script>",'
    f"javascript:{MARK},@x1,10\r\n"
    f'x2,"Vonk ""><svg onload={MARK}>",https://example.org/x2,@x2,10\r\n'
    # Wrong column counts: one short, one long.
    "w1,Vonk too few\r\n"
    "w2,Vonk too many,https://example.org/w2,@w2,10,extra,more\r\n"
    # Unicode edge cases.
    "u1,Vonk \u202eevil\u202c \u200d\u200b 👍🏽 Z\u0351a\u0310,https://example.org/u1,@u1,1\r\n"
    "n1,Vonk nul\x00byte and bell\x07,https://example.org/n1,@n1,1\r\n"
    # A good row at the end still lands.
    "ok,Vonk is fine,https://example.org/ok,@ok,1\r\n"
).encode()


def test_hostile_csv_keeps_good_rows_and_stores_no_live_markup(staff_client, vonk):
    response = _upload(staff_client, "export.csv", HOSTILE_CSV)

    assert response.status_code == 200, response.content[:500]
    body = response.json()
    assert body["rows"] == (
        body["imported"]
        + body["unmatched"]
        + body["rejected_total"]
        + body["duplicates"]
    )
    assert all(item["reason"] for item in body["rejected"])
    stored = {m.external_id: m for m in Mention.objects.all()}
    # The BOM does not stick to the first column: "id" is read, rows land.
    assert {"f1", "x1", "ok"} <= set(stored)
    assert stored["ok"].text == "Vonk is fine"
    assert stored["f1"].text.startswith("=HYPERLINK(")  # kept as text
    assert MARK not in stored["x1"].text and stored["x1"].url == ""
    assert all("\x00" not in m.text for m in stored.values())
    _assert_no_markup(staff_client)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("binary.csv", bytes(range(256)) * 64),
        ("nul.csv", b"id,text\n" + b"\x00" * 4096),
        ("invalid-utf8.csv", b"id,text\n1,Vonk \xc3\x28 \xed\xa0\x80 \xff\xfe\n"),
        ("utf16-no-bom.csv", "id,text\n1,Vonk\n".encode("utf-16-le")),
        ("garbage.json", b"\x89PNG\r\n\x1a\n" + bytes(range(200))),
        ("garbage.ndjson", b"\xff\xfe\x00{\x00\n" * 50),
        ("bomb.json", b"[" * 100_000 + b"]" * 100_000),
        ("only-bom.csv", b"\xef\xbb\xbf"),
        ("header-only.csv", b"\xef\xbb\xbfid,text\r\n"),
    ],
)
def test_unreadable_files_are_refused_or_reported_never_a_server_error(
    staff_client, vonk, name, data
):
    response = _upload(staff_client, name, data)

    assert response.status_code in (200, 400), (name, response.status_code)
    if response.status_code == 200:
        assert all(item["reason"] for item in response.json()["rejected"])
    _assert_no_markup(staff_client)


def test_wrong_column_counts_reject_or_keep_each_row_with_a_reason(staff_client, vonk):
    data = (
        b"id,text,language\n"
        b"a,Vonk one,en\n"
        b"b\n"
        b"c,Vonk three,en,surplus,columns\n"
        b",,,\n"
        b"d,Vonk four,en\n"
    )

    response = _upload(staff_client, "export.csv", data)

    assert response.status_code == 200
    body = response.json()
    assert {"a", "d"} <= set(Mention.objects.values_list("external_id", flat=True))
    assert all(item["reason"] for item in body["rejected"])
    assert body["rejected_total"] >= 1  # "b" has no text, the blank row no id


def test_a_gigantic_row_is_rejected_and_the_next_row_lands(staff_client, vonk):
    giant = "Vonk " + "x" * 3_000_000
    data = f'id,text\nbig,"{giant}"\nok,Vonk after\n'.encode()

    response = _upload(staff_client, "export.csv", data)

    assert response.status_code in (200, 202)
    if response.status_code == 200:
        assert response.json()["rejected_total"] == 1
        assert list(Mention.objects.values_list("external_id", flat=True)) == ["ok"]


def test_hostile_json_export_through_the_admin_upload_form(staff_client, vonk):
    data = json.dumps(
        [
            {
                "id": "j1",
                "text": f"Vonk <script>{MARK}</script>",
                "url": "javascript:x",
            },
            {
                "id": "j2",
                "text": "=1+1 Vonk",
                "author": f'"><img src=x onerror={MARK}>',
            },
            {"id": "j3", "text": "Vonk \ud800 half a pair"},
            {"id": "j4", "text": "Vonk fine"},
        ]
    ).encode()
    response = staff_client.post(
        reverse("listening_imports:index"),
        {
            "file": SimpleUploadedFile("export.json", data),
            "preset": "generic",
            "source": f"<b>Q4</b> <script>{MARK}</script>",
        },
        follow=True,
    )

    assert response.status_code in (200, 400)
    assert not executable_markup(response.content.decode())
    listing = staff_client.get(reverse("listening_imports:index"))
    assert not executable_markup(listing.content.decode())


def test_binary_upload_in_the_admin_form_is_a_form_error(staff_client, vonk):
    response = staff_client.post(
        reverse("listening_imports:index"),
        {
            "file": SimpleUploadedFile("export.csv", bytes(range(256)) * 32),
            "preset": "generic",
        },
    )
    assert response.status_code in (302, 400)


# -- the webhook ------------------------------------------------------------------

SECRET = "s3cr3t-for-hostile-tests-0123456789abcdef"  # noqa: S105


def _push(client, source, body: bytes):
    timestamp = str(int(time.time()))
    return client.post(
        f"/hooks/listening/{source.pk}/",
        data=body,
        content_type="application/json",
        HTTP_X_SEED_TIMESTAMP=timestamp,
        HTTP_X_SEED_SIGNATURE=webhook_sign(
            secret=SECRET, timestamp=timestamp, body=body
        ),
    )


def test_hostile_webhook_items_are_rejected_or_cleaned_and_good_ones_land(
    client, staff_client, vonk
):
    hook = Source.objects.create(
        name="Helpdesk", kind="webhook", config={"secret": SECRET}
    )
    items = [
        {"id": "w1", "text": '=HYPERLINK("https://evil") Vonk'},
        {"id": "w2", "text": f"Vonk <img src=x onerror={MARK}>", "url": "javascript:x"},
        {"id": "w3", "text": "Vonk \u0000 nul \u202e rtl \ud83d\ude00"},
        {"id": "w4", "text": "Vonk \ud800 lone surrogate"},
        {"id": "w5", "text": "Vonk " + "y" * 100_000},
        {"id": "w6", "text": 42},
        {"id": "ok", "text": "Vonk is fine"},
    ]
    # json.dumps keeps \ud800 as an escape: valid JSON text, invalid Unicode.
    response = _push(client, hook, json.dumps({"mentions": items}).encode())

    assert response.status_code in (200, 202, 400), response.content[:300]
    if response.status_code != 400:
        stored = set(Mention.objects.values_list("external_id", flat=True))
        assert "ok" in stored
        assert all("\x00" not in m.text for m in Mention.objects.all())
    _assert_no_markup(staff_client)


@pytest.mark.parametrize(
    "body",
    [
        b"\xef\xbb\xbf" + b'{"mentions": []}',
        b'{"mentions": [' + b'{"id": "x", "text": "Vonk"},' * 2 + b"]}",
        b'{"mentions": "\xff\xfe"}',
        b"\x00" * 1024,
    ],
)
def test_malformed_webhook_bodies_are_bad_requests_not_errors(client, vonk, body):
    hook = Source.objects.create(
        name="Helpdesk", kind="webhook", config={"secret": SECRET}
    )
    response = _push(client, hook, body)
    assert response.status_code in (200, 202, 400)


# -- RSS: entity expansion and external entities ---------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>Vonk</title>
<item><guid>bomb-1</guid><title>Vonk &lol9;</title><description>x</description></item>
<item><guid>fine-1</guid><title>Vonk fine</title><description>ok</description></item>
</channel></rss>
"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE rss [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<rss version="2.0"><channel><title>Vonk</title>
<item><guid>xxe-1</guid><title>Vonk &xxe;</title><description>x</description></item>
</channel></rss>
"""


def _fetch(url: str):
    return RssConnector().fetch(url=url, config={}, cursor={})


def test_billion_laughs_feed_does_not_expand_into_memory(http_server):
    url = http_server.route(
        "/feed.xml",
        Reply(body=BILLION_LAUGHS, headers={"Content-Type": "application/rss+xml"}),
    )

    try:
        result = _fetch(url)
    except ConnectorError:
        return  # refused as a malformed feed: fine
    for mention in result.mentions:
        assert len(mention.text) <= MAX_TEXT_CHARS
        assert "lollollollollollollollollollol" * 10 not in mention.text


def test_external_entities_are_never_resolved(http_server):
    url = http_server.route(
        "/feed.xml",
        Reply(body=EXTERNAL_ENTITY, headers={"Content-Type": "application/rss+xml"}),
    )

    try:
        result = _fetch(url)
    except ConnectorError:
        return
    for mention in result.mentions:
        assert "root:" not in mention.text
