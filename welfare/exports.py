"""Tables as CSV or Excel downloads, with the same cells."""

import csv
from io import BytesIO

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def spreadsheet_safe(cell):
    """Spreadsheets run a cell that starts like a formula; names typed by users must not."""
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return cell


def exported_note(user):
    """Who made an export and when, for the file itself."""
    moment = timezone.localtime().strftime("%Y-%m-%d %H:%M %Z")
    return _("Exported by %(user)s on %(moment)s") % {"user": user.get_username(), "moment": moment}


def table_response(
    file_format, filename, header, rows, *, exported_by=None, note_row=True, notes=()
):
    """file_format: "csv" or "xlsx"; rows: sequences of cells in the header's order.
    exported_by (a user) is named in the X-Exported-By header and, in a workbook,
    as its creator and, with note_row, on a second sheet; the data stay a plain
    table (header, then one line per row) that programs can read. Files with a
    fixed layout (the reports) pass note_row=False, and say what made them in
    `notes` (lines of a Notes sheet in a workbook; a CSV keeps its table alone,
    and its file name says the filters)."""
    note = exported_note(exported_by) if exported_by else None
    if file_format == "xlsx":
        workbook = Workbook()
        sheet = workbook.active
        sheet.append([str(h) for h in header])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([spreadsheet_safe(cell) for cell in row])
        if note:
            workbook.properties.creator = exported_by.get_username()
            workbook.properties.created = timezone.now().replace(tzinfo=None)
            if note_row:
                workbook.create_sheet(_("Export")).append([note])
        if notes:
            sheet = workbook.create_sheet(_("Notes"))
            for line in [*notes, note] if note else notes:
                sheet.append([spreadsheet_safe(str(line))])
        content = BytesIO()
        workbook.save(content)
        response = HttpResponse(content.getvalue(), content_type=XLSX)
    else:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        writer = csv.writer(response)
        writer.writerow(header)
        writer.writerows([spreadsheet_safe(cell) for cell in row] for row in rows)
    response["Content-Disposition"] = f'attachment; filename="{filename}.{file_format}"'
    if note:
        response["X-Exported-By"] = exported_by.get_username()
    return response
