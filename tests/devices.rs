//! Real capture and playback devices.
//!
//! Audio runs against a real PulseAudio server that the test starts itself, with a null sink
//! (this machine has no sound card): cpal → ALSA → PulseAudio, as on a desktop. A camera test
//! needs a real camera; `make test` runs it when one exists and prints "skipped: no camera"
//! otherwise (the synthetic and file video paths are tested in every run).

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::pulse::PulseServer;
use serde_json::Value;

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
fn a_call_plays_on_the_speaker_without_a_dropout_or_a_jump() {
    // Bo sends a steady tone (one second of 440 Hz, looped without a seam, with nothing on the
    // way to take it away: no noise suppression or gain control); Anna plays the meeting on her
    // speaker, and what the speaker really plays is recorded and checked sample by sample.
    let pulse = PulseServer::start();
    let tone = pulse.runtime_dir().join("tone.wav");
    let mut w = trygg::media::wav::WavWriter::create(&tone, 1).unwrap();
    let one_second: Vec<f32> =
        (0..48_000).map(|i| 0.5 * (2.0 * std::f32::consts::PI * 440.0 * i as f32 / 48_000.0).sin()).collect();
    w.write(&one_second).unwrap();
    w.finish().unwrap();
    let env = [("PULSE_SERVER", pulse.server()), ("XDG_RUNTIME_DIR", pulse.runtime_dir().display().to_string())];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut anna = common::process::Proc::host(
        "anna",
        &["--video", "none", "--audio", "none", "--speaker", "default", "--seconds", "30"],
        &env,
    );
    let link = anna.wait(10.0, "link", |v| v["type"] == "link")["link"].as_str().unwrap().to_owned();
    let file = format!("file:{}", tone.display());
    let quiet = ["--no-noise-suppression", "--no-gain-control", "--no-echo-cancellation"];
    let _bo = common::process::Proc::join(
        "bo",
        &link,
        &[&["--video", "none", "--audio", file.as_str(), "--seconds", "30"][..], &quiet[..]].concat(),
    );
    anna.wait(15.0, "Bo's audio", |v| v["type"] == "first_remote_audio");
    std::thread::sleep(Duration::from_secs(1));
    let played = pulse.record(6.0);
    let stats = anna.latest("stats", 3.0);
    let playout = &stats["peers"][0]["audio_playout"];
    eprintln!("Anna's playout of Bo: {playout}");
    assert!(played.len() > 4 * 48_000, "{} samples recorded", played.len());
    // Half a second in (the recorder settles), to the end.
    let steady = &played[24_000..];
    let rms = |b: &[f32]| (b.iter().map(|s| s * s).sum::<f32>() / b.len() as f32).sqrt();
    let dropouts: Vec<usize> = steady
        .chunks(480)
        .enumerate()
        .filter(|(_, b)| rms(b) < 0.5 / 2.0_f32.sqrt() / 2.0)
        .map(|(i, _)| i * 10)
        .collect();
    let slope = 0.5 * 2.0 * std::f32::consts::PI * 440.0 / 48_000.0;
    let jumps: Vec<usize> =
        steady.windows(2).enumerate().filter(|(_, w)| (w[1] - w[0]).abs() > 3.0 * slope).map(|(i, _)| i / 48).collect();
    assert!(dropouts.is_empty(), "dropouts at {dropouts:?} ms; playout {playout}");
    assert!(jumps.is_empty(), "{} jumps, first at {:?} ms; playout {playout}", jumps.len(), jumps.first());
    assert_eq!(trygg::media::analysis::dominant_frequency(&steady[..48_000]), 440.0);
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
