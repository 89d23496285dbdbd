"""Import an uploaded export (CSV, JSON, NDJSON) into an upload source.

`mentions_import` streams the file through `connectors.upload.parse_rows` and
stores mentions in batches with `services.mention_upsert_batch`, so memory
holds one batch, never the file. Each batch commits on its own: an import
that stops halfway keeps what it stored, and running it again stores only
what is missing (one row per source and external id), counting the rest as
duplicates. The same management command and API share this service.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

from django.utils import timezone

from .connectors.base import RawMention
from .connectors.upload import ImportFormatError, Preset, parse_rows
from .models import Source, SourceKind
from .services import mention_upsert_batch

__all__ = ["ImportFormatError", "ImportReport", "mentions_import"]

# Reasons kept per report; the totals count every one.
KEPT_REASONS = 1_000


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

    def as_dict(self) -> dict:
        return {
            "rows": self.rows,
            "imported": self.imported,
            "duplicates": self.duplicates,
            "unmatched": self.unmatched,
            "rejected_total": self.rejected_total,
            "rejected": [{"row": r, "reason": str(m)} for r, m in self.rejected],
            "warnings_total": self.warnings_total,
            "warnings": [{"row": r, "reason": str(m)} for r, m in self.warnings],
        }


class _Counted:
    """Reports every read's size, for a progress bar over bytes."""

    def __init__(self, stream: BinaryIO, progress: Callable[[int], object]):
        self._stream = stream
        self._progress = progress

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        if data:
            self._progress(len(data))
        return data


def upload_source_get_or_create(*, name: str) -> Source:
    """The upload source of that name (uploads are never polled)."""
    source, _created = Source.objects.get_or_create(
        name=name[:120], kind=SourceKind.UPLOAD, defaults={"enabled": True}
    )
    return source


def mentions_import(
    *,
    source: Source | str,
    stream: BinaryIO,
    format: str,
    preset: str | Preset,
    batch_size: int = 1000,
    progress: Callable[[int], object] | None = None,
) -> ImportReport:
    """Stream a binary file into `source` and report what happened.

    `source` is an upload Source, or a name to get or create one by.
    `progress`, if given, is called with the number of bytes of each read.
    Raises ImportFormatError (before storing anything) when the file cannot
    be read with this format and preset; bad rows are only reported.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    if not isinstance(source, str) and source.kind != SourceKind.UPLOAD:
        raise ValueError(f"source {source.pk} is not an upload source")
    started = timezone.now()
    if progress is not None:
        stream = _Counted(stream, progress)
    # CSV headers and the JSON opening bracket are checked here, before the
    # source is created or anything is stored.
    rows = parse_rows(stream, format=format, preset=preset)
    if isinstance(source, str):
        source = upload_source_get_or_create(name=source)

    report = ImportReport()
    batch: dict[str, RawMention] = {}
    for row, mention, reason in rows:
        report.rows += 1
        if mention is None:
            report.reject(row, reason)
            continue
        if reason:
            report.warn(row, reason)
        if mention.external_id in batch:
            report.duplicates += 1  # the same post twice in one batch
            continue
        batch[mention.external_id] = mention
        if len(batch) >= batch_size:
            _store(source, batch, report)
    if batch:
        _store(source, batch, report)
    Source.objects.filter(pk=source.pk).update(
        last_run_at=started, last_success_at=timezone.now()
    )
    return report


def _store(source: Source, batch: dict[str, RawMention], report: ImportReport):
    counts = mention_upsert_batch(source=source, raw_mentions=list(batch.values()))
    report.imported += counts["stored"]
    report.duplicates += counts["duplicates"]
    report.unmatched += counts["unmatched"]
    batch.clear()
