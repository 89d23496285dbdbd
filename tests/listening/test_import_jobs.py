"""Background import jobs: store, run, resume after a crash, fail clearly."""

import io
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Count
from django.utils import timezone

from listening import imports
from listening.imports import (
    ImportFormatError,
    import_job_create,
    import_job_run,
    import_jobs_resume,
)
from listening.models import ImportJob, Mention, Source, Tracker
from listening.tasks import resume_imports, run_import

pytestmark = pytest.mark.django_db


@pytest.fixture
def vonk(db):
    return Tracker.objects.create(name="Vonk", kind="brand", any_terms="vonk")


def _csv(rows: int, *, bad_every: int = 0) -> bytes:
    """Half the rows mention Vonk; every `bad_every`th row has no id."""
    lines = ["id,text,followers"]
    for i in range(rows):
        row_id = "" if bad_every and i % bad_every == 0 else f"r{i}"
        text = "Vonk storing" if i % 2 else "Trein vertraagd"
        lines.append(f"{row_id},{text} {i},{i}")
    return ("\n".join(lines) + "\n").encode()


def _job(data: bytes, *, name="export.csv", preset="generic", fmt="csv") -> ImportJob:
    """A stored job that nobody has run yet (no task enqueued)."""
    source, _ = Source.objects.get_or_create(name="Uploads", kind="upload")
    job = ImportJob(
        source=source, original_name=name, format=fmt, preset=preset, size=len(data)
    )
    job.file.save(name, ContentFile(data), save=False)
    job.save()
    return job


def _assert_consistent(job: ImportJob, *, rows: int) -> None:
    assert job.status == "done"
    assert job.rows_done == rows
    assert job.imported + job.duplicates + job.unmatched + job.rejected_total == rows
    assert Mention.objects.filter(source=job.source).count() == job.imported
    assert not (
        Mention.objects.values("source", "external_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .exists()
    )


def test_created_job_stores_the_file_and_runs_on_commit(
    vonk, staff, django_capture_on_commit_callbacks
):
    data = _csv(30, bad_every=10)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        job = import_job_create(
            upload=SimpleUploadedFile("export.csv", data),
            preset="generic",
            created_by=staff,
        )
    assert len(callbacks) == 1
    stored_name = job.file.name
    job.refresh_from_db()
    assert (job.format, job.size, job.original_name) == ("csv", len(data), "export.csv")
    assert job.source.name == "Uploads"
    assert job.created_by == staff
    # The upload holds other people's posts: it is deleted once imported.
    assert not job.file
    assert stored_name and not job.file.storage.exists(stored_name)
    _assert_consistent(job, rows=30)
    assert (job.rejected_total, job.imported) == (3, 15)
    assert job.report["rejected"][0] == {"row": 2, "reason": "No id."}
    assert job.bytes_done == job.size
    assert job.finished_at is not None and job.started_at is not None


def test_unreadable_file_is_refused_before_anything_is_stored(
    vonk, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(ImportFormatError, match="no column for text"):
            import_job_create(
                upload=SimpleUploadedFile("x.csv", b"id,body\n1,Vonk\n"),
                preset="generic",
            )
        with pytest.raises(ImportFormatError, match="format"):
            import_job_create(
                upload=SimpleUploadedFile("x.dat", b"id,text\n1,Vonk\n"),
                preset="generic",
            )
    assert callbacks == []
    assert not ImportJob.objects.exists()
    assert not Source.objects.exists()


def test_a_worker_dying_mid_import_resumes_after_the_last_committed_batch(
    vonk, monkeypatch, django_capture_on_commit_callbacks
):
    data = _csv(5_000, bad_every=7)
    job = _job(data)
    real = imports.mention_upsert_batch
    calls = []

    def dies_on_the_third_batch(**kwargs):
        calls.append(1)
        result = real(**kwargs)
        if len(calls) == 3:
            raise RuntimeError("worker lost")  # after writing: must roll back
        return result

    monkeypatch.setattr(imports, "mention_upsert_batch", dies_on_the_third_batch)
    with pytest.raises(RuntimeError):
        import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.rows_done) == ("running", 2_000)
    assert Mention.objects.count() == job.imported
    assert 0 < job.bytes_done < job.size

    # Still beating: a second delivery leaves it alone.
    assert import_job_run(job_id=job.pk) == "skipped"

    monkeypatch.setattr(imports, "mention_upsert_batch", real)
    ImportJob.objects.filter(pk=job.pk).update(
        heartbeat_at=timezone.now() - timedelta(minutes=5)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert import_jobs_resume() == [job.pk]  # eager in tests: runs it
    assert import_job_run(job_id=job.pk) == "skipped"  # done now
    job.refresh_from_db()
    _assert_consistent(job, rows=5_000)

    # The same counts as a run that never stopped.
    Mention.objects.all().delete()
    clean = _job(data, name="again.csv")
    assert import_job_run(job_id=clean.pk) == "done"
    clean.refresh_from_db()
    fields = ("imported", "duplicates", "unmatched", "rejected_total", "report")
    assert [getattr(clean, f) for f in fields] == [getattr(job, f) for f in fields]


def test_a_run_whose_job_was_taken_over_stops_and_rolls_back(vonk, monkeypatch):
    job = _job(_csv(3_000))
    real = imports.mention_upsert_batch
    calls = []

    def another_worker_claims_during_the_second_batch(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now())
        return real(**kwargs)

    monkeypatch.setattr(
        imports, "mention_upsert_batch", another_worker_claims_during_the_second_batch
    )
    assert import_job_run(job_id=job.pk) == "superseded"
    job.refresh_from_db()
    assert job.rows_done == 1_000
    assert Mention.objects.count() == job.imported == 500


def test_a_finished_job_runs_only_once(vonk):
    job = _job(_csv(10))
    assert run_import(job.pk) == "done"
    assert run_import(job.pk) == "skipped"
    job.refresh_from_db()
    _assert_consistent(job, rows=10)
    assert job.imported == 5


def test_the_same_file_twice_imports_nothing_new(vonk):
    data = _csv(40)
    first, second = _job(data), _job(data, name="again.csv")
    import_job_run(job_id=first.pk)
    import_job_run(job_id=second.pk)
    second.refresh_from_db()
    assert (second.imported, second.duplicates, second.unmatched) == (0, 20, 20)
    assert Mention.objects.count() == 20


def test_a_file_that_cannot_be_read_fails_the_job_with_the_reason(vonk):
    job = _job(b"id,body\n1,Vonk\n")
    assert import_job_run(job_id=job.pk) == "failed"
    job.refresh_from_db()
    assert job.status == "failed"
    assert "no column for text" in job.error
    assert job.finished_at is not None


def test_a_missing_file_fails_the_job(vonk):
    job = _job(_csv(3))
    job.file.storage.delete(job.file.name)
    assert import_job_run(job_id=job.pk) == "failed"
    job.refresh_from_db()
    assert job.status == "failed"
    assert "cannot be read" in job.error


def test_json_and_ndjson_jobs_run(vonk):
    ndjson = b'{"id": "n1", "text": "Vonk one"}\n{"id": "n2", "text": "Vonk two"}\n'
    job = _job(ndjson, name="x.ndjson", fmt="ndjson")
    import_job_run(job_id=job.pk)
    job.refresh_from_db()
    _assert_consistent(job, rows=2)
    array = b'[{"id": "j1", "text": "Vonk"}, {"id": "j2"}]'
    Mention.objects.all().delete()
    job = _job(array, name="x.json", fmt="json")
    import_job_run(job_id=job.pk)
    job.refresh_from_db()
    _assert_consistent(job, rows=2)
    assert job.rejected_total == 1


def test_resume_sweep_picks_stale_and_never_started_jobs_only(vonk):
    now = timezone.now()
    old = now - timedelta(seconds=settings.LISTENING_IMPORT_STALE_SECONDS + 10)
    stale = _job(_csv(2))
    alive = _job(_csv(2))
    forgotten = _job(_csv(2))
    fresh = _job(_csv(2))
    ImportJob.objects.filter(pk=stale.pk).update(status="running", heartbeat_at=old)
    ImportJob.objects.filter(pk=alive.pk).update(status="running", heartbeat_at=now)
    ImportJob.objects.filter(pk=forgotten.pk).update(created_at=old)

    assert sorted(import_jobs_resume(now=now)) == sorted([stale.pk, forgotten.pk])
    assert fresh.pk not in import_jobs_resume(now=now)
    assert resume_imports() >= 0


def test_resume_sweep_is_on_the_beat_schedule():
    entry = settings.CELERY_BEAT_SCHEDULE["listening-resume-imports"]
    assert entry["task"] == "listening.resume_imports"


def test_report_round_trips_through_the_job(vonk):
    job = _job(_csv(9, bad_every=3))
    import_job_run(job_id=job.pk)
    job.refresh_from_db()
    report = imports.ImportReport.from_job(job)
    assert report.rows == 9
    assert report.rejected_total == 3
    assert [row for row, _reason in report.rejected] == [2, 5, 8]
    assert report.as_dict()["rejected"] == job.report["rejected"]


def test_upload_check_reads_only_the_start():
    stream = io.BytesIO(_csv(50_000))
    imports.import_file_check(stream=stream, format="csv", preset="generic")
    assert stream.tell() < len(stream.getvalue())
