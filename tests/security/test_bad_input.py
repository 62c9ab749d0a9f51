"""Bad input gets a clear error and changes nothing: a control character in any
parameter or form field, and an admin date outside the calendar, answer 400 (a
page that says so, logged as a warning, never a 500)."""

import logging

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.factories import CaseFactory, PersonFactory, ProjectFactory, VolunteerFactory
from welfare.models import AccessLog

REFUSED = "What was sent cannot be read"


@pytest.fixture
def records(office):
    volunteer = VolunteerFactory(office=office, person__office=office)
    return {
        "project": ProjectFactory(office=office),
        "case": CaseFactory(office=office, client__office=office, volunteer=volunteer),
        "person": PersonFactory(office=office, name="Mak Som"),
    }


def search_urls(records):
    project = records["project"]
    return [
        f"/projects/{project.pk}/",  # the participant search: a 500 on PostgreSQL before
        "/projects/",
        "/homehelp/cases/",
        "/homehelp/volunteers/",
        "/homehelp/visits/",
        "/homehelp/cases/export.csv",
    ]


@pytest.mark.parametrize(
    "value", ["\x00", "Mak\x00Som", "\x07", "a\x1bb", "\x7f", "\x85"], ids=repr
)
def test_a_control_character_in_a_search_answers_400(client, officer, records, value, caplog):
    client.force_login(officer)
    with caplog.at_level(logging.INFO):
        for url in search_urls(records):
            response = client.get(url, {"q": value})
            assert response.status_code == 400, url
            assert REFUSED in response.text, url
    assert max(record.levelno for record in caplog.records) == logging.WARNING


def test_a_control_character_in_a_parameter_name_or_filter_answers_400(client, officer, records):
    client.force_login(officer)
    assert client.get("/homehelp/cases/?%00=1").status_code == 400
    assert client.get("/homehelp/visits/", {"visited_from": "2024-01-01\x00"}).status_code == 400
    assert client.get("/reports/home-help/", {"year": "2024\x00"}).status_code == 400


def test_a_null_byte_in_an_admin_search_answers_400(client, administrator):
    client.force_login(administrator)
    for url in ["/admin/welfare/person/", "/admin/welfare/accesslog/", "/admin/welfare/user/"]:
        assert client.get(url, {"q": "\x00"}).status_code == 400, url


def test_ordinary_searches_still_work(client, officer, records):
    client.force_login(officer)
    for url in search_urls(records):
        assert client.get(url, {"q": "Mak Som\t"}).status_code == 200, url


def test_a_control_character_in_a_posted_field_answers_400_and_changes_nothing(
    client, officer, records
):
    person = records["person"]
    url = reverse("person-edit", args=[person.pk])
    client.force_login(officer)
    form = client.get(url).context["form"]
    data = {name: "" if form[name].value() is None else form[name].value() for name in form.fields}
    for changes in [{"name": "Mak\x00Som"}, {"address": "Jalan 1\x00"}, {"phone": "012\x08"}]:
        response = client.post(url, {**data, **changes})
        assert response.status_code == 400, changes
        assert REFUSED in response.text
    person.refresh_from_db()
    assert (person.name, person.address, person.version) == ("Mak Som", "", 1)
    assert not person.history.filter(history_type="~").exists()


def test_new_lines_and_tabs_in_a_textarea_are_kept(client, officer, records):
    person = records["person"]
    url = reverse("person-edit", args=[person.pk])
    client.force_login(officer)
    form = client.get(url).context["form"]
    data = {name: "" if form[name].value() is None else form[name].value() for name in form.fields}
    response = client.post(url, {**data, "address": "No. 5, Jalan Mawar\r\n\tTaman Sri"})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.address == "No. 5, Jalan Mawar\r\n\tTaman Sri"


def test_a_control_character_in_a_sign_in_form_changes_nothing(client, officer):
    response = client.post("/accounts/login/", {"username": "rahim\x00", "password": "password"})
    assert response.status_code == 400
    assert not client.get("/").wsgi_request.user.is_authenticated


# --- admin dates --------------------------------------------------------------------


def date_hierarchy_admins():
    """Ours and those of other apps (django-axes)."""
    return [
        model_admin for model_admin in admin.site._registry.values() if model_admin.date_hierarchy
    ]


@pytest.mark.parametrize(
    "query",
    [
        "__year=99999",
        "__year=9999",  # its next year does not exist: a 500 before
        "__year=9999&{f}__month=12",
        "__year=9999&{f}__month=12&{f}__day=31",
        "__year=99999999999999999999999",
        "__year=2024&{f}__month=13",
        "__year=2024&{f}__month=2&{f}__day=30",
        "__year=0",
        "__year=1",  # its first hours in UTC fall in year 0: a 500 on SQLite before
        "__year=abc",
        "__month=99",
    ],
)
def test_an_admin_date_outside_the_calendar_answers_400(client, administrator, query, caplog):
    client.force_login(administrator)
    walked = {model_admin.model._meta.label for model_admin in date_hierarchy_admins()}
    assert walked >= {"welfare.AccessLog", "programs.Project", "homehelp.Visit", "axes.AccessLog"}
    for model_admin in date_hierarchy_admins():
        opts = model_admin.model._meta
        field = model_admin.date_hierarchy
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        with caplog.at_level(logging.INFO):
            response = client.get(f"{url}?{field}" + query.format(f=field))
        assert response.status_code == 400, (url, query)
        assert REFUSED in response.text
        assert max(record.levelno for record in caplog.records) == logging.WARNING


def test_an_admin_date_in_the_calendar_lists_as_before(client, administrator):
    client.force_login(administrator)
    AccessLog.objects.create(user=administrator, action="view", object_type="person")
    for model_admin in date_hierarchy_admins():
        opts = model_admin.model._meta
        field = model_admin.date_hierarchy
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        for query in ["__year=2024", "__year=9998&{f}__month=12&{f}__day=31", "__year=2"]:
            response = client.get(f"{url}?{field}" + query.format(f=field))
            assert response.status_code == 200, (url, query)
