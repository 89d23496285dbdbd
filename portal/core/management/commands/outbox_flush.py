from datetime import timedelta

from django.core.management.base import BaseCommand

from portal.core.outbox import SWEEP_BATCH_SIZE, SWEEP_MIN_AGE, outbox_flush


class Command(BaseCommand):
    help = (
        "Publish the Celery messages the outbox still holds (written while the "
        "broker was down), oldest first. Beat runs the same sweep every minute."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--min-age",
            type=float,
            default=SWEEP_MIN_AGE.total_seconds(),
            help="Leave rows younger than this many seconds (default %(default)s).",
        )
        parser.add_argument("--batch-size", type=int, default=SWEEP_BATCH_SIZE)

    def handle(self, *args, **options) -> None:
        counts = outbox_flush(
            min_age=timedelta(seconds=max(options["min_age"], 0)),
            batch_size=max(options["batch_size"], 1),
        )
        line = ", ".join(f"{key}: {value}" for key, value in counts.items())
        style = self.style.SUCCESS if not counts["failed"] else self.style.WARNING
        self.stdout.write(style(line))
