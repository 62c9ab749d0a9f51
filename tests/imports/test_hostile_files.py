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
    confirm,
    csv_file,
    errors_of,
    participant_rows,
    upload,
)
from welfare.imports import MAX_CELLS, ImportFileError, read_table
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

    def check(file, message, *, exact=False):
        started = time.perf_counter()
        response = upload(client, import_url(project), file)
        seconds = time.perf_counter() - started
        assert response.status_code == 200
        assert message in " ".join(response.context["form"].errors["file"])
        if exact:
            assert response.context["form"].errors["file"] == [message]
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


# --- The bounds of a workbook, exactly ----------------------------------------------

NOT_A_WORKBOOK = "The file could not be read as an Excel (.xlsx) file."
TOO_LARGE = (
    "The workbook would unpack to more than an import needs; copy the rows to import "
    "into a new workbook and upload that."
)


def unpacked_sizes(content):
    """(every member, the shared strings, the parts read whole), as the zip declares them."""
    infos = zipfile.ZipFile(io.BytesIO(content)).infolist()
    strings = sum(i.file_size for i in infos if i.filename == "xl/sharedStrings.xml")
    whole = sum(
        i.file_size
        for i in infos
        if i.filename.endswith((".xml", ".rels"))
        and not i.filename.startswith("xl/worksheets/")
        and i.filename != "xl/sharedStrings.xml"
    )
    return sum(i.file_size for i in infos), strings, whole


def workbook_with_shared_strings():
    """A workbook of the usual rows (inline strings, as openpyxl writes them) and a
    shared-strings part, as Excel writes one."""
    content_types = zipfile.ZipFile(io.BytesIO(workbook_bytes())).read("[Content_Types].xml")
    content_types = content_types.replace(
        b"</Types>",
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SHARED_STRINGS_TYPE}"/>'
        "</Types>".encode(),
    )
    strings = f'<sst xmlns="{MAIN}"><si><t>Siti</t></si></sst>'.encode()
    parts = {"xl/sharedStrings.xml": strings, "[Content_Types].xml": content_types}
    return crafted_xlsx(parts).read()


def set_workbook_bounds(monkeypatch, settings, unpacked, strings, whole):
    settings.IMPORT_MAX_UNPACKED_BYTES = unpacked
    monkeypatch.setattr("welfare.imports.XLSX_MAX_STRINGS_BYTES", strings)
    monkeypatch.setattr("welfare.imports.XLSX_MAX_WHOLE_PARTS_BYTES", whole)


def test_a_workbook_at_every_bound_exactly_is_read(client, officer, project, monkeypatch, settings):
    content = workbook_with_shared_strings()
    set_workbook_bounds(monkeypatch, settings, *unpacked_sizes(content))
    client.force_login(officer)
    response = upload(client, import_url(project), SimpleUploadedFile("people.xlsx", content))
    assert errors_of(response) == [] and response.context["new_count"] == 1


@pytest.mark.parametrize("bound", range(3), ids=["unpacked", "shared strings", "parts read whole"])
def test_a_workbook_one_byte_over_a_bound_is_refused(refused, caplog, monkeypatch, settings, bound):
    content = workbook_with_shared_strings()
    sizes = unpacked_sizes(content)
    assert all(sizes)
    set_workbook_bounds(monkeypatch, settings, *[s - (n == bound) for n, s in enumerate(sizes)])
    refused(SimpleUploadedFile("people.xlsx", content), TOO_LARGE, exact=True)
    assert caplog.messages == [
        "Import: refused .xlsx 'people.xlsx': unpacks to {} bytes (shared strings {}, "
        "parts read whole {})".format(*sizes)
    ]


def test_a_workbook_of_as_many_members_as_allowed_is_read(client, officer, project):
    members = len(zipfile.ZipFile(io.BytesIO(workbook_bytes())).namelist())
    parts = {f"xl/extra/part{n}.xml": b"<x/>" for n in range(200 - members)}
    client.force_login(officer)
    response = upload(client, import_url(project), crafted_xlsx(parts))
    assert errors_of(response) == [] and response.context["new_count"] == 1


def test_too_many_members_are_refused_with_their_number_logged(refused, caplog):
    file = crafted_xlsx({f"xl/extra/part{n}.xml": b"<x/>" for n in range(250)})
    members = len(zipfile.ZipFile(file).namelist())
    refused(file, TOO_LARGE, exact=True)
    assert caplog.messages == [f"Import: refused .xlsx 'people.xlsx': {members} members"]


def test_an_unexpected_member_is_refused_and_logged(refused, caplog):
    refused(crafted_xlsx({"xl/evil.exe": b"MZ"}), NOT_A_WORKBOOK, exact=True)
    assert caplog.messages == [
        "Import: refused .xlsx 'people.xlsx': unexpected member 'xl/evil.exe'"
    ]


def rewritten(file, compress_type=zipfile.ZIP_DEFLATED, comment=b"", extra=None):
    """The workbook's members again, with another compression or comment, and extra members."""
    original = zipfile.ZipFile(file)
    content = io.BytesIO()
    with zipfile.ZipFile(content, "w", compress_type) as archive:
        for member in original.namelist():
            archive.writestr(member, original.read(member))
        for member, data in (extra or {}).items():
            archive.writestr(member, data, zipfile.ZIP_STORED)
        archive.comment = comment
    return content.getvalue()


def test_a_member_of_unusual_compression_is_refused(refused, caplog):
    content = rewritten(crafted_xlsx({}), zipfile.ZIP_LZMA)  # zipfile reads it; Excel writes none
    refused(SimpleUploadedFile("people.xlsx", content), NOT_A_WORKBOOK, exact=True)
    assert caplog.messages[0].startswith(
        "Import: refused .xlsx 'people.xlsx': encrypted or unusual compression in "
    )


def test_an_encrypted_member_is_refused_before_it_is_opened(refused, caplog):
    content = bytearray(rewritten(crafted_xlsx({})))
    entry = content.find(b"PK\x01\x02")  # the first member's entry in the directory
    content[entry + 8] |= 0x1  # its flags: encrypted
    refused(SimpleUploadedFile("people.xlsx", bytes(content)), NOT_A_WORKBOOK, exact=True)
    assert caplog.messages[0].startswith(
        "Import: refused .xlsx 'people.xlsx': encrypted or unusual compression in "
    )


def test_a_workbook_with_the_longest_comment_is_read(client, officer, project):
    content = rewritten(crafted_xlsx({}), comment=b"c" * 65535)
    client.force_login(officer)
    response = upload(client, import_url(project), SimpleUploadedFile("people.xlsx", content))
    assert errors_of(response) == [] and response.context["new_count"] == 1


def test_a_member_holding_the_bytes_of_an_end_record_does_not_change_the_count(
    client, officer, project
):
    fake_end = b"PK\x05\x06" + b"\x00" * 6 + b"\xff\xff" + b"\x00" * 10  # 65,535 members
    content = rewritten(crafted_xlsx({}), extra={"xl/media/image1.png": fake_end})
    client.force_login(officer)
    response = upload(client, import_url(project), SimpleUploadedFile("people.xlsx", content))
    assert errors_of(response) == [] and response.context["new_count"] == 1


@pytest.mark.parametrize(
    "content",
    [b"this is not a zip file at all, only text",
     b"x" * 100 + b"PK\x05\x06\x00\x00",  # an end record cut short
     b"PK\x05\x06\x00\x00\x00\x00\x01\x00\x01\x00\x2e\x00\x00\x00\x00\x00\x00\x00\x00\x00",  # no directory
     ],
    ids=["text", "truncated-end-record", "bad-directory"],
)  # fmt: skip
def test_files_named_xlsx_that_are_no_zip(refused, content):
    refused(SimpleUploadedFile("people.xlsx", content), NOT_A_WORKBOOK, exact=True)


def test_a_damaged_part_is_refused_and_logged_with_what_went_wrong(refused, caplog):
    refused(crafted_xlsx({"[Content_Types].xml": b"not xml at all"}), NOT_A_WORKBOOK, exact=True)
    [message] = caplog.messages
    assert (
        message
        == "Import: unreadable .xlsx 'people.xlsx': ParseError: syntax error: line 1, column 0"
    )


def inline_cell(reference, value):
    return b'<c r="%s" t="inlineStr"><is><t>%s</t></is></c>' % (reference.encode(), value.encode())


def test_a_formula_is_imported_as_the_value_excel_computed(client, officer, project):
    """Not as its text: the name is a formula whose value Excel kept with it."""
    headings = b"".join(
        inline_cell(f"{column_name(c)}1", h) for c, h in enumerate(PARTICIPANT_HEADINGS, 1)
    )
    row = (
        inline_cell("A2", make_mykad(1))
        + b'<c r="B2" t="str"><f>PROPER("siti")</f><v>Siti</v></c>'
        + inline_cell("C2", "community")
        + inline_cell("D2", "2025-01-15")
    )  # fmt: skip
    sheet = sheet_xml(b'<row r="1">%s</row><row r="2">%s</row>' % (headings, row))
    client.force_login(officer)
    preview = upload(client, import_url(project), crafted_xlsx({"xl/worksheets/sheet1.xml": sheet}))
    assert errors_of(preview) == []
    confirm(client, import_url(project), preview)
    assert Person.objects.get().name == "Siti"


def test_a_csv_line_is_refused_one_character_beyond_thirty_full_cells():
    """The bound on a physical line, before the csv module splits it: 30 quoted
    cells of 5,000 characters with their commas and line end, and not one more."""
    full = '"' + "x" * 5000 + '"'
    heading = ",".join(f"h{n}" for n in range(30)) + "\n"
    widest = ",".join([full] * 30) + "\n"
    assert len(widest) == 30 * 5003
    assert len(read_table(csv_bytes(heading + widest))) == 2
    longer = ",".join([full] * 29 + ['"' + "x" * 4998 + '"', '""']) + "\n"
    assert len(longer) == 30 * 5003 + 1
    with pytest.raises(ImportFileError) as refusal:
        read_table(csv_bytes(heading + longer))
    assert str(refusal.value) == "Row 2 has a cell longer than 5,000 characters."


def test_a_line_break_inside_a_quoted_csv_cell_is_kept_as_written():
    file = csv_bytes(
        'MyKad,Name,Address\r\n1,A,"No. 1\r\nJalan Mawar"\r\n2,B,"Lot 2\nJalan Kenanga"\r\n'
    )
    assert read_table(file)[1:] == [
        (2, ["1", "A", "No. 1\r\nJalan Mawar"]),
        (3, ["2", "B", "Lot 2\nJalan Kenanga"]),
    ]


def test_a_zip_whose_end_record_claims_65535_members_is_refused(refused):
    """0xFFFF is zip64's mark, which no workbook of an import needs: refused as too many."""
    content = bytearray(rewritten(crafted_xlsx({})))
    end = content.rfind(b"PK\x05\x06")
    content[end + 8 : end + 12] = b"\xff\xff\xff\xff"  # members on this disk, and in all
    refused(SimpleUploadedFile("people.xlsx", bytes(content)), TOO_LARGE, exact=True)
