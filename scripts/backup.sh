#!/usr/bin/env bash
# Back up the configured PostgreSQL database (DATABASE_URL) to a custom-format dump.
# Usage: scripts/backup.sh [FILE]   (default: backups/welfare-YYYYmmdd-HHMMSS.dump)
set -euo pipefail
: "${DATABASE_URL:?Set DATABASE_URL to the PostgreSQL database to back up}"
case "$DATABASE_URL" in postgres*) ;; *) echo "Backups are for PostgreSQL; DATABASE_URL is $DATABASE_URL" >&2; exit 1;; esac
file=${1:-backups/welfare-$(date +%Y%m%d-%H%M%S).dump}
mkdir -p "$(dirname "$file")"
pg_dump --format=custom --no-owner --no-privileges --file="$file" "$DATABASE_URL"
echo "$file"
