#!/usr/bin/env bash
# Install (first run) and start safeharbor on the embedded default: SQLite and a local data
# folder (SAFEHARBOR_HOME, default ~/.safeharbor). http://127.0.0.1:8000, API docs at /docs.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/safeharbor ]; then
  python3 -m venv .venv
  .venv/bin/python -m pip install -q --disable-pip-version-check -e .
fi
exec .venv/bin/safeharbor serve "$@"
