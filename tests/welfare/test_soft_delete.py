"""Deleting a person hides the record everywhere, an administrator can restore
it within the retention period, and purge_deleted erases it after that."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from tests.factories import CaseFactory, PersonFactory, make_mykad
from welfare.models import Person


@pytest.fixture
def person(office):
    return PersonFactory(office=office, name="Siti Hajar", mykad=make_mykad(501))


def delete_url(person):
    return reverse("person-delete", args=[person.pk])


def deleted_days_ago(person, days):
    Person.all_objects.filter(pk=person.pk).update(deleted_at=timezone.now() - timedelta(days=days))


def test_officer_deletes_a_person_of_own_office(client, officer, person):
    client.force_login(officer)
    assert "Delete" in client.get(person.get_absolute_url()).text
    assert client.get(delete_url(person)).status_code == 200

    response = client.post(delete_url(person), follow=True)

    assert "Siti Hajar was deleted" in response.text
    deleted = Person.all_objects.get(pk=person.pk)
    assert deleted.deleted_at is not None
    assert deleted.deleted_by == officer
    # Hidden everywhere: the page, every list built on Person.objects, the scopes.
    assert client.get(person.get_absolute_url()).status_code == 404
    assert not Person.objects.filter(pk=person.pk).exists()
    assert not Person.objects.visible_to(officer).filter(pk=person.pk).exists()


@pytest.mark.parametrize(
    "cast,status",
    [("neighbour_officer", 404), ("far_officer", 404), ("state_officer", 403), ("hq", 403)],
)
def test_others_cannot_delete(client, request, person, cast, status):
    client.force_login(request.getfixturevalue(cast))
    assert client.post(delete_url(person)).status_code == status
    assert Person.objects.filter(pk=person.pk).exists()


def test_a_person_named_by_programme_records_is_not_deleted(client, officer, office, person):
    CaseFactory(client=person, office=office)
    client.force_login(officer)
    response = client.post(delete_url(person))
    assert response.status_code == 200
    assert "cannot be deleted while programme records name them (cases)" in response.text
    assert Person.objects.filter(pk=person.pk).exists()


def test_administrator_restores_within_the_retention_period(client, administrator, person):
    person.soft_delete(by=administrator)
    client.force_login(administrator)
    listing = client.get("/admin/welfare/person/?deleted_at__isnull=False")
    assert "Siti Hajar" in listing.text

    client.post("/admin/welfare/person/", {"action": "restore", "_selected_action": [person.pk]})

    assert Person.objects.filter(pk=person.pk, deleted_at=None).exists()


def test_past_the_retention_period_a_person_is_not_restored(
    client, administrator, person, settings
):
    settings.PERSON_RETENTION_DAYS = 30
    deleted_days_ago(person, 31)
    client.force_login(administrator)
    client.post("/admin/welfare/person/", {"action": "restore", "_selected_action": [person.pk]})
    assert not Person.objects.filter(pk=person.pk).exists()


def test_admin_delete_is_a_soft_delete(client, administrator, person):
    client.force_login(administrator)
    client.post(f"/admin/welfare/person/{person.pk}/delete/", {"post": "yes"})
    assert Person.all_objects.get(pk=person.pk).deleted_at is not None


def test_purge_erases_only_people_deleted_before_the_retention_period(office, settings):
    settings.PERSON_RETENTION_DAYS = 30
    old, recent, kept = (PersonFactory(office=office) for _ in range(3))
    for person in (old, recent):
        person.phone = "012-0000000"
        person.save()  # some history to erase
    deleted_days_ago(old, 31)
    deleted_days_ago(recent, 29)

    call_command("purge_deleted")

    assert set(Person.all_objects.values_list("pk", flat=True)) >= {recent.pk, kept.pk}
    assert not Person.all_objects.filter(pk=old.pk).exists()
    assert not Person.history.filter(id=old.pk).exists()
    assert Person.history.filter(id=recent.pk).exists()


@pytest.mark.parametrize(
    "cast,status",
    [("officer", 200), ("neighbour_officer", 404), ("state_officer", 403), ("hq", 403)],
)
def test_person_edit_page_by_role(client, request, person, cast, status):
    client.force_login(request.getfixturevalue(cast))
    assert client.get(reverse("person-edit", args=[person.pk])).status_code == status


def test_officer_edits_a_person(client, officer, person):
    client.force_login(officer)
    url = reverse("person-edit", args=[person.pk])
    form = client.get(url).context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    response = client.post(url, {**data, "phone": "019-1112222", "postcode": "4680"})
    assert "A postcode has 5 digits." in response.text
    response = client.post(url, {**data, "phone": "019-1112222"})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.phone == "019-1112222"
