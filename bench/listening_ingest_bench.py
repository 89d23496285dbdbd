"""Listening ingest: end to end against a raw bulk insert. Not a test; one run.

    .venv/bin/python bench/listening_ingest_bench.py [--rows 20000] [--sqlite]
        [--profile]

The issue's target: "End to end (parse, enrich, store in PostgreSQL, in
batches), at least 1,000 mentions per second on one core. Report it as a
ratio against a raw bulk insert of the same rows in the same run."

Runs in this process with `portal.settings.test` (DEBUG off, so Django keeps
no query log) on the PostgreSQL database "seed_bench_listening" (created if
missing, then migrated), or, when PostgreSQL is not reachable (or with
--sqlite), on a temporary SQLite file, which the run says. Python does all
its work on one core (PostgreSQL is another process).

It writes a generic-preset CSV of --rows English and Dutch posts (90% name
the tracked brand or its competitor; authors, follower counts, dates) to a
temporary directory, then measures, in this order:

- raw:        the same rows as `Mention` objects (read with `csv.reader`
              beforehand, outside the clock) stored with
              `Mention.objects.bulk_create(batch_size=1000)`, one transaction
              per 1,000 rows: the floor of what storing costs;
- parse:      `connectors.upload.parse_rows` over the file alone;
- end to end: `listening.imports.mentions_import` (parse, clean, language,
              tracker matching, sentiment, intent, influence, cluster key,
              store in batches of 1,000 with their tracker links), what the
              command, the API and the background jobs run.

Each phase starts from an empty mention table. It prints rows per second
for each, the ratio end to end / raw, the CPU seconds of this process per
1,000 rows, and PASS/FAIL against 1,000 mentions/s. --profile adds the
functions with the most cumulative time in the end-to-end phase (cProfile).
Exits non-zero only when something fails, never because of a number.
"""

import argparse
import cProfile
import csv
import io
import os
import pstats
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402

DB = "seed_bench_listening"
TARGET = 1_000.0
BATCH = 1_000

EN = [
    "Vonk support fixed my meter reading in ten minutes, great service",
    "Why did my Vonk advance payment go up again this month?",
    "Switching from Stroomco to Vonk was painless, recommended",
    "Vonk app keeps crashing when I open my invoice, really annoying",
    "Does Vonk offer a fixed rate contract for heat pumps?",
    "Idea: Vonk should show hourly prices in the app",
    "Not bad at all, Vonk answered my question within the hour",
    "Stroomco doubled my bill, thinking about Vonk instead",
]
NL = [
    "Vonk heeft mijn meterstand snel verwerkt, top service",
    "Waarom is mijn voorschot bij Vonk weer omhoog gegaan?",
    "Overgestapt van Stroomco naar Vonk, ging heel soepel",
    "De app van Vonk crasht steeds bij het openen van de factuur",
    "Heeft Vonk ook een vast contract voor warmtepompen?",
    "Tip voor Vonk: laat de uurprijzen in de app zien",
    "Niet slecht, Vonk reageerde binnen een uur op mijn vraag",
    "Stroomco is veel te duur, ik ga naar Vonk",
]
OTHER = [
    "Lovely weather in Utrecht today",
    "De trein naar Amsterdam heeft weer vertraging",
]


def export_write(path: Path, rows: int, seed: int = 5) -> None:
    """A generic-preset CSV export of `rows` posts."""
    rng = random.Random(seed)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["id", "url", "author", "author_name", "followers", "text", "posted_at"]
        )
        for i in range(rows):
            pool = OTHER if i % 10 == 0 else (EN if i % 2 else NL)
            text = f"{rng.choice(pool)} #{i}"
            writer.writerow(
                [
                    f"bench-{i}",
                    f"https://social.example/@user{i % 5000}/{i}",
                    f"user{i % 5000}",
                    f"User {i % 5000}",
                    rng.choice([0, 12, 150, 2_400, 51_000]),
                    text,
                    (start + timedelta(minutes=i)).isoformat(),
                ]
            )


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument(
        "--sqlite", action="store_true", help="a temporary SQLite file, not PostgreSQL"
    )
    parser.add_argument("--profile", action="store_true", help="cProfile end to end")
    return parser.parse_args(argv)


def setup_django(database_url: str, var: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings.test"
    os.environ["DATABASE_URL"] = database_url
    os.environ["VAR_DIR"] = str(var)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")
    sys.path.insert(0, str(harness.ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def bench_mentions_delete(prefix: str) -> None:
    """Delete the bench's sources (names starting with `prefix`) and their
    mentions in SQL: the ORM's delete() would load every mention to cascade
    (gigabytes for a million rows). Bench mentions have no corrections."""
    from django.db import connection, transaction

    from listening.models import Mention, Source

    links = Mention.trackers.through._meta.db_table
    mentions, sources = Mention._meta.db_table, Source._meta.db_table
    chosen = f"SELECT id FROM {sources} WHERE name LIKE %s"  # noqa: S608
    with transaction.atomic(), connection.cursor() as cursor:
        for sql in (
            f"DELETE FROM {links} WHERE mention_id IN "  # noqa: S608
            f"(SELECT id FROM {mentions} WHERE source_id IN ({chosen}))",
            f"DELETE FROM {mentions} WHERE source_id IN ({chosen})",  # noqa: S608
        ):
            cursor.execute(sql, [prefix + "%"])
        Source.objects.filter(name__startswith=prefix).delete()


def reset() -> None:
    bench_mentions_delete("Bench ")


def trackers_ensure() -> None:
    from listening.models import Tracker

    Tracker.objects.get_or_create(
        name="Bench Vonk", defaults={"kind": "brand", "any_terms": "vonk"}
    )
    Tracker.objects.get_or_create(
        name="Bench Stroomco", defaults={"kind": "competitor", "any_terms": "stroomco"}
    )


def raw_insert(path: Path) -> tuple[int, float, float]:
    """bulk_create of the same rows, parsed beforehand; (rows, wall, cpu)."""
    from django.db import transaction

    from listening.models import Mention, Source

    source = Source.objects.create(name="Bench raw", kind="upload")
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        objects = [
            Mention(
                source=source,
                external_id=row[0],
                url=row[1],
                author_handle=row[2],
                author_name=row[3],
                author_followers=int(row[4]),
                text=row[5],
                posted_at=datetime.fromisoformat(row[6]),
                raw={},
            )
            for row in reader
        ]
    wall, cpu = time.perf_counter(), time.process_time()
    for start in range(0, len(objects), BATCH):
        with transaction.atomic():
            Mention.objects.bulk_create(objects[start : start + BATCH])
    return len(objects), time.perf_counter() - wall, time.process_time() - cpu


def parse_only(path: Path) -> tuple[int, float]:
    from listening.connectors.upload import parse_rows

    wall = time.perf_counter()
    with path.open("rb") as stream:
        rows = sum(1 for _ in parse_rows(stream, format="csv", preset="generic"))
    return rows, time.perf_counter() - wall


def end_to_end(path: Path, profile: bool):
    from listening.imports import mentions_import

    profiler = cProfile.Profile() if profile else None
    wall, cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    with path.open("rb") as stream:
        report = mentions_import(
            source="Bench ingest",
            stream=stream,
            format="csv",
            preset="generic",
            batch_size=BATCH,
        )
    if profiler:
        profiler.disable()
    return report, time.perf_counter() - wall, time.process_time() - cpu, profiler


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="listening-ingest-"))
    problem = None if args.sqlite else harness.postgres_problem()
    if args.sqlite or problem:
        if problem:
            print(f"PostgreSQL not reachable ({problem}): using SQLite instead")
        database_url = f"sqlite:///{tmp / 'bench.sqlite3'}"
        backend = "SQLite (temporary file)"
    else:
        harness.ensure_database(DB)
        database_url = f"{harness.PG_URL}/{DB}"
        backend = f"PostgreSQL database {DB}"
    print(harness.machine_summary())
    print(f"database: {backend}")
    setup_django(database_url, tmp / "var")
    from listening.enrichment.language import language_detect

    language_detect("warm up the language models once", languages=("en", "nl"))
    trackers_ensure()
    export = tmp / "export.csv"
    export_write(export, args.rows)
    print(f"{args.rows:,} rows, {export.stat().st_size / 1e6:.1f} MB CSV")

    reset()
    rows, raw_wall, raw_cpu = raw_insert(export)
    reset()
    parsed, parse_wall = parse_only(export)
    report, wall, cpu, profiler = end_to_end(export, args.profile)
    reset()

    raw_rate = rows / raw_wall
    rate = report.rows / wall
    print()
    print(f"{'phase':<12} {'rows':>8} {'seconds':>8} {'rows/s':>9} {'cpu s/1k':>9}")
    print(
        f"{'raw insert':<12} {rows:>8,} {raw_wall:>8.2f} {raw_rate:>9,.0f} "
        f"{raw_cpu / rows * 1000:>9.3f}"
    )
    parse_rate = parsed / parse_wall
    print(f"{'parse only':<12} {parsed:>8,} {parse_wall:>8.2f} {parse_rate:>9,.0f}")
    print(
        f"{'end to end':<12} {report.rows:>8,} {wall:>8.2f} {rate:>9,.0f} "
        f"{cpu / report.rows * 1000:>9.3f}"
    )
    print(
        f"end to end stored {report.imported:,}, unmatched {report.unmatched:,}, "
        f"duplicates {report.duplicates:,}, rejected {report.rejected_total:,}"
    )
    print(f"ratio end to end / raw insert: {rate / raw_rate:.3f}")
    verdict = "PASS" if rate >= TARGET else "FAIL"
    print(f"{verdict}: {rate:,.0f} mentions/s end to end (target >= {TARGET:,.0f})")
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
        print(out.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
