//! Microphones and speakers through cpal (ALSA, and PulseAudio/PipeWire through ALSA, on Linux;
//! CoreAudio on macOS; WASAPI on Windows).
//!
//! The device callbacks never block and never allocate in steady state: the microphone callback
//! downmixes and resamples into a bounded queue (dropping, and counting, what the reader is too
//! slow to take); the speaker callback drains a bounded queue and plays silence on underrun.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{FromSample, SampleFormat, SizedSample, StreamConfig};

use super::MediaError;
use super::clock::SharedClock;
use super::devices::{AudioDevice, AudioFormats};
use super::error::DeviceKind;
use super::frame::{AudioFrame, FrameDuration, SAMPLE_RATE};
use super::resample::{Resampler, downmix};
use super::sink::{AudioSink, DeviceQueue, Played};
use super::source::{Source, SourceInfo, SourceKind};

fn map_err(e: cpal::Error, kind: DeviceKind, name: &str) -> MediaError {
    use cpal::ErrorKind as K;
    match e.kind() {
        K::DeviceBusy => MediaError::DeviceBusy { kind, name: name.to_owned() },
        K::PermissionDenied => MediaError::PermissionDenied { kind, how: super::error::GRANT_IN_PRIVACY_SETTINGS },
        K::DeviceNotAvailable => MediaError::DeviceNotFound { kind, id: name.to_owned() },
        _ => MediaError::DeviceFailed { kind, detail: e.to_string() },
    }
}

/// ALSA lists plugins that are not devices a person would pick.
fn is_listable(name: &str) -> bool {
    !matches!(name, "null" | "lavrate" | "samplerate" | "speexrate" | "upmix" | "vdownmix" | "jack" | "oss")
}

fn describe(device: &cpal::Device) -> (String, String) {
    let id = device.id().map(|i| i.id().to_string()).unwrap_or_default();
    (id, device.to_string())
}

/// Lists microphones and speakers.
pub fn list() -> Result<(Vec<AudioDevice>, Vec<AudioDevice>), MediaError> {
    let host = cpal::default_host();
    let devices = host.devices().map_err(|e| map_err(e, DeviceKind::Microphone, "audio host"))?;
    let default_in = host.default_input_device().map(|d| describe(&d).0);
    let default_out = host.default_output_device().map(|d| describe(&d).0);
    let (mut mics, mut speakers) = (vec![], vec![]);
    for d in devices {
        let (id, name) = describe(&d);
        if !is_listable(&id) {
            continue;
        }
        let ranges = |r: Vec<cpal::SupportedStreamConfigRange>| -> AudioFormats {
            let mut f = AudioFormats::default();
            for c in r {
                f.add(c.channels(), c.min_sample_rate(), c.max_sample_rate(), c.sample_format().to_string());
            }
            f
        };
        if let Ok(cfgs) = d.supported_input_configs() {
            let formats = ranges(cfgs.collect());
            if !formats.is_empty() {
                mics.push(AudioDevice {
                    is_default: default_in.as_ref() == Some(&id),
                    id: id.clone(),
                    name: name.clone(),
                    formats,
                });
            }
        }
        if let Ok(cfgs) = d.supported_output_configs() {
            let formats = ranges(cfgs.collect());
            if !formats.is_empty() {
                speakers.push(AudioDevice { is_default: default_out.as_ref() == Some(&id), id, name, formats });
            }
        }
    }
    Ok((mics, speakers))
}

fn find(id: Option<&str>, kind: DeviceKind) -> Result<cpal::Device, MediaError> {
    let host = cpal::default_host();
    let found = match id {
        None | Some("default") => match kind {
            DeviceKind::Speaker => host.default_output_device(),
            _ => host.default_input_device(),
        },
        Some(want) => host.devices().map_err(|e| map_err(e, kind, want))?.find(|d| {
            let (i, n) = describe(d);
            i == want || n == want
        }),
    };
    found.ok_or_else(|| match id {
        None | Some("default") => {
            MediaError::NoDevice { kind, hint: Some("`trygg devices` shows what the system offers") }
        }
        Some(want) => MediaError::DeviceNotFound { kind, id: want.to_owned() },
    })
}

struct Captured {
    queue: VecDeque<(u64, Vec<f32>)>,
    error: Option<String>,
}

/// An open microphone delivering 48 kHz mono frames.
pub struct Microphone {
    _stream: cpal::Stream,
    name: String,
    native: (u32, u16),
    shared: Arc<(Mutex<Captured>, Condvar)>,
    pending: Vec<f32>,
    pending_start_us: u64,
    duration: FrameDuration,
    dropped: Arc<AtomicU64>,
    /// `dropped` when it was last told.
    dropped_seen: u64,
}

/// How much captured audio may wait for a slow reader before the oldest is dropped.
const MAX_QUEUED_CHUNKS: usize = 64;
/// How long a reader waits for audio before calling the microphone dead.
const SILENCE_TIMEOUT: Duration = Duration::from_secs(3);

impl Microphone {
    /// Opens the microphone `id` (None or "default": the system default).
    pub fn open(id: Option<&str>, duration: FrameDuration, clock: SharedClock) -> Result<Self, MediaError> {
        let kind = DeviceKind::Microphone;
        let device = find(id, kind)?;
        let name = device.to_string();
        let config = device.default_input_config().map_err(|e| map_err(e, kind, &name))?;
        let native = (config.sample_rate(), config.channels());
        let shared = Arc::new((Mutex::new(Captured { queue: VecDeque::new(), error: None }), Condvar::new()));
        let dropped = Arc::new(AtomicU64::new(0));
        let stream_config: StreamConfig = config.config();
        let stream = match config.sample_format() {
            SampleFormat::F32 => build_input::<f32>(&device, stream_config, &shared, &dropped, clock),
            SampleFormat::I16 => build_input::<i16>(&device, stream_config, &shared, &dropped, clock),
            SampleFormat::I32 => build_input::<i32>(&device, stream_config, &shared, &dropped, clock),
            SampleFormat::U8 => build_input::<u8>(&device, stream_config, &shared, &dropped, clock),
            SampleFormat::U16 => build_input::<u16>(&device, stream_config, &shared, &dropped, clock),
            other => {
                return Err(MediaError::Unsupported { format: "microphone", why: format!("sample format {other}") });
            }
        }
        .map_err(|e| map_err(e, kind, &name))?;
        stream.play().map_err(|e| map_err(e, kind, &name))?;
        Ok(Self {
            _stream: stream,
            name,
            native,
            shared,
            pending: Vec::new(),
            pending_start_us: 0,
            duration,
            dropped,
            dropped_seen: 0,
        })
    }

    /// Audio dropped because the reader fell behind, in callback chunks.
    pub fn dropped_chunks(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

fn build_input<T>(
    device: &cpal::Device,
    config: StreamConfig,
    shared: &Arc<(Mutex<Captured>, Condvar)>,
    dropped: &Arc<AtomicU64>,
    clock: SharedClock,
) -> Result<cpal::Stream, cpal::Error>
where
    T: SizedSample,
    f32: FromSample<T>,
{
    let channels = usize::from(config.channels);
    let rate = config.sample_rate;
    let mut resampler = Resampler::new(rate, SAMPLE_RATE);
    let mut as_f32: Vec<f32> = Vec::with_capacity(8192);
    let mut mono: Vec<f32> = Vec::with_capacity(8192);
    let (data_shared, err_shared, dropped) = (shared.clone(), shared.clone(), dropped.clone());
    device.build_input_stream::<T, _, _>(
        config,
        move |data: &[T], _| {
            let frames = data.len() / channels.max(1);
            // The first sample of this chunk was captured one chunk ago.
            let start_us = clock.now_us().saturating_sub(frames as u64 * 1_000_000 / u64::from(rate));
            as_f32.clear();
            as_f32.extend(data.iter().map(|&s| s.to_sample::<f32>()));
            mono.clear();
            downmix(&as_f32, channels, &mut mono);
            let mut out = Vec::with_capacity(mono.len() * SAMPLE_RATE as usize / rate as usize + 32);
            resampler.process(&mono, &mut out);
            let (lock, cv) = &*data_shared;
            if let Ok(mut c) = lock.lock() {
                if c.queue.len() >= MAX_QUEUED_CHUNKS {
                    c.queue.pop_front();
                    dropped.fetch_add(1, Ordering::Relaxed);
                }
                c.queue.push_back((start_us, out));
                cv.notify_one();
            }
        },
        move |e: cpal::Error| {
            // As for the speaker: cpal recovers from an overrun itself and some errors pass;
            // a stream that ended is an error for the reader (one that stays silent is caught by
            // the reader's own timeout).
            use cpal::ErrorKind as K;
            if !matches!(e.kind(), K::DeviceNotAvailable | K::HostUnavailable) {
                tracing::debug!("microphone: {e} (the stream goes on)");
                return;
            }
            let (lock, cv) = &*err_shared;
            if let Ok(mut c) = lock.lock() {
                c.error = Some(e.to_string());
                cv.notify_one();
            }
        },
        None,
    )
}

impl Source for Microphone {
    type Frame = AudioFrame;

    fn info(&self) -> SourceInfo {
        SourceInfo {
            kind: SourceKind::Microphone,
            name: self.name.clone(),
            format: format!("{} Hz, {} channel(s) → 48000 Hz mono", self.native.0, self.native.1),
        }
    }

    fn next_frame(&mut self) -> Result<Option<AudioFrame>, MediaError> {
        let n = self.duration.samples_per_channel();
        while self.pending.len() < n {
            let (lock, cv) = &*self.shared;
            let guard = lock.lock().map_err(|_| MediaError::Closed)?;
            let (mut c, timeout) = cv
                .wait_timeout_while(guard, SILENCE_TIMEOUT, |c| c.queue.is_empty() && c.error.is_none())
                .map_err(|_| MediaError::Closed)?;
            if let Some(e) = c.error.take() {
                return Err(MediaError::DeviceFailed { kind: DeviceKind::Microphone, detail: e });
            }
            if timeout.timed_out() {
                return Err(MediaError::DeviceFailed {
                    kind: DeviceKind::Microphone,
                    detail: format!("no audio from {} for {} s", self.name, SILENCE_TIMEOUT.as_secs()),
                });
            }
            while let Some((start_us, chunk)) = c.queue.pop_front() {
                if self.pending.is_empty() {
                    self.pending_start_us = start_us;
                }
                self.pending.extend_from_slice(&chunk);
            }
        }
        let dropped = self.dropped.load(Ordering::Relaxed);
        if dropped != self.dropped_seen {
            tracing::debug!("microphone: {} chunks dropped, the reader was behind", dropped - self.dropped_seen);
            self.dropped_seen = dropped;
        }
        let samples: Vec<f32> = self.pending.drain(..n).collect();
        let capture_us = self.pending_start_us;
        self.pending_start_us += self.duration.micros();
        AudioFrame::new(samples, 1, capture_us).map(Some)
    }
}

struct Playback {
    queue: VecDeque<f32>,
    /// A report that the stream ended (the device is gone): it must be rebuilt.
    error: Option<String>,
    underruns: u64,
    /// The most the device took in one callback (48 kHz samples).
    chunk: usize,
    /// From a callback to when what it writes is heard, as the device last reported it.
    latency: Duration,
}

/// An open speaker playing 48 kHz frames (mono or stereo) on whatever the device runs at. It tells
/// whoever feeds it how much is queued and how much the device takes at a time
/// ([`AudioSink::device_queue`]), so that the feeder can keep to the device's clock.
pub struct Speaker {
    _stream: cpal::Stream,
    id: Option<String>,
    name: String,
    shared: Arc<Mutex<Playback>>,
    /// What the device really played (kept across a rebuilt stream).
    played: Played,
    /// When the stream was last rebuilt after an error, and how often in a row.
    restarts: (Option<std::time::Instant>, u32),
}

/// A speaker whose stream fails this many times, each within 10 s of the last, is given up.
const MAX_RESTARTS: u32 = 3;

/// Audio buffered for the speaker beyond which the oldest is dropped (keeps latency bounded).
const MAX_BUFFERED_US: u64 = 200_000;

impl Speaker {
    /// Opens the speaker `id` (None or "default": the system default).
    pub fn open(id: Option<&str>) -> Result<Self, MediaError> {
        Self::open_playing_into(id, Played::default())
    }

    fn open_playing_into(id: Option<&str>, played: Played) -> Result<Self, MediaError> {
        let kind = DeviceKind::Speaker;
        let device = find(id, kind)?;
        let name = device.to_string();
        let config = device.default_output_config().map_err(|e| map_err(e, kind, &name))?;
        let shared = Arc::new(Mutex::new(Playback {
            queue: VecDeque::new(),
            error: None,
            underruns: 0,
            chunk: 0,
            latency: Duration::ZERO,
        }));
        let sc: StreamConfig = config.config();
        let stream = match config.sample_format() {
            SampleFormat::F32 => build_output::<f32>(&device, sc, &shared, &played),
            SampleFormat::I16 => build_output::<i16>(&device, sc, &shared, &played),
            SampleFormat::I32 => build_output::<i32>(&device, sc, &shared, &played),
            SampleFormat::U8 => build_output::<u8>(&device, sc, &shared, &played),
            SampleFormat::U16 => build_output::<u16>(&device, sc, &shared, &played),
            other => return Err(MediaError::Unsupported { format: "speaker", why: format!("sample format {other}") }),
        }
        .map_err(|e| map_err(e, kind, &name))?;
        stream.play().map_err(|e| map_err(e, kind, &name))?;
        Ok(Self { _stream: stream, id: id.map(str::to_owned), name, shared, played, restarts: (None, 0) })
    }

    /// The stream ended (its device went away, the sound server restarted): build a new stream
    /// on the same device, keeping what is queued. A device that keeps failing is given up with
    /// the error.
    fn restart(&mut self, error: String) -> Result<(), MediaError> {
        let now = std::time::Instant::now();
        let recent = self.restarts.0.is_some_and(|t| now.duration_since(t) < std::time::Duration::from_secs(10));
        let count = if recent { self.restarts.1 + 1 } else { 1 };
        let fail = |detail: String| MediaError::DeviceFailed { kind: DeviceKind::Speaker, detail };
        if count > MAX_RESTARTS {
            return Err(fail(error));
        }
        tracing::warn!("speaker {}: {error}; restarting its stream", self.name);
        let fresh = Self::open_playing_into(self.id.as_deref(), self.played.clone())
            .map_err(|e| fail(format!("{error}; reopening failed: {e}")))?;
        let queued = self.shared.lock().map(|mut p| std::mem::take(&mut p.queue)).unwrap_or_default();
        if let Ok(mut p) = fresh.shared.lock() {
            p.queue = queued;
        }
        let restarts = (Some(now), count);
        *self = fresh;
        self.restarts = restarts;
        Ok(())
    }

    /// The device's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Times the device wanted audio and none was queued.
    pub fn underruns(&self) -> u64 {
        self.shared.lock().map(|p| p.underruns).unwrap_or(0)
    }
}

fn build_output<T>(
    device: &cpal::Device,
    config: StreamConfig,
    shared: &Arc<Mutex<Playback>>,
    played: &Played,
) -> Result<cpal::Stream, cpal::Error>
where
    T: SizedSample + FromSample<f32>,
{
    let channels = usize::from(config.channels);
    let device_rate = config.sample_rate;
    let mut resampler = Resampler::new(SAMPLE_RATE, config.sample_rate);
    let mut ready: VecDeque<f32> = VecDeque::new();
    let mut input = Vec::with_capacity(480);
    let mut converted = Vec::with_capacity(1024);
    let (data_shared, err_shared) = (shared.clone(), shared.clone());
    let played = played.clone();
    device.build_output_stream::<T, _, _>(
        config,
        move |out: &mut [T], info: &cpal::OutputCallbackInfo| {
            let frames = out.len() / channels.max(1);
            if let Ok(mut p) = data_shared.lock() {
                let wanted = (frames as u64 * u64::from(SAMPLE_RATE) / u64::from(device_rate.max(1))) as usize;
                p.chunk = p.chunk.max(wanted);
                let t = info.timestamp();
                p.latency = t.playback.duration_since(t.callback).min(Duration::from_secs(1));
                while ready.len() < frames {
                    let take = p.queue.len().min(480);
                    if take == 0 {
                        p.underruns += 1;
                        break;
                    }
                    input.clear();
                    input.extend(p.queue.drain(..take));
                    played.push(&input);
                    converted.clear();
                    resampler.process(&input, &mut converted);
                    ready.extend(converted.iter().copied());
                }
            }
            let mut dry = 0usize;
            for frame in out.chunks_exact_mut(channels.max(1)) {
                let s = ready.pop_front().unwrap_or_else(|| {
                    dry += 1;
                    0.0
                });
                for o in frame {
                    *o = T::from_sample(s);
                }
            }
            if dry > 0 {
                // After everything taken before it: the room hears this silence next.
                played.silence((dry as u64 * u64::from(SAMPLE_RATE) / u64::from(device_rate.max(1))) as usize);
            }
        },
        move |e: cpal::Error| {
            // cpal recovers from an underrun (xrun) itself, and some errors pass (the PulseAudio
            // plugin's "I/O error" while its stream is still connecting): only a stream that
            // ended needs rebuilding.
            use cpal::ErrorKind as K;
            match e.kind() {
                K::DeviceNotAvailable | K::HostUnavailable => {
                    if let Ok(mut p) = err_shared.lock() {
                        p.error = Some(e.to_string());
                    }
                }
                K::Xrun => {
                    if let Ok(mut p) = err_shared.lock() {
                        p.underruns += 1;
                    }
                }
                _ => tracing::debug!("speaker: {e} (the stream goes on)"),
            }
        },
        None,
    )
}

impl AudioSink for Speaker {
    fn play(&mut self, frame: &AudioFrame) -> Result<(), MediaError> {
        let error = self.shared.lock().map_err(|_| MediaError::Closed)?.error.take();
        if let Some(e) = error {
            self.restart(e)?;
        }
        let mut p = self.shared.lock().map_err(|_| MediaError::Closed)?;
        let mut mono = Vec::with_capacity(frame.samples().len());
        downmix(frame.samples(), usize::from(frame.channels()), &mut mono);
        p.queue.extend(mono);
        let max = (MAX_BUFFERED_US * u64::from(SAMPLE_RATE) / 1_000_000) as usize;
        if p.queue.len() > max {
            let excess = p.queue.len() - max;
            p.queue.drain(..excess);
        }
        Ok(())
    }

    fn played(&self) -> Option<Played> {
        Some(self.played.clone())
    }

    fn device_queue(&self) -> Option<DeviceQueue> {
        let p = self.shared.lock().ok()?;
        let us = |n: usize| Duration::from_micros(n as u64 * 1_000_000 / u64::from(SAMPLE_RATE));
        Some(DeviceQueue { queued: us(p.queue.len()), chunk: us(p.chunk), latency: p.latency })
    }
}
