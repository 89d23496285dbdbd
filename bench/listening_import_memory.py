"""Peak memory of `manage.py listening_import` on a 1M-row CSV. Not a test.

    .venv/bin/python bench/listening_import_memory.py [--rows 1000000]
        [--sqlite] [--keep]

The issue's target: "A 1M-row CSV import stays under 300 MB RSS."

Writes a generic-preset CSV of --rows English and Dutch posts (the generator
of bench/listening_ingest_bench.py: 90% name a tracked brand, so most rows
are enriched and stored) to a temporary directory, then runs three child
processes, each measured on its own with os.wait4 (peak RSS, ru_maxrss):

- django:   `django.setup()` and nothing else: what loading the project's
            apps costs;
- baseline: `manage.py listening_import` on a one-row file: Django, the
            command and the enrichment (lingua's language models, the
            sentiment lexicons, the intent patterns) loaded, nothing
            imported to speak of;
- import:   `manage.py listening_import` on the whole file.

It prints each peak, the import's growth over the baseline, and the
parent's `resource.getrusage(RUSAGE_CHILDREN).ru_maxrss` (the largest child),
with PASS/FAIL against 300 MB. The children use `portal.settings.test`
(DEBUG off: Django keeps no query log) on the PostgreSQL database
"seed_bench_listening" (migrated first), or a temporary SQLite file when
PostgreSQL is not reachable or with --sqlite. The bench's mentions and
source are deleted afterwards. About 15 minutes for 1M rows on this machine
(the import runs at the end-to-end rate of listening_ingest_bench.py).
Exits non-zero only when a child fails, never because of a number.
"""

import argparse
import os
import resource
import shutil
import subprocess  # noqa: S404 - the bench runs manage.py in children
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
from listening_ingest_bench import export_write  # noqa: E402

BENCH_DIR = Path(__file__).resolve().parent
DB = "seed_bench_listening"
TARGET_MB = 300.0
SOURCE = "Bench memory"
TRACKERS = (
    ("Bench Vonk", "brand", "vonk"),
    ("Bench Stroomco", "competitor", "stroomco"),
)

SETUP_ONLY = "import django; django.setup()"
PREPARE = f"""
import django; django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0, interactive=False)
from listening.models import Tracker
from listening_ingest_bench import bench_mentions_delete
bench_mentions_delete({SOURCE!r})
for name, kind, term in {TRACKERS!r}:
    Tracker.objects.get_or_create(
        name=name, defaults={{"kind": kind, "any_terms": term}}
    )
"""
CLEAN_UP = f"""
import django; django.setup()
from listening_ingest_bench import bench_mentions_delete
bench_mentions_delete({SOURCE!r})
"""


def run(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run one child; (peak RSS in MB, seconds, its stdout)."""
    start = time.perf_counter()
    process = subprocess.Popen(  # noqa: S603
        [harness.PYTHON, *args],
        cwd=harness.ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    out = process.stdout.read().decode() if process.stdout else ""
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"{' '.join(args)} failed ({process.returncode}):\n{out}")
    return usage.ru_maxrss / 1024, time.perf_counter() - start, out


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--sqlite", action="store_true", help="a temporary SQLite file, not PostgreSQL"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp dir")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="listening-memory-"))
    problem = None if args.sqlite else harness.postgres_problem()
    if args.sqlite or problem:
        if problem:
            print(f"PostgreSQL not reachable ({problem}): using SQLite instead")
        database_url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    else:
        harness.ensure_database(DB)
        database_url = f"{harness.PG_URL}/{DB}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "DATABASE_URL": database_url,
        "VAR_DIR": str(tmp / "var"),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HAYSTACK_TELEMETRY_ENABLED": "False",
        "PYTHONPATH": os.pathsep.join([str(harness.ROOT), str(BENCH_DIR)]),
    }
    print(harness.machine_summary())
    print(f"database: {database_url.rsplit('@', 1)[-1]}")
    try:
        run(["-c", PREPARE], env)
        one = tmp / "one.csv"
        export_write(one, 1)
        export = tmp / "export.csv"
        export_write(export, args.rows)
        print(f"{args.rows:,} rows, {export.stat().st_size / 1e6:.0f} MB CSV")
        command = [
            str(harness.ROOT / "manage.py"),
            "listening_import",
            "--preset=generic",
            f"--source={SOURCE}",
        ]
        django_mb, _s, _out = run(["-c", SETUP_ONLY], env)
        base_mb, _s, _out = run([*command, str(one)], env)
        run(["-c", CLEAN_UP], env)
        import_mb, seconds, out = run([*command, str(export)], env)
        children_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        run(["-c", CLEAN_UP], env)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)

    print(out.strip().splitlines()[0] if out.strip() else "(no report)")
    print()
    print(f"{'process':<34} {'peak RSS MB':>11}")
    print(f"{'django.setup() only':<34} {django_mb:>11.0f}")
    print(f"{'baseline: command on 1 row':<34} {base_mb:>11.0f}")
    print(f"{f'import: command on {args.rows:,} rows':<34} {import_mb:>11.0f}")
    print(f"{'  of which the import itself':<34} {import_mb - base_mb:>11.0f}")
    print(f"{'RUSAGE_CHILDREN ru_maxrss':<34} {children_mb:>11.0f}")
    print(f"import took {seconds:.0f} s ({args.rows / seconds:,.0f} rows/s)")
    verdict = "PASS" if import_mb < TARGET_MB else "FAIL"
    print(f"{verdict}: peak {import_mb:.0f} MB RSS (target < {TARGET_MB:.0f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
