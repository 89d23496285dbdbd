"""Import an export of a listening tool from a file, with a progress bar.

    manage.py listening_import mentions.csv --preset brandwatch
    manage.py listening_import posts.ndjson --preset generic --source "Forum dump"

The same code path as the API and the background jobs
(`listening.imports.mentions_import`): rows are
streamed and stored in batches, rows that match no tracker are not kept, and
running the same file again stores nothing new. Rejected rows are reported;
they do not make the command fail. A missing file or a file that cannot be
read with the preset (no id or text column, not a JSON array) does.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from listening.connectors.upload import FORMATS, PRESETS
from listening.imports import ImportFormatError, format_from_name, mentions_import

SHOWN_REASONS = 20


class Command(BaseCommand):
    help = "Import mentions from a CSV, JSON or NDJSON export of a listening tool."
    # The system checks import every URLconf and admin module (~20 MB that
    # a long import then carries to its end); `manage.py check` runs them.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("file", help="The exported file.")
        parser.add_argument(
            "--preset", required=True, choices=sorted(PRESETS), help="Column mapping."
        )
        parser.add_argument(
            "--format",
            choices=FORMATS,
            help="csv, json or ndjson (default: from the file's extension).",
        )
        parser.add_argument(
            "--source",
            help='Name of the upload source (default: "Upload: <preset>").',
        )
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        file_format = options["format"] or format_from_name(path.name)
        if not file_format:
            raise CommandError(
                _("Cannot tell the format from “%(name)s”; pass --format.")
                % {"name": path.name}
            )
        preset = options["preset"]
        source = options["source"] or f"Upload: {preset}"
        with (
            path.open("rb") as stream,
            tqdm(
                total=path.stat().st_size,
                unit="B",
                unit_scale=True,
                desc=path.name,
                # The raw stream: Django's OutputWrapper ends every write with
                # a newline, which breaks tqdm's redraws in place.
                file=getattr(self.stderr, "_out", self.stderr),
                disable=None,  # only on a terminal
            ) as bar,
        ):
            try:
                report = mentions_import(
                    source=source,
                    stream=stream,
                    format=file_format,
                    preset=preset,
                    batch_size=options["batch_size"],
                    progress=bar.update,
                )
            except ImportFormatError as exc:
                raise CommandError(str(exc)) from exc

        self.stdout.write(
            _(
                "%(rows)d rows read: %(imported)d imported, %(duplicates)d "
                "duplicates (already imported), %(unmatched)d not matching any "
                "tracker, %(rejected)d rejected."
            )
            % {
                "rows": report.rows,
                "imported": report.imported,
                "duplicates": report.duplicates,
                "unmatched": report.unmatched,
                "rejected": report.rejected_total,
            }
        )
        self._reasons(_("Rejected rows"), report.rejected, report.rejected_total)
        self._reasons(_("Kept with a warning"), report.warnings, report.warnings_total)

    def _reasons(self, title: str, reasons: list, total: int) -> None:
        if not total:
            return
        shown = reasons[:SHOWN_REASONS]
        self.stdout.write(
            _("%(title)s (first %(shown)d of %(total)d):")
            % {"title": title, "shown": len(shown), "total": total}
        )
        for row, reason in shown:
            self.stdout.write(
                "  " + _("row %(row)d: %(reason)s") % {"row": row, "reason": reason}
            )
