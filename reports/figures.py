"""The reports, read from the summary tables (reports.models): the same tables
as reports.queries computes from the rows, with the same cells, in a few small
queries whatever the number of rows.

An as-of date's figures are the months before its month, summed from
ProgrammeMonth, plus the days of its month up to it, counted from
ProgrammeEntry: a person is counted in those days if they have an entry there
and none before the month in the same place and filters."""

from datetime import date

from django.db.models import Count, Exists, OuterRef, Q, Sum

from homehelp.models import Organization, Service
from reports.models import (
    CaseToday,
    HomeHelpFigure,
    Level,
    ProgrammeEntry,
    ProgrammeMonth,
    ServiceYear,
    SummaryRefresh,
)
from reports.queries import (
    HOME_HELP,
    MONTHLY,
    PROGRAMME,
    _annotate,
    _hours,
    district_rows,
    hours,
    next_month,
    rows_of,
)
from welfare.models import Constituency, Office, State

# The field that tells a level's rows apart, and the places an entry must share
# with another to count in the same row.
KEYS = {Level.NATION: None, Level.STATE: "state", Level.OFFICE: "office"}
KEYS |= {Level.ORGANIZATION: "organization"}
KEYS |= {Level.CONSTITUENCY: "constituency"}
PLACES = {Level.NATION: (), Level.STATE: ("state",), Level.OFFICE: ("office",)}


def refreshed():
    """The last refresh (its taken_at is the time of every figure), or None."""
    return SummaryRefresh.objects.first()


def _grouped(queryset, key, **aggregates):
    if key is None:
        return {None: queryset.aggregate(**aggregates)}
    return {row.pop(key): row for row in queryset.values(key).annotate(**aggregates)}


def _programme(level, *, as_of, project_type="", status="", target_group="", where=None):
    """{key of the level's row: projects, participants, persons} as of `as_of`,
    among the rows `where` keeps. Two queries."""
    key, where, start = KEYS[level], where or Q(), as_of.replace(day=1)
    months = ProgrammeMonth.objects.filter(
        where,
        level=level,
        project_type=project_type,
        status=status,
        target_group__in={"", target_group},
        month__lt=start,
    ).order_by()
    counts = _grouped(
        months,
        key,
        projects=Sum("projects", filter=Q(target_group="")),
        participants=Sum("participants", filter=Q(target_group=target_group)),
        persons=Sum("persons", filter=Q(target_group=target_group)),
    )
    chosen = Q(**{name: value for name, value in [("project_type", project_type)] if value})
    if status:
        chosen &= Q(status=status)
    group = Q(target_group=target_group) if target_group else Q()
    earlier = ProgrammeEntry.objects.filter(
        chosen, group, person_id=OuterRef("person_id"), day__lt=start
    )
    for place in PLACES[level]:
        earlier = earlier.filter(**{place: OuterRef(place)})
    person = Q(person_id__isnull=False) & group
    days = _grouped(
        ProgrammeEntry.objects.filter(where, chosen, day__gte=start, day__lte=as_of)
        .annotate(earlier=Exists(earlier))
        .order_by(),
        key,
        projects=Count("pk", filter=Q(person_id=None)),
        participants=Count("pk", filter=person),
        persons=Count("person_id", distinct=True, filter=person & Q(earlier=False)),
    )
    for place, figures in days.items():
        counted = counts.setdefault(place, {})
        for name in PROGRAMME:
            counted[name] = (counted.get(name) or 0) + (figures[name] or 0)
    for counted in counts.values():
        for name in PROGRAMME:
            counted[name] = counted.get(name) or 0
    return counts


def _total(counts):
    return counts.get(None) or dict.fromkeys(PROGRAMME, 0)


def projects_by_state(*, as_of, project_type="", status="", target_group=""):
    """As reports.queries.projects_by_state: five queries."""
    filters = {"project_type": project_type, "status": status, "target_group": target_group}
    counts = _programme(Level.STATE, as_of=as_of, **filters)
    total = _total(_programme(Level.NATION, as_of=as_of, **filters))
    return _annotate(list(State.objects.order_by("position")), counts, PROGRAMME), total


def _scope(offices):
    """The level and place whose rows count exactly `offices`: the whole country,
    a state or one office, which is what User.office_scope lets anyone read. One
    query."""
    chosen = {office.pk for office in offices}
    every = dict(Office.objects.values_list("pk", "state"))
    states = {every[pk] for pk in chosen}
    if not chosen:
        return None, None
    if chosen == set(every):
        return Level.NATION, Q()
    if len(chosen) == 1:
        return Level.OFFICE, Q(office__in=chosen)
    if len(states) == 1 and chosen == {pk for pk, state in every.items() if state in states}:
        return Level.STATE, Q(state__in=states)
    raise ValueError("Offices of more than one state but not all: no summary counts them.")


def _offices(level, offices):
    """The office rows of `offices`, at the level _scope found: all of them
    without naming them (at L, the projects' months and days of 160 offices
    named one by one took 30 ms to read)."""
    return Q() if level == Level.NATION else Q(office__in=offices)


def projects_by_office(*, as_of, offices, project_type=""):
    """As reports.queries.projects_by_office: five queries at most."""
    level, where = _scope(offices)
    counts = _programme(
        Level.OFFICE, as_of=as_of, project_type=project_type, where=_offices(level, offices)
    )
    if level is None:
        total = dict.fromkeys(PROGRAMME, 0)
    elif level == Level.OFFICE:
        total = counts.get(offices[0].pk, dict.fromkeys(PROGRAMME, 0))
    else:
        found = _programme(level, as_of=as_of, project_type=project_type, where=where)
        total = next(iter(found.values()), dict.fromkeys(PROGRAMME, 0))
    return rows_of(offices, counts, PROGRAMME), total


def projects_by_district(*, as_of, office, project_type=""):
    """As reports.queries.projects_by_district, counted from the office's entries
    (a few thousand at most): two queries."""
    entries = ProgrammeEntry.objects.filter(office=office, day__lte=as_of).order_by()
    if project_type:
        entries = entries.filter(project_type=project_type)
    person = Q(person_id__isnull=False)
    figures = {
        "projects": Count("pk", filter=Q(person_id=None)),
        "participants": Count("pk", filter=person),
        "persons": Count("person_id", distinct=True, filter=person),
    }
    counts = _grouped(entries, "district", **figures)
    total = entries.aggregate(**figures)
    return district_rows(office, counts), total


def _home_help(level, *, year, client_type="", where=None):
    rows = HomeHelpFigure.objects.filter(
        where or Q(), level=level, year=year, month=None, client_type=client_type
    )
    key = KEYS[level]
    return {
        getattr(row, f"{key}_id") if key else None: {
            "clients_served": row.clients,
            "volunteers": row.volunteers,
            "visits": row.visits,
            "minutes": row.minutes,
        }
        for row in rows
    }


def _home_help_total(counts):
    return counts.get(None) or dict.fromkeys(HOME_HELP, 0)


def home_help_by_state(*, year, client_type=""):
    """As reports.queries.home_help_by_state: three queries."""
    counts = _home_help(Level.STATE, year=year, client_type=client_type)
    total = _home_help_total(_home_help(Level.NATION, year=year, client_type=client_type))
    return _hours(_annotate(list(State.objects.order_by("position")), counts, HOME_HELP), total)


def home_help_by_office(*, year, offices, client_type=""):
    """As reports.queries.home_help_by_office: three queries at most."""
    level, where = _scope(offices)
    counts = _home_help(
        Level.OFFICE, year=year, client_type=client_type, where=_offices(level, offices)
    )
    if level is None:
        total = dict.fromkeys(HOME_HELP, 0)
    elif level == Level.OFFICE:
        total = counts.get(offices[0].pk, dict.fromkeys(HOME_HELP, 0))
    else:
        found = _home_help(level, year=year, client_type=client_type, where=where)
        total = next(iter(found.values()), dict.fromkeys(HOME_HELP, 0))
    return _hours(rows_of(offices, counts, HOME_HELP), dict(total))


def home_help_by_organisation(*, year, client_type="", organizations=None):
    """As reports.queries.home_help_by_organisation: three queries. The rows of
    `organizations` (those the reader may see), or of every organisation."""
    counts = _home_help(Level.ORGANIZATION, year=year, client_type=client_type)
    total = _home_help_total(_home_help(Level.NATION, year=year, client_type=client_type))
    organizations = Organization.objects.all() if organizations is None else organizations
    rows = rows_of(organizations.order_by("name"), counts, HOME_HELP)
    return _hours(rows, dict(total))


def services_given(*, year, client_type=""):
    """As reports.queries.services_given: two queries."""
    given = ServiceYear.objects.filter(year=year)
    if client_type:
        given = given.filter(client_type=client_type)
    counted = dict(
        given.order_by()
        .values_list("service")
        .annotate(n=Sum("visits"))
        .values_list("service", "n")
    )
    services = list(Service.objects.order_by("position"))
    for service in services:
        service.visits_given = counted.get(service.pk, 0)
    return services


def _active_cases(client_type, **where):
    cases = CaseToday.objects.filter(**where)
    if client_type:
        cases = cases.filter(client_type=client_type)
    return cases.order_by()


def coverage(*, client_type=""):
    """As reports.queries.coverage: three queries."""
    active = list(_active_cases(client_type, active__gt=0).values_list("constituency", "office"))
    covered = {constituency for constituency, _ in active}
    constituencies = list(Constituency.objects.select_related("state"))
    uncovered = [c for c in constituencies if c.pk not in covered]
    return {
        "offices_covered": len({office for _, office in active}),
        "offices": Office.objects.count(),
        "constituencies_covered": len(constituencies) - len(uncovered),
        "constituencies": len(constituencies),
        "uncovered": uncovered,
    }


def coverage_by_constituency(*, year, client_type="", state=None):
    """As reports.queries.coverage_by_constituency: four queries."""
    where = Q(state=state) if state else Q()
    counts = _home_help(Level.CONSTITUENCY, year=year, client_type=client_type, where=where)
    active = _active_cases(client_type).filter(where)
    cases = dict(
        active.values_list("constituency")
        .annotate(n=Sum("active"))
        .values_list("constituency", "n")
    )
    for constituency, n in cases.items():
        counts.setdefault(constituency, {})["active_cases"] = n
    total = _home_help(Level.STATE if state else Level.NATION, year=year, client_type=client_type)
    total = dict(total.get(state.pk if state else None) or dict.fromkeys(HOME_HELP, 0))
    total["active_cases"] = sum(cases.values())
    rows = Constituency.objects.select_related("state").order_by("code")
    if state:
        rows = rows.filter(state=state)
    return rows_of(rows, counts, ("active_cases", *HOME_HELP)), total


def monthly(*, first, last, state=None, office=None, organization=None):
    """As reports.queries.monthly: two queries (one for an organisation)."""
    months = {}
    day = first
    while day <= last:
        months[day] = dict.fromkeys(MONTHLY, 0)
        day = next_month(day)
    if organization is not None:
        level, where = Level.ORGANIZATION, Q(organization=organization)
    elif office is not None:
        level, where = Level.OFFICE, Q(office=office)
    elif state is not None:
        level, where = Level.STATE, Q(state=state)
    else:
        level, where = Level.NATION, Q()
    if level != Level.ORGANIZATION:
        started = (
            ProgrammeMonth.objects.filter(
                where,
                level=level,
                project_type="",
                status="",
                target_group="",
                month__gte=first,
                month__lte=last,
            )
            .order_by()
            .values("month")
            .annotate(projects=Sum("projects"), participants=Sum("participants"))
        )
        for row in started:
            months[row["month"]].update(
                projects_started=row["projects"], participants_joined=row["participants"]
            )
    visits = HomeHelpFigure.objects.filter(
        where,
        level=level,
        client_type="",
        month__isnull=False,
        year__gte=first.year,
        year__lte=last.year,
    )
    for row in visits:
        month = first.replace(year=row.year, month=row.month)
        if month in months:
            months[month].update(
                visits=row.visits,
                minutes=row.minutes,
                clients_visited=row.clients,
                volunteers_active=row.volunteers,
            )
    return [{"month": month, **figures} for month, figures in months.items()]


HEADLINE = ("projects_started", "participants_joined", "visits", "minutes")


def _change(now, before):
    """Per cent from `before` to `now`, or None without a base."""
    return round((now - before) / before * 100) if before else None


def headline(*, today, state=None, office=None):
    """The dashboards' figures: this month so far; the last complete month and the
    twelve complete months to it, each against the same a year before (a month
    that has just begun would compare badly with a whole one); only months for
    the clients visited, who cannot be added up over months. Two queries."""
    this = today.replace(day=1)
    months = this.year * 12 + this.month - 1 - 24
    rows = monthly(first=date(months // 12, months % 12 + 1, 1), last=this, state=state,
                   office=office)  # fmt: skip
    # rows: 25 months, the last one this month.
    figures = {}
    for name in (*HEADLINE, "clients_visited"):
        last, last_before = rows[-2][name], rows[-14][name]
        twelve = sum(r[name] for r in rows[12:-1])
        twelve_before = sum(r[name] for r in rows[:12])
        figures[name] = {
            "so_far": rows[-1][name],
            "last": last,
            "last_change": _change(last, last_before),
            "twelve": twelve if name in HEADLINE else None,
            "twelve_change": _change(twelve, twelve_before) if name in HEADLINE else None,
        }
    for key in ("so_far", "last", "twelve"):
        figures["minutes"][key] = hours(figures["minutes"][key])
    return {"month": this, "last_month": rows[-2]["month"], "figures": figures}


def offices_to_follow_up(user, *, state=None, most=10):
    """The offices the user may read (of `state`), most overdue visits first, then
    most open concerns, as the last refresh found them. One query."""
    cases = CaseToday.objects.visible_to(user)
    if state is not None:
        cases = cases.filter(state=state)
    return list(
        cases.order_by()
        .values("office", "office__code", "office__name")
        .annotate(
            active=Sum("active"),
            overdue=Sum("overdue"),
            open_concerns=Sum("open_concerns"),
            waiting=Sum("waiting"),
        )
        .filter(Q(overdue__gt=0) | Q(open_concerns__gt=0))
        .order_by("-overdue", "-open_concerns", "office__name")[:most]
    )
