"""Rebuilding the reports' summary tables (reports.models) from the rows.

Every table is emptied and filled again by INSERT ... SELECT statements that the
database runs itself: the SELECTs are written with the ORM (so that the same code
runs on PostgreSQL and SQLite) and wrapped in an INSERT that picks their columns
by name. On PostgreSQL the whole rebuild reads one snapshot (REPEATABLE READ), so
the figures agree with each other and with the rows as they were at `taken_at`,
whatever is saved meanwhile; a session lock keeps two refreshes from interleaving."""

import time
from contextlib import contextmanager
from itertools import product

from django.db import connection, transaction
from django.db.models import (
    BigIntegerField,
    CharField,
    Count,
    F,
    IntegerField,
    Min,
    Q,
    Sum,
    Value,
)
from django.db.models.functions import Cast, ExtractMonth, ExtractYear, Greatest, TruncMonth
from django.db.models.lookups import LessThan
from django.utils import timezone

from homehelp.models import VISIT_DUE_ON, Case, Visit
from programs.models import Participation, Project
from reports.models import (
    CaseToday,
    HomeHelpFigure,
    Level,
    ProgrammeEntry,
    ProgrammeMonth,
    ServiceYear,
    SummaryRefresh,
    VisitRow,
)

SUMMARIES = [ProgrammeEntry, ProgrammeMonth, HomeHelpFigure, ServiceYear, CaseToday]
# The filters of the projects report, and the levels that get rows for each of
# their combinations: every combination for the national table (nation, states);
# the project type only for the offices, where every combination would multiply
# the rows by sixteen. The districts of one office are counted from its entries.
PROGRAMME_FILTERS = ("project_type", "status", "target_group")
PROGRAMME_LEVELS = {
    Level.NATION: ((), PROGRAMME_FILTERS),
    Level.STATE: (("state",), PROGRAMME_FILTERS),
    Level.OFFICE: (("state", "office"), ("project_type",)),
}
# Home help: the places each level is counted in (fields of VisitRow).
HOME_HELP_LEVELS = {
    Level.NATION: {},
    Level.STATE: {"state": "state"},
    Level.OFFICE: {"state": "state", "office": "office"},
    Level.ORGANIZATION: {"organization": "organization"},
    Level.CONSTITUENCY: {"state": "constituency_state", "constituency": "constituency"},
}
NOTHING = Cast(Value(None), BigIntegerField())
ANY = Value("", output_field=CharField())
LOCK = 5_160_016  # pg_advisory_lock key: "reports refresh"


def summaries_refresh(*, today=None):
    """Empties and rebuilds every summary table; returns the SummaryRefresh."""
    today = today or timezone.localdate()
    with _one_at_a_time(), transaction.atomic():
        taken_at = timezone.now()
        started = time.monotonic()
        rows = 0
        for model in SUMMARIES:
            model.objects.all().delete()
        rows += _programme_entries()
        rows += _programme_months()
        rows += _home_help_figures()
        rows += _services()
        rows += _cases_today(today)
        if connection.vendor == "postgresql":
            # Fresh statistics, or the planner takes the new tables for empty ones
            # and reads them the slow way (34 ms instead of 1 for a state table at M).
            with connection.cursor() as cursor:
                for model in SUMMARIES:
                    cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        SummaryRefresh.objects.all().delete()
        return SummaryRefresh.objects.create(
            taken_at=taken_at, seconds=time.monotonic() - started, rows=rows
        )


@contextmanager
def _one_at_a_time():
    """On PostgreSQL, outside a transaction: wait for any other refresh to end,
    then read one snapshot. Inside one (the tests, a command's own transaction)
    the caller's transaction decides."""
    postgres = connection.vendor == "postgresql"
    if not postgres:
        yield
        return
    with connection.cursor() as cursor:
        if connection.in_atomic_block:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK])
            cursor.execute("SET LOCAL work_mem = '64MB'")
            yield
            return
        # A lock taken inside the transaction would come after its snapshot, which
        # would then miss the rows of the refresh it waited for.
        cursor.execute("SELECT pg_advisory_lock(%s)", [LOCK])
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                # Enough to group a few million rows in memory.
                cursor.execute("SET LOCAL work_mem = '64MB'")
            yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK])


def _insert(model, queryset, *, group_by=None, count=None):
    """INSERT INTO model's table the rows of `queryset`, a values() queryset whose
    columns are named c_<field>. With group_by and count: the rows of the
    queryset grouped again by those fields, with their number as `count`."""
    quote = connection.ops.quote_name
    sql, params = queryset.query.sql_with_params()
    if group_by:
        keys = ", ".join(quote(f"c_{name}") for name in group_by)
        fields = [*group_by, count]
        select = f"SELECT {keys}, COUNT(*) FROM ({sql}) rows GROUP BY {keys}"
    else:
        fields = [name.removeprefix("c_") for name in queryset.query.values_select] + [
            name.removeprefix("c_") for name in queryset.query.annotation_select
        ]
        columns = ", ".join(quote(f"c_{name}") for name in fields)
        select = f"SELECT {columns} FROM ({sql}) rows"
    targets = ", ".join(quote(model._meta.get_field(name).column) for name in fields)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {quote(model._meta.db_table)} ({targets}) {select}", params)
        return cursor.rowcount


def _columns(**expressions):
    return {f"c_{name}": expression for name, expression in expressions.items()}


def _programme_entries():
    counted = ~Q(status=Project.Status.CANCELLED)
    projects = Project.objects.filter(counted).order_by()
    participations = Participation.objects.filter(project__in=projects).order_by()
    written = _insert(
        ProgrammeEntry,
        projects.values(
            **_columns(
                state=F("office__state"),
                office=F("office"),
                district=F("district"),
                project_type=F("project_type"),
                status=F("status"),
                target_group=ANY,
                person_id=NOTHING,
                day=F("start_date"),
                month=TruncMonth("start_date"),
            )
        ),
    )
    return written + _insert(
        ProgrammeEntry,
        participations.values(
            **_columns(
                state=F("project__office__state"),
                office=F("project__office"),
                district=F("project__district"),
                project_type=F("project__project_type"),
                status=F("project__status"),
                target_group=F("target_group"),
                person_id=F("person"),
                # Counted from the later of the two: an as-of date counts a
                # participation when both the project and the person had started.
                day=Greatest("joined_on", "project__start_date"),
                month=TruncMonth(Greatest("joined_on", "project__start_date")),
            )
        ),
    )


def _programme_months():
    """For each level and each combination of its filters: the month's projects
    and participants, then the persons counted there for the first time."""
    written = 0
    entries = ProgrammeEntry.objects.order_by()
    for level, (places, filters) in PROGRAMME_LEVELS.items():
        for kept in product([True, False], repeat=len(filters)):
            chosen = dict(zip(filters, kept, strict=True))
            key = {"level": Value(level, output_field=CharField())}
            key |= {place: F(place) for place in places}
            key |= {
                name: F(name) if chosen.get(name) else ANY
                for name in ("project_type", "status", "target_group")
            }
            by_group = chosen.get("target_group")
            # Projects have no target group: they are counted in the rows for any.
            rows = entries.filter(person_id__isnull=False) if by_group else entries
            written += _insert(
                ProgrammeMonth,
                rows.values(**_columns(**key, month=F("month"))).annotate(
                    c_projects=Value(0) if by_group else Count("pk", filter=Q(person_id=None)),
                    c_participants=Count("pk", filter=Q(person_id__isnull=False)),
                ),
            )
            # A person counts once, in the month of their first entry here.
            firsts = (
                entries.filter(person_id__isnull=False)
                .values("person_id", **_columns(**key))
                .annotate(c_month=Min("month"))
            )
            written += _insert(ProgrammeMonth, firsts, group_by=[*key, "month"], count="persons")
    return written


def _home_help_figures():
    """Per level: each year by client type and for any, each month for any."""
    rows = VisitRow._meta.db_table
    visits = Visit.objects.order_by().values(
        **_columns(
            visit=F("pk"),
            state=F("case__office__state"),
            office=F("case__office"),
            organization=F("volunteer__organization"),
            constituency=F("case__constituency"),
            constituency_state=F("case__constituency__state"),
            client_type=F("case__client_type"),
            client=F("case__client"),
            volunteer=F("volunteer"),
            # Whole numbers: PostgreSQL's EXTRACT gives numerics, slow to sort.
            year=Cast(ExtractYear("visited_on"), IntegerField()),
            month=Cast(ExtractMonth("visited_on"), IntegerField()),
            minutes=F("minutes"),
        )
    )
    sql, params = visits.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE {rows} AS {sql}", params)
    figures = {
        "c_visits": Count("pk"),
        "c_minutes": Sum("minutes"),
        "c_clients": Count("client", distinct=True),
        "c_volunteers": Count("volunteer", distinct=True),
    }
    written = 0
    for level, places in HOME_HELP_LEVELS.items():
        key = {"level": Value(level, output_field=CharField())}
        key |= {place: F(field) for place, field in places.items()}
        periods = [
            {"client_type": F("client_type"), "month": NOTHING},
            {"client_type": ANY, "month": NOTHING},
        ]
        if level != Level.CONSTITUENCY:  # the trends: no constituency has one
            periods.append({"client_type": ANY, "month": F("month")})
        for period in periods:
            columns = _columns(**key, **period, year=F("year"))
            written += _insert(
                HomeHelpFigure, VisitRow.objects.values(**columns).annotate(**figures)
            )
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {rows}")
    return written


def _services():
    given = Visit.services.through.objects.order_by()
    return _insert(
        ServiceYear,
        given.values(
            **_columns(
                year=ExtractYear("visit__visited_on"),
                client_type=F("visit__case__client_type"),
                service=F("service"),
            )
        ).annotate(c_visits=Count("pk")),
    )


def _cases_today(today):
    place = _columns(
        state=F("office__state"),
        office=F("office"),
        constituency=F("constituency"),
        client_type=F("client_type"),
    )
    active = Q(status=Case.Status.ACTIVE)
    written = _insert(
        CaseToday,
        Case.objects.order_by()
        .values(**place)
        .annotate(
            c_active=Count("pk", filter=active),
            c_overdue=Count("pk", filter=active & LessThan(VISIT_DUE_ON, today)),
            c_open_concerns=Value(0, output_field=IntegerField()),
            c_waiting=Count(
                "pk", filter=Q(pk__in=Case.objects.waiting_for_volunteer().values("pk"))
            ),
        ),
    )
    concerns = Visit.objects.open_concerns().order_by()
    return written + _insert(
        CaseToday,
        concerns.values(**{name: F(f"case__{path.name}") for name, path in place.items()}).annotate(
            c_active=Value(0, output_field=IntegerField()),
            c_overdue=Value(0, output_field=IntegerField()),
            c_open_concerns=Count("pk"),
            c_waiting=Value(0, output_field=IntegerField()),
        ),
    )
