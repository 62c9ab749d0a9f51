"""Bad input gets a clear error beside the field and changes nothing."""

from datetime import date, timedelta

import pytest

from homehelp.models import Case, Service, Visit
from tests.conftest import assert_error_beside
from tests.factories import CaseFactory, PersonFactory, VolunteerFactory, make_mykad
from welfare.models import AccessLog, Constituency, Person


@pytest.fixture
def case(office):
    volunteer = VolunteerFactory(office=office)
    return CaseFactory(office=office, volunteer=volunteer, opened_on=date(2024, 1, 1))


def case_data(office, **changes):
    data = {
        "mykad": make_mykad(77, born=date(1950, 6, 1)),
        "name": "Mak Som",
        "client_type": "senior",
        "constituency": Constituency.objects.filter(state=office.state).first().pk,
        "living_arrangement": "alone",
        "status": "referred",
        "opened_on": "2024-06-01",
        "visit_every_days": 7,
    }
    return {**data, **changes}


def visit_data(case, **changes):
    data = {
        "volunteer": case.volunteer_id,
        "visited_on": "2024-02-01",
        "minutes": 45,
        "services": [Service.objects.get(code="companionship").pk],
    }
    return {**data, **changes}


def test_case_opens_for_a_senior_with_a_new_person(signed_in, office):
    response = signed_in.post("/homehelp/cases/new/", case_data(office))
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.client.name == "Mak Som"
    assert case.client.office == office
    assert case.office == office


def test_client_under_60_cannot_be_a_senior(signed_in, office):
    mykad = make_mykad(78, born=date(1970, 6, 1))
    response = signed_in.post("/homehelp/cases/new/", case_data(office, mykad=mykad))
    assert_error_beside(response, "client_type", "60 or older")
    assert not Case.objects.exists()
    assert not Person.objects.filter(mykad=mykad).exists()


@pytest.mark.parametrize(
    ("days", "message"), [(0, "greater than or equal to 1"), (367, "less than or equal to 366")]
)
def test_a_visit_frequency_outside_1_to_366_days_is_refused_beside_the_field(
    signed_in, office, days, message
):
    response = signed_in.post("/homehelp/cases/new/", case_data(office, visit_every_days=days))
    assert_error_beside(response, "visit_every_days", message)
    assert not Case.objects.exists()


def test_client_turning_60_on_the_opening_day_is_a_senior(signed_in, office):
    mykad = make_mykad(79, born=date(1964, 6, 1))
    response = signed_in.post("/homehelp/cases/new/", case_data(office, mykad=mykad))
    assert response.status_code == 302


def test_client_under_60_may_be_oku_with_card_number(signed_in, office):
    mykad = make_mykad(80, born=date(1990, 6, 1))
    data = case_data(office, mykad=mykad, client_type="oku")
    response = signed_in.post("/homehelp/cases/new/", data)
    assert_error_beside(response, "oku_card_number", "Give the OKU card number")
    response = signed_in.post("/homehelp/cases/new/", {**data, "oku_card_number": "OKU123"})
    assert response.status_code == 302


def test_second_open_case_for_the_same_client_is_refused(signed_in, office, case):
    data = case_data(office, mykad=case.client.mykad)
    response = signed_in.post("/homehelp/cases/new/", data)
    assert_error_beside(response, "mykad", "already has an open case")
    assert Case.objects.count() == 1


def test_constituency_in_another_state_is_refused(signed_in, office, far_office):
    other = Constituency.objects.filter(state=far_office.state).first()
    response = signed_in.post("/homehelp/cases/new/", case_data(office, constituency=other.pk))
    assert_error_beside(response, "constituency", "Choose a constituency in Selangor")
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    "volunteer",
    [{"trained_on": None}, {"active": False}, {"office_code": "PKMD-1001"}],
    ids=["untrained", "inactive", "other office"],
)
def test_case_volunteer_must_be_trained_active_and_of_the_office(signed_in, office, volunteer):
    from welfare.models import Office

    code = volunteer.pop("office_code", office.code)
    unfit = VolunteerFactory(office=Office.objects.get(code=code), **volunteer)
    response = signed_in.post("/homehelp/cases/new/", case_data(office, volunteer=unfit.pk))
    assert_error_beside(response, "volunteer", "Choose a trained, active volunteer")
    assert not Case.objects.exists()


def test_existing_person_is_reused_and_shows_only_name_and_year(signed_in, office, far_office):
    person = PersonFactory(
        office=far_office, name="Wan Aminah", address="Lot 5, Kampung Sireh", phone="0123456789"
    )
    response = signed_in.post("/homehelp/cases/new/", {"mykad": person.mykad, "lookup": "1"})
    assert "Wan Aminah" in response.text and "1950" in response.text
    assert not Case.objects.exists()  # a look-up saves nothing
    looked_up = AccessLog.objects.get()
    assert (looked_up.object_type, looked_up.person) == ("MyKad look-up", person)
    assert "Kampung Sireh" not in response.text and "0123456789" not in response.text
    response = signed_in.post("/homehelp/cases/new/", case_data(office, mykad=person.mykad))
    assert response.status_code == 302
    assert Case.objects.get().client == person
    assert Person.objects.filter(mykad=person.mykad).count() == 1
    person.refresh_from_db()
    assert person.name == "Wan Aminah"  # the other office's record is not overwritten


def test_visit_is_recorded_from_the_case_page(signed_in, case):
    response = signed_in.post(f"/homehelp/cases/{case.pk}/visits/new/", visit_data(case))
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert [s.code for s in visit.services.all()] == ["companionship"]


@pytest.mark.parametrize(
    "changes,field,message",
    [
        ({"visited_on": str(date.today() + timedelta(days=1))}, "visited_on", "future"),
        ({"visited_on": "2023-12-31"}, "visited_on", "The case opened on 01/01/2024"),
        ({"minutes": 0}, "minutes", "greater than or equal to 1"),
        ({"minutes": 100000}, "minutes", "less than or equal to 720"),
        ({"services": []}, "services", "This field is required"),
    ],
    ids=["tomorrow", "before opening", "0 minutes", "100000 minutes", "no service"],
)
def test_bad_visits_are_refused_beside_the_field(signed_in, case, changes, field, message):
    response = signed_in.post(f"/homehelp/cases/{case.pk}/visits/new/", visit_data(case, **changes))
    assert_error_beside(response, field, message, form="visit_form")
    assert not Visit.objects.exists()


@pytest.mark.parametrize(
    "volunteer",
    [{"trained_on": None}, {"active": False}, {"office_code": "PKMD-1001"}],
    ids=["untrained", "inactive", "other office"],
)
def test_visit_volunteer_must_be_trained_active_and_of_the_office(signed_in, case, volunteer):
    from welfare.models import Office

    code = volunteer.pop("office_code", case.office.code)
    unfit = VolunteerFactory(office=Office.objects.get(code=code), **volunteer)
    response = signed_in.post(
        f"/homehelp/cases/{case.pk}/visits/new/", visit_data(case, volunteer=unfit.pk)
    )
    assert_error_beside(
        response, "volunteer", form="visit_form", message="Choose a trained, active volunteer"
    )
    assert not Visit.objects.exists()


def test_visit_after_the_case_closed_is_refused(signed_in, case):
    case.close(on=date(2024, 3, 1), reason=Case.CloseReason.MOVED_AWAY)
    visit = Visit(case=case, volunteer=case.volunteer, visited_on=date(2024, 3, 2), minutes=30)
    with pytest.raises(Exception, match="The case closed on 01/03/2024"):
        visit.full_clean(exclude=["services"])


def test_closing_a_case_without_a_reason_is_refused(signed_in, case):
    response = signed_in.post(f"/homehelp/cases/{case.pk}/close/", {"closed_on": "2024-03-01"})
    assert_error_beside(response, "close_reason", "Give the reason for closing the case")
    case.refresh_from_db()
    assert case.status == Case.Status.ACTIVE and case.closed_on is None


def test_closing_before_opening_is_refused(signed_in, case):
    data = {"closed_on": "2023-12-01", "close_reason": "declined"}
    response = signed_in.post(f"/homehelp/cases/{case.pk}/close/", data)
    assert_error_beside(response, "closed_on", "cannot close before it opened")
    case.refresh_from_db()
    assert case.status == Case.Status.ACTIVE


def test_case_closes_with_date_and_reason(signed_in, case):
    data = {"closed_on": "2024-03-01", "close_reason": "deceased"}
    assert signed_in.post(f"/homehelp/cases/{case.pk}/close/", data).status_code == 302
    case.refresh_from_db()
    assert (case.status, case.closed_on, case.close_reason) == (
        "closed",
        date(2024, 3, 1),
        "deceased",
    )


def test_volunteer_is_added_from_a_new_mykad(signed_in, office, case):
    data = {"mykad": make_mykad(90, born=date(1985, 2, 2)), "name": "Lim Ah Kow",
            "organization": case.volunteer.organization_id, "trained_on": "2024-01-01",
            "active": "on", "max_cases": 5}  # fmt: skip
    assert signed_in.post("/homehelp/volunteers/new/", data).status_code == 302
    volunteer = office.volunteers.get(person__name="Lim Ah Kow")
    assert volunteer.person.office == office
    response = signed_in.post("/homehelp/volunteers/new/", data)
    assert_error_beside(response, "mykad", "already a volunteer of this office")


def test_bad_mykad_is_answered_beside_the_field(signed_in, office):
    response = signed_in.post("/homehelp/cases/new/", case_data(office, mykad="12345"))
    assert_error_beside(response, "mykad", "12 digits")
    assert not Case.objects.exists()


def test_a_mykad_look_up_never_travels_in_the_url(signed_in):
    page = signed_in.get("/homehelp/volunteers/new/").text
    assert '<form method="post" class="row g-2' in page
    assert 'name="lookup"' in page
    # An old bookmark with the number in the URL is not looked up.
    person = PersonFactory(name="Wan Aminah")
    response = signed_in.get("/homehelp/cases/new/", {"mykad": person.mykad})
    assert "Wan Aminah" not in response.text
    assert (
        "Wan Aminah"
        in signed_in.post("/homehelp/cases/new/", {"mykad": person.mykad, "lookup": "1"}).text
    )


def test_a_case_closes_though_its_volunteer_has_stopped(signed_in, case):
    """The volunteer's availability is asked of a case that goes on, not of one
    being closed; the form itself changes nothing until the case closes."""
    case.volunteer.active = False
    case.volunteer.save()
    response = signed_in.post(f"/homehelp/cases/{case.pk}/close/", {"closed_on": "2024-03-01"})
    assert_error_beside(response, "close_reason", "Give the reason for closing the case.")
    case.refresh_from_db()
    assert case.status != "closed"
    data = {"closed_on": "2024-03-01", "close_reason": "moved"}
    assert signed_in.post(f"/homehelp/cases/{case.pk}/close/", data).status_code == 302
    case.refresh_from_db()
    assert (case.status, case.close_reason) == ("closed", "moved")
