"""How much do staff corrections improve intent and sentiment? One run.

    .venv/bin/python bench/fewshot_bench.py [--repeats 5] [--seed 1] [--tune]
        [--json]

Uses the labelled set in ``tests/data/listening/labelled/``: ``dev.jsonl``
stands in for the mentions staff correct, ``test.jsonl`` for the mentions
that arrive afterwards. Every post first gets what the pipeline's rules say
(``listening.enrichment.evaluation.text_classify``: language detected, then
sentiment and intent in that language), and every post is embedded once with
the packaged MiniLM (``listening.relabel.texts_embed``, as the relabel task
does).

Simulated corrections: for each field and each language, k posts from dev
where about two thirds are posts the rules got wrong and the rest posts they
got right (a staff member who reads the inbox corrects mistakes and confirms
some right labels); k = all takes every dev post. "mistakes" takes only the
posts the rules got wrong, which is exactly what `mention_correct` records in
production (an unchanged label records nothing); "reviewed" takes the posts
where the rules got either label wrong, with both labels (staff who fix one
label of a post look at the other). The corrected posts are the
few-shot examples; the test posts are then labelled as the relabel task does
(a confident k-NN vote overrides the rule label, otherwise the rule label
stays) and scored with macro-F1 per language
(``listening.enrichment.evaluation.macro_f1``, fixed label sets). For k < all
the draw is repeated ``--repeats`` times with different seeds and the mean is
shown (with the lowest and highest).

The k-NN parameters are those the relabel task uses
(``listening.enrichment.fewshot.TUNED``), which came from ``--tune``: a grid
search on dev only (two folds: corrections from one half, scored on the
other). With ``--tune`` the run searches again and measures with what it
found; the test split is only ever scored, never tuned on. A second table
draws the corrections from half of test instead (posts the rules were not
tuned on) and scores the other half, both ways, with the same parameters.
No database is needed; Django settings are loaded for the model path.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import statistics
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")

from listening.enrichment.evaluation import (  # noqa: E402
    INTENT_LABELS,
    LABELLED_DIR,
    SENTIMENTS,
    labelled_load,
    macro_f1,
    text_classify,
)
from listening.enrichment.fewshot import (  # noqa: E402
    TUNED,
    KnnParams,
    examples_from,
    knn_votes,
    label_with_fewshot,
)

LANGUAGES = ("en", "nl")
FIELDS = {"intent": INTENT_LABELS, "sentiment": SENTIMENTS}
KS: tuple[int | str, ...] = (0, 10, 25, 50, "all", "mistakes", "reviewed")
WRONG_SHARE = 2 / 3
MIN_EXAMPLES = 10  # LISTENING_FEWSHOT_MIN_EXAMPLES' default
GRID = {
    "k": (3, 5, 7, 11),
    "min_similarity": (0.3, 0.45, 0.6),
    "min_confidence": (0.5, 0.65, 0.8),
    "same_language": (True, False),
    "min_votes": (1, 3),
    "override_below": (0.3, 0.6, 0.9, 1.01),
}


@dataclass
class Split:
    rows: list[dict]
    rules: list[dict]  # text_classify per row
    vectors: np.ndarray

    def gold(self, i: int, field: str) -> str:
        return self.rows[i][field]

    def strength(self, i: int, field: str) -> float:
        if field == "sentiment":
            return abs(self.rules[i]["sentiment"]["score"])
        return self.rules[i]["intent_confidence"]

    def rule(self, i: int, field: str) -> str:
        value = self.rules[i][field]
        return value["label"] if field == "sentiment" else value


def split_load(rows: list[dict], embed: Callable[[list[str]], np.ndarray]) -> Split:
    rules = [text_classify(row["text"], languages=LANGUAGES) for row in rows]
    return Split(rows=rows, rules=rules, vectors=embed([r["text"] for r in rows]))


def corrections_pick(
    split: Split,
    field: str,
    k: int | str,
    rng: random.Random,
    indices: Sequence[int] | None = None,
) -> list[int]:
    """The dev posts staff "corrected": k per language (see the docstring)."""
    pool = range(len(split.rows)) if indices is None else indices
    picked: list[int] = []
    for language in LANGUAGES:
        mine = [i for i in pool if split.rows[i]["language"] == language]
        wrong = [i for i in mine if split.rule(i, field) != split.gold(i, field)]
        right = [i for i in mine if split.rule(i, field) == split.gold(i, field)]
        if k == "all":
            picked += mine
            continue
        if k == "mistakes":
            picked += wrong
            continue
        if k == "reviewed":
            picked += [
                i
                for i in mine
                if any(split.rule(i, f) != split.gold(i, f) for f in FIELDS)
            ]
            continue
        n_wrong = min(len(wrong), round(int(k) * WRONG_SHARE))
        n_right = min(len(right), int(k) - n_wrong)
        n_wrong = min(len(wrong), int(k) - n_right)
        picked += rng.sample(wrong, n_wrong) + rng.sample(right, n_right)
    return picked


def fewshot_predict(
    train: Split,
    picked: Sequence[int],
    target: Split,
    field: str,
    params: KnnParams,
    targets: Sequence[int] | None = None,
) -> dict[int, str]:
    """The label the relabel task would store for each target post."""
    targets = list(range(len(target.rows)) if targets is None else targets)
    if not picked:
        return {i: target.rule(i, field) for i in targets}
    examples = examples_from(
        train.vectors[list(picked)],
        [train.gold(i, field) for i in picked],
        [train.rules[i]["language"] for i in picked],
    )
    votes = knn_votes(
        examples,
        target.vectors[targets],
        query_languages=[target.rules[i]["language"] for i in targets],
        params=params,
    )
    return {
        i: label_with_fewshot(
            target.rule(i, field),
            vote,
            rule_strength=target.strength(i, field),
            params=params,
        )[0]
        for i, vote in zip(targets, votes, strict=True)
    }


def scores(split: Split, predicted: dict[int, str], field: str) -> dict[str, float]:
    """Macro-F1 per (gold) language over the predicted posts."""
    result = {}
    for language in LANGUAGES:
        mine = [i for i in predicted if split.rows[i]["language"] == language]
        result[language] = macro_f1(
            [split.gold(i, field) for i in mine],
            [predicted[i] for i in mine],
            FIELDS[field],
        )
    return result


def tune(dev: Split, field: str, *, seed: int = 1) -> tuple[KnnParams, float]:
    """The grid point with the best mean macro-F1 over two dev folds (each
    half's posts are the corrections for the other half)."""
    rng = random.Random(seed)
    order = list(range(len(dev.rows)))
    rng.shuffle(order)
    folds = (order[::2], order[1::2])
    best: tuple[float, KnnParams] | None = None
    for values in itertools.product(*GRID.values()):
        params = KnnParams(
            **dict(zip(GRID, values, strict=True)), min_examples=MIN_EXAMPLES
        )
        total = []
        for train, held in (folds, folds[::-1]):
            picked = corrections_pick(dev, field, "all", rng, indices=train)
            predicted = fewshot_predict(dev, picked, dev, field, params, held)
            total += list(scores(dev, predicted, field).values())
        mean = statistics.fmean(total)
        if best is None or mean > best[0] + 1e-9:
            best = (mean, params)
    assert best is not None
    return best[1], best[0]


def measure(
    dev: Split,
    test: Split,
    field: str,
    params: KnnParams,
    *,
    ks: Sequence[int | str] = KS,
    repeats: int = 5,
    seed: int = 1,
) -> list[dict]:
    """One row per language and k: rules alone vs rules + few-shot on test."""
    rules = scores(test, {i: test.rule(i, field) for i in range(len(test.rows))}, field)
    rows = []
    for k in ks:
        draws = 1 if k in (0, "all", "mistakes", "reviewed") else repeats
        per_language: dict[str, list[float]] = {lang: [] for lang in LANGUAGES}
        used: list[int] = []
        for draw in range(draws):
            rng = random.Random(seed * 1000 + draw)
            picked = [] if k == 0 else corrections_pick(dev, field, k, rng)
            used.append(len(picked))
            predicted = fewshot_predict(dev, picked, test, field, params)
            for language, value in scores(test, predicted, field).items():
                per_language[language].append(value)
        for language in LANGUAGES:
            values = per_language[language]
            rows.append(
                {
                    "field": field,
                    "language": language,
                    "k": k,
                    "corrections": round(statistics.fmean(used)),
                    "rules": rules[language],
                    "fewshot": statistics.fmean(values),
                    "low": min(values),
                    "high": max(values),
                    "draws": draws,
                }
            )
    return rows


def measure_unseen(
    test: Split,
    field: str,
    params: KnnParams,
    *,
    ks: Sequence[int | str] = (10, 25, 50, "all", "mistakes", "reviewed"),
    repeats: int = 5,
    seed: int = 1,
) -> list[dict]:
    """Corrections drawn from posts the rules were not tuned on: two folds of
    test (corrections from one half, scored on the other, both ways), with
    the parameters fixed beforehand on dev. Nothing is tuned here."""
    rows = []
    for k in ks:
        draws = 1 if k in ("all", "mistakes", "reviewed") else repeats
        rules = {lang: [] for lang in LANGUAGES}
        fewshot = {lang: [] for lang in LANGUAGES}
        used = []
        for draw in range(draws):
            rng = random.Random(seed * 1000 + draw)
            order = list(range(len(test.rows)))
            rng.shuffle(order)
            folds = (order[::2], order[1::2])
            for train, held in (folds, folds[::-1]):
                picked = corrections_pick(test, field, k, rng, indices=train)
                used.append(len(picked))
                predicted = fewshot_predict(test, picked, test, field, params, held)
                baseline = {i: test.rule(i, field) for i in held}
                for language, value in scores(test, predicted, field).items():
                    fewshot[language].append(value)
                for language, value in scores(test, baseline, field).items():
                    rules[language].append(value)
        for language in LANGUAGES:
            rows.append(
                {
                    "field": field,
                    "language": language,
                    "k": k,
                    "corrections": round(statistics.fmean(used)),
                    "rules": statistics.fmean(rules[language]),
                    "fewshot": statistics.fmean(fewshot[language]),
                    "low": min(fewshot[language]),
                    "high": max(fewshot[language]),
                    "draws": draws * 2,
                }
            )
    return rows


def table(rows: list[dict]) -> str:
    lines = [
        f"{'field':<10}{'lang':<6}{'k/lang':>9}{'examples':>10}"
        f"{'rules':>8}{'+few-shot':>11}{'delta':>8}   range over draws",
        "-" * 78,
    ]
    for row in rows:
        spread = (
            f"{row['low']:.3f}–{row['high']:.3f} ({row['draws']})"
            if row["draws"] > 1
            else ""
        )
        lines.append(
            f"{row['field']:<10}{row['language']:<6}{row['k']!s:>9}"
            f"{row['corrections']:>10}{row['rules']:>8.3f}{row['fewshot']:>11.3f}"
            f"{row['fewshot'] - row['rules']:>+8.3f}   {spread}"
        )
    return "\n".join(lines)


def default_embed() -> Callable[[list[str]], np.ndarray]:
    import django

    django.setup()
    from listening.relabel import texts_embed
    from portal.semantic import embedding

    if not embedding.model_available():
        raise SystemExit("the packaged embedding model did not load")
    return texts_embed


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tune", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    embed = default_embed()
    dev = split_load(labelled_load(LABELLED_DIR / "dev.jsonl"), embed)
    test = split_load(labelled_load(LABELLED_DIR / "test.jsonl"), embed)
    output: dict = {"dev": len(dev.rows), "test": len(test.rows), "fields": {}}
    all_rows = []
    unseen_rows = []
    for field in FIELDS:
        default = replace(TUNED[field], min_examples=MIN_EXAMPLES)
        if args.tune:
            params, dev_score = tune(dev, field, seed=args.seed)
        else:
            params, dev_score = default, None
        rows = measure(dev, test, field, params, repeats=args.repeats, seed=args.seed)
        all_rows += rows
        unseen = measure_unseen(
            test, field, params, repeats=args.repeats, seed=args.seed
        )
        unseen_rows += unseen
        output["fields"][field] = {
            "params": asdict(params),
            "dev_score": dev_score,
            "rows": rows,
            "unseen": unseen,
        }
    if args.json:
        print(json.dumps(output, indent=2))
        return 0
    print(
        f"Labelled set: dev {len(dev.rows)} posts (corrections), test "
        f"{len(test.rows)} posts (scored). Macro-F1 per language on test."
    )
    for field, entry in output["fields"].items():
        tuned = (
            "tuned on dev now" if entry["dev_score"] is not None else "fewshot.TUNED"
        )
        params = ", ".join(f"{k}={v}" for k, v in entry["params"].items())
        extra = (
            f" (dev two-fold macro-F1 {entry['dev_score']:.3f})"
            if entry["dev_score"] is not None
            else ""
        )
        print(f"{field}: {tuned}: {params}{extra}")
    print()
    print("Corrections from dev, scored on all of test:")
    print(table(all_rows))
    print()
    print(
        "Corrections from unseen posts (test, two folds: corrections from one "
        "half, scored on the other; parameters as above):"
    )
    print(table(unseen_rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
