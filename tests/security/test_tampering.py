"""Requests a browser would never send: walked ids, extra fields, foreign keys
pointing into another office, hostile query strings. All are ignored or refused
(a field error, 400 or 404), never a 500 and never a leak."""

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from homehelp.models import Case, Service, Visit
from programs.models import Participation, Project
from tests.factories import (
    CaseFactory,
    ParticipationFactory,
    PersonFactory,
    ProjectFactory,
    UserFactory,
    VisitFactory,
    VolunteerFactory,
    make_mykad,
)
from welfare.models import Constituency, District, Person

pytestmark = pytest.mark.django_db


@pytest.fixture
def own(office):
    volunteer = VolunteerFactory(office=office, person__name="Sukarelawan Sendiri")
    case = CaseFactory(office=office, volunteer=volunteer, client__name="Klien Sendiri")
    project = ProjectFactory(office=office, name="Projek Sendiri")
    return {
        "volunteer": volunteer,
        "case": case,
        "visit": VisitFactory(case=case, volunteer=volunteer, notes="Lawatan Sendiri"),
        "project": project,
        "participation": ParticipationFactory(project=project, person__name="Peserta Sendiri"),
    }


@pytest.fixture
def far(far_office):
    client_person = PersonFactory(
        office=far_office,
        name="Klien Jauh",
        mykad=make_mykad(7001, born=date(1948, 2, 2), place="03"),
        date_of_birth=date(1948, 2, 2),
        phone="019-765 4321",
        address="Lot 9, Kampung Rahsia",
    )
    volunteer = VolunteerFactory(
        office=far_office, person__name="Sukarelawan Jauh", person__office=far_office
    )
    case = CaseFactory(office=far_office, volunteer=volunteer, client=client_person)
    project = ProjectFactory(office=far_office, name="Projek Jauh")
    return {
        "person": client_person,
        "volunteer": volunteer,
        "case": case,
        "visit": VisitFactory(case=case, volunteer=volunteer, notes="Lawatan Jauh"),
        "project": project,
        "participation": ParticipationFactory(project=project, person__name="Peserta Jauh"),
    }


FAR_TRACES = ["Jauh", "Rahsia", "765 4321"]


def content_of(response):
    """The body, read once and kept: a streamed export cannot be read twice."""
    if not hasattr(response, "read_once"):
        response.read_once = response.getvalue()
    return response.read_once


def assert_no_far_trace(response, far):
    text = content_of(response).decode(errors="replace")
    for trace in [*FAR_TRACES, far["person"].mykad, far["person"].formatted_mykad]:
        assert trace not in text, f"{trace!r} in {response.request['PATH_INFO']}"


# --- Walking ids -------------------------------------------------------------------

ID_URLS = [
    "/people/{}/",
    "/projects/{}/",
    "/projects/{}/edit/",
    "/projects/{}/participants.csv",
    "/projects/{}/participants.xlsx",
    "/projects/{}/participants/add/",
    "/projects/{}/activities/add/",
    "/projects/participants/{}/edit/",
    "/projects/participants/{}/remove/",
    "/homehelp/volunteers/{}/",
    "/homehelp/volunteers/{}/edit/",
    "/homehelp/cases/{}/",
    "/homehelp/cases/{}/edit/",
    "/homehelp/cases/{}/close/",
    "/homehelp/visits/{}/edit/",
]


@pytest.mark.slow
def test_walking_every_id_finds_only_own_records(signed_in, own, far):
    """Every id of this test's records and its neighbours, on every page that takes
    one. (Each table counts its own ids, and earlier tests push some far ahead, so a
    range from the lowest to the highest would cover tens of thousands of ids.)"""
    ids = [record.pk for records in (own, far) for record in records.values()]
    ids += [own["case"].client_id, own["volunteer"].person_id, own["participation"].person_id]
    walked = sorted({pk + step for pk in ids for step in (-1, 0, 1) if pk + step > 0})
    answers = {}
    for template in ID_URLS:
        for pk in walked:
            url = template.format(pk)
            response = signed_in.get(url)
            answers[response.status_code] = answers.get(response.status_code, 0) + 1
            # 302: closing a case that is already closed goes back to the case.
            assert response.status_code in (200, 302, 404), (url, response.status_code)
            assert_no_far_trace(response, far)
    assert answers[200] and answers[404]


@pytest.mark.parametrize("pk", ["99999999999999999999999", "9223372036854775808"])
def test_ids_beyond_bigint_answer_404(signed_in, pk):
    for template in ID_URLS:
        assert signed_in.get(template.format(pk)).status_code == 404


def test_post_to_another_offices_records_is_404_and_changes_nothing(signed_in, far):
    posts = [
        (f"/projects/{far['project'].pk}/edit/", {"name": "Hijacked"}),
        (f"/projects/participants/{far['participation'].pk}/remove/", {}),
        (f"/homehelp/cases/{far['case'].pk}/close/", {"closed_on": "2025-01-01"}),
        (f"/homehelp/visits/{far['visit'].pk}/resolve/", {}),
        (f"/homehelp/cases/{far['case'].pk}/visits/new/", {"minutes": 30}),
    ]
    for url, data in posts:
        response = signed_in.post(url, data)
        assert response.status_code == 404, url
        assert_no_far_trace(response, far)
    far["case"].refresh_from_db()
    far["visit"].refresh_from_db()
    assert Project.objects.get(pk=far["project"].pk).name == "Projek Jauh"
    assert Participation.objects.filter(pk=far["participation"].pk).exists()
    assert far["case"].status == Case.Status.ACTIVE
    assert far["visit"].concern_resolved_on is None


# --- Extra fields in a POST ------------------------------------------------------

PRIVILEGED = {"is_staff": "on", "is_superuser": "on", "is_active": "on", "groups": "1"}


def test_extra_fields_in_project_post_are_ignored(signed_in, officer, office, far_office, own):
    project = own["project"]
    data = {
        "name": "Projek Sendiri",
        "project_type": "economic",
        "status": "active",
        "office": office.pk,
        "start_date": "2024-01-15",
        "budget": "100",
        "state": far_office.state_id,
        "created_at": "2000-01-01T00:00",
        "version": project.version,
        **PRIVILEGED,
    }
    response = signed_in.post(f"/projects/{project.pk}/edit/", data)
    assert response.status_code == 302, response.context["form"].errors
    project.refresh_from_db()
    officer.refresh_from_db()
    assert project.office == office
    assert not (officer.is_staff or officer.is_superuser)


def test_extra_office_in_volunteer_and_case_posts_is_ignored(
    signed_in, officer, office, far_office, own
):
    volunteer, case = own["volunteer"], own["case"]
    response = signed_in.post(
        f"/homehelp/volunteers/{volunteer.pk}/edit/",
        {
            "organization": volunteer.organization_id,
            "trained_on": "2020-01-01",
            "active": "on",
            "max_cases": 5,
            "office": far_office.pk,
            "person": PersonFactory(office=far_office).pk,
            **PRIVILEGED,
        },
    )
    assert response.status_code == 302
    volunteer.refresh_from_db()
    assert volunteer.office == office and volunteer.person.name == "Sukarelawan Sendiri"
    response = signed_in.post(
        f"/homehelp/cases/{case.pk}/edit/",
        case_data(case, office=far_office.pk, client=PersonFactory(office=far_office).pk),
    )
    assert response.status_code == 302, response.context["form"].errors
    case.refresh_from_db()
    assert case.office == office and case.client.name == "Klien Sendiri"
    officer.refresh_from_db()
    assert not (officer.is_staff or officer.is_superuser)


def test_extra_case_in_visit_post_is_ignored(signed_in, own, far):
    visit = own["visit"]
    response = signed_in.post(
        f"/homehelp/visits/{visit.pk}/edit/",
        {
            "volunteer": own["volunteer"].pk,
            "visited_on": date.today().isoformat(),
            "minutes": 30,
            "services": Service.objects.first().pk,
            "case": far["case"].pk,
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    visit.refresh_from_db()
    assert visit.case == own["case"]
    assert not far["case"].visits.exclude(pk=far["visit"].pk).exists()


def test_extra_person_in_participation_post_is_ignored(signed_in, own, far):
    participation = own["participation"]
    response = signed_in.post(
        f"/projects/participants/{participation.pk}/edit/",
        {
            "target_group": "community",
            "joined_on": "2024-02-01",
            "person": far["person"].pk,
            "project": far["project"].pk,
        },
    )
    assert response.status_code == 302
    participation.refresh_from_db()
    assert participation.person.name == "Peserta Sendiri"
    assert participation.project == own["project"]


# --- Foreign keys pointing into another office ----------------------------------


def case_data(case, **changes):
    return {
        "client_type": case.client_type,
        "constituency": case.constituency_id,
        "living_arrangement": case.living_arrangement,
        "volunteer": case.volunteer_id or "",
        "status": case.status,
        "opened_on": case.opened_on.isoformat(),
        "visit_every_days": case.visit_every_days,
        "version": case.version,
        **changes,
    }


def test_case_refuses_another_offices_volunteer_and_constituency(signed_in, own, far, far_office):
    case = own["case"]
    far_constituency = Constituency.objects.filter(state=far_office.state_id).first()
    response = signed_in.post(
        f"/homehelp/cases/{case.pk}/edit/",
        case_data(case, volunteer=far["volunteer"].pk, constituency=far_constituency.pk),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["volunteer"] == ["Choose a trained, active volunteer of this office."]
    assert errors["constituency"][0].startswith("Choose a constituency in")
    case.refresh_from_db()
    assert case.volunteer == own["volunteer"]
    assert_no_far_trace(response, far)


def test_new_case_refuses_another_offices_volunteer(signed_in, far):
    before = Case.objects.count()
    response = signed_in.post(
        "/homehelp/cases/new/",
        {
            "mykad": make_mykad(7100, born=date(1950, 1, 1)),
            "name": "Klien Baru",
            "client_type": "senior",
            "constituency": Constituency.objects.filter(state__code="MY-10").first().pk,
            "living_arrangement": "alone",
            "volunteer": far["volunteer"].pk,
            "status": "active",
            "opened_on": date.today().isoformat(),
            "visit_every_days": 14,
        },
    )
    assert response.status_code == 200
    assert "volunteer" in response.context["form"].errors
    assert Case.objects.count() == before
    assert not Person.objects.filter(name="Klien Baru").exists()
    assert_no_far_trace(response, far)


def test_visit_refuses_another_offices_volunteer(signed_in, own, far):
    case = own["case"]
    before = Visit.objects.count()
    response = signed_in.post(
        f"/homehelp/cases/{case.pk}/visits/new/",
        {"volunteer": far["volunteer"].pk, "visited_on": date.today().isoformat(), "minutes": 30},
    )
    assert response.status_code == 200
    assert response.context["visit_form"].errors["volunteer"] == [
        "Choose a trained, active volunteer of this office."
    ]
    assert Visit.objects.count() == before
    assert_no_far_trace(response, far)


def test_project_refuses_another_offices_office_district_and_officer(
    signed_in, own, office, far_office, far_officer, far
):
    project = own["project"]
    far_district = far_office.districts.first()
    base = {
        "name": "Projek Sendiri",
        "project_type": "economic",
        "status": "active",
        "office": office.pk,
        "start_date": "2024-01-15",
    }
    for field, value in [
        ("office", far_office.pk),
        ("district", far_district.pk),
        ("officer_in_charge", far_officer.pk),
    ]:
        response = signed_in.post(f"/projects/{project.pk}/edit/", {**base, field: value})
        assert response.status_code == 200, field
        assert response.context["form"].errors[field][0].startswith("Select a valid choice"), field
        assert_no_far_trace(response, far)
    project.refresh_from_db()
    assert (project.office, project.district, project.officer_in_charge) == (office, None, None)
    before = Project.objects.count()
    response = signed_in.post("/projects/new/", {**base, "office": far_office.pk})
    assert response.status_code == 200
    assert Project.objects.count() == before


# --- ?office= and other unknown parameters on lists and exports ---------------

LISTS = [
    "/projects/",
    "/projects/export.csv",
    "/projects/export.xlsx",
    "/homehelp/",
    "/homehelp/organisations/",
    "/homehelp/organisations/export.csv",
    "/homehelp/volunteers/",
    "/homehelp/volunteers/export.csv",
    "/homehelp/volunteers/export.xlsx",
    "/homehelp/cases/",
    "/homehelp/cases/export.csv",
    "/homehelp/cases/export.xlsx",
    "/homehelp/visits/",
    "/homehelp/visits/export.csv",
    "/homehelp/visits/export.xlsx",
]


@pytest.mark.parametrize("url", LISTS)
def test_office_parameter_does_not_widen_the_scope(signed_in, own, far, far_office, url):
    plain = signed_in.get(url)
    for params in [
        {"office": far_office.pk},
        {"office__state": far_office.state_id},
        {"office_id": far_office.pk, "state": far_office.state_id, "all": "1"},
    ]:
        response = signed_in.get(url, params)
        assert response.status_code == 200
        if "html" not in response["Content-Type"]:
            assert table_cells(response) == table_cells(plain)
        assert_no_far_trace(response, far)


def table_cells(response):
    """The exported table, without the export note (it carries the time of export)."""
    if response["Content-Type"].startswith("text/csv"):
        lines = content_of(response).decode().splitlines()
        return [line for line in lines if "Exported by" not in line]
    sheet = load_workbook(io.BytesIO(content_of(response))).worksheets[0]
    return list(sheet.iter_rows(values_only=True))


HOSTILE = [
    {"sort": "password"},
    {"sort": "person__mykad"},
    {"sort": "-client__mykad"},
    {"sort": "office__users__password"},
    {"ordering": "person__mykad"},
    {"o": "client__address"},
    {"page": "-1"},
    {"page": "abc"},
    {"page": "0"},
    {"page": "9" * 40},
    {"q": "<script>alert(1)</script>"},
    {"q": "x" * 5000},
    {"q": "\x00"},
    {"q": "%' OR 1=1 --"},
    {"q": "9" * 60},
    {"year": "9" * 40},
    {"year": "-5"},
    {"district": "9" * 30},
    {"volunteer": "9" * 30},
    {"volunteer": "abc"},
    {"organization": "9" * 30},
    {"status": "<b>"},
    {"due": "maybe"},
    {"active": "sometimes"},
    {"visited_from": "9999-99-99"},
    {"visited_until": "0000-00-00"},
    {"as_of": "9999-99-99"},
    {"person__office": "1"},
    {"format": "json"},
]


@pytest.mark.slow  # every list with every hostile parameter: about ten seconds
@pytest.mark.parametrize("url", [*LISTS, "/reports/projects-by-state/", "/reports/home-help/"])
def test_hostile_parameters_never_500_nor_leak(signed_in, own, far, url):
    for params in HOSTILE:
        response = signed_in.get(url, params)
        assert response.status_code in (200, 400), (url, params, response.status_code)
        assert_no_far_trace(response, far)
        text = content_of(response).decode(errors="replace")
        assert "<script>alert(1)</script>" not in text


@pytest.mark.parametrize("url", ["/reports/projects-by-state/", "/reports/home-help/", "/stats/"])
def test_reports_refuse_impossible_filters_with_400(signed_in, url):
    bad = {"as_of": "9999-99-99"} if "projects" in url else {"year": "99999"}
    response = signed_in.get(url, {**bad, "format": "csv"})
    assert response.status_code == (200 if url == "/stats/" else 400)


def test_unknown_sort_is_not_applied(signed_in, office):
    """Sort keys come from an allow-list: an unknown one leaves the default order."""
    for name in ["Zainal", "Ahmad", "Mohd"]:
        VolunteerFactory(office=office, person__name=f"{name} Sukarelawan")
    default = signed_in.get("/homehelp/volunteers/")
    for sort in ["person__mykad", "-person__mykad", "password", "person__address"]:
        response = signed_in.get("/homehelp/volunteers/", {"sort": sort})
        names = [v.person.name for v in response.context["page_obj"]]
        assert names == [v.person.name for v in default.context["page_obj"]]
    by_name_desc = signed_in.get("/homehelp/volunteers/", {"sort": "-name"})
    names = [v.person.name for v in by_name_desc.context["page_obj"]]
    assert names == sorted(names, reverse=True)


def test_every_list_sort_is_an_allow_list():
    """Each list's `sort` parameter is django-filter's OrderingFilter with named choices."""
    from django_filters import OrderingFilter

    from homehelp.filters import CaseFilter, OrganizationFilter, VisitFilter, VolunteerFilter
    from programs.forms import ProjectFilter

    for filterset in [ProjectFilter, VolunteerFilter, CaseFilter, VisitFilter, OrganizationFilter]:
        for declared in filterset.base_filters.values():
            if isinstance(declared, OrderingFilter):
                assert set(declared.param_map) <= {
                    "name", "start", "status", "trained", "cases", "opened", "client",
                    "last-visit", "due",
                }  # fmt: skip


def test_district_filter_of_another_office_is_ignored(signed_in, own, far, far_office):
    far_district = District.objects.filter(offices=far_office).first()
    response = signed_in.get("/projects/", {"district": far_district.pk})
    assert response.status_code == 200
    assert "district" in response.context["filter"].errors
    assert_no_far_trace(response, far)


def test_no_user_field_reaches_a_list(signed_in, officer, office, own):
    """Sorting or searching through a relation to users (a project's officer in
    charge) never orders or finds rows by their password hashes: the rows come
    as they would without the parameter, and a search for a hash finds none."""
    officers = [UserFactory(username=f"o{n}", office=office) for n in range(4)]
    for n, user in enumerate(officers):
        user.password = f"md5$salt${'0123'[3 - n]}"  # the reverse of the default order
        user.save()
        ProjectFactory(office=office, name=f"Projek {n}", officer_in_charge=user)
    for url in ["/projects/", "/projects/export.csv"]:
        plain = rows_of(signed_in.get(url))
        assert len(plain) >= 5
        for field in ["officer_in_charge__password", "-officer_in_charge__password"]:
            assert rows_of(signed_in.get(url, {"sort": field})) == plain, (url, field)
        assert not rows_of(signed_in.get(url, {"q": officers[0].password}))


def rows_of(response):
    if "html" in response["Content-Type"]:
        return [project.pk for project in response.context["page_obj"]]
    return table_cells(response)[1:]
