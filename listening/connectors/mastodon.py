"""Mastodon: hashtag timelines and full-text search on one instance.

Mastodon.py does the HTTP (https://mastodonpy.readthedocs.io/). We call two
endpoints: GET /api/v1/timelines/tag/:hashtag
(https://docs.joinmastodon.org/methods/timelines/#tag) and GET /api/v2/search
with type=statuses (https://docs.joinmastodon.org/methods/search/#v2), which
most instances answer only with an access token.

Authors who opted out are skipped and counted, never stored: `indexable:
false` (not opted in to search), `discoverable: false`, `noindex: true`, and
the fediverse convention of #nobot or #noindex in the bio or profile fields.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from mastodon import (
    Mastodon,
    MastodonAPIError,
    MastodonError,
    MastodonNetworkError,
    MastodonRatelimitError,
    MastodonServiceUnavailableError,
)

from .base import (
    MAX_URL_CHARS,
    ConnectorError,
    FetchResult,
    RateLimited,
    RawMention,
    as_list,
    language_tag,
    mention_text,
    nonnegative_int,
    safe_url,
    single_line,
    stable_external_id,
    unique_folded,
)
from .rss import DEFAULT_RETRY_AFTER, MAX_RETRY_AFTER, _retry_after_seconds

USER_AGENT = "Seed-Listening/1.0 (+community listening)"
DEFAULT_TIMEOUT = 10.0
# Search with min_id needs 2.8, hashtag feeds in /api/v2/instance 4.0; older
# instances are gone from the fediverse.
ASSUMED_VERSION = "4.0.0"
# Mastodon caps both endpoints at 40 statuses per page.
MAX_LIMIT = 40
# Followers-only and direct posts can reach us through an authenticated
# search; only public posts are listened to.
PUBLIC_VISIBILITIES = {"public", "unlisted"}
SKIPPED = "skipped"
_OPT_OUT_TAG = re.compile(r"#no(?:bot|index)\b", re.IGNORECASE)
# Mastodon renders paragraphs and line breaks as tags; without a space there
# stripping them glues the last word of one line to the first of the next.
_BREAKS = re.compile(r"<br\s*/?>|</p\s*>", re.IGNORECASE)


class MastodonConnector:
    """Fetch new public statuses for hashtags and search terms on one instance.

    url: the instance's base URL, e.g. https://mastodon.social.
    config: "hashtags" (without or with "#"), "search" (terms), "access_token"
    (optional; search needs one on most instances), "timeout" (seconds,
    default 10), "limit" (statuses per hashtag or term, at most 40).
    cursor: {"since": {"#tag" or "search:term": newest status id seen}}; a
    key per hashtag and term, so a term and a hashtag never share a bound.
    """

    kind = "mastodon"

    def fetch(self, *, url: str, config: dict, cursor: dict) -> FetchResult:
        base_url = safe_url(url).rstrip("/")
        if not base_url:
            raise ConnectorError("the instance address is not an http(s) URL")
        timeout = float(config.get("timeout", DEFAULT_TIMEOUT))
        limit = max(1, min(int(config.get("limit", MAX_LIMIT)), MAX_LIMIT))
        hashtags = unique_folded(
            str(tag).strip().lstrip("#") for tag in as_list(config.get("hashtags"))
        )
        search = as_list(config.get("search"))
        terms = unique_folded(str(term).strip() for term in search)
        if not hashtags and not terms:
            raise ConnectorError("no hashtags or search terms configured")
        since = _since((cursor or {}).get("since"))
        instance_domain = urlsplit(base_url).hostname or ""

        pages: list[tuple[str, list]] = []
        with requests.Session() as session:
            last = _LastResponse()
            session.hooks["response"].append(last.record)
            api = _client(
                base_url=base_url,
                access_token=config.get("access_token") or None,
                timeout=timeout,
                session=session,
            )
            # One client for the whole fetch: timeline_hashtag() first asks
            # GET /api/v2/instance/ whether hashtag feeds are open, and the
            # client caches the answer.
            for tag in hashtags:
                key = f"#{tag.casefold()}"
                page = _call(
                    lambda tag=tag, key=key: api.timeline_hashtag(
                        quote(tag, safe=""), since_id=since.get(key), limit=limit
                    ),
                    api=api,
                    last=last,
                    timeout=timeout,
                )
                _check_shape(last.json(), search=False)
                pages.append((key, list(page)))
            for term in terms:
                key = f"search:{term.casefold()}"
                # Search has no since_id; min_id is its "newer than" bound.
                # resolve=False: no WebFinger lookups for URL-like terms.
                page = _call(
                    lambda term=term, key=key: api.search_v2(
                        term,
                        result_type="statuses",
                        resolve=False,
                        # Applies to hashtag results only.
                        exclude_unreviewed=False,
                        min_id=since.get(key),
                        limit=limit,
                    ),
                    api=api,
                    last=last,
                    timeout=timeout,
                )
                _check_shape(last.json(), search=True)
                pages.append((key, list(page.get("statuses") or [])))

        mentions: list[RawMention] = []
        rejected: list[tuple[str, str]] = []
        skipped = 0
        seen: set[str] = set()
        next_since: dict[str, str] = {}
        for key, statuses in pages:
            previous = since.get(key)
            newest = previous
            for index, status in enumerate(statuses, start=1):
                if not isinstance(status, dict):
                    rejected.append((f"{key} item {index}", "not a status object"))
                    continue
                status_id = str(status.get("id") or "")
                if not status_id:
                    rejected.append((f"{key} item {index}", "no id"))
                    continue
                # The id of the timeline entry (for a boost, the boost's own
                # id) is what since_id pages on. A server that ignores
                # since_id must not make us fetch anything twice.
                if previous is not None and not _newer(status_id, previous):
                    continue
                if newest is None or _newer(status_id, newest):
                    newest = status_id
                outcome = _status_mention(status, instance_domain, seen)
                if outcome is None:
                    continue
                if outcome == SKIPPED:
                    skipped += 1
                elif isinstance(outcome, tuple):
                    rejected.append(outcome)
                else:
                    mentions.append(outcome)
            if newest is not None:
                next_since[key] = newest
        return FetchResult(
            mentions=mentions,
            cursor={"since": next_since},
            rejected=rejected,
            skipped=skipped,
        )


class _LastResponse:
    """The last response Mastodon.py received, seen through a requests hook.

    MastodonRatelimitError carries no response and Mastodon.py does not read
    Retry-After; it casts any JSON into its own types (a dict of the wrong
    shape becomes a list of its keys) and drops the server's error message
    when the cast has no "error" field. The raw response has all of that.
    """

    def __init__(self) -> None:
        self.response: requests.Response | None = None

    def record(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self.response = response

    @property
    def headers(self) -> dict[str, str]:
        return dict(self.response.headers) if self.response is not None else {}

    def json(self) -> Any:
        if self.response is None:
            return None
        try:
            return self.response.json()
        except ValueError:
            return None


def _client(
    *, base_url: str, access_token: str | None, timeout: float, session
) -> Mastodon:
    api = Mastodon(
        api_base_url=base_url,
        request_timeout=timeout,
        # We state a version instead of asking for it: no GET
        # /api/v1/instance on construction (version_check_mode="none" would
        # ask later, before search with min_id, which needs 2.8.0). "created"
        # only checks that each endpoint existed in that version.
        mastodon_version=ASSUMED_VERSION,
        version_check_mode="created",
        # "throw": Mastodon.py's default ("wait") sleeps until the limit
        # resets, up to five minutes, inside a worker; we reschedule instead.
        ratelimit_method="throw",
        session=session,
        user_agent=USER_AGENT,
    )
    # Set after construction: Mastodon.py reads access_token as a file when a
    # file of that name exists, and would send its first line to the instance.
    api.access_token = access_token
    return api


def _call(fn: Callable[[], Any], *, api: Mastodon, last: _LastResponse, timeout: float):
    try:
        return fn()
    except MastodonRatelimitError as exc:
        seconds = _rate_limit_wait(api, last.headers)
        raise RateLimited(f"rate limited, retry after {seconds:g} s", seconds) from exc
    except MastodonNetworkError as exc:
        if _caused_by(exc, requests.Timeout):
            raise ConnectorError(f"timed out after {timeout:g} s") from exc
        raise ConnectorError(f"request failed: {_network_reason(exc)}") from exc
    except MastodonAPIError as exc:
        status = exc.args[1] if len(exc.args) > 1 else None
        if isinstance(status, int):
            retry_after = _header(last.headers, "retry-after")
            if isinstance(exc, MastodonServiceUnavailableError) and retry_after:
                seconds = _retry_after_seconds(retry_after)
                raise RateLimited(
                    f"HTTP 503, retry after {seconds:g} s", seconds
                ) from exc
            reason = single_line(str(exc.args[2] if len(exc.args) > 2 else ""))
            body = last.json()
            detail = body.get("error") if isinstance(body, dict) else None
            message = f"HTTP {status} {reason}".strip()
            if isinstance(detail, str) and detail:
                message += f": {single_line(detail, limit=200)}"
            raise ConnectorError(message) from exc
        if str(exc.args[0] if exc.args else "").startswith("Could not parse"):
            raise ConnectorError("malformed JSON response") from exc
        raise ConnectorError(f"API error: {single_line(str(exc), limit=200)}") from exc
    except MastodonError as exc:
        # Illegal arguments, version errors: a configuration problem.
        raise ConnectorError(
            f"{type(exc).__name__}: {single_line(str(exc), limit=200)}"
        ) from exc


def _rate_limit_wait(api: Mastodon, headers: dict[str, str]) -> float:
    """Retry-After if the 429 sent one, else X-RateLimit-Reset (Mastodon.py
    parses it and corrects it for the server's clock), else a minute."""
    retry_after = _header(headers, "retry-after")
    if retry_after:
        return _retry_after_seconds(retry_after)
    reset = getattr(api, "ratelimit_reset", None)
    if isinstance(reset, int | float):
        seconds = reset - time.time()
        if seconds > 0:
            return min(seconds, MAX_RETRY_AFTER)
    return DEFAULT_RETRY_AFTER


def _status_mention(
    status: dict, instance_domain: str, seen: set[str]
) -> RawMention | tuple[str, str] | str | None:
    """A RawMention, SKIPPED, a rejected (ref, reason), or None for a repeat."""
    original = status.get("reblog") or status
    if not isinstance(original, dict):
        return (_ref(status), "not a status object")
    # A boost is the boosted post: its id collapses boosts with the original,
    # and the booster is left out.
    raw_id = str(original.get("uri") or original.get("id") or "")
    external_id = stable_external_id(raw_id) if raw_id else ""
    if not external_id:
        return (_ref(original), "no id or uri")
    if external_id in seen:
        return None
    seen.add(external_id)
    account = original.get("account")
    if not isinstance(account, dict):
        return (_ref(original), "no account")
    if original.get("visibility", "public") not in PUBLIC_VISIBILITIES:
        return SKIPPED
    if _opted_out(account):
        return SKIPPED
    content = _BREAKS.sub(" ", str(original.get("content") or ""))
    text = mention_text(str(original.get("spoiler_text") or ""), content)
    if not text:
        return (_ref(original), "empty text")
    posted_at = _utc(original.get("created_at"))
    return RawMention(
        external_id=external_id,
        text=text,
        url=safe_url(original.get("url")) or safe_url(original.get("uri")),
        author_handle=_handle(account, instance_domain),
        author_name=single_line(
            str(account.get("display_name") or account.get("username") or "")
        ),
        author_url=safe_url(account.get("url")),
        author_followers=nonnegative_int(account.get("followers_count")),
        posted_at=posted_at,
        language=language_tag(original.get("language")),
        raw={
            "id": str(original.get("id") or "")[:MAX_URL_CHARS],
            "uri": str(original.get("uri") or "")[:MAX_URL_CHARS],
            "url": safe_url(original.get("url")),
            "reblogs_count": nonnegative_int(original.get("reblogs_count")),
            "favourites_count": nonnegative_int(original.get("favourites_count")),
            "replies_count": nonnegative_int(original.get("replies_count")),
        },
    )


def _opted_out(account: dict) -> bool:
    # A missing field (older servers, other software) is not an opt-out.
    if account.get("indexable") is False or account.get("discoverable") is False:
        return True
    if account.get("noindex") is True:
        return True
    # The note is HTML: a linked hashtag reads "#<span>nobot</span>" until
    # the tags are stripped.
    profile = [str(account.get("note") or "")]
    for profile_field in account.get("fields") or []:
        if isinstance(profile_field, dict):
            profile.append(str(profile_field.get("name") or ""))
            profile.append(str(profile_field.get("value") or ""))
    return bool(_OPT_OUT_TAG.search(mention_text(*profile)))


def _handle(account: dict, instance_domain: str) -> str:
    # acct is "user" for the instance's own accounts, "user@domain" for others.
    acct = str(account.get("acct") or account.get("username") or "").lstrip("@")
    if not acct:
        return ""
    if "@" not in acct and instance_domain:
        acct = f"{acct}@{instance_domain}"
    return single_line(f"@{acct}")


def _since(value: Any) -> dict[str, str]:
    # The cursor is JSON in the database; take only what can be a bound.
    if not isinstance(value, dict):
        return {}
    return {str(key): str(bound) for key, bound in value.items() if bound}


def _check_shape(body: Any, *, search: bool) -> None:
    statuses = body.get("statuses") if search and isinstance(body, dict) else body
    if not isinstance(statuses, list):
        raise ConnectorError("unexpected response: not a list of statuses")


def _newer(candidate: str, than: str) -> bool:
    # Mastodon ids are numeric snowflakes; Pleroma and Akkoma use flake ids
    # that sort as strings.
    if candidate.isdigit() and than.isdigit():
        return int(candidate) > int(than)
    return candidate > than


def _utc(value: Any) -> datetime | None:
    # Mastodon.py parses created_at into an aware datetime in local time.
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _header(headers: dict[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    # Mastodon.py raises MastodonNetworkError inside `except`, so the
    # requests exception is the context.
    seen = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _network_reason(exc: MastodonNetworkError) -> str:
    context = exc.__cause__ or exc.__context__
    return type(context or exc).__name__


def _ref(status: dict) -> str:
    return (
        safe_url(status.get("url"))
        or safe_url(status.get("uri"))
        or f"status {single_line(str(status.get('id') or '?'), limit=40)}"
    )
