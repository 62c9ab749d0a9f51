"""The HQ and state home pages show the nation's or the state's figures and the
offices to follow up; the district officer's worklist shows the office's month."""

import re
from datetime import date, timedelta

import pytest

from homehelp.models import Case
from tests.factories import CaseFactory, UserFactory, VisitFactory
from welfare.models import Office, Role


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


def test_the_cards_say_this_month_last_month_and_the_twelve_months_to_it(
    client, hq, state_officer, officer, office, visits, refresh
):
    """Petaling: 3 visits last month against 2 a year before; one more twelve
    months ago, the first of the twelve months to last month: 4 against 2; the
    nation adds Kota Bharu's visit of two months ago (an hour): 5 against 2.
    Petaling's visits are half an hour; one client a month."""
    VisitFactory(case__office=office, visited_on=months_ago(12), minutes=30)
    refresh()
    this, last = f"{date.today():%B}", f"{months_ago(1):%B}"
    same = "the same as a year before"
    for user, url, twelve, hours, hours_change in [(hq, "/", 5, "3", "+200%"),
                                                   (state_officer, "/", 4, "2", "+100%"),
                                                   (officer, "/homehelp/", 4, "2", "+100%")]:  # fmt: skip
        change = {5: "+150%", 4: "+100%"}[twelve]
        client.force_login(user)
        page = client.get(url).text
        assert card(page, "Visits") == (
            f"1 in {this} so far 3 in {last} · ▲ +50% on a year before"
            f" {twelve} in the 12 months to it · ▲ {change} on a year before"
        ), user
        assert card(page, "Hours of visits") == (
            f"0.5 in {this} so far 1.5 in {last} · ▲ +50% on a year before"
            f" {hours} in the 12 months to it · ▲ {hours_change} on a year before"
        ), user
        assert card(page, "Clients visited") == f"1 in {this} so far 1 in {last} · {same}", user


def follow_up_rows(page):
    """The offices to follow up: name, overdue, open concerns, active, waiting, link."""
    table = page.split("Offices to follow up")[1].split("</tbody>")[0]
    rows = []
    for row in table.split("<tr>")[2:]:
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in row.split("<td")[1:]]
        link = re.search(r'href="([^"]+)"', row).group(1)
        rows.append((*[c.split(">", 1)[1] for c in cells[:5]], link))
    return rows


def test_offices_to_follow_up_most_overdue_then_most_concerns_then_by_name(
    client, hq, state_officer, office, neighbour_office, refresh
):
    """Petaling: two cases overdue; Gombak: an open concern only, on a case just
    visited; eleven other offices one case overdue each, one of them also with a
    concern."""
    CaseFactory.create_batch(2, office=office, opened_on=months_ago(3))
    just_visited = CaseFactory(office=neighbour_office, opened_on=months_ago(3),
                               visit_every_days=366)  # fmt: skip
    VisitFactory(case=just_visited, visited_on=date.today(), concern=True)
    others = list(Office.objects.exclude(state=office.state).order_by("name")[:11])
    for other in others:
        CaseFactory(office=other, opened_on=months_ago(3))
    VisitFactory(case=others[-1].cases.get(), visited_on=months_ago(2), concern=True)
    refresh()
    client.force_login(hq)
    rows = follow_up_rows(client.get("/").text)
    monthly = "/reports/monthly/?office="
    assert rows[:3] == [
        ("PKMD Petaling", "2", "0", "2", "2", f"{monthly}PKMD-1005"),
        (others[-1].name, "1", "1", "1", "1", f"{monthly}{others[-1].code}"),
        (others[0].name, "1", "0", "1", "1", f"{monthly}{others[0].code}"),
    ]
    assert [row[0] for row in rows] == [office.name, *(o.name for o in [others[-1], *others[:8]])]
    client.force_login(state_officer)
    assert follow_up_rows(client.get("/").text) == [
        ("PKMD Petaling", "2", "0", "2", "2", f"{monthly}PKMD-1005"),
        ("PKMD Gombak", "0", "1", "1", "1", f"{monthly}PKMD-1001"),
    ]
