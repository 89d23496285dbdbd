"""Reads from the semantic index."""

import re
from collections.abc import Iterable, Sequence
from typing import Any

from .documents import Hit
from .registry import loader_for

# Enough for a title and a paragraph; the model reads 256 word pieces at most,
# and a longer query only makes the BM25 leg slower.
MAX_QUERY_CHARS = 1_000
MAX_K = 100
_META_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _validated_filters(filters: dict[str, Any] | None) -> dict[str, Any] | None:
    """Check the filters; None means they can match nothing (an empty list)."""
    checked: dict[str, Any] = {}
    for key, value in (filters or {}).items():
        if not isinstance(key, str) or not _META_KEY.fullmatch(key):
            raise ValueError(f"filter key {key!r} is not a meta key name")
        if key in {"kind", "object_id"}:
            raise ValueError(f"filter on {key!r} with kinds= and exclude= instead")
        values = list(value) if isinstance(value, list | tuple | set) else [value]
        for item in values:
            # Qdrant matches keywords, integers and booleans exactly, not floats.
            if not isinstance(item, str | int | bool):
                raise TypeError(
                    f"filter {key!r}: values must be str, int or bool, not {item!r}"
                )
        if isinstance(value, list | tuple | set) and not values:
            return None
        checked[key] = values if isinstance(value, list | tuple | set) else value
    return checked


def similar(
    text: str,
    *,
    kinds: Sequence[str],
    k: int = 5,
    filters: dict[str, Any] | None = None,
    exclude: Iterable[tuple[str, int]] = (),
) -> list[Hit]:
    """The `k` documents of these kinds that best match `text`, best first.

    Hybrid retrieval: BM25 and all-MiniLM-L6-v2 embeddings, fused by reciprocal
    rank (BM25 alone if the model is unavailable). `filters` are equality
    filters on meta keys; a list value means "any of", so
    `{"visible": True, "status": ["new", "planned"]}`. `exclude` drops
    documents by (kind, object_id), such as the idea being edited.
    """
    if isinstance(kinds, str):
        raise TypeError("kinds must be a list of kinds, not a string")
    if k < 1:
        raise ValueError("k must be at least 1")
    query = " ".join(text.split())[:MAX_QUERY_CHARS] if text else ""
    if not query or not kinds:
        return []
    for kind in kinds:
        loader_for(kind)  # unknown kinds are a programming error
    checked_filters = _validated_filters(filters)
    if checked_filters is None:
        return []
    excluded = {(kind, int(object_id)) for kind, object_id in exclude}
    k = min(k, MAX_K)

    from . import engine  # heavy imports; see services._engine

    hits = engine.current().search(
        query,
        kinds=list(dict.fromkeys(kinds)),
        filters=checked_filters,
        top_k=k + len(excluded),
    )
    return [hit for hit in hits if (hit.kind, hit.object_id) not in excluded][:k]
