import subprocess
import uuid

import psycopg2
import pytest
from django.conf import settings
from django.db import connection

from tests.factories import ParticipationFactory, VisitFactory

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="backups are made of PostgreSQL databases"
)


def url(name):
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT'] or 5432}/{name}"


def table_counts(dsn):
    with psycopg2.connect(dsn) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
        tables = [row[0] for row in cursor.fetchall()]
        counts = {}
        for table in tables:
            cursor.execute(f'SELECT count(*) FROM "{table}"')
            counts[table] = cursor.fetchone()[0]
    conn.close()
    return counts


@pytest.mark.slow
def test_backup_restores_into_a_new_database_with_every_row(transactional_db, tmp_path):
    ParticipationFactory.create_batch(3)
    VisitFactory.create_batch(2)
    source = url(connection.settings_dict["NAME"])
    copy = f"restore_check_{uuid.uuid4().hex[:8]}"
    dump = tmp_path / "welfare.dump"
    root = psycopg2.connect(url("postgres"))
    root.autocommit = True
    root.cursor().execute(f'CREATE DATABASE "{copy}"')
    try:
        env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": source}
        subprocess.run(["scripts/backup.sh", str(dump)], env=env, check=True, cwd=settings.BASE_DIR)
        env["DATABASE_URL"] = url(copy)
        subprocess.run(
            ["scripts/restore.sh", str(dump)], env=env, check=True, cwd=settings.BASE_DIR
        )
        original, restored = table_counts(source), table_counts(url(copy))
        assert original["programs_participation"] == 3
        assert restored == original
    finally:
        root.cursor().execute(f'DROP DATABASE IF EXISTS "{copy}"')
        root.close()
