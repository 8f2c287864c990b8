//! Real capture and playback devices.
//!
//! Audio runs against a real PulseAudio server that the test starts itself, with a null sink
//! (this machine has no sound card): cpal → ALSA → PulseAudio, as on a desktop. A camera test
//! needs a real camera; `make test` runs it when one exists and prints "skipped: no camera"
//! otherwise (the synthetic and file video paths are tested in every run).

mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{tool, trygg};
use serde_json::Value;

/// A private PulseAudio server with a null sink, stopped on drop.
struct PulseServer {
    child: Child,
    dir: tempfile::TempDir,
}

impl PulseServer {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("native");
        let child = Command::new(tool("pulseaudio"))
            .env("XDG_RUNTIME_DIR", dir.path())
            .env("HOME", dir.path())
            .args(["--daemonize=no", "-n", "--exit-idle-time=-1", "--disable-shm=yes", "--log-target=stderr"])
            .arg(format!("--load=module-native-protocol-unix socket={}", socket.display()))
            .arg("--load=module-null-sink sink_name=trygg_test_sink")
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

    fn server(&self) -> String {
        format!("unix:{}", self.socket().display())
    }

    fn socket(&self) -> PathBuf {
        self.dir.path().join("native")
    }

    fn trygg(&self) -> Command {
        let mut c = trygg();
        c.env("PULSE_SERVER", self.server()).env("XDG_RUNTIME_DIR", self.dir.path());
        c
    }
}

impl Drop for PulseServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_tone_played_on_the_speaker_is_heard_by_the_microphone() {
    let pulse = PulseServer::start();
    let list: Value =
        serde_json::from_slice(&pulse.trygg().args(["devices", "--json"]).output().unwrap().stdout).unwrap();
    assert!(!list["microphones"].as_array().unwrap().is_empty(), "no microphone through PulseAudio: {list}");
    assert!(!list["speakers"].as_array().unwrap().is_empty(), "no speaker through PulseAudio: {list}");

    // One process plays the synthetic tone (encoded and decoded) on the default speaker...
    let mut player = pulse
        .trygg()
        .args(["demo", "--video", "none", "--audio", "synthetic", "--speaker", "default", "--seconds", "9"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1000));
    // ...another captures the null sink's monitor as its microphone.
    let out =
        pulse.trygg().args(["demo", "--video", "none", "--audio", "mic", "--seconds", "5", "--json"]).output().unwrap();
    let _ = player.kill();
    let played = player.wait_with_output().unwrap();
    eprintln!("player: {}\n{}", String::from_utf8_lossy(&played.stdout), String::from_utf8_lossy(&played.stderr));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let audio = &v["audio"];
    assert_eq!(audio["source"]["kind"], "microphone", "{audio}");
    // Opening an ALSA stream through PulseAudio takes about a second here.
    assert!(audio["captured"].as_u64().unwrap() >= 150, "{audio}");
    assert_eq!(audio["dominant_hz"].as_f64(), Some(440.0), "{audio}");
    assert!(audio["clicks_heard"].as_u64().unwrap() >= 2, "the once-a-second clicks came through: {audio}");
}

#[test]
fn a_named_microphone_that_does_not_exist_is_a_clear_error() {
    let pulse = PulseServer::start();
    let out =
        pulse.trygg().args(["demo", "--video", "none", "--audio", "mic:no-such-device", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["code"], "media.device_not_found", "{v}");
    let out = pulse
        .trygg()
        .args(["demo", "--audio", "none", "--video", "synthetic", "--speaker", "nope", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
#[ignore = "needs a camera: `make test` runs it when /dev/video* exists and prints \"skipped: no camera\" otherwise"]
fn camera_delivers_converted_pictures_with_rising_timestamps() {
    use trygg::media::clock::SystemClock;
    use trygg::media::source::Source;
    let mut cam = trygg::media::camera::CameraSource::open(None, 640, 360, 30, SystemClock::shared())
        .expect("opening the camera");
    let mut last = 0;
    for _ in 0..30 {
        let f = cam.next_frame().unwrap().unwrap();
        assert!(f.width() >= 160 && f.height() >= 120);
        assert!(f.capture_us > last);
        last = f.capture_us;
    }
}
