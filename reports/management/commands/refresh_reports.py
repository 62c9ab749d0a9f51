from django.core.management.base import BaseCommand

from reports.services import summaries_refresh


class Command(BaseCommand):
    help = (
        "Rebuild the reports' figures from the records (run it every few minutes from a "
        "scheduler; the report pages say the time of the figures they show)."
    )

    def handle(self, *args, **options):
        refresh = summaries_refresh()
        self.stdout.write(
            f"Figures as at {refresh.taken_at:%Y-%m-%d %H:%M:%S}: {refresh.rows:,} rows in "
            f"{refresh.seconds:.1f} s ({refresh.rows / max(refresh.seconds, 1e-9):,.0f} rows/s)."
        )
