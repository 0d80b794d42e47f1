#!/usr/bin/env bash
# Installs Watchbill and runs its main job on the bundled example organisation: validate everything, show who
# is on call, and build the public status site into site/build/public.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV="${WATCHBILL_VENV:-.venv}"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e .
"$VENV/bin/watchbill" validate
