#!/usr/bin/env bash
# The desktop app end to end, in the real window: Xvfb, a private D-Bus session (single-instance
# forwarding needs one), tauri-driver + WebKitWebDriver, a headless `trygg join` as the guest.
#
#   make test-e2e                                  # builds what it needs, then runs this
#   SCREENSHOTS=/tmp/shots scripts/desktop-e2e.sh  # also keep a PNG of each main screen
#
# Network: loopback only (the built-in meeting server listens on 127.0.0.1, media binds there too).
set -euo pipefail

if [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ] || [ -z "${DISPLAY:-}" ]; then
  exec xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- "$0" "$@"
fi

root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
export APP=${APP:-$target/debug/trygg-desktop}
export TRYGG_CLI=${TRYGG_CLI:-$target/debug/trygg}
# SCREENSHOTS=DIR keeps a PNG of each main screen (docs/screenshots/ holds JPEGs of them).
export SCREENSHOTS=${SCREENSHOTS:-}
export PATH=$HOME/.cargo/bin:$PATH
for f in "$APP" "$TRYGG_CLI"; do [ -x "$f" ] || { echo "[e2e] missing $f: build it first (make test-e2e does)" >&2; exit 1; }; done
[ -z "$SCREENSHOTS" ] || mkdir -p "$SCREENSHOTS"

# A home of its own: settings, scheme registration and keys never touch the real one.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/trygg-e2e.XXXXXX")
trap 'kill "${driver:-}" 2>/dev/null || true; rm -rf "$tmp"' EXIT
export XDG_DATA_HOME=$tmp/data XDG_CONFIG_HOME=$tmp/config XDG_CACHE_HOME=$tmp/cache
mkdir -p "$XDG_DATA_HOME" "$XDG_CACHE_HOME" "$XDG_CONFIG_HOME/no.trygg.desktop"
cat >"$XDG_CONFIG_HOME/no.trygg.desktop/settings.json" <<'JSON'
{ "camera": "synthetic", "microphone": "synthetic", "speaker": "none", "name": "Hanne Host" }
JSON
export TRYGG_LISTEN=127.0.0.1:0 TRYGG_MEDIA_BIND=127.0.0.1 TRYGG_NO_REGISTER=1 NO_AT_BRIDGE=1
unset TRYGG_IDENTITY

# The app keeps its device key where a user's does: the OS keychain, here a real gnome-keyring,
# unlocked, on this run's private session bus (its files in $tmp). The headless peers have a
# keychain of their own on a second private bus (one device, one identity each).
keyring_on() { # keyring_on DIR: an unlocked gnome-keyring on the bus in $DBUS_SESSION_BUS_ADDRESS
  mkdir -p "$1/run" "$1/data" && chmod 700 "$1/run"
  printf pw | XDG_RUNTIME_DIR=$1/run XDG_DATA_HOME=$1/data gnome-keyring-daemon --unlock --components=secrets >/dev/null
  for _ in $(seq 100); do
    dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
      org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true' && return 0
    sleep 0.1
  done
  echo "[e2e] gnome-keyring did not come up on the session bus" >&2
  return 1
}
keyring_on "$tmp/keychain"
peer_bus=$(dbus-daemon --session --fork --print-address=1 --print-pid=3 3>"$tmp/peer-bus.pid")
trap 'kill "${driver:-}" "$(cat "$tmp/peer-bus.pid")" 2>/dev/null || true; rm -rf "$tmp"' EXIT
DBUS_SESSION_BUS_ADDRESS=$peer_bus keyring_on "$tmp/peer-keychain"
export PEER_BUS=$peer_bus

start_driver() {
  tauri-driver --port 4444 --native-port 4445 >"$tmp/driver.log" 2>&1 &
  driver=$!
  for _ in $(seq 100); do curl -sf http://127.0.0.1:4444/status >/dev/null && return 0; sleep 0.1; done
  echo "[e2e] tauri-driver did not start" >&2
  return 1
}
stop_driver() { kill "$driver" 2>/dev/null || true; wait "$driver" 2>/dev/null || true; }

# WebKitWebDriver 2.50 rarely segfaults when a session starts: one retry with a fresh driver.
run_test() {
  for attempt in 1 2; do
    start_driver
    if node --test --test-reporter=spec "$1"; then
      stop_driver
      return 0
    fi
    echo "[e2e] attempt $attempt of $1 failed; driver log:" && tail -n 20 "$tmp/driver.log"
    stop_driver
  done
  return 1
}
run_test "$root/ui/tests/desktop/meeting.e2e.mjs"
# The same meeting without the web extension: the page fetches pictures from the trygg-frames:
# scheme, as on other systems (src-tauri/src/pictures.rs).
export TRYGG_NO_WEBEXT=1 PICTURES=scheme
run_test "$root/ui/tests/desktop/meeting.e2e.mjs"
unset TRYGG_NO_WEBEXT PICTURES
# A new user's first start: the test removes the settings file (the system's devices, no name).
run_test "$root/ui/tests/desktop/lobby.e2e.mjs"

# The meetings above ran with the app's device key from the keychain, and only there.
for _ in $(seq 10); do
  items=$(secret-tool search --all service trygg username device-identity 2>&1 </dev/null || true)
  grep -q '^label = Trygg: device-identity$' <<<"$items" && break
  sleep 0.3
done
grep -q '^label = Trygg: device-identity$' <<<"$items" ||
  { echo "[e2e] FAIL: the app's device key is not in the OS keychain; secret-tool says: $items" >&2; exit 1; }
echo "[e2e] the app's device key is in the OS keychain (gnome-keyring on the private bus)"
