#!/usr/bin/env bash
# One Trygg call through a narrow link: two network namespaces made for the run, joined by a veth
# pair whose both ends are limited with `tc tbf` (this kernel has no netem). The host sends
# synthetic 720p30 video and audio; the joiner receives. Prints, per second after the first two,
# what the host sent to the joiner (RTP on the wire: media, retransmissions, keyframes) against
# the link's rate, and what the joiner decoded.
#
#   scripts/bench-network.sh RATE_KBIT [SECONDS]      (root; RATE_KBIT 0 = no limit)
#
# Nothing leaves the two namespaces, and both are deleted at the end.
set -euo pipefail
RATE=${1:?usage: bench-network.sh RATE_KBIT [SECONDS]}
SECS=${2:-20}
TRYGG=${TRYGG:-${CARGO_TARGET_DIR:-target}/release/trygg}
[ -x "$TRYGG" ] || { echo "no $TRYGG: cargo build --release first (or set TRYGG)" >&2; exit 1; }
A=trygg-a-$$
B=trygg-b-$$
OUT=$(mktemp -d)
cleanup() {
  jobs -p | xargs -r kill 2>/dev/null || true
  ip netns del "$A" 2>/dev/null || true
  ip netns del "$B" 2>/dev/null || true
  rm -rf "$OUT"
}
trap cleanup EXIT

ip netns add "$A"
ip netns add "$B"
ip link add vA netns "$A" type veth peer name vB netns "$B"
ip -n "$A" addr add 10.99.0.1/24 dev vA
ip -n "$B" addr add 10.99.0.2/24 dev vB
for ns in "$A" "$B"; do ip -n "$ns" link set lo up; done
ip -n "$A" link set vA up
ip -n "$B" link set vB up
if [ "$RATE" != 0 ]; then
  ip netns exec "$A" tc qdisc add dev vA root tbf rate "${RATE}kbit" burst 16kb latency 300ms
  ip netns exec "$B" tc qdisc add dev vB root tbf rate "${RATE}kbit" burst 16kb latency 300ms
fi

media=(--video synthetic --audio synthetic --identity ephemeral --json)
ip netns exec "$A" "$TRYGG" host --listen 10.99.0.1:7443 --bind 10.99.0.1 --auto-admit --name Host \
  --seconds $((SECS + 15)) "${media[@]}" > "$OUT/host.jsonl" 2>/dev/null &
for _ in $(seq 100); do grep -q '"type":"link"' "$OUT/host.jsonl" 2>/dev/null && break; sleep 0.1; done
LINK=$(grep -m1 '"type":"link"' "$OUT/host.jsonl" | python3 -c 'import json,sys; print(json.load(sys.stdin)["link"])')
echo "$LINK" | ip netns exec "$B" "$TRYGG" join - --bind 10.99.0.2 --name Guest --seconds "$SECS" \
  "${media[@]}" > "$OUT/join.jsonl" 2>/dev/null || true

python3 - "$OUT" "$RATE" <<'EOF'
import json, sys
out, rate = sys.argv[1], float(sys.argv[2])
def stats(path):
    rows = []
    for line in open(path):
        try:
            v = json.loads(line)
        except ValueError:
            continue
        if v.get("type") == "stats" and v.get("peers"):
            rows.append(v["peers"][0])
    return rows
host, guest = stats(f"{out}/host.jsonl"), stats(f"{out}/join.jsonl")
if len(host) < 4 or not guest:
    sys.exit("the call did not run long enough to measure")
sent = [(b["link"]["bytes_sent"] - a["link"]["bytes_sent"]) * 8 / 1000 for a, b in zip(host, host[1:])][2:]
sent.sort()
p = lambda q: sent[min(len(sent) - 1, int(q * len(sent)))]
last = guest[-1]
secs = len(guest)
print(f"link {'unlimited' if rate == 0 else f'{rate:.0f} kbit/s'}; {len(sent)} s measured after the first 2 s")
print(f"  host sent to the guest: median {p(0.5):.0f} kbit/s, p95 {p(0.95):.0f}, max {sent[-1]:.0f}"
      + ("" if rate == 0 else f"  ({p(0.5) / rate:.2f}x the link)"))
print(f"  guest decoded {last['frames_decoded']} pictures in {secs} s ({last['frames_decoded'] / max(secs, 1):.1f} fps),"
      f" {last['decode_errors']} decode errors, loss {last['packet_loss_pct']:.1f} %,"
      f" {last['audio_packets']} audio packets, rtt {last['link'].get('rtt_ms')} ms")
EOF
