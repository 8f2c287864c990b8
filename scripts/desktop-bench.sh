#!/usr/bin/env bash
# The desktop app's figures, in its real window under Xvfb:
#   * cold start: from launching the app to its home screen painted (RUNS times);
#   * link click with the app running: from launching `trygg-desktop LINK` (what a click does) to
#     the link's pre-join screen painted in the running window (RUNS times);
#   * memory: PSS summed over every process of the app, idle and in a 1:1 720p call, next to an
#     empty Tauri 2 window of the same crate versions (benches/minimal-window), in the same run;
#   * the frame path in that call: its time, and its CPU per tile, next to WebKit's own CPU for a
#     30 fps canvas of the tile's size in the empty window.
#
#   make bench-desktop     # builds what it needs, then runs this
set -euo pipefail

if [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ] || [ -z "${DISPLAY:-}" ]; then
  exec xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- "$0" "$@"
fi

root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
# PROFILE=release measures release builds (make bench-desktop PROFILE=release builds them).
profile=${PROFILE:-debug}
export APP=${APP:-$target/$profile/trygg-desktop}
export TRYGG_CLI=${TRYGG_CLI:-$target/$profile/trygg}
floor=$target/$profile/minimal-window
runs=${RUNS:-10}
export PATH=$HOME/.cargo/bin:$PATH
for f in "$APP" "$TRYGG_CLI" "$floor"; do [ -x "$f" ] || { echo "[bench] missing $f: build it first" >&2; exit 1; }; done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/trygg-bench.XXXXXX")
app=
trap 'kill ${app:-} ${driver:-} 2>/dev/null || true; rm -rf "$tmp"' EXIT
export XDG_DATA_HOME=$tmp/data XDG_CONFIG_HOME=$tmp/config XDG_CACHE_HOME=$tmp/cache
mkdir -p "$XDG_DATA_HOME" "$XDG_CACHE_HOME" "$XDG_CONFIG_HOME/no.trygg.desktop"
echo '{ "camera": "synthetic", "microphone": "synthetic", "speaker": "none", "name": "Bea Bench" }' \
  >"$XDG_CONFIG_HOME/no.trygg.desktop/settings.json"
export TRYGG_LISTEN=127.0.0.1:0 TRYGG_MEDIA_BIND=127.0.0.1 TRYGG_IDENTITY=ephemeral TRYGG_NO_REGISTER=1
export NO_AT_BRIDGE=1 TRYGG_MARKS=1

now_ms() { date +%s%3N; }
# mark_after COUNT MOMENT: the wall time (ms) of the COUNT-th mark MOMENT in the app's log.
mark_after() {
  for _ in $(seq 300); do
    local t
    t=$(grep "^\[mark\] $2 " "$tmp/app.log" 2>/dev/null | sed -n "$1p" | cut -d' ' -f3)
    [ -n "$t" ] && { echo "$t"; return 0; }
    sleep 0.05
  done
  echo "[bench] no mark $2 #$1" >&2
  return 1
}
stats() { sort -n | awk '{v[NR]=$1} END {printf "p50 %d ms, p95 %d ms, min %d, max %d (%d runs)", v[int((NR+1)/2)], v[int(NR*0.95+0.999)], v[1], v[NR], NR}'; }

echo "[bench] machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) CPUs; $("$TRYGG_CLI" --version); $profile build"

# Cold start: launch → home screen painted. The first launch also fills the disk cache.
: >"$tmp/cold.txt"
for i in $(seq "$runs"); do
  : >"$tmp/app.log"
  t0=$(now_ms)
  "$APP" 2>>"$tmp/app.log" &
  app=$!
  t1=$(mark_after 1 home)
  echo $((t1 - t0)) >>"$tmp/cold.txt"
  # The last run stays up for the link clicks.
  if [ "$i" -lt "$runs" ]; then kill "$app"; wait "$app" 2>/dev/null || true; fi
done
echo "[bench] cold start → home screen: $(stats <"$tmp/cold.txt"); every run: $(tr '\n' ' ' <"$tmp/cold.txt")"

# Link clicks while the app runs, idle on its home screen (2 s after it was painted, so that the
# clicks do not measure the end of its start): a second launch hands the link over and exits.
sleep 2
link=$("$TRYGG_CLI" invite --title Bench --start 2026-12-01T10:00Z --attendee bea@example.org \
  --server 127.0.0.1:9 -o "$tmp/invite.ics" --json | sed -n 's/^  "link": "\(.*\)",$/\1/p')
: >"$tmp/link.txt"
for i in $(seq "$runs"); do
  t0=$(now_ms)
  "$APP" "$link" 2>/dev/null
  t1=$(mark_after "$i" prejoin)
  echo $((t1 - t0)) >>"$tmp/link.txt"
  sleep 0.3
done
echo "[bench] link click → pre-join screen (app running): $(stats <"$tmp/link.txt"); every click: $(tr '\n' ' ' <"$tmp/link.txt")"
kill "$app"; wait "$app" 2>/dev/null || true; app=

# Without a GPU render node, and without a choice of the user's, Trygg switches WebKit to its
# shared-memory renderer (src-tauri/src/renderer.rs); the empty window is then measured that way
# too, for a like-for-like comparison.
shm=()
if ! ls /dev/dri/renderD* >/dev/null 2>&1 && [ -z "${WEBKIT_DISABLE_DMABUF_RENDERER:-}" ]; then
  shm=(WEBKIT_DISABLE_DMABUF_RENDERER=1)
fi

# The floor: an empty Tauri 2 window, three times, with WebKit's default renderer, then with
# Trygg's where that differs.
floor_runs() { # [VAR=VALUE…]
  for _ in 1 2 3; do
    env "$@" "$floor" >/dev/null 2>>"$tmp/floor.log" &
    app=$!
    sleep "${SETTLE:-5}"
    node "$root/ui/tests/desktop/memory.mjs" "$app"
    kill "$app"; wait "$app" 2>/dev/null || true; app=
  done
}
floor_runs >"$tmp/floor.json"
sed 's/^/[bench] empty Tauri 2 window memory (WebKit default renderer): /' "$tmp/floor.json"
if [ "${#shm[@]}" -gt 0 ]; then
  floor_runs ${shm[@]+"${shm[@]}"} >"$tmp/floor-shm.json"
  sed 's/^/[bench] empty Tauri 2 window memory (shared-memory renderer, as Trygg picks without a GPU): /' \
    "$tmp/floor-shm.json"
fi

# The app idle and in a call, through WebDriver.
tauri-driver --port 4444 --native-port 4445 >"$tmp/driver.log" 2>&1 &
driver=$!
for _ in $(seq 100); do curl -sf http://127.0.0.1:4444/status >/dev/null && break; sleep 0.1; done
SETTLE_MS=$((${SETTLE:-5} * 1000)) node "$root/ui/tests/desktop/memory.bench.mjs" >"$tmp/call.json"
sed 's/^/[bench] trygg memory: /' "$tmp/call.json"
kill "$driver"; wait "$driver" 2>/dev/null || true; driver=

# WebKit's own part of a video tile: the empty window with a canvas of the remote tile's size on
# screen, repainted 30 times a second with ready-made pictures, next to the same window idle. The
# difference is what WebKit costs to show any 30 fps tile of that size, before Trygg does anything
# to get and convert its pictures: the same WebKit renderer as Trygg's, and a 2D canvas, which is
# what Trygg draws video with where WebGL has no GPU. The size is in device pixels.
tile=$(node -e 'const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const t = j.frame_path.cpu_pct.remote_tile_only.tiles.find((t) => t.startsWith("remote"));
  if (!t) throw new Error("no remote tile in the call");
  const [, , , , w, h] = t.split(" "); console.log(`${w}x${h}`);' "$tmp/call.json")
# repaint_run [VAR=VALUE…]: the minimal window with those variables, its CPU as JSON.
repaint_run() {
  env "$@" "$floor" >/dev/null 2>>"$tmp/floor.log" &
  app=$!
  sleep "${SETTLE:-5}"
  node "$root/ui/tests/desktop/repaint.bench.mjs" "$app" || { tail -5 "$tmp/floor.log" >&2; return 1; }
  kill "$app"; wait "$app" 2>/dev/null || true; app=
}
repaint_run ${shm[@]+"${shm[@]}"} >"$tmp/still.json"
repaint_run ${shm[@]+"${shm[@]}"} "MINIMAL_WINDOW_REPAINT=$tile" >"$tmp/repaint.json"
node -e 'const fs = require("fs"); const [still, moving] = process.argv.slice(1, 3).map((f) => JSON.parse(fs.readFileSync(f, "utf8")));
  if (moving.web_process <= still.web_process) throw new Error("the repainting window cost its web process nothing: it did not repaint");
  console.log(JSON.stringify({ tile: process.argv[3], still, repainting: moving, webkit_per_tile: +(moving.total - still.total).toFixed(1) }));' \
  "$tmp/still.json" "$tmp/repaint.json" "$tile" | sed 's/^/[bench] WebKit alone, one 30 fps tile (empty window, CPU %): /'
