"""The volunteer's phone page: my visits this week in order, and the visit form,
whose visits the officer sees marked, corrects, and whose concerns reach the
worklist at once."""

import json
from datetime import date, timedelta

import pytest

from homehelp.models import Service, Visit
from tests.factories import CaseFactory, VisitFactory

TODAY = date.today()


@pytest.fixture
def me(volunteer_user):
    return volunteer_user.volunteer


@pytest.fixture
def on_phone(client, volunteer_user):
    client.force_login(volunteer_user)
    return client


def case_for(me, name, *, last_visit=None, every=7, concern=False, opened=date(2024, 1, 1)):
    case = CaseFactory(office=me.office, volunteer=me, client__name=name, visit_every_days=every, opened_on=opened)  # fmt: skip
    if last_visit is not None:
        VisitFactory(case=case, volunteer=me, visited_on=last_visit, concern=concern, notes="x")
    return case


def visit_data(**extra):
    return {
        "visited_on": TODAY.isoformat(),
        "minutes": 40,
        "services": [Service.objects.get(code="companionship").pk],
        "submission": "token-1",
        **extra,
    }


def test_my_visits_lists_concerns_then_overdue_then_due_then_later(on_phone, me):
    case_for(me, "Later Lim", last_visit=TODAY - timedelta(days=1), every=14)
    case_for(me, "Due Devi", last_visit=TODAY - timedelta(days=4))
    case_for(me, "Late Long", last_visit=TODAY - timedelta(days=30))
    case_for(me, "Late Little", last_visit=TODAY - timedelta(days=9))
    case_for(me, "Worry Wong", last_visit=TODAY - timedelta(days=1), concern=True)
    text = on_phone.get("/homehelp/my/").text
    names = ["Worry Wong", "Late Long", "Late Little", "Due Devi", "Later Lim"]
    positions = [text.index(name) for name in names]
    assert positions == sorted(positions)
    assert "23 days late" in text and "2 days late" in text


def test_the_volunteer_records_a_visit_marked_as_theirs(on_phone, me):
    case = case_for(me, "Mak Esah")
    response = on_phone.post(f"/homehelp/my/cases/{case.pk}/visits/", visit_data(notes="Fine"))
    assert response.status_code == 302 and response.url == "/homehelp/my/"
    visit = Visit.objects.get(case=case)
    assert visit.volunteer == me and visit.recorded_by_volunteer and visit.minutes == 40
    case.refresh_from_db()
    assert case.last_visited_on == TODAY


def test_the_same_visit_sent_twice_is_stored_once(on_phone, me):
    case = case_for(me, "Mak Esah")
    url = f"/homehelp/my/cases/{case.pk}/visits/"
    answers = [
        on_phone.post(url, visit_data(), HTTP_ACCEPT="application/json").json()["result"]
        for _ in range(2)
    ]
    assert answers == ["stored", "duplicate"]
    assert Visit.objects.filter(case=case).count() == 1


@pytest.mark.parametrize(
    "bad, field",
    [
        ({"visited_on": (TODAY + timedelta(days=1)).isoformat()}, "visited_on"),
        ({"visited_on": "2023-12-31"}, "visited_on"),  # before the case opened
        ({"concern": "on", "notes": ""}, "notes"),  # a concern says what it is
        ({"minutes": 0}, "minutes"),
        ({"services": []}, "services"),
    ],
)
def test_bad_visits_are_refused_and_change_nothing(on_phone, me, bad, field):
    case = case_for(me, "Mak Esah")
    url = f"/homehelp/my/cases/{case.pk}/visits/"
    response = on_phone.post(url, visit_data(**bad), HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert field in json.loads(response.content)["errors"]
    response = on_phone.post(url, visit_data(**bad))
    assert response.status_code == 200 and "is-invalid" in response.text
    assert not Visit.objects.filter(case=case).exists()


def test_a_volunteers_concern_is_on_the_officers_worklist_at_once(on_phone, me, client, officer):
    case = case_for(me, "Mak Esah")
    on_phone.post(
        f"/homehelp/my/cases/{case.pk}/visits/",
        visit_data(concern="on", notes="Fell in the kitchen"),
    )
    client.force_login(officer)
    worklist = client.get("/homehelp/").text
    assert "Mak Esah" in worklist and "Fell in the kitchen" in worklist
    assert "by the volunteer" in worklist
    page = client.get(case.get_absolute_url()).text
    assert "by the volunteer" in page


def test_the_officer_corrects_a_volunteers_visit(on_phone, me, client, officer):
    case = case_for(me, "Mak Esah")
    on_phone.post(f"/homehelp/my/cases/{case.pk}/visits/", visit_data())
    visit = Visit.objects.get(case=case)
    client.force_login(officer)
    page = client.get(f"/homehelp/visits/{visit.pk}/edit/")
    assert "recorded this visit on their phone" in page.text
    data = {**visit_data(minutes=90), "volunteer": me.pk}
    response = client.post(f"/homehelp/visits/{visit.pk}/edit/", data)
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.minutes == 90 and visit.recorded_by_volunteer


def test_a_volunteer_cannot_use_the_officers_visit_form(on_phone, me):
    case = case_for(me, "Mak Esah")
    data = {**visit_data(), "volunteer": me.pk}
    assert on_phone.post(f"/homehelp/cases/{case.pk}/visits/new/", data).status_code == 403
    assert not Visit.objects.exists()


def test_the_case_page_shows_what_the_volunteer_needs(on_phone, me):
    case = case_for(me, "Mak Esah", last_visit=TODAY - timedelta(days=2))
    case.needs.set(Service.objects.filter(code="hygiene"))
    text = on_phone.get(f"/homehelp/my/cases/{case.pk}/").text
    assert "Hygiene" in text and "Alone" in text and "7 days" in text
    assert 'name="submission"' in text and 'name="volunteer"' not in text


# --- A visit sent for a case reassigned while the phone was offline -------------


def test_a_visit_for_a_reassigned_case_is_held_for_the_officer(on_phone, me, office):
    from homehelp.models import HeldVisit
    from tests.factories import VolunteerFactory

    case = case_for(me, "Mak Esah")
    case.volunteer = VolunteerFactory(office=office)
    case.save()
    url = f"/homehelp/my/cases/{case.pk}/visits/"
    data = visit_data(concern="on", notes="Roof leaks")
    first = on_phone.post(url, data, HTTP_ACCEPT="application/json")
    assert first.status_code == 202 and first.json()["result"] == "held"
    assert "no longer assigned to you" in first.json()["message"]
    again = on_phone.post(url, data, HTTP_ACCEPT="application/json")
    assert again.json()["result"] == "duplicate"
    held = HeldVisit.objects.get()
    assert held.case == case and held.volunteer == me and held.concern
    assert not Visit.objects.filter(case=case).exists()


def test_a_visit_stored_then_replayed_after_reassignment_stays_one_visit(on_phone, me, office):
    from homehelp.models import HeldVisit
    from tests.factories import VolunteerFactory

    case = case_for(me, "Mak Esah")
    url = f"/homehelp/my/cases/{case.pk}/visits/"
    on_phone.post(url, visit_data(), HTTP_ACCEPT="application/json")
    case.volunteer = VolunteerFactory(office=office)
    case.save()
    answer = on_phone.post(url, visit_data(), HTTP_ACCEPT="application/json").json()
    assert answer["result"] == "duplicate"
    assert Visit.objects.filter(case=case).count() == 1 and not HeldVisit.objects.exists()


def test_a_case_never_assigned_to_the_volunteer_takes_no_visit(on_phone, me, office):
    from homehelp.models import HeldVisit

    case = CaseFactory(office=office, client__name="Not Mine")
    response = on_phone.post(f"/homehelp/my/cases/{case.pk}/visits/", visit_data())
    assert response.status_code == 404
    assert not HeldVisit.objects.exists() and not Visit.objects.exists()


@pytest.fixture
def held(on_phone, me, office):
    from homehelp.models import HeldVisit
    from tests.factories import VolunteerFactory

    case = case_for(me, "Mak Esah")
    case.volunteer = VolunteerFactory(office=office)
    case.save()
    on_phone.post(
        f"/homehelp/my/cases/{case.pk}/visits/", visit_data(concern="on", notes="Roof leaks")
    )
    return HeldVisit.objects.get()


def test_the_officer_confirms_a_held_visit(held, client, officer, me):
    client.force_login(officer)
    assert "Mak Esah" in client.get("/homehelp/").text
    page = client.get(held.get_absolute_url())
    assert page.status_code == 200 and "Roof leaks" in page.text
    data = {**visit_data(concern="on", notes="Roof leaks"), "volunteer": me.pk, "submission": "t2"}
    response = client.post(held.get_absolute_url(), data)
    assert response.status_code == 302
    held.refresh_from_db()
    assert held.decided_by == officer and held.visit.recorded_by_volunteer
    assert held.visit.has_open_concern
    assert client.get(held.get_absolute_url()).status_code == 404  # decided


def test_the_officer_sets_a_held_visit_aside(held, client, officer):
    client.force_login(officer)
    response = client.post(held.get_absolute_url(), {"set_aside": "1"})
    assert response.status_code == 302
    held.refresh_from_db()
    assert held.decided_on and held.visit is None
    assert not Visit.objects.filter(case=held.case).exists()


def test_held_visits_follow_the_case_scope(held, client, neighbour_officer, state_officer):
    client.force_login(neighbour_officer)
    assert client.get(held.get_absolute_url()).status_code == 404
    client.force_login(state_officer)
    assert client.get(held.get_absolute_url()).status_code == 403


@pytest.mark.parametrize("rows", [1, 10])
def test_the_phone_pages_run_a_fixed_number_of_queries(
    on_phone, me, django_assert_max_num_queries, rows
):
    cases = [case_for(me, f"Client {n}", last_visit=TODAY - timedelta(days=n)) for n in range(rows)]
    # session, user, the volunteer, the cases with their clients and
    # concerns, the access log, this week's visits + the request's savepoint
    # (the user's groups are read once per process: welfare.roles)
    with django_assert_max_num_queries(8):
        assert on_phone.get("/homehelp/my/").status_code == 200
    # session, user, the volunteer, the case, the access log, the clients
    # shown contact details (welfare.people), the form's services, needs, visits
    # with their volunteers, their services + the request's savepoint
    with django_assert_max_num_queries(12):
        assert on_phone.get(f"/homehelp/my/cases/{cases[0].pk}/").status_code == 200
