"""What the benchmarks in bench/*.py share: the bench database, the seed,
gunicorn, percentiles and a description of the machine.

A package rather than bench/*.py, so `make bench` does not run it as a bench.
Everything runs against a PostgreSQL database of its own ("seed_bench" by
default) and writes only under bench/var/ (ignored by git).
"""

import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess  # noqa: S404 - the benches drive manage.py, gunicorn and wrk
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VAR = ROOT / "bench" / "var"
_VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = (
    str(_VENV_BIN / "python") if (_VENV_BIN / "python").exists() else sys.executable
)
GUNICORN = (
    str(_VENV_BIN / "gunicorn") if (_VENV_BIN / "gunicorn").exists() else "gunicorn"
)
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
REDIS_CACHE_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
BENCH_MEMBER_PREFIX = "bench-"


def django_env(db: str, **extra: str) -> dict[str, str]:
    """The environment of a production-settings process on the bench database."""
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings.production",
            # Random per run: production refuses fewer than 50 characters.
            "SECRET_KEY": secrets.token_urlsafe(45),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": f"{PG_URL}/{db}",
            "SECURE_SSL_REDIRECT": "false",
            "BENCH_VIEWS": "true",
            "REDIS_CACHE_URL": REDIS_CACHE_URL,
            "CONN_MAX_AGE": "60",
            "SEMANTIC_STORE": "memory",
            "VAR_DIR": str(VAR),
            "LOG_LEVEL": "WARNING",
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "HAYSTACK_TELEMETRY_ENABLED": "False",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


def manage(args: list[str], env: dict[str, str], *, quiet: bool = False) -> None:
    """Run manage.py; raises CalledProcessError when it fails."""
    output = subprocess.DEVNULL if quiet else None
    subprocess.run(  # noqa: S603
        [PYTHON, str(ROOT / "manage.py"), *args],
        env=env,
        cwd=ROOT,
        check=True,
        stdout=output,
    )


# --- PostgreSQL ------------------------------------------------------------------


def _connect(db: str):
    import psycopg

    return psycopg.connect(f"{PG_URL}/{db}", autocommit=True, connect_timeout=5)


def postgres_problem() -> str | None:
    """Why PostgreSQL cannot be used, or None when it can."""
    try:
        with _connect("postgres") as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # any failure means: skip with the reason
        return f"{type(exc).__name__}: {exc}".strip()
    return None


def ensure_database(db: str) -> bool:
    """Create the database if it is missing; True when it was created."""
    from psycopg import sql

    with _connect("postgres") as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [db]
        ).fetchone()
        if exists:
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db)))
        return True


def query(db: str, sql_text: str, params: list | None = None) -> list[tuple]:
    with _connect(db) as conn:
        return conn.execute(sql_text, params or []).fetchall()


def bench_counts(db: str) -> tuple[int, int]:
    """(bench ideas, votes on them) in the database; (0, 0) before migrate."""
    try:
        rows = query(
            db,
            "SELECT count(*), coalesce(sum(i.vote_count), 0) FROM ideas_idea i "
            "JOIN accounts_user u ON u.id = i.author_id WHERE u.username LIKE %s",
            [f"{BENCH_MEMBER_PREFIX}%"],
        )
    except Exception:  # no tables yet
        return 0, 0
    return int(rows[0][0]), int(rows[0][1])


def ensure_seeded(
    db: str,
    *,
    ideas: int,
    votes_per_idea: int,
    members: int,
    reseed: bool = False,
) -> dict[str, float]:
    """Create, migrate and seed the bench database unless it already holds
    exactly this many bench ideas. Returns what was done and how long it took."""
    done: dict[str, float] = {}
    if ensure_database(db):
        print(f"created database {db}")
    env = django_env(db)
    start = time.perf_counter()
    manage(["migrate", "--noinput"], env, quiet=True)
    done["migrate_s"] = time.perf_counter() - start
    have, _votes = bench_counts(db)
    if have == ideas and not reseed:
        print(f"database {db} already holds {have} bench ideas: not reseeding")
        return done
    print(
        f"seeding {db}: {ideas} ideas, {votes_per_idea} votes per idea, "
        f"{members} members (had {have} bench ideas)"
    )
    start = time.perf_counter()
    args = [
        "seed_bench_ideas",
        f"--ideas={ideas}",
        f"--votes-per-idea={votes_per_idea}",
        f"--members={members}",
    ]
    if have or reseed:
        args.append("--force")
    manage(args, env)
    done["seed_s"] = time.perf_counter() - start
    return done


def flush_bench_cache() -> None:
    """Empty the bench's own Redis database (never the others')."""
    import redis

    redis.Redis.from_url(REDIS_CACHE_URL).flushdb()


# --- gunicorn --------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """gunicorn serving portal.wsgi on 127.0.0.1, like the image's CMD."""

    def __init__(self, env: dict[str, str], *, workers: int = 2, name: str = "web"):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = VAR / f"gunicorn-{name}.log"
        VAR.mkdir(parents=True, exist_ok=True)
        self._log_file = self.log.open("w")
        self.process = subprocess.Popen(  # noqa: S603
            [
                GUNICORN,
                "portal.wsgi:application",
                f"--workers={workers}",
                "--worker-class=sync",
                f"--bind=127.0.0.1:{self.port}",
                "--timeout=120",
                "--graceful-timeout=10",
                "--access-logfile=-",
                "--error-logfile=-",
            ],
            env=env,
            cwd=ROOT,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, path: str, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log}")
            try:
                status, _body = fetch(self.base + path, timeout=30)
                if status == 200:
                    return
                last = f"HTTP {status}"
            except OSError as exc:
                last = str(exc)
            time.sleep(0.5)
        raise RuntimeError(f"gunicorn not ready after {timeout:.0f} s ({last})")

    def wait_settled(self, timeout: float = 120.0) -> float:
        """Wait until the workers are idle: portal/wsgi.py loads torch and the
        embedding model in a background thread of every worker, which would
        otherwise compete with the first measurements. Returns seconds waited."""
        start = time.monotonic()
        previous = self._worker_cpu_seconds()
        quiet = 0
        while time.monotonic() - start < timeout and quiet < 3:
            time.sleep(1.0)
            current = self._worker_cpu_seconds()
            busy = sum(current.get(pid, 0) - previous.get(pid, 0) for pid in current)
            quiet = quiet + 1 if busy < 0.05 else 0
            previous = current
        return time.monotonic() - start

    def _worker_cpu_seconds(self) -> dict[int, float]:
        ticks = os.sysconf("SC_CLK_TCK")
        result = {}
        for pid in self.worker_pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            result[pid] = (int(fields[11]) + int(fields[12])) / ticks
        return result

    def worker_pids(self) -> list[int]:
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                pids.append(int(stat.parent.name))
        return sorted(pids)

    def rss_mib(self) -> dict[str, float]:
        """Resident memory of the master and of each worker, in MiB."""
        result = {}
        for label, pid in [("master", self.process.pid)] + [
            (f"worker {pid}", pid) for pid in self.worker_pids()
        ]:
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmRSS:"):
                    result[label] = int(line.split()[1]) / 1024
        return result

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # graceful: the master only
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._log_file.close()

    def __enter__(self) -> "Gunicorn":
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


def fetch(url: str, *, timeout: float = 30.0) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Accept-Language": "en"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


# --- numbers and the machine -------------------------------------------------------


def percentile(values: list[float], pct: float) -> float:
    """The pct-th percentile (inclusive method), e.g. percentile(v, 95)."""
    if len(values) == 1:
        return values[0]
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[int(pct) - 1]


def machine_summary() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kib = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal:")
        )
    except (OSError, StopIteration):
        mem_kib = 0
    load = os.getloadavg()
    return (
        f"{os.cpu_count()} CPUs ({cpu}), {mem_kib / 1024 / 1024:.1f} GiB RAM, "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
        "(other work may share these CPUs)"
    )


def which(tool: str) -> str | None:
    return shutil.which(tool)
