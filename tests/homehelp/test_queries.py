"""Query counts stay the same with 1 and 50 rows: every list, detail and the
worklist fetches related rows with joins, prefetches and aggregates, never per row.

Every request starts with 2 queries: the session and the user (with the office
and state the menu names). The user's roles and permissions are read once per
process (welfare.roles), not per request."""

from datetime import date, timedelta

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


def test_every_page_runs_the_same_queries_with_1_row_and_with_50_and_no_more_than_its_limit(
    client, officer, office
):
    """Each page's queries counted with 1 row, then with 50 more: the same
    number, within the page's limit."""

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
    with_fifty = counts()
    assert with_fifty == with_one
    # + the savepoint each request runs in (ATOMIC_REQUESTS) and its release
    limits = {name: most + 2 for name, (_, most) in {**PAGES, **detail_urls(records)}.items()}
    assert {name: count for name, count in with_fifty.items() if count > limits[name]} == {}
