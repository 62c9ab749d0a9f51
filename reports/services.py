"""Keeping the reports' summary tables (reports.models) equal to what the rows give.

How the figures stay current. Every write to a record that the figures count is
logged by the database itself: triggers (migration reports.0005) add a
RecordChanged row for each project, participation, visit or visit's service
added, changed in a column the figures read, or deleted, and for each case,
volunteer, office or constituency whose place or kind changes. Triggers, not the
models' history or save(): they also see update(), bulk_create, cascades,
purges, the admin and generate_data's COPY, and nothing has to remember them.

`summaries_refresh()` (manage.py refresh_reports, every few minutes) then:
- on the first refresh, after a migration of the reports app, after a crash
  emptied the UNLOGGED copies, or with --full: empties every table and rebuilds
  it from all the rows;
- otherwise reads the log, and counts again only the projects and visits it
  names (with those of the cases, volunteers, offices and constituencies it
  names). ProgrammeEntry's rows of those projects that differ are replaced;
  ProgrammeMonth is corrected by the difference (the projects and participants
  of the entries gone taken off and those coming added; the persons of either
  counted again from all their entries, before and after, since a person
  counts once, in their first month). The visits' copies (VisitRow,
  ServiceRow) of the visits named are replaced, and HomeHelpFigure and
  ServiceYear corrected the same way: the visits and minutes of those visits,
  and their clients and volunteers counted again in the years of those visits.
  A correction is written as parts (what the key had, minus before, plus
  after) summed into one row per key; a row that comes to nothing is removed,
  so the tables hold exactly the rows a full rebuild writes (the tests compare
  both, and every cell with reports.queries);
- rebuilds CaseToday whole (it depends on today), and empties the log of what it read.

Rows are written by INSERT ... SELECT statements that the database runs itself:
the SELECTs are written with the ORM where they can be (so that the same code
runs on PostgreSQL and SQLite) and wrapped in an INSERT that picks their columns
by name; those that read the refresh's own temporary tables (the sums that the
many groupings of the figures are counted from, rather than from every row) are
SQL common to both, with the columns named from the models. On PostgreSQL a refresh reads one snapshot (REPEATABLE READ), so the
figures agree with each other and with the rows as they were at `taken_at`,
whatever is saved meanwhile (a change committed after the snapshot stays in the
log for the next refresh); a session lock keeps two refreshes from interleaving.
A change to how a figure is computed, without a migration, needs one
`refresh_reports --full` after the deployment."""

import time
from contextlib import contextmanager
from itertools import product

from django.db import connection, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import (
    BigIntegerField,
    BooleanField,
    CharField,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    Min,
    Q,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import (
    Cast,
    ExtractMonth,
    ExtractYear,
    Greatest,
    TruncMonth,
)
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
    RecordChanged,
    ServiceRow,
    ServiceYear,
    SummaryRefresh,
    VisitRow,
)

SUMMARIES = [ProgrammeEntry, ProgrammeMonth, VisitRow, ServiceRow, HomeHelpFigure, ServiceYear]
SUMMARIES += [CaseToday]
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
# Enough to sort a few million rows in memory (the distinct counts) and build
# the indexes of the visits' rows: one refresh runs at a time.
MEMORY = ["SET LOCAL work_mem = '256MB'", "SET LOCAL maintenance_work_mem = '256MB'"]


def summaries_refresh(*, today=None, full=False):
    """Brings every summary table to what the rows give now; returns the
    SummaryRefresh. Whole when `full`, on the first refresh and on the first
    after a migration of the reports app; otherwise only what the records
    logged as changed (RecordChanged) since the last refresh."""
    today = today or timezone.localdate()
    refresh = _refreshed(today, full)
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        # Outside any transaction, as VACUUM must be: the tables the pages read,
        # and the log the refresh emptied. VACUUM marks the rows written visible
        # to all in the visibility map, so that the reports read their figures
        # from the indexes alone, and frees the rows the refresh replaced, which
        # the queries otherwise step over. At L: after a full refresh, every
        # office's table read its figures in 53 ms instead of 30; after a day's
        # changes, in 33 ms instead of 15 (31,786 heap fetches), where the
        # VACUUMs took 0.7 s. Autovacuum would, but only once a fifth of a table
        # has changed, and not at all where it is off. (The visits' and services'
        # copies, which no page reads, are left to it.)
        tables = [RecordChanged, ProgrammeMonth, ProgrammeEntry, HomeHelpFigure, CaseToday]
        with connection.cursor() as cursor:
            for model in tables:
                cursor.execute(f"VACUUM {connection.ops.quote_name(model._meta.db_table)}")
    return refresh


def _refreshed(today, full):
    with _one_at_a_time(), transaction.atomic():
        taken_at = timezone.now()
        started = time.monotonic()
        last = SummaryRefresh.objects.first()
        migration = _last_migration()
        # After a crash, PostgreSQL empties the UNLOGGED copies of the visits.
        lost = not VisitRow.objects.exists() and HomeHelpFigure.objects.exists()
        full = full or last is None or last.migration != migration or lost
        # The changes logged so far (in the snapshot): the rest wait for the next.
        log = connection.ops.quote_name(RecordChanged._meta.db_table)
        _drop(LOGGED)
        _execute(f"CREATE TEMPORARY TABLE {LOGGED} AS SELECT id, kind, source FROM {log}")
        if full:
            rows = _programme_rebuilt() + _home_help_rebuilt()
        else:
            _changed_sources()
            rows = _programme_updated() + _home_help_updated()
            _drop(PROJECTS_CHANGED, VISITS_CHANGED)
        _execute(f"DELETE FROM {log} WHERE id IN (SELECT id FROM {LOGGED})")
        _drop(LOGGED)
        # Cheap enough to count again whole, and they depend on the day.
        CaseToday.objects.all().delete()
        rows += _cases_today(today)
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


LOGGED = "reports_refresh_logged"  # the RecordChanged rows this refresh reads
PROJECTS_CHANGED = "reports_refresh_projects"  # ids of the projects to count again
VISITS_CHANGED = "reports_refresh_visit_ids"  # ids of the visits to count again


def _logged(kind):
    return RawSQL(f"SELECT source FROM {LOGGED} WHERE kind = %s", [kind])


def _changed_sources():
    """The projects and visits to count again, from what was logged: their own
    changes, their participations' and services', and those of the cases,
    volunteers, offices and constituencies they are counted under."""
    Kind = RecordChanged.Kind
    _temporary(
        PROJECTS_CHANGED,
        Project.objects.filter(office__in=_logged(Kind.OFFICE)).values(c_id=F("pk")),
    )
    _execute(
        f"INSERT INTO {PROJECTS_CHANGED} (c_id) SELECT source FROM {LOGGED} WHERE kind = %s",
        [Kind.PROJECT],  # deleted ones too: their entries go
    )
    cases = Case.objects.filter(
        Q(pk__in=_logged(Kind.CASE))
        | Q(office__in=_logged(Kind.OFFICE))
        | Q(constituency__in=_logged(Kind.CONSTITUENCY))
    )
    _temporary(
        VISITS_CHANGED, Visit.objects.filter(case__in=cases.values("pk")).values(c_id=F("pk"))
    )
    volunteers = Visit.objects.filter(volunteer__in=_logged(Kind.VOLUNTEER)).values_list("pk")
    sql, params = volunteers.query.sql_with_params()
    _execute(f"INSERT INTO {VISITS_CHANGED} (c_id) {sql}", params)
    _execute(
        f"INSERT INTO {VISITS_CHANGED} (c_id) SELECT source FROM {LOGGED} WHERE kind = %s",
        [Kind.VISIT],
    )
    _analyzed(PROJECTS_CHANGED)
    _analyzed(VISITS_CHANGED)


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
            for statement in MEMORY:
                cursor.execute(statement)
            yield
            return
        # A lock taken inside the transaction would come after its snapshot, which
        # would then miss the rows of the refresh it waited for.
        cursor.execute("SELECT pg_advisory_lock(%s)", [LOCK])
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                for statement in MEMORY:
                    cursor.execute(statement)
            yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK])


def _insert(model, queryset, *, table=None):
    """INSERT INTO model's table (or `table`, with the same columns) the rows of
    `queryset`, a values() queryset whose columns are named c_<field>."""
    quote = connection.ops.quote_name
    sql, params = queryset.query.sql_with_params()
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
    _analyzed(table)


def _analyzed(table):
    """The statistics of a table just filled: autovacuum never sees a temporary
    one, nor a table filled in the refresh's own transaction in time; without
    them the planner guesses a thousand rows (or none), and may read a big
    table whole, or row by row, to join it."""
    if connection.vendor == "postgresql":
        _execute(f"ANALYZE {table}")


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
RETURNING = "reports_refresh_returning"  # persons with more than one entry
MONTH_PARTS = "reports_refresh_month_parts"  # ProgrammeMonth's rows, in parts to add up
ROWS_TOUCHED = "reports_refresh_rows_touched"


def _entry_rows(projects=Project.objects):
    """The entries of `projects` as the rows give them now: two values() querysets
    of _columns() with the same columns, projects then participations."""
    counted = ~Q(status=Project.Status.CANCELLED)
    projects = projects.filter(counted).order_by()
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
    entries = connection.ops.quote_name(ProgrammeEntry._meta.db_table)
    # Read at once by the months' queries: after a migration emptied it, the
    # planner would take a million entries for none, and join them row by row
    # (a first full refresh at L ran for over 20 minutes).
    _analyzed(entries)
    _parts_table(ProgrammeMonth, MONTH_FIELDS + MONTH_FIGURES, MONTH_PARTS)
    # Most persons have one entry: counted in its month wherever it counts, by
    # the same pass as the participants. Only the others need their first
    # month found (at L: 340,000 entries of 1.1 million).
    _drop(RETURNING)
    _execute(
        f"CREATE TEMPORARY TABLE {RETURNING} AS SELECT person_id FROM {entries}"
        " WHERE person_id IS NOT NULL GROUP BY person_id HAVING COUNT(*) > 1"
    )
    _analyzed(RETURNING)
    returning = Q(person_id__in=RawSQL(f"SELECT person_id FROM {RETURNING}", []))
    every = ProgrammeEntry.objects.order_by()
    _month_parts(
        counted=every,
        persons=every.filter(returning),
        sign=1,
        once=Q(person_id__isnull=False) & ~returning,
    )
    _drop(RETURNING)
    ProgrammeMonth.objects.all().delete()
    written += _sums(ProgrammeMonth, MONTH_FIELDS, MONTH_FIGURES, MONTH_PARTS)
    _drop(MONTH_PARTS)
    return written


def _programme_updated():
    """The entries of the projects changed that differ from the rows now are
    replaced; ProgrammeMonth is corrected by the difference: what the entries
    gone counted is taken off, what the entries coming count is added, and the
    persons of either are counted again from all their entries, before and
    after."""
    quote = connection.ops.quote_name
    stored = quote(ProgrammeEntry._meta.db_table)
    changed = RawSQL(f"SELECT c_id FROM {PROJECTS_CHANGED}", [])
    now, then = _entry_rows(projects=Project.objects.filter(pk__in=changed))
    _temporary(NEW_ENTRIES, now)
    fields = _names(now)
    columns = ", ".join(quote(f"c_{name}") for name in fields)
    sql, params = then.query.sql_with_params()
    _execute(f"INSERT INTO {NEW_ENTRIES} ({columns}) {sql}", params)
    _analyzed(NEW_ENTRIES)  # with the participations now
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
        f" WHERE now.c_project_id IS NULL AND kept.project_id IN (SELECT c_id FROM {PROJECTS_CHANGED})"
    )
    _execute(f"DROP TABLE IF EXISTS {COMING_ENTRIES}")
    _execute(
        f"CREATE TEMPORARY TABLE {COMING_ENTRIES} AS SELECT now.*"
        f" FROM {NEW_ENTRIES} now LEFT JOIN {stored} kept ON {source} AND {same}"
        " WHERE kept.id IS NULL"
    )
    _analyzed(GONE_ENTRIES)
    _analyzed(COMING_ENTRIES)
    written = 0
    if _count(GONE_ENTRIES) or _count(COMING_ENTRIES):
        _execute(f"DROP TABLE IF EXISTS {PERSONS}")
        _execute(
            f"CREATE TEMPORARY TABLE {PERSONS} AS"
            f" SELECT person_id FROM {GONE_ENTRIES} WHERE person_id IS NOT NULL"
            f" UNION SELECT c_person_id FROM {COMING_ENTRIES} WHERE c_person_id IS NOT NULL"
        )
        _analyzed(PERSONS)
        persons = Q(person_id__in=RawSQL(f"SELECT person_id FROM {PERSONS}", []))
        entries = ProgrammeEntry.objects.order_by()
        _parts_table(ProgrammeMonth, MONTH_FIELDS + MONTH_FIGURES, MONTH_PARTS)
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
        written += _corrected(ProgrammeMonth, MONTH_FIELDS, MONTH_FIGURES, MONTH_PARTS, probe=True)
        _drop(PERSONS, MONTH_PARTS)
    _drop(NEW_ENTRIES, GONE_ENTRIES, COMING_ENTRIES)
    return written


def _count(table):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table}")
        return cursor.fetchone()[0]


MONTH_FIELDS = ["level", "state", "office", "project_type", "status", "target_group", "month"]
MONTH_FIGURES = ["projects", "participants", "persons"]


def _column_list(model, fields):
    quote = connection.ops.quote_name
    return ", ".join(quote(model._meta.get_field(name).column) for name in fields)


def _parts_table(model, fields, table):
    """An empty temporary table with model's columns, where figures may be
    negative: the parts that _sums adds up."""
    _drop(table)
    columns = _column_list(model, fields)
    _execute(
        f"CREATE TEMPORARY TABLE {table} AS SELECT {columns}"
        f" FROM {connection.ops.quote_name(model._meta.db_table)} WHERE 1 = 0"
    )


def _sums(model, keys, figures, parts):
    """Model's rows: the parts added up, one row per key, none that comes to
    nothing (a full refresh writes no such row)."""
    # A part has some figures only: the others are empty.
    sums = [f"COALESCE(SUM({name}), 0)" for name in _column_list(model, figures).split(", ")]
    some = " OR ".join(f"{total} <> 0" for total in sums)
    key = _column_list(model, keys)
    return _execute(
        f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)}"
        f" ({key}, {_column_list(model, figures)})"
        f" SELECT {key}, {', '.join(sums)} FROM {parts} GROUP BY {key} HAVING {some}"
    )


def _corrected(model, keys, figures, parts, *, probe=False):
    """The rows of model whose keys the parts (differences) touch are added to
    them and replaced by the sums."""
    table = connection.ops.quote_name(model._meta.db_table)
    match = []
    for name in keys:
        field = model._meta.get_field(name)
        column = connection.ops.quote_name(field.column)
        if field.null:
            # Ids and months start at 1: 0 stands for none, and the join can hash.
            match.append(f"COALESCE(m.{column}, 0) = COALESCE(p.{column}, 0)")
        else:
            match.append(f"m.{column} = p.{column}")
    _analyzed(parts)
    _drop(ROWS_TOUCHED)
    # The planner cannot estimate a join on so many columns, some through
    # COALESCE: it expects one row and probes an index for each part. Right for
    # ProgrammeMonth, whose index has every column but the places; at L, 8 s
    # instead of a hash join's half second for HomeHelpFigure, whose index
    # leaves 1,300 rows to filter per probe.
    postgres = connection.vendor == "postgresql" and not probe
    if postgres:
        _execute("SET LOCAL enable_nestloop = off")
    _execute(
        f"CREATE TEMPORARY TABLE {ROWS_TOUCHED} AS SELECT DISTINCT m.id"
        f" FROM {table} m JOIN {parts} p ON {' AND '.join(match)}"
    )
    if postgres:
        _execute("SET LOCAL enable_nestloop = on")
    columns = _column_list(model, keys + figures)
    _execute(
        f"INSERT INTO {parts} ({columns}) SELECT {columns} FROM {table}"
        f" WHERE id IN (SELECT id FROM {ROWS_TOUCHED})"
    )
    _execute(f"DELETE FROM {table} WHERE id IN (SELECT id FROM {ROWS_TOUCHED})")
    _drop(ROWS_TOUCHED)
    return _sums(model, keys, figures, parts)


def _month_parts(*, counted, persons, sign, once=None):
    """For each level and each combination of its filters: the projects and
    participants of the entries `counted`, by month, then the persons of the
    entries `persons` counted for the first time, by month; times `sign`. And
    the persons of the entries `once` keeps among `counted`, whose only entry
    it is, with the participants."""
    # Both first summed by every column a combination may keep, then each
    # combination from the sums: at L, 1.1 million entries counted make 380,000
    # sums, and the 340,000 entries of persons with more than one make 330,000
    # first months, which a combination then sorts instead of the entries.
    keys = _columns(**{name: F(name) for name in ("state", "office", *PROGRAMME_FILTERS)})
    project = ExpressionWrapper(Q(person_id=None), output_field=BooleanField())
    _temporary(
        COUNTED,
        counted.values(**keys, c_month=F("month"), c_project=project).annotate(
            c_entries=Count("pk"),
            c_once=Count("pk", filter=once) if once else Value(0, output_field=IntegerField()),
        ),
    )
    _temporary(
        FIRSTS,
        persons.filter(person_id__isnull=False)
        .values("person_id", **keys)
        .annotate(c_month=Min("month")),
    )
    quote = connection.ops.quote_name
    for level, (places, filters) in PROGRAMME_LEVELS.items():
        for chosen in product([True, False], repeat=len(filters)):
            names = [*places, *(name for name, by in zip(filters, chosen, strict=True) if by)]
            key = {"level": f"'{level}'"} | dict.fromkeys(PROGRAMME_FILTERS, "''")
            key |= {name: quote(f"c_{name}") for name in names}
            grouped = [key[name] for name in names]
            columns = ", ".join(key.values())
            by_month = ", ".join([*grouped, "c_month"])
            by_group = "target_group" in names
            # Projects have no target group: they are counted in the rows for any.
            projects = "0" if by_group else "SUM(CASE WHEN c_project THEN c_entries ELSE 0 END)"
            _execute(
                f"INSERT INTO {MONTH_PARTS}"
                f" ({_column_list(ProgrammeMonth, [*key, 'month', *MONTH_FIGURES])})"
                f" SELECT {columns}, c_month, {int(sign)} * {projects},"
                f" {int(sign)} * SUM(CASE WHEN c_project THEN 0 ELSE c_entries END),"
                f" {int(sign)} * SUM(c_once)"
                f" FROM {COUNTED} {'WHERE NOT c_project' if by_group else ''} GROUP BY {by_month}"
            )
            # A person counts once, in the month of their first entry here.
            _execute(
                f"INSERT INTO {MONTH_PARTS}"
                f" ({_column_list(ProgrammeMonth, [*key, 'month', 'persons'])})"
                f" SELECT {columns}, c_month, {int(sign)} * COUNT(*) FROM"
                f" (SELECT {', '.join([*grouped, 'MIN(c_month) AS c_month'])} FROM {FIRSTS}"
                f" GROUP BY {', '.join(['person_id', *grouped])}) firsts GROUP BY {by_month}"
            )
    _drop(COUNTED, FIRSTS)


COUNTED = "reports_refresh_counted"  # the entries counted, summed (_month_parts)
FIRSTS = "reports_refresh_firsts"  # the first month of each person, by every key


# --- Home help ------------------------------------------------------------------

VISITS_NOW = "reports_refresh_visits"  # the rows of the visits changed, as they are now
PEOPLE_CHANGED = "reports_refresh_people"  # their clients and volunteers, before and after
FIGURE_PARTS = "reports_refresh_figure_parts"
SERVICE_PARTS = "reports_refresh_service_parts"
ROWS_READ = "reports_refresh_rows_read"  # the visits' rows a part counts
FIGURE_KEYS = ["level", "state", "office", "organization", "constituency", "client_type"]
FIGURE_KEYS += ["year", "month"]
FIGURE_NAMES = ["visits", "minutes", "clients", "volunteers"]


def _visit_rows(visits=Visit.objects):
    return visits.order_by().values(
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


def _service_rows(given=Visit.services.through.objects):
    return given.order_by().values(**_columns(visit=F("visit"), service=F("service")))


def _home_help_rebuilt():
    """Per level: each year by client type and for any, each month for any; the
    services given per year and client type."""
    written = 0
    for model, rows in ((VisitRow, _visit_rows()), (ServiceRow, _service_rows())):
        with _indexed_after(model):
            written += _insert(model, rows)
    HomeHelpFigure.objects.all().delete()
    # A year's figures are counted from the visits summed per client, volunteer
    # and year (at L: 2 million visits, 560,000 sums): the distinct counts sort
    # a quarter of the rows. A month's are counted from the visits.
    visits = connection.ops.quote_name(VisitRow._meta.db_table)
    places = _column_list(VisitRow, YEAR_PLACES)
    _drop(YEARS)
    _execute(
        f"CREATE TEMPORARY TABLE {YEARS} AS SELECT {places}, COUNT(*) AS visits,"
        f" SUM(minutes) AS minutes FROM {visits} GROUP BY {places}"
    )
    for grouping in _figure_groupings():
        by_month = grouping[-1]
        written += _figures_counted(
            grouping,
            rows=visits if by_month else YEARS,
            visits="COUNT(*)" if by_month else "SUM(visits)",
            minutes="SUM(minutes)",
            clients="COUNT(DISTINCT client)",
            volunteers="COUNT(DISTINCT volunteer)",
            table=connection.ops.quote_name(HomeHelpFigure._meta.db_table),
        )
    _drop(YEARS)
    ServiceYear.objects.all().delete()
    written += _insert(ServiceYear, _services_given(ServiceRow.objects))
    return written


YEARS = "reports_refresh_years"  # the visits' rows summed per client, volunteer and year
# The columns of the visits' rows that a year's figures are grouped or counted by.
YEAR_PLACES = ["state", "office", "organization", "constituency", "constituency_state"]
YEAR_PLACES += ["client_type", "client", "volunteer", "year"]


def _figures_counted(grouping, *, rows, table, **figures):
    """INSERT INTO `table` (HomeHelpFigure's columns) one grouping's rows: its
    key, and the SQL of each of FIGURE_NAMES (`figures`), from `rows`, a table
    with the visits' rows' columns."""
    level, places, by_type, by_month = grouping
    quote = connection.ops.quote_name
    key = {"level": f"'{level}'"}
    for place in ("state", "office", "organization", "constituency"):
        field = places.get(place)
        key[place] = quote(VisitRow._meta.get_field(field).column) if field else "NULL"
    key |= {
        "client_type": "client_type" if by_type else "''",
        "year": "year",
        "month": "month" if by_month else "NULL",
    }
    grouped = ", ".join(e for e in key.values() if e not in ("NULL", "''", key["level"]))
    return _execute(
        f"INSERT INTO {table} ({_column_list(HomeHelpFigure, [*key, *FIGURE_NAMES])})"
        f" SELECT {', '.join(key.values())}, {', '.join(figures[name] for name in FIGURE_NAMES)}"
        f" FROM {rows} GROUP BY {grouped}"
    )


@contextmanager
def _indexed_after(model):
    """Model's table emptied, and on PostgreSQL its indexes built after the rows
    are written (faster than keeping them up to date): only for the tables
    that no page reads, since the index is missing meanwhile."""
    table = connection.ops.quote_name(model._meta.db_table)
    if connection.vendor != "postgresql":
        model.objects.all().delete()
        yield
        return
    _execute(f"TRUNCATE {table}")
    for index in model._meta.indexes:
        _execute(f"DROP INDEX {connection.ops.quote_name(index.name)}")
    yield
    for index in model._meta.indexes:
        columns = _column_list(model, index.fields)
        _execute(f"CREATE INDEX {connection.ops.quote_name(index.name)} ON {table} ({columns})")
    _analyzed(table)  # read at once by the figures' queries


def _figure_groupings():
    """(level, places, by client type, by month) of each grouping of
    HomeHelpFigure's rows: per year by client type and for any, and per month
    for any (the trends: no constituency has one)."""
    for level, places in HOME_HELP_LEVELS.items():
        yield level, places, True, False
        yield level, places, False, False
        if level != Level.CONSTITUENCY:
            yield level, places, False, True


def _services_given(given, sign=1):
    return (
        given.order_by()
        .values(
            **_columns(
                year=F("visit__year"), client_type=F("visit__client_type"), service=F("service")
            )
        )
        .annotate(c_visits=Count("pk") * Value(sign))
    )


def _home_help_updated():
    """The rows of the visits changed are replaced, and the figures corrected by
    the difference: before and after, what those visits counted (visits,
    minutes, services), and the clients and volunteers of those visits counted
    again from all their visits (a distinct count cannot be corrected by the
    visits alone)."""
    quote = connection.ops.quote_name
    changed = RawSQL(f"SELECT c_id FROM {VISITS_CHANGED}", [])
    _temporary(VISITS_NOW, _visit_rows(Visit.objects.filter(pk__in=changed)))
    stored = quote(VisitRow._meta.db_table)
    _drop(PEOPLE_CHANGED)
    _execute(
        f"CREATE TEMPORARY TABLE {PEOPLE_CHANGED} AS"
        f" SELECT 'c' AS kind, client AS id, year FROM {stored}"
        f" WHERE visit IN (SELECT c_id FROM {VISITS_CHANGED})"
        f" UNION SELECT 'v', volunteer, year FROM {stored}"
        f" WHERE visit IN (SELECT c_id FROM {VISITS_CHANGED})"
        f" UNION SELECT 'c', c_client, c_year FROM {VISITS_NOW}"
        f" UNION SELECT 'v', c_volunteer, c_year FROM {VISITS_NOW}"
    )
    _analyzed(PEOPLE_CHANGED)

    def people(kind):
        # Every figure is of a year: a client's presence in one can change only
        # in the years of their visits changed.
        return f"SELECT id, year FROM {PEOPLE_CHANGED} WHERE kind = '{kind}'"

    _parts_table(HomeHelpFigure, FIGURE_KEYS + FIGURE_NAMES, FIGURE_PARTS)
    _parts_table(ServiceYear, ["year", "client_type", "service", "visits"], SERVICE_PARTS)

    def parts(sign):
        # The rows that count in a part, copied once, found by their indexes
        # (an OR of the three would read the whole table for each grouping).
        _drop(ROWS_READ)
        _execute(
            f"CREATE TEMPORARY TABLE {ROWS_READ} AS SELECT rows.*,"
            f" CASE WHEN visit IN (SELECT c_id FROM {VISITS_CHANGED}) THEN 1 END AS counted,"
            f" CASE WHEN (client, year) IN ({people('c')}) THEN client END AS counted_client,"
            f" CASE WHEN (volunteer, year) IN ({people('v')}) THEN volunteer END"
            " AS counted_volunteer"
            f" FROM {stored} rows WHERE visit IN ("
            f"SELECT visit FROM {stored} WHERE visit IN (SELECT c_id FROM {VISITS_CHANGED})"
            f" UNION SELECT visit FROM {stored} WHERE (client, year) IN ({people('c')})"
            f" UNION SELECT visit FROM {stored} WHERE (volunteer, year) IN ({people('v')}))"
        )
        for grouping in _figure_groupings():
            _figures_counted(
                grouping,
                rows=ROWS_READ,
                visits=f"{sign} * COUNT(counted)",
                minutes=f"{sign} * COALESCE(SUM(CASE WHEN counted = 1 THEN minutes END), 0)",
                clients=f"{sign} * COUNT(DISTINCT counted_client)",
                volunteers=f"{sign} * COUNT(DISTINCT counted_volunteer)",
                table=FIGURE_PARTS,
            )
        given = ServiceRow.objects.filter(visit__in=changed)
        _insert(ServiceYear, _services_given(given, sign), table=SERVICE_PARTS)

    parts(-1)
    ServiceRow.objects.filter(visit__in=changed)._raw_delete(connection.alias)
    VisitRow.objects.filter(visit__in=changed)._raw_delete(connection.alias)
    fields = _names(_visit_rows())
    columns = ", ".join(quote(f"c_{name}") for name in fields)
    targets = ", ".join(quote(VisitRow._meta.get_field(name).column) for name in fields)
    written = _execute(f"INSERT INTO {stored} ({targets}) SELECT {columns} FROM {VISITS_NOW}")
    written += _insert(
        ServiceRow,
        _service_rows(
            Visit.services.through.objects.filter(
                visit__in=RawSQL(f"SELECT c_visit FROM {VISITS_NOW}", [])
            )
        ),
    )
    parts(1)
    written += _corrected(HomeHelpFigure, FIGURE_KEYS, FIGURE_NAMES, FIGURE_PARTS)
    written += _corrected(
        ServiceYear, ["year", "client_type", "service"], ["visits"], SERVICE_PARTS
    )
    _drop(VISITS_NOW, PEOPLE_CHANGED, FIGURE_PARTS, SERVICE_PARTS, ROWS_READ)
    return written


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
