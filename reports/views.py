import html
from collections import namedtuple
from datetime import date
from functools import partial
from operator import attrgetter

from django import forms
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import numberformat
from django.utils.formats import date_format, get_format
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from homehelp.models import Organization
from reports import figures
from reports.charts import bar_chart, line_chart, state_map
from reports.forms import (
    ConstituencyForm,
    HomeHelpByOfficeForm,
    HomeHelpByOrganisationForm,
    HomeHelpReportForm,
    MonthField,
    MonthlyForm,
    ProjectsByDistrictForm,
    ProjectsByOfficeForm,
    ProjectsReportForm,
)
from reports.models import Table
from reports.publication import publish_box
from welfare.exports import table_response
from welfare.models import AccessLog, Office, office_scope_for
from welfare.people import log_access
from welfare.replica import reads_from_replica
from welfare.roles import get_in_scope

PAGE, FILES = ("", "html"), ("csv", "xlsx")
# A bar chart of more rows than this would be longer than the page: the table says it.
CHARTED = 40

# A column of a report: its name in the files (a contract for programs reading
# them), its heading on the page (and in the files of a user who chose another
# language), how a row gives its cell, and whether it is a number.
Column = namedtuple("Column", ["name", "heading", "value", "numeric"])


def _figure(name, heading):
    return Column(name, heading, attrgetter(name), True)


STATE = [
    Column("state_code", gettext_lazy("State code"), attrgetter("code"), False),
    Column("state", gettext_lazy("State"), attrgetter("name"), False),
]
OFFICE = [
    Column("office_code", gettext_lazy("Office code"), lambda row: row.place.code, False),
    Column("office_name", gettext_lazy("Office"), lambda row: row.place.name, False),
]
PROGRAMME = [
    _figure("projects", gettext_lazy("Number of projects")),
    _figure("participants", gettext_lazy("Number of participants")),
    _figure("persons", gettext_lazy("Distinct persons")),
]
CLIENTS_SERVED = _figure("clients_served", gettext_lazy("Clients served"))
VOLUNTEERS = _figure("volunteers", gettext_lazy("Volunteers"))
VISITS = _figure("visits", gettext_lazy("Visits"))
MINUTES = _figure("minutes", gettext_lazy("Minutes"))
MONTHLY = [
    Column("month", gettext_lazy("Month"), lambda row: f"{row.month:%Y-%m}", False),
    _figure("projects_started", gettext_lazy("Projects started")),
    _figure("participants_joined", gettext_lazy("Participants joined")),
    VISITS,
    MINUTES,
    _figure("clients_visited", gettext_lazy("Clients visited")),
    _figure("volunteers_active", gettext_lazy("Volunteers active")),
]


def _projects(*, as_of, project_type="", status="", target_group="", hide_empty=False):
    states, total = figures.projects_by_state(
        as_of=as_of, project_type=project_type, status=status, target_group=target_group
    )
    shown = [s for s in states if s.projects or s.participants] if hide_empty else states
    return {
        "all_states": states,
        "states": shown,
        "total": total,
        "heading": _("Until %(date)s") % {"date": date_format(as_of, "j F Y")},
        "refreshed": figures.refreshed(),
        "chart": bar_chart((s.name, s.participants) for s in shown),
        "map": state_map(((s.code, s.name, s.projects) for s in states), _("projects")),
    }


def _home_help(*, year, client_type="", hide_empty=False):
    states, total = figures.home_help_by_state(year=year, client_type=client_type)
    shown = [s for s in states if s.visits] if hide_empty else states
    return {
        "all_states": states,
        "states": shown,
        "total": total,
        "heading": _("In %(year)s") % {"year": year},
        "refreshed": figures.refreshed(),
        "chart": bar_chart((s.name, s.clients_served) for s in shown),
        "map": state_map(((s.code, s.name, s.clients_served) for s in states), _("clients served")),
    }


def _report(request, form, template):
    """The form's errors with status 400, or None when the filters and format are usable."""
    file_format = request.GET.get("format", "")
    if file_format not in PAGE + FILES or not form.is_valid():
        context = {
            "form": form,
            "layout": "base.html",
            "bad_format": file_format not in PAGE + FILES,
        }
        return render(request, template, context, status=400)
    return None


def _header(columns):
    """The English column names are a contract for programs reading the files; a user who
    chose another language gets the headings of the page in that language instead."""
    if get_language() == "en":
        return [column.name for column in columns]
    return [str(column.heading) for column in columns]


def _layout(request):
    return "print.html" if request.GET.get("print") else "base.html"


def _filters(form):
    """The filters that made a report: (label, what it says, what the address
    says) for each one given, as the page, the print layout and the files say them."""
    chosen = []
    for name, field in form.fields.items():
        value = form.cleaned_data.get(name)
        if name == "hide_empty" or value in (None, ""):
            continue
        if isinstance(field, forms.ModelChoiceField):
            shown, raw = str(value), getattr(value, field.to_field_name or "pk")
        elif isinstance(field, forms.ChoiceField):
            shown, raw = dict(field.choices).get(value, value), value
        elif isinstance(field, MonthField):
            shown, raw = date_format(value, "F Y"), f"{value:%Y-%m}"
        elif isinstance(value, date):
            shown, raw = date_format(value, "j F Y"), value.isoformat()
        else:
            shown = raw = value
        chosen.append((field.label, shown, raw))
    return chosen


def _download(
    request, file_format, *, name, title, columns, rows, filters, refreshed, subject=None
):
    """rows: the cells of each line, in the order of `columns`. The file's name and
    its Notes sheet (Excel) say the filters and the time of the figures; the access
    log names the export `subject` ("report: projects by office")."""
    filename = "-".join([name, *(str(raw) for _, _, raw in filters)])
    notes = [title, *(f"{label}: {shown}" for label, shown, _ in filters)]
    if refreshed:
        notes.append(
            _("Figures as at %(moment)s.")
            % {"moment": date_format(refreshed.taken_at, "Y-m-d H:i")}
        )
    subject = subject or f"report: {name.replace('-', ' ')}"
    log_access(request.user, None, subject, action=AccessLog.Action.EXPORT)
    # The files keep their fixed layout: who exported them is in a header and the notes.
    return table_response(
        file_format,
        filename,
        _header(columns),
        rows,
        exported_by=request.user,
        note_row=False,
        notes=notes,
    )


def _cells(columns, rows, total, labels):
    """A table's cells in the order of `columns`, then (unless `total` is None)
    its TOTAL row: the `labels` first, then each further column's total by name."""
    cells = [[c.value(row) for c in columns] for row in rows]
    if total is not None:
        cells.append([*labels, *(total[c.name] for c in columns[len(labels) :])])
    return cells


def _visible_offices(user, state=None):
    """The offices the user may read (User.office_scope), of `state` if given."""
    offices = Office.objects.filter(office_scope_for(user, "")).select_related("state")
    if state is not None:
        offices = offices.filter(state=state)
    return list(offices.order_by("state__position", "name"))


def _link(name, **params):
    return f"{reverse(name)}?{urlencode({k: v for k, v in params.items() if v})}"


def index(request):
    return render(request, "reports/index.html")


@reads_from_replica
def projects_by_state(request):
    form = ProjectsReportForm(request.GET)
    if refused := _report(request, form, "reports/projects_by_state.html"):
        return refused
    # The form's field is `type`, as the address says it (?type=economic).
    chosen = form.cleaned_data
    report = _projects(
        **{k: v for k, v in chosen.items() if k != "type"}, project_type=chosen["type"]
    )
    filters = _filters(form)
    file_format = request.GET.get("format", "")
    if file_format in FILES:
        columns = STATE + PROGRAMME
        rows = _cells(columns, report["all_states"], report["total"], ["TOTAL", _("TOTAL")])
        return _download(
            request,
            file_format,
            name="projects-by-state",
            title=_("Projects and participants by state"),
            columns=columns,
            rows=rows,
            filters=filters,
            refreshed=report["refreshed"],
        )
    drill = {"as_of": form.cleaned_data["as_of"].isoformat(), "type": form.cleaned_data["type"]}
    for state in report["states"]:
        state.drill = _link("reports:projects-by-office", state=state.code, **drill)
    context = {
        "report": report,
        "form": form,
        "filters": filters,
        "layout": _layout(request),
        "all_offices": _link("reports:projects-by-office", **drill),
        "publish": publish_box(request, Table.PROJECTS_BY_STATE, form),
    }
    return render(request, "reports/projects_by_state.html", context)


@reads_from_replica
def home_help(request):
    form = HomeHelpReportForm(request.GET)
    if refused := _report(request, form, "reports/home_help.html"):
        return refused
    chosen = form.cleaned_data
    report = _home_help(**chosen)
    filters = _filters(form)
    file_format = request.GET.get("format", "")
    if file_format in FILES:
        # The contract's columns, no more (tests/test_i18n.py): the minutes are in
        # the files by office and by organisation and in the months.
        columns = [*STATE, CLIENTS_SERVED, VOLUNTEERS, VISITS]
        rows = _cells(columns, report["all_states"], report["total"], ["TOTAL", _("TOTAL")])
        return _download(
            request,
            file_format,
            name="home-help",
            subject="report: home help by state",
            title=_("Home Help Services by state"),
            columns=columns,
            rows=rows,
            filters=filters,
            refreshed=report["refreshed"],
        )
    drill = {"year": chosen["year"], "client_type": chosen["client_type"]}
    for state in report["states"]:
        state.drill = _link("reports:home-help-by-office", state=state.code, **drill)
    context = {
        "report": report,
        "form": form,
        "filters": filters,
        "layout": _layout(request),
        "services": figures.services_given(year=chosen["year"], client_type=chosen["client_type"]),
        "coverage": figures.coverage(client_type=chosen["client_type"]),
        "links": {
            "offices": _link("reports:home-help-by-office", **drill),
            "organisations": _link("reports:home-help-by-organisation", **drill),
            "constituencies": _link("reports:constituencies", **drill),
        },
        "publish": publish_box(request, Table.HOME_HELP_BY_STATE, form),
    }
    return render(request, "reports/home_help.html", context)


def _table(request, form, *, name, title, lead, columns, rows, total, labels, file_total=True,
           chart=None, chart_label="", note="", back=None, links=None, publish=None):  # fmt: skip
    """A drill-down table as a page, CSV or Excel. rows have the figures of
    `columns`; total the figures by name; labels the first cells of the TOTAL
    row; links(row) the row's further reports, [(label, url)]."""
    refreshed = figures.refreshed()
    filters = _filters(form)
    file_format = request.GET.get("format", "")
    if file_format in FILES:
        cells = _cells(columns, rows, total if file_total else None, labels)
        return _download(
            request,
            file_format,
            name=name,
            title=title,
            columns=columns,
            rows=cells,
            filters=filters,
            refreshed=refreshed,
        )
    if form.cleaned_data.get("hide_empty"):
        rows = [row for row in rows if any(getattr(row, c.name) for c in columns if c.numeric)]
    grouped = _grouping()
    shown = [_row_html(columns, row, grouped, links) for row in rows]
    context = {
        "title": title,
        "lead": lead,
        "form": form,
        "filters": filters,
        "layout": _layout(request),
        "refreshed": refreshed,
        "columns": columns,
        "rows": shown,
        "total": [grouped(total[c.name]) for c in columns[len(labels) :]],
        "label_columns": len(labels),
        "links": bool(links),
        "chart": chart,
        "chart_label": chart_label,
        "note": note,
        "back": back,
        "report": True,
        "publish": publish_box(request, publish, form) if publish else None,
    }
    return render(request, "reports/table.html", context)


def _grouping():
    """Numbers grouped in thousands as `intcomma` does, with the separators of the
    user's language looked up once for the whole table rather than once a cell."""
    return partial(
        numberformat.format,
        decimal_sep=get_format("DECIMAL_SEPARATOR"),
        grouping=get_format("NUMBER_GROUPING"),
        thousand_sep=get_format("THOUSAND_SEPARATOR"),
        force_grouping=True,
    )


def _row_html(columns, row, grouped, links):
    """A row's cells (and its links, if the table has them), written here rather
    than by loops in the template: a table of every office or constituency has a
    thousand cells, and the template engine's work for each was most of the
    page's time. Each value is escaped by _escaped (format_html's lazy wrappers
    were half of what is left)."""
    cells = []
    for position, column in enumerate(columns):
        value = column.value(row)
        if column.numeric:
            cells.append(f'<td class="num">{_escaped(grouped(value))}</td>')
        elif position == 0:
            cells.append(f'<td class="text-nowrap">{_escaped(value)}</td>')
        else:
            cells.append(f"<td>{_escaped(value)}</td>")
    if links:
        anchors = " · ".join(
            f'<a href="{_escaped(url)}">{_escaped(label)}</a>' for label, url in links(row)
        )
        cells.append(f'<td class="d-print-none small text-nowrap">{anchors}</td>')
    return mark_safe("".join(cells))  # each value escaped


def _escaped(value):
    """conditional_escape without its lazy-string wrapper: what is already safe
    HTML as it is, anything else escaped."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


def _office_links(*, as_of=None, districts=True):
    """The further reports of each office, as links(row): its districts (unless
    `districts` is false) and its last twelve months. The addresses are reversed,
    and the date encoded, once for all the rows."""
    by_district = reverse("reports:projects-by-district")
    monthly = reverse("reports:monthly")
    dated = f"&{urlencode({'as_of': as_of})}" if as_of else ""
    districts_label, monthly_label = _("Districts"), _("Month by month")

    def links(row):
        office = urlencode({"office": row.place.code})
        office_links = [(monthly_label, f"{monthly}?{office}")]
        if districts:
            office_links.insert(0, (districts_label, f"{by_district}?{office}{dated}"))
        return office_links

    return links


@reads_from_replica
def projects_by_office(request):
    """The national table's drill-down: the offices of a state (or every office
    the user may read), with the same columns, and a TOTAL of distinct persons."""
    form = ProjectsByOfficeForm(request.GET)
    if refused := _report(request, form, "reports/table.html"):
        return refused
    chosen = form.cleaned_data
    offices = _visible_offices(request.user, chosen["state"])
    rows, total = figures.projects_by_office(
        as_of=chosen["as_of"], offices=offices, project_type=chosen["type"]
    )
    as_of = chosen["as_of"].isoformat()
    return _table(
        request,
        form,
        name="projects-by-office",
        title=_("Projects and participants by office"),
        lead=_("Until %(date)s") % {"date": date_format(chosen["as_of"], "j F Y")},
        columns=OFFICE + PROGRAMME,
        rows=rows,
        total=total,
        labels=["TOTAL", _("TOTAL")],
        chart=bar_chart((r.place.name, r.participants) for r in rows)
        if len(rows) <= CHARTED
        else None,
        chart_label=_("Participants by office"),
        note=_(
            "Counts projects that started on or before the date and are not cancelled, and "
            "participants who joined them on or before the date. The TOTAL counts a person "
            "in two offices once."
        ),
        back=(
            _("Projects and participants by state"),
            _link("reports:projects-by-state", as_of=as_of, type=chosen["type"]),
        ),  # fmt: skip
        links=_office_links(as_of=as_of),
        publish=Table.PROJECTS_BY_OFFICE,
    )


@reads_from_replica
def projects_by_district(request):
    form = ProjectsByDistrictForm(request.GET)
    visible = Office.objects.filter(office_scope_for(request.user, ""))
    office = get_object_or_404(visible.select_related("state"), code=request.GET.get("office"))
    if refused := _report(request, form, "reports/table.html"):
        return refused
    chosen = form.cleaned_data
    rows, total = figures.projects_by_district(
        as_of=chosen["as_of"], office=office, project_type=chosen["type"]
    )
    for row in rows:
        row.name = row.place.name if row.place else _("No district given")
    columns = [Column("district", gettext_lazy("District"), attrgetter("name"), False)]
    return _table(
        request,
        form,
        name=f"projects-by-district-{office.code}",
        title=_("Projects and participants of %(office)s by district") % {"office": office},
        lead=_("Until %(date)s") % {"date": date_format(chosen["as_of"], "j F Y")},
        columns=columns + PROGRAMME,
        rows=rows,
        total=total,
        labels=["TOTAL"],
        note=_("A project is in the district chosen for it; some have none."),
        back=(
            _("Projects and participants by office"),
            _link(
                "reports:projects-by-office",
                state=office.state.code,
                as_of=chosen["as_of"].isoformat(),
                type=chosen["type"],
            ),
        ),  # fmt: skip
    )


@reads_from_replica
def home_help_by_office(request):
    form = HomeHelpByOfficeForm(request.GET)
    if refused := _report(request, form, "reports/table.html"):
        return refused
    chosen = form.cleaned_data
    offices = _visible_offices(request.user, chosen["state"])
    rows, total = figures.home_help_by_office(
        year=chosen["year"], offices=offices, client_type=chosen["client_type"]
    )
    return _table(
        request,
        form,
        name="home-help-by-office",
        title=_("Home Help Services by office"),
        lead=_("In %(year)s") % {"year": chosen["year"]},
        columns=[*OFFICE, CLIENTS_SERVED, VOLUNTEERS, VISITS, MINUTES],
        rows=rows,
        total=total,
        labels=["TOTAL", _("TOTAL")],
        file_total=False,
        chart=bar_chart((r.place.name, r.clients_served) for r in rows)
        if len(rows) <= CHARTED
        else None,
        chart_label=_("Clients served by office"),
        note=_(
            "Clients served and volunteers are distinct people with at least one visit in the "
            "year; the TOTAL counts a person served by two offices once."
        ),
        back=(
            _("Home Help Services by state"),
            _link("reports:home-help", year=chosen["year"], client_type=chosen["client_type"]),
        ),  # fmt: skip
        links=_office_links(districts=False),
        publish=Table.HOME_HELP_BY_OFFICE,
    )


@reads_from_replica
def home_help_by_organisation(request):
    form = HomeHelpByOrganisationForm(request.GET)
    if refused := _report(request, form, "reports/table.html"):
        return refused
    chosen = form.cleaned_data
    rows, total = figures.home_help_by_organisation(
        year=chosen["year"],
        client_type=chosen["client_type"],
        organizations=Organization.objects.visible_to(request.user),
    )
    return _table(
        request,
        form,
        name="home-help-by-organisation",
        title=_("Home Help Services by organisation"),
        lead=_("In %(year)s") % {"year": chosen["year"]},
        columns=[
            Column("organisation", gettext_lazy("Organisation"), lambda r: r.place.name, False),
            VOLUNTEERS,
            CLIENTS_SERVED,
            VISITS,
            MINUTES,
        ],
        rows=rows,
        total=total,
        labels=[_("TOTAL")],
        file_total=False,
        chart=bar_chart((row.place.name, row.visits) for row in rows if row.visits),
        chart_label=_("Visits by organisation"),
        note=_("The visits of each organisation's volunteers, in every office."),
        back=(
            _("Home Help Services by state"),
            _link("reports:home-help", year=chosen["year"], client_type=chosen["client_type"]),
        ),  # fmt: skip
        links=lambda row: [(_("Month by month"), _link("reports:monthly", organisation=row.pk))],
    )


@reads_from_replica
def constituencies(request):
    """Coverage by parliamentary constituency: active cases today, and the clients
    served and volunteers who visited them in the year."""
    form = ConstituencyForm(request.GET)
    if refused := _report(request, form, "reports/table.html"):
        return refused
    chosen = form.cleaned_data
    rows, total = figures.coverage_by_constituency(
        year=chosen["year"], client_type=chosen["client_type"], state=chosen["state"]
    )
    columns = [
        Column("constituency_code", gettext_lazy("Code"), lambda r: r.place.code, False),
        Column("constituency", gettext_lazy("Constituency"), lambda r: r.place.name, False),
        Column("state_code", gettext_lazy("State code"), lambda r: r.place.state.code, False),
        _figure("active_cases", gettext_lazy("Active cases today")),
        CLIENTS_SERVED,
        VOLUNTEERS,
        VISITS,
    ]
    return _table(
        request,
        form,
        name="home-help-by-constituency",
        title=_("Home Help Services by parliamentary constituency"),
        lead=_("In %(year)s") % {"year": chosen["year"]},
        columns=columns,
        rows=rows,
        total=total,
        labels=["TOTAL", _("TOTAL"), ""],
        file_total=False,
        note=_(
            "Active cases are counted at the time of the figures; clients served, "
            "volunteers and visits in the year, in the constituency where the client lives."
        ),
        back=(
            _("Home Help Services by state"),
            _link("reports:home-help", year=chosen["year"], client_type=chosen["client_type"]),
        ),  # fmt: skip
    )


@reads_from_replica
def monthly(request):
    """Month by month and against the same month a year before: in the country, a
    state, an office (in the user's scope) or an organisation."""
    form = MonthlyForm(request.GET)
    if refused := _report(request, form, "reports/monthly.html"):
        return refused
    chosen = form.cleaned_data
    place = {}
    if code := request.GET.get("office"):
        visible = Office.objects.filter(office_scope_for(request.user, ""))
        place["office"] = get_object_or_404(visible.select_related("state"), code=code)
    elif chosen["state"]:
        place["state"] = chosen["state"]
    elif organisation := request.GET.get("organisation"):
        if not organisation.isdigit():
            raise Http404
        place["organization"] = get_in_scope(request, Organization.objects, pk=organisation)
    first, last = chosen["from"], chosen["to"]
    year_before = first.replace(year=first.year - 1)
    found = figures.monthly(first=year_before, last=last, **place)
    earlier = {row["month"]: row for row in found}
    rows = [MonthRow(row, earlier.get(row["month"].replace(year=row["month"].year - 1)))
            for row in found if row["month"] >= first]  # fmt: skip
    where = next(iter(place.values()), None)
    where = str(where) if where else _("Malaysia")
    filters = _filters(form)
    filters += [(_("Office"), where, place["office"].code)] if "office" in place else []
    if "organization" in place:
        filters.append((_("Organisation"), where, place["organization"].pk))
    file_format = request.GET.get("format", "")
    if file_format in FILES:
        return _download(
            request,
            file_format,
            name="monthly",
            title=_("Month by month: %(place)s") % {"place": where},
            columns=MONTHLY,
            rows=[[c.value(row) for c in MONTHLY] for row in rows],
            filters=filters,
            refreshed=figures.refreshed(),
        )
    months = [row.month for row in rows]
    charts = [
        (_("Participants joined and projects started"), line_chart(months, [
            (_("Participants joined"), [r.participants_joined for r in rows]),
            (_("Projects started"), [r.projects_started for r in rows]),
        ])),
        (_("Visits"), line_chart(months, [
            (_("Visits"), [r.visits for r in rows]),
            (_("The same month a year before"), [r.before("visits") for r in rows]),
        ])),
        (_("Clients visited and volunteers active"), line_chart(months, [
            (_("Clients visited"), [r.clients_visited for r in rows]),
            (_("Volunteers active"), [r.volunteers_active for r in rows]),
        ])),
    ]  # fmt: skip
    context = {
        "form": form,
        "layout": _layout(request),
        "place": where,
        "first": first,
        "last": last,
        "place_fields": {"office": request.GET.get("office", "")} if "office" in place else {},
        "filters": filters,
        "refreshed": figures.refreshed(),
        "columns": MONTHLY,
        "rows": rows,
        "charts": charts,
        "report": True,
    }
    return render(request, "reports/monthly.html", context)


class MonthRow:
    """A month's figures, and those of the same month a year before."""

    def __init__(self, figures, earlier):
        self.__dict__.update(figures)
        self.earlier = earlier
        self.visits_change = self.change("visits")
        self.clients_visited_change = self.change("clients_visited")

    def before(self, name):
        return self.earlier[name] if self.earlier else None

    def change(self, name):
        """The change from a year before, in per cent, or None without a base."""
        base = self.before(name)
        if not base:
            return None
        return round((getattr(self, name) - base) / base * 100)
