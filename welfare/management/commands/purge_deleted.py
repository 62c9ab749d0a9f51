from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from welfare.imports import STAGING_HOURS
from welfare.models import PasswordResetRequest, Person, StagedImport, Submission


class Command(BaseCommand):
    help = (
        "Erases the people deleted longer ago than PERSON_RETENTION_DAYS, with their "
        "change history, and forgets the form submissions and password-reset requests of "
        "the days before, and the import previews never confirmed. Run daily."
    )

    def handle(self, *args, **options):
        now = timezone.now()
        with transaction.atomic():
            ids = list(
                Person.all_objects.purgeable(now=now)
                .select_for_update()
                .values_list("pk", flat=True)
            )
            Person.all_objects.filter(pk__in=ids).delete()
            # After the deletion, which adds a history row of its own: the history
            # holds every old name, address and phone of the person.
            Person.history.filter(id__in=ids).delete()
            # A page sent again after a day is a new submission, not a double click.
            forgotten, _ = Submission.objects.filter(at__lt=now - timedelta(days=1)).delete()
            # Kept an hour for the limits, a day to see a flood in the admin.
            resets, _ = PasswordResetRequest.objects.filter(
                requested_at__lt=now - timedelta(days=1)
            ).delete()
            # An import's checked rows wait a day for their confirmation.
            StagedImport.objects.filter(
                created_at__lt=now - timedelta(hours=STAGING_HOURS)
            ).delete()
        self.stdout.write(
            f"Erased {len(ids)} deleted people; forgot {forgotten} form submissions "
            f"and {resets} password-reset requests."
        )
