"""Does the ideas list keep up with a bare Django page? Not a test; prints one run.

    .venv/bin/python bench/ideas_list_bench.py [--ideas 100000] [--reseed]

Creates (or reuses) the PostgreSQL database "seed_bench", migrates it and fills
it with `manage.py seed_bench_ideas` (100k ideas, 1M votes, 10k members) unless
it already holds that many bench ideas. Then starts gunicorn as production runs
it (portal.settings.production, 2 sync workers, Redis cache, CONN_MAX_AGE=60)
with BENCH_VIEWS=true, and drives it with wrk (-t2 -c8 -d15s --latency):

- /bench/bare/            base.html and nothing else (the baseline; run before
                          and after the list, and once more at the end)
- /en/ideas/              the list, trending, page 1
- /en/ideas/?page=N       a random page 1-250 per request (a wrk Lua script):
                          the list caches its cards for visitors, so one URL
                          is nearly always a cache hit; this shows the misses
- /en/ideas/?sort=top     most votes
- /en/ideas/?page=200     deep pagination
- /en/ideas/<id>-<slug>/  the detail page of the most-voted idea

It prints requests/s and p50/p99 latency per URL, the ratio list/bare (against
the bare runs just before and after the list), the resident memory of the
gunicorn processes; then 6 rounds of 5 s runs of bare, list and random list
pages, alternating, and the median of the per-round ratios (other work on a
shared machine moves throughput within minutes; runs seconds apart compare
better); then, in one process with Django's test client, the queries each page
runs and the slowest of them.
Exits non-zero only when something fails, never because of a number; exits 0
with a message when wrk or PostgreSQL is missing.
"""

import argparse
import json
import os
import re
import statistics
import subprocess  # noqa: S404
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402

BARE = "/bench/bare/"
# A random page of the trending list per request: the list keeps rendered cards
# for visitors in the cache for a while, and one URL hammered by wrk is almost
# always a cache hit; random pages show what a miss costs.
RANDOM_PAGES = 250
RANDOM_PAGE = "/en/ideas/?page=random"
RANDOM_PAGE_LUA = f"""
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end
function init(args)
  math.randomseed(id * 7919 + os.time())
end
request = function()
  return wrk.format("GET", "/en/ideas/?page=" .. math.random(1, {RANDOM_PAGES}))
end
"""
OPEN_STATUSES = ("new", "under_review", "planned", "in_progress")
TARGET_RATIO = 0.5


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="seed_bench")
    parser.add_argument("--ideas", type=int, default=100_000)
    parser.add_argument("--votes-per-idea", type=int, default=10)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--reseed", action="store_true", help="seed again")
    parser.add_argument("--duration", type=int, default=15, help="seconds per URL")
    parser.add_argument("--warmup", type=int, default=3, help="seconds per URL")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--rounds", type=int, default=6, help="alternating bare/list rounds"
    )
    parser.add_argument("--round-seconds", type=int, default=5)
    parser.add_argument("--no-profile", action="store_true", help="skip query counts")
    parser.add_argument("--profile-only", nargs="+", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


# --- wrk ----------------------------------------------------------------------------

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not match:
        raise ValueError(f"unexpected wrk latency {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def wrk(base: str, path: str, *, seconds: int, args: argparse.Namespace) -> dict:
    command = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{seconds}s",
        "--timeout=10s",
        "--latency",
    ]
    if path == RANDOM_PAGE:
        script = harness.VAR / "random_page.lua"
        script.write_text(RANDOM_PAGE_LUA)
        command += ["-s", str(script), base + "/"]
    else:
        command.append(base + path)
    output = subprocess.run(  # noqa: S603
        command, capture_output=True, text=True, check=True
    ).stdout
    result = {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "non_2xx": 0,
        "errors": 0,
    }
    for pct in ("50", "75", "90", "99"):
        match = re.search(rf"^\s+{pct}%\s+(\S+)", output, re.MULTILINE)
        result[f"p{pct}"] = _ms(match.group(1))
    if match := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        result["non_2xx"] = int(match.group(1))
    if match := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    ):
        result["errors"] = sum(int(n) for n in match.groups())
    return result


# --- the run ------------------------------------------------------------------------


def detail_path(db: str) -> str:
    from django.utils.text import slugify

    rows = harness.query(
        db,
        "SELECT i.id, i.title FROM ideas_idea i JOIN accounts_user u "
        "ON u.id = i.author_id WHERE u.username LIKE %s AND NOT i.is_hidden "
        "AND i.status = ANY(%s) ORDER BY i.vote_count DESC, i.id LIMIT 1",
        [f"{harness.BENCH_MEMBER_PREFIX}%", list(OPEN_STATUSES)],
    )
    pk, title = rows[0]
    return f"/en/ideas/{pk}-{slugify(title)[:60] or 'idea'}/"


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.profile_only:
        return profile_pages(args.profile_only)
    if not harness.which("wrk"):
        print("ideas list bench skipped: wrk is not installed (apt-get install wrk).")
        return 0
    if problem := harness.postgres_problem():
        print(f"ideas list bench skipped: PostgreSQL at {harness.PG_URL}: {problem}")
        return 0
    print(f"ideas list bench on {harness.machine_summary()}")
    done = harness.ensure_seeded(
        args.db,
        ideas=args.ideas,
        votes_per_idea=args.votes_per_idea,
        members=args.members,
        reseed=args.reseed,
    )
    for step, seconds in done.items():
        print(f"  {step}: {seconds:.0f} s")
    env = harness.django_env(args.db)
    harness.manage(["collectstatic", "--noinput"], env, quiet=True)
    harness.flush_bench_cache()
    ideas, votes = harness.bench_counts(args.db)
    # The list runs between two bare runs: other work on a shared machine
    # moves throughput by tens of percent within minutes, so the ratio uses
    # the bare runs right before and after it.
    urls = [
        ("bare 1", BARE),
        ("list trending p1", "/en/ideas/"),
        ("bare 2", BARE),
        (f"list random p1-{RANDOM_PAGES}", RANDOM_PAGE),
        ("list top p1", "/en/ideas/?sort=top"),
        ("list trending p200", "/en/ideas/?page=200"),
        ("detail (top idea)", detail_path(args.db)),
        ("bare 3", BARE),
    ]
    pages = [(label, path) for label, path in urls if path != BARE]
    print(
        f"data: {ideas} bench ideas, {votes} votes in {args.db}; wrk -t{args.threads} "
        f"-c{args.connections} -d{args.duration}s against gunicorn, "
        f"{args.workers} sync workers"
    )
    results: dict[str, dict] = {}
    with harness.Gunicorn(env, workers=args.workers, name="ideas-list") as server:
        server.wait_ready(BARE)
        settled = server.wait_settled()
        print(f"  workers idle after {settled:.0f} s (model warm-up in portal/wsgi.py)")
        for label, path in urls:
            status, body = harness.fetch(server.base + path.replace("random", "2"))
            if status != 200:
                raise RuntimeError(f"{path} answered HTTP {status}; see {server.log}")
            results[label] = {"path": path, "bytes": len(body)}
        rss_idle = server.rss_mib()
        for _label, path in [("bare", BARE), *pages]:
            wrk(server.base, path, seconds=args.warmup, args=args)
        for label, path in urls:
            results[label].update(
                wrk(server.base, path, seconds=args.duration, args=args)
            )
            r = results[label]
            print(
                f"  {label:<20} {r['rps']:8.1f} req/s  p50 {r['p50']:7.1f} ms  "
                f"p99 {r['p99']:7.1f} ms  ({r['requests']} requests)",
                flush=True,
            )
        rounds = paired_rounds(server.base, args)
        rss_loaded = server.rss_mib()
    report(results, rss_idle, rss_loaded, args)
    report_rounds(rounds, args)
    if not args.no_profile:
        print("\nqueries per page (one process, Django test client, warm cache):")
        command = [
            harness.PYTHON,
            __file__,
            "--profile-only",
            BARE,
            *[path for _label, path in pages],
        ]
        subprocess.run(command, env=env, check=True)  # noqa: S603
    return 0


def report(results: dict, rss_idle: dict, rss_loaded: dict, args) -> None:
    bares = [r["rps"] for label, r in results.items() if label.startswith("bare")]
    bare = statistics.mean(bares)
    print(
        f"\n| page | path | req/s | p50 ms | p99 ms | vs mean bare | non-2xx | "
        f"socket errors | bytes |\n|{'---|' * 9}"
    )
    for label, r in results.items():
        print(
            f"| {label} | `{r['path']}` | {r['rps']:.1f} | {r['p50']:.1f} | "
            f"{r['p99']:.1f} | {r['rps'] / bare:.2f} | {r['non_2xx']} | "
            f"{r['errors']} | {r['bytes']} |"
        )
    around = statistics.mean([results["bare 1"]["rps"], results["bare 2"]["rps"]])
    ratio = results["list trending p1"]["rps"] / around
    verdict = "meets" if ratio >= TARGET_RATIO else "MISSES"
    print(
        f"\nratio list/bare (trending, page 1, against the bare runs just before "
        f"and after it, {around:.1f} req/s): {ratio:.2f} -> {verdict} the target "
        f"of {TARGET_RATIO:.2f}; against the mean of all bare runs: "
        f"{results['list trending p1']['rps'] / bare:.2f}"
    )
    print(
        f"bare runs: {', '.join(f'{b:.1f}' for b in bares)} req/s "
        f"(spread {max(bares) / min(bares):.2f}x: other work on the machine)"
    )
    for name, rss in (
        ("after warm-up request", rss_idle),
        ("after the load", rss_loaded),
    ):
        parts = ", ".join(f"{label} {mib:.0f} MiB" for label, mib in rss.items())
        print(f"gunicorn RSS {name}: {parts}")
    print(
        json.dumps({"ratio_list_bare": round(ratio, 3), "bare_rps": round(around, 1)})
    )


def paired_rounds(base: str, args: argparse.Namespace) -> dict[str, list[float]]:
    """Short runs of bare, list and random list pages, one after the other,
    several times: each round's ratios compare runs seconds apart, so the
    median ratio is far less moved by other work than one long run each."""
    rps: dict[str, list[float]] = {"bare": [], "list": [], "random": []}
    for _ in range(args.rounds):
        for key, path in (
            ("bare", BARE),
            ("list", "/en/ideas/"),
            ("random", RANDOM_PAGE),
        ):
            rps[key].append(
                wrk(base, path, seconds=args.round_seconds, args=args)["rps"]
            )
    return rps


def report_rounds(rps: dict[str, list[float]], args: argparse.Namespace) -> None:
    if not rps["bare"]:
        return
    print(
        f"\n{args.rounds} rounds of bare, list and random list pages, "
        f"{args.round_seconds} s each, alternating:\n"
    )
    print(
        "| round | bare req/s | list p1 req/s | random pages req/s | list/bare | "
        "random/bare |\n|---|---|---|---|---|---|"
    )
    for i, (b, l_, r) in enumerate(
        zip(rps["bare"], rps["list"], rps["random"], strict=True)
    ):
        print(
            f"| {i + 1} | {b:.1f} | {l_:.1f} | {r:.1f} | {l_ / b:.2f} | {r / b:.2f} |"
        )
    for key, label in (("list", "list p1 (cached cards)"), ("random", "random pages")):
        ratios = [x / b for x, b in zip(rps[key], rps["bare"], strict=True)]
        median = statistics.median(ratios)
        verdict = "meets" if median >= TARGET_RATIO else "MISSES"
        print(
            f"median ratio {label}/bare: {median:.2f} (rounds {min(ratios):.2f}-"
            f"{max(ratios):.2f}) -> {verdict} the target of {TARGET_RATIO:.2f}"
        )


# --- query profile (runs in a child process with the production settings) ------------


def profile_pages(paths: list[str]) -> int:
    import django

    sys.path.insert(0, str(harness.ROOT))
    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1", HTTP_ACCEPT_LANGUAGE="en")
    print("| path | queries | SQL ms | request ms (median of 5) | slowest query |")
    print("|---|---|---|---|---|")
    for path in paths:
        # Random pages: five pages not requested before (cache misses).
        urls = [path.replace("random", str(100 + i)) for i in range(6)]
        if path != RANDOM_PAGE:
            urls = [path] * 6
        client.get(urls[0])  # warm the cache and the connection
        timings = []
        for url in urls[1:]:
            with CaptureQueriesContext(connection) as captured:
                start = time.perf_counter()
                response = client.get(url)
                timings.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        if path == RANDOM_PAGE:
            path = "/en/ideas/?page=101…105 (pages not seen before)"
        queries = captured.captured_queries
        sql_ms = sum(float(q["time"]) for q in queries) * 1000
        slowest = max(queries, key=lambda q: float(q["time"]), default=None)
        summary = ""
        if slowest:
            sql = " ".join(slowest["sql"].split())
            summary = f"{float(slowest['time']) * 1000:.1f} ms: `{sql[:140]}…`"
        print(
            f"| `{path}` | {len(queries)} | {sql_ms:.1f} | "
            f"{statistics.median(timings):.1f} | {summary} |"
        )
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        print(f"ideas list bench failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        if os.environ.get("BENCH_TRACEBACK"):
            raise
        sys.exit(1)
