//! One remote participant's audio from packets to samples: the core's playout buffer decides,
//! this decodes (Opus, with its loss concealment and FEC) and stretches, and hands the mixer
//! exactly the samples it asks for. The participant's decode thread inserts packets as they come;
//! the mixer pulls every 20 ms; both hold the same lock briefly.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use trygg_core::media::time_stretch;
use trygg_core::rtp::jitter_buffer::{Decision, JitterBuffer, PlayoutStats, Stretch};
use trygg_core::rtp::lip_sync::LipSync;

use super::incoming::IncomingStats;
use crate::media::frame::FrameDuration;
use crate::media::opus::OpusDecoder;
use crate::media::wav::WavWriter;

/// A participant's playout: buffer, decoder and what is decoded but not yet played.
pub struct Playout {
    buffer: JitterBuffer,
    decoder: OpusDecoder,
    ready: VecDeque<f32>,
    stats: Option<Arc<IncomingStats>>,
    record: Option<WavWriter>,
    started: bool,
    sync: Option<Arc<Mutex<LipSync>>>,
}

/// What a participant's playout did, for the meeting's statistics.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlayoutFigures {
    /// How much the buffer aims to hold (ms): 95 % of packets arrive within it.
    pub target_ms: f64,
    /// How long the audio now playing was held beyond its quickest possible arrival (ms): the
    /// delay the playout adds.
    pub delay_ms: f64,
    /// The buffer's counters.
    pub counts: PlayoutStats,
}

impl Playout {
    /// An idle playout for one participant (mono).
    pub fn new() -> Result<Self, crate::media::MediaError> {
        Ok(Self {
            buffer: JitterBuffer::new(),
            decoder: OpusDecoder::new(1, FrameDuration::Ms20)?,
            ready: VecDeque::new(),
            stats: None,
            record: None,
            started: false,
            sync: None,
        })
    }

    /// Counts decoded audio, its level and its first moment in `stats`.
    pub fn count_in(&mut self, stats: Arc<IncomingStats>) {
        self.stats = Some(stats);
    }

    /// Tells `sync` which of the participant's audio is heard when (for their pictures to meet it).
    pub fn sync_to(&mut self, sync: Arc<Mutex<LipSync>>) {
        self.sync = Some(sync);
    }

    /// Writes what is played for this participant to `wav` (from its first audio on).
    pub fn record_to(&mut self, wav: WavWriter) {
        self.record = Some(wav);
    }

    /// Takes one packet's decrypted Opus payload, arrived at `now`.
    pub fn insert(&mut self, seq: u16, timestamp: u32, opus: Bytes, now: Duration) {
        self.buffer.insert(seq, timestamp, opus, now);
    }

    /// Fills `out` (mono, 48 kHz) with what is to be played from `now` on, heard at `heard`.
    pub fn pull(&mut self, out: &mut [f32], now: Duration, heard: Duration) {
        while self.ready.len() < out.len() {
            let decision = self.buffer.next(now);
            let before = self.ready.len();
            self.play(decision, now);
            if self.ready.len() == before {
                // Nothing came of it (a decoder error): a frame of silence keeps time.
                self.ready.extend(std::iter::repeat_n(0.0, 960));
            }
        }
        let n = out.len();
        for (o, s) in out.iter_mut().zip(self.ready.drain(..n)) {
            *o = s;
        }
        if let Some(sync) = &self.sync
            && let Ok(mut sync) = sync.lock()
        {
            // The first sample of `out` came this far before the playhead (stretching moves
            // it by at most a pitch period).
            let before = (self.ready.len() + n) as u32;
            sync.audio_heard(self.buffer.playhead().map(|ts| (heard, ts.wrapping_sub(before))));
        }
        if self.started
            && let Some(w) = self.record.as_mut()
            && let Err(e) = w.write(out)
        {
            tracing::warn!("recording stopped: {e}");
            self.record = None;
        }
    }

    fn play(&mut self, decision: Decision, now: Duration) {
        let decoded = match decision {
            Decision::Decode { payload, stretch } => match self.decoder.decode_any(&payload) {
                Ok(pcm) => {
                    let stretched = match stretch {
                        Stretch::None => None,
                        Stretch::Shorten => time_stretch::shorten(pcm),
                        Stretch::Lengthen => time_stretch::lengthen(pcm),
                    };
                    if let Some(s) = &self.stats {
                        s.audio_packets.fetch_add(1, Ordering::Relaxed);
                        s.note_audio_level(rms(pcm));
                        let us = now.as_micros() as u64;
                        let _ = s.first_audio_us.compare_exchange(0, us, Ordering::Relaxed, Ordering::Relaxed);
                    }
                    self.started = true;
                    match stretched {
                        Some(s) => {
                            self.buffer.stretched(s.len() as i64 - pcm.len() as i64);
                            self.ready.extend(s);
                        }
                        None => self.ready.extend(pcm.iter().copied()),
                    }
                    return;
                }
                Err(e) => {
                    tracing::debug!("audio packet did not decode: {e}");
                    self.decoder.conceal_any(960, None)
                }
            },
            Decision::Fec { payload, samples } => self.decoder.conceal_any(samples as usize, Some(&payload)),
            Decision::Conceal { samples } | Decision::ComfortNoise { samples } => {
                self.decoder.conceal_any(samples as usize, None)
            }
            Decision::Silence { samples } => {
                self.ready.extend(std::iter::repeat_n(0.0, samples as usize));
                return;
            }
        };
        match decoded {
            Ok(pcm) => self.ready.extend(pcm.iter().copied()),
            Err(e) => tracing::debug!("audio concealment failed: {e}"),
        }
    }

    /// What the playout did so far.
    pub fn figures(&self) -> PlayoutFigures {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        PlayoutFigures {
            target_ms: ms(self.buffer.target()),
            delay_ms: ms(self.buffer.delay()) + self.ready.len() as f64 / 48.0,
            counts: self.buffer.stats().clone(),
        }
    }
}

fn rms(pcm: &[f32]) -> f32 {
    if pcm.is_empty() {
        return 0.0;
    }
    (pcm.iter().map(|s| s * s).sum::<f32>() / pcm.len() as f32).sqrt()
}

impl Drop for Playout {
    fn drop(&mut self) {
        if let Some(w) = self.record.take() {
            let _ = w.finish();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::AudioFrame;
    use crate::media::opus::{OpusConfig, OpusEncoder};

    const TONE_RMS: f32 = 0.5 / std::f32::consts::SQRT_2;

    /// `seconds` of a 440 Hz tone as Opus packets of 20 ms.
    fn tone_packets(seconds: u32) -> Vec<Bytes> {
        let mut enc = OpusEncoder::new(OpusConfig::default()).unwrap();
        (0..seconds * 50)
            .map(|i| {
                let samples: Vec<f32> = (0..960)
                    .map(|k| {
                        let n = (i * 960 + k) as f32;
                        0.5 * (2.0 * std::f32::consts::PI * 440.0 * n / 48_000.0).sin()
                    })
                    .collect();
                let frame = AudioFrame::new(samples, 1, u64::from(i) * 20_000).unwrap();
                Bytes::from(enc.encode(&frame).unwrap().data)
            })
            .collect()
    }

    /// Sends `packets` every 20 ms through a network that delays packet `i` by 30 ms plus
    /// `delay(i)` (None: lost) to a playout pulled every 20 ms; what it played.
    fn play(packets: &[Bytes], delay: impl Fn(usize) -> Option<u64>) -> (Vec<f32>, Playout) {
        let mut arrivals: Vec<(u64, usize)> =
            (0..packets.len()).filter_map(|i| Some((i as u64 * 20_000 + 30_000 + delay(i)? * 1000, i))).collect();
        arrivals.sort();
        let mut playout = Playout::new().unwrap();
        let mut out = Vec::new();
        let mut next = arrivals.into_iter().peekable();
        let mut t = 7_000u64;
        let end = packets.len() as u64 * 20_000;
        while t < end {
            while let Some((at, i)) = next.next_if(|(at, _)| *at <= t) {
                playout.insert(i as u16, i as u32 * 960, packets[i].clone(), Duration::from_micros(at));
            }
            let mut frame = [0.0f32; 960];
            playout.pull(&mut frame, Duration::from_micros(t), Duration::from_micros(t));
            out.extend_from_slice(&frame);
            t += 20_000;
        }
        (out, playout)
    }

    /// 10 ms blocks, from the first sound on (and the first half second after it skipped, while
    /// the decoder settles), whose level fell below half the tone's: dropouts a listener hears.
    fn dropouts(out: &[f32]) -> usize {
        let start = out.iter().position(|s| s.abs() > 0.01).expect("something played") + 24_000;
        out[start..out.len() - 4_800]
            .chunks(480)
            .filter(|b| (b.iter().map(|s| s * s).sum::<f32>() / b.len() as f32).sqrt() < TONE_RMS / 2.0)
            .count()
    }

    #[test]
    fn a_steady_stream_plays_without_a_single_dropout() {
        let packets = tone_packets(6);
        let (out, playout) = play(&packets, |_| Some(0));
        assert_eq!(dropouts(&out), 0);
        let f = playout.figures();
        assert_eq!((f.counts.concealed, f.counts.late, f.counts.flushed), (0, 0, 0), "{f:?}");
        assert_eq!(crate::media::analysis::dominant_frequency(&out[48_000..96_000]), 440.0);
        assert!(f.delay_ms <= 40.0, "{f:?}");
    }

    #[test]
    fn fifty_ms_of_jitter_plays_with_almost_no_dropouts_at_the_same_pitch() {
        let packets = tone_packets(10);
        let mut x = 0x2545_f491u64;
        let jitter: Vec<u64> = (0..packets.len())
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x % 51
            })
            .collect();
        let (out, playout) = play(&packets, |i| Some(jitter[i]));
        let blocks = (out.len() - 28_800) / 480;
        let d = dropouts(&out);
        assert!(d * 100 <= blocks, "{d} of {blocks} blocks dropped out: {:?}", playout.figures());
        let f = playout.figures();
        assert!(f.target_ms >= 50.0 && f.target_ms <= 75.0, "{f:?}");
        assert!(f.counts.accelerated + f.counts.decelerated > 0, "{f:?}");
        assert_eq!(crate::media::analysis::dominant_frequency(&out[240_000..288_000]), 440.0);
    }

    #[test]
    fn lost_packets_are_concealed_and_a_missing_stream_is_silence_not_noise() {
        let packets = tone_packets(6);
        let (out, playout) = play(&packets, |i| (i % 10 != 5).then_some(0));
        let f = playout.figures();
        assert!(f.counts.fec >= 25, "the packet after each loss was there for its FEC: {f:?}");
        assert!(dropouts(&out) <= 6, "{} {f:?}", dropouts(&out));
        // Nothing at all: silence, exactly.
        let (out, _) = play(&packets, |_| None);
        assert!(out.iter().all(|&s| s == 0.0));
    }

    #[test]
    fn garbage_in_place_of_opus_is_concealed_and_never_panics() {
        let mut packets = tone_packets(2);
        for (i, p) in packets.iter_mut().enumerate().filter(|(i, _)| i % 7 == 3) {
            *p = Bytes::from(vec![0xff; 3 + i % 5]);
        }
        let (out, _) = play(&packets, |_| Some(0));
        assert!(out.iter().all(|s| s.is_finite() && s.abs() <= 1.0));
    }
}
