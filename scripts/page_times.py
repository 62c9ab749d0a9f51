"""Server time of the form and list pages against the time of their own SQL.

Each page is asked through Django's test client (median of warm runs); its
queries are captured once and run again alone, in a transaction rolled back,
through the same connection: the page's SQL time. The ratio page ÷ SQL is what
rendering (forms, templates) and Python add to the queries. With --profile NAME,
one page's cProfile, by cumulative time.

Usage, against a database filled by `manage.py generate_data --scale M|L
--office PKMD-1005 ...` (scripts/bench.py does it):
    DATABASE_URL=postgres://.../welfare_bench_l SECRET_KEY=x DEBUG=false \
        ALLOWED_HOSTS=testserver .venv/bin/python scripts/page_times.py [--runs 15]
"""

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

# --code DIR measures another checkout of the project (a before-and-after).
CODE = sys.argv[sys.argv.index("--code") + 1] if "--code" in sys.argv else None
sys.path.insert(0, CODE or str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "welfare.settings")
os.environ.setdefault("OTP_REQUIRED_ROLES", "none")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import Group  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from homehelp.models import Case, Visit, Volunteer  # noqa: E402
from welfare.models import Office, Role, User  # noqa: E402

OFFICE = "PKMD-1005"


def signed_in(username, role, **fields):
    user, _ = User.objects.get_or_create(username=username, defaults=fields)
    User.objects.filter(pk=user.pk).update(**fields)
    user.groups.set([Group.objects.get(name=role)])
    client = Client()
    client.force_login(user)
    return client


def pages():
    office = Office.objects.get(code=OFFICE)
    officer = signed_in("pages.officer", Role.DISTRICT_OFFICER, office=office)
    hq = signed_in("pages.hq", Role.HQ)
    case = (
        Visit.objects.filter(case__office=office, case__status=Case.Status.ACTIVE)
        .values("case")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()["case"]
    )
    visit = Visit.objects.filter(case=case).order_by("-visited_on").first()
    volunteers = Volunteer.objects.filter(office=office, active=True).count()
    return [
        ("officer: cases of the office", officer, "/homehelp/cases/"),
        (f"officer: case page with the visit form ({volunteers} volunteers)", officer,
         f"/homehelp/cases/{case}/"),
        ("officer: visit form page", officer, f"/homehelp/visits/{visit.pk}/edit/"),
        ("officer: case form page", officer, f"/homehelp/cases/{case}/edit/"),
        ("officer: visits of the office", officer, "/homehelp/visits/"),
        ("HQ: projects", hq, "/projects/"),
        ("HQ: cases", hq, "/homehelp/cases/"),
        ("HQ: visits", hq, "/homehelp/visits/"),
        ("HQ: volunteers", hq, "/homehelp/volunteers/"),
        ("HQ: organisations", hq, "/homehelp/organisations/"),
        ("HQ: volunteer suggestions", hq, "/homehelp/volunteers/suggest/?q=ah"),
        ("HQ: report, projects by office, every office", hq, "/reports/projects-by-office/"),
        ("HQ: report, projects by office, Selangor", hq,
         "/reports/projects-by-office/?state=MY-10"),
        ("HQ: report, home help by office", hq, "/reports/home-help-by-office/"),
        ("HQ: report, coverage by constituency", hq, "/reports/constituencies/"),
    ]  # fmt: skip


def get(client, url):
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}")
    return response


def median_ms(function, runs, clock=time.perf_counter):
    function()
    function()
    times = []
    for _ in range(runs):
        started = clock()
        function()
        times.append(clock() - started)
    return statistics.median(times) * 1000


def sql_of(client, url):
    with CaptureQueriesContext(connection) as captured:
        get(client, url)
    return [
        q["sql"]
        for q in captured.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO"))
    ]


def run_sql(statements):
    with transaction.atomic():
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
                if cursor.description:
                    cursor.fetchall()
        transaction.set_rollback(True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--profile", help="a page name's start, to profile")
    parser.add_argument("--only", help="measure only pages whose name contains this")
    parser.add_argument("--sort", default="cumulative", help="the profile's order: tottime, ...")
    parser.add_argument("--code", help="the checkout to measure (default: this one)")
    options = parser.parse_args()
    # Python's own time (CPU of this process) is what other processes' load
    # on a shared machine changes least; the page's and the SQL's are wall times.
    print(f"{'page':62} {'page ms':>8} {'CPU ms':>7} {'SQL ms':>7} {'ratio':>6} {'queries':>7}")
    for name, client, url in pages():
        if options.only and options.only not in name:
            continue
        try:
            get(client, url)
        except RuntimeError as error:
            print(f"{name:62} {error}")
            continue
        if options.profile and name.startswith(options.profile):
            profile = cProfile.Profile()
            profile.runcall(lambda client=client, url=url: [get(client, url) for _ in range(5)])
            pstats.Stats(profile).sort_stats(options.sort).print_stats(40)
        statements = sql_of(client, url)
        page = median_ms(lambda client=client, url=url: get(client, url), options.runs)
        cpu = median_ms(lambda c=client, u=url: get(c, u), options.runs, time.process_time)
        sql = median_ms(lambda statements=statements: run_sql(statements), options.runs)
        print(f"{name:62} {page:8.1f} {cpu:7.1f} {sql:7.1f} {page / sql:6.2f} {len(statements):7}")


if __name__ == "__main__":
    main()
