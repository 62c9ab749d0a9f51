"""Times an import's two steps through Django's test client, as a district
officer of PKMD-1005: the preview (upload and check) and the confirmation, each a
request of its own, with the growth of the process's peak memory. Everything the
import writes is rolled back at the end, so the database can be measured again.

Usage: DATABASE_URL=... scripts/bench_imports.py [--kind cases|participants]
                         [--rows 20000] [--errors]
--errors gives every row two or three errors (a case row: an unknown
constituency, an unreadable date and, every other row, an unknown living
arrangement), as a badly filled spreadsheet would; the preview then lists them
and nothing can be confirmed. Not part of `make test`: use a database of your
own (`manage.py migrate` first), never one that holds real records."""

import argparse
import csv
import io
import os
import re
import resource
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def mykad(n):
    """A valid, fictional MyKad, unique for n below 3,650,000."""
    born = date(1940, 1, 1) + timedelta(days=n // 10000)
    return f"{born:%y%m%d}10{n % 10000:04d}"


def case_rows(count, errors):
    yield ["MyKad", "Name", "Client type", "Constituency", "Living arrangement", "Opened on"]
    for n in range(count):
        if errors:
            living = "somewhere" if n % 2 else "alone"
            yield [mykad(n), f"Warga emas {n}", "senior", "P.999", living, "2025/01/15"]
        else:
            yield [mykad(n), f"Warga emas {n}", "senior", "P.104", "alone", "2025-01-15"]


def participant_rows(count, errors):
    yield ["MyKad", "Name", "Target group", "Joined on"]
    for n in range(count):
        if errors:
            yield [mykad(n), f"Peserta {n}", "elderly" if n % 2 else "community", "2025/01/15"]
        else:
            yield [mykad(n), f"Peserta {n}", "community", "2025-01-15"]


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kind", choices=["cases", "participants"], default="cases")
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--errors", action="store_true")
    options = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "welfare.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import Group
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection, transaction
    from django.test import Client

    from programs.models import Project
    from welfare.models import Office, Role, User

    settings.ALLOWED_HOSTS = ["testserver"]
    settings.SECURE_SSL_REDIRECT = False
    settings.OTP_REQUIRED_ROLES = []
    settings.STORAGES = {  # no collectstatic needed
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    office = Office.objects.get(code="PKMD-1005")

    class Rollback(Exception):
        pass

    try:
        with transaction.atomic():
            user = User.objects.create(username="bench.importer", office=office)
            user.groups.add(Group.objects.get(name=Role.DISTRICT_OFFICER))
            if options.kind == "cases":
                url, rows = "/homehelp/cases/import/", case_rows(options.rows, options.errors)
            else:
                project = Project.objects.create(
                    name="Bench import", project_type="economic", office=office,
                    start_date=date(2024, 1, 1),
                )  # fmt: skip
                url = f"/projects/{project.pk}/participants/import/"
                rows = participant_rows(options.rows, options.errors)
            text = io.StringIO()
            csv.writer(text).writerows(rows)
            content = text.getvalue().encode()
            client = Client()
            client.force_login(user)
            client.get(url)  # warm: templates, translations
            before = peak_mb()
            started, cpu = time.perf_counter(), time.process_time()
            preview = client.post(url, {"file": SimpleUploadedFile("rows.csv", content)})
            checked, checked_cpu = time.perf_counter() - started, time.process_time() - cpu
            grown = peak_mb() - before
            assert preview.status_code == 200, preview.status_code
            page = preview.content.decode()
            errors = re.search(r'<h2 class="h5">([\d,]+) errors?', page)
            print(
                f"{options.kind}, {options.rows:,} rows, {errors[1] if errors else 0} errors: "
                f"preview {checked:.2f} s ({checked_cpu:.2f} s CPU), page {len(page) / 1e6:.1f} MB, "
                f"peak memory +{grown:.0f} MB",
                flush=True,
            )
            if not options.errors:
                token = re.search(r'name="token" value="([^"]+)"', page)[1]
                started, cpu = time.perf_counter(), time.process_time()
                done = client.post(url, {"token": token})
                confirmed, confirmed_cpu = time.perf_counter() - started, time.process_time() - cpu
                assert done.status_code == 302, done.status_code
                print(
                    f"confirm {confirmed:.2f} s ({confirmed_cpu:.2f} s CPU), "
                    f"peak memory +{peak_mb() - before:.0f} MB; both steps {checked + confirmed:.2f} s "
                    f"({checked_cpu + confirmed_cpu:.2f} s CPU)"
                )
            raise Rollback
    except Rollback:
        pass
    connection.close()


if __name__ == "__main__":
    main(sys.argv[1:])
