#!/usr/bin/env bash
# The Tauri config that puts the app's web extension into the .deb beside the app
# (/usr/lib/trygg-desktop, where src-tauri/src/pictures.rs looks), from the build of PROFILE
# (debug or release). Printed for `tauri build|bundle --config`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
lib=${CARGO_TARGET_DIR:-$root/target}/${1:?debug or release}/libtrygg_webext.so
[ -f "$lib" ] || { echo "[package] missing $lib: build it first (cargo build -p trygg-webext)" >&2; exit 1; }
printf '{"bundle":{"linux":{"deb":{"files":{"/usr/lib/trygg-desktop/libtrygg_webext.so":"%s"}}}}}\n' "$lib"
