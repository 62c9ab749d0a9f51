"""Import of a project's participants from a spreadsheet (see welfare/imports.py)."""

from django.utils.translation import gettext_lazy as _

from programs.forms import ParticipantAddForm
from programs.models import Participation
from welfare.imports import Column, Import, ImportRowForm, choice_lookup, in_batches
from welfare.models import Person

TARGET_GROUPS_MS = {
    "client": ["Pelanggan jabatan", "Klien jabatan", "Klien"],
    "former_resident": [
        "Bekas penghuni",
        "Bekas penghuni atau pelatih institusi jabatan",
        "Bekas pelatih",
    ],
    "community": ["Komuniti setempat", "Ahli komuniti setempat", "Masyarakat setempat"],
}
SEXES_MS = {"M": ["L", "Lelaki"], "F": ["P", "Perempuan"]}

PERSON_COLUMNS = [
    Column(
        "mykad",
        _("MyKad"),
        "No. MyKad",
        "560101-10-1234",
        aliases=("MyKad number", "No. Kad Pengenalan", "No. KP", "IC", "NRIC"),
    ),
    Column("name", _("Name"), "Nama", "Siti binti Ahmad", aliases=("Nama penuh", "Full name")),
    Column("date_of_birth", _("Date of birth"), "Tarikh lahir", "", aliases=("DOB",)),
    Column("sex", _("Sex"), "Jantina", "F", choices=choice_lookup(Person.Sex.choices, SEXES_MS)),
    Column("phone", _("Phone"), "No. telefon", "012-3456789", aliases=("Telefon",)),
    Column("address", _("Address"), "Alamat", "No. 1, Jalan Mawar, Petaling Jaya"),
]


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

    skip_label = _("Skip the people already in this project (instead of refusing the file)")

    def is_there_already(self, person):
        return person.pk in self.enrolled

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
