from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from homehelp.models import Service
from programs.models import Participation, Project
from tests.factories import CaseFactory, ProjectFactory, VolunteerFactory
from welfare.models import Person, Submission


@pytest.mark.slow  # threads that commit, then a flush: seconds
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


@pytest.mark.slow  # threads that commit, then a flush: seconds
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises all writers")
@pytest.mark.django_db(transaction=True)
def test_ten_parallel_sends_of_one_visit_page_record_one_visit(officer):
    case = CaseFactory(office=officer.office, volunteer=VolunteerFactory(office=officer.office))
    data = {"submission": "one-page-token", "volunteer": case.volunteer_id,
            "visited_on": date.today().isoformat(), "minutes": 30,
            "services": [Service.objects.first().pk]}  # fmt: skip

    def send(_):
        client = Client()
        client.force_login(officer)
        try:
            return client.post(reverse("homehelp:visit-create", args=[case.pk]), data).status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(send, range(10)))

    assert statuses == [302] * 10
    assert case.visits.count() == 1


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


def test_a_visit_page_sent_twice_records_one_visit(client, officer, office):
    case = CaseFactory(office=office, volunteer=VolunteerFactory(office=office))
    client.force_login(officer)
    form = client.get(case.get_absolute_url()).context["visit_form"]
    data = {
        "submission": form["submission"].value(),
        "volunteer": case.volunteer_id,
        "visited_on": date.today().isoformat(),
        "minutes": 30,
        "services": [Service.objects.first().pk],
    }
    first = client.post(reverse("homehelp:visit-create", args=[case.pk]), data)
    again = client.post(reverse("homehelp:visit-create", args=[case.pk]), data, follow=True)
    assert first.status_code == 302
    assert "This visit was sent twice; it is recorded once." in again.text
    assert case.visits.count() == 1
    # The next page has a token of its own: a second visit is recorded.
    data["submission"] = again.context["visit_form"]["submission"].value()
    client.post(reverse("homehelp:visit-create", args=[case.pk]), data)
    assert case.visits.count() == 2


def test_a_project_page_sent_twice_creates_one_project(client, officer, office):
    client.force_login(officer)
    token = client.get(reverse("programs:project-create")).context["form"]["submission"].value()
    data = {"name": "Kelas jahitan", "project_type": "economic", "status": "active",
            "office": office.pk, "start_date": "2026-01-05", "budget": "100",
            "submission": token}  # fmt: skip
    assert client.post(reverse("programs:project-create"), data).status_code == 302
    assert client.post(reverse("programs:project-create"), data).status_code == 302
    assert Project.objects.filter(name="Kelas jahitan").count() == 1


@pytest.mark.django_db
def test_forgotten_submissions_are_purged_after_a_day():
    old = Submission.objects.create(token="old")
    Submission.objects.filter(pk=old.pk).update(at=timezone.now() - timedelta(days=2))
    recent = Submission.objects.create(token="recent")
    call_command("purge_deleted")
    assert list(Submission.objects.values_list("pk", flat=True)) == [recent.pk]
