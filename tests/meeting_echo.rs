//! The echo canceller in a real meeting: Bo's speaker plays Anna's voice into Bo's room, and Bo's
//! microphone hears it back 40 ms later. What Anna then hears from Bo is her own voice — unless
//! Bo's echo canceller takes what Bo's mixer played out of what Bo's microphone heard. Everything
//! else is the real runtime: Opus, SFrame, WebRTC on loopback, the mixer and the capture thread.

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use common::meeting::{Participant, config};
use trygg::media::MediaError;
use trygg::media::audio_processing::AudioProcessingConfig;
use trygg::media::clock::{SharedClock, SystemClock};
use trygg::media::frame::AudioFrame;
use trygg::media::sink::AudioSink;
use trygg::media::source::{Source, SourceInfo, SourceKind};
use trygg::meeting::{Entry, MeetingCommand, MeetingEvent};
use trygg::net::signal_server::{SignalServer, SignalServerConfig};

const FRAME: usize = 960;

/// The air in Bo's room: what his speaker plays at time t reaches his microphone at t + 40 ms
/// at half the level, with a weaker reflection 25 ms after that. Time is the frames' own (the
/// mixer stamps each frame with when it plays), as a sound card's clock would make it: two
/// threads' wake-ups never shift the echo.
#[derive(Clone, Default)]
struct Room {
    /// What the speaker played, by 20 ms slot of the clock.
    slots: Arc<Mutex<BTreeMap<u64, Vec<f32>>>>,
    played: Arc<Mutex<Vec<f32>>>,
}

const SLOT_US: u64 = 20_000;

impl Room {
    fn slot(&self, slot: u64) -> Vec<f32> {
        self.slots.lock().unwrap().get(&slot).cloned().unwrap_or_else(|| vec![0.0; FRAME])
    }

    /// What the microphone hears in the 20 ms slot `slot`.
    fn heard(&self, slot: u64) -> Vec<f32> {
        let direct = slot.saturating_sub(2);
        let mut past = self.slot(direct.saturating_sub(2));
        past.extend(self.slot(direct.saturating_sub(1)));
        past.extend(self.slot(direct));
        let at = 2 * FRAME;
        (0..FRAME).map(|i| 0.5 * past[at + i] + 0.2 * past[at + i - 1_200]).collect()
    }
}

struct Speaker(Room);

impl AudioSink for Speaker {
    fn play(&mut self, frame: &AudioFrame) -> Result<(), MediaError> {
        self.0.played.lock().unwrap().extend_from_slice(frame.samples());
        let mut slots = self.0.slots.lock().unwrap();
        slots.insert(frame.capture_us.div_ceil(SLOT_US), frame.samples().to_vec());
        // A few seconds are plenty.
        while slots.len() > 500 {
            slots.pop_first();
        }
        Ok(())
    }
}

struct Microphone {
    room: Room,
    clock: SharedClock,
    next_us: Option<u64>,
    /// Bo's own voice, which he starts speaking after [`BO_SPEAKS_AFTER`] frames.
    voice: Vec<f32>,
    frames: usize,
}

/// Bo is silent for his microphone's first 7 s.
const BO_SPEAKS_AFTER: usize = 350;

impl Source for Microphone {
    type Frame = AudioFrame;

    fn info(&self) -> SourceInfo {
        SourceInfo { kind: SourceKind::Microphone, name: "Bo's laptop".into(), format: "48000 Hz mono".into() }
    }

    fn next_frame(&mut self) -> Result<Option<AudioFrame>, MediaError> {
        let due = *self.next_us.get_or_insert_with(|| self.clock.now_us().div_ceil(SLOT_US) * SLOT_US + SLOT_US);
        self.clock.sleep_until_us(due);
        self.next_us = Some(due + SLOT_US);
        let mut samples = self.room.heard(due / SLOT_US - 1);
        if let Some(k) = self.frames.checked_sub(BO_SPEAKS_AFTER) {
            let at = (k * FRAME) % (self.voice.len() - FRAME);
            samples.iter_mut().zip(&self.voice[at..at + FRAME]).for_each(|(s, v)| *s += v);
        }
        self.frames += 1;
        Ok(Some(AudioFrame::new(samples, 1, due - SLOT_US)?))
    }
}

/// Everything Anna's speaker played.
struct Ears(Arc<Mutex<Vec<f32>>>);

impl AudioSink for Ears {
    fn play(&mut self, frame: &AudioFrame) -> Result<(), MediaError> {
        self.0.lock().unwrap().extend_from_slice(frame.samples());
        Ok(())
    }
}

/// Anna talks (a speech-like signal) for `seconds`; returns what she heard from Bo, and what Bo's
/// speaker played.
async fn anna_hears_bo(processing: AudioProcessingConfig, seconds: f64) -> (Vec<f32>, Vec<f32>) {
    let secret = b"the meeting with an echo in the room";
    let server = SignalServer::start(SignalServerConfig::new("127.0.0.1:0".parse().unwrap())).await.unwrap();
    let url = format!("ws://{}/", server.local_addr);
    let dir = tempfile::tempdir().unwrap();
    let voice = dir.path().join("anna.wav");
    let mut w = trygg::media::wav::WavWriter::create(&voice, 1).unwrap();
    w.write(&trygg::bench::audio::talker(10, 1, 1.0)).unwrap();
    w.finish().unwrap();

    let clock = SystemClock::shared();
    let heard = Arc::new(Mutex::new(Vec::new()));
    let mut anna_cfg = config(&url, secret, Entry::Host, "Anna", None);
    anna_cfg.audio = Some(Box::new(
        trygg::media::wav::WavSource::open(&voice, trygg::media::frame::FrameDuration::Ms20, clock.clone(), true)
            .unwrap(),
    ));
    anna_cfg.speaker = Some(Box::new(Ears(heard.clone())));
    anna_cfg.audio_processing = AudioProcessingConfig::OFF;
    let mut anna = Participant::start("Anna", anna_cfg);
    anna.wait(10, "joined", |e| matches!(e, MeetingEvent::Joined { .. })).await;

    let room = Room::default();
    let mut bo_cfg = config(&url, secret, Entry::Join, "Bo", None);
    let voice = trygg::bench::audio::talker(10, 5, 1.0);
    bo_cfg.audio =
        Some(Box::new(Microphone { room: room.clone(), clock: clock.clone(), next_us: None, voice, frames: 0 }));
    bo_cfg.speaker = Some(Box::new(Speaker(room.clone())));
    bo_cfg.audio_processing = processing;
    let mut bo = Participant::start("Bo", bo_cfg);
    let knock = anna.wait(10, "knock", |e| matches!(e, MeetingEvent::Knock { .. })).await;
    let MeetingEvent::Knock { member, .. } = knock else { unreachable!() };
    anna.meeting.command(MeetingCommand::Admit(member));
    bo.wait(15, "Anna's audio", |e| matches!(e, MeetingEvent::FirstRemoteAudio { .. })).await;
    heard.lock().unwrap().clear();
    bo.drain(seconds).await;
    anna.meeting.command(MeetingCommand::EndForAll);
    bo.wait(10, "ended", |e| matches!(e, MeetingEvent::Ended)).await;
    drop((anna, bo));
    server.shutdown().await;
    let heard = heard.lock().unwrap().clone();
    let played = room.played.lock().unwrap().clone();
    (heard, played)
}

fn level_db(s: &[f32]) -> f64 {
    let e: f64 = s.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>() / s.len().max(1) as f64;
    10.0 * e.max(1e-20).log10()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bos_echo_canceller_keeps_annas_voice_from_coming_back_to_her_and_lets_bos_through() {
    // Only the echo canceller: noise suppression and gain control would change the level on
    // their own and hide what the canceller did.
    let canceller = AudioProcessingConfig { echo_cancellation: true, ..AudioProcessingConfig::OFF };
    let (with, played) = anna_hears_bo(canceller, 10.0).await;
    let (without, played_without) = anna_hears_bo(AudioProcessingConfig::OFF, 10.0).await;
    // Bo's speaker played Anna's voice in both meetings.
    assert!(level_db(&played) > -40.0 && level_db(&played_without) > -40.0, "Bo heard Anna");
    let second = 48_000;
    assert!(with.len() > 9 * second && without.len() > 9 * second, "Anna heard Bo for 9 s or more");
    // Seconds 2 to 5 of what Anna heard: Bo silent, his room echoing Anna (the canceller has had
    // a second or more to learn the room).
    let echo = |s: &[f32]| level_db(&s[2 * second..5 * second]);
    let (back_with, back_without) = (echo(&with), echo(&without));
    // The last 2 s: Bo speaks, over the echo.
    let bo_speaks = level_db(&with[with.len() - 2 * second..]);
    let bos_voice = level_db(&trygg::bench::audio::talker(10, 5, 1.0));
    eprintln!(
        "echo back to Anna: {back_without:.1} dB without Bo's canceller, {back_with:.1} dB with it; \
         Bo's voice {bos_voice:.1} dB reached Anna at {bo_speaks:.1} dB"
    );
    assert!(back_without > -45.0, "without a canceller Anna hears herself back ({back_without:.1} dB)");
    assert!(
        back_without - back_with > 20.0,
        "the canceller took only {:.1} dB off the echo ({back_without:.1} → {back_with:.1} dB)",
        back_without - back_with
    );
    assert!(bo_speaks > bos_voice - 10.0, "the canceller does not silence Bo: {bos_voice:.1} → {bo_speaks:.1} dB");
}
