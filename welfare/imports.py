"""Bulk import from CSV and Excel files, in two steps: upload, then a preview of
every row (what will be created, which people are already recorded, every error
with its row and column), then confirm. Nothing is written while a row has an
error, and everything is written in one transaction with bulk inserts.

Each row is checked by the same ModelForm as the page that records one such row
(a subclass that looks people and choices up in what was loaded once for the
whole file, instead of one query per row), so the messages read the same.
Each app describes its import with an `Import` subclass next to its forms."""

import csv
import io
import json
import logging
import re
import secrets
import struct
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext, override
from django.utils.translation import gettext_lazy as _
from openpyxl import load_workbook
from simple_history.utils import bulk_create_with_history

from welfare.audit import history_attrs
from welfare.exports import table_response
from welfare.models import Office, Person
from welfare.people import disclosure_for, find_many_by_mykad

logger = logging.getLogger(__name__)

MAX_ROWS = 20_000
MAX_COLUMNS = 30  # the widest import has 16
MAX_CELL_CHARS = 5_000
# Every cell read counts, empty or missing ones too: reading a sheet costs what
# its cells cost, not what its rows with values do. 20,000 rows of the widest
# import fit.
MAX_CELLS = 400_000
# A workbook of an import holds a few dozen members; the bounds of the parts that
# openpyxl reads whole are well above an office's largest (styles.xml ~100 KB).
XLSX_MAX_MEMBERS = 200
XLSX_MAX_STRINGS_BYTES = 8 * 1024 * 1024
XLSX_MAX_WHOLE_PARTS_BYTES = 2 * 1024 * 1024
# A member's name: folders and a file name of plain characters, and the extension of
# a part (XML, relationships, VML drawings, binary printer settings, images).
XLSX_PART = re.compile(
    r"([\w\-\[\]. ]+/)*[\w\-\[\]. ]*\.(xml|rels|vml|bin|png|jpe?g|gif|emf|wmf|tiff?|bmp|svg)",
    re.ASCII,
)
XLSX_SHEET = re.compile(r"xl/worksheets/\w+\.xml", re.ASCII)
XLSX_COMPRESSION = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}
BATCH_SIZE = 1000
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
STAGING_DIR = Path(tempfile.gettempdir()) / "welfare-imports"
STAGING_HOURS = 24


class ImportFileError(Exception):
    """The file as a whole cannot be read; the message says why."""


@dataclass
class Column:
    key: str  # the row form's field name
    heading: str  # English heading, as in the template
    heading_ms: str  # Bahasa Melayu heading
    example: str = ""
    required: bool = False
    aliases: tuple = ()  # other headings seen in offices' own spreadsheets
    choices: dict | None = None  # accepted spellings -> code, from choice_lookup()

    def accepted_headings(self):
        return {simplify(h) for h in (self.key, self.heading, self.heading_ms, *self.aliases)}


def simplify(text):
    """Headings and choice values compare without case, spaces or punctuation:
    "No. MyKad" = "no mykad", "Tarikh lahir:" = "tarikh lahir"."""
    return "".join(ch for ch in str(text).casefold() if ch.isalnum())


def choice_lookup(choices, extra=None):
    """Accepted spellings of a TextChoices value: the code, the English label, the
    Malay label, and any extra spellings given as {code: [spelling, ...]}."""
    lookup = {}
    for code, label in choices:
        spellings = [code, label, *(extra or {}).get(code, [])]
        with override("ms"):
            spellings.append(str(label))
        with override("en"):
            spellings.append(str(label))
        lookup.update({simplify(spelling): code for spelling in spellings})
    return lookup


class PreloadedChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField that finds the chosen object in a dict loaded once for
    the whole file (by code, name...) instead of with a query per row."""

    def __init__(self, objects_by_key, **kwargs):
        self.objects_by_key = objects_by_key
        super().__init__(queryset=None, **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return self.objects_by_key[simplify(value)]
        except KeyError:
            raise ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            ) from None


class ImportRowForm:
    """Mixin for the row forms. People are found in what was looked up once for
    the whole file (welfare.people.find_many_by_mykad): `people` {mykad: person}
    and `refused` {mykad: why}. The database constraints are checked by the
    insert itself; their messages are repeated in the models' clean(), which does run."""

    def __init__(self, *args, people, refused, **kwargs):
        self.people, self.refused = people, refused
        super().__init__(*args, **kwargs)
        self.instance.validate_constraints = lambda exclude=None: None
        for form_field in self.fields.values():
            if isinstance(form_field, forms.DateField):
                form_field.input_formats = DATE_INPUT_FORMATS
                form_field.error_messages["invalid"] = _(
                    "Enter the date as YYYY-MM-DD or DD/MM/YYYY."
                )

    def find_person(self, mykad):
        if mykad in self.refused:
            raise ValidationError(self.refused[mykad])
        return self.people.get(mykad)


def office_lookup(user):
    """The offices a user may import into, by code and by name."""
    offices = Office.objects.select_related("state")
    if not user.sees_all_offices:
        offices = offices.filter(pk=user.office_id)
    return {simplify(key): office for office in offices for key in (office.code, office.name)}


# --- Reading the file ---------------------------------------------------------


def cell_text(value):
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def read_table(upload):
    """The rows of an uploaded .csv or .xlsx file, as lists of strings, the
    heading row first; blank rows keep their number but are left out:
    a list of (row number as the spreadsheet shows it, cells).

    Whatever the file holds, reading it stops at the bounds below with a message,
    so that a hostile file costs no more time or memory than the largest valid one."""
    max_bytes = settings.IMPORT_MAX_BYTES
    too_large = _("The file is larger than %(mb)d MB; split it into smaller files.") % {
        "mb": max_bytes // (1024 * 1024)
    }
    if upload.size > max_bytes:
        raise ImportFileError(too_large)
    name = upload.name.lower()
    if name.endswith(".csv"):
        lines = csv_lines(upload)
    elif name.endswith(".xlsx"):
        lines = xlsx_lines(upload)
    else:
        raise ImportFileError(
            _("Upload a CSV (.csv) or Excel (.xlsx) file; older .xls files: save as .xlsx first.")
        )
    rows = []
    cells_read = characters = number = 0
    try:
        for number, line in enumerate(lines, start=1):
            cells_read += max(len(line), 1)
            if cells_read > MAX_CELLS:
                raise ImportFileError(
                    _(
                        "The sheet has more than %(max)s cells, empty ones included; copy "
                        "the rows and columns to import into a new sheet."
                    )
                    % {"max": f"{MAX_CELLS:,}"}
                )
            # Empty cells beyond the last column (formatting) are no reason to refuse a file.
            if any(value not in (None, "") for value in line[MAX_COLUMNS:]):
                raise ImportFileError(
                    _(
                        "Row %(row)d has more than %(max)d columns; delete the columns "
                        "after the last heading."
                    )
                    % {"row": number, "max": MAX_COLUMNS}
                )
            cells = [cell_text(value) for value in line[:MAX_COLUMNS]]
            for cell in cells:
                if len(cell) > MAX_CELL_CHARS:
                    raise ImportFileError(cell_too_long(number))
                if "\x00" in cell:
                    # PostgreSQL stores no NUL in text; a file that has one is damaged.
                    raise ImportFileError(
                        _(
                            "Row %(row)d holds a NUL character: the file is damaged. "
                            "Save it again as CSV UTF-8 or as .xlsx."
                        )
                        % {"row": number}
                    )
                characters += len(cell)
            # A cell of a workbook can repeat one shared string any number of times.
            if characters > max_bytes:
                raise ImportFileError(too_large)
            if any(cells):
                rows.append((number, cells))
                if len(rows) > MAX_ROWS + 1:
                    raise ImportFileError(
                        _("The file has more than %(max)s rows; split it into smaller files.")
                        % {"max": f"{MAX_ROWS:,}"}
                    )
    except UnicodeDecodeError:
        raise ImportFileError(
            _(
                "The file is not in UTF-8. In Excel, save it as “CSV UTF-8 "
                "(Comma delimited)”, or upload the .xlsx file itself."
            )
        ) from None
    except csv.Error:
        # Without `strict`, the reader raises only for a field over its size limit
        # (128 KB), and csv_lines for a line over its own: in the record after `number`.
        raise ImportFileError(cell_too_long(number + 1)) from None
    if len(rows) < 2:
        raise ImportFileError(_("The file is empty: it needs a heading row and at least one row."))
    return rows


def cell_too_long(row):
    return _("Row %(row)d has a cell longer than %(max)s characters.") % {
        "row": row,
        "max": f"{MAX_CELL_CHARS:,}",
    }


def csv_lines(upload):
    """The records of a CSV file, decoded as they are read. A physical line is
    refused beyond what MAX_COLUMNS cells of MAX_CELL_CHARS can take, before the
    csv module splits it (a line of ten million commas is ten million fields)."""
    upload.seek(0)
    text = io.TextIOWrapper(upload.file, encoding="utf-8-sig", newline="")
    max_line = MAX_COLUMNS * (MAX_CELL_CHARS + 3)

    def bounded(lines):
        for line in lines:
            if len(line) > max_line:
                raise csv.Error
            yield line

    try:
        yield from csv.reader(bounded(text))
    finally:
        text.detach()  # the upload stays open for Django to close


def xlsx_lines(upload):
    """The rows of the first sheet of a workbook, streamed: the container is
    checked first (check_workbook_container), then openpyxl reads the sheet row by
    row without trusting the size it claims for itself."""
    check_workbook_container(upload)
    workbook = None
    try:
        upload.seek(0)
        workbook = load_workbook(upload, read_only=True, data_only=True, keep_links=False)
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # else rows are padded to the claimed width, up to 16,384
        yield from sheet.iter_rows(values_only=True)
    except Exception as error:
        # openpyxl raises whatever its parsing meets in a damaged or crafted part
        # (KeyError, ValueError, ParseError, zlib.error, OverflowError, defusedxml's
        # refusal of entities...): a file that cannot be read is the file's fault.
        logger.warning(
            "Import: unreadable .xlsx %r: %s: %s", upload.name, type(error).__name__, error
        )
        raise ImportFileError(_("The file could not be read as an Excel (.xlsx) file.")) from None
    finally:
        if workbook is not None:
            workbook.close()


def check_workbook_container(upload):
    """Refuses, before any part is parsed, a workbook whose zip would expand beyond
    what an import needs: too many members, members that are not parts of a
    workbook, or parts that would unpack beyond the bounds. Python's zipfile never
    unpacks a member beyond the size its directory declares, so the declared sizes
    bound the work. The worksheets are streamed; openpyxl holds the shared strings
    in memory whole and parses the other XML parts whole, hence their own bounds."""
    not_a_workbook = _("The file could not be read as an Excel (.xlsx) file.")
    too_large = _(
        "The workbook would unpack to more than an import needs; copy the rows to "
        "import into a new workbook and upload that."
    )
    upload.seek(0)
    members = zip_member_count(upload)
    if members is None:
        raise ImportFileError(not_a_workbook)
    if members > XLSX_MAX_MEMBERS:
        logger.warning("Import: refused .xlsx %r: %d members", upload.name, members)
        raise ImportFileError(too_large)
    try:
        with zipfile.ZipFile(upload) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise ImportFileError(not_a_workbook) from None
    names = {info.filename for info in infos}
    if not {"[Content_Types].xml", "xl/workbook.xml"} <= names:
        raise ImportFileError(not_a_workbook)
    unpacked = strings = whole = 0
    for info in infos:
        if not XLSX_PART.fullmatch(info.filename) or ".." in info.filename:
            problem = f"unexpected member {info.filename[:100]!r}"
        elif info.flag_bits & 0x1 or info.compress_type not in XLSX_COMPRESSION:
            problem = f"encrypted or unusual compression in {info.filename!r}"
        else:
            problem = None
        if problem:
            logger.warning("Import: refused .xlsx %r: %s", upload.name, problem)
            raise ImportFileError(not_a_workbook)
        unpacked += info.file_size
        if info.filename == "xl/sharedStrings.xml":
            strings += info.file_size
        elif info.filename.endswith((".xml", ".rels")) and not XLSX_SHEET.fullmatch(info.filename):
            whole += info.file_size
    if (
        unpacked > settings.IMPORT_MAX_UNPACKED_BYTES
        or strings > XLSX_MAX_STRINGS_BYTES
        or whole > XLSX_MAX_WHOLE_PARTS_BYTES
    ):
        logger.warning(
            "Import: refused .xlsx %r: unpacks to %d bytes (shared strings %d, parts read whole %d)",
            upload.name,
            unpacked,
            strings,
            whole,
        )
        raise ImportFileError(too_large)


def zip_member_count(file):
    """The number of members a zip file's end record declares, read before its
    directory (a ten-megabyte directory lists a hundred thousand members); None if
    the file is not a zip. A zip64 end record, which no workbook of an import
    needs, counts as too many."""
    file.seek(0, io.SEEK_END)
    size = file.tell()
    tail_size = min(size, 22 + 65535)  # the end record and the longest comment
    file.seek(size - tail_size)
    tail = file.read(tail_size)
    file.seek(0)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        return None
    entries = struct.unpack("<H", tail[at + 10 : at + 12])[0]
    return XLSX_MAX_MEMBERS + 1 if entries == 0xFFFF else entries


def rows_by_column(table, columns):
    """Match the heading row to the columns (English or Malay headings): a list
    of (row number, {column key: text})."""
    (_heading_number, headings), *lines = table
    positions = {}
    unknown = []
    for position, heading in enumerate(headings):
        if not heading:
            continue
        column = next((c for c in columns if simplify(heading) in c.accepted_headings()), None)
        if column is None:
            unknown.append(heading)
        elif column.key not in positions:
            positions[column.key] = position
    problems = []
    if unknown:
        problems.append(
            _("Unknown column heading(s): %(headings)s. The template shows the headings to use.")
            % {"headings": ", ".join(f"“{h}”" for h in unknown)}
        )
    missing = [str(c.heading) for c in columns if c.required and c.key not in positions]
    if missing:
        problems.append(_("Missing column(s): %(headings)s.") % {"headings": ", ".join(missing)})
    if problems:
        raise ImportFileError(" ".join(str(p) for p in problems))
    return [
        (number, {key: cells[p] if p < len(cells) else "" for key, p in positions.items()})
        for number, cells in lines
    ]


# --- Checking the rows --------------------------------------------------------


@dataclass
class RowResult:
    number: int
    values: dict
    errors: list = field(default_factory=list)  # (column heading, message)
    person: Person | None = None  # the person recorded already, or the new one
    reused: bool = False
    form: forms.BaseForm | None = None
    office: Office | None = None  # for records that name their office

    def add_error(self, heading, message):
        self.errors.append((heading, str(message)))


class Import:
    """What one kind of import needs; subclasses set the columns and write
    row_form(), preload() and create()."""

    columns: list[Column] = []
    title = ""
    filename = "import"

    def __init__(self, user, target):
        self.user = user
        self.target = target

    def heading_of(self, key):
        for column in self.columns:
            if column.key == key:
                return str(column.heading)
        return str(key)

    # For subclasses:
    def preload(self, people, rows):
        """Load, in a fixed number of queries, what the row forms look up
        (people: {mykad: person} of the people already recorded)."""

    defaults: dict = {}  # form data for columns left out or empty

    def row_form(self, data, found, result):
        """The bound row form, given found=dict(people=..., refused=...) for
        ImportRowForm; result.add_error() for what the form cannot know."""
        raise NotImplementedError

    def create(self, results):
        """Bulk-create the records of the checked rows (people already saved)."""
        raise NotImplementedError

    def office_of(self, result):
        """The office that records a new person of this row."""
        raise NotImplementedError

    # The machinery:
    def check(self, rows, *, preview=True):
        """preview: the people found are shown, so logged and counted against the
        day's look-ups; a confirmation after the preview checks again unlogged."""
        mykads = [values.get("mykad", "") for _number, values in rows]
        people, refused = find_many_by_mykad(self.user, mykads, log=preview)
        found = {"people": people, "refused": refused}
        self.preload(people, rows)
        results = []
        first_row_of = {}
        for number, values in rows:
            result = RowResult(number, values)
            data = dict(self.defaults)
            for column in self.columns:
                value = values.get(column.key, "")
                if value and column.choices:
                    value = column.choices.get(simplify(value), value)
                if value:
                    data[column.key] = value
            form = self.row_form(data, found, result)
            result.form = form
            if not form.is_valid():
                already = {heading for heading, _message in result.errors}
                for name, errors in form.errors.items():
                    heading = self.heading_of(name) if name != "__all__" else gettext("Row")
                    if heading not in already:  # the import's own message comes first
                        result.errors.extend((heading, str(message)) for message in errors)
            mykad = form.cleaned_data.get("mykad")
            if mykad:
                identity = ("mykad", mykad)
            else:
                identity = ("name", simplify(values.get("name", "")), values.get("date_of_birth"))
            if identity in first_row_of:
                result.add_error(
                    self.heading_of("mykad" if mykad else "name"),
                    _("The same person is already in row %(row)d of this file.")
                    % {"row": first_row_of[identity]},
                )
            else:
                first_row_of[identity] = number
            result.person = getattr(form, "existing_person", None)
            result.reused = result.person is not None
            results.append(result)
        return results

    def new_person(self, form, office):
        data = form.cleaned_data
        person = Person(
            mykad=data.get("mykad") or "",
            office=office,
            **{
                name: data.get(name) or default
                for name, default in [
                    ("name", ""),
                    ("date_of_birth", None),
                    ("sex", ""),
                    ("phone", ""),
                    ("address", ""),
                    ("postcode", ""),
                ]
            },
        )
        person.fill_from_mykad()
        return person

    @transaction.atomic
    def save(self, results):
        new_people = [
            (result, self.new_person(result.form, self.office_of(result)))
            for result in results
            if not result.reused
        ]
        bulk_create(Person, [person for _result, person in new_people], self.user)
        # As on the pages: a MyKad whose deleted record find_many_by_mykad() gave
        # back (to its own office) restores it, with a history row.
        for result in results:
            if result.reused and result.person.deleted_at:
                result.person.restore()
        for result, person in new_people:
            result.person = person
        return self.create(results)

    def template_response(self, file_format):
        return table_response(
            file_format,
            self.filename,
            [c.heading for c in self.columns],
            [[c.example for c in self.columns]],
        )


def bulk_create(model, objects, user):
    """Inserts a thousand rows per query; a model that keeps an audit history
    (django-simple-history) gets its history rows the same way, by `user`, from
    the request's address."""
    if hasattr(model, "history"):
        return bulk_create_with_history(
            objects,
            model,
            batch_size=BATCH_SIZE,
            default_user=user,
            custom_historical_attrs=history_attrs(),
        )
    return model.objects.bulk_create(objects, BATCH_SIZE)


def in_batches(values, query):
    """query(batch) for each thousand values, the results chained: a fixed
    number of queries per batch, never one per row."""
    values = list(values)
    found = []
    for start in range(0, len(values), BATCH_SIZE):
        found.extend(query(values[start : start + BATCH_SIZE]))
    return found


# --- Keeping the rows between the two steps -------------------------------------


def stage(request, kind, target_pk, rows):
    """Keep the parsed rows in a server-side file named by a random token, which
    the session binds to this user and this import: the browser only ever sends
    the token back."""
    STAGING_DIR.mkdir(mode=0o700, exist_ok=True)
    cutoff = time.time() - STAGING_HOURS * 3600
    for old in STAGING_DIR.glob("*.json"):
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    token = secrets.token_urlsafe(24)
    (STAGING_DIR / f"{token}.json").write_text(json.dumps(rows), encoding="utf-8")
    request.session[f"import-{token}"] = {"kind": kind, "target": target_pk}
    return token


def unstage(request, kind, target_pk, token, *, delete=False):
    """The staged rows, or None if the token is not this session's for this import."""
    if request.session.get(f"import-{token}") != {"kind": kind, "target": target_pk}:
        return None
    path = STAGING_DIR / f"{token}.json"
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    if delete:
        # Only once the rows are committed: a failed save can be confirmed again.
        transaction.on_commit(lambda: path.unlink(missing_ok=True))
        del request.session[f"import-{token}"]
    return [(number, values) for number, values in rows]


# --- The page ------------------------------------------------------------------


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"), widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "CSV (UTF-8) or Excel .xlsx, at most %(mb)d MB and %(rows)s rows."
        ) % {"mb": settings.IMPORT_MAX_BYTES // (1024 * 1024), "rows": f"{MAX_ROWS:,}"}


def import_page(request, importer, *, kind, target_pk, back_url, back_label, template_urls):
    """Upload (GET, POST with a file), preview, confirm (POST with the token)."""
    context = {
        "importer": importer,
        "back_url": back_url,
        "back_label": back_label,
        "template_urls": template_urls,
        "columns": importer.columns,
    }
    if request.method == "POST" and "token" in request.POST:
        token = request.POST["token"]
        rows = unstage(request, kind, target_pk, token)
        if rows is None:
            messages.error(request, gettext("This import has expired; upload the file again."))
            return redirect(request.path)
        results = importer.check(rows, preview=False)
        if not any(result.errors for result in results):
            try:
                importer.save(results)
            except IntegrityError:
                # Someone recorded one of these people since the preview, or a
                # row breaks a rule that only the database checks.
                results = importer.check(rows, preview=False)
                if not any(result.errors for result in results):
                    messages.error(
                        request,
                        gettext("The database refused a row; nothing was saved. Check the values."),
                    )
            else:
                unstage(request, kind, target_pk, token, delete=True)
                created = sum(not r.reused for r in results)
                messages.success(
                    request,
                    gettext(
                        "Imported %(rows)d rows: %(new)d new people, %(reused)d already recorded."
                    )
                    % {"rows": len(results), "new": created, "reused": len(results) - created},
                )
                return redirect(back_url)
        return render(
            request, "imports/import.html", {**context, **summary(request, results), "token": token}
        )
    form = UploadForm(request.POST or None, request.FILES or None)
    if form.is_valid():
        try:
            rows = rows_by_column(read_table(form.cleaned_data["file"]), importer.columns)
        except ImportFileError as error:
            form.add_error("file", str(error))
        else:
            results = importer.check(rows)
            token = stage(request, kind, target_pk, rows)
            return render(
                request,
                "imports/import.html",
                {
                    **context,
                    **summary(request, results),
                    "token": token,
                    "filename": form.cleaned_data["file"].name,
                },
            )
    return render(request, "imports/import.html", {**context, "form": form})


def summary(request, results):
    errors = [r for r in results if r.errors]
    # The page lists 500 rows; their MyKads are decided at once.
    disclosure_for(request).prime([r.person for r in results[:500] if r.reused])
    return {
        "results": results,
        "error_rows": errors,
        "error_count": sum(len(r.errors) for r in errors),
        "new_count": sum(not r.reused for r in results),
        "reused_count": sum(r.reused for r in results),
    }
