from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from homehelp.models import Case, Volunteer
from tests.factories import CaseFactory, PersonFactory, VolunteerFactory, make_mykad
from tests.imports.conftest import confirm, csv_file, errors_of, upload, xlsx_file
from welfare.models import Person

pytestmark = pytest.mark.django_db

VOLUNTEER_HEADINGS = ["No. MyKad", "Nama", "Tarikh latihan", "Bilangan kes maksimum"]
CASE_HEADINGS = ["MyKad", "Name", "Client type", "Constituency", "Living arrangement", "Opened on"]


def volunteer_url(organization):
    return reverse("homehelp:volunteer-import", args=[organization.pk])


CASE_URL = "/homehelp/cases/import/"


def volunteer_row(n, **changes):
    row = {"mykad": make_mykad(n, born=date(1980, 5, 5)), "name": f"Sukarelawan {n}",
           "trained": "01/06/2024", "max": "4"}  # fmt: skip
    row.update(changes)
    return list(row.values())


def case_row(n, **changes):
    row = {"mykad": make_mykad(n, born=date(1950, 1, 1)), "name": f"Warga emas {n}",
           "type": "Warga emas", "constituency": "P.104", "living": "Sendiri",
           "opened": "2025-01-15"}  # fmt: skip
    row.update(changes)
    return list(row.values())


def test_volunteers_into_an_organisation_for_the_officers_office(
    client, officer, office, organization
):
    client.force_login(officer)
    rows = [VOLUNTEER_HEADINGS, volunteer_row(1), volunteer_row(2, trained="", max="")]
    preview = upload(client, volunteer_url(organization), xlsx_file(rows))
    assert errors_of(preview) == []
    confirm(client, volunteer_url(organization), preview)
    first, second = Volunteer.objects.order_by("person__name")
    assert (first.office, first.organization, first.trained_on, first.max_cases, first.active) == (
        office,
        organization,
        date(2024, 6, 1),
        4,
        True,
    )
    assert (second.trained_on, second.max_cases) == (None, 5)
    assert first.person.office == office


def test_volunteer_errors(client, officer, organization, far_office, office):
    already = VolunteerFactory(office=office)
    client.force_login(officer)
    rows = [
        [*VOLUNTEER_HEADINGS, "Pejabat"],
        volunteer_row(1, office="PKMD-1005"),
        volunteer_row(2, office=far_office.code),
        volunteer_row(3, office="PKMD Atlantis"),
        volunteer_row(4, max="0", office=""),
        [already.person.mykad, "Again", "2024-01-01", "3", ""],
    ]
    preview = upload(client, volunteer_url(organization), csv_file(rows))
    assert errors_of(preview) == [
        (3, "Office", f"Unknown office “{far_office.code}”: give the code or name of your office."),
        (4, "Office", "Unknown office “PKMD Atlantis”: give the code or name of your office."),
        (5, "Maximum caseload", "Ensure this value is greater than or equal to 1."),
        (6, "MyKad", "This person is already a volunteer of this office."),
    ]
    confirm(client, volunteer_url(organization), preview)
    assert Volunteer.objects.count() == 1


def test_volunteer_import_access(client, organization, state_officer, hq):
    client.force_login(state_officer)
    assert client.get(volunteer_url(organization)).status_code == 403
    client.force_login(hq)
    assert client.get(volunteer_url(organization)).status_code == 403


def test_clients_with_their_cases(client, officer, office):
    client.force_login(officer)
    rows = [
        [*CASE_HEADINGS, "OKU card number", "Status"],
        [*case_row(1), "", ""],
        [*case_row(2, type="OKU", living="with family", mykad=make_mykad(2, born=date(1990, 1, 1))),
         "OKU-123", "Aktif"],
    ]  # fmt: skip
    preview = upload(client, CASE_URL, csv_file(rows))
    assert errors_of(preview) == []
    confirm(client, CASE_URL, preview)
    senior, oku = Case.objects.order_by("client__name")
    assert (senior.office, senior.constituency.code, senior.client_type) == (
        office,
        "P.104",
        "senior",
    )
    assert (senior.status, senior.living_arrangement, senior.visit_every_days) == (
        "referred",
        "alone",
        7,
    )
    assert (oku.client_type, oku.oku_card_number, oku.status, oku.living_arrangement) == (
        "oku",
        "OKU-123",
        "active",
        "family",
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="UNNEST is PostgreSQL's")
def test_confirmed_cases_are_sent_as_arrays_with_their_defaults(client, officer):
    """A confirmation inserts the cases by UNNEST of arrays (Django's fastest
    bulk insert), which an expression for a db_default would rule out; the
    cases still get the defaults."""
    client.force_login(officer)
    preview = upload(client, CASE_URL, csv_file([CASE_HEADINGS, case_row(1), case_row(2)]))
    with CaptureQueriesContext(connection) as queries:
        confirm(client, CASE_URL, preview)
    inserts = [q["sql"] for q in queries if q["sql"].startswith('INSERT INTO "homehelp_case"')]
    assert len(inserts) == 1
    assert "UNNEST" in inserts[0]
    assert list(Case.objects.values_list("usual_location", flat=True)) == ["", ""]


def test_case_errors(client, officer, office):
    open_case = CaseFactory(office=office)
    young = make_mykad(5, born=date(1990, 1, 1))
    client.force_login(officer)
    rows = [
        CASE_HEADINGS,
        case_row(1, constituency="P.999"),
        case_row(2, constituency="P.021"),  # Kota Bharu, Kelantan
        case_row(3, opened="15-01-2025"),
        case_row(4, type="OKU"),
        case_row(5, mykad=young),
        case_row(6, mykad=open_case.client.mykad),
    ]
    preview = upload(client, CASE_URL, csv_file(rows))
    assert errors_of(preview) == [
        (2, "Constituency", "Unknown constituency: give its code (e.g. P.104) or its name."),
        (3, "Constituency", "P.021 Kota Bharu is not in Selangor."),
        (4, "Opened on", "Enter the date as YYYY-MM-DD or DD/MM/YYYY."),
        (5, "OKU card number", "Give the OKU card number."),
        (6, "Client type",
         "A senior citizen is 60 or older on the day the case opens; this client is younger then."),
        (7, "MyKad", "This client already has an open case."),
    ]  # fmt: skip
    confirm(client, CASE_URL, preview)
    assert Case.objects.count() == 1
    assert Person.objects.count() == 1


def test_district_officer_cannot_import_into_another_office(client, officer, far_office):
    client.force_login(officer)
    rows = [[*CASE_HEADINGS, "Office"], [*case_row(1, constituency="P.021"), far_office.name]]
    preview = upload(client, CASE_URL, csv_file(rows))
    assert errors_of(preview)[0][:2] == (2, "Office")
    confirm(client, CASE_URL, preview)
    assert not Case.objects.exists()


def test_administrator_names_the_office(client, administrator, far_office):
    client.force_login(administrator)
    rows = [[*CASE_HEADINGS, "Pejabat"], [*case_row(1, constituency="P.021"), far_office.code],
            case_row(2)]  # fmt: skip
    preview = upload(client, CASE_URL, csv_file(rows))
    assert errors_of(preview) == [(3, "Office", "Give the office (code or name).")]
    rows.pop()
    preview = upload(client, CASE_URL, csv_file(rows))
    confirm(client, CASE_URL, preview)
    case = Case.objects.get()
    assert case.office == far_office and case.client.office == far_office


def test_case_import_reuses_a_recorded_person(client, officer):
    person = PersonFactory(mykad=make_mykad(1, born=date(1950, 1, 1)), name="Recorded")
    client.force_login(officer)
    preview = upload(client, CASE_URL, csv_file([CASE_HEADINGS, case_row(1)]))
    confirm(client, CASE_URL, preview)
    assert Case.objects.get().client == person
    assert Person.objects.count() == 1


def test_administrator_names_the_office_of_each_volunteer(
    client, administrator, office, organization
):
    client.force_login(administrator)
    rows = [[*VOLUNTEER_HEADINGS, "Pejabat"], volunteer_row(1, office=office.code),
            volunteer_row(2, office="")]  # fmt: skip
    preview = upload(client, volunteer_url(organization), csv_file(rows))
    assert errors_of(preview) == [(3, "Office", "Give the office (code or name).")]
    rows.pop()
    confirm(client, volunteer_url(organization), upload(client, volunteer_url(organization), csv_file(rows)))  # fmt: skip
    volunteer = Volunteer.objects.get()
    assert (volunteer.office, volunteer.person.office) == (office, office)


def test_a_constituency_is_found_by_its_code_its_name_or_both(client, officer):
    client.force_login(officer)
    rows = [CASE_HEADINGS, case_row(1, constituency="p104"), case_row(2, constituency="Subang"),
            case_row(3, constituency="P.104 Subang")]  # fmt: skip
    preview = upload(client, CASE_URL, csv_file(rows))
    assert errors_of(preview) == []
    confirm(client, CASE_URL, preview)
    assert list(Case.objects.values_list("constituency__code", flat=True)) == ["P.104"] * 3


def test_a_visit_frequency_outside_1_to_366_days_is_an_error_of_its_row(client, officer):
    """The database refuses it (homehelp_case_visit_every_days_range): the
    preview once said such a file was correct, and its confirmation failed."""
    client.force_login(officer)
    rows = [[*CASE_HEADINGS, "Visit every (days)"], [*case_row(1), "0"], [*case_row(2), "367"],
            [*case_row(3), "366"]]  # fmt: skip
    preview = upload(client, CASE_URL, csv_file(rows))
    assert errors_of(preview) == [
        (2, "Visit every (days)", "Ensure this value is greater than or equal to 1."),
        (3, "Visit every (days)", "Ensure this value is less than or equal to 366."),
    ]
