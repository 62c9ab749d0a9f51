"""What an officer meets importing a file: accepted values listed (page,
template, messages), people already in the project skipped on request, a date
that does not exist named as such, a summary that counts only what will be
saved, and the page's state while a file is checked."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from programs.models import Participation
from tests.factories import ParticipationFactory, PersonFactory, make_mykad
from tests.imports.conftest import (
    PARTICIPANT_HEADINGS,
    confirm,
    csv_file,
    errors_of,
    participant_rows,
)
from welfare.imports import nonexistent_date

pytestmark = pytest.mark.django_db


def import_url(project):
    return reverse("programs:participant-import", args=[project.pk])


def test_the_page_lists_every_accepted_value_in_both_languages(client, officer, project):
    client.force_login(officer)
    page = client.get(import_url(project)).text
    columns = page.split('id="import-columns"', 1)[1].split("</table>", 1)[0]
    for value in ["community", "Local community member", "Komuniti setempat", "former_resident",
                  "Pelanggan jabatan", "Perempuan", "Female"]:  # fmt: skip
        assert value in columns
    assert "data-import-progress" in page and "imports/progress" in page


def test_the_template_workbook_lists_the_accepted_values(client, officer):
    client.force_login(officer)
    response = client.get(reverse("programs:participant-import-template", args=["xlsx"]))
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content))  # fmt: skip
    notes = " ".join(str(row[0].value) for row in workbook["Notes"].iter_rows())
    assert "community: Local community member / Ahli komuniti setempat" in notes
    assert "Target group / Kumpulan sasaran" in notes
    assert [cell.value for cell in next(workbook.worksheets[0].iter_rows())][-2:] == ["Target group", "Joined on"]  # fmt: skip


def test_a_value_not_accepted_is_named_with_the_accepted_ones(client, officer, project):
    client.force_login(officer)
    rows = participant_rows(1)
    rows[0][2] = "komuniti"
    response = client.post(import_url(project), {"file": csv_file([PARTICIPANT_HEADINGS, *rows])})
    [(row, column, message)] = errors_of(response)
    assert (row, column) == (2, "Target group")
    assert message.startswith("“komuniti” is not one of: client: Department client")
    assert "community: Local community member / Ahli komuniti setempat" in message


@pytest.mark.parametrize(
    ("text", "problem"),
    [("31/02/2026", "31/02/2026 does not exist: February 2026 has 28 days."),
     ("2024-02-30", "2024-02-30 does not exist: February 2024 has 29 days."),
     ("15/13/2025", "15/13/2025 does not exist: there is no month 13."),
     ("2026-02-28", None), ("yesterday", None)],
)  # fmt: skip
def test_a_date_that_does_not_exist_is_named_as_such(text, problem):
    assert nonexistent_date(text) == problem


def test_an_import_names_a_date_that_does_not_exist(client, officer, project):
    client.force_login(officer)
    rows = participant_rows(2)
    rows[0][3] = "31/02/2026"
    rows[1][3] = "next week"
    response = client.post(import_url(project), {"file": csv_file([PARTICIPANT_HEADINGS, *rows])})
    assert errors_of(response) == [
        (2, "Joined on", "31/02/2026 does not exist: February 2026 has 28 days."),
        (3, "Joined on", "Enter the date as YYYY-MM-DD or DD/MM/YYYY."),
    ]


def test_the_summary_counts_only_the_rows_that_will_be_saved(client, officer, project):
    client.force_login(officer)
    rows = participant_rows(7)
    for row in rows[:5]:
        row[2] = "nobody"
    response = client.post(import_url(project), {"file": csv_file([PARTICIPANT_HEADINGS, *rows])})
    assert (response.context["invalid_count"], response.context["new_count"]) == (5, 2)
    summary = " ".join(response.text.split('id="import-summary"', 1)[1].split("</p>", 1)[0].split())  # fmt: skip
    assert "7 rows — 5 with errors, 2 correct: 2 new people, 0 already recorded." in summary
    assert "2 new people" in summary
    assert "7 new people" not in summary


def test_people_already_in_the_project_are_skipped_when_asked(client, officer, project):
    enrolled = PersonFactory(office=project.office, mykad=make_mykad(900), name="Sudah Ada")
    ParticipationFactory(project=project, person=enrolled)
    rows = [[enrolled.mykad, "Sudah Ada", "community", "2025-01-15"], *participant_rows(2)]
    client.force_login(officer)
    refused = client.post(import_url(project), {"file": csv_file([PARTICIPANT_HEADINGS, *rows])})
    assert errors_of(refused) == [(2, "MyKad", "This person already takes part in this project.")]
    assert refused.context["there_already_count"] == 1
    assert "1 person is there already. To import the others" in refused.text
    assert "Skip the people already in this project" in client.get(import_url(project)).text

    preview = client.post(
        import_url(project),
        {"file": csv_file([PARTICIPANT_HEADINGS, *rows]), "skip_existing": "on"},
    )
    assert errors_of(preview) == []
    assert (preview.context["skipped_count"], preview.context["new_count"]) == (1, 2)
    assert "1 already there: skipped" in " ".join(preview.text.split())
    response = client.post(
        import_url(project),
        {"token": preview.context["token"], "skip_existing": "on", "skipped": "1"},
        follow=True,
    )
    assert Participation.objects.filter(project=project).count() == 3
    page = response.text
    assert "Imported 2 rows: 2 new people, 0 already recorded." in page
    assert "1 person already there was skipped." in page
    assert [str(m) for m in response.context["messages"]] == [
        "1 person already there was skipped.",
        "Imported 2 rows: 2 new people, 0 already recorded.",
    ]


def test_without_the_option_nothing_is_skipped_at_confirmation(client, officer, project):
    """The option is the user's choice for this file, sent again with the confirmation."""
    client.force_login(officer)
    preview = client.post(import_url(project), {"file": csv_file([PARTICIPANT_HEADINGS, *participant_rows(2)])})  # fmt: skip
    assert confirm(client, import_url(project), preview).status_code == 302
    assert Participation.objects.filter(project=project).count() == 2


def test_every_skipped_and_every_reused_row_is_counted(client, officer, project):
    enrolled = [
        PersonFactory(office=project.office, mykad=make_mykad(900 + n), name=f"Sudah Ada {n}")
        for n in range(2)
    ]
    for person in enrolled:
        ParticipationFactory(project=project, person=person)
    recorded = [PersonFactory(office=project.office, mykad=make_mykad(950 + n)) for n in range(2)]
    rows = [
        [person.mykad, person.name, "community", "2025-01-15"] for person in enrolled + recorded
    ]
    client.force_login(officer)

    preview = client.post(
        import_url(project),
        {
            "file": csv_file([PARTICIPANT_HEADINGS, *rows, *participant_rows(1)]),
            "skip_existing": "on",
        },
    )

    summary = " ".join(preview.text.split('id="import-summary"', 1)[1].split("</p>", 1)[0].split())
    assert "1 new person, 2 already recorded; 2 already there: skipped." in summary
    assert (preview.context["skipped_count"], preview.context["reused_count"]) == (2, 2)
    response = client.post(
        import_url(project),
        {"token": preview.context["token"], "skip_existing": "on", "skipped": "2"},
        follow=True,
    )
    assert [str(m) for m in response.context["messages"]] == [
        "2 people already there were skipped.",
        "Imported 3 rows: 1 new person, 2 already recorded.",
    ]


@pytest.mark.parametrize(
    "sent", [{"skip_existing": "on"}, {"skipped": "2"}], ids=["no count", "no option"]
)
def test_the_count_of_skipped_people_needs_the_option_and_a_number(client, officer, project, sent):
    client.force_login(officer)
    preview = client.post(
        import_url(project),
        {"file": csv_file([PARTICIPANT_HEADINGS, *participant_rows(1)]), **sent},
    )
    response = client.post(
        import_url(project), {"token": preview.context["token"], **sent}, follow=True
    )
    assert [str(m) for m in response.context["messages"]] == [
        "Imported 1 row: 1 new person, 0 already recorded."
    ]
