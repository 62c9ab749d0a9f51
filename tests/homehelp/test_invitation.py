"""A district officer invites a trained, active volunteer of the office; the
one-time link (and its QR code) lets the volunteer choose a password."""

import re
from datetime import date

import pytest

from homehelp.models import Volunteer
from tests.factories import VolunteerFactory
from welfare.models import Role, User


@pytest.fixture
def volunteer(office):
    return VolunteerFactory(office=office, person__name="Siti Aminah binti Hassan")


def invite(client, volunteer, email=""):
    response = client.post(f"/homehelp/volunteers/{volunteer.pk}/invite/", {"email": email})
    assert response.status_code == 200, response.content
    volunteer.refresh_from_db()
    return re.search(r'href="(http://testserver/homehelp/join/[^"]+)"', response.text)[1]


def test_officer_invites_a_volunteer_with_a_link_and_a_qr_code(client, officer, volunteer):
    client.force_login(officer)
    response = client.post(
        f"/homehelp/volunteers/{volunteer.pk}/invite/", {"email": "siti@example.my"}
    )
    assert response.status_code == 200
    assert "/homehelp/join/" in response.text and '<svg class="qr-code"' in response.text
    volunteer.refresh_from_db()
    user = volunteer.user
    assert user.username == f"siti.{volunteer.pk}" and user.email == "siti@example.my"
    assert user.role_names == {Role.VOLUNTEER} and not user.has_usable_password()
    assert volunteer.person.mykad not in response.text


@pytest.mark.parametrize("role", ["state_officer", "hq"])
def test_a_read_only_role_cannot_invite_a_volunteer(client, request, volunteer, role):
    """State officers and HQ see the volunteer but keep no records: no account
    and no link are made for them."""
    client.force_login(request.getfixturevalue(role))
    response = client.post(f"/homehelp/volunteers/{volunteer.pk}/invite/", {"email": "a@b.my"})
    assert response.status_code == 403
    assert "/homehelp/join/" not in response.text
    volunteer.refresh_from_db()
    assert volunteer.user is None


def test_the_volunteer_sets_a_password_and_lands_on_the_phone_page(client, officer, volunteer):
    client.force_login(officer)
    link = invite(client, volunteer)
    client.logout()
    assert client.get(link).status_code == 200
    password = "kampung-baru-2026"
    response = client.post(link, {"new_password1": password, "new_password2": password})
    assert response.status_code == 302 and response.url == "/homehelp/my/"
    assert client.get("/homehelp/my/").status_code == 200
    client.logout()
    assert client.login(username=volunteer.user.username, password=password)


def test_a_used_link_does_not_work_again(client, officer, volunteer):
    client.force_login(officer)
    link = invite(client, volunteer)
    client.logout()
    client.post(link, {"new_password1": "kampung-baru-2026", "new_password2": "kampung-baru-2026"})
    client.logout()
    response = client.post(
        link, {"new_password1": "other-pass-2026", "new_password2": "other-pass-2026"}
    )
    assert response.status_code == 400 and "does not work" in response.text
    assert client.login(username=volunteer.user.username, password="kampung-baru-2026")


def test_an_expired_link_does_not_work(client, officer, volunteer, settings):
    client.force_login(officer)
    link = invite(client, volunteer)
    client.logout()
    settings.PASSWORD_RESET_TIMEOUT = -1  # every link is older than that
    response = client.get(link)
    assert response.status_code == 400
    volunteer.user.refresh_from_db()
    assert not volunteer.user.has_usable_password()


def test_a_new_invitation_replaces_the_old_link(client, officer, volunteer):
    client.force_login(officer)
    first = invite(client, volunteer)
    second = invite(client, volunteer)
    assert User.objects.filter(volunteer=volunteer).count() == 1
    client.logout()
    assert client.get(first).status_code == 400
    assert client.get(second).status_code == 200


def test_untrained_or_inactive_volunteers_are_not_invited(client, officer, office):
    client.force_login(officer)
    for volunteer in [
        VolunteerFactory(office=office, trained_on=None),
        VolunteerFactory(office=office, active=False),
        VolunteerFactory(office=office, trained_on=date(2999, 1, 1)),
    ]:
        response = client.post(f"/homehelp/volunteers/{volunteer.pk}/invite/")
        assert response.status_code == 302
        volunteer.refresh_from_db()
        assert volunteer.user is None


def test_other_offices_and_read_only_roles_cannot_invite(
    client, volunteer, neighbour_officer, state_officer
):
    client.force_login(neighbour_officer)
    assert client.post(f"/homehelp/volunteers/{volunteer.pk}/invite/").status_code == 404
    client.force_login(state_officer)
    assert client.post(f"/homehelp/volunteers/{volunteer.pk}/invite/").status_code == 403
    volunteer.refresh_from_db()
    assert volunteer.user is None


def test_a_made_up_link_does_not_work(client, db):
    assert client.get("/homehelp/join/MQ/abc-123/").status_code == 400
    assert client.get("/homehelp/join/!!/abc-123/").status_code == 400


def deactivate(volunteer):
    volunteer.user.is_active = False
    volunteer.user.save()


def take_the_volunteer_role_away(volunteer):
    volunteer.user.groups.clear()


def unlink_the_account(volunteer):
    Volunteer.objects.filter(pk=volunteer.pk).update(user=None)


@pytest.mark.parametrize("change", [deactivate, take_the_volunteer_role_away, unlink_the_account])
def test_a_link_sets_only_the_password_of_an_active_volunteers_account(
    client, officer, volunteer, change
):
    """The token says nothing of the account's state or role: the link checks
    them, so an account deactivated, or no longer a volunteer's, since the
    invitation gets no password from it."""
    client.force_login(officer)
    link = invite(client, volunteer)
    user = volunteer.user
    change(volunteer)
    client.logout()
    assert client.get(link).status_code == 400
    response = client.post(link, {"new_password1": "kampung-2026", "new_password2": "kampung-2026"})
    assert response.status_code == 400 and "does not work" in response.text
    user.refresh_from_db()
    assert not user.has_usable_password()
    assert "_auth_user_id" not in client.session


def test_a_new_invitation_keeps_the_account_and_its_address(client, officer, volunteer):
    """Inviting again (a lost link) makes no second account, and without an
    address keeps the one given before; the account carries the volunteer's name."""
    client.force_login(officer)
    invite(client, volunteer, email="siti@example.my")
    user = volunteer.user
    invite(client, volunteer)
    volunteer.refresh_from_db()
    assert volunteer.user == user
    user.refresh_from_db()
    assert (user.email, user.first_name) == ("siti@example.my", "Siti Aminah binti Hassan")
    assert user.username == f"siti.{volunteer.pk}"
    volunteer.invite()  # no address given: the one on the account stays
    user.refresh_from_db()
    assert user.email == "siti@example.my"


def test_a_new_invitation_stops_the_password_set_before(client, officer, volunteer):
    client.force_login(officer)
    link = invite(client, volunteer)
    client.logout()
    client.post(link, {"new_password1": "kampung-baru-2026", "new_password2": "kampung-baru-2026"})
    client.logout()
    client.force_login(officer)
    invite(client, volunteer)
    client.logout()
    assert not client.login(username=volunteer.user.username, password="kampung-baru-2026")
    assert volunteer.user.is_active and volunteer.user.role_names == {Role.VOLUNTEER}


def test_an_account_deactivated_is_active_again_when_invited(client, officer, volunteer):
    client.force_login(officer)
    invite(client, volunteer)
    User.objects.filter(pk=volunteer.user_id).update(is_active=False)
    invite(client, volunteer)
    volunteer.user.refresh_from_db()
    assert volunteer.user.is_active


@pytest.mark.parametrize(
    ("name", "taken", "expected"),
    [
        ("Siti Aminah", [], "siti.{pk}"),
        ("Siti Aminah", ["siti.{pk}"], "siti.{pk}.2"),
        ("Siti Aminah", ["siti.{pk}", "siti.{pk}.2"], "siti.{pk}.3"),
        ("陈美玲", [], "volunteer.{pk}"),  # nothing of the name is typed as ASCII
        ("陈美玲", ["volunteer.{pk}"], "volunteer.{pk}.2"),
        ("   ", [], "volunteer.{pk}"),
    ],
)
def test_the_username_is_the_first_name_and_the_records_number(office, name, taken, expected):
    volunteer = VolunteerFactory(office=office, person__name=name)
    for username in taken:
        User.objects.create(username=username.format(pk=volunteer.pk))
    assert volunteer.free_username() == expected.format(pk=volunteer.pk)
