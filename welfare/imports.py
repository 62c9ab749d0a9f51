"""Bulk import from CSV and Excel files, in two steps: upload, then a preview
(what will be created, which people are already recorded, the errors with their
row and column), then confirm. Nothing is written while a row has an error, and
everything is written in one transaction with bulk inserts.

Each row is checked by the same ModelForm as the page that records one such row
(a subclass that looks people and choices up in what was loaded once for the
whole file, instead of one query per row), so the messages read the same; the
form is built once and bound to each row in turn. What a correct file will write
is kept in the database (StagedImport) between the two steps, and the
confirmation checks again only the rows whose person may have changed since.
Each app describes its import with an `Import` subclass next to its forms."""

import calendar
import copy
import csv
import functools
import io
import logging
import re
import secrets
import struct
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models.expressions import DatabaseDefault
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext, override
from django.utils.translation import gettext_lazy as _
from openpyxl import load_workbook

from welfare.audit import history_attrs
from welfare.exports import table_response
from welfare.models import Office, Person, StagedImport
from welfare.mykad import normalize_mykad
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

    def accepted_values(self):
        """What a coded column accepts, each value in English and in Malay (its
        code, as the template's example writes it, too): ["community: Local
        community / Komuniti setempat", ...]; [] for a column of free text."""
        return [
            f"{code}: {' / '.join(dict.fromkeys(names))}"
            for code, names in (self.choices.names if self.choices else {}).items()
        ]

    def not_accepted(self, value):
        return _("“%(value)s” is not one of: %(accepted)s.") % {
            "value": value,
            "accepted": "; ".join(self.accepted_values()),
        }


@functools.lru_cache(maxsize=4096)
def simplify(text):
    """Headings and choice values compare without case, spaces or punctuation:
    "No. MyKad" = "no mykad", "Tarikh lahir:" = "tarikh lahir". Cached: the
    rows of a file repeat their choices (a target group, an office) thousands
    of times."""
    return "".join(ch for ch in str(text).casefold() if ch.isalnum())


class ChoiceLookup(dict):
    """{simplified spelling: code}, and `names`: {code: [English label, Malay
    label, other Malay spellings]} for the page, the template and the messages."""

    names: dict


def choice_lookup(choices, extra=None):
    """Accepted spellings of a TextChoices value: the code, the English label, the
    Malay label, and any extra spellings given as {code: [spelling, ...]}."""
    lookup = ChoiceLookup()
    lookup.names = {}
    for code, label in choices:
        spellings = [code, label, *(extra or {}).get(code, [])]
        with override("ms"):
            spellings.append(str(label))
            malay = str(label)
        with override("en"):
            spellings.append(str(label))
            english = str(label)
        lookup.update({simplify(spelling): code for spelling in spellings})
        lookup.names[code] = [english, malay, *(extra or {}).get(code, [])]
    return lookup


SEXES_MS = {"M": ["L", "Lelaki"], "F": ["P", "Perempuan"]}

# The person's columns, first in every file that records people (participants,
# volunteers, cases).
PERSON_COLUMNS = [
    Column(
        "mykad",
        _("MyKad"),
        "No. MyKad",
        "560101-10-1234",
        aliases=("MyKad number", "No. Kad Pengenalan", "No. KP", "IC", "NRIC"),
    ),
    Column("name", _("Name"), "Nama", "Siti binti Ahmad", aliases=("Nama penuh", "Full name")),
    Column("date_of_birth", _("Date of birth"), "Tarikh lahir", "", aliases=("DOB",)),
    Column("sex", _("Sex"), "Jantina", "F", choices=choice_lookup(Person.Sex.choices, SEXES_MS)),
    Column("phone", _("Phone"), "No. telefon", "012-3456789", aliases=("Telefon",)),
    Column("address", _("Address"), "Alamat", "No. 1, Jalan Mawar, Petaling Jaya"),
]


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
    insert itself; their messages are repeated in the models' clean(), which does run.

    One form is built per import (and office, for records that name theirs): its
    fields, querysets and messages once. for_row() gives a copy bound to one row,
    which costs that row's cleaning only and is dropped once the row is checked."""

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
                # Built by the page's form: only its reading of the text changes.
                form_field.__class__ = ImportDateField

    def for_row(self, data):
        """This form bound to `data`, with a new instance: the fields are shared
        (cleaning reads them, never changes them), the dict of them is not (a
        person already recorded takes their details out of it)."""
        form = copy.copy(self)
        form.data = data
        form.is_bound = True
        form.fields = self.fields.copy()
        form._bound_fields_cache = {}
        form._errors = None
        form.instance = new_copy(self.instance)
        form.look_up_person()
        return form

    def validate_unique(self):
        """Left to the insert: the rows' models have no unique field but their id,
        and their unique constraints are the database's (see above)."""

    def find_person(self, mykad):
        if mykad in self.refused:
            raise ValidationError(self.refused[mykad])
        return self.people.get(mykad)

    def _get_validation_exclusions(self):
        # A choice found in what was loaded for the file is a row of its table:
        # the model's check of the foreign key would ask the database again, per row.
        exclude = super()._get_validation_exclusions()
        exclude.update(
            name for name, field in self.fields.items() if isinstance(field, PreloadedChoiceField)
        )
        return exclude


class ImportDateField(forms.DateField):
    """A date written in a right format but that does not exist (31/02/2026) is
    named as such, not as a wrong format."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except ValidationError:
            if problem := nonexistent_date(value):
                raise ValidationError(problem, code="invalid_date") from None
            raise


DATE_PARTS = [
    (re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"), (0, 1, 2)),
    (re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})"), (2, 1, 0)),
]


def nonexistent_date(text):
    """Why a date in one of the import's formats does not exist, or None when
    the text is not in one of them."""
    text = str(text).strip()
    for pattern, (year_at, month_at, day_at) in DATE_PARTS:
        if match := pattern.fullmatch(text):
            parts = [int(part) for part in match.groups()]
            year, month, day = parts[year_at], parts[month_at], parts[day_at]
            if year < 1:
                return None
            if not 1 <= month <= 12:
                return _("%(date)s does not exist: there is no month %(month)d.") % {
                    "date": text,
                    "month": month,
                }
            days = calendar.monthrange(year, month)[1]
            if not 1 <= day <= days:
                with_days = date(year, month, 1)
                return _("%(date)s does not exist: %(month)s has %(days)d days.") % {
                    "date": text,
                    "month": date_format(with_days, "YEAR_MONTH_FORMAT"),
                    "days": days,
                }
    return None


def new_copy(instance):
    """A copy of an unsaved model instance, as copy.copy() makes it (Model.__getstate__:
    its own state and cache of related objects) without pickling it first."""
    clone = type(instance).__new__(type(instance))
    clone.__dict__.update(instance.__dict__)
    clone._state = copy.copy(instance._state)
    clone._state.fields_cache = instance._state.fields_cache.copy()
    return clone


def office_lookup(user):
    """The offices a user may import into, by code and by name."""
    offices = user.offices_to_write_into()
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

PREVIEW_ROWS = 500  # the rows the preview lists
MAX_ERRORS_SHOWN = 500  # the errors it lists; all are counted, by column too


@dataclass
class RowResult:
    """A row as the preview shows it: its first rows, and its rows with errors."""

    number: int
    values: dict
    errors: list = field(default_factory=list)  # (column heading, message)
    person: Person | None = None  # the person recorded already
    office: Office | None = None  # for records that name their office
    skipped: bool = False  # the person is there already, and the user chose to skip them
    there_already: bool = False  # the same, without that choice: an error

    @property
    def reused(self):
        return self.person is not None

    def add_error(self, heading, message):
        self.errors.append((heading, str(message)))


class CheckedRows:
    """What checking a file found, in memory that does not grow with its errors:
    counts over every row, the first rows and errors for the page and, while no
    row has an error, what saving writes for each row (`staged`, see
    Import.staged_row)."""

    def __init__(self):
        self.row_count = self.error_count = self.errors_shown = 0
        # The rows that saving writes (new people, people already recorded), the
        # rows with errors, the rows skipped.
        self.new_count = self.reused_count = self.invalid_count = self.skipped_count = 0
        self.there_already_count = 0
        self.shown = []
        self.error_rows = []
        self.column_errors = Counter()
        self.staged = []
        self.restore = []  # deleted people whose MyKad brings them back

    @property
    def saved_count(self):
        return self.new_count + self.reused_count

    @property
    def rows_not_shown(self):
        return self.row_count - len(self.shown)

    @property
    def errors_by_column(self):
        return self.column_errors.most_common()

    @property
    def errors_not_shown(self):
        return self.error_count - self.errors_shown

    def add(self, result, staged):
        self.row_count += 1
        self.there_already_count += result.there_already
        if result.errors:
            self.invalid_count += 1
        elif result.skipped:
            self.skipped_count += 1
        elif result.reused:
            self.reused_count += 1
        else:
            self.new_count += 1
        if len(self.shown) < PREVIEW_ROWS:
            self.shown.append(result)
        if result.skipped and not result.errors:
            return
        if result.errors:
            self.error_count += len(result.errors)
            self.column_errors.update(heading for heading, _message in result.errors)
            if self.errors_shown < MAX_ERRORS_SHOWN:
                self.error_rows.append(result)
                self.errors_shown += len(result.errors)
            self.staged = None  # nothing is saved while a row has an error
        elif self.staged is not None:
            self.staged.append(staged)
            if result.reused and result.person.deleted_at:
                self.restore.append(result.person)


class Import:
    """What one kind of import needs; subclasses set the columns, the model of
    the records the rows create and its foreign key to the person, and write
    row_form() and preload()."""

    columns: list[Column] = []
    title = ""
    filename = "import"
    model = None
    person_field = ""
    # The label of the upload form's option to skip the rows of people who have
    # a record here already (is_there_already), instead of refusing the file.
    skip_label = None

    def __init__(self, user, target):
        self.user = user
        self.target = target
        self.skip_existing = False

    def is_there_already(self, person):
        """For skip_label: the person has the record a row would create."""
        return False

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

    def row_key(self, values, result):
        """What a row's form depends on besides the import (the office of a
        record that names it): one form is built per key. result.add_error()
        for what the form cannot know."""
        return None

    def row_form(self, data, found, key):
        """The form for the rows of `key`, given found=dict(people=..., refused=...)
        for ImportRowForm. Built once (with empty data), then bound to each row."""
        raise NotImplementedError

    def office_of(self, result):
        """The office that records a new person of this row."""
        raise NotImplementedError

    # The machinery:
    def check(self, rows, *, preview=True):
        """rows: (number, values) as rows_by_column() gives them. preview: the
        people found are shown, so logged and counted against the day's look-ups;
        a confirmation checks again unlogged."""
        mykads = [values.get("mykad", "") for _number, values in rows]
        people, refused = find_many_by_mykad(self.user, mykads, log=preview)
        self.preload(people, rows)
        found = {"people": people, "refused": refused}
        checked, forms_by_key, first_row_of = CheckedRows(), {}, {}
        for number, values in rows:
            result, mykad, staged = self.check_row(number, values, found, forms_by_key)
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
            checked.add(result, staged)
        return checked

    def recheck(self, staged):
        """The confirmation of a preview whose rows were all correct. What the
        preview proved of a row holds unless its person changed since: the rows
        of a person recorded at the preview or since are checked again in full (an
        enrolment, a case or a role of theirs since, their record deleted, a
        person recorded by someone else since the preview); a row of a new person
        keeps what was staged, and the database's constraints check it again as
        it is written. The rows of a file cannot name one person twice: that was
        checked across the file."""
        mykads = {normalize_mykad(row["values"].get("mykad", "")) for row in staged}
        people, refused = find_many_by_mykad(self.user, mykads, log=False)
        recorded = people.keys() | refused.keys()

        def changed(row):
            mykad = normalize_mykad(row["values"].get("mykad", ""))
            return row["person"] is not None or mykad in recorded

        self.preload(people, [(row["number"], row["values"]) for row in staged if changed(row)])
        found = {"people": people, "refused": refused}
        checked, forms_by_key = CheckedRows(), {}
        for row in staged:
            if changed(row):
                result, _mykad, row = self.check_row(
                    row["number"], row["values"], found, forms_by_key
                )
            else:
                result = RowResult(row["number"], row["values"])
            checked.add(result, row)
        return checked

    def check_row(self, number, values, found, forms_by_key):
        """(result, the MyKad read, what saving writes or None)."""
        result = RowResult(number, values)
        key = self.row_key(values, result)
        if key not in forms_by_key:
            forms_by_key[key] = self.row_form({}, found, key)
        form = forms_by_key[key].for_row(self.form_data(values))
        person = form.existing_person
        if self.skip_label and person is not None and self.is_there_already(person):
            if self.skip_existing:
                result.person, result.skipped = person, True
                return result, person.mykad, None
            result.there_already = True  # refused below; the page offers to skip them
        for column in self.columns:
            value = values.get(column.key, "")
            if value and column.choices and simplify(value) not in column.choices:
                result.add_error(str(column.heading), column.not_accepted(value))
        if not form.is_valid():
            already = {heading for heading, _message in result.errors}
            for name, errors in form.errors.items():
                heading = self.heading_of(name) if name != "__all__" else gettext("Row")
                if heading not in already:  # the import's own message comes first
                    result.errors.extend((heading, str(message)) for message in errors)
        result.person = form.existing_person
        staged = None if result.errors else self.staged_row(result, form)
        return result, form.cleaned_data.get("mykad"), staged

    def form_data(self, values):
        data = dict(self.defaults)
        for column in self.columns:
            value = values.get(column.key, "")
            if value and column.choices:
                value = column.choices.get(simplify(value), value)
            if value:
                data[column.key] = value
        return data

    def staged_row(self, result, form):
        """What saving a correct row writes, as JSON: the person recorded already
        or the new one, and the record's values."""
        person = result.person
        return {
            "number": result.number,
            "values": result.values,
            "person": person.pk if person else None,
            "new_person": None if person else changed_fields(self.new_person(form, result)),
            "record": changed_fields(form.instance, exclude=self.person_field),
        }

    def new_person(self, form, result):
        data = form.cleaned_data
        person = Person(
            mykad=data.get("mykad") or "",
            office=self.office_of(result),
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
    def save(self, checked):
        """Writes the staged rows, a thousand at a time: their new people, then
        their records, each with its history rows."""
        # As on the pages: a MyKad whose deleted record find_many_by_mykad() gave
        # back (to its own office) restores it, with a history row.
        for person in checked.restore:
            person.restore()
        link = self.model._meta.get_field(self.person_field).attname
        for start in range(0, len(checked.staged), BATCH_SIZE):
            batch = checked.staged[start : start + BATCH_SIZE]
            new_people = {
                index: instance_of(Person, row["new_person"])
                for index, row in enumerate(batch)
                if row["new_person"] is not None
            }
            bulk_create(Person, list(new_people.values()), self.user)
            records = []
            for index, row in enumerate(batch):
                record = instance_of(self.model, row["record"])
                setattr(
                    record, link, new_people[index].pk if index in new_people else row["person"]
                )
                records.append(record)
            bulk_create(self.model, records, self.user)
        return len(checked.staged)

    def template_response(self, file_format):
        """The headings and an example row; a workbook lists on its Notes sheet
        the values each coded column accepts (the page lists them too)."""
        accepted = gettext("accepted values")
        notes = [
            f"{column.heading} / {column.heading_ms} — {accepted}: {value}"
            for column in self.columns
            for value in column.accepted_values()
        ]
        return table_response(
            file_format,
            self.filename,
            [c.heading for c in self.columns],
            [[c.example for c in self.columns]],
            notes=notes,
        )


def changed_fields(instance, exclude=""):
    """A new instance's values that differ from its model's defaults: what to
    stage of it (JSON, with DjangoJSONEncoder), for instance_of() to rebuild."""
    values = {}
    for model_field, default in staged_fields(type(instance), exclude):
        value = model_field.value_from_object(instance)
        # A field with a db_default the row leaves to the database.
        if value != default and not isinstance(value, DatabaseDefault):
            values[model_field.attname] = value
    return values


@functools.cache
def staged_fields(model, exclude):
    """(field, its default) of the fields of a new record, but its id and
    `exclude`; a default computed anew for each record (a date, a token) is
    never left to the confirmation to compute again."""
    never = object()
    return [
        (model_field, never if callable(model_field.default) else model_field.get_default())
        for model_field in model._meta.concrete_fields
        if not model_field.primary_key and model_field.name != exclude
    ]


def instance_of(model, values):
    """The new instance that changed_fields() staged, its values read back from JSON."""
    fields = model._meta
    return model(**{name: fields.get_field(name).to_python(v) for name, v in values.items()})


def bulk_create(model, objects, user):
    """Inserts a thousand rows per query; a model that keeps an audit history
    (django-simple-history) gets the history rows of the new records as
    bulk_create_with_history() writes them (created, by `user`, from the request's
    address), but made by the database from the rows just inserted, with one
    INSERT … SELECT per thousand, rather than built in Python object by object
    (half the time of a 20,000-row import)."""
    # A field left to its db_default holds an expression, and a single expression
    # keeps Django from sending the rows to PostgreSQL as arrays (UNNEST): each
    # of a thousand rows' values then becomes a parameter of its own, a third
    # of the confirmation's time. A plain value says the same.
    literal_defaults = [
        (field.attname, field.db_default)
        for field in model._meta.concrete_fields
        if field.has_db_default() and not hasattr(field.db_default, "resolve_expression")
    ]
    for instance in objects:
        for attname, value in literal_defaults:
            if isinstance(getattr(instance, attname), DatabaseDefault):
                setattr(instance, attname, value)
    created = model._default_manager.bulk_create(objects, BATCH_SIZE)
    if hasattr(model, "history"):
        ids = [record.pk for record in created]
        for start in range(0, len(ids), BATCH_SIZE):
            insert_history(model, ids[start : start + BATCH_SIZE], user)
    return created


def insert_history(model, ids, user):
    history = model.history.model
    columns = {model_field.column for model_field in model._meta.concrete_fields}
    copied = [f.column for f in history._meta.concrete_fields if f.column in columns]
    given = {
        "history_date": timezone.now(),
        "history_change_reason": None,
        "history_type": "+",
        "history_user_id": user.pk,
        **history_attrs(),
    }
    values = [
        history._meta.get_field(name).get_db_prep_save(value, connection)
        for name, value in given.items()
    ]
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(history._meta.db_table)} "
        f"({', '.join(quote(column) for column in [*copied, *given])}) "
        f"SELECT {', '.join(quote(column) for column in copied)}, {', '.join(['%s'] * len(given))} "
        f"FROM {quote(model._meta.db_table)} "
        f"WHERE {quote(model._meta.pk.column)} IN ({', '.join(['%s'] * len(ids))})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, *ids])


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
    """Keep the checked rows in the database under a random token, which the
    session binds to this user and this import: the browser only ever sends the
    token back, and the confirmation may reach another server."""
    StagedImport.objects.filter(
        created_at__lt=timezone.now() - timedelta(hours=STAGING_HOURS)
    ).delete()
    token = secrets.token_urlsafe(24)
    StagedImport.objects.create(
        token=token, user=request.user, kind=kind, target=target_pk, rows=rows
    )
    request.session[f"import-{token}"] = {"kind": kind, "target": target_pk}
    return token


def unstage(request, kind, target_pk, token):
    """The staged import, or None if the token is not this session's for this
    import. Locked until the request ends: the same confirmation sent twice
    (a double click) waits for the first, then finds the import gone."""
    if request.session.get(f"import-{token}") != {"kind": kind, "target": target_pk}:
        return None
    return (
        StagedImport.objects.select_for_update()
        .filter(
            token=token,
            user=request.user,
            kind=kind,
            target=target_pk,
            created_at__gte=timezone.now() - timedelta(hours=STAGING_HOURS),
        )
        .first()
    )


def forget(request, staged):
    """Only with the rows committed: in the request's transaction."""
    staged.delete()
    del request.session[f"import-{staged.token}"]


# --- The page ------------------------------------------------------------------


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"), widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"})
    )

    skip_existing = forms.BooleanField(required=False)

    def __init__(self, *args, importer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "CSV (UTF-8) or Excel .xlsx, at most %(mb)d MB and %(rows)s rows."
        ) % {"mb": settings.IMPORT_MAX_BYTES // (1024 * 1024), "rows": f"{MAX_ROWS:,}"}
        if importer.skip_label:
            self.fields["skip_existing"].label = importer.skip_label
        else:
            del self.fields["skip_existing"]


def imported_message(checked):
    """ "Imported 3 rows: 1 new person, 2 already recorded.", each count with its
    plural (the clauses of the preview's summary, templates/imports/import.html)."""
    rows, new, reused = checked.saved_count, checked.new_count, checked.reused_count
    imported = ngettext("Imported %(rows)s row", "Imported %(rows)s rows", rows) % {"rows": rows}
    created = ngettext("%(new)s new person", "%(new)s new people", new) % {"new": new}
    found = ngettext("%(reused)s already recorded", "%(reused)s already recorded", reused) % {
        "reused": reused
    }
    return f"{imported}: {created}, {found}."


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
        staged = unstage(request, kind, target_pk, token)
        if staged is None:
            messages.error(request, gettext("This import has expired; upload the file again."))
            return redirect(request.path)
        importer.skip_existing = bool(importer.skip_label and request.POST.get("skip_existing"))
        checked = importer.recheck(staged.rows)
        if not checked.error_count:
            try:
                importer.save(checked)
            except IntegrityError:
                # A row breaks a rule that only the database checks, or someone
                # recorded a person since in a way the check did not see: in full.
                rows = [(row["number"], row["values"]) for row in staged.rows]
                checked = importer.check(rows, preview=False)
                if not checked.error_count:
                    messages.error(
                        request,
                        gettext("The database refused a row; nothing was saved. Check the values."),
                    )
            else:
                forget(request, staged)
                skipped = request.POST.get("skipped", "")
                if importer.skip_existing and skipped.isdigit() and int(skipped):
                    messages.info(
                        request,
                        ngettext(
                            "%(count)d person already there was skipped.",
                            "%(count)d people already there were skipped.",
                            int(skipped),
                        )
                        % {"count": int(skipped)},
                    )
                messages.success(request, imported_message(checked))
                return redirect(back_url)
        return render(
            request,
            "imports/import.html",
            {
                **context,
                **summary(request, checked),
                "token": token,
                "skip_existing": importer.skip_existing,
            },
        )
    form = UploadForm(request.POST or None, request.FILES or None, importer=importer)
    if form.is_valid():
        try:
            rows = rows_by_column(read_table(form.cleaned_data["file"]), importer.columns)
        except ImportFileError as error:
            form.add_error("file", str(error))
        else:
            importer.skip_existing = form.cleaned_data.get("skip_existing", False)
            checked = importer.check(rows)
            del rows  # the staged rows hold what confirming needs
            # Only a file without errors can be confirmed.
            token = None if checked.error_count else stage(request, kind, target_pk, checked.staged)
            return render(
                request,
                "imports/import.html",
                {
                    **context,
                    **summary(request, checked),
                    "token": token,
                    "filename": form.cleaned_data["file"].name,
                    "skip_existing": importer.skip_existing,
                },
            )
    return render(request, "imports/import.html", {**context, "form": form})


def summary(request, checked):
    # The page lists the first rows; their MyKads are decided at once.
    disclosure_for(request).prime([r.person for r in checked.shown if r.reused])
    return {
        "checked": checked,
        "error_rows": checked.error_rows,
        "error_count": checked.error_count,
        "new_count": checked.new_count,
        "reused_count": checked.reused_count,
        "invalid_count": checked.invalid_count,
        "skipped_count": checked.skipped_count,
        "there_already_count": checked.there_already_count,
    }
