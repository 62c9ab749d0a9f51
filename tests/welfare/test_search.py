"""The header's search box (/search/?q=): every word of the name in any order,
accents and case ignored, through welfare.people.search_q."""

import pytest
from django.db.utils import ConnectionHandler

from tests.factories import CaseFactory, ParticipationFactory, PersonFactory, ProjectFactory
from welfare.people import strip_accents


@pytest.fixture
def ramlah(office):
    return PersonFactory(office=office, name="Hajah Ramlah binti Yusof")


@pytest.mark.parametrize("text", ["ramlah yusof", "yusof ramlah", "RAMLAH", "Yusóf Rämlah"])
def test_every_word_in_any_order_and_without_accents_finds_the_person(
    client, officer, ramlah, text
):
    PersonFactory(office=ramlah.office, name="Ramlah binti Ahmad")
    client.force_login(officer)
    page = client.get("/search/", {"q": text}).text
    assert "Hajah Ramlah binti Yusof" in page
    assert ("Ramlah binti Ahmad" in page) == (text == "RAMLAH")


def test_a_name_written_with_accents_is_found_without_them(client, officer, office):
    PersonFactory(office=office, name="Zoë Bélanger")
    client.force_login(officer)
    assert "Zoë Bélanger" in client.get("/search/", {"q": "zoe belanger"}).text


def test_lists_search_the_same_way(client, officer, office):
    project = ProjectFactory(office=office)
    ParticipationFactory(project=project, person=PersonFactory(office=office, name="Siti Zaleha Ömar"))  # fmt: skip
    CaseFactory(office=office, client=PersonFactory(office=office, name="Ah Kow Tân"))
    client.force_login(officer)
    assert "Siti Zaleha" in client.get(project.get_absolute_url(), {"q": "omar siti"}).text
    assert "Ah Kow" in client.get("/homehelp/cases/", {"q": "tan ah"}).text


def test_the_results_name_each_persons_projects_and_cases(client, officer, ramlah):
    project = ProjectFactory(office=ramlah.office, name="Kelas Jahitan Petaling")
    ParticipationFactory(project=project, person=ramlah)
    CaseFactory(office=ramlah.office, client=ramlah)
    client.force_login(officer)
    page = client.get("/search/", {"q": "yusof ramlah"}).text
    assert "Kelas Jahitan Petaling" in page
    assert ramlah.office.name in page


def test_the_search_makes_as_many_queries_for_many_people_as_for_one(
    client, officer, office, django_assert_max_num_queries
):
    client.force_login(officer)
    PersonFactory(office=office, name="Ramlah Satu")
    client.get("/search/", {"q": "ramlah"})
    # session, user, groups; count, page of people; their participations, cases,
    # volunteer roles (one query each); the disclosure of MyKads; the access log.
    with django_assert_max_num_queries(14) as one:
        client.get("/search/", {"q": "ramlah"})
    for n in range(15):
        person = PersonFactory(office=office, name=f"Ramlah {n}")
        CaseFactory(office=office, client=person)
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get("/search/", {"q": "ramlah"}).text
    assert "Ramlah 14" in page


def test_the_sqlite_demo_database_strips_accents_too(django_db_blocker):
    connection = ConnectionHandler({"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}})["default"]  # fmt: skip
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute("SELECT unaccent('Zoë Bélanger') LIKE unaccent('%%BELANGER%%')")
        assert cursor.fetchone() == (1,)
    connection.close()
    assert strip_accents("Ñoño Ä") == "Nono A"
