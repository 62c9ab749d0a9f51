"""No full MyKad, phone, address or postcode of a person outside the user's
full-details scope appears in any response of any URL of the project, and no
search completes a masked MyKad.

The URLs are not a hand list: every pattern of the URL conf is found by walking
django.urls.get_resolver() (nested include()s too; the admin, for superusers,
and static files are left out), and each of its converters is filled from the
records built below: an int with the pk of every record of the model the view
fetches (PK_MODELS, by URL name prefix), a file format with csv and xlsx. A URL
pattern that the tables cannot fill fails the walk, so nothing is silently
skipped. A page's links to other renderings of itself (?format=csv|xlsx, the
print layout) are followed. Every page with a search box is then asked for
each person's name and for the last four and the first eight digits of their
MyKad; a search by some digits must not find a person whose full MyKad the
walker is not shown (it would complete the masked number), and no search finds
a person the walker may not see at all. The downloads a searched list of
people links to (CSV and Excel, with the search in their query string) are
fetched too, for the last four digits.

The walkers are a state officer (Selangor) and a district officer of Gombak,
an office linked to the secret people only by past records: a participation
that ended, a project that is over, a closed case with its visits, a volunteer
role no longer active. Each response is read in full (headers, the page or
the streamed CSV, every XML part and every cell of a workbook) and searched
for the secrets. A positive control walks the same URLs as the officer of the
recording office, who must find the full MyKads (and find people by the last
digits of their MyKad), so that a walk which fetched nothing useful would not
pass. POST-only views (break-glass reveal, take-over, recording a visit...)
answer the GET with 405: counted, not posted to, and asked once per pattern."""

import html
import io
import re
import zipfile
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import product
from urllib.parse import urlencode

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter
from django.utils import timezone
from django.views import static
from openpyxl import load_workbook

from homehelp.models import Case, HeldVisit, Organization, Referral, Visit, Volunteer
from programs.models import Participation, Project
from programs.views import PARTICIPANTS_PAGE_SIZE
from reports import editions
from reports.models import Edition, Table
from tests.factories import (
    ActivityFactory,
    CaseFactory,
    OrganizationFactory,
    ParticipationFactory,
    PersonFactory,
    ProjectFactory,
    UserFactory,
    VisitFactory,
    VolunteerFactory,
    make_mykad,
)
from welfare.models import Person, Role

pytestmark = pytest.mark.django_db

# --- Filling the URL patterns ----------------------------------------------------

# The model whose pk a URL's <int:pk> carries, by the URL name's prefix (the
# longest matching prefix wins). A pattern with a <pk> that no prefix matches
# fails the walk: say here what it fetches.
PK_MODELS = {
    "person-": Person,
    "programs:project-": Project,
    "programs:participants-": Project,  # a project's participants.csv / .xlsx
    "programs:participant-add": Project,
    "programs:participant-import": Project,
    "programs:participation-": Participation,  # -edit, -remove
    "programs:activity-": Project,  # activity-add is the project's form
    "homehelp:organization-": Organization,
    "homehelp:volunteer-import": Organization,  # an organisation's volunteers
    "homehelp:volunteer-": Volunteer,
    "homehelp:case-": Case,
    "homehelp:visit-": Visit,
    "homehelp:my-": Case,  # a volunteer's phone pages of one case
    "homehelp:referral-": Referral,
    "homehelp:held-visit": HeldVisit,
    "stats-edition": Edition,  # a published edition's public page and files
    "reports:edition": Edition,
}
# Any other int converter, by its name (<int:case_pk>); one not named here fails the walk.
NAMED_PK_MODELS = {"case_pk": Case}
# The other converters, by name.
VALUES = {
    "file_format": ["csv", "xlsx"],
    # django.contrib.auth's password reset link: a user and token that are not
    # valid show the "link is no longer valid" page, which names nobody.
    "uidb64": ["MQ"],
    "token": ["no-such-token"],
}
SKIPPED_NAMESPACES = {"admin"}  # the Django admin is for superusers only


@dataclass(frozen=True)
class Route:
    name: str  # with its namespaces, for reverse()
    pattern: str  # as written in the URL conf, for messages
    converters: tuple  # (kwarg, converter, or None for a re_path() group)


class Unfillable(Exception):
    pass


def url_routes(resolver=None, namespace="", prefix="", converters=(), skipped=None):
    """Every URL pattern of the project, include()s walked recursively."""
    resolver = resolver or get_resolver()
    skipped = [] if skipped is None else skipped
    for entry in resolver.url_patterns:
        pattern = prefix + str(entry.pattern)
        own = pattern_converters(entry.pattern)
        if isinstance(entry, URLResolver):
            if {entry.app_name, entry.namespace} & SKIPPED_NAMESPACES:
                skipped.append(pattern)
                continue
            inner = ":".join(part for part in (namespace, entry.namespace) if part)
            yield from url_routes(entry, inner, pattern, converters + own, skipped)
        elif isinstance(entry, URLPattern):
            if entry.callback is static.serve:  # static files and media (DEBUG only)
                skipped.append(pattern)
                continue
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            yield Route(name or "", pattern, converters + own)


def pattern_converters(pattern):
    return tuple((group, pattern.converters.get(group)) for group in pattern.regex.groupindex)


def model_for(route, kwarg):
    if kwarg in NAMED_PK_MODELS:
        return NAMED_PK_MODELS[kwarg]
    prefixes = [prefix for prefix in PK_MODELS if route.name.startswith(prefix)]
    if kwarg != "pk" or not prefixes:
        raise Unfillable(
            f"{route.pattern} ({route.name or 'no name'}): <{kwarg}> names a record, "
            "but neither PK_MODELS nor NAMED_PK_MODELS says of which model"
        )
    return PK_MODELS[max(prefixes, key=len)]


def urls_of(route, records):
    """Every URL of one pattern, its converters filled from the records."""
    if not route.name:
        raise Unfillable(f"{route.pattern} has no name to reverse")
    choices = []
    for kwarg, converter in route.converters:
        if kwarg in VALUES:
            values = VALUES[kwarg]
        elif isinstance(converter, IntConverter) or (converter is None and kwarg.endswith("pk")):
            model = model_for(route, kwarg)
            values = [record.pk for record in records.get(model, [])]
            if not values:
                raise Unfillable(f"{route.pattern} ({route.name}): no {model.__name__} built")
        else:
            raise Unfillable(f"{route.pattern} ({route.name}): nothing fills <{kwarg}>")
        choices.append([(kwarg, value) for value in values])
    return [reverse(route.name, kwargs=dict(kwargs)) for kwargs in product(*choices)]


def walked_routes():
    skipped = []
    return list(url_routes(skipped=skipped)), skipped


# --- The people and their records ------------------------------------------------------


class Secret:
    """A person, and the texts that only their full details show."""

    def __init__(self, label, person):
        self.label, self.person = label, person
        mykad = person.mykad
        self.needles = {
            mykad: "MyKad",
            f"{mykad[:6]}-{mykad[6:8]}-{mykad[8:]}": "MyKad (dashed)",
            f"{mykad[:6]} {mykad[6:8]} {mykad[8:]}": "MyKad (spaces)",
            person.phone: "phone",
            re.sub(r"\D", "", person.phone): "phone (digits)",
            person.address: "address",
        }
        self.mykads = list(self.needles)[:3]
        # A postcode is five digits: found only where it stands alone.
        self.postcode = re.compile(rf"(?<!\d){person.postcode}(?!\d)")
        self.masked = f"******-**-{mykad[-4:]}"
        self.searches = {"name": person.name, "last 4": mykad[-4:], "first 8": mykad[:8]}

    def pattern(self):
        return "|".join([*map(re.escape, self.needles), self.postcode.pattern])

    def found_in(self, text):
        found = [what for needle, what in self.needles.items() if needle in text]
        return found + ["postcode"] if self.postcode.search(text) else found


def person(label, office, serial, born, place, name):
    return PersonFactory(
        office=office,
        name=name,
        mykad=make_mykad(serial, born=born, place=place),
        date_of_birth=born,
        phone=f"01{serial % 10}-{serial} 0{serial}",
        address=f"No. {serial}, Lorong Sulit {label}",
        postcode=f"6{serial:04d}",
    )


@pytest.fixture
def world(office, neighbour_office, far_office):
    """Petaling records most people; Gombak (the linked walker's office) holds
    only past records of them; Kota Bharu records two.

    Who  recorded by  records
    A    Petaling     Gombak participation ended; Petaling participation now
    B    Kota Bharu   Gombak project completed; open case in Kota Bharu
    C    Petaling     Gombak case closed, with visits (a concern still open); open case in Petaling
    D    Petaling     Gombak volunteer role inactive (C's volunteer); active in Petaling
    E    Petaling     open case in Petaling, no link to Gombak
    F    Petaling     active volunteer in Petaling (E's volunteer)
    G    Petaling     current participant in Gombak: Gombak serves them now
    H    Gombak       open case in Gombak
    I    Gombak       active volunteer in Gombak (H's volunteer)
    J    Kota Bharu   active volunteer in Kota Bharu (B's volunteer)
    K    Petaling     deleted (a person with records cannot be)"""
    today = date.today()
    past = today - timedelta(days=120)
    people = {
        label: person(label, *details)
        for label, details in {
            "A": (office, 7101, date(1990, 3, 14), "10", "Aishah Peserta Lalu"),
            "B": (far_office, 7202, date(1948, 8, 21), "03", "Badrul Projek Tamat"),
            "C": (office, 7303, date(1950, 6, 6), "10", "Chong Klien Lama"),
            "D": (office, 7404, date(1981, 1, 29), "14", "Devi Sukarelawan Lama"),
            "E": (office, 7505, date(1944, 11, 2), "10", "Esah Klien Petaling"),
            "F": (office, 7606, date(1979, 4, 17), "10", "Farid Sukarelawan Petaling"),
            "G": (office, 7707, date(1992, 9, 9), "10", "Gopal Peserta Semasa"),
            "H": (neighbour_office, 7808, date(1946, 2, 3), "10", "Halimah Klien Gombak"),
            "I": (neighbour_office, 7909, date(1985, 7, 7), "10", "Ismail Sukarelawan Gombak"),
            "J": (far_office, 8010, date(1983, 12, 12), "03", "Jamilah Sukarelawan Kelantan"),
            "K": (office, 8111, date(1991, 5, 25), "10", "Kamal Rekod Dipadam"),
        }.items()
    }
    P = people
    organization = OrganizationFactory(name="Persatuan Jalan-Jalan")

    gombak_now = ProjectFactory(
        office=neighbour_office, name="Projek Gombak Aktif", status="active"
    )
    gombak_over = ProjectFactory(
        office=neighbour_office, name="Projek Gombak Tamat", status="completed"
    )
    petaling_now = ProjectFactory(office=office, name="Projek Petaling Aktif", status="active")
    participations = [
        ParticipationFactory(project=gombak_now, person=P["A"], left_on=past),
        ParticipationFactory(project=gombak_now, person=P["G"]),
        ParticipationFactory(project=gombak_over, person=P["B"]),
        ParticipationFactory(project=petaling_now, person=P["A"]),
    ]
    # Enough participants for the project page to offer its participant search
    # (named to sort after the people above, who stay on the first page).
    extra = Person.objects.bulk_create(
        Person(name=f"Zainal Tambahan {n}", office=neighbour_office)
        for n in range(PARTICIPANTS_PAGE_SIZE)
    )
    Participation.objects.bulk_create(
        Participation(project=gombak_now, person=p, target_group="community", joined_on=past)
        for p in extra
    )
    ActivityFactory(project=gombak_now)
    ActivityFactory(project=petaling_now)

    volunteers = {
        "D@Gombak": VolunteerFactory(
            office=neighbour_office, person=P["D"], organization=organization, active=False
        ),
        "D@Petaling": VolunteerFactory(office=office, person=P["D"], organization=organization),
        "F": VolunteerFactory(office=office, person=P["F"], organization=organization),
        "I": VolunteerFactory(office=neighbour_office, person=P["I"], organization=organization),
        "J": VolunteerFactory(office=far_office, person=P["J"], organization=organization),
    }
    closed_on = today - timedelta(days=30)
    cases = {
        "C@Gombak": CaseFactory(
            office=neighbour_office,
            client=P["C"],
            volunteer=volunteers["D@Gombak"],
            status=Case.Status.CLOSED,
            opened_on=date(2024, 1, 1),
            closed_on=closed_on,
            close_reason="moved",
        ),
        "C@Petaling": CaseFactory(office=office, client=P["C"], volunteer=volunteers["D@Petaling"]),
        "E": CaseFactory(office=office, client=P["E"], volunteer=volunteers["F"]),
        "H": CaseFactory(office=neighbour_office, client=P["H"], volunteer=volunteers["I"]),
        "B": CaseFactory(office=far_office, client=P["B"], volunteer=volunteers["J"]),
    }
    visits = [
        # The open concern keeps the closed case's visit on Gombak's worklist.
        VisitFactory(case=cases["C@Gombak"], volunteer=volunteers["D@Gombak"],
                     visited_on=closed_on - timedelta(days=3), concern=True, notes="Lawatan akhir"),
        VisitFactory(case=cases["C@Gombak"], volunteer=volunteers["D@Gombak"],
                     visited_on=closed_on - timedelta(days=20)),
        VisitFactory(case=cases["C@Petaling"], volunteer=volunteers["D@Petaling"],
                     visited_on=today - timedelta(days=40), concern=True),
        VisitFactory(case=cases["E"], volunteer=volunteers["F"], visited_on=today - timedelta(days=2)),
        VisitFactory(case=cases["H"], volunteer=volunteers["I"], visited_on=today - timedelta(days=5)),
        VisitFactory(case=cases["B"], volunteer=volunteers["J"], visited_on=today - timedelta(days=9)),
    ]  # fmt: skip
    referrals = [
        Referral.objects.create(case=case, clinic="Klinik Kesihatan Sungai Buloh", reason="Batuk")
        for case in (cases["C@Gombak"], cases["C@Petaling"], cases["H"])
    ]
    held_visits = [
        HeldVisit.objects.create(
            case=cases[name], volunteer=volunteers[volunteer], visited_on=today, minutes=30
        )
        for name, volunteer in (("C@Gombak", "D@Gombak"), ("E", "F"), ("H", "I"))
    ]
    Person.all_objects.filter(pk=P["K"].pk).update(deleted_at=timezone.now() - timedelta(days=1))
    call_command("refresh_reports", stdout=io.StringIO())  # the figures editions publish
    publisher = UserFactory(username="publisher", role=Role.HQ)
    published = [
        editions.publish(publisher, Table.PROJECTS_BY_OFFICE, {"as_of": today.isoformat()}),
        editions.publish(publisher, Table.HOME_HELP_BY_STATE, {"year": today.year}),
    ]

    records = {
        Person: list(people.values()),
        Project: [gombak_now, gombak_over, petaling_now],
        Participation: participations,
        Organization: [organization],
        Volunteer: list(volunteers.values()),
        Case: list(cases.values()),
        Visit: visits,
        Referral: referrals,
        HeldVisit: held_visits,
        Edition: published,
    }
    return {"people": people, "records": records}


# Whose full details each walker is shown (the policy, written out by hand) and
# whom they may see at all (by name, year of birth and masked MyKad). The test
# test_the_data_set_is_as_the_policy_says checks both against welfare.people.
WALKERS = {
    "state_officer": {"full": "", "sees": "ABCDEFGHI"},
    "neighbour_officer": {"full": "GHI", "sees": "ABCDGHI"},
    # The positive control: the office that records A, C, D, E, F, G and K.
    "officer": {"full": "ACDEFGK", "sees": "ACDEFG"},
}


# --- Reading the responses ------------------------------------------------------------

DOWNLOAD_LINK = re.compile(r'href="([^"#]+\.(?:csv|xlsx)\?[^"#]*)"')
HEADER_SEARCH = re.compile(
    r'<form action="/search/"[^>]*>\s*<label[^>]*for="header-search".*?</form>', re.S
)
OTHER_RENDERING = re.compile(r'href="(\?[^"#]*\b(?:format|print)=[^"#]*)"')
TABLE_BODY = re.compile(r"<tbody.*?</tbody>", re.DOTALL)


def body_of(response):
    """What the walker received, as text: the headers, the page or CSV (streamed
    or not), and of a workbook every XML part and every cell."""
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    parts = [f"{header}: {value}" for header, value in response.items()]
    if raw[:2] == b"PK" or "spreadsheetml" in response.get("Content-Type", ""):
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            parts += [archive.read(name).decode("utf-8", "replace") for name in archive.namelist()]
        workbook = load_workbook(io.BytesIO(raw), read_only=True)
        parts += [
            str(cell)
            for sheet in workbook.worksheets
            for row in sheet.iter_rows(values_only=True)
            for cell in row
            if cell is not None
        ]
        workbook.close()
    else:
        parts.append(raw.decode("utf-8", "replace"))
    return "\n".join(parts)


def kind_of(response):
    content_type = response.get("Content-Type", "")
    if "spreadsheetml" in content_type:
        return "xlsx"
    if "csv" in content_type:
        return "csv"
    return "html" if "html" in content_type else content_type.split(";")[0] or "-"


def results_in(text, kind):
    """A searched list's results: the whole file of a download, the table
    bodies of a page (not its filter boxes, which may list volunteers)."""
    return text if kind in ("csv", "xlsx") else "\n".join(TABLE_BODY.findall(text))


# --- The walk ---------------------------------------------------------------------


class Walk:
    """One user's GETs of every URL, and what they were shown."""

    def __init__(self, user, people, scope, *, control=False):
        self.user, self.control = user, control
        self.sees = set(scope["sees"])
        self.secrets = [
            Secret(label, p) for label, p in people.items() if label not in scope["full"]
        ]
        self.shown = [Secret(label, p) for label, p in people.items() if label in scope["full"]]
        self.alarm = re.compile("|".join(secret.pattern() for secret in self.secrets))
        self.names = [p.name for p in people.values()]
        self.client = Client(raise_request_exception=False)
        self.client.force_login(user, backend="welfare.roles.RolesBackend")
        self.fetched = set()
        self.post_only = set()  # URL patterns that answered a GET with 405
        self.post_only_not_asked = 0  # their other fillings
        self.statuses, self.kinds = Counter(), Counter()
        self.leaks = []  # what the walker was shown and should not have been
        self.seen = {}  # label -> URL names showing their name or masked MyKad
        self.in_full = {}  # label -> URL names showing their full MyKad (full details only)
        self.found_by_digits = {}  # label -> URL names whose search by MyKad digits found them

    @property
    def requests(self):
        return sum(self.statuses.values())

    def get(self, url, name):
        """(response, body, kind), or None for a URL asked already. The access log
        rows a GET writes stay until the test's transaction is rolled back."""
        if url in self.fetched:
            return None
        self.fetched.add(url)
        response = self.client.get(url)
        text, kind = body_of(response), kind_of(response)
        self.statuses[response.status_code] += 1
        self.kinds[kind] += 1
        if self.alarm.search(text):
            where = f"{url} [{name}, {response.status_code} {kind}]"
            for secret in self.secrets:
                if found := secret.found_in(text):
                    self.leaks.append(f"{where} shows {whose(secret)}: {', '.join(found)}")
        for secret in self.shown:
            if any(mykad in text for mykad in secret.mykads):
                self.in_full.setdefault(secret.label, set()).add(name)
        return response, text, kind

    def walk(self, routes, records):
        """Every URL pattern with every filling, then the searches."""
        search_pages = []
        for route in routes:
            for url in urls_of(route, records):
                if route.name in self.post_only:
                    self.post_only_not_asked += 1  # 405 whatever the record
                    continue
                if (got := self.get(url, route.name)) is None:
                    continue
                response, text, kind = got
                if response.status_code == 405:
                    self.post_only.add(route.name)
                self.note_seen(text, route.name)
                if response.status_code != 200 or kind != "html":
                    continue
                for link in OTHER_RENDERING.findall(text):
                    name = f"{route.name} {link.split('=')[0]}="
                    if (other := self.get(url + html.unescape(link), name)) is not None:
                        self.note_seen(other[1], name)
                # The header's search box sends to /search/, walked as a page of its own.
                if 'name="q"' in HEADER_SEARCH.sub("", text):
                    lists_people = any(name in text for name in self.names)
                    search_pages.append((url, route.name, lists_people))
        for url, name, lists_people in search_pages:
            self.search(url, name, lists_people)
        return search_pages

    def note_seen(self, text, name):
        for secret in self.secrets + self.shown:
            if secret.person.name in text or secret.masked in text:
                self.seen.setdefault(secret.label, set()).add(name)

    def search(self, url, name, lists_people):
        """Each secret person looked for by name and by MyKad digits (not in the
        positive control); the people shown in full by the last four digits, which
        must find them. A list of people's downloads, with the search, are read
        for the last four."""
        for secret in self.shown if self.control else self.secrets + self.shown:
            queries = secret.searches if secret in self.secrets else ["last 4"]
            for by in queries:
                query = urlencode({"q": secret.searches[by]})
                if (got := self.get(f"{url}?{query}", f"{name} ?q={by}")) is None:
                    continue
                self.judge_search(secret, by, got, name)
                if by != "last 4" or got[0].status_code != 200 or not lists_people:
                    continue
                for link in DOWNLOAD_LINK.findall(got[1]):
                    download = self.get(html.unescape(link), f"{name} ?q={by} download")
                    if download is not None:
                        self.judge_search(secret, by, download, name)

    def judge_search(self, secret, by, got, name):
        """A search by some of the MyKad's digits finds a person only when the
        walker is shown their full MyKad (else the digits could be completed),
        and no search finds a person the walker may not see at all."""
        response, text, kind = got
        if secret.person.name not in results_in(text, kind):
            return
        where = (
            f"{response.request['PATH_INFO']}?{response.request['QUERY_STRING']} [{name}, {kind}]"
        )
        if secret in self.shown:
            self.found_by_digits.setdefault(secret.label, set()).add(name)
        elif by != "name":
            self.leaks.append(
                f"{where}: a search by the {by} digits of the MyKad finds {whose(secret)}"
            )
        elif secret.label not in self.sees:
            self.leaks.append(f"{where}: a search by name finds {whose(secret)}, out of scope")

    def summary(self, label, patterns):
        statuses = ", ".join(f"{n}×{status}" for status, n in sorted(self.statuses.items()))
        kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(self.kinds.items()))
        return (
            f"{label}: {patterns} URL patterns walked, {self.requests} requests "
            f"({statuses}; {kinds}; {self.post_only_not_asked} more fillings of POST-only "
            f"patterns not asked), {len(self.leaks)} leaks"
        )


def whose(secret):
    return f"{secret.label} ({secret.person.name}, recorded by {secret.person.office})"


TOTALS = Counter()


def run_walk(world, walker, user):
    routes, _ = walked_routes()
    walk = Walk(user, world["people"], WALKERS[walker], control=walker == "officer")
    search_pages = walk.walk(routes, world["records"])
    print(walk.summary(walker, len(routes)))
    return walk, routes, search_pages


# --- The tests ----------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _cookie_sessions(settings):
    """The walkers' sessions are kept in their cookie, not a database row: a query
    less for each of the walk's requests; what a page shows does not depend on it."""
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"


def test_every_url_pattern_is_filled(world):
    """A URL pattern that the tables cannot fill fails here (and in the walks), as
    does an entry of PK_MODELS that no pattern uses any more."""
    routes, skipped = walked_routes()
    assert any(pattern.startswith("admin/") for pattern in skipped), skipped
    problems = []
    for route in routes:
        try:
            urls_of(route, world["records"])
        except Unfillable as unfillable:
            problems.append(str(unfillable))
    with_converters = [route.name for route in routes if route.converters]
    problems += [
        f"PK_MODELS[{prefix!r}] matches no URL pattern with a converter"
        for prefix in PK_MODELS
        if not any(name.startswith(prefix) for name in with_converters)
    ]
    assert not problems, "\n".join(problems)


def test_the_data_set_is_as_the_policy_says(world, request):
    """The scopes written out above agree with the policy's own queries, so that
    the walk tests the people it means to: outside full details, yet seen."""
    labels = {p.pk: label for label, p in world["people"].items()}
    for walker, scope in WALKERS.items():
        user = request.getfixturevalue(walker)
        full = Person.all_objects.with_full_details_for(user).filter(pk__in=labels)
        assert {labels[pk] for pk in full.values_list("pk", flat=True)} == set(scope["full"])
        seen = Person.objects.visible_to(user).filter(pk__in=labels)
        assert {labels[pk] for pk in seen.values_list("pk", flat=True)} == set(scope["sees"])


@pytest.mark.slow
@pytest.mark.parametrize("walker", ["state_officer", "neighbour_officer"])
def test_no_full_details_outside_their_scope_on_any_url(world, walker, request):
    user = request.getfixturevalue(walker)
    walk, routes, search_pages = run_walk(world, walker, user)
    TOTALS["patterns"] = len(routes)
    TOTALS["requests"] += walk.requests
    TOTALS["leaks"] += len(walk.leaks)
    TOTALS["walkers"] += 1

    assert not walk.leaks, (
        f"LEAK: {walker} {user} was shown what only full details show, of people outside "
        f"their full-details scope ({len(walk.leaks)} times):\n" + "\n".join(walk.leaks)
    )
    # The walk reached the people it is about: each one the walker may see is shown
    # somewhere (name or masked MyKad), nobody else is; every kind of response was read.
    sees = set(WALKERS[walker]["sees"])
    assert set(walk.seen) == sees, (walker, {k: sorted(v) for k, v in walk.seen.items()})
    searched = {name for _, name, lists_people in search_pages if lists_people}
    assert {
        "programs:project-detail",
        "homehelp:volunteer-list",
        "homehelp:case-list",
        "homehelp:visit-list",
    } <= searched, searched
    assert walk.kinds["csv"] and walk.kinds["xlsx"] and walk.statuses[405], (
        walk.kinds,
        walk.statuses,
    )
    assert not walk.statuses[500], walk.statuses


@pytest.mark.slow
def test_the_recording_office_is_shown_the_full_mykads(world, officer):
    """The positive control: Petaling's officer, who records A, C, D, E, F and G, is
    shown their full MyKads on the person and case pages and in the exports, finds
    them by the last digits of their MyKad, and is shown nobody else's."""
    walk, routes, _ = run_walk(world, "officer", officer)
    TOTALS["control requests"] += walk.requests
    TOTALS["leaks"] += len(walk.leaks)

    assert not walk.leaks, "LEAK: " + "\n".join(walk.leaks)
    in_full = walk.in_full
    for label in "ACDEFG":
        assert "person-detail" in in_full.get(label, ()), (label, in_full)
    for label in "CE":
        assert {"homehelp:case-detail", "homehelp:case-export"} <= in_full[label], in_full
    assert {"homehelp:volunteer-detail", "homehelp:volunteer-export"} <= in_full["F"], in_full
    assert "programs:participants-xlsx" in in_full["A"], in_full
    assert "homehelp:case-list" in walk.found_by_digits.get("E", ()), walk.found_by_digits
    assert "homehelp:volunteer-list" in walk.found_by_digits.get("F", ()), walk.found_by_digits


def test_walk_totals(capsys):
    """Runs after the walks (file order): the numbers the closing note quotes."""
    if not TOTALS["walkers"]:
        pytest.skip("the walks did not run")
    line = (
        f"MyKad walk: {TOTALS['patterns']} URL patterns walked, {TOTALS['requests']} requests "
        f"by {TOTALS['walkers']} walkers (state officer, linked office's officer), "
        f"positive control (recording office) {TOTALS['control requests']} requests; "
        f"{TOTALS['leaks']} leaks"
    )
    with capsys.disabled():
        print(f"\n{line}")
    assert not TOTALS["leaks"], line
