"""Case.last_visited_on, the day of the case's latest visit, stays right whichever
way a visit is added, changed or deleted: the lists and the worklist read it
instead of the visits."""

from datetime import date, timedelta

import pytest

from homehelp.models import Case, Service, Visit
from tests.factories import CaseFactory, VisitFactory, VolunteerFactory

TODAY = date.today()


@pytest.fixture
def case(office):
    volunteer = VolunteerFactory(office=office, trained_on=date(2020, 1, 1))
    return CaseFactory(office=office, volunteer=volunteer, opened_on=TODAY - timedelta(days=90))


def visit_data(case, day):
    return {
        "volunteer": case.volunteer_id,
        "visited_on": day.isoformat(),
        "minutes": 30,
        "services": [Service.objects.first().pk],
    }


def test_a_case_never_visited_has_no_last_visit(case):
    assert case.last_visited_on is None


def test_recording_a_visit_on_the_case_page_sets_the_last_visit(client, officer, case):
    client.force_login(officer)
    day = TODAY - timedelta(days=3)
    response = client.post(f"/homehelp/cases/{case.pk}/visits/new/", visit_data(case, day))
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.last_visited_on == day


def test_an_earlier_visit_recorded_later_keeps_the_latest_day(client, officer, case):
    VisitFactory(case=case, volunteer=case.volunteer, visited_on=TODAY - timedelta(days=2))
    client.force_login(officer)
    earlier = TODAY - timedelta(days=20)
    client.post(f"/homehelp/cases/{case.pk}/visits/new/", visit_data(case, earlier))
    case.refresh_from_db()
    assert case.last_visited_on == TODAY - timedelta(days=2)


def test_moving_the_latest_visit_earlier_moves_the_last_visit(client, officer, case):
    VisitFactory(case=case, volunteer=case.volunteer, visited_on=TODAY - timedelta(days=10))
    latest = VisitFactory(case=case, volunteer=case.volunteer, visited_on=TODAY - timedelta(days=1))
    client.force_login(officer)
    day = TODAY - timedelta(days=30)
    response = client.post(f"/homehelp/visits/{latest.pk}/edit/", visit_data(case, day))
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.last_visited_on == TODAY - timedelta(days=10)


def test_the_history_of_a_case_does_not_list_its_visits_days(client, officer, case):
    VisitFactory(case=case, volunteer=case.volunteer, visited_on=TODAY - timedelta(days=1))
    assert case.history.count() == 1


def test_deleting_visits_in_the_admin_updates_the_last_visit(client, administrator, case):
    first = VisitFactory(case=case, volunteer=case.volunteer, visited_on=TODAY - timedelta(days=9))
    latest = VisitFactory(case=case, volunteer=case.volunteer, visited_on=TODAY - timedelta(days=1))
    client.force_login(administrator)
    response = client.post(f"/admin/homehelp/visit/{latest.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.last_visited_on == first.visited_on
    client.post(
        "/admin/homehelp/visit/",
        {"action": "delete_selected", "_selected_action": [first.pk], "post": "yes"},
    )
    assert not Visit.objects.filter(case=case).exists()
    case.refresh_from_db()
    assert case.last_visited_on is None


def test_changing_a_visits_date_in_the_admin_updates_the_last_visit(client, administrator, case):
    visit = VisitFactory(case=case, volunteer=case.volunteer, visited_on=TODAY - timedelta(days=9))
    client.force_login(administrator)
    day = TODAY - timedelta(days=4)
    response = client.post(
        f"/admin/homehelp/visit/{visit.pk}/change/",
        {
            "case": case.pk,
            "volunteer": case.volunteer_id,
            "visited_on": day.isoformat(),
            "minutes": 30,
            "services": [Service.objects.first().pk],
            "notes": "",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    case.refresh_from_db()
    assert case.last_visited_on == day


def test_refreshing_in_bulk_matches_the_visits(office, case):
    other = CaseFactory(office=office, volunteer=case.volunteer, opened_on=case.opened_on)
    Visit.objects.bulk_create(
        [
            Visit(
                case=case,
                volunteer=case.volunteer,
                visited_on=TODAY - timedelta(days=5),
                minutes=30,
            ),
            Visit(
                case=case,
                volunteer=case.volunteer,
                visited_on=TODAY - timedelta(days=8),
                minutes=30,
            ),
        ]
    )
    Case.objects.refresh_last_visited_on()
    case.refresh_from_db()
    other.refresh_from_db()
    assert case.last_visited_on == TODAY - timedelta(days=5)
    assert other.last_visited_on is None


def test_a_visit_saved_moved_or_deleted_keeps_both_cases_right(office, case):
    """Whatever path writes one visit (a form, the admin, a phone's held visit)
    goes through Visit.save() and delete(), which keep the case's day right."""
    other = CaseFactory(office=office, volunteer=case.volunteer, opened_on=case.opened_on)
    early = VisitFactory(case=case, volunteer=case.volunteer, visited_on=TODAY - timedelta(days=9))
    late = VisitFactory(case=case, volunteer=case.volunteer, visited_on=TODAY - timedelta(days=2))
    case.refresh_from_db()
    assert case.last_visited_on == TODAY - timedelta(days=2)

    late.case = other
    late.save()
    case.refresh_from_db()
    other.refresh_from_db()
    assert case.last_visited_on == TODAY - timedelta(days=9)
    assert other.last_visited_on == TODAY - timedelta(days=2)

    early.delete()
    case.refresh_from_db()
    assert case.last_visited_on is None


def test_the_available_volunteers_are_active_and_trained_by_the_day(office):
    from homehelp.models import Volunteer

    trained = VolunteerFactory(office=office, trained_on=date(2024, 1, 10))
    VolunteerFactory(office=office, trained_on=None)
    VolunteerFactory(office=office, trained_on=date(2020, 1, 1), active=False)
    here = Volunteer.objects.filter(office=office)
    assert list(here.available_on()) == [trained]
    assert list(here.available_on(date(2024, 1, 10))) == [trained]
    assert not here.available_on(date(2024, 1, 9)).exists()
    assert trained.availability_error(date(2024, 1, 9)) is not None
    assert trained.availability_error(date(2024, 1, 10)) is None
