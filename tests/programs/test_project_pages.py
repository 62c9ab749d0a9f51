from datetime import date

import pytest
from django.urls import reverse

from programs.models import Activity, Objective, Project
from tests.conftest import assert_error_beside
from tests.factories import ActivityFactory, ParticipationFactory, ProjectFactory
from welfare.models import District

READERS = {  # who may open the project of PKMD Petaling, and what they get
    "officer": 200,
    "neighbour_officer": 404,
    "far_officer": 404,
    "state_officer": 200,
    "far_state_officer": 404,
    "hq": 200,
    "administrator": 200,
    "no_role_user": 404,
}
WRITERS = {**READERS, "state_officer": 403, "hq": 403}


def valid_project(own_office, **changes):
    return {
        "name": "Kelas jahitan",
        "project_type": "skills_training",
        "status": "planned",
        "office": own_office.pk,
        "district": "",
        "start_date": "2024-03-01",
        "end_date": "",
        "objectives": [],
        "description": "",
        "local_resources": "",
        "budget": "1500.00",
        "officer_in_charge": "",
        **changes,
    }


# --- list ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "cast,names",
    [
        ("officer", {"Kebun komuniti Petaling"}),
        ("neighbour_officer", {"Bengkel jahitan Gombak"}),
        ("state_officer", {"Kebun komuniti Petaling", "Bengkel jahitan Gombak"}),
        ("far_state_officer", {"Kelas mengaji Kota Bharu"}),
        ("hq", {"Kebun komuniti Petaling", "Bengkel jahitan Gombak", "Kelas mengaji Kota Bharu"}),
        ("no_role_user", set()),
    ],
)
def test_project_list_shows_only_projects_in_scope(
    client, request, project, neighbour_project, far_project, cast, names
):
    client.force_login(request.getfixturevalue(cast))
    response = client.get(reverse("programs:project-list"))
    assert response.status_code == 200
    assert {p.name for p in response.context["page_obj"]} == names
    for hidden in {
        "Kebun komuniti Petaling",
        "Bengkel jahitan Gombak",
        "Kelas mengaji Kota Bharu",
    } - names:
        assert hidden not in response.text


def test_anonymous_is_sent_to_login(client, project):
    for url in [
        reverse("programs:project-list"),
        reverse("programs:project-create"),
        reverse("programs:project-detail", args=[project.pk]),
        reverse("programs:project-edit", args=[project.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith("/accounts/login/")


def test_project_list_searches_by_name(client, officer, office):
    ProjectFactory(name="Kebun sayur", office=office)
    ProjectFactory(name="Kelas komputer", office=office)
    client.force_login(officer)
    response = client.get(reverse("programs:project-list"), {"q": "KEBUN"})
    assert [p.name for p in response.context["page_obj"]] == ["Kebun sayur"]


def test_project_list_filters_by_type_status_year_and_district(client, officer, office):
    petaling = District.objects.get(name="Petaling")
    ProjectFactory(
        name="Old", office=office, start_date=date(2019, 1, 1), end_date=date(2020, 6, 1)
    )
    ProjectFactory(name="Running", office=office, start_date=date(2021, 1, 1), status="active")
    ProjectFactory(
        name="Here", office=office, start_date=date(2024, 1, 1), district=petaling,
        project_type="spiritual_education",
    )  # fmt: skip
    client.force_login(officer)

    def names(**params):
        response = client.get(reverse("programs:project-list"), params)
        assert response.status_code == 200
        return {p.name for p in response.context["page_obj"]}

    assert names(project_type="spiritual_education") == {"Here"}
    assert names(status="active") == {"Running"}
    assert names(year=2020) == {"Old"}
    assert names(year=2024) == {"Running", "Here"}
    assert names(district=petaling.pk) == {"Here"}
    # A filter that is not valid shows nothing but its error (ListFilter.rows()).
    assert names(year="not a year") == set()


def test_district_filter_offers_only_districts_in_scope(client, officer):
    client.force_login(officer)
    response = client.get(reverse("programs:project-list"))
    districts = set(response.context["filter"].form.fields["district"].queryset)
    assert districts == set(officer.office.districts.all())


def test_project_list_sorts_only_by_allowed_fields(client, officer, office):
    ProjectFactory(name="B", office=office)
    ProjectFactory(name="A", office=office)
    client.force_login(officer)
    response = client.get(reverse("programs:project-list"), {"sort": "name"})
    assert [p.name for p in response.context["page_obj"]] == ["A", "B"]
    response = client.get(reverse("programs:project-list"), {"sort": "office__code"})
    assert response.status_code == 200


def test_project_list_pages_by_25(client, officer, office):
    ProjectFactory.create_batch(30, office=office)
    client.force_login(officer)
    response = client.get(reverse("programs:project-list"))
    assert len(response.context["page_obj"]) == 25
    response = client.get(reverse("programs:project-list"), {"page": 2})
    assert len(response.context["page_obj"]) == 5


@pytest.mark.parametrize("rows", [1, 50])
def test_project_list_query_count_does_not_grow(
    client, officer, office, rows, django_assert_num_queries
):
    for project in ProjectFactory.create_batch(rows, office=office):
        ParticipationFactory(project=project)
    client.force_login(officer)
    # session, user with its office (page header), count, page of projects with
    # their participant counts (the district filter is a search box: no districts
    # are read) + the savepoint each request runs in (ATOMIC_REQUESTS) and its
    # release (the user's roles and permissions are read once per process: welfare.roles)
    with django_assert_num_queries(6):
        response = client.get(reverse("programs:project-list"))
    assert response.status_code == 200


# --- detail -------------------------------------------------------------------


@pytest.mark.parametrize("cast,status", READERS.items())
def test_project_detail_by_role(client, request, project, cast, status):
    client.force_login(request.getfixturevalue(cast))
    response = client.get(project.get_absolute_url())
    assert response.status_code == status
    if status == 404:
        assert project.name not in response.text


def test_project_detail_shows_participants_activities_and_counts(client, officer, project):
    participation = ParticipationFactory(project=project, target_group="former_resident")
    ActivityFactory(project=project, summary="Gotong-royong at the surau", attendance=17)
    project.objectives.add(Objective.objects.get(position=5))
    client.force_login(officer)
    response = client.get(project.get_absolute_url())
    person = participation.person
    assert person.name in response.text
    # Recorded by this office: the MyKad in full (tests/welfare/test_person_policy.py
    # has the people it masks).
    assert person.formatted_mykad in response.text
    assert "Gotong-royong at the surau" in response.text
    assert "Create a caring society" in response.text
    assert response.context["counts_by_target_group"][1] == (
        "Former resident or trainee of a department institution",
        1,
    )
    assert reverse("programs:participant-add", args=[project.pk]) in response.text


def test_read_only_roles_see_no_edit_buttons(client, state_officer, project):
    ParticipationFactory(project=project)
    client.force_login(state_officer)
    response = client.get(project.get_absolute_url())
    assert reverse("programs:project-edit", args=[project.pk]) not in response.text
    assert reverse("programs:participant-add", args=[project.pk]) not in response.text
    assert "/participants/" not in response.text.replace("participants.csv", "")


@pytest.mark.parametrize("rows", [1, 50])
def test_project_detail_query_count_does_not_grow(
    client, officer, project, rows, django_assert_num_queries
):
    ParticipationFactory.create_batch(rows, project=project)
    ActivityFactory.create_batch(rows, project=project)
    project.objectives.set(Objective.objects.all()[:3])
    client.force_login(officer)
    # session, user with its office (page header), project with
    # office/district/officer, counts by target group, objectives, participants
    # with their people, activities
    # + the savepoint each request runs in (ATOMIC_REQUESTS) and its release
    # + the project's history
    with django_assert_num_queries(10):
        response = client.get(project.get_absolute_url())
    assert response.status_code == 200


def test_html_in_text_fields_is_shown_escaped(client, officer, project):
    project.name = "<script>alert('name')</script>"
    project.description = "<b>bold</b>"
    project.local_resources = "<img src=x onerror=alert(1)>"
    project.save()
    ParticipationFactory(project=project, person__name="<i>Ali</i>")
    ActivityFactory(project=project, summary="<script>alert('summary')</script>")
    client.force_login(officer)
    detail = client.get(project.get_absolute_url()).text
    listing = client.get(reverse("programs:project-list")).text
    for page in [detail, listing]:
        assert "<script>alert(" not in page
        assert "&lt;script&gt;alert(" in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in detail
    assert "<img src=x" not in detail
    assert "&lt;i&gt;Ali&lt;/i&gt;" in detail


# --- create and edit ----------------------------------------------------------


@pytest.mark.parametrize(
    "cast,status",
    [("officer", 200), ("state_officer", 403), ("hq", 403), ("administrator", 200),
     ("no_role_user", 403)],
)  # fmt: skip
def test_project_create_page_by_role(client, db, request, cast, status):
    client.force_login(request.getfixturevalue(cast))
    assert client.get(reverse("programs:project-create")).status_code == status


def test_officer_creates_project_in_own_office(client, officer, office):
    petaling = District.objects.get(name="Petaling")
    client.force_login(officer)
    response = client.get(reverse("programs:project-create"))
    assert list(response.context["form"].fields["office"].queryset) == [office]
    assert set(response.context["form"].fields["district"].queryset) == set(office.districts.all())
    data = valid_project(
        office, district=petaling.pk, objectives=[1, 4], officer_in_charge=officer.pk,
        description="<b>Sewing</b> for single mothers", end_date="2024-12-31",
    )  # fmt: skip
    response = client.post(reverse("programs:project-create"), data)
    project = Project.objects.get()
    assert response.status_code == 302
    assert response.url == project.get_absolute_url()
    assert project.office == office
    assert project.district == petaling
    assert project.officer_in_charge == officer
    assert [o.position for o in project.objectives.all()] == [1, 4]
    assert project.description == "<b>Sewing</b> for single mothers"


def test_read_only_roles_cannot_post_a_project(client, state_officer, hq, office):
    for user in [state_officer, hq]:
        client.force_login(user)
        response = client.post(reverse("programs:project-create"), valid_project(office))
        assert response.status_code == 403
    assert not Project.objects.exists()


def test_administrator_creates_project_for_any_office(client, administrator, far_office):
    client.force_login(administrator)
    response = client.post(reverse("programs:project-create"), valid_project(far_office))
    assert response.status_code == 302
    assert Project.objects.get().office == far_office


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("end_date", "2024-02-01", "The end date cannot be before the start date."),
        ("budget", "-0.01", "The budget cannot be negative."),
        ("name", "x" * 10_000, "Ensure this value has at most 200 characters (it has 10000)."),
        ("name", "", "This field is required."),
        ("start_date", "31/02/2024", "Enter a valid date."),
    ],
)
def test_bad_project_input_is_answered_beside_the_field(
    client, officer, office, field, value, message
):
    client.force_login(officer)
    response = client.post(
        reverse("programs:project-create"), valid_project(office, **{field: value})
    )
    assert_error_beside(response, field, message)
    assert not Project.objects.exists()


def test_office_outside_the_officers_own_is_refused(client, officer, office, neighbour_office):
    client.force_login(officer)
    response = client.post(
        reverse("programs:project-create"), valid_project(office, office=neighbour_office.pk)
    )
    assert_error_beside(
        response,
        "office",
        "Select a valid choice. That choice is not one of the available choices.",
    )
    assert not Project.objects.exists()


def test_district_outside_the_projects_office_is_refused(client, officer, administrator, office):
    gombak = District.objects.get(name="Gombak")
    client.force_login(officer)
    response = client.post(
        reverse("programs:project-create"), valid_project(office, district=gombak.pk)
    )
    assert_error_beside(
        response,
        "district",
        "Select a valid choice. That choice is not one of the available choices.",
    )
    # An administrator may pick any district, but only one of the chosen office's.
    client.force_login(administrator)
    response = client.post(
        reverse("programs:project-create"), valid_project(office, district=gombak.pk)
    )
    assert_error_beside(
        response, "district", "This district is not covered by the project's office."
    )
    assert not Project.objects.exists()


def test_officer_in_charge_must_work_at_the_projects_office(
    client, administrator, office, far_officer
):
    client.force_login(administrator)
    response = client.post(
        reverse("programs:project-create"), valid_project(office, officer_in_charge=far_officer.pk)
    )
    assert_error_beside(
        response, "officer_in_charge", "The officer in charge must work at the project's office."
    )


def test_html_in_a_rejected_form_is_shown_escaped(client, officer, office):
    client.force_login(officer)
    response = client.post(
        reverse("programs:project-create"),
        valid_project(office, name="<script>alert(1)</script>", budget="-5"),
    )
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


@pytest.mark.parametrize("cast,status", WRITERS.items())
def test_project_edit_page_by_role(client, request, project, cast, status):
    client.force_login(request.getfixturevalue(cast))
    assert client.get(reverse("programs:project-edit", args=[project.pk])).status_code == status


def test_officer_edits_own_project(client, officer, project, office):
    client.force_login(officer)
    data = valid_project(
        office, name="Kebun komuniti (fasa 2)", status="active", version=project.version
    )
    response = client.post(reverse("programs:project-edit", args=[project.pk]), data)
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.name == "Kebun komuniti (fasa 2)"
    assert project.status == "active"


@pytest.mark.parametrize(
    "cast,status", [("neighbour_officer", 404), ("state_officer", 403), ("hq", 403)]
)
def test_others_cannot_post_an_edit(client, request, project, office, cast, status):
    client.force_login(request.getfixturevalue(cast))
    response = client.post(
        reverse("programs:project-edit", args=[project.pk]), valid_project(office, name="Taken")
    )
    assert response.status_code == status
    project.refresh_from_db()
    assert project.name == "Kebun komuniti Petaling"


def test_bad_edit_changes_nothing(client, officer, project, office):
    client.force_login(officer)
    response = client.post(
        reverse("programs:project-edit", args=[project.pk]),
        valid_project(office, name="Renamed", end_date="2023-01-01", version=project.version),
    )
    assert_error_beside(response, "end_date", "The end date cannot be before the start date.")
    project.refresh_from_db()
    assert project.name == "Kebun komuniti Petaling"


# --- participants on the project page -------------------------------------------


def test_project_page_shows_participants_fifty_at_a_time(client, officer, project):
    ParticipationFactory.create_batch(60, project=project)
    client.force_login(officer)
    response = client.get(project.get_absolute_url())
    assert "Participants (60)" in response.text
    assert len(response.context["page_obj"]) == 50
    assert "Page 1 of 2" in response.text
    response = client.get(project.get_absolute_url(), {"page": 2})
    assert len(response.context["page_obj"]) == 10


def test_project_page_finds_a_participant_by_name_or_mykad_digits(client, officer, project):
    ParticipationFactory.create_batch(55, project=project)
    wanted = ParticipationFactory(project=project, person__name="Siti Zubaidah")
    client.force_login(officer)
    for search in ["zubaidah", wanted.person.mykad[-4:]]:
        response = client.get(project.get_absolute_url(), {"q": search})
        assert [p.pk for p in response.context["page_obj"]] == [wanted.pk]
    response = client.get(project.get_absolute_url(), {"q": "nobody of that name"})
    assert "No participants match." in response.text
    assert "Participants (56)" in response.text


def test_project_page_search_query_count_does_not_grow(
    client, officer, project, django_assert_num_queries
):
    ParticipationFactory.create_batch(60, project=project, person__name="Ahmad")
    client.force_login(officer)
    # as the page without a search (test_project_detail_query_count_does_not_grow)
    # + the count of the participants found + the access log of the people found
    with django_assert_num_queries(12):
        response = client.get(project.get_absolute_url(), {"q": "ahmad", "page": 2})
    assert len(response.context["page_obj"]) == 10


def test_a_participant_joins_within_the_projects_dates(client, officer, office):
    project = ProjectFactory(office=office, start_date=date(2025, 1, 1), end_date=date(2027, 6, 30))
    client.force_login(officer)
    url = reverse("programs:participant-add", args=[project.pk])
    person = {
        "mykad": "",
        "name": "Ali",
        "date_of_birth": "1960-01-01",
        "target_group": "community",
    }
    response = client.post(url, {**person, "joined_on": "2030-01-01"})
    assert response.context["form"].errors["joined_on"] == [
        "The project ends on 30/06/2027; one cannot join after."
    ]
    response = client.post(url, {**person, "joined_on": "2024-12-31"})
    assert response.context["form"].errors["joined_on"] == [
        "The project starts on 01/01/2025; one cannot join before."
    ]
    assert not project.participations.exists()
    assert client.post(url, {**person, "joined_on": "2027-06-30"}).status_code == 302


def test_an_activity_is_within_the_projects_dates_with_a_plausible_attendance(
    client, officer, office
):
    project = ProjectFactory(
        office=office, start_date=date(2025, 1, 1), end_date=date(2025, 12, 31)
    )
    client.force_login(officer)
    url = reverse("programs:activity-add", args=[project.pk])
    errors = (
        client.post(url, {"date": "2026-01-05", "summary": "x", "attendance": 99999})
        .context["form"]
        .errors
    )
    assert errors["date"] == ["The project ends on 31/12/2025."]
    assert "5000" in errors["attendance"][0]
    errors = (
        client.post(url, {"date": "2025-03-01", "summary": "x" * 2001, "attendance": 10})
        .context["form"]
        .errors
    )
    assert "2000" in errors["summary"][0]
    assert not project.activities.exists()


def test_an_officer_deletes_an_activity_recorded_by_mistake(client, officer, state_officer, office):
    activity = ActivityFactory(project=ProjectFactory(office=office), summary="Wrong project")
    url = reverse("programs:activity-delete", args=[activity.pk])
    client.force_login(state_officer)
    assert client.get(url).status_code == 403
    client.force_login(officer)
    assert "Wrong project" in client.get(url).text
    response = client.post(url)
    assert response.url == activity.project.get_absolute_url()
    assert not Activity.objects.filter(pk=activity.pk).exists()
    assert Activity.history.filter(id=activity.pk, history_type="-").exists()


def test_an_officer_of_another_office_cannot_delete_an_activity(client, far_officer, office):
    activity = ActivityFactory(project=ProjectFactory(office=office))
    client.force_login(far_officer)
    assert client.post(reverse("programs:activity-delete", args=[activity.pk])).status_code == 404
    assert Activity.objects.filter(pk=activity.pk).exists()
