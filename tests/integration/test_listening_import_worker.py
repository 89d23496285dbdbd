"""A background import survives its worker being killed mid-file.

A real Celery worker (a separate process, so it can be SIGKILLed) imports a
generated CSV from the Redis broker into the PostgreSQL test database. Once
it has committed some batches but not all, it is killed with SIGKILL, a new
worker is started, and the resume sweep re-enqueues the job whose heartbeat
went stale. The import then finishes with nothing lost and nothing
duplicated: the counts add up to the rows of the file.
"""

import os
import signal
import subprocess  # noqa: S404 - the test runs a real worker process
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.db.models import Count

from listening.imports import import_job_create, import_jobs_resume
from listening.models import ImportJob, Mention, Tracker

from .conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
ROWS = 20_000
STALE_SECONDS = 3
TIMEOUT = 300.0  # only so a broken run fails instead of hanging


def _export(rows: int) -> tuple[bytes, set[str]]:
    """A CSV export: half the rows mention Vonk, every 50th row has no id, and
    every 97th repeats an earlier post. Returns the file and the ids stored."""
    lines = ["id,text,followers,posted_at"]
    stored: set[str] = set()
    for i in range(rows):
        if i % 50 == 0:
            lines.append(f",Vonk zonder id {i},1,2026-11-20T10:00:00Z")
            continue
        n = i - 40 if i % 97 == 0 and i > 40 else i
        matches = n % 2 == 1
        text = f"Vonk storing in Utrecht {n}" if matches else f"Treinen rijden {n}"
        lines.append(f"post-{n},{text},{n},2026-11-20T10:00:00Z")
        if matches:
            stored.add(f"post-{n}")
    return ("\n".join(lines) + "\n").encode(), stored


@contextmanager
def _worker_process(env: dict[str, str], log: Path):
    """`celery worker` in its own process group, consuming the ingest queue."""
    with log.open("ab") as out:
        process = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "portal",
                "worker",
                "--pool=solo",
                "--queues=ingest",
                "--without-mingle",
                "--without-gossip",
                "--loglevel=WARNING",
                f"--hostname=import-{uuid.uuid4().hex[:8]}@%h",
            ],
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


def _job() -> ImportJob:
    return ImportJob.objects.get()


def test_a_killed_worker_resumes_the_import_without_loss_or_duplicates(
    real_services, settings, tmp_path
):
    from portal.celery import app

    var = tmp_path / "var"
    settings.MEDIA_ROOT = var / "test-media"  # what the worker's settings say
    settings.LISTENING_IMPORT_STALE_SECONDS = STALE_SECONDS
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "DATABASE_URL": (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "VAR_DIR": str(var),
        "LISTENING_IMPORT_STALE_SECONDS": str(STALE_SECONDS),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "PYTHONUNBUFFERED": "1",
    }
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    log = tmp_path / "worker.log"

    Tracker.objects.create(name="Vonk", kind="brand", any_terms="vonk")
    data, stored_ids = _export(ROWS)
    app.conf.task_always_eager = False
    try:
        with _worker_process(env, log) as first:
            with transaction.atomic():
                job = import_job_create(
                    upload=SimpleUploadedFile("big-export.csv", data),
                    preset="generic",
                )
            # Kill as soon as the first batches are committed.
            assert wait_for(
                lambda: _job().rows_done > 0 or _job().status == "failed",
                timeout=TIMEOUT,
            ), log.read_text()
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()

        killed = _job()
        assert killed.status == "running", "the worker finished before the kill"
        assert 0 < killed.rows_done < ROWS
        assert Mention.objects.count() == killed.imported

        with _worker_process(env, log):
            # The dead worker's heartbeat goes stale; the sweep (beat, every
            # 2 minutes in production) hands the job to the new worker.
            assert wait_for(lambda: import_jobs_resume() == [job.pk], timeout=TIMEOUT)
            assert wait_for(
                lambda: _job().status in ("done", "failed"), timeout=TIMEOUT
            ), log.read_text()
    finally:
        app.conf.task_always_eager = True

    job = _job()
    assert job.status == "done", job.error
    assert job.rows_done == ROWS
    assert job.imported + job.duplicates + job.unmatched + job.rejected_total == ROWS
    assert job.rejected_total == ROWS // 50
    assert job.imported == len(stored_ids)
    assert Mention.objects.count() == len(stored_ids)
    assert set(Mention.objects.values_list("external_id", flat=True)) == stored_ids
    assert not (
        Mention.objects.values("source", "external_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .exists()
    )
    assert job.bytes_done == job.size == len(data)
