#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into the database of OPERA_DATABASE_URL (its tables are replaced),
# and the files archive beside the dump, if there is one, into the instance's files folder. Stop the app
# servers and cron's `opera notify` first; start them again after.
#
#   OPERA_DATABASE_URL=postgresql://opera@db/opera scripts/restore.sh /var/backups/opera/opera-20261206T050000Z.dump
set -euo pipefail

dump="${1:?usage: restore.sh BACKUP.dump}"
url="${OPERA_DATABASE_URL:?OPERA_DATABASE_URL is not set}"
[ -f "$dump" ] || { echo "restore.sh: no such backup: $dump" >&2; exit 2; }
case "$url" in
  postgresql*) ;;
  *) echo "restore.sh: OPERA_DATABASE_URL is not PostgreSQL" >&2; exit 2 ;;
esac
url="postgresql:${url#*:}"
# All or nothing: a restore that fails leaves the database as it was.
pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction --exit-on-error \
  --dbname="$url" "$dump"
echo "database restored from $dump"
archive="${dump%.dump}.files.tar.gz"
if [ -f "$archive" ]; then
  files="${OPERA_INSTANCE_PATH:-$PWD/instance}/files"
  mkdir -p "$files"
  tar -xzf "$archive" -C "$files"
  echo "files restored into $files"
fi
