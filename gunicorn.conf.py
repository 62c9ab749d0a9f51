"""gunicorn's settings for the app. `gunicorn welfare.wsgi` reads this file from
the working directory (the project's root; elsewhere: `-c /path/gunicorn.conf.py`);
a flag on the command line overrides a value here, and so do these variables:

GUNICORN_BIND             address to listen on (127.0.0.1:8000: behind nginx or a
                          load balancer on the same machine)
GUNICORN_WORKERS          worker processes (2 per CPU + 1)
GUNICORN_TIMEOUT          seconds a request may take (120: the largest export or import)
GUNICORN_CONTROL_SOCKET   a path for gunicorn's control socket; without it there is none,
                          so that several servers can run on one machine (they would all
                          claim ~/.gunicorn/gunicorn.ctl)
GUNICORN_MAX_REQUESTS     requests a worker serves before it is replaced (1000)"""

import multiprocessing
import os
from pathlib import Path

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Sync workers: a request holds its worker while it waits for PostgreSQL, so two
# per core keep the cores busy, the usual rule.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"

# A sync worker answers one request at a time and is killed if it takes longer than
# this. The longest requests are the largest exports (a national case or project
# workbook of 100,000 rows: under a minute, see docs/performance.md) and the
# confirmation of a 20,000-row import (seconds): twice the longest, not
# gunicorn's 30 s, which ended the national case export with a 500.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 120))
# A restart or a deploy lets the requests under way finish (an export streaming).
graceful_timeout = 60

# gunicorn 27's control socket is one path per user: a second server on the machine
# (another instance, the benchmark's) would take it over. None unless asked for.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "")
control_socket_disable = not control_socket

# The workers' heartbeat files in memory, not on a disk that may stall (containers
# often have /tmp on an overlay file system).
if Path("/dev/shm").is_dir():
    worker_tmp_dir = "/dev/shm"

# A worker is replaced after this many requests, at a random point within the
# jitter so that the workers are not all replaced at once: what a large export or
# import left in a worker's memory is given back.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 1000))
max_requests_jitter = max_requests // 10

# Errors to stderr (journald keeps them); no access log of its own: the proxy in
# front keeps one, and the app's own warnings go to stderr (welfare.settings).
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
