import csv
import io
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from programs.models import Project
from tests.factories import (
    CaseFactory,
    OrganizationFactory,
    ParticipationFactory,
    ProjectFactory,
    VisitFactory,
    VolunteerFactory,
)
from welfare import exports
from welfare.models import AccessLog
from welfare.mykad import format_mykad

pytestmark = pytest.mark.django_db


def read(response):
    """The rows of a CSV or Excel download, as strings."""
    assert response.status_code == 200, response
    if response["Content-Type"].startswith("text/csv"):
        return list(csv.reader(io.StringIO(response.getvalue().decode("utf-8-sig"))))
    sheet = load_workbook(io.BytesIO(response.getvalue())).active
    return [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]


def column(rows, heading):
    index = rows[0].index(heading)
    return [row[index] for row in rows[1:]]


@pytest.fixture
def records(office, neighbour_office, far_office):
    made = {}
    for label, where in [("own", office), ("neighbour", neighbour_office), ("far", far_office)]:
        volunteer = VolunteerFactory(office=where, person__name=f"Volunteer {label}",
                                     person__office=where)  # fmt: skip
        case = CaseFactory(office=where, volunteer=volunteer, client__name=f"Client {label}",
                           client__office=where)  # fmt: skip
        VisitFactory(case=case, volunteer=volunteer, visited_on=date(2024, 2, 1))
        ProjectFactory(name=f"Project {label}", office=where, status="active")
        made[label] = case
    return made


EXPORTS = [
    ("programs:project-export", "Name", "Project {}"),
    ("homehelp:case-export", "Client", "Client {}"),
    ("homehelp:volunteer-export", "Name", "Volunteer {}"),
    ("homehelp:visit-export", "Client", "Client {}"),
]


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
@pytest.mark.parametrize(("url_name", "heading", "name"), EXPORTS)
def test_exports_are_scoped_like_the_page(
    client, records, officer, state_officer, far_officer, url_name, heading, name, file_format
):
    url = reverse(url_name, args=[file_format])
    for user, expected in [
        (officer, {"own"}),
        (state_officer, {"own", "neighbour"}),
        (far_officer, {"far"}),
    ]:
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        assert sorted(column(read(response), heading)) == sorted(name.format(e) for e in expected)


def test_anonymous_users_are_sent_to_sign_in(client):
    response = client.get(reverse("homehelp:case-export", args=["csv"]))
    assert response.status_code == 302 and "login" in response.url


def test_filters_are_honoured(client, records, officer, office):
    ProjectFactory(name="Kebun planned", office=office, status="planned")
    client.force_login(officer)
    rows = read(client.get(reverse("programs:project-export", args=["csv"]) + "?status=planned"))
    assert column(rows, "Name") == ["Kebun planned"]
    rows = read(client.get(reverse("homehelp:case-export", args=["xlsx"]) + "?q=nobody"))
    assert rows[1:] == []
    rows = read(client.get(reverse("homehelp:volunteer-export", args=["csv"]) + "?q=Volunteer+own"))
    assert column(rows, "Name") == ["Volunteer own"]
    OrganizationFactory(name="USIAMAS Petaling", kind="usiamas")
    OrganizationFactory(name="MPKSM Gombak", kind="mpksm")
    rows = read(client.get(reverse("homehelp:organization-export", args=["csv"]) + "?kind=mpksm"))
    assert column(rows, "Name") == ["MPKSM Gombak"]


def test_mykad_full_only_for_the_recording_offices_district_officer(
    client, records, officer, state_officer, hq
):
    mykad = records["own"].client.mykad
    url = reverse("homehelp:case-export", args=["csv"])
    client.force_login(officer)
    assert column(read(client.get(url)), "MyKad number") == [format_mykad(mykad)]
    for reader in (state_officer, hq):
        client.force_login(reader)
        assert f"******-**-{mykad[-4:]}" in column(read(client.get(url)), "MyKad number")
        assert mykad not in client.get(url).getvalue().decode()


def test_a_person_recorded_by_another_office_stays_masked(client, officer, project_with_guest):
    client.force_login(officer)
    url = reverse("programs:participants-xlsx", args=[project_with_guest.pk])
    rows = read(client.get(url))
    guest = project_with_guest.participations.get().person
    assert column(rows, "MyKad number") == [f"******-**-{guest.mykad[-4:]}"]


@pytest.fixture
def project_with_guest(office, far_office):
    """A person recorded by another office who took part here and left."""
    participation = ParticipationFactory(
        project__office=office, person__office=far_office, left_on=date(2024, 3, 1)
    )
    return participation.project


def test_participants_excel_is_scoped(client, far_officer, project_with_guest):
    client.force_login(far_officer)
    url = reverse("programs:participants-xlsx", args=[project_with_guest.pk])
    assert client.get(url).status_code == 404


def test_export_queries_do_not_grow_per_row(client, officer, office, django_assert_max_num_queries):
    client.force_login(officer)
    for count in (1, 50):
        ProjectFactory.create_batch(count, office=office)
        for url_name in ("programs:project-export", "homehelp:visit-export"):
            with django_assert_max_num_queries(7):
                client.get(reverse(url_name, args=["xlsx"]))
    assert Project.objects.count() == 51


def test_a_streamed_export_logs_its_people_before_the_first_byte(
    client, officer, office, monkeypatch
):
    """More rows than are read at a time: the access log is complete before any
    byte leaves; the rows are read, a chunk at a time, only as the body is sent."""
    monkeypatch.setattr(exports, "CHUNK_SIZE", 5)
    clients = {CaseFactory(office=office, client__office=office).client_id for _ in range(12)}
    client.force_login(officer)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("homehelp:case-export", args=["csv"]))
        logged = AccessLog.objects.filter(action=AccessLog.Action.EXPORT, object_type="cases")
        assert set(logged.values_list("person_id", flat=True)) == clients
        assert logged.count() == len(clients)  # one row per person
        before_the_body = len(queries)
        chunks = list(response.streaming_content)
    assert response.streaming
    assert len(chunks) == 4  # the header at once, then 5 rows, 5 rows, 2 rows
    rows = list(csv.reader(io.StringIO(b"".join(chunks).decode())))
    assert len(rows) == 13
    read = [q["sql"] for q in queries.captured_queries[before_the_body:]]
    # On PostgreSQL a server-side cursor: DECLARE … CURSOR … FOR SELECT.
    assert any('FROM "homehelp_case"' in sql and "INSERT" not in sql for sql in read)
