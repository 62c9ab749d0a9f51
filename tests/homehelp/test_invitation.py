"""A district officer invites a trained, active volunteer of the office; the
one-time link (and its QR code) lets the volunteer choose a password."""

import re
from datetime import date

import pytest

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
