"""The published tables, computed by the database from the programmes' rows.

Each table is one grouped query over the states, plus one for the national TOTAL
of distinct people (persons, clients, volunteers): they cannot be summed across
states, because one person can appear in two."""

from django.db.models import Count, Q, Sum

from homehelp.models import Case, Service, Visit
from programs.models import Participation, Project
from welfare.models import Constituency, Office, State


def _lookups(prefix, **conditions):
    return Q(**{f"{prefix}{lookup}": value for lookup, value in conditions.items() if value})


def projects_by_state(*, as_of, project_type="", status="", target_group=""):
    """Projects that started on or before `as_of` and are not cancelled, and the
    participations in them that began on or before `as_of`. Returns the states,
    annotated with projects, participants and persons, and the national total."""
    counted = [s for s in Project.Status.values if s != Project.Status.CANCELLED]
    statuses = [status] if status else counted

    def project(prefix):
        return _lookups(
            prefix,
            start_date__lte=as_of,
            status__in=[s for s in statuses if s in counted] or [""],
            project_type=project_type,
        )

    def participation(prefix):
        return project(prefix + "project__") & _lookups(
            prefix, joined_on__lte=as_of, target_group=target_group
        )

    # Filter the rows first, then group them by state: the database reads only the
    # rows that count, as a hand-written query would.
    projects = Project.objects.filter(project("")).order_by()
    participations = Participation.objects.filter(participation("")).order_by()
    project_counts = dict(
        projects.values_list("office__state")
        .annotate(n=Count("pk"))
        .values_list("office__state", "n")
    )
    participation_counts = {
        row["project__office__state"]: row
        for row in participations.values("project__office__state").annotate(
            participants=Count("pk"), persons=Count("person", distinct=True)
        )
    }
    states = list(State.objects.order_by("position"))
    for state in states:
        counted = participation_counts.get(state.pk, {})
        state.projects = project_counts.get(state.pk, 0)
        state.participants = counted.get("participants", 0)
        state.persons = counted.get("persons", 0)
    persons = participations.aggregate(n=Count("person", distinct=True))
    total = {
        "projects": sum(s.projects for s in states),
        "participants": sum(s.participants for s in states),
        "persons": persons["n"],
    }
    return states, total


def home_help_by_state(*, year, client_type=""):
    """Visits in `year`, and the distinct clients and volunteers who had them,
    counted in the state of the case's office. Returns the states, annotated with
    clients_served, volunteers, visits and minutes, and the national total."""

    counts = {
        "clients_served": Count("case__client", distinct=True),
        "volunteers": Count("volunteer", distinct=True),
        "visits": Count("id"),
        "minutes": Sum("minutes", default=0),
    }
    visits = Visit.objects.filter(
        _lookups("", visited_on__year=year, case__client_type=client_type)
    ).order_by()
    by_state = {
        row["case__office__state"]: row
        for row in visits.values("case__office__state").annotate(**counts)
    }
    total = visits.aggregate(**counts)
    states = list(State.objects.order_by("position"))
    for state in states:
        row = by_state.get(state.pk, {})
        for name in counts:
            setattr(state, name, row.get(name, 0))
        state.hours = round(state.minutes / 60, 1)
    total["hours"] = round(total["minutes"] / 60, 1)
    return states, total


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
