import csv
import io
from datetime import date

import pytest

from homehelp.models import Visit
from reports import figures, queries
from tests.factories import (
    CaseFactory,
    OrganizationFactory,
    ParticipationFactory,
    PersonFactory,
    ProjectFactory,
    VisitFactory,
)
from tests.reports.test_drill_down import read_csv

URL = "/reports/monthly/"
COLUMNS = [
    "month", "projects_started", "participants_joined", "visits", "minutes",
    "clients_visited", "volunteers_active",
]  # fmt: skip


@pytest.fixture
def months(office, far_office, refresh):
    """Kota Bharu: a project in March 2024 with people joining in March and April
    (one of them before it started), visits in 2023 and 2024; Petaling a little."""
    project = ProjectFactory(office=far_office, start_date=date(2024, 3, 10), status="active")
    ParticipationFactory(project=project, joined_on=date(2024, 3, 1))  # counts from the 10th
    ParticipationFactory(project=project, joined_on=date(2024, 4, 30))
    ProjectFactory(office=far_office, start_date=date(2024, 3, 12), status="cancelled")
    case = CaseFactory(office=far_office, opened_on=date(2023, 1, 1))
    for day, minutes in [(date(2023, 3, 5), 30), (date(2024, 3, 1), 60), (date(2024, 3, 31), 45)]:
        VisitFactory(case=case, visited_on=day, minutes=minutes)
    ProjectFactory(office=office, start_date=date(2024, 3, 1))
    VisitFactory(case__office=office, visited_on=date(2024, 3, 2))
    refresh()
    return far_office


def test_csv_of_an_office_month_by_month(client, far_officer, months):
    client.force_login(far_officer)
    params = {"from": "2024-02", "to": "2024-05", "office": months.code, "format": "csv"}
    response = client.get(URL, params)
    rows = read_csv(response)
    assert list(rows[0]) == COLUMNS
    assert rows == [
        dict(zip(COLUMNS, values, strict=True))
        for values in [
            ("2024-02", "0", "0", "0", "0", "0", "0"),
            ("2024-03", "1", "1", "2", "105", "1", "2"),
            ("2024-04", "0", "1", "0", "0", "0", "0"),
            ("2024-05", "0", "0", "0", "0", "0", "0"),
        ]
    ]
    assert response["Content-Disposition"] == (
        'attachment; filename="monthly-2024-02-2024-05-PKMD-0302.csv"'
    )


@pytest.mark.parametrize("place", [{}, {"state": "MY-03"}, {"office": "PKMD-0302"}])
def test_the_figures_are_the_rows(client, hq, months, place):
    client.force_login(hq)
    rows = read_csv(client.get(URL, {"from": "2023-01", "to": "2024-12", "format": "csv", **place}))
    where = {}
    if "state" in place:
        where["state"] = months.state
    if "office" in place:
        where["office"] = months
    live = queries.monthly(first=date(2023, 1, 1), last=date(2024, 12, 1), **where)
    assert len(rows) == 24
    for row, expected in zip(rows, live, strict=True):
        assert row == {
            "month": f"{expected['month']:%Y-%m}",
            **{name: str(expected[name]) for name in COLUMNS[1:]},
        }


def test_an_organisations_months(client, officer, months):
    organisation = Visit.objects.get(visited_on=date(2024, 3, 1)).volunteer.organization
    client.force_login(officer)
    rows = read_csv(client.get(URL, {"from": "2024-03", "to": "2024-03", "format": "csv",
                                     "organisation": organisation.pk}))  # fmt: skip
    assert rows[0]["visits"] != "0"
    assert rows[0]["projects_started"] == "0"


def test_an_office_out_of_scope_is_not_found(client, officer, far_office):
    client.force_login(officer)
    assert client.get(URL, {"office": far_office.code}).status_code == 404
    assert client.get(URL, {"organisation": "x"}).status_code == 404
    # Another office's own organisation is as unknown as its records.
    theirs = OrganizationFactory(office=far_office, name="Persatuan Kota Bharu")
    assert client.get(URL, {"organisation": theirs.pk}).status_code == 404
    rows = read_csv(
        client.get("/reports/home-help-by-organisation/", {"year": 2024, "format": "csv"})
    )
    assert "Persatuan Kota Bharu" not in {row["organisation"] for row in rows}


def test_the_page_has_line_charts_with_axes_and_the_data_table(client, hq, months):
    client.force_login(hq)
    response = client.get(URL, {"from": "2024-01", "to": "2024-12", "office": months.code})
    page = response.text
    assert response.status_code == 200
    assert page.count('class="chart line-chart"') == 3
    assert page.count("<polyline") == 6
    assert "Month (month/year)" in page
    assert "03/24" in page  # a month on the x axis
    assert "Participants joined, 2024-03: 1" in page  # a point's tooltip
    assert "<table" in page and "Mar 2024" in page
    assert "+100%" in page  # visits of March against March 2023
    assert "PKMD Kota Bharu" in page


def test_the_last_twelve_months_by_default(client, hq, db, refresh):
    refresh()
    client.force_login(hq)
    rows = read_csv(client.get(URL, {"format": "csv"}))
    today = date.today()
    assert len(rows) == 12
    assert rows[-1]["month"] == f"{today:%Y-%m}"


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2024-13"},
        {"from": "2024-05", "to": "2024-01"},
        {"from": "1990-01"},
        {"from": "0001-01", "to": "0001-03"},
        {"from": "9999-11", "to": "9999-12"},
    ],  # fmt: skip
)
def test_bad_months_are_refused_with_400(client, hq, params):
    client.force_login(hq)
    assert client.get(URL, params).status_code == 400


@pytest.mark.parametrize("rows", [1, 100])
def test_queries_do_not_grow_with_rows(
    client, hq, far_office, rows, django_assert_num_queries, refresh
):
    project = ProjectFactory(office=far_office, start_date=date(2024, 3, 1))
    for person in PersonFactory.create_batch(rows):
        ParticipationFactory(project=project, person=person, joined_on=date(2024, 3, 2))
    VisitFactory.create_batch(min(rows, 20), case__office=far_office, visited_on=date(2024, 3, 3))
    refresh()
    client.force_login(hq)
    client.get(URL)  # a session's first request may renew it
    # session, user, the savepoint and its release (4); the office, its
    # months of projects and of visits, the time of the figures, the states of
    # the filter's drop-down (5)
    params = {"from": "2024-01", "to": "2024-12", "office": far_office.code}
    with django_assert_num_queries(9):
        assert client.get(URL, params).status_code == 200
    # the same but the drop-down, and the export in the access log
    with django_assert_num_queries(9):
        response = client.get(URL, {**params, "format": "csv"})
    assert list(csv.DictReader(io.StringIO(response.getvalue().decode())))[2][
        "participants_joined"
    ] == str(rows)


def test_months_up_to_the_last_asked_for_and_of_every_client_type(
    client, far_officer, months, refresh
):
    """Kota Bharu's project and its first participant count in March; an OKU
    client's visit adds to the senior client's that month; April (after the last
    month asked for) is left out."""
    VisitFactory(case=CaseFactory(office=months, client_type="oku", oku_card_number="OKU1"),
                 visited_on=date(2024, 3, 20), minutes=20)  # fmt: skip
    refresh()
    client.force_login(far_officer)
    params = {"from": "2024-02", "to": "2024-03", "office": months.code, "format": "csv"}
    assert [tuple(r.values()) for r in read_csv(client.get(URL, params))] == [
        ("2024-02", "0", "0", "0", "0", "0", "0"),
        ("2024-03", "1", "1", "3", "125", "2", "3"),
    ]


def test_the_reference_counts_only_the_months_asked_for_to_their_last_day(months, refresh):
    """The live reference (reports.queries.monthly, which the summaries' figures
    are checked against) asked for March 2024 only: the visits of its first and
    last days count; a visit of 2023, a participation of April, a project and a
    visit of 1 April do not."""
    ProjectFactory(office=months, start_date=date(2024, 4, 1))
    VisitFactory(case__office=months, visited_on=date(2024, 4, 1))
    refresh()
    march = date(2024, 3, 1)
    [live] = queries.monthly(first=march, last=march)
    assert live["month"] == march
    # Kota Bharu's project of the 10th and Petaling's; the participant who
    # joined on the 1st counts from the project's start
    assert (live["projects_started"], live["participants_joined"]) == (2, 1)
    # Kota Bharu's on the 1st and the 31st, Petaling's on the 2nd
    assert live["visits"] == 3
    assert figures.monthly(first=march, last=march) == [live]
