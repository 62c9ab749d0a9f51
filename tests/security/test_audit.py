"""The audit trail: who changed what, when, from where, old and new values, read on
the record's page in words; and the access log of person and case pages and exports."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from simple_history.utils import bulk_create_with_history

from homehelp.models import Case
from programs.models import Participation, Project
from tests.factories import (
    CaseFactory,
    ParticipationFactory,
    PersonFactory,
    ProjectFactory,
    VolunteerFactory,
    make_mykad,
)
from welfare.audit import history_in_words
from welfare.models import AccessLog


def project_form(project, **changes):
    return {
        "name": project.name,
        "project_type": project.project_type,
        "status": project.status,
        "office": project.office_id,
        "district": "",
        "start_date": project.start_date.isoformat(),
        "end_date": "",
        "objectives": [],
        "description": "",
        "local_resources": "",
        "budget": "0",
        "officer_in_charge": "",
        "version": project.version,
        **changes,
    }


@pytest.fixture
def project(office):
    return ProjectFactory(name="Kebun komuniti", office=office, status=Project.Status.ACTIVE)


# --- what the history keeps ------------------------------------------------------


def test_a_change_through_the_form_keeps_who_when_address_and_both_values(client, officer, project):
    officer.first_name = "Rahim"
    officer.save()
    client.force_login(officer)
    response = client.post(
        reverse("programs:project-edit", args=[project.pk]),
        project_form(project, status="completed"),
        REMOTE_ADDR="10.1.2.3",
    )
    assert response.status_code == 302
    latest, created = project.history.order_by("-history_date")[:2]
    assert latest.history_type == "~"
    assert latest.history_user == officer
    assert latest.ip_address == "10.1.2.3"
    changes = {c.field: (c.old, c.new) for c in latest.diff_against(created).changes}
    assert changes["status"] == ("active", "completed")


def test_the_page_tells_the_history_in_words_with_the_change_highlighted(client, officer, project):
    officer.first_name = "Rahim"
    officer.save()
    client.force_login(officer)
    client.post(
        reverse("programs:project-edit", args=[project.pk]),
        project_form(project, status="completed"),
    )
    response = client.get(project.get_absolute_url())
    assert "Rahim changed status from <del>Active</del> to <mark>Completed</mark> on" in (
        response.text
    )
    assert "The system created this record on" in response.text


def test_a_removed_participant_leaves_a_deletion_with_its_author(client, officer, project):
    participation = ParticipationFactory(project=project)
    client.force_login(officer)
    client.post(reverse("programs:participation-remove", args=[participation.pk]))
    assert not Participation.objects.filter(pk=participation.pk).exists()
    deleted = Participation.history.get(id=participation.pk, history_type="-")
    assert deleted.history_user == officer
    assert deleted.person_id == participation.person_id


def test_the_address_behind_the_proxy_is_the_one_the_proxy_added(
    client, officer, project, settings
):
    settings.BEHIND_PROXY = True
    settings.TRUSTED_PROXIES = ["127.0.0.1"]  # the test client's REMOTE_ADDR
    client.force_login(officer)
    client.post(
        reverse("programs:project-edit", args=[project.pk]),
        project_form(project, name="Renamed"),
        HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.9",
    )
    assert project.history.latest("history_date").ip_address == "203.0.113.9"


def test_bulk_creation_with_history_keeps_a_record_of_each_row(officer, project):
    people = PersonFactory.create_batch(3)
    rows = [
        Participation(project=project, person=p, target_group="community", joined_on=date.today())
        for p in people
    ]
    bulk_create_with_history(
        rows, Participation, default_user=officer, custom_historical_attrs={"ip_address": "::1"}
    )
    history = Participation.history.filter(project_id=project.pk)
    assert history.count() == 3
    assert {h.history_user for h in history} == {officer}


def test_views_and_forms_never_bulk_write_without_history():
    """Bulk writes skip save() and so the history: the app code uses simple-history's
    bulk_*_with_history (only reports' demo and generator commands may not)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    offenders = []
    for app in ["welfare", "programs", "homehelp", "reports"]:
        for path in (root / app).rglob("*.py"):
            if "migrations" in path.parts or "management" in path.parts:
                continue
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                if (".bulk_create(" in line or ".bulk_update(" in line) and (
                    "AccessLog" not in line and "history" not in line.lower()
                ):
                    offenders.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    allowed = {"welfare/imports.py", "welfare/audit.py"}  # models without history; the log
    assert [o for o in offenders if o.split(":")[0] not in allowed] == []


# --- who may read it --------------------------------------------------------------


def test_history_is_read_through_the_same_scope_as_the_record(
    client, state_officer, far_officer, project
):
    client.force_login(state_officer)
    assert "History" in client.get(project.get_absolute_url()).text
    client.force_login(far_officer)
    assert client.get(project.get_absolute_url()).status_code == 404


def test_case_and_volunteer_pages_show_their_history(client, officer, office):
    case = CaseFactory(office=office)
    case.notes = "Lives upstairs"
    case.save()
    volunteer = VolunteerFactory(office=office)
    client.force_login(officer)
    text = client.get(case.get_absolute_url()).text
    assert "changed notes from <del>(empty)</del> to <mark>Lives upstairs</mark>" in text
    assert "created this record" in client.get(volunteer.get_absolute_url()).text


def test_person_history_with_old_addresses_only_for_the_recording_offices_scope(
    client, officer, neighbour_officer, office, neighbour_office
):
    person = PersonFactory(office=office, address="Old street 1")
    person.address = "New street 2"
    person.save()
    ParticipationFactory(
        project=ProjectFactory(office=neighbour_office), person=person, left_on=date(2024, 3, 1)
    )
    client.force_login(officer)
    assert "Old street 1" in client.get(person.get_absolute_url()).text
    client.force_login(neighbour_officer)
    response = client.get(person.get_absolute_url())
    assert response.status_code == 200
    assert "Old street 1" not in response.text
    assert "History" not in response.text


def test_linked_records_are_named_and_the_queries_do_not_grow_with_changes(officer, office):
    case = CaseFactory(office=office)
    volunteers = VolunteerFactory.create_batch(3, office=office)

    def queries_for_history():
        with CaptureQueriesContext(connection) as queries:
            entries = history_in_words(Case.objects.get(pk=case.pk))
        return len(queries) - 1, entries  # less the case itself

    for volunteer in volunteers[:1]:
        case.volunteer = volunteer
        case.save()
    few, _entries = queries_for_history()
    for _round in range(10):
        for volunteer in volunteers:
            case.volunteer = volunteer
            case.save()
    many, entries = queries_for_history()
    assert few == many == 2  # the versions with their users; the volunteers with their people
    assert entries[0].changes[0].new == str(volunteers[-1].person)


# --- the access log --------------------------------------------------------------


def test_a_person_page_and_a_case_page_are_logged_with_user_and_address(client, officer, office):
    case = CaseFactory(office=office)
    client.force_login(officer)
    client.get(case.client.get_absolute_url(), REMOTE_ADDR="10.9.8.7")
    client.get(case.get_absolute_url(), REMOTE_ADDR="10.9.8.7")
    logged = AccessLog.objects.filter(person=case.client).order_by("at")
    assert [(e.user, e.action, e.object_type, e.ip_address) for e in logged] == [
        (officer, "view", "person", "10.9.8.7"),
        (officer, "view", "case", "10.9.8.7"),
    ]


def test_an_out_of_scope_attempt_logs_nothing(client, far_officer, office):
    person = PersonFactory(office=office)
    client.force_login(far_officer)
    assert client.get(person.get_absolute_url()).status_code == 404
    assert not AccessLog.objects.exists()


@pytest.mark.parametrize("url_name", ["programs:participants-csv", "programs:participants-xlsx"])
def test_a_participant_export_logs_every_person_in_it(client, officer, project, url_name):
    participations = ParticipationFactory.create_batch(3, project=project)
    client.force_login(officer)
    response = client.get(reverse(url_name, args=[project.pk]))
    assert response.status_code == 200
    response.getvalue()  # the CSV is streamed: logged before its first person's line
    exported = AccessLog.objects.filter(action="export", object_type="project")
    assert {e.person_id for e in exported} == {p.person_id for p in participations}


@pytest.mark.parametrize(
    "url",
    [
        "/homehelp/cases/export.csv",
        "/reports/projects-by-state/?format=csv",
        "/homehelp/organisations/export.xlsx",
    ],
)
def test_every_export_is_logged(client, officer, office, url):
    case = CaseFactory(office=office)
    client.force_login(officer)
    response = client.get(url)
    assert response.status_code == 200, url
    entries = AccessLog.objects.filter(user=officer, action="export")
    assert entries.exists()
    if "cases" in url:
        assert [e.person for e in entries] == [case.client]


def test_administrators_find_who_saw_a_person_by_mykad(client, officer, administrator, office):
    person = PersonFactory(office=office, mykad=make_mykad(77, born=date(1948, 3, 2)))
    other = PersonFactory(office=office)
    client.force_login(officer)
    client.get(person.get_absolute_url())
    client.get(other.get_absolute_url())
    client.force_login(administrator)
    dashed = f"{person.mykad[:6]}-{person.mykad[6:8]}-{person.mykad[8:]}"
    response = client.get(reverse("admin:welfare_accesslog_changelist"), {"q": dashed})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == list(AccessLog.objects.filter(person=person))
    assert "rahim" in response.text


def test_the_person_page_links_administrators_to_its_access_log(client, administrator, office):
    person = PersonFactory(office=office)
    client.force_login(administrator)
    response = client.get(person.get_absolute_url())
    assert f"/admin/welfare/accesslog/?person__id__exact={person.pk}" in response.text


def test_officers_cannot_read_or_change_the_access_log(client, officer, administrator, office):
    person = PersonFactory(office=office)
    client.force_login(officer)
    client.get(person.get_absolute_url())  # the officer's own view is logged
    entry = AccessLog.objects.get(person=person)
    response = client.get(reverse("admin:welfare_accesslog_changelist"))
    assert response.status_code == 302 and response.url.startswith(reverse("admin:login"))
    client.force_login(administrator)
    assert client.get(reverse("admin:welfare_accesslog_add")).status_code == 403
    client.post(reverse("admin:welfare_accesslog_add"), {"reason": "made up"})
    client.post(reverse("admin:welfare_accesslog_change", args=[entry.pk]), {"reason": "tampered"})
    client.post(reverse("admin:welfare_accesslog_delete", args=[entry.pk]), {"post": "yes"})
    entry.refresh_from_db()  # still there, unchanged, and nothing added
    assert entry.reason == "" and entry.user == officer
    assert list(AccessLog.objects.filter(person=person)) == [entry]


# --- the administrators' guide ----------------------------------------------------


def test_the_guide_is_for_administrators(client, administrator, hq, officer):
    client.force_login(administrator)
    response = client.get(reverse("guide"))
    assert response.status_code == 200
    for heading in ["Roles", "Adding an officer", "Reading the audit trail", "data breach"]:
        assert heading in response.text
    assert "72 hours" in response.text
    assert reverse("guide") in client.get("/").text  # linked in the menu
    for user in [hq, officer]:
        client.force_login(user)
        assert client.get(reverse("guide")).status_code == 403
    client.logout()
    assert client.get(reverse("guide")).status_code == 302
