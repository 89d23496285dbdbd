"""Which kinds of documents exist, and how to load them.

`portal` never imports the apps (see docs/architecture.md), so each app
registers its kinds from its `AppConfig.ready()`:

    register_kind("idea", loader=ideas.semantic.idea_documents)

A loader receives a list of ids (or None for "all") and yields a
`SemanticDocument` for each id that should be in the index. An id it does not
yield is removed from the index, which is how deletions, unpublishing and
moderation reach the index without a separate code path.
"""

import logging
import re
import threading
from collections.abc import Callable, Iterable, Sequence

from .documents import SemanticDocument

logger = logging.getLogger(__name__)

Loader = Callable[[Sequence[int] | None], Iterable[SemanticDocument]]

# Kinds end up in store document ids ("idea:42") and in filters.
_KIND_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,39}")

_loaders: dict[str, Loader] = {}
_lock = threading.Lock()


def register_kind(kind: str, *, loader: Loader) -> None:
    """Make `kind` indexable and searchable; registering again replaces the loader."""
    if not _KIND_PATTERN.fullmatch(kind):
        raise ValueError(
            f"semantic kind {kind!r} must be lowercase letters, digits and _"
        )
    if not callable(loader):
        raise TypeError(f"the loader for semantic kind {kind!r} is not callable")
    with _lock:
        if kind in _loaders and _loaders[kind] is not loader:
            logger.debug("semantic: replacing the loader of kind %s", kind)
        _loaders[kind] = loader


def unregister_kind(kind: str) -> None:
    """Forget `kind` (its documents stay in the store until removed or rebuilt)."""
    with _lock:
        _loaders.pop(kind, None)


def registered_kinds() -> list[str]:
    with _lock:
        return sorted(_loaders)


def loader_for(kind: str) -> Loader:
    with _lock:
        try:
            return _loaders[kind]
        except KeyError:
            known = ", ".join(sorted(_loaders)) or "none"
            raise LookupError(
                f"semantic kind {kind!r} is not registered (registered: {known})"
            ) from None
