"""Password reset: at most three mails an hour to one account and ten from one
address, the same answer whether or not an account has the address, and the
pages in the site's own look."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from welfare.models import PasswordResetRequest

RESET = "/accounts/password_reset/"
DONE = "/accounts/password_reset/done/"


@pytest.fixture
def officer_with_email(officer):
    officer.email = "rahim@jkm.gov.my"
    officer.save()
    return officer


def ask(client, email, address="10.5.0.1"):
    return client.post(RESET, {"email": email}, REMOTE_ADDR=address)


def test_the_sign_in_page_links_to_the_reset_page_in_the_sites_look(client, db):
    assert 'href="/accounts/password_reset/"' in client.get("/accounts/login/").text
    page = client.get(RESET)
    assert page.status_code == 200
    assert "registration/password_reset_form.html" in [t.name for t in page.templates]
    assert "base.html" in [t.name for t in page.templates]
    assert "Django administration" not in page.text


def test_the_fourth_request_in_an_hour_sends_no_mail(client, officer_with_email):
    for n in range(4):
        response = ask(client, "Rahim@jkm.gov.my", address=f"10.5.0.{n}")
        assert response.status_code == 302 and response.url == DONE
    assert len(mail.outbox) == 3
    # An hour later the account may ask again.
    PasswordResetRequest.objects.update(requested_at=timezone.now() - timedelta(minutes=61))
    ask(client, officer_with_email.email)
    assert len(mail.outbox) == 4


def test_one_address_sends_at_most_ten_an_hour(client, officer_with_email):
    for n in range(10):
        ask(client, f"nobody{n}@example.com")
    ask(client, officer_with_email.email)
    assert mail.outbox == []
    ask(client, officer_with_email.email, address="10.5.9.9")
    assert len(mail.outbox) == 1


def test_the_answer_is_the_same_whether_or_not_the_account_exists(client, officer_with_email):
    known = ask(client, officer_with_email.email)
    unknown = ask(client, "no-account@example.com")
    assert (known.status_code, known.url) == (unknown.status_code, unknown.url) == (302, DONE)
    assert client.get(DONE).status_code == 200
    assert len(mail.outbox) == 1


def test_the_mailed_link_sets_a_new_password_in_the_sites_pages(client, officer_with_email):
    ask(client, officer_with_email.email)
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body)[1]
    form = client.get(link, follow=True)
    assert "registration/password_reset_confirm.html" in [t.name for t in form.templates]
    assert "Set a new password" in form.text
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "kebun-sayur-2026", "new_password2": "kebun-sayur-2026"},
        follow=True,
    )
    assert "Password set" in done.text
    officer_with_email.refresh_from_db()
    assert officer_with_email.check_password("kebun-sayur-2026")
    assert "This link no longer works" in client.get(link, follow=True).text


def test_requests_are_forgotten_after_a_day(db):
    PasswordResetRequest.objects.create(email="a@example.com", ip_address="10.0.0.1")
    PasswordResetRequest.objects.update(requested_at=timezone.now() - timedelta(days=2))
    PasswordResetRequest.objects.create(email="b@example.com", ip_address="10.0.0.1")
    call_command("purge_deleted", stdout=open("/dev/null", "w"))
    assert list(PasswordResetRequest.objects.values_list("email", flat=True)) == ["b@example.com"]
