"""Spreadsheets built in memory, and the two steps of an import through the client."""

import csv
import io
import re
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from tests.factories import OrganizationFactory, ProjectFactory, make_mykad

PARTICIPANT_HEADINGS = ["MyKad", "Name", "Target group", "Joined on"]


def csv_file(rows, name="people.csv", bom=True, encoding="utf-8"):
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    content = ("\ufeff" if bom else "") + text.getvalue()
    return SimpleUploadedFile(name, content.encode(encoding), content_type="text/csv")


def xlsx_file(rows, name="people.xlsx"):
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    content = io.BytesIO()
    workbook.save(content)
    return SimpleUploadedFile(name, content.getvalue())


def participant_rows(count, start=0):
    """Valid participants, born 1960, with MyKads that nobody else uses."""
    return [
        [
            make_mykad(start + n, born=date(1960, 3, 3)),
            f"Peserta {start + n}",
            "community",
            "2025-01-15",
        ]
        for n in range(count)
    ]


def upload(client, url, file):
    return client.post(url, {"file": file})


def confirm(client, url, preview):
    """A preview with errors has no token: it cannot be confirmed."""
    return client.post(url, {"token": preview.context["token"] or ""})


def errors_of(response):
    """(row, column, message) for each error of the preview."""
    return [
        (result.number, column, message)
        for result in response.context["error_rows"]
        for column, message in result.errors
    ]


@pytest.fixture
def project(office):
    return ProjectFactory(name="Kebun komuniti Petaling", office=office)


@pytest.fixture
def far_project(far_office):
    return ProjectFactory(name="Kelas mengaji Kota Bharu", office=far_office)


@pytest.fixture
def organization(db):
    return OrganizationFactory(name="Persatuan Warga Emas Petaling")


def rows_listed(response):
    """(row, person, will be) for each row of the preview's table of rows, as shown."""
    table = response.text.split('id="import-rows"', 1)[1].split("</table>", 1)[0]
    listed = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table.split("<tbody>", 1)[1], re.S):
        cells = [" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]  # fmt: skip
        listed.append((cells[0], cells[1], cells[3]))
    return listed
