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
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import (
    BigIntegerField,
    CharField,
    Count,
    F,
    IntegerField,
    Max,
    Min,
    Q,
    Sum,
    Value,
)
from django.db.models.expressions import RawSQL
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

SUMMARIES = [ProgrammeEntry, ProgrammeMonth, VisitRow, HomeHelpFigure, ServiceYear, CaseToday]
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


def summaries_refresh(*, today=None, full=False):
    """Brings every summary table to what the rows give now; returns the
    SummaryRefresh. Whole when `full`, on the first refresh and on the first
    after a migration of the reports app; otherwise only what the records
    changed since the last refresh."""
    today = today or timezone.localdate()
    with _one_at_a_time(), transaction.atomic():
        taken_at = timezone.now()
        started = time.monotonic()
        last = SummaryRefresh.objects.first()
        migration = _last_migration()
        full = full or last is None or last.migration != migration
        if full:
            rows = _programme_rebuilt() + _home_help_rebuilt()
        else:
            rows = _programme_updated() + _home_help_updated()
        # Small enough to count again whole: the services given (one row per
        # service and visit) and the cases as they stand today.
        ServiceYear.objects.all().delete()
        CaseToday.objects.all().delete()
        rows += _services() + _cases_today(today)
        if connection.vendor == "postgresql" and full:
            # Fresh statistics, or the planner takes the new tables for empty ones
            # and reads them the slow way (34 ms instead of 1 for a state table at M).
            with connection.cursor() as cursor:
                for model in SUMMARIES:
                    cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        SummaryRefresh.objects.all().delete()
        return SummaryRefresh.objects.create(
            taken_at=taken_at,
            seconds=time.monotonic() - started,
            rows=rows,
            full=full,
            migration=migration,
        )


def _last_migration():
    """The name of the reports app's last migration applied."""
    recorder = MigrationRecorder(connection)
    return (
        recorder.migration_qs.filter(app="reports").order_by("-id").values_list("name", flat=True)
    ).first() or ""


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


def _insert(model, queryset, *, group_by=None, count=None, table=None, sign=1):
    """INSERT INTO model's table (or `table`, with the same columns) the rows of
    `queryset`, a values() queryset whose columns are named c_<field>. With
    group_by and count: the rows of the queryset grouped again by those fields,
    with their number (times `sign`) as `count`."""
    quote = connection.ops.quote_name
    sql, params = queryset.query.sql_with_params()
    if group_by:
        keys = ", ".join(quote(f"c_{name}") for name in group_by)
        fields = [*group_by, count]
        select = f"SELECT {keys}, {int(sign)} * COUNT(*) FROM ({sql}) rows GROUP BY {keys}"
    else:
        fields = _names(queryset)
        columns = ", ".join(quote(f"c_{name}") for name in fields)
        select = f"SELECT {columns} FROM ({sql}) rows"
    targets = ", ".join(quote(model._meta.get_field(name).column) for name in fields)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(table or model._meta.db_table)} ({targets}) {select}", params
        )
        return cursor.rowcount


def _names(queryset):
    """The fields a values() queryset of _columns() gives, in order."""
    return [
        name.removeprefix("c_")
        for name in (*queryset.query.values_select, *queryset.query.annotation_select)
    ]


def _columns(**expressions):
    return {f"c_{name}": expression for name, expression in expressions.items()}


def _execute(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _temporary(table, queryset):
    """A temporary table of the rows of a values() queryset of _columns(): it
    ends with the refresh (_drop)."""
    sql, params = queryset.query.sql_with_params()
    _execute(f"DROP TABLE IF EXISTS {table}")
    _execute(f"CREATE TEMPORARY TABLE {table} AS {sql}", params)


def _drop(*tables):
    for table in tables:
        _execute(f"DROP TABLE IF EXISTS {table}")


def _same(model, fields, *, kept="kept", now="now"):
    """SQL: the row `kept` of model's table has the values of the row `now` of a
    temporary table of _columns() (nulls equal)."""
    equal = "IS NOT DISTINCT FROM" if connection.vendor == "postgresql" else "IS"
    quote = connection.ops.quote_name
    return " AND ".join(
        f"{kept}.{quote(model._meta.get_field(name).column)} {equal} {now}.{quote('c_' + name)}"
        for name in fields
    )


# --- The programme --------------------------------------------------------------

NEW_ENTRIES = "reports_refresh_entries"  # the entries as the rows give them now
GONE_ENTRIES = "reports_refresh_gone"  # ids of the stored entries that no longer are
COMING_ENTRIES = "reports_refresh_coming"  # the entries not stored yet
PERSONS = "reports_refresh_persons"  # the persons of either
MONTH_PARTS = "reports_refresh_month_parts"  # ProgrammeMonth's rows, in parts to add up
MONTHS_TOUCHED = "reports_refresh_months_touched"


def _entry_rows():
    """The entries as the rows give them now: two values() querysets of _columns()
    with the same columns, projects then participations."""
    counted = ~Q(status=Project.Status.CANCELLED)
    projects = Project.objects.filter(counted).order_by()
    participations = Participation.objects.filter(project__in=projects).order_by()
    return [
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
                project_id=F("pk"),
                participation_id=NOTHING,
            )
        ),
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
                project_id=F("project"),
                participation_id=F("pk"),
            )
        ),
    ]


def _programme_rebuilt():
    ProgrammeEntry.objects.all().delete()
    written = sum(_insert(ProgrammeEntry, rows) for rows in _entry_rows())
    _month_parts_table()
    every = ProgrammeEntry.objects.order_by()
    _month_parts(counted=every, persons=every, sign=1)
    ProgrammeMonth.objects.all().delete()
    written += _months_from_parts()
    _drop(MONTH_PARTS)
    return written


def _programme_updated():
    """The entries that differ from the rows now are replaced; ProgrammeMonth is
    corrected by the difference: what the entries gone counted is taken off,
    what the entries coming count is added, and the persons of either are
    counted again from all their entries, before and after."""
    quote = connection.ops.quote_name
    stored = quote(ProgrammeEntry._meta.db_table)
    now, then = _entry_rows()
    _temporary(NEW_ENTRIES, now)
    fields = _names(now)
    columns = ", ".join(quote(f"c_{name}") for name in fields)
    sql, params = then.query.sql_with_params()
    _execute(f"INSERT INTO {NEW_ENTRIES} ({columns}) {sql}", params)
    # One entry per project, and per participation: matched by those.
    source = (
        "kept.project_id = now.c_project_id"
        " AND COALESCE(kept.participation_id, 0) = COALESCE(now.c_participation_id, 0)"
    )
    same = _same(ProgrammeEntry, fields)
    _execute(f"DROP TABLE IF EXISTS {GONE_ENTRIES}")
    _execute(
        f"CREATE TEMPORARY TABLE {GONE_ENTRIES} AS SELECT kept.id, kept.person_id"
        f" FROM {stored} kept LEFT JOIN {NEW_ENTRIES} now ON {source} AND {same}"
        " WHERE now.c_project_id IS NULL"
    )
    _execute(f"DROP TABLE IF EXISTS {COMING_ENTRIES}")
    _execute(
        f"CREATE TEMPORARY TABLE {COMING_ENTRIES} AS SELECT now.*"
        f" FROM {NEW_ENTRIES} now LEFT JOIN {stored} kept ON {source} AND {same}"
        " WHERE kept.id IS NULL"
    )
    written = 0
    if _count(GONE_ENTRIES) or _count(COMING_ENTRIES):
        _execute(f"DROP TABLE IF EXISTS {PERSONS}")
        _execute(
            f"CREATE TEMPORARY TABLE {PERSONS} AS"
            f" SELECT person_id FROM {GONE_ENTRIES} WHERE person_id IS NOT NULL"
            f" UNION SELECT c_person_id FROM {COMING_ENTRIES} WHERE c_person_id IS NOT NULL"
        )
        persons = Q(person_id__in=RawSQL(f"SELECT person_id FROM {PERSONS}", []))
        entries = ProgrammeEntry.objects.order_by()
        _month_parts_table()
        _month_parts(
            counted=entries.filter(pk__in=RawSQL(f"SELECT id FROM {GONE_ENTRIES}", [])),
            persons=entries.filter(persons),
            sign=-1,
        )
        _execute(f"DELETE FROM {stored} WHERE id IN (SELECT id FROM {GONE_ENTRIES})")
        before = entries.aggregate(last=Max("pk"))["last"] or 0
        targets = ", ".join(quote(ProgrammeEntry._meta.get_field(name).column) for name in fields)
        written += _execute(
            f"INSERT INTO {stored} ({targets}) SELECT {columns} FROM {COMING_ENTRIES}"
        )
        _month_parts(counted=entries.filter(pk__gt=before), persons=entries.filter(persons), sign=1)
        written += _months_corrected()
        _drop(PERSONS, MONTH_PARTS)
    _drop(NEW_ENTRIES, GONE_ENTRIES, COMING_ENTRIES)
    return written


def _count(table):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table}")
        return cursor.fetchone()[0]


MONTH_FIELDS = ["level", "state", "office", "project_type", "status", "target_group", "month"]
MONTH_FIGURES = ["projects", "participants", "persons"]


def _month_columns(fields):
    quote = connection.ops.quote_name
    return ", ".join(quote(ProgrammeMonth._meta.get_field(name).column) for name in fields)


def _month_parts_table():
    """An empty temporary table with ProgrammeMonth's columns, where figures may
    be negative: the parts that _months_from_parts adds up."""
    _drop(MONTH_PARTS)
    columns = _month_columns(MONTH_FIELDS + MONTH_FIGURES)
    table = connection.ops.quote_name(ProgrammeMonth._meta.db_table)
    _execute(f"CREATE TEMPORARY TABLE {MONTH_PARTS} AS SELECT {columns} FROM {table} WHERE 1 = 0")


def _month_parts(*, counted, persons, sign):
    """For each level and each combination of its filters: the projects and
    participants of the entries `counted`, by month, then the persons of the
    entries `persons` counted for the first time, by month; times `sign`."""
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
            rows = counted.filter(person_id__isnull=False) if by_group else counted
            _insert(
                ProgrammeMonth,
                rows.values(**_columns(**key, month=F("month"))).annotate(
                    c_projects=Value(0)
                    if by_group
                    else Count("pk", filter=Q(person_id=None)) * Value(sign),
                    c_participants=Count("pk", filter=Q(person_id__isnull=False)) * Value(sign),
                ),
                table=MONTH_PARTS,
            )
            # A person counts once, in the month of their first entry here.
            firsts = (
                persons.filter(person_id__isnull=False)
                .values("person_id", **_columns(**key))
                .annotate(c_month=Min("month"))
            )
            _insert(
                ProgrammeMonth,
                firsts,
                group_by=[*key, "month"],
                count="persons",
                table=MONTH_PARTS,
                sign=sign,
            )


def _months_from_parts():
    """ProgrammeMonth's rows: the parts added up, one row per key and month, none
    that comes to nothing."""
    keys = _month_columns(MONTH_FIELDS)
    # A part has some figures only: the others are empty.
    sums = [f"COALESCE(SUM({name}), 0)" for name in MONTH_FIGURES]
    some = " OR ".join(f"{total} <> 0" for total in sums)
    sums = ", ".join(sums)
    table = connection.ops.quote_name(ProgrammeMonth._meta.db_table)
    return _execute(
        f"INSERT INTO {table} ({keys}, {_month_columns(MONTH_FIGURES)})"
        f" SELECT {keys}, {sums} FROM {MONTH_PARTS} GROUP BY {keys} HAVING {some}"
    )


def _months_corrected():
    """The rows of ProgrammeMonth whose keys the parts (differences) touch are
    added to them and replaced by the sums."""
    table = connection.ops.quote_name(ProgrammeMonth._meta.db_table)
    match = []
    for name in MONTH_FIELDS:
        column = connection.ops.quote_name(ProgrammeMonth._meta.get_field(name).column)
        if ProgrammeMonth._meta.get_field(name).null:
            # Ids start at 1: 0 stands for none, and the join can hash.
            match.append(f"COALESCE(m.{column}, 0) = COALESCE(p.{column}, 0)")
        else:
            match.append(f"m.{column} = p.{column}")
    _drop(MONTHS_TOUCHED)
    _execute(
        f"CREATE TEMPORARY TABLE {MONTHS_TOUCHED} AS SELECT DISTINCT m.id"
        f" FROM {table} m JOIN {MONTH_PARTS} p ON {' AND '.join(match)}"
    )
    columns = _month_columns(MONTH_FIELDS + MONTH_FIGURES)
    _execute(
        f"INSERT INTO {MONTH_PARTS} ({columns}) SELECT {columns} FROM {table}"
        f" WHERE id IN (SELECT id FROM {MONTHS_TOUCHED})"
    )
    _execute(f"DELETE FROM {table} WHERE id IN (SELECT id FROM {MONTHS_TOUCHED})")
    _drop(MONTHS_TOUCHED)
    return _months_from_parts()


# --- Home help ------------------------------------------------------------------

NEW_VISITS = "reports_refresh_visits"  # the visits' rows as the visits give them now
CHANGED_VISITS = "reports_refresh_changed_visits"
HOME_HELP_FIGURES = {
    "c_visits": Count("pk"),
    "c_minutes": Sum("minutes"),
    "c_clients": Count("client", distinct=True),
    "c_volunteers": Count("volunteer", distinct=True),
}


def _visit_rows():
    return Visit.objects.order_by().values(
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


def _home_help_rebuilt():
    """Per level: each year by client type and for any, each month for any."""
    if connection.vendor == "postgresql":
        _execute(f"TRUNCATE {connection.ops.quote_name(VisitRow._meta.db_table)}")
    else:
        VisitRow.objects.all().delete()
    written = _insert(VisitRow, _visit_rows())
    HomeHelpFigure.objects.all().delete()
    for level in HOME_HELP_LEVELS:
        written += _home_help_figures(level, Q())
    return written


def _home_help_figures(level, where):
    """The level's figures from the visits' rows that `where` keeps."""
    places = HOME_HELP_LEVELS[level]
    key = {"level": Value(level, output_field=CharField())}
    key |= {place: F(field) for place, field in places.items()}
    periods = [
        {"client_type": F("client_type"), "month": NOTHING},
        {"client_type": ANY, "month": NOTHING},
    ]
    if level != Level.CONSTITUENCY:  # the trends: no constituency has one
        periods.append({"client_type": ANY, "month": F("month")})
    written = 0
    for period in periods:
        columns = _columns(**key, **period, year=F("year"))
        written += _insert(
            HomeHelpFigure,
            VisitRow.objects.filter(where).values(**columns).annotate(**HOME_HELP_FIGURES),
        )
    return written


def _home_help_updated():
    """The visits' rows that differ from the visits now are replaced, and the
    figures of their years and places (before and after) counted again."""
    quote = connection.ops.quote_name
    stored = quote(VisitRow._meta.db_table)
    now = _visit_rows()
    _temporary(NEW_VISITS, now)
    fields = _names(now)
    same = _same(VisitRow, fields)
    _drop(CHANGED_VISITS)
    _execute(
        f"CREATE TEMPORARY TABLE {CHANGED_VISITS} AS"
        f" SELECT kept.visit FROM {stored} kept LEFT JOIN {NEW_VISITS} now"
        f" ON now.c_visit = kept.visit AND {same} WHERE now.c_visit IS NULL"
        f" UNION SELECT now.c_visit FROM {NEW_VISITS} now LEFT JOIN {stored} kept"
        f" ON kept.visit = now.c_visit AND {same} WHERE kept.visit IS NULL"
    )
    written = 0
    if _count(CHANGED_VISITS):
        changed = f"SELECT visit FROM {CHANGED_VISITS}"
        # The years and places of the rows changed, as they were and as they are.
        touched = {}
        for level, places in HOME_HELP_LEVELS.items():
            field = list(places.values())[-1] if places else None
            place = quote(VisitRow._meta.get_field(field).column) if field else "NULL"
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT {place}, year FROM {stored} WHERE visit IN ({changed})"
                    f" UNION SELECT {quote('c_' + field) if field else 'NULL'}, c_year"
                    f" FROM {NEW_VISITS} WHERE c_visit IN ({changed})"
                )
                touched[level] = cursor.fetchall()
        _execute(f"DELETE FROM {stored} WHERE visit IN ({changed})")
        columns = ", ".join(quote(f"c_{name}") for name in fields)
        targets = ", ".join(quote(VisitRow._meta.get_field(name).column) for name in fields)
        written += _execute(
            f"INSERT INTO {stored} ({targets}) SELECT {columns} FROM {NEW_VISITS}"
            f" WHERE c_visit IN ({changed})"
        )
        for level, places in HOME_HELP_LEVELS.items():
            field = list(places.values())[-1] if places else None
            place = list(places)[-1] if places else None
            years = {}
            for value, year in touched[level]:
                years.setdefault(year, set()).add(value)
            rows, figures = Q(pk__in=[]), Q(pk__in=[])
            for year, values in years.items():
                rows |= Q(year=year, **({f"{field}__in": values} if field else {}))
                figures |= Q(year=year, **({f"{place}__in": values} if place else {}))
            HomeHelpFigure.objects.filter(figures, level=level).delete()
            written += _home_help_figures(level, rows)
    _drop(NEW_VISITS, CHANGED_VISITS)
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
