"""A few-shot classifier over sentence embeddings: staff corrections are the
examples, and a new post takes the label its nearest corrected posts agree on.

Pure functions over vectors (numpy arrays); embedding the texts is the
caller's job (listening/relabel.py uses the packaged MiniLM). The vote is a
similarity-weighted k-nearest-neighbour vote:

- only examples at least `min_similarity` (cosine) close count as
  neighbours, at most `k` of them, and there must be `min_votes` of them;
- each neighbour votes for its label with its similarity as weight;
- the winner's share of the weight is the confidence, and a vote below
  `min_confidence`, without neighbours, or from fewer than `min_examples`
  examples in all is no vote at all (None): the rule label then stays.

With `same_language`, a query only looks at examples in its own language
when there are at least `min_examples` of them (MiniLM is an English model;
Dutch posts lie closer to each other than to English ones with the same
meaning).

`TUNED` holds the parameters per field, tuned on the development split of the
labelled set only (bench/fewshot_bench.py; figures in
docs/subsystems/enrichment.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .sentiment import sentiment_label


@dataclass(frozen=True)
class KnnParams:
    k: int = 7
    min_similarity: float = 0.5
    min_confidence: float = 0.6
    min_examples: int = 10
    same_language: bool = True
    # At least this many neighbours above `min_similarity`: one lone close
    # example would otherwise always vote with full confidence.
    min_votes: int = 1
    # The vote only replaces a rule label whose strength (intent confidence,
    # or the size of the sentiment score) is below this: a clear rule hit
    # stays. Above 1: the vote may replace any rule label.
    override_below: float = 1.01


# Tuned per field on the development split (bench/fewshot_bench.py, two
# folds of dev: corrections from one half, scored on the other). Both prefer
# overrides of weak rule labels only (intent confidence below 0.6, a
# sentiment score within ±0.3), by a clear majority of close neighbours.
TUNED = {
    "intent": KnnParams(
        k=7,
        min_similarity=0.6,
        min_confidence=0.65,
        same_language=True,
        min_votes=3,
        override_below=0.6,
    ),
    "sentiment": KnnParams(
        k=11,
        min_similarity=0.3,
        min_confidence=0.65,
        same_language=True,
        min_votes=1,
        override_below=0.3,
    ),
}


@dataclass(frozen=True)
class Vote:
    label: str
    confidence: float  # the winner's share of the neighbours' weight, 0..1
    neighbours: int  # how many examples voted


@dataclass(frozen=True)
class Examples:
    """Labelled example vectors (one row each), their labels and languages."""

    vectors: np.ndarray
    labels: tuple[str, ...]
    languages: tuple[str, ...]

    def __post_init__(self) -> None:
        if not (len(self.vectors) == len(self.labels) == len(self.languages)):
            raise ValueError("vectors, labels and languages differ in length")

    def __len__(self) -> int:
        return len(self.labels)


def examples_from(
    vectors: Sequence[Sequence[float]] | np.ndarray,
    labels: Sequence[str],
    languages: Sequence[str] | None = None,
) -> Examples:
    matrix = normalised(vectors)
    return Examples(
        vectors=matrix,
        labels=tuple(labels),
        languages=tuple(languages) if languages is not None else ("",) * len(labels),
    )


def normalised(vectors: Sequence[Sequence[float]] | np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (a zero row stays zero), as float32."""
    matrix = np.asarray(vectors, dtype=np.float32)
    if matrix.ndim == 1:
        matrix = matrix.reshape(1, -1) if matrix.size else matrix.reshape(0, 0)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True) if matrix.size else None
    if norms is None:
        return matrix
    norms[norms == 0] = 1.0
    return matrix / norms


def _vote(similarities: np.ndarray, labels: Sequence[str], params: KnnParams):
    order = np.argsort(-similarities, kind="stable")[: params.k]
    weights: dict[str, float] = {}
    voters = 0
    for index in order:
        similarity = float(similarities[index])
        if similarity < params.min_similarity:
            break
        voters += 1
        label = labels[index]
        weights[label] = weights.get(label, 0.0) + similarity
    if not voters or voters < params.min_votes:
        return None
    total = sum(weights.values())
    # Ties go to the label seen first among the nearest (dicts keep order).
    label = max(weights, key=lambda name: weights[name])
    confidence = weights[label] / total if total > 0 else 0.0
    if confidence < params.min_confidence:
        return None
    return Vote(label=label, confidence=round(confidence, 3), neighbours=voters)


def knn_votes(
    examples: Examples,
    queries: Sequence[Sequence[float]] | np.ndarray,
    *,
    query_languages: Sequence[str] | None = None,
    params: KnnParams | None = None,
) -> list[Vote | None]:
    """One vote (or None) per query row."""
    params = params or KnnParams()
    matrix = normalised(queries)
    count = len(matrix)
    languages = list(query_languages) if query_languages is not None else None
    if languages is not None and len(languages) != count:
        raise ValueError("one language per query")
    if count == 0:
        return []
    if len(examples) < max(params.min_examples, 1):
        return [None] * count
    similarities = matrix @ examples.vectors.T  # cosine: both sides unit length
    if not (params.same_language and languages is not None):
        return [_vote(row, examples.labels, params) for row in similarities]

    # Per language: the examples in it, or None to use them all.
    subsets: dict[str, tuple[np.ndarray, list[str]] | None] = {}
    example_languages = np.asarray(examples.languages, dtype=object)
    votes: list[Vote | None] = []
    for row, language in zip(similarities, languages, strict=True):
        if language not in subsets:
            mask = example_languages == language
            subsets[language] = (
                (
                    mask,
                    [
                        lb
                        for lb, keep in zip(examples.labels, mask, strict=True)
                        if keep
                    ],
                )
                if int(mask.sum()) >= params.min_examples
                else None
            )
        subset = subsets[language]
        if subset is None:
            votes.append(_vote(row, examples.labels, params))
        else:
            votes.append(_vote(row[subset[0]], subset[1], params))
    return votes


def label_with_fewshot(
    rule_label: str,
    vote: Vote | None,
    *,
    rule_strength: float = 0.0,
    params: KnnParams | None = None,
) -> tuple[str, bool]:
    """The label to store, and whether the few-shot vote decided it: a
    confident vote overrides a rule label that is not strong (see
    `KnnParams.override_below`), otherwise the rule label stays."""
    if vote is None:
        return rule_label, False
    if params is not None and abs(rule_strength) >= params.override_below:
        return rule_label, False
    return vote.label, vote.label != rule_label


# A score on the label's side of the ±0.05 thresholds, for a label that was
# set by hand or by the few-shot vote against the lexicon's score.
_SCORE_FOR_LABEL = {"positive": 0.5, "neutral": 0.0, "negative": -0.5}


def sentiment_score_for_label(label: str, score: float | None) -> float:
    """`score` when it agrees with `label`, else a plain score that does."""
    if score is not None and sentiment_label(score) == label:
        return score
    return _SCORE_FOR_LABEL[label]
