//! A private PulseAudio server with a null sink, for tests of real audio devices on a machine
//! with no sound card: cpal → ALSA → PulseAudio, as on a desktop. The null sink's monitor is the
//! server's default source, so whatever is played on the default speaker is heard by the default
//! microphone, through the server's own buffers and clock.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{tool, trygg};

/// The null sink's name.
pub const SINK: &str = "trygg_test_sink";

/// A private PulseAudio server, stopped on drop.
pub struct PulseServer {
    child: Child,
    dir: tempfile::TempDir,
}

impl PulseServer {
    pub fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("native");
        let child = Command::new(tool("pulseaudio"))
            .env("XDG_RUNTIME_DIR", dir.path())
            .env("HOME", dir.path())
            .args(["--daemonize=no", "-n", "--exit-idle-time=-1", "--disable-shm=yes", "--log-target=stderr"])
            .arg(format!("--load=module-native-protocol-unix socket={}", socket.display()))
            .arg(format!("--load=module-null-sink sink_name={SINK}"))
            .arg("--load=module-always-sink")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting pulseaudio");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !socket.exists() {
            assert!(Instant::now() < deadline, "pulseaudio did not open {}", socket.display());
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { child, dir }
    }

    /// The server's address, for `PULSE_SERVER`.
    pub fn server(&self) -> String {
        format!("unix:{}", self.socket().display())
    }

    fn socket(&self) -> PathBuf {
        self.dir.path().join("native")
    }

    /// The runtime folder, for `XDG_RUNTIME_DIR`.
    pub fn runtime_dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// The `trygg` CLI, talking to this server.
    pub fn trygg(&self) -> Command {
        let mut c = trygg();
        c.env("PULSE_SERVER", self.server()).env("XDG_RUNTIME_DIR", self.dir.path());
        c
    }

    /// What the speaker really plays, for `seconds`: the null sink's monitor, recorded by
    /// PulseAudio's own `parec` (48 kHz mono float).
    pub fn record(&self, seconds: f64) -> Vec<f32> {
        let mut rec = Command::new(tool("parec"))
            .env("PULSE_SERVER", self.server())
            .args(["-d", &format!("{SINK}.monitor"), "--raw", "--format=float32le", "--rate=48000", "--channels=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting parec");
        let mut out = rec.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = std::io::Read::read_to_end(&mut out, &mut bytes);
            bytes
        });
        std::thread::sleep(Duration::from_secs_f64(seconds));
        let _ = rec.kill();
        let _ = rec.wait();
        let bytes = reader.join().unwrap();
        bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
    }
}

impl Drop for PulseServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
