"""Tables as CSV or Excel downloads, with the same cells, in memory that does not
grow with the rows: a CSV is streamed as its rows are read, a workbook is written
row by row to a temporary file and sent from there. Workbooks are written by
XlsxWriter in its constant-memory mode (a row at a time to disk), twice as
fast as openpyxl's write-only mode for 100,000 rows; openpyxl reads the
imports."""

import csv
import tempfile

import xlsxwriter
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from welfare.models import AccessLog
from welfare.people import log_access

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Rows fetched at a time from a server-side cursor (QuerySet.iterator()), and the
# lines of a CSV sent at a time.
CHUNK_SIZE = 2000


def spreadsheet_safe(cell):
    """Spreadsheets run a cell that starts like a formula; names typed by users must not."""
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return cell


def exported_note(user):
    """Who made an export and when, for the file itself."""
    moment = timezone.localtime().strftime("%Y-%m-%d %H:%M %Z")
    return _("Exported by %(user)s on %(moment)s") % {"user": user.get_username(), "moment": moment}


def labels(choices):
    """{code: label} of a TextChoices class in the language of the request, for
    the rows of an export: get_FOO_display() translates every label of the field
    again for each row (a sixth of the time of a 200,000-row export)."""
    return {code: str(label) for code, label in choices.choices}


def yes_no():
    return {True: _("yes"), False: _("no")}


class Echo:
    """csv.writer writes a row into this and gets the line back, to stream it."""

    def write(self, line):
        return line


def table_response(
    file_format, filename, header, rows, *, exported_by=None, note_row=True, notes=()
):
    """file_format: "csv" or "xlsx"; rows: sequences of cells in the header's order,
    read once, as the file is written: a generator over a queryset's
    iterator(chunk_size=CHUNK_SIZE) keeps to a chunk of rows in memory.

    A CSV's rows are read after the view has returned, outside the request's
    transaction: what must happen before the first byte (the access log) is done
    by the view before it calls this. A workbook is written before the response
    is returned.

    exported_by (a user) is named in the X-Exported-By header and, in a workbook,
    as its creator and, with note_row, on a second sheet; the data stay a plain
    table (header, then one line per row) that programs can read. Files with a
    fixed layout (the reports) pass note_row=False, and say what made them in
    `notes` (lines of a Notes sheet in a workbook; a CSV keeps its table alone,
    and its file name says the filters)."""
    note = exported_note(exported_by) if exported_by else None
    if file_format == "xlsx":
        content = tempfile.TemporaryFile()  # gone once sent (FileResponse closes it)
        write_workbook(
            content,
            header,
            rows,
            exported_by=exported_by,
            note=note,
            note_row=note_row,
            notes=notes,
        )
        content.seek(0)
        response = FileResponse(content, content_type=XLSX)
    else:
        response = StreamingHttpResponse(
            csv_lines(header, rows), content_type="text/csv; charset=utf-8"
        )
    response["Content-Disposition"] = f'attachment; filename="{filename}.{file_format}"'
    if note:
        response["X-Exported-By"] = exported_by.get_username()
    return response


def records_response(
    request, file_format, name, columns, records, *, subject=None, list_filter=None
):
    """A list as the user filtered it, every row: `columns` are declared once, as
    (heading, value) pairs where value(record) gives the cell; `records` a
    queryset, read CHUNK_SIZE rows at a time (of values() rows for the lists
    that reach 100,000: a model per row costs more than the file). `subject`
    names a list without people in the access log ("projects"); a list of
    people is logged, and its MyKad column decided, by welfare.people.exported,
    which the view calls first.
    `list_filter` (welfare.filters.ListFilter), the list's filters: the file's
    name says them (cases-MY-10-PKMD-1005-active.csv), as the reports' files say
    theirs, and a workbook's second sheet says them in words above who exported it."""
    if subject:
        log_access(request.user, None, subject, action=AccessLog.Action.EXPORT)
    rows = ([value(record) for _, value in columns] for record in records.iterator(CHUNK_SIZE))
    header = [heading for heading, _ in columns]
    notes = list_filter.notes() if list_filter else []
    return table_response(
        file_format,
        list_filter.file_name(name) if list_filter else name,
        header,
        rows,
        exported_by=request.user,
        note_row=not notes,
        notes=notes,
    )


def write_workbook(file, header, rows, *, exported_by=None, note=None, note_row=True, notes=()):
    """The table on the first sheet, under a bold header; with note_row, an
    "Export" sheet says `note` (who and when); a "Notes" sheet says `notes` (what
    made the table), then the note. Text is written as text, never read as a
    formula or a link (and spreadsheet_safe() quotes what would start one in
    Excel)."""
    workbook = xlsxwriter.Workbook(
        file,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "default_date_format": "yyyy-mm-dd",
        },
    )
    if note:
        workbook.set_properties(
            {
                "author": exported_by.get_username(),
                "created": timezone.now().replace(tzinfo=None),
            }
        )
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, [str(heading) for heading in header], workbook.add_format({"bold": True}))
    for number, row in enumerate(rows, start=1):
        sheet.write_row(number, 0, [spreadsheet_safe(cell) for cell in row])
    if note and note_row:
        workbook.add_worksheet(_("Export")).write(0, 0, note)
    if notes:
        lines = [*notes, note] if note else notes
        sheet = workbook.add_worksheet(_("Notes"))
        for number, line in enumerate(lines):
            sheet.write(number, 0, spreadsheet_safe(str(line)))
    workbook.close()


def csv_lines(header, rows):
    """The lines of a CSV: the header at once, then the rows CHUNK_SIZE at a
    time (a write to the client per line would cost more than the line)."""
    writer = csv.writer(Echo())
    yield writer.writerow(header)
    lines = []
    for row in rows:
        lines.append(writer.writerow([spreadsheet_safe(cell) for cell in row]))
        if len(lines) >= CHUNK_SIZE:
            yield "".join(lines)
            lines = []
    yield "".join(lines)
