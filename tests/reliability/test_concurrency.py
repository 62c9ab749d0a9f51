from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import Client

from programs.models import Participation
from tests.factories import ProjectFactory
from welfare.models import Person


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises all writers")
@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_creations_of_one_new_mykad_make_one_person(officer):
    projects = ProjectFactory.create_batch(20, office=officer.office)

    def add(project):
        client = Client()
        client.force_login(officer)
        try:
            return client.post(
                f"/projects/{project.pk}/participants/add/",
                {
                    "mykad": "480315-10-5557",
                    "name": "Tan Ah Kow",
                    "target_group": "client",
                    "joined_on": "2026-03-02",
                },  # fmt: skip
            ).status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(add, projects))

    assert statuses == [302] * 20
    assert Person.objects.filter(mykad="480315105557").count() == 1
    assert Participation.objects.filter(person__mykad="480315105557").count() == 20


def test_submitting_the_same_participant_twice_enrols_once(client, officer):
    project = ProjectFactory(office=officer.office)
    client.force_login(officer)
    data = {"mykad": "480315-10-5557", "name": "Tan Ah Kow", "target_group": "client",
            "joined_on": "2026-03-02"}  # fmt: skip
    first = client.post(f"/projects/{project.pk}/participants/add/", data)
    second = client.post(f"/projects/{project.pk}/participants/add/", data)
    assert first.status_code == 302
    assert second.status_code == 200
    assert "already" in second.text
    assert project.participations.count() == 1
