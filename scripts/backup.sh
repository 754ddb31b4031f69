#!/usr/bin/env bash
# Back up OPERA Pathways on PostgreSQL: one pg_dump holds the database and, with the database file store
# (the default on PostgreSQL), every uploaded file too. With OPERA_FILE_STORE=folder the files folder of the
# instance is archived beside the dump.
#
#   OPERA_DATABASE_URL=postgresql://opera@db/opera scripts/backup.sh /var/backups/opera
#
# Prints the files written. Restore with scripts/restore.sh. See docs/deploy.md.
set -euo pipefail

target="${1:?usage: backup.sh DIRECTORY}"
url="${OPERA_DATABASE_URL:?OPERA_DATABASE_URL is not set}"
case "$url" in
  postgresql*) ;;
  *) echo "backup.sh: OPERA_DATABASE_URL is not PostgreSQL (on SQLite, copy the instance folder)" >&2; exit 2 ;;
esac
url="postgresql:${url#*:}"  # libpq knows no driver name: postgresql+psycopg:// -> postgresql://
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$target"
dump="$target/opera-$stamp.dump"
# One transaction's snapshot: the rows and the files they refer to are of the same moment.
pg_dump --format=custom --no-owner --no-privileges --file="$dump.part" "$url"
mv "$dump.part" "$dump"
echo "$dump"
if [ "${OPERA_FILE_STORE:-database}" = "folder" ]; then
  files="${OPERA_INSTANCE_PATH:-$PWD/instance}/files"
  archive="$target/opera-$stamp.files.tar.gz"
  # After the dump: files are written before their rows, so every row of the dump finds its file here.
  tar -czf "$archive.part" -C "$files" .
  mv "$archive.part" "$archive"
  echo "$archive"
fi
