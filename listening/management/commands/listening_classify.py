"""Classify texts with the enrichment rules, one JSON object per line.

    manage.py listening_classify posts.txt
    echo "Waar blijft mijn terugbetaling?" | manage.py listening_classify

Reads one text per line from FILE, or from standard input when FILE is
omitted or "-", skips blank lines, and prints for each text the answer of the
same functions the import pipeline uses (`listening.enrichment`): language
(limited to LISTENING_LANGUAGES) with its confidence, sentiment (label and
score), intent with its confidence, and whether it counts as a lead. Staff
use it to check the rules on their own examples; the accuracy figures on the
labelled set come from `bench/enrichment_accuracy.py`, which runs the same
function (`listening.enrichment.evaluation.text_classify`).
"""

import json
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from listening.enrichment.evaluation import text_classify


class Command(BaseCommand):
    help = "Print language, sentiment, intent and lead for each line of text."
    # call_command(..., stdin=stream) in tests; sys.stdin otherwise.
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument(
            "file",
            nargs="?",
            default="-",
            help='A UTF-8 text file, one text per line ("-" or none: stdin).',
        )

    def _lines(self, name: str) -> list[str]:
        if name == "-":
            # The raw bytes when there are any, so a wrong encoding is caught
            # here and not replaced or escaped by the text layer.
            stream = getattr(self.stdin, "buffer", self.stdin)
            data = stream.read()
            if isinstance(data, bytes):
                data = self._decode(data, _("Standard input"))
            return data.splitlines()
        path = Path(name)
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        try:
            raw = path.read_bytes()
        except OSError as error:
            raise CommandError(
                _("Cannot read %(path)s: %(error)s") % {"path": path, "error": error}
            ) from None
        return self._decode(raw, str(path)).splitlines()

    @staticmethod
    def _decode(raw: bytes, name: str) -> str:
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            line = raw[: error.start].count(b"\n") + 1
            raise CommandError(
                _(
                    "%(name)s is not UTF-8 text (invalid byte at line %(line)s);"
                    " convert it to UTF-8 first."
                )
                % {"name": name, "line": line}
            ) from None

    def handle(self, *args, **options):
        self.stdin = options.get("stdin", sys.stdin)
        languages = tuple(settings.LISTENING_LANGUAGES)
        for line in self._lines(options["file"]):
            text = line.strip()
            if not text:
                continue
            result = text_classify(text, languages=languages)
            self.stdout.write(json.dumps(result, ensure_ascii=False))
