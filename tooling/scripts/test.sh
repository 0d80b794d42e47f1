#!/usr/bin/env bash
# Installs everything the tests need (Python packages, Debian's Chromium, node-based linters) and runs the
# linters and the whole test suite. This is the README's test command; .ci/run calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/../.."

VENV="${WATCHBILL_VENV:-.venv}"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[dev]'

bash tooling/scripts/install-system-deps.sh
if [ -f tooling/scripts/install-test-tools.sh ]; then
  bash tooling/scripts/install-test-tools.sh
fi

echo "== ruff"
"$VENV/bin/ruff" check tooling
echo "== mypy"
"$VENV/bin/mypy"
echo "== pytest"
export PATH="$PWD/$VENV/bin:$PATH"
status=0
# pytest-xdist (in the test extra) spreads the tests over the cores; a later -n in "$@" overrides it.
"$VENV/bin/python" -m pytest -n auto "$@" || status=$?
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests" >&2
fi
exit "$status"
