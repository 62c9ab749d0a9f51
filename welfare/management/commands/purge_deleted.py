from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from welfare.models import Person


class Command(BaseCommand):
    help = (
        "Erases the people deleted longer ago than PERSON_RETENTION_DAYS, with their "
        "change history. Safe to run daily."
    )

    def handle(self, *args, **options):
        with transaction.atomic():
            ids = list(
                Person.all_objects.purgeable(now=timezone.now())
                .select_for_update()
                .values_list("pk", flat=True)
            )
            Person.all_objects.filter(pk__in=ids).delete()
            # After the deletion, which adds a history row of its own: the history
            # holds every old name, address and phone of the person.
            Person.history.filter(id__in=ids).delete()
        self.stdout.write(f"Erased {len(ids)} deleted people.")
