"""The national tables' drill-down: offices of a state, districts of an office,
home help by office and by organisation, coverage by constituency. Their files
keep the contracts programs rely on; which offices a user reads is decided by
User.office_scope, as for the records."""

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from programs.models import Participation
from reports import figures
from tests.factories import (
    CaseFactory,
    OrganizationFactory,
    ParticipationFactory,
    PersonFactory,
    ProjectFactory,
    VisitFactory,
    VolunteerFactory,
)
from welfare.models import District, Office

AS_OF = date(2012, 10, 31)
BY_OFFICE = "/reports/projects-by-office/"
HOME_HELP_BY_OFFICE = "/reports/home-help-by-office/"
BY_ORGANISATION = "/reports/home-help-by-organisation/"


def read_csv(response):
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.getvalue().decode())))


@pytest.fixture
def programme(office, neighbour_office, far_office, refresh):
    """A person in projects of two Selangor offices and of Kelantan."""
    wanderer = PersonFactory()
    for place, joined in [
        (office, AS_OF),
        (neighbour_office, AS_OF),
        (far_office, date(2012, 1, 1)),
    ]:
        project = ProjectFactory(office=place, start_date=date(2012, 1, 1), status="active")
        ParticipationFactory(project=project, person=wanderer, joined_on=joined)
        ParticipationFactory(project=project, joined_on=date(2012, 3, 1))
    # Not counted: cancelled, or joined after the date.
    ParticipationFactory(project__office=office, project__status="cancelled",
                         project__start_date=date(2012, 1, 1), joined_on=date(2012, 2, 1))  # fmt: skip
    ParticipationFactory(project__office=office, project__start_date=date(2012, 1, 1),
                         joined_on=date(2012, 11, 1))  # fmt: skip
    refresh()
    return wanderer


def test_offices_of_a_state_with_a_total_that_counts_a_person_once(client, hq, programme):
    client.force_login(hq)
    rows = read_csv(client.get(BY_OFFICE, {"as_of": AS_OF, "state": "MY-10", "format": "csv"}))

    assert list(rows[0]) == ["office_code", "office_name", "projects", "participants", "persons"]
    assert [r["office_code"] for r in rows[:-1]] == list(
        Office.objects.filter(state__code="MY-10").order_by("name").values_list("code", flat=True)
    )
    by_code = {r["office_code"]: r for r in rows}
    # Petaling: 2 projects (one not yet joined by its last participant), Gombak 1.
    assert (by_code["PKMD-1005"]["projects"], by_code["PKMD-1005"]["participants"]) == ("2", "2")
    assert (by_code["PKMD-1001"]["projects"], by_code["PKMD-1001"]["participants"]) == ("1", "2")
    assert rows[-1] == {
        "office_code": "TOTAL",
        "office_name": "TOTAL",
        "projects": "3",
        "participants": "4",
        "persons": "3",  # the wanderer is in both offices
    }


def test_every_office_the_user_may_read_when_no_state_is_given(
    client, hq, state_officer, officer, programme
):
    expected = {hq: (Office.objects.count(), "4"), state_officer: (
        Office.objects.filter(state__code="MY-10").count(), "3"), officer: (1, "2")}  # fmt: skip
    for user, (offices, persons) in expected.items():
        client.force_login(user)
        rows = read_csv(client.get(BY_OFFICE, {"as_of": AS_OF, "format": "csv"}))
        assert len(rows) - 1 == offices
        assert rows[-1]["persons"] == persons, user


def test_a_state_officer_reads_no_office_of_another_state(client, far_state_officer, programme):
    client.force_login(far_state_officer)
    rows = read_csv(client.get(BY_OFFICE, {"as_of": AS_OF, "state": "MY-10", "format": "csv"}))
    assert rows == [{"office_code": "TOTAL", "office_name": "TOTAL", "projects": "0",
                     "participants": "0", "persons": "0"}]  # fmt: skip


def test_the_national_table_links_each_state_to_its_offices(client, hq, programme):
    client.force_login(hq)
    page = client.get("/reports/projects-by-state/", {"as_of": AS_OF, "type": "economic"}).text
    assert "/reports/projects-by-office/?state=MY-03&amp;as_of=2012-10-31&amp;type=economic" in page
    offices = client.get(BY_OFFICE, {"as_of": AS_OF, "state": "MY-03"})
    assert offices.status_code == 200
    assert "PKMD Kota Bharu" in offices.text
    assert "/reports/projects-by-district/?office=PKMD-0302" in offices.text
    assert "/reports/monthly/?office=PKMD-0302" in offices.text


def test_districts_of_an_office_and_projects_given_none(client, officer, office, refresh):
    district = office.districts.get()
    ProjectFactory(office=office, district=district, start_date=AS_OF)
    project = ProjectFactory(office=office, start_date=AS_OF)
    ParticipationFactory(project=project, joined_on=AS_OF)
    refresh()
    client.force_login(officer)
    url = "/reports/projects-by-district/"
    rows = read_csv(client.get(url, {"office": office.code, "as_of": AS_OF, "format": "csv"}))
    assert list(rows[0]) == ["district", "projects", "participants", "persons"]
    assert [(r["district"], r["projects"], r["participants"]) for r in rows] == [
        (district.name, "1", "0"),
        ("No district given", "1", "1"),
        ("TOTAL", "2", "1"),
    ]


def test_districts_of_an_office_out_of_scope_are_not_found(client, officer, far_office):
    client.force_login(officer)
    url = "/reports/projects-by-district/"
    assert client.get(url, {"office": far_office.code}).status_code == 404
    assert client.get(url, {"office": "nothing"}).status_code == 404


@pytest.fixture
def home_help(office, neighbour_office, far_office, refresh):
    """A client served by two Selangor offices in 2024, by volunteers of two
    organisations; one visit in Kelantan; one in 2023."""
    psk, charity = OrganizationFactory(name="PSK Selangor"), OrganizationFactory(name="Amal")
    client = PersonFactory(date_of_birth=date(1940, 1, 1))
    here = CaseFactory(client=client, office=office, status="closed", close_reason="moved",
                       closed_on=date(2024, 5, 1))  # fmt: skip
    there = CaseFactory(client=client, office=neighbour_office, opened_on=date(2024, 5, 2))
    VisitFactory(case=here, volunteer=VolunteerFactory(office=office, organization=psk),
                 visited_on=date(2024, 2, 1), minutes=30)  # fmt: skip
    VisitFactory(case=there, volunteer=VolunteerFactory(office=neighbour_office,
                 organization=charity), visited_on=date(2024, 6, 1), minutes=45)  # fmt: skip
    VisitFactory(case__office=far_office, volunteer__organization=psk,
                 visited_on=date(2024, 7, 1), minutes=60)  # fmt: skip
    VisitFactory(case=here, volunteer=here.visits.get().volunteer, visited_on=date(2023, 3, 1))
    refresh()


def test_home_help_by_office_keeps_its_columns_and_counts_people_once(client, hq, home_help):
    client.force_login(hq)
    response = client.get(HOME_HELP_BY_OFFICE, {"year": 2024, "state": "MY-10", "format": "csv"})
    rows = read_csv(response)
    assert list(rows[0]) == [
        "office_code", "office_name", "clients_served", "volunteers", "visits", "minutes",
    ]  # fmt: skip
    by_code = {r["office_code"]: r for r in rows}
    assert "TOTAL" not in by_code
    assert len(rows) == Office.objects.filter(state__code="MY-10").count()
    assert by_code["PKMD-1005"] == {"office_code": "PKMD-1005", "office_name": "PKMD Petaling",
        "clients_served": "1", "volunteers": "1", "visits": "1", "minutes": "30"}  # fmt: skip
    assert by_code["PKMD-1001"]["minutes"] == "45"
    page = client.get(HOME_HELP_BY_OFFICE, {"year": 2024, "state": "MY-10"}).text
    total = page.split("<tfoot")[1]
    # One client and two volunteers in the state: the client counts once.
    assert [cell.split("<")[0] for cell in total.split('class="num">')[1:5]] == [
        "1",
        "2",
        "2",
        "75",
    ]


@pytest.mark.parametrize("language", ["en", "ms"])
def test_an_office_row_groups_thousands_escapes_names_and_links_its_reports(
    client, hq, office, refresh, language
):
    office.name = "PKMD <Petaling> & Co"
    office.save()
    first = VisitFactory(case__office=office, visited_on=date(2024, 3, 1), minutes=700)
    VisitFactory(case=first.case, volunteer=first.volunteer, visited_on=date(2024, 3, 8),
                 minutes=534)  # fmt: skip
    refresh()
    client.force_login(hq)
    client.cookies["django_language"] = language
    page = client.get(HOME_HELP_BY_OFFICE, {"year": 2024, "state": "MY-10"}).text
    row = next(r for r in page.split("<tr>") if "PKMD-1005" in r).split("</tr>")[0]

    assert row == (
        '<td class="text-nowrap">PKMD-1005</td><td>PKMD &lt;Petaling&gt; &amp; Co</td>'
        '<td class="num">1</td><td class="num">1</td><td class="num">2</td>'
        '<td class="num">1,234</td>'
        '<td class="d-print-none small text-nowrap">'
        f'<a href="/reports/monthly/?office=PKMD-1005">{"Bulan demi bulan" if language == "ms" else "Month by month"}</a></td>'
    )
    total = page.split("<tfoot")[1]
    assert '<td class="num">1,234</td>' in total
    projects = client.get(BY_OFFICE, {"as_of": AS_OF, "state": "MY-10"}).text
    assert (
        '<a href="/reports/projects-by-district/?office=PKMD-1005&amp;as_of=2012-10-31">'
        in projects
    )


def test_home_help_by_office_is_scoped_like_the_records(client, officer, home_help):
    client.force_login(officer)
    rows = read_csv(client.get(HOME_HELP_BY_OFFICE, {"year": 2024, "format": "csv"}))
    assert [r["office_code"] for r in rows] == ["PKMD-1005"]


def test_home_help_by_organisation(client, officer, home_help):
    client.force_login(officer)
    rows = read_csv(client.get(BY_ORGANISATION, {"year": 2024, "format": "csv"}))
    assert list(rows[0]) == ["organisation", "volunteers", "clients_served", "visits", "minutes"]
    by_name = {r["organisation"]: r for r in rows}
    assert by_name["PSK Selangor"] == {"organisation": "PSK Selangor", "volunteers": "2",
        "clients_served": "2", "visits": "2", "minutes": "90"}  # fmt: skip
    assert by_name["Amal"]["visits"] == "1"


def test_coverage_by_constituency(client, hq, home_help):
    client.force_login(hq)
    rows = read_csv(client.get("/reports/constituencies/", {"year": 2024, "state": "MY-10",
                                                            "format": "csv"}))  # fmt: skip
    assert list(rows[0]) == [
        "constituency_code", "constituency", "state_code", "active_cases",
        "clients_served", "volunteers", "visits",
    ]  # fmt: skip
    assert {r["state_code"] for r in rows} == {"MY-10"}
    assert sum(int(r["visits"]) for r in rows) == 2
    assert sum(int(r["active_cases"]) for r in rows) == 1
    page = client.get("/reports/constituencies/", {"year": 2024}).text
    assert "P.001" in page and "TOTAL" in page


def test_files_say_their_filters(client, hq, programme):
    client.force_login(hq)
    params = {"as_of": AS_OF, "state": "MY-03", "type": "economic"}
    response = client.get(BY_OFFICE, {**params, "format": "xlsx"})
    assert response["Content-Disposition"] == (
        'attachment; filename="projects-by-office-2012-10-31-economic-MY-03.xlsx"'
    )
    workbook = load_workbook(io.BytesIO(response.getvalue()))
    rows = read_csv(client.get(BY_OFFICE, {**params, "format": "csv"}))
    cells = [[str(c) for c in row] for row in workbook.worksheets[0].iter_rows(values_only=True)]
    assert cells[1:] == [list(r.values()) for r in rows]
    notes = [row[0] for row in workbook["Notes"].iter_rows(values_only=True)]
    assert "State: Kelantan" in notes
    assert "Project type: Economic project" in notes
    assert "As of: 31 October 2012" in notes
    assert any(line.startswith("Figures as at") for line in notes)
    page = client.get(BY_OFFICE, {**params, "print": "1"}).text
    assert "Kelantan" in page and "Economic project" in page and "navbar" not in page


@pytest.mark.parametrize(
    "url,params",
    [
        (BY_OFFICE, {"as_of": "2012-13-01"}),
        (BY_OFFICE, {"state": "MY-99"}),
        (HOME_HELP_BY_OFFICE, {"year": "x"}),
        (BY_ORGANISATION, {"client_type": "x"}),
        ("/reports/constituencies/", {"format": "pdf"}),
    ],
)
def test_bad_filters_are_refused_with_400(client, hq, url, params):
    client.force_login(hq)
    assert client.get(url, params).status_code == 400


@pytest.mark.parametrize("url", [BY_OFFICE, HOME_HELP_BY_OFFICE, BY_ORGANISATION])
def test_drill_down_needs_sign_in(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


@pytest.mark.parametrize("rows", [1, 60])
def test_drill_down_queries_do_not_grow_with_rows(
    client, hq, office, rows, django_assert_num_queries, refresh
):
    project = ProjectFactory(office=office, start_date=date(2012, 1, 1))
    Participation.objects.bulk_create(
        Participation(project=project, person=p, target_group="client", joined_on=date(2012, 2, 1))
        for p in PersonFactory.create_batch(rows)
    )
    VisitFactory.create_batch(min(rows, 30), case__office=office, visited_on=date(2024, 3, 1))
    refresh()
    client.force_login(hq)
    client.get(BY_OFFICE)  # a session's first request may renew it
    # session, user, the savepoint and its release (4); the state asked
    # for, the offices the user reads, the offices' months and days, every office
    # (which level counts the TOTAL), the state's months and days, the time of
    # the figures (8); the states of the filter's drop-down (1); whether the
    # table is published (HQ's box to publish it: 1)
    params = {"as_of": AS_OF, "state": "MY-10"}
    with django_assert_num_queries(14):
        assert client.get(BY_OFFICE, params).status_code == 200
    # the same but the drop-down, and the export in the access log
    with django_assert_num_queries(13):
        assert read_csv(client.get(BY_OFFICE, {**params, "format": "csv"}))[-1][
            "participants"
        ] == str(rows)
    # the state, the offices, their figures, every office, the state's figures,
    # the time, the drop-down's states, whether the table is published (8)
    with django_assert_num_queries(12):
        assert client.get(HOME_HELP_BY_OFFICE, {"year": 2024, "state": "MY-10"}).status_code == 200
    # the organisations' figures, the nation's, the organisations, the time (4)
    with django_assert_num_queries(8):
        assert client.get(BY_ORGANISATION, {"year": 2024}).status_code == 200
    # the state, the constituencies' figures, their active cases, the state's
    # figures, the constituencies, the time, the drop-down's states (7)
    with django_assert_num_queries(11):
        assert (
            client.get("/reports/constituencies/", {"year": 2024, "state": "MY-10"}).status_code
            == 200
        )


def test_districts_count_the_offices_projects_of_the_type_to_the_date_and_people_once(
    client, officer, office, neighbour_office, refresh
):
    """Two economic projects of the district with the same person, a social one,
    one starting after the date; a project of the office next door."""
    district = office.districts.get()
    person = PersonFactory()
    for _ in range(2):
        project = ProjectFactory(office=office, district=district, project_type="economic",
                                 start_date=date(2012, 10, 1))  # fmt: skip
        ParticipationFactory(project=project, person=person, joined_on=date(2012, 10, 2))
    ProjectFactory(office=office, district=district, project_type="social_education",
                   start_date=date(2012, 9, 1))  # fmt: skip
    ProjectFactory(office=office, district=district, start_date=date(2012, 11, 1))
    ProjectFactory(office=neighbour_office, start_date=date(2012, 9, 1))
    refresh()
    client.force_login(officer)
    url = "/reports/projects-by-district/"

    def table(**filters):
        params = {"office": office.code, "as_of": AS_OF, "format": "csv", **filters}
        return [tuple(r.values()) for r in read_csv(client.get(url, params))]

    assert table() == [(district.name, "3", "2", "1"), ("TOTAL", "3", "2", "1")]
    assert table(type="economic") == [(district.name, "2", "2", "1"), ("TOTAL", "2", "2", "1")]


def test_an_office_of_two_districts_lists_each_then_the_projects_given_none(
    client, officer, office, refresh
):
    """Petaling given a second district: its districts in order, each with its
    own project, then the row of the project given no district."""
    first = office.districts.get()
    second = District.objects.create(state=office.state, code="Z999", name="Zzz Second")
    office.districts.add(second)
    for district, participants in [(first, 1), (second, 2), (None, 3)]:
        project = ProjectFactory(office=office, district=district, start_date=date(2012, 10, 1))
        ParticipationFactory.create_batch(
            participants, project=project, joined_on=date(2012, 10, 2)
        )
    refresh()
    client.force_login(officer)
    params = {"office": office.code, "as_of": AS_OF, "format": "csv"}
    rows = read_csv(client.get("/reports/projects-by-district/", params))
    assert [tuple(r.values()) for r in rows] == [
        (first.name, "1", "1", "1"),
        ("Zzz Second", "1", "2", "2"),
        ("No district given", "1", "3", "3"),
        ("TOTAL", "3", "6", "6"),
    ]


def test_projects_of_a_type_by_office_count_that_type_in_the_rows_and_the_total(
    client, hq, officer, office, far_office, refresh
):
    """Petaling: a social project of October (the month of the date) and an
    economic one of September; Kota Bharu (another state): two social projects
    of October."""
    project = ProjectFactory(office=office, project_type="social_education",
                             start_date=date(2012, 10, 1))  # fmt: skip
    ParticipationFactory(project=project, joined_on=date(2012, 10, 1))
    ProjectFactory(office=office, project_type="economic", start_date=date(2012, 9, 1))
    ProjectFactory.create_batch(2, office=far_office, project_type="social_education",
                                start_date=date(2012, 10, 2))  # fmt: skip
    refresh()
    params = {"as_of": AS_OF, "type": "social_education", "format": "csv"}
    for user, place in [(hq, {"state": "MY-10"}), (officer, {})]:
        client.force_login(user)
        rows = read_csv(client.get(BY_OFFICE, {**params, **place}))
        by_code = {r["office_code"]: r for r in rows}
        assert (by_code["PKMD-1005"]["projects"], by_code["PKMD-1005"]["participants"]) == (
            "1", "1",
        )  # fmt: skip
        assert (by_code["TOTAL"]["projects"], by_code["TOTAL"]["persons"]) == ("1", "1"), user


def test_an_office_or_a_state_with_nothing_yet_totals_zeros(client, hq, officer, programme):
    before = {"as_of": date(2011, 1, 1), "format": "csv"}
    zeros = {"projects": "0", "participants": "0", "persons": "0"}
    for user, place in [(hq, {"state": "MY-10"}), (officer, {})]:
        client.force_login(user)
        rows = read_csv(client.get(BY_OFFICE, {**before, **place}))
        assert rows[-1] == {"office_code": "TOTAL", "office_name": "TOTAL", **zeros}, user


def home_help_total(page):
    """The TOTAL row of a table of home help: clients, volunteers, visits, minutes."""
    total = page.split("<tfoot")[1].split("</tfoot>")[0]
    return [cell.split("<")[0] for cell in total.split('class="num">')[1:5]]


def test_home_help_of_one_office_totals_that_office(client, officer, home_help):
    client.force_login(officer)
    page = client.get(HOME_HELP_BY_OFFICE, {"year": 2024}).text
    assert home_help_total(page) == ["1", "1", "1", "30"]
    assert home_help_total(client.get(HOME_HELP_BY_OFFICE, {"year": 2022}).text) == ["0"] * 4


def test_home_help_by_office_with_nothing_to_count_totals_zeros(
    client, hq, far_state_officer, home_help
):
    client.force_login(hq)
    page = client.get(HOME_HELP_BY_OFFICE, {"year": 2022, "state": "MY-10"}).text
    assert home_help_total(page) == ["0"] * 4
    # A state officer asking for another state reads no office of it.
    client.force_login(far_state_officer)
    page = client.get(HOME_HELP_BY_OFFICE, {"year": 2024, "state": "MY-10"}).text
    assert home_help_total(page) == ["0"] * 4


def test_home_help_by_office_of_a_client_type_counts_its_visits_only(
    client, hq, officer, office, refresh
):
    VisitFactory(case__office=office, visited_on=date(2024, 3, 1), minutes=30)
    oku = CaseFactory(office=office, client_type="oku", oku_card_number="OKU1")
    VisitFactory(case=oku, visited_on=date(2024, 3, 2), minutes=45)
    refresh()
    params = {"year": 2024, "client_type": "oku"}
    for user, place in [(hq, {"state": "MY-10"}), (officer, {})]:
        client.force_login(user)
        rows = read_csv(client.get(HOME_HELP_BY_OFFICE, {**params, **place, "format": "csv"}))
        row = next(r for r in rows if r["office_code"] == "PKMD-1005")
        assert (row["visits"], row["minutes"]) == ("1", "45")
        page = client.get(HOME_HELP_BY_OFFICE, {**params, **place}).text
        assert home_help_total(page) == ["1", "1", "1", "45"], user


def test_offices_of_one_state_but_not_all_of_it_have_no_summary(office, neighbour_office):
    """Users read the country, a state or an office: a summary counts each of those."""
    with pytest.raises(ValueError, match="^Offices of more than one state but not all: no summary"):
        figures.projects_by_office(as_of=AS_OF, offices=[office, neighbour_office])


def test_home_help_by_organisation_of_a_client_type_in_its_rows_and_total(
    client, hq, office, refresh
):
    psk = OrganizationFactory(name="PSK Selangor")
    volunteer = VolunteerFactory(office=office, organization=psk)
    VisitFactory(case__office=office, volunteer=volunteer, visited_on=date(2024, 3, 1),
                 minutes=30)  # fmt: skip
    oku = CaseFactory(office=office, client_type="oku", oku_card_number="OKU1")
    VisitFactory(case=oku, volunteer=volunteer, visited_on=date(2024, 3, 2), minutes=45)
    VisitFactory(case=oku, volunteer=volunteer, visited_on=date(2023, 3, 2), minutes=60)
    refresh()
    client.force_login(hq)
    params = {"year": 2024, "client_type": "oku"}
    rows = read_csv(client.get(BY_ORGANISATION, {**params, "format": "csv"}))
    assert next(r for r in rows if r["organisation"] == "PSK Selangor") == {
        "organisation": "PSK Selangor", "volunteers": "1", "clients_served": "1",
        "visits": "1", "minutes": "45",
    }  # fmt: skip
    total = client.get(BY_ORGANISATION, params).text.split("<tfoot")[1].split("</tfoot>")[0]
    assert [cell.split("<")[0] for cell in total.split('class="num">')[1:5]] == [
        "1", "1", "1", "45",
    ]  # fmt: skip
