"""The officer's worklist: the overdue rule at its boundaries, each figure, and
the filtered list each figure links to."""

import re
from datetime import date, timedelta

import pytest
from django.db import connection

from homehelp.models import Case, HeldVisit, Volunteer
from homehelp.views import LimitedCountPaginator
from tests.factories import CaseFactory, VisitFactory, VolunteerFactory

TODAY = date.today()


def days_ago(n):
    return TODAY - timedelta(days=n)


@pytest.fixture
def volunteer(office):
    return VolunteerFactory(office=office, max_cases=10)


def weekly_case(volunteer, opened_days_ago=100, visited_days_ago=None, **fields):
    case = CaseFactory(
        office=volunteer.office,
        volunteer=volunteer,
        opened_on=days_ago(opened_days_ago),
        visit_every_days=7,
        **fields,
    )
    if visited_days_ago is not None:
        VisitFactory(case=case, volunteer=volunteer, visited_on=days_ago(visited_days_ago + 3))
        VisitFactory(case=case, volunteer=volunteer, visited_on=days_ago(visited_days_ago))
    return case


def overdue():
    return {case.pk: case.days_overdue for case in Case.objects.overdue(today=TODAY)}


def test_case_visited_exactly_n_days_ago_is_not_overdue(volunteer):
    weekly_case(volunteer, visited_days_ago=7)
    assert overdue() == {}


def test_case_visited_n_plus_one_days_ago_is_overdue_by_one_day(volunteer):
    case = weekly_case(volunteer, visited_days_ago=8)
    assert overdue() == {case.pk: 1}


def test_never_visited_case_counts_from_the_day_it_opened(volunteer):
    weekly_case(volunteer, opened_days_ago=7)
    late = weekly_case(volunteer, opened_days_ago=8)
    assert overdue() == {late.pk: 1}


def test_only_active_cases_are_overdue(volunteer):
    weekly_case(volunteer, status=Case.Status.SUSPENDED)
    weekly_case(volunteer, status=Case.Status.REFERRED)
    weekly_case(volunteer, status=Case.Status.CLOSED, closed_on=days_ago(1), close_reason="moved")
    assert overdue() == {}


def test_overdue_cases_come_longest_overdue_first(volunteer):
    a = weekly_case(volunteer, visited_days_ago=10)
    b = weekly_case(volunteer, visited_days_ago=40)
    c = weekly_case(volunteer, visited_days_ago=20)
    assert list(overdue()) == [b.pk, c.pk, a.pk]
    assert list(overdue().values()) == [33, 13, 3]


def test_planned_frequency_is_per_case(volunteer):
    monthly = weekly_case(volunteer, visited_days_ago=20)
    monthly.visit_every_days = 30
    monthly.save()
    assert overdue() == {}


def test_volunteers_over_their_caseload(office):
    busy = VolunteerFactory(office=office, max_cases=1)
    weekly_case(busy)
    weekly_case(busy, status=Case.Status.CLOSED, closed_on=days_ago(1), close_reason="moved")
    assert not Volunteer.objects.over_caseload().exists()
    weekly_case(busy, status=Case.Status.SUSPENDED)
    assert list(Volunteer.objects.over_caseload()) == [busy]


def test_volunteers_with_no_visit_in_30_days(office):
    quiet = VolunteerFactory(office=office)
    weekly_case(quiet, visited_days_ago=31)
    busy = VolunteerFactory(office=office)
    weekly_case(busy, visited_days_ago=31)
    weekly_case(busy, visited_days_ago=30)
    new = VolunteerFactory(office=office)
    weekly_case(new, opened_days_ago=10)
    assert list(Volunteer.objects.quiet(today=TODAY)) == [quiet]


def test_district_officer_lands_on_the_worklist(client, officer, state_officer):
    client.force_login(officer)
    response = client.get("/")
    assert response.status_code == 302
    assert response.url == "/homehelp/"
    client.force_login(state_officer)
    assert client.get("/").status_code == 200


def test_worklist_shows_each_figure_and_links_to_the_filtered_list(client, officer, office):
    volunteer = VolunteerFactory(office=office, max_cases=1)
    late = weekly_case(volunteer, visited_days_ago=9)
    late.client.name = "Late Client"
    late.client.save()
    weekly_case(volunteer, visited_days_ago=2)  # on time; makes the volunteer over caseload
    waiting = CaseFactory(office=office, status=Case.Status.REFERRED, client__name="Waiting Client")
    VisitFactory(case=late, volunteer=volunteer, visited_on=days_ago(9), concern=True,
                 notes="Roof leaking")  # fmt: skip
    quiet = VolunteerFactory(office=office, person__name="Quiet Volunteer")
    weekly_case(quiet, visited_days_ago=45)

    client.force_login(officer)
    response = client.get("/homehelp/")
    context = response.context
    assert context["overdue_count"] == 2  # the late case and the quiet volunteer's case
    assert context["concern_count"] == 1
    assert context["waiting_count"] == 1
    assert context["over_caseload_count"] == 1
    assert context["quiet_count"] == 1
    assert "Late Client" in response.text and "Roof leaking" in response.text

    cases = client.get("/homehelp/cases/?due=true&sort=due").context["page_obj"]
    assert [c.days_overdue for c in cases] == [38, 2]
    assert [c.pk for c in client.get("/homehelp/cases/?waiting=true").context["page_obj"]] == [
        waiting.pk
    ]
    assert [c.pk for c in client.get("/homehelp/cases/?concern=true").context["page_obj"]] == [
        late.pk
    ]
    assert [v.pk for v in client.get("/homehelp/volunteers/?load=over").context["page_obj"]] == [
        volunteer.pk
    ]
    assert [v.pk for v in client.get("/homehelp/volunteers/?load=quiet").context["page_obj"]] == [
        quiet.pk
    ]
    assert "Roof leaking" not in client.get("/homehelp/visits/?concern=resolved").text
    visits = client.get("/homehelp/visits/?concern=open").context["page_obj"]
    assert [v.notes for v in visits] == ["Roof leaking"]


def test_resolving_a_concern_takes_it_off_the_worklist(client, officer, volunteer):
    case = weekly_case(volunteer, visited_days_ago=1)
    visit = VisitFactory(case=case, volunteer=volunteer, visited_on=days_ago(1), concern=True)
    client.force_login(officer)
    assert client.get("/homehelp/").context["concern_count"] == 1
    client.post(f"/homehelp/visits/{visit.pk}/resolve/")
    assert client.get("/homehelp/").context["concern_count"] == 0
    visit.refresh_from_db()
    assert (visit.concern_resolved_on, visit.concern_resolved_by) == (TODAY, officer)


def test_visit_list_counts_visits_only_up_to_a_limit(client, hq, volunteer, monkeypatch):
    monkeypatch.setattr(LimitedCountPaginator, "limit", 30)
    case = CaseFactory(office=volunteer.office, volunteer=volunteer, opened_on=date(2024, 1, 1))
    for day in range(31):
        VisitFactory(
            case=case, volunteer=volunteer, visited_on=date(2024, 2, 1) + timedelta(days=day)
        )
    client.force_login(hq)
    response = client.get("/homehelp/visits/")
    assert "Page 1 of more than 1" in response.text
    assert ">Last<" not in response.text
    assert "More than 30 visits match" in response.text
    response = client.get("/homehelp/visits/", {"visited_from": "2024-02-20"})
    assert "Page 1 of 1" not in response.text  # one page: no pager at all
    assert "More than 30 visits match" not in response.text
    assert len(response.context["page_obj"]) == 12


def test_volunteer_filter_is_a_search_box_that_lists_nobody(client, officer, hq, volunteer):
    """The volunteer filter suggests names as they are typed (welfare.forms.SearchInput):
    the page lists no volunteer, so that it stays small at any scope, and HQ gets it too."""
    for user in (officer, hq):
        client.force_login(user)
        for url in ("/homehelp/cases/", "/homehelp/visits/"):
            text = client.get(url).text
            assert '<select name="volunteer"' not in text
            box = re.search(r'<input type="text" name="volunteer"[^>]*>', text)[0]
            assert 'data-suggest="/homehelp/volunteers/suggest/"' in box
            assert 'list="id_volunteer-suggestions"' in box
            assert '<datalist id="id_volunteer-suggestions"></datalist>' in text
            assert volunteer.person.name not in text


def test_cases_overdue_as_long_keep_the_order_they_were_recorded_in(volunteer):
    """A page of the overdue list is the same page whenever it is read: ties in
    the days overdue go by the case's number, not by where the row lies."""
    cases = [weekly_case(volunteer, visited_days_ago=10) for _ in range(3)]
    # Suspended and active again: its row now lies after the others'.
    Case.objects.filter(pk=cases[0].pk).update(status=Case.Status.SUSPENDED)
    Case.objects.filter(pk=cases[0].pk).update(status=Case.Status.ACTIVE)
    assert list(overdue()) == [case.pk for case in cases]
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:  # read as a large table is: the rows, then a sort
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
    assert list(overdue()) == [case.pk for case in cases]


def test_waiting_for_a_volunteer_are_the_open_cases_without_one(office, volunteer):
    referred = CaseFactory(office=office, status=Case.Status.REFERRED)
    active = CaseFactory(office=office, status=Case.Status.ACTIVE)
    CaseFactory(office=office, status=Case.Status.SUSPENDED)
    CaseFactory(office=office, status=Case.Status.CLOSED, closed_on=TODAY, close_reason="moved")
    weekly_case(volunteer)  # assigned
    assert set(Case.objects.waiting_for_volunteer()) == {referred, active}


def worklist_figures(response):
    """{figure's id: the number shown on its card}."""
    return {
        name: int(count)
        for name, count in re.findall(
            r'id="([a-z-]+-count)"><span class="fs-3 fw-semibold">(\d+)</span>', response.text
        )
    }


@pytest.mark.parametrize(("role", "offices"), [("officer", 1), ("state_officer", 2)])
def test_the_worklist_counts_only_the_offices_the_user_reads(
    client, request, office, neighbour_office, far_office, role, offices
):
    """Each office gets one of everything the cards count (a case overdue and
    waiting, a volunteer over their caseload and quiet, an open concern) and a
    visit held from a phone for the office to decide."""
    for each in (office, neighbour_office, far_office):
        busy = VolunteerFactory(office=each, max_cases=1)
        CaseFactory(office=each, volunteer=busy, opened_on=days_ago(100), visit_every_days=7)
        CaseFactory(office=each, volunteer=busy, status=Case.Status.REFERRED)
        CaseFactory(office=each, volunteer=None, status=Case.Status.REFERRED)
        visited = CaseFactory(office=each, volunteer=VolunteerFactory(office=each))
        VisitFactory(case=visited, volunteer=visited.volunteer, visited_on=TODAY, concern=True)
        HeldVisit.objects.create(
            case=visited, volunteer=visited.volunteer, visited_on=TODAY, minutes=30
        )
    client.force_login(request.getfixturevalue(role))
    response = client.get("/homehelp/")
    assert response.text.count("/homehelp/visits/held/") == offices
    figures = worklist_figures(response)
    assert figures == {
        "overdue-count": offices,
        "concern-count": offices,
        "waiting-count": offices,
        "over-caseload-count": offices,
        "quiet-count": offices,
    }
