//! `trygg bench`

use std::process::ExitCode;

use trygg::bench::codecs::{self, CodecReport, Comparison};
use trygg::bench::links::{self, LinksReport};

/// What to measure.
#[derive(Debug, clap::Subcommand)]
pub enum Bench {
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
    /// Parse and extract a generated 1 MB .ics with 1000 events (budget: 50 ms).
    Links {
        /// Measured runs (after 3 warm-up runs).
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=10_000))]
        runs: u64,
        /// Print one JSON document instead of text.
        #[arg(long)]
        json: bool,
    },
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

pub fn run(bench: Bench) -> ExitCode {
    match bench {
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
