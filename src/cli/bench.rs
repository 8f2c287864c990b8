//! `trygg bench`

use std::process::ExitCode;

use trygg::bench::audio::{self as audio_bench, AudioReport};
use trygg::bench::codecs::{self, CodecReport, Comparison};
use trygg::bench::e2ee::{self as e2ee_bench, E2eeReport};
use trygg::bench::links::{self, LinksReport};

/// What to measure.
#[derive(Debug, clap::Subcommand)]
pub enum Bench {
    /// The microphone's processing (echo cancellation, noise suppression, gain control) on a
    /// far-end talker heard through a simulated room, a near-end talker and steady noise: ERLE,
    /// the near talker kept in double talk, SNR gain, gain control's level, CPU.
    Audio {
        /// The far-end talker (a WAV file; with --near). Without both: synthetic talkers.
        #[arg(long, requires = "near")]
        far: Option<std::path::PathBuf>,
        /// The near-end talker (a WAV file; with --far).
        #[arg(long, requires = "far")]
        near: Option<std::path::PathBuf>,
        /// Seconds of synthetic talkers.
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(6..=600))]
        seconds: u64,
        /// Write the double-talk signals here (near.wav, mic.wav, out.wav, out_all_on.wav) to
        /// score them with PESQ (scripts/bench-audio.sh does).
        #[arg(long)]
        out: Option<std::path::PathBuf>,
        /// Print one JSON document instead of text.
        #[arg(long)]
        json: bool,
    },
    /// H.264 encode/decode at 360p, 720p and 1080p and Opus encode/decode, each against the raw
    /// library in the same run.
    Codecs {
        /// Frames per H.264 size.
        #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(10..=100_000))]
        frames: u64,
        /// Opus frames (20 ms each).
        #[arg(long, default_value_t = 3000, value_parser = clap::value_parser!(u64).range(10..=1_000_000))]
        audio_frames: u64,
        /// Print one JSON document instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Whole calls between trygg processes on loopback (glass-to-glass at 720p30, join time,
    /// CPU per participant for 2, 3 and 4), with Chromium's own WebRTC measured in the same run.
    Call {
        /// Seconds to measure each call.
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
        /// Join-time runs.
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=1000))]
        join_runs: u64,
        /// Print one JSON document instead of text.
        #[arg(long)]
        json: bool,
    },
    /// A 1080p screen share between two participants in this process: capture + encode CPU and
    /// bitrate for a still and a moving slide, and share command to first picture at the viewer.
    Share {
        /// Seconds measured per content.
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
        /// Seconds from a share's start to the measurement (the first keyframe and the pictures
        /// that sharpen it are reported apart).
        #[arg(long, default_value_t = 10.0)]
        settle: f64,
        /// Share-to-first-picture runs.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(2..=1000))]
        runs: u64,
        /// The still content: synthetic:still, or screen:N to grab a real X11 screen.
        #[arg(long, default_value = "synthetic:still")]
        still_source: String,
        /// Print one JSON document instead of text.
        #[arg(long)]
        json: bool,
    },
    /// The signalling server keeps serving a meeting while 1000 half-open connections and one
    /// member's message flood hit it: relay times before and during, what it relayed and refused.
    Server {
        /// Seconds measured in each phase (quiet, attacked).
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
        /// Print one JSON document instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Real calls through an impaired link between two network namespaces (a rate, random loss,
    /// an outage), with two Chromium peers through the same link beside them: what was sent
    /// against the link, pictures decoded, audio concealed, queueing delay, recovery. Needs root.
    Network(super::bench_network::NetworkArgs),
    /// Parse and extract a generated 1 MB .ics with 1000 events (budget: 50 ms).
    Links {
        /// Measured runs (after 3 warm-up runs).
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=10_000))]
        runs: u64,
        /// Print one JSON document instead of text.
        #[arg(long)]
        json: bool,
    },
    /// SFrame against raw AES-128-GCM (same backend, same run), SFrame overhead on Opus and
    /// 720p H.264, MLS commit time and sizes when adding member 100 and member 1000.
    E2ee {
        /// SFrame iterations (each one an encrypt and a decrypt).
        #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u64).range(100..=10_000_000))]
        iterations: u64,
        /// 720p frames encoded to measure video overhead.
        #[arg(long, default_value_t = 150, value_parser = clap::value_parser!(u64).range(10..=100_000))]
        video_frames: u64,
        /// Times each MLS add is repeated.
        #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=100))]
        mls_runs: u64,
        /// Print one JSON document instead of text.
        #[arg(long)]
        json: bool,
    },
}

fn print_audio(r: &AudioReport) {
    println!("machine: {} ({} CPUs), {}", r.machine.cpu, r.machine.cpus, r.machine.os);
    println!(
        "trygg {}{}",
        r.machine.trygg,
        if r.machine.release_build { "" } else { " — DEBUG BUILD, figures not meaningful" }
    );
    println!("{:.0} s of {} talkers:", r.seconds, r.signals);
    println!(
        "  echo, single talk   ERLE after 2 s {:>6.1} dB (every stage on {:.1} dB; 2-4 s {:.1} dB)",
        r.erle_db, r.erle_all_on_db, r.erle_2_to_4_s_db
    );
    println!("  echo, double talk   near talker kept {:+.1} dB where the far end pauses", r.double_talk_near_kept_db);
    println!("  noise at 5 dB SNR   SNR gain {:.1} dB", r.noise_snr_gain_db);
    println!("  talker at -40 dBFS  leaves at {:.1} dBFS, settled after {:.0} s", r.agc_out_dbfs, r.agc_settled_s);
    let p = &r.per_10ms_us;
    println!("  cost, every stage   p50 {:.0} µs p95 {:.0} µs per 10 ms; {:.2} % of one core", p.p50, p.p95, r.cpu_pct);
    if let Some(dir) = &r.written {
        println!("  double-talk signals for PESQ in {}", dir.display());
    }
}

fn print_links(r: &LinksReport) {
    println!("machine: {} ({} CPUs), {}", r.machine.cpu, r.machine.cpus, r.machine.os);
    println!(
        "trygg {}{}",
        r.machine.trygg,
        if r.machine.release_build { "" } else { " — DEBUG BUILD, figures not meaningful" }
    );
    println!("{} bytes, {} events, {} candidates found, {} runs:", r.ics_bytes, r.events, r.candidates, r.runs);
    let p = &r.parse_ms;
    println!("  parse              p50 {:>7.2} ms  p95 {:>7.2} ms  max {:>7.2} ms", p.p50, p.p95, p.max);
    let p = &r.parse_and_extract_ms;
    println!("  parse + extract    p50 {:>7.2} ms  p95 {:>7.2} ms  max {:>7.2} ms", p.p50, p.p95, p.max);
    let verdict = if p.p95 <= r.budget_ms { "within" } else { "OVER" };
    println!("  budget {:.0} ms: p95 is {verdict} budget", r.budget_ms);
    println!("hostile inputs at the input limit (budget {:.0} ms each, the slower of two runs):", r.hostile_budget_ms);
    for h in &r.hostile {
        let verdict = if h.ms <= r.hostile_budget_ms { "" } else { "  OVER budget" };
        println!("  {:<44} {:>9} bytes {:>8.1} ms  {:>4} candidates{verdict}", h.shape, h.bytes, h.ms, h.candidates);
    }
}

fn line(what: &str, unit: &str, c: &Comparison) {
    println!(
        "  {what:<8} trygg p50 {:>8.3} p95 {:>8.3} {unit} | direct p50 {:>8.3} p95 {:>8.3} {unit} | overhead {:+.1} %",
        c.trygg.p50, c.trygg.p95, c.direct.p50, c.direct.p95, c.overhead_pct
    );
}

fn print(r: &CodecReport) {
    println!("machine: {} ({} CPUs), {}", r.machine.cpu, r.machine.cpus, r.machine.os);
    println!(
        "trygg {}{}",
        r.machine.trygg,
        if r.machine.release_build { "" } else { " — DEBUG BUILD, figures not meaningful" }
    );
    for h in &r.h264 {
        println!(
            "H.264 {}x{} @{} kbit/s target ({:.0} produced), {} frames, single thread:",
            h.width, h.height, h.bitrate_kbps, h.produced_kbps, h.frames
        );
        line("encode", "ms", &h.encode_ms);
        line("decode", "ms", &h.decode_ms);
    }
    let o = &r.opus;
    println!("Opus mono 20 ms @{} kbit/s, complexity {}, {} frames:", o.bitrate_kbps, o.complexity, o.frames);
    line("encode", "µs", &o.encode_us);
    line("decode", "µs", &o.decode_us);
}

fn print_e2ee(r: &E2eeReport) {
    println!("machine: {} ({} CPUs), {}", r.machine.cpu, r.machine.cpus, r.machine.os);
    println!(
        "trygg {}{}",
        r.machine.trygg,
        if r.machine.release_build { "" } else { " — DEBUG BUILD, figures not meaningful" }
    );
    let s = &r.sframe_10k;
    println!("SFrame AES_128_GCM_SHA256_128, {} B frame, encrypt+decrypt, {} iterations:", s.frame_bytes, s.iterations);
    println!("  sframe  p50 {:>7.3} µs  p95 {:>7.3} µs", s.sframe_us.p50, s.sframe_us.p95);
    println!("  raw GCM p50 {:>7.3} µs  p95 {:>7.3} µs  (ring seal+open)", s.raw_gcm_us.p50, s.raw_gcm_us.p95);
    println!("  ratio {:.2}x (limit 2.00x)", s.ratio_p50);
    let a = &r.sframe_audio_80;
    println!("SFrame AES_128_CTR_HMAC_SHA256_32, 80 B frame, encrypt+decrypt: p50 {:.3} µs p95 {:.3} µs", a.p50, a.p95);
    let o = &r.overhead;
    println!(
        "overhead: Opus {} B payload: first frame +{} B, steady +{} B = {:.2} % of 32 kbit/s (limit 10 %)",
        o.opus_payload_bytes, o.opus_first_frame_bytes, o.opus_steady_bytes, o.opus_steady_pct_of_32kbps
    );
    println!(
        "overhead: 720p H.264, {} frames, {:.2} NAL units and {:.0} B per frame: +{:.1} B per frame = {:.3} % of 1.5 Mbit/s (limit 0.5 %), {:.3} % of the bytes produced",
        o.video_frames,
        o.video_nals_per_frame,
        o.video_mean_frame_bytes,
        o.video_overhead_bytes_per_frame,
        o.video_overhead_pct_of_1500kbps,
        o.video_overhead_pct_of_produced
    );
    for m in &r.mls {
        println!(
            "MLS add member {}: commit+welcome p50 {:.1} ms (max {:.1}), joiner p50 {:.1} ms, commit {} B, welcome {} B",
            m.members, m.commit_ms.p50, m.commit_ms.max, m.join_ms.p50, m.commit_bytes, m.welcome_bytes
        );
    }
}

fn print_call(r: &trygg::bench::call::CallReport) {
    let p = |x: &trygg::media::stats::Percentiles| {
        format!("p50 {:.1} ms, p95 {:.1} ms ({} samples)", x.p50, x.p95, x.count)
    };
    println!("machine: {} ({} CPUs), {}", r.machine.cpu, r.machine.cpus, r.machine.os);
    println!(
        "trygg {}{}",
        r.machine.trygg,
        if r.machine.release_build { "" } else { " — DEBUG BUILD, figures not meaningful" }
    );
    let t = &r.two_party_720p;
    println!("2 parties, 1280x720@30, {:.0} s:", r.seconds);
    println!("  glass-to-glass: {}", p(&t.glass_to_glass_ms));
    println!(
        "  CPU per participant: {} % of one core; RSS {} MB; decoded {} fps",
        list(&t.cpu_pct),
        list(&t.rss_mb),
        list(&t.fps_decoded)
    );
    match &r.chromium {
        Some(c) => println!(
            "Chromium (same run, canvas 1280x720@30 → H.264 2 Mbit/s → loopback → <video>): {}; encode {:.1} ms/frame; {:.0} % CPU; sent {}x{}",
            p(&c.glass_to_glass_ms),
            c.encode_ms_per_frame.unwrap_or(f64::NAN),
            c.cpu_pct,
            c.width,
            c.height
        ),
        None => println!("Chromium reference: skipped (needs chromium, node and tests/interop/node_modules)"),
    }
    let j = &r.join;
    println!(
        "join ({} runs): first remote video {}; admitted → first picture {}",
        j.runs,
        p(&j.first_video_ms),
        p(&j.admitted_to_first_video_ms)
    );
    for m in &r.mesh {
        println!(
            "mesh of {} at {}x{}: CPU {} % of one core; glass-to-glass {}",
            m.participants,
            m.width,
            m.height,
            list(&m.cpu_pct),
            p(&m.glass_to_glass_ms)
        );
    }
}

fn print_server(r: &trygg::bench::server::ServerReport) {
    let m = &r.machine;
    println!("{} ({} CPUs), {}, release build: {}", m.cpu, m.cpus, m.os, m.release_build);
    let p = |x: &trygg::media::stats::Percentiles| {
        format!("p50 {:.2} ms, p95 {:.2} ms ({} signals)", x.p50, x.p95, x.count)
    };
    println!("meeting relay, quiet:    {}", p(&r.relay_ms_quiet));
    println!("meeting relay, attacked: {}", p(&r.relay_ms_attacked));
    println!("  {} of {} signals arrived while attacked", r.meeting_signals_received, r.meeting_signals_sent);
    println!("half-open connections: {}, closed at once: {}", r.half_open, r.half_open_closed_at_once);
    println!(
        "flooding member: {:.0} messages/s handled by the server ({:.0}/s relayed, {:.0}/s refused with \
         room.rate_limited; {:.0}/s written into its socket)",
        r.flood_handled_per_s, r.flood_relayed_per_s, r.flood_refused_per_s, r.flood_written_per_s
    );
}

fn print_share(r: &trygg::bench::share::ShareReport) {
    println!("screen share ({}, {} CPUs, {})", r.machine.cpu, r.machine.cpus, r.machine.trygg);
    for c in [&r.still, &r.moving] {
        println!(
            "  {:<16} {}x{}: capture+encode {:.1} % of a core at {:.1} fps, {:.0} kbit/s settled ({:.0} kbit/s over the first {:.0} s), {:.1} fps decoded by the viewer",
            c.source, c.width, c.height, c.cpu_pct, c.fps, c.kbps, c.start_kbps, c.settle_s, c.viewer_fps
        );
    }
    let p = &r.share_to_picture_ms;
    println!(
        "  share command → first picture at the viewer: first share {:.0} ms (adds the track); later p50 {:.0} ms, p95 {:.0} ms ({} runs)",
        r.first_share_ms, p.p50, p.p95, p.count
    );
}

pub fn run(bench: Bench) -> ExitCode {
    match bench {
        Bench::Share { seconds, settle, runs, still_source, json } => {
            let b = trygg::bench::share::ShareBench { seconds, settle, runs: runs as usize, still_source };
            match trygg::bench::share::run(&b) {
                Ok(r) if json => {
                    println!("{}", serde_json::to_string_pretty(&r).expect("reports serialize"));
                    ExitCode::SUCCESS
                }
                Ok(r) => {
                    print_share(&r);
                    ExitCode::SUCCESS
                }
                Err(e) => super::fail(json, "bench.share", &e.into()),
            }
        }
        Bench::Call { seconds, join_runs, json } => {
            let exe = match std::env::current_exe() {
                Ok(e) => e,
                Err(e) => return super::fail(json, "io", &e.into()),
            };
            let interop = std::env::current_dir().ok().map(|d| d.join("tests/interop")).filter(|d| d.exists());
            let b = trygg::bench::call::CallBench { exe, seconds, join_runs: join_runs as usize, interop_dir: interop };
            match trygg::bench::call::run(&b) {
                Ok(r) if json => {
                    println!("{}", serde_json::to_string_pretty(&r).expect("reports serialize"));
                    ExitCode::SUCCESS
                }
                Ok(r) => {
                    print_call(&r);
                    ExitCode::SUCCESS
                }
                Err(e) => super::fail(json, "bench.call", &e.into()),
            }
        }
        Bench::E2ee { iterations, video_frames, mls_runs, json } => {
            match e2ee_bench::run(iterations as usize, video_frames as usize, mls_runs as usize) {
                Ok(r) if json => {
                    println!("{}", serde_json::to_string_pretty(&r).expect("reports serialize"));
                    ExitCode::SUCCESS
                }
                Ok(r) => {
                    print_e2ee(&r);
                    ExitCode::SUCCESS
                }
                Err(e) => super::fail(json, e.code(), &e.into()),
            }
        }
        Bench::Codecs { frames, audio_frames, json } => match codecs::run(frames as usize, audio_frames as usize) {
            Ok(r) if json => {
                println!("{}", serde_json::to_string_pretty(&r).expect("reports serialize"));
                ExitCode::SUCCESS
            }
            Ok(r) => {
                print(&r);
                ExitCode::SUCCESS
            }
            Err(e) => super::fail(json, e.code(), &e.into()),
        },
        Bench::Server { seconds, json } => match trygg::bench::server::run(seconds) {
            Ok(r) if json => {
                println!("{}", serde_json::to_string_pretty(&r).expect("reports serialize"));
                ExitCode::SUCCESS
            }
            Ok(r) => {
                print_server(&r);
                ExitCode::SUCCESS
            }
            Err(e) => super::fail(json, "bench.server", &e.into()),
        },
        Bench::Audio { far, near, seconds, out, json } => {
            match audio_bench::run(far.as_deref(), near.as_deref(), seconds as usize, out.as_deref()) {
                Ok(r) if json => {
                    println!("{}", serde_json::to_string_pretty(&r).expect("reports serialize"));
                    ExitCode::SUCCESS
                }
                Ok(r) => {
                    print_audio(&r);
                    ExitCode::SUCCESS
                }
                Err(e) => super::fail(json, e.code(), &e.into()),
            }
        }
        Bench::Network(args) => super::bench_network::run(args),
        Bench::Links { runs, json } => match links::run(runs as usize) {
            Ok(r) if json => {
                println!("{}", serde_json::to_string_pretty(&r).expect("reports serialize"));
                ExitCode::SUCCESS
            }
            Ok(r) => {
                print_links(&r);
                ExitCode::SUCCESS
            }
            Err(e) => super::fail(json, e.code(), &e.into()),
        },
    }
}

/// `[28.1, 28.5]`: one decimal is what these figures can honestly claim.
fn list(xs: &[f64]) -> String {
    format!("[{}]", xs.iter().map(|x| format!("{x:.1}")).collect::<Vec<_>>().join(", "))
}
