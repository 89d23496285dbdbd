"""Reddit: new posts in subreddits and searches, read-only.

PRAW and prawcore do the HTTP (https://praw.readthedocs.io/): the
application-only OAuth token (client credentials, POST
{reddit_url}/api/v1/access_token), the bearer header, retries of 5xx and
dropped connections, and the mapping of statuses to exceptions. We ask
PRAW for the raw listings (GET r/{subreddit}/new and r/{subreddit}/search
with sort=new) and turn each child into a praw Submission on its own, so a
post of the wrong shape is rejected with a reason while the others land
(PRAW's Listing objectifies a whole page at once and one bad child would
fail it).

Posts that are NSFW, deleted by their author or removed by moderators are
skipped and counted, never stored. Reddit has no per-account opt-out flag
in its listings.

Rate limits: a 429 (prawcore's TooManyRequests) raises RateLimited with
Retry-After or X-Ratelimit-Reset (seconds until the window resets). prawcore
would sleep until the reset once X-Ratelimit-Remaining reaches 0; inside a
worker we raise RateLimited instead of making another call.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import praw
import prawcore
import requests
from praw.models import Submission

from .base import (
    MAX_URL_CHARS,
    ConnectorError,
    FetchResult,
    RateLimited,
    RawMention,
    address_check,
    as_list,
    mention_text,
    nonnegative_int,
    safe_url,
    single_line,
    stable_external_id,
    unique_folded,
)
from .rss import DEFAULT_RETRY_AFTER, MAX_RETRY_AFTER, USER_AGENT, _retry_after_seconds

REDDIT_URL = "https://www.reddit.com"
OAUTH_URL = "https://oauth.reddit.com"
SHORT_URL = "https://redd.it"
DEFAULT_TIMEOUT = 10.0
MAX_LIMIT = 100  # Reddit's page size limit
SEEN_LIMIT = 300
SKIPPED = "skipped"
GONE_BODIES = {"[deleted]", "[removed]"}
_SUBREDDIT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_]{1,20}$")


class RedditConnector:
    """Fetch new posts from subreddits and from searches.

    url: Reddit's address (default https://www.reddit.com); the token is
    asked there, the API is called at config "oauth_url" (default
    https://oauth.reddit.com, or `url` when only `url` is set).
    config: "client_id", "client_secret" (an app of type "script" or "web"
    for application-only OAuth), "user_agent", "subreddits" (new posts of
    each), "search" (terms, newest first), "search_subreddits" (where to
    search, default r/all), "limit" (per key, at most 100), "timeout".
    cursor: {"since": {key: newest created_utc}, "seen": {key: [fullnames]}}
    with keys "new:<subreddit>" and "search:<term>".
    """

    kind = "reddit"

    def fetch(self, *, url: str, config: dict, cursor: dict) -> FetchResult:
        client_id = str(config.get("client_id") or "").strip()
        client_secret = str(config.get("client_secret") or "").strip()
        if not client_id or not client_secret:
            raise ConnectorError("no client_id and client_secret configured")
        reddit_url = (safe_url(url) or REDDIT_URL).rstrip("/")
        if url and not safe_url(url):
            raise ConnectorError("the Reddit address is not an http(s) URL")
        oauth_url = safe_url(config.get("oauth_url")) or (
            reddit_url if url else OAUTH_URL
        )
        timeout = float(config.get("timeout", DEFAULT_TIMEOUT))
        limit = max(1, min(int(config.get("limit", MAX_LIMIT)), MAX_LIMIT))
        subreddits = _subreddits(config.get("subreddits"))
        search = as_list(config.get("search"))
        terms = unique_folded(str(term).strip() for term in search)
        if not subreddits and not terms:
            raise ConnectorError("no subreddits or search terms configured")
        search_in = "+".join(_subreddits(config.get("search_subreddits"))) or "all"
        cursor = cursor or {}
        since = _float_dict(cursor.get("since"))
        seen_before = {
            str(key): [str(v) for v in values]
            for key, values in (cursor.get("seen") or {}).items()
            if isinstance(values, list)
        }

        calls: list[tuple[str, str, dict]] = [
            (f"new:{name.casefold()}", f"r/{name}/new", {"limit": limit})
            for name in subreddits
        ]
        for term in terms:
            params = {"q": term, "sort": "new", "t": "all", "limit": limit}
            if search_in != "all":
                params["restrict_sr"] = "on"
            calls.append((f"search:{term.casefold()}", f"r/{search_in}/search", params))

        session = _TimeoutSession(timeout)
        last = _LastResponse()
        session.hooks["response"].append(last.record)
        reddit = praw.Reddit(
            client_id=client_id,
            client_secret=client_secret,
            user_agent=single_line(str(config.get("user_agent") or USER_AGENT)),
            reddit_url=reddit_url,
            oauth_url=oauth_url.rstrip("/"),
            short_url=SHORT_URL,
            check_for_updates=False,
            check_for_async=False,
            requestor_kwargs={"session": session},
        )
        pages: list[tuple[str, list]] = []
        try:
            for number, (key, path, params) in enumerate(calls):
                if number and last.exhausted():
                    seconds = last.reset_seconds()
                    raise RateLimited(
                        f"rate limit used up, retry after {seconds:g} s", seconds
                    )
                body = _call(
                    lambda path=path, params=params: reddit.request(
                        method="GET", path=path, params=params
                    ),
                    timeout=timeout,
                )
                pages.append((key, _children(body)))
        finally:
            session.close()

        mentions: list[RawMention] = []
        rejected: list[tuple[str, str]] = []
        skipped = 0
        fetched: set[str] = set()
        next_since: dict[str, float] = {}
        next_seen: dict[str, list[str]] = {}
        for key, children in pages:
            bound = since.get(key)
            already = set(seen_before.get(key) or [])
            newest = bound
            current: list[str] = []
            for index, child in enumerate(children, start=1):
                outcome = _post(reddit, child, f"{key} item {index}")
                if len(outcome) == 2:  # (ref, reason)
                    # A bad post with a fullname is remembered, so it is
                    # reported once rather than on every poll.
                    if outcome[0].startswith("t3_"):
                        if outcome[0] in already:
                            continue
                        current.append(outcome[0])
                    rejected.append(outcome)
                    continue
                fullname, created, mention = outcome
                if bound is not None and created < bound:
                    continue  # older than what this key has seen
                current.append(fullname)
                if fullname in already:
                    continue
                if newest is None or created > newest:
                    newest = created
                if fullname in fetched:
                    continue  # found by two keys
                fetched.add(fullname)
                if mention == SKIPPED:
                    skipped += 1
                else:
                    mentions.append(mention)
            if newest is not None:
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


class _TimeoutSession(requests.Session):
    """prawcore passes its own default timeout (16 s) to every API call;
    this keeps each call within the source's timeout, and checks addresses."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def request(self, method, url, *args, **kwargs):
        given = kwargs.get("timeout")
        kwargs["timeout"] = min(given, self.timeout) if given else self.timeout
        return super().request(method, url, *args, **kwargs)

    def send(self, request, **kwargs):
        # Every hop, the token request and redirects included, must go to a
        # public address.
        address_check(request.url)
        return super().send(request, **kwargs)


class _LastResponse:
    """The headers of the last response, through a requests hook."""

    def __init__(self) -> None:
        self.headers: dict[str, str] = {}

    def record(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self.headers = {k.lower(): v for k, v in response.headers.items()}

    def exhausted(self) -> bool:
        try:
            return float(self.headers["x-ratelimit-remaining"]) < 1
        except (KeyError, ValueError):
            return False

    def reset_seconds(self) -> float:
        return _reset_seconds(self.headers)


def _call(fn, *, timeout: float):
    try:
        return fn()
    except prawcore.TooManyRequests as exc:
        seconds = _wait(exc.response)
        raise RateLimited(f"HTTP 429, retry after {seconds:g} s", seconds) from exc
    except prawcore.OAuthException as exc:
        raise ConnectorError(
            f"OAuth token refused: {single_line(str(exc), limit=200)}"
        ) from exc
    except prawcore.BadJSON as exc:
        raise ConnectorError("malformed JSON response") from exc
    except prawcore.ResponseException as exc:
        response = exc.response
        if response.status_code == 429:  # on the token endpoint
            seconds = _wait(response)
            raise RateLimited(f"HTTP 429, retry after {seconds:g} s", seconds) from exc
        message = f"HTTP {response.status_code} {response.reason or ''}".strip()
        if response.status_code == 401:
            message += ": the client id and secret were not accepted"
        raise ConnectorError(message) from exc
    except prawcore.RequestException as exc:
        if isinstance(exc.original_exception, ConnectorError):
            raise exc.original_exception from None
        if isinstance(exc.original_exception, requests.Timeout):
            raise ConnectorError(f"timed out after {timeout:g} s") from exc
        reason = type(exc.original_exception).__name__
        raise ConnectorError(f"request failed: {reason}") from exc
    except ValueError as exc:
        # The token endpoint's body is parsed with response.json().
        raise ConnectorError("malformed JSON response") from exc
    except (KeyError, TypeError) as exc:
        raise ConnectorError("unexpected token response") from exc
    except (praw.exceptions.PRAWException, prawcore.PrawcoreException) as exc:
        raise ConnectorError(
            f"{type(exc).__name__}: {single_line(str(exc), limit=200)}"
        ) from exc


def _wait(response: requests.Response) -> float:
    headers = {k.lower(): v for k, v in response.headers.items()}
    if headers.get("retry-after"):
        return _retry_after_seconds(headers["retry-after"])
    return _reset_seconds(headers)


def _reset_seconds(headers: dict[str, str]) -> float:
    # Reddit's X-Ratelimit-Reset is the seconds left in the window.
    try:
        seconds = float(headers["x-ratelimit-reset"])
    except (KeyError, ValueError):
        return DEFAULT_RETRY_AFTER
    return min(max(seconds, 1.0), MAX_RETRY_AFTER)


def _children(body: Any) -> list:
    if not isinstance(body, dict) or body.get("kind") != "Listing":
        raise ConnectorError("unexpected response: not a listing")
    data = body.get("data")
    children = data.get("children") if isinstance(data, dict) else None
    if not isinstance(children, list):
        raise ConnectorError("unexpected response: listing without children")
    return children


def _post(reddit: praw.Reddit, child: Any, ref: str):
    """(fullname, created_utc, RawMention or SKIPPED), or (ref, reason)."""
    if not isinstance(child, dict) or not isinstance(child.get("data"), dict):
        return (ref, "not a listing child")
    if child.get("kind") != "t3":
        return (
            ref,
            f"not a post (kind {single_line(str(child.get('kind')), limit=10)})",
        )
    data = child["data"]
    try:
        submission = Submission.parse(dict(data), reddit)
    except (ValueError, TypeError) as exc:
        return (ref, f"not a post: {single_line(str(exc), limit=200)}")
    fullname = str(getattr(submission, "name", "") or f"t3_{submission.id}")
    ref = fullname
    created = data.get("created_utc")
    if isinstance(created, bool) or not isinstance(created, int | float):
        return (ref, "no created_utc")
    author = data.get("author")
    title = data.get("title")
    if not isinstance(title, str):
        return (ref, "no title")
    selftext = data.get("selftext")
    selftext = selftext if isinstance(selftext, str) else ""
    if (
        data.get("over_18") is True
        or author in GONE_BODIES
        or not author
        or data.get("removed_by_category")
        or selftext.strip() in GONE_BODIES
        or title.strip() in GONE_BODIES
    ):
        return (fullname, float(created), SKIPPED)
    text = mention_text(title, selftext)
    if not text:
        return (ref, "empty text")
    author = single_line(str(author), limit=40)
    permalink = data.get("permalink")
    post_url = (
        safe_url(f"{REDDIT_URL}{permalink}")
        if isinstance(permalink, str) and permalink.startswith("/")
        else ""
    )
    return (
        fullname,
        float(created),
        RawMention(
            external_id=stable_external_id(fullname),
            text=text,
            url=post_url or safe_url(f"{REDDIT_URL}/comments/{submission.id}"),
            author_handle=f"u/{author}",
            author_name=author,
            author_url=safe_url(f"{REDDIT_URL}/user/{author}"),
            posted_at=datetime.fromtimestamp(float(created), tz=UTC),
            raw={
                "id": fullname,
                "subreddit": single_line(str(data.get("subreddit") or ""), limit=30),
                "link": safe_url(data.get("url"))[:MAX_URL_CHARS],
                # Reddit's score (up minus down votes) stands in for likes.
                "likes": nonnegative_int(data.get("score")),
                "replies": nonnegative_int(data.get("num_comments")),
                "reposts": nonnegative_int(data.get("num_crossposts")),
            },
        ),
    )


def _subreddits(value: Any) -> list[str]:
    names = []
    for name in as_list(value):
        name = str(name).strip()
        name = re.sub(r"^/?r/", "", name).strip("/")
        if not _SUBREDDIT.match(name):
            raise ConnectorError(f"not a subreddit name: {single_line(name, limit=40)}")
        names.append(name)
    return unique_folded(names)


def _float_dict(value: Any) -> dict[str, float]:
    if not isinstance(value, dict):
        return {}
    return {
        str(k): float(v)
        for k, v in value.items()
        if isinstance(v, int | float) and not isinstance(v, bool)
    }
