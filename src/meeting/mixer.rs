//! Mixes every participant's decoded audio into one stream for the speaker.
//!
//! Each participant has a small queue; every 20 ms the mixer thread takes one frame's worth from
//! each (silence where a queue is short), sums them with a soft limiter, and plays the result. A
//! queue that grows past 200 ms is trimmed from the front, so a participant whose audio arrives in
//! bursts cannot build up delay.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crate::media::audio_processing::AudioProcessor;
use crate::media::clock::SharedClock;
use crate::media::frame::{AudioFrame, FrameDuration};
use crate::media::sink::AudioSink;

const FRAME: usize = 960;
const MAX_QUEUED: usize = FRAME * 10;

type Queues = Arc<Mutex<Vec<Arc<Mutex<VecDeque<f32>>>>>>;

/// One participant's input to the mixer.
#[derive(Clone)]
pub struct MixerInput {
    queue: Arc<Mutex<VecDeque<f32>>>,
}

impl MixerInput {
    /// Queues decoded mono samples.
    pub fn push(&self, samples: &[f32]) {
        if let Ok(mut q) = self.queue.lock() {
            q.extend(samples.iter().copied());
            if q.len() > MAX_QUEUED {
                let excess = q.len() - MAX_QUEUED;
                q.drain(..excess);
            }
        }
    }
}

/// Takes one frame's worth from every input (silence where one runs short) and mixes it.
fn mix_once(inputs: &[Arc<Mutex<VecDeque<f32>>>]) -> Vec<f32> {
    let mut mix = vec![0.0f32; FRAME];
    for input in inputs {
        if let Ok(mut queue) = input.lock() {
            let n = FRAME.min(queue.len());
            for (m, s) in mix.iter_mut().zip(queue.drain(..n)) {
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
    queues: Queues,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Mixer {
    /// Starts mixing into `sink`, paced by `clock`; what is played is also handed to
    /// `processor` as the echo canceller's reference (the last change before the device).
    pub fn start(mut sink: Box<dyn AudioSink>, clock: SharedClock, processor: Option<AudioProcessor>) -> Self {
        let queues: Queues = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (q, s) = (queues.clone(), stop.clone());
        let thread = std::thread::Builder::new()
            .name("mixer".into())
            .spawn(move || {
                let mut t = clock.now_us();
                while !s.load(Ordering::Relaxed) {
                    t += FrameDuration::Ms20.micros();
                    clock.sleep_until_us(t);
                    let inputs: Vec<_> = q.lock().map(|v| v.clone()).unwrap_or_default();
                    let mix = mix_once(&inputs);
                    let Ok(frame) = AudioFrame::new(mix, 1, t) else { continue };
                    if let Some(p) = &processor {
                        p.render(&frame);
                    }
                    if let Err(e) = sink.play(&frame) {
                        tracing::warn!("speaker: {e}");
                    }
                }
            })
            .expect("spawning the mixer thread");
        Self { queues, stop, thread: Some(thread) }
    }

    /// A new input (one per remote participant).
    pub fn input(&self) -> MixerInput {
        let queue = Arc::new(Mutex::new(VecDeque::new()));
        if let Ok(mut v) = self.queues.lock() {
            v.push(queue.clone());
        }
        MixerInput { queue }
    }

    /// Removes an input (a participant left).
    pub fn remove(&self, input: &MixerInput) {
        if let Ok(mut v) = self.queues.lock() {
            v.retain(|q| !Arc::ptr_eq(q, &input.queue));
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
    use crate::media::clock::VirtualClock;

    struct Capture(Arc<Mutex<Vec<f32>>>);

    impl AudioSink for Capture {
        fn play(&mut self, frame: &AudioFrame) -> Result<(), MediaError> {
            self.0.lock().unwrap().extend_from_slice(frame.samples());
            Ok(())
        }
    }

    #[test]
    fn two_inputs_are_summed_and_a_missing_one_is_silence() {
        let queues: Vec<_> = (0..2).map(|_| Arc::new(Mutex::new(VecDeque::new()))).collect();
        let (a, b) = (MixerInput { queue: queues[0].clone() }, MixerInput { queue: queues[1].clone() });
        a.push(&[0.1; FRAME * 2]);
        b.push(&[0.2; FRAME + FRAME / 2]);
        let first = mix_once(&queues);
        let second = mix_once(&queues);
        let third = mix_once(&queues);
        assert!(first.iter().all(|s| (s - 0.3f32.tanh()).abs() < 1e-6), "{}", first[0]);
        assert!((second[0] - 0.3f32.tanh()).abs() < 1e-6 && (second[FRAME - 1] - 0.1f32.tanh()).abs() < 1e-6);
        assert!(third.iter().all(|&s| s == 0.0), "both ran dry: silence");
        assert!(mix_once(&[]).iter().all(|&s| s == 0.0));
        // Loud inputs are limited, never beyond ±1.
        a.push(&[0.9; FRAME]);
        b.push(&[0.9; FRAME]);
        assert!(mix_once(&queues).iter().all(|&s| s < 1.0 && s > 0.9));
    }

    #[test]
    fn the_mixer_thread_plays_what_its_inputs_hold() {
        let out = Arc::new(Mutex::new(Vec::new()));
        let mixer = Mixer::start(Box::new(Capture(out.clone())), VirtualClock::new(0), None);
        let a = mixer.input();
        a.push(&[0.25; FRAME]);
        // The virtual clock runs the mixer as fast as it can: frames before the push are silent,
        // and the pushed frame comes out once.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let heard = |out: &[f32]| out.iter().filter(|s| (**s - 0.25f32.tanh()).abs() < 1e-6).count();
        while heard(&out.lock().unwrap()) < FRAME && std::time::Instant::now() < deadline {
            std::thread::yield_now();
        }
        drop(mixer);
        assert_eq!(heard(&out.lock().unwrap()), FRAME);
    }

    #[test]
    fn a_bursty_input_cannot_build_up_delay() {
        let out = Arc::new(Mutex::new(Vec::new()));
        let mixer = Mixer::start(Box::new(Capture(out)), VirtualClock::new(0), None);
        let a = mixer.input();
        a.push(&vec![0.5; FRAME * 50]);
        assert!(a.queue.lock().unwrap().len() <= MAX_QUEUED);
    }
}
