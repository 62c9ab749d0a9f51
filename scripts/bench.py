"""The benchmark behind `make bench`: for each scale, a database of its own is
filled once by `generate_data`, then every measured page is requested through
Django's test client (median of warm runs, with its query count), the reports are
compared with the same aggregates written by hand in SQL in the same process, and
the pages are served by gunicorn under load from wrk (or a small Python load
generator when wrk is missing). Writes docs/performance.md and docs/performance.json.

Usage: scripts/bench.py [--scales S,M,L] [--runs 7] [--load-seconds 20]
                        [--connections 20] [--reuse]
DATABASE_URL must reach PostgreSQL as a role that may create databases
(eval "$(scripts/postgres.sh)"); the benchmark uses welfare_bench_<scale>,
never the database named in DATABASE_URL."""

import argparse
import functools
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
OFFICE = "PKMD-1005"
BIG_PROJECT = 10_000
OFFICE_CASES = 1_000
PASSWORD = "bench-welfare-2026"
MIX_GROUPS = ["officer", "officer form", "officer form POST", "state/HQ lists", "reports"]


# --- The orchestrator: databases, data, subprocesses, the report ------------


def database_url(base, name):
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path="/" + name))


def recreate_database(base, name):
    import psycopg2

    parts = urlsplit(base)
    connection = psycopg2.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username,
        password=parts.password,
        dbname="postgres",
    )
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()


def database_has_data(url):
    import psycopg2

    try:
        connection = psycopg2.connect(url)
    except psycopg2.OperationalError:
        return False
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM homehelp_organization WHERE registration_number = 'BENCH-PSK-0001'"
            )
            return cursor.fetchone()[0] > 0
    except psycopg2.Error:
        return False
    finally:
        connection.close()


def environment(url):
    return {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-secret-key"),
        "DEBUG": "false",
        "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
        "SECURE_COOKIES": "false",
        "SECURE_SSL_REDIRECT": "false",
        "CONN_MAX_AGE": "600",
        # The benchmark signs in with force_login; the second factor is not measured.
        "OTP_REQUIRED_ROLES": "none",
    }


def manage(env, *args, capture=False):
    command = [PYTHON, str(ROOT / "manage.py"), *args]
    if capture:
        result = subprocess.run(
            command, env=env, cwd=ROOT, check=True, capture_output=True, text=True
        )
        return result.stdout
    subprocess.run(command, env=env, cwd=ROOT, check=True)
    return ""


def load(scale, base_url, reuse):
    name = f"welfare_bench_{scale.lower()}"
    url = database_url(base_url, name)
    env = environment(url)
    if reuse and database_has_data(url):
        print(f"[{scale}] reusing {name}", flush=True)
        manage(env, "migrate", "--no-input", "-v0")  # the code may have moved on
        return url, env, previous_generation(scale)
    print(f"[{scale}] creating {name}", flush=True)
    recreate_database(base_url, name)
    manage(env, "migrate", "--no-input", "-v0")
    started = time.monotonic()
    process = subprocess.Popen(
        [PYTHON, str(ROOT / "manage.py"), "generate_data", "--scale", scale]
        + ["--big-project", str(BIG_PROJECT), "--office-cases", str(OFFICE_CASES)]
        + ["--office", OFFICE],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    last = ""
    for line in process.stdout:
        # The summary line, not the figures refreshed after it.
        if line.startswith("Generated "):
            last = line.strip()
        if "rows/s" in line:
            print(f"[{scale}] {line.strip()}", flush=True)
    if process.wait():
        raise SystemExit(f"generate_data failed for {scale}")
    match = re.search(r"Generated ([\d,]+) rows in ([\d.]+) s: ([\d,]+) rows/s", last)
    generation = {
        "rows": int(match[1].replace(",", "")),
        "seconds": float(match[2]),
        "rows_per_second": int(match[3].replace(",", "")),
        "wall_seconds_with_vacuum": round(time.monotonic() - started, 1),
    }
    return url, env, generation


@functools.cache
def previous_results():
    """docs/performance.json as it was before this run rewrites it."""
    try:
        return json.loads((ROOT / "docs" / "performance.json").read_text())
    except (OSError, ValueError):
        return {}


def previous_generation(scale):
    """The generation figures of the run that filled a reused database, if known."""
    return previous_results().get("scales", {}).get(scale, {}).get("generation")


def run_scale(scale, options, base_url):
    url, env, generation = load(scale, base_url, options.reuse)
    vacuumed(url)
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run(
            [PYTHON, __file__, "measure", "--out", out.name, "--runs", str(options.runs)]
            + ["--middleware-requests", str(options.middleware_requests)],
            env=env,
            cwd=ROOT,
            check=True,
        )
        measured = json.loads(Path(out.name).read_text())
    measured["exports"] = measure_exports(env)
    measured["generation"] = generation
    measured["refresh"] = measure_refresh(env)
    measured["load"] = serve_and_load(env, measured, options)
    return measured


def vacuumed(url):
    """VACUUM ANALYZE the whole database, as autovacuum would have by now: the
    last run's load test (its visits recorded) and refreshes leave dead rows and
    pages no longer all-visible, and autovacuum may be off (it is on CI machines
    like this one), which would slow every index-only scan measured after."""
    import psycopg2

    connection = psycopg2.connect(url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    connection.close()


def measure_refresh(env):
    """The reports' figures rebuilt whole, then a day's changes and the refresh of
    what changed (scripts/day_of_changes.py, rolled back: the data stay as
    generated)."""
    full = manage(env, "refresh_reports", "--full", capture=True)
    match = re.search(r"([\d,]+) rows in ([\d.]+) s", full)
    day = subprocess.run(
        [PYTHON, str(ROOT / "scripts" / "day_of_changes.py"), "--seed", "16", "--rollback"],
        env=env, cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    changed = re.search(r"Refresh of what changed: ([\d.]+) s", day)
    return {
        "full_rows": int(match[1].replace(",", "")),
        "full_seconds": float(match[2]),
        "day_seconds": float(changed[1]),
    }


def measure_exports(env):
    """scripts/bench_exports.py: the largest exports, each in a process of its own."""
    output = subprocess.run(
        [PYTHON, str(ROOT / "scripts" / "bench_exports.py")],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output)


def free_port():
    """A port no other server on this machine listens on (another benchmark may run)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve_and_load(env, measured, options):
    port = free_port()
    server = subprocess.Popen(
        [str(Path(PYTHON).parent / "gunicorn"), "welfare.wsgi", "--workers", "2"]
        + ["--bind", f"127.0.0.1:{port}", "--no-control-socket", "--log-level", "warning"],
        env=env,
        cwd=ROOT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/about/", timeout=1)
                break
            except OSError:  # not listening yet, or still starting its workers
                time.sleep(0.2)
        targets = [
            (p["url"], measured["cookies"][p["user"]]) for p in measured["pages"] if p["load"]
        ]
        for url, cookie in targets:  # warm both workers
            for _ in range(2):
                request(base + url, cookie)
        export = next(
            p for p in measured["pages"] if p["name"] == "export participants CSV (10,000 rows)"
        )
        streaming = [
            request(base + export["url"], measured["cookies"][export["user"]]) for _ in range(5)
        ]
        result = {
            "export_first_byte_ms": round(statistics.median(s[1] for s in streaming) * 1000, 1),
            "export_complete_ms": round(statistics.median(s[2] for s in streaming) * 1000, 1),
            "export_bytes": streaming[0][3],
            "pages": len(targets),
            "seconds": options.load_seconds,
            "connections": options.connections,
        }
        load = wrk if shutil.which("wrk") else python_load
        result.update(load(base, targets, options))
        officer = measured["cookies"]["officer"]
        result["stats"] = stats_under_load(base, officer, options, load)
        # The open-data files and the editions' pages, as many visitors read them.
        files = [(url, "") for url in measured.get("open_data", [])]
        if files:
            result["open_data"] = stats_under_load(base, officer, options, load, files)
        result["mix"] = mix_load(base, measured, options)
        return result
    finally:
        server.terminate()
        server.wait(timeout=30)


def stats_under_load(base, officer_cookie, options, load, targets=(("/stats/", ""),)):
    """The public /stats/ cannot stop the service: anonymous connections on it
    (no session) while an officer's worklist is timed, one request at a time.
    /stats/ and the open-data files read stored cells only, kept by each
    process: a visitor's request runs no query."""
    worklist = []
    stop = time.monotonic() + options.load_seconds

    def time_worklist():
        while time.monotonic() < stop:
            status, _, seconds, _ = request(base + "/homehelp/", officer_cookie)
            worklist.append(seconds if status == 200 else float("inf"))

    timer = threading.Thread(target=time_worklist)
    timer.start()
    result = load(base, list(targets), options)
    timer.join()
    times = sorted(worklist)
    result["worklist_p50_ms"] = round(statistics.median(times) * 1000, 1)
    result["worklist_p95_ms"] = round(times[int(len(times) * 0.95)] * 1000, 1)
    result["worklist_requests"] = len(times)
    return result


def request(url, cookie):
    """(status, seconds to first byte, seconds to the end, bytes)."""
    started = time.perf_counter()
    req = urllib.request.Request(url, headers={"Cookie": f"sessionid={cookie}"})
    try:
        with urllib.request.urlopen(req, timeout=60) as response:
            first = response.read(1)
            first_byte = time.perf_counter() - started
            size = len(first) + len(response.read())
            status = response.status
    except urllib.error.HTTPError as error:
        return error.code, 0, time.perf_counter() - started, 0
    return status, first_byte, time.perf_counter() - started, size


HIDDEN_INPUT = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)"')


class Browser:
    """One user's cookies (session, CSRF, messages) over urllib, redirects not followed."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self, base, session):
        self.base = base
        self.cookies = {"sessionid": session}
        self.opener = urllib.request.build_opener(self.NoRedirect)

    def open(self, url, data=None):
        """(status, seconds, body)"""
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if data is not None:
            headers["Referer"] = self.base + url
            data = urllib.parse.urlencode(data).encode()
        req = urllib.request.Request(self.base + url, data=data, headers=headers)
        started = time.perf_counter()
        try:
            with self.opener.open(req, timeout=60) as response:
                body, status, received = response.read(), response.status, response.headers
        except urllib.error.HTTPError as error:
            body, status, received = error.read(), error.code, error.headers
        seconds = time.perf_counter() - started
        for header in received.get_all("Set-Cookie") or []:
            name, _, value = header.split(";", 1)[0].partition("=")
            if value and value != '""':
                self.cookies[name] = value
            else:
                self.cookies.pop(name, None)
        return status, seconds, body.decode("utf-8", "replace")


def mix_load(base, measured, options):
    """The realistic mix (scripts/bench_pages.realistic_mix): each connection a
    user picking the next request by weight, the form posts as a browser sends
    them (the form page, then its POST with the page's CSRF token and
    submission token). Python threads and urllib: wrk cannot read a token."""
    import random

    mix = measured["mix"]
    weights = [entry[0] for entry in mix]
    records, lock = [], threading.Lock()
    stop = time.monotonic() + options.load_seconds

    def record(group, status, seconds, expected=200):
        with lock:
            records.append((group, seconds * 1000, status != expected))

    def user(seed):
        chooser = random.Random(seed)
        browsers = {name: Browser(base, cookie) for name, cookie in measured["cookies"].items()}
        while time.monotonic() < stop:
            _, group, name, target = chooser.choices(mix, weights)[0]
            browser = browsers[name]
            target = chooser.choice(target) if isinstance(target, list) else target
            if isinstance(target, str):
                status, seconds, _ = browser.open(target)
                record(group, status, seconds)
                continue
            status, seconds, page = browser.open(target["url"])
            record(group, status, seconds)
            fields = dict(HIDDEN_INPUT.findall(page))
            status, seconds, _ = browser.open(target["action"], {**fields, **target["data"]})
            record(group + " POST", status, seconds, expected=302)

    threads = [threading.Thread(target=user, args=(n,)) for n in range(options.connections)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started

    def figures(rows):
        times = sorted(ms for _, ms, _ in rows)
        return {
            "requests": len(times),
            "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[int(len(times) * 0.95)], 1),
            "errors": sum(error for _, _, error in rows),
        }

    groups = sorted({group for group, _, _ in records})
    return {
        "tool": "Python threads + urllib",
        "seconds": options.load_seconds,
        "connections": options.connections,
        "throughput_rps": round(len(records) / elapsed, 1),
        **figures(records),
        "groups": {group: figures([r for r in records if r[0] == group]) for group in groups},
    }


WRK_SCRIPT = """
local targets = {%s}
local counter = 0
local errors = 0
request = function()
  counter = counter + 1
  local target = targets[(counter %% #targets) + 1]
  return wrk.format("GET", target[1], {["Cookie"] = "sessionid=" .. target[2]})
end
response = function(status, headers, body)
  if status ~= 200 then errors = errors + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format("JSON {\\"requests\\": %%d, \\"seconds\\": %%f, \\"p50\\": %%f, \\"p95\\": %%f, \\"p99\\": %%f, \\"max\\": %%f, \\"socket_errors\\": %%d, \\"non_2xx\\": %%d}\\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
"""


def wrk(base, targets, options):
    entries = ", ".join(f'{{"{url}", "{cookie}"}}' for url, cookie in targets)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % entries)
    try:
        output = subprocess.run(
            ["wrk", "-t2", f"-c{options.connections}", f"-d{options.load_seconds}s"]
            + ["--timeout", "10s", "-s", script.name, base + "/"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script.name)
    figures = json.loads(output.split("JSON ", 1)[1])
    return {
        "tool": "wrk 4 (2 threads)",
        "requests": figures["requests"],
        "throughput_rps": round(figures["requests"] / figures["seconds"], 1),
        "p50_ms": round(figures["p50"], 1),
        "p95_ms": round(figures["p95"], 1),
        "p99_ms": round(figures["p99"], 1),
        "max_ms": round(figures["max"], 1),
        "errors": figures["socket_errors"] + figures["non_2xx"],
    }


def python_load(base, targets, options):
    """Threads and urllib, bounded by time: a fallback for machines without wrk."""
    latencies, errors = [], [0]
    stop = time.monotonic() + options.load_seconds
    lock = threading.Lock()

    def user(offset):
        index = offset
        while time.monotonic() < stop:
            url, cookie = targets[index % len(targets)]
            index += 1
            status, _, seconds, _ = request(base + url, cookie)
            with lock:
                latencies.append(seconds * 1000)
                errors[0] += status != 200

    threads = [threading.Thread(target=user, args=(n,)) for n in range(options.connections)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "tool": "Python threads + urllib",
        "requests": len(latencies),
        "throughput_rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(cuts[49], 1),
        "p95_ms": round(cuts[94], 1),
        "p99_ms": round(cuts[98], 1),
        "max_ms": round(max(latencies), 1),
        "errors": errors[0],
    }


def machine():
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) // 1024 // 1024} GB RAM"
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        cpu = platform.processor()
    server = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.strip()
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory": memory,
        "python": platform.python_version(),
        "postgresql": server,
        "system": platform.platform(),
    }


def measured_on(results):
    """The date of the run, or of each scale's if some were measured on another day."""
    dates = {}
    for scale, data in results["scales"].items():
        dates.setdefault(data.get("date") or results["date"], []).append(scale)
    if len(dates) <= 1:
        return results["date"]
    return ", ".join(f"{day} ({', '.join(scales)})" for day, scales in sorted(dates.items()))


def write_docs(results):
    docs = ROOT / "docs"
    docs.mkdir(exist_ok=True)
    (docs / "performance.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    scales = results["scales"]
    lines = [
        "# Performance at national scale",
        "",
        f"Measured by `make bench` (scripts/bench.py) on {measured_on(results)}. Machine: "
        f"{results['machine']['cpus']} CPUs ({results['machine']['cpu']}), "
        f"{results['machine']['memory']}, {results['machine']['postgresql']}, "
        f"Python {results['machine']['python']}. Raw figures: `docs/performance.json`.",
        "",
        "Each scale has a database of its own, generated once by `manage.py generate_data` "
        f"(plus one project of {BIG_PROJECT:,} participants and {OFFICE_CASES:,} more cases at "
        f"{OFFICE}, the district officer's office). Times are the median of "
        f"{results['runs']} warm runs through Django's test client in one process (server time: "
        "middleware, views, queries, templates; no network). *SQL* is the same aggregate "
        "written by hand and run through the same connection; *ratio* = page ÷ SQL. "
        "*ORM* is the report's query function alone.",
        "",
        "## Data",
        "",
        "| scale | projects | participations | people | cases | visits | rows generated | seconds | rows/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for scale, data in scales.items():
        counts, generation = data["counts"], data["generation"] or {}
        lines.append(
            f"| {scale} | {counts['projects']:,} | {counts['participations']:,} | "
            f"{counts['people']:,} | {counts['cases']:,} | {counts['visits']:,} | "
            f"{generation.get('rows', 0):,} | {generation.get('seconds', '–')} | "
            f"{generation.get('rows_per_second', 0):,} |"
        )
    lines += [
        "",
        "## The reports' figures (refresh_reports)",
        "",
        "Rebuilt whole (`--full`), then after a day's changes (scripts/day_of_changes.py: 500 "
        "participations added, 50 projects edited, 2,000 visits added, 100 edited or deleted), "
        "only what changed.",
        "",
        "| scale | full: rows | full: seconds | rows/s | a day's changes: seconds |",
        "|---|---:|---:|---:|---:|",
    ]
    for scale, data in scales.items():
        refresh = data.get("refresh")
        if refresh:
            lines.append(
                f"| {scale} | {refresh['full_rows']:,} | {refresh['full_seconds']} | "
                f"{refresh['full_rows'] / max(refresh['full_seconds'], 1e-9):,.0f} | "
                f"{refresh['day_seconds']} |"
            )
    lines += [
        "",
        "## Pages",
        "",
        "| scale | page | user | median ms | SQL ms | ORM ms | ratio | queries |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for scale, data in scales.items():
        for page in data["pages"]:
            sql = page.get("sql_ms")
            lines.append(
                f"| {scale} | {page['name']} | {page['user']} | {page['median_ms']} | "
                f"{sql if sql is not None else ''} | {page.get('orm_ms', '')} | "
                f"{page.get('ratio', '')} | {page['queries']} |"
            )
    lines += ["", "## Query counts across scales", ""]
    differing = []
    # The same pages in the same order at every scale; names carry row counts.
    for index, page in enumerate(next(iter(scales.values()))["pages"]):
        counts = {s: d["pages"][index]["queries"] for s, d in scales.items()}
        if len(set(counts.values())) > 1:
            name = page["name"]
            differing.append(f"- {name}: " + ", ".join(f"{s} {n}" for s, n in counts.items()))
    lines += differing or ["The same at every scale measured, for every page."]
    lines += [
        "",
        "## Under load: gunicorn, 2 workers, on 127.0.0.1",
        "",
        "Every page above except the export, in turn, from a second process.",
        "",
        "| scale | tool | seconds | connections | requests | requests/s | p50 ms | p95 ms | p99 ms | max ms | errors | export first byte ms | export complete ms |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for scale, data in scales.items():
        load = data["load"]
        lines.append(
            f"| {scale} | {load['tool']} | {load['seconds']} | {load['connections']} | "
            f"{load['requests']:,} | {load['throughput_rps']} | {load['p50_ms']} | "
            f"{load['p95_ms']} | {load['p99_ms']} | {load['max_ms']} | {load['errors']} | "
            f"{load['export_first_byte_ms']} | {load['export_complete_ms']} |"
        )
    lines += [
        "",
        "## The largest exports (HQ, every row)",
        "",
        "Each file read to its last byte through Django's test client, in a process of its "
        "own (`scripts/bench_exports.py`); *memory* is the growth of the process's peak "
        "resident set while it is written; *COPY* is PostgreSQL sending the export's own "
        "query as CSV to the same process.",
        "",
        "| scale | file | rows | seconds | memory MB | COPY seconds | ÷ COPY |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for scale, data in scales.items():
        for export in data.get("exports", []):
            lines.append(
                f"| {scale} | {export['export']} | {export['csv_lines'] or ''} | "
                f"{export['seconds']} | {export['rss_growth_mb']} | {export['copy_seconds']} | "
                f"{export['ratio_to_copy']} |"
            )
    lines += [
        "",
        "## /stats/ under load, and an officer's worklist meanwhile",
        "",
        "Anonymous connections on the public statistics (no session, so the "
        "process's cache answers); one officer requests the worklist again and again.",
        "",
        "| scale | connections | seconds | /stats/ requests/s | p50 ms | p95 ms | errors | worklist p50 ms | worklist p95 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for scale, data in scales.items():
        stats = data["load"].get("stats")
        if stats:
            lines.append(
                f"| {scale} | {data['load']['connections']} | {data['load']['seconds']} | "
                f"{stats['throughput_rps']} | {stats['p50_ms']} | {stats['p95_ms']} | "
                f"{stats['errors']} | {stats['worklist_p50_ms']} | {stats['worklist_p95_ms']} |"
            )
    lines += [
        "",
        "## Under load: the realistic mix, gunicorn 2 workers",
        "",
        "80 % a district officer's pages (worklist, cases, case pages, volunteers, visits, "
        "a project), a tenth of them recording a visit through the case page's form (the "
        "form page, then its POST with the page's CSRF token: *officer form*); 15 % the "
        "lists of a state officer and HQ; 5 % the reports and the dashboard "
        "(`scripts/bench_pages.realistic_mix`). Each connection is a user who sends the "
        "next request when the answer came (Python threads).",
        "",
        "| scale | connections | seconds | requests | requests/s | p50 ms | p95 ms | errors |"
        + " "
        + " | ".join(f"{g} p50 / p95" for g in MIX_GROUPS)
        + " |",
        "|---|---:|---:|---:|---:|---:|---:|---:|" + "---:|" * len(MIX_GROUPS),
    ]
    for scale, data in scales.items():
        mix = data["load"].get("mix")
        if mix:
            cells = [
                f"{mix['groups'][g]['p50_ms']} / {mix['groups'][g]['p95_ms']}"
                if g in mix["groups"]
                else ""
                for g in MIX_GROUPS
            ]
            lines.append(
                f"| {scale} | {mix['connections']} | {mix['seconds']} | {mix['requests']:,} | "
                f"{mix['throughput_rps']} | {mix['p50_ms']} | {mix['p95_ms']} | "
                f"{mix['errors']} | " + " | ".join(cells) + " |"
            )
    lines += [
        "",
        "## What each middleware costs",
        "",
        "The middleware of `settings.MIDDLEWARE` added one at a time in front of a bare view "
        '(it answers "ok"), served by Django\'s WSGI handler in one process '
        "(`scripts/bench_middleware.py`): median ms of a request of a signed-in district "
        "officer, of the same on a bare page that asks two permissions, and of an anonymous "
        "request for a bare page open without signing in; *+* is what the middleware "
        "added, *q* the queries of the request.",
        "",
    ]
    for scale, data in scales.items():
        rows = data.get("middleware")
        if not rows:
            continue
        lines += [
            f"### {scale}",
            "",
            "| middleware | signed in ms | + | q | permissions ms | q | public ms | + | q |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for row in rows:
            lines.append(
                f"| `{row['middleware']}` | {row['signed_in_ms']} | "
                f"{row['signed_in_step_ms']:+} | {row['signed_in_queries']} | "
                f"{row['permissions_ms']} | {row['permissions_queries']} | "
                f"{row['public_ms']} | {row['public_step_ms']:+} | {row['public_queries']} |"
            )
        overhead = rows[-1]["signed_in_ms"] - rows[0]["signed_in_ms"]
        lines += ["", f"A signed-in bare page: {overhead:.2f} ms over the bare view.", ""]
    lines += [
        "",
        "## Published editions under load: their pages, CSV and JSON, and the list",
        "",
        "Anonymous connections on every edition's public page, CSV and JSON and on "
        "`/stats/editions/`, in turn (stored cells, kept by each process); one officer "
        "requests the worklist meanwhile.",
        "",
        "| scale | connections | seconds | requests/s | p50 ms | p95 ms | errors | worklist p50 ms | worklist p95 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for scale, data in scales.items():
        files = data["load"].get("open_data")
        if files:
            lines.append(
                f"| {scale} | {data['load']['connections']} | {data['load']['seconds']} | "
                f"{files['throughput_rps']} | {files['p50_ms']} | {files['p95_ms']} | "
                f"{files['errors']} | {files['worklist_p50_ms']} | {files['worklist_p95_ms']} |"
            )
    notes = results.get("notes")
    if notes:
        lines += ["", "## Notes", "", notes.strip()]
    (docs / "performance.md").write_text("\n".join(said_if_empty(lines)) + "\n")


def said_if_empty(lines):
    """A table that the run measured nothing for (a scenario newer than the
    run the figures come from) says so below its header."""
    out = []
    for number, line in enumerate(lines):
        out.append(line)
        following = lines[number + 1] if number + 1 < len(lines) else ""
        if line.startswith("|---") and not following.startswith("|"):
            out += ["", "*Not measured in the run these tables come from: see the notes.*"]
    return out


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default=os.environ.get("SCALES", "S,M"))
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--load-seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--reuse", action="store_true", help="Keep a scale's database if filled.")
    parser.add_argument(
        "--middleware-requests",
        type=int,
        default=1000,
        help="Requests per middleware chain and kind (scripts/bench_middleware.py).",
    )
    parser.add_argument(
        "--docs-only", action="store_true", help="Rewrite docs/performance.md from the JSON."
    )
    options = parser.parse_args(argv)
    notes_file = ROOT / "docs" / "performance-notes.md"
    if options.docs_only:
        results = json.loads((ROOT / "docs" / "performance.json").read_text())
        results["notes"] = notes_file.read_text() if notes_file.exists() else ""
        write_docs(results)
        return
    base_url = os.environ.get("DATABASE_URL", "")
    if not base_url.startswith("postgres"):
        raise SystemExit('DATABASE_URL must point at PostgreSQL: eval "$(scripts/postgres.sh)"')
    manage(environment(base_url), "collectstatic", "--no-input", "-v0")
    results = {
        "date": date.today().isoformat(),
        "runs": options.runs,
        "machine": machine(),
        "scales": {},
    }
    notes_file = ROOT / "docs" / "performance-notes.md"
    if notes_file.exists():
        results["notes"] = notes_file.read_text()
    chosen = [s.strip().upper() for s in options.scales.split(",") if s.strip()]
    # The scales not measured this time keep their last figures, with their date.
    earlier = previous_results()
    kept = {
        scale: {"date": earlier.get("date"), **data}
        for scale, data in earlier.get("scales", {}).items()
        if scale not in chosen
    }
    for scale in chosen:
        results["scales"][scale] = {"date": results["date"], **run_scale(scale, options, base_url)}
        results["scales"] = {
            name: results["scales"].get(name) or kept[name]
            for name in sorted({*results["scales"], *kept}, key="SML".find)
        }
        write_docs(results)
    print(f"Wrote {ROOT / 'docs' / 'performance.md'}")


# --- The measurement, in a process configured for one scale's database -------


def measure(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--middleware-requests", type=int, default=1000)
    options = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "welfare.settings")
    import django

    django.setup()
    from scripts.bench_middleware import measure_middleware, print_table
    from scripts.bench_pages import measure_pages

    measured = measure_pages(options.runs, PASSWORD, OFFICE)
    measured["middleware"] = measure_middleware(options.middleware_requests)
    print_table(measured["middleware"])
    Path(options.out).write_text(json.dumps(measured))


if __name__ == "__main__":
    if sys.argv[1:2] == ["measure"]:
        measure(sys.argv[2:])
    else:
        main(sys.argv[1:])
