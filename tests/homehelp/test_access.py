"""Every page against every role: own office, neighbour office (same state) and
far office (another state). Out of scope is 404, read-only is 403."""

import pytest

from homehelp.models import Visit
from tests.conftest import READ_ONLY
from tests.factories import OrganizationFactory

READERS = {
    # role -> offices whose records it may read
    "officer": {"own"},
    "neighbour_officer": {"neighbour"},
    "far_officer": {"far"},
    "state_officer": {"own", "neighbour"},
    "far_state_officer": {"far"},
    "hq": {"own", "neighbour", "far"},
    "administrator": {"own", "neighbour", "far"},
    "no_role_user": set(),
}
KEEPERS = {"officer": {"own"}, "neighbour_officer": {"neighbour"}, "far_officer": {"far"},
           "administrator": {"own", "neighbour", "far"}}  # fmt: skip
OFFICES = ["own", "neighbour", "far"]


PAGES = {
    "case-detail": ("case", "/homehelp/cases/{}/"),
    "case-edit": ("case", "/homehelp/cases/{}/edit/"),
    "case-close": ("case", "/homehelp/cases/{}/close/"),
    "volunteer-detail": ("volunteer", "/homehelp/volunteers/{}/"),
    "volunteer-edit": ("volunteer", "/homehelp/volunteers/{}/edit/"),
    "visit-edit": ("visit", "/homehelp/visits/{}/edit/"),
}


def url_for(records, office, page_name):
    kind, pattern = PAGES[page_name]
    return pattern.format(records[office][kind].pk)


@pytest.mark.parametrize("role", READERS)
@pytest.mark.parametrize("page_name", PAGES)
def test_each_role_against_each_office(client, request, records, role, page_name):
    client.force_login(request.getfixturevalue(role))
    for office in OFFICES:
        response = client.get(url_for(records, office, page_name))
        if office not in READERS[role]:
            expected = 404
        elif page_name.endswith("detail") or office in KEEPERS.get(role, set()):
            expected = 200
        else:
            expected = 403
        assert response.status_code == expected, (office, response.status_code)
        if expected == 404:
            assert f"Client {office}" not in response.text


@pytest.mark.parametrize("page_name", PAGES)
def test_anonymous_visitor_is_sent_to_sign_in(client, records, page_name):
    response = client.get(url_for(records, "own", page_name))
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


@pytest.mark.parametrize("role", READERS)
@pytest.mark.parametrize(
    "url,label",
    [("/homehelp/cases/", "Client"), ("/homehelp/volunteers/", "Volunteer"),
     ("/homehelp/visits/", "Client"), ("/homehelp/", "Client")],
)  # fmt: skip
def test_lists_and_worklist_show_only_the_roles_offices(client, request, records, role, url, label):
    client.force_login(request.getfixturevalue(role))
    response = client.get(url)
    assert response.status_code == 200
    for office in OFFICES:
        assert (f"{label} {office}" in response.text) == (office in READERS[role]), office


@pytest.mark.parametrize("role", READERS)
def test_every_signed_in_user_reads_organisations(client, request, records, role):
    client.force_login(request.getfixturevalue(role))
    organization = records["far"]["volunteer"].organization
    assert organization.name in client.get("/homehelp/organisations/").text
    response = client.get(organization.get_absolute_url())
    assert response.status_code == 200
    # ...but sees only the volunteers of offices in scope
    assert ("Volunteer far" in response.text) == ("far" in READERS[role])


@pytest.mark.parametrize(
    "role,expected",
    [("officer", 200), ("administrator", 200), ("state_officer", 403), ("hq", 403),
     ("no_role_user", 403)],
)  # fmt: skip
def test_only_district_officers_and_administrators_add_records(client, db, request, role, expected):
    national = OrganizationFactory()  # every office's volunteers may belong to it
    client.force_login(request.getfixturevalue(role))
    for url in [
        "/homehelp/organisations/new/",
        "/homehelp/volunteers/new/",
        "/homehelp/cases/new/",
        "/homehelp/cases/import/",
        f"/homehelp/organisations/{national.pk}/volunteers/import/",
    ]:
        assert client.get(url).status_code == expected, url


def test_organisation_edit_is_for_keepers_only(client, officer, state_officer, records):
    organization = records["own"]["volunteer"].organization
    organization.office = officer.office  # the office's own; national ones: test_organisations
    organization.save()
    url = f"/homehelp/organisations/{organization.pk}/edit/"
    client.force_login(state_officer)
    assert client.get(url).status_code == 403
    client.force_login(officer)
    response = client.post(
        url, {"name": "Renamed", "registration_number": "PPM-9", "kind": "mpksm"}
    )
    assert response.status_code == 302
    organization.refresh_from_db()
    assert organization.name == "Renamed"


def test_officer_resolves_a_concern_of_own_office(client, officer, records):
    visit = records["own"]["visit"]
    client.force_login(officer)
    response = client.post(f"/homehelp/visits/{visit.pk}/resolve/")
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.concern_resolved_on is not None
    assert visit.concern_resolved_by == officer


@pytest.mark.parametrize(
    "role,where,expected",
    [("officer", "far", 404), ("officer", "neighbour", 404), ("state_officer", "own", 403),
     ("state_officer", "far", 404), ("hq", "far", 403), ("no_role_user", "own", 404)],
)  # fmt: skip
def test_others_cannot_resolve_a_concern(client, request, records, role, where, expected):
    visit = records[where]["visit"]
    client.force_login(request.getfixturevalue(role))
    assert client.post(f"/homehelp/visits/{visit.pk}/resolve/").status_code == expected
    visit.refresh_from_db()
    assert visit.concern_resolved_on is None


def test_resolve_concern_is_post_only(client, officer, records):
    client.force_login(officer)
    assert client.get(f"/homehelp/visits/{records['own']['visit'].pk}/resolve/").status_code == 405


@pytest.mark.parametrize(
    "role,where,expected",
    [("officer", "neighbour", 404), ("officer", "far", 404), ("state_officer", "own", 403),
     ("hq", "own", 403)],
)  # fmt: skip
def test_others_cannot_record_a_visit(client, request, records, role, where, expected):
    case = records[where]["case"]
    client.force_login(request.getfixturevalue(role))
    data = {"volunteer": case.volunteer_id, "visited_on": "2024-03-01", "minutes": 30,
            "services": [1]}  # fmt: skip
    before = Visit.objects.count()
    assert client.post(f"/homehelp/cases/{case.pk}/visits/new/", data).status_code == expected
    assert Visit.objects.count() == before


@pytest.mark.parametrize("role", READ_ONLY)
def test_read_only_roles_see_no_edit_buttons_or_visit_form(client, request, records, role):
    client.force_login(request.getfixturevalue(role))
    response = client.get(records["own"]["case"].get_absolute_url())
    assert response.status_code == 200
    assert "Record a visit" not in response.text
    assert "/edit/" not in response.text
    assert "Mark resolved" not in response.text


def test_admin_pages_open_for_administrator(client, administrator, records):
    client.force_login(administrator)
    case = records["own"]["case"]
    listed = client.get("/admin/homehelp/case/?status__exact=active").context["cl"].result_list
    assert case in listed and all(c.status == "active" for c in listed)
    page = client.get(f"/admin/homehelp/case/{case.pk}/change/")
    assert page.context["original"] == case
    assert "visits-TOTAL_FORMS" in page.text  # the case's visits inline
    for url, kind in [("/admin/homehelp/volunteer/?active__exact=1", "volunteer"),
                      ("/admin/homehelp/visit/?concern__exact=1", "visit")]:  # fmt: skip
        listed = set(client.get(url).context["cl"].result_list)
        assert listed == {records[place][kind] for place in ("own", "neighbour", "far")}
        assert not set(client.get(url.replace("=1", "=0")).context["cl"].result_list)
