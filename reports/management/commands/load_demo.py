"""Demo users and a deterministic demo data set that rebuilds JKM's published figures:
the Community Organization Programme's table "until October 2012" (48 projects,
285 participants) and Home Help Services in 2011 (915 seniors, 207 volunteers),
with plausible growth in the years after. Names are synthetic and MyKad numbers
valid in form but fictional."""

import random
from datetime import date, timedelta

from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from homehelp.models import Case, Organization, Service, Visit, Volunteer
from programs.models import Objective, Participation, Project
from reports import editions
from reports.models import Edition, MonthConfirmation, Table
from welfare.models import Constituency, Office, Person, Role, State, User

DEMO_PASSWORD = "demo-welfare-2026"
DEMO_MARK = "DEMO-PPM-0001"

# The seed page's table, until October 2012 (its first row is Perlis).
PUBLISHED_PROJECTS = {
    "MY-09": (1, 6),
    "MY-02": (2, 7),
    "MY-08": (3, 15),
    "MY-10": (1, 5),
    "MY-14": (10, 46),
    "MY-05": (8, 36),
    "MY-01": (4, 36),
    "MY-04": (4, 20),
    "MY-06": (1, 7),
    "MY-11": (3, 14),
    "MY-03": (11, 93),
}
PUBLISHED_AS_OF = date(2012, 10, 31)
SENIORS_2011, VOLUNTEERS_2011 = 915, 207

USERS = [
    # username, first name, role, office code, state code
    ("admin", "Aminah", None, None, None),
    ("hq", "Hafiz", Role.HQ, None, None),
    ("state.selangor", "Siti", Role.STATE_OFFICER, None, "MY-10"),
    ("officer.petaling", "Rahim", Role.DISTRICT_OFFICER, "PKMD-1005", None),
    ("officer.kotabharu", "Nurul", Role.DISTRICT_OFFICER, "PKMD-0302", None),
    # The phone page of a Petaling volunteer (linked to one in link_demo_volunteer()).
    ("volunteer.petaling", "", Role.VOLUNTEER, None, None),
]
DEMO_OFFICES = ["PKMD-1005", "PKMD-0302"]

GIVEN = ["Ahmad", "Siti", "Muhammad", "Nur", "Aisyah", "Hassan", "Fatimah", "Ismail", "Zainab",
         "Lim", "Tan", "Wong", "Mei Ling", "Kumar", "Lakshmi", "Raju", "Devi", "Azman", "Rosnah",
         "Halim", "Salmah", "Osman", "Aminah", "Yusof", "Chong", "Priya", "Suresh", "Noraini"]  # fmt: skip
FAMILY = ["Abdullah", "Ibrahim", "Hamid", "Rahman", "Ahmad", "Yusof", "Ali", "Omar", "Wei Ming",
          "Ah Kow", "Chee Keong", "Muthu", "Ramasamy", "Krishnan", "Bakar", "Salleh", "Idris"]  # fmt: skip
PROJECT_WORDS = ["Kebun komuniti", "Kelas jahitan", "Bengkel kraftangan", "Gotong-royong",
                 "Kelas mengaji", "Perniagaan kuih", "Ternakan ikan", "Kelas komputer",
                 "Kedai koperasi", "Tuisyen rakan", "Kelas masakan", "Ceramah keluarga"]  # fmt: skip


class Demo:
    def __init__(self, today):
        self.random = random.Random(2012)
        self.today = today
        self.serial = 0
        self.states = {s.code: s for s in State.objects.all()}
        self.state_codes = {s.pk: s.code for s in self.states.values()}
        self.offices = {}
        for office in Office.objects.order_by("code"):
            self.offices.setdefault(office.state_id, []).append(office)
        for code in DEMO_OFFICES:  # the demo officers' offices come first
            office = Office.objects.get(code=code)
            self.offices[office.state_id].sort(key=lambda o: o.code != code)
        self.constituencies = {}
        for constituency in Constituency.objects.all():
            self.constituencies.setdefault(constituency.state_id, []).append(constituency)
        self.services = list(Service.objects.all())
        self.objectives = list(Objective.objects.all())

    def day_between(self, first, last):
        return first + timedelta(days=self.random.randint(0, max((last - first).days, 0)))

    def person(self, office, born_from, born_to):
        self.serial += 1
        born = self.day_between(born_from, born_to)
        place = self.state_codes[office.state_id][-2:]  # place-of-birth codes 01-16 follow MY-xx
        mykad = f"{born:%y%m%d}{place}{self.serial:04d}"
        name = f"{self.random.choice(GIVEN)} {self.random.choice(FAMILY)}"
        return Person(
            name=name,
            mykad=mykad,
            date_of_birth=born,
            sex="M" if self.serial % 2 else "F",
            office=office,
            phone=f"01{self.random.randint(2, 9)}-{self.random.randint(1000000, 9999999)}",
            postcode=f"{self.random.randint(10000, 98000)}",
        )

    def split(self, total, parts):
        """`total` as `parts` positive whole numbers."""
        cuts = sorted(self.random.sample(range(1, total), parts - 1)) if parts > 1 else []
        return [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]

    # --- Community Organization Programme ----------------------------------

    def projects(self):
        plans = []  # (office, start, participants, joined until, status or None)
        for state_code, (projects, participants) in PUBLISHED_PROJECTS.items():
            offices = self.offices[self.states[state_code].pk][:3]
            for index, size in enumerate(self.split(participants, projects)):
                start = self.day_between(date(2010, 1, 1), date(2012, 8, 31))
                plans.append((offices[index % len(offices)], start, size, PUBLISHED_AS_OF, None))
        all_offices = [o for offices in self.offices.values() for o in offices]
        for year in range(2013, self.today.year + 1):
            for number in range(6 + 2 * (year - 2013)):
                office = (
                    self.offices[self.states["MY-10"].pk][0]
                    if number < 2
                    else self.random.choice(all_offices)
                )
                start = self.day_between(date(year, 1, 1), min(date(year, 12, 31), self.today))
                plans.append((office, start, self.random.randint(3, 12), self.today, None))
        # Two that never count: cancelled before the published date.
        for state_code in ["MY-10", "MY-03"]:
            office = self.offices[self.states[state_code].pk][0]
            plans.append((office, date(2012, 3, 1), 4, PUBLISHED_AS_OF, Project.Status.CANCELLED))

        projects, people, participations = [], [], []
        for office, start, size, joined_until, status in plans:
            end = start + timedelta(days=self.random.randint(300, 900))
            if status is None:
                status = Project.Status.COMPLETED if end < self.today else Project.Status.ACTIVE
            project = Project(
                name=f"{self.random.choice(PROJECT_WORDS)} {office.name.removeprefix('PKMD ')}",
                project_type=self.random.choice(Project.ProjectType.values),
                office=office,
                status=status,
                start_date=start,
                end_date=end if status == Project.Status.COMPLETED else None,
                budget=self.random.randint(5, 60) * 500,
                description="Projek komuniti setempat.",
            )
            projects.append(project)
            for _ in range(size):
                person = self.person(office, date(1950, 1, 1), date(2004, 12, 31))
                people.append(person)
                joined = self.day_between(start, min(joined_until, start + timedelta(days=60)))
                participations.append((project, person, joined))
        Project.objects.bulk_create(projects)
        Person.objects.bulk_create(people)
        Project.objectives.through.objects.bulk_create(
            Project.objectives.through(project=p, objective=o)
            for p in projects
            for o in self.random.sample(self.objectives, 2)
        )
        Participation.objects.bulk_create(
            Participation(
                project=project,
                person=person,
                joined_on=joined,
                target_group=self.random.choice(Participation.TargetGroup.values),
            )
            for project, person, joined in participations
        )

    # --- Home Help Services -------------------------------------------------

    def home_help(self):
        usiamas = Organization.objects.create(
            name="Persatuan Kebajikan USIAMAS Malaysia",
            registration_number=DEMO_MARK,
            kind=Organization.Kind.USIAMAS,
            contact_person="Pn. Rohani",
        )
        mpksm = Organization.objects.create(
            name="Majlis Pusat Kebajikan Semenanjung Malaysia",
            registration_number="DEMO-PPM-0002",
            kind=Organization.Kind.MPKSM,
            contact_person="En. Kamal",
        )
        # 2011: 207 volunteers in 41 offices (five states' worth of offices first),
        # each with four or five seniors: 915 in all.
        offices = [o for offices in self.offices.values() for o in offices[:3]][:41]
        volunteers, people = [], []
        for index in range(VOLUNTEERS_2011):
            office = offices[index % len(offices)]
            person = self.person(office, date(1960, 1, 1), date(1990, 12, 31))
            people.append(person)
            volunteers.append(
                Volunteer(
                    person=person,
                    organization=usiamas if index % 3 else mpksm,
                    office=office,
                    trained_on=date(2009, 6, 1) + timedelta(days=index),
                    max_cases=5,
                )
            )
        Person.objects.bulk_create(people)
        Volunteer.objects.bulk_create(volunteers)

        extra = SENIORS_2011 - 4 * VOLUNTEERS_2011
        cases, clients = [], []
        for index, volunteer in enumerate(volunteers):
            for _ in range(5 if index < extra else 4):
                cases.append(self.case(volunteer, clients, date(2010, 1, 1), date(2011, 6, 30)))
        # Growth after 2011: new seniors and OKU clients, new volunteers to serve them.
        for year in range(2012, self.today.year + 1):
            new_volunteers = []
            for index in range(10 + year - 2012):
                office = offices[(year + index) % len(offices)]
                person = self.person(office, date(1960, 1, 1), date(1995, 12, 31))
                people.append(person)
                new_volunteers.append(
                    Volunteer(
                        person=person,
                        organization=usiamas if index % 2 else mpksm,
                        office=office,
                        trained_on=date(year, 1, 15),
                    )
                )
            Person.objects.bulk_create(people[-len(new_volunteers) :])
            Volunteer.objects.bulk_create(new_volunteers)
            last = min(date(year, 12, 31), self.today)
            for volunteer in new_volunteers:
                for _ in range(3):
                    cases.append(self.case(volunteer, clients, date(year, 2, 1), last))
        Person.objects.bulk_create(clients)
        Case.objects.bulk_create(cases)
        self.visits(cases)
        self.worklist(usiamas)

    def case(self, volunteer, clients, opened_from, opened_to):
        opened = self.day_between(opened_from, opened_to)
        oku = opened.year > 2012 and self.random.random() < 0.2
        if oku:
            client = self.person(volunteer.office, date(1950, 1, 1), date(1990, 12, 31))
        else:
            born_to = date(opened.year - 61, 12, 31)
            client = self.person(volunteer.office, date(born_to.year - 25, 1, 1), born_to)
        clients.append(client)
        return Case(
            client=client,
            client_type=Case.ClientType.OKU if oku else Case.ClientType.SENIOR,
            oku_card_number=f"OKU{self.serial:07d}" if oku else "",
            office=volunteer.office,
            constituency=self.random.choice(self.constituencies[volunteer.office.state_id]),
            living_arrangement=self.random.choice(Case.LivingArrangement.values),
            volunteer=volunteer,
            status=Case.Status.ACTIVE,
            opened_on=opened,
            consent_to_share=True,
            consent_given_on=opened,
        )

    def visits(self, cases):
        visits = []
        for case in cases:
            # Most cases close within ten years; the rest are still served today.
            ends = case.opened_on + timedelta(days=self.random.randint(700, 7000))
            if ends < self.today - timedelta(days=30):
                case.status, case.closed_on = Case.Status.CLOSED, ends
                case.close_reason = self.random.choice(Case.CloseReason.values)
            last_day = case.closed_on or self.today - timedelta(days=self.random.randint(0, 6))
            for year in range(max(case.opened_on.year, 2011), last_day.year + 1):
                first = max(case.opened_on, date(year, 1, 1))
                last = min(last_day, date(year, 12, 31))
                if first > last:
                    continue
                for _ in range(
                    self.random.randint(1, 3) if year > 2011 else self.random.randint(2, 5)
                ):
                    visits.append(
                        Visit(
                            case=case,
                            volunteer=case.volunteer,
                            visited_on=self.day_between(first, last),
                            minutes=self.random.choice([30, 45, 60, 90, 120, 180]),
                        )
                    )
            if not case.closed_on and last_day >= case.opened_on:
                visits.append(
                    Visit(case=case, volunteer=case.volunteer, visited_on=last_day, minutes=60)
                )
        Case.objects.bulk_update(
            [c for c in cases if c.closed_on], ["status", "closed_on", "close_reason"]
        )
        Visit.objects.bulk_create(visits, batch_size=2000)
        Visit.services.through.objects.bulk_create(
            (
                Visit.services.through(visit=visit, service=service)
                for visit in visits
                for service in self.random.sample(self.services, self.random.randint(1, 3))
            ),
            batch_size=5000,
        )

    def worklist(self, organization):
        """Something for the demo officers to do this morning."""
        for code in DEMO_OFFICES:
            office = Office.objects.get(code=code)
            open_cases = Case.objects.filter(office=office).exclude(status=Case.Status.CLOSED)
            overdue = list(open_cases.order_by("pk")[:2])
            Visit.objects.filter(
                case__in=overdue, visited_on__gt=self.today - timedelta(days=20)
            ).delete()
            concern_case = open_cases.order_by("-pk").first()
            if concern_case:
                Visit.objects.create(
                    case=concern_case,
                    volunteer=concern_case.volunteer,
                    visited_on=self.today - timedelta(days=1),
                    minutes=45,
                    notes="Warga emas terjatuh di dapur minggu lalu; lutut bengkak.",
                    concern=True,
                )
            client = self.person(office, date(1940, 1, 1), date(1955, 12, 31))
            client.save()
            Case.objects.create(
                client=client,
                office=office,
                constituency=self.constituencies[office.state_id][0],
                living_arrangement=Case.LivingArrangement.ALONE,
                status=Case.Status.REFERRED,
                opened_on=self.today - timedelta(days=3),
            )


class Command(BaseCommand):
    help = "Load the demo users and the demo data set. Safe to run more than once."

    def handle(self, *args, **options):
        self.load()
        # After the data are committed: the refresh reads one snapshot of them.
        call_command("refresh_reports", stdout=self.stdout)
        self.publish()

    @transaction.atomic
    def publish(self):
        """The seed's two published tables as HQ's editions, read from the
        figures just refreshed, once: the projects until 31 October 2012 and
        home help in 2011. Every office is taken to have confirmed those months
        (when the demo data were loaded: no officer's name)."""
        months = [PUBLISHED_AS_OF.replace(day=1)] + [date(2011, m, 1) for m in range(1, 13)]
        offices = list(Office.objects.all())
        existing = set(
            MonthConfirmation.objects.filter(month__in=months).values_list("office", "month")
        )
        MonthConfirmation.objects.bulk_create(
            MonthConfirmation(office=o, month=m, confirmed_at=timezone.now())
            for o in offices
            for m in months
            if (o.pk, m) not in existing
        )
        hq = User.objects.get(username="hq")
        for table, filters, note in [
            (
                Table.PROJECTS_BY_STATE,
                {"as_of": PUBLISHED_AS_OF.isoformat()},
                "JKM: Community Organization Programme, projects and participants until "
                "October 2012.",
            ),
            (
                Table.HOME_HELP_BY_STATE,
                {"year": 2011},
                "JKM: Home Help Services in 2011, 915 senior citizens served by 207 volunteers.",
            ),
        ]:
            if not Edition.objects.filter(series=editions.series_of(table, filters)).exists():
                edition = editions.publish(hq, table, filters, note=note)
                self.stdout.write(f"Published: {edition}")

    @transaction.atomic
    def load(self):
        self.load_users()
        if Organization.objects.filter(registration_number=DEMO_MARK).exists():
            self.stdout.write("Demo data already loaded.")
        else:
            demo = Demo(today=date.today())
            demo.projects()
            demo.home_help()
            # The visits were written in bulk: each case's latest visit, in one update.
            Case.objects.refresh_last_visited_on()
            self.stdout.write(
                f"Demo data loaded: {Project.objects.count()} projects, "
                f"{Participation.objects.count()} participations, {Case.objects.count()} cases, "
                f"{Visit.objects.count()} visits."
            )
        self.link_demo_volunteer()
        self.stdout.write(f"Demo sign-ins (password for all: {DEMO_PASSWORD}):")
        for username, _, role, office_code, state_code in USERS:
            self.stdout.write(
                f"  {username:20} {role or 'Administrator'} {office_code or state_code or ''}"
            )

    def link_demo_volunteer(self):
        """volunteer.petaling signs in as the Petaling volunteer with the most open cases."""
        user = User.objects.get(username="volunteer.petaling")
        volunteer = Volunteer.objects.filter(user=user).select_related("person").first()
        volunteer = volunteer or (
            Volunteer.objects.available_on(date.today())
            .filter(office__code="PKMD-1005")
            .annotate(open_cases=Count("cases", filter=~Q(cases__status=Case.Status.CLOSED)))
            .order_by("-open_cases", "pk")
            .select_related("person")
            .first()
        )
        if volunteer is not None:
            volunteer.user = user
            volunteer.save(update_fields=["user"])
            user.first_name = volunteer.person.name[:150]
            user.save(update_fields=["first_name"])

    def load_users(self):
        for username, first_name, role, office_code, state_code in USERS:
            user, _ = User.objects.update_or_create(
                username=username,
                defaults={
                    "first_name": first_name,
                    "office": Office.objects.get(code=office_code) if office_code else None,
                    "state": State.objects.get(code=state_code) if state_code else None,
                    "is_staff": role is None,
                    "is_superuser": role is None,
                },
            )
            user.set_password(DEMO_PASSWORD)
            user.save()
            user.groups.set([Group.objects.get(name=role)] if role else [])
