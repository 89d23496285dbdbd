"""Import an uploaded export (CSV, JSON, NDJSON) into an upload source.

One code path for the management command, the API and the background job:
`mentions_import` streams the file through `connectors.upload.parse_rows` and
stores mentions in batches with `services.mention_upsert_batch`, so memory
holds one batch, never the file. Each batch commits on its own, together with
a caller's checkpoint (the job's counters and position) in the same
transaction: an import that stops halfway keeps what it stored, and a job
resumes after its last committed row. Running a file again stores only what
is missing (one row per source and external id), counting the rest as
duplicates.

Background jobs (`ImportJob`): `import_job_create` stores the upload and
enqueues `listening.run_import` on commit; `import_job_run` claims the job
and runs it; `import_jobs_resume` (beat, every 2 minutes) re-enqueues jobs
whose worker died (a stale heartbeat) or that never started. The heartbeat
doubles as the claim: every checkpoint updates the job only where the
heartbeat is still the one this run wrote, so when a second worker takes over
a job it thought dead, the first stops at its next batch and its
uncommitted batch rolls back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import PurePath
from typing import BinaryIO

from django.conf import settings
from django.core.files.base import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.core.outbox import enqueue

from .connectors.base import RawMention
from .connectors.upload import FORMATS, ImportFormatError, Preset, parse_rows
from .models import ImportJob, ImportStatus, Source, SourceKind
from .services import mention_upsert_batch

__all__ = [
    "ImportFormatError",
    "ImportReport",
    "import_file_check",
    "import_job_create",
    "import_job_run",
    "import_jobs_resume",
    "mentions_import",
]

logger = logging.getLogger(__name__)

# Reasons kept per report; the totals count every one.
KEPT_REASONS = 1_000
DEFAULT_SOURCE = "Uploads"
EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".json": "json",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
}


def format_from_name(name: str) -> str | None:
    """csv, json or ndjson from a file name's extension; None if unknown."""
    return EXTENSIONS.get(PurePath(name or "").suffix.lower())


@dataclass
class ImportReport:
    rows: int = 0  # data rows read (blank lines and preamble not counted)
    imported: int = 0  # new mentions stored
    duplicates: int = 0  # already stored, or repeated within the file
    unmatched: int = 0  # matched no tracker: not stored
    rejected_total: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)  # first 1,000
    warnings_total: int = 0
    warnings: list[tuple[int, str]] = field(default_factory=list)  # kept rows

    def reject(self, row: int, reason: str) -> None:
        self.rejected_total += 1
        if len(self.rejected) < KEPT_REASONS:
            self.rejected.append((row, reason))

    def warn(self, row: int, reason: str) -> None:
        self.warnings_total += 1
        if len(self.warnings) < KEPT_REASONS:
            self.warnings.append((row, reason))

    def reasons(self) -> dict:
        """The kept reasons, as stored on an ImportJob."""
        return {
            "rejected": [{"row": r, "reason": str(m)} for r, m in self.rejected],
            "warnings_total": self.warnings_total,
            "warnings": [{"row": r, "reason": str(m)} for r, m in self.warnings],
        }

    def as_dict(self) -> dict:
        return {
            "rows": self.rows,
            "imported": self.imported,
            "duplicates": self.duplicates,
            "unmatched": self.unmatched,
            "rejected_total": self.rejected_total,
            **self.reasons(),
        }

    @classmethod
    def from_job(cls, job: ImportJob) -> ImportReport:
        """The report as far as the job's last committed batch."""
        kept = job.report if isinstance(job.report, dict) else {}

        def pairs(key: str) -> list[tuple[int, str]]:
            return [
                (int(item["row"]), str(item["reason"]))
                for item in kept.get(key) or []
                if isinstance(item, dict) and "row" in item and "reason" in item
            ]

        return cls(
            rows=job.rows_done,
            imported=job.imported,
            duplicates=job.duplicates,
            unmatched=job.unmatched,
            rejected_total=job.rejected_total,
            rejected=pairs("rejected"),
            warnings_total=int(kept.get("warnings_total") or 0),
            warnings=pairs("warnings"),
        )


# Called inside the transaction of every stored batch, and once at the end
# (final=True), with the report so far and the bytes read so far.
Checkpoint = Callable[[ImportReport, int, bool], object]


class _Counted:
    """Counts every read's size, for progress over bytes."""

    def __init__(self, stream: BinaryIO, progress: Callable[[int], object] | None):
        self._stream = stream
        self._progress = progress
        self.bytes_read = 0

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        if data:
            self.bytes_read += len(data)
            if self._progress is not None:
                self._progress(len(data))
        return data


def upload_source_get_or_create(*, name: str) -> Source:
    """The upload source of that name (uploads are never polled)."""
    source, _created = Source.objects.get_or_create(
        name=name[:120], kind=SourceKind.UPLOAD, defaults={"enabled": True}
    )
    return source


def import_file_check(*, stream: BinaryIO, format: str, preset: str | Preset) -> None:
    """Raise ImportFormatError if the file cannot be read at all.

    Reads the header (CSV) or the first element (JSON, NDJSON) only; the
    caller rewinds the stream before importing it.
    """
    rows = parse_rows(stream, format=format, preset=preset)
    next(iter(rows), None)


def mentions_import(
    *,
    source: Source | str,
    stream: BinaryIO,
    format: str,
    preset: str | Preset,
    batch_size: int = 1000,
    progress: Callable[[int], object] | None = None,
    skip_rows: int = 0,
    report: ImportReport | None = None,
    checkpoint: Checkpoint | None = None,
) -> ImportReport:
    """Stream a binary file into `source` and report what happened.

    `source` is an upload Source, or a name to get or create one by.
    `progress`, if given, is called with the number of bytes of each read.
    A batch is stored every `batch_size` rows read. `skip_rows` rows are
    read but not stored again (a resumed job's committed rows), `report`
    carries their counts on, and `checkpoint` commits with each batch.
    Raises ImportFormatError (before storing anything) when the file cannot
    be read with this format and preset; bad rows are only reported.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    if not isinstance(source, str) and source.kind != SourceKind.UPLOAD:
        raise ValueError(f"source {source.pk} is not an upload source")
    started = timezone.now()
    counted = _Counted(stream, progress)
    # CSV headers and the JSON opening bracket are checked here, before the
    # source is created or anything is stored.
    rows = parse_rows(counted, format=format, preset=preset)
    if isinstance(source, str):
        source = upload_source_get_or_create(name=source)

    report = report or ImportReport()
    batch: dict[str, RawMention] = {}
    read = pending = 0
    for row, mention, reason in rows:
        read += 1
        if read <= skip_rows:
            continue  # committed by an earlier run of this job
        report.rows += 1
        pending += 1
        if mention is None:
            report.reject(row, reason)
        else:
            if reason:
                report.warn(row, reason)
            if mention.external_id in batch:
                report.duplicates += 1  # the same post twice in one batch
            else:
                batch[mention.external_id] = mention
        if pending >= batch_size:
            _commit(source, batch, report, counted.bytes_read, checkpoint, False)
            pending = 0
    _commit(source, batch, report, counted.bytes_read, checkpoint, True)
    Source.objects.filter(pk=source.pk).update(
        last_run_at=started, last_success_at=timezone.now()
    )
    return report


def _commit(
    source: Source,
    batch: dict[str, RawMention],
    report: ImportReport,
    bytes_read: int,
    checkpoint: Checkpoint | None,
    final: bool,
) -> None:
    """Store one batch and the caller's checkpoint in one transaction."""
    if not batch and checkpoint is None:
        return
    with transaction.atomic():
        if batch:
            counts = mention_upsert_batch(
                source=source, raw_mentions=list(batch.values())
            )
            report.imported += counts["stored"]
            report.duplicates += counts["duplicates"]
            report.unmatched += counts["unmatched"]
        if checkpoint is not None:
            checkpoint(report, bytes_read, final)
    batch.clear()


# -- background jobs -------------------------------------------------------------


class ImportSuperseded(Exception):  # noqa: N818 - a signal, not an error
    """Another run claimed this job; this one stops without committing."""


def import_job_create(
    *,
    upload: File,
    preset: str,
    format: str | None = None,
    source: Source | str | None = None,
    created_by=None,
) -> ImportJob:
    """Check the file, store it and enqueue its import (on commit).

    Raises ImportFormatError, before anything is stored, when the file
    cannot be read with this format and preset.
    """
    from .tasks import run_import

    name = PurePath(getattr(upload, "name", "") or "upload").name
    file_format = format or format_from_name(name)
    if file_format not in FORMATS:
        raise ImportFormatError(
            _("Cannot tell the format from “%(name)s”; choose csv, json or ndjson.")
            % {"name": name}
        )
    upload.seek(0)
    import_file_check(stream=upload, format=file_format, preset=preset)
    upload.seek(0)
    if not isinstance(source, Source):
        source = upload_source_get_or_create(name=source or DEFAULT_SOURCE)
    if source.kind != SourceKind.UPLOAD:
        raise ValueError(f"source {source.pk} is not an upload source")
    with transaction.atomic():
        job = ImportJob(
            source=source,
            original_name=name[:255],
            format=file_format,
            preset=preset,
            size=upload.size or 0,
            created_by=created_by,
        )
        job.file.save(name, upload, save=False)
        job.save()
        enqueue(run_import, job.pk)
    return job


def _stale_before(now: datetime) -> datetime:
    return now - timedelta(seconds=settings.LISTENING_IMPORT_STALE_SECONDS)


def _claim(job_id: int) -> ImportJob | None:
    """Mark the job running for this run, unless it is finished or alive."""
    now = timezone.now()
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status in (ImportStatus.DONE, ImportStatus.FAILED):
            return None
        if (
            job.status == ImportStatus.RUNNING
            and job.heartbeat_at is not None
            and job.heartbeat_at > _stale_before(now)
        ):
            return None  # another worker is on it
        if job.heartbeat_at is not None and now <= job.heartbeat_at:
            now = job.heartbeat_at + timedelta(microseconds=1)
        job.status = ImportStatus.RUNNING
        job.heartbeat_at = now
        job.started_at = job.started_at or now
        job.error = ""
        job.save(update_fields=["status", "heartbeat_at", "started_at", "error"])
        return job


def import_job_run(*, job_id: int, batch_size: int = 1000) -> str:
    """Run (or resume) one job; returns what happened. Idempotent.

    A done or failed job, or one another worker is running, is left alone.
    """
    job = _claim(job_id)
    if job is None:
        return "skipped"
    beat = [job.heartbeat_at]

    def checkpoint(report: ImportReport, bytes_read: int, final: bool) -> None:
        now = timezone.now()
        if now <= beat[0]:
            now = beat[0] + timedelta(microseconds=1)
        fields = {
            "rows_done": report.rows,
            "bytes_done": min(bytes_read, job.size) if job.size else bytes_read,
            "imported": report.imported,
            "duplicates": report.duplicates,
            "unmatched": report.unmatched,
            "rejected_total": report.rejected_total,
            "report": report.reasons(),
            "heartbeat_at": now,
        }
        if final:
            fields.update(status=ImportStatus.DONE, finished_at=now)
            if job.size:
                fields["bytes_done"] = job.size
        updated = ImportJob.objects.filter(
            pk=job.pk, status=ImportStatus.RUNNING, heartbeat_at=beat[0]
        ).update(**fields)
        if not updated:
            raise ImportSuperseded(job.pk)
        beat[0] = now

    try:
        with job.file.open("rb") as stream:
            mentions_import(
                source=job.source,
                stream=stream,
                format=job.format,
                preset=job.preset,
                batch_size=batch_size,
                skip_rows=job.rows_done,
                report=ImportReport.from_job(job),
                checkpoint=checkpoint,
            )
    except ImportSuperseded:
        logger.info("listening: import %s was taken over by another run", job.pk)
        return "superseded"
    except ImportFormatError as exc:
        _fail(job, beat[0], str(exc))
        _file_discard(job)
        return "failed"
    except (OSError, ValueError, RecursionError) as exc:
        _fail(
            job,
            beat[0],
            _("The uploaded file cannot be read: %(error)s") % {"error": exc},
        )
        _file_discard(job)
        return "failed"
    _file_discard(job)
    return "done"


def _file_discard(job: ImportJob) -> None:
    """The upload holds other people's posts: once the job has ended (done
    or failed) only the report and the stored mentions are kept."""
    name = job.file.name
    if not name:
        return
    ImportJob.objects.filter(pk=job.pk).update(file="")
    try:
        job.file.storage.delete(name)
    except OSError:
        logger.warning("listening: could not delete import file %s", name)


def _fail(job: ImportJob, heartbeat: datetime, error: str) -> None:
    ImportJob.objects.filter(
        pk=job.pk, status=ImportStatus.RUNNING, heartbeat_at=heartbeat
    ).update(status=ImportStatus.FAILED, error=error[:2000], finished_at=timezone.now())


def import_jobs_resume(*, now: datetime | None = None) -> list[int]:
    """Re-enqueue running jobs whose worker stopped beating, and queued jobs
    that were never started (their message was lost). Returns their ids."""
    from .tasks import run_import

    now = now or timezone.now()
    stale = _stale_before(now)
    ids = list(
        ImportJob.objects.filter(
            status=ImportStatus.RUNNING, heartbeat_at__lt=stale
        ).values_list("pk", flat=True)
    ) + list(
        ImportJob.objects.filter(
            status=ImportStatus.QUEUED, started_at__isnull=True, created_at__lt=stale
        ).values_list("pk", flat=True)
    )
    for job_id in ids:
        enqueue(run_import, job_id)
    return ids
