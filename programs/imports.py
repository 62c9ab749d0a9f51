"""Import of a project's participants from a spreadsheet (see welfare/imports.py)."""

from django.utils.translation import gettext_lazy as _

from programs.forms import ParticipantAddForm
from programs.models import Participation
from welfare.imports import PERSON_COLUMNS, Column, Import, ImportRowForm, choice_lookup, in_batches

TARGET_GROUPS_MS = {
    "client": ["Pelanggan jabatan", "Klien jabatan", "Klien"],
    "former_resident": [
        "Bekas penghuni",
        "Bekas penghuni atau pelatih institusi jabatan",
        "Bekas pelatih",
    ],
    "community": ["Komuniti setempat", "Ahli komuniti setempat", "Masyarakat setempat"],
}


class ParticipantRowForm(ImportRowForm, ParticipantAddForm):
    """The participant page's form, finding people in what was loaded for the file."""

    def __init__(self, data, *, enrolled, **kwargs):
        self.enrolled = enrolled
        super().__init__(data, **kwargs)

    def takes_part(self, person):
        return person.pk in self.enrolled


class ParticipantImport(Import):
    title = _("Import participants")
    filename = "participants-template"
    model = Participation
    person_field = "person"
    columns = [
        *PERSON_COLUMNS,
        Column(
            "target_group",
            _("Target group"),
            "Kumpulan sasaran",
            "community",
            required=True,
            choices=choice_lookup(Participation.TargetGroup.choices, TARGET_GROUPS_MS),
        ),
        Column(
            "joined_on",
            _("Joined on"),
            "Tarikh sertai",
            "2025-01-15",
            required=True,
            aliases=("Date joined", "Tarikh menyertai"),
        ),
    ]

    def preload(self, people, rows):
        self.enrolled = set(
            in_batches(
                [person.pk for person in people.values()],
                lambda batch: self.target.participations.filter(person__in=batch).values_list(
                    "person_id", flat=True
                ),
            )
        )

    def row_form(self, data, found, key):
        return ParticipantRowForm(
            data, project=self.target, user=self.user, enrolled=self.enrolled, **found
        )

    def office_of(self, result):
        return self.target.office
