# `make run` serves the app with demo data; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1:8000

.PHONY: run test test-fast lint messages backup restore

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-test: requirements.txt requirements-test.txt | $(BIN)/python
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-test.txt
	touch $@

# Browser tests drive Debian's Chromium; Playwright's own browser download cannot work offline.
# Installed only when missing; without root, ask for it (`apt-get install chromium`) or run
# `make test-fast`, which needs no browser.
/usr/bin/chromium:
	@if [ "$$(id -u)" != 0 ]; then echo "Chromium is missing: as root, apt-get install chromium (or run make test-fast)"; exit 1; fi
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

# Local development settings, so that `manage.py` works on a laptop after `make run`.
# The demo signs in with passwords alone; production asks HQ and administrators for a TOTP code.
.env:
	printf '# Local development (made by `make run`); see .env.example for production.\nDEBUG=true\nOTP_REQUIRED_ROLES=none\n' > $@

run: $(VENV)/.installed .env
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py load_demo
	@echo "Serving on http://$(HOST)/"
	$(BIN)/python manage.py runserver $(HOST)

test: export SECRET_KEY ?= insecure-key-for-tests-only
test: $(VENV)/.installed-test /usr/bin/chromium
	$(BIN)/pytest -n auto --dist loadfile

# The developer's loop (about a minute): no browser or slow tests, two processes, the test
# databases kept between runs (--create-db after a migration), `--lf` and the cache on.
# ARGS=... passes more, e.g. `make test-fast ARGS="--lf"` or `ARGS=tests/homehelp`.
test-fast: export SECRET_KEY ?= insecure-key-for-tests-only
test-fast: $(VENV)/.installed-test
	$(BIN)/pytest -m "not browser and not slow" -n 2 --reuse-db -q $(ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# After adding strings: `make messages`, translate what tests/test_i18n.py reports as
# untranslated or fuzzy in locale/ms/LC_MESSAGES/django.po, `make messages` again to
# compile, and commit the .po and the .mo together (a machine without gettext needs the .mo).
messages: $(VENV)/.installed
	DEBUG=true $(BIN)/python manage.py makemessages -l ms --no-obsolete --ignore=.venv --ignore=tests --ignore=staticfiles
	DEBUG=true $(BIN)/python manage.py compilemessages --ignore=.venv

# Benchmark at national scale (not part of `make test`; about 40 minutes, most of it L):
# SCALES=S,M for a quicker run. Uses databases welfare_bench_<scale>, generated once (kept:
# BENCH_ARGS=--reuse measures them again); writes docs/performance.md and .json, where the
# scales not run this time keep their last figures and say their date.
.PHONY: bench
SCALES ?= S,M,L
bench: $(VENV)/.installed /usr/bin/wrk
	eval "$$(scripts/postgres.sh)" && $(BIN)/python scripts/bench.py --scales $(SCALES) $(BENCH_ARGS)

# Fault test (not part of `make test`, a few minutes): database connections killed under
# load, gunicorn workers killed mid-import, concurrent edits, the database unreachable.
# Uses the database welfare_faults; prints a table and fails if any count is off.
.PHONY: faults
faults: $(VENV)/.installed
	eval "$$(scripts/postgres.sh)" && $(BIN)/python scripts/faults.py

/usr/bin/wrk:
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk || true

# PostgreSQL only: `make backup`, then `make restore FILE=backups/welfare-....dump`.
backup:
	scripts/backup.sh

restore:
	scripts/restore.sh $(FILE)
