"""Double-talk diagnostic: how much the APM attenuates the mic signal in frames where only the
near end talks vs where both talk (far VAD from far.f32 delayed 40 ms, near VAD from clean near).
Usage: diag_dt.py <outdir>"""
import sys
import numpy as np
sys.path.insert(0, ".")
from make_signals import vad_frames
from score import load, frame_pow, db

d = sys.argv[1]
far = load("sig/far.f32")
far_d = np.concatenate([np.zeros(1920), far[:-1920]])
fv = vad_frames(far_d)
nv = np.load("sig/vad.npy")
m = min(len(fv), len(nv))
fv, nv = fv[200:m], nv[200:m]
for name, mic, out in [("b(echo -6dB) aec_only", "sig/mic_b.f32", f"{d}/b_aec_only.f32"),
                       ("b(echo -6dB) full", "sig/mic_b.f32", f"{d}/b_full.f32"),
                       ("b20(echo -20dB) full", "sig/mic_b20.f32", f"{d}/b20_full.f32")]:
    pi = frame_pow(load(mic))[200:m]
    po = frame_pow(load(out))[200:m]
    row = [name]
    for lab, sel in [("near-only", nv & ~fv), ("both", nv & fv), ("far-only", ~nv & fv)]:
        row.append(f"{lab}: frames={sel.sum()} out/in={db(po[sel].mean() / pi[sel].mean()):.1f} dB")
    print(" | ".join(row))
