"""Accuracy of language, sentiment and intent on the labelled set. One run.

    .venv/bin/python bench/enrichment_accuracy.py [--split test|dev|PATH]
        [--languages en,nl] [--errors] [--json]

Runs the pipeline's enrichment functions (``listening.enrichment``:
``language_detect`` limited to the enriched languages, then
``sentiment_analyse`` and ``intent_detect`` in the detected language, and the
lead rule of ``listening.services``) over a labelled split in
``tests/data/listening/labelled/`` (default: the held-out ``test`` split) and
prints, per language, accuracy and macro-F1 for language, sentiment and
intent, lead precision and recall, and the confusion matrices. ``--errors``
lists every wrong answer (use it on ``dev`` only: the test split is never
used to tune the rules). ``--json`` prints the figures as one JSON object.

No database and no Django settings are needed; the figures are deterministic.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from listening.enrichment.evaluation import (  # noqa: E402
    LABELLED_DIR,
    labelled_evaluate,
    labelled_load,
)


def _split_path(split: str) -> Path:
    if split in ("dev", "test"):
        return LABELLED_DIR / f"{split}.jsonl"
    return Path(split)


def _matrix(title: str, matrix: dict) -> list[str]:
    labels = list(matrix)
    width = max(8, *(len(str(label)) for label in labels))
    lines = [f"  {title} (rows: gold, columns: predicted)"]
    lines.append("    " + " " * width + "".join(f"{str(lb)[:9]:>10}" for lb in labels))
    for gold in labels:
        cells = "".join(f"{matrix[gold][p]:>10}" for p in labels)
        lines.append(f"    {str(gold):<{width}}{cells}")
    return lines


def report(result: dict, *, name: str) -> str:
    lines = [f"Labelled split: {name} ({result['n']} posts)", ""]
    language = result["language"]
    lines.append(
        f"Language over all posts: accuracy {language['accuracy']:.3f}, "
        f"macro-F1 {language['macro_f1']:.3f}"
    )
    for label, score in language["classes"].items():
        lines.append(
            f"  {label:<6} P {score.precision:.3f}  R {score.recall:.3f}  "
            f"F1 {score.f1:.3f}  (n={score.support})"
        )
    lines += _matrix("language", language["confusion"])
    lines.append("")
    header = (
        f"{'lang':<5}{'n':>5}  {'language acc/F1':>16}  {'sentiment acc/mF1':>18}"
        f"  {'intent acc/mF1':>15}  {'lead P/R':>12}"
    )
    lines += [header, "-" * len(header)]
    for code, entry in result["by_language"].items():
        lang, sent, intent, lead = (
            entry["language"],
            entry["sentiment"],
            entry["intent"],
            entry["lead"],
        )
        lines.append(
            f"{code:<5}{entry['n']:>5}  "
            f"{lang['accuracy']:>7.3f}/{lang['f1']:<8.3f}  "
            f"{sent['accuracy']:>8.3f}/{sent['macro_f1']:<9.3f}  "
            f"{intent['accuracy']:>7.3f}/{intent['macro_f1']:<7.3f}  "
            f"{lead.precision:>5.3f}/{lead.recall:<6.3f}"
        )
    for code, entry in result["by_language"].items():
        lines += ["", f"[{code}]"]
        for field in ("sentiment", "intent"):
            for label, score in entry[field]["classes"].items():
                lines.append(
                    f"  {field:<9} {label:<9} P {score.precision:.3f}  "
                    f"R {score.recall:.3f}  F1 {score.f1:.3f}  (n={score.support})"
                )
            lines += _matrix(field, entry[field]["confusion"])
    return "\n".join(lines)


def errors(rows: list[dict], result: dict) -> str:
    lines = []
    for row, prediction in zip(rows, result["predictions"], strict=True):
        wrong = []
        if row["sentiment"] != prediction["sentiment"]["label"]:
            wrong.append(
                f"sentiment {row['sentiment']}->{prediction['sentiment']['label']}"
                f" ({prediction['sentiment']['score']})"
            )
        if row["intent"] != prediction["intent"]:
            wrong.append(f"intent {row['intent']}->{prediction['intent']}")
        if row["lead"] != prediction["lead"]:
            wrong.append(f"lead {row['lead']}->{prediction['lead']}")
        if row["language"] != (prediction["language"] or "?") and (
            row["language"] in ("en", "nl") or prediction["language"]
        ):
            wrong.append(f"language {row['language']}->{prediction['language']!r}")
        if wrong:
            lines.append(f"[{row['language']}] {'; '.join(wrong)}\n    {row['text']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", default="test", help="test, dev or a path")
    parser.add_argument("--languages", default="en,nl")
    parser.add_argument("--errors", action="store_true", help="list wrong answers")
    parser.add_argument("--json", action="store_true", help="figures as JSON")
    args = parser.parse_args(argv)
    languages = tuple(c.strip() for c in args.languages.split(",") if c.strip())
    path = _split_path(args.split)
    rows = labelled_load(path)
    result = labelled_evaluate(rows, languages=languages)
    if args.json:
        figures = {
            "split": str(path.name),
            "n": result["n"],
            "language": {
                "accuracy": result["language"]["accuracy"],
                "macro_f1": result["language"]["macro_f1"],
            },
            "by_language": {
                code: {
                    "n": entry["n"],
                    "language_accuracy": entry["language"]["accuracy"],
                    "language_f1": entry["language"]["f1"],
                    "sentiment_accuracy": entry["sentiment"]["accuracy"],
                    "sentiment_macro_f1": entry["sentiment"]["macro_f1"],
                    "intent_accuracy": entry["intent"]["accuracy"],
                    "intent_macro_f1": entry["intent"]["macro_f1"],
                    "lead_precision": entry["lead"].precision,
                    "lead_recall": entry["lead"].recall,
                }
                for code, entry in result["by_language"].items()
            },
        }
        print(json.dumps(figures, indent=2))
        return 0
    print(report(result, name=path.name))
    if args.errors:
        print("\nWrong answers:\n" + errors(rows, result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
