import csv
import io
from datetime import date

from django.core.management import call_command

from tests.factories import ParticipationFactory, VisitFactory

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
