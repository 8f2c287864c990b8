//! The local loopback pipeline behind `trygg demo`: source → encoder → decoder on one machine,
//! measured at every stage.
//!
//! Each medium runs on two threads, as in a meeting: a capture thread (which blocks on the device
//! or the pacing clock) hands frames through a small bounded queue to a processing thread. When
//! processing falls behind, capture drops frames rather than building up latency; the report
//! counts them.

use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::thread;

use serde::Serialize;

use super::MediaError;
use super::analysis::{detect_clicks, dominant_frequency, psnr_luma};
use super::clock::SharedClock;
use super::frame::{AudioFrame, FrameDuration, SAMPLE_RATE, VideoFrame};
use super::h264::{H264Config, H264Decoder, H264Encoder};
use super::opus::{OpusConfig, OpusDecoder, OpusEncoder};
use super::pixel_stamp;
use super::sink::AudioSink;
use super::source::{AudioSource, Source, SourceInfo, SourceKind, VideoSource};
use super::stats::Percentiles;
use super::synthetic_audio::CLICK_PERIOD_US;

/// Per-stage latency of the video path, in milliseconds.
#[derive(Debug, Clone, Serialize)]
pub struct VideoLatency {
    /// From the capture timestamp until the encoder returned (queueing and encoding).
    pub capture_to_encoded_ms: Percentiles,
    /// From the encoder's output until the decoder returned.
    pub encoded_to_decoded_ms: Percentiles,
    /// Whole path.
    pub capture_to_decoded_ms: Percentiles,
    /// Time inside the encoder alone.
    pub encode_ms: Percentiles,
    /// Time inside the decoder alone.
    pub decode_ms: Percentiles,
    /// Age of each decoded picture by the timestamp read from its own pixels (synthetic only).
    pub glass_to_glass_ms: Option<Percentiles>,
}

/// What the video path did.
#[derive(Debug, Clone, Serialize)]
pub struct VideoReport {
    /// The source.
    pub source: SourceInfo,
    /// Picture size of the first frame.
    pub width: u32,
    /// Picture height of the first frame.
    pub height: u32,
    /// Frames the source produced.
    pub captured: u64,
    /// Frames dropped because processing fell behind.
    pub dropped_at_capture: u64,
    /// Frames encoded (not skipped by rate control).
    pub encoded: u64,
    /// Frames rate control skipped.
    pub skipped: u64,
    /// Keyframes among the encoded ones.
    pub keyframes: u64,
    /// Frames decoded.
    pub decoded: u64,
    /// Pixel stamps read back intact (synthetic source).
    pub stamps_read: u64,
    /// Encoded bits per second over the run.
    pub bitrate_kbps: f64,
    /// Luma PSNR of decoded against source pictures.
    pub psnr_db: Percentiles,
    /// Stage latencies.
    pub latency: VideoLatency,
}

/// What the audio path did.
#[derive(Debug, Clone, Serialize)]
pub struct AudioReport {
    /// The source.
    pub source: SourceInfo,
    /// Frames captured.
    pub captured: u64,
    /// Frames dropped because processing fell behind.
    pub dropped_at_capture: u64,
    /// Packets encoded.
    pub encoded: u64,
    /// Encoded bits per second.
    pub bitrate_kbps: f64,
    /// Microseconds inside the encoder per frame.
    pub encode_us: Percentiles,
    /// Microseconds inside the decoder per frame.
    pub decode_us: Percentiles,
    /// Strongest frequency in the decoded audio.
    pub dominant_hz: f32,
    /// RMS level of the decoded audio (0..1).
    pub rms: f32,
    /// Synthetic clicks heard in the decoded audio.
    pub clicks_heard: usize,
    /// From a click's capture (a whole second on the capture clock) until the frame carrying it
    /// was decoded, in milliseconds (synthetic source).
    pub click_latency_ms: Option<Percentiles>,
}

/// The whole run.
#[derive(Debug, Clone, Serialize)]
pub struct LoopbackReport {
    /// Seconds the run lasted.
    pub seconds: f64,
    /// The video path, if there was one.
    pub video: Option<VideoReport>,
    /// The audio path, if there was one.
    pub audio: Option<AudioReport>,
}

/// Settings of a run.
pub struct Loopback {
    /// Video source (None: no video).
    pub video: Option<VideoSource>,
    /// Audio source (None: no audio).
    pub audio: Option<AudioSource>,
    /// Where decoded audio is played (None: nowhere).
    pub speaker: Option<Box<dyn AudioSink>>,
    /// H.264 settings.
    pub h264: H264Config,
    /// Opus settings.
    pub opus: OpusConfig,
    /// How long to run.
    pub seconds: f64,
    /// The clock that timestamps and paces everything.
    pub clock: SharedClock,
}

struct Captured<F> {
    rx: Receiver<F>,
    info: SourceInfo,
    handle: thread::JoinHandle<Result<(u64, u64), MediaError>>,
}

/// Runs `source` on its own thread until `end_us`, handing frames over a queue of `depth`.
fn capture<F: Send + 'static>(
    mut source: Box<dyn Source<Frame = F>>,
    clock: SharedClock,
    end_us: u64,
    depth: usize,
) -> Captured<F> {
    let info = source.info();
    let (tx, rx): (SyncSender<F>, Receiver<F>) = sync_channel(depth);
    let handle = thread::Builder::new()
        .name(format!("capture {}", info.name))
        .spawn(move || {
            let (mut captured, mut dropped) = (0u64, 0u64);
            while clock.now_us() < end_us {
                let Some(frame) = source.next_frame()? else { break };
                captured += 1;
                match tx.try_send(frame) {
                    Ok(()) => {}
                    Err(TrySendError::Full(_)) => dropped += 1,
                    Err(TrySendError::Disconnected(_)) => break,
                }
            }
            Ok((captured, dropped))
        })
        .expect("spawning a thread");
    Captured { rx, info, handle }
}

fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

fn finish<F>(c: Captured<F>) -> Result<(SourceInfo, u64, u64), MediaError> {
    drop(c.rx);
    let (captured, dropped) = c.handle.join().map_err(|_| MediaError::Closed)??;
    Ok((c.info, captured, dropped))
}

impl Loopback {
    /// Runs the pipeline and reports. A failing source ends its own path with an error; the
    /// other path is unaffected but the run returns the first error.
    pub fn run(self) -> Result<LoopbackReport, MediaError> {
        let clock = self.clock.clone();
        let start = clock.now_us();
        let end = start + (self.seconds * 1e6) as u64;
        let video = self.video.map(|s| capture(s, clock.clone(), end, 2));
        let audio = self.audio.map(|s| capture(s, clock.clone(), end, 8));
        let (h264, opus, speaker) = (self.h264, self.opus, self.speaker);
        let audio_clock = clock.clone();
        let audio_thread = audio.map(|a| {
            thread::Builder::new()
                .name("audio pipeline".into())
                .spawn(move || run_audio(a, opus, speaker, audio_clock))
                .expect("spawning a thread")
        });
        let video_report = video.map(|v| run_video(v, h264, &clock)).transpose();
        let audio_report = audio_thread.map(|t| t.join().map_err(|_| MediaError::Closed)?).transpose();
        let seconds = ms(clock.now_us() - start) / 1000.0;
        Ok(LoopbackReport { seconds, video: video_report?, audio: audio_report? })
    }
}

fn run_video(c: Captured<VideoFrame>, config: H264Config, clock: &SharedClock) -> Result<VideoReport, MediaError> {
    let synthetic = c.info.kind == SourceKind::Synthetic;
    let mut enc = H264Encoder::new(config)?;
    let mut dec = H264Decoder::new()?;
    let (mut encoded, mut skipped, mut keyframes, mut decoded, mut stamps, mut bytes) = (0, 0, 0, 0, 0, 0u64);
    let (mut to_enc, mut to_dec, mut total, mut enc_t, mut dec_t, mut g2g, mut psnr) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    let (mut size, mut first_us, mut last_us) = (None, None, 0);
    for frame in c.rx.iter() {
        size.get_or_insert((frame.width(), frame.height()));
        first_us.get_or_insert(frame.capture_us);
        last_us = frame.capture_us;
        let t0 = clock.now_us();
        let Some(out) = enc.encode(&frame)? else {
            skipped += 1;
            continue;
        };
        let t1 = clock.now_us();
        encoded += 1;
        keyframes += u64::from(out.keyframe);
        bytes += out.data.len() as u64;
        enc_t.push(ms(t1 - t0));
        to_enc.push(ms(t1.saturating_sub(frame.capture_us)));
        let picture = dec.decode(&out.data)?;
        let t2 = clock.now_us();
        if let Some(picture) = picture {
            decoded += 1;
            dec_t.push(ms(t2 - t1));
            to_dec.push(ms(t2 - t1));
            total.push(ms(t2.saturating_sub(frame.capture_us)));
            let got = picture.to_frame(frame.capture_us, frame.seq)?;
            if let Some(p) = psnr_luma(&frame, &got) {
                psnr.push(p);
            }
            if let Some(stamp) = pixel_stamp::read(&got) {
                stamps += 1;
                if let Some(age) = stamp.age_us(t2) {
                    g2g.push(ms(age));
                }
            }
        }
    }
    let (source, captured, dropped) = finish(c)?;
    let span_s = first_us.map_or(0.0, |f| (last_us - f) as f64 / 1e6 + 1.0 / f64::from(config.fps));
    let (width, height) = size.unwrap_or_default();
    Ok(VideoReport {
        source,
        width,
        height,
        captured,
        dropped_at_capture: dropped,
        encoded,
        skipped,
        keyframes,
        decoded,
        stamps_read: stamps,
        bitrate_kbps: if span_s > 0.0 { bytes as f64 * 8.0 / span_s / 1000.0 } else { 0.0 },
        psnr_db: Percentiles::of(&psnr),
        latency: VideoLatency {
            capture_to_encoded_ms: Percentiles::of(&to_enc),
            encoded_to_decoded_ms: Percentiles::of(&to_dec),
            capture_to_decoded_ms: Percentiles::of(&total),
            encode_ms: Percentiles::of(&enc_t),
            decode_ms: Percentiles::of(&dec_t),
            glass_to_glass_ms: synthetic.then(|| Percentiles::of(&g2g)),
        },
    })
}

fn run_audio(
    c: Captured<AudioFrame>,
    config: OpusConfig,
    mut speaker: Option<Box<dyn AudioSink>>,
    clock: SharedClock,
) -> Result<AudioReport, MediaError> {
    let synthetic = c.info.kind == SourceKind::Synthetic;
    let mut enc = OpusEncoder::new(config)?;
    let mut dec = OpusDecoder::new(config.channels, config.frame)?;
    let frame_len = config.frame.samples_per_channel();
    let (mut encoded, mut bytes) = (0u64, 0u64);
    let (mut enc_t, mut dec_t) = (vec![], vec![]);
    // Decoded audio kept for analysis (up to a minute), with the decode time of each frame.
    let mut heard: Vec<f32> = Vec::new();
    let mut decoded_at: Vec<u64> = Vec::new();
    let mut first_capture: Option<u64> = None;
    for frame in c.rx.iter() {
        let frame = if frame.channels() == config.channels {
            frame
        } else {
            let mut mono = Vec::new();
            super::resample::downmix(frame.samples(), usize::from(frame.channels()), &mut mono);
            AudioFrame::new(mono, 1, frame.capture_us)?
        };
        first_capture.get_or_insert(frame.capture_us);
        let t0 = clock.now_us();
        let packet = enc.encode(&frame)?;
        let t1 = clock.now_us();
        let out = dec.decode(&packet.data, packet.capture_us)?;
        let t2 = clock.now_us();
        encoded += 1;
        bytes += packet.data.len() as u64;
        enc_t.push((t1 - t0) as f64);
        dec_t.push((t2 - t1) as f64);
        if let Some(s) = speaker.as_mut() {
            s.play(&out)?;
        }
        if heard.len() < 60 * SAMPLE_RATE as usize {
            heard.extend_from_slice(out.samples());
            decoded_at.push(t2);
        }
    }
    let (source, captured, dropped) = finish(c)?;
    let rms =
        if heard.is_empty() { 0.0 } else { (heard.iter().map(|s| s * s).sum::<f32>() / heard.len() as f32).sqrt() };
    let clicks = detect_clicks(&heard);
    let click_latency_ms = (synthetic && first_capture.is_some()).then(|| {
        let start = first_capture.unwrap_or_default();
        let lat: Vec<f64> = clicks
            .iter()
            .filter_map(|&onset| {
                let frame_idx = onset / frame_len;
                let decoded = *decoded_at.get(frame_idx)?;
                // The click left the source at the last whole period before the frame was captured.
                let onset_capture_us = start + onset as u64 * 1_000_000 / u64::from(SAMPLE_RATE);
                let sent = onset_capture_us / CLICK_PERIOD_US * CLICK_PERIOD_US;
                Some(ms(decoded.saturating_sub(sent)))
            })
            .collect();
        Percentiles::of(&lat)
    });
    let seconds = encoded as f64 * config.frame.micros() as f64 / 1e6;
    Ok(AudioReport {
        source,
        captured,
        dropped_at_capture: dropped,
        encoded,
        bitrate_kbps: if seconds > 0.0 { bytes as f64 * 8.0 / seconds / 1000.0 } else { 0.0 },
        encode_us: Percentiles::of(&enc_t),
        decode_us: Percentiles::of(&dec_t),
        dominant_hz: if heard.len() > 4_800 {
            let mid = heard.len() / 2;
            dominant_frequency(&heard[mid..(mid + 48_000).min(heard.len())])
        } else {
            0.0
        },
        rms,
        clicks_heard: clicks.len(),
        click_latency_ms,
    })
}

/// The default frame length of the audio path.
pub const AUDIO_FRAME: FrameDuration = FrameDuration::Ms20;
