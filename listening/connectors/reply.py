"""Post a public reply to a mention, on the networks that allow it.

Mastodon through Mastodon.py (POST /api/v1/statuses with in_reply_to_id,
https://docs.joinmastodon.org/methods/statuses/#create) and Bluesky through
the atproto SDK (com.atproto.repo.createRecord of an app.bsky.feed.post with
a reply ref, https://docs.bsky.app/docs/advanced-guides/posts#replies).

Like the rest of `connectors/`, this is pure Python: it reads what it needs
from the mention and its source (kind, url, config, external_id, raw) by
attribute and imports no models. Nothing here runs without a staff click:
the reply view calls `reply_post` only on an explicit "Post reply".

Every failure raises `ReplyError` with a message fit to show to staff; the
caller records nothing then.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx

from .base import ConnectorError, address_check, safe_url, single_line

DEFAULT_TIMEOUT = 10.0
# Networks whose reply we can post; the others are replied to by hand.
POSTING_NETWORKS = ("mastodon", "bluesky")
# What one post may hold. Bluesky counts 300 graphemes, Mastodon 500
# characters (with links as 23); counting code points is the safe side.
CHARACTER_LIMITS = {"mastodon": 500, "bluesky": 300, "x": 280}
DEFAULT_CHARACTER_LIMIT = 5000
# Where a Bluesky account logs in when the source reads from the public
# AppView, which has no accounts.
BLUESKY_ENTRYWAY = "https://bsky.social"
_PUBLIC_APPVIEW = "https://public.api.bsky.app"
_POST_URI = re.compile(r"^at://([^/]+)/app\.bsky\.feed\.post/([A-Za-z0-9._:~-]+)$")


class ReplyError(Exception):
    """Posting failed. `str(error)` says why, for staff and the log; `code`
    lets the caller show it in the reader's language, and `detail` is what
    the network said, if anything.

    Codes: unsupported, credentials, empty, too_long, no_id, unauthorized,
    not_found, rate_limited, timeout, unreachable, refused, failed.
    """

    def __init__(self, code: str, message: str, *, detail: str = ""):
        super().__init__(f"{message} ({detail})" if detail else message)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class PostedReply:
    external_id: str  # the reply's id at the network (status id, at:// uri)
    url: str  # where people see it, "" when unknown


def character_limit(network: str) -> int:
    return CHARACTER_LIMITS.get(network, DEFAULT_CHARACTER_LIMIT)


def can_post(source) -> bool:
    """Whether replies to this source's mentions can be posted for staff."""
    config = source.config or {}
    if source.kind == "mastodon":
        return bool(safe_url(source.url) and config.get("access_token"))
    if source.kind == "bluesky":
        return bool(config.get("handle") and config.get("app_password"))
    return False


def reply_post(mention, text: str, *, idempotency_key: str = "") -> PostedReply:
    """Post `text` as a public reply to `mention` on its network.

    `idempotency_key` (Mastodon): the same key within an hour returns the
    status already created instead of posting it twice.
    """
    source = mention.source
    if source.kind not in POSTING_NETWORKS:
        raise ReplyError(
            "unsupported",
            f"Replies to {source.kind} posts cannot be posted from here; "
            "copy the text and reply on the network.",
        )
    if not can_post(source):
        raise ReplyError(
            "credentials",
            "This source has no posting credentials (Mastodon: an access token; "
            "Bluesky: a handle and an app password). Nothing was posted.",
        )
    text = (text or "").strip()
    if not text:
        raise ReplyError("empty", "Write the reply first.")
    limit = character_limit(source.kind)
    if len(text) > limit:
        raise ReplyError(
            "too_long", f"A reply on {source.kind} holds at most {limit} characters."
        )
    timeout = _timeout(source.config)
    if source.kind == "mastodon":
        return _mastodon_post(mention, text, timeout, idempotency_key)
    return _bluesky_post(mention, text, timeout)


def _timeout(config: dict) -> float:
    try:
        return max(0.1, float((config or {}).get("timeout", DEFAULT_TIMEOUT)))
    except (TypeError, ValueError):
        return DEFAULT_TIMEOUT


# --- Mastodon ----------------------------------------------------------------


def _mastodon_status_id(mention) -> str:
    """The status id on the source's instance. The connector stores the
    status uri as external_id and the instance's id in raw["id"]; older
    rows and webhooks may hold the id itself as external_id."""
    raw = mention.raw if isinstance(mention.raw, dict) else {}
    status_id = str(raw.get("id") or "").strip()
    if status_id:
        return status_id
    external_id = str(mention.external_id or "").strip()
    if external_id and "/" not in external_id and ":" not in external_id:
        return external_id
    return ""


def _mastodon_post(
    mention, text: str, timeout: float, idempotency_key: str
) -> PostedReply:
    import requests
    from mastodon import (
        MastodonAPIError,
        MastodonError,
        MastodonNetworkError,
        MastodonNotFoundError,
        MastodonRatelimitError,
        MastodonUnauthorizedError,
    )

    from .mastodon import _caused_by, _client

    source = mention.source
    status_id = _mastodon_status_id(mention)
    if not status_id:
        raise ReplyError(
            "no_id",
            "The id of this post on the instance is unknown, so the reply "
            "cannot be threaded. Reply by hand instead.",
        )
    base_url = safe_url(source.url).rstrip("/")
    try:
        address_check(base_url)
    except ConnectorError as exc:
        raise ReplyError(
            "unreachable", "The instance cannot be reached.", detail=str(exc)
        ) from exc
    with requests.Session() as session:
        session.hooks["response"].append(_check_response_address)
        api = _client(
            base_url=base_url,
            access_token=str(source.config["access_token"]),
            timeout=timeout,
            session=session,
        )
        try:
            status = api.status_post(
                text,
                in_reply_to_id=status_id,
                visibility="public",
                idempotency_key=idempotency_key or None,
            )
        except MastodonUnauthorizedError as exc:
            raise ReplyError(
                "unauthorized",
                "The instance refused the access token (HTTP 401). Check the "
                "source's settings. Nothing was posted.",
                detail=_mastodon_detail(exc),
            ) from exc
        except MastodonNotFoundError as exc:
            raise ReplyError(
                "not_found",
                "The post is no longer on the instance (HTTP 404). Nothing was posted.",
            ) from exc
        except MastodonRatelimitError as exc:
            raise ReplyError(
                "rate_limited",
                "The instance is rate limiting us. Try again in a few minutes.",
            ) from exc
        except MastodonNetworkError as exc:
            if _caused_by(exc, requests.Timeout):
                raise ReplyError(
                    "timeout",
                    f"The instance did not answer within {timeout:g} seconds. "
                    "Check the thread before trying again: the reply may have "
                    "arrived.",
                ) from exc
            if _caused_by(exc, ConnectorError):  # the address check
                raise ReplyError(
                    "unreachable",
                    "The instance cannot be reached.",
                    detail=_connector_detail(exc),
                ) from exc
            raise ReplyError(
                "unreachable", "The instance could not be reached. Nothing was posted."
            ) from exc
        except MastodonAPIError as exc:
            status_code = exc.args[1] if len(exc.args) > 1 else None
            raise ReplyError(
                "refused",
                f"The instance refused the reply (HTTP {status_code}). "
                "Nothing was posted.",
                detail=_mastodon_detail(exc),
            ) from exc
        except MastodonError as exc:
            raise ReplyError(
                "failed", "Posting failed.", detail=single_line(str(exc), limit=200)
            ) from exc
    if not isinstance(status, dict) or not status.get("id"):
        raise ReplyError("failed", "The instance answered without a status id.")
    return PostedReply(
        external_id=str(status["id"])[:255],
        url=safe_url(status.get("url")) or safe_url(status.get("uri")),
    )


def _mastodon_detail(exc: Exception) -> str:
    # Mastodon.py raises (message, status, reason, the body's "error").
    detail = exc.args[3] if len(exc.args) > 3 else ""
    return single_line(detail, limit=200) if isinstance(detail, str) else ""


def _connector_detail(exc: BaseException) -> str:
    current: BaseException | None = exc
    while current is not None:
        if isinstance(current, ConnectorError):
            return str(current)
        current = current.__cause__ or current.__context__
    return ""


def _check_response_address(response, *args: Any, **kwargs: Any) -> None:
    # A redirect must not lead the token into the internal network.
    if response.is_redirect:
        location = response.headers.get("location") or ""
        if location.startswith(("http://", "https://")):
            address_check(location)


# --- Bluesky -----------------------------------------------------------------


def _bluesky_base_url(source) -> str:
    config = source.config or {}
    base = safe_url(config.get("pds_url")) or safe_url(source.url)
    base = base.rstrip("/")
    if not base or base == _PUBLIC_APPVIEW:
        return BLUESKY_ENTRYWAY
    return base


def _bluesky_post(mention, text: str, timeout: float) -> PostedReply:
    from atproto_client import Client, models
    from atproto_client.exceptions import (
        InvokeTimeoutError,
        RequestErrorBase,
        UnauthorizedError,
    )
    from atproto_client.request import Request
    from atproto_core.exceptions import AtProtocolError

    source = mention.source
    raw = mention.raw if isinstance(mention.raw, dict) else {}
    uri = str(raw.get("uri") or mention.external_id or "")
    match = _POST_URI.match(uri)
    if not match:
        raise ReplyError(
            "no_id",
            "The at:// address of this post is unknown, so the reply cannot "
            "be threaded. Reply by hand instead.",
        )
    base_url = _bluesky_base_url(source)
    request = Request(timeout=timeout, event_hooks={"request": [_check_request]})
    client = Client(base_url=base_url, request=request)
    config = source.config
    sessions: list = []
    client.on_session_change(lambda event, session: sessions.append(session))
    try:
        client.login(
            str(config["handle"]),
            str(config["app_password"]),
            fetch_bsky_profile=False,
        )
        # The post's record says which thread it belongs to: a reply's root
        # is the thread's first post, not the post we answer. getPosts also
        # gives its current cid when the stored one is missing.
        found = client.get_posts([uri]).posts
        if not found:
            raise ReplyError(
                "not_found", "The post is no longer on Bluesky. Nothing was posted."
            )
        post = found[0]
        parent = models.ComAtprotoRepoStrongRef.Main(uri=post.uri, cid=post.cid)
        root = parent
        record_reply = getattr(post.record, "reply", None)
        if record_reply is not None and getattr(record_reply, "root", None):
            root = models.ComAtprotoRepoStrongRef.Main(
                uri=record_reply.root.uri, cid=record_reply.root.cid
            )
        language = str(mention.language or "").split("-")[0]
        created = client.send_post(
            _with_link_facets(text),
            profile_identify=sessions[-1].did if sessions else None,
            reply_to=models.AppBskyFeedPost.ReplyRef(parent=parent, root=root),
            langs=[language] if language else None,
        )
    except ReplyError:
        raise
    except UnauthorizedError as exc:
        raise ReplyError(
            "unauthorized",
            "Bluesky refused the handle or app password (HTTP 401). Check the "
            "source's settings. Nothing was posted.",
            detail=_xrpc_detail(exc),
        ) from exc
    except InvokeTimeoutError as exc:
        raise ReplyError(
            "timeout",
            f"Bluesky did not answer within {timeout:g} seconds. Check the "
            "thread before trying again: the reply may have arrived.",
        ) from exc
    except RequestErrorBase as exc:
        response = exc.response
        if response is None:
            if _connector_detail(exc):  # the address check on a request hop
                raise ReplyError(
                    "unreachable",
                    "Bluesky cannot be reached.",
                    detail=_connector_detail(exc),
                ) from exc
            raise ReplyError(
                "unreachable", "Bluesky could not be reached. Nothing was posted."
            ) from exc
        code = "rate_limited" if response.status_code == 429 else "refused"
        raise ReplyError(
            code,
            f"Bluesky refused the reply (HTTP {response.status_code}). "
            "Nothing was posted.",
            detail=_xrpc_detail(exc),
        ) from exc
    except ConnectorError as exc:
        raise ReplyError(
            "unreachable", "Bluesky cannot be reached.", detail=str(exc)
        ) from exc
    except (AtProtocolError, ValueError) as exc:
        raise ReplyError(
            "failed",
            "Posting to Bluesky failed.",
            detail=single_line(str(exc), limit=200),
        ) from exc
    finally:
        request.close()
    reply_uri = str(created.uri)
    reply_match = _POST_URI.match(reply_uri)
    url = ""
    if reply_match:
        url = safe_url(
            f"https://bsky.app/profile/{reply_match.group(1)}/post/"
            f"{reply_match.group(2)}"
        )
    return PostedReply(external_id=reply_uri[:255], url=url)


def _xrpc_detail(exc) -> str:
    content = getattr(exc.response, "content", None)
    message = getattr(content, "message", None) or getattr(content, "error", None)
    return single_line(message, limit=200) if isinstance(message, str) else ""


def _check_request(request: httpx.Request) -> None:
    address_check(str(request.url))


_URL = re.compile(r"https?://[^\s<>\"')]+[^\s<>\"').,;:!?]")


def _with_link_facets(text: str):
    """Bluesky shows a URL as a link only with a "link" facet (byte offsets
    into the text): the invitation and opt-out links must be clickable."""
    from atproto import client_utils

    builder = client_utils.TextBuilder()
    position = 0
    for match in _URL.finditer(text):
        if match.start() > position:
            builder.text(text[position : match.start()])
        builder.link(match.group(0), match.group(0))
        position = match.end()
    if position < len(text):
        builder.text(text[position:])
    return builder
