#!/usr/bin/env bash
# Restore a dump made by scripts/backup.sh into the database DATABASE_URL names,
# replacing what is there. Usage: scripts/restore.sh FILE
set -euo pipefail
: "${DATABASE_URL:?Set DATABASE_URL to the PostgreSQL database to restore into}"
file=${1:?Usage: scripts/restore.sh FILE}
pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction \
  --dbname="$DATABASE_URL" "$file"
echo "Restored $file"
