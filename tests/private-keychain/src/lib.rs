//! A real OS keychain for tests that run Trygg as a user would: a private D-Bus session bus
//! (`dbus-daemon`) with an unlocked gnome-keyring on it, both in a temporary directory of their
//! own, so that no developer's keychain is ever touched and two keychains never share a file.
//!
//! A process started with [`PrivateKeychain::env`] reaches this keychain through the Secret
//! Service exactly as it would reach the desktop's: no test switch, the default path. Each
//! participant of a test meeting gets its own (one device, one identity). Both daemons are
//! stopped when the value is dropped.
//!
//! Needs the Debian packages `dbus` (with `dbus-bin` for `dbus-send`) and `gnome-keyring`.

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A private session bus with an unlocked gnome-keyring on it.
pub struct PrivateKeychain {
    address: String,
    /// The bus, when it is this keychain's own.
    bus: Option<Child>,
    keyring: Child,
    dir: tempfile::TempDir,
}

impl PrivateKeychain {
    /// Starts the bus and the keyring and waits (10 s at most) until the Secret Service answers.
    pub fn start() -> Self {
        let dir = tempfile::Builder::new().prefix("trygg-keychain.").tempdir().expect("a temporary directory");
        let socket = dir.path().join("bus");
        let address = format!("unix:path={}", socket.display());
        assert!(on_path("dbus-daemon"), "dbus-daemon is missing: `make test` installs it (scripts/setup.sh: dbus)");
        let bus = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--nopidfile", &format!("--address={address}")])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon starts");
        wait_until(|| socket.exists(), "the private session bus");
        Self::keyring(dir, address, Some(bus))
    }

    /// Starts the keyring on a session bus the test already has (the Wayland test's, which
    /// the desktop portal is on too).
    pub fn on_bus(address: &str) -> Self {
        let dir = tempfile::Builder::new().prefix("trygg-keychain.").tempdir().expect("a temporary directory");
        Self::keyring(dir, address.to_owned(), None)
    }

    fn keyring(dir: tempfile::TempDir, address: String, bus: Option<Child>) -> Self {
        for tool in ["dbus-send", "gnome-keyring-daemon"] {
            assert!(
                on_path(tool),
                "{tool} is missing: `make test` installs it (scripts/setup.sh: dbus, gnome-keyring)"
            );
        }
        let run = dir.path().join("run");
        std::fs::create_dir(&run).expect("the keyring's runtime directory");
        let mut keyring = Command::new("gnome-keyring-daemon")
            .args(["--foreground", "--unlock", "--components=secrets"])
            .env("DBUS_SESSION_BUS_ADDRESS", &address)
            .env("XDG_RUNTIME_DIR", &run)
            .env("XDG_DATA_HOME", dir.path().join("data"))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("gnome-keyring-daemon starts");
        // The login keyring's password, on stdin; it is created unlocked with it.
        let mut stdin = keyring.stdin.take().expect("piped");
        stdin.write_all(b"pw").expect("the keyring reads its password");
        drop(stdin);
        let me = Self { address, bus, keyring, dir };
        wait_until(|| me.has_secret_service(), "the Secret Service on the private bus");
        me
    }

    /// The environment of a process that uses this keychain as its desktop's: the bus, and
    /// folders of its own for settings, data, cache and state (a device's known peers, say),
    /// so that a test never writes where the developer's own Trygg keeps them.
    pub fn env(&self) -> Vec<(String, String)> {
        let home = self.dir.path().join("home");
        let mut env = vec![("DBUS_SESSION_BUS_ADDRESS".to_owned(), self.address.clone())];
        for (var, dir) in [
            ("XDG_CONFIG_HOME", "config"),
            ("XDG_DATA_HOME", "data"),
            ("XDG_CACHE_HOME", "cache"),
            ("XDG_STATE_HOME", "state"),
        ] {
            env.push((var.to_owned(), home.join(dir).display().to_string()));
        }
        env
    }

    /// The bus's address.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// Where gnome-keyring keeps its files (to check that nothing else was written in clear).
    pub fn data_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("data")
    }

    fn has_secret_service(&self) -> bool {
        Command::new("dbus-send")
            .args([
                &format!("--bus={}", self.address),
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                "string:org.freedesktop.secrets",
            ])
            .stderr(Stdio::null())
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("boolean true"))
    }
}

impl Drop for PrivateKeychain {
    fn drop(&mut self) {
        for child in std::iter::once(&mut self.keyring).chain(self.bus.as_mut()) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl std::fmt::Debug for PrivateKeychain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivateKeychain").field("address", &self.address).finish()
    }
}

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| Path::new(&d).join(tool).is_file()))
}

fn wait_until(ready: impl Fn() -> bool, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !ready() {
        assert!(Instant::now() < deadline, "{what} did not come up within 10 s");
        std::thread::sleep(Duration::from_millis(20));
    }
}
