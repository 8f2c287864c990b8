//! `trygg demo`

use std::process::ExitCode;

use anyhow::Context;
use trygg::media::clock::SystemClock;
use trygg::media::h264::{ContentHint, H264Config};
use trygg::media::loopback::{AUDIO_FRAME, Loopback, LoopbackReport};
use trygg::media::opus::OpusConfig;
use trygg::media::sink::AudioSink;
use trygg::media::spec::{AudioSpec, VideoShape, VideoSpec};
use trygg::media::stats::Percentiles;

/// Options of `trygg demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// How long to run, in seconds.
    #[arg(long, default_value_t = 5.0, value_parser = seconds)]
    seconds: f64,
    /// Picture width.
    #[arg(long, default_value_t = 1280, value_parser = clap::value_parser!(u32).range(16..=3840))]
    width: u32,
    /// Picture height.
    #[arg(long, default_value_t = 720, value_parser = clap::value_parser!(u32).range(16..=2160))]
    height: u32,
    /// Frames per second.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=120))]
    fps: u32,
    /// Video source: synthetic, camera, camera:ID, screen[:N], window[:ID], slide (a synthetic
    /// shared screen), file:PATH.y4m or none. Screens and windows are encoded as screen content.
    #[arg(long, default_value = "synthetic")]
    video: String,
    /// Audio source: synthetic, mic, mic:ID, file:PATH.wav or none.
    #[arg(long, default_value = "synthetic")]
    audio: String,
    /// Play the decoded audio on a speaker: default, an id from `trygg devices`, or none.
    #[arg(long, default_value = "none")]
    speaker: String,
    /// H.264 bitrate in kbit/s.
    #[arg(long, default_value_t = 1500, value_parser = clap::value_parser!(u32).range(10..=50_000))]
    video_kbps: u32,
    /// Opus bitrate in kbit/s.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(6..=510))]
    audio_kbps: u32,
    /// Print one JSON document instead of text.
    #[arg(long)]
    json: bool,
}

fn seconds(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("\"{s}\" is not a number of seconds"))?;
    if !(0.1..=86_400.0).contains(&v) {
        return Err(format!("{v} s is out of range; use 0.1 to 86400"));
    }
    Ok(v)
}

fn open_speaker(name: &str) -> anyhow::Result<Option<Box<dyn AudioSink>>> {
    if name == "none" {
        return Ok(None);
    }
    #[cfg(feature = "audio-devices")]
    {
        let id = (name != "default").then_some(name);
        let s = trygg::media::audio_device::Speaker::open(id).context("opening the speaker")?;
        Ok(Some(Box::new(s)))
    }
    #[cfg(not(feature = "audio-devices"))]
    anyhow::bail!("this build has no audio device support (feature \"audio-devices\")")
}

fn build(args: &Args) -> anyhow::Result<Loopback> {
    let clock = SystemClock::shared();
    let video: VideoSpec = args.video.parse()?;
    let content = if video.is_screen() { ContentHint::Screen } else { ContentHint::Camera };
    let audio: AudioSpec = args.audio.parse()?;
    let shape = VideoShape { width: args.width, height: args.height, fps: args.fps };
    let video = video.open(shape, clock.clone()).context("opening the video source")?;
    let audio = audio.open(AUDIO_FRAME, clock.clone()).context("opening the audio source")?;
    anyhow::ensure!(video.is_some() || audio.is_some(), "nothing to do: both --video and --audio are none");
    Ok(Loopback {
        video,
        audio,
        speaker: open_speaker(&args.speaker)?,
        h264: H264Config {
            bitrate_bps: args.video_kbps * 1000,
            fps: args.fps as f32,
            content,
            ..H264Config::default()
        },
        opus: OpusConfig { bitrate_bps: args.audio_kbps * 1000, ..OpusConfig::default() },
        seconds: args.seconds,
        clock,
    })
}

fn row(name: &str, p: &Percentiles) {
    println!("  {name:<22} {:>8.2} {:>8.2} {:>8.2}", p.p50, p.p95, p.max);
}

fn print(report: &LoopbackReport) {
    println!("trygg demo: {:.1} s local loopback (capture → encode → decode)", report.seconds);
    if let Some(v) = &report.video {
        println!();
        println!("video  {} — {}", v.source.name, v.source.format);
        println!(
            "  frames: {} captured, {} dropped at capture, {} encoded ({} keyframes, {} skipped), {} decoded",
            v.captured, v.dropped_at_capture, v.encoded, v.keyframes, v.skipped, v.decoded
        );
        println!("  bitrate: {:.0} kbit/s at {}x{}", v.bitrate_kbps, v.width, v.height);
        println!("  PSNR (luma): mean {:.2} dB, min {:.2} dB", v.psnr_db.mean, v.psnr_db.min);
        if v.latency.glass_to_glass_ms.is_some() {
            println!("  pixel timestamps read back: {}/{}", v.stamps_read, v.decoded);
        }
        println!("  latency (ms)                p50      p95      max");
        row("capture → encoded", &v.latency.capture_to_encoded_ms);
        row("encoded → decoded", &v.latency.encoded_to_decoded_ms);
        row("capture → decoded", &v.latency.capture_to_decoded_ms);
        row("  of which encode", &v.latency.encode_ms);
        row("  of which decode", &v.latency.decode_ms);
        if let Some(g) = &v.latency.glass_to_glass_ms {
            row("glass → glass (pixels)", g);
        }
    }
    if let Some(a) = &report.audio {
        println!();
        println!("audio  {} — {}", a.source.name, a.source.format);
        println!(
            "  frames: {} captured, {} dropped at capture, {} encoded; {:.1} kbit/s",
            a.captured, a.dropped_at_capture, a.encoded, a.bitrate_kbps
        );
        println!(
            "  encode {:.0} µs p50 / {:.0} µs p95; decode {:.0} µs p50 / {:.0} µs p95",
            a.encode_us.p50, a.encode_us.p95, a.decode_us.p50, a.decode_us.p95
        );
        println!("  decoded: dominant {:.0} Hz, RMS {:.3}, {} clicks heard", a.dominant_hz, a.rms, a.clicks_heard);
        if let Some(c) = &a.click_latency_ms {
            println!("  click capture → decoded: p50 {:.1} ms, p95 {:.1} ms", c.p50, c.p95);
        }
    }
}

pub fn run(args: Args) -> ExitCode {
    let result = build(&args).and_then(|l| l.run().map_err(anyhow::Error::from));
    match result {
        Ok(report) if args.json => {
            println!("{}", serde_json::to_string_pretty(&report).expect("reports serialize"));
            ExitCode::SUCCESS
        }
        Ok(report) => {
            print(&report);
            ExitCode::SUCCESS
        }
        Err(e) => super::fail(args.json, super::code_of(&e), &e),
    }
}
