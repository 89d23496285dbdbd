"""The "qdrant-edge" engine: Qdrant Edge, an in-process Rust shard on disk.

Unlike the embedded `QdrantClient(path=...)` (a pure-Python brute-force scan),
Qdrant Edge keeps an HNSW index for the dense vectors, an inverted index for
the sparse BM25 vectors (with the IDF modifier, see `sparse.py`) and payload
indexes, so a query costs milliseconds at 100k documents. Used through the
`qdrant-edge-py` bindings; see docs/subsystems/duplicate-detection.md.

Each document is one point:

- id: a 63-bit blake2b hash of "kind:object_id" (`point_id`), stable across
  processes and releases;
- vectors: "dense" (MiniLM, 384 dimensions, cosine; absent without the model)
  and "sparse" (BM25 term frequencies);
- payload: `kind`, `object_id`, `text`, the loader's `meta`, and `match`, the
  meta values again as typed keywords ("b:true", "i:3", "s:new") that the
  equality filters match against. The bindings turn a Python bool in
  `MatchValue` into an integer, which never matches a JSON boolean, so
  booleans cannot be matched directly; typed keywords also keep `True` and
  `1` apart.

A query prefetches `CANDIDATES` points from each leg, both filtered inside
Qdrant, and fuses them with Qdrant's reciprocal rank fusion in one call.

The shard takes a lock on its write-ahead log, so only one process may open a
directory, like the embedded client. Calls are serialised with the store lock.
"""

import hashlib
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from haystack import Document

from . import embedding
from .documents import Hit, SemanticDocument
from .sparse import bm25_document_embedding, bm25_query_embedding

DENSE = "dense"
SPARSE = "sparse"
# Candidates per leg handed to the fusion step.
CANDIDATES = 20
# Qdrant's own default for reciprocal rank fusion (the server and the
# "qdrant-*" engines use it too): score = sum of 1 / (k + rank).
RRF_K = 2
# Meta keys that get a payload index; others can still be filtered on, but
# slowly: routing filters answers on "accepted" and the ask form questions on
# "solved" (66 ms unindexed vs 1.4 ms indexed at 3,000 answers;
# docs/performance.md).
INDEXED_META_KEYS = ("visible", "status", "language", "accepted", "solved", "verified")
# Written points in the appendable segment before the optimizer runs (builds
# the HNSW index); `rebuild` optimizes at its end regardless.
OPTIMIZE_EVERY = 5_000
SCROLL_PAGE = 10_000


def point_id(kind: str, object_id: int) -> int:
    """A stable 63-bit point id for "kind:object_id"."""
    digest = hashlib.blake2b(f"{kind}:{object_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") & 0x7FFF_FFFF_FFFF_FFFF


def match_keyword(value: str | int | bool) -> str:
    """A filterable meta value as a typed keyword."""
    if isinstance(value, bool):
        return "b:true" if value else "b:false"
    if isinstance(value, int):
        return f"i:{value}"
    return f"s:{value}"


def _match_payload(meta: dict[str, Any]) -> dict[str, list[str]]:
    match: dict[str, list[str]] = {}
    for key, value in meta.items():
        values = value if isinstance(value, list | tuple) else [value]
        keywords = [
            match_keyword(item) for item in values if isinstance(item, str | int)
        ]
        if keywords:
            match[key] = keywords
    return match


def shard_path(qdrant_path: str, collection: str) -> Path:
    """Next to the embedded client's directory: VAR_DIR/qdrant-edge/<collection>."""
    return Path(f"{str(qdrant_path).rstrip('/')}-edge") / collection


def open_shard(path: Path) -> Any:
    """Load the shard at `path`, or create it there, with its payload indexes."""
    import qdrant_edge as q

    config = q.EdgeConfig(
        vectors={
            DENSE: q.EdgeVectorParams(
                size=embedding.EMBEDDING_DIM, distance=q.Distance.Cosine
            )
        },
        sparse_vectors={SPARSE: q.EdgeSparseVectorParams(modifier=q.Modifier.Idf)},
    )
    if path.is_dir() and any(path.iterdir()):
        shard = q.EdgeShard.load(str(path), None)
    else:
        path.mkdir(parents=True, exist_ok=True)
        try:
            shard = q.EdgeShard.create(str(path), config)
        except Exception as exc:
            if "already contains" not in str(exc):
                raise
            shard = q.EdgeShard.load(str(path), None)
    # Idempotent: an existing index is kept.
    fields = [("kind", q.PayloadSchemaType.Keyword)]
    fields.append(("object_id", q.PayloadSchemaType.Integer))
    fields += [
        (f"match.{key}", q.PayloadSchemaType.Keyword) for key in INDEXED_META_KEYS
    ]
    for field, schema in fields:
        shard.update(q.UpdateOperation.create_field_index(field, schema))
    return shard


def close_shard(shard: Any) -> None:
    shard.flush()
    shard.close()


class EdgeEngine:
    """Same interface as `engine.Engine`, on a Qdrant Edge shard."""

    store_name = "qdrant-edge"

    def __init__(
        self, shard: Any, *, hybrid: bool, lock: threading.RLock, max_chars: int
    ) -> None:
        self.store = shard
        self.hybrid = hybrid
        self.lock = lock
        self.max_chars = max_chars
        self.text_embedder = embedding.text_embedder() if hybrid else None
        self.document_embedder = embedding.document_embedder() if hybrid else None
        self._unoptimized = 0

    # --- writes ---------------------------------------------------------------

    def upsert(self, documents: Sequence[SemanticDocument]) -> None:
        import qdrant_edge as q

        if not documents:
            return
        texts = [doc.text[: self.max_chars] for doc in documents]
        dense: list[list[float] | None] = [None] * len(documents)
        if self.document_embedder is not None:
            embedded = self.document_embedder.run(
                documents=[Document(content=text) for text in texts]
            )["documents"]
            dense = [doc.embedding for doc in embedded]
        points = []
        for doc, text, vector in zip(documents, texts, dense, strict=True):
            sparse = bm25_document_embedding(text)
            vectors: dict[str, Any] = {
                SPARSE: q.SparseVector(sparse.indices, sparse.values)
            }
            if vector is not None:
                vectors[DENSE] = list(vector)
            payload = {
                "kind": doc.kind,
                "object_id": doc.object_id,
                "meta": doc.meta,
                "match": _match_payload(doc.meta),
            }
            points.append(q.Point(point_id(doc.kind, doc.object_id), vectors, payload))
        # Embedding happens outside the lock, so queries wait only for the write.
        with self.lock:
            self.store.update(q.UpdateOperation.upsert_points(points))
            self._unoptimized += len(points)
            if self._unoptimized >= OPTIMIZE_EVERY:
                self.optimize()

    def delete(self, *, kind: str, object_ids: Iterable[int]) -> None:
        import qdrant_edge as q

        ids = [point_id(kind, object_id) for object_id in object_ids]
        if not ids:
            return
        with self.lock:
            self.store.update(q.UpdateOperation.delete_points(ids))

    def optimize(self) -> None:
        """Merge segments and build the HNSW index; blocks until done."""
        with self.lock:
            self.store.optimize()
            self.store.flush()
            self._unoptimized = 0

    # --- reads ----------------------------------------------------------------

    def object_ids(self, *, kind: str) -> set[int]:
        import qdrant_edge as q

        found: set[int] = set()
        offset = None
        kind_filter = q.Filter(
            must=[q.FieldCondition("kind", match=q.MatchValue(kind))]
        )
        with self.lock:
            while True:
                records, offset = self.store.scroll(
                    q.ScrollRequest(
                        offset=offset,
                        limit=SCROLL_PAGE,
                        filter=kind_filter,
                        with_payload=["object_id"],
                        with_vector=False,
                    )
                )
                found.update(int(record.payload["object_id"]) for record in records)
                if offset is None:
                    return found

    def count(self) -> int:
        import qdrant_edge as q

        with self.lock:
            return self.store.count(q.CountRequest(exact=True))

    def search(
        self,
        text: str,
        *,
        kinds: Sequence[str],
        filters: dict[str, Any],
        top_k: int,
    ) -> list[Hit]:
        import qdrant_edge as q

        query_filter = _filter(kinds=kinds, filters=filters)
        depth = max(CANDIDATES, top_k)
        sparse = bm25_query_embedding(text)
        legs = []
        if self.text_embedder is not None:
            vector = self.text_embedder.run(text=text)["embedding"]
            legs.append(q.Query.Nearest(list(vector), using=DENSE))
        if sparse.indices:
            legs.append(
                q.Query.Nearest(
                    q.SparseVector(sparse.indices, sparse.values), using=SPARSE
                )
            )
        if not legs:
            return []
        request = q.QueryRequest(
            limit=top_k,
            prefetches=[
                q.Prefetch(limit=depth, query=leg, filter=query_filter) for leg in legs
            ],
            query=q.Fusion.Rrf(k=RRF_K),
            filter=query_filter,
            with_payload=["kind", "object_id", "meta"],
            with_vector=False,
        )
        with self.lock:
            points = self.store.query(request)
        return [
            Hit(
                kind=point.payload["kind"],
                object_id=int(point.payload["object_id"]),
                score=float(point.score),
                meta=dict(point.payload.get("meta") or {}),
            )
            for point in points[:top_k]
        ]


def _filter(*, kinds: Sequence[str], filters: dict[str, Any]) -> Any:
    """Kinds and equality filters on meta keys (a list means "any of")."""
    import qdrant_edge as q

    must = [q.FieldCondition("kind", match=q.MatchAny(list(kinds)))]
    for key, value in filters.items():
        values = value if isinstance(value, list | tuple | set) else [value]
        must.append(
            q.FieldCondition(
                f"match.{key}",
                match=q.MatchAny([match_keyword(item) for item in values]),
            )
        )
    return q.Filter(must=must)
