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
