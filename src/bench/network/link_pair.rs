//! Two network namespaces joined by a veth pair, made for one benchmark and deleted when dropped:
//! side A holds 10.99.0.1 on `vA`, side B 10.99.0.2 on `vB`, and nothing lies beyond either end
//! (each has a default route into the pair only, which Chromium needs before it offers an
//! address). The link is impaired with what this kernel has: `tc tbf` for a rate (both ways),
//! `nft` random drop for loss on the way to B, and `nft` drop rules both ways for an outage.
//! A run interrupted with Ctrl-C cannot drop its pair; the next run deletes it. Needs root.

use std::io;
use std::process::{Command, Stdio};

/// Side A's address.
pub const ADDR_A: &str = "10.99.0.1";
/// Side B's address.
pub const ADDR_B: &str = "10.99.0.2";

/// One end of the pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The host's end (10.99.0.1).
    A,
    /// The guest's end (10.99.0.2), where loss and outages are applied.
    B,
}

/// The two namespaces.
#[derive(Debug)]
pub struct LinkPair {
    a: String,
    b: String,
}

/// Runs `program args`, failing with what it printed.
fn run(program: &str, args: &[&str]) -> io::Result<()> {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| io::Error::new(e.kind(), format!("{program}: {e} (Debian: apt install iproute2 nftables)")))?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    // `ip netns exec` could not start the tool itself.
    for (tool, package) in [("nft", "nftables"), ("tc", "iproute2")] {
        if stderr.contains(&format!("exec of \"{tool}\" failed")) {
            return Err(io::Error::other(format!("`{tool}` is not installed (Debian: apt install {package})")));
        }
    }
    Err(io::Error::other(format!("{program} {}: {}", args.join(" "), stderr.trim())))
}

impl LinkPair {
    /// Makes the pair (names unique to this process).
    pub fn new() -> io::Result<Self> {
        sweep_abandoned();
        let id = std::process::id();
        let pair = Self { a: format!("trygg-na-{id}"), b: format!("trygg-nb-{id}") };
        run("ip", &["netns", "add", &pair.a])?;
        run("ip", &["netns", "add", &pair.b])?;
        run("ip", &["link", "add", "vA", "netns", &pair.a, "type", "veth", "peer", "name", "vB", "netns", &pair.b])?;
        for (ns, dev, addr) in [(&pair.a, "vA", ADDR_A), (&pair.b, "vB", ADDR_B)] {
            run("ip", &["-n", ns, "addr", "add", &format!("{addr}/24"), "dev", dev])?;
            run("ip", &["-n", ns, "link", "set", "lo", "up"])?;
            run("ip", &["-n", ns, "link", "set", dev, "up"])?;
            run("ip", &["-n", ns, "route", "add", "default", "dev", dev])?;
        }
        Ok(pair)
    }

    /// The namespace of `side`.
    pub fn namespace(&self, side: Side) -> &str {
        match side {
            Side::A => &self.a,
            Side::B => &self.b,
        }
    }

    /// `program` run inside `side`'s namespace.
    pub fn command(&self, side: Side, program: &std::path::Path) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", self.namespace(side)]).arg(program);
        c
    }

    /// Limits both directions to `kbit` kbit/s (a token bucket with a 16 kB burst and up to
    /// 300 ms of queue, as a home router's uplink), or lifts the limit.
    pub fn limit(&self, kbit: Option<u32>) -> io::Result<()> {
        for (ns, dev) in [(&self.a, "vA"), (&self.b, "vB")] {
            let _ = run("ip", &["netns", "exec", ns, "tc", "qdisc", "del", "dev", dev, "root"]);
            if let Some(kbit) = kbit {
                let rate = format!("{kbit}kbit");
                let args = ["netns", "exec", ns, "tc", "qdisc", "add", "dev", dev, "root", "tbf", "rate", &rate];
                run("ip", &[&args[..], &["burst", "16kb", "latency", "300ms"]].concat())?;
            }
        }
        Ok(())
    }

    /// Drops `pct` % of the UDP reaching B, at random (or none).
    pub fn lose(&self, pct: u32) -> io::Result<()> {
        let nft = |args: &[&str]| run("ip", &[&["netns", "exec", &self.b, "nft"][..], args].concat());
        let _ = nft(&["delete", "table", "inet", "trygg_loss"]);
        if pct == 0 {
            return Ok(());
        }
        nft(&["add", "table", "inet", "trygg_loss"])?;
        nft(&["add", "chain", "inet", "trygg_loss", "input", "{ type filter hook input priority 0; }"])?;
        let pct = pct.min(100).to_string();
        let rule = ["add", "rule", "inet", "trygg_loss", "input", "iifname", "vB", "meta", "l4proto", "udp"];
        nft(&[&rule[..], &["numgen", "random", "mod", "100", "<", &pct, "drop"]].concat())
    }
}

/// Takes the link down (every packet dropped both ways, at B's end of the pair in namespace
/// `b`) or brings it back.
pub fn set_down(b: &str, down: bool) -> io::Result<()> {
    let nft = |args: &[&str]| run("ip", &[&["netns", "exec", b, "nft"][..], args].concat());
    let _ = nft(&["delete", "table", "inet", "trygg_outage"]);
    if !down {
        return Ok(());
    }
    nft(&["add", "table", "inet", "trygg_outage"])?;
    for (chain, dir) in [("input", "iifname"), ("output", "oifname")] {
        let spec = format!("{{ type filter hook {chain} priority 0; }}");
        nft(&["add", "chain", "inet", "trygg_outage", chain, &spec])?;
        nft(&["add", "rule", "inet", "trygg_outage", chain, dir, "vB", "drop"])?;
    }
    Ok(())
}

/// Deletes the namespaces of earlier runs whose process is gone (a run interrupted with Ctrl-C
/// does not get to drop its pair), saying so.
fn sweep_abandoned() {
    let Ok(out) = Command::new("ip").args(["netns", "list"]).stdin(Stdio::null()).output() else { return };
    for ns in
        abandoned(&String::from_utf8_lossy(&out.stdout), |pid| std::path::Path::new(&format!("/proc/{pid}")).exists())
    {
        eprintln!("[bench] removing network namespace {ns}, left by an interrupted run");
        let _ = run("ip", &["netns", "del", &ns]);
    }
}

/// The pairs' namespaces in `ip netns list` output whose process is not `alive`.
fn abandoned(listing: &str, alive: impl Fn(u32) -> bool) -> Vec<String> {
    listing
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|ns| {
            let pid = ns.strip_prefix("trygg-na-").or_else(|| ns.strip_prefix("trygg-nb-"));
            pid.and_then(|p| p.parse::<u32>().ok()).is_some_and(|p| !alive(p))
        })
        .map(str::to_owned)
        .collect()
}

impl Drop for LinkPair {
    fn drop(&mut self) {
        for ns in [&self.a, &self.b] {
            let _ = run("ip", &["netns", "del", ns]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::abandoned;

    #[test]
    fn only_the_pairs_of_processes_that_are_gone_are_swept() {
        let listing = "trygg-na-41 (id: 3)\ntrygg-nb-41 (id: 4)\ntrygg-na-7\nother-ns\ntrygg-na-x (id: 9)\n";
        assert_eq!(abandoned(listing, |pid| pid == 7), vec!["trygg-na-41", "trygg-nb-41"]);
        assert!(abandoned(listing, |_| true).is_empty());
        assert!(abandoned("", |_| false).is_empty());
    }
}
