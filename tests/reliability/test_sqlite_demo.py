"""The SQLite demo database (`make run`) serves several browsers at once: two
writers in threads, each reading then writing in its own transaction as a
request does (ATOMIC_REQUESTS), never see "database is locked"."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Run in a process of its own: the settings are read for a SQLite DATABASE_URL.
WRITERS = """
import json, sys, threading
import django
django.setup()
from django.conf import settings
from django.db import connection, transaction

with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE tally (id integer primary key, n integer)")
connection.close()
errors = []

def write(worker):
    try:
        for n in range(150):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM tally")  # a read first, then a write
                cursor.fetchone()
                cursor.execute("INSERT INTO tally (n) VALUES (%s)", [worker * 1000 + n])
    except Exception as error:
        errors.append(repr(error))
    finally:
        connection.close()

threads = [threading.Thread(target=write, args=(i,)) for i in range(2)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
with connection.cursor() as cursor:
    cursor.execute("SELECT count(*) FROM tally")
    rows = cursor.fetchone()[0]
    cursor.execute("PRAGMA journal_mode")
    mode = cursor.fetchone()[0]
print(json.dumps({"errors": errors, "rows": rows, "journal_mode": mode,
                  "options": settings.DATABASES["default"]["OPTIONS"]}))
"""


def run_writers(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "welfare.settings",
        "SECRET_KEY": "x",
    }
    done = subprocess.run(
        [sys.executable, "-c", WRITERS], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120, check=True,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_two_writers_at_once_on_the_sqlite_demo_database_are_never_locked_out(tmp_path):
    result = run_writers(tmp_path)
    assert result["errors"] == []
    assert result["rows"] == 300
    assert result["journal_mode"] == "wal"
    assert result["options"]["transaction_mode"] == "IMMEDIATE"
