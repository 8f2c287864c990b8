//! `trygg` processes driven by tests through their `--json` output.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use private_keychain::PrivateKeychain;
use serde_json::Value;

/// A running `trygg` with its JSON lines.
pub struct Proc {
    pub name: String,
    pub child: Child,
    lines: Receiver<Value>,
    pub seen: Vec<Value>,
    /// The participant's own OS keychain (dropped after the process).
    keychain: Option<PrivateKeychain>,
}

/// The commands that run a meeting, and so need a device identity.
const MEETS: [&str; 3] = ["host", "join", "open"];

impl Proc {
    /// Starts `trygg ARGS` (stdout: JSON lines; stderr: discarded).
    pub fn start(name: &str, args: &[&str]) -> Self {
        Self::start_with_env(name, args, &[])
    }

    /// `trygg host` of a meeting on loopback (embedded server, JSON out, everyone admitted),
    /// with `extra` arguments and `env` set.
    pub fn host(name: &str, extra: &[&str], env: &[(&str, &str)]) -> Self {
        let base = ["host", "--listen", "127.0.0.1:0", "--auto-admit", "--json", "--bind", "127.0.0.1"];
        Self::start_with_env(name, &[&base[..], extra].concat(), env)
    }

    /// `trygg join LINK` on loopback (JSON out), with `extra` arguments.
    pub fn join(name: &str, link: &str, extra: &[&str]) -> Self {
        let base = ["join", link, "--json", "--bind", "127.0.0.1"];
        Self::start(name, &[&base[..], extra].concat())
    }

    /// [`Proc::join`] with these environment variables set.
    pub fn join_with_env(name: &str, link: &str, extra: &[&str], env: &[(&str, &str)]) -> Self {
        let base = ["join", link, "--json", "--bind", "127.0.0.1"];
        Self::start_with_env(name, &[&base[..], extra].concat(), env)
    }

    /// [`Proc::join_with_env`], its diagnostics (standard error) written to `log`.
    #[allow(dead_code)]
    pub fn join_logging(name: &str, link: &str, extra: &[&str], env: &[(&str, &str)], log: &std::path::Path) -> Self {
        let base = ["join", link, "--json", "--bind", "127.0.0.1"];
        let file = std::fs::File::create(log).expect("the log file");
        Self::spawn(name, &[&base[..], extra].concat(), env, Some(PrivateKeychain::start()), file.into())
    }

    /// Like [`Proc::start`], with these environment variables set.
    ///
    /// A participant (`host`, `join`, `open`) runs as a user's would: its device key in the OS
    /// keychain, a real gnome-keyring of its own ([`PrivateKeychain`]), never an ephemeral
    /// identity.
    pub fn start_with_env(name: &str, args: &[&str], env: &[(&str, &str)]) -> Self {
        // A test with a session bus of its own (the Wayland portal's) gets the keyring there.
        let bus = env.iter().find(|(k, _)| *k == "DBUS_SESSION_BUS_ADDRESS").map(|(_, v)| *v);
        let keychain = args
            .first()
            .is_some_and(|cmd| MEETS.contains(cmd))
            .then(|| bus.map_or_else(PrivateKeychain::start, PrivateKeychain::on_bus));
        Self::spawn(name, args, env, keychain, Stdio::null())
    }

    /// Like [`Proc::start`], with this keychain (a device that meets more than once).
    pub fn start_in(name: &str, args: &[&str], keychain: PrivateKeychain) -> Self {
        Self::spawn(name, args, &[], Some(keychain), Stdio::null())
    }

    /// Takes the participant's keychain back (the process is ended first).
    pub fn into_keychain(mut self) -> Option<PrivateKeychain> {
        self.kill();
        self.keychain.take()
    }

    fn spawn(
        name: &str,
        args: &[&str],
        env: &[(&str, &str)],
        keychain: Option<PrivateKeychain>,
        stderr: Stdio,
    ) -> Self {
        assert!(!args.contains(&"ephemeral"), "{name}: meeting tests run with the OS keychain, as users do");
        // A joiner is handed its link on standard input (`join -`), as a careful user does: a
        // link on the command line is in the process list for every user of the machine.
        let mut args = args.to_vec();
        let link = (args.first() == Some(&"join") && args.get(1).is_some_and(|a| !a.starts_with('-')))
            .then(|| std::mem::replace(&mut args[1], "-").to_owned());
        let mut child = super::trygg()
            .args(&args)
            .envs(keychain.iter().flat_map(PrivateKeychain::env))
            .envs(env.iter().copied())
            .stdin(if link.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("trygg starts");
        if let Some(link) = link {
            use std::io::Write as _;
            let mut stdin = child.stdin.take().expect("piped");
            writeln!(stdin, "{link}").expect("the link is handed over");
        }
        let stdout = child.stdout.take().expect("piped");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str::<Value>(&line)
                    && tx.send(v).is_err()
                {
                    return;
                }
            }
        });
        Self { name: name.into(), child, lines, seen: vec![], keychain }
    }

    /// The first line of `type` kind satisfying `want`, within `secs`.
    pub fn wait(&mut self, secs: f64, what: &str, want: impl Fn(&Value) -> bool) -> Value {
        self.try_wait(secs, &want)
            .unwrap_or_else(|| panic!("{}: no {what} within {secs} s; saw {:?}", self.name, self.types()))
    }

    /// Like [`Proc::wait`], but None on timeout.
    pub fn try_wait(&mut self, secs: f64, want: &impl Fn(&Value) -> bool) -> Option<Value> {
        let deadline = Instant::now() + Duration::from_secs_f64(secs);
        loop {
            match self.lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(v) => {
                    self.seen.push(v.clone());
                    if want(&v) {
                        return Some(v);
                    }
                }
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return None,
            }
        }
    }

    /// The newest line of `kind` printed so far (reading everything queued), waiting up to `secs`
    /// for one if none is queued.
    pub fn latest(&mut self, kind: &str, secs: f64) -> Value {
        let mut last = None;
        while let Ok(v) = self.lines.try_recv() {
            self.seen.push(v.clone());
            if v["type"] == kind {
                last = Some(v);
            }
        }
        last.unwrap_or_else(|| self.wait(secs, kind, |v| v["type"] == kind))
    }

    /// The newest line of `kind` read so far (by `wait` or `latest`).
    pub fn last_seen(&self, kind: &str) -> Option<&Value> {
        self.seen.iter().rev().find(|v| v["type"] == kind)
    }

    /// The kinds of line seen so far; an error with its code and sentence, so that a failure
    /// says what went wrong.
    fn types(&self) -> Vec<String> {
        self.seen
            .iter()
            .map(|v| match v["type"].as_str().unwrap_or("?") {
                "error" => {
                    format!("error({}: {})", v["code"].as_str().unwrap_or("?"), v["message"].as_str().unwrap_or(""))
                }
                t => t.to_owned(),
            })
            .collect()
    }

    /// Kills the process with SIGKILL (no chance to say goodbye).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A free TCP port on loopback (closed again; good enough for a test's own server).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The common options of a small headless participant.
pub fn small(name: &str) -> Vec<String> {
    ["--json", "--width", "320", "--height", "180", "--video-kbps", "250", "--bind", "127.0.0.1", "--name", name]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// `Command` for arbitrary use.
pub fn command() -> Command {
    super::trygg()
}
