#!/usr/bin/env bash
# Extra diagnostics behind the double-talk caveats in RESULTS.md.
cd "$(dirname "$0")"
for b in sonora-only webrtc-only; do
  # near talker only in the mic (no echo path at all) while the far end is active in the render stream
  target/$b/release/audio-candidates process full sig/mic_n.f32 sig/far.f32 out/diag_$b.f32 >/dev/null
done
APM_SONORA_TM=hmm target/sonora-only/release/audio-candidates process full sig/mic_n.f32 sig/far.f32 out/diag_sonora_hmm.f32 >/dev/null
venv/bin/python - <<'PY'
from score import *
near = load("sig/near.f32")
for f in ["out/diag_sonora-only.f32", "out/diag_sonora_hmm.f32", "out/diag_webrtc-only.f32"]:
    x = load(f)
    vals = []
    s = 2.0
    while (s + 8) * SR <= len(x):
        a, b = int(s * SR), int((s + 8) * SR)
        vals.append(round(pesq(16000, to16k(near[a:b]), to16k(x[a:b]), "wb"), 2))
        s += 8
    print(f, "PESQ-WB 2-60 s:", round(pesq_wb(near, x), 2), "per 8 s chunk:", vals)
PY
for b in sonora webrtc; do echo "== $b"; venv/bin/python diag_dt.py out/$b; done
