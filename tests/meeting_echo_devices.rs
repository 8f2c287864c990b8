//! The echo canceller through real sound devices: two `trygg` processes, each on a PulseAudio
//! server of its own (this machine has no sound card), Bo's speaker and microphone a null sink
//! and its monitor, so his microphone hears his speaker through the sound server's buffers and
//! clock. In a test binary of its own: four meetings' worth of processes beside the other device
//! tests would load a two-core machine enough to upset their playout checks.

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::pulse::PulseServer;

/// A talker written to a WAV file in `dir`.
fn talker_file(dir: &std::path::Path, name: &str, seconds: usize, seed: u32) -> (String, Vec<f32>) {
    let voice = trygg::bench::audio::talker(seconds, seed, 1.0);
    let path = dir.join(name);
    let mut w = trygg::media::wav::WavWriter::create(&path, 1).unwrap();
    w.write(&voice).unwrap();
    w.finish().unwrap();
    (path.display().to_string(), voice)
}

fn level_db(s: &[f32]) -> f64 {
    let e: f64 = s.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>() / s.len().max(1) as f64;
    10.0 * e.max(1e-20).log10()
}

/// The environment that points a process at `pulse`.
fn pulse_env(pulse: &PulseServer) -> Vec<(&'static str, String)> {
    vec![("PULSE_SERVER", pulse.server()), ("XDG_RUNTIME_DIR", pulse.runtime_dir().display().to_string())]
}

fn borrowed<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// What Anna heard in a meeting with an echo in Bo's room.
struct Heard {
    /// Anna talks, Bo is silent: what comes back to her is her own voice from Bo's room.
    echo: Vec<f32>,
    /// Anna talks and Bo speaks over her.
    double_talk: Vec<f32>,
    /// Anna's voice and Bo's, as they were spoken.
    anna: Vec<f32>,
    bo: Vec<f32>,
    /// What Bo's process told of his devices and his echo canceller (its debug lines).
    bo_log: String,
}

/// A meeting through real sound devices: Anna talks from a file and listens on her own
/// PulseAudio's speaker, which is recorded; Bo listens on his real speaker and talks into his
/// real microphone, which hears what the speaker plays (his PulseAudio's null sink and its
/// monitor: the speaker's sound through the sound server's buffers and clock, as a laptop's
/// microphone hears its speakers). Bo's own voice is played into his room by `paplay`. Bo's
/// microphone processing is his default less noise suppression and gain control (which would
/// change levels on their own), with `bo_flags` added.
fn echo_meeting(bo_flags: &[&str]) -> Heard {
    let (anna_pulse, bo_pulse) = (PulseServer::start(), PulseServer::start());
    let (anna_file, anna) = talker_file(anna_pulse.runtime_dir(), "anna.wav", 12, 1);
    let (bo_file, bo) = talker_file(bo_pulse.runtime_dir(), "bo.wav", 6, 5);
    let (anna_env, mut bo_env) = (pulse_env(&anna_pulse), pulse_env(&bo_pulse));
    bo_env.push(("RUST_LOG", BO_LOG.into()));
    let bo_log = bo_pulse.runtime_dir().join("bo.log");
    let file = format!("file:{anna_file}");
    let unprocessed = ["--no-noise-suppression", "--no-gain-control", "--no-echo-cancellation"];
    let mut anna_proc = common::process::Proc::host(
        "anna",
        &[&["--video", "none", "--audio", file.as_str(), "--speaker", "default", "--seconds", "40"][..], &unprocessed]
            .concat(),
        &borrowed(&anna_env),
    );
    let link = anna_proc.wait(10.0, "link", |v| v["type"] == "link")["link"].as_str().unwrap().to_owned();
    let bo_args = ["--video", "none", "--audio", "mic", "--speaker", "default", "--seconds", "40"];
    let mut bo_proc = common::process::Proc::join_logging(
        "bo",
        &link,
        &[&bo_args[..], &["--no-noise-suppression", "--no-gain-control"], bo_flags].concat(),
        &borrowed(&bo_env),
        &bo_log,
    );
    bo_proc.wait(20.0, "Anna's audio", |v| v["type"] == "first_remote_audio");
    anna_proc.wait(20.0, "Bo's audio", |v| v["type"] == "first_remote_audio");
    // Three seconds for the canceller to learn the room, then four of Anna talking alone.
    std::thread::sleep(Duration::from_secs(3));
    let echo = anna_pulse.record(4.0);
    // Bo speaks over Anna.
    let mut speaks = std::process::Command::new(common::tool("paplay"))
        .env("PULSE_SERVER", bo_pulse.server())
        .args(["-d", common::pulse::SINK, &bo_file])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting paplay");
    std::thread::sleep(Duration::from_secs(1));
    let double_talk = anna_pulse.record(3.0);
    let _ = speaks.kill();
    let _ = speaks.wait();
    drop((anna_proc, bo_proc));
    let bo_log = std::fs::read_to_string(&bo_log).unwrap_or_default();
    Heard { echo, double_talk, anna, bo, bo_log }
}

/// Bo's diagnostics: his speaker's queue and latency, his microphone's drops, his echo
/// canceller's view (delay found, ERLE) each second.
const BO_LOG: &str =
    "warn,trygg::meeting::mixer=debug,trygg::media::audio_device=debug,trygg::media::audio_processing=debug";

#[test]
fn a_real_speakers_echo_is_cancelled_and_the_near_talker_goes_through() {
    let with = echo_meeting(&[]);
    let without = echo_meeting(&["--no-echo-cancellation"]);
    let (anna, bo) = (level_db(&with.anna), level_db(&with.bo));
    // Judged second by second (the median second), so that one second in which a busy machine
    // upset the sound server does not decide it; every second is printed.
    let seconds = |s: &[f32]| s.chunks(48_000).filter(|c| c.len() == 48_000).map(level_db).collect::<Vec<_>>();
    let median = |v: &[f64]| {
        let mut v = v.to_vec();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(0.0)
    };
    let (per_second_with, per_second_without) = (seconds(&with.echo), seconds(&without.echo));
    eprintln!("echo back to Anna, each second: {per_second_without:.1?} dB without, {per_second_with:.1?} dB with");
    let (back_with, back_without) = (median(&per_second_with), median(&per_second_without));
    let (bo_with, bo_without) = (level_db(&with.double_talk), level_db(&without.double_talk));
    eprintln!(
        "Anna talks at {anna:.1} dB; her voice comes back from Bo's room at {back_without:.1} dB without his \
         canceller, {back_with:.1} dB with it; Bo speaks at {bo:.1} dB over her and reaches her at {bo_with:.1} dB \
         ({bo_without:.1} dB with his own echo)"
    );
    assert!(per_second_with.len() >= 3 && per_second_without.len() >= 3, "Anna's speaker was recorded");
    assert!(back_without > anna - 12.0, "without a canceller Anna hears herself back ({back_without:.1} dB)");
    if back_without - back_with < 30.0 {
        eprintln!("Bo's process, with his canceller:\n{}", with.bo_log);
    }
    assert!(
        back_without - back_with >= 30.0,
        "the canceller took only {:.1} dB off the echo ({back_without:.1} → {back_with:.1} dB)",
        back_without - back_with
    );
    assert!(bo_with > bo - 10.0, "the canceller does not silence Bo: {bo:.1} → {bo_with:.1} dB");
}
