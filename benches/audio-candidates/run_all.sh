#!/usr/bin/env bash
# Usage: run_all.sh <backend: sonora|webrtc|passthrough>
# Runs every scenario with the binary built for that backend and scores it.
set -u
cd "$(dirname "$0")"
B=$1
BIN=target/$B/release/audio-candidates
[ "$B" = sonora ] && BIN=target/sonora-only/release/audio-candidates
[ "$B" = webrtc ] && BIN=target/webrtc-only/release/audio-candidates
[ "$B" = passthrough ] && BIN=target/passthrough/release/audio-candidates
O=out/$B
mkdir -p "$O"
S=sig
{
echo "== a) single talk echo"
$BIN process full     $S/mic_a.f32 $S/far.f32 $O/a_full.f32
$BIN process aec_only $S/mic_a.f32 $S/far.f32 $O/a_aec_only.f32
echo "== b) double talk"
$BIN process full     $S/mic_b.f32 $S/far.f32 $O/b_full.f32
$BIN process aec_only $S/mic_b.f32 $S/far.f32 $O/b_aec_only.f32
$BIN process full     $S/mic_b20.f32 $S/far.f32 $O/b20_full.f32
$BIN process full     $S/mic_n.f32 $S/far_silent.f32 $O/b_ref_near_only.f32
echo "== c) NS only, no far end"
$BIN process ns_only  $S/mic_c.f32 - $O/c_ns_only.f32
echo "== d) AGC"
$BIN process agc_only $S/near_m40.f32 - $O/d_agc_only.f32
$BIN process full     $S/near_m40.f32 - $O/d_full_nofar.f32
echo "== e) CPU: 60 s double talk, all stages, 3 runs"
for i in 1 2 3; do $BIN process full $S/mic_b.f32 $S/far.f32 $O/e_cpu.f32; done
echo "== f) robustness"
for c in silence square square_echo dc nan inf render_stop render_silent; do
  for m in full aec_ns; do
    timeout 120 $BIN robust $c $m; rc=$?
    echo "case=$c mode=$m exit_code=$rc"
  done
done
} 2>&1 | tee $O/run.log
venv/bin/python score.py $O | tee $O/scores.txt
