"""Bluesky: full-text search over the public AppView.

The `atproto` SDK does the XRPC (https://atproto.blue/). We call one method,
app.bsky.feed.searchPosts
(https://docs.bsky.app/docs/api/app-bsky-feed-search-posts), once per
configured term, newest first, with `since` set to the newest post seen for
that term.

The response envelope is checked here and each post is validated on its own
against the SDK's lexicon model (app.bsky.feed.defs#postView), so one post of
the wrong shape is rejected with a reason while the others land.

Opt-outs are skipped and counted, never stored: the `!no-unauthenticated`
self-label on the account or the post (the author asked not to be shown to
logged-out viewers, Bluesky's "discourage apps from showing my account"
setting), and the fediverse convention of #nobot or #noindex in the
profile's description when the payload carries it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import httpx
from atproto_client import Client, models
from atproto_client.exceptions import (
    InvokeTimeoutError,
    LoginRequiredError,
    ModelError,
    RateLimitExceededError,
    RequestErrorBase,
)
from atproto_client.models.utils import get_or_create
from atproto_client.request import Request
from atproto_core.exceptions import AtProtocolError
from pydantic import ValidationError

from .base import (
    MAX_URL_CHARS,
    ConnectorError,
    FetchResult,
    RateLimited,
    RawMention,
    address_check,
    as_list,
    language_tag,
    mention_text,
    nonnegative_int,
    safe_url,
    single_line,
    stable_external_id,
    unique_folded,
)
from .rss import DEFAULT_RETRY_AFTER, MAX_RETRY_AFTER, USER_AGENT, _retry_after_seconds

PUBLIC_APPVIEW = "https://public.api.bsky.app"
DEFAULT_TIMEOUT = 10.0
DEFAULT_LIMIT = 25
MAX_LIMIT = 100  # the lexicon's maximum
DEFAULT_MAX_PAGES = 3
# How many recent post uris per term the cursor remembers: `since` is
# inclusive, so posts at the bound come back on the next poll.
SEEN_LIMIT = 200
OPT_OUT_LABEL = "!no-unauthenticated"
SKIPPED = "skipped"
_OPT_OUT_TAG = re.compile(r"#no(?:bot|index)\b", re.IGNORECASE)
_POST_URI = re.compile(r"^at://([^/]+)/app\.bsky\.feed\.post/([A-Za-z0-9._:~-]+)$")


class BlueskyConnector:
    """Fetch new posts for search terms from a Bluesky AppView.

    url: the AppView's base URL (default https://public.api.bsky.app).
    config: "search" (terms), "lang" (optional language filter), "limit"
    (posts per page, at most 100, default 25), "max_pages" (per term, default
    3), "timeout" (seconds, default 10), "handle" and "app_password"
    (optional: log in and search through the account's PDS).
    cursor: {"since": {"search:term": newest sortAt seen},
    "seen": {"search:term": [recent at:// uris]}}.
    """

    kind = "bluesky"

    def fetch(self, *, url: str, config: dict, cursor: dict) -> FetchResult:
        base_url = (safe_url(url) or PUBLIC_APPVIEW).rstrip("/")
        if url and not safe_url(url):
            raise ConnectorError("the AppView address is not an http(s) URL")
        timeout = float(config.get("timeout", DEFAULT_TIMEOUT))
        limit = max(1, min(int(config.get("limit", DEFAULT_LIMIT)), MAX_LIMIT))
        max_pages = max(1, int(config.get("max_pages", DEFAULT_MAX_PAGES)))
        lang = language_tag(config.get("lang")) or None
        search = as_list(config.get("search"))
        terms = unique_folded(str(term).strip() for term in search)
        if not terms:
            raise ConnectorError("no search terms configured")
        cursor = cursor or {}
        since = _str_dict(cursor.get("since"))
        seen_before = {
            key: list(values)
            for key, values in (cursor.get("seen") or {}).items()
            if isinstance(values, list)
        }

        # Every hop, redirects included, must go to a public address.
        request = Request(timeout=timeout, event_hooks={"request": [_check_request]})
        request.add_additional_header("User-Agent", USER_AGENT)
        client = Client(base_url=base_url, request=request)
        try:
            handle = str(config.get("handle") or "").strip()
            password = str(config.get("app_password") or "")
            if handle and password:
                _call(
                    lambda: client.login(handle, password, fetch_bsky_profile=False),
                    timeout=timeout,
                )
            pages = {
                f"search:{term.casefold()}": _search(
                    client,
                    term=term,
                    lang=lang,
                    limit=limit,
                    max_pages=max_pages,
                    since=since.get(f"search:{term.casefold()}"),
                    timeout=timeout,
                )
                for term in terms
            }
        finally:
            request.close()

        mentions: list[RawMention] = []
        rejected: list[tuple[str, str]] = []
        skipped = 0
        uris_this_fetch: set[str] = set()
        next_since: dict[str, str] = {}
        next_seen: dict[str, list[str]] = {}
        for key, posts in pages.items():
            bound = since.get(key)
            already = set(seen_before.get(key) or [])
            newest = bound
            current: list[str] = []
            for index, post in enumerate(posts, start=1):
                ref = f"{key} item {index}"
                outcome = _post_mention(post, ref)
                if len(outcome) == 2:  # (ref, reason)
                    # A bad post with a uri is remembered, so it is reported
                    # once rather than on every poll.
                    if outcome[0].startswith("at://"):
                        if outcome[0] in already:
                            continue
                        current.append(outcome[0])
                    rejected.append(outcome)
                    continue
                uri, sort_at, mention = outcome
                # A server that ignores `since` must not make us store a
                # post twice; nor may a post at the (inclusive) bound.
                if bound and sort_at and sort_at < bound:
                    continue
                current.append(uri)
                if uri in already:
                    continue
                if sort_at and (newest is None or sort_at > newest):
                    newest = sort_at
                if uri in uris_this_fetch:
                    continue  # found by two terms
                uris_this_fetch.add(uri)
                if mention == SKIPPED:
                    skipped += 1
                else:
                    mentions.append(mention)
            if newest:
                next_since[key] = newest
            window = list(dict.fromkeys(current + list(already)))[:SEEN_LIMIT]
            if window:
                next_seen[key] = window
        return FetchResult(
            mentions=mentions,
            cursor={"since": next_since, "seen": next_seen},
            rejected=rejected,
            skipped=skipped,
        )


def _search(
    client: Client,
    *,
    term: str,
    lang: str | None,
    limit: int,
    max_pages: int,
    since: str | None,
    timeout: float,
) -> list:
    """Pages of searchPosts, newest first, until the bound or max_pages."""
    posts: list = []
    page_cursor = None
    for _page in range(max_pages):
        params = models.AppBskyFeedSearchPosts.Params(
            q=term,
            sort="latest",
            lang=lang,
            limit=limit,
            since=since,
            cursor=page_cursor,
        )
        response = _call(
            lambda params=params: client.invoke_query(
                "app.bsky.feed.searchPosts",
                params=params,
                output_encoding="application/json",
            ),
            timeout=timeout,
        )
        body = response.content
        if not isinstance(body, dict):
            raise ConnectorError("malformed JSON response: not a JSON object")
        page = body.get("posts")
        if not isinstance(page, list):
            raise ConnectorError("unexpected response: no list of posts")
        posts.extend(page)
        page_cursor = body.get("cursor")
        if not page_cursor or not isinstance(page_cursor, str) or not page:
            break
        # Newest first: once a page reaches the bound, older pages are done.
        if since and any(
            isinstance(p, dict) and (_sort_at(p) or "") < since for p in page
        ):
            break
    return posts


def _check_request(request: httpx.Request) -> None:
    address_check(str(request.url))


def _call(fn, *, timeout: float):
    try:
        return fn()
    except RateLimitExceededError as exc:
        seconds = _rate_limit_wait(exc)
        raise RateLimited(f"HTTP 429, retry after {seconds:g} s", seconds) from exc
    except InvokeTimeoutError as exc:
        raise ConnectorError(f"timed out after {timeout:g} s") from exc
    except RequestErrorBase as exc:
        if exc.response is None:
            context = exc.__cause__ or exc.__context__
            raise ConnectorError(
                f"request failed: {type(context or exc).__name__}"
            ) from exc
        status = exc.response.status_code
        retry_after = exc.response.headers.get("retry-after")
        if status == 503 and retry_after:
            seconds = _retry_after_seconds(retry_after)
            raise RateLimited(f"HTTP 503, retry after {seconds:g} s", seconds) from exc
        detail = single_line(str(exc), limit=200)
        raise ConnectorError(f"HTTP {detail}") from exc
    except ValueError as exc:
        # pydantic_core.from_json on a body that says it is JSON but is not.
        raise ConnectorError("malformed JSON response") from exc
    except (ModelError, LoginRequiredError, AtProtocolError) as exc:
        raise ConnectorError(
            f"{type(exc).__name__}: {single_line(str(exc), limit=200)}"
        ) from exc


def _rate_limit_wait(exc: RateLimitExceededError) -> float:
    """Retry-After if sent, else the RateLimit-Reset epoch, else a minute."""
    if exc.retry_after is not None:
        return min(exc.retry_after, MAX_RETRY_AFTER)
    if exc.reset_at is not None:
        seconds = (exc.reset_at - datetime.now(UTC)).total_seconds()
        if seconds > 0:
            return min(seconds, MAX_RETRY_AFTER)
    return DEFAULT_RETRY_AFTER


def _post_mention(post: Any, ref: str) -> tuple[str, str] | tuple[str, str, Any]:
    """(uri, sortAt, RawMention or SKIPPED), or a rejected (ref, reason)."""
    if not isinstance(post, dict):
        return (ref, "not a post object")
    uri = post.get("uri")
    if isinstance(uri, str) and uri:
        ref = single_line(uri, limit=200)
    try:
        view = get_or_create(post, models.AppBskyFeedDefs.PostView, strict=True)
    except (ModelError, ValidationError) as exc:
        return (ref, f"not a post view: {_first_error(exc)}")
    match = _POST_URI.match(view.uri)
    if not match:
        return (ref, "not an app.bsky.feed.post uri")
    record = post.get("record")
    if not isinstance(record, dict) or not isinstance(record.get("text"), str):
        return (ref, "no post record with text")
    author = post["author"]
    sort_at = _sort_at(post) or ""
    if _opted_out(post, author):
        return (view.uri, sort_at, SKIPPED)
    text = mention_text(record["text"])
    if not text:
        return (ref, "empty text")
    handle = single_line(str(author.get("handle") or ""))
    did = str(author.get("did") or "")
    profile = handle if handle and handle != "handle.invalid" else did
    rkey = match.group(2)
    langs = record.get("langs")
    posted_at = _parse_time(record.get("createdAt")) or _parse_time(
        post.get("indexedAt")
    )
    return (
        view.uri,
        sort_at,
        RawMention(
            external_id=stable_external_id(view.uri),
            text=text,
            url=safe_url(f"https://bsky.app/profile/{profile}/post/{rkey}"),
            # "handle.invalid" is what every author with a broken handle
            # shows; the DID is what identifies them.
            author_handle=(
                f"@{handle}"
                if handle and handle != "handle.invalid"
                else single_line(did)
            ),
            author_name=single_line(str(author.get("displayName") or handle)),
            author_url=safe_url(f"https://bsky.app/profile/{profile}"),
            # Search results carry the basic profile view, which has no
            # follower count.
            author_followers=nonnegative_int(author.get("followersCount")),
            posted_at=posted_at,
            language=language_tag(langs[0])
            if isinstance(langs, list) and langs and isinstance(langs[0], str)
            else "",
            raw={
                "uri": view.uri[:MAX_URL_CHARS],
                "cid": str(post.get("cid") or "")[:200],
                "indexed_at": str(post.get("indexedAt") or "")[:40],
                "reposts": nonnegative_int(post.get("repostCount")),
                "likes": nonnegative_int(post.get("likeCount")),
                "replies": nonnegative_int(post.get("replyCount")),
                "quotes": nonnegative_int(post.get("quoteCount")),
            },
        ),
    )


def _opted_out(post: dict, author: dict) -> bool:
    for labels in (author.get("labels"), post.get("labels")):
        for label in labels or []:
            if (
                isinstance(label, dict)
                and label.get("val") == OPT_OUT_LABEL
                and not label.get("neg")
            ):
                return True
    # Search returns the basic profile view, which has no description; a
    # fuller view (some AppViews, other methods) does.
    return bool(_OPT_OUT_TAG.search(mention_text(str(author.get("description") or ""))))


def _sort_at(post: dict) -> str | None:
    """Bluesky's sortAt: the earlier of createdAt and indexedAt, as UTC ISO
    text (what `since` compares against)."""
    record = post.get("record") if isinstance(post.get("record"), dict) else {}
    times = [
        t
        for t in (
            _parse_time(record.get("createdAt")),
            _parse_time(post.get("indexedAt")),
        )
        if t is not None
    ]
    if not times:
        return None
    return min(times).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _first_error(exc: Exception) -> str:
    cause = exc if isinstance(exc, ValidationError) else exc.__cause__
    if isinstance(cause, ValidationError) and cause.errors():
        error = cause.errors()[0]
        where = ".".join(str(part) for part in error.get("loc", ()))
        return single_line(f"{where}: {error.get('msg', '')}", limit=200)
    return single_line(str(exc), limit=200)


def _str_dict(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items() if isinstance(v, str) and v}
