"""Sign-in: lockout after repeated failures, one message for every failure, password
rules, session lifetimes, sign-out everywhere on a change of office or deactivation,
and the second factor for HQ and administrators."""

import re
import time
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from welfare.middleware import SEEN_AT, SIGNED_IN_AT

LOGIN = "/accounts/login/"


def sign_in(client, username, password="password", **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def signed_in(client):
    return client.get("/").wsgi_request.user.is_authenticated


# --- failures --------------------------------------------------------------------


def test_unknown_user_and_wrong_password_get_the_same_message(client, officer):
    unknown = sign_in(client, "nobody-by-this-name", "password")
    wrong = sign_in(client, officer.username, "wrong-password")
    assert unknown.status_code == wrong.status_code == 200
    assert unknown.context["form"].errors == wrong.context["form"].errors
    assert "Please enter a correct username and password" in wrong.text


@pytest.fixture
def axes_on(settings):
    settings.AXES_ENABLED = True


def test_five_failures_lock_the_user_name_from_that_address_for_15_minutes(
    client, officer, axes_on
):
    for _attempt in range(4):
        assert sign_in(client, officer.username, "wrong").status_code == 200
    assert sign_in(client, officer.username, "wrong").status_code == 429  # the fifth
    locked = sign_in(client, officer.username, "password")
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.text
    assert not signed_in(client)
    # Another address is not locked out (a guesser cannot lock out an officer everywhere).
    assert sign_in(client, officer.username, REMOTE_ADDR="10.0.0.2").status_code == 302
    client.logout()
    # After the cool-off the right password works again.
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert sign_in(client, officer.username).status_code == 302
    assert signed_in(client)


def test_four_failures_then_success_start_the_count_again(client, officer, axes_on):
    for _attempt in range(4):
        sign_in(client, officer.username, "wrong")
    assert sign_in(client, officer.username).status_code == 302
    client.logout()
    for _attempt in range(4):
        sign_in(client, officer.username, "wrong")
    assert sign_in(client, officer.username).status_code == 302


def test_unknown_user_names_are_locked_out_too(client, db, axes_on):
    for _attempt in range(5):
        sign_in(client, "guess", "wrong")
    assert sign_in(client, "guess", "wrong").status_code == 429


def test_force_login_works_with_lockouts_on(client, officer, axes_on):
    client.force_login(officer)
    assert signed_in(client)


def test_a_weak_new_password_is_refused(client, officer):
    client.force_login(officer)
    response = client.post(
        reverse("password_change"),
        {"old_password": "password", "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors["new_password2"]
    assert "This password is too common." in errors
    assert "This password is entirely numeric." in errors
    officer.refresh_from_db()
    assert officer.check_password("password")


# --- sessions --------------------------------------------------------------------


def test_an_idle_session_ends_after_30_minutes(client, officer, settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    client.force_login(officer)
    client.get("/")
    assert client.session.get_expiry_age() == 30 * 60


def test_activity_renews_the_idle_timer_once_a_minute(client, officer):
    client.force_login(officer)
    session = client.session
    session[SEEN_AT] = int(time.time()) - 120
    session.save()
    client.get("/")
    assert client.session[SEEN_AT] >= int(time.time()) - 5


def test_a_sign_in_ends_after_12_hours_however_active(client, officer):
    client.force_login(officer)
    session = client.session
    session[SIGNED_IN_AT] = int(time.time()) - 12 * 3600 - 60
    session.save()
    response = client.get("/homehelp/")
    assert response.status_code == 302
    assert response.url.startswith(LOGIN)
    assert not signed_in(client)


def test_a_sign_in_of_11_hours_is_still_valid(client, officer):
    client.force_login(officer)
    session = client.session
    session[SIGNED_IN_AT] = int(time.time()) - 11 * 3600
    session.save()
    assert client.get("/homehelp/").status_code == 200


@pytest.mark.parametrize(
    "change",
    [
        lambda user, other_office: setattr(user, "office", other_office),
        lambda user, other_office: setattr(user, "is_active", False),
        lambda user, other_office: setattr(user, "state", other_office.state),
    ],
    ids=["moved-to-another-office", "deactivated", "given-a-state"],
)
def test_moving_or_deactivating_a_user_signs_them_out_everywhere(
    client, officer, neighbour_office, change
):
    client.force_login(officer)
    assert client.get("/homehelp/").status_code == 200
    change(officer, neighbour_office)
    officer.save()
    response = client.get("/homehelp/")
    assert response.status_code == 302
    assert response.url.startswith(LOGIN)


def test_other_changes_to_the_user_keep_the_session(client, officer):
    client.force_login(officer)
    officer.language = "ms"
    officer.first_name = "Rahim"
    officer.save()
    assert client.get("/homehelp/").status_code == 200


# --- second factor ---------------------------------------------------------------


@pytest.fixture
def otp_on(settings):
    settings.OTP_REQUIRED_ROLES = ["HQ", "administrator"]


def current_code(device):
    device.refresh_from_db()
    return TOTP(device.bin_key, device.step, device.t0, device.digits).token()


SECOND_FACTOR = "/accounts/second-factor/"


@pytest.mark.parametrize("user_name", ["hq", "administrator"])
def test_hq_and_administrators_set_up_and_confirm_a_second_factor(
    client, request, otp_on, user_name
):
    user = request.getfixturevalue(user_name)
    assert sign_in(client, user.username).status_code == 302
    response = client.get("/reports/")
    assert response.status_code == 302
    assert response.url == f"{SECOND_FACTOR}?next=/reports/"
    page = client.get(response.url)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert "otpauth://totp/" in page.text
    assert page.context["secret"] in page.text
    wrong = client.post(SECOND_FACTOR, {"code": "000000", "next": "/reports/"})
    assert "This code is not right" in wrong.text
    assert client.get("/reports/").status_code == 302
    device.throttle_reset()
    right = client.post(SECOND_FACTOR, {"code": current_code(device), "next": "/reports/"})
    assert right.status_code == 302 and right.url == "/reports/"
    assert client.get("/reports/").status_code == 200
    device.refresh_from_db()
    assert device.confirmed


def test_a_confirmed_device_is_asked_for_a_code_without_showing_the_secret(client, hq, otp_on):
    device = TOTPDevice.objects.create(user=hq, name="phone", confirmed=True)
    client.force_login(hq)
    page = client.get(SECOND_FACTOR)
    assert device.config_url not in page.text
    assert "otpauth://" not in page.text
    response = client.post(SECOND_FACTOR, {"code": current_code(device)})
    assert response.status_code == 302 and response.url == reverse("home")


def test_without_the_second_factor_nothing_is_reachable(client, administrator, otp_on):
    client.force_login(administrator)
    for url in ["/", "/admin/", "/homehelp/cases/export.csv", "/guide/", "/people/1/"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(SECOND_FACTOR), url


def test_an_outside_next_address_is_not_followed(client, hq, otp_on):
    device = TOTPDevice.objects.create(user=hq, name="phone", confirmed=True)
    client.force_login(hq)
    response = client.post(
        SECOND_FACTOR, {"code": current_code(device), "next": "https://evil.example/"}
    )
    assert response.url == reverse("home")


@pytest.mark.parametrize("user_name", ["officer", "state_officer"])
def test_district_and_state_officers_are_not_asked(client, request, otp_on, user_name):
    user = request.getfixturevalue(user_name)
    sign_in(client, user.username)
    response = client.get("/reports/")
    assert response.status_code == 200
    assert not TOTPDevice.objects.exists()


# --- lockouts that cannot be turned against users ----------------------------------


def test_a_colleagues_lockout_from_the_office_address_leaves_the_user_free_elsewhere(
    client, officer, axes_on
):
    for _attempt in range(5):
        sign_in(client, officer.username, "mistyped", REMOTE_ADDR="10.20.0.1")
    assert sign_in(client, officer.username, REMOTE_ADDR="10.20.0.1").status_code == 429
    assert sign_in(client, officer.username, REMOTE_ADDR="10.30.0.7").status_code == 302


def test_50_failures_from_one_address_across_user_names_lock_that_address(client, officer, axes_on):
    for n in range(49):
        assert sign_in(client, f"guess{n}", "wrong", REMOTE_ADDR="10.9.9.9").status_code == 200
    assert sign_in(client, officer.username, REMOTE_ADDR="10.9.9.9").status_code == 302
    client.logout()
    assert sign_in(client, "guess49", "wrong", REMOTE_ADDR="10.9.9.9").status_code == 429
    # Now every user name is locked from that address, the right password too...
    assert sign_in(client, officer.username, REMOTE_ADDR="10.9.9.9").status_code == 429
    assert sign_in(client, "someone-else", "wrong", REMOTE_ADDR="10.9.9.9").status_code == 429
    # ...and from anywhere else nobody is.
    assert sign_in(client, officer.username, REMOTE_ADDR="10.9.9.8").status_code == 302


def page_text(response):
    """The page without its CSRF tokens, which differ on every page."""
    return re.sub(r'value="[^"]{64}"', "", response.text)


def test_the_lockout_page_does_not_tell_whether_the_user_exists(client, officer, axes_on):
    for _attempt in range(5):
        sign_in(client, officer.username, "wrong", REMOTE_ADDR="10.1.0.1")
        sign_in(client, "no-such-user", "wrong", REMOTE_ADDR="10.1.0.2")
    known = sign_in(client, officer.username, "wrong", REMOTE_ADDR="10.1.0.1")
    unknown = sign_in(client, "no-such-user", "wrong", REMOTE_ADDR="10.1.0.2")
    assert known.status_code == unknown.status_code == 429
    assert page_text(known) == page_text(unknown)
    assert officer.username not in known.text


def test_an_administrator_sees_and_lifts_a_lockout_in_the_admin(
    client, officer, administrator, axes_on
):
    for _attempt in range(5):
        sign_in(client, officer.username, "wrong", REMOTE_ADDR="10.4.4.4")
    assert sign_in(client, officer.username, REMOTE_ADDR="10.4.4.4").status_code == 429
    admin = Client()
    admin.force_login(administrator)
    listing = admin.get("/admin/axes/accessattempt/?q=10.4.4.4")
    assert listing.status_code == 200
    assert officer.username in listing.text
    attempt = AccessAttempt.objects.get(username=officer.username)
    response = admin.post(
        "/admin/axes/accessattempt/",
        {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    assert sign_in(client, officer.username, REMOTE_ADDR="10.4.4.4").status_code == 302


@pytest.mark.parametrize("path", [LOGIN, "/admin/login/"])
def test_a_user_name_over_255_characters_answers_the_form(client, db, axes_on, path):
    response = client.post(path, {"username": "a" * 300, "password": "x"})
    assert response.status_code == 200
    assert "correct username and password" in response.text
    assert AccessAttempt.objects.get().username == "a" * 255


def test_a_user_name_with_a_nul_character_answers_the_form(client, db, axes_on):
    response = client.post(LOGIN, {"username": "rah\x00im", "password": "x"})
    assert response.status_code == 200
    assert "Null characters are not allowed" in response.text
