"""Synthetic data at national scale, for the benchmark (`make bench`).

Rows are written in bulk: PostgreSQL's COPY when the database is PostgreSQL, large
multi-row INSERTs otherwise (SQLite, fine for scale S). Ids are given by the
generator, so that children can point at parents without reading them back; the
sequences are moved past them at the end.

Every row keeps the model rules: seniors are 60 or older on the day their case
opens, a visit is made by the case's volunteer (trained, of the case's office,
before the case opened) within the case's dates and not in the future, a MyKad
belongs to one person, a person takes part in a project at most once, a client
has one open case. Names are synthetic; MyKad numbers are valid in form but
fictional."""

import io
import random
import time
from bisect import bisect_right
from datetime import date, datetime, timedelta

from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max

from homehelp.models import Case, Organization, Service, Visit, Volunteer
from programs.models import Objective, Participation, Project
from reports.management.commands.load_demo import FAMILY, GIVEN, PROJECT_WORDS
from welfare.models import Constituency, Office, Person, Role, User

SCALES = {
    # projects, participations, cases, visits
    "S": (1_000, 10_000, 1_000, 20_000),
    "M": (10_000, 100_000, 10_000, 200_000),
    "L": (100_000, 1_000_000, 100_000, 2_000_000),
}
FIRST_DAY = date(2010, 1, 1)
BENCH_ORGANIZATION = "BENCH-PSK-0001"
# One person in five of a project's participants already took part in an earlier
# project of the same office.
RETURNING_SHARE = 0.2
CASES_PER_VOLUNTEER = 4


class Table:
    """Rows of one model, as tuples in the order of `fields`, with ids given here."""

    def __init__(self, model, fields):
        self.model = model
        # A new row of a Versioned model starts at version 1.
        self.constants = (1,) if any(f.name == "version" for f in model._meta.fields) else ()
        self.fields = fields + ["version"] * len(self.constants)
        self.columns = [model._meta.get_field(f).column for f in self.fields]
        self.next_id = (model._base_manager.aggregate(m=Max("pk"))["m"] or 0) + 1
        self.rows = []
        self.written = 0

    def add(self, *values):
        row_id = self.next_id
        self.next_id += 1
        self.rows.append((row_id, *values, *self.constants))
        return row_id


def copy_value(value):
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    return str(value)


class Writer:
    """Writes a table's pending rows and counts them for the progress line."""

    def __init__(self, stdout, total):
        self.stdout = stdout
        self.total = total
        self.done = 0
        self.started = time.monotonic()
        self.postgres = connection.vendor == "postgresql"

    def flush(self, table):
        if not table.rows:
            return
        columns = ["id", *table.columns]
        name = table.model._meta.db_table
        if self.postgres:
            text = "\n".join("\t".join(map(copy_value, row)) for row in table.rows) + "\n"
            with connection.cursor() as cursor:
                cursor.cursor.copy_from(io.StringIO(text), name, columns=columns, null="\\N")
        else:
            quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
            marks = ", ".join(["%s"] * len(columns))
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"INSERT INTO {connection.ops.quote_name(name)} ({quoted}) VALUES ({marks})",
                    table.rows,
                )
        self.done += len(table.rows)
        table.written += len(table.rows)
        table.rows = []
        self.progress()

    def progress(self):
        elapsed = time.monotonic() - self.started
        share = min(self.done / self.total, 1) if self.total else 1
        bar = "#" * int(share * 30)
        self.stdout.write(
            f"\r[{bar:<30}] {share:4.0%} {self.done:>10,} rows "
            f"{self.done / max(elapsed, 1e-9):>9,.0f} rows/s",
            ending="" if self.stdout.isatty() else "\n",
        )
        self.stdout.flush()


class Generator:
    BATCH = 50_000

    def __init__(self, writer, *, seed, today):
        self.random = random.Random(seed)
        self.writer = writer
        self.today = today
        self.now = datetime.now().astimezone().isoformat()
        self.offices = list(Office.objects.order_by("code"))
        if not self.offices:
            raise CommandError("No offices: run migrate first (it loads the reference data).")
        self.state_code = {o.pk: o.state.code[-2:] for o in Office.objects.select_related("state")}
        self.districts = {o.pk: [] for o in self.offices}
        for office_id, district_id in Office.districts.through.objects.values_list(
            "office_id", "district_id"
        ):
            self.districts[office_id].append(district_id)
        self.constituencies = {}
        for pk, state_id in Constituency.objects.values_list("pk", "state_id"):
            self.constituencies.setdefault(state_id, []).append(pk)
        self.office_state = {o.pk: o.state_id for o in self.offices}
        self.services = list(Service.objects.values_list("pk", flat=True))
        self.objectives = list(Objective.objects.values_list("pk", flat=True))
        self.used_mykads = set(
            Person.objects.exclude(mykad="").values_list("mykad", flat=True).iterator()
        )
        self.days = (today - FIRST_DAY).days
        self.officers = {}
        self.person = Table(
            Person,
            ["name", "mykad", "date_of_birth", "sex", "phone", "address", "postcode", "office"]
            + ["created_at", "updated_at"],
        )

    # --- helpers -------------------------------------------------------------

    def day_between(self, first, last):
        return first + timedelta(days=self.random.randint(0, max((last - first).days, 0)))

    def any_day(self):
        return FIRST_DAY + timedelta(days=self.random.randint(0, self.days))

    def flush_if_full(self, *tables):
        if any(len(t.rows) >= self.BATCH for t in tables):
            self.flush(*tables)

    def flush(self, *tables):
        """Parents before children: the order given."""
        for table in tables:
            self.writer.flush(table)

    def new_person(self, office_id, born_from, born_to):
        """A person with a MyKad never used before: birth date, place of birth
        (the office's state) and four digits whose last one gives the sex."""
        place = self.state_code[office_id]
        while True:
            born = self.day_between(born_from, born_to)
            mykad = f"{born:%y%m%d}{place}{self.random.randint(0, 9999):04d}"
            if mykad not in self.used_mykads:
                break
        self.used_mykads.add(mykad)
        r = self.random
        return self.person.add(
            f"{r.choice(GIVEN)} {r.choice(FAMILY)}",
            mykad,
            born,
            "M" if int(mykad[-1]) % 2 else "F",
            f"01{r.randint(2, 9)}-{r.randint(1000000, 9999999)}",
            "",
            f"{r.randint(10000, 98000)}",
            office_id,
            self.now,
            self.now,
        )

    # --- Community Organization Programme -----------------------------------

    def projects(self, count, participations, *, big_project_size=0, big_office=None):
        """`count` projects over every office and year, `participations` spread
        over them (at least one each); then, if asked, one more project of
        `big_project_size` participants at `big_office` (the export benchmark)."""
        r = self.random
        project = Table(
            Project,
            ["name", "project_type", "office", "district", "status", "start_date", "end_date"]
            + ["description", "local_resources", "budget", "created_at", "updated_at"],
        )
        participation = Table(
            Participation, ["project", "person", "target_group", "joined_on", "left_on"]
        )
        objectives = Table(Project.objectives.through, ["project", "objective"])
        types = Project.ProjectType.values
        groups = Participation.TargetGroup.values
        earlier_people = {}  # office -> people who took part in its projects
        sizes = self.split(participations, count)
        plans = [(self.random.choice(self.offices), size) for size in sizes]
        if big_project_size:
            plans.append((big_office, big_project_size))
        for office, size in plans:
            start = self.any_day()
            end = start + timedelta(days=r.randint(90, 1200))
            if r.random() < 0.03:
                status = Project.Status.CANCELLED
            elif end < self.today:
                status = Project.Status.COMPLETED
            elif (self.today - start).days < 60 and r.random() < 0.5:
                status = Project.Status.PLANNED
            else:
                status = Project.Status.ACTIVE
            districts = self.districts[office.pk]
            project_id = project.add(
                f"{r.choice(PROJECT_WORDS)} {office.name.removeprefix('PKMD ')} {project.next_id}",
                r.choice(types),
                office.pk,
                r.choice(districts) if districts else None,
                status,
                start,
                end if status == Project.Status.COMPLETED else None,
                "Projek komuniti setempat.",
                "",
                r.randint(5, 60) * 500,
                self.now,
                self.now,
            )
            for objective in r.sample(self.objectives, r.randint(1, 3)):
                objectives.add(project_id, objective)
            pool = earlier_people.setdefault(office.pk, [])
            members = set()
            last_join = min(start + timedelta(days=60), self.today)
            for _ in range(size):
                person_id = None
                if pool and r.random() < RETURNING_SHARE:
                    candidate = r.choice(pool)
                    if candidate not in members:
                        person_id = candidate
                if person_id is None:
                    person_id = self.new_person(office.pk, date(1950, 1, 1), date(2008, 12, 31))
                    pool.append(person_id)
                members.add(person_id)
                joined = self.day_between(start, last_join)
                left = None
                if r.random() < 0.1:
                    left = self.day_between(joined, min(joined + timedelta(days=365), self.today))
                participation.add(project_id, person_id, r.choice(groups), joined, left)
            self.flush_if_full(self.person, project, objectives, participation)
        self.flush(self.person, project, objectives, participation)
        return project.next_id - 1

    def split(self, total, parts):
        """`total` as `parts` whole numbers of at least 1, uneven like real projects."""
        if parts <= 0:
            return []
        total = max(total, parts)
        weights = [self.random.expovariate(1) for _ in range(parts)]
        scale = (total - parts) / sum(weights)
        sizes = [1 + int(w * scale) for w in weights]
        for index in range(total - sum(sizes)):
            sizes[index % parts] += 1
        return sizes

    # --- Home Help Services ---------------------------------------------------

    def office_officer(self, office_id):
        """The district officer who resolves the concerns of an office's visits."""
        if office_id not in self.officers:
            office = next(o for o in self.offices if o.pk == office_id)
            user, created = User.objects.get_or_create(
                username=f"generated.{office.code.lower()}",
                defaults={"office": office, "first_name": "Pegawai"},
            )
            if created:
                user.set_unusable_password()
                user.save()
                user.groups.add(Group.objects.get(name=Role.DISTRICT_OFFICER))
            self.officers[office_id] = user.pk
        return self.officers[office_id]

    def home_help(self, cases, visits, *, offices=None):
        """`cases` over `offices` (default: every office) and `visits` over
        those cases in proportion to how long each was open."""
        r = self.random
        offices = offices or self.offices
        organization, _ = Organization.objects.get_or_create(
            registration_number=BENCH_ORGANIZATION,
            defaults={"name": "Pertubuhan Sukarelawan Penanda Aras", "kind": "other"},
        )
        volunteer = Table(
            Volunteer, ["person", "organization", "office", "trained_on", "active", "max_cases"]
        )
        case = Table(
            Case,
            ["client", "client_type", "oku_card_number", "office", "constituency"]
            + ["living_arrangement", "volunteer", "status", "close_reason", "opened_on"]
            + ["closed_on", "visit_every_days", "consent_to_share", "consent_given_on", "notes"],
        )
        needs = Table(Case.needs.through, ["case", "service"])
        visit = Table(
            Visit,
            ["case", "volunteer", "visited_on", "minutes", "notes", "concern"]
            + ["concern_resolved_on", "concern_resolved_by"],
        )
        services = Table(Visit.services.through, ["visit", "service"])
        first_case = case.next_id

        # Volunteers: each office's first one was trained before the first case
        # can open, so every case finds a trained volunteer of its office.
        case_offices = [r.choice(offices) for _ in range(cases)]
        per_office = {}
        for office in case_offices:
            per_office[office.pk] = per_office.get(office.pk, 0) + 1
        trained = {}  # office -> sorted [(trained_on, volunteer id)]
        for office_id, office_cases in per_office.items():
            days = [date(2009, 6, 1)] + [
                self.day_between(date(2009, 6, 1), self.today)
                for _ in range(max(office_cases // CASES_PER_VOLUNTEER, 1) - 1)
            ]
            for day in sorted(days):
                person_id = self.new_person(office_id, date(1955, 1, 1), date(1990, 12, 31))
                volunteer_id = volunteer.add(person_id, organization.pk, office_id, day, True, 5)
                trained.setdefault(office_id, []).append((day, volunteer_id))
        self.flush(self.person, volunteer)

        plans = []  # (case id, volunteer id, office id, first day, last day)
        for office in case_offices:
            opened = self.any_day()
            oku = r.random() < 0.15
            if oku:
                client = self.new_person(office.pk, date(1950, 1, 1), date(2005, 12, 31))
            else:  # 60 or older on the day the case opens (born from 1927: see below)
                born_to = date(opened.year - 61, 12, 31)
                client = self.new_person(office.pk, date(1927, 1, 1), born_to)
            ends = opened + timedelta(days=r.randint(200, 5000))
            closed_on = close_reason = None
            if ends < self.today - timedelta(days=30):
                status, closed_on = Case.Status.CLOSED, ends
                close_reason = r.choice(Case.CloseReason.values)
            elif (self.today - opened).days < 30 and r.random() < 0.5:
                status = Case.Status.REFERRED
            elif r.random() < 0.03:
                status = Case.Status.SUSPENDED
            else:
                status = Case.Status.ACTIVE
            volunteer_id = None
            if status != Case.Status.REFERRED:
                eligible = trained[office.pk]
                index = bisect_right(eligible, (opened, float("inf")))
                volunteer_id = eligible[r.randrange(index)][1]
            case_id = case.add(
                client,
                Case.ClientType.OKU if oku else Case.ClientType.SENIOR,
                f"OKU{case.next_id:08d}" if oku else "",
                office.pk,
                r.choice(self.constituencies[office.state_id]),
                r.choice(Case.LivingArrangement.values),
                volunteer_id,
                status,
                close_reason or "",
                opened,
                closed_on,
                r.choice([7, 7, 14, 30]),
                True,
                opened,
                "",
            )
            for service in r.sample(self.services, r.randint(1, 3)):
                needs.add(case_id, service)
            if volunteer_id:
                plans.append((case_id, volunteer_id, office.pk, opened, closed_on or self.today))
            self.flush_if_full(self.person, case, needs)
        self.flush(self.person, case, needs)

        # Visits in proportion to each case's open days.
        total_days = sum((last - first).days + 1 for *_, first, last in plans) or 1
        per_day = visits / total_days
        carry = 0.0
        for case_id, volunteer_id, office_id, first, last in plans:
            carry += ((last - first).days + 1) * per_day
            count, carry = int(carry), carry - int(carry)
            for _ in range(count):
                concern = r.random() < 0.02
                day = self.day_between(first, last)
                resolved = resolved_by = None
                if concern and r.random() < 0.8:
                    resolved = min(day + timedelta(days=r.randint(1, 14)), self.today)
                    resolved_by = self.office_officer(office_id)
                visit_id = visit.add(
                    case_id,
                    volunteer_id,
                    day,
                    r.choice([30, 45, 60, 90, 120, 180]),
                    "",
                    concern,
                    resolved,
                    resolved_by,
                )
                for service in r.sample(self.services, r.randint(1, 3)):
                    services.add(visit_id, service)
            self.flush_if_full(visit, services)
        self.flush(visit, services)
        # Each case's latest visit, in one update (Case.last_visited_on).
        Case.objects.filter(pk__gte=first_case).refresh_last_visited_on()


class Command(BaseCommand):
    help = (
        "Generate synthetic projects, participations, cases and visits in bulk over every "
        "office and the years 2010 to today: --scale S, M or L, or explicit counts."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=SCALES, help="S, M (10×S) or L (100×S).")
        parser.add_argument("--projects", type=int)
        parser.add_argument("--participations", type=int)
        parser.add_argument("--cases", type=int)
        parser.add_argument("--visits", type=int)
        parser.add_argument(
            "--big-project",
            type=int,
            default=0,
            metavar="N",
            help="Also one project with N participants at --office (the export benchmark).",
        )
        parser.add_argument(
            "--office-cases",
            type=int,
            default=0,
            metavar="N",
            help="Also N cases, with visits at the same rate, at --office (the worklist).",
        )
        parser.add_argument("--office", default="PKMD-1005", help="Office code; default Petaling.")
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, **options):
        counts = list(SCALES[options["scale"]]) if options["scale"] else [0, 0, 0, 0]
        for index, name in enumerate(["projects", "participations", "cases", "visits"]):
            if options[name] is not None:
                counts[index] = options[name]
        projects, participations, cases, visits = counts
        if not any(counts) and not (options["big_project"] or options["office_cases"]):
            raise CommandError("Give --scale or explicit counts.")
        try:
            office = Office.objects.get(code=options["office"])
        except Office.DoesNotExist:
            raise CommandError(f"No office {options['office']}.") from None
        extra_visits = visits * options["office_cases"] // cases if cases else 0
        # Rows: people are about one per participation, case and volunteer; m2m rows
        # (objectives, needs, services given) about two per parent.
        estimate = (
            3 * projects
            + 2 * (participations + options["big_project"])
            + 4 * (cases + options["office_cases"])
            + 3 * (visits + extra_visits)
        )
        writer = Writer(self.stdout, estimate)
        generator = Generator(writer, seed=options["seed"], today=date.today())
        with transaction.atomic():
            if projects or options["big_project"]:
                generator.projects(
                    projects,
                    participations,
                    big_project_size=options["big_project"],
                    big_office=office,
                )
            if cases:
                generator.home_help(cases, visits)
            if options["office_cases"]:
                generator.home_help(options["office_cases"], extra_visits, offices=[office])
            self.reset_sequences()
        writer.total = writer.done
        writer.progress()
        elapsed = time.monotonic() - writer.started
        self.stdout.write("")
        if connection.vendor == "postgresql":
            # Fresh statistics and visibility maps, as autovacuum would leave them;
            # VACUUM cannot run inside a transaction (tests), ANALYZE can.
            command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
            with connection.cursor() as cursor:
                for model in self.models():
                    cursor.execute(f"{command} {connection.ops.quote_name(model._meta.db_table)}")
        self.stdout.write(
            f"Generated {writer.done:,} rows in {elapsed:.1f} s: "
            f"{writer.done / max(elapsed, 1e-9):,.0f} rows/s."
        )
        call_command("refresh_reports", "--full", stdout=self.stdout)

    def models(self):
        return [
            Person,
            Project,
            Project.objectives.through,
            Participation,
            Volunteer,
            Case,
            Case.needs.through,
            Visit,
            Visit.services.through,
        ]

    def reset_sequences(self):
        statements = connection.ops.sequence_reset_sql(no_style(), self.models())
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
