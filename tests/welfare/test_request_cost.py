"""A signed-in request reads the session and the user, and nothing else it does
not need: the user's roles and permissions are read once per process and read
again when they change, public pages read no session, and a plain GET writes
nothing."""

import pytest
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.models import Group, Permission
from django.contrib.sessions.middleware import SessionMiddleware
from django.db import connection
from django.http import HttpResponse
from django.test.utils import CaptureQueriesContext
from django.utils.functional import SimpleLazyObject

from tests.factories import CaseFactory
from welfare.middleware import LoginRequiredMiddleware, SignInPolicyMiddleware
from welfare.models import Role
from welfare.roles import VolunteerPagesMiddleware, roles_of

WRITES = ("INSERT", "UPDATE", "DELETE")


def warm_queries(client, url):
    client.get(url)  # a session's first request may renew it
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return [q["sql"] for q in queries.captured_queries]


@pytest.fixture
def case(office):
    return CaseFactory(office=office)


def test_a_page_that_asks_permissions_reads_no_groups_or_permissions(client, officer, case):
    client.force_login(officer)
    sql = warm_queries(client, f"/homehelp/cases/{case.pk}/")
    assert not [q for q in sql if "auth_group" in q or "auth_permission" in q], sql
    # The page asked: its buttons are there.
    assert "Record a visit" in client.get(f"/homehelp/cases/{case.pk}/").content.decode()


def test_a_plain_get_writes_nothing(client, officer, case):
    client.force_login(officer)
    for url in ["/homehelp/", "/homehelp/cases/", "/projects/"]:
        sql = warm_queries(client, url)
        assert not [q for q in sql if q.lstrip().upper().startswith(WRITES)], (url, sql)


def test_a_role_taken_away_is_seen_at_the_next_request(client, officer):
    client.force_login(officer)
    assert client.get("/").url == "/homehelp/"  # a district officer's home is the worklist
    Group.objects.get(name=Role.DISTRICT_OFFICER).user_set.remove(officer)  # from the group's side
    assert "has no role" in client.get("/").content.decode()


def test_a_role_given_is_seen_at_the_next_request(client, no_role_user):
    client.force_login(no_role_user)
    assert "has no role" in client.get("/").content.decode()
    no_role_user.groups.add(Group.objects.get(name=Role.HQ))
    assert "has no role" not in client.get("/").content.decode()


def test_a_permission_taken_from_the_group_is_seen_at_the_next_request(client, officer, case):
    client.force_login(officer)
    url = f"/homehelp/cases/{case.pk}/"
    assert "Record a visit" in client.get(url).content.decode()
    add_visit = Permission.objects.get(codename="add_visit")
    Group.objects.get(name=Role.DISTRICT_OFFICER).permissions.remove(add_visit)
    assert "Record a visit" not in client.get(url).content.decode()
    add_visit.group_set.add(Group.objects.get(name=Role.DISTRICT_OFFICER))  # the other side
    assert "Record a visit" in client.get(url).content.decode()


def test_a_permission_given_to_the_user_and_a_group_deleted_are_seen(officer):
    change_state = Permission.objects.get(codename="change_state")
    officer.user_permissions.add(change_state)
    officer.refresh_from_db()
    assert officer.has_perm("welfare.change_state")
    Group.objects.get(name=Role.DISTRICT_OFFICER).delete()
    officer.refresh_from_db()
    assert Role.DISTRICT_OFFICER not in officer.role_names
    assert not officer.has_perm("homehelp.add_visit")
    assert officer.has_perm("welfare.change_state")


def fresh(user):
    """The user as the next request reads them."""
    return type(user).objects.get(pk=user.pk)


def test_a_renamed_group_is_another_role(officer):
    assert fresh(officer).is_district_officer  # read, and kept for the process
    group = Group.objects.get(name=Role.DISTRICT_OFFICER)
    group.name = "District officer (old)"
    group.save()
    assert not fresh(officer).is_district_officer


def test_roles_cleared_from_either_side_are_seen(officer, neighbour_officer):
    assert Role.DISTRICT_OFFICER in officer.role_names
    assert fresh(neighbour_officer).is_district_officer
    officer.groups.clear()
    assert officer.role_names == frozenset()  # the User object in hand forgets them too
    Group.objects.get(name=Role.DISTRICT_OFFICER).user_set.clear()
    assert not fresh(neighbour_officer).is_district_officer


def test_a_permission_cleared_from_its_groups_or_deleted_is_seen(officer, neighbour_officer):
    add_visit = Permission.objects.get(codename="add_visit")
    assert fresh(officer).has_perm("homehelp.add_visit")
    add_visit.group_set.clear()
    assert not fresh(officer).has_perm("homehelp.add_visit")
    change_state = Permission.objects.get(codename="change_state")
    Group.objects.get(name=Role.DISTRICT_OFFICER).permissions.add(change_state)
    neighbour_officer.groups.clear()
    neighbour_officer.user_permissions.add(change_state)
    for user in (officer, neighbour_officer):
        assert fresh(user).has_perm("welfare.change_state")
    change_state.delete()
    for user in (officer, neighbour_officer):
        assert not fresh(user).has_perm("welfare.change_state")


def test_the_requests_user_comes_with_office_and_state_in_one_query(
    state_officer, officer, django_assert_num_queries
):
    from welfare.roles import RolesBackend

    with django_assert_num_queries(1):
        user = RolesBackend().get_user(state_officer.pk)
        assert (user.office, user.state) == (None, state_officer.state)


def test_a_deactivated_users_session_ends(client, officer):
    client.force_login(officer)
    officer.is_active = False
    officer.save()
    response = client.get("/homehelp/")
    assert response.status_code == 302 and "/accounts/login/" in response.url
    assert not response.wsgi_request.user.is_authenticated  # signed out, not only refused


def test_the_user_in_hand_forgets_the_permissions_it_listed(officer):
    assert "homehelp.add_visit" in officer.get_group_permissions()
    assert officer.get_user_permissions() == set()
    officer.groups.clear()
    officer.user_permissions.add(Permission.objects.get(codename="change_state"))
    assert officer.get_group_permissions() == set()
    assert officer.get_user_permissions() == {"welfare.change_state"}


def test_permissions_are_a_models_not_an_objects_and_none_for_an_inactive_user(officer, case):
    assert officer.has_perm("homehelp.change_case")
    assert not officer.has_perm("homehelp.change_case", obj=case)
    assert officer.get_all_permissions(obj=case) == set()
    officer.is_active = False
    assert officer.get_all_permissions() == set()


def test_a_migration_of_welfare_has_every_users_roles_read_again(officer):
    """Its data migrations grant permissions without the signals above."""
    from django.apps import apps

    from welfare.roles import migrated

    before = fresh(officer).roles_changed
    migrated(sender=apps.get_app_config("programs"), using="default")
    assert fresh(officer).roles_changed == before
    migrated(sender=apps.get_app_config("welfare"), using="default")
    assert fresh(officer).roles_changed != before


def test_roles_read_once_per_process_and_user(officer, django_assert_num_queries):
    officer.refresh_from_db()
    roles_of(officer)
    again = type(officer).objects.get(pk=officer.pk)  # the user of the next request
    with django_assert_num_queries(0):
        assert again.is_district_officer and again.has_perm("homehelp.add_visit")


@login_not_required
def public_view(request):
    return HttpResponse("ok")


def private_view(request):
    return HttpResponse("ok")


@pytest.mark.parametrize(
    "middleware", [LoginRequiredMiddleware, SignInPolicyMiddleware, VolunteerPagesMiddleware]
)
def test_a_public_page_reads_no_session_for_the_middleware(rf, officer, middleware):
    request = rf.get("/about/")
    SessionMiddleware(lambda r: None).process_request(request)
    request.resolver_match = type("Match", (), {"namespaces": [], "view_name": "about"})()
    # As AuthenticationMiddleware leaves it: the user is read from the session when asked.
    request.user = SimpleLazyObject(lambda: request.session.get("_auth_user_id") or officer)
    assert middleware(lambda r: None).process_view(request, public_view, (), {}) is None
    assert not request.session.accessed
    middleware(lambda r: None).process_view(request, private_view, (), {})
    assert request.session.accessed


def test_an_administrator_has_every_permission(administrator):
    assert administrator.has_perm("welfare.change_state")
    assert "welfare.change_state" in administrator.get_all_permissions()
