"""What each middleware costs a request: the middleware of settings.MIDDLEWARE
added one at a time in front of a bare view (a view that returns "ok"), each
chain served by Django's WSGI handler as gunicorn calls it, in one process.

Three requests per chain: a signed-in district officer on a bare page, the same
officer on a bare page that asks two permissions (as a page with buttons does),
and an anonymous request for a bare page open without signing in. The chains are
timed in turns (a batch of each, again and again) so that a slower moment of a
shared machine falls on all of them; the figure is the median of every request.

Run by scripts/bench.py in a process configured for one scale's database, or
alone: DATABASE_URL=... SECRET_KEY=x scripts/bench_middleware.py [--requests 1000]"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.urls import path

ROOT = Path(__file__).resolve().parent.parent
BATCH = 50
USERNAME = "bench.middleware"


def bare(request):
    return HttpResponse("ok")


@login_not_required
def public(request):
    return HttpResponse("ok")


def permissions(request):
    user = getattr(request, "user", None)  # none before AuthenticationMiddleware
    if user is not None:
        user.has_perm("homehelp.add_visit")
        user.has_perm("homehelp.change_case")
    return HttpResponse("ok")


def urlpatterns_with_bare_views():
    from welfare.urls import urlpatterns

    return [
        path("bench/bare/", bare),
        path("bench/public/", public),
        path("bench/permissions/", permissions),
        *urlpatterns,
    ]


class BenchURLs:
    """The project's URLs (middlewares reverse some of them) and the bare views."""

    @property
    def urlpatterns(self):
        return urlpatterns_with_bare_views()


def officer():
    from django.contrib.auth.models import Group

    from welfare.models import Office, Role, User

    user, _ = User.objects.get_or_create(username=USERNAME)
    user.office = Office.objects.order_by("pk").first()
    user.save()
    user.groups.set([Group.objects.get(name=Role.DISTRICT_OFFICER)])
    return user


def session_cookie(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def environ(url, cookie=""):
    from django.test import RequestFactory

    extra = {"HTTP_HOST": "127.0.0.1"}
    if cookie:
        extra["HTTP_COOKIE"] = f"sessionid={cookie}"
    return RequestFactory()._base_environ(PATH_INFO=url, REQUEST_METHOD="GET", **extra)


def serve(handler, base):
    statuses = []
    body = handler(dict(base), lambda status, headers, exc_info=None: statuses.append(status))
    content = b"".join(body)
    body.close()
    if not statuses[0].startswith("200"):
        raise RuntimeError(f"{base['PATH_INFO']} answered {statuses[0]}")
    return content


def queries_of(handler, base):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    serve(handler, base)  # the first may renew the session
    with CaptureQueriesContext(connection) as captured:
        serve(handler, base)
    return len(captured)


def measure_middleware(requests=1000):
    """[{middleware, signed_in_ms, signed_in_step_ms, ...}] for the chains of the
    first 0, 1, 2 … middlewares of settings.MIDDLEWARE."""
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.test.utils import override_settings

    cookie = session_cookie(officer())
    kinds = {
        "signed_in": environ("/bench/bare/", cookie),
        "permissions": environ("/bench/permissions/", cookie),
        "public": environ("/bench/public/"),
    }
    middleware = list(settings.MIDDLEWARE)
    overrides = override_settings(
        ROOT_URLCONF=BenchURLs(),
        ALLOWED_HOSTS=["127.0.0.1"],
        SECURE_SSL_REDIRECT=False,
        DEBUG=False,
    )
    overrides.enable()
    try:
        handlers = []
        for count in range(len(middleware) + 1):
            with override_settings(MIDDLEWARE=middleware[:count]):
                handlers.append(WSGIHandler())
        times = [{kind: [] for kind in kinds} for _ in handlers]
        for handler in handlers:  # warm: connections, templates, caches
            for base in kinds.values():
                for _ in range(20):
                    serve(handler, base)
        for _ in range(max(1, requests // BATCH)):
            for handler, timed in zip(handlers, times, strict=True):
                for kind, base in kinds.items():
                    for _ in range(BATCH):
                        started = time.perf_counter()
                        serve(handler, base)
                        timed[kind].append(time.perf_counter() - started)
        rows = []
        for count, (handler, timed) in enumerate(zip(handlers, times, strict=True)):
            row = {"middleware": middleware[count - 1] if count else "(none: the bare view)"}
            for kind, base in kinds.items():
                row[f"{kind}_ms"] = round(statistics.median(timed[kind]) * 1000, 3)
                row[f"{kind}_queries"] = queries_of(handler, base)
            rows.append(row)
        for before, row in zip([None, *rows], rows, strict=False):
            for kind in kinds:
                step = row[f"{kind}_ms"] - before[f"{kind}_ms"] if before else 0
                row[f"{kind}_step_ms"] = round(step, 3)
        return rows
    finally:
        overrides.disable()


def print_table(rows):
    print(
        f"{'middleware':58} {'signed in':>10} {'+':>7} {'q':>3} {'perms':>8} {'q':>3}"
        f" {'public':>8} {'+':>7} {'q':>3}"
    )
    for row in rows:
        print(
            f"{row['middleware']:58} {row['signed_in_ms']:>10.3f} {row['signed_in_step_ms']:>+7.3f}"
            f" {row['signed_in_queries']:>3} {row['permissions_ms']:>8.3f}"
            f" {row['permissions_queries']:>3} {row['public_ms']:>8.3f}"
            f" {row['public_step_ms']:>+7.3f} {row['public_queries']:>3}"
        )


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1000, help="per chain and request kind")
    parser.add_argument("--json", help="also write the rows to this file")
    options = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "welfare.settings")
    import django

    django.setup()
    rows = measure_middleware(options.requests)
    print_table(rows)
    if options.json:
        Path(options.json).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
