//! APM comparison harness: one binary, backend chosen at build time by cargo feature
//! (`sonora` or `webrtc`). 48 kHz mono, 10 ms frames (480 samples).
//!
//! Usage:
//!   apm process <mode> <capture.f32> <render.f32|-> <out.f32> [render_stop_sec]
//!       mode: full (HPF+AEC+NS+AGC2), aec_only, ns_only, agc_only, ns_agc (no AEC)
//!       render '-' means no far end is fed at all.
//!       Prints wall/CPU timing of the processing loop (file IO excluded).
//!   apm robust <case>    cases: silence, square, dc, nan, inf, render_stop
//!       Synthesises the signal, processes with all stages on, prints stats.
//!
//! Raw files are little-endian f32, mono, 48 kHz.

use std::time::Instant;

const SR: u32 = 48_000;
const N: usize = 480;

#[derive(Clone, Copy, PartialEq, Debug)]
enum Mode {
    Full,
    AecOnly,
    NsOnly,
    AgcOnly,
    NsAgc,
    AecNs,
}

impl Mode {
    fn parse(s: &str) -> Mode {
        match s {
            "full" => Mode::Full,
            "aec_only" => Mode::AecOnly,
            "ns_only" => Mode::NsOnly,
            "agc_only" => Mode::AgcOnly,
            "ns_agc" => Mode::NsAgc,
            "aec_ns" => Mode::AecNs,
            _ => panic!("unknown mode {s}"),
        }
    }
    fn aec(self) -> bool {
        matches!(self, Mode::Full | Mode::AecOnly | Mode::AecNs)
    }
    fn ns(self) -> bool {
        matches!(self, Mode::Full | Mode::NsOnly | Mode::NsAgc | Mode::AecNs)
    }
    fn agc(self) -> bool {
        matches!(self, Mode::Full | Mode::AgcOnly | Mode::NsAgc)
    }
}

/// Stream delay told to the APM (ms). The render frame is handed to the APM right
/// before the capture frame and no sound device is involved, so the "device" delay
/// is 0; the 40 ms acoustic delay is part of the echo path that AEC3 must find.
const STREAM_DELAY_MS: i32 = 0;

trait Apm {
    fn render(&mut self, frame: &[f32]) -> bool;
    fn capture(&mut self, frame: &mut [f32]) -> bool;
}

#[cfg(feature = "sonora")]
mod backend {
    use super::*;
    use sonora::config::{
        AdaptiveDigital, EchoCanceller, GainController2, HighPassFilter, MaxProcessingRate,
        NoiseSuppression, NoiseSuppressionLevel,
    };
    use sonora::{AudioProcessing, Config, StreamConfig};

    pub const NAME: &str = "sonora";

    pub struct B {
        apm: AudioProcessing,
        out: Vec<f32>,
        aec: bool,
    }

    pub fn make(mode: Mode) -> B {
        let mut config = Config::default();
        config.pipeline.maximum_internal_processing_rate = MaxProcessingRate::Rate48kHz;
        config.high_pass_filter = Some(HighPassFilter::default());
        if mode.aec() {
            let mut ec = EchoCanceller::default();
            // Optional experiment: APM_SONORA_TM=hmm selects the HMM transparent mode
            // (default is Legacy, matching the C++ default without field trials).
            if std::env::var("APM_SONORA_TM").as_deref() == Ok("hmm") {
                ec.transparent_mode = sonora::config::TransparentModeType::Hmm;
            }
            config.echo_canceller = Some(ec);
        }
        if mode.ns() {
            config.noise_suppression = Some(NoiseSuppression {
                level: NoiseSuppressionLevel::High,
                analyze_linear_aec_output_when_available: false,
            });
        }
        if mode.agc() {
            config.gain_controller2 = Some(GainController2 {
                input_volume_controller: false,
                adaptive_digital: Some(AdaptiveDigital::default()),
                fixed_digital: Default::default(),
            });
        }
        let sc = StreamConfig::new(SR, 1);
        let apm = AudioProcessing::builder()
            .config(config)
            .capture_config(sc)
            .render_config(sc)
            .build();
        B { apm, out: vec![0.0; N], aec: mode.aec() }
    }

    impl Apm for B {
        fn render(&mut self, frame: &[f32]) -> bool {
            let mut o = [0.0f32; N];
            self.apm.process_render_f32(&[frame], &mut [&mut o[..]]).is_ok()
        }
        fn capture(&mut self, frame: &mut [f32]) -> bool {
            if self.aec {
                let _ = self.apm.set_stream_delay_ms(STREAM_DELAY_MS);
            }
            let ok = self.apm.process_capture_f32(&[&*frame], &mut [&mut self.out[..]]).is_ok();
            frame.copy_from_slice(&self.out);
            ok
        }
    }
}

#[cfg(feature = "webrtc")]
mod backend {
    use super::*;
    use webrtc_audio_processing::config::{
        AdaptiveDigital, EchoCanceller, GainController, GainController2, HighPassFilter,
        NoiseSuppression, NoiseSuppressionLevel, PipelineProcessingRate,
    };
    use webrtc_audio_processing::{Config, Processor};

    pub const NAME: &str = "webrtc-audio-processing";

    pub struct B {
        p: Processor,
    }

    pub fn make(mode: Mode) -> B {
        let p = Processor::new(SR).expect("create");
        let mut config = Config::default();
        config.pipeline.maximum_internal_processing_rate = PipelineProcessingRate::Max48000Hz;
        config.high_pass_filter = Some(HighPassFilter::default());
        if mode.aec() {
            config.echo_canceller =
                Some(EchoCanceller::Full { stream_delay_ms: Some(STREAM_DELAY_MS as u16) });
        }
        if mode.ns() {
            config.noise_suppression = Some(NoiseSuppression {
                level: NoiseSuppressionLevel::High,
                analyze_linear_aec_output: false,
            });
        }
        if mode.agc() {
            config.gain_controller = Some(GainController::GainController2(GainController2 {
                input_volume_controller_enabled: false,
                adaptive_digital: Some(AdaptiveDigital::default()),
                fixed_digital: Default::default(),
            }));
        }
        p.set_config(config);
        B { p }
    }

    impl Apm for B {
        fn render(&mut self, frame: &[f32]) -> bool {
            self.p.analyze_render_frame([frame]).is_ok()
        }
        fn capture(&mut self, frame: &mut [f32]) -> bool {
            self.p.process_capture_frame([frame]).is_ok()
        }
    }
}

/// No backend feature: passthrough (baseline for binary size and metric sanity checks).
#[cfg(not(any(feature = "sonora", feature = "webrtc")))]
mod backend {
    use super::*;
    pub const NAME: &str = "passthrough";
    pub struct B;
    pub fn make(_mode: Mode) -> B {
        B
    }
    impl Apm for B {
        fn render(&mut self, _frame: &[f32]) -> bool {
            true
        }
        fn capture(&mut self, _frame: &mut [f32]) -> bool {
            true
        }
    }
}

fn read_f32(path: &str) -> Vec<f32> {
    let b = std::fs::read(path).expect(path);
    b.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
}

fn write_f32(path: &str, x: &[f32]) {
    let mut b = Vec::with_capacity(x.len() * 4);
    for v in x {
        b.extend_from_slice(&v.to_le_bytes());
    }
    std::fs::write(path, b).expect(path);
}

fn thread_cpu_s() -> f64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

struct RunStats {
    wall_s: f64,
    cpu_s: f64,
    frames: usize,
    max_frame_us: f64,
    errors: usize,
}

/// Process capture (and optionally render) frame by frame: render frame i, then capture frame i.
fn run(
    apm: &mut dyn Apm,
    capture: &[f32],
    render: Option<&[f32]>,
    render_stop_sample: Option<usize>,
) -> (Vec<f32>, RunStats) {
    let frames = capture.len() / N;
    let mut out = capture[..frames * N].to_vec();
    let mut errors = 0;
    let mut max_frame = 0f64;
    let c0 = thread_cpu_s();
    let t0 = Instant::now();
    for i in 0..frames {
        let tf = Instant::now();
        if let Some(r) = render {
            let stopped = render_stop_sample.map_or(false, |s| i * N >= s);
            if !stopped && (i + 1) * N <= r.len() {
                if !apm.render(&r[i * N..(i + 1) * N]) {
                    errors += 1;
                }
            }
        }
        if !apm.capture(&mut out[i * N..(i + 1) * N]) {
            errors += 1;
        }
        max_frame = max_frame.max(tf.elapsed().as_secs_f64());
    }
    let wall = t0.elapsed().as_secs_f64();
    let cpu = thread_cpu_s() - c0;
    (out, RunStats { wall_s: wall, cpu_s: cpu, frames, max_frame_us: max_frame * 1e6, errors })
}

fn db(e: f64) -> f64 {
    10.0 * (e.max(1e-30)).log10()
}

fn energy(x: &[f32]) -> f64 {
    x.iter().filter(|v| v.is_finite()).map(|&v| (v as f64) * (v as f64)).sum()
}

fn rms_dbfs(x: &[f32]) -> f64 {
    db(energy(x) / x.len().max(1) as f64)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(|s| s.as_str()) {
        Some("process") => {
            let mode = Mode::parse(&args[2]);
            let cap = read_f32(&args[3]);
            let ren = if args[4] == "-" { None } else { Some(read_f32(&args[4])) };
            let stop = args.get(6).map(|s| (s.parse::<f64>().unwrap() * SR as f64) as usize);
            let mut apm = backend::make(mode);
            let (out, st) = run(&mut apm, &cap, ren.as_deref(), stop);
            write_f32(&args[5], &out);
            let audio_s = st.frames as f64 * 0.01;
            println!(
                "backend={} mode={:?} frames={} audio_s={:.2} wall_s={:.4} cpu_s={:.4} cpu_pct_of_core={:.3} us_per_frame_cpu={:.1} us_per_frame_wall={:.1} max_frame_us={:.0} errors={} nan_out={}",
                backend::NAME,
                mode,
                st.frames,
                audio_s,
                st.wall_s,
                st.cpu_s,
                100.0 * st.cpu_s / audio_s,
                1e6 * st.cpu_s / st.frames as f64,
                1e6 * st.wall_s / st.frames as f64,
                st.max_frame_us,
                st.errors,
                out.iter().filter(|v| !v.is_finite()).count()
            );
        }
        Some("robust") => robust(&args[2], Mode::parse(args.get(3).map(|s| s.as_str()).unwrap_or("full"))),
        _ => eprintln!("see source for usage"),
    }
}

/// Robustness cases, 20 s each, all stages on, far end = speech-like noise bursts
/// (deterministic LCG noise) unless stated.
fn robust(case: &str, mode: Mode) {
    let secs = 20usize;
    let len = secs * SR as usize;
    let mut seed = 12345u64;
    let mut rnd = move || {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((seed >> 33) as f64 / (1u64 << 31) as f64 * 2.0 - 1.0) as f32
    };
    // Far end: noise modulated 1 s on / 0.5 s off at -20 dBFS rms.
    let far: Vec<f32> = (0..len)
        .map(|i| {
            let t = i as f32 / SR as f32;
            let on = (t % 1.5) < 1.0;
            if on { 0.17 * rnd() } else { 0.0 }
        })
        .collect();
    let mut render_stop = None;
    let mut render = Some(far.clone());
    let cap: Vec<f32> = match case {
        "silence" => {
            render = Some(vec![0.0; len]);
            vec![0.0; len]
        }
        "square" => {
            // Full-scale 1 kHz square wave (hard-clipped), far end silent.
            render = Some(vec![0.0; len]);
            (0..len).map(|i| if (i / 24) % 2 == 0 { 1.0 } else { -1.0 }).collect()
        }
        "square_echo" => {
            // Far end is a full-scale square wave; mic gets it back at -6 dB, 40 ms late.
            let sq: Vec<f32> = (0..len).map(|i| if (i / 24) % 2 == 0 { 1.0 } else { -1.0 }).collect();
            let c = (0..len).map(|i| if i >= 1920 { 0.5 * sq[i - 1920] } else { 0.0 }).collect();
            render = Some(sq);
            c
        }
        "dc" => {
            // DC offset of +0.5 plus small noise, with echo of far end.
            (0..len).map(|i| 0.5 + 0.001 * rnd() + if i >= 1920 { 0.5 * far[i - 1920] } else { 0.0 }).collect()
        }
        "nan" | "inf" => {
            // Echo + noise, with a burst of NaN/inf samples in one frame at 5 s and
            // single bad samples every 2 s after that.
            let bad = if case == "nan" { f32::NAN } else { f32::INFINITY };
            (0..len)
                .map(|i| {
                    let base = 0.001 * rnd() + if i >= 1920 { 0.5 * far[i - 1920] } else { 0.0 };
                    let t = i / SR as usize;
                    if (i >= 5 * SR as usize && i < 5 * SR as usize + N)
                        || (t >= 6 && t % 2 == 0 && i % SR as usize == 100)
                    {
                        bad
                    } else {
                        base
                    }
                })
                .collect()
        }
        "render_silent" => {
            // Control for render_stop: identical mic signal, but the far end keeps
            // delivering (silent) render frames after 10 s instead of stopping.
            let mut r = far.clone();
            for v in r[10 * SR as usize..].iter_mut() {
                *v = 0.0;
            }
            render = Some(r);
            echo_until_10s(&far, len, &mut rnd)
        }
        "render_stop" => {
            // Echo present while far end plays; speaker gone at 10 s: render frames stop
            // being delivered, mic carries only near-end-like noise bursts afterwards.
            render_stop = Some(10 * SR as usize);
            echo_until_10s(&far, len, &mut rnd)
        }
        _ => panic!("unknown case"),
    };
    let mut apm = backend::make(mode);
    let t0 = Instant::now();
    let (out, st) = run(&mut apm, &cap, render.as_deref(), render_stop);
    let nonfinite = out.iter().filter(|v| !v.is_finite()).count();
    let first_nonfinite_s = out.iter().position(|v| !v.is_finite()).map(|p| p as f64 / SR as f64);
    // Per-second blow-up check: output rms vs input rms in each 1 s window
    // (input non-finite samples ignored).
    let mut worst_gain_db = f64::NEG_INFINITY;
    let mut worst_at = 0;
    let mut worst_loud_db = f64::NEG_INFINITY; // only windows with input >= -60 dBFS
    let mut max_out_win_dbfs = f64::NEG_INFINITY;
    for s in 0..secs {
        let r = s * SR as usize..(s + 1) * SR as usize;
        let gi = rms_dbfs(&cap[r.clone()]);
        let go = rms_dbfs(&out[r]);
        max_out_win_dbfs = max_out_win_dbfs.max(go);
        if gi >= -60.0 {
            worst_loud_db = worst_loud_db.max(go - gi);
        }
        if gi > -100.0 && go - gi > worst_gain_db {
            worst_gain_db = go - gi;
            worst_at = s;
        }
    }
    let peak = out.iter().filter(|v| v.is_finite()).fold(0f32, |a, &b| a.max(b.abs()));
    let tail = &out[out.len() - SR as usize..];
    println!(
        "backend={} mode={:?} case={} time_s={:.2} errors={} nonfinite_out={} first_nonfinite_s={:?} peak_out={:.3} in_rms_dbfs={:.1} out_rms_dbfs={:.1} worst_1s_gain_db={:.1}@{}s worst_1s_gain_db_input_ge_-60dBFS={:.1} max_1s_out_dbfs={:.1} last_1s_out_dbfs={:.1}",
        backend::NAME,
        mode,
        case,
        t0.elapsed().as_secs_f64(),
        st.errors,
        nonfinite,
        first_nonfinite_s,
        peak,
        rms_dbfs(&cap),
        rms_dbfs(&out),
        worst_gain_db,
        worst_at,
        worst_loud_db,
        max_out_win_dbfs,
        rms_dbfs(tail)
    );
}

/// The microphone of the speaker-gone cases: the far end's echo (40 ms, half level) for the
/// first 10 s, then only near-end-like noise bursts every other second from 12 s, over a faint
/// floor.
fn echo_until_10s(far: &[f32], len: usize, rnd: &mut impl FnMut() -> f32) -> Vec<f32> {
    (0..len)
        .map(|i| {
            let t = i as f32 / SR as f32;
            let echo = if i >= 1920 && i < 10 * SR as usize { 0.5 * far[i - 1920] } else { 0.0 };
            let near = if t > 12.0 && (t % 2.0) < 1.0 { 0.05 * rnd() } else { 0.0 };
            echo + near + 0.0003 * rnd()
        })
        .collect()
}
