"""The two steps of an import as two requests that may reach different servers,
what the confirmation checks again, and a preview's bounds."""

import tempfile
import time
from datetime import date, timedelta

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from programs.models import Participation
from tests.factories import ParticipationFactory, PersonFactory, make_mykad
from tests.imports.conftest import (
    PARTICIPANT_HEADINGS,
    confirm,
    csv_file,
    errors_of,
    participant_rows,
    rows_listed,
    upload,
)
from welfare import imports, mykad, roles
from welfare.models import Person, StagedImport

pytestmark = pytest.mark.django_db


def import_url(project):
    return reverse("programs:participant-import", args=[project.pk])


def forget_everything_process_local(monkeypatch, tmp_path):
    """As if the confirmation reached another server: its own caches and an
    empty temporary folder."""
    for cached in (
        imports.simplify,
        imports.staged_fields,
        mykad.compact,
        mykad.mykad_fault,
        mykad.place_of_birth,
        roles._read_roles,
    ):
        cached.cache_clear()
    for cache in caches.all():
        cache.clear()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))


def test_preview_and_confirm_may_reach_different_servers(
    client, officer, project, monkeypatch, tmp_path
):
    client.force_login(officer)
    preview = upload(
        client, import_url(project), csv_file([PARTICIPANT_HEADINGS, *participant_rows(3)])
    )
    staged = StagedImport.objects.get()  # the rows are in the database
    assert staged.token == preview.context["token"] and len(staged.rows) == 3
    forget_everything_process_local(monkeypatch, tmp_path)
    elsewhere = Client()  # only the browser's cookies travel
    elsewhere.cookies = client.cookies

    response = elsewhere.post(import_url(project), {"token": staged.token})

    assert response.status_code == 302
    assert project.participations.count() == 3
    assert not StagedImport.objects.exists()
    assert not list(tmp_path.iterdir())


def test_confirm_checks_again_the_rows_whose_person_changed(client, officer, project, far_office):
    """Row 2 reuses a recorded person, who is enrolled meanwhile; row 3's MyKad is
    recorded by another office meanwhile; row 4 stays a new person."""
    recorded = PersonFactory(mykad=make_mykad(0, born=date(1960, 3, 3)), office=project.office)
    client.force_login(officer)
    preview = upload(
        client, import_url(project), csv_file([PARTICIPANT_HEADINGS, *participant_rows(3)])
    )
    assert (preview.context["reused_count"], preview.context["new_count"]) == (1, 2)
    enrolment = ParticipationFactory(project=project, person=recorded)
    since = PersonFactory(mykad=make_mykad(1, born=date(1960, 3, 3)), office=far_office)

    refused = confirm(client, import_url(project), preview)

    assert refused.status_code == 200
    assert errors_of(refused) == [(2, "MyKad", "This person already takes part in this project.")]
    assert rows_listed(refused) == [
        ("2", f"{recorded.name} (born {recorded.birth_year})", "not valid"),
        ("3", f"{since.name} (born {since.birth_year})", "already recorded: reused"),
        ("4", "Peserta 2", "new person"),  # not checked again, listed as staged
    ]
    assert project.participations.count() == 1

    enrolment.delete()
    saved = confirm(client, import_url(project), preview)

    assert saved.status_code == 302
    assert set(project.participations.values_list("person__name", flat=True)) == {
        recorded.name,
        since.name,  # linked, not recorded twice
        "Peserta 2",
    }
    assert Person.objects.filter(mykad=since.mykad).count() == 1


def test_a_file_of_many_errors_lists_the_first_and_counts_them_all(
    client, officer, project, monkeypatch
):
    monkeypatch.setattr(imports, "MAX_ERRORS_SHOWN", 3)
    monkeypatch.setattr(imports, "PREVIEW_ROWS", 4)
    rows = [[mykad_, name, "elderly", "2025/01/15"] for mykad_, name, *_ in participant_rows(10)]
    client.force_login(officer)

    preview = upload(client, import_url(project), csv_file([PARTICIPANT_HEADINGS, *rows]))

    checked = preview.context["checked"]
    assert (checked.row_count, checked.error_count) == (10, 20)
    assert [r.number for r in preview.context["error_rows"]] == [2, 3]  # 4 errors listed
    assert len(checked.shown) == 4
    assert checked.errors_by_column == [("Target group", 10), ("Joined on", 10)]
    page = preview.content.decode()
    assert "… and 16 more errors, in the rows after these." in page
    assert "… and 6 more rows." in page
    assert preview.context["token"] is None and not StagedImport.objects.exists()


def kilobytes(field):
    status = open("/proc/self/status").read()
    return int(status.split(field + ":")[1].split()[0])


@pytest.mark.slow
def test_20000_rows_with_50000_errors_are_checked_in_bounded_memory(client, officer, capsys):
    """The largest file, every row wrong in two or three columns: once 109 s and
    +906 MB, for a page of 50,000 errors."""
    rows = [["MyKad", "Name", "Client type", "Constituency", "Living arrangement", "Opened on"]]
    for n in range(20_000):
        born = date(1940, 1, 1 + n // 10_000)
        rows.append([make_mykad(n, born=born), f"Warga emas {n}", "senior", "P.999",
                     "somewhere" if n % 2 else "alone", "2025/01/15"])  # fmt: skip
    file = csv_file(rows)
    client.force_login(officer)
    open("/proc/self/clear_refs", "w").write("5")  # the peak starts again from here
    before = kilobytes("VmRSS")
    started = time.perf_counter()

    preview = client.post("/homehelp/cases/import/", {"file": file})

    seconds = time.perf_counter() - started
    growth = (kilobytes("VmHWM") - before) / 1024
    with capsys.disabled():
        print(
            f"\n20,000 case rows, 50,000 errors: preview in {seconds:.1f} s, "
            f"peak memory +{growth:.0f} MB, page {len(preview.content) / 1024:.0f} KB"
        )
    assert preview.context["error_count"] == 50_000
    assert preview.context["checked"].errors_shown <= imports.MAX_ERRORS_SHOWN + 3
    assert len(preview.content) < 500_000
    assert growth < 100
    assert not Participation.objects.exists() and not StagedImport.objects.exists()


def test_previews_never_confirmed_are_forgotten_after_a_day(client, officer, project):
    client.force_login(officer)
    for _ in range(2):
        upload(client, import_url(project), csv_file([PARTICIPANT_HEADINGS, *participant_rows(1)]))
    old, recent = StagedImport.objects.order_by("pk")
    StagedImport.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=25))

    call_command("purge_deleted")

    assert list(StagedImport.objects.all()) == [recent]


def test_a_person_deleted_for_good_since_the_preview_is_recorded_anew(client, officer, project):
    """The preview linked row 2 to a recorded person, whose record is purged
    before the confirmation: the row is checked again and records the person."""
    recorded = PersonFactory(mykad=make_mykad(0, born=date(1960, 3, 3)), office=project.office)
    client.force_login(officer)
    preview = upload(
        client, import_url(project), csv_file([PARTICIPANT_HEADINGS, *participant_rows(1)])
    )
    assert preview.context["reused_count"] == 1
    Person.all_objects.filter(pk=recorded.pk).delete()

    assert confirm(client, import_url(project), preview).status_code == 302

    person = project.participations.get().person
    assert (person.mykad, person.name) == (recorded.mykad, "Peserta 0")
    assert person.pk != recorded.pk


def test_the_confirmation_saves_the_preview_it_was_given(client, officer, project):
    """Two previews of the same project open in one session: each token
    confirms its own file."""
    client.force_login(officer)
    first = upload(
        client, import_url(project), csv_file([PARTICIPANT_HEADINGS, *participant_rows(1)])
    )
    second = upload(
        client,
        import_url(project),
        csv_file([PARTICIPANT_HEADINGS, *participant_rows(2, start=10)]),
    )
    confirm(client, import_url(project), second)
    assert set(project.participations.values_list("person__name", flat=True)) == {
        "Peserta 10",
        "Peserta 11",
    }
    confirm(client, import_url(project), first)
    assert project.participations.count() == 3


def test_a_preview_older_than_a_day_cannot_be_confirmed(client, officer, project):
    client.force_login(officer)
    preview = upload(
        client, import_url(project), csv_file([PARTICIPANT_HEADINGS, *participant_rows(1)])
    )
    StagedImport.objects.update(created_at=timezone.now() - timedelta(hours=25))

    response = client.post(import_url(project), {"token": preview.context["token"]}, follow=True)

    assert [str(m) for m in response.context["messages"]] == [
        "This import has expired; upload the file again."
    ]
    assert not Participation.objects.exists()


@pytest.mark.parametrize("planted", ["another user", "another project", "another kind"])
def test_the_staged_rows_not_only_the_session_say_whose_import_a_token_is(
    client, officer, project, neighbour_officer, planted
):
    """The session's note of a token is checked against the staged rows' own
    user, kind of import and target: a note that names another (a session
    store tampered with) confirms nothing."""
    from homehelp.models import Volunteer
    from tests.factories import OrganizationFactory

    client.force_login(officer)
    preview = upload(
        client, import_url(project), csv_file([PARTICIPANT_HEADINGS, *participant_rows(1)])
    )
    token = preview.context["token"]
    url, note, user = import_url(project), {"kind": "participants", "target": project.pk}, officer
    if planted == "another user":
        user = neighbour_officer
        project.office = neighbour_officer.own_office
        project.save()
    elif planted == "another project":
        other = type(project).objects.create(
            name="Other", project_type="economic", office=project.office,
            start_date=date(2025, 1, 1),
        )  # fmt: skip
        url, note = import_url(other), {"kind": "participants", "target": other.pk}
    else:
        organization = OrganizationFactory(pk=project.pk)
        url = reverse("homehelp:volunteer-import", args=[organization.pk])
        note = {"kind": "volunteers", "target": organization.pk}
    other_client = Client()
    other_client.force_login(user)
    session = other_client.session
    session[f"import-{token}"] = note
    session.save()

    response = other_client.post(url, {"token": token}, follow=True)

    assert "This import has expired; upload the file again." in response.text
    assert not Participation.objects.exists() and not Volunteer.objects.exists()
    assert StagedImport.objects.filter(token=token).exists()


def test_errors_are_listed_up_to_the_bound_and_not_one_row_beyond(
    client, officer, project, monkeypatch
):
    monkeypatch.setattr(imports, "MAX_ERRORS_SHOWN", 2)
    rows = [[mykad_, name, "elderly", "2025-01-15"] for mykad_, name, *_ in participant_rows(4)]
    client.force_login(officer)

    preview = upload(client, import_url(project), csv_file([PARTICIPANT_HEADINGS, *rows]))

    assert [number for number, _column, _message in errors_of(preview)] == [2, 3]
    assert "… and 2 more errors, in the rows after these." in preview.text


def test_a_row_the_database_refuses_at_confirmation_is_checked_again_unlogged(
    client, officer, project, far_office, monkeypatch
):
    """Someone enrols row 2's person between the confirmation's check and its
    insert: the insert fails, the file is checked again in full, without logging
    the look-ups again, and the page names the row."""
    from programs.imports import ParticipantImport
    from welfare.models import AccessLog

    recorded = PersonFactory(mykad=make_mykad(0, born=date(1960, 3, 3)), office=far_office)
    client.force_login(officer)
    preview = upload(
        client, import_url(project), csv_file([PARTICIPANT_HEADINGS, *participant_rows(2)])
    )
    logged = AccessLog.objects.count()
    save = ParticipantImport.save

    def save_after_someone_enrolled(importer, checked):
        ParticipationFactory(project=project, person=recorded)
        return save(importer, checked)

    monkeypatch.setattr(ParticipantImport, "save", save_after_someone_enrolled)

    response = confirm(client, import_url(project), preview)

    assert errors_of(response) == [(2, "MyKad", "This person already takes part in this project.")]
    assert [str(m) for m in response.context["messages"]] == []
    assert AccessLog.objects.count() == logged
    assert project.participations.get().person == recorded  # only the other's enrolment
    assert StagedImport.objects.exists()


def test_a_row_only_the_database_refuses_is_answered_with_a_message(
    client, officer, project, monkeypatch
):
    from django.db import IntegrityError

    from programs.imports import ParticipantImport

    def refused(importer, checked):
        raise IntegrityError("a rule only the database checks")

    monkeypatch.setattr(ParticipantImport, "save", refused)
    client.force_login(officer)
    preview = upload(
        client, import_url(project), csv_file([PARTICIPANT_HEADINGS, *participant_rows(1)])
    )

    response = confirm(client, import_url(project), preview)

    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == [
        "The database refused a row; nothing was saved. Check the values."
    ]
    assert errors_of(response) == [] and not Participation.objects.exists()
