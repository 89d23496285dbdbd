"""How fast is portal.semantic on this machine? Not a test; prints one run.

    .venv/bin/python bench/semantic_bench.py [N]        (N documents, default 20000)

Indexes N synthetic, idea-like documents (English and Dutch, built from word
lists) into the in-memory store and into an embedded Qdrant store in a
temporary directory, then times 200 `similar()` queries on each, with the
embedding model and with BM25 alone. Also measures the document embedder's
throughput on its own. Nothing is downloaded; the model ships in a package.
"""

import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from portal import semantic  # noqa: E402
from portal.semantic import embedding  # noqa: E402

KIND = "benchidea"
QUERIES = 200
K = 5
FILTERS = {"visible": True}

FEATURES = [
    ("dark mode", "donkere modus"),
    ("solar panel yield", "opbrengst van de zonnepanelen"),
    ("the monthly advance", "het maandelijkse voorschot"),
    ("meter readings", "meterstanden"),
    ("heat pump settings", "instellingen van de warmtepomp"),
    ("charging sessions of my charger", "laadsessies van mijn laadpaal"),
    ("dynamic energy prices", "dynamische energieprijzen"),
    ("gas usage", "gasverbruik"),
    ("the annual invoice", "de jaarnota"),
    ("contract renewal", "contractverlenging"),
    ("smart meter data", "gegevens van de slimme meter"),
    ("home battery status", "status van de thuisbatterij"),
    ("peak hours", "piekuren"),
    ("CO2 savings", "CO2-besparing"),
    ("payment by iDEAL", "betalen met iDEAL"),
    ("the direct debit date", "de incassodatum"),
    ("moving house", "verhuizen"),
    ("push notifications", "pushmeldingen"),
    ("a home screen widget", "een widget op het beginscherm"),
    ("export to CSV", "exporteren naar CSV"),
]
VERBS = [
    ("Show", "Toon"),
    ("Add", "Voeg toe:"),
    ("Improve", "Verbeter"),
    ("Let me change", "Laat mij aanpassen:"),
    ("Please support", "Graag ondersteuning voor"),
    ("Make it possible to see", "Maak zichtbaar:"),
    ("Notify me about", "Stuur een melding over"),
    ("Simplify", "Vereenvoudig"),
]
PLACES = [
    ("in the app", "in de app"),
    ("on the website", "op de website"),
    ("in my account", "in mijn account"),
    ("per day", "per dag"),
    ("per month", "per maand"),
    ("in the dashboard", "in het dashboard"),
    ("on my phone", "op mijn telefoon"),
    ("for every customer", "voor alle klanten"),
]
REASONS = [
    ("It saves me time every month.", "Dat scheelt me elke maand tijd."),
    ("Then I can plan ahead.", "Dan kan ik vooruit plannen."),
    ("Other suppliers already offer this.", "Andere leveranciers bieden dit al."),
    ("It avoids surprises on the bill.", "Zo voorkom je verrassingen op de nota."),
    ("My neighbours asked for it too.", "Mijn buren vroegen er ook om."),
    ("It is hard to find right now.", "Het is nu lastig te vinden."),
]
STATUSES = ["new", "under_review", "planned", "in_progress", "done", "declined"]


def make_documents(n: int, seed: int = 42) -> list[semantic.SemanticDocument]:
    rng = random.Random(seed)
    documents = []
    for pk in range(1, n + 1):
        lang = rng.choice((0, 1))
        verb, feature, place = (
            rng.choice(VERBS)[lang],
            rng.choice(FEATURES)[lang],
            rng.choice(PLACES)[lang],
        )
        reasons = " ".join(r[lang] for r in rng.sample(REASONS, rng.randint(1, 3)))
        extra = rng.choice(FEATURES)[lang]
        title = f"{verb} {feature} {place}"
        also = "Also" if lang == 0 else "Ook"
        documents.append(
            semantic.SemanticDocument(
                kind=KIND,
                object_id=pk,
                text=f"{title}\n{reasons} {also}: {extra}. (#{pk})",
                meta={
                    "title": title,
                    "language": ("en", "nl")[lang],
                    "status": rng.choice(STATUSES),
                    "vote_count": rng.randint(0, 500),
                    "visible": rng.random() > 0.1,
                },
            )
        )
    return documents


def make_queries(seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    queries = []
    for _ in range(QUERIES):
        lang = rng.choice((0, 1))
        feature, place = rng.choice(FEATURES)[lang], rng.choice(PLACES)[lang]
        queries.append(f"{feature} {place}")
    return queries


def percentile(values: list[float], pct: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(pct) - 1]


def time_queries(queries: list[str]) -> tuple[float, float]:
    timings = []
    for query in queries:
        start = time.perf_counter()
        semantic.similar(query, kinds=[KIND], k=K, filters=FILTERS)
        timings.append((time.perf_counter() - start) * 1000)
    return percentile(timings, 50), percentile(timings, 95)


def run_store(store: str, queries: list[str], n: int) -> dict[str, float]:
    settings.SEMANTIC_STORE = store
    settings.SEMANTIC_EMBEDDINGS_ENABLED = True
    semantic.reset_store()
    embedding.reset_model_state()
    start = time.perf_counter()
    counts = semantic.rebuild(kinds=[KIND])
    index_seconds = time.perf_counter() - start
    assert counts == {KIND: n}, counts
    semantic.similar("warm up", kinds=[KIND])
    hybrid_p50, hybrid_p95 = time_queries(queries)
    settings.SEMANTIC_EMBEDDINGS_ENABLED = False
    bm25_p50, bm25_p95 = time_queries(queries)
    settings.SEMANTIC_EMBEDDINGS_ENABLED = True
    semantic.reset_store()
    return {
        "index_s": index_seconds,
        "index_rate": n / index_seconds,
        "p50": hybrid_p50,
        "p95": hybrid_p95,
        "bm25_p50": bm25_p50,
        "bm25_p95": bm25_p95,
    }


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    documents = make_documents(n)
    queries = make_queries()
    semantic.register_kind(KIND, loader=lambda ids: documents if ids is None else [])

    import logging

    # The BM25-only runs switch the model off on purpose; don't print that.
    logging.getLogger("portal.semantic.embedding").setLevel(logging.ERROR)

    start = time.perf_counter()
    assert embedding.model_available()
    load_seconds = time.perf_counter() - start
    import torch
    from haystack import Document

    embedder = embedding.document_embedder()
    sample = [Document(content=d.text) for d in documents[: min(n, 1000)]]
    start = time.perf_counter()
    embedder.run(documents=sample)
    embed_rate = len(sample) / (time.perf_counter() - start)

    print(
        f"semantic bench: {n} documents, {QUERIES} queries, k={K}, "
        f"filters={FILTERS}; {os.cpu_count()} CPUs, "
        f"torch threads={torch.get_num_threads()}, "
        f"load average {os.getloadavg()[0]:.1f} (other work shares these CPUs)"
    )
    print(f"model import + load: {load_seconds:.1f} s")
    print(
        f"embedding throughput (document embedder, batch "
        f"{embedding.DOCUMENT_BATCH_SIZE}, {len(sample)} docs): {embed_rate:.0f} docs/s"
    )
    results = {"memory": run_store("memory", queries, n)}
    with tempfile.TemporaryDirectory(prefix="semantic-bench-") as path:
        settings.QDRANT_PATH = path
        results["qdrant-path"] = run_store("qdrant-path", queries, n)
    for store, r in results.items():
        print(
            f"{store:<12} index {r['index_s']:6.1f} s ({r['index_rate']:4.0f} docs/s)"
            f" | hybrid p50 {r['p50']:6.1f} ms p95 {r['p95']:6.1f} ms"
            f" | BM25 only p50 {r['bm25_p50']:6.1f} ms p95 {r['bm25_p95']:6.1f} ms"
        )
    memory, qdrant = results["memory"], results["qdrant-path"]
    print(
        f"ratios qdrant-path/memory: hybrid p50 {qdrant['p50'] / memory['p50']:.2f}, "
        f"BM25-only p50 {qdrant['bm25_p50'] / memory['bm25_p50']:.2f}, "
        f"index rate {qdrant['index_rate'] / memory['index_rate']:.2f}; "
        f"load average at the end {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
