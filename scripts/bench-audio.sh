#!/usr/bin/env bash
# `trygg bench audio` with speech: a far-end and a near-end talker spoken by espeak-ng (English
# and Norwegian voices), run through the microphone's processing with a simulated room, and the
# double-talk output scored with ITU-T P.862.2 PESQ (wide band; PyPI `pesq`) against the clean
# near talker, beside the unprocessed microphone's score.
#
#   scripts/bench-audio.sh [OUT_DIR]        (installs espeak-ng with apt and pesq in a venv)
set -euo pipefail
cd "$(dirname "$0")/.."
TRYGG=${TRYGG:-${CARGO_TARGET_DIR:-target}/release/trygg}
[ -x "$TRYGG" ] || { echo "no $TRYGG: cargo build --release --bin trygg first (or set TRYGG)" >&2; exit 1; }
OUT=${1:-$(mktemp -d)}
VENV=${TRYGG_BENCH_VENV:-$HOME/.cache/trygg/bench-audio-venv}
sudo=(); [ "$(id -u)" -eq 0 ] || sudo=(sudo)
for tool in espeak-ng ffmpeg; do
  if ! command -v "$tool" >/dev/null; then
    echo "[bench-audio] installing $tool (apt)"
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "$tool"
  fi
done
if ! "$VENV/bin/python" -c 'import pesq, numpy, scipy' 2>/dev/null; then
  echo "[bench-audio] installing pesq, numpy and scipy into $VENV (pip)"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q pesq numpy scipy
fi
mkdir -p "$OUT"
say() {
  espeak-ng "${@:3}" -w "$OUT/$1.raw.wav" "$2"
  # Twice over with a second's pause, 48 kHz mono 16-bit.
  ffmpeg -loglevel error -y -i "$OUT/$1.raw.wav" -i "$OUT/$1.raw.wav" \
    -filter_complex "[0]apad=pad_dur=1[a];[a][1]concat=n=2:v=0:a=1,aresample=48000" -ac 1 -c:a pcm_s16le "$OUT/$1.wav"
}
say far "Good morning everyone, thanks for joining the weekly planning meeting. Today we will go through the release schedule, the open bugs in the audio pipeline, and the plan for the next sprint. First, the release candidate is ready for testing on all three platforms. Please install it before Thursday and report anything that sounds wrong." -v en-us -s 160
say near "Hei, dette er Kari fra Bergen. Jeg har testet den nye versjonen hele uken, og lyden er mye bedre enn før. Men når jeg bruker høyttaleren på den bærbare maskinen, hører de andre et svakt ekko av sin egen stemme. Kan vi se på det før lanseringen?" -v nb+f3 -s 150 -p 60
"$TRYGG" bench audio --far "$OUT/far.wav" --near "$OUT/near.wav" --out "$OUT"
"$VENV/bin/python" - "$OUT" <<'PY'
import sys, wave
import numpy as np
from pesq import pesq
from scipy.signal import resample_poly
out = sys.argv[1]
def load(name):
    with wave.open(f"{out}/{name}") as w:
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64) / 32768
    return resample_poly(x, 1, 3)[2 * 16000:]
near = load("near.wav")
for name, what in [("mic.wav", "unprocessed microphone"), ("out.wav", "echo cancellation"), ("out_all_on.wav", "every stage on")]:
    deg = load(name)
    n = min(len(near), len(deg))
    print(f"  PESQ (P.862.2 WB), double talk, {what:<22} {pesq(16000, near[:n], deg[:n], 'wb'):.2f}")
PY
