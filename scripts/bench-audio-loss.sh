#!/usr/bin/env bash
# Speech through a lossy link, scored: a Trygg call between two network namespaces made for the
# run, joined by a veth pair; the guest's side drops each arriving UDP packet at random with the
# given probability (nft `numgen random`, in an input hook: media, RTCP and handshakes alike;
# this kernel has no netem), or, for a point written `jitter:MS`, holds each arriving UDP packet
# for a uniformly random 0..MS (scripts/delay-line.py behind an NFQUEUE rule: late and out of
# order). The host sends a Norwegian talker spoken by espeak-ng (no video, no microphone
# processing); the guest records what its playout plays, and that is scored with ITU-T P.862.2
# PESQ (wide band, PyPI `pesq`) against what was sent.
#
#   scripts/bench-audio-loss.sh [LOSS_PERCENT | jitter:MS ...]   (root; default 0 5 10 20 jitter:50)
#
# Nothing leaves the two namespaces, and both are deleted at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
TRYGG=${TRYGG:-${CARGO_TARGET_DIR:-target}/release/trygg}
[ -x "$TRYGG" ] || { echo "no $TRYGG: cargo build --release --bin trygg first (or set TRYGG)" >&2; exit 1; }
LOSSES=("$@")
[ ${#LOSSES[@]} -gt 0 ] || LOSSES=(0 5 10 20 jitter:50)
VENV=${TRYGG_BENCH_VENV:-$HOME/.cache/trygg/bench-audio-venv}
for tool in espeak-ng ffmpeg nft iptables; do
  if ! command -v "$tool" >/dev/null; then
    pkg=$tool; [ "$tool" = nft ] && pkg=nftables
    echo "[bench-audio-loss] installing $pkg (apt)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$pkg"
  fi
done
if ! dpkg -s libnetfilter-queue-dev >/dev/null 2>&1; then
  echo "[bench-audio-loss] installing libnetfilter-queue-dev (apt, for the delay line)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends libnetfilter-queue-dev
fi
if ! "$VENV/bin/python" -c 'import pesq, numpy, scipy, netfilterqueue' 2>/dev/null; then
  echo "[bench-audio-loss] installing pesq, numpy, scipy and NetfilterQueue into $VENV (pip)"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q pesq numpy scipy NetfilterQueue
fi
OUT=$(mktemp -d)
A=trygg-a-$$
B=trygg-b-$$
cleanup() {
  jobs -p | xargs -r kill 2>/dev/null || true
  ip netns del "$A" 2>/dev/null || true
  ip netns del "$B" 2>/dev/null || true
  rm -rf "$OUT"
}
trap cleanup EXIT

espeak-ng -v nb+f3 -s 150 -p 60 -w "$OUT/raw.wav" \
  "Hei, dette er Kari fra Bergen. Jeg har testet den nye versjonen hele uken, og lyden er mye bedre enn før. Kan vi se på ekkoet før lanseringen?"
# One second of silence after the talker, 48 kHz mono: the file loops while the call lasts.
ffmpeg -loglevel error -y -i "$OUT/raw.wav" -af "apad=pad_dur=1,aresample=48000" -ac 1 -c:a pcm_s16le "$OUT/talker.wav"

# shellcheck source=scripts/netns-pair.sh
. scripts/netns-pair.sh
netns_pair "$A" "$B"
ip netns exec "$B" nft add table inet loss
ip netns exec "$B" nft add chain inet loss input '{ type filter hook input priority 0; }'

quiet=(--no-noise-suppression --no-gain-control --no-echo-cancellation --identity ephemeral --json)
for loss in "${LOSSES[@]}"; do
  ip netns exec "$B" nft flush chain inet loss input
  ip netns exec "$B" iptables -F INPUT 2>/dev/null || true
  delay=
  case "$loss" in
    jitter:*)
      ip netns exec "$B" "$VENV/bin/python" scripts/delay-line.py 0 "${loss#jitter:}" &
      delay=$!
      ip netns exec "$B" iptables -A INPUT -i vB -p udp -j NFQUEUE --queue-num 0 --queue-bypass
      ;;
    0) ;;
    *) ip netns exec "$B" nft add rule inet loss input iifname vB meta l4proto udp numgen random mod 100 '<' "$loss" drop ;;
  esac
  rm -rf "$OUT/rec" && mkdir "$OUT/rec"
  ip netns exec "$A" "$TRYGG" host --listen 10.99.0.1:7443 --bind 10.99.0.1 --auto-admit --name Host \
    --video none --audio "file:$OUT/talker.wav" --seconds 75 "${quiet[@]}" > "$OUT/host.jsonl" 2>/dev/null &
  host=$!
  for _ in $(seq 100); do grep -q '"type":"link"' "$OUT/host.jsonl" 2>/dev/null && break; sleep 0.1; done
  LINK=$(grep -m1 '"type":"link"' "$OUT/host.jsonl" | python3 -c 'import json,sys; print(json.load(sys.stdin)["link"])')
  echo "$LINK" | ip netns exec "$B" "$TRYGG" join - --bind 10.99.0.2 --name Guest --seconds 60 \
    --video none --audio none --record "$OUT/rec" "${quiet[@]}" > "$OUT/join.jsonl" 2>/dev/null || true
  kill "$host" 2>/dev/null || true
  wait "$host" 2>/dev/null || true
  if [ -n "$delay" ]; then kill "$delay" 2>/dev/null || true; wait "$delay" 2>/dev/null || true; fi
  "$VENV/bin/python" - "$OUT" "$loss" <<'PY'
import glob, json, sys, wave
import numpy as np
from pesq import pesq
from scipy.signal import resample_poly, correlate
out, loss = sys.argv[1], sys.argv[2]
def load(path):
    with wave.open(path) as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64) / 32768
ref = resample_poly(load(f"{out}/talker.wav"), 1, 3)
recs = [p for p in glob.glob(f"{out}/rec/*.wav")]
if not recs or len(load(recs[0])) < 48000 * 20:
    sys.exit(f"{loss}: {len(recs)} recordings, too short to score")
got = resample_poly(load(recs[0]), 1, 3)
n = len(ref)
# Score each whole loop of the talker heard after the first five seconds (the call settles).
scores, start, window = [], 5 * 16000, 2 * n
while start + window <= len(got):
    seg = got[start:start + window]
    lag = int(np.argmax(correlate(seg, ref, mode="valid", method="fft")))
    deg = seg[lag:lag + n]
    if len(deg) == n:
        scores.append(pesq(16000, ref, deg, "wb"))
    start += lag + n
    window = n + 16000  # the next loop follows within a second
stats = [json.loads(l) for l in open(f"{out}/join.jsonl") if '"type":"stats"' in l]
p = stats[-1]["peers"][0] if stats and stats[-1].get("peers") else {}
pl = p.get("audio_playout", {})
what = f"jitter 0-{loss[7:]} ms" if loss.startswith("jitter:") else f"loss {loss:>2} %"
print(f"{what}: PESQ (P.862.2 WB) {np.median(scores):.2f} median of {len(scores)} loops"
      f" (min {min(scores):.2f}, max {max(scores):.2f}); link loss {p.get('packet_loss_pct', 0):.1f} %,"
      f" FEC {pl.get('fec')}, concealed {pl.get('concealed')}, late {pl.get('late')},"
      f" stretched {pl.get('accelerated', 0) + pl.get('decelerated', 0)}, target {pl.get('target_ms')} ms")
PY
done
