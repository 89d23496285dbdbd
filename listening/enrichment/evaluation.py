"""Accuracy of the enrichment rules against a labelled set.

Pure functions: metrics over parallel sequences of gold and predicted labels
(accuracy, per-class precision/recall/F1, macro-F1, a confusion matrix,
precision/recall of a yes/no flag), :func:`text_classify`, which runs the
pipeline's enrichment functions on one text exactly as
``listening.services`` does, and :func:`labelled_evaluate`, which scores a
labelled split per language. ``bench/enrichment_accuracy.py`` prints the
figures and ``tests/listening/test_accuracy.py`` guards them.

Conventions (the same as scikit-learn's defaults with ``zero_division=0``):
the classes of a macro average are the union of the gold and the predicted
labels, unless ``labels`` is given; a class that is never predicted has
precision 0, one that never occurs in the gold labels has recall 0, and F1 is
0 when precision and recall are both 0.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from listening.enrichment.intent import intent_detect
from listening.enrichment.language import language_detect
from listening.enrichment.sentiment import sentiment_analyse

# The language "label" of a post the pipeline does not enrich in a language
# of its own: gold posts in any other language, and the "" (unknown) answer.
OTHER_LANGUAGE = "other"


@dataclass(frozen=True)
class ClassScore:
    precision: float
    recall: float
    f1: float
    support: int  # gold occurrences


def _check(gold: Sequence, predicted: Sequence) -> None:
    if len(gold) != len(predicted):
        raise ValueError(
            f"gold and predicted differ in length: {len(gold)} != {len(predicted)}"
        )


def _f1(precision: float, recall: float) -> float:
    if precision + recall == 0:
        return 0.0
    return 2 * precision * recall / (precision + recall)


def accuracy(gold: Sequence, predicted: Sequence) -> float:
    """Share of exact matches; 0.0 for empty input."""
    _check(gold, predicted)
    if not gold:
        return 0.0
    return sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold)


def _labels(gold: Sequence, predicted: Sequence, labels: Iterable | None) -> list:
    if labels is not None:
        return list(labels)
    return sorted(set(gold) | set(predicted), key=str)


def confusion_matrix(
    gold: Sequence, predicted: Sequence, labels: Iterable | None = None
) -> dict:
    """``matrix[gold_label][predicted_label]`` = count, for every pair of
    ``labels`` (zeros included). Pairs outside ``labels`` are not counted."""
    _check(gold, predicted)
    names = _labels(gold, predicted, labels)
    matrix = {g: dict.fromkeys(names, 0) for g in names}
    for g, p in zip(gold, predicted, strict=True):
        if g in matrix and p in matrix[g]:
            matrix[g][p] += 1
    return matrix


def class_scores(
    gold: Sequence, predicted: Sequence, labels: Iterable | None = None
) -> dict:
    """Precision, recall, F1 and support for each label."""
    _check(gold, predicted)
    names = _labels(gold, predicted, labels)
    pairs = Counter(zip(gold, predicted, strict=True))
    gold_counts, predicted_counts = Counter(gold), Counter(predicted)
    scores = {}
    for name in names:
        hits = pairs[(name, name)]
        precision = hits / predicted_counts[name] if predicted_counts[name] else 0.0
        recall = hits / gold_counts[name] if gold_counts[name] else 0.0
        scores[name] = ClassScore(
            precision, recall, _f1(precision, recall), gold_counts[name]
        )
    return scores


def macro_f1(
    gold: Sequence, predicted: Sequence, labels: Iterable | None = None
) -> float:
    """Unweighted mean of the per-class F1 scores; 0.0 when there are none."""
    scores = class_scores(gold, predicted, labels)
    if not scores:
        return 0.0
    return sum(s.f1 for s in scores.values()) / len(scores)


def binary_scores(gold: Sequence[bool], predicted: Sequence[bool]) -> ClassScore:
    """Precision, recall and F1 of the True class of a yes/no flag."""
    return class_scores(
        [bool(g) for g in gold], [bool(p) for p in predicted], labels=[True]
    )[True]


# --- the pipeline on one text -------------------------------------------------


def text_classify(text: str, *, languages: Sequence[str] = ("en", "nl")) -> dict:
    """What the pipeline's enrichment says about ``text``: the same calls and
    the same lead rule as ``listening.services`` (language detection limited
    to ``languages``, then sentiment and intent in the detected language)."""
    language, confidence = language_detect(text, languages=languages)
    sentiment = sentiment_analyse(text, language=language)
    intent = intent_detect(text, language=language)
    return {
        "text": text,
        "language": language,
        "language_confidence": round(confidence, 3),
        "sentiment": {"label": sentiment.label, "score": round(sentiment.score, 4)},
        "intent": intent.label,
        "intent_confidence": round(intent.confidence, 3),
        "lead": intent.is_lead or intent.label == "lead",
    }


# --- a labelled split ---------------------------------------------------------

LABELLED_DIR = (
    Path(__file__).resolve().parents[2] / "tests" / "data" / "listening" / "labelled"
)
SENTIMENTS = ("positive", "neutral", "negative")
INTENT_LABELS = ("question", "complaint", "idea", "praise", "lead", "other")


def labelled_load(path: str | Path) -> list[dict]:
    """The rows of a labelled JSONL file (one object per line)."""
    rows = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            row = json.loads(line)
            missing = {"text", "language", "sentiment", "intent", "lead"} - set(row)
            if missing:
                raise ValueError(f"{path}:{number}: missing {sorted(missing)}")
            rows.append(row)
    return rows


def _language_label(code: str, languages: Sequence[str]) -> str:
    return code if code in languages else OTHER_LANGUAGE


def labelled_evaluate(
    rows: Sequence[dict], *, languages: Sequence[str] = ("en", "nl")
) -> dict:
    """Figures for a labelled split, end to end (sentiment and intent run in
    the *detected* language, as in the pipeline).

    ``result["language"]``: accuracy and macro-F1 over all rows, the labels
    being the enriched languages plus ``"other"`` (a post in another
    language, or an unknown answer), per-class scores and the confusion
    matrix. ``result["by_language"][code]`` for each enriched language:
    ``n``, language ``accuracy`` (recall of that language) and ``f1``, and
    accuracy, macro-F1, per-class scores and confusion matrix for
    ``sentiment`` and ``intent``, and ``lead`` precision/recall/F1.
    ``result["predictions"]`` holds :func:`text_classify` for every row.
    """
    predictions = [text_classify(row["text"], languages=languages) for row in rows]
    language_labels = [*languages, OTHER_LANGUAGE]
    gold_lang = [_language_label(r["language"], languages) for r in rows]
    pred_lang = [_language_label(p["language"], languages) for p in predictions]
    language_scores = class_scores(gold_lang, pred_lang, language_labels)
    result = {
        "n": len(rows),
        "language": {
            "accuracy": accuracy(gold_lang, pred_lang),
            "macro_f1": macro_f1(gold_lang, pred_lang, language_labels),
            "classes": language_scores,
            "confusion": confusion_matrix(gold_lang, pred_lang, language_labels),
        },
        "by_language": {},
        "predictions": predictions,
    }
    for code in languages:
        picked = [
            (row, prediction)
            for row, prediction in zip(rows, predictions, strict=True)
            if row["language"] == code
        ]
        entry = {
            "n": len(picked),
            "language": {
                "accuracy": language_scores[code].recall,
                "f1": language_scores[code].f1,
            },
        }
        for field, labels, gold_of, predicted_of in (
            (
                "sentiment",
                SENTIMENTS,
                lambda r: r["sentiment"],
                lambda p: p["sentiment"]["label"],
            ),
            ("intent", INTENT_LABELS, lambda r: r["intent"], lambda p: p["intent"]),
        ):
            gold = [gold_of(r) for r, _p in picked]
            predicted = [predicted_of(p) for _r, p in picked]
            entry[field] = {
                "accuracy": accuracy(gold, predicted),
                "macro_f1": macro_f1(gold, predicted, labels),
                "classes": class_scores(gold, predicted, labels),
                "confusion": confusion_matrix(gold, predicted, labels),
            }
        entry["lead"] = binary_scores(
            [r["lead"] for r, _p in picked], [p["lead"] for _r, p in picked]
        )
        result["by_language"][code] = entry
    return result
