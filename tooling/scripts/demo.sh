#!/usr/bin/env bash
# Installs Watchbill and runs its main job on the bundled example organisation: validate every file, show who is
# on call, simulate a SEV-1 escalation, and build the public status site into site/public.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV="${WATCHBILL_VENV:-.venv}"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e .
wb="$VENV/bin/watchbill"
echo "== watchbill validate"
"$wb" validate
echo "== watchbill oncall"
"$wb" oncall
echo "== watchbill escalate simulate --service api --severity SEV-1"
"$wb" escalate simulate --service api --severity SEV-1
echo "== watchbill site build"
"$wb" site build
echo "Open site/public/index.html, or run: $wb site serve"
