"""Published editions: HQ publishes a table as at a date (or for a year), its cells
are kept as they were, the public reads them with small counts of people
withheld (reports.suppression), and later data changes them only through an
explicit revision, a new version with its reason. Also the offices' word that a
month's records are complete, and the records entered for a month after it.

The cells come from the same summaries as the signed-in reports
(reports.figures), with the same columns as their CSV files."""

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Count, F, OuterRef, Subquery
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from homehelp.models import Visit
from programs.models import Participation, Project
from reports import figures
from reports.forms import (
    HomeHelpByOfficeForm,
    HomeHelpReportForm,
    ProjectsByOfficeForm,
    ProjectsReportForm,
)
from reports.models import Edition, MonthConfirmation, Table
from reports.queries import next_month
from reports.suppression import protect_table
from welfare.models import Office, Role, State


@dataclass(frozen=True)
class Spec:
    """What a published table is: the report form whose filters it takes, its
    columns (as the signed-in report's CSV names them: two label columns, then
    figures), which figures count people, whether its files end with a TOTAL
    line, and the signed-in report it is taken from."""

    table: str
    form: type
    columns: tuple
    people: frozenset
    file_total: bool
    by_year: bool
    report: str


STATE_COLUMNS = ("state_code", "state")
OFFICE_COLUMNS = ("office_code", "office_name")
PROGRAMME = ("projects", "participants", "persons")

SPECS = {
    spec.table: spec
    for spec in [
        Spec(
            Table.PROJECTS_BY_STATE,
            ProjectsReportForm,
            (*STATE_COLUMNS, *PROGRAMME),
            frozenset({"participants", "persons"}),
            file_total=True,
            by_year=False,
            report="reports:projects-by-state",
        ),
        Spec(
            Table.HOME_HELP_BY_STATE,
            HomeHelpReportForm,
            (*STATE_COLUMNS, "clients_served", "volunteers", "visits"),
            # Visits bound the clients and volunteers (one visit: one of each), so
            # a small count of visits is withheld as theirs are.
            frozenset({"clients_served", "volunteers", "visits"}),
            file_total=True,
            by_year=True,
            report="reports:home-help",
        ),
        Spec(
            Table.PROJECTS_BY_OFFICE,
            ProjectsByOfficeForm,
            (*OFFICE_COLUMNS, *PROGRAMME),
            frozenset({"participants", "persons"}),
            file_total=True,
            by_year=False,
            report="reports:projects-by-office",
        ),
        Spec(
            Table.HOME_HELP_BY_OFFICE,
            HomeHelpByOfficeForm,
            (*OFFICE_COLUMNS, "clients_served", "volunteers", "visits", "minutes"),
            # A visit lasts 1 to 720 minutes: a minute or two is one or two visits.
            frozenset({"clients_served", "volunteers", "visits", "minutes"}),
            file_total=False,
            by_year=True,
            report="reports:home-help-by-office",
        ),
    ]
}
# The filters an edition keeps, as its address and files name them (a state by
# its code, a date as YYYY-MM-DD), in this order.
FILTERS = ("as_of", "year", "state", "type", "status", "target_group", "client_type")
HEADINGS = {
    "state_code": gettext_lazy("State code"),
    "state": gettext_lazy("State"),
    "office_code": gettext_lazy("Office code"),
    "office_name": gettext_lazy("Office"),
    "projects": gettext_lazy("Number of projects"),
    "participants": gettext_lazy("Number of participants"),
    "persons": gettext_lazy("Distinct persons"),
    "clients_served": gettext_lazy("Clients served"),
    "volunteers": gettext_lazy("Volunteers"),
    "visits": gettext_lazy("Visits"),
    "minutes": gettext_lazy("Minutes"),
}


class NotPublishable(Exception):
    """The filters cannot make an edition (a date to come, an unknown state...)."""


class AlreadyPublished(Exception):
    def __init__(self, edition):
        super().__init__(f"{edition} is published already")
        self.edition = edition


class NothingToRevise(Exception):
    """Today's figures are those of the edition: a revision would say nothing new."""


class NotLatest(Exception):
    """Only the latest version of an edition is revised."""


def min_cell():
    return settings.PUBLIC_MIN_CELL


def may_publish(user):
    """HQ publishes and revises; nobody else, administrators included (they keep
    the system, not the statistics)."""
    return (
        user.is_authenticated
        and user.is_active
        and Role.HQ in user.role_names
        and not user.is_volunteer
    )


def may_read_editions(user):
    """The signed-in pages of the editions (exact cells, differences): HQ and administrators."""
    return user.is_authenticated and user.is_active and user.sees_all_offices


# --- Filters and cells -------------------------------------------------------------


def cleaned_filters(table, data):
    """The filters of `data` (a report's GET parameters) as an edition keeps
    them: {name: the value as the address says it}, the empty ones left out,
    the as-of date or the year always in. Raises NotPublishable."""
    spec = SPECS.get(table)
    if spec is None:
        raise NotPublishable(_("There is no such table."))
    form = spec.form(data)
    if not form.is_valid():
        raise NotPublishable(" ".join(e for errors in form.errors.values() for e in errors))
    return filters_of(table, form.cleaned_data)


def filters_of(table, chosen):
    """As cleaned_filters, from the cleaned data of the table's report form."""
    spec = SPECS[table]
    today = timezone.localdate()
    if spec.by_year and chosen["year"] > today.year:
        raise NotPublishable(_("A year that has not begun cannot be published."))
    if not spec.by_year and chosen["as_of"] > today:
        raise NotPublishable(_("A date that has not come cannot be published."))
    filters = {}
    for name in FILTERS:
        value = chosen.get(name)
        if value in (None, ""):
            continue
        if isinstance(value, State):
            value = value.code
        elif isinstance(value, date):
            value = value.isoformat()
        filters[name] = value
    return filters


def as_of(spec, filters):
    """The date an edition counts to: its as-of date, or the last day of its
    year (today, in a year not over)."""
    if spec.by_year:
        return min(date(filters["year"], 12, 31), timezone.localdate())
    return date.fromisoformat(filters["as_of"])


def series_of(table, filters):
    """The table and its filters: what the versions of one edition share."""
    return f"{table}?{urlencode(filters)}"


def _offices(filters):
    offices = Office.objects.select_related("state").order_by("state__position", "name")
    if "state" in filters:
        offices = offices.filter(state__code=filters["state"])
    return list(offices)


def compute_cells(table, filters):
    """The table's cells from the summaries now: {"rows": [[code, name in
    English, name in Malay, figure...]], "total": [figure...]}."""
    spec = SPECS[table]
    names = spec.columns[2:]
    if table == Table.PROJECTS_BY_STATE:
        states, total = figures.projects_by_state(
            as_of=date.fromisoformat(filters["as_of"]),
            project_type=filters.get("type", ""),
            status=filters.get("status", ""),
            target_group=filters.get("target_group", ""),
        )
        rows = [[s.code, s.name_en, s.name_ms, *(getattr(s, n) for n in names)] for s in states]
    elif table == Table.HOME_HELP_BY_STATE:
        states, total = figures.home_help_by_state(
            year=filters["year"], client_type=filters.get("client_type", "")
        )
        rows = [[s.code, s.name_en, s.name_ms, *(getattr(s, n) for n in names)] for s in states]
    elif table == Table.PROJECTS_BY_OFFICE:
        found, total = figures.projects_by_office(
            as_of=date.fromisoformat(filters["as_of"]),
            offices=_offices(filters),
            project_type=filters.get("type", ""),
        )
        rows = [_office_row(r, names) for r in found]
    else:
        found, total = figures.home_help_by_office(
            year=filters["year"],
            offices=_offices(filters),
            client_type=filters.get("client_type", ""),
        )
        rows = [_office_row(r, names) for r in found]
    return {"rows": rows, "total": [total[n] for n in names]}


def _office_row(row, names):
    return [row.place.code, row.place.name, row.place.name, *(getattr(row, n) for n in names)]


def public_cells(spec, cells, threshold):
    """The cells as the public may read them, and how many figures are withheld."""
    names = spec.columns[2:]
    people = [n for n, name in enumerate(names) if name in spec.people]
    protected = protect_table(
        [row[3:] for row in cells["rows"]], cells["total"], people=people, min_cell=threshold
    )
    rows = [[*row[:3], *shown] for row, shown in zip(cells["rows"], protected.rows, strict=True)]
    return {
        "rows": rows,
        "total": protected.total,
        "below": protected.below,
        "covers": protected.covers,
    }, protected.withheld


# --- Completeness -------------------------------------------------------------------


def months_of(spec, filters):
    """The months whose records an edition counts on being complete: the month
    of its as-of date; for a year, its months to the as-of date."""
    last = as_of(spec, filters).replace(day=1)
    if not spec.by_year:
        return [last]
    months, month = [], date(filters["year"], 1, 1)
    while month <= last:
        months.append(month)
        month = next_month(month)
    return months


def completeness(offices, months):
    """{"months": ["YYYY-MM"...], "confirmed": offices that confirmed every one
    of them, "offices": how many}. One query."""
    confirmed = (
        MonthConfirmation.objects.filter(office__in=offices, month__in=months)
        .order_by()
        .values("office")
        .annotate(n=Count("pk"))
        .filter(n=len(months))
        .count()
    )
    return {
        "months": [f"{m:%Y-%m}" for m in months],
        "confirmed": confirmed,
        "offices": len(offices),
    }


def completeness_sentence(completeness):
    """ "151 of 160 offices confirmed their records for October 2012 complete.\""""
    months = [date.fromisoformat(f"{m}-01") for m in completeness["months"]]
    if len(months) == 1:
        period = date_format(months[0], "F Y")
    elif len(months) == 12:
        period = _("every month of %(year)s") % {"year": months[0].year}
    else:
        period = _("%(first)s to %(last)s") % {
            "first": date_format(months[0], "F"),
            "last": date_format(months[-1], "F Y"),
        }
    return _("%(confirmed)s of %(offices)s offices confirmed their records for %(period)s complete.") % {
        "confirmed": completeness["confirmed"],
        "offices": completeness["offices"],
        "period": period,
    }  # fmt: skip


# --- Publication --------------------------------------------------------------------


def publish(user, table, filters, *, note="", reason="", version=1, now=None):
    """A new edition (or, with version > 1, a revision of one): its cells from
    the summaries now. Raises AlreadyPublished when that version exists."""
    spec = SPECS[table]
    refreshed = figures.refreshed()
    if refreshed is None:  # every figure would be 0
        raise NotPublishable(
            _("The figures have not been computed yet (manage.py refresh_reports).")
        )
    threshold = min_cell()
    cells = compute_cells(table, filters)
    public, withheld = public_cells(spec, cells, threshold)
    series = series_of(table, filters)
    try:
        with transaction.atomic():
            edition = Edition(
                table=table,
                series=series,
                version=version,
                as_of=as_of(spec, filters),
                year=filters.get("year"),
                filters=filters,
                columns=list(spec.columns),
                cells=cells,
                public_cells=public,
                min_cell=threshold,
                withheld=withheld,
                completeness=completeness(_offices(filters), months_of(spec, filters)),
                figures_at=refreshed.taken_at,
                note=note,
                reason=reason,
                published_at=now or timezone.now(),
                published_by=user,
            )
            edition.save()
    except IntegrityError:
        existing = Edition.objects.filter(series=series, version=version).first()
        if existing is None:
            raise
        raise AlreadyPublished(existing) from None
    # Once committed: a page made before that would be kept a minute as new.
    transaction.on_commit(forget_public_pages)
    return edition


def publish_new(user, table, data, *, note=""):
    """Version 1 of the table with the filters of `data` (a report's parameters)."""
    filters = cleaned_filters(table, data)
    existing = Edition.objects.filter(series=series_of(table, filters)).order_by("version").first()
    if existing is not None:
        raise AlreadyPublished(existing)
    return publish(user, table, filters, note=note)


def revise(edition, user, reason):
    """The next version of `edition` (its latest), with today's figures and the reason."""
    if latest_version(edition) != edition:
        raise NotLatest
    if not differences(edition)["count"]:
        raise NothingToRevise
    return publish(
        user,
        edition.table,
        edition.filters,
        note=edition.note,
        reason=reason,
        version=edition.version + 1,
    )


def latest_version(edition):
    return Edition.objects.filter(series=edition.series).order_by("-version").first()


def differences(edition):
    """The edition's cells against today's (the summaries as last refreshed):
    {"count": cells that differ, "rows": [(label, [(column, published, today,
    differs)]...)] for the rows with a difference}."""
    today = compute_cells(edition.table, edition.filters)
    names = edition.columns[2:]
    published = {row[0]: row for row in edition.cells["rows"]}
    now = {row[0]: row for row in today["rows"]}
    blank = [None] * len(names)
    changed, count = [], 0
    keys = list(published) + [code for code in now if code not in published]
    lines = [(code, published.get(code), now.get(code)) for code in keys]
    lines.append(("TOTAL", [None] * 3 + edition.cells["total"], [None] * 3 + today["total"]))
    for code, before, after in lines:
        old = before[3:] if before else blank
        new = after[3:] if after else blank
        cells = [
            (HEADINGS.get(name, name), o, n, o != n)
            for name, o, n in zip(names, old, new, strict=True)
        ]
        if any(differs for *_, differs in cells):
            count += sum(differs for *_, differs in cells)
            label = _("TOTAL") if code == "TOTAL" else _row_name(before or after)
            changed.append((label, cells))
    return {"count": count, "rows": changed, "refreshed": figures.refreshed()}


def _row_name(row):
    return row[2] if get_language() == "ms" else row[1]


# --- What the public reads ------------------------------------------------------------


def title(edition):
    """The edition's table, and the state of an office drill-down."""
    name = str(Table(edition.table).label)
    state = edition.filters.get("state")
    if state:
        found = State.objects.filter(code=state).first()
        return f"{name}: {found or state}"
    return name


def lead(edition):
    if SPECS[edition.table].by_year:
        if edition.as_of == date(edition.year, 12, 31):
            return _("In %(year)s") % {"year": edition.year}
        return _("In %(year)s, to %(date)s") % {
            "year": edition.year,
            "date": date_format(edition.as_of, "j F Y"),
        }
    return _("Until %(date)s") % {"date": date_format(edition.as_of, "j F Y")}


def filters_shown(edition):
    """[(label, what it says)] of the filters besides the date, year and state."""
    spec = SPECS[edition.table]
    form = spec.form()
    shown = []
    for name, value in edition.filters.items():
        if name in ("as_of", "year", "state"):
            continue
        field = form.fields.get(name)
        if field is None:
            continue
        shown.append((field.label, dict(field.choices).get(value, value)))
    return shown


def footnotes(edition):
    """What the public table's marks mean, when it has any."""
    notes = []
    public = edition.public_cells
    if public.get("below"):
        notes.append(
            _(
                "<%(n)s: fewer than %(n)s people. Small counts of people are not "
                "published, so that nobody can be recognised from them."
            )
            % {"n": edition.min_cell}
        )
    if public.get("covers"):
        notes.append(
            _(
                "x: not published, so that a count of fewer than %(n)s people cannot be "
                "worked out from the TOTAL or the other figures of its row or column by "
                "subtraction."
            )
            % {"n": edition.min_cell}
        )
    return notes


def file_rows(edition):
    """The lines of the edition's files, after the header: the public cells,
    with the TOTAL line where the signed-in report's file has one."""
    public = edition.public_cells
    rows = [[row[0], row[1], *row[3:]] for row in public["rows"]]
    if SPECS[edition.table].file_total:
        rows.append(["TOTAL", "TOTAL", *public["total"]])
    return rows


def edition_csv(edition):
    """The public CSV: exactly the columns of the signed-in report's CSV (their
    English names, whatever the reader's language), public cells."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(edition.columns)
    writer.writerows(file_rows(edition))
    return out.getvalue().encode()


def edition_summary(edition, absolute):
    """The open-data list's entry of an edition: the contract's keys, no more."""
    return {
        "id": edition.pk,
        "table": edition.table,
        "as_of": edition.as_of.isoformat(),
        "version": edition.version,
        "published_at": timezone.localtime(edition.published_at).isoformat(timespec="seconds"),
        "csv": absolute(f"/stats/editions/{edition.pk}.csv"),
        "json": absolute(f"/stats/editions/{edition.pk}.json"),
    }


def edition_json(edition, absolute):
    """The public JSON: the list's keys, what the edition says of itself, and its
    lines as objects with the CSV's column names."""
    with translation.override("en"):
        document = {
            **edition_summary(edition, absolute),
            "title": title(edition),
            "year": edition.year,
            "filters": edition.filters,
            "note": edition.note,
            "revision_reason": edition.reason,
            "completeness": edition.completeness,
            "min_cell": edition.min_cell,
            "footnotes": footnotes(edition),
            "columns": edition.columns,
            "rows": [dict(zip(edition.columns, row, strict=True)) for row in file_rows(edition)],
        }
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode()


def editions_json(editions, absolute):
    listing = [edition_summary(e, absolute) for e in editions]
    return (json.dumps(listing, ensure_ascii=False, indent=1) + "\n").encode()


def forget_public_pages():
    """Public pages and lists are kept a minute by each process; this one
    forgets its own at once after a publication (the others within the minute)."""
    try:
        cache.incr(GENERATION)
    except ValueError:
        cache.set(GENERATION, 1, None)


GENERATION = "reports:editions:generation"


def generation():
    return cache.get_or_set(GENERATION, 0, None)


# --- Confirmations and the records entered after them --------------------------------


class CannotConfirm(Exception):
    pass


def confirmable(month, today=None):
    """A month can be confirmed once it is over."""
    today = today or timezone.localdate()
    return month < today.replace(day=1)


def confirm(user, month):
    """The user's office says its records for `month` (its first day) are
    complete. Only a district officer, for their own office, once."""
    if not user.is_district_officer:
        raise CannotConfirm(_("Only a district officer confirms their office's records."))
    if not confirmable(month):
        raise CannotConfirm(_("A month can be confirmed once it is over."))
    try:
        with transaction.atomic():
            return MonthConfirmation.objects.create(
                office=user.office, month=month, confirmed_at=timezone.now(), confirmed_by=user
            )
    except IntegrityError:
        raise CannotConfirm(_("Your office has confirmed this month already.")) from None


def late_records(offices, month, most=200):
    """The records of `month` entered, changed or deleted at `offices` after
    the office confirmed the month, as their history says: {office id: [dict
    of kind, action, record, day, at, by]}. Three queries. Records loaded in
    bulk (the demo data, generated data) have no history and are not seen."""
    end = next_month(month) - timedelta(days=1)
    found = {}

    def confirmed_at(path):
        return Subquery(
            MonthConfirmation.objects.filter(office=OuterRef(path), month=month).values(
                "confirmed_at"
            )[:1]
        )

    kinds = [
        (
            Project.history.model.objects.filter(
                office__in=offices, start_date__gte=month, start_date__lte=end
            ).annotate(confirmed=confirmed_at("office")),
            "office",
            _("project"),
            "start_date",
            lambda h: (h["name"], f"/projects/{h['id']}/"),
            ["name"],
        ),
        (
            Participation.history.model.objects.filter(
                project__office__in=offices, joined_on__gte=month, joined_on__lte=end
            ).annotate(confirmed=confirmed_at("project__office")),
            "project__office",
            _("participant"),
            "joined_on",
            lambda h: (
                _("a participant of %(project)s") % {"project": h["project__name"]},
                f"/projects/{h['project']}/",
            ),
            ["project", "project__name"],
        ),
        (
            Visit.history.model.objects.filter(
                case__office__in=offices, visited_on__gte=month, visited_on__lte=end
            ).annotate(confirmed=confirmed_at("case__office")),
            "case__office",
            _("visit"),
            "visited_on",
            lambda h: (_("a visit of case %(case)s") % {"case": h["case"]}, f"/homehelp/cases/{h['case']}/"),
            ["case"],
        ),
    ]  # fmt: skip
    actions = {"+": _("entered"), "~": _("changed"), "-": _("deleted")}
    for rows, office, kind, day, describe, fields in kinds:
        rows = rows.filter(confirmed__isnull=False, history_date__gt=F("confirmed"))
        for row in rows.order_by("history_date").values(
            "id", office, day, "history_type", "history_date", "history_user__username", *fields
        )[:most]:
            what, link = describe(row)
            found.setdefault(row[office], []).append(
                {
                    "kind": kind,
                    "action": actions.get(row["history_type"], row["history_type"]),
                    "what": what,
                    "link": link if row["history_type"] != "-" else None,
                    "day": row[day],
                    "at": row["history_date"],
                    "by": row["history_user__username"] or "",
                }
            )
    for records in found.values():
        records.sort(key=lambda r: r["at"])
    return found
