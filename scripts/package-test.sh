#!/usr/bin/env bash
# The .deb as a user gets it: built from the app, unpacked into a private prefix (no root;
# nothing on this machine changes), registered the way a desktop registers an installed package
# (update-desktop-database over that prefix), then a trygg:// link and an .ics invite opened with
# `gio open`, as a click in a mail or calendar program does. The app must receive each: the link
# on a cold start, the invite handed over by a second launch to the running window.
#
#   make test-package        # builds the app, then runs this
#
# Network: none (the link points at a loopback port nothing listens on; only its parsing counts).
set -euo pipefail

if [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ] || [ -z "${DISPLAY:-}" ]; then
  exec xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- "$0" "$@"
fi

root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
cli=$target/debug/trygg
for f in "$target/debug/trygg-desktop" "$cli"; do
  [ -x "$f" ] || { echo "[package] missing $f: build it first (make test-package does)" >&2; exit 1; }
done

echo "[package] bundling the .deb from the debug build"
rm -rf "$target/debug/bundle/deb"
(cd "$root/src-tauri" && "$root/ui/node_modules/.bin/tauri" bundle --debug --bundles deb --config "$("$root/scripts/deb-files.sh" debug)" >/dev/null)
deb=$(ls "$target"/debug/bundle/deb/*.deb)
echo "[package] $(basename "$deb"): $(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version), depends on $(dpkg-deb -f "$deb" Depends)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/trygg-package.XXXXXX")
app_pid=
cleanup() { [ -z "$app_pid" ] || kill "$app_pid" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
dpkg-deb -x "$deb" "$tmp/root"
entry=$(ls "$tmp"/root/usr/share/applications/*.desktop)
fail() { echo "[package] FAIL: $*" >&2; [ ! -f "$tmp/app.log" ] || tail -n 30 "$tmp/app.log" >&2; exit 1; }
grep -q '^MimeType=.*x-scheme-handler/trygg' "$entry" || fail "the desktop entry does not claim trygg: links: $(cat "$entry")"
grep -q '^MimeType=.*text/calendar' "$entry" || fail "the desktop entry does not claim .ics files"
grep -q '^Exec=trygg-desktop %u$' "$entry" || fail "the desktop entry does not pass the link on (Exec=… %u): $(grep Exec "$entry")"
echo "[package] $(basename "$entry"): claims x-scheme-handler/trygg and text/calendar, Exec passes %u"
[ -f "$tmp/root/usr/lib/trygg-desktop/libtrygg_webext.so" ] || fail "the web extension is not in the package: $(dpkg-deb -c "$deb")"
echo "[package] the web extension is at /usr/lib/trygg-desktop, where the app looks for it"
# Libraries the app links that Tauri's own dependencies do not bring: the package must name them.
depends=$(dpkg-deb -f "$deb" Depends)
# (grep -q reads from a variable: fed by a pipe under pipefail, its early exit fails ldd with
# SIGPIPE now and then.)
grep -q 'libpipewire-0\.3' <<<"$(ldd "$tmp/root/usr/bin/trygg-desktop")" || fail "the app no longer links PipeWire: update this check"
grep -q 'libpipewire-0\.3-0' <<<"$depends" || fail "the app links PipeWire (Wayland screen sharing) but the package does not depend on libpipewire-0.3-0: $depends"
echo "[package] depends on libpipewire-0.3-0, which the Wayland screen share links"

# What `apt install` then the desktop do: the prefix's applications are indexed, the app is on PATH.
update-desktop-database "$tmp/root/usr/share/applications"
export XDG_DATA_DIRS="$tmp/root/usr/share:${XDG_DATA_DIRS:-/usr/local/share:/usr/share}"
export XDG_DATA_HOME=$tmp/data XDG_CONFIG_HOME=$tmp/config XDG_CACHE_HOME=$tmp/cache
export PATH="$tmp/root/usr/bin:$PATH"
export TRYGG_NO_REGISTER=1 NO_AT_BRIDGE=1 RUST_LOG=trygg_desktop=info
mkdir -p "$XDG_DATA_HOME" "$XDG_CACHE_HOME" "$XDG_CONFIG_HOME/no.trygg.desktop"
echo '{ "camera": "synthetic", "microphone": "synthetic", "speaker": "none", "name": "Pia Package" }' \
  >"$XDG_CONFIG_HOME/no.trygg.desktop/settings.json"
for type in x-scheme-handler/trygg text/calendar; do
  handler=$(gio mime "$type")
  case $handler in *"Default application for “$type”: $(basename "$entry")"*) ;; *) fail "gio does not pick Trygg for $type: $handler" ;; esac
  echo "[package] gio picks $(basename "$entry") for $type"
done

# A meeting link and an invite to it, made by Trygg itself (the room id derives from the secret).
link=$("$cli" invite --title "Package test" --start 2026-12-01T10:00Z --attendee pia@example.org \
  --server 127.0.0.1:9 -o "$tmp/invite.ics" --json | sed -n 's/^  "link": "\(.*\)",$/\1/p')
[ -n "$link" ] || fail "no link in the invite"

wait_for() { # wait_for COUNT: the app logged COUNT opened inputs
  for _ in $(seq 300); do
    [ "$(grep -c 'opened a' "$tmp/app.log" 2>/dev/null || true)" -ge "$1" ] && return 0
    sleep 0.2
  done
  fail "the app did not receive input $1"
}

# A click on the link: nothing runs yet, so gio starts the app with the link.
gio open "$link" >"$tmp/app.log" 2>&1
wait_for 1
grep 'opened a' "$tmp/app.log" | tail -n 1 | grep -q '"type":"join_trygg"' || fail "the link was not read as a Trygg meeting"
app_pid=$(pgrep -xo trygg-desktop || true)
[ -n "$app_pid" ] || fail "no app process"
echo "[package] cold start by gio open trygg://…: the app (pid $app_pid) received the link"

# A double click on the invite while the app runs: a second launch hands it over and exits.
gio open "$tmp/invite.ics" >>"$tmp/app.log" 2>&1
wait_for 2
grep 'opened a' "$tmp/app.log" | tail -n 1 | grep -q 'opened a ics input' || fail "the invite was not read as an .ics file"
for _ in $(seq 50); do [ "$(pgrep -xc trygg-desktop || true)" -le 1 ] && break; sleep 0.1; done
[ "$(pgrep -xc trygg-desktop || true)" -eq 1 ] || fail "the second launch did not hand over and exit: $(pgrep -xa trygg-desktop)"
kill -0 "$app_pid" || fail "the first app is gone"
echo "[package] gio open invite.ics with the app running: handed to the running window (one app process)"
! grep -q "$(printf '%s' "$link" | cut -d'#' -f2)" "$tmp/app.log" || fail "the app logged a link's secret"
echo "[package] ok"
