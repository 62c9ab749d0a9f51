"""The client's address, for lockouts, the audit trail and the access log, comes
from X-Forwarded-For only when the request arrives from a trusted proxy."""

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from tests.factories import PersonFactory
from welfare.apps import check_settings
from welfare.models import AccessLog

LOGIN = "/accounts/login/"
PROXY = "10.0.0.1"


@pytest.fixture
def behind_proxy(settings):
    settings.BEHIND_PROXY = True
    settings.TRUSTED_PROXIES = [PROXY, "10.8.0.0/24"]
    settings.AXES_ENABLED = True


def sign_in(client, username, password="password", **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def test_forged_forwarded_for_from_an_untrusted_address_is_ignored(client, officer, behind_proxy):
    for n in range(12):
        sign_in(
            client,
            officer.username,
            "wrong",
            REMOTE_ADDR="198.51.100.7",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
        )
    response = sign_in(
        client, officer.username, REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="203.0.113.99"
    )
    assert response.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.7"}


@pytest.mark.parametrize(
    "forwarded,client_address",
    [
        ("203.0.113.5", "203.0.113.5"),
        ("6.6.6.6, 203.0.113.5", "203.0.113.5"),  # the first entry is the client's word
        ("6.6.6.6, 203.0.113.5, 10.8.0.3", "203.0.113.5"),  # two trusted proxies
        ("not-an-address", PROXY),
        ("", PROXY),
    ],
)
def test_through_a_trusted_proxy_the_client_is_the_last_untrusted_hop(
    client, officer, office, behind_proxy, forwarded, client_address
):
    person = PersonFactory(office=office)
    client.force_login(officer)
    client.get(person.get_absolute_url(), REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)
    assert AccessLog.objects.get().ip_address == client_address


def test_the_audit_trail_keeps_the_real_address_not_a_forged_one(
    client, officer, office, behind_proxy
):
    person = PersonFactory(office=office)
    client.force_login(officer)
    client.post(
        reverse("person-edit", args=[person.pk]),
        {"name": "Renamed", "version": person.version, "mykad": person.mykad},
        REMOTE_ADDR="198.51.100.7",
        HTTP_X_FORWARDED_FOR="203.0.113.1",
    )
    assert person.history.latest("history_date").ip_address == "198.51.100.7"


def test_without_behind_proxy_forwarded_for_is_never_read(client, officer, office, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    person = PersonFactory(office=office)
    client.force_login(officer)
    client.get(person.get_absolute_url(), HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert AccessLog.objects.get().ip_address == "127.0.0.1"


def test_behind_proxy_without_trusted_proxies_fails_the_system_check(settings):
    settings.BEHIND_PROXY = True
    settings.TRUSTED_PROXIES = []
    assert "welfare.E004" in {error.id for error in check_settings(None)}
    settings.TRUSTED_PROXIES = ["10.0.0.1", "10.1.0.0/16"]
    assert not {"welfare.E004", "welfare.E005"} & {error.id for error in check_settings(None)}
    settings.TRUSTED_PROXIES = ["10.0.0.1", "proxy.example"]
    assert "welfare.E005" in {error.id for error in check_settings(None)}
