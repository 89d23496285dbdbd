from django.core.management.base import BaseCommand, CommandError

from portal.semantic import rebuild, registered_kinds


class Command(BaseCommand):
    help = (
        "Re-index every document of the registered kinds (or of --kind) from "
        "their loaders, and drop documents the loaders no longer return."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--kind",
            action="append",
            dest="kinds",
            metavar="KIND",
            help="A kind to rebuild; repeat for several (default: all).",
        )

    def handle(self, *args, kinds: list[str] | None = None, **options) -> None:
        known = registered_kinds()
        unknown = sorted(set(kinds or []) - set(known))
        if unknown:
            raise CommandError(
                f"Unknown kind(s): {', '.join(unknown)}. "
                f"Registered: {', '.join(known) or 'none'}."
            )
        if not known:
            self.stdout.write("No semantic kinds are registered; nothing to do.")
            return
        counts = rebuild(kinds=kinds, progress=options["verbosity"] > 0)
        for kind, count in counts.items():
            self.stdout.write(self.style.SUCCESS(f"{kind}: {count} documents"))
