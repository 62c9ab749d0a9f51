"""The reports computed by the database from the programmes' rows, as they are now.

The pages read the same tables from the summaries (reports.figures), which are
faster by orders of magnitude; these functions are the reference that the tests
compare every cell of those with, and the definition of each figure. Each table
is one grouped query, plus one for the TOTAL of distinct people (persons,
clients, volunteers): they cannot be summed across rows, because one person can
appear in two."""

from datetime import timedelta
from types import SimpleNamespace

from django.db.models import Count, Q, Sum
from django.db.models.functions import ExtractMonth, ExtractYear, Greatest, TruncMonth

from homehelp.models import Case, Organization, Service, Visit
from programs.models import Participation, Project
from welfare.models import Constituency, Office, State

PROGRAMME = ("projects", "participants", "persons")
HOME_HELP = ("clients_served", "volunteers", "visits", "minutes")


def _lookups(prefix, **conditions):
    return Q(**{f"{prefix}{lookup}": value for lookup, value in conditions.items() if value})


def _programme(group, *, as_of, project_type="", status="", target_group="", where=None):
    """Projects that started on or before `as_of` and are not cancelled, and the
    participations in them that began on or before `as_of`, among the projects
    `where` keeps: {value of `group`: counts} and the total. `group` and `where`
    are lookups from Project."""
    counted = [s for s in Project.Status.values if s != Project.Status.CANCELLED]
    statuses = [status] if status else counted

    def project(prefix):
        return _lookups(
            prefix,
            start_date__lte=as_of,
            status__in=[s for s in statuses if s in counted] or [""],
            project_type=project_type,
        )

    # Filter the rows first, then group them: the database reads only the rows
    # that count, as a hand-written query would.
    where = where or Q()
    projects = Project.objects.filter(project(""), where).order_by()
    participations = Participation.objects.filter(
        project("project__"), _lookups("", joined_on__lte=as_of, target_group=target_group)
    ).order_by()
    if where:
        participations = participations.filter(project__in=Project.objects.filter(where))
    counts = {}
    for key, n in projects.values_list(group).annotate(n=Count("pk")).values_list(group, "n"):
        counts.setdefault(key, dict.fromkeys(PROGRAMME, 0))["projects"] = n
    for row in participations.values(f"project__{group}").annotate(
        participants=Count("pk"), persons=Count("person", distinct=True)
    ):
        counted_here = counts.setdefault(row[f"project__{group}"], dict.fromkeys(PROGRAMME, 0))
        counted_here.update(participants=row["participants"], persons=row["persons"])
    total = {
        "projects": sum(c["projects"] for c in counts.values()),
        "participants": sum(c["participants"] for c in counts.values()),
        "persons": participations.aggregate(n=Count("person", distinct=True))["n"],
    }
    return counts, total


def _annotate(rows, counts, names):
    for row in rows:
        found = counts.get(row.pk, {})
        for name in names:
            setattr(row, name, found.get(name, 0))
    return rows


def rows_of(places, counts, names):
    """One row per place (an office, organisation, constituency...): `place`, and
    its figures, which could not be set on a model whose relations have their
    names (an office's `projects`)."""
    rows = [SimpleNamespace(pk=place.pk, place=place) for place in places]
    return _annotate(rows, counts, names)


def projects_by_state(*, as_of, project_type="", status="", target_group=""):
    """The states, annotated with projects, participants and persons, and the
    national total."""
    counts, total = _programme(
        "office__state",
        as_of=as_of,
        project_type=project_type,
        status=status,
        target_group=target_group,
    )
    return _annotate(list(State.objects.order_by("position")), counts, PROGRAMME), total


def projects_by_office(*, as_of, offices, project_type=""):
    """`offices` (a list), annotated like the states, and their total."""
    counts, total = _programme(
        "office", as_of=as_of, project_type=project_type, where=Q(office__in=offices)
    )
    return rows_of(offices, counts, PROGRAMME), total


def projects_by_district(*, as_of, office, project_type=""):
    """The districts of `office`, then the projects given no district (a row
    whose district is None) when there are any, annotated like the states; and
    the office's total."""
    counts, total = _programme(
        "district", as_of=as_of, project_type=project_type, where=Q(office=office)
    )
    return district_rows(office, counts), total


def district_rows(office, counts):
    """The districts of `office`, and a row whose place is None for its projects
    given no district, if it has any."""
    rows = rows_of(office.districts.all(), counts, PROGRAMME)
    if None in counts:
        rows += rows_of([SimpleNamespace(pk=None)], counts, PROGRAMME)
        rows[-1].place = None
    return rows


def _home_help(group, *, year, client_type="", where=None):
    """Visits in `year`, and the distinct clients and volunteers who had them,
    grouped by `group` (a lookup from Visit): {value: counts} and the total."""
    counts = {
        "clients_served": Count("case__client", distinct=True),
        "volunteers": Count("volunteer", distinct=True),
        "visits": Count("id"),
        "minutes": Sum("minutes", default=0),
    }
    visits = Visit.objects.filter(
        _lookups("", visited_on__year=year, case__client_type=client_type), where or Q()
    ).order_by()
    grouped = {row.pop(group): row for row in visits.values(group).annotate(**counts)}
    return grouped, visits.aggregate(**counts)


def hours(minutes):
    """To a tenth of an hour; a whole number when it is one (a file says 2, not 2.0)."""
    shown = round(minutes / 60, 1)
    return int(shown) if shown == int(shown) else shown


def _hours(rows, total):
    for row in rows:
        row.hours = hours(row.minutes)
    total["hours"] = hours(total["minutes"])
    return rows, total


def home_help_by_state(*, year, client_type=""):
    """Visits in `year` counted in the state of the case's office. Returns the
    states, annotated with clients_served, volunteers, visits, minutes and hours,
    and the national total."""
    counts, total = _home_help("case__office__state", year=year, client_type=client_type)
    return _hours(_annotate(list(State.objects.order_by("position")), counts, HOME_HELP), total)


def home_help_by_office(*, year, offices, client_type=""):
    counts, total = _home_help(
        "case__office", year=year, client_type=client_type, where=Q(case__office__in=offices)
    )
    return _hours(rows_of(offices, counts, HOME_HELP), total)


def home_help_by_organisation(*, year, client_type=""):
    """Every organisation, by its volunteers' visits in `year`, and the national total."""
    counts, total = _home_help("volunteer__organization", year=year, client_type=client_type)
    return _hours(rows_of(Organization.objects.order_by("name"), counts, HOME_HELP), total)


def services_given(*, year, client_type=""):
    """Each service, annotated with the number of visits in `year` that gave it."""
    # Counted from the year's visits (an index range), not by joining every
    # visit-service pair of all years to the services and filtering after.
    given = dict(
        Visit.services.through.objects.filter(
            _lookups("visit__", visited_on__year=year, case__client_type=client_type)
        )
        .values("service")
        .annotate(visits=Count("visit"))
        .values_list("service", "visits")
    )
    services = list(Service.objects.order_by("position"))
    for service in services:
        service.visits_given = given.get(service.pk, 0)
    return services


def coverage(*, client_type=""):
    """Offices and parliamentary constituencies with at least one active case, and
    the constituencies without one (the programme aims at all 222)."""
    active = Case.objects.filter(_lookups("", status=Case.Status.ACTIVE, client_type=client_type))
    covered = set(active.order_by().values_list("constituency", flat=True).distinct())
    constituencies = list(Constituency.objects.select_related("state"))
    uncovered = [c for c in constituencies if c.pk not in covered]
    return {
        "offices_covered": active.order_by().values("office").distinct().count(),
        "offices": Office.objects.count(),
        "constituencies_covered": len(constituencies) - len(uncovered),
        "constituencies": len(constituencies),
        "uncovered": uncovered,
    }


def coverage_by_constituency(*, year, client_type="", state=None):
    """Each constituency (of `state`, or all): its active cases today, and the
    clients served and volunteers who visited them in `year`; and the total."""
    active = Case.objects.filter(_lookups("", status=Case.Status.ACTIVE, client_type=client_type))
    where = Q(case__constituency__state=state) if state else Q()
    counts, total = _home_help(
        "case__constituency", year=year, client_type=client_type, where=where
    )
    if state:
        active = active.filter(constituency__state=state)
    cases = dict(
        active.order_by()
        .values_list("constituency")
        .annotate(n=Count("pk"))
        .values_list("constituency", "n")
    )
    for constituency, n in cases.items():
        counts.setdefault(constituency, {})["active_cases"] = n
    total["active_cases"] = sum(cases.values())
    rows = Constituency.objects.select_related("state").order_by("code")
    if state:
        rows = rows.filter(state=state)
    return rows_of(rows, counts, ("active_cases", *HOME_HELP)), total


MONTHLY = (
    "projects_started",
    "participants_joined",
    "visits",
    "minutes",
    "clients_visited",
    "volunteers_active",
)


def monthly(*, first, last, state=None, office=None, organization=None):
    """Month by month from `first` to `last` (the first days of their months), in
    the country, a state, an office or an organisation (which has no projects):
    projects started (not cancelled), participants joined (counted from the later
    of the day they joined and the project's start, as the as-of report counts
    them), visits, minutes, and the distinct clients visited and volunteers
    active in the month. A list of rows with `month` and those names."""
    months = {}
    day = first
    while day <= last:
        months[day] = dict.fromkeys(MONTHLY, 0)
        day = next_month(day)
    if organization is None:
        place = Q(office__state=state) if state else Q(office=office) if office else Q()
        projects = Project.objects.filter(place).exclude(status=Project.Status.CANCELLED)
        started = (
            projects.filter(start_date__gte=first, start_date__lte=month_end(last))
            .annotate(month=TruncMonth("start_date"))
            .order_by()
            .values("month")
            .annotate(n=Count("pk"))
        )
        for row in started:
            months[row["month"]]["projects_started"] = row["n"]
        joined = (
            Participation.objects.filter(project__in=projects)
            .annotate(counted_on=Greatest("joined_on", "project__start_date"))
            .filter(counted_on__gte=first, counted_on__lte=month_end(last))
            .annotate(month=TruncMonth("counted_on"))
            .order_by()
            .values("month")
            .annotate(n=Count("pk"))
        )
        for row in joined:
            months[row["month"]]["participants_joined"] = row["n"]
    where = (
        Q(volunteer__organization=organization)
        if organization
        else Q(case__office__state=state)
        if state
        else Q(case__office=office)
        if office
        else Q()
    )
    visits = (
        Visit.objects.filter(where, visited_on__gte=first, visited_on__lte=month_end(last))
        .order_by()
        .values(year=ExtractYear("visited_on"), month=ExtractMonth("visited_on"))
        .annotate(
            visits=Count("pk"),
            minutes=Sum("minutes"),
            clients_visited=Count("case__client", distinct=True),
            volunteers_active=Count("volunteer", distinct=True),
        )
    )
    for row in visits:
        month = first.replace(year=row.pop("year"), month=row.pop("month"))
        months[month].update(row)
    return [{"month": month, **figures} for month, figures in months.items()]


def next_month(month):
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def month_end(month):
    return next_month(month) - timedelta(days=1)
