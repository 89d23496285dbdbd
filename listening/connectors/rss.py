"""RSS and Atom feeds: blogs, forums, news sites and alert feeds.

httpx fetches the bytes (conditional GET, size and time limits, Retry-After);
feedparser parses them, which also sorts out encodings the way RFC 3023 asks
(HTTP charset, XML declaration, byte-order mark):
https://feedparser.readthedocs.io/en/latest/character-encoding.html
"""

from __future__ import annotations

import calendar
import io
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import feedparser
import httpx

from .base import (
    MAX_URL_CHARS,
    ConnectorError,
    FetchResult,
    RateLimited,
    RawMention,
    address_check,
    language_tag,
    mention_text,
    safe_url,
    single_line,
    stable_external_id,
)

USER_AGENT = "Seed-Listening/1.0 (+community listening)"
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, "
    "text/xml;q=0.9, */*;q=0.1"
)
DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_RETRY_AFTER = 60.0
# A server asking for more than a day is misconfigured; poll again tomorrow.
MAX_RETRY_AFTER = 24 * 60 * 60.0
# How many recent entry ids the cursor remembers. Feeds carry the latest 10 to
# 100 entries, so this covers the whole feed even when the server ignores
# conditional requests; the unique (source, external_id) constraint backs it up.
SEEN_LIMIT = 500
MAX_REDIRECTS = 5


class RssConnector:
    """Fetch one RSS or Atom feed.

    config: "timeout" (seconds, default 10), "max_bytes" (default 10 MB),
    "seen_limit" (default 500).
    cursor: {"etag", "modified", "seen": [recent external ids, newest first]}.
    """

    kind = "rss"

    def fetch(self, *, url: str, config: dict, cursor: dict) -> FetchResult:
        timeout = float(config.get("timeout", DEFAULT_TIMEOUT))
        max_bytes = int(config.get("max_bytes", DEFAULT_MAX_BYTES))
        seen_limit = int(config.get("seen_limit", SEEN_LIMIT))
        cursor = dict(cursor or {})

        response = _download(
            url=url,
            timeout=timeout,
            max_bytes=max_bytes,
            etag=cursor.get("etag"),
            modified=cursor.get("modified"),
        )
        if response.status_code == 304:
            return FetchResult(mentions=[], cursor=cursor, not_modified=True)

        parsed = feedparser.parse(
            io.BytesIO(response.body),
            response_headers=response.parse_headers,
        )
        if not parsed.entries:
            if parsed.get("bozo"):
                raise ConnectorError(
                    f"malformed feed: {_short(parsed.get('bozo_exception'))}"
                )
            if not parsed.get("version"):
                raise ConnectorError("not an RSS or Atom feed")

        seen = list(cursor.get("seen") or [])
        already_seen = set(seen)
        feed_language = language_tag(parsed.feed.get("language"))
        mentions: list[RawMention] = []
        rejected: list[tuple[str, str]] = []
        current_ids: list[str] = []
        for index, entry in enumerate(parsed.entries, start=1):
            ref = _entry_ref(index, entry)
            raw_id = entry.get("id") or entry.get("link") or ""
            external_id = stable_external_id(raw_id) if raw_id else ""
            if not external_id:
                rejected.append((ref, "no id or link"))
                continue
            if external_id in current_ids:
                continue  # the same entry twice in one feed
            current_ids.append(external_id)
            if external_id in already_seen:
                continue
            mention = _entry_mention(entry, external_id, feed_language)
            if not mention.text:
                rejected.append((ref, "empty text"))
                continue
            mentions.append(mention)

        # Ids in the current feed go first, so they stay in the window as long
        # as the feed carries them; rejected entries with an id are remembered
        # too, so a bad entry is reported once rather than on every poll.
        window = list(dict.fromkeys(current_ids + seen))[:seen_limit]
        next_cursor = {
            "etag": response.headers.get("etag"),
            "modified": response.headers.get("last-modified"),
            "seen": window,
        }
        return FetchResult(mentions=mentions, cursor=next_cursor, rejected=rejected)


class _Download:
    def __init__(self, response: httpx.Response, body: bytes):
        self.status_code = response.status_code
        self.headers = response.headers
        self.body = body
        # feedparser weighs the HTTP charset against the XML declaration, and
        # resolves relative links against the final URL after redirects.
        self.parse_headers = {
            "content-type": response.headers.get("content-type", ""),
            "content-location": str(response.url),
        }
        if "content-language" in response.headers:
            self.parse_headers["content-language"] = response.headers[
                "content-language"
            ]


def _download(
    *,
    url: str,
    timeout: float,
    max_bytes: int,
    etag: str | None,
    modified: str | None,
) -> _Download:
    headers = {"User-Agent": USER_AGENT, "Accept": ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if modified:
        headers["If-Modified-Since"] = modified
    # httpx's timeout applies to each read; a server that trickles bytes could
    # keep us for ever, so the whole download also has a deadline.
    deadline = time.monotonic() + timeout
    try:
        with httpx.Client(
            timeout=timeout,
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            headers=headers,
            # Every hop, redirects included, must go to a public address.
            event_hooks={"request": [_check_request]},
        ) as client:
            with client.stream("GET", url) as response:
                _raise_for_status(response)
                if response.status_code == 304:
                    return _Download(response, b"")
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > max_bytes:
                    raise ConnectorError(f"response larger than {max_bytes} bytes")
                body = bytearray()
                # iter_bytes decompresses, so a gzip bomb is caught here too.
                for chunk in response.iter_bytes():
                    body.extend(chunk)
                    if len(body) > max_bytes:
                        raise ConnectorError(f"response larger than {max_bytes} bytes")
                    if time.monotonic() > deadline:
                        raise ConnectorError(f"timed out after {timeout:g} s")
                return _Download(response, bytes(body))
    except httpx.TimeoutException as exc:
        raise ConnectorError(f"timed out after {timeout:g} s") from exc
    except httpx.TooManyRedirects as exc:
        raise ConnectorError("too many redirects") from exc
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise ConnectorError(f"request failed: {_short(exc)}") from exc


def _check_request(request: httpx.Request) -> None:
    address_check(str(request.url))


def _raise_for_status(response: httpx.Response) -> None:
    status = response.status_code
    if status == 304 or 200 <= status < 300:
        return
    retry_after = response.headers.get("retry-after")
    if status == 429 or (status == 503 and retry_after is not None):
        seconds = _retry_after_seconds(retry_after)
        raise RateLimited(f"HTTP {status}, retry after {seconds:g} s", seconds)
    raise ConnectorError(f"HTTP {status} {response.reason_phrase}".strip())


def _retry_after_seconds(value: str | None) -> float:
    """Retry-After is either delay-seconds or an HTTP date (RFC 9110 10.2.3)."""
    if not value:
        return DEFAULT_RETRY_AFTER
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return DEFAULT_RETRY_AFTER
        if when.tzinfo is None:  # "-0000" dates parse naive; they mean UTC
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _entry_mention(entry, external_id: str, feed_language: str) -> RawMention:
    title = entry.get("title", "")
    body = _entry_body(entry)
    # Alert and forum feeds often repeat the title as the body's first line.
    title_text = mention_text(title)
    body_text = mention_text(body)
    if title_text and body_text.startswith(title_text):
        text = body_text
    else:
        text = mention_text(title_text, body_text)

    author = entry.get("author_detail") or {}
    # feedparser splits "jan@example.nl (Jan de Vries)"; keep the name only,
    # never the address (store only what is needed).
    author_name = single_line(author.get("name") or "")
    if not author_name and "@" not in entry.get("author", ""):
        author_name = single_line(entry.get("author", ""))
    posted_at = _utc(entry.get("published_parsed")) or _utc(entry.get("updated_parsed"))
    link = safe_url(entry.get("link"))
    return RawMention(
        external_id=external_id,
        text=text,
        url=link,
        # A feed has no handles; the author's name is the only identifier it
        # gives, and export/erase requests look mentions up by handle.
        author_handle=author_name,
        author_name=author_name,
        author_url=safe_url(author.get("href")),
        posted_at=posted_at,
        language=_entry_language(entry) or feed_language,
        raw={
            "id": entry.get("id", "")[:MAX_URL_CHARS],
            "link": link,
            "title": single_line(title, limit=500),
            "published": posted_at.isoformat() if posted_at else "",
        },
    )


def _entry_body(entry) -> str:
    # content:encoded / atom:content is the full post; summary is the fallback.
    contents = [c.get("value", "") for c in entry.get("content") or []]
    full = " ".join(value for value in contents if value)
    return full or entry.get("summary", "")


def _entry_language(entry) -> str:
    for detail in (
        *(entry.get("content") or []),
        entry.get("summary_detail") or {},
        entry.get("title_detail") or {},
    ):
        tag = language_tag(detail.get("language"))
        if tag:
            return tag
    return language_tag(entry.get("language"))


def _utc(parsed: time.struct_time | None) -> datetime | None:
    # feedparser normalises every date it understands to a UTC struct_time.
    if not parsed:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None


def _entry_ref(index: int, entry) -> str:
    title = single_line(entry.get("title", ""), limit=80)
    return f"entry {index} ({title})" if title else f"entry {index}"


def _short(exc: object, limit: int = 200) -> str:
    text = f"{type(exc).__name__}: {exc}" if isinstance(exc, BaseException) else ""
    return single_line(text or str(exc), limit=limit)
