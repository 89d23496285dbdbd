"""Writes to the semantic index: upsert, remove, enqueue on commit, rebuild."""

import json
import logging
from collections.abc import Iterable, Iterator, Sequence, Sized
from itertools import islice
from typing import TYPE_CHECKING

from tqdm import tqdm

from portal.core.outbox import enqueue_call

from .documents import SemanticDocument
from .registry import loader_for, registered_kinds

if TYPE_CHECKING:
    from .engine import Engine

logger = logging.getLogger(__name__)

BATCH_SIZE = 256


def _engine() -> "Engine":
    # Haystack and the Qdrant client take seconds to import; load them on the
    # first index or query call, not when Django starts.
    from . import engine

    return engine.current()


def _batches(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _checked(document: SemanticDocument, *, kind: str) -> SemanticDocument:
    if not isinstance(document, SemanticDocument):
        raise TypeError(
            f"the {kind} loader yielded {type(document).__name__}, "
            "not a SemanticDocument"
        )
    if document.kind != kind:
        raise ValueError(
            f"the {kind} loader yielded a document of kind {document.kind!r}"
        )
    try:
        json.dumps(document.meta)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"meta of {kind}:{document.object_id} is not JSON-serialisable: {exc}"
        ) from exc
    return document


def index_ids(*, kind: str, ids: Sequence[int]) -> None:
    """Bring the index in line with the loader for these ids, synchronously.

    Each id the loader returns is written (overwriting the stored copy); each
    id it does not return, or returns with blank text, is removed. Safe to
    repeat, which is what makes the index task idempotent.
    """
    loader = loader_for(kind)
    wanted = list(dict.fromkeys(int(object_id) for object_id in ids))
    if not wanted:
        return
    engine = _engine()
    for batch in _batches(wanted, BATCH_SIZE):
        requested = set(batch)
        found = {
            document.object_id: document
            for document in (_checked(doc, kind=kind) for doc in loader(batch))
            if document.object_id in requested and document.text.strip()
        }
        engine.upsert(list(found.values()))
        engine.delete(kind=kind, object_ids=requested - found.keys())


def remove(*, kind: str, ids: Sequence[int]) -> None:
    """Remove these documents from the index now, whatever the loader says."""
    object_ids = {int(object_id) for object_id in ids}
    if object_ids:
        _engine().delete(kind=kind, object_ids=object_ids)


def enqueue_index(*, kind: str, object_id: int) -> None:
    """Re-index one document in a worker once the current transaction commits.

    Nothing is queued if the transaction rolls back. The message goes through
    the outbox (portal/core/outbox.py): a broker failure after the commit is
    logged and the sweeper publishes it later; in eager mode an indexing error
    is logged rather than raised (`robust=True`), and `rebuild_semantic_index`
    repairs a missed update.
    """
    from .tasks import index_document  # tasks imports this module

    loader_for(kind)  # an unregistered kind fails here, in the caller's code
    enqueue_call(index_document, args=[kind, int(object_id)], robust=True)


def rebuild(
    *, kinds: Sequence[str] | None = None, progress: bool = False
) -> dict[str, int]:
    """Re-index every document of these kinds (default: all registered kinds).

    Documents are loaded and written in batches and overwrite their stored
    copies, so searches keep working during a rebuild; documents of the kind
    that the loader no longer returns are removed at the end. Returns the
    number of documents indexed per kind.
    """
    if isinstance(kinds, str):
        raise TypeError("kinds must be a list of kinds, not a string")
    selected = list(dict.fromkeys(kinds)) if kinds is not None else registered_kinds()
    loaders = {kind: loader_for(kind) for kind in selected}
    engine = _engine()
    counts: dict[str, int] = {}
    for kind, loader in loaders.items():
        before = engine.object_ids(kind=kind)
        seen: set[int] = set()
        documents = loader(None)
        total = len(documents) if isinstance(documents, Sized) else None
        with tqdm(
            total=total, desc=kind, unit="doc", disable=not progress, leave=True
        ) as bar:
            for batch in _batches(documents, BATCH_SIZE):
                keep = [
                    doc
                    for doc in (_checked(doc, kind=kind) for doc in batch)
                    if doc.text.strip() and doc.object_id not in seen
                ]
                engine.upsert(keep)
                seen.update(doc.object_id for doc in keep)
                bar.update(len(batch))
        engine.delete(kind=kind, object_ids=before - seen)
        counts[kind] = len(seen)
        logger.info("semantic: rebuilt %s: %d documents", kind, len(seen))
    # Build the indexes (HNSW for "qdrant-edge") once, after all the writes.
    engine.optimize()
    return counts
