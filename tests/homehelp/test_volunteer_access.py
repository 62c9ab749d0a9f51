"""A volunteer's account: exactly the cases assigned to it now, on the phone page,
and nothing of the office; never a MyKad. Every URL pattern is walked."""

import re
from datetime import date, timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from homehelp.models import Case
from tests.factories import (
    CaseFactory,
    ParticipationFactory,
    PersonFactory,
    VisitFactory,
    VolunteerFactory,
    make_mykad,
)
from welfare.models import Person
from welfare.mykad import format_mykad, mask_mykad

# Pages a volunteer's account opens: its phone page (and its service worker),
# the home page that sends it there, and what anyone may open signed out.
PHONE_PAGES = {
    "homehelp:my",
    "homehelp:my-case",
    "homehelp:my-visit-create",
    "homehelp:my-service-worker",
    "home",
}
PUBLIC = {"about", "login", "stats", "health", "password_reset", "password_reset_done",
          "password_reset_confirm", "password_reset_complete", "homehelp:join",
          "stats-editions", "stats-edition", "stats-edition-csv", "stats-edition-json"}  # fmt: skip
ACCOUNT = {"logout", "password_change", "password_change_done", "set_language"}


@pytest.fixture
def world(office, far_office, volunteer_user):
    me = volunteer_user.volunteer
    other = VolunteerFactory(office=office, person__name="Other Volunteer")
    mine = CaseFactory(
        office=office,
        volunteer=me,
        client=PersonFactory(
            name="Mak Minah", address="Lot 12, Kampung Baru", phone="012-345 6789",
            mykad=make_mykad(7001, born=date(1945, 4, 4)), date_of_birth=date(1945, 4, 4),
        ),
    )  # fmt: skip
    theirs = CaseFactory(office=office, volunteer=other, client__name="Pak Other")
    far = CaseFactory(office=far_office, client__name="Far Client", client__office=far_office)
    visit = VisitFactory(case=mine, volunteer=me, visited_on=date.today() - timedelta(days=3))
    other_visit = VisitFactory(case=theirs, volunteer=other)
    participation = ParticipationFactory(person__name="Peserta Projek")
    return {
        "me": me, "other": other, "mine": mine, "theirs": theirs, "far": far,
        "visit": visit, "other_visit": other_visit, "participation": participation,
    }  # fmt: skip


def every_mykad():
    """Each MyKad recorded, in each form a page could print it."""
    for mykad in Person.all_objects.exclude(mykad="").values_list("mykad", flat=True):
        yield from (mykad, format_mykad(mykad), mask_mykad(mykad))


def assert_no_mykad(text):
    for form in every_mykad():
        assert form not in text, form


def url_patterns(patterns=None, prefix="", namespace=""):
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from url_patterns(entry.url_patterns, route, inner)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name}", route


def concrete(route, pk):
    """A URL of the route, with `pk` for each number and plausible other parts."""
    url = re.sub(r"\(\?P<file_format>[^)]*\)", "csv", route)
    url = re.sub(r"\(\?P<\w+>[^)]*\)", str(pk), url)
    url = re.sub(r"<int:\w+>", str(pk), url)
    url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: "MQ" if m[1] == "uidb64" else "set-password", url)
    url = url.replace("^", "").replace("$", "").replace("\\Z", "").replace("\\", "")
    return "/" + url


@pytest.mark.slow
def test_a_volunteer_reaches_nothing_but_the_phone_page(client, world, volunteer_user):
    client.force_login(volunteer_user)
    ids = {world[key].pk for key in ["mine", "theirs", "far", "visit", "other_visit"]}
    ids |= {world["me"].pk, world["other"].pk, world["participation"].pk}
    ids |= {world["mine"].client_id, world["participation"].project_id}
    walked = 0
    for name, route in url_patterns():
        for pk in sorted(ids) if "<int:" in route or "(?P<" in route else [None]:
            url = concrete(route, pk)
            for method in ("get", "post"):
                if name == "logout" and method == "post":
                    continue  # would end the walk
                response = getattr(client, method)(url)
                text = response.content.decode(errors="replace")
                assert_no_mykad(text)
                walked += 1
                if name in PHONE_PAGES or name in PUBLIC or name in ACCOUNT:
                    continue
                assert response.status_code in (403, 404), (method, url, response.status_code)
    assert walked > 500
    assert client.get("/homehelp/my/").status_code == 200  # signed in throughout


def test_the_phone_pages_answer_only_for_the_assigned_case(client, world, volunteer_user):
    client.force_login(volunteer_user)
    assert client.get(f"/homehelp/my/cases/{world['mine'].pk}/").status_code == 200
    for case in [world["theirs"], world["far"]]:
        response = client.get(f"/homehelp/my/cases/{case.pk}/")
        assert response.status_code == 404
        assert case.client.name not in response.text
        response = client.post(f"/homehelp/my/cases/{case.pk}/visits/", visit_data())
        assert response.status_code == 404
    assert client.get("/").url == "/homehelp/my/"


def test_officers_have_no_phone_page(client, world, officer):
    client.force_login(officer)
    assert client.get("/homehelp/my/").status_code == 404
    assert client.get(f"/homehelp/my/cases/{world['mine'].pk}/").status_code == 404


def test_the_phone_page_shows_name_address_phone_never_the_mykad(client, world, volunteer_user):
    client.force_login(volunteer_user)
    for url in ["/homehelp/my/", f"/homehelp/my/cases/{world['mine'].pk}/"]:
        text = client.get(url).text
        assert "Mak Minah" in text and "Lot 12, Kampung Baru" in text
        assert "Pak Other" not in text and "Far Client" not in text
        assert_no_mykad(text)
    assert "012-345 6789" in client.get(f"/homehelp/my/cases/{world['mine'].pk}/").text


def test_a_volunteer_sees_only_the_clients_assigned_now(world, volunteer_user):
    assert list(Person.objects.visible_to(volunteer_user)) == [world["mine"].client]
    assert list(Case.objects.visible_to(volunteer_user)) == [world["mine"]]


def visit_data(**extra):
    from homehelp.models import Service

    return {
        "visited_on": date.today().isoformat(),
        "minutes": 45,
        "services": Service.objects.get(code="companionship").pk,
        **extra,
    }


def test_reassignment_ends_access_at_once(client, world, volunteer_user):
    client.force_login(volunteer_user)
    mine = world["mine"]
    assert client.get(f"/homehelp/my/cases/{mine.pk}/").status_code == 200
    mine.volunteer = world["other"]
    mine.save()
    assert client.get(f"/homehelp/my/cases/{mine.pk}/").status_code == 404
    assert "Mak Minah" not in client.get("/homehelp/my/").text


def test_deactivation_ends_access_at_once(client, world, volunteer_user):
    client.force_login(volunteer_user)
    me = world["me"]
    me.active = False
    me.save()
    assert client.get(f"/homehelp/my/cases/{world['mine'].pk}/").status_code == 404
    text = client.get("/homehelp/my/").text
    assert "Mak Minah" not in text and "not active" in text


@pytest.mark.parametrize("status", [Case.Status.SUSPENDED, Case.Status.CLOSED])
def test_suspended_and_closed_cases_are_not_shown(client, world, volunteer_user, status):
    client.force_login(volunteer_user)
    Case.objects.filter(pk=world["mine"].pk).update(
        status=status, closed_on=date.today(), close_reason="moved"
    )
    assert client.get(f"/homehelp/my/cases/{world['mine'].pk}/").status_code == 404


def test_a_volunteer_whose_account_is_switched_off_is_signed_out(client, world, volunteer_user):
    client.force_login(volunteer_user)
    volunteer_user.is_active = False
    volunteer_user.save()
    response = client.get("/homehelp/my/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_an_officer_account_given_the_volunteer_role_loses_the_office(client, world, officer):
    from django.contrib.auth.models import Group

    officer.groups.add(Group.objects.get(name="Volunteer"))
    client.force_login(officer)
    assert client.get("/homehelp/cases/").status_code == 403
    assert not Case.objects.visible_to(officer).exists()
