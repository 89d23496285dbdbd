"""Faults: a worker killed mid-task, Redis down for a while, PostgreSQL restarted.

Each test starts the services it breaks itself, so the shared PostgreSQL and
Redis are never stopped: a private `redis-server` on a free port (started and
stopped at will), and for the restart test a private PostgreSQL cluster
(`initdb`, `pg_ctl`) with a gunicorn and a Celery worker of its own. Workers
that must die are real `celery worker` processes, killed with SIGKILL.

Like every integration test they need PostgreSQL and Redis (the second pass
of .ci/run); a missing program (redis-server, initdb, pg_ctl, gunicorn) is
a skip on a laptop and a failure under CI (`service_required`).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import signal
import socket
import subprocess  # noqa: S404 - the tests run real servers and workers
import sys
import tempfile
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import httpx
import psycopg
import pytest
import redis
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.db.models import Count

from portal.celery import app
from portal.core import outbox
from portal.core.models import OutboxMessage
from tests.conftest import service_required
from tests.factories import UserFactory, make_idea

from .conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
QUEUES = ["default", "notify", "index", "ingest", "enrich"]
TIMEOUT = 180.0  # only so a broken run fails instead of hanging


# Private services ------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _program(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        service_required(f"the {name} program")
    return path


class PrivateRedis:
    """A redis-server of this test's own, without persistence, that the test
    stops and starts again on the same port."""

    def __init__(self, binary: str, log: Path) -> None:
        self.binary, self.log, self.port = binary, log, _free_port()
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2)

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no", "--logfile", str(self.log)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert wait_for(self._answers, timeout=20), self.log.read_text()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
        self.process = None
        assert not self._answers()

    def _answers(self) -> bool:
        try:
            return bool(self.client().ping())
        except redis.exceptions.ConnectionError:
            return False


@pytest.fixture
def private_redis(real_services, tmp_path):
    """Start private Redis servers: `private_redis("broker")`."""
    binary = _program("redis-server")
    started: list[PrivateRedis] = []

    def start(name: str) -> PrivateRedis:
        server = PrivateRedis(binary, tmp_path / f"redis-{name}.log")
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


BROKER_KEYS = ("broker_read_url", "broker_write_url")


def _pools_reset() -> None:
    # kombu keeps one pool per broker URL; the app only caches the current one.
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def publishing_to(url: str):
    """This process's Celery app publishes (not eager) to the broker at `url`."""
    # broker_url itself would lose to the CELERY_BROKER_URL environment variable.
    previous = {key: app.conf.get(key) for key in BROKER_KEYS}
    app.conf.update(dict.fromkeys(BROKER_KEYS, url))
    app.conf.task_always_eager = False
    _pools_reset()
    outbox.broker_backoff_reset()
    try:
        yield
    finally:
        app.conf.update(previous)
        app.conf.task_always_eager = True
        _pools_reset()
        outbox.broker_backoff_reset()


def _database_url(settings_dict: dict) -> str:
    return (
        f"postgres://{settings_dict['USER']}@{settings_dict['HOST'] or '127.0.0.1'}:"
        f"{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"
    )


def _process_env(*, database_url: str, broker_url: str, var: Path, **extra) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker_url,
        "VAR_DIR": str(var),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "PYTHONUNBUFFERED": "1",
        **{key: str(value) for key, value in extra.items()},
    }
    if connection.settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = connection.settings_dict["PASSWORD"]
    return env


@contextmanager
def worker_process(env: dict, log: Path, queues: list[str]):
    """`celery worker` in its own process group (so SIGKILL takes it all)."""
    with log.open("ab") as out:
        process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "celery", "-A", "portal", "worker"]
            + ["--pool=solo", f"--queues={','.join(queues)}", "--loglevel=INFO"]
            + ["--without-mingle", "--without-gossip", "--without-heartbeat"]
            + [f"--hostname=fault-{uuid.uuid4().hex[:8]}@%h"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _received(log: Path, task: str) -> list[str]:
    """Ids of the `task` messages a worker logged as received."""
    return re.findall(
        rf"Task {re.escape(task)}\[([0-9a-f-]+)\] received", log.read_text()
    )


# 1. A worker killed in the middle of a task ----------------------------------

ROWS = 10_000
VISIBILITY_TIMEOUT = 5
STALE_SECONDS = 3


def _export(rows: int) -> tuple[bytes, set[str]]:
    """A CSV export; the odd rows mention Vonk (the ids that must be stored)."""
    lines = ["id,text,followers,posted_at"]
    stored: set[str] = set()
    for i in range(rows):
        matches = i % 2 == 1
        text = f"Vonk storing in Utrecht {i}" if matches else f"Treinen rijden {i}"
        lines.append(f"post-{i},{text},{i},2026-11-20T10:00:00Z")
        if matches:
            stored.add(f"post-{i}")
    return ("\n".join(lines) + "\n").encode(), stored


def test_a_task_whose_worker_is_killed_is_redelivered_and_nothing_is_lost_or_doubled(
    private_redis, settings, tmp_path
):
    """acks_late + the broker's visibility timeout: the message of a worker
    that died without acknowledging it goes back to the queue, and a second
    worker runs it to the end. No resume sweep and no beat are involved."""
    from listening.imports import import_job_create
    from listening.models import ImportJob, Mention, Tracker

    broker = private_redis("broker")
    var = tmp_path / "var"
    settings.MEDIA_ROOT = var / "test-media"  # what the worker's settings say
    env = _process_env(
        database_url=_database_url(connection.settings_dict),
        broker_url=broker.url(),
        var=var,
        CELERY_BROKER_VISIBILITY_TIMEOUT=VISIBILITY_TIMEOUT,
        LISTENING_IMPORT_STALE_SECONDS=STALE_SECONDS,
    )
    Tracker.objects.create(name="Vonk", kind="brand", any_terms="vonk")
    data, stored_ids = _export(ROWS)

    def job() -> ImportJob:
        return ImportJob.objects.get()

    first_log, second_log = tmp_path / "worker-1.log", tmp_path / "worker-2.log"
    with publishing_to(broker.url()):
        with worker_process(env, first_log, ["ingest"]) as first:
            with transaction.atomic():
                import_job_create(
                    upload=SimpleUploadedFile("big-export.csv", data),
                    preset="generic",
                )
            assert wait_for(
                lambda: job().rows_done > 0 or job().status == "failed",
                timeout=TIMEOUT,
            ), first_log.read_text()
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()

        killed = job()
        assert killed.status == "running", "the worker finished before the kill"
        assert 0 < killed.rows_done < ROWS
        assert Mention.objects.count() == killed.imported
        # The broker still holds the message, taken but never acknowledged.
        assert broker.client().hlen("unacked") == 1
        assert not OutboxMessage.objects.exists()

        # Let the message's lease run out; the next worker restores it.
        time.sleep(VISIBILITY_TIMEOUT + 1)
        with worker_process(env, second_log, ["ingest"]):
            assert wait_for(
                lambda: job().status in ("done", "failed"), timeout=TIMEOUT
            ), second_log.read_text()
            assert wait_for(lambda: broker.client().hlen("unacked") == 0)

    first_ids = _received(first_log, "listening.run_import")
    assert len(first_ids) == 1
    assert _received(second_log, "listening.run_import") == first_ids  # redelivered

    finished = job()
    assert finished.status == "done", finished.error
    assert finished.rows_done == ROWS
    assert finished.imported == len(stored_ids)
    assert finished.imported + finished.unmatched == ROWS
    assert finished.duplicates == 0
    assert set(Mention.objects.values_list("external_id", flat=True)) == stored_ids
    assert not (
        Mention.objects.values("source", "external_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .exists()
    )


# 2. Redis down for a while ---------------------------------------------------


def _comment(client, idea, text: str):
    import django_comments

    form = django_comments.get_form()(idea)
    data = {**form.initial, "comment": text, "reply_to": 0}
    data.pop("honeypot", None)
    return client.post("/comments/post/", data)


def _broker_idle(server: PrivateRedis) -> bool:
    """Nothing queued, nothing in flight, nothing waiting in the outbox."""
    client = server.client()
    return (
        all(client.llen(queue) == 0 for queue in QUEUES)
        and client.hlen("unacked") == 0
        and not OutboxMessage.objects.exists()
    )


def test_while_redis_is_down_pages_and_writes_work_and_tasks_arrive_once_it_is_back(
    private_redis, settings, home, community_settings, client
):
    from celery.contrib.testing.worker import start_worker

    from experts.pages import QuestionsIndexPage
    from experts.services import question_ask
    from ideas.models import Idea
    from ideas.pages import IdeasIndexPage
    from portal import semantic
    from portal.notifications.models import Notification

    broker, cache_server = private_redis("broker"), private_redis("cache")
    settings.CACHES = {
        "default": {
            "BACKEND": "portal.core.cache.TolerantRedisCache",
            "LOCATION": cache_server.url(),
            "OPTIONS": {"socket_timeout": 0.5, "socket_connect_timeout": 0.5},
        }
    }
    ideas_page = IdeasIndexPage(title="Ideas", slug="ideas")
    home.add_child(instance=ideas_page)
    ideas_page.save_revision().publish()
    questions_page = QuestionsIndexPage(title="Questions", slug="questions")
    home.add_child(instance=questions_page)
    questions_page.save_revision().publish()
    author = UserFactory(username="ilse", email="ilse@example.com")
    asker = UserFactory(username="ruben", email="ruben@example.com")
    member = UserFactory(username="sanne", email="sanne@example.com")
    idea = make_idea(author=author, title="Show my solar yield per day")
    question = question_ask(
        author=asker,
        title="How do I read my annual energy bill?",
        body="The annual statement shows three totals; which one do I pay?",
    )
    client.force_login(member)
    pages = [
        "/en/",
        ideas_page.url,
        f"/en/ideas/{idea.pk}-{idea.slug}/",
        questions_page.url,
        questions_page.url + f"{question.pk}/",
        "/api/v1/ideas/",
    ]
    assert client.get("/en/").status_code == 200  # the cache is warm
    mail.outbox.clear()

    with publishing_to(broker.url()):
        broker.stop()
        cache_server.stop()

        for url in pages:
            assert client.get(url).status_code == 200, url
        submitted = client.post(
            "/en/ideas/new/",
            {
                "title": "Let me pause my subscription for the summer",
                "body": "I am away three months a year and would like to pause.",
                "focus_area": "billing",
            },
        )
        new_idea = Idea.objects.get(title__startswith="Let me pause")
        assert submitted.status_code == 302
        assert submitted.url == f"/en/ideas/{new_idea.pk}-{new_idea.slug}/"
        assert (
            _comment(client, idea, "Yes please, with a weekly view!").status_code == 302
        )
        answered = client.post(
            questions_page.url + f"{question.pk}/answer/",
            {"body": "Look for the line that says Te betalen: that is what you pay."},
        )
        assert answered.status_code == 302

        # Every write committed; what it enqueued waits in the outbox.
        waiting = Counter(OutboxMessage.objects.values_list("task", flat=True))
        assert waiting["ideas.notify_comment"] == 1
        assert waiting["experts.notify_answer"] == 1
        assert waiting["semantic.index_document"] >= 2  # the idea and the answer
        assert not Notification.objects.exists()
        assert mail.outbox == []
        hits = semantic.similar(new_idea.title, kinds=["idea"])
        assert new_idea.pk not in {hit.object_id for hit in hits}

        broker.start()
        cache_server.start()
        assert client.get("/en/").status_code == 200
        swept = outbox.outbox_flush(min_age=timedelta(0))
        assert swept == {"published": sum(waiting.values()), "failed": 0, "waiting": 0}

        with start_worker(
            app,
            pool="solo",
            perform_ping_check=False,
            shutdown_timeout=10,
            queues=QUEUES,
        ):
            assert wait_for(
                lambda: (
                    Notification.objects.filter(recipient=author).exists()
                    and Notification.objects.filter(recipient=asker).exists()
                ),
                timeout=TIMEOUT,
            )
            assert wait_for(lambda: _broker_idle(broker), timeout=TIMEOUT)
            # A second sweep finds nothing left to send.
            again = outbox.outbox_flush(min_age=timedelta(0))
            assert again == {"published": 0, "failed": 0, "waiting": 0}

    # Delivered exactly once: one notification each, one email per notification.
    comment_notes = Notification.objects.filter(
        recipient=author, kind__startswith="idea.comment"
    )
    assert comment_notes.count() == 1
    assert Notification.objects.filter(recipient=asker).count() == 1
    emailed = Notification.objects.filter(email_due=True)
    assert Counter(message.to[0] for message in mail.outbox) == Counter(
        emailed.values_list("recipient__email", flat=True)
    )
    assert {"ilse@example.com", "ruben@example.com"} <= {m.to[0] for m in mail.outbox}
    hits = semantic.similar(new_idea.title, kinds=["idea"])
    assert new_idea.pk in {hit.object_id for hit in hits}


# 3. PostgreSQL restarts ------------------------------------------------------


def _postgres_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if not found:
        pg_ctl = shutil.which("pg_ctl")
        if pg_ctl is None:
            service_required("the PostgreSQL server programs (initdb, pg_ctl)")
        return Path(pg_ctl).parent
    return found[-1].parent


class PrivatePostgres:
    """A throwaway PostgreSQL cluster on a free port, owned by `postgres`
    when the tests run as root (PostgreSQL refuses to run as root)."""

    def __init__(self, bindir: Path) -> None:
        self.bindir, self.port = bindir, _free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="seed-pgfault-"))
        self.data = self.dir / "data"
        self.as_owner: list[str] = []
        if os.geteuid() == 0:
            runuser = _program("runuser")
            shutil.chown(self.dir, user="postgres")
            self.as_owner = [runuser, "-u", "postgres", "--"]

    def run(self, *args: str) -> None:
        subprocess.run([*self.as_owner, *args], check=True, capture_output=True)  # noqa: S603

    def init(self) -> None:
        self.run(str(self.bindir / "initdb"), "-D", str(self.data), "-A", "trust")

    def pg_ctl(self, action: str, *extra: str) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        self.run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.dir / "server.log"),
            "-o",
            options,
            "-w",
            action,
            *extra,
        )

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(  # noqa: S603
                [*self.as_owner, str(self.bindir / "pg_ctl"), "-D", str(self.data)]
                + ["-m", "immediate", "stop"],
                capture_output=True,
            )
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def private_postgres(real_services):
    cluster = PrivatePostgres(_postgres_bin())
    try:
        cluster.init()
        cluster.pg_ctl("start")
        yield cluster
    finally:
        cluster.remove()


def _schema_copy(cluster: PrivatePostgres, database: str) -> None:
    """The test database's schema and rows, copied into the private cluster
    (as `migrate` would make them, in a fraction of the time)."""
    source = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": source.get("PASSWORD") or ""}
    psql = str(cluster.bindir / "psql")
    subprocess.run(  # noqa: S603
        [psql, "-q", "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres"]
        + ["-c", f"CREATE DATABASE {database}"],
        check=True,
        capture_output=True,
    )
    dump = subprocess.run(  # noqa: S603
        [str(cluster.bindir / "pg_dump"), "--no-owner", "--no-privileges"]
        + ["-h", source["HOST"] or "127.0.0.1", "-p", str(source["PORT"] or 5432)]
        + ["-U", source["USER"], source["NAME"]],
        check=True,
        capture_output=True,
        env=env,
    )
    subprocess.run(  # noqa: S603
        [psql, "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1"]
        + ["-p", str(cluster.port), "-U", "postgres", "-d", database],
        input=dump.stdout,
        check=True,
        capture_output=True,
    )


@contextmanager
def gunicorn(env: dict, log: Path):
    port = _free_port()
    with log.open("ab") as out:
        process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "gunicorn", "portal.wsgi:application"]
            + ["--bind", f"127.0.0.1:{port}", "--workers", "1", "--timeout", "60"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return httpx.get(f"{base}/health/", timeout=5).status_code < 500
        except httpx.HTTPError:
            return False

    try:
        assert wait_for(up, timeout=TIMEOUT), log.read_text()
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_after_postgresql_restarts_the_site_and_the_worker_recover_on_their_own(
    private_postgres, private_redis, tmp_path
):
    """Persistent connections (CONN_MAX_AGE) die with the server; Django's
    CONN_HEALTH_CHECKS replaces gunicorn's, and Celery's Django fixup closes a
    worker's before each task, so the first request and the first task after
    the restart succeed."""
    if importlib.util.find_spec("gunicorn") is None:
        service_required("gunicorn")
    from portal.core.tasks import health_ping

    cluster = private_postgres
    _schema_copy(cluster, "seed")
    broker = private_redis("broker")
    env = _process_env(
        database_url=cluster.url("seed"),
        broker_url=broker.url(),
        var=tmp_path / "var",
        CONN_MAX_AGE=600,
    )

    def pinged(token: str) -> bool:
        with psycopg.connect(cluster.url("seed"), connect_timeout=5) as db:
            row = db.execute(
                "SELECT 1 FROM core_taskping WHERE token = %s", [token]
            ).fetchone()
        return row is not None

    def pages_work(base: str) -> None:
        for path in ("/health/", "/api/v1/ideas/"):
            response = httpx.get(base + path, timeout=30)
            assert response.status_code == 200, (path, response.text[:500])

    with (
        gunicorn(env, tmp_path / "gunicorn.log") as base,
        worker_process(env, tmp_path / "worker.log", ["default"]),
        publishing_to(broker.url()),
    ):
        pages_work(base)
        before = uuid.uuid4().hex
        health_ping.delay(before)
        assert wait_for(lambda: pinged(before), timeout=TIMEOUT), (
            tmp_path / "worker.log"
        ).read_text()

        cluster.pg_ctl("restart", "-m", "fast")

        pages_work(base)  # the first request after the restart
        after = uuid.uuid4().hex
        health_ping.delay(after)
        assert wait_for(lambda: pinged(after), timeout=TIMEOUT), (
            tmp_path / "worker.log"
        ).read_text()
    log = (tmp_path / "gunicorn.log").read_text()
    assert "Traceback" not in log, log
