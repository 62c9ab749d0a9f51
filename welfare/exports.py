"""Tables as CSV or Excel downloads, with the same cells."""

import csv
from io import BytesIO

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.styles import Font

from welfare.mykad import mask_mykad

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _inert(cell):
    """Spreadsheets run a cell that starts like a formula; names typed by users must not."""
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return cell


def table_response(file_format, filename, header, rows):
    """file_format: "csv" or "xlsx"; rows: sequences of cells in the header's order."""
    if file_format == "xlsx":
        workbook = Workbook()
        sheet = workbook.active
        sheet.append([str(h) for h in header])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([_inert(cell) for cell in row])
        content = BytesIO()
        workbook.save(content)
        response = HttpResponse(content.getvalue(), content_type=XLSX)
    else:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        writer = csv.writer(response)
        writer.writerow(header)
        writer.writerows([_inert(cell) for cell in row] for row in rows)
    response["Content-Disposition"] = f'attachment; filename="{filename}.{file_format}"'
    return response


def mykad_for(user, person):
    """Full MyKad only for a district officer of the office that recorded the
    person (as on the person page); masked for everyone else, HQ included."""
    if user.is_district_officer and person.office_id == user.office_id:
        return person.mykad
    return mask_mykad(person.mykad)
