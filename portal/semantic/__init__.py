"""Semantic search for the whole portal: hybrid retrieval behind one small API.

Apps register kinds of documents with a loader (`register_kind`), keep the
index current with `enqueue_index` after their writes, and query it with
`similar`. See docs/subsystems/duplicate-detection.md.

Only the registry and the value types are imported eagerly. Haystack, the
Qdrant client and torch load on the first index or query call.
"""

import os

# Nothing in this package may reach the network: the model ships in a package,
# and Haystack would otherwise send usage telemetry. These must be set before
# haystack or huggingface_hub are first imported, since both read them then.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")

from .documents import Hit, SemanticDocument  # noqa: E402
from .registry import register_kind, registered_kinds, unregister_kind  # noqa: E402
from .selectors import similar  # noqa: E402
from .services import enqueue_index, index_ids, rebuild, remove  # noqa: E402


def reset_store() -> None:
    """Drop this process's store and pipelines; the in-memory stores start empty."""
    from .engine import reset_store as engine_reset_store

    engine_reset_store()


__all__ = [
    "Hit",
    "SemanticDocument",
    "enqueue_index",
    "index_ids",
    "rebuild",
    "register_kind",
    "registered_kinds",
    "remove",
    "reset_store",
    "similar",
    "unregister_kind",
]
