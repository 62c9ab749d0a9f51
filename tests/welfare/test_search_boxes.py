"""The search boxes that replace long drop-downs (welfare.forms.ChoiceByName):
what a typed text finds, and the suggestions they are offered, each in the
user's scope, at most 20, in a fixed number of queries, and showing of a person
no more than the person policy allows."""

import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from homehelp.forms import VisitForm
from homehelp.models import Service, Visit
from tests.factories import (
    CaseFactory,
    OrganizationFactory,
    PersonFactory,
    VolunteerFactory,
    make_mykad,
)
from welfare.models import Constituency, District, Office

SUGGESTIONS = {
    "volunteers": "/homehelp/volunteers/suggest/",
    "organisations": "/homehelp/organisations/suggest/",
    "offices": "/suggest/offices/",
    "districts": "/suggest/districts/",
    "constituencies": "/suggest/constituencies/",
}


def values(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return [row["value"] for row in response.json()["results"]]


def twin_volunteers(office, **person):
    """Two volunteers of one office with the same name, told apart by their MyKad."""
    return [
        VolunteerFactory(
            office=office,
            person=PersonFactory(
                name="Siti Aminah",
                mykad=make_mykad(serial, born=date(1975, 3, 3)),
                date_of_birth=date(1975, 3, 3),
                **person,
            ),
        )
        for serial in (4411, 4422)
    ]


# --- What a typed text finds ------------------------------------------------------


@pytest.fixture
def case(office):
    return CaseFactory(office=office, volunteer=VolunteerFactory(office=office))


def visit_form(case, user, volunteer_text):
    data = {
        "volunteer": volunteer_text,
        "visited_on": "2024-06-01",
        "minutes": 30,
        "services": [Service.objects.get(code="companionship").pk],
    }
    return VisitForm(data, case=case, user=user)


def test_a_volunteer_is_found_by_the_name_and_what_tells_them_apart(case, officer, office):
    first, second = twin_volunteers(office)
    form = visit_form(case, officer, "Siti Aminah (born 1975, MyKad …4422)")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["volunteer"] == second
    # The name alone is ambiguous: the error lists both, as they are typed.
    form = visit_form(case, officer, "siti aminah")
    assert not form.is_valid()
    error = form.errors["volunteer"][0]
    assert "Several match “siti aminah”" in error
    assert "Siti Aminah (born 1975, MyKad …4411)" in error
    assert "Siti Aminah (born 1975, MyKad …4422)" in error


def test_a_unique_part_of_a_name_is_enough(case, officer, office):
    volunteer = VolunteerFactory(office=office, person__name="Tan Ah Kow")
    form = visit_form(case, officer, "  ah   KOW ")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["volunteer"] == volunteer


def test_a_volunteer_of_another_office_is_not_found_by_name_or_id(case, officer, neighbour_office):
    other = VolunteerFactory(office=neighbour_office, person__name="Ramasamy Gombak")
    for text in ["Ramasamy Gombak", str(other.pk)]:
        form = visit_form(case, officer, text)
        assert not form.is_valid()
        assert form.errors["volunteer"] == ["Choose a trained, active volunteer of this office."]


def test_an_untrained_volunteer_is_not_offered_to_a_visit(case, officer, office):
    VolunteerFactory(office=office, person__name="Belum Dilatih", trained_on=None)
    assert not visit_form(case, officer, "Belum Dilatih").is_valid()


def test_the_visit_form_shows_the_cases_volunteer_in_its_box_and_lists_nobody(
    client, officer, office, case
):
    others = VolunteerFactory.create_batch(3, office=office)
    client.force_login(officer)
    text = client.get(case.get_absolute_url()).text
    box = re.search(r'<input type="text" name="volunteer"[^>]*>', text)[0]
    assert f'value="{case.volunteer.person.name} (born 1950, MyKad …' in box
    assert (
        f'data-suggest="/homehelp/volunteers/suggest/?office={office.code}&amp;available=1"' in box
    )
    assert 'aria-describedby="id_volunteer_helptext"' in box
    assert all(other.person.name not in text for other in others)
    assert "<option" not in text.split('name="volunteer"')[1].split("</datalist>")[0]


def test_a_visit_is_recorded_with_the_volunteer_typed(client, officer, office, case):
    volunteer = VolunteerFactory(office=office, person__name="Lim Mei Ling")
    client.force_login(officer)
    response = client.post(
        f"/homehelp/cases/{case.pk}/visits/new/",
        {"volunteer": "Lim Mei Ling (born 1950, MyKad …" + volunteer.person.mykad[-4:] + ")",
         "visited_on": "2024-06-01", "minutes": 30,
         "services": [Service.objects.get(code="companionship").pk]},
    )  # fmt: skip
    assert response.status_code == 302
    assert Visit.objects.get(case=case).volunteer == volunteer


def test_a_district_or_constituency_is_found_by_code_or_name(client, hq):
    from welfare.forms import ConstituencyChoice, DistrictChoice

    districts = DistrictChoice(District.objects.all())
    petaling = District.objects.get(name="Petaling")
    assert districts.clean(petaling.code) == petaling
    assert districts.clean("petaling") == petaling
    constituencies = ConstituencyChoice(Constituency.objects.all())
    damansara = Constituency.objects.get(code="P.106")
    assert constituencies.clean("P.106 Damansara") == damansara
    assert constituencies.clean("p.106") == damansara
    assert constituencies.clean("Damansara") == damansara
    with pytest.raises(Exception, match="Nothing you may choose matches"):
        districts.clean("Atlantis")


# --- The suggestions -------------------------------------------------------------


def test_volunteer_suggestions_tell_twins_apart_without_contact_details(
    client, officer, state_officer, office
):
    twins = twin_volunteers(office, phone="012-345 6789", address="No. 9, Jalan Rahsia")
    for user in (officer, state_officer):
        client.force_login(user)
        response = client.get(SUGGESTIONS["volunteers"], {"q": "siti"})
        assert values(response) == [
            "Siti Aminah (born 1975, MyKad …4411)",
            "Siti Aminah (born 1975, MyKad …4422)",
        ]
        # Beside each: the organisation and the office, never a phone, an
        # address or more of the MyKad than its masked form shows.
        labels = [row["label"] for row in response.json()["results"]]
        assert labels == [f"{twins[0].organization.name} · PKMD Petaling", f"{twins[1].organization.name} · PKMD Petaling"]  # fmt: skip
        for secret in ["6789", "Rahsia", twins[0].person.mykad, twins[0].person.mykad[:6]]:
            assert secret not in response.text


def test_suggestions_are_scoped_to_what_the_user_may_read(
    client, officer, state_officer, far_office, neighbour_office
):
    VolunteerFactory(office=far_office, person__name="Wan Kelantan")
    VolunteerFactory(office=neighbour_office, person__name="Wan Gombak")
    OrganizationFactory(office=far_office, name="Kelab Wan Kelantan")
    client.force_login(officer)
    assert values(client.get(SUGGESTIONS["volunteers"], {"q": "wan"})) == []
    assert values(client.get(SUGGESTIONS["organisations"], {"q": "wan"})) == []
    assert values(client.get(SUGGESTIONS["offices"], {"q": "pkmd"})) == ["PKMD Petaling"]
    client.force_login(state_officer)
    found = values(client.get(SUGGESTIONS["volunteers"], {"q": "wan"}))
    assert [v.split(" (")[0] for v in found] == ["Wan Gombak"]
    # Another state's office is not suggested, even when asked for by code.
    assert values(client.get(SUGGESTIONS["offices"], {"q": far_office.code})) == []
    assert values(client.get(SUGGESTIONS["offices"], {"q": "kota bharu"})) == []
    assert values(client.get(SUGGESTIONS["districts"], {"q": "kota bharu"})) == []
    assert values(client.get(SUGGESTIONS["constituencies"], {"q": "P.021"})) == []
    assert values(client.get(SUGGESTIONS["constituencies"], {"q": "P.106"})) == ["P.106 Damansara"]


def test_suggestions_narrow_to_an_office_and_the_volunteers_a_form_offers(
    client, hq, office, neighbour_office
):
    VolunteerFactory(office=office, person__name="Zul Petaling")
    VolunteerFactory(office=office, person__name="Zul Belum", trained_on=None)
    VolunteerFactory(office=neighbour_office, person__name="Zul Gombak")
    client.force_login(hq)
    every = values(client.get(SUGGESTIONS["volunteers"], {"q": "zul"}))
    assert [v.split(" (")[0] for v in every] == ["Zul Belum", "Zul Gombak", "Zul Petaling"]
    offered = values(
        client.get(SUGGESTIONS["volunteers"], {"q": "zul", "office": office.code, "available": 1})
    )
    assert [v.split(" (")[0] for v in offered] == ["Zul Petaling"]
    selangor = values(client.get(SUGGESTIONS["offices"], {"q": "", "state": "MY-10"}))
    assert "PKMD Petaling" in selangor and "PKMD Kota Bharu" not in selangor


def test_suggestions_are_at_most_twenty_and_say_there_are_more(client, hq):
    client.force_login(hq)
    response = client.get(SUGGESTIONS["offices"], {"q": "PKMD"})
    assert len(values(response)) == 20
    assert response.json()["more"] is True
    response = client.get(SUGGESTIONS["offices"], {"q": "petaling"})
    assert values(response) == ["PKMD Petaling"]
    assert response.json()["more"] is False
    assert response.json()["results"][0]["label"] == "PKMD-1005 · Selangor"


@pytest.mark.parametrize("kind", SUGGESTIONS)
def test_suggestions_need_signing_in_and_refuse_volunteers(client, volunteer_user, kind):
    response = client.get(SUGGESTIONS[kind], {"q": "a"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(volunteer_user)
    assert client.get(SUGGESTIONS[kind], {"q": "a"}).status_code == 403


@pytest.mark.parametrize("kind", SUGGESTIONS)
def test_suggestions_run_a_fixed_number_of_queries(client, hq, office, kind):
    """session, user, the user's groups (scope) + the suggestions, whatever the
    number of records; a long text is cut, not refused."""

    def count():
        client.force_login(hq)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(SUGGESTIONS[kind], {"q": "a" * 500}).status_code == 200
            assert client.get(SUGGESTIONS[kind], {"q": "a"}).status_code == 200
        return len(queries)

    VolunteerFactory(office=office, person__name="Ahmad")
    OrganizationFactory(office=office, name="Persatuan Ahmad")
    with_one = count()
    VolunteerFactory.create_batch(25, office=office)
    OrganizationFactory.create_batch(25, office=office)
    assert count() == with_one
    # Two requests, each: session, user, groups, suggestions + the request's
    # savepoint and its release.
    assert with_one <= 2 * 6


def test_every_office_and_district_is_typed_as_its_own_name(db):
    """A name that two records share would need more than the name to type."""
    for model in (Office, District):
        names = list(model.objects.values_list("name", flat=True))
        assert len(names) == len(set(names))


def test_plain_fields_draw_widgets_as_djangos_templates_do(case, officer, office):
    """welfare/templatetags/fields.py writes inputs and drop-downs in Python: the
    same HTML as Django's widget templates, errors and all."""
    from welfare.templatetags.fields import widget_html

    form = visit_form(case, officer, "nobody at all")
    form.data = {**form.data, "minutes": "x", "visited_on": "2024-06-01"}
    form.fields["concern"].widget = __import__("django").forms.Select(
        choices=[("", "—"), ("1", '<yes> & "no"')]
    )
    assert not form.is_valid()
    for name in ["volunteer", "visited_on", "minutes", "notes", "concern"]:
        field = form[name]
        django = field.as_widget(attrs={"class": "form-control"})
        # A drop-down's options without the blank lines between them.
        if name == "concern":
            django = re.sub(r">\s+<", "><", django)
        assert widget_html(field, "form-control") == django, name


def test_a_fields_errors_and_help_are_where_its_aria_describedby_points(case, officer):
    """A screen reader reads what a field's aria-describedby names: every id it
    names is on the page, the errors' among them."""
    from welfare.templatetags.fields import plain_field

    form = visit_form(case, officer, "nobody at all")
    form.data = {**form.data, "minutes": "x"}
    assert not form.is_valid()
    for name in ["volunteer", "minutes"]:
        html = plain_field(form[name])
        described = re.search(r'aria-describedby="([^"]+)"', html)[1].split()
        assert f"{form[name].auto_id}_error" in described, name
        for id_ in described:
            assert f'id="{id_}"' in html, (name, id_)


def test_the_volunteers_suggested_are_written_to_the_access_log(client, officer, office):
    """Typing a name is a search for someone: the people suggested are logged
    as a list's search is; an empty box suggests and logs nobody."""
    from welfare.models import AccessLog

    twins = twin_volunteers(office)
    client.force_login(officer)
    client.get(SUGGESTIONS["volunteers"], {"q": ""})
    assert not AccessLog.objects.exists()
    client.get(SUGGESTIONS["volunteers"], {"q": "siti"})
    logged = AccessLog.objects.filter(user=officer, object_type="suggestions: volunteers")
    assert set(logged.values_list("person", flat=True)) == {t.person_id for t in twins}
