//! Benchmarks behind `trygg bench`. Figures come from here, never from timed tests.
//!
//! Each benchmark measures Trygg's own code side by side with the reference it must keep up with
//! (the raw codec library), in the same run and interleaved frame by frame, so that a busy machine
//! slows both alike and the comparison stays fair.

pub mod audio;
pub mod call;
pub mod codecs;
pub mod e2ee;
pub mod links;
pub mod network;
pub mod server;
pub mod share;

use serde::Serialize;

/// Clock ticks per second (USER_HZ); 100 on every Linux this runs on.
const TICKS: f64 = 100.0;

/// User+system CPU in clock ticks from a `/proc/…/stat` file (a process or a thread); 0 when it
/// cannot be read (the process is gone, or this is not Linux).
pub(crate) fn stat_ticks(path: &str) -> u64 {
    let Ok(stat) = std::fs::read_to_string(path) else { return 0 };
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    f.get(11).and_then(|u| u.parse::<u64>().ok()).unwrap_or(0)
        + f.get(12).and_then(|s| s.parse::<u64>().ok()).unwrap_or(0)
}

/// CPU between two tick counts over `secs`, as a share of one core in percent.
pub(crate) fn cpu_pct(before: u64, after: u64, secs: f64) -> f64 {
    (after.saturating_sub(before) as f64 / TICKS) / secs * 100.0
}

/// Where and when a benchmark ran.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    /// CPU model.
    pub cpu: String,
    /// Logical CPUs.
    pub cpus: usize,
    /// Operating system.
    pub os: String,
    /// Trygg's version, commit and features.
    pub trygg: &'static str,
    /// Whether this is an optimised build (debug figures mean nothing).
    pub release_build: bool,
}

impl Machine {
    /// Describes this machine.
    pub fn this() -> Self {
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split(':').nth(1))
                    .map(|s| s.trim().to_owned())
            })
            .unwrap_or_else(|| std::env::consts::ARCH.to_owned());
        let os = std::fs::read_to_string("/etc/os-release")
            .ok()
            .and_then(|s| {
                s.lines().find_map(|l| l.strip_prefix("PRETTY_NAME=").map(|v| v.trim_matches('"').to_owned()))
            })
            .unwrap_or_else(|| std::env::consts::OS.to_owned());
        Self {
            cpu,
            cpus: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            os,
            trygg: crate::BUILD_INFO,
            release_build: !cfg!(debug_assertions),
        }
    }
}
