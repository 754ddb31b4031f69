#!/usr/bin/env bash
# One phase of the test run, timed: phase.sh NAME COMMAND... runs COMMAND, then prints how long it took and
# whether it passed; with PHASE_LOG set, also appends "NAME<TAB>SECONDS<TAB>STATUS" to that file (for the
# summary .ci/run prints). Exits with the command's status.
set -uo pipefail
name="$1"
shift
start=$(date +%s)
"$@"
status=$?
seconds=$(( $(date +%s) - start ))
verdict=$([ "$status" -eq 0 ] && echo ok || echo "FAILED ($status)")
printf '== phase %-18s %3dm%02ds  %s\n' "$name:" $((seconds / 60)) $((seconds % 60)) "$verdict"
if [ -n "${PHASE_LOG:-}" ]; then
  printf '%s\t%s\t%s\n' "$name" "$seconds" "$status" >> "$PHASE_LOG"
fi
exit "$status"
