"""Sources cannot reach loopback, private or link-local addresses unless allowed."""

import pytest

from listening.connectors import ConnectorError, RssConnector
from listening.connectors.base import address_check, private_addresses
from listening.models import Source
from listening.services import source_poll

from .conftest import Reply


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/feed",
        "http://localhost:8000/feed",
        "http://10.1.2.3/feed",
        "http://192.168.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/feed",
        "http://0.0.0.0/",
    ],
)
def test_private_addresses_are_refused(url):
    with private_addresses(False), pytest.raises(ConnectorError, match="private"):
        address_check(url)


def test_public_address_passes():
    with private_addresses(False):
        address_check("http://93.184.215.14/feed")


def test_unresolvable_or_hostless_address_is_an_error():
    with private_addresses(False):
        with pytest.raises(ConnectorError, match="no host"):
            address_check("http:///feed")
        with pytest.raises(ConnectorError, match="cannot resolve"):
            address_check("http://does-not-exist.invalid/feed")


def test_a_redirect_into_the_private_network_is_refused(http_server, monkeypatch):
    # Let the guard see the test server as a public host, so the first hop
    # passes and only the redirect is judged.
    import socket as real_socket

    from listening.connectors import base

    class PublicLoopback:
        IPPROTO_TCP = real_socket.IPPROTO_TCP

        @staticmethod
        def getaddrinfo(host, *args, **kwargs):
            if host == "127.0.0.1":
                host = "93.184.215.14"
            return real_socket.getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(base, "socket", PublicLoopback)
    http_server.route(
        "/feed",
        Reply(status=302, headers={"Location": "http://169.254.169.254/latest/"}),
    )
    with private_addresses(False), pytest.raises(ConnectorError, match="private"):
        RssConnector().fetch(url=http_server.url("/feed"), config={}, cursor={})
    assert len(http_server.requests_to("/feed")) == 1


@pytest.mark.django_db
def test_poll_refuses_a_private_source_and_records_why(http_server, settings):
    settings.LISTENING_ALLOW_PRIVATE_ADDRESSES = False
    http_server.route("/feed", Reply(body=b"<rss/>"))
    source = Source.objects.create(
        name="Inside", kind="rss", url=http_server.url("/feed")
    )

    with private_addresses(False):
        result = source_poll(source_id=source.pk)

    source.refresh_from_db()
    assert "private or local network address" in result["error"]
    assert "LISTENING_ALLOW_PRIVATE_ADDRESSES" in source.last_error
    assert source.consecutive_failures == 1
    assert http_server.requests_to("/feed") == []
