//! `trygg bench call`: whole calls between real `trygg` processes on loopback, and Chromium's own
//! WebRTC stack measured the same way in the same run.
//!
//! * **Glass-to-glass, 2 parties, 1280x720@30**: every picture carries its capture time in its
//!   pixels; the receiver reads it after decoding. Chromium's reference sends a 1280x720@30
//!   canvas with the same stamp as H.264 at 2 Mbit/s between two peer connections of one page,
//!   and reads each decoded frame back from its `<video>`.
//! * **Join time**: from the start of a `trygg join` process to its first decoded remote
//!   picture, with the host admitting at once (20 runs); and from admission to that picture.
//! * **CPU**: each participant process's user+system time over the measured window, as a share
//!   of one core; 2 parties at 720p30, then 3 and 4 in a mesh at 640x360.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;

use super::{Machine, cpu_pct};
use crate::media::stats::Percentiles;

/// A `trygg` child process and its JSON lines.
struct Participant {
    child: Child,
    lines: Receiver<Value>,
}

impl Participant {
    fn start(exe: &Path, args: &[String]) -> std::io::Result<Self> {
        let mut child =
            Command::new(exe).args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::null()).spawn()?;
        let out = child.stdout.take().expect("stdout is piped");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str::<Value>(&line)
                    && tx.send(v).is_err()
                {
                    return;
                }
            }
        });
        Ok(Self { child, lines })
    }

    fn wait_for(&self, secs: f64, mut want: impl FnMut(&Value) -> bool) -> Option<Value> {
        let deadline = Instant::now() + Duration::from_secs_f64(secs);
        while let Ok(v) = self.lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            if want(&v) {
                return Some(v);
            }
        }
        None
    }

    /// Everything printed so far.
    fn drain(&self) -> Vec<Value> {
        std::iter::from_fn(|| self.lines.try_recv().ok()).collect()
    }

    fn cpu_ticks(&self) -> u64 {
        cpu_ticks(self.child.id())
    }

    /// Leaves the meeting as a person does (Ctrl-C: `leave`, then exit), so that its seat is
    /// free at once rather than kept for a resume; killed if it has not exited within 3 s.
    fn leave(mut self) {
        let _ = Command::new("kill").args(["-INT", &self.child.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline && matches!(self.child.try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Participant {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// User+system CPU of a process, in clock ticks (Linux /proc; 0 elsewhere).
fn cpu_ticks(pid: u32) -> u64 {
    super::stat_ticks(&format!("/proc/{pid}/stat"))
}

fn rss_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// The 2-party 720p call.
#[derive(Debug, Clone, Serialize)]
pub struct TwoParty {
    /// Every picture's glass-to-glass latency, both directions.
    pub glass_to_glass_ms: Percentiles,
    /// Each participant's CPU, % of one core.
    pub cpu_pct: Vec<f64>,
    /// Each participant's resident memory at the end, MB.
    pub rss_mb: Vec<f64>,
    /// Pictures decoded per second per participant.
    pub fps_decoded: Vec<f64>,
}

/// A mesh of N participants.
#[derive(Debug, Clone, Serialize)]
pub struct Mesh {
    /// Participants.
    pub participants: usize,
    /// Picture size.
    pub width: u32,
    /// Picture size.
    pub height: u32,
    /// Each participant's CPU, % of one core.
    pub cpu_pct: Vec<f64>,
    /// Glass-to-glass over every link.
    pub glass_to_glass_ms: Percentiles,
}

/// Join times.
#[derive(Debug, Clone, Serialize)]
pub struct JoinTimes {
    /// Runs measured.
    pub runs: usize,
    /// From the `trygg join` process start to the first decoded remote picture.
    pub first_video_ms: Percentiles,
    /// From admission (the moment the joiner learns it is in) to the first decrypted, decoded
    /// picture.
    pub admitted_to_first_video_ms: Percentiles,
}

/// Chromium's own stack, measured in the same run.
#[derive(Debug, Clone, Serialize)]
pub struct ChromiumReference {
    /// Glass-to-glass of the canvas → H.264 → loopback → decode → `<video>` path.
    pub glass_to_glass_ms: Percentiles,
    /// Encode time per frame from Chromium's own stats.
    pub encode_ms_per_frame: Option<f64>,
    /// Every Chromium process together, % of one core.
    pub cpu_pct: f64,
    /// Picture size Chromium actually sent.
    pub width: u64,
    /// Picture size Chromium actually sent.
    pub height: u64,
}

/// The report.
#[derive(Debug, Clone, Serialize)]
pub struct CallReport {
    /// Where it ran.
    pub machine: Machine,
    /// Seconds each call was measured.
    pub seconds: f64,
    /// Two parties at 1280x720@30.
    pub two_party_720p: TwoParty,
    /// Chromium's reference, when Chromium and the interop scripts are installed.
    pub chromium: Option<ChromiumReference>,
    /// Join times.
    pub join: JoinTimes,
    /// Meshes of 3 and 4 at 640x360.
    pub mesh: Vec<Mesh>,
}

/// What the bench needs to know.
#[derive(Debug, Clone)]
pub struct CallBench {
    /// The `trygg` executable to run participants with.
    pub exe: PathBuf,
    /// Seconds to measure each call.
    pub seconds: f64,
    /// Join runs.
    pub join_runs: usize,
    /// `tests/interop` (with `node_modules`), for the Chromium reference.
    pub interop_dir: Option<PathBuf>,
}

fn common(name: &str, w: u32, h: u32, kbps: u32) -> Vec<String> {
    [
        "--json",
        "--identity",
        "ephemeral",
        "--bind",
        "127.0.0.1",
        "--name",
        name,
        "--width",
        &w.to_string(),
        "--height",
        &h.to_string(),
        "--fps",
        "30",
        "--video-kbps",
        &kbps.to_string(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn err(what: &str) -> std::io::Error {
    std::io::Error::other(what.to_owned())
}

/// Starts a host (with its own loopback server, admitting everyone) and returns it with its link.
fn host(exe: &Path, w: u32, h: u32, kbps: u32) -> std::io::Result<(Participant, String)> {
    let mut args: Vec<String> =
        ["host", "--listen", "127.0.0.1:0", "--auto-admit"].iter().map(|s| s.to_string()).collect();
    args.extend(common("host", w, h, kbps));
    let p = Participant::start(exe, &args)?;
    let link = p.wait_for(20.0, |v| v["type"] == "link").ok_or_else(|| err("the host printed no link"))?;
    let link = link["link"].as_str().unwrap_or_default().to_owned();
    Ok((p, link))
}

fn join(exe: &Path, link: &str, name: &str, w: u32, h: u32, kbps: u32) -> std::io::Result<Participant> {
    let mut args = vec!["join".to_owned(), link.to_owned()];
    args.extend(common(name, w, h, kbps));
    Participant::start(exe, &args)
}

/// What one measured call gives: per participant CPU, RSS and decoded fps, and every
/// glass-to-glass sample.
struct CallResult {
    cpu: Vec<f64>,
    rss: Vec<f64>,
    fps: Vec<f64>,
    g2g: Vec<f64>,
}

/// Runs a call of `n` participants for `secs` after every link decodes.
fn call(exe: &Path, n: usize, w: u32, h: u32, kbps: u32, secs: f64) -> std::io::Result<CallResult> {
    let (host, link) = host(exe, w, h, kbps)?;
    let mut ps = vec![host];
    for i in 1..n {
        ps.push(join(exe, &link, &format!("p{i}"), w, h, kbps)?);
    }
    // Wait until every participant decodes every other one.
    for (i, p) in ps.iter().enumerate() {
        let mut last = Value::Null;
        let got = p.wait_for(30.0, |v| {
            if v["type"] == "stats" || v["type"] == "error" {
                last = v.clone();
            }
            v["type"] == "stats"
                && v["peers"].as_array().is_some_and(|a| {
                    a.len() == n - 1 && a.iter().all(|x| x["frames_decoded"].as_u64().unwrap_or(0) > 30)
                })
        });
        if got.is_none() {
            for (j, q) in ps.iter().enumerate() {
                for v in q.drain().iter().filter(|v| v["type"] != "stats") {
                    eprintln!("[bench call] participant {j}: {v}");
                }
            }
            let mut last = last.to_string();
            last.truncate(400);
            return Err(err(&format!(
                "participant {i} of {n} did not get everyone's video in 30 s; it last said {last}"
            )));
        }
    }
    std::thread::sleep(Duration::from_secs(2));
    for p in &ps {
        p.drain();
    }
    let before: Vec<(u64, u64)> = ps.iter().map(|p| (p.cpu_ticks(), decoded(&p.drain()))).collect();
    let t0 = Instant::now();
    std::thread::sleep(Duration::from_secs_f64(secs));
    let elapsed = t0.elapsed().as_secs_f64();
    let mut cpu = vec![];
    let mut rss = vec![];
    let mut fps = vec![];
    let mut g2g = vec![];
    for (p, (t, _)) in ps.iter().zip(&before) {
        cpu.push(cpu_pct(*t, p.cpu_ticks(), elapsed));
        rss.push(rss_mb(p.child.id()));
        let lines = p.drain();
        let frames: u64 = lines.iter().filter(|v| v["type"] == "stats").count() as u64;
        let first = lines.iter().find(|v| v["type"] == "stats").map(sum_decoded).unwrap_or(0);
        let last = lines.iter().rev().find(|v| v["type"] == "stats").map(sum_decoded).unwrap_or(0);
        fps.push(if frames > 1 { (last - first) as f64 / (frames - 1) as f64 / (n - 1) as f64 } else { 0.0 });
        for v in lines.iter().filter(|v| v["type"] == "stats") {
            for peer in v["peers"].as_array().into_iter().flatten() {
                for s in peer["glass_to_glass_samples_ms"].as_array().into_iter().flatten() {
                    if let Some(x) = s.as_f64() {
                        g2g.push(x);
                    }
                }
            }
        }
    }
    Ok(CallResult { cpu, rss, fps, g2g })
}

fn sum_decoded(v: &Value) -> u64 {
    v["peers"].as_array().into_iter().flatten().map(|p| p["frames_decoded"].as_u64().unwrap_or(0)).sum()
}

fn decoded(lines: &[Value]) -> u64 {
    lines.iter().rev().find(|v| v["type"] == "stats").map(sum_decoded).unwrap_or(0)
}

/// Joins before the bench paces them (below the server's per-address burst of knocks).
const KNOCKS_AT_ONCE: usize = 25;

fn join_times(exe: &Path, runs: usize) -> std::io::Result<JoinTimes> {
    let (_host, link) = host(exe, 640, 360, 800)?;
    let (mut first, mut admitted) = (vec![], vec![]);
    for i in 0..runs {
        if i >= KNOCKS_AT_ONCE {
            // One address may knock 30 times at once, then once per 500 ms (the server's
            // per-address budget): later joins wait their turn instead of being refused.
            std::thread::sleep(Duration::from_millis(500));
        }

        let p = join(exe, &link, &format!("j{i}"), 640, 360, 800)?;
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut admitted_at = None;
        let mut seen: Vec<Value> = Vec::new();
        loop {
            let v = p.lines.recv_timeout(deadline.saturating_duration_since(Instant::now())).map_err(|_| {
                let said: Vec<String> = seen.iter().filter(|v| v["type"] != "stats").map(|v| v.to_string()).collect();
                err(&format!("joiner {i} got no picture within 20 s; it said {}", said.join(" ")))
            })?;
            seen.push(v.clone());
            if v["type"] == "admitted" {
                admitted_at = v["t_ms"].as_f64();
            }
            if v["type"] == "first_remote_video" {
                first.push(v["ms_since_start"].as_f64().unwrap_or(f64::NAN));
                if let (Some(a), Some(t)) = (admitted_at, v["t_ms"].as_f64()) {
                    // Both stamps are from the joiner's own clock; the picture line is printed
                    // within one 20 ms poll of the decode, the admitted line at once.
                    admitted.push(v["ms_since_start"].as_f64().unwrap_or(t) - a);
                }
                break;
            }
        }
        // Each joiner leaves before the next comes: the meeting stays at two, as in life, and
        // no joiner waits on routes to the seats of earlier ones kept for a resume.
        p.leave();
    }
    Ok(JoinTimes {
        runs,
        first_video_ms: Percentiles::of(&first),
        admitted_to_first_video_ms: Percentiles::of(&admitted),
    })
}

fn chromium(dir: &Path, secs: f64) -> Option<ChromiumReference> {
    let script = dir.join("chromium_g2g.mjs");
    if !script.exists() || !dir.join("node_modules/playwright-core").exists() {
        return None;
    }
    let mut child = Command::new("node")
        .arg(&script)
        .arg(format!("{secs}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    // Chromium's processes are found by the profile directory the script gives them.
    std::thread::sleep(Duration::from_secs(2));
    let chromium_pids = || -> Vec<u32> {
        std::fs::read_dir("/proc")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
            .filter(|pid| {
                std::fs::read(format!("/proc/{pid}/cmdline"))
                    .is_ok_and(|c| c.windows(15).any(|w| w == b"trygg-chromium-"))
            })
            .collect()
    };
    let before: u64 = chromium_pids().iter().map(|p| cpu_ticks(*p)).sum();
    let t0 = Instant::now();
    std::thread::sleep(Duration::from_secs_f64(secs - 0.5));
    let after: u64 = chromium_pids().iter().map(|p| cpu_ticks(*p)).sum();
    let cpu = cpu_pct(before, after, t0.elapsed().as_secs_f64());
    let out = child.stdout.take()?;
    let line = BufReader::new(out).lines().map_while(Result::ok).next()?;
    let _ = child.wait();
    let v: Value = serde_json::from_str(&line).ok()?;
    let g2g: Vec<f64> = v["glass_to_glass_ms"].as_array()?.iter().filter_map(Value::as_f64).collect();
    Some(ChromiumReference {
        glass_to_glass_ms: Percentiles::of(&g2g),
        encode_ms_per_frame: v["encode_ms_per_frame"].as_f64(),
        cpu_pct: cpu,
        width: v["width"].as_u64().unwrap_or(0),
        height: v["height"].as_u64().unwrap_or(0),
    })
}

/// Runs the whole benchmark.
pub fn run(b: &CallBench) -> std::io::Result<CallReport> {
    eprintln!("[bench call] 2 parties at 1280x720@30 for {} s", b.seconds);
    let c = call(&b.exe, 2, 1280, 720, 2000, b.seconds)?;
    let two_party_720p =
        TwoParty { glass_to_glass_ms: Percentiles::of(&c.g2g), cpu_pct: c.cpu, rss_mb: c.rss, fps_decoded: c.fps };
    eprintln!("[bench call] Chromium's reference at 1280x720@30");
    let chromium = b.interop_dir.as_deref().and_then(|d| chromium(d, b.seconds));
    eprintln!("[bench call] {} joins", b.join_runs);
    let join = join_times(&b.exe, b.join_runs)?;
    let mut mesh = vec![];
    for n in [3, 4] {
        eprintln!("[bench call] mesh of {n} at 640x360@30");
        let c = call(&b.exe, n, 640, 360, 600, b.seconds)?;
        mesh.push(Mesh {
            participants: n,
            width: 640,
            height: 360,
            cpu_pct: c.cpu,
            glass_to_glass_ms: Percentiles::of(&c.g2g),
        });
    }
    Ok(CallReport { machine: Machine::this(), seconds: b.seconds, two_party_720p, chromium, join, mesh })
}
