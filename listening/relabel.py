"""Relabel mentions with the few-shot classifier that staff corrections teach.

The examples are the latest correction per mention and field
(`MentionCorrection`), embedded with the packaged MiniLM
(`portal.semantic.embedding`). For every mention to relabel, the rules run
again (they are cheap and pure) and the few-shot vote
(`enrichment/fewshot.py`) overrides the rule label only when it is confident;
otherwise the rule label stays. A label staff corrected is never touched: the
check is repeated under a row lock right before writing, because a correction
can land while a batch is being embedded.

Embedding is slow next to the rules (a few milliseconds a post), so it never
runs in the import itself: `mention_upsert_batch` enqueues
`listening.relabel_mentions` for the new rows once a field has
`LISTENING_FEWSHOT_MIN_EXAMPLES` corrections, and new corrections enqueue
`listening.relabel_recent` (debounced) for the recent uncorrected mentions.
Everything here is idempotent: the same input gives the same labels, and rows
whose labels did not change are not written.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from portal.core.outbox import enqueue, enqueue_call

from .enrichment.fewshot import (
    TUNED,
    Examples,
    KnnParams,
    Vote,
    examples_from,
    knn_votes,
    label_with_fewshot,
    normalised,
    sentiment_score_for_label,
)
from .enrichment.intent import intent_detect
from .enrichment.sentiment import sentiment_analyse
from .models import CorrectionField, Intent, Mention, MentionCorrection, SentimentLabel

logger = logging.getLogger(__name__)

FIELDS = (CorrectionField.INTENT.value, CorrectionField.SENTIMENT.value)
VALID = {
    CorrectionField.INTENT.value: frozenset(Intent.values),
    CorrectionField.SENTIMENT.value: frozenset(SentimentLabel.values),
}
BATCH_SIZE = 256
# The newest corrected mentions per field that serve as examples.
MAX_EXAMPLES = 5000
# MiniLM reads at most 256 word pieces; longer text only costs time.
TEXT_MAX_CHARS = 2000
COUNTS_KEY = "listening:fewshot:counts"
COUNTS_TTL = 300
RECENT_KEY = "listening:fewshot:relabel-recent"
RECENT_DELAY = 60  # seconds: a burst of corrections triggers one run

_lock = threading.Lock()
# Embeddings of corrected texts by correction id (a newer correction of the
# same mention has a new id) and text, for the model they were made with.
_example_vectors: dict[tuple[int, str], np.ndarray] = {}
_example_model: list[str] = []
_embedders: dict[str, object] = {}


@dataclass(frozen=True)
class CorrectionExample:
    correction_id: int
    mention_id: int
    text: str
    language: str
    label: str

    @property
    def cache_key(self) -> tuple[int, str]:
        return (self.correction_id, self.text)


def fewshot_params(field: str) -> KnnParams:
    return replace(TUNED[field], min_examples=settings.LISTENING_FEWSHOT_MIN_EXAMPLES)


def _correction_counts() -> dict[str, int]:
    counts = cache.get(COUNTS_KEY)
    if counts is None:
        counts = dict(
            MentionCorrection.objects.order_by()
            .values_list("field")
            .annotate(n=Count("mention_id", distinct=True))
        )
        cache.set(COUNTS_KEY, counts, COUNTS_TTL)
    return counts


def fewshot_counts_forget() -> None:
    """Called after a new correction, so readiness is counted afresh."""
    cache.delete(COUNTS_KEY)


def fewshot_fields_ready() -> list[str]:
    """Fields with enough corrected mentions to vote (cached: one cheap query
    at most every few minutes, so the import can ask on every batch)."""
    counts = _correction_counts()
    minimum = max(settings.LISTENING_FEWSHOT_MIN_EXAMPLES, 1)
    return [field for field in FIELDS if counts.get(field, 0) >= minimum]


def corrections_latest(*, field: str) -> list[CorrectionExample]:
    """The latest correction per mention for `field`, newest first."""
    rows = (
        MentionCorrection.objects.filter(field=field)
        .order_by("-created_at", "-pk")
        .values_list("pk", "mention_id", "value", "mention__text", "mention__language")[
            : MAX_EXAMPLES * 4
        ]
    )
    seen: set[int] = set()
    examples = []
    for pk, mention_id, value, text, language in rows:
        if mention_id in seen:
            continue
        seen.add(mention_id)
        if value in VALID[field] and text:
            examples.append(
                CorrectionExample(pk, mention_id, text, language or "", value)
            )
        if len(examples) >= MAX_EXAMPLES:
            break
    return examples


def _document_embedder():
    from portal.semantic import embedding

    key = embedding.model_path()
    with _lock:
        if key not in _embedders:
            _embedders.clear()
            _embedders[key] = embedding.document_embedder()
        return _embedders[key]


def texts_embed(texts: Sequence[str]) -> np.ndarray:
    """Unit-length MiniLM vectors, one row per text (the model must load:
    check `portal.semantic.embedding.model_available()` first)."""
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    from haystack import Document

    documents = [Document(content=(t or " ")[:TEXT_MAX_CHARS]) for t in texts]
    embedded = _document_embedder().run(documents=documents)["documents"]
    return normalised([d.embedding for d in embedded])


def examples_embed(examples: Sequence[CorrectionExample]) -> Examples:
    """The examples as vectors, embedding only those not seen before in this
    process (cached by correction id)."""
    from portal.semantic import embedding

    key = embedding.model_path()
    with _lock:
        if _example_model != [key]:
            _example_vectors.clear()
            _example_model[:] = [key]
        missing = [e for e in examples if e.cache_key not in _example_vectors]
    if missing:
        vectors = texts_embed([e.text for e in missing])
        with _lock:
            for example, vector in zip(missing, vectors, strict=True):
                _example_vectors[example.cache_key] = vector
    with _lock:
        vectors = [_example_vectors[e.cache_key] for e in examples]
        if len(_example_vectors) > 4 * MAX_EXAMPLES:
            # Mostly superseded corrections by now: start again next time.
            _example_vectors.clear()
    return examples_from(
        np.vstack(vectors) if vectors else np.zeros((0, 384), dtype=np.float32),
        [e.label for e in examples],
        [e.language for e in examples],
    )


def examples_cache_clear() -> None:
    with _lock:
        _example_vectors.clear()
        _example_model.clear()


def _chunks(ids: Sequence[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


def _intent_values(mention: Mention, vote: Vote | None) -> dict:
    rule = intent_detect(mention.text, language=mention.language)
    label, by_vote = label_with_fewshot(
        rule.label,
        vote,
        rule_strength=rule.confidence,
        params=fewshot_params(CorrectionField.INTENT),
    )
    confidence = vote.confidence if by_vote and vote is not None else rule.confidence
    return {
        "intent": label,
        "intent_confidence": round(confidence, 3),
        "is_lead": rule.is_lead or label == Intent.LEAD,
    }


def _sentiment_values(mention: Mention, vote: Vote | None) -> dict:
    rule = sentiment_analyse(mention.text, language=mention.language)
    label, _ = label_with_fewshot(
        rule.label,
        vote,
        rule_strength=abs(rule.score),
        params=fewshot_params(CorrectionField.SENTIMENT),
    )
    return {
        "sentiment_label": label,
        "sentiment_score": round(sentiment_score_for_label(label, rule.score), 4),
    }


UPDATED_FIELDS = {
    CorrectionField.INTENT.value: ["intent", "intent_confidence", "is_lead"],
    CorrectionField.SENTIMENT.value: ["sentiment_label", "sentiment_score"],
}


def _apply(mention: Mention, values: dict) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(mention, name) != value:
            setattr(mention, name, value)
            changed = True
    return changed


def mentions_relabel(*, mention_ids: Sequence[int]) -> dict[str, int | str]:
    """Relabel these mentions' uncorrected labels: the few-shot vote where it
    is confident, the rules elsewhere. Returns counts, or why it was skipped."""
    from portal.semantic import embedding

    fields = fewshot_fields_ready()
    if not fields:
        return {"skipped": "too few corrections"}
    if not embedding.model_available():
        logger.warning(
            "listening: few-shot relabelling skipped: the embedding model is "
            "unavailable (see portal.semantic)"
        )
        return {"skipped": "embedding model unavailable"}
    minimum = max(settings.LISTENING_FEWSHOT_MIN_EXAMPLES, 1)
    # A field without enough corrections (any more) gets its rule label back.
    examples: dict[str, Examples | None] = dict.fromkeys(FIELDS)
    for field in fields:
        found = corrections_latest(field=field)
        if len(found) >= minimum:
            examples[field] = examples_embed(found)
    if not any(examples.values()):
        return {"skipped": "too few corrections"}
    counts = {"checked": 0, "intent_changed": 0, "sentiment_changed": 0}
    for chunk in _chunks(sorted(set(mention_ids)), BATCH_SIZE):
        for field, changed in _relabel_chunk(chunk, examples).items():
            counts[f"{field}_changed"] += changed
        counts["checked"] += len(chunk)
    return counts


def _relabel_chunk(
    chunk: list[int], examples: dict[str, Examples | None]
) -> dict[str, int]:
    mentions = list(
        Mention.objects.filter(pk__in=chunk)
        .only(
            "pk",
            "text",
            "language",
            "intent",
            "intent_confidence",
            "is_lead",
            "sentiment_label",
            "sentiment_score",
        )
        .order_by("pk")
    )
    corrected = set(
        MentionCorrection.objects.filter(
            mention_id__in=chunk, field__in=list(examples)
        ).values_list("mention_id", "field")
    )
    todo = {
        field: [m for m in mentions if (m.pk, field) not in corrected]
        for field in examples
    }
    needed = {
        m.pk: m
        for field, group in todo.items()
        if examples[field] is not None
        for m in group
    }
    order = list(needed)
    vectors = texts_embed([needed[pk].text for pk in order])
    row_of = {pk: i for i, pk in enumerate(order)}
    changed: dict[str, list[Mention]] = {}
    for field, group in todo.items():
        if not group:
            changed[field] = []
            continue
        field_examples = examples[field]
        votes = (
            knn_votes(
                field_examples,
                vectors[[row_of[m.pk] for m in group]],
                query_languages=[m.language for m in group],
                params=fewshot_params(field),
            )
            if field_examples is not None
            else [None] * len(group)
        )
        values_of = _intent_values if field == "intent" else _sentiment_values
        changed[field] = [
            m
            for m, vote in zip(group, votes, strict=True)
            if _apply(m, values_of(m, vote))
        ]
    if not any(changed.values()):
        return dict.fromkeys(examples, 0)
    pks = sorted({m.pk for group in changed.values() for m in group})
    with transaction.atomic():
        # Lock the rows, then look again: a correction that landed while we
        # embedded wins (mention_correct takes the same lock).
        list(Mention.objects.select_for_update().filter(pk__in=pks).values_list("pk"))
        corrected = set(
            MentionCorrection.objects.filter(
                mention_id__in=pks, field__in=list(examples)
            ).values_list("mention_id", "field")
        )
        written = {}
        for field, group in changed.items():
            keep = [m for m in group if (m.pk, field) not in corrected]
            if keep:
                Mention.objects.bulk_update(keep, UPDATED_FIELDS[field])
                if field == CorrectionField.INTENT.value:
                    from .webcare import mentions_due_refresh

                    mentions_due_refresh(m.pk for m in keep)
            written[field] = len(keep)
    return written


def mentions_relabel_recent(*, now=None) -> dict[str, int | str]:
    """Relabel the recent mentions (LISTENING_FEWSHOT_RELABEL_DAYS, newest
    LISTENING_FEWSHOT_RELABEL_LIMIT at most) after new corrections."""
    now = now or timezone.now()
    since = now - timedelta(days=settings.LISTENING_FEWSHOT_RELABEL_DAYS)
    ids = list(
        Mention.objects.filter(fetched_at__gte=since)
        .order_by("-fetched_at", "-pk")
        .values_list("pk", flat=True)[: settings.LISTENING_FEWSHOT_RELABEL_LIMIT]
    )
    if not ids:
        return {"checked": 0}
    return mentions_relabel(mention_ids=ids)


def relabel_new_enqueue(*, mention_ids: Sequence[int]) -> bool:
    """After an import batch: relabel its new rows in the background once a
    field has enough corrections. Never embeds here (the import is hot)."""
    if not mention_ids or not fewshot_fields_ready():
        return False
    from .tasks import relabel_mentions

    enqueue(relabel_mentions, list(mention_ids))
    return True


def relabel_recent_enqueue() -> bool:
    """After a correction: one debounced run over the recent mentions."""
    fewshot_counts_forget()
    if not fewshot_fields_ready():
        return False
    from .tasks import relabel_recent

    def debounced() -> None:
        # The key lives a little shorter than the delay, so a correction made
        # just before the run starts is either in it or triggers another.
        if cache.add(RECENT_KEY, 1, timeout=RECENT_DELAY - 5):
            enqueue_call(relabel_recent, countdown=RECENT_DELAY)

    transaction.on_commit(debounced)
    return True
