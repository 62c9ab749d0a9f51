"""The HQ and state home pages show the nation's or the state's figures and the
offices to follow up; the district officer's worklist shows the office's month."""

import re
from datetime import date, timedelta

import pytest

from homehelp.models import Case
from tests.factories import CaseFactory, UserFactory, VisitFactory
from welfare.models import Role


def months_ago(n):
    today = date.today().replace(day=1)
    months = today.year * 12 + today.month - 1 - n
    return date(months // 12, months % 12 + 1, 1)


def card(page, label):
    """The text of the headline card that `label` heads."""
    found = re.search(rf"{label}</div>(.*?)</div></div>", page, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1))).strip()


@pytest.fixture
def visits(office, far_office, refresh):
    """Petaling: 3 visits last month, 2 in that month a year before, 1 this month;
    two active cases overdue. Kota Bharu: one overdue case with an open concern."""
    last, year_before = months_ago(1), months_ago(13)
    case = CaseFactory(office=office, opened_on=months_ago(30), visit_every_days=366)
    for day in [last, last, last + timedelta(days=2), year_before, year_before, date.today()]:
        VisitFactory(case=case, visited_on=day, minutes=30)
    CaseFactory.create_batch(2, office=office, opened_on=months_ago(3))
    far = CaseFactory(office=far_office, opened_on=months_ago(3))
    VisitFactory(case=far, visited_on=months_ago(2), concern=True)
    refresh()


def test_hq_home_shows_the_nation_and_the_offices_to_follow_up(client, hq, visits):
    client.force_login(hq)
    page = client.get("/").text
    assert "Malaysia in figures" in page
    visits_card = card(page, "Visits")
    assert visits_card.startswith("1 ")  # this month so far
    assert f"3 in {months_ago(1):%B}" in visits_card
    assert "+50%" in visits_card  # against 2 a year before
    offices = page.split("Offices to follow up")[1]
    assert offices.index("PKMD Petaling") < offices.index("PKMD Kota Bharu")
    assert "Figures as at" in page


def test_state_officer_home_shows_the_state_only(client, state_officer, visits):
    client.force_login(state_officer)
    page = client.get("/").text
    assert "Selangor in figures" in page
    offices = page.split("Offices to follow up")[1]
    assert "PKMD Petaling" in offices and "PKMD Kota Bharu" not in offices
    assert "/reports/projects-by-office/?state=MY-10" in page


def test_district_officer_worklist_shows_the_office_month(client, officer, visits):
    client.force_login(officer)
    page = client.get("/homehelp/").text
    assert "PKMD Petaling in figures" in page
    visits_card = card(page, "Visits")
    assert visits_card.startswith("1 ")
    assert f"3 in {months_ago(1):%B}" in visits_card
    assert "+50%" in visits_card
    assert "/reports/monthly/?office=PKMD-1005" in page


def test_no_dashboard_for_a_user_without_a_role(client, db, refresh):
    refresh()
    client.force_login(UserFactory())
    assert "in figures" not in client.get("/").text


@pytest.mark.parametrize("rows", [1, 30])
def test_home_queries_do_not_grow_with_rows(
    client, db, office, rows, django_assert_num_queries, refresh
):
    for case in CaseFactory.create_batch(rows, office=office, opened_on=months_ago(3)):
        VisitFactory(case=case, visited_on=months_ago(1))
    refresh()
    hq = UserFactory(role=Role.HQ)
    client.force_login(hq)
    client.get("/")  # a session's first request may renew it
    # session, user, the savepoint and its release (4); the months of
    # projects and visits, the offices to follow up, the time of the figures (4)
    with django_assert_num_queries(8):
        assert client.get("/").status_code == 200
    assert Case.objects.count() == rows
