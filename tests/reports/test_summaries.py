"""Every cell of every report read from the summaries (reports.figures) equals the
same report computed from the rows (reports.queries), on random data built to
hit the hard cases: as-of dates on and either side of each start and join day
and of month ends, cancelled projects, people in two states and in several
projects of one office, projects without a district, clients with cases in two
states, volunteers of two organisations, and records entered after a refresh
with dates in the past."""

import random
from collections import Counter
from datetime import date, timedelta
from io import StringIO
from itertools import product

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from homehelp.models import Case, Service, Visit, Volunteer
from programs.models import Participation, Project
from reports import figures, queries, services
from reports.models import CaseToday, RecordChanged, SummaryRefresh, VisitRow
from tests.factories import (
    CaseFactory,
    OrganizationFactory,
    ParticipationFactory,
    PersonFactory,
    ProjectFactory,
    VisitFactory,
    VolunteerFactory,
)
from welfare.models import Constituency, District, Office, Person, State

OFFICES = ["PKMD-1005", "PKMD-1001", "PKMD-0302", "PKMD-0101", "PKMD-0305"]
DAYS = [date(2012, 9, 30), date(2012, 10, 1), date(2012, 10, 15), date(2012, 10, 31)]
DAYS += [date(2012, 11, 1), date(2012, 11, 2), date(2013, 1, 1)]
PROGRAMME = ["projects", "participants", "persons"]
HOME_HELP = ["clients_served", "volunteers", "visits", "minutes", "hours"]
TYPES = ["", *Project.ProjectType.values]
STATUSES = ["", *Project.Status.values]
GROUPS = ["", *Participation.TargetGroup.values]
CLIENT_TYPES = ["", *Case.ClientType.values]


def cells(rows, total, names):
    """What a report shows: each row's key and figures, then the total."""
    return [(row.pk, *(getattr(row, name) for name in names)) for row in rows], {
        name: total[name] for name in names
    }


def add_programme(rng, *, projects, people):
    offices = list(Office.objects.filter(code__in=OFFICES))
    for _ in range(projects):
        office = rng.choice(offices)
        districts = list(office.districts.all())
        start = rng.choice(DAYS) + timedelta(days=rng.randint(-2, 2))
        project = ProjectFactory(
            office=office,
            district=rng.choice([None, *districts]),
            project_type=rng.choice(Project.ProjectType.values),
            status=rng.choice(Project.Status.values),
            start_date=start,
        )
        for person in rng.sample(people, rng.randint(0, 6)):
            ParticipationFactory(
                project=project,
                person=person,
                target_group=rng.choice(Participation.TargetGroup.values),
                # Some joined before the project started: they count from its start.
                joined_on=start + timedelta(days=rng.randint(-3, 40)),
            )


def add_home_help(rng, *, cases):
    offices = list(Office.objects.filter(code__in=OFFICES))
    organizations = OrganizationFactory.create_batch(2)
    volunteers = {
        office.pk: [
            VolunteerFactory(office=office, organization=rng.choice(organizations))
            for _ in range(3)
        ]
        for office in offices
    }
    days = [date(2023, 12, 31), date(2024, 1, 1), date(2024, 1, 31), date(2024, 2, 1)]
    days += [date(2024, 12, 31), date(2025, 1, 1), date(2025, 6, 30)]
    for index in range(cases):
        office = rng.choice(offices)
        client = PersonFactory(date_of_birth=date(1940, 1, 1))
        # A client whose first case, in another state, closed before this one.
        if index % 4 == 0:
            elsewhere = next(o for o in offices if o.state_id != office.state_id)
            earlier = CaseFactory(
                client=client,
                office=elsewhere,
                constituency=rng.choice(list(Constituency.objects.filter(state=elsewhere.state))),
                status="closed",
                close_reason="moved",
                opened_on=date(2023, 1, 1),
                closed_on=date(2024, 1, 31),
            )
            for day in rng.sample(days[:3], 2):
                VisitFactory(
                    case=earlier, volunteer=rng.choice(volunteers[elsewhere.pk]), visited_on=day
                )
        oku = rng.random() < 0.3
        case = CaseFactory(
            client=client,
            office=office,
            client_type="oku" if oku else "senior",
            oku_card_number="OKU1" if oku else "",
            constituency=rng.choice(list(Constituency.objects.filter(state=office.state))),
            status=rng.choice(["active", "active", "suspended", "referred"]),
            opened_on=date(2023, 6, 1),
            visit_every_days=rng.choice([7, 30, 366]),
        )
        for _ in range(rng.randint(0, 5)):
            visit = VisitFactory(
                case=case,
                volunteer=rng.choice(volunteers[office.pk]),
                visited_on=rng.choice(days[3:]),
                minutes=rng.choice([20, 45, 60, 95]),
                concern=rng.random() < 0.2,
            )
            visit.services.set(rng.sample(list(Service.objects.all()), rng.randint(0, 3)))


@pytest.fixture
def random_rows(db):
    rng = random.Random(16)
    # An office with two districts, so that its projects split three ways.
    petaling = Office.objects.get(code="PKMD-1005")
    petaling.districts.add(District.objects.filter(state=petaling.state).exclude(
        offices=petaling
    ).first())  # fmt: skip
    people = PersonFactory.create_batch(40)
    add_programme(rng, projects=60, people=people)
    add_home_help(rng, cases=24)
    return rng


def boundary_days():
    """Each start and join day, the day before and after, and the ends of months."""
    days = set(DAYS)
    for day in Project.objects.values_list("start_date", flat=True):
        days |= {day - timedelta(days=1), day, day + timedelta(days=1)}
    for day in Participation.objects.values_list("joined_on", flat=True):
        days |= {day - timedelta(days=1), day}
    return sorted(days)


def assert_programme_equal(rng):
    days = boundary_days()
    combinations = list(product(TYPES, STATUSES, GROUPS))
    for as_of in days:
        # Every combination of the filters around the end of October, a sample
        # of them on the other days.
        chosen = combinations if as_of in DAYS[1:5] else rng.sample(combinations, 3)
        for project_type, status, target_group in chosen:
            filters = {"project_type": project_type, "status": status, "target_group": target_group}
            live = queries.projects_by_state(as_of=as_of, **filters)
            read = figures.projects_by_state(as_of=as_of, **filters)
            assert cells(*read, PROGRAMME) == cells(*live, PROGRAMME), (as_of, filters)
    every = list(Office.objects.all())
    selangor = list(Office.objects.filter(state__code="MY-10"))
    for as_of in rng.sample(days, 12) + DAYS:
        for project_type in rng.sample(TYPES, 2):
            for offices in (every, selangor, selangor[:1]):
                live = queries.projects_by_office(
                    as_of=as_of, offices=offices, project_type=project_type
                )
                read = figures.projects_by_office(
                    as_of=as_of, offices=offices, project_type=project_type
                )
                assert cells(*read, PROGRAMME) == cells(*live, PROGRAMME), (as_of, project_type)
            for office in Office.objects.filter(code__in=OFFICES):
                live = queries.projects_by_district(
                    as_of=as_of, office=office, project_type=project_type
                )
                read = figures.projects_by_district(
                    as_of=as_of, office=office, project_type=project_type
                )
                assert cells(*read, PROGRAMME) == cells(*live, PROGRAMME), (as_of, office)


def assert_home_help_equal():
    every = list(Office.objects.all())
    kelantan = list(Office.objects.filter(state__code="MY-03"))
    for year, client_type in product([2023, 2024, 2025, 2026], CLIENT_TYPES):
        filters = {"year": year, "client_type": client_type}
        for report in ("home_help_by_state", "home_help_by_organisation"):
            live = getattr(queries, report)(**filters)
            read = getattr(figures, report)(**filters)
            assert cells(*read, HOME_HELP) == cells(*live, HOME_HELP), (report, filters)
        for offices in (every, kelantan, kelantan[:1]):
            live = queries.home_help_by_office(offices=offices, **filters)
            read = figures.home_help_by_office(offices=offices, **filters)
            assert cells(*read, HOME_HELP) == cells(*live, HOME_HELP), filters
        for state in (None, State.objects.get(code="MY-10")):
            names = ["active_cases", *HOME_HELP[:-1]]
            live = queries.coverage_by_constituency(state=state, **filters)
            read = figures.coverage_by_constituency(state=state, **filters)
            assert cells(*read, names) == cells(*live, names), (state, filters)
        live = [(s.pk, s.visits_given) for s in queries.services_given(**filters)]
        assert [(s.pk, s.visits_given) for s in figures.services_given(**filters)] == live
    for client_type in CLIENT_TYPES:
        assert figures.coverage(client_type=client_type) == queries.coverage(
            client_type=client_type
        )


def assert_monthly_equal():
    office = Office.objects.get(code="PKMD-0302")
    organization = Office.objects.get(code="PKMD-1005").volunteers.first().organization
    places = [{}, {"state": office.state}, {"office": office}, {"organization": organization}]
    for place in places:
        for first, last in [
            (date(2012, 8, 1), date(2013, 2, 1)),
            (date(2023, 11, 1), date(2025, 7, 1)),
        ]:
            live = queries.monthly(first=first, last=last, **place)
            assert figures.monthly(first=first, last=last, **place) == live, place


@pytest.mark.slow
def test_every_cell_read_from_the_summaries_equals_the_rows(random_rows, refresh):
    refresh()
    assert_programme_equal(random_rows)
    assert_home_help_equal()
    assert_monthly_equal()
    # The data really have what the test is about.
    assert Project.objects.filter(status="cancelled").exists()
    assert Project.objects.filter(district=None).exists()
    in_two_states = (
        Participation.objects.values("person")
        .annotate(states=Count("project__office__state", distinct=True))
        .filter(states__gt=1)
    )
    assert in_two_states.exists()


def test_each_report_without_filters_equals_the_rows(random_rows, refresh):
    """The quick part of the test above, which `make test-fast` leaves out:
    every report with its defaults, on the days around the end of October and in
    the years of the visits."""
    refresh()
    every = list(Office.objects.all())
    petaling = Office.objects.get(code="PKMD-1005")
    for as_of in DAYS:
        for report, place in [("projects_by_state", {}), ("projects_by_office", {"offices": every}),
                              ("projects_by_district", {"office": petaling})]:  # fmt: skip
            live = getattr(queries, report)(as_of=as_of, **place)
            assert cells(*getattr(figures, report)(as_of=as_of, **place), PROGRAMME) == cells(
                *live, PROGRAMME
            ), (report, as_of)
    for year in (2024, 2025):
        for report, place in [("home_help_by_state", {}), ("home_help_by_organisation", {}),
                              ("home_help_by_office", {"offices": every})]:  # fmt: skip
            live = getattr(queries, report)(year=year, **place)
            assert cells(*getattr(figures, report)(year=year, **place), HOME_HELP) == cells(
                *live, HOME_HELP
            ), (report, year)
        names = ["active_cases", *HOME_HELP[:-1]]
        live = queries.coverage_by_constituency(year=year)
        assert cells(*figures.coverage_by_constituency(year=year), names) == cells(*live, names)
        live = [(s.pk, s.visits_given) for s in queries.services_given(year=year)]
        assert [(s.pk, s.visits_given) for s in figures.services_given(year=year)] == live
    assert figures.coverage() == queries.coverage()
    first, last = date(2012, 8, 1), date(2025, 7, 1)
    assert figures.monthly(first=first, last=last) == queries.monthly(first=first, last=last)


@pytest.mark.slow
def test_records_entered_late_count_after_the_next_refresh(random_rows, refresh):
    refresh()
    before = SummaryRefresh.objects.get().taken_at
    as_of = date(2012, 10, 31)
    counted = figures.projects_by_state(as_of=as_of)[1]
    # Entered today, dated years ago: a project, people joining it and an old
    # project, and a visit of last year.
    office = Office.objects.get(code="PKMD-0302")
    project = ProjectFactory(office=office, start_date=date(2012, 10, 31), status="completed")
    for person in PersonFactory.create_batch(3):
        ParticipationFactory(project=project, person=person, joined_on=date(2012, 10, 1))
    ParticipationFactory(
        project=Project.objects.exclude(status="cancelled").filter(start_date__lte=as_of).first(),
        person=PersonFactory(),
        joined_on=date(2012, 10, 31),
    )
    Project.objects.filter(pk=project.pk).update(status="active")
    VisitFactory(case=Case.objects.filter(status="active").first(), visited_on=date(2024, 1, 1))
    # Until the next refresh, the reports keep the figures of the last one.
    assert figures.projects_by_state(as_of=as_of)[1] == counted
    assert queries.projects_by_state(as_of=as_of)[1] != counted
    refresh()
    assert SummaryRefresh.objects.get().taken_at > before
    assert_programme_equal(random_rows)
    assert_home_help_equal()
    assert_monthly_equal()


def test_a_refresh_with_no_rows_gives_zeros(refresh):
    refresh()
    states, total = figures.projects_by_state(as_of=date.today())
    assert total == {"projects": 0, "participants": 0, "persons": 0}
    assert cells(states, total, PROGRAMME) == cells(
        *queries.projects_by_state(as_of=date.today()), PROGRAMME
    )
    assert figures.home_help_by_state(year=2025)[1]["clients_served"] == 0


def summary_rows():
    """Every row of every summary table, without its id: what a refresh left."""
    tables = {}
    for model in services.SUMMARIES:
        names = [f.attname for f in model._meta.concrete_fields if not f.primary_key]
        if model is VisitRow:
            names.append("visit")
        tables[model._meta.db_table] = Counter(model.objects.values_list(*names))
    return tables


def change_randomly(rng, people):
    """A day's changes, as many kinds as a day may bring, by every path that writes."""
    offices = list(Office.objects.filter(code__in=OFFICES))
    projects = list(Project.objects.order_by("pk"))
    # New projects and participations, some in months long past (entered late),
    # people joining projects in a second state.
    add_programme(rng, projects=8, people=people)
    for project in rng.sample(projects, 6):
        taken = set(project.participations.values_list("person", flat=True))
        for person in rng.sample([p for p in people if p.pk not in taken], 2):
            ParticipationFactory(
                project=project,
                person=person,
                target_group=rng.choice(Participation.TargetGroup.values),
                joined_on=project.start_date + timedelta(days=rng.randint(-5, 60)),
            )
    # Edits through save(): another office (and state), type, status, start day.
    for project in rng.sample(projects, 10):
        project.office = rng.choice(offices)
        project.district = rng.choice([None, *project.office.districts.all()])
        project.project_type = rng.choice(Project.ProjectType.values)
        project.status = rng.choice(Project.Status.values)
        project.start_date += timedelta(days=rng.randint(-40, 40))
        project.save()
    # Cancelled and deleted projects (their participations go with them).
    for project in rng.sample(projects, 3):
        project.status = Project.Status.CANCELLED
        project.save()
    for project in rng.sample(projects, 2):
        Project.objects.filter(pk=project.pk).delete()
    # Participations: joined another day, another group, another person, deleted;
    # some with update(), which writes no history.
    participations = list(Participation.objects.order_by("pk"))
    for participation in rng.sample(participations, 10):
        participation.joined_on += timedelta(days=rng.randint(-45, 45))
        participation.target_group = rng.choice(Participation.TargetGroup.values)
        participation.save()
    moved = rng.choice(participations)
    Participation.objects.filter(pk=moved.pk).update(project=rng.choice(projects[:20]))
    Participation.objects.filter(pk__in=[p.pk for p in rng.sample(participations, 8)]).delete()
    Project.objects.filter(pk__in=[p.pk for p in rng.sample(projects, 4)]).update(
        start_date=date(2012, 10, 31), status=Project.Status.ACTIVE
    )
    # Home help: visits added (some dated last year), edited, moved to another
    # case, deleted; services changed; cases closed, moved, of another type; a
    # volunteer in another organisation.
    cases = list(Case.objects.filter(status="active").select_related("office"))
    for case in rng.sample(cases, 5):
        volunteer = case.office.volunteers.first()
        for day in (date(2024, 1, 1), date(2025, 6, 30), date(2024, 12, 31)):
            visit = VisitFactory(case=case, volunteer=volunteer, visited_on=day, minutes=30)
            visit.services.set(rng.sample(list(Service.objects.all()), 2))
    visits = list(Visit.objects.order_by("pk"))
    for visit in rng.sample(visits, 8):
        visit.minutes = rng.choice([15, 120])
        visit.visited_on = rng.choice([date(2024, 1, 31), date(2025, 1, 1)])
        visit.save()
    for visit in rng.sample(visits, 4):
        other = rng.choice([c for c in cases if c.office_id == visit.case.office_id])
        Visit.objects.filter(pk=visit.pk).update(case=other)
    for visit in rng.sample(visits, 4):
        visit.services.clear()
    for visit in rng.sample(visits, 5):
        visit.delete()
    for case in rng.sample(cases, 3):
        case.close(on=date(2025, 6, 30), reason="moved")
    case = rng.choice(cases)
    Case.objects.filter(pk=case.pk).update(
        client_type="oku", oku_card_number="OKU2",
        constituency=Constituency.objects.filter(state=case.office.state).last(),
    )  # fmt: skip
    volunteer = Volunteer.objects.filter(visits__isnull=False).first()
    volunteer.organization = OrganizationFactory()
    volunteer.save()
    # An office moved to another state (the admin), with its projects; its
    # cases' constituencies follow (a constituency is in its office's state).
    moved = Office.objects.get(code="PKMD-0305")
    moved.state = State.objects.get(code="MY-10")
    moved.save()
    Case.objects.filter(office=moved).update(
        constituency=Constituency.objects.filter(state=moved.state).first()
    )


@pytest.mark.slow
def test_a_refresh_of_what_changed_equals_the_rows_and_a_full_rebuild(random_rows, refresh):
    refresh()
    assert SummaryRefresh.objects.get().full
    people = list(Person.objects.filter(participations__isnull=False).distinct())
    change_randomly(random_rows, people + PersonFactory.create_batch(5))
    # The database logged every change, whatever wrote it; the refresh reads
    # and empties the log.
    assert RecordChanged.objects.filter(kind="project").exists()
    refresh()
    assert not SummaryRefresh.objects.get().full
    assert not RecordChanged.objects.exists()
    assert_programme_equal(random_rows)
    assert_home_help_equal()
    assert_monthly_equal()
    updated = summary_rows()
    services.summaries_refresh(full=True)
    assert SummaryRefresh.objects.get().full
    assert summary_rows() == updated
    # Nothing changed since: a refresh changes nothing, and writes only the
    # cases of today.
    refresh()
    assert summary_rows() == updated
    assert SummaryRefresh.objects.get().rows == CaseToday.objects.count()


def test_the_first_refresh_after_a_migration_of_the_summaries_is_whole(refresh):
    refresh()
    refresh()
    assert not SummaryRefresh.objects.get().full
    SummaryRefresh.objects.update(migration="0003_editions_and_confirmations")
    refresh()
    assert SummaryRefresh.objects.get().full
    call_command("refresh_reports", "--full", stdout=StringIO())
    assert SummaryRefresh.objects.get().full


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite's triggers fire per row")
def test_a_statement_logs_each_project_it_touches_once(db):
    """PostgreSQL's triggers fire once per statement: twenty participations
    added to one project by one INSERT log the project once."""
    project = ProjectFactory()
    people = PersonFactory.create_batch(20)
    RecordChanged.objects.all().delete()
    Participation.objects.bulk_create(
        Participation(project=project, person=person, joined_on=project.start_date)
        for person in people
    )
    assert list(RecordChanged.objects.values_list("kind", "source")) == [("project", project.pk)]
    Participation.objects.filter(project=project).delete()
    assert RecordChanged.objects.filter(source=project.pk).count() == 2


@pytest.mark.slow  # commits, vacuums, then a flush: seconds
@pytest.mark.skipif(connection.vendor != "postgresql", reason="VACUUM is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_a_full_refresh_leaves_the_months_readable_from_their_index():
    """Outside a transaction (as the command runs), every refresh vacuums the
    tables the pages read: after a full one, every page of ProgrammeMonth and
    ProgrammeEntry is marked all-visible, so that the reports read them by
    index-only scans; and the log it emptied."""
    for _ in range(3):
        ParticipationFactory()

    def pages(table):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT relpages, relallvisible FROM pg_class WHERE relname = %s", [table]
            )
            return cursor.fetchone()

    call_command("refresh_reports", "--full", stdout=StringIO())
    for table in ("reports_programmemonth", "reports_programmeentry"):
        written, visible = pages(table)
        assert written > 0
        assert visible == written, table
    ParticipationFactory()
    assert RecordChanged.objects.exists()
    with CaptureQueriesContext(connection) as refresh:
        call_command("refresh_reports", stdout=StringIO())
    assert not RecordChanged.objects.exists()
    vacuumed = [q["sql"] for q in refresh.captured_queries if q["sql"].startswith("VACUUM")]
    assert vacuumed == [
        f'VACUUM "{table}"'
        for table in [
            "reports_recordchanged", "reports_programmemonth", "reports_programmeentry",
            "reports_homehelpfigure", "reports_casetoday",
        ]
    ]  # fmt: skip
    with connection.cursor() as cursor:  # vacuumed: its emptied pages are cut off
        cursor.execute("SELECT pg_relation_size('reports_recordchanged')")
        assert cursor.fetchone() == (0,)
