#!/usr/bin/env bash
# The console's end-to-end tests: headless Chromium (Debian's `chromium`) driven by npm's
# playwright-core, against a real `muster serve --demo` on SQLite.
#
# Installs what it needs idempotently (chromium through apt, playwright-core under
# $HOME/.cache/muster-e2e); screenshots go to $CARGO_TARGET_DIR/e2e-screenshots/.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/muster-target}"
PLAYWRIGHT_VERSION=1.65.2
E2E_HOME="$HOME/.cache/muster-e2e"

if ! command -v chromium >/dev/null; then
  echo "e2e: installing chromium"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q chromium >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; }
fi
installed=$(node -p "require('$E2E_HOME/node_modules/playwright-core/package.json').version" 2>/dev/null || true)
if [ "$installed" != "$PLAYWRIGHT_VERSION" ]; then
  echo "e2e: installing playwright-core $PLAYWRIGHT_VERSION"
  mkdir -p "$E2E_HOME"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --silent --no-audit --no-fund --prefix "$E2E_HOME" \
    "playwright-core@$PLAYWRIGHT_VERSION" >/dev/null
fi

cargo build -p muster --locked --quiet
bin="$CARGO_TARGET_DIR/debug/muster"

work="$(mktemp -d)"
shots="$CARGO_TARGET_DIR/e2e-screenshots"
rm -rf "$shots" && mkdir -p "$shots"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# A real server on a fresh SQLite database with the demo organization, on a free port.
(cd "$work" && MUSTER_BIND=127.0.0.1:0 MUSTER_LOG=warn exec "$bin" serve --demo >"$work/stdout" 2>"$work/server.log") &
server_pid=$!
url=""
for _ in $(seq 1 120); do
  url=$(sed -n 's/^muster: listening on \(http:[^ ]*\)$/\1/p' "$work/stdout" | head -n 1)
  [ -n "$url" ] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 0.5
done
[ -n "$url" ] || { echo "e2e: the server did not start" >&2; cat "$work/server.log" >&2; exit 1; }
echo "e2e: server at $url; screenshots in $shots"

set +e
MUSTER_URL="$url" E2E_NODE_MODULES="$E2E_HOME/node_modules" E2E_SCREENSHOTS="$shots" \
  node --test --test-concurrency=1 --test-reporter=spec e2e/
status=$?
set -e
if [ "$status" -ne 0 ]; then
  echo "e2e: failed; server log:" >&2
  tail -n 50 "$work/server.log" >&2
fi
exit "$status"
