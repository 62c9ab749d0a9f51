"""Organisations: a national one (no office) is read by everyone, picked by every
office for its volunteers and changed by administrators only; an office's own is
read within that office's scope and changed by its district officers."""

from datetime import date

import pytest

from homehelp.models import Organization, Volunteer
from tests.factories import OrganizationFactory, VolunteerFactory, make_mykad
from tests.imports.conftest import csv_file, errors_of, upload


@pytest.fixture
def national(db):
    return OrganizationFactory(name="Persatuan Kebangsaan", registration_number="PPM-N1")


@pytest.fixture
def own(office):
    return OrganizationFactory(
        name="Persatuan Petaling", registration_number="PPM-O1", office=office
    )


@pytest.fixture
def neighbours(neighbour_office):
    return OrganizationFactory(
        name="Persatuan Gombak", registration_number="PPM-G1", office=neighbour_office
    )


@pytest.fixture
def far(far_office):
    return OrganizationFactory(
        name="Persatuan Kota Bharu", registration_number="PPM-K1", office=far_office
    )


def edit_url(organization):
    return f"/homehelp/organisations/{organization.pk}/edit/"


def organization_data(organization, **changes):
    return {
        "name": organization.name,
        "registration_number": organization.registration_number,
        "kind": organization.kind,
        **changes,
    }


def test_existing_organisations_are_national(national):
    assert national.office is None and national.is_national


def test_an_officer_gets_403_editing_a_national_organisation(client, officer, national):
    client.force_login(officer)
    assert client.get(edit_url(national)).status_code == 403
    response = client.post(edit_url(national), organization_data(national, name="Renamed"))
    assert response.status_code == 403
    national.refresh_from_db()
    assert national.name == "Persatuan Kebangsaan"
    assert "/edit/" not in client.get(national.get_absolute_url()).text


def test_an_administrator_edits_a_national_organisation(client, administrator, national):
    client.force_login(administrator)
    response = client.post(edit_url(national), organization_data(national, name="Renamed"))
    assert response.status_code == 302
    national.refresh_from_db()
    assert (national.name, national.office) == ("Renamed", None)


def test_an_officer_edits_the_own_offices_organisation(client, officer, own, office):
    client.force_login(officer)
    assert "/edit/" in client.get(own.get_absolute_url()).text
    response = client.post(edit_url(own), organization_data(own, name="Renamed"))
    assert response.status_code == 302
    own.refresh_from_db()
    assert (own.name, own.office) == ("Renamed", office)


@pytest.mark.parametrize("organization", ["neighbours", "far"])
def test_an_officer_gets_404_on_another_offices_own_organisation(
    client, request, officer, organization
):
    organization = request.getfixturevalue(organization)
    client.force_login(officer)
    for url in [
        organization.get_absolute_url(),
        edit_url(organization),
        f"/homehelp/organisations/{organization.pk}/volunteers/import/",
    ]:
        assert client.get(url).status_code == 404, url
    response = client.post(edit_url(organization), organization_data(organization, name="X"))
    assert response.status_code == 404
    organization.refresh_from_db()
    assert organization.name != "X"


def test_a_state_officer_reads_the_states_organisations_and_changes_none(
    client, state_officer, national, own, neighbours, far
):
    client.force_login(state_officer)
    for organization in [national, own, neighbours]:
        assert client.get(organization.get_absolute_url()).status_code == 200
        assert client.get(edit_url(organization)).status_code == 403
    assert client.get(far.get_absolute_url()).status_code == 404


@pytest.mark.parametrize(
    "role,shown",
    [
        ("officer", {"Persatuan Kebangsaan", "Persatuan Petaling"}),
        ("state_officer", {"Persatuan Kebangsaan", "Persatuan Petaling", "Persatuan Gombak"}),
        ("hq", {"Persatuan Kebangsaan", "Persatuan Petaling", "Persatuan Gombak",
                "Persatuan Kota Bharu"}),
        ("no_role_user", {"Persatuan Kebangsaan"}),
    ],
)  # fmt: skip
def test_lists_and_exports_show_national_and_the_offices_own_organisations(
    client, request, national, own, neighbours, far, role, shown
):
    client.force_login(request.getfixturevalue(role))
    listed = {o.name for o in client.get("/homehelp/organisations/").context["page_obj"]}
    assert listed == shown
    export = client.get("/homehelp/organisations/export.csv").getvalue().decode()
    assert {
        name for name in [national.name, own.name, neighbours.name, far.name] if name in export
    } == shown
    assert "National" in export


def test_a_new_organisation_of_an_officer_belongs_to_the_office(client, officer, office):
    client.force_login(officer)
    data = {"name": "Kelab Baru", "registration_number": "PPM-B1", "kind": "other"}
    assert client.post("/homehelp/organisations/new/", data).status_code == 302
    assert Organization.objects.get(name="Kelab Baru").office == office


def test_an_administrator_adds_a_national_organisation_or_an_offices(
    client, administrator, far_office
):
    client.force_login(administrator)
    data = {"name": "Kebangsaan Baru", "registration_number": "PPM-B2", "kind": "other"}
    assert client.post("/homehelp/organisations/new/", data).status_code == 302
    assert Organization.objects.get(name="Kebangsaan Baru").is_national
    data = {"name": "Kelab KB", "registration_number": "PPM-B3", "kind": "other",
            "office": far_office.pk}  # fmt: skip
    assert client.post("/homehelp/organisations/new/", data).status_code == 302
    assert Organization.objects.get(name="Kelab KB").office == far_office


def volunteer_data(organization, **changes):
    return {
        "mykad": make_mykad(901, born=date(1980, 1, 1)),
        "name": "Sukarelawan Baru",
        "organization": organization.pk,
        "trained_on": "2024-01-01",
        "active": "on",
        "max_cases": 5,
        **changes,
    }


def test_an_office_picks_any_national_organisation_or_its_own_for_volunteers(
    client, officer, national, own, neighbours
):
    client.force_login(officer)
    form = client.get("/homehelp/volunteers/new/").context["form"]
    assert set(form.fields["organization"].queryset) == {national, own}
    for organization in [national, own]:
        data = volunteer_data(organization, mykad=make_mykad(organization.pk + 910))
        assert client.post("/homehelp/volunteers/new/", data).status_code == 302
    response = client.post("/homehelp/volunteers/new/", volunteer_data(neighbours))
    assert "Nothing you may choose matches" in str(response.context["form"].errors["organization"])
    assert set(Volunteer.objects.values_list("organization__name", flat=True)) == {
        national.name,
        own.name,
    }


def test_a_volunteer_cannot_serve_another_offices_organisation(administrator, neighbours, office):
    volunteer = VolunteerFactory.build(organization=neighbours, office=office)
    with pytest.raises(Exception, match="belongs to another office"):
        volunteer.clean()
    VolunteerFactory.build(organization=neighbours, office=neighbours.office).clean()


def test_an_import_into_an_offices_organisation_refuses_rows_of_another_office(
    client, administrator, neighbours, far_office
):
    client.force_login(administrator)
    rows = [
        ["MyKad", "Name", "Office", "Trained on"],
        [make_mykad(920, born=date(1980, 1, 1)), "Ali", far_office.code, "2024-01-01"],
        [make_mykad(921, born=date(1980, 1, 1)), "Abu", neighbours.office.code, "2024-01-01"],
    ]
    preview = upload(
        client, f"/homehelp/organisations/{neighbours.pk}/volunteers/import/", csv_file(rows)
    )
    assert [(row, message) for row, _column, message in errors_of(preview)] == [
        (2, "Persatuan Gombak belongs to another office.")
    ]
