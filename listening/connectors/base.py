"""The one small interface every listening connector implements.

A connector fetches from a source, starting at a cursor, and returns plain
`RawMention`s plus the cursor for the next run. Connectors are pure Python:
no Django models, no ORM, no settings lookups; everything arrives as
arguments, so a poll task can store the result and the cursor in one
transaction, and tests can run connectors without a database.
"""

from __future__ import annotations

import hashlib
import html
import ipaddress
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol
from urllib.parse import urlsplit

import nh3

# Mention.text holds at most this many characters.
MAX_TEXT_CHARS = 20_000
# Mention.external_id, author_handle and author_name are CharField(255).
MAX_ID_CHARS = 255
MAX_NAME_CHARS = 255
# Mention.url and author_url are URLField(1000).
MAX_URL_CHARS = 1000
MAX_LANGUAGE_CHARS = 10

# C0 and C1 control characters except the whitespace ones (collapsed later),
# lone surrogates (nh3 cannot even take them), and bidirectional overrides and
# isolates, which make text read differently from how it is stored
# ("Trojan Source").
_CONTROLS = re.compile(
    "[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{1,8})*$")


@dataclass(frozen=True)
class RawMention:
    """One post as a source returned it, already cleaned to plain text."""

    external_id: str  # stable id within the source (entry id/guid, else link)
    text: str  # plain text, see `mention_text`
    url: str = ""
    author_handle: str = ""
    author_name: str = ""
    author_url: str = ""
    author_followers: int | None = None
    posted_at: datetime | None = None  # timezone-aware UTC
    language: str = ""  # as declared by the source, if any
    raw: dict = field(default_factory=dict)  # only what is needed, JSON-safe


@dataclass
class FetchResult:
    mentions: list[RawMention]
    cursor: dict  # pass back on the next fetch
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (ref, reason)
    not_modified: bool = False
    # Posts left out on purpose (authors who opted out of indexing, posts that
    # are not public); counted, never stored or reported as errors.
    skipped: int = 0


class ConnectorError(Exception):
    """The source failed: timeout, 5xx, unparseable response."""


class RateLimited(ConnectorError):
    """The source asked us to wait `retry_after` seconds before the next call."""

    def __init__(self, message: str, retry_after: float):
        super().__init__(message)
        self.retry_after = retry_after


class Connector(Protocol):
    kind: str

    def fetch(self, *, url: str, config: dict, cursor: dict) -> FetchResult: ...


def mention_text(*parts: str | None) -> str:
    """Join parts into plain text fit to store and show.

    Tags are stripped by nh3 (Ammonia), which drops the content of <script>
    and <style> as well. Feeds often escape their HTML twice, so a second pass
    strips tags that only appeared after unescaping. Control and bidi
    characters are removed, whitespace is collapsed, and the result is capped
    at MAX_TEXT_CHARS.
    """
    pieces = []
    for part in parts:
        cleaned = _strip_markup(part or "")
        if cleaned:
            pieces.append(cleaned)
    text = " ".join(pieces)
    if len(text) > MAX_TEXT_CHARS:
        text = text[:MAX_TEXT_CHARS].rstrip()
    return text


def single_line(value: str | None, *, limit: int = MAX_NAME_CHARS) -> str:
    """Names, handles and titles: plain text on one line, capped."""
    return mention_text(value)[:limit].rstrip()


def safe_url(value: str | None) -> str:
    """An http(s) URL that fits the model, else "" (no javascript: links)."""
    url = _strip_controls(value or "").strip()
    if not url or len(url) > MAX_URL_CHARS or any(ch.isspace() for ch in url):
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
        return ""
    return url


def stable_external_id(value: str) -> str:
    """The source's id, or a hash of it when it is too long for the column.

    Hashing keeps the id stable across fetches, which is what makes imports
    idempotent.
    """
    value = _strip_controls(value).strip()
    if len(value) <= MAX_ID_CHARS:
        return value
    return "sha256:" + hashlib.sha256(value.encode("utf-8")).hexdigest()


def language_tag(value: str | None) -> str:
    """A BCP 47-looking tag such as "nl" or "en-gb", else ""."""
    tag = (value or "").strip().lower().replace("_", "-")
    if len(tag) > MAX_LANGUAGE_CHARS or not _LANGUAGE_TAG.match(tag):
        return ""
    return tag


# Whether connectors may reach loopback, private, link-local and other
# non-public addresses. Off in production (a feed must not become a way into
# the internal network or a cloud metadata service); the poll service sets it
# from settings.LISTENING_ALLOW_PRIVATE_ADDRESSES for the duration of a fetch.
_PRIVATE_ALLOWED: ContextVar[bool] = ContextVar("private_allowed", default=False)


@contextmanager
def private_addresses(allowed: bool) -> Iterator[None]:
    token = _PRIVATE_ALLOWED.set(allowed)
    try:
        yield
    finally:
        _PRIVATE_ALLOWED.reset(token)


def address_check(url: str) -> None:
    """Raise ConnectorError unless `url`'s host resolves to public addresses.

    Every address the name resolves to must be global, so a DNS answer that
    mixes a public and a private address cannot be used to reach inside.
    """
    if _PRIVATE_ALLOWED.get():
        return
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        host = ""
    if not host:
        raise ConnectorError("the address has no host name")
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        raise ConnectorError(f"cannot resolve {single_line(host, limit=100)}") from exc
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if not address.is_global or address.is_multicast:
            raise ConnectorError(
                f"{single_line(host, limit=100)} is a private or local network "
                "address; set LISTENING_ALLOW_PRIVATE_ADDRESSES to allow it"
            )


def nonnegative_int(value) -> int | None:
    """A count from a payload (followers, likes), else None: no bools,
    strings or negative numbers."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def as_list(value) -> list:
    """A setting that may be one string or a list of them."""
    if not value:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


def unique_folded(values) -> list[str]:
    """Non-empty values, the first of each case-insensitive spelling kept."""
    result: dict[str, str] = {}
    for value in values:
        if value and value.casefold() not in result:
            result[value.casefold()] = value
    return list(result.values())


def _strip_markup(value: str) -> str:
    text = _strip_controls(value)
    for _ in range(2):
        if "<" not in text and "&" not in text:
            break
        # Unescaping can produce controls again (&#1;), so strip after it too.
        text = _strip_controls(html.unescape(nh3.clean(text, tags=set())))
    return " ".join(text.split())


def _strip_controls(value: str) -> str:
    return _CONTROLS.sub("", value)
