import pytest

from tests.factories import ActivityFactory, ParticipationFactory


@pytest.fixture
def rows(project):
    ParticipationFactory(project=project)
    ActivityFactory(project=project)


@pytest.mark.parametrize(
    "url",
    [
        "/admin/programs/project/?q=Kebun&status__exact=planned",
        "/admin/programs/participation/?q=Person&target_group__exact=community",
        "/admin/programs/activity/?q=meeting",
        "/admin/programs/objective/",
        "/admin/autocomplete/?app_label=programs&model_name=participation&field_name=project&term=Keb",
    ],
)
def test_admin_lists_search_and_filter(client, administrator, rows, url):
    client.force_login(administrator)
    assert client.get(url).status_code == 200


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
