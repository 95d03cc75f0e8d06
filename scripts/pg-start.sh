#!/usr/bin/env bash
# Start a throwaway PostgreSQL on 127.0.0.1 for the test suite and print its URL.
# Usage: eval "$(scripts/pg-start.sh)"   (sets SAFEHARBOR_TEST_POSTGRES_URL and PG_TEST_DATA)
set -euo pipefail
# a free port, so a server already running here (another checkout's) is no obstacle
port=${PG_TEST_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bin" ] || { echo "echo 'PostgreSQL is not installed: PostgreSQL tests will be skipped' >&2"; exit 0; }
data=$(mktemp -d /tmp/safeharbor-pg.XXXXXX)
run_as=()
if [ "$(id -u)" = 0 ]; then chown postgres "$data"; run_as=(runuser -u postgres --); fi
"${run_as[@]}" "$bin/initdb" -D "$data" -A trust -U postgres -E UTF8 >/dev/null
if ! "${run_as[@]}" "$bin/pg_ctl" -D "$data" -l "$data/log" -w \
  -o "-p $port -k $data -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null; then
  cat "$data/log" >&2
  echo "echo 'PostgreSQL did not start (log above)' >&2"
  exit 0
fi
echo "export SAFEHARBOR_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:$port/postgres"
echo "export PG_TEST_DATA=$data PG_TEST_BIN=$bin"
