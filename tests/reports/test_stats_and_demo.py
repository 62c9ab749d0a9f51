import csv
import io
from datetime import date

import pytest
from django.core.cache import cache
from django.core.management import call_command

from tests.factories import ParticipationFactory, ProjectFactory, VisitFactory

PUBLISHED = [  # the seed page's table, until October 2012
    ("Perlis", 1, 6), ("Kedah", 2, 7), ("Perak", 3, 15), ("Selangor", 1, 5),
    ("Federal Territory of Kuala Lumpur", 10, 46), ("Negeri Sembilan", 8, 36), ("Johor", 4, 36),
    ("Malacca", 4, 20), ("Pahang", 1, 7), ("Terengganu", 3, 14), ("Kelantan", 11, 93),
]  # fmt: skip


def test_stats_page_is_public_and_shows_no_person(client, db):
    participation = ParticipationFactory(joined_on=date.today(), project__start_date=date.today())
    visit = VisitFactory(visited_on=date.today())
    response = client.get("/stats/")
    assert response.status_code == 200
    assert "Community Organization Programme" in response.text
    assert "Home Help Services" in response.text
    for name in [participation.person.name, visit.case.client.name, visit.volunteer.person.name]:
        assert name not in response.text
    assert participation.person.mykad[-4:] not in response.text


@pytest.mark.slow
def test_demo_data_rebuilds_the_published_figures(client, hq):
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
    # The demo volunteer's phone page shows their open cases.
    assert client.login(username="volunteer.petaling", password="demo-welfare-2026")
    assert "Record a visit" in client.get("/homehelp/my/").text


def test_stats_reads_the_summaries_only(client, db, refresh):
    project = ProjectFactory(start_date=date(2020, 1, 1))
    ParticipationFactory(project=project, joined_on=date(2020, 2, 1))
    assert "Figures as at" not in client.get("/stats/").text  # never refreshed
    cache.clear()
    refresh()
    page = client.get("/stats/").text
    assert "Figures as at" in page
    total = page.split("<tfoot")[1].split("</tfoot>")[0]
    assert ">1<" in total


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


def test_stats_in_malay_by_link_or_browser(client, db, refresh):
    refresh()
    assert "Statistik program" in client.get("/stats/", {"lang": "ms"}).text
    assert "Statistik program" in client.get("/stats/", HTTP_ACCEPT_LANGUAGE="ms").text
    assert "Programme statistics" in client.get("/stats/", HTTP_ACCEPT_LANGUAGE="en").text
    assert 'href="?lang=ms&amp;year=' in client.get("/stats/").text


def test_stats_of_a_signed_in_user_are_kept_by_nobody(client, officer, refresh):
    refresh()
    client.force_login(officer)
    response = client.get("/stats/")
    assert response.status_code == 200
    assert "public" not in response.get("Cache-Control", "")
    assert officer.username in response.text
    client.logout()
    assert officer.username not in client.get("/stats/").text
