"""The fixed cast: officers of three offices (two in Selangor, one in Kelantan),
state officers of both states, HQ, an administrator and a user with no role."""

import pytest

from tests.factories import UserFactory
from welfare.models import Office, Role, State


@pytest.fixture(autouse=True)
def _test_settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.SECURE_SSL_REDIRECT = False  # the test client and live server speak plain HTTP
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def office(db):
    return Office.objects.get(code="PKMD-1005")  # Petaling, Selangor


@pytest.fixture
def neighbour_office(db):
    return Office.objects.get(code="PKMD-1001")  # Gombak, Selangor


@pytest.fixture
def far_office(db):
    return Office.objects.get(code="PKMD-0302")  # Kota Bharu, Kelantan


@pytest.fixture
def officer(office):
    return UserFactory(username="rahim", office=office, role=Role.DISTRICT_OFFICER)


@pytest.fixture
def neighbour_officer(neighbour_office):
    return UserFactory(username="mei", office=neighbour_office, role=Role.DISTRICT_OFFICER)


@pytest.fixture
def far_officer(far_office):
    return UserFactory(username="nurul", office=far_office, role=Role.DISTRICT_OFFICER)


@pytest.fixture
def state_officer(office):
    return UserFactory(username="siti", state=office.state, role=Role.STATE_OFFICER)


@pytest.fixture
def far_state_officer(far_office):
    return UserFactory(username="aziz", state=far_office.state, role=Role.STATE_OFFICER)


@pytest.fixture
def hq(db):
    return UserFactory(username="hafiz", role=Role.HQ)


@pytest.fixture
def administrator(db):
    return UserFactory(username="aminah", is_superuser=True, is_staff=True)


@pytest.fixture
def no_role_user(db):
    return UserFactory(username="nobody")


@pytest.fixture
def selangor(db):
    return State.objects.get(code="MY-10")
