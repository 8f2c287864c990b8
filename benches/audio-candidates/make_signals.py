"""Build the test signals (48 kHz mono f32le raw) from the espeak-ng speech in sig/.

Outputs in sig/:
  far.f32        far-end talker (render stream), 60 s (looped), peak-normalised to -3 dBFS
  near.f32       near-end talker (clean reference), 60 s, active level -26 dBFS
  echo.f32       far.f32 convolved with the synthetic RIR (echo at -6 dB re far end)
  mic_a.f32      scenario a: echo + white noise floor at -70 dBFS
  mic_b.f32      scenario b: echo + near + noise floor at -70 dBFS (double talk)
  noise.f32      fan-like noise scaled for 5 dB SNR against near (active level)
  mic_c.f32      scenario c: near + noise (5 dB SNR)
  near_m40.f32   scenario d: near at active speech level -40 dBFS (+ -70 dBFS floor)
  vad.npy        frame-level (10 ms) voice activity of the clean near talker
  rir.npy        the RIR
"""
import numpy as np
from scipy import signal

SR = 48000
DUR = 60
rng = np.random.default_rng(20261207)


def load(p):
    return np.fromfile(p, dtype="<f4").astype(np.float64)


def loop_to(x, n, gap_s=0.5):
    x = np.concatenate([x, np.zeros(int(gap_s * SR))])
    reps = int(np.ceil(n / len(x)))
    return np.tile(x, reps)[:n]


def frame_energy(x, n=480):
    m = len(x) // n
    return (x[: m * n].reshape(m, n) ** 2).mean(axis=1)


def vad_frames(x, n=480):
    """Energy VAD on clean speech: frame active if within 35 dB of the loudest 10 ms frame
    level percentile (95th)."""
    e = frame_energy(x, n)
    edb = 10 * np.log10(e + 1e-20)
    thr = np.percentile(edb, 95) - 35
    act = edb > thr
    # hangover of 2 frames either side so pause frames are clearly pauses
    act = np.convolve(act.astype(int), np.ones(5, int), mode="same") > 0
    return act


def active_level_db(x, vad, n=480):
    e = frame_energy(x, n)[: len(vad)]
    return 10 * np.log10(e[vad].mean())


def write(name, x):
    x.astype("<f4").tofile(f"sig/{name}.f32")


def main():
    n = DUR * SR
    far = loop_to(load("sig/far_48k.f32"), n)
    near = loop_to(load("sig/near_48k.f32"), n, gap_s=1.0)
    # offset near-end so it does not start together with the far end
    near = np.roll(near, int(1.3 * SR))

    far = far / np.max(np.abs(far)) * 10 ** (-3 / 20)
    vad = vad_frames(near)
    near = near * 10 ** ((-26 - active_level_db(near, vad)) / 20)

    # Synthetic RIR: 40 ms pure delay, then exponentially decaying white noise, RT60 300 ms.
    rt60 = 0.3
    L = int(0.5 * SR)
    t = np.arange(L) / SR
    tail = rng.standard_normal(L) * np.exp(-6.9078 * t / rt60)  # 60 dB decay at rt60
    tail[0] = 4.0  # a stronger direct-path tap
    rir = np.concatenate([np.zeros(int(0.040 * SR)), tail])
    echo = signal.fftconvolve(far, rir)[:n]
    # echo level -6 dB relative to far end (energy ratio)
    echo *= np.sqrt(np.sum(far ** 2) / np.sum(echo ** 2)) * 10 ** (-6 / 20)

    floor = rng.standard_normal(n) * 10 ** (-70 / 20)

    # Fan-like noise: white noise through a 2nd-order low-pass at 1 kHz + a little pink tilt
    w = rng.standard_normal(n)
    b, a = signal.butter(2, 1000, fs=SR)
    fan = signal.lfilter(b, a, w)
    pink_b = [0.049922035, -0.095993537, 0.050612699, -0.004408786]
    pink_a = [1, -2.494956002, 2.017265875, -0.522189400]
    fan = fan + 0.3 * signal.lfilter(pink_b, pink_a, w) * np.std(fan) / np.std(signal.lfilter(pink_b, pink_a, w))
    # 5 dB SNR: near active level vs noise mean power
    nl = 10 * np.log10(np.mean(fan ** 2))
    fan *= 10 ** ((-26 - 5 - nl) / 20)

    near40 = near * 10 ** (-14 / 20)  # -26 -> -40 dBFS active level

    write("far", far)
    write("near", near)
    write("echo", echo)
    write("mic_a", echo + floor)
    write("mic_b", echo + near + floor)
    write("mic_n", near + floor)
    # supplementary double talk with a quieter echo path (-20 dB re far end instead of -6 dB)
    write("mic_b20", echo * 10 ** (-14 / 20) + near + floor)
    write("far_silent", np.zeros(n))
    write("noise", fan)
    write("mic_c", near + fan)
    write("near_m40", near40 + floor)
    np.save("sig/vad.npy", vad)
    np.save("sig/rir.npy", rir)
    print("far level dBFS(rms):", 10 * np.log10(np.mean(far ** 2)))
    print("echo level dBFS(rms):", 10 * np.log10(np.mean(echo ** 2)))
    print("near active level:", active_level_db(near, vad), "vad active frac:", vad.mean())
    print("near40 active level:", active_level_db(near40, vad))
    print("noise level:", 10 * np.log10(np.mean(fan ** 2)))
    e_far = 10 * np.log10(np.mean(far ** 2))
    e_echo = 10 * np.log10(np.mean(echo ** 2))
    print("echo re far (dB):", e_echo - e_far)
    # echo-to-near ratio in double talk
    print("near/echo (dB, mean power):", 10 * np.log10(np.mean(near ** 2)) - e_echo)


if __name__ == "__main__":
    main()
