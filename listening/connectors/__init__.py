"""Listening connectors: one module per network behind one small interface.

`connector_for(kind)` returns the connector for a `Source.kind`; the poll task
calls `fetch(url=..., config=..., cursor=...)` and stores what comes back.

Network modules are imported on first use: their client libraries (atproto,
praw, Mastodon.py) cost time and memory that a web process or an import
worker that never polls that network should not pay.
"""

from importlib import import_module

from .base import (
    Connector,
    ConnectorError,
    FetchResult,
    RateLimited,
    RawMention,
    mention_text,
)

__all__ = [
    "BlueskyConnector",
    "Connector",
    "ConnectorError",
    "FetchResult",
    "MastodonConnector",
    "RateLimited",
    "RawMention",
    "RedditConnector",
    "RssConnector",
    "XConnector",
    "connector_for",
    "mention_text",
]

# Source.kind → (module, class).
_CONNECTORS: dict[str, tuple[str, str]] = {
    "rss": ("rss", "RssConnector"),
    "mastodon": ("mastodon", "MastodonConnector"),
    "bluesky": ("bluesky", "BlueskyConnector"),
    "reddit": ("reddit", "RedditConnector"),
    "x": ("x", "XConnector"),
}
_CLASSES = {name: module for module, name in _CONNECTORS.values()}


def _load(module: str, name: str) -> type:
    return getattr(import_module(f"{__name__}.{module}"), name)


def __getattr__(name: str):
    if name in _CLASSES:
        return _load(_CLASSES[name], name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def connector_for(kind: str) -> Connector:
    """The connector for a source kind; KeyError for an unknown kind."""
    try:
        module, name = _CONNECTORS[kind]
    except KeyError:
        raise KeyError(f"no connector for source kind {kind!r}") from None
    return _load(module, name)()
