"""Sign-in: lockout after repeated failures, one message for every failure, password
rules, session lifetimes, sign-out everywhere on a change of office or deactivation,
and the second factor for HQ and administrators."""

import re
import time
from datetime import timedelta
from html import escape

import pytest
from axes.models import AccessAttempt
from django.contrib.admin.models import LogEntry
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from welfare.middleware import SEEN_AT, SIGNED_IN_AT
from welfare.models import SecondFactorEnrolment

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


def as_if_a_step_passed(device):
    """A TOTP code is accepted once: the next one the tests type is "30 seconds later"."""
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)


SECOND_FACTOR = "/accounts/second-factor/"
NEW_APP = "/accounts/second-factor/new-app/"


def shows_a_key(page):
    return "otpauth://" in page.text or 'id="otp-secret"' in page.text


@pytest.mark.parametrize("user_name", ["hq", "administrator"])
def test_without_an_issued_enrolment_no_key_is_shown(client, request, otp_on, user_name):
    """Whoever has only the password cannot take the second factor."""
    user = request.getfixturevalue(user_name)
    assert sign_in(client, user.username).status_code == 302
    response = client.get("/reports/")
    assert response.url == f"{SECOND_FACTOR}?next=/reports/"
    page = client.get(response.url)
    assert not shows_a_key(page)
    assert "Ask an administrator to issue you a second-factor enrolment" in page.text
    assert page.context["form"] is None
    assert not TOTPDevice.objects.exists()
    client.post(SECOND_FACTOR, {"code": "123456", "next": "/reports/"})
    assert client.get("/reports/").status_code == 302


@pytest.mark.parametrize("user_name", ["hq", "administrator"])
def test_an_issued_enrolment_shows_the_key_once_to_its_user_and_confirms_with_a_code(
    client, request, administrator, otp_on, user_name
):
    user = request.getfixturevalue(user_name)
    enrolment = SecondFactorEnrolment.objects.issue(user, by=administrator)
    assert sign_in(client, user.username).status_code == 302
    page = client.get(f"{SECOND_FACTOR}?next=/reports/")
    device = enrolment.device
    assert escape(device.config_url) in page.text
    assert page.context["secret"] in page.text
    assert 'src="data:image/svg+xml;base64,' in page.text  # the QR code, drawn here
    again = client.get(f"{SECOND_FACTOR}?next=/reports/")
    assert not shows_a_key(again)
    assert "The key was shown once" in again.text
    wrong = client.post(SECOND_FACTOR, {"code": "000000", "next": "/reports/"})
    assert "This code is not right" in wrong.text
    assert not shows_a_key(wrong)
    assert client.get("/reports/").status_code == 302
    device.throttle_reset()
    right = client.post(SECOND_FACTOR, {"code": current_code(device), "next": "/reports/"})
    assert right.status_code == 302 and right.url == "/reports/"
    assert client.get("/reports/").status_code == 200
    device.refresh_from_db()
    enrolment.refresh_from_db()
    assert device.confirmed and enrolment.confirmed_at is not None


def test_a_used_enrolment_shows_nothing_and_confirms_nothing_again(client, hq, otp_on):
    enrolment = SecondFactorEnrolment.objects.issue(hq, by=None)
    sign_in(client, hq.username)
    client.get(SECOND_FACTOR)
    assert client.post(SECOND_FACTOR, {"code": current_code(enrolment.device)}).status_code == 302
    client.post(reverse("logout"))
    as_if_a_step_passed(enrolment.device)
    assert not enrolment.confirm(current_code(enrolment.device))
    sign_in(client, hq.username)
    page = client.get(SECOND_FACTOR)
    assert not shows_a_key(page)
    assert "Type the six-digit code your authenticator app shows" in page.text


def test_an_expired_enrolment_shows_nothing_and_confirms_nothing(client, hq, otp_on):
    enrolment = SecondFactorEnrolment.objects.issue(hq, by=None)
    sign_in(client, hq.username)
    client.get(SECOND_FACTOR)  # shown...
    SecondFactorEnrolment.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    page = client.get(SECOND_FACTOR)  # ...then lapsed
    assert not shows_a_key(page)
    assert "Ask an administrator" in page.text
    client.post(SECOND_FACTOR, {"code": current_code(enrolment.device)})
    assert client.get("/reports/").status_code == 302
    enrolment.device.refresh_from_db()
    assert not enrolment.device.confirmed


def test_an_enrolment_lapses_after_the_days_set(hq, settings):
    settings.OTP_ENROLMENT_DAYS = 2
    enrolment = SecondFactorEnrolment.objects.issue(hq, by=None)
    assert timedelta(days=2) - (enrolment.expires_at - timezone.now()) < timedelta(minutes=1)


def test_another_user_cannot_use_an_enrolment(client, hq, administrator, otp_on):
    enrolment = SecondFactorEnrolment.objects.issue(hq, by=administrator)
    sign_in(client, administrator.username)
    page = client.get(SECOND_FACTOR)
    assert not shows_a_key(page)
    assert enrolment.device.config_url not in page.text
    client.post(SECOND_FACTOR, {"code": current_code(enrolment.device)})
    assert client.get("/admin/").status_code == 302
    enrolment.refresh_from_db()
    assert enrolment.shown_at is None and enrolment.confirmed_at is None


def test_an_administrator_issues_an_enrolment_from_the_users_list(client, administrator, hq):
    client.force_login(administrator)
    response = client.post(
        "/admin/welfare/user/",
        {"action": "issue_second_factor_enrolment", "_selected_action": [hq.pk]},
        follow=True,
    )
    enrolment = SecondFactorEnrolment.objects.get(user=hq)
    assert enrolment.issued_by == administrator
    assert "Enrolment issued to hafiz" in response.text
    assert enrolment.device.key not in response.text  # the administrator never sees the key
    assert LogEntry.objects.filter(object_id=str(hq.pk)).exists()
    # A second enrolment replaces the first, unfinished one.
    client.post(
        "/admin/welfare/user/",
        {"action": "issue_second_factor_enrolment", "_selected_action": [hq.pk]},
    )
    assert SecondFactorEnrolment.objects.get(user=hq).pk != enrolment.pk
    assert TOTPDevice.objects.filter(user=hq).count() == 1


def test_the_admin_shows_no_device_key_and_adds_no_device(client, administrator, hq):
    device = TOTPDevice.objects.create(user=hq, name="phone", confirmed=True)
    client.force_login(administrator)
    for url in [
        "/admin/otp_totp/totpdevice/",
        f"/admin/otp_totp/totpdevice/{device.pk}/change/",
        "/admin/welfare/secondfactorenrolment/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert device.key not in response.text, url
    assert client.get("/admin/otp_totp/totpdevice/add/").status_code == 403
    config = client.get(f"/admin/otp_totp/totpdevice/{device.pk}/config/", follow=True)
    assert device.key not in config.text and "otpauth://" not in config.text


def test_a_confirmed_device_is_asked_for_a_code_without_showing_the_secret(client, hq, otp_on):
    device = TOTPDevice.objects.create(user=hq, name="phone", confirmed=True)
    client.force_login(hq)
    page = client.get(SECOND_FACTOR)
    assert device.config_url not in page.text
    assert "otpauth://" not in page.text
    response = client.post(SECOND_FACTOR, {"code": current_code(device)})
    assert response.status_code == 302 and response.url == reverse("home")


def test_a_signed_in_user_moves_their_second_factor_to_a_new_app(client, hq, otp_on):
    old = TOTPDevice.objects.create(user=hq, name="old phone", confirmed=True)
    client.force_login(hq)
    client.post(SECOND_FACTOR, {"code": current_code(old)})
    assert "Authenticator app" in client.get("/reports/").text  # the menu links the page
    as_if_a_step_passed(old)
    wrong = client.post(NEW_APP, {"code": "000000"})
    assert "This code is not right" in wrong.text
    assert not SecondFactorEnrolment.objects.exists()
    old.throttle_reset()
    response = client.post(NEW_APP, {"code": current_code(old)})
    assert response.status_code == 302 and response.url == SECOND_FACTOR
    enrolment = SecondFactorEnrolment.objects.get(user=hq)
    assert enrolment.issued_by == hq
    page = client.get(SECOND_FACTOR)
    assert escape(enrolment.device.config_url) in page.text
    confirmed = client.post(SECOND_FACTOR, {"code": current_code(enrolment.device)})
    assert confirmed.status_code == 302
    assert list(TOTPDevice.objects.filter(user=hq)) == [enrolment.device]  # the old one is gone
    assert client.get("/reports/").status_code == 200


def test_until_the_new_app_is_confirmed_the_current_one_signs_in(client, hq, otp_on):
    old = TOTPDevice.objects.create(user=hq, name="old phone", confirmed=True)
    enrolment = SecondFactorEnrolment.objects.issue(hq, by=None)
    sign_in(client, hq.username)
    client.get(SECOND_FACTOR)  # the new key, shown and not added
    page = client.get(SECOND_FACTOR)
    assert "a code from your current app signs you in" in page.text
    response = client.post(SECOND_FACTOR, {"code": current_code(old)})
    assert response.status_code == 302
    assert client.get("/reports/").status_code == 200
    assert TOTPDevice.objects.filter(pk=old.pk, confirmed=True).exists()
    enrolment.refresh_from_db()
    assert enrolment.confirmed_at is None


def test_replacing_an_app_needs_a_signed_in_app(client, officer):
    client.force_login(officer)
    page = client.get(NEW_APP)
    assert page.context["form"] is None
    assert "ask an administrator" in page.text
    client.post(NEW_APP, {"code": "123456"})
    assert not SecondFactorEnrolment.objects.exists()


def test_without_the_second_factor_nothing_is_reachable(client, administrator, otp_on):
    client.force_login(administrator)
    for url in ["/", "/admin/", "/homehelp/cases/export.csv", "/guide/", "/people/1/", NEW_APP]:
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


def test_a_user_name_with_a_nul_character_is_refused_before_any_sign_in(client, db, axes_on):
    """welfare.middleware refuses control characters in every field, this one too."""
    response = client.post(LOGIN, {"username": "rah\x00im", "password": "x"})
    assert response.status_code == 400
    assert not AccessAttempt.objects.exists()
