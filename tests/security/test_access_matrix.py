"""The access matrix: every principal against every record type in four offices
(two in Selangor, two in Kelantan), for every action the application offers.

The expected outcome of each attempt comes from the hand-written tables below,
never from `visible_to`: out of scope answers 404 and shows no trace of the
record (name, MyKad); in scope but read-only answers 403 to writes; signed out
(anonymous, or a deactivated user) is sent to the sign-in page.

An attempt is a *leak* when it shows a trace of a record the principal may not
see, or when a read or write succeeds that should have been refused."""

import io
import os
import re
from datetime import date, timedelta

import pytest
from django.db import transaction
from django.test import Client
from openpyxl import load_workbook

from homehelp.models import Service
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
from tests.security import tally
from welfare.models import Office, Role

# Also tells pytest-django to set up the test database for the module fixture.
pytestmark = pytest.mark.django_db

# --- The hand-written tables --------------------------------------------------

OFFICES = {
    "A": "PKMD-1005",  # Petaling, Selangor
    "B": "PKMD-1001",  # Gombak, Selangor
    "C": "PKMD-0302",  # Kota Bharu, Kelantan
    "D": "PKMD-0301",  # Bachok, Kelantan
}
# A word no page prints by chance, one per office, in every record's name.
WORD = {"A": "Qaxil", "B": "Qbyom", "C": "Qczet", "D": "Qdwun"}

KEEP, READ, NONE = "keep", "read", "none"
SIGNED_OUT = "signed out"

# What each principal may do with the records of each office.
SCOPED_ACCESS = {
    "anonymous": dict.fromkeys("ABCD", SIGNED_OUT),
    "officer_a": {"A": KEEP, "B": NONE, "C": NONE, "D": NONE},
    "officer_b": {"A": NONE, "B": KEEP, "C": NONE, "D": NONE},
    "officer_c": {"A": NONE, "B": NONE, "C": KEEP, "D": NONE},
    "state_selangor": {"A": READ, "B": READ, "C": NONE, "D": NONE},
    "state_kelantan": {"A": NONE, "B": NONE, "C": READ, "D": READ},
    "hq": {"A": READ, "B": READ, "C": READ, "D": READ},
    "administrator": {"A": KEEP, "B": KEEP, "C": KEEP, "D": KEEP},
    "no_role": {"A": NONE, "B": NONE, "C": NONE, "D": NONE},
    "inactive": dict.fromkeys("ABCD", SIGNED_OUT),
}
# An office's own organisation is scoped like its records (SCOPED_ACCESS); a national
# one is read by every signed-in user and kept by administrators only.
NATIONAL_ACCESS = {
    "anonymous": SIGNED_OUT,
    "officer_a": READ,
    "officer_b": READ,
    "officer_c": READ,
    "state_selangor": READ,
    "state_kelantan": READ,
    "hq": READ,
    "administrator": KEEP,
    "no_role": READ,
    "inactive": SIGNED_OUT,
}
# Who may open the "new case" form at all (its volunteer box is checked per record).
OPENS_CREATE_FORMS = {"officer_a", "officer_b", "officer_c", "administrator"}

# Per kind of action and access: (expected status, record shown). A status set
# allows either; shown None means "not checked" (a write form's own content).
OUTCOMES = {
    "list": {KEEP: (200, True), READ: (200, True), NONE: (200, False)},
    "read": {KEEP: (200, True), READ: (200, True), NONE: (404, False)},
    "write": {KEEP: (200, None), READ: (403, None), NONE: (404, False)},
    "post": {KEEP: (302, None), READ: (403, None), NONE: (404, False)},
}
SIGNED_OUT_OUTCOME = ("login", False)


# --- The records ------------------------------------------------------------------


def build_office(label, serial):
    office = Office.objects.get(code=OFFICES[label])
    word = WORD[label]
    project = ProjectFactory(office=office, name=f"Projek {word}")
    participation = ParticipationFactory(
        project=project,
        person=PersonFactory(
            office=office,
            name=f"Peserta {word}",
            mykad=make_mykad(serial, born=date(1990, 3, 3)),
            date_of_birth=date(1990, 3, 3),
            phone="012-111 2222",
        ),
    )
    activity = ActivityFactory(project=project, summary=f"Aktiviti {word}")
    organization = OrganizationFactory(name=f"Persatuan {word}", office=office)
    national = OrganizationFactory(name=f"Kebangsaan {word}")
    volunteer = VolunteerFactory(
        office=office,
        organization=national,
        person=PersonFactory(
            office=office,
            name=f"Sukarelawan {word}",
            mykad=make_mykad(serial + 1, born=date(1980, 5, 5)),
            date_of_birth=date(1980, 5, 5),
        ),
    )
    case = CaseFactory(
        office=office,
        volunteer=volunteer,
        client=PersonFactory(
            office=office,
            name=f"Klien {word}",
            mykad=make_mykad(serial + 2, born=date(1950, 7, 7)),
            date_of_birth=date(1950, 7, 7),
        ),
    )
    visit = VisitFactory(
        case=case,
        volunteer=volunteer,
        concern=True,
        notes=f"Lawatan {word}",
        visited_on=date.today() - timedelta(days=2),
    )
    visit.services.set(Service.objects.filter(code="companionship"))
    return {
        "office": office,
        "project": project,
        "participation": participation,
        "activity": activity,
        "organization": organization,
        "national": national,
        "volunteer": volunteer,
        "case": case,
        "visit": visit,
    }


def build_principals(offices):
    selangor, kelantan = offices["A"]["office"].state, offices["C"]["office"].state
    return {
        "anonymous": None,
        "officer_a": UserFactory(
            username="m-officer-a", office=offices["A"]["office"], role=Role.DISTRICT_OFFICER
        ),
        "officer_b": UserFactory(
            username="m-officer-b", office=offices["B"]["office"], role=Role.DISTRICT_OFFICER
        ),
        "officer_c": UserFactory(
            username="m-officer-c", office=offices["C"]["office"], role=Role.DISTRICT_OFFICER
        ),
        "state_selangor": UserFactory(
            username="m-state-sgr", state=selangor, role=Role.STATE_OFFICER
        ),
        "state_kelantan": UserFactory(
            username="m-state-ktn", state=kelantan, role=Role.STATE_OFFICER
        ),
        "hq": UserFactory(username="m-hq", role=Role.HQ),
        "administrator": UserFactory(username="m-admin", is_superuser=True, is_staff=True),
        "no_role": UserFactory(username="m-nobody"),
        "inactive": UserFactory(
            username="m-inactive",
            office=offices["A"]["office"],
            role=Role.DISTRICT_OFFICER,
            is_active=False,
        ),
    }


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once for the module, inside a transaction rolled back at its end;
    every attempt below runs in its own rolled-back savepoint."""
    with django_db_blocker.unblock(), transaction.atomic():
        offices = {label: build_office(label, 9100 + 10 * n) for n, label in enumerate(OFFICES)}
        yield {"offices": offices, "principals": build_principals(offices)}
        transaction.set_rollback(True)


# --- The attempts ---------------------------------------------------------------


def person_traces(person):
    return [person.name, person.mykad, person.formatted_mykad]


def attempts_for(label, records):
    """(record type, action, kind, method, url, data, traces[, where]) for one office's
    records. `where` narrows the check to part of the page (a select box)."""
    project, participation = records["project"], records["participation"]
    activity, organization = records["activity"], records["organization"]
    national = records["national"]
    volunteer, case, visit = records["volunteer"], records["case"], records["visit"]
    participant, client = participation.person, case.client
    word = WORD[label]
    office = records["office"]
    today = date.today().isoformat()

    project_traces = [project.name]
    participation_traces = person_traces(participant)
    volunteer_traces = person_traces(volunteer.person)
    case_traces = person_traces(client)
    visit_traces = [visit.notes, f'id="visit-{visit.pk}"', f'#visit-{visit.pk}"']
    organization_traces = [organization.name]
    national_traces = [national.name]

    project_post = {
        "name": f"Projek {word}",
        "project_type": "economic",
        "status": "active",
        "office": office.pk,
        "start_date": "2024-01-15",
        "budget": "1000",
        "version": project.version,
    }
    case_post = {
        "client_type": "senior",
        "constituency": case.constituency_id,
        "living_arrangement": "alone",
        "volunteer": volunteer.pk,
        "status": "active",
        "opened_on": "2024-01-01",
        "visit_every_days": 14,
        "version": case.version,
    }
    visit_post = {
        "volunteer": volunteer.pk,
        "visited_on": today,
        "minutes": 45,
        "services": Service.objects.first().pk,
    }
    attempts = [
        # person: its page, and found by MyKad in the searches
        ("person", "detail (participant)", "read", "get", f"/people/{participant.pk}/", None,
         person_traces(participant)),
        ("person", "detail (volunteer)", "read", "get", f"/people/{volunteer.person.pk}/", None,
         person_traces(volunteer.person)),
        ("person", "detail (client)", "read", "get", f"/people/{client.pk}/", None,
         person_traces(client)),
        # The search box repeats the MyKad typed, so only the name is a trace here.
        ("person", "case search by MyKad", "list", "get",
         f"/homehelp/cases/?q={client.mykad}", None, [client.name]),
        ("person", "volunteer search by MyKad", "list", "get",
         f"/homehelp/volunteers/?q={volunteer.person.mykad}", None, [volunteer.person.name]),
        # project
        ("project", "list", "list", "get", "/projects/", None, project_traces),
        ("project", "search", "list", "get", f"/projects/?q={word}", None, project_traces),
        ("project", "export csv", "list", "get", "/projects/export.csv", None, project_traces),
        ("project", "export xlsx", "list", "get", "/projects/export.xlsx", None, project_traces),
        ("project", "detail", "read", "get", f"/projects/{project.pk}/", None, project_traces),
        ("project", "edit form", "write", "get", f"/projects/{project.pk}/edit/", None,
         project_traces),
        ("project", "edit post", "post", "post", f"/projects/{project.pk}/edit/", project_post,
         project_traces),
        ("project", "participant import form", "write", "get",
         f"/projects/{project.pk}/participants/import/", None, project_traces),
        # participation
        ("participation", "on project page", "read", "get", f"/projects/{project.pk}/", None,
         [participant.name]),
        ("participation", "participants csv", "read", "get",
         f"/projects/{project.pk}/participants.csv", None, participation_traces),
        ("participation", "participants xlsx", "read", "get",
         f"/projects/{project.pk}/participants.xlsx", None, participation_traces),
        ("participation", "add form", "write", "get",
         f"/projects/{project.pk}/participants/add/", None, participation_traces),
        ("participation", "add post", "post", "post",
         f"/projects/{project.pk}/participants/add/",
         {"mykad": "", "name": f"Baru {word}", "date_of_birth": "1991-01-01",
          "target_group": "community", "joined_on": today}, participation_traces),
        ("participation", "edit form", "write", "get",
         f"/projects/participants/{participation.pk}/edit/", None, participation_traces),
        ("participation", "edit post", "post", "post",
         f"/projects/participants/{participation.pk}/edit/",
         {"target_group": "community", "joined_on": "2024-02-01"}, participation_traces),
        ("participation", "remove form", "write", "get",
         f"/projects/participants/{participation.pk}/remove/", None, participation_traces),
        ("participation", "remove post", "post", "post",
         f"/projects/participants/{participation.pk}/remove/", {}, participation_traces),
        # activity
        ("activity", "on project page", "read", "get", f"/projects/{project.pk}/", None,
         [activity.summary]),
        ("activity", "add form", "write", "get", f"/projects/{project.pk}/activities/add/", None,
         [activity.summary]),
        ("activity", "add post", "post", "post", f"/projects/{project.pk}/activities/add/",
         {"date": today, "summary": "Mesyuarat", "attendance": 10}, [activity.summary]),
        # volunteer
        ("volunteer", "list", "list", "get", "/homehelp/volunteers/", None, volunteer_traces),
        ("volunteer", "search", "list", "get", f"/homehelp/volunteers/?q={word}", None,
         volunteer_traces),
        ("volunteer", "export csv", "list", "get", "/homehelp/volunteers/export.csv", None,
         volunteer_traces),
        ("volunteer", "export xlsx", "list", "get", "/homehelp/volunteers/export.xlsx", None,
         volunteer_traces),
        ("volunteer", "on organisation page", "list", "get",
         f"/homehelp/organisations/{national.pk}/", None, volunteer_traces),
        ("volunteer", "detail", "read", "get", f"/homehelp/volunteers/{volunteer.pk}/", None,
         volunteer_traces),
        ("volunteer", "edit form", "write", "get", f"/homehelp/volunteers/{volunteer.pk}/edit/",
         None, volunteer_traces),
        ("volunteer", "edit post", "post", "post", f"/homehelp/volunteers/{volunteer.pk}/edit/",
         {"organization": national.pk, "trained_on": "2020-01-01", "active": "on",
          "max_cases": 5}, volunteer_traces),
        # The forms' and filters' search boxes list nobody: their suggestions do.
        ("volunteer", "suggestions", "list", "get",
         f"/homehelp/volunteers/suggest/?q={word}", None, [volunteer.person.name]),
        ("volunteer", "suggestions of its office for a form", "list", "get",
         f"/homehelp/volunteers/suggest/?q={word}&office={office.code}&available=1", None,
         [volunteer.person.name]),
        ("organisation", "suggestions", "list", "get",
         f"/homehelp/organisations/suggest/?q={word}", None, organization_traces),
        # case
        ("case", "list", "list", "get", "/homehelp/cases/", None, case_traces),
        ("case", "search", "list", "get", f"/homehelp/cases/?q={word}", None, case_traces),
        ("case", "worklist", "list", "get", "/homehelp/", None, case_traces),
        ("case", "export csv", "list", "get", "/homehelp/cases/export.csv", None, case_traces),
        ("case", "export xlsx", "list", "get", "/homehelp/cases/export.xlsx", None, case_traces),
        ("case", "detail", "read", "get", f"/homehelp/cases/{case.pk}/", None, case_traces),
        ("case", "edit form", "write", "get", f"/homehelp/cases/{case.pk}/edit/", None,
         case_traces),
        ("case", "edit post", "post", "post", f"/homehelp/cases/{case.pk}/edit/", case_post,
         case_traces),
        ("case", "close form", "write", "get", f"/homehelp/cases/{case.pk}/close/", None,
         case_traces),
        ("case", "close post", "post", "post", f"/homehelp/cases/{case.pk}/close/",
         {"closed_on": today, "close_reason": "moved"}, case_traces),
        ("case", "record a visit", "post", "post", f"/homehelp/cases/{case.pk}/visits/new/",
         visit_post, case_traces),
        # visit
        ("visit", "list", "list", "get", "/homehelp/visits/", None, visit_traces),
        ("visit", "export csv", "list", "get", "/homehelp/visits/export.csv", None, case_traces),
        ("visit", "export xlsx", "list", "get", "/homehelp/visits/export.xlsx", None,
         case_traces),
        ("visit", "on case page", "read", "get", f"/homehelp/cases/{case.pk}/", None,
         visit_traces),
        ("visit", "edit form", "write", "get", f"/homehelp/visits/{visit.pk}/edit/", None,
         visit_traces),
        ("visit", "edit post", "post", "post", f"/homehelp/visits/{visit.pk}/edit/",
         visit_post, visit_traces),
        ("visit", "delete form", "write", "get", f"/homehelp/visits/{visit.pk}/delete/", None,
         visit_traces),
        ("visit", "resolve concern", "post", "post", f"/homehelp/visits/{visit.pk}/resolve/",
         {}, visit_traces),
        # organisation of the office (scoped), and national
        ("organisation", "list", "list", "get", "/homehelp/organisations/", None,
         organization_traces),
        ("organisation", "search", "list", "get", f"/homehelp/organisations/?q={word}", None,
         organization_traces),
        ("organisation", "export csv", "list", "get", "/homehelp/organisations/export.csv",
         None, organization_traces),
        ("organisation", "detail", "read", "get",
         f"/homehelp/organisations/{organization.pk}/", None, organization_traces),
        ("organisation", "edit form", "write", "get",
         f"/homehelp/organisations/{organization.pk}/edit/", None, organization_traces),
        ("organisation", "edit post", "post", "post",
         f"/homehelp/organisations/{organization.pk}/edit/",
         {"name": organization.name, "registration_number": organization.registration_number,
          "kind": "usiamas"}, organization_traces),
        ("national organisation", "list", "list", "get", "/homehelp/organisations/", None,
         national_traces),
        ("national organisation", "detail", "read", "get",
         f"/homehelp/organisations/{national.pk}/", None, national_traces),
        ("national organisation", "edit form", "write", "get",
         f"/homehelp/organisations/{national.pk}/edit/", None, national_traces),
        ("national organisation", "edit post", "post", "post",
         f"/homehelp/organisations/{national.pk}/edit/",
         {"name": national.name, "registration_number": national.registration_number,
          "kind": "usiamas"}, national_traces),
    ]  # fmt: skip
    return attempts


def expected(principal, label, record_type, kind):
    if record_type == "national organisation":
        access = NATIONAL_ACCESS[principal]
    else:
        access = SCOPED_ACCESS[principal][label]
    if access == SIGNED_OUT:
        return SIGNED_OUT_OUTCOME
    if kind == "create form":
        # The page opens for those who may create; the box lists only their own office.
        return (200 if principal in OPENS_CREATE_FORMS else 403, access == KEEP)
    return OUTCOMES[kind][access]


# --- Running them ---------------------------------------------------------------


def response_text(response):
    """What the principal received, as text: pages, CSV, and every cell of a workbook."""
    content_type = response.get("Content-Type", "")
    if "spreadsheetml" in content_type:
        workbook = load_workbook(io.BytesIO(response.getvalue()), read_only=True)
        cells = (
            str(cell)
            for sheet in workbook.worksheets
            for row in sheet.iter_rows(values_only=True)
            for cell in row
            if cell is not None
        )
        return "\n".join(cells)
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def traces_in(text, traces, where=None):
    if where:
        text = "\n".join(re.findall(where, text, flags=re.DOTALL))
    return [trace for trace in traces if trace and trace in text]


def is_login_redirect(response):
    return response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def attempt(client, method, url, data):
    """One request in a savepoint that is rolled back: writes leave no mark for the next."""
    with transaction.atomic():
        response = getattr(client, method)(url, data) if data is not None else client.get(url)
        transaction.set_rollback(True)
    return response


def judge(response, text, want_status, want_shown, traces, where):
    """(leak, mismatch) descriptions, or None for an attempt as expected."""
    status = response.status_code
    found = traces_in(text, traces, where)
    if want_status == "login":
        if not is_login_redirect(response):
            return f"answered {status}, not the sign-in page", None
        return None, None
    allowed = want_status if isinstance(want_status, set) else {want_status}
    if want_shown is False and found:
        return f"{status} shows {found}", None
    if status not in allowed:
        refused = status in (403, 404) or is_login_redirect(response)
        if not refused and allowed <= {403, 404}:
            return f"answered {status}, not {sorted(allowed)}", None
        return None, f"answered {status}, not {sorted(allowed)}"
    if want_shown is True and not found:
        return None, f"{status} without the record"
    return None, None


@pytest.mark.slow
@pytest.mark.parametrize("principal", list(SCOPED_ACCESS))
def test_access_matrix(world, principal):
    user = world["principals"][principal]
    client = Client()
    if user is not None:
        client.force_login(user, backend="welfare.roles.RolesBackend")
    pages = {}  # reads are asked once per URL, and judged for every office's records
    problems = []
    for label, records in world["offices"].items():
        for record_type, action, kind, method, url, data, traces, *where in attempts_for(
            label, records
        ):
            if method == "get" and url in pages:
                response, text = pages[url]
            else:
                response = attempt(client, method, url, data)
                text = response_text(response)
                if method == "get":
                    pages[url] = response, text
            want_status, want_shown = expected(principal, label, record_type, kind)
            leak, mismatch = judge(
                response, text, want_status, want_shown, traces, where[0] if where else None
            )
            tally.ATTEMPTS[principal] += 1
            where_said = f"{principal} × {record_type} of office {label} × {action} ({url})"
            if leak:
                tally.LEAKS.append(f"{where_said}: {leak}")
                problems.append(f"LEAK {where_said}: {leak}")
            if mismatch:
                tally.MISMATCHES.append(f"{where_said}: {mismatch}")
                problems.append(f"{where_said}: {mismatch}")
    assert not problems, "\n".join(problems)


def test_matrix_totals():
    """Runs after the principals (file order); the numbers the security note quotes."""
    if not tally.ATTEMPTS:
        pytest.skip("the matrix did not run")
    if os.environ.get("PYTEST_XDIST_WORKER") and len(tally.ATTEMPTS) < len(SCOPED_ACCESS):
        # Under pytest -n the principals ran in several processes: each one's own
        # test has asserted its attempts, and no process holds every total.
        pytest.skip("the principals were shared between processes")
    assert not tally.LEAKS, tally.summary() + "\n" + "\n".join(tally.LEAKS)
    assert len(tally.ATTEMPTS) == len(SCOPED_ACCESS)
    print(tally.summary())
