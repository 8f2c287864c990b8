"""Score APM outputs. Usage: score.py <outdir>  (expects files written by run_all.sh)

Prints one JSON line per figure and writes <outdir>/scores.json.
"""
import json
import sys

import numpy as np
from pesq import pesq
from scipy import signal

SR = 48000
FR = 480


def load(p):
    return np.fromfile(p, dtype="<f4").astype(np.float64)


def e(x):
    x = x[np.isfinite(x)]
    return float(np.sum(x ** 2))


def db(v):
    return 10 * np.log10(max(v, 1e-30))


def frame_pow(x):
    m = len(x) // FR
    return (x[: m * FR].reshape(m, FR) ** 2).mean(axis=1)


def to16k(x):
    return signal.resample_poly(x, 1, 3)


def pesq_wb(ref, deg, start_s=2.0):
    s = int(start_s * SR)
    n = min(len(ref), len(deg))
    r = to16k(ref[s:n])
    d = to16k(deg[s:n])
    return float(pesq(16000, r, d, "wb"))


def pesq_chunks(ref, deg, start_s=2.0, chunk_s=8.0):
    """Mean and min PESQ-WB over consecutive 8 s chunks (PESQ is specified for short files)."""
    vals = []
    s = start_s
    while (s + chunk_s) * SR <= min(len(ref), len(deg)):
        a, b = int(s * SR), int((s + chunk_s) * SR)
        vals.append(float(pesq(16000, to16k(ref[a:b]), to16k(deg[a:b]), "wb")))
        s += chunk_s
    return {"mean": float(np.mean(vals)), "min": float(np.min(vals)), "n": len(vals)}


def erle(mic, out):
    s2, s4 = 2 * SR, 4 * SR
    n = min(len(mic), len(out))
    return {
        "erle_after_2s_db": db(e(mic[s2:n]) / e(out[s2:n])),
        "erle_2_4s_db": db(e(mic[s2:s4]) / e(out[s2:s4])),
        "erle_after_4s_db": db(e(mic[s4:n]) / e(out[s4:n])),
    }


def snr_by_vad(x, vad, start_frame=200):
    """Noise power = mean power over clean-speech pause frames; speech power = mean power over
    active frames minus noise power. Frames before start_frame (2 s) skipped."""
    p = frame_pow(x)
    m = min(len(p), len(vad))
    p, v = p[start_frame:m], vad[start_frame:m]
    pn = p[~v].mean()
    pa = p[v].mean()
    return {
        "noise_pause_dbfs": db(pn),
        "active_dbfs": db(pa),
        "snr_db": db(max(pa - pn, 1e-30) / pn),
        "active_over_pause_db": db(pa / pn),
    }


def active_level_track(x, vad, win_s=3.0, hop_s=1.0):
    """Active speech level (dBFS) per window (3 s long, 1 s hop; value i covers i..i+3 s):
    mean power of VAD-active frames in the window."""
    p = frame_pow(x)
    m = min(len(p), len(vad))
    wf = int(win_s * 100)
    out = []
    for i in range(0, m - wf + 1, int(hop_s * 100)):
        v = vad[i : i + wf]
        out.append(db(p[i : i + wf][v].mean()) if v.sum() >= 10 else float("nan"))
    return np.array(out)


def main():
    d = sys.argv[1]
    vad = np.load("sig/vad.npy")
    near = load("sig/near.f32")
    res = {}

    # a) single-talk echo
    mic_a = load("sig/mic_a.f32")
    for mode in ["full", "aec_only"]:
        out = load(f"{d}/a_{mode}.f32")
        res[f"a_{mode}"] = erle(mic_a, out)
        res[f"a_{mode}"]["nonfinite"] = int(np.sum(~np.isfinite(out)))

    # b) double talk
    mic_b = load("sig/mic_b.f32")
    res["b_pesq_unprocessed_mic"] = pesq_wb(near, mic_b)
    res["b_pesq_unprocessed_mic_8s_chunks"] = pesq_chunks(near, mic_b)
    mic_b20 = load("sig/mic_b20.f32")
    res["b20_pesq_unprocessed_mic"] = pesq_wb(near, mic_b20)
    res["b20_pesq_full"] = pesq_wb(near, load(f"{d}/b20_full.f32"))
    for mode in ["full", "aec_only"]:
        out = load(f"{d}/b_{mode}.f32")
        res[f"b_pesq_{mode}"] = pesq_wb(near, out)
        res[f"b_pesq_{mode}_8s_chunks"] = pesq_chunks(near, out)
    # reference: same near talker, no echo (far end silent), all stages on
    res["b_pesq_ref_near_only_processed_full"] = pesq_wb(near, load(f"{d}/b_ref_near_only.f32"))

    # c) noise suppression alone (no far end, AEC off, NS on, HPF on, AGC off)
    mic_c = load("sig/mic_c.f32")
    out_c = load(f"{d}/c_ns_only.f32")
    si = snr_by_vad(mic_c, vad)
    so = snr_by_vad(out_c, vad)
    res["c_input"] = si
    res["c_output"] = so
    res["c_snr_gain_db"] = so["snr_db"] - si["snr_db"]
    res["c_noise_attenuation_in_pauses_db"] = si["noise_pause_dbfs"] - so["noise_pause_dbfs"]
    res["c_active_level_change_db"] = so["active_dbfs"] - si["active_dbfs"]
    res["c_pesq_input"] = pesq_wb(near, mic_c)
    res["c_pesq_output"] = pesq_wb(near, out_c)

    # d) AGC from -40 dBFS active level
    inp = load("sig/near_m40.f32")
    for mode in ["agc_only", "full_nofar"]:
        out = load(f"{d}/d_{mode}.f32")
        tr = active_level_track(out, vad)
        final = db(np.mean(frame_pow(out)[3000:6000][vad[3000:6000]]))  # 30-60 s
        # settle: first 1 s window after which every window is within +-2 dB of the final level
        ok = np.abs(tr - final) <= 2.0
        ok[np.isnan(tr)] = True
        settle = None
        for i in range(len(ok)):
            if ok[i:].all():
                settle = i
                break
        inband = np.where((tr >= -21) & (tr <= -15))[0]
        # gain track: per active 10 ms frame gain out/in (dB), median over 0.5 s blocks
        pin = frame_pow(inp)
        pout = frame_pow(out)
        m = min(len(pin), len(pout), len(vad))
        g = 10 * np.log10((pout[:m] + 1e-20) / (pin[:m] + 1e-20))
        blocks = []
        for i in range(0, m - 50 + 1, 50):
            v = vad[i : i + 50]
            blocks.append(np.median(g[i : i + 50][v]) if v.sum() >= 10 else np.nan)
        blocks = np.array(blocks)
        gfinal = np.nanmedian(blocks[60:])  # 30-60 s
        okb = (np.abs(blocks - gfinal) <= 1.5) | np.isnan(blocks)
        gsettle = next((i * 0.5 for i in range(len(okb)) if okb[i:].all()), None)
        res[f"d_{mode}"] = {
            "gain_final_db_30_60s": float(gfinal),
            "gain_settle_time_s_within_1p5db": gsettle,
            "gain_track_db_0p5s": [None if np.isnan(v) else round(float(v), 1) for v in blocks[:24]],
            "final_active_level_dbfs_30_60s": final,
            "settle_time_s_within_2db_of_final": settle,
            "first_window_start_in_-21..-15_s": int(inband[0]) if len(inband) else None,
            "track_dbfs_3s_win_1s_hop": [None if np.isnan(v) else round(float(v), 1) for v in tr],
        }
    inp = load("sig/near_m40.f32")
    res["d_input_active_level_dbfs"] = db(np.mean(frame_pow(inp)[:6000][vad[:6000]]))

    json.dump(res, open(f"{d}/scores.json", "w"), indent=1)
    for k, v in res.items():
        if isinstance(v, dict) and "track_dbfs_3s_win_1s_hop" in v:
            v = {kk: vv for kk, vv in v.items()}
            v["track_dbfs_3s_win_1s_hop"] = v["track_dbfs_3s_win_1s_hop"][:15]
        print(k, json.dumps(v))


if __name__ == "__main__":
    main()
