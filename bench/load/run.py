"""Load bench: locust against gunicorn + PostgreSQL + Redis + a Celery worker,
each endpoint class compared with a bare Django view measured in the same run.
Not a test; one run.

    .venv/bin/python bench/load/run.py [--users 20] [--spawn-rate 10]
        [--bare-seconds 60] [--mix-seconds 120] [--no-bare-after]
        [--workers 2] [--celery-concurrency 2] [--max-failure-rate 1.0]
        [--reseed]

What it does, in order:

1. locust: a virtualenv of its own, var/bench-venv, with the pins of
   bench/load/requirements.txt (created on the first run). Not in
   requirements-dev: locust registers a pytest plugin (a `--host` option and
   `session` fixtures in every test run) and brings gevent into the test venv.
2. The data: bench/load/seed.py fills the PostgreSQL database
   "seed_reports_bench" with bench/reports_bench.py's seed (1M mentions, 100k
   ideas, ~1M votes, ~200k comments, 20k questions, 10k experts, 50k members)
   unless it already holds it (--reseed forces it; ~5–8 min, niced).
3. collectstatic into bench/var/static, empties Redis database 13 (the
   bench's cache and broker), then bench/load/prepare.py adds the page tree
   if missing, makes a session for each of --members members, and samples
   the ids the visitors open (bench/var/load/data.json).
4. A Celery worker (`celery -A portal worker -Q default,ingest,enrich,notify,
   index --concurrency 2`, as docker-compose.yml runs it) and gunicorn
   (`portal.wsgi:application`, --workers sync workers, as the image's CMD
   with WEB_CONCURRENCY=2) on a free port of 127.0.0.1, both with
   `bench.load.settings` (production settings plus the bare view /bench/tiny/;
   see that module), a random SECRET_KEY, DEBUG off, the Redis cache
   (REDIS_CACHE_URL=rediscache://127.0.0.1:6379/13), the Redis broker
   (redis://127.0.0.1:6379/13), CONN_MAX_AGE=60, SEMANTIC_STORE=memory (the
   seed writes rows in SQL and indexes none), console e-mail (to the worker's
   log), and every app rate limit raised to 100000/m through its
   environment variable (IDEAS_VOTE_RATE, IDEAS_SUBMIT_RATE,
   COMMENTS_POST_RATE, EXPERTS_ASK_RATE, EXPERTS_ANSWER_RATE,
   EXPERTS_HELPFUL_RATE).
5. Waits until gunicorn's workers are idle (they load the embedding model in
   the background), notes memory, then runs `locust --headless` with a fixed
   user count and spawn rate (statistics reset once every user has started):
   phase 1 BareUser only (--bare-seconds), phase 2 Visitor + Member, half
   each (--mix-seconds; bench/load/locustfile.py), phase 3 BareUser again
   (--bare-seconds; unless --no-bare-after) to show how far the machine
   drifted during the run.
6. Prints one table: endpoint class, requests, failures, req/s, and
   p50/p95/p99 twice, each also as a multiple of the bare view's in phase 1:
   as the users saw them (locust; with 20 users on 2 workers mostly the
   queue, so nearly the same for every class) and as gunicorn timed each
   request (its access log, `%(D)s`, by the locustfile's X-Bench-Class
   header: the cost of the class itself). Then
   the mix's throughput as a fraction of the bare view's, every failure by
   class and message (server errors first), the Celery tasks run, and the
   resident memory (RSS) of the gunicorn master and workers and of the
   Celery worker's processes before and after, and their peaks (VmHWM).

Writes only to seed_reports_bench, Redis database 13, bench/var/ and
var/bench-venv. Exits 1 when the failure rate (any request answered with a
status its class does not expect, 5xx included, or not answered) is over
--max-failure-rate percent, 2 when a service is missing; never because of a
time.
"""

import argparse
import csv
import json
import os
import re
import signal
import subprocess  # noqa: S404 # nosec B404 - the bench drives its own processes
import sys
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BENCH))

import harness  # noqa: E402

ROOT = harness.ROOT
DB = "seed_reports_bench"
OUT = harness.VAR / "load"
REDIS_URL = "redis://127.0.0.1:6379/13"
VENV = ROOT / "var" / "bench-venv"
LOCUST = VENV / "bin" / "locust"
CELERY = str(ROOT / ".venv" / "bin" / "celery")
QUEUES = ["default", "ingest", "enrich", "notify", "index"]
RATE = "100000/m"
ACCESS_FORMAT = "bench %({x-bench-class}i)s|%(s)s|%(D)s"
ACCESS_LINE = re.compile(r"^bench ([^|]+)\|(\d{3})\|(\d+)$", re.MULTILINE)
RATE_SETTINGS = [
    "IDEAS_VOTE_RATE",
    "IDEAS_SUBMIT_RATE",
    "COMMENTS_POST_RATE",
    "EXPERTS_ASK_RATE",
    "EXPERTS_ANSWER_RATE",
    "EXPERTS_HELPFUL_RATE",
]
# The order of the table: the baseline, browsing, then writes.
CLASSES = [
    "bare",
    "site shell (base.html)",
    "home",
    "ideas list",
    "ideas list (deep page)",
    "idea detail",
    "questions list",
    "question detail",
    "search",
    "vote",
    "unvote",
    "comment",
    "ask form",
    "ask",
]


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--bare-seconds", type=int, default=60)
    parser.add_argument("--mix-seconds", type=int, default=120)
    parser.add_argument(
        "--no-bare-after", action="store_true", help="skip phase 3 (bare again)"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--celery-concurrency", type=int, default=2)
    parser.add_argument(
        "--members", type=int, default=200, help="member sessions to make"
    )
    parser.add_argument(
        "--max-failure-rate",
        type=float,
        default=1.0,
        help="percent of requests; exit 1 above it",
    )
    parser.add_argument("--reseed", action="store_true", help="fill the data again")
    return parser.parse_args(argv)


# --- set-up ----------------------------------------------------------------------


def ensure_locust() -> None:
    if LOCUST.exists():
        return
    print(f"creating {VENV} with bench/load/requirements.txt")
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)  # noqa: S603
    subprocess.run(  # noqa: S603
        [
            str(VENV / "bin" / "pip"),
            "install",
            "--quiet",
            "-r",
            str(BENCH / "load" / "requirements.txt"),
        ],
        check=True,
    )


def bench_env() -> dict[str, str]:
    extra = {
        "DJANGO_SETTINGS_MODULE": "bench.load.settings",
        "PYTHONPATH": str(ROOT),
        "REDIS_CACHE_URL": REDIS_URL.replace("redis://", "rediscache://"),
        "CELERY_BROKER_URL": REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "SEMANTIC_STORE": "memory",
    }
    extra.update(dict.fromkeys(RATE_SETTINGS, RATE))
    # Each request's class (the locustfile's X-Bench-Class header), status and
    # time in microseconds from gunicorn's point of view: parsed to the end of
    # the response, without the time waiting for a free worker.
    extra["GUNICORN_CMD_ARGS"] = f"--access-logformat='{ACCESS_FORMAT}'"
    return harness.django_env(DB, **extra)


def flush_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def queue_lengths() -> dict[str, int]:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    return {queue: client.llen(queue) for queue in QUEUES}


# --- processes and memory ----------------------------------------------------------


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return sorted(found)


def memory_of(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) in MiB; (0, 0) when the process is gone."""
    values = {"VmRSS:": 0.0, "VmHWM:": 0.0}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key = line.split(":", 1)[0] + ":"
            if key in values:
                values[key] = int(line.split()[1]) / 1024
    except OSError:
        pass
    return values["VmRSS:"], values["VmHWM:"]


def snapshot(gunicorn_pid: int, celery_pid: int) -> dict[str, tuple[float, float]]:
    """{label: (RSS, peak RSS)} of gunicorn's master and workers and the Celery
    worker's main process and pool processes."""
    result = {"gunicorn master": memory_of(gunicorn_pid)}
    for n, pid in enumerate(children(gunicorn_pid), 1):
        result[f"gunicorn worker {n}"] = memory_of(pid)
    result["celery main"] = memory_of(celery_pid)
    for n, pid in enumerate(children(celery_pid), 1):
        result[f"celery pool {n}"] = memory_of(pid)
    return result


class Sampler(threading.Thread):
    """The highest total RSS of gunicorn (all processes) and of the Celery
    worker (all processes), sampled every second."""

    def __init__(self, gunicorn_pid: int, celery_pid: int) -> None:
        super().__init__(daemon=True)
        self.pids = (gunicorn_pid, celery_pid)
        self.peak = {"gunicorn": 0.0, "celery": 0.0}
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(1.0):
            for name, pid in zip(self.peak, self.pids, strict=True):
                total = sum(memory_of(p)[0] for p in [pid, *children(pid)])
                self.peak[name] = max(self.peak[name], total)


class CeleryWorker:
    def __init__(self, env: dict[str, str], concurrency: int) -> None:
        self.log = OUT / "celery.log"
        self._log_file = self.log.open("w")
        self.process = subprocess.Popen(  # noqa: S603
            [
                CELERY,
                "-A",
                "portal",
                "worker",
                "-l",
                "info",
                "-Q",
                ",".join(QUEUES),
                "--concurrency",
                str(concurrency),
                "-n",
                "loadbench@%h",
                "--without-gossip",
                "--without-mingle",
            ],
            env=env,
            cwd=ROOT,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the Celery worker exited; see {self.log}")
            if " ready." in self.log.read_text(errors="replace"):
                return
            time.sleep(0.5)
        raise RuntimeError(f"the Celery worker is not ready; see {self.log}")

    def tasks(self) -> tuple[int, int, dict[str, int]]:
        """(succeeded, failed or retried, succeeded by task name) so far."""
        text = self.log.read_text(errors="replace")
        names: dict[str, int] = {}
        for name in re.findall(r"Task (\S+)\[[^\]]+\] succeeded", text):
            names[name] = names.get(name, 0) + 1
        bad = len(re.findall(r"\] (?:raised unexpected|retry:)", text))
        bad += len(re.findall(r"^\[[^\]]*: ERROR/", text, re.MULTILINE))
        return sum(names.values()), bad, names

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # warm shutdown
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._log_file.close()


# --- locust ------------------------------------------------------------------------


def run_locust(
    name: str, classes: list[str], seconds: int, base: str, access_log: Path, args
) -> dict[str, dict]:
    """One headless phase; {endpoint class: stats} from locust's CSV, with
    "Aggregated" for the phase as a whole and "_failures" its failure rows."""
    prefix = OUT / name
    env = dict(os.environ, LOAD_BENCH_DATA=str(OUT / "data.json"))
    access_start = access_log.stat().st_size
    load = os.getloadavg()[0]
    started = time.perf_counter()
    subprocess.run(  # noqa: S603
        [
            str(LOCUST),
            "-f",
            str(BENCH / "load" / "locustfile.py"),
            "--headless",
            "--host",
            base,
            "--users",
            str(args.users),
            "--spawn-rate",
            str(args.spawn_rate),
            "--run-time",
            f"{seconds}s",
            "--reset-stats",
            "--stop-timeout",
            "10",
            "--csv",
            str(prefix),
            "--only-summary",
            "--loglevel",
            "WARNING",
            *classes,
        ],
        env=env,
        cwd=ROOT,
        check=False,  # locust exits 1 on any failure; the figures decide
        stdout=(OUT / f"{name}-locust.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    elapsed = time.perf_counter() - started
    stats = {}
    with Path(f"{prefix}_stats.csv").open() as handle:
        for row in csv.DictReader(handle):
            stats[row["Name"]] = row
    with Path(f"{prefix}_failures.csv").open() as handle:
        stats["_failures"] = list(csv.DictReader(handle))
    stats["_load"] = (load, os.getloadavg()[0], elapsed)
    time.sleep(1)  # the last access log lines
    stats["_server"] = server_times(access_log, access_start, access_log.stat().st_size)
    return stats


def server_times(log: Path, start: int, end: int) -> dict[str, dict]:
    """{class: {"n", "p50", "p95", "p99"}} in ms from gunicorn's access log
    between two byte offsets (one phase), "Aggregated" for all of them."""
    with log.open("rb") as handle:
        handle.seek(start)
        text = handle.read(end - start).decode(errors="replace")
    times: dict[str, list[float]] = {}
    for name, _status, micros in ACCESS_LINE.findall(text):
        if name == "-":  # no header: the readiness probes of harness.Gunicorn
            continue
        times.setdefault(name, []).append(int(micros) / 1000)
        times.setdefault("Aggregated", []).append(int(micros) / 1000)
    return {
        name: {
            "n": len(values),
            "p50": harness.percentile(values, 50),
            "p95": harness.percentile(values, 95),
            "p99": harness.percentile(values, 99),
        }
        for name, values in times.items()
    }


def number(row: dict, key: str) -> float:
    value = row.get(key) or "0"
    return float(value) if value not in ("N/A", "") else 0.0


def table(phases: dict[str, dict]) -> list[str]:
    """Client side (locust: what 20 users waited, the queue included) and
    server side (gunicorn: the request's own time), each percentile also as
    a multiple of the bare view's in phase 1."""
    keys = ["50%", "95%", "99%"]
    bare = phases["bare"]["Aggregated"]
    base = [number(bare, key) or 1.0 for key in keys]
    bare_server = phases["bare"]["_server"].get("Aggregated", {})
    base_server = [bare_server.get(k) or 1.0 for k in ("p50", "p95", "p99")]
    lines = [
        f"{'':<31} {'':>8} {'':>5} {'':>6} {'client (locust), ms':^20} "
        f"{'x bare':^14}  {'server (gunicorn), ms':^20} {'x bare':^14}",
        f"{'phase':<6} {'endpoint class':<24} {'requests':>8} {'fails':>5} "
        f"{'req/s':>6} {'p50':>6} {'p95':>6} {'p99':>6} {'p50':>4} {'p95':>4} "
        f"{'p99':>4}  {'p50':>6} {'p95':>6} {'p99':>6} {'p50':>4} {'p95':>4} "
        f"{'p99':>4}",
    ]

    def line(phase: str, label: str, row: dict, server: dict) -> str:
        ps = [number(row, key) for key in keys]
        ratios = [p / b for p, b in zip(ps, base, strict=True)]
        ss = [server.get(k, 0.0) for k in ("p50", "p95", "p99")]
        server_ratios = [p / b for p, b in zip(ss, base_server, strict=True)]
        return (
            f"{phase:<6} {label:<24} {int(number(row, 'Request Count')):>8} "
            f"{int(number(row, 'Failure Count')):>5} "
            f"{number(row, 'Requests/s'):>6.1f} {ps[0]:>6.0f} {ps[1]:>6.0f} "
            f"{ps[2]:>6.0f} {ratios[0]:>4.0f} {ratios[1]:>4.0f} {ratios[2]:>4.0f}  "
            f"{ss[0]:>6.1f} {ss[1]:>6.1f} {ss[2]:>6.1f} {server_ratios[0]:>4.0f} "
            f"{server_ratios[1]:>4.0f} {server_ratios[2]:>4.0f}"
        )

    for phase, stats in phases.items():
        names = [n for n in CLASSES if n in stats]
        names += [n for n in stats if n not in names and not n.startswith("_")]
        names = [n for n in names if n != "Aggregated"]
        for name in names:
            server = stats["_server"].get(name, {})
            lines.append(line(phase, name, stats[name], server))
        if len(names) > 1:
            server = stats["_server"].get("Aggregated", {})
            lines.append(line(phase, "(all of the phase)", stats["Aggregated"], server))
    return lines


def failures(phases: dict[str, dict]) -> tuple[int, int, list[str]]:
    """(all failures, server errors, one line per class and message)."""
    total = server = 0
    lines = []
    for phase, stats in phases.items():
        rows = sorted(
            stats["_failures"],
            key=lambda r: (not re.search(r"HTTP 5\d\d", r["Error"]), r["Name"]),
        )
        for row in rows:
            count = int(row["Occurrences"])
            total += count
            if re.search(r"HTTP 5\d\d", row["Error"]):
                server += count
            lines.append(f"  {phase:<6} {row['Name']:<24} {count:>6}  {row['Error']}")
    return total, server, lines


def memory_lines(before: dict, after: dict) -> list[str]:
    lines = [f"  {'process':<20} {'RSS before':>10} {'RSS after':>10} {'peak':>8}"]
    for label in sorted(set(before) | set(after), key=_memory_order):
        rss_before = before.get(label, (0.0, 0.0))[0]
        rss_after, peak = after.get(label, (0.0, 0.0))
        lines.append(
            f"  {label:<20} {rss_before:>7.0f} MiB {rss_after:>6.0f} MiB "
            f"{peak:>4.0f} MiB"
        )
    return lines


def _memory_order(label: str) -> tuple:
    kind, _, rest = label.partition(" ")
    return (kind != "gunicorn", rest != "master" and rest != "main", label)


# --- the run -----------------------------------------------------------------------


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    problem = harness.postgres_problem()
    if problem:
        print(f"PostgreSQL not reachable ({problem}): the load bench needs it")
        return 2
    try:
        flush_redis()
    except Exception as exc:  # no Redis: say so
        print(f"Redis not reachable at {REDIS_URL} ({exc}): the load bench needs it")
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    ensure_locust()
    print(harness.machine_summary())

    # The seed only is niced: it may take minutes on a shared machine.
    seed = ["nice", "-n", "10", harness.PYTHON, str(BENCH / "load" / "seed.py")]
    subprocess.run([*seed, *(["--reseed"] if args.reseed else [])], check=True)  # noqa: S603
    env = bench_env()
    started = time.perf_counter()
    harness.manage(["collectstatic", "--noinput"], env, quiet=True)
    flush_redis()
    subprocess.run(  # noqa: S603
        [
            harness.PYTHON,
            str(BENCH / "load" / "prepare.py"),
            str(OUT / "data.json"),
            f"--members={args.members}",
        ],
        env=dict(env, CELERY_BROKER_URL="memory://", SEMANTIC_EMBEDDINGS_ENABLED="0"),
        cwd=ROOT,
        check=True,
    )
    print(f"collectstatic and prepare: {time.perf_counter() - started:.0f} s")
    sizes = json.loads((OUT / "data.json").read_text())["sizes"]
    print("data: " + ", ".join(f"{n:,} {name}" for name, n in sizes.items()))

    # INFO for the worker only: its log is where the tasks run are counted.
    worker = CeleryWorker(dict(env, LOG_LEVEL="INFO"), args.celery_concurrency)
    web = None
    try:
        worker.wait_ready()
        web = harness.Gunicorn(env, workers=args.workers, name="load")
        web.wait_ready("/bench/tiny/")
        settled = web.wait_settled()
        print(
            f"gunicorn on {web.base}: {args.workers} sync workers "
            f"(settled after {settled:.0f} s); Celery worker concurrency "
            f"{args.celery_concurrency} on {REDIS_URL}"
        )
        before = snapshot(web.process.pid, worker.process.pid)
        sampler = Sampler(web.process.pid, worker.process.pid)
        sampler.start()
        print(
            f"locust: {args.users} users, spawn rate {args.spawn_rate}/s, no wait "
            f"between requests; bare {args.bare_seconds} s, mix {args.mix_seconds} s"
        )
        phases = {}
        phases["bare"] = run_locust(
            "bare", ["BareUser"], args.bare_seconds, web.base, web.log, args
        )
        tasks_before = worker.tasks()[0]
        phases["mix"] = run_locust(
            "mix", ["Visitor", "Member"], args.mix_seconds, web.base, web.log, args
        )
        after_mix = snapshot(web.process.pid, worker.process.pid)
        backlog = queue_lengths()
        if not args.no_bare_after:
            phases["bare 2"] = run_locust(
                "bare2", ["BareUser"], args.bare_seconds, web.base, web.log, args
            )
        drain = time.monotonic() + 60
        while sum(queue_lengths().values()) and time.monotonic() < drain:
            time.sleep(1)
        sampler.stopped.set()
        after = snapshot(web.process.pid, worker.process.pid)
        succeeded, bad, names = worker.tasks()
    finally:
        if web is not None:
            web.stop()
        worker.stop()

    print()
    for phase, stats in phases.items():
        load_start, load_end, elapsed = stats["_load"]
        print(
            f"phase {phase}: {elapsed:.0f} s, load average {load_start:.2f} at "
            f"the start, {load_end:.2f} at the end"
        )
    print()
    print(
        "'x bare' = the percentile / the bare view's in phase 1; client = as "
        "locust's users saw it (the queue in front of the workers included), "
        "server = gunicorn's own time for the request"
    )
    for text in table(phases):
        print(text)
    mix_rps = number(phases["mix"]["Aggregated"], "Requests/s")
    bare_rps = number(phases["bare"]["Aggregated"], "Requests/s")
    print()
    print(
        f"throughput: the mix {mix_rps:.1f} req/s = {mix_rps / bare_rps:.2f} x "
        f"the bare view's {bare_rps:.1f} req/s"
    )
    if "bare 2" in phases:
        again = number(phases["bare 2"]["Aggregated"], "Requests/s")
        print(f"drift: the bare view after the mix {again / bare_rps:.2f} x before")

    requests = sum(
        int(number(stats["Aggregated"], "Request Count")) for stats in phases.values()
    )
    failed, server, failure_lines = failures(phases)
    rate = 100 * failed / max(requests, 1)
    print()
    print(
        f"failures: {failed} of {requests} requests ({rate:.2f}%), "
        f"{server} server errors (5xx)"
    )
    for text in failure_lines:
        print(text)

    print()
    print(
        f"Celery: {succeeded - tasks_before} tasks succeeded during the mix and "
        f"after it ({succeeded} in all), {bad} raised or retried; queues at the "
        f"end of the mix: {backlog}, at the end: {queue_lengths_safe()}"
    )
    for name, count in sorted(names.items(), key=lambda item: -item[1]):
        print(f"  {count:>6}  {name}")
    print()
    print("memory (RSS before phase 1, after the run, and the peak of each process)")
    for text in memory_lines(before, after):
        print(text)
    for kind in ("gunicorn", "celery"):
        total_before = sum(v[0] for k, v in before.items() if k.startswith(kind))
        total_mix = sum(v[0] for k, v in after_mix.items() if k.startswith(kind))
        print(
            f"  {kind} in all: {total_before:.0f} MiB before, {total_mix:.0f} MiB "
            f"after the mix, {sampler.peak[kind]:.0f} MiB at the sampled peak"
        )
    print()
    uptime = subprocess.run(["uptime"], capture_output=True, text=True, check=False)  # noqa: S607
    print(f"uptime: {uptime.stdout.strip()}")
    summary = {
        "phases": {
            phase: {k: v for k, v in stats.items() if k != "_failures"}
            for phase, stats in phases.items()
        },
        "memory": {"before": before, "after_mix": after_mix, "after": after},
        "peak_sampled": sampler.peak,
        "celery": {"succeeded": succeeded, "bad": bad, "by_task": names},
        "failures": failure_lines,
        "uptime": uptime.stdout.strip(),
        "sizes": sizes,
    }
    (OUT / "summary.json").write_text(json.dumps(summary, indent=1))
    print(f"figures also in {OUT / 'summary.json'}")
    if rate > args.max_failure_rate:
        print(f"FAILED: failure rate {rate:.2f}% over {args.max_failure_rate}%")
        return 1
    return 0


def queue_lengths_safe() -> dict[str, int] | str:
    try:
        return queue_lengths()
    except Exception as exc:  # Redis gone at the very end: say so
        return f"unknown ({exc})"


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
