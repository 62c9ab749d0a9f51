from datetime import date

from django.contrib.auth.decorators import login_not_required
from django.shortcuts import render
from django.utils.formats import date_format
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from reports import figures
from reports.charts import bar_chart, state_map
from reports.forms import HomeHelpReportForm, ProjectsReportForm
from welfare.exports import table_response
from welfare.models import AccessLog
from welfare.people import log_access

PROJECT_COLUMNS = ["state_code", "state", "projects", "participants", "persons"]
HOME_HELP_COLUMNS = ["state_code", "state", "clients_served", "volunteers", "visits"]
# What a person reads instead of the column names when they asked for another language.
PROJECT_HEADINGS = [
    gettext_lazy("State code"),
    gettext_lazy("State"),
    gettext_lazy("Number of projects"),
    gettext_lazy("Number of participants"),
    gettext_lazy("Distinct persons"),
]
HOME_HELP_HEADINGS = [
    gettext_lazy("State code"),
    gettext_lazy("State"),
    gettext_lazy("Clients served"),
    gettext_lazy("Volunteers"),
    gettext_lazy("Visits"),
]
PAGE, FILES = ("", "html"), ("csv", "xlsx")


def _projects(*, as_of, type="", status="", target_group="", hide_empty=False):
    states, total = figures.projects_by_state(
        as_of=as_of, project_type=type, status=status, target_group=target_group
    )
    shown = [s for s in states if s.projects or s.participants] if hide_empty else states
    return {
        "all_states": states,
        "states": shown,
        "total": total,
        "heading": _("Until %(date)s") % {"date": date_format(as_of, "j F Y")},
        "refreshed": figures.refreshed(),
        "chart": bar_chart((s.name, s.participants) for s in shown),
        "map": state_map({s.code: s.projects for s in states}),
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
        "map": state_map({s.code: s.clients_served for s in states}),
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


def _header(columns, headings):
    """The English column names are a contract for programs reading the files; a user who
    chose another language gets the headings of the page in that language instead."""
    if get_language() == "en":
        return columns
    return [str(heading) for heading in headings]


def _layout(request):
    return "print.html" if request.GET.get("print") else "base.html"


def index(request):
    return render(request, "reports/index.html")


def projects_by_state(request):
    form = ProjectsReportForm(request.GET)
    if refused := _report(request, form, "reports/projects_by_state.html"):
        return refused
    report = _projects(**form.cleaned_data)
    file_format = request.GET.get("format", "")
    if file_format in FILES:
        total = report["total"]
        rows = [
            [s.code, s.name, s.projects, s.participants, s.persons] for s in report["all_states"]
        ]
        rows.append(
            ["TOTAL", _("TOTAL"), total["projects"], total["participants"], total["persons"]]
        )
        filename = f"projects-by-state-{form.cleaned_data['as_of']}"
        header = _header(PROJECT_COLUMNS, PROJECT_HEADINGS)
        log_access(request.user, None, "report: projects by state", action=AccessLog.Action.EXPORT)
        # The files keep their fixed layout: who exported them is in a header only.
        return table_response(
            file_format, filename, header, rows, exported_by=request.user, note_row=False
        )
    context = {"report": report, "form": form, "layout": _layout(request)}
    return render(request, "reports/projects_by_state.html", context)


def home_help(request):
    form = HomeHelpReportForm(request.GET)
    if refused := _report(request, form, "reports/home_help.html"):
        return refused
    filters = form.cleaned_data
    report = _home_help(**filters)
    file_format = request.GET.get("format", "")
    if file_format in FILES:
        total = report["total"]
        rows = [
            [s.code, s.name, s.clients_served, s.volunteers, s.visits] for s in report["all_states"]
        ]
        rows.append(
            ["TOTAL", _("TOTAL"), total["clients_served"], total["volunteers"], total["visits"]]
        )
        header = _header(HOME_HELP_COLUMNS, HOME_HELP_HEADINGS)
        log_access(request.user, None, "report: home help by state", action=AccessLog.Action.EXPORT)
        return table_response(
            file_format,
            f"home-help-{filters['year']}",
            header,
            rows,
            exported_by=request.user,
            note_row=False,
        )
    context = {
        "report": report,
        "form": form,
        "layout": _layout(request),
        "services": figures.services_given(
            year=filters["year"], client_type=filters["client_type"]
        ),
        "coverage": figures.coverage(client_type=filters["client_type"]),
    }
    return render(request, "reports/home_help.html", context)


@login_not_required
def stats(request):
    """The public page: aggregates only, as JKM's website publishes them, but current."""
    form = HomeHelpReportForm(request.GET)
    year = form.cleaned_data["year"] if form.is_valid() else date.today().year
    context = {
        "projects": _projects(as_of=date.today()),
        "home_help": _home_help(year=year),
        "year": year,
    }
    return render(request, "reports/stats.html", context)
