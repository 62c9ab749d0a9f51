"""The largest exports, as HQ downloads them: seconds to the last byte, the
worker's memory growth while it streams, against a COPY of the same rows.

Each export is read through Django's test client in this process (its
streaming content consumed chunk by chunk, as gunicorn sends it); the memory
is the process's peak resident set (ru_maxrss) before and after, so each file
is measured in a fresh process. The COPY is PostgreSQL sending the export's
own rows (the list's query, every column) as CSV to this process, which drops
them: the floor for the file.

Run by scripts/bench.py, or alone against a database made by generate_data:
    DATABASE_URL=.../welfare_bench_l SECRET_KEY=x ALLOWED_HOSTS=testserver \
        SECURE_SSL_REDIRECT=false scripts/bench_exports.py [--only cases.xlsx]"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXPORTS = {
    "projects.csv": "/projects/export.csv",
    "projects.xlsx": "/projects/export.xlsx",
    "cases.csv": "/homehelp/cases/export.csv",
    "cases.xlsx": "/homehelp/cases/export.xlsx",
}


class Discard:
    def write(self, data):
        return len(data)


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_one(name):
    """In this process: one export, after one warm-up of Django itself."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "welfare.settings")
    os.environ.setdefault("OTP_REQUIRED_ROLES", "none")  # force_login: no second factor
    import django

    django.setup()
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from welfare.models import Role, User

    user, _ = User.objects.get_or_create(username="bench.exports.hq")
    user.groups.set([Group.objects.get(name=Role.HQ)])
    client = Client()
    client.force_login(user)
    client.get("/projects/")  # templates, URLs, translations loaded
    url = EXPORTS[name]
    before = peak_rss_mb()
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        size = rows = 0
        for chunk in response.streaming_content:
            size += len(chunk)
            if name.endswith(".csv"):
                rows += chunk.count(b"\n")
    seconds = time.perf_counter() - started
    growth = peak_rss_mb() - before
    # The rows' query: the export's longest SELECT (a server-side cursor's, or
    # the workbook's plain one), not the access log's INSERT.
    selects = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith(("DECLARE", "SELECT"))
        and not q["sql"].startswith(('SELECT "django_session"', 'SELECT "welfare_user"'))
    ]
    page_query = max(selects, key=len)
    select = page_query.split(" FOR ", 1)[1] if page_query.startswith("DECLARE") else page_query
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.cursor.copy_expert(f"COPY ({select}) TO STDOUT WITH CSV", Discard())
        copy = time.perf_counter() - started
    return {
        "export": name,
        "status": response.status_code,
        "bytes": size,
        "csv_lines": rows or None,
        "seconds": round(seconds, 2),
        "rss_growth_mb": round(growth, 1),
        "copy_seconds": round(copy, 2),
        "ratio_to_copy": round(seconds / copy, 1),
    }


def measure_exports(only=None):
    results = []
    for name in EXPORTS:
        if only and name != only:
            continue
        output = subprocess.run(
            [sys.executable, __file__, "--one", name],
            capture_output=True,
            text=True,
            check=True,
            env=os.environ,
            cwd=ROOT,
        ).stdout
        results.append(json.loads(output.strip().splitlines()[-1]))
        print(results[-1], flush=True, file=sys.stderr)
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--one")
    parser.add_argument("--only")
    options = parser.parse_args()
    if options.one:
        print(json.dumps(measure_one(options.one)))
    else:
        print(json.dumps(measure_exports(options.only), indent=1))
