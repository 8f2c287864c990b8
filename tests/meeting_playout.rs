//! What a participant hears of another, sample by sample, in a real meeting on loopback with
//! 720p video both ways (keyframes among the audio packets on the way out and pictures decoded
//! beside them on the way in, as a call has it): a steady tone goes in at Bo's microphone, and
//! Anna's playout (recorded as she hears it) must carry it without a single dropout, inserted gap
//! or jump: the playout buffer absorbs the network's and the threads' timing, instead of padding
//! with silence or cutting. An audio packet queued behind a keyframe in the pacer, or behind a
//! picture's decode, cost one 20 ms concealment in about one call of five; it still fails now
//! and then (1 of 6 CI runs after those fixes), the cause not yet removed (README).

mod common;

use common::meeting::{Participant, config};
use trygg::media::audio_processing::AudioProcessingConfig;
use trygg::media::clock::SystemClock;
use trygg::media::frame::FrameDuration;
use trygg::media::h264::H264Config;
use trygg::media::synthetic_video::SyntheticVideo;
use trygg::media::wav::{Wav, WavSource, WavWriter};
use trygg::meeting::{Entry, MeetingCommand, MeetingEvent};
use trygg::net::signal_server::{SignalServer, SignalServerConfig};

const SECRET: &[u8] = b"the playout meeting's secret";
const AMPLITUDE: f32 = 0.5;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_steady_tone_arrives_without_a_dropout_a_gap_or_a_jump() {
    let server = SignalServer::start(SignalServerConfig::new("127.0.0.1:0".parse().unwrap())).await.unwrap();
    let url = format!("ws://{}/", server.local_addr);
    let dir = tempfile::tempdir().unwrap();
    // One second of 440 Hz (440 whole periods: it loops without a seam).
    let tone = dir.path().join("tone.wav");
    let mut w = WavWriter::create(&tone, 1).unwrap();
    let one_second: Vec<f32> =
        (0..48_000).map(|i| AMPLITUDE * (2.0 * std::f32::consts::PI * 440.0 * i as f32 / 48_000.0).sin()).collect();
    w.write(&one_second).unwrap();
    w.finish().unwrap();

    let rec = dir.path().join("rec");
    std::fs::create_dir(&rec).unwrap();
    let camera = || -> Option<trygg::media::source::VideoSource> {
        Some(Box::new(SyntheticVideo::new(1280, 720, 30, SystemClock::shared()).unwrap()))
    };
    let mut anna_cfg = config(&url, SECRET, Entry::Host, "Anna", Some(rec.clone()));
    anna_cfg.video = camera();
    anna_cfg.h264 = H264Config::default();
    let mut bo_cfg = config(&url, SECRET, Entry::Join, "Bo", None);
    bo_cfg.video = camera();
    bo_cfg.h264 = H264Config::default();
    // A steady tone is what noise suppression takes away and gain control moves: they are off
    // here, this test is about the way from Bo's encoder to Anna's ear.
    bo_cfg.audio_processing = AudioProcessingConfig::OFF;
    bo_cfg.audio = Some(Box::new(WavSource::open(&tone, FrameDuration::Ms20, SystemClock::shared(), true).unwrap()));
    let mut anna = Participant::start("Anna", anna_cfg);
    anna.wait(10, "joined", |e| matches!(e, MeetingEvent::Joined { .. })).await;
    let mut bo = Participant::start("Bo", bo_cfg);
    let bo_id = anna.admit_next().await;
    bo.wait(10, "joined", |e| matches!(e, MeetingEvent::Joined { .. })).await;
    anna.wait(15, "Bo's audio", |e| matches!(e, MeetingEvent::FirstRemoteAudio { .. })).await;

    // Eight seconds of listening.
    anna.drain(8.0).await;
    let stats = anna.seen.iter().rev().find_map(|e| match e {
        MeetingEvent::Stats { peers, .. } => peers.first().cloned(),
        _ => None,
    });
    anna.meeting.command(MeetingCommand::EndForAll);
    anna.wait(10, "ended", |e| matches!(e, MeetingEvent::Ended | MeetingEvent::Left)).await;
    bo.wait(10, "ended", |e| matches!(e, MeetingEvent::Ended | MeetingEvent::Left)).await;
    drop((anna, bo));
    server.shutdown().await;
    let playout = stats.expect("stats about Bo").audio_playout;
    eprintln!("Anna's playout of Bo: {playout:?}");

    let heard = Wav::parse(&std::fs::read(rec.join(format!("{bo_id}.wav"))).unwrap()).unwrap().samples;
    let start = heard.iter().position(|s| s.abs() > 0.05).expect("Bo was heard");
    let end = heard.iter().rposition(|s| s.abs() > 0.05).unwrap();
    assert!(end - start > 6 * 48_000, "{} s heard", (end - start) as f64 / 48_000.0);
    // Half a second in (the codec settles), to half a second before the end.
    let steady = &heard[start + 24_000..end - 24_000];
    let rms = |b: &[f32]| (b.iter().map(|s| s * s).sum::<f32>() / b.len() as f32).sqrt();
    let dropouts: Vec<usize> = steady
        .chunks(480)
        .enumerate()
        .filter(|(_, b)| rms(b) < AMPLITUDE / std::f32::consts::SQRT_2 / 2.0)
        .map(|(i, _)| i * 10)
        .collect();
    // A tone's samples change by at most 2π·440/48000 of its amplitude from one to the next; an
    // inserted or dropped stretch of samples shows as a larger jump. Opus's own error is far
    // below the margin.
    let slope = AMPLITUDE * 2.0 * std::f32::consts::PI * 440.0 / 48_000.0;
    let jumps: Vec<usize> =
        steady.windows(2).enumerate().filter(|(_, w)| (w[1] - w[0]).abs() > 3.0 * slope).map(|(i, _)| i / 48).collect();
    assert!(dropouts.is_empty(), "dropouts at {dropouts:?} ms (playout: {playout:?})");
    assert!(jumps.is_empty(), "{} jumps, first at {:?} ms (playout: {playout:?})", jumps.len(), jumps.first());
    assert_eq!(trygg::media::analysis::dominant_frequency(&steady[..48_000]), 440.0);
    assert!(playout.target_ms >= 20.0 && playout.delay_ms < 100.0, "{playout:?}");
}
