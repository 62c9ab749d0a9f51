"""The benchmark's measurements inside Django (run by scripts/bench.py, in a process
configured for one scale's database): page times through the test client, query
counts, and the reports' aggregates written by hand in SQL."""

import statistics
import time
from datetime import date

from django.contrib.auth.models import Group
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext

from homehelp.models import Case, Service, Visit, Volunteer
from programs.models import Participation, Project
from reports import queries
from welfare.models import Office, Person, Role, User

WARM_UP = 2

PROJECTS_BY_STATE_SQL = [
    """
    SELECT s.id, s.code, s.name_en, coalesce(p.projects, 0), coalesce(pa.participants, 0),
           coalesce(pa.persons, 0)
    FROM welfare_state s
    LEFT JOIN (
        SELECT o.state_id, count(*) AS projects
        FROM programs_project p JOIN welfare_office o ON o.id = p.office_id
        WHERE p.start_date <= %(as_of)s AND p.status <> 'cancelled'
        GROUP BY o.state_id
    ) p ON p.state_id = s.id
    LEFT JOIN (
        SELECT o.state_id, count(*) AS participants, count(DISTINCT pa.person_id) AS persons
        FROM programs_participation pa
        JOIN programs_project p ON p.id = pa.project_id
        JOIN welfare_office o ON o.id = p.office_id
        WHERE p.start_date <= %(as_of)s AND p.status <> 'cancelled'
          AND pa.joined_on <= %(as_of)s
        GROUP BY o.state_id
    ) pa ON pa.state_id = s.id
    ORDER BY s.position
    """,
    """
    SELECT count(DISTINCT pa.person_id)
    FROM programs_participation pa JOIN programs_project p ON p.id = pa.project_id
    WHERE p.start_date <= %(as_of)s AND p.status <> 'cancelled' AND pa.joined_on <= %(as_of)s
    """,
]

HOME_HELP_SQL = [
    """
    SELECT s.id, s.code, s.name_en, coalesce(v.clients, 0), coalesce(v.volunteers, 0),
           coalesce(v.visits, 0), coalesce(v.minutes, 0)
    FROM welfare_state s
    LEFT JOIN (
        SELECT o.state_id, count(DISTINCT c.client_id) AS clients,
               count(DISTINCT v.volunteer_id) AS volunteers, count(*) AS visits,
               sum(v.minutes) AS minutes
        FROM homehelp_visit v
        JOIN homehelp_case c ON c.id = v.case_id
        JOIN welfare_office o ON o.id = c.office_id
        WHERE v.visited_on BETWEEN %(first)s AND %(last)s
        GROUP BY o.state_id
    ) v ON v.state_id = s.id
    ORDER BY s.position
    """,
    """
    SELECT count(DISTINCT c.client_id), count(DISTINCT v.volunteer_id), count(*),
           coalesce(sum(v.minutes), 0)
    FROM homehelp_visit v JOIN homehelp_case c ON c.id = v.case_id
    WHERE v.visited_on BETWEEN %(first)s AND %(last)s
    """,
]

# The HTML page also shows the services given and the coverage.
HOME_HELP_PAGE_SQL = HOME_HELP_SQL + [
    """
    SELECT s.id, s.code, coalesce(given.visits, 0)
    FROM homehelp_service s
    LEFT JOIN (
        SELECT vs.service_id, count(*) AS visits
        FROM homehelp_visit v JOIN homehelp_visit_services vs ON vs.visit_id = v.id
        WHERE v.visited_on BETWEEN %(first)s AND %(last)s
        GROUP BY vs.service_id
    ) given ON given.service_id = s.id
    ORDER BY s.position
    """,
    "SELECT DISTINCT constituency_id FROM homehelp_case WHERE status = 'active'",
    "SELECT count(DISTINCT office_id) FROM homehelp_case WHERE status = 'active'",
    "SELECT count(*) FROM welfare_office",
    """
    SELECT c.id, c.code, c.name, s.code, s.name_en
    FROM welfare_constituency c JOIN welfare_state s ON s.id = c.state_id ORDER BY c.code
    """,
]


def median_ms(function, runs):
    for _ in range(WARM_UP):
        function()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return round(statistics.median(times) * 1000, 2)


def run_sql(statements, params):
    def run():
        with connection.cursor() as cursor:
            results = []
            for statement in statements:
                cursor.execute(statement, params)
                results.append(cursor.fetchall())
            return results

    return run


def users(password, office):
    hq, _ = User.objects.get_or_create(username="bench.hq")
    hq.set_password(password)
    hq.save()
    hq.groups.set([Group.objects.get(name=Role.HQ)])
    officer, _ = User.objects.get_or_create(username="bench.officer", defaults={"office": office})
    officer.office = office
    officer.set_password(password)
    officer.save()
    officer.groups.set([Group.objects.get(name=Role.DISTRICT_OFFICER)])
    state, _ = User.objects.get_or_create(username="bench.state", defaults={"state": office.state})
    state.state = office.state
    state.set_password(password)
    state.save()
    state.groups.set([Group.objects.get(name=Role.STATE_OFFICER)])
    clients = {}
    for name, user in [("HQ", hq), ("officer", officer), ("state", state)]:
        clients[name] = Client()
        clients[name].force_login(user)
    clients["anonymous"] = Client()  # the public pages, as a visitor reads them
    return clients


def published(hq):
    """The editions /stats/ and the open-data files serve: the projects by state
    as at today and home help this year, published once per database (editions
    never change; a reused database keeps them)."""
    from reports import editions
    from reports.models import Edition, Table

    today = date.today()
    wanted = [
        (Table.PROJECTS_BY_STATE, {"as_of": today.isoformat()}),
        (Table.HOME_HELP_BY_STATE, {"year": today.year}),
        (Table.PROJECTS_BY_OFFICE, {"as_of": today.isoformat()}),
    ]
    found = []
    for table, filters in wanted:
        edition = Edition.objects.filter(table=table).order_by("-as_of", "-version").first()
        found.append(edition or editions.publish(hq, table, filters, note="make bench"))
    return found


def get(client, url):
    response = client.get(url)
    if response.streaming:
        body = b"".join(response.streaming_content)
    else:
        body = response.content
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}")
    return body


def pages(office, editions=()):
    today = date.today()
    big_project = Project.objects.order_by("-pk").first()
    typical_project = Project.objects.filter(office=office).order_by("pk").first()
    # An active case, whose page has the visit form at every scale: the same queries.
    busiest_case = (
        Visit.objects.filter(case__office=office, case__status=Case.Status.ACTIVE)
        .values("case")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()["case"]
    )
    busiest_volunteer = (
        Case.objects.filter(office=office, volunteer__isnull=False)
        .values("volunteer")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()["volunteer"]
    )
    year = today.year
    period = {"first": date(year, 1, 1), "last": date(year, 12, 31)}

    def report(name, url, sql, params, orm):
        return {"name": name, "url": url, "user": "HQ", "sql": sql, "params": params, "orm": orm}

    def page(name, url, user="HQ", load=True):
        return {"name": name, "url": url, "user": user, "load": load}

    def public(name, url):
        # Loaded in scenarios of their own (scripts/bench.py), not in the mix of
        # signed-in pages, whose throughput they would inflate.
        return page(name, url, "anonymous", load=False)

    return [
        report(
            "report: projects by state (HTML)",
            "/reports/projects-by-state/",
            PROJECTS_BY_STATE_SQL,
            {"as_of": today},
            lambda: queries.projects_by_state(as_of=today),
        ),
        report(
            "report: projects by state (CSV)",
            "/reports/projects-by-state/?format=csv",
            PROJECTS_BY_STATE_SQL,
            {"as_of": today},
            lambda: queries.projects_by_state(as_of=today),
        ),
        report(
            "report: home help (HTML)",
            "/reports/home-help/",
            HOME_HELP_PAGE_SQL,
            period,
            lambda: (
                queries.home_help_by_state(year=year),
                queries.services_given(year=year),
                queries.coverage(),
            ),
        ),
        report(
            "report: home help (CSV)",
            "/reports/home-help/?format=csv",
            HOME_HELP_SQL,
            period,
            lambda: queries.home_help_by_state(year=year),
        ),
        page("report: projects by office, Selangor", "/reports/projects-by-office/?state=MY-10"),
        page("report: projects by office, every office", "/reports/projects-by-office/"),
        page(
            "report: districts of an office", f"/reports/projects-by-district/?office={office.code}"
        ),
        page("report: home help by office", "/reports/home-help-by-office/"),
        page("report: home help by organisation", "/reports/home-help-by-organisation/"),
        page("report: coverage by constituency", "/reports/constituencies/"),
        page("report: month by month, Malaysia", "/reports/monthly/"),
        page("report: month by month, an office", f"/reports/monthly/?office={office.code}"),
        page("home: HQ dashboard", "/"),
        page("statistics (public, signed in)", "/stats/"),
        public("statistics (public, anonymous)", "/stats/"),
        public("open data: list of editions", "/stats/editions/"),
        *(
            public(
                f"open data: {edition.table} {kind} ({len(edition.cells['rows'])} rows)",
                f"/stats/editions/{edition.pk}{suffix}",
            )
            for edition in editions
            for kind, suffix in [("page", "/"), ("CSV", ".csv"), ("JSON", ".json")]
        ),
        page("projects, first page", "/projects/"),
        page("projects, filtered", "/projects/?q=Kebun&status=completed&year=2015"),
        page(
            f"project detail: participants ({typical_project.participations.count()})",
            typical_project.get_absolute_url(),
            "officer",
        ),
        page(
            f"project detail: participants ({big_project.participations.count():,})",
            big_project.get_absolute_url(),
            "officer",
        ),
        page("cases, first page", "/homehelp/cases/"),
        page("cases, filtered (active, overdue)", "/homehelp/cases/?status=active&due=true"),
        page("visits, first page", "/homehelp/visits/"),
        page("visits, filtered (open concern)", "/homehelp/visits/?concern=open"),
        page("volunteers, first page", "/homehelp/volunteers/"),
        page("volunteers, filtered (quiet 30 days)", "/homehelp/volunteers/?load=quiet"),
        page(
            f"case detail: {Visit.objects.filter(case=busiest_case).count()} visits",
            f"/homehelp/cases/{busiest_case}/",
            "officer",
        ),
        page(
            f"volunteer detail: {Case.objects.filter(volunteer=busiest_volunteer).count()} cases",
            f"/homehelp/volunteers/{busiest_volunteer}/",
            "officer",
        ),
        page(
            f"worklist ({Case.objects.filter(office=office).count():,} cases at {office.code})",
            "/homehelp/",
            "officer",
        ),
        page("cases of the office, first page", "/homehelp/cases/", "officer"),
        {
            "name": "export participants CSV (10,000 rows)",
            "url": f"/projects/{big_project.pk}/participants.csv",
            "user": "officer",
            "load": False,
        },
    ]


def measure_pages(runs, password, office_code):
    office = Office.objects.get(code=office_code)
    clients = users(password, office)
    editions = published(User.objects.get(username="bench.hq"))
    results = []
    for spec in pages(office, editions):
        client = clients[spec["user"]]
        # Counted on a warm request: the first may renew the session (once a
        # minute, welfare.middleware), which is not the page's own work.
        get(client, spec["url"])
        with CaptureQueriesContext(connection) as captured:
            get(client, spec["url"])
        result = {
            "name": spec["name"],
            "url": spec["url"],
            "user": spec["user"],
            "load": spec.get("load", True),
            "queries": len(captured),
            "bytes": len(get(client, spec["url"])),
            "median_ms": median_ms(lambda client=client, url=spec["url"]: get(client, url), runs),
        }
        if "sql" in spec:
            sql = run_sql(spec["sql"], spec["params"])
            result["sql_ms"] = median_ms(sql, runs)
            result["orm_ms"] = median_ms(spec["orm"], runs)
            result["ratio"] = round(result["median_ms"] / result["sql_ms"], 2)
        print(
            f"  {spec['name']:55} {result['median_ms']:>9} ms {result['queries']:>3} queries"
            + (f"  ratio {result['ratio']}" if "ratio" in result else ""),
            flush=True,
        )
        results.append(result)
    check_reports()
    return {
        "counts": {
            "projects": Project.objects.count(),
            "participations": Participation.objects.count(),
            "people": Person.objects.count(),
            "cases": Case.objects.count(),
            "visits": Visit.objects.count(),
            "volunteers": Volunteer.objects.count(),
        },
        "pages": results,
        "mix": realistic_mix(office),
        "cookies": {
            name: client.cookies["sessionid"].value if "sessionid" in client.cookies else ""
            for name, client in clients.items()
        },
        "open_data": [p["url"] for p in results if p["url"].startswith("/stats/editions/")],
    }


def realistic_mix(office):
    """The requests of a working day, by weight (per cent of all requests): 80 % a
    district officer's pages, of which a tenth records a visit through the case
    page's form (the form page, then its POST with the page's CSRF token); 15 %
    the lists of a state officer and HQ; 5 % the reports and the dashboard.
    Each entry: [weight, group, user, url, or a list of urls picked at random,
    and for a form the data posted besides the page's hidden fields]."""
    today = date.today()
    cases = list(
        Case.objects.filter(
            office=office,
            status=Case.Status.ACTIVE,
            volunteer__active=True,
            volunteer__trained_on__isnull=False,
        )
        .order_by("pk")
        .values_list("pk", "volunteer")[:200]
    )
    volunteers = list(
        Volunteer.objects.filter(office=office).order_by("pk").values_list("pk", flat=True)[:200]
    )
    project = Project.objects.filter(office=office).order_by("pk").first()
    service = Service.objects.order_by("pk").first()
    visit_posts = [
        {
            "url": f"/homehelp/cases/{case}/",
            "action": f"/homehelp/cases/{case}/visits/new/",
            "data": {
                "volunteer": volunteer,
                "visited_on": today.isoformat(),
                "minutes": 45,
                "services": service.pk,
                "notes": "Benchmark visit",
            },
        }
        for case, volunteer in cases[:50]
    ]
    officer, state, hq = "officer", "state", "HQ"
    return [
        [20, "officer", officer, "/homehelp/"],
        [10, "officer", officer, "/homehelp/cases/"],
        [20, "officer", officer, [f"/homehelp/cases/{case}/" for case, _ in cases]],
        [10, "officer form", officer, visit_posts],
        [8, "officer", officer, [f"/homehelp/volunteers/{pk}/" for pk in volunteers]],
        [4, "officer", officer, "/homehelp/visits/"],
        [8, "officer", officer, project.get_absolute_url()],
        [3, "state/HQ lists", state, "/homehelp/cases/"],
        [2, "state/HQ lists", state, "/projects/"],
        [3, "state/HQ lists", hq, "/projects/"],
        [2, "state/HQ lists", hq, "/homehelp/cases/?status=active&due=true"],
        [3, "state/HQ lists", hq, "/homehelp/visits/"],
        [2, "state/HQ lists", hq, "/homehelp/volunteers/"],
        [1, "reports", hq, "/reports/projects-by-state/"],
        [1, "reports", hq, "/reports/home-help/"],
        [1, "reports", hq, "/reports/monthly/"],
        [1, "reports", state, f"/reports/projects-by-office/?state={office.state.code}"],
        [1, "reports", hq, "/"],
    ]


def check_reports():
    """The hand-written SQL must give the report's numbers, or the ratio means nothing."""
    today = date.today()
    states, total = queries.projects_by_state(as_of=today)
    by_state, national = run_sql(PROJECTS_BY_STATE_SQL, {"as_of": today})()
    expected = [(s.pk, s.projects, s.participants, s.persons) for s in states]
    if [(r[0], r[3], r[4], r[5]) for r in by_state] != expected or national[0][0] != total[
        "persons"
    ]:
        raise RuntimeError("Hand-written SQL for projects by state disagrees with the report.")
    year = today.year
    states, total = queries.home_help_by_state(year=year)
    period = {"first": date(year, 1, 1), "last": date(year, 12, 31)}
    by_state, national = run_sql(HOME_HELP_SQL, period)()
    expected = [(s.pk, s.clients_served, s.volunteers, s.visits, s.minutes) for s in states]
    if [(r[0], r[3], r[4], r[5], r[6]) for r in by_state] != expected or national[0][2] != total[
        "visits"
    ]:
        raise RuntimeError("Hand-written SQL for home help disagrees with the report.")
