import pytest

from tests.factories import ActivityFactory, ParticipationFactory


@pytest.fixture
def rows(project, neighbour_project):
    """For each search and filter below, one row it finds and one it leaves out."""
    project.status = "planned"
    project.save()
    return {
        "project": project,
        "participation": ParticipationFactory(
            project=project, target_group="community", person__name="Person Aminah"
        ),
        "other participation": ParticipationFactory(
            project=neighbour_project, target_group="community", person__name="Other Ong"
        ),
        "activity": ActivityFactory(project=project, summary="Weekly meeting"),
        "other activity": ActivityFactory(project=neighbour_project, summary="Sewing class"),
    }


@pytest.mark.parametrize(
    "url, found",
    [
        ("/admin/programs/project/?q=Kebun&status__exact=planned", "project"),
        ("/admin/programs/participation/?q=Aminah&target_group__exact=community", "participation"),
        ("/admin/programs/activity/?q=meeting", "activity"),
    ],
)
def test_admin_lists_search_and_filter(client, administrator, rows, url, found):
    client.force_login(administrator)
    assert list(client.get(url).context["cl"].result_list) == [rows[found]]


def test_admin_autocomplete_finds_projects_by_name(client, administrator, project, rows):
    client.force_login(administrator)
    answer = client.get(
        "/admin/autocomplete/",
        {"app_label": "programs", "model_name": "participation", "field_name": "project",
         "term": "Keb"},
    ).json()  # fmt: skip
    assert [r["text"] for r in answer["results"]] == [str(project)]


def test_admin_project_page_has_participation_and_activity_inlines(
    client, administrator, project, rows
):
    client.force_login(administrator)
    response = client.get(f"/admin/programs/project/{project.pk}/change/")
    assert response.status_code == 200
    assert "participations-TOTAL_FORMS" in response.text
    assert "activities-TOTAL_FORMS" in response.text


def test_district_officer_cannot_use_the_admin(client, officer, project):
    client.force_login(officer)
    assert client.get("/admin/programs/project/").status_code == 302
