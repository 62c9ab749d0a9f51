from datetime import date

import pytest
from django.db import connection
from django.urls import reverse

from programs.models import Participation
from tests.factories import ParticipationFactory, PersonFactory, make_mykad
from tests.imports.conftest import (
    PARTICIPANT_HEADINGS,
    confirm,
    csv_file,
    errors_of,
    participant_rows,
    upload,
    xlsx_file,
)
from welfare.models import Person, StagedImport

pytestmark = pytest.mark.django_db


def import_url(project):
    return reverse("programs:participant-import", args=[project.pk])


def test_one_row_from_csv_with_bom_is_previewed_then_saved(client, officer, project):
    client.force_login(officer)
    preview = upload(
        client, import_url(project), csv_file([PARTICIPANT_HEADINGS, *participant_rows(1)])
    )
    assert preview.status_code == 200
    assert preview.context["error_rows"] == []
    assert preview.context["new_count"] == 1
    assert not Person.objects.exists()  # the preview writes nothing

    response = confirm(client, import_url(project), preview)

    assert response.status_code == 302
    participation = Participation.objects.get()
    assert participation.project == project
    assert participation.target_group == "community"
    assert participation.joined_on == date(2025, 1, 15)
    person = participation.person
    assert (person.name, person.office, person.date_of_birth, person.sex) == (
        "Peserta 0",
        project.office,
        date(1960, 3, 3),
        "F",
    )
    if hasattr(Person, "history"):  # the audit trail, by the officer who imported
        assert person.history.get().history_user == officer
        assert participation.history.get().history_user == officer


def test_csv_without_bom_and_malay_headings_and_labels(client, officer, project):
    client.force_login(officer)
    rows = [
        ["No. MyKad", "Nama", "Tarikh lahir", "Jantina", "Kumpulan sasaran", "Tarikh sertai"],
        ["", "Ah Kow", "03/04/1955", "Lelaki", "Pelanggan jabatan", "15/01/2025"],
        [
            make_mykad(8, born=date(1961, 1, 1)),  # even: a woman
            "Mei Ling",
            "",
            "P",
            "Local community member",
            "2025-02-01",
        ],
    ]
    preview = upload(client, import_url(project), csv_file(rows, bom=False))
    assert errors_of(preview) == []
    confirm(client, import_url(project), preview)
    ah_kow = Participation.objects.get(person__name="Ah Kow")
    assert ah_kow.person.date_of_birth == date(1955, 4, 3)
    assert ah_kow.person.sex == "M"
    assert ah_kow.target_group == "client"
    assert ah_kow.joined_on == date(2025, 1, 15)
    assert Participation.objects.get(person__name="Mei Ling").target_group == "community"


def test_500_rows_from_excel(client, officer, project):
    client.force_login(officer)
    rows = participant_rows(500)
    rows[0][3] = date(2025, 1, 15)  # Excel dates arrive as dates
    preview = upload(client, import_url(project), xlsx_file([PARTICIPANT_HEADINGS, *rows]))
    assert errors_of(preview) == []
    confirm(client, import_url(project), preview)
    assert project.participations.count() == 500


def test_a_recorded_mykad_reuses_the_person_and_shows_only_name_and_year(
    client, officer, project, far_office
):
    other = PersonFactory(
        name="Zainab", mykad=make_mykad(1, born=date(1960, 3, 3)), office=far_office,
        phone="019-1111111", date_of_birth=date(1960, 3, 3),
    )  # fmt: skip
    client.force_login(officer)
    preview = upload(
        client, import_url(project), csv_file([PARTICIPANT_HEADINGS, *participant_rows(2)])
    )
    assert preview.context["reused_count"] == 1
    content = preview.content.decode()
    assert "Zainab" in content and "born 1960" in content
    assert "019-1111111" not in content and other.mykad not in content
    confirm(client, import_url(project), preview)
    assert Person.objects.count() == 2
    assert project.participations.filter(person=other).exists()
    other.refresh_from_db()
    assert other.name == "Zainab" and other.office == far_office  # left as it was


def test_each_kind_of_error_names_row_and_column_and_nothing_is_written(client, officer, project):
    enrolled = ParticipationFactory(project=project, person__mykad=make_mykad(99))
    client.force_login(officer)
    good = participant_rows(1)[0]
    rows = [
        PARTICIPANT_HEADINGS + ["Date of birth"],
        [*good, ""],
        ["560101-10-123", "Short MyKad", "community", "2025-01-15", ""],
        [make_mykad(2, born=date(1960, 3, 3)), "Bad date", "community", "2025/01/15", ""],
        [make_mykad(3, born=date(1960, 3, 3)), "", "community", "2025-01-15", ""],
        [make_mykad(4, born=date(1960, 3, 3)), "No group", "", "2025-01-15", ""],
        [make_mykad(5, born=date(1960, 3, 3)), "Odd group", "elderly", "2025-01-15", ""],
        [good[0], "Twice", "community", "2025-01-15", ""],
        [enrolled.person.mykad, "Enrolled", "community", "2025-01-15", ""],
        ["", "No MyKad, no birth date", "community", "2025-01-15", ""],
    ]
    preview = upload(client, import_url(project), csv_file(rows))
    errors = errors_of(preview)
    assert errors == [
        (3, "MyKad", "A MyKad number has 12 digits; this one has 11."),
        (4, "Joined on", "Enter the date as YYYY-MM-DD or DD/MM/YYYY."),
        (5, "Name", "Give the person's name."),
        (6, "Target group", "This field is required."),
        (
            7,
            "Target group",
            "“elderly” is not one of: client: Department client / Pelanggan jabatan / Klien jabatan / Klien; former_resident: Former resident or trainee of a department institution / Bekas penghuni atau pelatih institusi jabatan / Bekas penghuni / Bekas pelatih; community: Local community member / Ahli komuniti setempat / Komuniti setempat / Masyarakat setempat.",
        ),  # fmt: skip
        (8, "MyKad", "The same person is already in row 2 of this file."),
        (9, "MyKad", "This person already takes part in this project."),
        (10, "Date of birth", "Without a MyKad number, give the date of birth."),
    ]
    assert "Confirm" not in preview.content.decode()
    confirm(client, import_url(project), preview)
    assert Person.objects.count() == 1
    assert project.participations.count() == 1


def test_confirm_rechecks_the_rows(client, officer, project):
    """Someone else enrolled the person between preview and confirm."""
    client.force_login(officer)
    preview = upload(
        client, import_url(project), csv_file([PARTICIPANT_HEADINGS, *participant_rows(2)])
    )
    ParticipationFactory(project=project, person__mykad=make_mykad(1, born=date(1960, 3, 3)))
    response = confirm(client, import_url(project), preview)
    assert response.status_code == 200
    assert errors_of(response) == [(3, "MyKad", "This person already takes part in this project.")]
    assert project.participations.count() == 1


def test_the_token_belongs_to_the_session_and_the_project(
    client, officer, project, neighbour_officer
):
    from django.test import Client

    client.force_login(officer)
    preview = upload(
        client, import_url(project), csv_file([PARTICIPANT_HEADINGS, *participant_rows(1)])
    )
    stranger = Client()
    stranger.force_login(officer)  # the same user, another session
    response = stranger.post(import_url(project), {"token": preview.context["token"]})
    assert response.status_code == 302
    other_project = type(project).objects.create(
        name="Other", project_type="economic", office=project.office, start_date=date(2025, 1, 1)
    )
    client.post(import_url(other_project), {"token": preview.context["token"]})
    assert not Participation.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("people.txt", b"MyKad,Name\n", "Upload a CSV (.csv) or Excel (.xlsx) file"),
        ("people.xlsx", b"not a zip file", "could not be read as an Excel (.xlsx) file"),
        ("people.csv", "MyKad,Nama\n1,Ah Kow\n".encode("utf-16"), "The file is not in UTF-8"),
        ("people.csv", "MyKad,Nama\n,Ch\xe9\n".encode("latin-1"), "The file is not in UTF-8"),
        ("people.csv", b"", "file is empty"),
        ("people.csv", b"MyKad,Name,Target group,Joined on\n", "The file is empty"),
        ("people.csv", b"MyKad,Nama,Umur\n1,A,3\n", "Unknown column heading(s): “Umur”"),
        ("people.csv", b"MyKad,Nama\n1,A\n", "Missing column(s): Target group, Joined on."),
    ],
)
def test_files_that_cannot_be_read(client, officer, project, name, content, message):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(officer)
    response = upload(client, import_url(project), SimpleUploadedFile(name, content))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["file"])
    assert not Person.objects.exists()


def test_too_many_rows_and_too_large_files_are_refused(
    client, officer, project, monkeypatch, settings
):
    client.force_login(officer)
    monkeypatch.setattr("welfare.imports.MAX_ROWS", 3)
    response = upload(
        client, import_url(project), csv_file([PARTICIPANT_HEADINGS, *participant_rows(4)])
    )
    assert "more than 3 rows" in response.context["form"].errors["file"][0]
    settings.IMPORT_MAX_BYTES = 100
    response = upload(
        client, import_url(project), csv_file([PARTICIPANT_HEADINGS, *participant_rows(3)])
    )
    assert "larger than" in response.context["form"].errors["file"][0]


def test_access(client, project, far_project, officer, state_officer, far_officer):
    file = lambda: csv_file([PARTICIPANT_HEADINGS, *participant_rows(1)])  # noqa: E731
    response = client.get(import_url(project))
    assert response.status_code == 302 and "login" in response.url
    client.force_login(officer)
    assert client.get(import_url(project)).status_code == 200
    assert upload(client, import_url(far_project), file()).status_code == 404
    client.force_login(far_officer)
    assert client.get(import_url(project)).status_code == 404
    client.force_login(state_officer)
    assert client.get(import_url(project)).status_code == 403
    assert upload(client, import_url(project), file()).status_code == 403
    assert not Person.objects.exists()


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_templates_read_back_as_a_valid_import(client, officer, project, file_format):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(officer)
    url = reverse("programs:participant-import-template", args=[file_format])
    template = client.get(url)
    assert template.status_code == 200
    preview = upload(
        client,
        import_url(project),
        SimpleUploadedFile(f"template.{file_format}", template.getvalue()),
    )
    assert errors_of(preview) == []
    assert preview.context["new_count"] == 1


@pytest.mark.slow
def test_confirm_queries_grow_per_batch_not_per_row(
    client, officer, project, django_assert_max_num_queries
):
    client.force_login(officer)
    # SQLite takes at most 999 parameters in a statement: its batches hold fewer rows.
    batches = 1 if connection.vendor == "postgresql" else 7
    for count, start in [(500, 0), (5000, 1000)]:
        preview = upload(
            client,
            import_url(project),
            csv_file([PARTICIPANT_HEADINGS, *participant_rows(count, start=start)]),
        )
        with django_assert_max_num_queries(40 * batches):
            confirm(client, import_url(project), preview)
    assert project.participations.count() == 5500


@pytest.mark.slow
def test_5000_rows_import_whole(client, officer, project):
    """Its speed is measured by scripts/bench_imports.py (`make bench`), not here."""
    client.force_login(officer)
    file = csv_file([PARTICIPANT_HEADINGS, *participant_rows(5000)])
    preview = upload(client, import_url(project), file)
    assert preview.context["error_rows"] == [] and preview.context["new_count"] == 5000
    confirm(client, import_url(project), preview)
    assert project.participations.count() == 5000
    assert project.participations.values("person").distinct().count() == 5000


def test_a_deleted_persons_mykad_brings_the_record_back(client, officer, project, office):
    deleted = PersonFactory(
        name="Zainab", mykad=make_mykad(1, born=date(1960, 3, 3)), office=office,
        date_of_birth=date(1960, 3, 3),
    )  # fmt: skip
    deleted.soft_delete(by=officer)
    client.force_login(officer)
    preview = upload(
        client, import_url(project), csv_file([PARTICIPANT_HEADINGS, *participant_rows(2)])
    )
    assert preview.context["reused_count"] == 1
    confirm(client, import_url(project), preview)
    assert project.participations.filter(person=deleted).exists()
    assert Person.objects.filter(pk=deleted.pk).exists()  # no longer hidden


def test_the_staged_rows_stay_until_the_import_is_saved(client, officer, project):
    client.force_login(officer)
    preview = upload(
        client, import_url(project), csv_file([PARTICIPANT_HEADINGS, *participant_rows(2)])
    )
    staged = StagedImport.objects.get(token=preview.context["token"])
    assert staged.user == officer and len(staged.rows) == 2
    enrolled = ParticipationFactory(
        project=project, person__mykad=make_mykad(1, born=date(1960, 3, 3))
    )
    assert confirm(client, import_url(project), preview).status_code == 200  # refused
    assert StagedImport.objects.filter(pk=staged.pk).exists()
    enrolled.delete()
    assert confirm(client, import_url(project), preview).status_code == 302
    assert not StagedImport.objects.filter(pk=staged.pk).exists()
    assert project.participations.count() == 2


def test_imported_rows_keep_the_address_they_came_from_in_their_history(client, officer, project):
    client.force_login(officer)
    preview = upload(
        client,
        import_url(project),
        csv_file([PARTICIPANT_HEADINGS, *participant_rows(2)]),
    )
    client.post(import_url(project), {"token": preview.context["token"]}, REMOTE_ADDR="10.1.2.3")
    assert set(Participation.history.values_list("ip_address", flat=True)) == {"10.1.2.3"}
    assert set(Person.history.values_list("ip_address", flat=True)) == {"10.1.2.3"}


def test_without_a_mykad_the_same_name_and_date_of_birth_is_the_same_person(
    client, officer, project
):
    client.force_login(officer)
    rows = [
        ["No. MyKad", "Nama", "Tarikh lahir", "Kumpulan sasaran", "Tarikh sertai"],
        ["", "Ah Kow", "03/04/1955", "client", "15/01/2025"],
        ["", "ah kow", "03/04/1955", "client", "15/01/2025"],
        ["", "Ah Kow", "04/04/1955", "client", "15/01/2025"],  # another Ah Kow
    ]
    preview = upload(client, import_url(project), csv_file(rows))
    assert errors_of(preview) == [(3, "Name", "The same person is already in row 2 of this file.")]

    del rows[2]
    confirm(client, import_url(project), upload(client, import_url(project), csv_file(rows)))
    assert sorted(project.participations.values_list("person__date_of_birth", flat=True)) == [
        date(1955, 4, 3),
        date(1955, 4, 4),
    ]


def test_the_file_message_names_every_unknown_and_every_missing_column(client, officer, project):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(officer)
    file = SimpleUploadedFile("people.csv", b"MyKad,Umur,Warna\n1,3,x\n")
    response = upload(client, import_url(project), file)
    assert response.context["form"].errors["file"] == [
        "Unknown column heading(s): “Umur”, “Warna”. The template shows the headings to use. "
        "Missing column(s): Target group, Joined on."
    ]


def test_a_column_without_heading_is_passed_over(client, officer, project):
    client.force_login(officer)
    [row] = participant_rows(1)
    rows = [["MyKad", "", *PARTICIPANT_HEADINGS[1:]], [row[0], "a note", *row[1:]]]
    preview = upload(client, import_url(project), csv_file(rows))
    assert errors_of(preview) == [] and preview.context["new_count"] == 1


def test_the_import_page_names_the_import_and_links_back_and_to_the_templates(
    client, officer, project
):
    client.force_login(officer)
    page = client.get(import_url(project)).text
    assert "<h1>Import participants</h1>" in page
    assert f'href="{project.get_absolute_url()}">{project.name}</a>' in page
    for file_format in ("csv", "xlsx"):
        assert (
            f'href="{reverse("programs:participant-import-template", args=[file_format])}"' in page
        )
