#!/usr/bin/env bash
# Alternating CPU benchmark: 60 s double-talk signal, all stages on, 5 runs per backend.
cd "$(dirname "$0")"
mkdir -p out/cpu
for i in 1 2 3 4 5; do
  for b in sonora-only webrtc-only; do
    nice -n 10 target/$b/release/audio-candidates process full sig/mic_b.f32 sig/far.f32 out/cpu/$b.f32
  done
done
