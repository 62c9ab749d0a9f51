"""The small frictions: an officer without an office, volunteers of the same
name, yes/no filters, sort options and plurals in both languages."""

from datetime import date

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.utils import translation

from homehelp.filters import CaseFilter, VolunteerFilter
from tests.factories import (
    UserFactory,
)
from welfare.models import Role


def test_an_officer_cannot_be_saved_without_an_office(office):
    user = UserFactory(username="baru", office=office, role=Role.DISTRICT_OFFICER)
    user.office = None
    with pytest.raises(ValidationError) as raised:
        user.full_clean()
    assert "office" in raised.value.message_dict


def test_the_admin_refuses_a_district_officer_without_an_office(client, administrator, office):
    user = UserFactory(username="baru", office=office, role=Role.DISTRICT_OFFICER)
    client.force_login(administrator)
    group = Group.objects.get(name=Role.DISTRICT_OFFICER)
    data = {
        "username": "baru", "first_name": "", "last_name": "", "email": "", "is_active": "on",
        "groups": [group.pk], "office": "", "state": "", "language": "",
        "date_joined_0": "2026-01-01", "date_joined_1": "08:00:00",
    }  # fmt: skip
    response = client.post(f"/admin/welfare/user/{user.pk}/change/", data)
    assert response.status_code == 200
    assert "A district officer needs an office." in response.text
    user.refresh_from_db()
    assert user.office == office
    # Taking the role away at the same time as the office is allowed.
    data["groups"] = []
    assert client.post(f"/admin/welfare/user/{user.pk}/change/", data).status_code == 302
    user.refresh_from_db()
    assert user.office is None


def test_yes_no_filters_start_at_any(rf, officer):
    request = rf.get("/")
    request.user = officer
    cases = CaseFilter({}, queryset=None, request=request).form
    assert [str(label) for value, label in cases.fields["due"].widget.choices] == ["Any", "Yes"]
    assert str(list(cases.fields["status"].choices)[0][1]) == "Any"
    assert str(list(cases.fields["sort"].choices)[0][1]) == "Usual order"
    volunteers = VolunteerFilter({}, queryset=None, request=request).form
    choices = [str(label) for value, label in volunteers.fields["active"].widget.choices]
    assert choices == ["Any", "Yes", "No"]


def test_sort_options_are_named_in_the_users_language(rf, officer):
    request = rf.get("/")
    request.user = officer
    with translation.override("en"):
        labels = [str(label) for value, label in CaseFilter({}, queryset=None, request=request).form.fields["sort"].choices]  # fmt: skip
    assert "Opened (descending)" in labels and "Next visit due" in labels
    assert "Last-visit" not in labels


def test_the_worklist_says_one_open_concern(client, officer, office):
    from tests.factories import VisitFactory

    VisitFactory(case__office=office, visited_on=date.today(), concern=True)
    client.force_login(officer)
    page = client.get("/homehelp/").text
    assert "open concern<" in page.replace("\n", "")
    assert "1</span>open concerns" not in page
