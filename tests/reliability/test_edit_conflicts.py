"""Two users open the same record and both save: the second is told what changed
and nothing the first saved is lost; saving again re-applies the second's values."""

import pytest
from django.urls import reverse

from tests.conftest import signed_in_as
from tests.factories import (
    CaseFactory,
    PersonFactory,
    ProjectFactory,
    UserFactory,
    VolunteerFactory,
)
from welfare.models import EditConflict

CONFLICT = (
    "Someone else saved this record while you were editing it, so your changes are not "
    "saved yet. The form now holds their changes, listed above, together with yours: "
    "check it and save again."
)
OUT_OF_DATE = (
    "This page is out of date or incomplete, so nothing was saved. Open the record again "
    "and make your changes there."
)
ADMIN_CONFLICT = (
    "Someone else saved this record since you opened it, so your changes were not saved. "
    "Open it again to see theirs."
)


def opened_form(client, url):
    """The values of the form as the page shows them, ready to post back."""
    form = client.get(url).context["form"]
    return {name: "" if form[name].value() is None else form[name].value() for name in form.fields}


@pytest.fixture
def second_officer(office):
    return UserFactory(username="officer.two", office=office, role="District officer")


def test_a_stale_save_is_refused_and_the_stored_row_kept(office):
    project = ProjectFactory(office=office, name="Kebun")
    first = type(project).objects.get(pk=project.pk)
    second = type(project).objects.get(pk=project.pk)
    first.name = "Kebun (fasa 2)"
    first.save()
    second.name = "Kebun sayur"
    with pytest.raises(EditConflict):
        second.save()
    project.refresh_from_db()
    assert (project.name, project.version) == ("Kebun (fasa 2)", 2)


@pytest.mark.parametrize("kind", ["project", "case", "person"])
def test_the_second_saver_is_told_what_changed_and_can_reapply(
    kind, office, officer, second_officer
):
    """Both change `field`; only Alice changes `other`, which Bob's re-applied
    save must not take back."""
    if kind == "project":
        record = ProjectFactory(office=office, name="Kebun")
        url = reverse("programs:project-edit", args=[record.pk])
        field, other, value = "description", "local_resources", "Tanah wakaf"
    elif kind == "case":
        record = CaseFactory(office=office, client__office=office, visit_every_days=7)
        url = reverse("homehelp:case-edit", args=[record.pk])
        field, other, value = "notes", "visit_every_days", 5
    else:
        record = PersonFactory(office=office, phone="012-3456789")
        url = reverse("person-edit", args=[record.pk])
        field, other, value = "address", "phone", "019-8765432"
    alice, bob = signed_in_as(officer), signed_in_as(second_officer)
    alice_form, bob_form = opened_form(alice, url), opened_form(bob, url)

    alice_changes = {field: "Alice was here", other: value}
    assert alice.post(url, {**alice_form, **alice_changes}).status_code == 302
    response = bob.post(url, {**bob_form, field: "Bob was here"})

    assert response.status_code == 409
    assert CONFLICT in response.text
    assert "Alice was here" in response.text  # what changed, in the list of changes
    record.refresh_from_db()
    assert getattr(record, field) == "Alice was here"
    # Bob's values are still in the form, now at the current version: saving applies them.
    again = {name: response.context["form"][name].value() for name in bob_form}
    assert again[field] == "Bob was here"
    assert bob.post(url, {**bob_form, **again}).status_code == 302
    record.refresh_from_db()
    assert (getattr(record, field), record.version) == ("Bob was here", 3)
    assert getattr(record, other) == value


def test_saving_twice_from_the_same_page_is_a_conflict_not_a_silent_overwrite(
    client, officer, office
):
    project = ProjectFactory(office=office, name="Kebun")
    url = reverse("programs:project-edit", args=[project.pk])
    client.force_login(officer)
    data = opened_form(client, url)
    assert client.post(url, {**data, "name": "Kebun A"}).status_code == 302
    assert client.post(url, {**data, "name": "Kebun B"}).status_code == 409
    project.refresh_from_db()
    assert project.name == "Kebun A"


def test_history_does_not_list_version_numbers(client, officer, office):
    person = PersonFactory(office=office, phone="012-3456789")
    person.phone = "019-8765432"
    person.save()
    client.force_login(officer)
    response = client.get(person.get_absolute_url())
    assert "019-8765432" in response.text
    assert "changed version" not in response.text


def test_the_admin_refuses_a_save_over_a_later_change(client, administrator, office):
    person = PersonFactory(office=office, phone="012-3456789")
    url = f"/admin/welfare/person/{person.pk}/change/"
    client.force_login(administrator)
    form = client.get(url).context["adminform"].form
    data = {name: "" if form[name].value() is None else form[name].value() for name in form.fields}
    person.phone = "019-8765432"
    person.save()

    response = client.post(url, {**data, "address": "Jalan 1"})

    assert response.status_code == 200
    assert ADMIN_CONFLICT in response.text
    person.refresh_from_db()
    assert (person.phone, person.address) == ("019-8765432", "")
    again = {**data, "phone": person.phone, "address": "Jalan 1"}
    response = client.post(url, {**again, "started_from_version": person.version})
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.phone, person.address) == ("019-8765432", "Jalan 1")


def test_a_conflict_on_a_record_loaded_without_history_still_explains(client, officer, office):
    project = ProjectFactory(office=office, name="Kebun")
    project.history.all().delete()  # as load_demo and generate_data write it
    url = reverse("programs:project-edit", args=[project.pk])
    client.force_login(officer)
    data = opened_form(client, url)
    type(project).objects.filter(pk=project.pk).update(version=2, name="Kebun A")
    response = client.post(url, {**data, "name": "Kebun B"})
    assert response.status_code == 409
    assert "What they changed was not recorded" in response.text


# page -> the most queries it may run (including the request's savepoint and its
# release), the same with 1 and with 20 of the rows the page lists or offers. The
# user's roles and permissions are read once per process (welfare.roles): none here.
EDIT_PAGES = {
    # with the reveals of the full MyKad, and the person's records of each kind
    "person": 12,
    "person-edit": 6,  # with the access log
    "person-delete": 8,
    "case-edit": 9,
    "project-edit": 10,
}


@pytest.mark.parametrize("rows", [1, 20])
@pytest.mark.parametrize("page", EDIT_PAGES)
def test_person_and_edit_pages_run_a_fixed_number_of_queries(
    client, officer, office, django_assert_max_num_queries, page, rows
):
    person = PersonFactory(office=office)
    for n in range(rows):  # history rows for the person's page
        person.phone = f"012-{n:07d}"
        person.save()
    case = CaseFactory(office=office, client=person)
    for _ in range(rows):  # volunteers offered by the case form
        VolunteerFactory(office=office)
    project = ProjectFactory(office=office)
    url = {
        "person": person.get_absolute_url(),
        "person-edit": reverse("person-edit", args=[person.pk]),
        "person-delete": reverse("person-delete", args=[person.pk]),
        "case-edit": reverse("homehelp:case-edit", args=[case.pk]),
        "project-edit": reverse("programs:project-edit", args=[project.pk]),
    }[page]
    client.force_login(officer)
    client.get(url)  # the session's first request renews it
    with django_assert_max_num_queries(EDIT_PAGES[page]):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("kind", ["project", "case", "person"])
@pytest.mark.parametrize("version", ["", "0"])
def test_an_edit_sent_without_its_version_is_refused_and_changes_nothing(
    kind, version, office, officer
):
    """Without the version it started from, the edit could not be checked against
    changes saved since: the form says to open the page again."""
    if kind == "project":
        record = ProjectFactory(office=office, name="Kebun")
        url = reverse("programs:project-edit", args=[record.pk])
        field = "description"
    elif kind == "case":
        record = CaseFactory(office=office, client__office=office, visit_every_days=7)
        url = reverse("homehelp:case-edit", args=[record.pk])
        field = "notes"
    else:
        record = PersonFactory(office=office, phone="012-3456789")
        url = reverse("person-edit", args=[record.pk])
        field = "address"
    client = signed_in_as(officer)
    data = opened_form(client, url)
    type(record).objects.filter(pk=record.pk).update(version=2)  # someone saved since

    response = client.post(url, {**data, "version": version, field: "Sent without a version"})

    assert response.status_code == 200
    assert OUT_OF_DATE in response.text
    record.refresh_from_db()
    assert getattr(record, field) != "Sent without a version"
    assert record.version == 2


def test_the_admin_refuses_an_edit_sent_without_its_version(client, administrator, office):
    person = PersonFactory(office=office, phone="012-3456789")
    url = f"/admin/welfare/person/{person.pk}/change/"
    client.force_login(administrator)
    form = client.get(url).context["adminform"].form
    data = {name: "" if form[name].value() is None else form[name].value() for name in form.fields}
    response = client.post(url, {**data, "started_from_version": "", "address": "Jalan 1"})
    assert response.status_code == 200
    assert ADMIN_CONFLICT in response.text
    person.refresh_from_db()
    assert (person.address, person.version) == ("", 1)


def test_the_conflict_lists_only_the_changes_made_since_the_page_was_opened(
    office, officer, second_officer
):
    person = PersonFactory(office=office, phone="012-3456789")
    person.phone = "013-1111111"  # before either opened the page: both have seen it
    person.save()
    url = reverse("person-edit", args=[person.pk])
    alice, bob = signed_in_as(officer), signed_in_as(second_officer)
    alice_form, bob_form = opened_form(alice, url), opened_form(bob, url)
    assert alice.post(url, {**alice_form, "address": "Jalan Alice"}).status_code == 302
    response = bob.post(url, {**bob_form, "address": "Jalan Bob"})
    assert response.status_code == 409
    assert [entry.record_version for entry in response.context["form"].conflict] == [3]


def test_a_record_chosen_by_the_first_saver_is_kept_when_the_second_saves_again(
    office, officer, second_officer
):
    """Bob left the volunteer as he found it: saving again keeps the one Alice
    chose, and applies his notes."""
    first = VolunteerFactory(office=office)
    other = VolunteerFactory(office=office)
    case = CaseFactory(office=office, client__office=office, volunteer=first)
    url = reverse("homehelp:case-edit", args=[case.pk])
    alice, bob = signed_in_as(officer), signed_in_as(second_officer)
    alice_form, bob_form = opened_form(alice, url), opened_form(bob, url)
    assert alice.post(url, {**alice_form, "volunteer": str(other.pk)}).status_code == 302
    response = bob.post(url, {**bob_form, "notes": "Bob was here"})
    assert response.status_code == 409
    again = {name: response.context["form"][name].value() for name in bob_form}
    assert bob.post(url, {**bob_form, **again}).status_code == 302
    case.refresh_from_db()
    assert (case.volunteer, case.notes, case.version) == (other, "Bob was here", 3)


def test_the_admin_saves_an_edit_made_over_the_current_version(client, administrator, office):
    person = PersonFactory(office=office, phone="012-3456789")
    url = f"/admin/welfare/person/{person.pk}/change/"
    client.force_login(administrator)
    form = client.get(url).context["adminform"].form
    data = {name: "" if form[name].value() is None else form[name].value() for name in form.fields}
    assert client.post(url, {**data, "address": "Jalan 1"}).status_code == 302
    person.refresh_from_db()
    assert (person.address, person.version) == ("Jalan 1", 2)


def test_a_save_moves_on_only_its_own_records_version(office):
    first, second = ProjectFactory(office=office), ProjectFactory(office=office)
    opened = type(second).objects.get(pk=second.pk)
    first.name = "Kebun A"
    first.save()
    assert type(second).objects.get(pk=second.pk).version == 1
    opened.name = "Kebun B"  # opened before the other project was saved: still current
    opened.save()
    assert type(second).objects.values_list("name", "version").get(pk=second.pk) == ("Kebun B", 2)


def test_a_save_of_some_fields_is_a_change_like_any_other(office):
    """Closing a case saves three fields: a page opened before is refused, and
    the instance that closed it may save again."""
    case = CaseFactory(office=office, client__office=office)
    opened = type(case).objects.get(pk=case.pk)
    case.close(on=case.opened_on, reason=type(case).CloseReason.MOVED_AWAY)
    assert type(case).objects.get(pk=case.pk).version == case.version == 2
    opened.notes = "Written on a page opened before the case was closed"
    with pytest.raises(EditConflict):
        opened.save()
    case.notes = "Moved to Johor Bahru"
    case.save()
    assert type(case).objects.values_list("notes", "version").get(pk=case.pk) == (
        "Moved to Johor Bahru",
        3,
    )
