//! Lip sync in a real meeting on loopback: Bo's synthetic tone clicks on every whole second of
//! his capture clock and his synthetic pictures carry their capture time in their pixels. Anna
//! listens on a sound card that takes 150 ms from its queue to her ear (a Bluetooth headset's
//! order), simulated on the wall clock; each click is found in what her card plays, with when she
//! hears it, and each picture with when it is handed to her screen. The picture of each whole
//! second must meet its click within ±45 ms: without lip sync it comes about 150 ms early.
//!
//! A click heard within a second after the card ran dry (the machine did not run the mixer in
//! time: every later sample is heard that much later, and no lip sync can move a picture already
//! shown) is left out of the judgement, and said so.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::meeting::{Participant, config};
use trygg::media::MediaError;
use trygg::media::audio_processing::AudioProcessingConfig;
use trygg::media::clock::wall_clock_us;
use trygg::media::frame::AudioFrame;
use trygg::media::sink::{AudioSink, DeviceQueue};
use trygg::meeting::{Entry, MeetingCommand, MeetingEvent};
use trygg::net::signal_server::{SignalServer, SignalServerConfig};

const SECRET: &[u8] = b"the lip sync meeting's secret";
/// From the card taking audio to the ear.
const CARD_LATENCY_US: u64 = 150_000;

/// What a card played: when each frame's first sample is heard (µs), and the frame.
type Heard = Arc<Mutex<Vec<(u64, Vec<f32>)>>>;
/// When (µs, as heard) the card ran dry for longer than 2 ms.
type Dry = Arc<Mutex<Vec<u64>>>;

/// A sound card on the wall clock: it takes 48 samples a millisecond from its queue once
/// started, and each sample is heard `CARD_LATENCY_US` after it is taken.
#[derive(Default)]
struct Card {
    /// Samples queued so far, and taken so far (at the last look).
    queued: f64,
    taken: f64,
    last_look: Option<u64>,
    /// What was played: (when its first sample is heard, µs; the samples).
    heard: Heard,
    dry: Dry,
}

impl Card {
    fn look(&mut self) -> u64 {
        let now = wall_clock_us();
        if let Some(last) = self.last_look {
            let wanted = self.taken + (now - last) as f64 * 0.048;
            if self.queued > 0.0 && wanted > self.queued + 96.0 {
                self.dry.lock().unwrap().push(now + CARD_LATENCY_US);
            }
            self.taken = wanted.min(self.queued);
        }
        self.last_look = Some(now);
        now
    }
}

impl AudioSink for Card {
    fn play(&mut self, frame: &AudioFrame) -> Result<(), MediaError> {
        let now = self.look();
        let wait_us = ((self.queued - self.taken) / 0.048) as u64;
        self.heard.lock().unwrap().push((now + wait_us + CARD_LATENCY_US, frame.samples().to_vec()));
        self.queued += frame.samples().len() as f64;
        Ok(())
    }

    fn device_queue(&self) -> Option<DeviceQueue> {
        let now = wall_clock_us();
        let since = self.last_look.map_or(0, |l| now - l) as f64 * 0.048;
        let queued = (self.queued - self.taken - since).max(0.0);
        Some(DeviceQueue {
            queued: Duration::from_micros((queued / 0.048) as u64),
            chunk: Duration::from_millis(10),
            latency: Duration::from_micros(CARD_LATENCY_US),
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_picture_meets_its_sound_at_the_ear() {
    let server = SignalServer::start(SignalServerConfig::new("127.0.0.1:0".parse().unwrap())).await.unwrap();
    let url = format!("ws://{}/", server.local_addr);
    let heard = Arc::new(Mutex::new(Vec::new()));
    let dry = Arc::new(Mutex::new(Vec::new()));
    let mut anna_cfg = config(&url, SECRET, Entry::Host, "Anna", None);
    anna_cfg.video = None;
    anna_cfg.audio = None;
    anna_cfg.video_channels = true;
    anna_cfg.speaker = Some(Box::new(Card { heard: heard.clone(), dry: dry.clone(), ..Card::default() }));
    let mut bo_cfg = config(&url, SECRET, Entry::Join, "Bo", None);
    bo_cfg.audio_processing = AudioProcessingConfig::OFF;
    let mut anna = Participant::start("Anna", anna_cfg);
    anna.wait(10, "joined", |e| matches!(e, MeetingEvent::Joined { .. })).await;
    let mut bo = Participant::start("Bo", bo_cfg);
    anna.admit_next().await;
    let channel = anna.wait(15, "Bo's pictures", |e| matches!(e, MeetingEvent::VideoChannel { .. })).await;
    let MeetingEvent::VideoChannel { receiver, .. } = channel else { unreachable!() };
    // Anna's screen: when each picture arrives, and the capture time in its pixels.
    let shown = std::thread::spawn(move || {
        let mut shown = Vec::new();
        let end = wall_clock_us() + 9_000_000;
        while wall_clock_us() < end {
            if let Some(f) = receiver.recv_timeout(Duration::from_millis(100)) {
                let at = wall_clock_us();
                if let Some(age) = trygg::media::pixel_stamp::read(&f).and_then(|s| s.age_us(at)) {
                    shown.push((at, at - age));
                }
            }
        }
        shown
    });
    anna.drain(9.0).await;
    let shown = shown.join().unwrap();
    // What Anna's meeting reports as Bo's lip sync, second by second.
    let reported: Vec<f64> = anna
        .seen
        .iter()
        .filter_map(|e| match e {
            MeetingEvent::Stats { peers, .. } => peers.first().and_then(|p| p.lip_sync_ms),
            _ => None,
        })
        .collect();
    anna.meeting.command(MeetingCommand::EndForAll);
    anna.wait(10, "ended", |e| matches!(e, MeetingEvent::Ended | MeetingEvent::Left)).await;
    bo.wait(10, "ended", |e| matches!(e, MeetingEvent::Ended | MeetingEvent::Left)).await;
    drop((anna, bo));
    server.shutdown().await;

    // When each click was heard.
    let heard = heard.lock().unwrap();
    let mut samples = Vec::new();
    let mut times = Vec::new();
    for (at, frame) in heard.iter() {
        times.extend((0..frame.len()).map(|i| at + i as u64 * 1_000_000 / 48_000));
        samples.extend_from_slice(frame);
    }
    let clicks: Vec<u64> = trygg::media::analysis::detect_clicks(&samples).into_iter().map(|i| times[i]).collect();
    // Each click left Bo at the whole second before it was heard (the path takes well under a
    // second); the picture captured at that second (or just after: 30 a second) was shown at
    // its own time less how long after the second it was captured.
    // The first seconds go to the reports arriving and the playout settling: the last five
    // clicks are judged.
    let dry = dry.lock().unwrap().clone();
    let mut offsets = Vec::new();
    let (mut settled, mut starved) = (Vec::new(), Vec::new());
    let judged_from = clicks.len().saturating_sub(5);
    for (i, &click) in clicks.iter().enumerate() {
        let second = click / 1_000_000 * 1_000_000;
        let Some(&(at, captured)) =
            shown.iter().filter(|(_, c)| *c >= second && *c < second + 34_000).min_by_key(|(_, c)| *c)
        else {
            continue;
        };
        let picture = at as i64 - (captured - second) as i64;
        let offset = (click as i64 - picture) as f64 / 1000.0;
        offsets.push(offset);
        if i < judged_from {
            continue;
        }
        if dry.iter().any(|&d| d <= click && click < d + 1_000_000) {
            starved.push(offset);
        } else {
            settled.push(offset);
        }
    }
    eprintln!("click heard minus its picture shown (ms): {offsets:?}");
    if !starved.is_empty() {
        eprintln!(
            "left out: {} clicks heard within a second after the card ran dry ({} times; offsets {starved:?})",
            starved.len(),
            dry.len()
        );
    }
    assert!(settled.len() >= 3, "{} clicks, {} pictures, offsets {offsets:?}", clicks.len(), shown.len());
    assert!(settled.iter().all(|o| o.abs() <= 45.0), "out of sync: {settled:?} (all: {offsets:?})");
    // The meeting's own figure says the same (pictures shown when their sound is due).
    eprintln!("reported lip sync (ms): {reported:?}");
    let last = &reported[reported.len().saturating_sub(4)..];
    assert!(last.len() >= 3 && last.iter().all(|o| o.abs() <= 45.0), "reported: {reported:?}");
}
