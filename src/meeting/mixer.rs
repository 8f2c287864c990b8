//! Mixes every participant's audio into one stream for the speaker.
//!
//! For every 20 ms the speaker plays, the mixer thread pulls one frame from each participant's
//! playout (which decides from its own buffer what that frame holds: decoded audio, played a
//! little faster or slower to follow the network, concealment, or silence), sums them with a soft
//! limiter and plays it. The echo canceller's reference is what the sound card's callback really
//! took to play (with silence where it ran dry), handed over at each step and before each
//! microphone step (`AudioProcessor::follow`); a sink that cannot tell (a file, a test's) has the
//! sum handed over as it is played. With a sound card,
//! the steps follow the card's clock (each 20 ms step a little longer or shorter as its queue
//! says), so a card that runs a little fast or slow against the system clock neither runs dry
//! nor builds up delay: the playouts absorb the difference by stretching. Without a card (no
//! speaker, a file) the meeting's clock paces the mixer. No participant's audio is cut or padded
//! outside its playout.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use super::playout::{Playout, PlayoutFigures};
use crate::media::audio_processing::AudioProcessor;
use crate::media::clock::SharedClock;
use crate::media::frame::AudioFrame;
use crate::media::sink::{AudioSink, DeviceQueue};

const FRAME: usize = 960;
const FRAME_US: u64 = 20_000;

/// What the mixer does next for a sound card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// The card is not taking audio (starting, stalled): wait and look again.
    Wait,
    /// The card is running short: mix a frame now.
    Now,
    /// Mix the next frame this long after the last one.
    After(Duration),
}

/// Keeps the mixer to a sound card's clock with steady 20 ms steps: the step is lengthened or
/// shortened (by at most 1 ms) as the card's queue, filtered, sits above or below what it needs
/// just before a frame is added (one and a half of its callbacks and 5 ms). Steady steps matter: each participant's playout
/// is asked for audio at each step, and uneven asking would look like network jitter to it.
#[derive(Debug, Default)]
struct DevicePace {
    /// The filtered excess of the queue over what the card needs, µs.
    excess: Option<f64>,
}

impl DevicePace {
    fn next(&mut self, q: DeviceQueue) -> Step {
        let need = q.chunk.as_micros() as f64 * 1.5 + 5_000.0;
        let queued = q.queued.as_micros() as f64;
        if queued > need + 60_000.0 {
            self.excess = None;
            return Step::Wait;
        }
        if queued + 5_000.0 < q.chunk.as_micros() as f64 {
            return Step::Now;
        }
        let excess = self.excess.map_or(queued - need, |e| 0.9 * e + 0.1 * (queued - need));
        self.excess = Some(excess);
        let nudge = (excess * 0.02).clamp(-1_000.0, 1_000.0);
        Step::After(Duration::from_micros((FRAME_US as f64 + nudge) as u64))
    }
}

type Inputs = Arc<Mutex<Vec<Arc<Mutex<Playout>>>>>;

/// One participant's input to the mixer: its playout.
#[derive(Clone)]
pub struct MixerInput {
    playout: Arc<Mutex<Playout>>,
}

impl MixerInput {
    /// Runs `f` on the participant's playout (inserting a packet, reading its figures).
    pub fn with<T>(&self, f: impl FnOnce(&mut Playout) -> T) -> Option<T> {
        self.playout.lock().ok().map(|mut p| f(&mut p))
    }

    /// What the playout did so far.
    pub fn figures(&self) -> PlayoutFigures {
        self.with(|p| p.figures()).unwrap_or_default()
    }
}

/// Pulls one frame from every input at `now`, to be heard at `heard`, and mixes it.
fn mix_once(inputs: &[Arc<Mutex<Playout>>], now: Duration, heard: Duration, scratch: &mut [f32; FRAME]) -> Vec<f32> {
    let mut mix = vec![0.0f32; FRAME];
    for input in inputs {
        if let Ok(mut playout) = input.lock() {
            playout.pull(scratch, now, heard);
            for (m, s) in mix.iter_mut().zip(scratch.iter()) {
                *m += s;
            }
        }
    }
    for m in &mut mix {
        // Soft limit: transparent below ±0.5, never beyond ±1.
        *m = m.tanh();
    }
    mix
}

/// The running mixer.
pub struct Mixer {
    inputs: Inputs,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Mixer {
    /// Starts mixing into `sink`, paced by `clock`; what is played is also handed to
    /// `processor` as the echo canceller's reference (what the card took, when it can tell; else
    /// the mix as it is handed to the sink, after the last change).
    pub fn start(mut sink: Box<dyn AudioSink>, clock: SharedClock, processor: Option<AudioProcessor>) -> Self {
        let inputs: Inputs = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (q, s) = (inputs.clone(), stop.clone());
        let thread = std::thread::Builder::new()
            .name("mixer".into())
            .spawn(move || {
                let mut t = clock.now_us();
                let mut scratch = [0.0f32; FRAME];
                // What the card really played, when it can tell, is the echo reference.
                let played = processor.as_ref().and_then(|p| sink.played().map(|played| p.follow(played))).is_some();
                let mut pace = DevicePace::default();
                let mut steps = 0u64;
                while !s.load(Ordering::Relaxed) {
                    let queue = sink.device_queue();
                    match queue {
                        Some(queue) => match pace.next(queue) {
                            Step::Wait => {
                                std::thread::sleep(Duration::from_millis(10));
                                t = clock.now_us();
                                continue;
                            }
                            Step::Now => t = clock.now_us(),
                            Step::After(period) => {
                                t = (t + period.as_micros() as u64).max(clock.now_us().saturating_sub(FRAME_US));
                                clock.sleep_until_us(t);
                            }
                        },
                        None => {
                            t += FRAME_US;
                            clock.sleep_until_us(t);
                        }
                    }
                    steps += 1;
                    if let Some(q) = queue.filter(|_| steps.is_multiple_of(100)) {
                        tracing::debug!(
                            "speaker: {} ms queued, takes {} ms at a time, heard {} ms after",
                            q.queued.as_millis(),
                            q.chunk.as_millis(),
                            q.latency.as_millis()
                        );
                    }
                    let inputs: Vec<_> = q.lock().map(|v| v.clone()).unwrap_or_default();
                    // What is mixed now is heard after what the card holds queued and its own
                    // latency (lip sync needs when).
                    let now = Duration::from_micros(t);
                    let heard = now + queue.map_or(Duration::ZERO, |q| q.queued + q.latency);
                    let mix = mix_once(&inputs, now, heard, &mut scratch);
                    let Ok(frame) = AudioFrame::new(mix, 1, t) else { continue };
                    if let Some(p) = &processor {
                        if played { p.render_played() } else { p.render(&frame) }
                    }
                    if let Err(e) = sink.play(&frame) {
                        tracing::warn!("speaker: {e}");
                    }
                }
            })
            .expect("spawning the mixer thread");
        Self { inputs, stop, thread: Some(thread) }
    }

    /// A new input (one per remote participant).
    pub fn input(&self) -> Result<MixerInput, crate::media::MediaError> {
        let playout = Arc::new(Mutex::new(Playout::new()?));
        if let Ok(mut v) = self.inputs.lock() {
            v.push(playout.clone());
        }
        Ok(MixerInput { playout })
    }

    /// Removes an input (a participant left).
    pub fn remove(&self, input: &MixerInput) {
        if let Ok(mut v) = self.inputs.lock() {
            v.retain(|p| !Arc::ptr_eq(p, &input.playout));
        }
    }
}

impl Drop for Mixer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::MediaError;
    use crate::media::analysis::goertzel_power;
    use crate::media::clock::SystemClock;
    use crate::media::opus::{OpusConfig, OpusEncoder};

    struct Capture(Arc<Mutex<Vec<f32>>>);

    impl AudioSink for Capture {
        fn play(&mut self, frame: &AudioFrame) -> Result<(), MediaError> {
            self.0.lock().unwrap().extend_from_slice(frame.samples());
            Ok(())
        }
    }

    /// Opus packets of a tone at `hz` and amplitude `amp`, 20 ms each.
    fn tone(hz: f32, amp: f32, packets: u32) -> Vec<bytes::Bytes> {
        let mut enc = OpusEncoder::new(OpusConfig::default()).unwrap();
        (0..packets)
            .map(|i| {
                let s: Vec<f32> = (0..960)
                    .map(|k| amp * (2.0 * std::f32::consts::PI * hz * (i * 960 + k) as f32 / 48_000.0).sin())
                    .collect();
                bytes::Bytes::from(enc.encode(&AudioFrame::new(s, 1, 0).unwrap()).unwrap().data)
            })
            .collect()
    }

    fn input() -> Arc<Mutex<Playout>> {
        Arc::new(Mutex::new(Playout::new().unwrap()))
    }

    #[test]
    fn every_participant_is_heard_in_the_mix_and_loud_ones_are_limited() {
        let (a, b) = (input(), input());
        let (ta, tb) = (tone(440.0, 0.9, 100), tone(660.0, 0.9, 100));
        let mut out = Vec::new();
        let mut scratch = [0.0; FRAME];
        for i in 0..100u32 {
            let now = Duration::from_millis(u64::from(i) * 20);
            a.lock().unwrap().insert(i as u16, i * 960, ta[i as usize].clone(), now);
            b.lock().unwrap().insert(i as u16, i * 960, tb[i as usize].clone(), now);
            let at = now + Duration::from_millis(15);
            out.extend(mix_once(&[a.clone(), b.clone()], at, at, &mut scratch));
        }
        let tail = &out[48_000..96_000];
        let (p440, p660, p550) =
            (goertzel_power(tail, 440.0), goertzel_power(tail, 660.0), goertzel_power(tail, 550.0));
        assert!(p440 > 100.0 * p550 && p660 > 100.0 * p550, "{p440} {p660} {p550}");
        assert!(out.iter().all(|s| s.abs() < 1.0), "never beyond ±1");
        assert!(mix_once(&[], Duration::ZERO, Duration::ZERO, &mut scratch).iter().all(|&s| s == 0.0));
    }

    #[test]
    fn the_pace_follows_the_cards_queue_with_steady_steps_and_waits_for_a_card_that_takes_nothing() {
        let ms = Duration::from_millis;
        let q = |queued: u64, chunk: u64| DeviceQueue { queued: ms(queued), chunk: ms(chunk), latency: ms(20) };
        let step = |s: Step| match s {
            Step::After(d) => d.as_micros() as i64,
            other => panic!("{other:?}"),
        };
        // A card that takes 10 ms at a time and holds what it needs (20 ms): 20 ms steps.
        let mut p = DevicePace::default();
        assert_eq!(step(p.next(q(20, 10))), 20_000);
        // Holding more: steps lengthen, never by more than a millisecond; holding less: shorten.
        let mut p = DevicePace::default();
        let longer: Vec<i64> = (0..50).map(|_| step(p.next(q(60, 10)))).collect();
        assert!(longer.iter().all(|&s| s > 20_000 && s <= 21_000), "{longer:?}");
        let mut p = DevicePace::default();
        assert!(step(p.next(q(12, 10))) < 20_000);
        // Running short: at once. Taking nothing (a card still starting): wait.
        assert_eq!(p.next(q(2, 10)), Step::Now);
        assert_eq!(p.next(q(200, 10)), Step::Wait);
    }

    #[test]
    fn the_mixer_thread_plays_its_inputs_at_the_clocks_pace_and_forgets_removed_ones() {
        let out = Arc::new(Mutex::new(Vec::new()));
        let clock = SystemClock::shared();
        let mixer = Mixer::start(Box::new(Capture(out.clone())), clock.clone(), None);
        let a = mixer.input().unwrap();
        let packets = tone(440.0, 0.5, 30);
        let start = std::time::Instant::now();
        for (i, p) in packets.iter().enumerate() {
            let now = Duration::from_micros(clock.now_us());
            a.with(|pl| pl.insert(i as u16, i as u32 * 960, p.clone(), now));
            std::thread::sleep(
                (start + Duration::from_millis(20 * (i as u64 + 1)))
                    .saturating_duration_since(std::time::Instant::now()),
            );
        }
        std::thread::sleep(Duration::from_millis(100));
        mixer.remove(&a);
        let heard = out.lock().unwrap().len();
        let elapsed = start.elapsed();
        std::thread::sleep(Duration::from_millis(100));
        drop(mixer);
        let out = out.lock().unwrap();
        // One 20 ms frame per 20 ms that passed (the clock's pace, not as fast as it could).
        let due = (elapsed.as_micros() / 20_000) as usize;
        assert!(heard >= 30 * 960 && heard <= (due + 2) * 960, "{heard} samples in {elapsed:?}");
        assert_eq!(crate::media::analysis::dominant_frequency(&out[..heard]), 440.0);
        assert!(out[heard + 960..].iter().all(|&s| s == 0.0), "a removed input is not played");
        assert!(a.figures().counts.decoded >= 25, "{:?}", a.figures());
    }
}
