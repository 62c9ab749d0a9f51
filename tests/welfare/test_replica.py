"""With a read replica (DATABASE_REPLICA_URL), the reports, the dashboards, the
exports and /stats/ read from it, through welfare.replica's router; every write
(the export's access log, the session) and who the request is go to the primary.

The tests run on one database. Here a "replica" alias is added for the test: a
connection of its own (so that the queries of each alias can be told apart)
over the primary's database connection (so that it sees the test's rows)."""

import json
import os
import subprocess
import sys
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.db import DEFAULT_DB_ALIAS, connections, router

from tests.factories import ParticipationFactory, ProjectFactory
from welfare.models import AccessLog, Person, User
from welfare.replica import REPLICA, reading_replica, replica_reads


@pytest.fixture
def with_replica(monkeypatch):
    # As welfare.settings makes it from DATABASE_REPLICA_URL.
    replica = {**settings.DATABASES["default"], "ATOMIC_REQUESTS": False}
    monkeypatch.setitem(settings.DATABASES, REPLICA, replica)


def test_reads_go_to_the_replica_only_when_marked(with_replica):
    assert router.db_for_read(Person) == DEFAULT_DB_ALIAS
    with replica_reads():
        assert router.db_for_read(Person) == REPLICA
        assert router.db_for_read(AccessLog) == REPLICA
        # Who the request is, from the primary.
        for model in (Session, User, Group):
            assert router.db_for_read(model) == DEFAULT_DB_ALIAS
        # Writes always to the primary, even of an object read from the replica.
        person = Person(name="x")
        person._state.db = REPLICA
        assert router.db_for_write(Person, instance=person) == DEFAULT_DB_ALIAS
        assert router.db_for_write(AccessLog) == DEFAULT_DB_ALIAS
    assert router.db_for_read(Person) == DEFAULT_DB_ALIAS
    assert not router.allow_migrate(REPLICA, "welfare")
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "welfare")


def test_without_a_replica_everything_reads_from_the_primary():
    assert REPLICA not in settings.DATABASES
    with replica_reads():
        assert router.db_for_read(Person) == DEFAULT_DB_ALIAS


@contextmanager
def replica_over_the_primary():
    """The alias "replica" as a second connection object over the primary's
    database connection; yields {alias: [(sql, read from the replica?)]}."""
    primary = connections[DEFAULT_DB_ALIAS]
    primary.ensure_connection()
    replica = connections.create_connection(DEFAULT_DB_ALIAS)
    replica.alias = REPLICA
    replica.connection = primary.connection
    replica.autocommit = primary.autocommit
    ran = {DEFAULT_DB_ALIAS: [], REPLICA: []}

    def recorder(alias):
        def record(execute, sql, params, many, context):
            ran[alias].append((sql, reading_replica()))
            return execute(sql, params, many, context)

        return record

    setattr(connections._connections, REPLICA, replica)
    try:
        with primary.execute_wrapper(recorder(DEFAULT_DB_ALIAS)):
            with replica.execute_wrapper(recorder(REPLICA)):
                yield ran
    finally:
        replica.connection = None  # the primary's, not this one's to close
        delattr(connections._connections, REPLICA)


def writes(statements):
    return [sql for sql, _ in statements if sql.lstrip().upper().startswith(("INSERT", "UPDATE"))]


def test_an_export_reads_the_replica_and_logs_on_the_primary(with_replica, client, officer, office):
    project = ProjectFactory(office=office)
    ParticipationFactory.create_batch(3, project=project)
    client.force_login(officer)
    with replica_over_the_primary() as ran:
        response = client.get(f"/projects/{project.pk}/participants.csv")
        body = b"".join(response.streaming_content).decode()
    assert body.count("\n") == 5  # the title, the header and three people
    assert ran[REPLICA], "the export read nothing from the replica"
    assert not writes(ran[REPLICA])
    assert any("programs_participation" in sql for sql, _ in ran[REPLICA])
    # The access log: one INSERT … SELECT on the primary, before the rows.
    logged = [sql for sql in writes(ran[DEFAULT_DB_ALIAS]) if "welfare_accesslog" in sql]
    assert len(logged) == 1 and AccessLog.objects.filter(object_id=project.pk).count() == 3
    # The session and the user were read from the primary, outside the mark.
    assert any("django_session" in sql for sql, _ in ran[DEFAULT_DB_ALIAS])
    assert not any("django_session" in sql for sql, _ in ran[REPLICA])


@pytest.mark.parametrize(
    "url", ["/reports/projects-by-state/", "/reports/monthly/", "/", "/stats/"]
)
def test_reports_dashboards_and_statistics_read_the_replica(with_replica, client, hq, url):
    client.force_login(hq)
    with replica_over_the_primary() as ran:
        assert client.get(url).status_code == 200
    assert any(sql.lstrip().upper().startswith("SELECT") for sql, _ in ran[REPLICA]), ran
    assert not writes(ran[REPLICA])
    # What the primary ran for the page: who the request is, nothing of the report's.
    assert not [sql for sql, _ in ran[DEFAULT_DB_ALIAS] if "reports_" in sql]


def test_pages_that_are_not_marked_read_the_primary(with_replica, client, officer):
    client.force_login(officer)
    with replica_over_the_primary() as ran:
        assert client.get("/homehelp/cases/").status_code == 200
    assert not ran[REPLICA]


def test_the_replica_alias_is_made_from_its_url_and_mirrors_the_primary_in_tests():
    script = (
        "import json; from welfare import settings as s; "
        "r = s.DATABASES['replica']; "
        "print(json.dumps([r['NAME'], r['HOST'], r['TEST'], r['ATOMIC_REQUESTS'], "
        "r['OPTIONS']['connect_timeout'], s.DATABASES['default']['DISABLE_SERVER_SIDE_CURSORS'], "
        "r['DISABLE_SERVER_SIDE_CURSORS']]))"
    )
    environment = {
        **os.environ,
        "SECRET_KEY": "x",
        "DATABASE_URL": "postgres://u:p@primary.example:5432/welfare",
        "DATABASE_REPLICA_URL": "postgres://u:p@replica.example:5432/welfare",
        "DISABLE_SERVER_SIDE_CURSORS": "true",
        "DATABASE_REPLICA_DISABLE_SERVER_SIDE_CURSORS": "false",
    }
    output = subprocess.run(
        [sys.executable, "-c", script],
        env=environment,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert json.loads(output) == [
        "welfare",
        "replica.example",
        {"MIRROR": "default"},
        False,
        3,
        True,
        False,
    ]
