"""Fill the load bench's database with the reports bench's data, once.

    nice -n 10 .venv/bin/python bench/load/seed.py [--reseed]

The load bench (bench/load/run.py) reuses bench/reports_bench.py's database
"seed_reports_bench" and its seed (1M mentions, 100k ideas, ~1M votes, ~200k
comments, 20k questions, 10k experts, 50k members) instead of a copy of it:
this script creates and migrates the database and calls
`reports_bench.seed()` when the database does not hold exactly 1M bench
mentions and 100k bench ideas (or with --reseed). It skips the reports
bench's rollup and timings: the load scenario reads no insight report.

Runs in its own process because reports_bench sets Django up in-process with
`portal.settings.test`; run.py calls it as a subprocess.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BENCH))

import harness  # noqa: E402
import reports_bench  # noqa: E402

MENTIONS = 1_000_000
IDEAS = 100_000
MEMBERS = 50_000


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reseed", action="store_true", help="fill again")
    args = parser.parse_args(argv)
    problem = harness.postgres_problem()
    if problem:
        print(f"PostgreSQL not reachable ({problem}): the load bench needs it")
        return 2
    if harness.ensure_database(reports_bench.DB):
        print(f"created database {reports_bench.DB}")
    start = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="load-bench-seed-"))
    reports_bench.setup_django(f"{harness.PG_URL}/{reports_bench.DB}", tmp / "var")
    print(f"migrate: {time.perf_counter() - start:.1f} s")
    have = reports_bench.bench_counts()
    if not args.reseed and have == (MENTIONS, IDEAS):
        print(
            f"{reports_bench.DB} already holds {have[0]:,} bench mentions and "
            f"{have[1]:,} bench ideas: not refilling"
        )
        return 0
    print(
        f"filling {reports_bench.DB}: {MENTIONS:,} mentions, {IDEAS:,} ideas, "
        f"{MEMBERS:,} members (had {have[0]:,} mentions and {have[1]:,} ideas)"
    )
    seed_args = argparse.Namespace(mentions=MENTIONS, ideas=IDEAS, members=MEMBERS)
    for name, seconds in reports_bench.seed(seed_args).items():
        print(f"  {name:<28} {seconds:>7.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
