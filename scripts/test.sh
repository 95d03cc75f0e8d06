#!/usr/bin/env bash
# Run the test suite: sets up .venv on first use, starts a throwaway PostgreSQL when one is
# installed (the database tests run on SQLite and PostgreSQL), then pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]'
if [ -z "${SAFEHARBOR_TEST_POSTGRES_URL:-}" ]; then
  eval "$(scripts/pg-start.sh)"
  if [ -n "${PG_TEST_DATA:-}" ]; then
    stop_pg() {
      if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$PG_TEST_BIN/pg_ctl" -D "$PG_TEST_DATA" -m fast stop >/dev/null
      else "$PG_TEST_BIN/pg_ctl" -D "$PG_TEST_DATA" -m fast stop >/dev/null; fi
      rm -rf "$PG_TEST_DATA"
    }
    trap stop_pg EXIT
  fi
fi
if [ "${SAFEHARBOR_REQUIRE_POSTGRES:-}" = 1 ] && [ -z "${SAFEHARBOR_TEST_POSTGRES_URL:-}" ]; then
  echo "PostgreSQL is required here but could not be started" >&2; exit 1
fi
.venv/bin/python -m pytest "$@"
