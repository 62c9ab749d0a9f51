"""Whom the programme serves: homeless clients (a usual location, no fixed
address) beside seniors and OKU; charities registered with JKM beside the PSK."""

from datetime import date

import pytest
from django.db import IntegrityError

from homehelp.models import Case, Organization
from tests.factories import CaseFactory, OrganizationFactory, PersonFactory
from tests.homehelp.test_bad_input import case_data


def test_an_officer_opens_a_case_for_a_homeless_client(signed_in, office):
    data = case_data(office, client_type="homeless", usual_location="Under the Jalan Klang bridge, mornings", mykad="", date_of_birth="1970-01-01")  # fmt: skip
    response = signed_in.post("/homehelp/cases/new/", data)
    assert response.status_code == 302, response.context["form"].errors
    case = Case.objects.get()
    assert case.client_type == "homeless" and "Jalan Klang" in case.usual_location
    assert "Jalan Klang" in signed_in.get(case.get_absolute_url()).text


def test_a_homeless_client_needs_a_usual_location(signed_in, office):
    data = case_data(office, client_type="homeless", usual_location=" ")
    response = signed_in.post("/homehelp/cases/new/", data)
    assert response.status_code == 200
    assert "usually be found" in " ".join(response.context["form"].errors["usual_location"])
    assert not Case.objects.exists()


def test_the_database_refuses_a_homeless_case_without_a_location(office):
    with pytest.raises(IntegrityError):
        CaseFactory(office=office, client_type="homeless", usual_location="")


def test_the_volunteer_sees_the_usual_location_not_an_address(client, volunteer_user, office):
    me = volunteer_user.volunteer
    client_person = PersonFactory(name="Pak Hassan", address="Old address, Klang")
    case = CaseFactory(office=office, volunteer=me, client=client_person, client_type="homeless", usual_location="Pasar Besar, after 6 pm")  # fmt: skip
    client.force_login(volunteer_user)
    for url in ["/homehelp/my/", f"/homehelp/my/cases/{case.pk}/"]:
        text = client.get(url).text
        assert "Pasar Besar, after 6 pm" in text and "Old address" not in text


def test_a_registered_charity_is_kept_with_its_jkm_registration(signed_in):
    data = {"name": "Pertubuhan Amal Harapan", "registration_number": "PPM-001-10-2020", "kind": "charity"}  # fmt: skip
    response = signed_in.post("/homehelp/organisations/new/", data)
    assert response.status_code == 200
    assert "registered with JKM" in " ".join(
        response.context["form"].errors["registered_with_jkm_on"]
    )
    response = signed_in.post("/homehelp/organisations/new/", {**data, "registered_with_jkm_on": "2020-03-01"})  # fmt: skip
    assert response.status_code == 302
    charity = Organization.objects.get(kind="charity")
    assert charity.registered_with_jkm_on == date(2020, 3, 1)
    assert "1 March 2020" in signed_in.get(charity.get_absolute_url()).text


def test_the_database_refuses_a_charity_without_its_registration_date(db):
    with pytest.raises(IntegrityError):
        OrganizationFactory(kind="charity")
