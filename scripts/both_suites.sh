#!/usr/bin/env bash
# The test suite on SQLite and on PostgreSQL at the same time (each mostly keeps one core busy: together they
# take the time of the longer one). The PostgreSQL run's output is kept aside and shown after the SQLite one.
# Each run lists its slowest tests: what to look at first when CI grows near its time limit.
# both_suites.sh PYTHON POSTGRESQL_URL; exits 1 if either run failed.
set -uo pipefail
python="$1"
pg_url="$2"
here="$(dirname "$0")"
pg_log="$(mktemp)"
trap 'rm -f "$pg_log"' EXIT
"$here/phase.sh" "PostgreSQL suite" env OPERA_TEST_DATABASE_URL="$pg_url" "$python" -m pytest --durations=15 >"$pg_log" 2>&1 &
pg_pid=$!
"$here/phase.sh" "SQLite suite" "$python" -m pytest --durations=15
sqlite_status=$?
wait "$pg_pid"
pg_status=$?
echo "== the PostgreSQL run"
cat "$pg_log"
[ "$sqlite_status" -eq 0 ] && [ "$pg_status" -eq 0 ]
