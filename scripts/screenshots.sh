#!/usr/bin/env bash
# Retake the portals' screenshots in docs/screenshots (the browser journeys take them).
set -euo pipefail
cd "$(dirname "$0")/.."
SAFEHARBOR_SCREENSHOTS=1 .venv/bin/python -m pytest -q tests/e2e -k "not postgres" "$@"
ls -l docs/screenshots
