"""The fixed cast: officers of three offices (two in Selangor, one in Kelantan),
state officers of both states, HQ, an administrator and a user with no role."""

import html

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import translation

from tests.factories import UserFactory
from welfare.models import Office, Role, State

# The cast by what their role may do with an office's records (fixture names below).
KEEPERS = ["officer", "administrator"]  # keep their office's (any office's) records
READ_ONLY = ["state_officer", "hq"]  # read their state's (every) office's records, change nothing
OUTSIDERS = ["neighbour_officer", "far_officer", "far_state_officer", "no_role_user"]


def signed_in_as(user):
    """A client of its own, signed in as `user`: for tests with two users at once."""
    client = Client()
    client.force_login(user)
    return client


def assert_error_beside(response, field, message, *, form="form"):
    """The page came back with its form, this message under this field, and no
    error for the form as a whole."""
    assert response.status_code == 200
    bound = response.context[form]
    assert message in " ".join(bound.errors.get(field, [])), bound.errors
    assert not bound.non_field_errors(), bound.errors
    assert message in html.unescape(response.text)


def _transactional(item):
    marker = item.get_closest_marker("django_db")
    fixtures = set(getattr(item, "fixturenames", ()))
    return bool({"transactional_db", "live_server"} & fixtures) or bool(
        marker and marker.kwargs.get("transaction")
    )


def pytest_itemcollected(item):
    """Marked as collected, so that `-m "not browser"` leaves them out."""
    if "tests/browser/" in str(item.path):
        item.add_marker(pytest.mark.browser)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Tests that commit (live server, threads) run after the others, and browser
    tests last: each ends by emptying the database. pytest-django orders them so,
    but pytest's grouping by Playwright's session-wide browser parameter can undo it.
    (Under pytest-xdist each worker keeps this order among the tests it is given.)"""
    browser = [item for item in items if item.get_closest_marker("browser")]
    committing = [item for item in items if _transactional(item) and item not in browser]
    first = [item for item in items if item not in browser and item not in committing]
    items[:] = first + committing + browser


@pytest.fixture(autouse=True)
def _test_settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.SECURE_SSL_REDIRECT = False  # the test client and live server speak plain HTTP
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Sign-in hardening is tested in tests/security, which turns these back on:
    # lockouts would stop tests that sign in many times, and a second factor the
    # tests that sign in as HQ or an administrator.
    settings.AXES_ENABLED = False
    settings.OTP_REQUIRED_ROLES = []
    # The public statistics are kept in the process's cache: each test starts without.
    cache.clear()
    # A request in Malay leaves Malay active in the thread (LocaleMiddleware does not
    # put the language back): each test starts in the default language.
    translation.deactivate()


_migrated_data = []
_db_blocker = []


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """A copy of what the migrations loaded (states, offices, roles, services...),
    taken before any test can change it."""
    from django.db import connection

    _db_blocker.append(django_db_blocker)
    with django_db_blocker.unblock():
        if not State.objects.exists():
            pytest.exit(
                "The kept test database has lost the data its migrations load "
                "(emptied by a run before tests put it back): run once with --create-db.",
                returncode=3,
            )
        _migrated_data.append(connection.creation.serialize_db_to_string())
    yield
    # The last test may have been transactional: a kept database (--reuse-db) is
    # left whole for the next run.
    with django_db_blocker.unblock():
        _restore_migrated_data()


@pytest.fixture(autouse=True)
def _migrated_data_restored(request):
    """Transactional tests (live server, threads) end with a flush that erases the
    data the migrations loaded; it is put back before each of them. Django's
    serialized_rollback would do this, but loses its copy when Playwright's event
    loop changes the context of the database connection."""
    if not _transactional(request.node):
        yield
        return
    request.getfixturevalue("transactional_db")
    _restore_migrated_data()
    yield


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After a transactional test's flush (which fixture teardowns end with), the data
    the migrations loaded is put back at once: under pytest-xdist a worker may run
    other tests after it. (After the last one, django_db_setup does it.)"""
    result = yield
    if nextitem is not None and _transactional(item):
        with _db_blocker[0].unblock():
            _restore_migrated_data()
    return result


def _restore_migrated_data():
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    if not State.objects.exists():
        # The flush's post_migrate signal made new content types and permissions.
        ContentType.objects.all().delete()
        ContentType.objects.clear_cache()
        connection.creation.deserialize_db_from_string(_migrated_data[0])


@pytest.fixture
def signed_in(client, officer):
    """The test client, signed in as Petaling's district officer."""
    client.force_login(officer)
    return client


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


@pytest.fixture
def volunteer_user(office):
    """A trained volunteer of Petaling with their own account, for the phone page."""
    from tests.factories import VolunteerFactory

    user = UserFactory(username="kow", first_name="Ah Kow", role=Role.VOLUNTEER)
    VolunteerFactory(office=office, user=user, person__name="Tan Ah Kow")
    return user
