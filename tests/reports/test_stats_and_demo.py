import csv
import io
from datetime import date

import pytest
from django.core.cache import cache
from django.core.management import call_command

from reports.models import Edition
from tests.factories import ParticipationFactory, ProjectFactory, VisitFactory

PUBLISHED = [  # the seed page's table, until October 2012
    ("Perlis", 1, 6), ("Kedah", 2, 7), ("Perak", 3, 15), ("Selangor", 1, 5),
    ("Federal Territory of Kuala Lumpur", 10, 46), ("Negeri Sembilan", 8, 36), ("Johor", 4, 36),
    ("Malacca", 4, 20), ("Pahang", 1, 7), ("Terengganu", 3, 14), ("Kelantan", 11, 93),
]  # fmt: skip


def test_stats_page_is_public_and_shows_no_person(client, hq, refresh):
    participation = ParticipationFactory(joined_on=date.today(), project__start_date=date.today())
    visit = VisitFactory(visited_on=date.today())
    refresh()
    client.force_login(hq)
    client.post("/reports/editions/publish/", {"table": "projects-by-state"})
    client.post("/reports/editions/publish/", {"table": "home-help-by-state"})
    client.logout()
    cache.clear()
    response = client.get("/stats/")
    assert response.status_code == 200
    assert "Projects and participants by state" in response.text
    assert "Home Help Services by state" in response.text
    for name in [participation.person.name, visit.case.client.name, visit.volunteer.person.name]:
        assert name not in response.text
    assert participation.person.mykad[-4:] not in response.text


@pytest.mark.slow
def test_demo_data_rebuilds_and_publishes_the_published_figures(client, hq):
    call_command("load_demo", stdout=io.StringIO())
    call_command("load_demo", stdout=io.StringIO())  # idempotent
    client.force_login(hq)
    response = client.get("/reports/projects-by-state/", {"as_of": "2012-10-31", "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(response.getvalue().decode())))
    published = [
        (r["state"], int(r["projects"]), int(r["participants"]))
        for r in rows
        if r["projects"] != "0"
    ]
    assert published[:-1] == PUBLISHED
    assert published[-1] == ("TOTAL", 48, 285)
    response = client.get("/reports/home-help/", {"year": 2011, "format": "csv"})
    total = list(csv.DictReader(io.StringIO(response.getvalue().decode())))[-1]
    assert (total["clients_served"], total["volunteers"]) == ("915", "207")
    # The two published tables are editions, once, shown by /stats/ unchanged.
    projects, home_help = Edition.objects.order_by("pk")
    assert Edition.objects.count() == 2
    assert (projects.as_of, projects.version) == (date(2012, 10, 31), 1)
    assert projects.public_cells["total"] == [48, 285, 285] and projects.withheld == 0
    assert home_help.year == 2011 and home_help.public_cells["total"][:2] == [915, 207]
    assert home_help.withheld == 0
    assert projects.completeness == {"months": ["2012-10"], "confirmed": 160, "offices": 160}
    client.logout()
    page = client.get("/stats/").text
    assert "Until 31 October 2012" in page and "In 2011" in page
    assert ">285<" in page and ">915<" in page and ">207<" in page
    assert "160 of 160 offices confirmed their records for October 2012 complete." in page
    listed = client.get("/stats/editions/").json()
    assert {e["table"] for e in listed} == {"projects-by-state", "home-help-by-state"}
    seed_csv = client.get(f"/stats/editions/{projects.pk}.csv").content.decode()
    lines = list(csv.DictReader(io.StringIO(seed_csv)))
    assert [(r["state"], int(r["projects"]), int(r["participants"])) for r in lines
            if r["projects"] != "0"] == [*PUBLISHED, ("TOTAL", 48, 285)]  # fmt: skip
    # The demo volunteer's phone page shows their open cases.
    assert client.login(username="volunteer.petaling", password="demo-welfare-2026")
    assert "Record a visit" in client.get("/homehelp/my/").text


def test_stats_reads_the_published_editions_not_todays_figures(client, hq, db, refresh):
    project = ProjectFactory(start_date=date(2020, 1, 1))
    ParticipationFactory(project=project, joined_on=date(2020, 2, 1))
    refresh()
    assert "No table has been published yet." in client.get("/stats/").text
    client.force_login(hq)
    client.post("/reports/editions/publish/", {"table": "projects-by-state"})
    client.logout()
    ParticipationFactory.create_batch(5, project=project, joined_on=date(2020, 3, 1))
    refresh()
    cache.clear()
    page = client.get("/stats/").text
    total = page.split("<tfoot")[1].split("</tfoot>")[0]
    assert ">1<" in total and ">6<" not in total


def test_stats_is_kept_by_caches_and_sets_no_cookie(client, db, refresh,
                                                     django_assert_num_queries):  # fmt: skip
    refresh()
    first = client.get("/stats/")
    assert first.status_code == 200
    assert not first.cookies  # no CSRF cookie, no session
    assert "csrfmiddlewaretoken" not in first.text
    assert "public" in first["Cache-Control"] and "max-age=60" in first["Cache-Control"]
    # Served from this process's cache: no query at all.
    with django_assert_num_queries(0):
        again = client.get("/stats/")
    assert again.content == first.content
    assert not again.cookies


@pytest.mark.parametrize(
    "cookie",
    [
        {"sessionid": "a-session-that-has-ended-long-ago"},  # stale: would be deleted
        {"sessionid": "x"},  # malformed: would be deleted
        {"csrftoken": "not-a-token"},  # malformed: would be replaced
    ],
)
def test_stats_set_no_cookie_whatever_cookies_come(client, db, refresh, cookie):
    refresh()
    for name, value in cookie.items():
        client.cookies[name] = value
    response = client.get("/stats/")
    assert "public" in response["Cache-Control"]
    assert "Set-Cookie" not in response.headers
    assert not response.cookies
    assert "Programme statistics" in response.text


def test_stats_in_malay_by_link_or_browser(client, db, refresh):
    refresh()
    assert "Statistik program" in client.get("/stats/", {"lang": "ms"}).text
    assert "Statistik program" in client.get("/stats/", HTTP_ACCEPT_LANGUAGE="ms").text
    assert "Programme statistics" in client.get("/stats/", HTTP_ACCEPT_LANGUAGE="en").text
    assert 'href="?lang=ms"' in client.get("/stats/").text


def test_stats_of_a_signed_in_user_are_kept_by_nobody(client, officer, refresh):
    refresh()
    client.force_login(officer)
    response = client.get("/stats/")
    assert response.status_code == 200
    assert "public" not in response.get("Cache-Control", "")
    assert officer.username in response.text
    client.logout()
    assert officer.username not in client.get("/stats/").text
