"""The header's menu: each role sees the sections it may use (from the
permissions its group is granted, welfare.roles.menu_for), the current one
marked; the day's new records one click away; one breadcrumb style."""

import re

import pytest

from tests.factories import CaseFactory, ProjectFactory

LISTS = {
    "/homehelp/": "Worklist",
    "/homehelp/cases/": "Cases",
    "/homehelp/visits/": "Visits",
    "/homehelp/volunteers/": "Volunteers",
    "/homehelp/organisations/": "Organisations",
    "/projects/": "Projects",
}
ADDS = ["/homehelp/cases/new/", "/homehelp/volunteers/new/", "/homehelp/organisations/new/", "/projects/new/"]  # fmt: skip


def menu_links(html):
    nav = html.split('<nav class="navbar', 1)[1].split("</nav>", 1)[0]
    bar = html.split('class="actions-bar', 1)[1].split("</div>\n</div>", 1)[0] if "actions-bar" in html else ""  # fmt: skip
    return set(re.findall(r'href="([^"#]+)"', nav + bar))


def test_a_district_officer_reaches_every_list_and_create_page_from_the_menu(client, officer):
    client.force_login(officer)
    links = menu_links(client.get("/homehelp/").text)
    assert set(LISTS) | set(ADDS) <= links
    assert "/reports/" in links
    assert "/homehelp/cases/?status=active&amp;sort=due" in links  # record a visit


def test_the_quick_actions_are_on_every_page_for_a_district_officer(client, officer):
    client.force_login(officer)
    for path in ["/projects/", "/search/?q=x", "/reports/", "/about/"]:
        page = client.get(path).text
        bar = page.split('class="actions-bar', 1)[1]
        assert "Open a case" in bar and "Record a visit" in bar and "New project" in bar


@pytest.mark.parametrize("role", ["state_officer", "hq"])
def test_read_only_roles_see_every_list_but_no_way_to_add(client, role, request):
    client.force_login(request.getfixturevalue(role))
    page = client.get("/").text
    links = menu_links(page)
    assert set(LISTS) | {"/reports/"} <= links
    assert not set(ADDS) & links
    assert "actions-bar" not in page


def test_a_user_without_a_role_sees_no_section(client, no_role_user):
    client.force_login(no_role_user)
    page = client.get("/").text
    links = menu_links(page)
    assert not (set(LISTS) | set(ADDS) | {"/reports/"}) & links
    assert re.findall(r'aria-current="page">([^<]+)<', page) == ["Home"]


def test_a_volunteer_sees_only_their_phone_page(client, volunteer_user):
    client.force_login(volunteer_user)
    links = menu_links(client.get("/homehelp/my/").text)
    assert "/homehelp/my/" in links
    assert not (set(LISTS) | set(ADDS)) & links


def test_a_volunteer_and_an_anonymous_user_are_given_no_menu(volunteer_user):
    """A volunteer's menu is their phone page (the template's, not menu_for()'s)."""
    from django.contrib.auth.models import AnonymousUser

    from welfare.roles import menu_for

    assert menu_for(volunteer_user, "homehelp:my") == {}
    assert menu_for(AnonymousUser(), "home") == {}


@pytest.mark.parametrize(
    ("path", "current"),
    [("/homehelp/cases/", "Cases"), ("/homehelp/visits/", "Visits"), ("/projects/", "Projects"),
     ("/homehelp/organisations/", "Organisations"), ("/reports/", "Reports")],
)  # fmt: skip
def test_the_menu_marks_the_current_section(client, officer, path, current):
    client.force_login(officer)
    marked = re.findall(r'aria-current="page">([^<]+)<', client.get(path).text)
    assert marked[0] == current


def test_the_menu_names_its_sections_and_marks_the_current_one(client, officer):
    client.force_login(officer)
    toggles = re.findall(r'dropdown-toggle( active)?"[^>]*>([^<]+)<', client.get("/projects/").text)
    assert toggles[:2] == [("", "Home help"), (" active", "Programmes")]  # then the account


def test_a_record_page_marks_its_list_and_shows_the_trail(client, officer, office):
    case = CaseFactory(office=office)
    project = ProjectFactory(office=office, name="Kelas Jahitan")
    client.force_login(officer)
    page = client.get(case.get_absolute_url()).text
    assert re.search(r'aria-current="page">Cases<', page)
    trail = page.split('<ol class="breadcrumb', 1)[1].split("</ol>", 1)[0]
    assert 'href="/homehelp/cases/"' in trail and case.client.name in trail
    page = client.get(f"/projects/{project.pk}/activities/add/").text
    trail = page.split('<ol class="breadcrumb', 1)[1].split("</ol>", 1)[0]
    assert project.get_absolute_url() in trail and "Record an activity" in trail


def test_every_page_uses_one_breadcrumb_style(settings):
    """Breadcrumbs come from the {% breadcrumbs %} tag only, never written by hand."""
    from pathlib import Path

    templates = Path(settings.BASE_DIR) / "templates"
    by_hand = [
        str(path.relative_to(templates))
        for path in templates.rglob("*.html")
        if 'class="breadcrumb' in path.read_text() and path.name != "breadcrumbs.html"
    ]
    assert by_hand == []
