#!/bin/sh
# The container's start: one process that migrates and then serves (`portion serve --migrate`),
# `exec`'d so that it runs as PID 1 and receives the stop signal (`docker stop` sends SIGTERM)
# itself. The demo, only when asked, loads its data first.
set -eu

if [ "${PORTION_DEMO:-0}" = "1" ]; then
    if [ "${PORTION_ENV:-}" != "development" ]; then
        echo "Error: PORTION_DEMO=1 also needs PORTION_ENV=development (the demo accounts' password is published)" >&2
        exit 2
    fi
    portion migrate
    portion seed-demo --if-empty
fi
exec portion serve --migrate --host 0.0.0.0 --port 8000 "$@"
