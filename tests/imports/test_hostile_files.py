"""Hostile files: each is answered on the import page with a message within
seconds, logs at most a warning and writes nothing; the largest valid file is
read within a bound of memory."""

import io
import json
import logging
import subprocess
import sys
import time
import zipfile
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from tests.factories import make_mykad
from tests.imports.conftest import (
    PARTICIPANT_HEADINGS,
    csv_file,
    errors_of,
    participant_rows,
    upload,
)
from welfare.imports import MAX_CELLS, read_table
from welfare.models import Person, StagedImport

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHARED_STRINGS_TYPE = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
)


def import_url(project):
    return reverse("programs:participant-import", args=[project.pk])


def workbook_bytes(rows=None):
    workbook = Workbook()
    for row in rows or [PARTICIPANT_HEADINGS, *participant_rows(1)]:
        workbook.active.append(row)
    content = io.BytesIO()
    workbook.save(content)
    return content.getvalue()


def crafted_xlsx(parts, *, name="people.xlsx", base=None):
    """A valid workbook with some members replaced or added."""
    original = zipfile.ZipFile(io.BytesIO(base or workbook_bytes()))
    content = io.BytesIO()
    with zipfile.ZipFile(content, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in original.namelist():
            if member not in parts:
                archive.writestr(member, original.read(member))
        for member, data in parts.items():
            archive.writestr(member, data)
    return SimpleUploadedFile(name, content.getvalue())


def sheet_xml(rows_xml, before=b""):
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        + f'<worksheet xmlns="{MAIN}">'.encode()
        + before
        + b"<sheetData>"
        + rows_xml
        + b"</sheetData></worksheet>"
    )


def column_name(number):
    name = ""
    while number:
        number, rest = divmod(number - 1, 26)
        name = chr(65 + rest) + name
    return name


def number_row(row, columns):
    cells = b"".join(
        b'<c r="%s%d"><v>%d</v></c>' % (column_name(c).encode(), row, c)
        for c in range(1, columns + 1)
    )
    return b'<row r="%d">%s</row>' % (row, cells)


@pytest.fixture
def refused(client, officer, project, caplog):
    """Uploads the file; asserts the import page shows `message` beside the
    file, that nothing is staged or written, and no log line above a warning.
    Prints the seconds taken: how fast is for `make faults` (scenario 6) to
    measure, not for a test under a busy machine's load."""
    client.force_login(officer)
    caplog.set_level(logging.INFO)

    def check(file, message):
        started = time.perf_counter()
        response = upload(client, import_url(project), file)
        seconds = time.perf_counter() - started
        assert response.status_code == 200
        assert message in " ".join(response.context["form"].errors["file"])
        assert "token" not in response.context
        assert not Person.objects.exists()
        assert not StagedImport.objects.exists()
        assert not [r for r in caplog.records if r.levelno > logging.WARNING]
        print(f"{file.name} ({file.size:,} bytes): refused in {seconds:.2f} s")
        return seconds

    return check


# --- Excel ----------------------------------------------------------------------


def test_a_small_workbook_that_would_unpack_past_the_bound(refused, settings):
    # 51 MB of spaces compress to about 50 KB.
    padding = b" " * (settings.IMPORT_MAX_UNPACKED_BYTES + 1024 * 1024)
    file = crafted_xlsx({"xl/worksheets/sheet1.xml": sheet_xml(number_row(1, 2) + padding)})
    assert file.size < 200_000
    refused(file, "would unpack to more than an import needs")


def test_a_workbook_with_thousands_of_columns(refused):
    file = crafted_xlsx({"xl/worksheets/sheet1.xml": sheet_xml(number_row(1, 5000))})
    refused(file, "Row 1 has more than 30 columns")


def test_a_workbook_with_a_huge_shared_strings_part(refused):
    strings = b"".join(b"<si><t>%07d</t></si>" % n for n in range(450_000))  # 9 MB
    content_types = zipfile.ZipFile(io.BytesIO(workbook_bytes())).read("[Content_Types].xml")
    content_types = content_types.replace(
        b"</Types>",
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SHARED_STRINGS_TYPE}"/>'
        "</Types>".encode(),
    )
    file = crafted_xlsx(
        {
            "xl/sharedStrings.xml": f'<sst xmlns="{MAIN}">'.encode() + strings + b"</sst>",
            "[Content_Types].xml": content_types,
        }
    )
    refused(file, "would unpack to more than an import needs")


def test_a_workbook_whose_styles_would_be_parsed_whole(refused):
    styles = b"<styleSheet><cellXfs>" + b'<xf numFmtId="0"/>' * 200_000 + b"</cellXfs></styleSheet>"
    refused(crafted_xlsx({"xl/styles.xml": styles}), "would unpack to more than an import needs")


def test_a_sheet_that_claims_a_million_rows_of_16384_columns(refused):
    rows = number_row(1, 4) + b'<row r="1048576"><c r="A1048576"><v>1</v></c></row>'
    sheet = sheet_xml(rows, before=b'<dimension ref="A1:XFD1048576"/>')
    refused(crafted_xlsx({"xl/worksheets/sheet1.xml": sheet}), f"more than {MAX_CELLS:,} cells")


def test_one_shared_string_repeated_in_every_cell_is_bounded_by_the_text_it_makes(refused):
    # 4,000 characters in 20 columns of 200 rows: 16 MB of text from a 30 KB file.
    strings = f'<sst xmlns="{MAIN}"><si><t>{"x" * 4000}</t></si></sst>'.encode()
    content_types = zipfile.ZipFile(io.BytesIO(workbook_bytes())).read("[Content_Types].xml")
    content_types = content_types.replace(
        b"</Types>",
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SHARED_STRINGS_TYPE}"/>'
        "</Types>".encode(),
    )
    rows = b"".join(
        b'<row r="%d">%s</row>'
        % (
            r,
            b"".join(
                b'<c r="%s%d" t="s"><v>0</v></c>' % (column_name(c).encode(), r)
                for c in range(1, 21)
            ),
        )
        for r in range(1, 201)
    )
    file = crafted_xlsx(
        {
            "xl/sharedStrings.xml": strings,
            "[Content_Types].xml": content_types,
            "xl/worksheets/sheet1.xml": sheet_xml(rows),
        }
    )
    refused(file, "The file is larger than 10 MB")


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>&lol3;</t></is></c></row></sheetData></worksheet>"""


EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE worksheet [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>&secret;</t></is></c></row></sheetData></worksheet>"""


@pytest.mark.parametrize(
    "member,content",
    [
        ("xl/worksheets/sheet1.xml", BILLION_LAUGHS),
        ("xl/workbook.xml", BILLION_LAUGHS.replace(b"worksheet", b"workbook")),
        ("xl/worksheets/sheet1.xml", EXTERNAL_ENTITY),
        ("xl/worksheets/sheet1.xml", b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY'),
        ("xl/worksheets/sheet1.xml", b"<worksheet><sheetData><row r='1'><c r='A1'><v>1"),
        ("[Content_Types].xml", b"not xml at all"),
    ],
    ids=["entities-in-sheet", "entities-in-workbook", "external-entity", "malformed-dtd",
         "truncated-sheet", "broken-content-types"],
)  # fmt: skip
def test_entity_tricks_and_malformed_xml(refused, member, content):
    refused(crafted_xlsx({member: content}), "could not be read as an Excel (.xlsx) file")


@pytest.mark.parametrize(
    "member", ["../outside.xml", "/etc/cron.d/x.xml", "xl/evil.exe", "xl/embeddings/inner.xlsx"]
)
def test_unexpected_members(refused, member):
    refused(crafted_xlsx({member: b"<x/>"}), "could not be read as an Excel (.xlsx) file")


def test_too_many_members(refused):
    parts = {f"xl/extra/part{n}.xml": b"<x/>" for n in range(250)}
    refused(crafted_xlsx(parts), "would unpack to more than an import needs")


def test_a_zip_that_is_not_a_workbook(refused):
    content = io.BytesIO()
    with zipfile.ZipFile(content, "w") as archive:
        archive.writestr("readme.xml", "<x/>")
    refused(SimpleUploadedFile("people.xlsx", content.getvalue()), "could not be read")


def test_a_huge_number_in_a_date_cell_is_an_error_of_its_row(client, officer, project):
    # A date style on a number far beyond year 9999.
    base = workbook_bytes(
        [PARTICIPANT_HEADINGS, [make_mykad(1), "A", "community", date(2025, 1, 15)]]
    )
    sheet = zipfile.ZipFile(io.BytesIO(base)).read("xl/worksheets/sheet1.xml")
    assert b"<v>45672</v>" in sheet
    sheet = sheet.replace(b"<v>45672</v>", b"<v>1e300</v>")
    client.force_login(officer)
    with pytest.warns(UserWarning, match="outside the limits for dates"):
        response = upload(
            client,
            import_url(project),
            crafted_xlsx({"xl/worksheets/sheet1.xml": sheet}, base=base),
        )
    assert [column for _row, column, _message in errors_of(response)] == ["Joined on"]
    assert not Person.objects.exists()


def test_empty_formatted_cells_beyond_the_columns_are_no_reason_to_refuse(client, officer, project):
    rows = [PARTICIPANT_HEADINGS, *participant_rows(2)]
    sheet = sheet_xml(
        b"".join(
            b'<row r="%d">%s%s</row>'
            % (
                r,
                b"".join(
                    b'<c r="%s%d" t="inlineStr"><is><t>%s</t></is></c>'
                    % (column_name(c).encode(), r, value.encode())
                    for c, value in enumerate(row, start=1)
                ),
                b'<c r="CV%d" s="0"/>' % r,  # column 100, formatted but empty
            )
            for r, row in enumerate(rows, start=1)
        )
    )
    client.force_login(officer)
    response = upload(
        client, import_url(project), crafted_xlsx({"xl/worksheets/sheet1.xml": sheet})
    )
    assert response.context["new_count"] == 2


# --- CSV ------------------------------------------------------------------------


def csv_bytes(text, name="people.csv"):
    return SimpleUploadedFile(name, text.encode("utf-8"))


def test_a_csv_field_of_one_megabyte(refused):
    heading = ",".join(PARTICIPANT_HEADINGS)
    file = csv_bytes(f"{heading}\n{make_mykad(1)},{'x' * 1024 * 1024},community,2025-01-15\n")
    refused(file, "Row 2 has a cell longer than 5,000 characters")


def test_a_quoted_csv_field_over_128_kb_in_short_lines(refused):
    # Each line is short; the field, across 200 lines, is over the csv module's 128 KB.
    address = ("y" * 1000 + "\n") * 200
    heading = ",".join(PARTICIPANT_HEADINGS)
    file = csv_bytes(f'{heading}\n{make_mykad(1)},"{address}",community,2025-01-15\n')
    refused(file, "Row 2 has a cell longer than 5,000 characters")


def test_a_csv_cell_longer_than_the_bound(refused):
    heading = ",".join(PARTICIPANT_HEADINGS)
    file = csv_bytes(f"{heading}\n{make_mykad(1)},{'z' * 6000},community,2025-01-15\n")
    refused(file, "Row 2 has a cell longer than 5,000 characters")


def test_a_csv_with_a_nul_byte(refused):
    heading = ",".join(PARTICIPANT_HEADINGS)
    file = csv_bytes(f"{heading}\n{make_mykad(1)}\x00,Ah Kow,community,2025-01-15\n")
    refused(file, "Row 2 holds a NUL character")


def test_a_csv_line_of_a_million_fields(refused):
    heading = ",".join(PARTICIPANT_HEADINGS)
    refused(csv_bytes(f"{heading}\n" + "ab," * 1_000_000), "Row 2 has a cell longer than")


def test_a_csv_row_of_too_many_columns(refused):
    heading = ",".join(PARTICIPANT_HEADINGS + [f"extra {n}" for n in range(40)])
    refused(csv_bytes(heading + "\n"), "Row 1 has more than 30 columns")


def test_a_large_csv_on_disk_is_read_as_it_streams(db):
    """Uploads over 2.5 MB are spooled to a temporary file (TemporaryUploadedFile)."""
    rows = [PARTICIPANT_HEADINGS, *participant_rows(3000)]
    rows = [row + ["x" * 1000] for row in rows]  # about 3 MB
    content = csv_file(rows).read()
    spooled = TemporaryUploadedFile("people.csv", "text/csv", len(content), "utf-8")
    spooled.write(content)
    table = read_table(spooled)
    assert len(table) == 3001
    assert not spooled.closed


# --- Memory -----------------------------------------------------------------------

# In a new process: after a fork, the peak of the (large) test process would count.
# Linux keeps the peak resident memory as VmHWM; "5" in clear_refs resets it.
MEASURE = """
import json, sys, time
import django
django.setup()
from django.core.files.uploadedfile import SimpleUploadedFile
from homehelp.imports import CaseImport
from welfare.imports import read_table, rows_by_column

def kilobytes(field):
    status = open("/proc/self/status").read()
    return int(status.split(field + ":")[1].split()[0])

file = SimpleUploadedFile("cases.xlsx", open(sys.argv[1], "rb").read())
open("/proc/self/clear_refs", "w").write("5")
before = kilobytes("VmRSS")
started = time.perf_counter()
rows = rows_by_column(read_table(file), CaseImport.columns)
seconds = time.perf_counter() - started
growth = (kilobytes("VmHWM") - before) / 1024
print(json.dumps({"rows": len(rows), "seconds": seconds, "growth_mb": growth}))
"""


def largest_valid_workbook(path):
    """20,000 rows of the widest import (cases, 16 columns), with long addresses
    and notes: the largest file an import accepts."""
    from homehelp.imports import CaseImport

    columns = CaseImport.columns
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append([str(column.heading) for column in columns])
    for n in range(20_000):
        values = {
            "mykad": make_mykad(n, born=date(1950, 1, 1)),
            "name": f"Nama Pelanggan Yang Panjang {n}",
            "address": f"Lot {n}, Jalan Mawar {n % 97}, Kampung Sungai Way, Petaling Jaya",
            "notes": "Tinggal seorang diri, perlukan bantuan membeli barang dapur. " * 3,
        }
        sheet.append([values.get(column.key, column.example or "x") for column in columns])
    workbook.save(path)


@pytest.mark.slow
def test_the_largest_valid_workbook_is_read_within_100_mb(tmp_path, capsys):
    path = tmp_path / "cases.xlsx"
    largest_valid_workbook(path)
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path)], capture_output=True, text=True, check=True
    )
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    with capsys.disabled():
        print(
            f"\nlargest valid workbook ({path.stat().st_size:,} bytes, {figures['rows']:,} rows): "
            f"read in {figures['seconds']:.1f} s, peak memory +{figures['growth_mb']:.0f} MB"
        )
    assert figures["rows"] == 20_000
    assert figures["growth_mb"] < 100
