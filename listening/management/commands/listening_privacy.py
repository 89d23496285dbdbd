"""Export or erase what listening stores about one author's handle.

    manage.py listening_privacy export @name@mastodon.social > export.json
    manage.py listening_privacy export name.bsky.social --output export.json
    manage.py listening_privacy erase @name@mastodon.social --yes --note "ticket 42"
    manage.py listening_privacy expire

The same services as Listening → Privacy requests in the admin
(`listening.privacy`); each export and erasure is logged there with a masked
handle. `expire` runs the retention job (`listening.expire_mentions`) now.
"""

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from listening import privacy


class Command(BaseCommand):
    help = "Export or erase a handle's listening data, or expire old mentions."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=("export", "erase", "expire"))
        parser.add_argument(
            "handle", nargs="?", help="The author's handle (not for expire)."
        )
        parser.add_argument("--note", default="", help="Kept in the log.")
        parser.add_argument(
            "--output", help="Write the export to this file (default: stdout)."
        )
        parser.add_argument(
            "--yes",
            action="store_true",
            help="Erase without asking (needed when not on a terminal).",
        )

    def handle(self, *args, **options):
        action = options["action"]
        if action == "expire":
            counts = privacy.mentions_expire()
            self.stdout.write(json.dumps(counts))
            return
        handle = options["handle"] or ""
        if not privacy.handle_normalise(handle):
            raise CommandError(_("Give the handle to %(action)s.") % {"action": action})
        if action == "export":
            data = privacy.handle_export(handle=handle, note=options["note"])
            text = json.dumps(data, ensure_ascii=False, indent=2)
            if options["output"]:
                Path(options["output"]).write_text(text + "\n", encoding="utf-8")
                self.stderr.write(
                    _("Exported %(count)d mentions to %(path)s.")
                    % {"count": data["count"], "path": options["output"]}
                )
            else:
                self.stdout.write(text)
            return
        count = privacy.handle_mentions(handle).count()
        hint = privacy.handle_mask(handle)
        if not options["yes"]:
            if not sys.stdin.isatty():
                raise CommandError(
                    _("%(count)d mentions by %(hint)s would be erased; add --yes.")
                    % {"count": count, "hint": hint}
                )
            answer = input(
                _("Erase %(count)d mentions by %(hint)s for good? [y/N] ")
                % {"count": count, "hint": hint}
            )
            if answer.strip().lower() not in ("y", "yes", "j", "ja"):
                raise CommandError(_("Nothing was erased."))
        erased = privacy.handle_erase(handle=handle, note=options["note"])
        message = _("Erased %(count)d mentions by %(hint)s.")
        self.stdout.write(message % {"count": erased, "hint": hint})
