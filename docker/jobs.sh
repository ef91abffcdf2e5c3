#!/bin/sh
# The periodic jobs' container: `portion run-jobs` now, then every PORTION_JOBS_INTERVAL_S
# seconds (default: hourly). The jobs are idempotent, so a run missed while the container was
# down is simply made up by the next one. SIGTERM ends the wait at once.
set -u
interval="${PORTION_JOBS_INTERVAL_S:-3600}"
trap 'exit 0' TERM INT
while :; do
    portion run-jobs || echo "portion run-jobs failed (exit $?): trying again in ${interval} s" >&2
    sleep "$interval" &
    wait $!
done
