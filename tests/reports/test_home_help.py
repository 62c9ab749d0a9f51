import csv
import io
import random
from collections import defaultdict
from datetime import date

import pytest
from openpyxl import load_workbook

from homehelp.models import Case, Service, Visit
from reports import figures, queries
from tests.factories import CaseFactory, PersonFactory, VisitFactory, VolunteerFactory
from welfare.models import Constituency, Office

URL = "/reports/home-help/"


def read_csv(response):
    return list(csv.DictReader(io.StringIO(response.getvalue().decode())))


@pytest.fixture
def random_visits(db, refresh):
    """Visits around the turn of 2024 in offices of two states; volunteers who visit
    in both; a client with cases in two states over the years."""
    rng = random.Random(11)
    offices = list(Office.objects.filter(code__in=["PKMD-1005", "PKMD-1001", "PKMD-0302"]))
    volunteers = {o.pk: VolunteerFactory.create_batch(3, office=o) for o in offices}
    wanderer = PersonFactory(date_of_birth=date(1940, 5, 5), mykad="400505105555")
    cases = []
    for office in offices:
        for index in range(4):
            client_type = "oku" if index == 3 else "senior"
            cases.append(
                CaseFactory(
                    office=office,
                    client_type=client_type,
                    oku_card_number="OKU123" if client_type == "oku" else "",
                    status="closed" if office.code == "PKMD-0302" else "active",
                    close_reason="moved" if office.code == "PKMD-0302" else "",
                    closed_on=date(2025, 6, 1) if office.code == "PKMD-0302" else None,
                    opened_on=date(2023, 1, 1),
                    client=wanderer
                    if index == 0 and office.code in ("PKMD-1005", "PKMD-0302")
                    else PersonFactory(),
                )
            )
    days = [
        date(2023, 12, 31),
        date(2024, 1, 1),
        date(2024, 12, 31),
        date(2025, 1, 1),
        date(2024, 6, 6),
    ]
    for case in cases:
        for _ in range(rng.randint(0, 4)):
            VisitFactory(
                case=case,
                volunteer=rng.choice(volunteers[case.office_id]),
                visited_on=rng.choice(days),
                minutes=rng.choice([30, 60, 95]),
            )
    refresh()
    return cases


def expected(year, client_type=""):
    table = defaultdict(lambda: {"clients": set(), "volunteers": set(), "visits": 0})
    clients, volunteers = set(), set()
    for visit in Visit.objects.select_related("case__office__state"):
        if visit.visited_on.year != year or (client_type and visit.case.client_type != client_type):
            continue
        row = table[visit.case.office.state.code]
        row["clients"].add(visit.case.client_id)
        row["volunteers"].add(visit.volunteer_id)
        row["visits"] += 1
        clients.add(visit.case.client_id)
        volunteers.add(visit.volunteer_id)
    return table, clients, volunteers


@pytest.mark.parametrize("client_type", ["", "senior", "oku"])
def test_csv_matches_numbers_counted_independently(client, hq, random_visits, client_type):
    client.force_login(hq)
    rows = read_csv(client.get(URL, {"year": 2024, "format": "csv", "client_type": client_type}))
    table, clients, volunteers = expected(2024, client_type)
    assert list(rows[0]) == ["state_code", "state", "clients_served", "volunteers", "visits"]
    assert len(rows) == 17
    for row in rows[:-1]:
        counted = table.get(row["state_code"], {"clients": (), "volunteers": (), "visits": 0})
        assert int(row["clients_served"]) == len(counted["clients"]), row
        assert int(row["volunteers"]) == len(counted["volunteers"]), row
        assert int(row["visits"]) == counted["visits"], row
    total = rows[-1]
    assert total["state_code"] == "TOTAL"
    assert int(total["clients_served"]) == len(clients)
    assert int(total["volunteers"]) == len(volunteers)
    assert int(total["visits"]) == sum(r["visits"] for r in table.values())


def test_a_client_served_in_two_states_counts_once_nationally(
    client, hq, office, far_office, refresh
):
    person = PersonFactory(date_of_birth=date(1940, 1, 1), mykad="400101101111")
    here = CaseFactory(client=person, office=office, status="closed", close_reason="moved",
                       closed_on=date(2024, 5, 1), opened_on=date(2024, 1, 1))  # fmt: skip
    there = CaseFactory(client=person, office=far_office, opened_on=date(2024, 5, 2))
    VisitFactory(case=here, visited_on=date(2024, 2, 1))
    VisitFactory(case=there, visited_on=date(2024, 12, 31))
    refresh()
    client.force_login(hq)
    rows = read_csv(client.get(URL, {"year": 2024, "format": "csv"}))
    by_code = {r["state_code"]: r for r in rows}
    assert by_code["MY-10"]["clients_served"] == by_code["MY-03"]["clients_served"] == "1"
    assert by_code["TOTAL"]["clients_served"] == "1"
    assert by_code["TOTAL"]["visits"] == "2"


def test_excel_has_the_same_cells_as_csv(client, hq, random_visits):
    client.force_login(hq)
    rows = read_csv(client.get(URL, {"year": 2024, "format": "csv"}))
    sheet = load_workbook(
        io.BytesIO(client.get(URL, {"year": 2024, "format": "xlsx"}).getvalue())
    ).active
    cells = [[str(c) for c in row] for row in sheet.iter_rows(values_only=True)]
    assert cells[1:] == [list(r.values()) for r in rows]


def test_page_shows_services_hours_and_coverage(client, hq, random_visits):
    client.force_login(hq)
    response = client.get(URL, {"year": 2024})
    assert response.status_code == 200
    assert "In 2024" in response.text
    active_offices = Case.objects.filter(status="active").values("office").distinct().count()
    covered = Case.objects.filter(status="active").values("constituency").distinct().count()
    assert f"{active_offices} of {Office.objects.count()} offices" in response.text
    assert (
        f"{covered} of {Constituency.objects.count()} parliamentary constituencies" in response.text
    )
    assert "Personal care" in response.text
    assert response.text.count('role="img"') == 2  # a chart and a map
    # The TOTAL row: clients, volunteers, visits and hours of 2024, from the visits.
    visits = Visit.objects.filter(visited_on__year=2024)
    minutes = sum(visits.values_list("minutes", flat=True))
    total = response.text.split("<tfoot")[1].split("</tfoot>")[0]
    cells = [cell.split("</td>")[0] for cell in total.split('<td class="num">')[1:]]
    assert cells == [
        str(visits.values("case__client").distinct().count()),
        str(visits.values("volunteer").distinct().count()),
        str(visits.count()),
        str(round(minutes / 60, 1)).removesuffix(".0"),
    ]
    assert minutes % 60  # the hours have a tenth: a whole number would hide a wrong rounding


@pytest.mark.parametrize("rows", [1, 500])
def test_queries_do_not_grow_with_rows(
    client, hq, office, rows, django_assert_num_queries, refresh
):
    case = CaseFactory(office=office)
    volunteer = VolunteerFactory(office=office)
    Visit.objects.bulk_create(
        Visit(case=case, volunteer=volunteer, visited_on=date(2024, 3, 1), minutes=30)
        for _ in range(rows)
    )
    refresh()
    client.force_login(hq)
    client.get(URL, {"year": 2024})  # a session's first request may renew it
    # session, user; the states' figures, the nation's, the states, the
    # time of the figures; visits by service and the services; the active cases
    # by constituency and office, the constituencies, the offices
    # + the savepoint each request runs in (ATOMIC_REQUESTS) and its release;
    # + whether the table is published (HQ's box to publish it)
    with django_assert_num_queries(14):
        assert client.get(URL, {"year": 2024}).status_code == 200
    # the session's 2 (the user's groups, which keep volunteers from reports, are
    # read once per process: welfare.roles) and the savepoint's 2; the table's 4
    with django_assert_num_queries(9):
        assert read_csv(client.get(URL, {"year": 2024, "format": "csv"}))[-1]["visits"] == str(rows)


@pytest.mark.parametrize("params", [{"year": "abc"}, {"year": "99999"}, {"client_type": "x"}])
def test_bad_filters_are_refused_with_400(client, hq, params):
    client.force_login(hq)
    assert client.get(URL, params).status_code == 400


@pytest.mark.parametrize("client_type", ["", "senior", "oku"])
def test_services_given_count_the_years_visits_of_each_service(random_visits, client_type, refresh):
    rng = random.Random(5)
    services = list(Service.objects.all())
    expected = defaultdict(int)
    for visit in Visit.objects.select_related("case"):
        given = rng.sample(services, rng.randint(0, 3))
        visit.services.set(given)
        if visit.visited_on.year == 2024 and client_type in ("", visit.case.client_type):
            for service in given:
                expected[service.code] += 1
    refresh()
    for report in (queries, figures):
        counted = {
            s.code: s.visits_given
            for s in report.services_given(year=2024, client_type=client_type)
        }
        assert counted == {s.code: expected[s.code] for s in services}
    assert sum(counted.values()) > 0


@pytest.fixture
def cases_of_two_types(db, office, far_office, refresh):
    """Selangor: in its first constituency a senior and an OKU client visited in
    2024 (30 and 45 minutes), in its second an OKU client not visited, in its
    third a suspended case; Kelantan: a senior client visited (60 minutes)."""
    first, second, third = Constituency.objects.filter(state=office.state).order_by("code")[:3]
    senior = CaseFactory(office=office, constituency=first)
    oku = CaseFactory(office=office, constituency=first, client_type="oku",
                      oku_card_number="OKU1")  # fmt: skip
    VisitFactory(case=senior, visited_on=date(2024, 3, 1), minutes=30)
    VisitFactory(case=oku, visited_on=date(2024, 3, 2), minutes=45)
    CaseFactory(office=office, constituency=second, client_type="oku", oku_card_number="OKU2")
    CaseFactory(office=office, constituency=third, status="suspended")
    far = CaseFactory(office=far_office, constituency=Constituency.objects.filter(
        state=far_office.state).first())  # fmt: skip
    VisitFactory(case=far, visited_on=date(2024, 5, 1), minutes=60)
    refresh()
    return first, second, third


def total_cells(page):
    """The figures of the TOTAL row of a page's table."""
    total = page.split("<tfoot")[1].split("</tfoot>")[0]
    return [cell.split("</td>")[0] for cell in total.split('<td class="num">')[1:]]


def test_coverage_counts_constituencies_with_an_active_case_of_the_type(
    client, hq, cases_of_two_types
):
    first, second, third = cases_of_two_types
    client.force_login(hq)
    every = Constituency.objects.count()
    for client_type, offices, covered in [("", 2, [first, second]), ("oku", 1, [first, second]),
                                          ("senior", 2, [first])]:  # fmt: skip
        page = client.get(URL, {"year": 2024, "client_type": client_type}).text
        covered_here = len(covered) + (client_type != "oku")  # Kota Bharu's senior
        assert f"{offices} of {Office.objects.count()} offices" in page, client_type
        assert f"{covered_here} of {every} parliamentary constituencies" in page, client_type
        assert f"{every - covered_here} constituencies without an active case" in page
        uncovered = page.split("without an active case")[1].split("</ul>")[0]
        assert f"<li>{third} (" in uncovered
        assert all(f"<li>{c} (" not in uncovered for c in covered), client_type


def test_coverage_by_constituency_of_a_state_and_a_type(client, hq, cases_of_two_types):
    first, second, third = cases_of_two_types
    client.force_login(hq)
    url = "/reports/constituencies/"

    def table(**filters):
        params = {"year": 2024, **filters}
        rows = {
            r["constituency_code"]: r
            for r in read_csv(client.get(url, {**params, "format": "csv"}))
        }
        figures = {
            code: (r["active_cases"], r["clients_served"], r["volunteers"], r["visits"])
            for code, r in rows.items() if r["active_cases"] != "0" or r["visits"] != "0"
        }  # fmt: skip
        return figures, total_cells(client.get(url, params).text)

    assert table(state="MY-10") == (
        {first.code: ("2", "2", "2", "2"), second.code: ("1", "0", "0", "0")},
        ["3", "2", "2", "2"],
    )
    assert table(state="MY-10", client_type="senior") == (
        {first.code: ("1", "1", "1", "1")},
        ["1", "1", "1", "1"],
    )
    everywhere, total = table(client_type="oku")
    assert everywhere == {first.code: ("1", "1", "1", "1"), second.code: ("1", "0", "0", "0")}
    assert total == ["2", "1", "1", "1"]
    assert table()[1] == ["4", "3", "3", "3"]
    assert table(year=2022, state="MY-10")[1] == ["3", "0", "0", "0"]
