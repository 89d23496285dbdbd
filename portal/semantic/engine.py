"""The document store and the Haystack pipelines: the one module that knows them.

`settings.SEMANTIC_STORE` picks the engine:

- "memory": Haystack's `InMemoryDocumentStore`; BM25 and embedding retrievers
  joined by `DocumentJoiner` with reciprocal rank fusion. Tests use it.
- "qdrant-memory", "qdrant-path", "qdrant-server": `QdrantDocumentStore` (an
  in-process collection, an embedded store on `QDRANT_PATH`, or the server at
  `QDRANT_URL`) with a dense vector (MiniLM, 384 dimensions, cosine) and a sparse
  BM25 vector per document (see `sparse.py`). `QdrantHybridRetriever` fuses the
  two with reciprocal rank fusion inside Qdrant, in one round trip.
- "qdrant-edge": Qdrant Edge, an in-process Rust shard next to `QDRANT_PATH`
  with HNSW, sparse and payload indexes, queried directly rather than through
  Haystack; see `edge.py`. Like "qdrant-path", one process at a time.

Each process opens its store once, lazily: the embedded Qdrant takes a file
lock, so only one process may hold `QDRANT_PATH` (use a server as soon as web
and worker are separate processes). The in-process stores are not safe for
concurrent writes and reads, so calls on them are serialised with a lock; the
server client is thread-safe and is not.

Without the embedding model (see `embedding.py`) the same store is used with
its BM25 leg alone: documents are written without a dense vector and queries
run only the keyword retriever.
"""

import contextlib
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from haystack import Document, Pipeline
from haystack.components.joiners import DocumentJoiner
from haystack.components.retrievers.in_memory import (
    InMemoryBM25Retriever,
    InMemoryEmbeddingRetriever,
)
from haystack.document_stores.in_memory import InMemoryDocumentStore
from haystack.document_stores.types import DuplicatePolicy

from . import edge, embedding
from .documents import Hit, SemanticDocument
from .sparse import TOKEN_PATTERN, BM25SparseDocumentEmbedder, BM25SparseTextEmbedder

STORES = ("memory", "qdrant-memory", "qdrant-path", "qdrant-edge", "qdrant-server")
DEFAULT_COLLECTION = "semantic"
# Keys that `portal.semantic` sets on every stored document.
RESERVED_META = frozenset({"kind", "object_id"})
# Candidates each retriever hands to the fusion step. Qdrant's hybrid query
# uses its default prefetch limit, 10, per leg; the in-memory pipeline matches.
MIN_CANDIDATES = 10
# Longer documents add nothing: the model reads 256 word pieces, and ideas and
# answers that long are rare. The cap keeps BM25 statistics and payloads sane.
MAX_DOCUMENT_CHARS = 10_000
# Payload indexes that make filtered search fast on a Qdrant server (the
# embedded store scans everything and ignores them).
QDRANT_PAYLOAD_INDEXES = [
    {"field_name": "meta.kind", "field_schema": "keyword"},
    {"field_name": "meta.object_id", "field_schema": "integer"},
    {"field_name": "meta.visible", "field_schema": "bool"},
    {"field_name": "meta.status", "field_schema": "keyword"},
    {"field_name": "meta.language", "field_schema": "keyword"},
    {"field_name": "meta.accepted", "field_schema": "bool"},
    {"field_name": "meta.solved", "field_schema": "bool"},
    {"field_name": "meta.verified", "field_schema": "bool"},
]


def document_id(kind: str, object_id: int) -> str:
    """The stable id of a document in every store: "idea:42"."""
    return f"{kind}:{object_id}"


@dataclass
class Engine:
    """One store with its query and indexing pipelines."""

    store_name: str
    store: Any
    hybrid: bool
    query_pipeline: Pipeline
    # Adds the vectors; empty for the in-memory store without the model.
    embedding_pipeline: Pipeline
    embedding_stages: list[str]
    lock: contextlib.AbstractContextManager

    def upsert(self, documents: Sequence[SemanticDocument]) -> None:
        if not documents:
            return
        haystack_documents = [
            Document(
                id=document_id(doc.kind, doc.object_id),
                content=doc.text[:MAX_DOCUMENT_CHARS],
                meta={**doc.meta, "kind": doc.kind, "object_id": doc.object_id},
            )
            for doc in documents
        ]
        if self.embedding_stages:
            first, last = self.embedding_stages[0], self.embedding_stages[-1]
            result = self.embedding_pipeline.run(
                {first: {"documents": haystack_documents}}
            )
            haystack_documents = result[last]["documents"]
        # Embedding happens outside the lock, so queries wait only for the write.
        with self.lock:
            self.store.write_documents(
                haystack_documents, policy=DuplicatePolicy.OVERWRITE
            )

    def optimize(self) -> None:
        """Nothing to do: these stores keep no index that needs building."""

    def delete(self, *, kind: str, object_ids: Iterable[int]) -> None:
        ids = [document_id(kind, object_id) for object_id in object_ids]
        if not ids:
            return
        with self.lock:
            self.store.delete_documents(ids)

    def object_ids(self, *, kind: str) -> set[int]:
        """Ids of the documents of `kind` that are in the store now."""
        with self.lock:
            documents = self.store.filter_documents(
                filters={"field": "meta.kind", "operator": "==", "value": kind}
            )
        return {int(doc.meta["object_id"]) for doc in documents}

    def count(self) -> int:
        with self.lock:
            return self.store.count_documents()

    def search(
        self,
        text: str,
        *,
        kinds: Sequence[str],
        filters: dict[str, Any],
        top_k: int,
    ) -> list[Hit]:
        haystack_filters = _haystack_filters(kinds=kinds, filters=filters)
        depth = max(MIN_CANDIDATES, top_k)
        if self.store_name == "memory":
            data: dict[str, dict[str, Any]] = {
                "bm25": {"query": text, "filters": haystack_filters, "top_k": depth}
            }
            if self.hybrid:
                data["text_embedder"] = {"text": text}
                data["dense"] = {"filters": haystack_filters, "top_k": depth}
                data["joiner"] = {"top_k": top_k}
            output_of = "joiner" if self.hybrid else "bm25"
        else:
            data = {
                "sparse_embedder": {"text": text},
                "retriever": {"filters": haystack_filters, "top_k": top_k},
            }
            if self.hybrid:
                data["text_embedder"] = {"text": text}
            output_of = "retriever"
        with self.lock:
            result = self.query_pipeline.run(data)
        documents = result[output_of]["documents"][:top_k]
        return [_hit(doc) for doc in documents]


def _hit(doc: Document) -> Hit:
    meta = {key: value for key, value in doc.meta.items() if key not in RESERVED_META}
    return Hit(
        kind=doc.meta["kind"],
        object_id=int(doc.meta["object_id"]),
        score=float(doc.score or 0.0),
        meta=meta,
    )


def _haystack_filters(*, kinds: Sequence[str], filters: dict[str, Any]) -> dict:
    """Equality filters on meta keys (a list means "any of") in Haystack syntax.

    https://docs.haystack.deepset.ai/docs/metadata-filtering; both stores
    translate the same dictionary.
    """
    conditions: list[dict[str, Any]] = [
        {"field": "meta.kind", "operator": "in", "value": list(kinds)}
    ]
    for key, value in filters.items():
        if isinstance(value, list | tuple | set | frozenset):
            conditions.append(
                {"field": f"meta.{key}", "operator": "in", "value": list(value)}
            )
        else:
            conditions.append(
                {"field": f"meta.{key}", "operator": "==", "value": value}
            )
    return {"operator": "AND", "conditions": conditions}


# --- one store per process ----------------------------------------------------

_lock = threading.RLock()
# Serialises every call on an in-process store (memory, embedded Qdrant).
_local_store_lock = threading.RLock()
_no_lock = contextlib.nullcontext()
_store: tuple[tuple, Any] | None = None
_engines: dict[tuple[tuple, bool], "Engine | edge.EdgeEngine"] = {}


def _store_key() -> tuple:
    name = getattr(settings, "SEMANTIC_STORE", "memory")
    collection = getattr(settings, "SEMANTIC_COLLECTION", DEFAULT_COLLECTION)
    if name == "memory":
        return (name,)
    if name == "qdrant-memory":
        return (name, collection)
    if name == "qdrant-path":
        return (name, collection, str(settings.QDRANT_PATH))
    if name == "qdrant-edge":
        return (name, collection, str(settings.QDRANT_PATH))
    if name == "qdrant-server":
        if not getattr(settings, "QDRANT_URL", ""):
            raise ImproperlyConfigured(
                'SEMANTIC_STORE "qdrant-server" needs QDRANT_URL'
            )
        return (name, collection, settings.QDRANT_URL)
    raise ImproperlyConfigured(
        f"SEMANTIC_STORE must be one of {', '.join(STORES)}, not {name!r}"
    )


def _open_store(key: tuple) -> Any:
    name = key[0]
    if name == "qdrant-edge":
        return edge.open_shard(edge.shard_path(key[2], key[1]))
    if name == "memory":
        return InMemoryDocumentStore(
            bm25_tokenization_regex=TOKEN_PATTERN,
            embedding_similarity_function="cosine",
        )

    from haystack_integrations.document_stores.qdrant import QdrantDocumentStore

    options: dict[str, Any] = {
        "index": key[1],
        "embedding_dim": embedding.EMBEDDING_DIM,
        "similarity": "cosine",
        "use_sparse_embeddings": True,
        # Qdrant keeps document frequencies and applies IDF to the sparse leg.
        "sparse_idf": True,
        "progress_bar": False,
        "recreate_index": False,
    }
    if name == "qdrant-memory":
        options["location"] = ":memory:"
    elif name == "qdrant-path":
        Path(key[2]).mkdir(parents=True, exist_ok=True)
        options["path"] = key[2]
    else:
        options["url"] = key[2]
        options["timeout"] = 10
        options["payload_fields_to_index"] = QDRANT_PAYLOAD_INDEXES
    if name != "qdrant-server":
        # Created in one thread, used from request and task threads; every call
        # goes through `_local_store_lock`, which is what SQLite needs.
        options["force_disable_check_same_thread"] = True
    store = QdrantDocumentStore(**options)
    # Connect (and create the collection) now rather than on the first query.
    store.count_documents()
    return store


def _close(store: Any) -> None:
    if type(store).__name__ == "EdgeShard":
        edge.close_shard(store)
        return
    close = getattr(store, "close", None)
    if close is not None:
        close()


def _build(name: str, store: Any, hybrid: bool) -> "Engine | edge.EdgeEngine":
    if name == "qdrant-edge":
        return edge.EdgeEngine(
            store, hybrid=hybrid, lock=_local_store_lock, max_chars=MAX_DOCUMENT_CHARS
        )
    query = Pipeline()
    embed = Pipeline()
    if name == "memory":
        query.add_component("bm25", InMemoryBM25Retriever(document_store=store))
        if hybrid:
            query.add_component("text_embedder", embedding.text_embedder())
            query.add_component(
                "dense", InMemoryEmbeddingRetriever(document_store=store)
            )
            query.add_component(
                "joiner", DocumentJoiner(join_mode="reciprocal_rank_fusion")
            )
            query.connect("text_embedder.embedding", "dense.query_embedding")
            query.connect("bm25.documents", "joiner.documents")
            query.connect("dense.documents", "joiner.documents")
    else:
        from haystack_integrations.components.retrievers.qdrant import (
            QdrantHybridRetriever,
            QdrantSparseEmbeddingRetriever,
        )

        query.add_component("sparse_embedder", BM25SparseTextEmbedder())
        if hybrid:
            query.add_component("text_embedder", embedding.text_embedder())
            query.add_component(
                "retriever", QdrantHybridRetriever(document_store=store)
            )
            query.connect("text_embedder.embedding", "retriever.query_embedding")
            query.connect(
                "sparse_embedder.sparse_embedding", "retriever.query_sparse_embedding"
            )
        else:
            query.add_component(
                "retriever", QdrantSparseEmbeddingRetriever(document_store=store)
            )
            query.connect(
                "sparse_embedder.sparse_embedding", "retriever.query_sparse_embedding"
            )

    stages = []
    if name != "memory":
        embed.add_component("sparse_embedder", BM25SparseDocumentEmbedder())
        stages.append("sparse_embedder")
    if hybrid:
        embed.add_component("document_embedder", embedding.document_embedder())
        stages.append("document_embedder")
    for before, after in zip(stages, stages[1:], strict=False):
        embed.connect(f"{before}.documents", f"{after}.documents")

    lock = _no_lock if name == "qdrant-server" else _local_store_lock
    return Engine(
        store_name=name,
        store=store,
        hybrid=hybrid,
        query_pipeline=query,
        embedding_pipeline=embed,
        embedding_stages=stages,
        lock=lock,
    )


def current() -> "Engine | edge.EdgeEngine":
    """The engine for the configured store; opens it on first use."""
    global _store
    key = _store_key()
    # Outside `_lock`: the first load imports torch and takes seconds.
    hybrid = embedding.model_available()
    with _lock:
        if _store is None or _store[0] != key:
            if _store is not None:
                _close(_store[1])
            _engines.clear()
            _store = (key, _open_store(key))
        engine = _engines.get((key, hybrid))
        if engine is None:
            engine = _build(key[0], _store[1], hybrid)
            _engines[(key, hybrid)] = engine
        return engine


def reset_store() -> None:
    """Close and forget this process's store and pipelines (tests, benchmarks).

    The next call opens a fresh, empty store for the in-memory engines.
    """
    global _store
    with _lock:
        if _store is not None:
            _close(_store[1])
        _store = None
        _engines.clear()
