"""The fault test behind `make faults` (not part of `make test`): the app served by
gunicorn (2 workers) on 127.0.0.1 over a database of its own, welfare_faults, filled
by `load_demo`, and five faults:

1. visits written by 8 clients while the app's database connections are killed
   every 2.5 s (pg_terminate_backend on welfare_faults only, never the server);
2. a gunicorn worker killed (SIGKILL) in the middle of a participant import;
3. the same for a 10,000-row import, then the import run again;
4. 100 pairs of people saving the same project at once (optimistic locking);
5. a second instance whose database cannot be reached, and the first one after 1;
6. the largest hostile uploads the import allows (a zip that would unpack to far
   more than the bound, a CSV whose one line holds a million fields, each at the
   upload limit) sent by 4 clients at once while 8 others record visits.

Prints one row per count (expected, measured, OK/FAIL) and exits 1 on any FAIL.
DATABASE_URL must reach PostgreSQL as a role that may create databases
(eval "$(scripts/postgres.sh)"); only welfare_faults is (re)created and changed, and it
is left as the run leaves it, for a look afterwards."""

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from contextlib import contextmanager
from datetime import date, timedelta
from functools import partial
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path
from urllib.parse import urlencode

import psycopg2
from bench import ROOT, database_url, environment, manage, recreate_database

NAME = "welfare_faults"
PORT, DOWN_PORT = 8766, 8767
OFFICE = "PKMD-1005"
USER, OTHER_USER = "officer.petaling", "admin"
PASSWORD = "demo-welfare-2026"  # load_demo's
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
LOG = Path("/tmp") / f"{NAME}-gunicorn.log"
rows = []  # (scenario, what, expected, measured, ok)


def report(scenario, what, expected, measured, ok=None):
    ok = expected == measured if ok is None else ok
    rows.append((scenario, what, shown(expected), shown(measured), bool(ok)))


def shown(value):
    if isinstance(value, list):
        return ", ".join(map(shown, value))
    return f"{value:,}" if isinstance(value, int) else str(value)


# --- A browser, just enough of one --------------------------------------------


class Browser:
    """One person's cookies, and the CSRF token that Django asks for on each POST.
    Redirects are not followed: a 302 after a POST is the acknowledgement."""

    def __init__(self, port=PORT):
        self.port = port
        self.cookies = {}

    def request(self, method, path, body=None, headers=None, timeout=60):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        try:
            connection.request(method, path, body, {"Cookie": cookie, **(headers or {})})
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            # A browser would show the "saved" message on the next page; dropping it
            # keeps it from piling up in the cookie and then in the session.
            if name != "messages":
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, text

    def get(self, path):
        return self.request("GET", path)

    def post(self, path, fields, file=None):
        fields = [("csrfmiddlewaretoken", self.cookies["csrftoken"]), *pairs(fields)]
        if file is None:
            body = urlencode(fields).encode()
            content_type = "application/x-www-form-urlencoded"
        else:
            boundary = uuid.uuid4().hex
            parts = [
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
                for name, value in fields
            ]
            filename, content = file
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                f'filename="{filename}"\r\nContent-Type: text/csv\r\n\r\n'
            )
            body = "".join(parts).encode() + content + f"\r\n--{boundary}--\r\n".encode()
            content_type = f"multipart/form-data; boundary={boundary}"
        return self.request("POST", path, body, {"Content-Type": content_type})

    def sign_in(self, username):
        self.get("/accounts/login/")
        status, _ = self.post("/accounts/login/", {"username": username, "password": PASSWORD})
        if status != 302:
            raise SystemExit(f"{username} could not sign in (HTTP {status})")
        return self


def pairs(fields):
    if isinstance(fields, dict):
        return list(fields.items())
    return list(fields)


class PostForms(HTMLParser):
    """The fields of a page's POST forms as the browser would send them unchanged:
    a list of forms, each a list of (name, value)."""

    def __init__(self, html):
        super().__init__()
        self.forms, self.select, self.textarea = [], None, None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append([] if attrs.get("method", "").lower() == "post" else None)
        elif not self.forms or self.forms[-1] is None:
            return
        elif tag == "input" and attrs.get("name"):
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            if kind not in ("submit", "button", "file"):
                self.forms[-1].append((attrs["name"], attrs.get("value", "on")))
        elif tag == "select":
            self.select = attrs.get("name")
        elif tag == "option" and self.select and "selected" in attrs:
            self.forms[-1].append((self.select, attrs.get("value", "")))
        elif tag == "textarea":
            self.textarea = [attrs.get("name"), ""]

    def handle_data(self, data):
        if self.textarea:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        elif tag == "textarea" and self.textarea:
            name, text = self.textarea
            self.forms[-1].append((name, text.removeprefix("\n")))
            self.textarea = None

    def having(self, field):
        return next(form for form in self.forms if form and any(n == field for n, _ in form))


def replaced(form, **values):
    return [(name, values.get(name, value)) for name, value in form]


# --- The servers and the database ---------------------------------------------


@contextmanager
def gunicorn(env, port, workers=2):
    log = LOG.open("a")
    server = subprocess.Popen(
        [GUNICORN, "welfare.wsgi", "--workers", str(workers), "--bind", f"127.0.0.1:{port}"]
        + ["--no-control-socket", "--log-level", "warning"],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=log,
    )
    try:
        wait_for_workers(server.pid, workers, port)
        yield server
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def wait_for_workers(master, workers, port, seconds=30):
    """Until the master has its workers and the site answers (200 or 503)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if len(children(master)) == workers and Browser(port).get("/health/")[0]:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"gunicorn on port {port} did not start; see {LOG}")


def children(pid):
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if (
                entry.name.isdigit()
                and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid
            ):
                found.append(int(entry.name))
        except OSError:
            pass
    return found


def process_with_port(pids, port):
    """Which of pids holds the TCP socket bound locally to port (its database connection)."""
    inodes = set()
    with open("/proc/net/tcp") as table:
        for line in table.readlines()[1:]:
            fields = line.split()
            if int(fields[1].split(":")[1], 16) == port:
                inodes.add(fields[9])
    for pid in pids:
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith("socket:[") and target[8:-1] in inodes:
                    return pid
        except OSError:
            pass
    return None


class Database:
    """The script's own connection to welfare_faults: counts, and killing the app's
    connections (client backends of this database other than this one)."""

    APP = "datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()"

    def __init__(self, url):
        self.connection = psycopg2.connect(url)
        self.connection.autocommit = True

    def all(self, sql, *params):
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def one(self, sql, *params):
        return self.all(sql, *params)[0][0]

    def kill_app_connections(self):
        return self.one(
            f"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE {self.APP}"
        )

    def busy_app_connection(self, query_start):
        """(pid, client port) of an app connection running a query that starts so."""
        found = self.all(
            f"SELECT pid, client_port FROM pg_stat_activity WHERE {self.APP} "
            "AND state = 'active' AND query LIKE %s",
            query_start + "%",
        )
        return found[0] if found else None

    def wait_idle(self, seconds=10):
        deadline = time.monotonic() + seconds
        while self.one(
            f"SELECT count(*) FROM pg_stat_activity WHERE {self.APP} AND state <> 'idle'"
        ):
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)


# --- The scenarios ------------------------------------------------------------


def visits_under_connection_kills(db, seconds=20, clients=8, every=2.5):
    cases = db.all(
        "SELECT c.id, c.volunteer_id FROM homehelp_case c JOIN welfare_office o ON o.id = c.office_id "
        "JOIN homehelp_volunteer v ON v.id = c.volunteer_id WHERE o.code = %s "
        "AND c.status <> 'closed' AND v.active AND v.trained_on IS NOT NULL "
        "AND c.opened_on <= CURRENT_DATE ORDER BY c.id LIMIT %s",
        OFFICE,
        clients,
    )
    service = db.one("SELECT min(id) FROM homehelp_service")
    browsers = [Browser().sign_in(USER) for _ in cases]
    results, kills = [], []  # (started, ended, status, marker); (time, connections killed)
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(number, browser, case, volunteer):
        count = 0
        while time.monotonic() < stop:
            count += 1
            marker = f"fault-visit-{number}-{count}"
            started = time.monotonic()
            try:
                status, _ = browser.post(
                    f"/homehelp/cases/{case}/visits/new/",
                    {
                        "volunteer": volunteer,
                        "visited_on": date.today().isoformat(),
                        "minutes": 30,
                        "services": service,
                        "notes": marker,
                    },
                )
            except (OSError, http.client.HTTPException) as error:
                status = type(error).__name__
            with lock:
                results.append((started, time.monotonic(), status, marker))

    def killer():
        while time.sleep(every) or time.monotonic() < stop - 1:
            kills.append((time.monotonic(), db.kill_app_connections()))

    threads = [threading.Thread(target=killer)] + [
        threading.Thread(target=client, args=(n, b, *case))
        for n, (b, case) in enumerate(zip(browsers, cases, strict=True))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    stored = dict(
        db.all(
            "SELECT notes, count(*) FROM homehelp_visit WHERE notes LIKE 'fault-visit-%%' GROUP BY notes"
        )
    )
    acknowledged = [r for r in results if r[2] == 302]
    failed = [r for r in results if r[2] == 503]
    other = [r for r in results if r[2] not in (302, 503)]
    once = sum(stored.get(marker) == 1 for _s, _e, _st, marker in acknowledged)
    report(1, "acknowledged visits (302) stored exactly once", len(acknowledged), once)
    written = sum(marker in stored for _s, _e, _st, marker in failed)
    report(1, f"failed visits (503: {len(failed)}) stored", 0, written)
    unexpected = " ".join(sorted({str(r[2]) for r in other}))
    report(1, "other answers (500, errors)", "0", f"{len(other)} {unexpected}".strip())
    share = len(acknowledged) / max(len(results), 1)
    measured = f"{len(acknowledged)}/{len(results)} ({share:.0%})"
    report(1, "requests acknowledged", ">= 90%", measured, share >= 0.9)
    ends = [t for t, _n in kills[1:]] + [stop]
    recovered = sum(
        any(t < started and ended < end for started, ended, status, _m in acknowledged)
        for (t, _n), end in zip(kills, ends, strict=True)
    )
    killed = sum(n for _t, n in kills)
    report(1, f"kills ({killed} connections) followed by a saved visit", len(kills), recovered)


def unreachable_database(env):
    """A second instance whose DATABASE_URL names a port that refuses connections,
    then one that accepts them and never answers (connect_timeout has to end the wait)."""
    with socket.socket() as refusing, socket.socket() as silent:
        refusing.bind(("127.0.0.1", 0))
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        for how, server in [("refused", refusing), ("silent", silent)]:
            port = server.getsockname()[1]
            down = {**env, "DATABASE_URL": f"postgres://welfare:welfare@127.0.0.1:{port}/{NAME}"}
            with gunicorn(down, DOWN_PORT, workers=1):
                browser = Browser(DOWN_PORT)
                browser.cookies["sessionid"] = "x" * 32  # a page that has to read the session
                for path, wanted in [
                    ("/health/", "unavailable"),
                    ("/", "Service temporarily unavailable"),
                ]:
                    started = time.monotonic()
                    status, text = browser.get(path)
                    took = time.monotonic() - started
                    ok = status == 503 and wanted in text and took < 5
                    measured = f"{status} in {took:.1f} s"
                    report(5, f"database {how}: GET {path}", "503 in < 5 s", measured, ok)


def main_instance_recovered():
    browser = Browser().sign_in(USER)
    statuses = [Browser().get("/health/")[0], browser.get("/homehelp/cases/")[0]]
    report(5, "main instance after the kills: /health/, case list", [200, 200], statuses)


def participants_csv(prefix, place, count, joined):
    """count new people (MyKads of birthplace code `place`, which load_demo never
    uses) joining on `joined`, a day within the project's dates."""
    lines = ["MyKad,Name,Target group,Joined on"]
    born = date(1960, 1, 1)
    for n in range(count):
        day = born + timedelta(days=n // 10_000)
        lines.append(f"{day:%y%m%d}-{place}-{n % 10_000:04d},{prefix} {n},community,{joined}")
    return ("\n".join(lines) + "\n").encode()


def upload(browser, project, content):
    path = f"/projects/{project}/participants/import/"
    browser.get(path)
    status, page = browser.post(path, {}, file=("participants.csv", content))
    forms = [dict(form) for form in PostForms(page).forms if form]
    token = next((form["token"] for form in forms if "token" in form), None)
    if status != 200 or not token:
        raise SystemExit(f"import upload failed (HTTP {status})")
    return path, token


def import_killed(db, server, browser, project, content, delay):
    """Confirm an uploaded import and SIGKILL the worker serving it `delay` seconds
    after its first insert; (rows written, whether a worker was killed)."""
    path, token = upload(browser, project, content)
    before = participants(db, project)
    answer = []
    request = threading.Thread(target=lambda: answer.append(confirm(browser, path, token)))
    request.start()
    killed = False
    while request.is_alive() and not killed:
        busy = db.busy_app_connection('INSERT INTO "welfare_person"')
        if busy:
            time.sleep(delay)
            worker = process_with_port(children(server.pid), busy[1])
            if worker and request.is_alive():
                os.kill(worker, signal.SIGKILL)
                killed = True
        time.sleep(0.002)
    request.join()
    db.wait_idle()
    wait_for_workers(server.pid, 2, PORT)
    return participants(db, project) - before, killed and answer[0] != 302


def participants(db, project):
    return db.one("SELECT count(*) FROM programs_participation WHERE project_id = %s", project)


def confirm(browser, path, token):
    try:
        return browser.post(path, {"token": token})[0]
    except (OSError, http.client.HTTPException) as error:
        return type(error).__name__


def worker_killed_mid_import(db, server, projects, size=2_000):
    """Five kills spread over the writing, which takes about 0.6 s for 2,000 rows."""
    browser = Browser().sign_in(USER)
    outcomes = []
    for trial, delay in enumerate([0, 0.075, 0.15, 0.225, 0.3]):
        joined = db.one("SELECT start_date FROM programs_project WHERE id = %s", projects[trial])
        content = participants_csv(f"Fault import {trial}", 21 + trial, size, joined)
        outcomes.append(import_killed(db, server, browser, projects[trial], content, delay))
    whole = sum(written in (0, size) for written, _k in outcomes)
    killed = sum(k for _w, k in outcomes)
    detail = ", ".join(str(w) for w, _k in outcomes)
    report(2, f"{size:,}-row imports all or none (rows: {detail})", 5, whole)
    report(2, "imports cut off by the kill", 5, killed)


def big_import_killed(db, server, project, size=10_000):
    browser = Browser().sign_in(USER)
    joined = db.one("SELECT start_date FROM programs_project WHERE id = %s", project)
    content = participants_csv("Fault big import", 30, size, joined)
    before = participants(db, project)
    written, killed = import_killed(db, server, browser, project, content, 0.5)
    report(3, f"{size:,}-row import, worker killed: rows", 0, written, killed and not written)
    path, token = upload(browser, project, content)
    status = confirm(browser, path, token)
    report(
        3,
        "the same import run again: answer, rows",
        [302, size],
        [status, participants(db, project) - before],
    )


def hostile_files(limit):
    """Two uploads that are expensive to read: a workbook of a megabyte whose
    sheet unpacks to a gigabyte, and a CSV of `limit` bytes whose single line
    holds millions of fields."""
    from openpyxl import Workbook

    template = BytesIO()
    Workbook().save(template)
    row = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>'
    bomb = BytesIO()
    with (
        zipfile.ZipFile(template) as source,
        zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            if item.filename == "xl/worksheets/sheet1.xml":
                with target.open(item.filename, "w", force_zip64=True) as sheet:
                    sheet.write(
                        b'<worksheet xmlns="http://schemas.openxmlformats.org/'
                        b'spreadsheetml/2006/main"><sheetData>'
                    )
                    # A gigabyte of rows, which deflate shrinks about 1,000 times.
                    for _ in range(1024):
                        sheet.write(row * (1024 * 1024 // len(row)))
                    sheet.write(b"</sheetData></worksheet>")
            else:
                target.writestr(item, source.read(item.filename), zipfile.ZIP_DEFLATED)
    fields = b"MyKad,Name,Target group,Joined on\n" + b"x," * ((limit - 100) // 2) + b"\n"
    return [("bomb.xlsx", bomb.getvalue()), ("fields.csv", fields)]


def hostile_uploads_beside_visits(db, server, project, seconds=20, uploaders=4, clients=8):
    files = hostile_files(10 * 1024 * 1024)
    cases = db.all(
        "SELECT c.id, c.volunteer_id FROM homehelp_case c JOIN welfare_office o ON o.id = c.office_id "
        "JOIN homehelp_volunteer v ON v.id = c.volunteer_id WHERE o.code = %s "
        "AND c.status <> 'closed' AND v.active AND v.trained_on IS NOT NULL "
        "AND c.opened_on <= CURRENT_DATE ORDER BY c.id DESC LIMIT %s",
        OFFICE,
        clients,
    )
    service = db.one("SELECT min(id) FROM homehelp_service")
    workers = set(children(server.pid))
    stop = time.monotonic() + seconds
    visits, uploads = [], []  # (status, marker); (status, seconds)
    lock = threading.Lock()
    path = f"/projects/{project}/participants/import/"

    def visitor(number, browser, case, volunteer):
        count = 0
        while time.monotonic() < stop:
            count += 1
            marker = f"hostile-visit-{number}-{count}"
            fields = {
                "volunteer": volunteer,
                "visited_on": date.today().isoformat(),
                "minutes": 30,
                "services": service,
                "notes": marker,
            }
            try:
                status, _ = browser.post(f"/homehelp/cases/{case}/visits/new/", fields)
            except (OSError, http.client.HTTPException) as error:
                status = type(error).__name__
            with lock:
                visits.append((status, marker))

    def uploader(number, browser):
        count = 0
        while time.monotonic() < stop:
            name, content = files[(number + count) % len(files)]
            count += 1
            browser.get(path)
            started = time.monotonic()
            try:
                status, page = browser.post(path, {}, file=(name, content))
                status = "accepted" if 'name="token"' in page else status
            except (OSError, http.client.HTTPException) as error:
                status = type(error).__name__
            with lock:
                uploads.append((status, time.monotonic() - started))

    threads = [
        threading.Thread(target=visitor, args=(n, Browser().sign_in(USER), *case))
        for n, case in enumerate(cases)
    ] + [
        threading.Thread(target=uploader, args=(n, Browser().sign_in(USER)))
        for n in range(uploaders)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stored = dict(
        db.all(
            "SELECT notes, count(*) FROM homehelp_visit WHERE notes LIKE 'hostile-visit-%%' GROUP BY notes"
        )
    )
    acknowledged = [marker for status, marker in visits if status == 302]
    report(6, "visits acknowledged (302)", len(visits), len(acknowledged))
    report(
        6,
        "acknowledged visits stored exactly once",
        len(acknowledged),
        sum(stored.get(marker) == 1 for marker in acknowledged),
    )
    refused = [took for status, took in uploads if status == 200]
    report(
        6,
        f"hostile uploads refused with a message ({len(uploads)} sent)",
        len(uploads),
        len(refused),
    )
    slowest = max(refused, default=0)
    report(6, "slowest refusal", "< 5 s", f"{slowest:.1f} s", slowest < 5)
    report(6, "gunicorn workers killed", 0, len(workers - set(children(server.pid))))


def at_once(*calls):
    """The calls' results, each call made in a thread of its own at the same moment."""
    results = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def run(index):
        start.wait()
        results[index] = calls[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def concurrent_edits(db, project, pairs_count=100):
    path = f"/projects/{project}/edit/"
    people = [Browser().sign_in(USER), Browser().sign_in(OTHER_USER)]
    # load_demo writes no history: a first save gives the changes after it a version to
    # be compared with (a change to a record without history is shown as "saved").
    people[0].post(path, replaced(PostForms(people[0].get(path)[1]).having("name"), name="Fault"))
    conflicts = lost = named = resaved = 0
    for pair in range(pairs_count):
        forms = [PostForms(person.get(path)[1]).having("name") for person in people]
        names = [f"Fault edit {pair} by {who}" for who in ("A", "B")]
        answers = at_once(
            *(
                partial(person.post, path, replaced(form, name=name))
                for person, form, name in zip(people, forms, names, strict=True)
            )
        )
        statuses = sorted(status for status, _ in answers)
        stored = db.one("SELECT name FROM programs_project WHERE id = %s", project)
        accepted = [names[i] for i in (0, 1) if answers[i][0] == 302]
        lost += any(name != stored for name in accepted)
        if statuses == [302, 409]:
            conflicts += 1
            loser = next(i for i in (0, 1) if answers[i][0] == 409)
            page = answers[loser][1]
            named += names[1 - loser] in page
            again = people[loser].post(
                path, replaced(PostForms(page).having("name"), name=names[loser])
            )
            resaved += again[0] == 302
    report(4, "concurrent saves: one 302 and one 409", pairs_count, conflicts)
    report(4, "lost updates", 0, lost)
    report(4, "409 pages naming the other's change", pairs_count, named)
    report(4, "409 forms saved when submitted again", pairs_count, resaved)


# --- Running them -----------------------------------------------------------------


def main():
    base_url = os.environ.get("DATABASE_URL", "")
    if not base_url.startswith("postgres"):
        raise SystemExit('DATABASE_URL must point at PostgreSQL: eval "$(scripts/postgres.sh)"')
    started = time.monotonic()
    url = database_url(base_url, NAME)
    env = {**environment(url), "OTP_REQUIRED_ROLES": "none"}
    print(f"Creating {NAME} with the demo data", flush=True)
    recreate_database(base_url, NAME)
    manage(env, "migrate", "--no-input", "-v0")
    manage(env, "load_demo", capture=True)
    manage(env, "collectstatic", "--no-input", "-v0")
    LOG.write_text("")
    db = Database(url)
    projects = [
        pk
        for (pk,) in db.all(
            "SELECT p.id FROM programs_project p JOIN welfare_office o ON o.id = p.office_id "
            "WHERE o.code = %s ORDER BY p.id",
            OFFICE,
        )
    ]
    with gunicorn(env, PORT) as server:
        steps = [
            ("1 visits while connections are killed", lambda: visits_under_connection_kills(db)),
            (
                "5 database unreachable",
                lambda: (unreachable_database(env), main_instance_recovered()),
            ),
            ("2 worker killed mid-import", lambda: worker_killed_mid_import(db, server, projects)),
            ("3 10,000-row import killed", lambda: big_import_killed(db, server, projects[5])),
            ("4 concurrent edits", lambda: concurrent_edits(db, projects[6])),
            (
                "6 hostile uploads beside visits",
                lambda: hostile_uploads_beside_visits(db, server, projects[7]),
            ),
        ]
        for title, step in steps:
            print(f"Scenario {title}...", flush=True)
            step()
    db.connection.close()
    print_table()
    print(f"{time.monotonic() - started:.0f} s; gunicorn's log: {LOG}")
    return 1 if any(not ok for *_rest, ok in rows) else 0


def print_table():
    lines = [("#", "scenario", "expected", "measured", "")] + [
        (str(n), what, expected, measured, "OK" if ok else "FAIL")
        for n, what, expected, measured, ok in sorted(rows, key=lambda row: row[0])
    ]
    widths = [max(map(len, column)) for column in zip(*lines, strict=True)]
    for line in lines:
        cells = (cell.ljust(width) for cell, width in zip(line, widths, strict=True))
        print("  ".join(cells).rstrip())


if __name__ == "__main__":
    sys.exit(main())
