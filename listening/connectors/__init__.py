"""Listening connectors: one module per network behind one small interface.

`connector_for(kind)` returns the connector for a `Source.kind`; the poll task
calls `fetch(url=..., config=..., cursor=...)` and stores what comes back.
"""

from collections.abc import Callable

from .base import (
    Connector,
    ConnectorError,
    FetchResult,
    RateLimited,
    RawMention,
    mention_text,
)
from .mastodon import MastodonConnector
from .rss import RssConnector

__all__ = [
    "Connector",
    "ConnectorError",
    "FetchResult",
    "MastodonConnector",
    "RateLimited",
    "RawMention",
    "RssConnector",
    "connector_for",
    "mention_text",
]

_CONNECTORS: dict[str, Callable[[], Connector]] = {
    RssConnector.kind: RssConnector,
    MastodonConnector.kind: MastodonConnector,
}


def connector_for(kind: str) -> Connector:
    """The connector for a source kind; KeyError for an unknown kind."""
    try:
        factory = _CONNECTORS[kind]
    except KeyError:
        raise KeyError(f"no connector for source kind {kind!r}") from None
    return factory()
