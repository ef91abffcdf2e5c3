#!/bin/sh
# The container's start: migrate, load the demo only when asked, then `exec` the server so that
# it runs as PID 1 and receives the stop signal (`docker stop` sends SIGTERM) itself.
set -eu

if [ "${PORTION_DEMO:-0}" = "1" ] && [ "${PORTION_ENV:-}" != "development" ]; then
    echo "Error: PORTION_DEMO=1 also needs PORTION_ENV=development (the demo accounts' password is published)" >&2
    exit 2
fi
portion migrate
if [ "${PORTION_DEMO:-0}" = "1" ]; then
    portion seed-demo --if-empty
fi
exec portion serve --host 0.0.0.0 --port 8000 "$@"
