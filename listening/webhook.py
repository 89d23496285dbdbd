"""The listening webhook: other systems push mentions to a Source of kind
"webhook" at POST /hooks/listening/<source_id>/.

Server to server, so there is no session and no CSRF token: each delivery is
authenticated by an HMAC-SHA256 signature made with the source's secret, which
staff set in the admin (Listening → Sources → the source's settings:
``{"secret": "<a long random string>"}``). The sender signs
``f"{timestamp}.{body}"`` (the raw body bytes) and sends

    X-Seed-Timestamp: <unix seconds>
    X-Seed-Signature: sha256=<hex digest>

A timestamp more than five minutes away from our clock is refused, so a
captured delivery cannot be replayed later; within the window a replay stores
nothing new, because mentions are unique per (source, external id).

Body: ``{"mentions": [{"id", "text", "url", "author", "author_name",
"author_url", "followers", "language", "posted_at"}, ...]}``, at most 500
mentions and 1 MB. Every item is checked on its own: good items are stored
(when a tracker matches), bad ones come back with their index and a reason.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from datetime import UTC, datetime

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import services
from .connectors.base import (
    RawMention,
    language_tag,
    mention_text,
    safe_url,
    single_line,
    stable_external_id,
)
from .models import Source, SourceKind

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
MAX_MENTIONS = 500
# How far the sender's clock may be from ours, either way (replay window).
MAX_SKEW_SECONDS = 5 * 60
SIGNATURE_HEADER = "X-Seed-Signature"
TIMESTAMP_HEADER = "X-Seed-Timestamp"
SIGNATURE_PREFIX = "sha256="
# The sender's own id, kept in `raw` even when external_id had to be hashed.
MAX_RAW_ID_CHARS = 1000
# Mention.author_followers is a PositiveIntegerField.
MAX_FOLLOWERS = 2**31 - 1
ITEM_FIELDS = (
    "id",
    "text",
    "url",
    "author",
    "author_name",
    "author_url",
    "followers",
    "language",
    "posted_at",
)


def webhook_sign(*, secret: str, timestamp: str, body: bytes) -> str:
    """The X-Seed-Signature value for a delivery (senders and tests use it)."""
    message = timestamp.encode("ascii") + b"." + body
    digest = hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def webhook_signature_valid(
    *,
    secret: str,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    now: float | None = None,
) -> bool:
    """True when the signature matches and the timestamp is fresh."""
    if not secret or not timestamp or not signature:
        return False
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        return False
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > MAX_SKEW_SECONDS:
        return False
    expected = webhook_sign(secret=secret, timestamp=timestamp, body=body)
    # Constant-time comparison, so timing does not leak the expected digest.
    return hmac.compare_digest(
        expected.encode("ascii"), signature.strip().encode("utf-8", "replace")
    )


def webhook_items_parse(
    items: list,
) -> tuple[list[RawMention], list[dict[str, int | str]]]:
    """Check each pushed item; return the good ones and {index, reason} for
    the rest. Text is cleaned the way every connector cleans it (no markup,
    no control or bidi characters)."""
    good: list[RawMention] = []
    rejected: list[dict[str, int | str]] = []
    first_index: dict[str, int] = {}
    for index, item in enumerate(items):
        try:
            mention = _item_parse(item)
        except ValueError as exc:
            rejected.append({"index": index, "reason": str(exc)})
            continue
        if mention.external_id in first_index:
            rejected.append(
                {
                    "index": index,
                    "reason": _("Same id as item %(index)d in this delivery.")
                    % {"index": first_index[mention.external_id]},
                }
            )
            continue
        first_index[mention.external_id] = index
        good.append(mention)
    return good, rejected


def _item_parse(item: object) -> RawMention:
    if not isinstance(item, dict):
        raise ValueError(_("Not an object."))
    raw_id = item.get("id")
    if isinstance(raw_id, bool) or not isinstance(raw_id, str | int):
        raise ValueError(_("“id” is required and must be a string or a number."))
    external_id = stable_external_id(str(raw_id))
    if not external_id:
        raise ValueError(_("“id” is empty."))
    text = item.get("text")
    if not isinstance(text, str):
        raise ValueError(_("“text” is required and must be a string."))
    text = mention_text(text)
    if not text:
        raise ValueError(_("“text” has no text once markup is removed."))
    url = _url(item, "url")
    author_url = _url(item, "author_url")
    author = _string(item, "author")
    author_name = _string(item, "author_name")
    followers = item.get("followers")
    if followers is not None and (
        isinstance(followers, bool)
        or not isinstance(followers, int)
        or not 0 <= followers <= MAX_FOLLOWERS
    ):
        raise ValueError(_("“followers” must be a whole number, 0 or more."))
    language = _string(item, "language")
    if language and not language_tag(language):
        raise ValueError(_("“language” must be a language code such as “nl”."))
    return RawMention(
        external_id=external_id,
        text=text,
        url=url,
        author_handle=single_line(author),
        author_name=single_line(author_name),
        author_url=author_url,
        author_followers=followers,
        posted_at=_posted_at(item),
        language=language_tag(language),
        # Only what is needed to trace the mention back to the sender's record.
        raw={"id": str(raw_id)[:MAX_RAW_ID_CHARS]},
    )


def _string(item: dict, key: str) -> str:
    value = item.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(_("“%(field)s” must be a string.") % {"field": key})
    return value


def _url(item: dict, key: str) -> str:
    value = _string(item, key)
    if value and not safe_url(value):
        raise ValueError(
            _("“%(field)s” must be an http or https address.") % {"field": key}
        )
    return safe_url(value)


def _posted_at(item: dict) -> datetime | None:
    value = _string(item, "posted_at")
    if not value:
        return None
    try:
        posted_at = datetime.fromisoformat(value.strip())
    except ValueError:
        posted_at = None
    if posted_at is None or posted_at.tzinfo is None:
        raise ValueError(_("“posted_at” must be an ISO 8601 time with a time zone."))
    return posted_at.astimezone(UTC)


def _error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"detail": message}, status=status)


@csrf_exempt  # Server to server: the HMAC signature is the authentication.
@require_POST
def webhook_receive(request: HttpRequest, source_id: int) -> JsonResponse:
    source = Source.objects.filter(
        pk=source_id, kind=SourceKind.WEBHOOK, enabled=True
    ).first()
    if source is None:
        return _error(_("No such webhook."), 404)
    # Refuse by the declared size before reading anything.
    try:
        declared = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES:
        return _error(_("The body is larger than 1 MB."), 413)
    body = request.body
    if len(body) > MAX_BODY_BYTES:
        return _error(_("The body is larger than 1 MB."), 413)
    secret = source.config.get("secret") if isinstance(source.config, dict) else None
    if not isinstance(secret, str) or not secret:
        logger.warning("listening: webhook source %s has no secret", source.pk)
        secret = ""  # nosec B105 - empty: the check below refuses it
    if not webhook_signature_valid(
        secret=secret,
        timestamp=request.headers.get(TIMESTAMP_HEADER),
        signature=request.headers.get(SIGNATURE_HEADER),
        body=body,
    ):
        response = _error(_("Missing, wrong or expired signature."), 401)
        response["WWW-Authenticate"] = 'HMAC-SHA256 realm="listening-webhook"'
        return response
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return _error(_("The body is not valid JSON (UTF-8)."), 400)
    if not isinstance(payload, dict) or not isinstance(payload.get("mentions"), list):
        return _error(_("Send an object with a “mentions” list."), 400)
    items = payload["mentions"]
    if len(items) > MAX_MENTIONS:
        return _error(
            _("At most %(max)d mentions per delivery.") % {"max": MAX_MENTIONS}, 400
        )
    good, rejected = webhook_items_parse(items)
    counts = services.mention_upsert_batch(source=source, raw_mentions=good)
    return JsonResponse({**counts, "rejected": rejected})
