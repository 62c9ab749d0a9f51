import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import URLPattern, URLResolver, get_resolver

from tests.factories import PersonFactory, UserFactory
from welfare.models import Person


@pytest.fixture
def people(office, neighbour_office, far_office):
    return {
        "own": PersonFactory(office=office),
        "neighbour": PersonFactory(office=neighbour_office),
        "far": PersonFactory(office=far_office),
    }


def visible(user):
    return {p.office.code for p in Person.objects.visible_to(user).select_related("office")}


def test_district_officer_sees_own_office_only(people, officer):
    assert visible(officer) == {"PKMD-1005"}


def test_state_officer_sees_every_office_of_the_state(people, state_officer):
    assert visible(state_officer) == {"PKMD-1005", "PKMD-1001"}


def test_state_officer_of_another_state_sees_only_that_state(people, far_state_officer):
    assert visible(far_state_officer) == {"PKMD-0302"}


def test_hq_and_administrator_see_everything(people, hq, administrator):
    assert visible(hq) == visible(administrator) == {"PKMD-1005", "PKMD-1001", "PKMD-0302"}


def test_users_without_role_inactive_or_anonymous_see_nothing(people, no_role_user, office):
    inactive = UserFactory(office=office, role="District officer", is_active=False)
    officer_without_office = UserFactory(role="District officer")
    for user in [no_role_user, inactive, officer_without_office, AnonymousUser()]:
        assert visible(user) == set()


def test_officer_opens_own_person(client, officer, people):
    client.force_login(officer)
    response = client.get(people["own"].get_absolute_url())
    assert response.status_code == 200
    assert people["own"].formatted_mykad in response.text


def test_officer_cannot_open_other_office_person(client, officer, people):
    client.force_login(officer)
    for other in [people["neighbour"], people["far"]]:
        response = client.get(other.get_absolute_url())
        assert response.status_code == 404
        assert other.name not in response.text


def test_state_officer_cannot_open_other_state_person(client, state_officer, people):
    client.force_login(state_officer)
    assert client.get(people["neighbour"].get_absolute_url()).status_code == 200
    assert client.get(people["far"].get_absolute_url()).status_code == 404


PUBLIC = {"about", "login", "set_language", "password_reset", "password_reset_done",
          "password_reset_confirm", "password_reset_complete", "stats", "health",
          "my-service-worker", "stats-editions", "stats-edition", "stats-edition-csv",
          "stats-edition-json"}  # fmt: skip


def all_urls(patterns=None, prefix=""):
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if not route.startswith("admin/"):
                yield from all_urls(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield entry.name, "/" + re.sub(r"<int:\w+>", "1", route)


def test_login_is_required_everywhere_but_public_pages(client, db):
    checked = 0
    for name, url in all_urls():
        if name in PUBLIC or "<" in url:
            continue
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith("/accounts/login/"), url
        checked += 1
    assert checked >= 3


def test_public_pages_open_without_login(client, db):
    assert client.get("/about/").status_code == 200
    assert client.get("/accounts/login/").status_code == 200


def test_person_linked_by_a_past_record_shows_only_name_and_birth_year(client, officer, far_office):
    from programs.models import Participation
    from tests.factories import ProjectFactory

    person = PersonFactory(office=far_office, phone="019-7654321", address="Lot 9, Kampung Sireh")
    project = ProjectFactory(office=officer.office)
    Participation.objects.create(
        project=project,
        person=person,
        target_group="client",
        joined_on=project.start_date,
        left_on=project.start_date,
    )
    client.force_login(officer)
    response = client.get(person.get_absolute_url())
    assert response.status_code == 200
    assert person.name in response.text and "1950" in response.text
    for private in ["019-7654321", "Kampung Sireh", person.formatted_mykad]:
        assert private not in response.text


def test_offices_to_write_into_are_the_officers_own_or_any_for_the_administrator(
    officer, state_officer, administrator, no_role_user, volunteer_user
):
    assert [o.code for o in officer.offices_to_write_into()] == ["PKMD-1005"]
    assert officer.own_office.code == "PKMD-1005"
    assert administrator.offices_to_write_into().count() > 100
    assert administrator.own_office is None
    for reader in (state_officer, no_role_user, volunteer_user):
        assert not reader.offices_to_write_into().exists()
        assert reader.own_office is None


def test_an_officer_with_an_office_but_no_role_writes_nowhere(office):
    user = UserFactory(username="norole", office=office)
    assert not user.offices_to_write_into().exists()
    assert user.own_office is None
