import csv
import io
import random
from collections import defaultdict
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from programs.models import Participation, Project
from tests.factories import ParticipationFactory, PersonFactory, ProjectFactory
from welfare.models import Office, State

AS_OF = date(2012, 10, 31)
URL = "/reports/projects-by-state/"


def read_csv(response):
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.getvalue().decode())))


@pytest.fixture
def random_programme(db, refresh):
    """Projects and participants in offices of three states, with dates on both
    sides of the as-of date, cancelled projects, and people in two projects
    (some in two states)."""
    rng = random.Random(7)
    offices = list(
        Office.objects.filter(code__in=["PKMD-1005", "PKMD-1001", "PKMD-0302", "PKMD-0101"])
    )
    people = [PersonFactory() for _ in range(25)]
    for _ in range(30):
        project = ProjectFactory(
            office=rng.choice(offices),
            project_type=rng.choice(Project.ProjectType.values),
            status=rng.choice(Project.Status.values),
            start_date=AS_OF + timedelta(days=rng.randint(-3, 2)),
        )
        for person in rng.sample(people, rng.randint(0, 6)):
            ParticipationFactory(
                project=project,
                person=person,
                target_group=rng.choice(Participation.TargetGroup.values),
                joined_on=project.start_date + timedelta(days=rng.randint(0, 3)),
            )
    refresh()


def expected_table(as_of, project_type=None):
    """The report's numbers, counted in Python from every row."""
    table = defaultdict(lambda: {"projects": 0, "participants": 0, "persons": set()})
    all_persons = set()
    for project in Project.objects.select_related("office__state"):
        if project.start_date > as_of or project.status == "cancelled":
            continue
        if project_type and project.project_type != project_type:
            continue
        row = table[project.office.state.code]
        row["projects"] += 1
        for participation in project.participations.all():
            if participation.joined_on <= as_of:
                row["participants"] += 1
                row["persons"].add(participation.person_id)
                all_persons.add(participation.person_id)
    return table, all_persons


@pytest.mark.parametrize("project_type", ["", "economic", "skills_training"])
def test_csv_matches_numbers_counted_independently(client, hq, random_programme, project_type):
    client.force_login(hq)
    response = client.get(URL, {"as_of": AS_OF, "format": "csv", "type": project_type})
    rows = read_csv(response)
    table, all_persons = expected_table(AS_OF, project_type)

    assert list(rows[0]) == ["state_code", "state", "projects", "participants", "persons"]
    assert [r["state_code"] for r in rows[:-1]] == list(
        State.objects.order_by("position").values_list("code", flat=True)
    )
    for row in rows[:-1]:
        expected = table.get(row["state_code"], {"projects": 0, "participants": 0, "persons": ()})
        assert int(row["projects"]) == expected["projects"], row
        assert int(row["participants"]) == expected["participants"], row
        assert int(row["persons"]) == len(expected["persons"]), row
    total = rows[-1]
    assert total["state_code"] == "TOTAL"
    assert int(total["projects"]) == sum(r["projects"] for r in table.values())
    assert int(total["participants"]) == sum(r["participants"] for r in table.values())
    assert int(total["persons"]) == len(all_persons)
    if not project_type:  # the random data has people counted in two states
        assert int(total["persons"]) < sum(len(r["persons"]) for r in table.values())


def test_boundaries_of_the_as_of_date(client, hq, office, refresh):
    on_the_day = ProjectFactory(office=office, start_date=AS_OF, status="active")
    ProjectFactory(office=office, start_date=AS_OF + timedelta(days=1), status="active")
    ProjectFactory(office=office, start_date=AS_OF - timedelta(days=9), status="cancelled")
    ParticipationFactory(project=on_the_day, joined_on=AS_OF)
    ParticipationFactory(project=on_the_day, joined_on=AS_OF + timedelta(days=1))
    refresh()
    client.force_login(hq)
    rows = read_csv(client.get(URL, {"as_of": AS_OF, "format": "csv"}))
    selangor = next(r for r in rows if r["state_code"] == "MY-10")
    assert (selangor["projects"], selangor["participants"], selangor["persons"]) == ("1", "1", "1")


def test_excel_has_the_same_cells_as_csv(client, hq, random_programme):
    client.force_login(hq)
    params = {"as_of": AS_OF}
    rows = read_csv(client.get(URL, {**params, "format": "csv"}))
    response = client.get(URL, {**params, "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.getvalue())).active
    cells = [[str(c) for c in row] for row in sheet.iter_rows(values_only=True)]
    assert cells[0] == list(rows[0])
    assert cells[1:] == [list(r.values()) for r in rows]


def test_page_shows_heading_table_chart_and_map(client, hq, random_programme):
    client.force_login(hq)
    response = client.get(URL, {"as_of": AS_OF})
    assert response.status_code == 200
    assert f"Until {AS_OF:%-d %B %Y}" in response.text
    assert response.text.count('role="img"') == 2  # a chart and a map
    assert "DOSM" in response.text
    # The TOTAL row: the nation's projects, participants and distinct persons.
    table, all_persons = expected_table(AS_OF)
    total = response.text.split("<tfoot")[1].split("</tfoot>")[0]
    assert "TOTAL" in total
    cells = [cell.split("</td>")[0] for cell in total.split('<td class="num">')[1:]]
    assert cells == [
        str(sum(row["projects"] for row in table.values())),
        str(sum(row["participants"] for row in table.values())),
        str(len(all_persons)),
    ]
    assert int(cells[1]) > len(all_persons)  # people in two projects: the counts differ


def test_hiding_empty_states(client, hq, office, refresh):
    ProjectFactory(office=office, start_date=AS_OF)
    refresh()
    client.force_login(hq)
    shown = client.get(URL, {"as_of": AS_OF}).text
    hidden = client.get(URL, {"as_of": AS_OF, "hide_empty": "on"}).text
    assert "Perlis" in shown and "Perlis" not in hidden.split("<tbody>")[1].split("</tbody>")[0]


def test_print_layout_has_no_navigation(client, hq):
    client.force_login(hq)
    response = client.get(URL, {"print": "1"})
    assert response.status_code == 200
    assert "navbar" not in response.text
    assert "TOTAL" in response.text


@pytest.mark.parametrize(
    "params",
    [{"as_of": "31/31/2012"}, {"type": "<script>"}, {"format": "pdf"}, {"status": "unknown"}],
)
def test_bad_filters_are_refused_with_400(client, hq, params):
    client.force_login(hq)
    response = client.get(URL, params)
    assert response.status_code == 400
    assert "<script>" not in response.text


@pytest.mark.parametrize("rows", [1, 60])
def test_queries_do_not_grow_with_rows(
    client, hq, office, rows, django_assert_num_queries, refresh
):
    project = ProjectFactory(office=office, start_date=date(2012, 1, 1))
    people = PersonFactory.create_batch(rows)
    Participation.objects.bulk_create(
        Participation(project=project, person=p, target_group="client", joined_on=date(2012, 2, 1))
        for p in people
    )
    refresh()
    client.force_login(hq)
    client.get(URL, {"as_of": AS_OF})  # a session's first request may renew it
    # session, user; the states' months and days, the nation's months and
    # days, the states, the time of the figures
    # + the savepoint each request runs in (ATOMIC_REQUESTS) and its release;
    # + whether the table is published (HQ's box to publish it)
    with django_assert_num_queries(11):
        response = client.get(URL, {"as_of": AS_OF})
    assert response.status_code == 200
    # the same, and the access log of the export: the file says the time of
    # its figures
    with django_assert_num_queries(11):
        rows_read = read_csv(client.get(URL, {"as_of": AS_OF, "format": "csv"}))
    assert rows_read[-1]["participants"] == str(rows)


def test_reports_need_sign_in(client, db):
    response = client.get(URL, {"format": "csv"})
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


@pytest.mark.parametrize("cast", ["officer", "far_officer", "state_officer", "hq", "administrator"])
def test_every_signed_in_role_sees_the_national_table(
    client, request, cast, office, far_office, refresh
):
    ProjectFactory(office=office, start_date=AS_OF)
    ProjectFactory(office=far_office, start_date=AS_OF)
    refresh()
    client.force_login(request.getfixturevalue(cast))
    rows = read_csv(client.get(URL, {"as_of": AS_OF, "format": "csv"}))
    assert rows[-1]["projects"] == "2"


def test_a_target_group_counts_its_own_participants_and_every_project(client, hq, office, refresh):
    """A client in a project of September and in one of October (the month of
    the date), each with a member of the community: the clients' table counts
    both projects, the client's two participations and the client once."""
    regular = PersonFactory()
    for start in (date(2012, 9, 3), date(2012, 10, 10)):
        project = ProjectFactory(office=office, start_date=start, status="active")
        ParticipationFactory(project=project, person=regular, target_group="client",
                             joined_on=start)  # fmt: skip
        ParticipationFactory(project=project, target_group="community", joined_on=start)
    refresh()
    client.force_login(hq)
    rows = read_csv(client.get(URL, {"as_of": AS_OF, "target_group": "client", "format": "csv"}))
    selangor = next(r for r in rows if r["state_code"] == "MY-10")
    assert (selangor["projects"], selangor["participants"], selangor["persons"]) == ("2", "2", "1")
    assert (rows[-1]["projects"], rows[-1]["participants"], rows[-1]["persons"]) == ("2", "2", "1")


def test_a_person_new_to_a_type_or_status_this_month_counts_in_it(client, hq, office, refresh):
    """A person in a social project of September joins an economic one in
    October: the economic table counts them, and the active projects' table
    leaves out a completed project of October."""
    person = PersonFactory()
    for start, project_type in [(date(2012, 9, 3), "social_education"),
                                (date(2012, 10, 3), "economic")]:  # fmt: skip
        project = ProjectFactory(office=office, start_date=start, status="active",
                                 project_type=project_type)  # fmt: skip
        ParticipationFactory(project=project, person=person, joined_on=start)
    ProjectFactory(office=office, start_date=date(2012, 10, 4), status="completed")
    refresh()
    client.force_login(hq)

    def total(**filters):
        rows = read_csv(client.get(URL, {"as_of": AS_OF, "format": "csv", **filters}))
        return rows[-1]["projects"], rows[-1]["participants"], rows[-1]["persons"]

    assert total(type="economic") == ("2", "1", "1")
    assert total(type="economic", status="active") == ("1", "1", "1")
    assert total(status="completed") == ("1", "0", "0")
    assert total() == ("3", "2", "1")
