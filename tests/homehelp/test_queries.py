"""Query counts stay the same with 1 and 50 rows: every list, detail and the
worklist fetches related rows with joins, prefetches and aggregates, never per row.

Every request starts with 2 queries: the session and the user (with the office
and state the menu names). The user's roles and permissions are read once per
process (welfare.roles), not per request."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from homehelp.models import Service
from tests.factories import CaseFactory, OrganizationFactory, VisitFactory, VolunteerFactory


def add_rows(office, rows):
    organization = OrganizationFactory()
    volunteers = VolunteerFactory.create_batch(rows, office=office, organization=organization)
    volunteer = volunteers[0]
    cases = CaseFactory.create_batch(
        rows, office=office, volunteer=volunteer, opened_on=date.today() - timedelta(days=400)
    )
    case = cases[0]
    services = list(Service.objects.all()[:2])
    for i in range(rows):
        visit = VisitFactory(
            case=cases[i] if i else case,
            volunteer=volunteer,
            visited_on=date.today() - timedelta(days=100 + i),
            concern=True,
        )
        visit.services.set(services)
    for i in range(rows - 1):  # the first case also gets `rows` visits
        VisitFactory(case=case, volunteer=volunteer, visited_on=date.today() - timedelta(days=i))
    return {"organization": organization, "volunteer": volunteer, "case": case}


# page -> the most queries it may run, whatever the number of rows. Every page
# starts with 2: the session and the user with its office and state.
PAGES = {
    # 2 + overdue, concerns, waiting, over caseload, quiet counts + overdue and
    # concern rows + open referrals + visits to confirm + the
    # office's month (its months of projects and of visits, the time of the
    # figures: reports.templatetags)
    "worklist": ("/homehelp/", 14),
    # 2 + count, page, volunteer choices of the filter
    "case-list": ("/homehelp/cases/", 5),
    # 2 + count, page, organisation choices of the filter
    "volunteer-list": ("/homehelp/volunteers/", 5),
    # 2 + count, page, services of the page's visits, volunteer choices of the filter
    "visit-list": ("/homehelp/visits/", 6),
    # 2 + count, page
    "organization-list": ("/homehelp/organisations/", 4),
}


@pytest.mark.parametrize("page_name", PAGES)
@pytest.mark.parametrize("rows", [1, 50])
def test_lists_and_worklist_run_a_fixed_number_of_queries(
    client, officer, office, django_assert_max_num_queries, page_name, rows
):
    add_rows(office, rows)
    client.force_login(officer)
    url, most = PAGES[page_name]
    # + the savepoint each request runs in (ATOMIC_REQUESTS) and its release
    with django_assert_max_num_queries(most + 2):
        response = client.get(url)
    assert response.status_code == 200


def detail_urls(records):
    return {
        # 2 + case, needs, count and page of visits, their services + the quick visit form's
        # volunteer and service choices + access log + the case's history
        # + visits to confirm + referrals
        "case": (records["case"].get_absolute_url(), 13),
        # 2 + volunteer, open cases, recent visits, their services
        # + the volunteer's history + access log
        "volunteer": (records["volunteer"].get_absolute_url(), 8),
        # 2 + organisation, its volunteers
        "organization": (records["organization"].get_absolute_url(), 4),
    }


@pytest.mark.parametrize("page_name", ["case", "volunteer", "organization"])
@pytest.mark.parametrize("rows", [1, 50])
def test_detail_pages_run_a_fixed_number_of_queries(
    client, officer, office, django_assert_max_num_queries, page_name, rows
):
    records = add_rows(office, rows)
    client.force_login(officer)
    url, most = detail_urls(records)[page_name]
    # + the savepoint each request runs in (ATOMIC_REQUESTS) and its release
    with django_assert_max_num_queries(most + 2):
        response = client.get(url)
    assert response.status_code == 200


def test_query_counts_do_not_grow_with_rows(client, officer, office):
    """The same page with 1 row and with 50 runs exactly the same queries."""

    def counts():
        client.force_login(officer)
        result = {}
        for name, (url, _) in {**PAGES, **detail_urls(records)}.items():
            with CaptureQueriesContext(connection) as context:
                assert client.get(url).status_code == 200
            result[name] = len(context)
        return result

    records = add_rows(office, 1)
    with_one = counts()
    records = add_rows(office, 50)
    assert counts() == with_one
