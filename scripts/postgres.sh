#!/usr/bin/env bash
# Make sure the local PostgreSQL is up and has the project's role and database.
# Starts the server if it is down; never stops or restarts it.
# Usage: eval "$(scripts/postgres.sh)"   # exports DATABASE_URL
set -euo pipefail
if ! command -v pg_isready >/dev/null; then
  echo "PostgreSQL is not installed (apt-get install postgresql)." >&2
  exit 1
fi
if ! pg_isready -q -h 127.0.0.1; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start >&2
fi
for _ in $(seq 1 100); do pg_isready -q -h 127.0.0.1 && break; sleep 0.2; done
runuser -u postgres -- psql -q -v ON_ERROR_STOP=1 >&2 <<'SQL'
SELECT 'CREATE ROLE welfare LOGIN CREATEDB PASSWORD ''welfare''' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname='welfare')\gexec
SELECT 'CREATE DATABASE welfare OWNER welfare' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname='welfare')\gexec
SQL
echo "export DATABASE_URL=postgres://welfare:welfare@127.0.0.1:5432/welfare"
