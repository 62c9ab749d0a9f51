"""A MyKad already recorded by another office, typed on every form that takes one:
the person is linked, not duplicated, and the officer sees only what confirms
identity (name, year of birth), never the address, phone, or other offices' records."""

from datetime import date

import pytest

from homehelp.models import Case, Volunteer
from programs.models import Participation
from tests.factories import (
    CaseFactory,
    OrganizationFactory,
    PersonFactory,
    ProjectFactory,
    VolunteerFactory,
    make_mykad,
)
from welfare.models import Constituency, Person

pytestmark = pytest.mark.django_db

# Organisations are read by every office, so the organisation's name is no secret.
SECRETS = ["Lot 77, Kampung Sulit", "019-888 7777", "Projek Kelantan", "15000"]


@pytest.fixture
def elsewhere(far_office):
    """A senior recorded in Kota Bharu, a client there and a volunteer there."""
    person = PersonFactory(
        office=far_office,
        name="Mak Som",
        mykad=make_mykad(4321, born=date(1950, 6, 6), place="03"),
        date_of_birth=date(1950, 6, 6),
        phone="019-888 7777",
        address="Lot 77, Kampung Sulit",
        postcode="15000",
    )
    CaseFactory(office=far_office, client=person, status=Case.Status.CLOSED, closed_on=date(2024, 6, 1), close_reason="moved")  # fmt: skip
    VolunteerFactory(
        office=far_office,
        person=person,
        organization=OrganizationFactory(name="Persatuan Kelantan"),
    )
    ProjectFactory(office=far_office, name="Projek Kelantan")
    return person


def assert_only_identity(text, person, *, mykad_typed_here=True):
    """The officer typed the MyKad, so a page of this office's own record may show
    it; the person page of someone recorded elsewhere shows it masked."""
    assert person.name in text
    secrets = SECRETS if mykad_typed_here else [*SECRETS, person.formatted_mykad]
    for secret in secrets:
        assert secret not in text, secret


def test_programme_enrolment_links_the_person_and_shows_name_and_year(signed_in, office, elsewhere):
    project = ProjectFactory(office=office)
    before = Person.objects.count()
    response = signed_in.post(
        f"/projects/{project.pk}/participants/add/",
        {
            "mykad": elsewhere.formatted_mykad,
            "name": "Someone Else",
            "phone": "012-000 0000",
            "target_group": "community",
            "joined_on": date.today().isoformat(),
        },
        follow=True,
    )
    assert response.redirect_chain, response.context["form"].errors
    assert Person.objects.count() == before
    assert Participation.objects.get(project=project).person == elsewhere
    elsewhere.refresh_from_db()
    assert (elsewhere.name, elsewhere.phone) == ("Mak Som", "019-888 7777")
    text = response.content.decode()
    assert "Mak Som (born 1950) was already recorded" in text
    assert_only_identity(text, elsewhere)


@pytest.mark.parametrize("url", ["/homehelp/volunteers/new/", "/homehelp/cases/new/"])
def test_lookup_on_home_help_forms_shows_name_and_year_only(signed_in, elsewhere, url):
    response = signed_in.post(url, {"mykad": elsewhere.mykad, "lookup": "1"})
    text = response.content.decode()
    assert "This MyKad number is already recorded: <strong>Mak Som</strong>, born 1950" in text
    assert_only_identity(text, elsewhere)
    assert 'name="address"' not in text and 'name="phone"' not in text


def test_volunteer_created_from_another_offices_mykad_links_the_person(
    signed_in, office, elsewhere
):
    before = Person.objects.count()
    response = signed_in.post(
        "/homehelp/volunteers/new/",
        {
            "mykad": elsewhere.mykad,
            "organization": OrganizationFactory().pk,
            "trained_on": "2024-01-01",
            "active": "on",
            "max_cases": 3,
            "address": "Overwritten?",
        },
        follow=True,
    )
    assert Person.objects.count() == before
    volunteer = Volunteer.objects.get(office=office)
    assert volunteer.person == elsewhere
    elsewhere.refresh_from_db()
    assert elsewhere.address == "Lot 77, Kampung Sulit"
    assert_only_identity(response.content.decode(), elsewhere)


def test_case_opened_from_another_offices_mykad_links_the_person(signed_in, office, elsewhere):
    before = Person.objects.count()
    response = signed_in.post(
        "/homehelp/cases/new/",
        {
            "mykad": elsewhere.mykad,
            "client_type": "senior",
            "constituency": Constituency.objects.filter(state=office.state_id).first().pk,
            "living_arrangement": "alone",
            "status": "referred",
            "opened_on": date.today().isoformat(),
            "visit_every_days": 14,
        },
        follow=True,
    )
    assert Person.objects.count() == before
    case = Case.objects.get(office=office)
    assert case.client == elsewhere
    # The case page is this office's record: the client's MyKad shows, not the
    # address, phone or the other office's case and volunteer role.
    text = response.content.decode()
    for secret in SECRETS:
        assert secret not in text


def test_person_page_reached_through_a_past_record_shows_identity_only(
    signed_in, office, elsewhere
):
    CaseFactory(office=office, client=elsewhere, status=Case.Status.CLOSED, closed_on=date(2024, 7, 1), close_reason="moved")  # fmt: skip
    response = signed_in.get(f"/people/{elsewhere.pk}/")
    assert response.status_code == 200
    text = response.content.decode()
    assert_only_identity(text, elsewhere, mykad_typed_here=False)
    assert elsewhere.masked_mykad in text
    assert "1950" in text
    assert response.context["history"] is None  # old addresses are history too


def test_person_page_of_a_person_never_linked_here_is_404(signed_in, elsewhere):
    response = signed_in.get(f"/people/{elsewhere.pk}/")
    assert response.status_code == 404
    assert "Mak Som" not in response.content.decode()
