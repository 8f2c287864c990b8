//! A test signal with its own timing in it: a steady tone plus a click on every whole second of
//! the capture clock.
//!
//! A receiver that hears a click knows it left the sender at the last whole second before it
//! arrived, so it can measure mouth-to-ear latency from the audio alone (as long as that latency is
//! under [`CLICK_PERIOD_US`]). [`detect_clicks`](super::analysis::detect_clicks) finds them.

use super::MediaError;
use super::clock::SharedClock;
use super::frame::{AudioFrame, FrameDuration, SAMPLE_RATE};
use super::source::{Source, SourceInfo, SourceKind};

/// Frequency of the steady tone.
pub const TONE_HZ: f32 = 440.0;
/// Amplitude of the tone (-12 dBFS).
pub const TONE_AMPLITUDE: f32 = 0.25;
/// Frequency of the click burst: well above the tone, well inside Opus's wideband.
pub const CLICK_HZ: f32 = 3_000.0;
/// Clicks happen on every multiple of this on the capture clock.
pub const CLICK_PERIOD_US: u64 = 1_000_000;
/// Length of a click.
pub const CLICK_SAMPLES: usize = 240; // 5 ms
const CLICK_AMPLITUDE: f32 = 0.6;

/// The synthetic microphone (mono).
pub struct SyntheticAudio {
    duration: FrameDuration,
    clock: SharedClock,
    start_us: Option<u64>,
    next_sample: u64,
    limit: Option<u64>,
}

impl SyntheticAudio {
    /// A mono tone-and-clicks source in frames of `duration`.
    pub fn new(duration: FrameDuration, clock: SharedClock) -> Self {
        Self { duration, clock, start_us: None, next_sample: 0, limit: None }
    }

    /// Ends the stream after `frames` frames.
    pub fn with_frame_limit(mut self, frames: u64) -> Self {
        self.limit = Some(frames);
        self
    }

    /// Renders `n` samples starting at absolute sample `first` of a stream that began at `start_us`.
    pub fn render(start_us: u64, first: u64, n: usize) -> Vec<f32> {
        let rate = u64::from(SAMPLE_RATE);
        let mut out = Vec::with_capacity(n);
        for i in 0..n as u64 {
            let j = first + i;
            let t = j as f64 / rate as f64;
            let mut s = TONE_AMPLITUDE * (std::f64::consts::TAU * f64::from(TONE_HZ) * t).sin() as f32;
            // Time of sample j in µs on the capture clock, and how far it is past the last click.
            let abs_us = start_us + j * 1_000_000 / rate;
            let since_click_us = abs_us % CLICK_PERIOD_US;
            let k = (since_click_us * rate / 1_000_000) as usize;
            if k < CLICK_SAMPLES {
                let window = 0.5 - 0.5 * (std::f32::consts::TAU * k as f32 / CLICK_SAMPLES as f32).cos();
                let phase = std::f32::consts::TAU * CLICK_HZ * k as f32 / SAMPLE_RATE as f32;
                s += CLICK_AMPLITUDE * window * phase.sin();
            }
            out.push(s);
        }
        out
    }
}

impl Source for SyntheticAudio {
    type Frame = AudioFrame;

    fn info(&self) -> SourceInfo {
        SourceInfo {
            kind: SourceKind::Synthetic,
            name: "synthetic tone and clicks".into(),
            format: format!("48000 Hz mono, {} ms frames", self.duration.micros() / 1000),
        }
    }

    fn next_frame(&mut self) -> Result<Option<AudioFrame>, MediaError> {
        let n = self.duration.samples_per_channel();
        if self.limit.is_some_and(|l| self.next_sample >= l * n as u64) {
            return Ok(None);
        }
        let start = *self.start_us.get_or_insert_with(|| self.clock.now_us());
        let capture_us = start + self.next_sample * 1_000_000 / u64::from(SAMPLE_RATE);
        // A microphone delivers a frame once its last sample has been captured.
        self.clock.sleep_until_us(capture_us + self.duration.micros());
        let samples = Self::render(start, self.next_sample, n);
        self.next_sample += n as u64;
        AudioFrame::new(samples, 1, capture_us).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::analysis::{detect_clicks, goertzel_power};
    use crate::media::clock::{Clock, VirtualClock};

    #[test]
    fn clicks_fall_on_whole_seconds_of_the_capture_clock() {
        // Start 250 ms before a whole second: the first click is 12000 samples in.
        let start = 41_000_750_000;
        let s = SyntheticAudio::render(start, 0, 48_000 * 3);
        let clicks = detect_clicks(&s);
        assert_eq!(clicks.len(), 3, "{clicks:?}");
        for (i, c) in clicks.iter().enumerate() {
            let expect = 12_000 + i * 48_000;
            assert!(c.abs_diff(expect) <= 48, "click {i} at {c}, expected {expect}");
        }
    }

    #[test]
    fn the_tone_is_440_hz() {
        let s = SyntheticAudio::render(500_000, 0, 4_800);
        let at = goertzel_power(&s, TONE_HZ);
        assert!(at > 50.0 * goertzel_power(&s, 600.0));
        assert!(at > 50.0 * goertzel_power(&s, 300.0));
    }

    #[test]
    fn frames_carry_the_capture_time_of_their_first_sample() {
        let clock = VirtualClock::new(10_000_000);
        let mut src = SyntheticAudio::new(FrameDuration::Ms20, clock.clone()).with_frame_limit(3);
        let mut times = vec![];
        while let Some(f) = src.next_frame().unwrap() {
            assert_eq!(f.samples().len(), 960);
            times.push(f.capture_us);
        }
        assert_eq!(times, vec![10_000_000, 10_020_000, 10_040_000]);
        assert_eq!(clock.now_us(), 10_060_000);
    }
}
