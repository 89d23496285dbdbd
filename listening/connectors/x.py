"""X (Twitter): API v2 recent search over httpx.

GET /2/tweets/search/recent
(https://docs.x.com/x-api/posts/search-recent-posts) with a bearer token.
X's API is paid, so this connector is optional: without a token it fails
with a clear message and the source shows it in its health.

The cursor is the newest tweet id seen (`since_id`), so nothing is fetched
twice; pages follow `meta.next_token` up to a configured number. X reports
partial problems as an `errors` array next to `data` in a 200 response: a
problem with one tweet or user is reported as rejected, a response with
errors and no data at all is a failure.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import httpx

from .base import (
    ConnectorError,
    FetchResult,
    RateLimited,
    RawMention,
    address_check,
    language_tag,
    mention_text,
    nonnegative_int,
    safe_url,
    single_line,
    stable_external_id,
)
from .rss import DEFAULT_RETRY_AFTER, MAX_RETRY_AFTER, USER_AGENT, _retry_after_seconds

API_URL = "https://api.x.com"
SEARCH_PATH = "/2/tweets/search/recent"
DEFAULT_TIMEOUT = 10.0
MAX_RESULTS = 100  # the endpoint's maximum per page
MIN_RESULTS = 10  # and its minimum
DEFAULT_MAX_PAGES = 3
MAX_QUERY_CHARS = 512  # recent search on the basic and pro tiers
TWEET_FIELDS = "created_at,lang,public_metrics,author_id"
USER_FIELDS = "username,name,public_metrics"


class XConnector:
    """Fetch new posts matching one recent-search query.

    url: the API's base URL (default https://api.x.com).
    config: "bearer_token" (required), "query" (X search syntax) or "search"
    (terms, OR-ed, phrases quoted), "exclude_retweets" (default true: adds
    " -is:retweet"), "max_results" (per page, 10 to 100, default 100),
    "max_pages" (default 3), "timeout" (seconds, default 10).
    cursor: {"since_id": {query: newest tweet id seen}}.
    """

    kind = "x"

    def fetch(self, *, url: str, config: dict, cursor: dict) -> FetchResult:
        token = str(config.get("bearer_token") or "").strip()
        if not token:
            raise ConnectorError("no bearer token configured: X is optional and paid")
        base_url = (safe_url(url) or API_URL).rstrip("/")
        if url and not safe_url(url):
            raise ConnectorError("the API address is not an http(s) URL")
        query = _query(config)
        timeout = float(config.get("timeout", DEFAULT_TIMEOUT))
        per_page = max(
            MIN_RESULTS, min(int(config.get("max_results", MAX_RESULTS)), MAX_RESULTS)
        )
        max_pages = max(1, int(config.get("max_pages", DEFAULT_MAX_PAGES)))
        since_ids = (cursor or {}).get("since_id")
        since_ids = since_ids if isinstance(since_ids, dict) else {}
        since_id = since_ids.get(query)
        since_id = (
            since_id if isinstance(since_id, str) and since_id.isdigit() else None
        )

        tweets: list = []
        users: dict[str, dict] = {}
        rejected: list[tuple[str, str]] = []
        newest_from_meta: str | None = None
        with httpx.Client(
            base_url=base_url,
            timeout=timeout,
            headers={
                "Authorization": f"Bearer {token}",
                "User-Agent": USER_AGENT,
                "Accept": "application/json",
            },
            # Every request must go to a public address.
            event_hooks={"request": [_check_request]},
        ) as client:
            next_token = None
            for page_number in range(max_pages):
                params = {
                    "query": query,
                    "max_results": per_page,
                    "tweet.fields": TWEET_FIELDS,
                    "expansions": "author_id",
                    "user.fields": USER_FIELDS,
                }
                if since_id:
                    params["since_id"] = since_id
                if next_token:
                    params["next_token"] = next_token
                body = _get(client, params, timeout=timeout)
                data = body.get("data", [])
                errors = body.get("errors")
                if not isinstance(data, list):
                    raise ConnectorError("unexpected response: data is not a list")
                if errors and not data and "meta" not in body:
                    raise ConnectorError(f"X API error: {_error_text(errors)}")
                for error in errors if isinstance(errors, list) else []:
                    rejected.append(_error_reject(error))
                includes = body.get("includes")
                included = includes.get("users") if isinstance(includes, dict) else None
                for user in included if isinstance(included, list) else []:
                    if isinstance(user, dict) and user.get("id"):
                        users[str(user["id"])] = user
                tweets.extend(data)
                meta = body.get("meta") if isinstance(body.get("meta"), dict) else {}
                if page_number == 0 and isinstance(meta.get("newest_id"), str):
                    newest_from_meta = meta["newest_id"]
                next_token = meta.get("next_token")
                if not next_token or not isinstance(next_token, str) or not data:
                    break

        mentions: list[RawMention] = []
        skipped = 0
        seen: set[str] = set()
        newest = since_id
        for index, tweet in enumerate(tweets, start=1):
            ref = f"tweet {index}"
            if not isinstance(tweet, dict):
                rejected.append((ref, "not a tweet object"))
                continue
            tweet_id = tweet.get("id")
            if not isinstance(tweet_id, str) or not tweet_id.isdigit():
                rejected.append((ref, "no numeric id"))
                continue
            ref = f"tweet {tweet_id}"
            # A server that ignores since_id must not make us store twice.
            if since_id and int(tweet_id) <= int(since_id):
                continue
            if newest is None or int(tweet_id) > int(newest):
                newest = tweet_id
            if tweet_id in seen:
                continue
            seen.add(tweet_id)
            text = mention_text(
                tweet.get("text") if isinstance(tweet.get("text"), str) else ""
            )
            if not text:
                rejected.append((ref, "empty text"))
                continue
            author = users.get(str(tweet.get("author_id") or ""), {})
            # Search leaves protected accounts out; should one slip through
            # (the field is there when asked for), it is not public.
            if author.get("protected") is True:
                skipped += 1
                continue
            username = single_line(str(author.get("username") or ""), limit=50)
            metrics = tweet.get("public_metrics")
            metrics = metrics if isinstance(metrics, dict) else {}
            user_metrics = author.get("public_metrics")
            user_metrics = user_metrics if isinstance(user_metrics, dict) else {}
            post_url = (
                f"https://x.com/{username}/status/{tweet_id}"
                if username
                else f"https://x.com/i/web/status/{tweet_id}"
            )
            mentions.append(
                RawMention(
                    external_id=stable_external_id(tweet_id),
                    text=text,
                    url=safe_url(post_url),
                    author_handle=f"@{username}" if username else "",
                    author_name=single_line(str(author.get("name") or username)),
                    author_url=safe_url(f"https://x.com/{username}")
                    if username
                    else "",
                    author_followers=nonnegative_int(
                        user_metrics.get("followers_count")
                    ),
                    posted_at=_parse_time(tweet.get("created_at")),
                    language=_language(tweet.get("lang")),
                    raw={
                        "id": tweet_id,
                        "author_id": str(tweet.get("author_id") or "")[:40],
                        "reposts": nonnegative_int(metrics.get("retweet_count")),
                        "likes": nonnegative_int(metrics.get("like_count")),
                        "replies": nonnegative_int(metrics.get("reply_count")),
                        "quotes": nonnegative_int(metrics.get("quote_count")),
                    },
                )
            )
        if (
            newest_from_meta
            and newest_from_meta.isdigit()
            and (newest is None or int(newest_from_meta) > int(newest))
        ):
            newest = newest_from_meta
        # Keyed by the query: a changed query starts afresh.
        next_since = {query: newest} if newest else {}
        return FetchResult(
            mentions=mentions,
            cursor={"since_id": next_since},
            rejected=rejected,
            skipped=skipped,
        )


def _query(config: dict) -> str:
    query = str(config.get("query") or "").strip()
    if not query:
        terms = config.get("search") or []
        if isinstance(terms, str):
            terms = [terms]
        parts = []
        for term in terms:
            term = " ".join(str(term).replace('"', " ").split())
            if term:
                parts.append(f'"{term}"' if " " in term else term)
        if not parts:
            raise ConnectorError("no query or search terms configured")
        query = " OR ".join(dict.fromkeys(parts))
        if len(parts) > 1:
            query = f"({query})"
    if config.get("exclude_retweets", True) and "is:retweet" not in query:
        query += " -is:retweet"
    if len(query) > MAX_QUERY_CHARS:
        raise ConnectorError(f"query longer than {MAX_QUERY_CHARS} characters")
    return query


def _check_request(request: httpx.Request) -> None:
    address_check(str(request.url))


def _get(client: httpx.Client, params: dict, *, timeout: float) -> dict:
    try:
        response = client.get(SEARCH_PATH, params=params)
    except httpx.TimeoutException as exc:
        raise ConnectorError(f"timed out after {timeout:g} s") from exc
    except httpx.HTTPError as exc:
        raise ConnectorError(
            f"request failed: {single_line(f'{type(exc).__name__}: {exc}', limit=200)}"
        ) from exc
    status = response.status_code
    if status == 429 or (status == 503 and "retry-after" in response.headers):
        seconds = _rate_limit_wait(response.headers)
        raise RateLimited(f"HTTP {status}, retry after {seconds:g} s", seconds)
    if status == 401:
        raise ConnectorError("HTTP 401: the bearer token was not accepted")
    if not 200 <= status < 300:
        detail = ""
        try:
            problem = response.json()
        except ValueError:
            problem = None
        if isinstance(problem, dict):
            detail = str(problem.get("detail") or problem.get("title") or "")
        message = f"HTTP {status} {response.reason_phrase}".strip()
        if detail:
            message += f": {single_line(detail, limit=200)}"
        raise ConnectorError(message)
    try:
        body = response.json()
    except ValueError as exc:
        raise ConnectorError("malformed JSON response") from exc
    if not isinstance(body, dict):
        raise ConnectorError("unexpected response: not a JSON object")
    return body


def _rate_limit_wait(headers: httpx.Headers) -> float:
    """Retry-After if sent, else x-rate-limit-reset (epoch seconds)."""
    if headers.get("retry-after"):
        return _retry_after_seconds(headers["retry-after"])
    reset = headers.get("x-rate-limit-reset", "")
    if reset.strip().isdigit():
        seconds = int(reset) - time.time()
        return min(max(seconds, 0.0), MAX_RETRY_AFTER)
    return DEFAULT_RETRY_AFTER


def _error_reject(error: Any) -> tuple[str, str]:
    if not isinstance(error, dict):
        return ("error", single_line(str(error), limit=200))
    ref = error.get("resource_id") or error.get("value") or "error"
    kind = error.get("resource_type") or ""
    ref = f"{kind} {ref}".strip() if kind else str(ref)
    return (single_line(ref, limit=80), _error_text([error]))


def _error_text(errors: Any) -> str:
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        return (
            single_line(
                str(
                    first.get("detail")
                    or first.get("message")
                    or first.get("title")
                    or ""
                ),
                limit=200,
            )
            or "unknown error"
        )
    return single_line(str(errors), limit=200) or "unknown error"


def _language(value: Any) -> str:
    # X says "und" when it cannot tell and "qme" etc. for media-only posts.
    tag = language_tag(value if isinstance(value, str) else "")
    return "" if tag in {"und", "qam", "qct", "qht", "qme", "qst", "zxx"} else tag


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
