import time

from django.core.management.base import BaseCommand

from reports.services import summaries_refresh


class Command(BaseCommand):
    help = (
        "Bring the reports' figures up to date with the records: what changed since the last "
        "refresh, or everything with --full (run it every few minutes from a scheduler; the "
        "report pages say the time of the figures they show)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--full",
            action="store_true",
            help="Rebuild every figure from the records, not only what changed.",
        )

    def handle(self, *args, **options):
        started = time.monotonic()
        refresh = summaries_refresh(full=options["full"])
        # The whole command's time: the refresh's transaction and the VACUUM after it.
        seconds = time.monotonic() - started
        kind = "rebuilt whole" if refresh.full else "updated"
        self.stdout.write(
            f"Figures as at {refresh.taken_at:%Y-%m-%d %H:%M:%S} {kind}: {refresh.rows:,} rows "
            f"in {seconds:.1f} s ({refresh.rows / max(seconds, 1e-9):,.0f} rows/s)."
        )
