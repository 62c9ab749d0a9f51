"""The pages not pinned beside their app's lists and details (forms, the home
page, the public statistics, the reports index, the guide): each runs a fixed
number of queries, the same with 1 and with 20 of the rows it lists or offers."""

from datetime import date, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import (
    CaseFactory,
    OrganizationFactory,
    ParticipationFactory,
    ProjectFactory,
    VisitFactory,
    VolunteerFactory,
)

# page -> the most queries it may run on a warm request (the request's savepoint
# and its release included): the session and the user (with its office and state)
# and the page's own; the user's roles and permissions are read once per process
# (welfare.roles).
PAGES = {
    "/about/": 4,
    "/stats/": 12,
    "/reports/": 4,
    "/projects/new/": 8,
    "/projects/{project}/participants/add/": 5,
    "/projects/{project}/participants/import/": 5,
    "/projects/{project}/activities/add/": 5,
    "/projects/participants/{participation}/edit/": 5,
    "/homehelp/organisations/new/": 4,
    "/homehelp/organisations/{organization}/edit/": 5,
    "/homehelp/volunteers/new/": 5,
    "/homehelp/volunteers/{volunteer}/edit/": 6,
    "/homehelp/cases/new/": 8,
    "/homehelp/cases/{case}/close/": 6,
    "/homehelp/cases/import/": 5,
    "/homehelp/visits/{visit}/edit/": 8,
}


def add_rows(office, rows):
    """`rows` of each kind a page may list or offer as a choice."""
    organization = OrganizationFactory(office=office)  # the officer's to edit
    volunteers = VolunteerFactory.create_batch(
        rows, office=office, organization=organization, trained_on=date(2020, 1, 1)
    )
    cases = CaseFactory.create_batch(
        rows, office=office, volunteer=volunteers[0], opened_on=date.today() - timedelta(days=90)
    )
    visits = [VisitFactory(case=case, volunteer=volunteers[0]) for case in cases]
    projects = ProjectFactory.create_batch(rows, office=office)
    participations = ParticipationFactory.create_batch(rows, project=projects[0])
    return {
        "organization": organization.pk,
        "volunteer": volunteers[0].pk,
        "case": cases[0].pk,
        "visit": visits[0].pk,
        "project": projects[0].pk,
        "participation": participations[0].pk,
    }


def counts(client, ids):
    result = {}
    for page in PAGES:
        url = page.format(**ids)
        client.get(url)  # a session's first request may renew it
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200, url
        result[page] = len(queries)
    return result


def test_pages_run_a_fixed_number_of_queries(client, officer, office):
    client.force_login(officer)
    with_one = counts(client, add_rows(office, 1))
    with_twenty = counts(client, add_rows(office, 20))
    assert with_twenty == with_one
    over = {page: n for page, n in with_one.items() if n > PAGES[page]}
    assert not over, over


def test_the_guide_runs_a_fixed_number_of_queries(
    client, administrator, django_assert_max_num_queries
):
    client.force_login(administrator)
    client.get("/guide/")
    with django_assert_max_num_queries(4):
        assert client.get("/guide/").status_code == 200
