//! `trygg bench network`: real Trygg calls through an impaired link, with two Chromium peers
//! making the same call through the same link beside them.
//!
//! Each scenario (a rate, random loss, an outage) is set on a [`LinkPair`] of network
//! namespaces: a `trygg host` runs in A with synthetic 720p30 video and audio, a `trygg join`
//! in B, and what the host sends to the guest (every RTP byte on the wire: media,
//! retransmissions, keyframes) is set against the link's rate second by second, with what the
//! guest decoded and how much of its audio had to be concealed. Then two headless Chromium
//! pages (`tests/interop/chromium_network.mjs`, one in each namespace) call each other through
//! the same link and their own statistics give the same figures. The first two seconds of each
//! call are left out of the medians (the estimators start).

mod figures;
pub mod link_pair;

use std::io;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};

use std::time::{Duration, Instant};

use serde::Serialize;

pub use figures::{Figures, Second};
use link_pair::{ADDR_A, ADDR_B, LinkPair, Side};

use super::Machine;

/// One impairment of the link.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scenario {
    /// What it is called in the table.
    pub name: String,
    /// The link's rate both ways (kbit/s); None: unlimited.
    pub rate_kbit: Option<u32>,
    /// Random loss on the way to the guest, percent.
    pub loss_pct: u32,
    /// The link goes down `.0` seconds into the call for `.1` seconds.
    pub outage: Option<(f64, f64)>,
}

impl Scenario {
    fn new(name: &str, rate_kbit: Option<u32>, loss_pct: u32, outage: Option<(f64, f64)>) -> Self {
        Self { name: name.to_owned(), rate_kbit, loss_pct, outage }
    }

    /// The scenarios the README's table reports.
    pub fn defaults() -> Vec<Self> {
        vec![
            Self::new("unlimited", None, 0, None),
            Self::new("2.5 Mbit/s", Some(2_500), 0, None),
            Self::new("1 Mbit/s", Some(1_000), 0, None),
            Self::new("500 kbit/s", Some(500), 0, None),
            Self::new("5 % loss", None, 5, None),
            Self::new("20 % loss", None, 20, None),
            Self::new("2.5 Mbit/s, 2 s outage at 8 s", Some(2_500), 0, Some((8.0, 2.0))),
        ]
    }

    /// A scenario from `RATE[,loss=PCT][,outage=AT:SECS]` (RATE in kbit/s, 0 for unlimited).
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut parts = s.split(',');
        let rate: u32 = parts.next().unwrap_or("").trim().parse().map_err(|_| format!("{s}: RATE is kbit/s"))?;
        let mut scenario = Self::new(s, (rate > 0).then_some(rate), 0, None);
        for part in parts {
            match part.trim().split_once('=') {
                Some(("loss", v)) => {
                    scenario.loss_pct = v.parse().ok().filter(|p| *p <= 100).ok_or(format!("{s}: loss is 0 to 100"))?
                }
                Some(("outage", v)) => {
                    let (at, secs) = v.split_once(':').ok_or(format!("{s}: outage is AT:SECS"))?;
                    let at: f64 = at.parse().map_err(|_| format!("{s}: outage is AT:SECS"))?;
                    let secs: f64 = secs.parse().map_err(|_| format!("{s}: outage is AT:SECS"))?;
                    if !(at >= 0.0 && secs > 0.0 && at + secs < 3600.0) {
                        return Err(format!("{s}: outage is AT:SECS within an hour"));
                    }
                    scenario.outage = Some((at, secs));
                }
                _ => return Err(format!("{s}: expected loss=PCT or outage=AT:SECS after the rate")),
            }
        }
        Ok(scenario)
    }
}

/// What the bench needs to know.
#[derive(Debug, Clone)]
pub struct NetworkBench {
    /// The `trygg` executable to run participants with.
    pub exe: PathBuf,
    /// Seconds each call is measured.
    pub seconds: u64,
    /// The impairments, one call each.
    pub scenarios: Vec<Scenario>,
    /// `tests/interop` (with `node_modules`), for the Chromium pair; None: left out.
    pub interop_dir: Option<PathBuf>,
    /// Keep each call's events and logs here.
    pub keep: Option<PathBuf>,
}

/// One scenario's figures.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioReport {
    /// The impairment.
    pub scenario: Scenario,
    /// Trygg's figures, or why there are none.
    pub trygg: Result<Figures, String>,
    /// Chromium's, or why there are none.
    pub chromium: Result<Figures, String>,
}

/// Everything `trygg bench network` measured.
#[derive(Debug, Clone, Serialize)]
pub struct NetworkReport {
    /// Where it ran.
    pub machine: Machine,
    /// Seconds each call was measured.
    pub seconds: u64,
    /// Each scenario's figures.
    pub scenarios: Vec<ScenarioReport>,
}

/// A child process that is killed when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Takes the link down and up as the scenario says, on a thread of its own, from now.
fn schedule_outage(pair: &LinkPair, outage: Option<(f64, f64)>) -> Option<std::thread::JoinHandle<()>> {
    let (at, secs) = outage?;
    let b = pair.namespace(Side::B).to_owned();
    Some(std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs_f64(at));
        if let Err(e) = link_pair::set_down(&b, true) {
            tracing::warn!("the outage did not start: {e}");
        }
        std::thread::sleep(Duration::from_secs_f64(secs));
        let _ = link_pair::set_down(&b, false);
    }))
}

/// Reads a child's output to its end as it comes: each JSON line to `each`, and every line kept
/// in the file `keep`.
fn follow(out: Option<std::process::ChildStdout>, keep: &Path, mut each: impl FnMut(serde_json::Value)) {
    use std::io::BufRead as _;
    let mut kept = String::new();
    for line in out.into_iter().flat_map(|o| io::BufReader::new(o).lines().map_while(Result::ok)) {
        if let Ok(v) = serde_json::from_str(&line) {
            each(v);
        }
        kept.push_str(&line);
        kept.push('\n');
    }
    let _ = std::fs::write(keep, kept);
}

/// Reads a file of JSON lines.
fn json_lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path).unwrap_or_default().lines().filter_map(|l| serde_json::from_str(l).ok()).collect()
}

/// One Trygg call through the pair as it is now set.
fn trygg_call(b: &NetworkBench, pair: &LinkPair, s: &Scenario, dir: &Path) -> Result<Figures, String> {
    let media = ["--video", "synthetic", "--audio", "synthetic", "--identity", "ephemeral", "--json"];
    let listen = format!("{ADDR_A}:7443");
    let (host_out, join_out) = (dir.join("host.jsonl"), dir.join("join.jsonl"));
    let file = |p: &Path| std::fs::File::create(p).map_err(|e| format!("{}: {e}", p.display()));
    let host = pair
        .command(Side::A, &b.exe)
        .args(["host", "--listen", &listen, "--bind", ADDR_A, "--auto-admit", "--name", "Host", "--seconds"])
        .arg((b.seconds + 15).to_string())
        .args(media)
        .stdout(file(&host_out)?)
        .stderr(file(&dir.join("host.log"))?)
        .stdin(Stdio::null())
        .spawn()
        .map_err(|e| format!("starting the host: {e}"))?;
    let _host = Running(host);
    let deadline = Instant::now() + Duration::from_secs(15);
    let link = loop {
        if let Some(l) = json_lines(&host_out).into_iter().find(|v| v["type"] == "link") {
            break l["link"].as_str().unwrap_or_default().to_owned();
        }
        if Instant::now() > deadline {
            return Err("the host printed no link within 15 s".into());
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut guest = pair
        .command(Side::B, &b.exe)
        .args(["join", "-", "--bind", ADDR_B, "--name", "Guest", "--seconds"])
        .arg(b.seconds.to_string())
        .args(media)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(file(&dir.join("join.log"))?)
        .spawn()
        .map_err(|e| format!("starting the guest: {e}"))?;
    if let Some(mut stdin) = guest.stdin.take() {
        use std::io::Write as _;
        let _ = writeln!(stdin, "{link}");
    }
    // Each of the guest's lines with when it was printed, from its first statistics of the
    // host (the call is up): the outage's clock starts there.
    let (mut guest_lines, mut outage, mut up) = (Vec::new(), None, None);
    follow(guest.stdout.take(), &join_out, |v| {
        if up.is_none() && v["type"] == "stats" && v["peers"].get(0).is_some() {
            up = Some(Instant::now());
            outage = schedule_outage(pair, s.outage);
        }
        if let Some(up) = up {
            guest_lines.push((up.elapsed().as_secs_f64(), v));
        }
    });
    let _ = guest.wait();
    if let Some(o) = outage {
        let _ = o.join();
    }
    figures::trygg(&json_lines(&host_out), &guest_lines, s)
}

/// The same call between two Chromium pages.
fn chromium_call(b: &NetworkBench, pair: &LinkPair, s: &Scenario, dir: &Path) -> Result<Figures, String> {
    let interop = b.interop_dir.as_deref().ok_or("left out (no tests/interop here)")?;
    let script = interop.join("chromium_network.mjs");
    if !interop.join("node_modules/playwright-core").exists() {
        return Err(format!("skipped: no playwright-core in {} (npm ci there)", interop.display()));
    }
    let mut node = std::process::Command::new("node")
        .arg(&script)
        .args([pair.namespace(Side::A), ADDR_A, pair.namespace(Side::B), ADDR_B, &b.seconds.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(dir.join("chromium.log")).map_err(|e| e.to_string())?)
        .spawn()
        .map_err(|e| format!("skipped: node: {e}"))?;
    // The outage's clock starts when the peers are connected (the script says so).
    let (mut lines, mut outage) = (Vec::new(), None);
    follow(node.stdout.take(), &dir.join("chromium.jsonl"), |v| {
        if v["connected"] == true {
            outage = schedule_outage(pair, s.outage);
        }
        lines.push(v);
    });
    let status = node.wait().map_err(|e| e.to_string())?;
    if let Some(o) = outage {
        let _ = o.join();
    }
    if !status.success() {
        let log = std::fs::read_to_string(dir.join("chromium.log")).unwrap_or_default();
        let tail: String = log.chars().skip(log.chars().count().saturating_sub(300)).collect();
        return Err(format!("Chromium failed: {}", tail.trim()));
    }
    figures::chromium(&lines, s)
}

/// Runs every scenario: Trygg first, then Chromium, through the same link.
pub fn run(b: &NetworkBench) -> io::Result<NetworkReport> {
    if !nix_is_root() {
        return Err(io::Error::other("trygg bench network makes network namespaces: run it as root"));
    }
    let mut reports = Vec::new();
    for s in &b.scenarios {
        // A scenario that cannot be set up is reported as such; the others still run.
        let report = scenario(b, s).unwrap_or_else(|e| ScenarioReport {
            scenario: s.clone(),
            trygg: Err(format!("not run: {e}")),
            chromium: Err(format!("not run: {e}")),
        });
        reports.push(report);
    }
    Ok(NetworkReport { machine: Machine::this(), seconds: b.seconds, scenarios: reports })
}

/// One scenario: its link, Trygg's call, then Chromium's.
fn scenario(b: &NetworkBench, s: &Scenario) -> io::Result<ScenarioReport> {
    let pair = LinkPair::new()?;
    pair.limit(s.rate_kbit)?;
    pair.lose(s.loss_pct)?;
    if s.outage.is_some() {
        // Fails now, with what is missing, rather than in the outage's thread.
        link_pair::set_down(pair.namespace(Side::B), true)?;
        link_pair::set_down(pair.namespace(Side::B), false)?;
    }
    let folder = s.name.replace(|c: char| !c.is_ascii_alphanumeric(), "_");
    let dir = match &b.keep {
        Some(k) => k.join(folder),
        None => std::env::temp_dir().join(format!("trygg-bench-network-{}-{folder}", std::process::id())),
    };
    std::fs::create_dir_all(&dir)?;
    let trygg = trygg_call(b, &pair, s, &dir);
    let chromium = chromium_call(b, &pair, s, &dir);
    if b.keep.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(ScenarioReport { scenario: s.clone(), trygg, chromium })
}

/// Whether this process runs as root (network namespaces need it).
fn nix_is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("Uid:")).map(|l| l.split_whitespace().nth(2) == Some("0")))
        .unwrap_or(false)
}
