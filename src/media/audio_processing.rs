//! What happens to the microphone before Opus: echo cancellation, noise suppression and gain
//! control, through `sonora` (a pure-Rust port of WebRTC's audio processing module: AEC3, its
//! noise suppressor and AGC2). README's "Audio processing" says why this one and what it
//! measures.
//!
//! One [`AudioProcessor`] serves a meeting. Its far-end reference is what a sound card's
//! callback really played ([`crate::media::sink::Played`], followed with
//! [`AudioProcessor::follow`]: after the mix and its limiter, with the card's own dry spells and
//! trims), or for a sink that cannot tell, what the speaker is about to play
//! ([`AudioProcessor::render`], from the mixer). The capture thread passes every microphone frame
//! through it ([`AudioProcessor::capture`]). Both run in 10 ms steps at 48 kHz, as the module
//! wants.
//!
//! The reference must reach the canceller before the echo of it does: AEC3 models an echo that
//! comes after its reference, never one before. The card's callback takes its samples before
//! they are heard, so everything it took is handed over at the start of each capture step (and
//! by the mixer between them); a reference left to the mixer's own pace alone came a few
//! milliseconds before its echo on an idle machine and after it on a busy one, and then the
//! canceller took almost nothing off.
//!
//! Bad input loses nothing: samples that are not finite are taken as silence and everything is
//! kept within ±1 before the module sees it; a speaker that stops (no more reference) leaves the
//! echo canceller with nothing to cancel, never with garbage.

use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use sonora::config::{
    EchoCanceller, FixedDigital, GainController2, HighPassFilter, MaxProcessingRate, NoiseSuppression, Pipeline,
};
use sonora::{AudioProcessing, Config, StreamConfig};

use super::frame::{AudioFrame, SAMPLE_RATE};
use super::sink::Played;

/// Samples in one 10 ms step at 48 kHz.
const STEP: usize = SAMPLE_RATE as usize / 100;
/// What the echo canceller is told about the time from a reference frame to its echo in the
/// microphone (the mixer's pacing, the device's buffers): a starting point only, AEC3 finds the
/// real delay itself.
const DELAY_HINT_MS: i32 = 60;
/// Gain after AGC2's adaptive stage (see [`AudioProcessingConfig::module_config`]).
const AGC_FIXED_GAIN_DB: f32 = 4.0;

/// Which stages run. All are on unless the person (Settings) or a flag turns one off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AudioProcessingConfig {
    /// Acoustic echo cancellation against what the speaker plays.
    pub echo_cancellation: bool,
    /// Noise suppression.
    pub noise_suppression: bool,
    /// Automatic gain control (a quiet or a loud microphone leaves at a speaking level).
    pub gain_control: bool,
}

impl Default for AudioProcessingConfig {
    fn default() -> Self {
        Self { echo_cancellation: true, noise_suppression: true, gain_control: true }
    }
}

impl AudioProcessingConfig {
    /// Every stage off: the microphone goes to Opus as it is.
    pub const OFF: Self = Self { echo_cancellation: false, noise_suppression: false, gain_control: false };

    fn any(&self) -> bool {
        self.echo_cancellation || self.noise_suppression || self.gain_control
    }

    fn module_config(&self) -> Config {
        Config {
            // The whole band Opus carries: the module's default stops at 16 kHz.
            pipeline: Pipeline { maximum_internal_processing_rate: MaxProcessingRate::Rate48kHz, ..Default::default() },
            high_pass_filter: Some(HighPassFilter::default()),
            echo_canceller: self.echo_cancellation.then(EchoCanceller::default),
            noise_suppression: self.noise_suppression.then(NoiseSuppression::default),
            // AGC2's adaptive gain with its defaults settles a talker near -22 dBFS; a fixed 4 dB
            // after it (before its limiter) brings speech to about -18 dBFS, where a meeting's
            // voices sit.
            gain_controller2: self.gain_control.then(|| GainController2 {
                adaptive_digital: Some(Default::default()),
                fixed_digital: FixedDigital { gain_db: AGC_FIXED_GAIN_DB },
                ..Default::default()
            }),
            ..Default::default()
        }
    }
}

struct State {
    module: AudioProcessing,
    /// Reference samples waiting for a whole step.
    render_in: Vec<f32>,
    /// What the sound card played, when it can tell (the reference, taken as it comes).
    played: Option<Played>,
    channels: u16,
    /// Microphone frames processed (for a statistics line now and then).
    frames: u64,
    /// One 10 ms step of the microphone per channel, in and out, kept between frames.
    planes_in: Vec<[f32; STEP]>,
    planes_out: Vec<[f32; STEP]>,
}

/// The meeting's audio processing, shared by the capture thread and the mixer.
#[derive(Clone)]
pub struct AudioProcessor {
    state: Arc<Mutex<State>>,
    config: AudioProcessingConfig,
}

impl std::fmt::Debug for AudioProcessor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AudioProcessor").field("config", &self.config).finish()
    }
}

/// Keeps a sample the module can take: finite, within ±1.
fn sane(s: f32) -> f32 {
    if s.is_finite() { s.clamp(-1.0, 1.0) } else { 0.0 }
}

impl AudioProcessor {
    /// A processor for a microphone of `channels` (1 or 2) channels; None when every stage is
    /// off.
    pub fn new(config: AudioProcessingConfig, channels: u16) -> Option<Self> {
        if !config.any() {
            return None;
        }
        let channels = channels.clamp(1, 2);
        let mut module = AudioProcessing::builder()
            .config(config.module_config())
            .capture_config(StreamConfig::new(SAMPLE_RATE, channels))
            .render_config(StreamConfig::new(SAMPLE_RATE, 1))
            .build();
        let _ = module.set_stream_delay_ms(DELAY_HINT_MS);
        let state = State {
            module,
            render_in: Vec::new(),
            played: None,
            channels,
            frames: 0,
            planes_in: vec![[0.0; STEP]; usize::from(channels)],
            planes_out: vec![[0.0; STEP]; usize::from(channels)],
        };
        Some(Self { state: Arc::new(Mutex::new(state)), config })
    }

    /// The stages this processor runs.
    pub fn config(&self) -> AudioProcessingConfig {
        self.config
    }

    /// What the speaker is about to play (mono or stereo, 48 kHz): the echo canceller's
    /// reference, for a speaker that cannot say what it really played.
    pub fn render(&self, frame: &AudioFrame) {
        if frame.channels() == 1 {
            self.render_mono(frame.samples());
        } else {
            let mono: Vec<f32> = frame.samples().chunks_exact(2).map(|p| 0.5 * (p[0] + p[1])).collect();
            self.render_mono(&mono);
        }
    }

    /// What the speaker played (mono, 48 kHz, in order): the echo canceller's reference.
    fn render_mono(&self, samples: &[f32]) {
        if !self.config.echo_cancellation || samples.is_empty() {
            return;
        }
        let Ok(mut st) = self.state.lock() else { return };
        st.render_in.extend(samples.iter().map(|&s| sane(s)));
        Self::render_steps(&mut st);
    }

    /// Takes the reference from what the sound card reports it played, from now on: handed to
    /// the canceller before every microphone step, and whenever [`AudioProcessor::render_played`]
    /// is called.
    pub fn follow(&self, played: Played) {
        if !self.config.echo_cancellation {
            return;
        }
        if let Ok(mut st) = self.state.lock() {
            st.played = Some(played);
        }
    }

    /// Hands the canceller what the card played since it was last asked (see
    /// [`AudioProcessor::follow`]).
    pub fn render_played(&self) {
        if let Ok(mut st) = self.state.lock() {
            Self::take_played(&mut st);
        }
    }

    /// Moves what the followed card played into the reference. Under the state's lock, so that
    /// whoever takes it (the mixer, the capture thread) keeps the order it was played in.
    fn take_played(st: &mut State) {
        let Some(played) = st.played.clone() else { return };
        let from = st.render_in.len();
        played.take_into(&mut st.render_in);
        for s in &mut st.render_in[from..] {
            *s = sane(*s);
        }
        Self::render_steps(st);
    }

    /// Hands every whole step of the waiting reference to the module.
    fn render_steps(st: &mut State) {
        let mut out = [0.0f32; STEP];
        let whole = st.render_in.len() / STEP * STEP;
        for step in st.render_in[..whole].chunks_exact(STEP) {
            if let Err(e) = st.module.process_render_f32(&[step], &mut [&mut out]) {
                tracing::debug!("echo reference refused: {e:?}");
            }
        }
        st.render_in.drain(..whole);
    }

    /// One microphone frame, cleaned. Its length and capture time are kept: a frame whose
    /// samples do not fill whole 10 ms steps (never the case for 10 and 20 ms frames) comes back
    /// as it was.
    pub fn capture(&self, frame: AudioFrame) -> AudioFrame {
        let Ok(mut st) = self.state.lock() else { return frame };
        let st = &mut *st;
        let channels = usize::from(st.channels);
        if frame.channels() != st.channels || !frame.samples().len().is_multiple_of(STEP * channels) {
            return frame;
        }
        // Whatever the card took before this frame was captured, first: its echo may be in it.
        Self::take_played(st);
        let capture_us = frame.capture_us;
        let mut out = Vec::with_capacity(frame.samples().len());
        let (planes_in, planes_out) = (&mut st.planes_in, &mut st.planes_out);
        for step in frame.samples().chunks_exact(STEP * channels) {
            for (i, s) in step.iter().enumerate() {
                planes_in[i % channels][i / channels] = sane(*s);
            }
            let refused = match channels {
                1 => st.module.process_capture_f32(&[&planes_in[0]], &mut [&mut planes_out[0]]),
                _ => {
                    let [l, r] = &mut planes_out[..] else { unreachable!("one or two channels") };
                    st.module.process_capture_f32(&[&planes_in[0], &planes_in[1]], &mut [l, r])
                }
            }
            .is_err();
            if refused {
                // The module refused the step: it goes on as it came, never as silence.
                planes_out.copy_from_slice(planes_in);
            }
            for i in 0..STEP {
                out.extend(planes_out.iter().map(|p| sane(p[i])));
            }
        }
        st.frames += 1;
        if st.frames.is_multiple_of(50) {
            let stats = st.module.statistics();
            tracing::debug!(
                "echo canceller: ERL {:?} dB, ERLE {:?} dB, delay {:?} ms, {} reference samples waiting",
                stats.echo_return_loss,
                stats.echo_return_loss_enhancement,
                stats.delay_ms,
                st.render_in.len()
            );
        }
        AudioFrame::new(out, st.channels, capture_us).unwrap_or(frame)
    }

    /// The echo canceller's view, when it has one: echo return loss enhancement in dB.
    pub fn erle_db(&self) -> Option<f64> {
        let st = self.state.lock().ok()?;
        st.module.statistics().echo_return_loss_enhancement
    }
}

#[cfg(test)]
mod tests;
