"""Import of volunteers and of home-help clients with their cases from a
spreadsheet (see welfare/imports.py)."""

from django.utils.translation import gettext_lazy as _

from homehelp.forms import CaseCreateForm, VolunteerCreateForm
from homehelp.models import Case, Volunteer
from welfare.imports import (
    PERSON_COLUMNS,
    Column,
    Import,
    ImportRowForm,
    PreloadedChoiceField,
    choice_lookup,
    in_batches,
    office_lookup,
    simplify,
)
from welfare.models import Constituency

HOMEHELP_PERSON_COLUMNS = [
    *PERSON_COLUMNS,
    Column("postcode", _("Postcode"), "Poskod", "46000"),
    Column(
        "office",
        _("Office"),
        "Pejabat",
        "",
        aliases=("PKMD", "Office code", "Kod pejabat"),
    ),
]


class OfficeImport(Import):
    """Records that belong to an office: the Office column (code or name) or,
    when it is empty, the district officer's own office."""

    def __init__(self, user, target):
        super().__init__(user, target)
        self.offices = office_lookup(user)
        self.own_office = user.own_office

    def row_key(self, values, result):
        """The row's office, on which its form depends (one form per office)."""
        given = values.get("office", "")
        office = self.offices.get(simplify(given)) if given else self.own_office
        if given and office is None:
            result.add_error(
                self.heading_of("office"),
                _("Unknown office “%(office)s”: give the code or name of your office.")
                % {"office": given},
            )
        elif office is None:
            result.add_error(self.heading_of("office"), _("Give the office (code or name)."))
        result.office = office
        # The other checks still run, against the officer's own office, to report
        # every error at once; without one, the form asks for the office too.
        return office or self.own_office

    def office_of(self, result):
        return result.office

    def preload_people_ids(self, people, query):
        return in_batches([person.pk for person in people.values()], query)


class VolunteerRowForm(ImportRowForm, VolunteerCreateForm):
    class Meta(VolunteerCreateForm.Meta):
        fields = ["trained_on", "active", "max_cases"]

    def __init__(self, data, *, volunteers_here, **kwargs):
        self.volunteer_offices = volunteers_here
        super().__init__(data, **kwargs)

    def volunteers_here(self, person):
        return (person.pk, self.office.pk) in self.volunteer_offices


class CaseRowForm(ImportRowForm, CaseCreateForm):
    class Meta(CaseCreateForm.Meta):
        # The columns of the import: a field more is work more for each of 20,000 rows.
        fields = [
            "client_type",
            "oku_card_number",
            "constituency",
            "living_arrangement",
            "status",
            "opened_on",
            "visit_every_days",
            "notes",
        ]

    def __init__(self, data, *, open_case_clients, constituencies, **kwargs):
        self.open_case_clients = open_case_clients
        super().__init__(data, **kwargs)
        self.fields["constituency"] = PreloadedChoiceField(
            constituencies,
            label=_("Constituency"),
            error_messages={
                "invalid_choice": _("Unknown constituency: give its code (e.g. P.104) or its name.")
            },
        )

    def has_other_open_case(self, client):
        return client.pk in self.open_case_clients


class VolunteerImport(OfficeImport):
    title = _("Import volunteers")
    filename = "volunteers-template"
    model = Volunteer
    person_field = "person"
    columns = [
        *HOMEHELP_PERSON_COLUMNS,
        Column(
            "trained_on",
            _("Trained on"),
            "Tarikh latihan",
            "2024-06-01",
            aliases=("Date trained", "Tarikh dilatih"),
        ),
        Column(
            "max_cases",
            _("Maximum caseload"),
            "Bilangan kes maksimum",
            "5",
            aliases=("Max cases", "Kes maksimum"),
        ),
    ]
    defaults = {"active": "on", "max_cases": "5"}

    def preload(self, people, rows):
        self.volunteers_here = set(
            self.preload_people_ids(
                people,
                lambda batch: Volunteer.objects.filter(person__in=batch).values_list(
                    "person_id", "office_id"
                ),
            )
        )

    def row_form(self, data, found, office):
        return VolunteerRowForm(
            data,
            **found,
            volunteers_here=self.volunteers_here,
            user=self.user,
            instance=Volunteer(office=office, organization=self.target),
        )


CLIENT_TYPES_MS = {
    "senior": ["Warga emas"],
    "oku": ["OKU", "Orang kurang upaya"],
    "homeless": ["Gelandangan", "Tiada tempat tinggal"],
}
LIVING_MS = {
    "alone": ["Sendiri", "Tinggal sendirian", "Seorang diri"],
    "family": ["Keluarga", "Bersama keluarga", "Dengan keluarga"],
}
STATUSES_MS = {"referred": ["Dirujuk"], "active": ["Aktif"]}


class CaseImport(OfficeImport):
    title = _("Import home help clients and their cases")
    filename = "cases-template"
    model = Case
    person_field = "client"
    columns = [
        *HOMEHELP_PERSON_COLUMNS,
        Column(
            "client_type",
            _("Client type"),
            "Jenis klien",
            "senior",
            required=True,
            choices=choice_lookup(Case.ClientType.choices, CLIENT_TYPES_MS),
        ),
        Column("oku_card_number", _("OKU card number"), "No. kad OKU", ""),
        Column(
            "constituency",
            _("Constituency"),
            "Parlimen",
            "P.104",
            required=True,
            aliases=("Parliamentary constituency", "Kawasan parlimen"),
        ),
        Column(
            "living_arrangement",
            _("Living arrangement"),
            "Tinggal bersama",
            "alone",
            required=True,
            choices=choice_lookup(Case.LivingArrangement.choices, LIVING_MS),
        ),
        Column(
            "opened_on",
            _("Opened on"),
            "Tarikh dibuka",
            "2025-01-15",
            required=True,
            aliases=("Date opened", "Tarikh buka"),
        ),
        Column(
            "visit_every_days",
            _("Visit every (days)"),
            "Lawatan setiap (hari)",
            "7",
        ),
        Column(
            "status",
            _("Status"),
            "Status",
            "referred",
            choices=choice_lookup(Case.Status.choices, STATUSES_MS),
        ),
        Column("notes", _("Notes"), "Catatan", ""),
    ]
    defaults = {"status": "referred", "visit_every_days": "7"}

    def preload(self, people, rows):
        self.open_case_clients = set(
            self.preload_people_ids(
                people,
                lambda batch: (
                    Case.objects.open().filter(client__in=batch).values_list("client_id", flat=True)
                ),
            )
        )
        self.constituencies = {}
        for constituency in Constituency.objects.all():
            for key in (constituency.code, constituency.name, str(constituency)):
                self.constituencies[simplify(key)] = constituency

    def row_form(self, data, found, office):
        return CaseRowForm(
            data,
            **found,
            open_case_clients=self.open_case_clients,
            constituencies=self.constituencies,
            user=self.user,
            instance=Case(office=office),
        )
