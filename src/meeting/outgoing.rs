//! This participant's own media: capture, encode once, encrypt once (SFrame), hand the frames to
//! every peer.
//!
//! One thread per medium captures (blocking on the device or the pacing clock) and encodes in
//! place, then publishes the encoded frame on a broadcast channel that every peer link's sender
//! task subscribes to. Encoding happens once however many peers there are; the per-peer work is
//! packetisation and SRTP. A peer that falls behind skips frames (and the next video frame it
//! sends is made a keyframe, so its receiver can decode again).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::thread::JoinHandle;
use trygg_core::rtp::keyframe_gate::KeyframeGate;

use bytes::Bytes;
use tokio::sync::broadcast;

use crate::e2ee::h264::H264Crypt;
use crate::e2ee::media_keys::{MediaKeys, StreamKind};
use crate::media::audio_processing::AudioProcessor;
use crate::media::clock::SharedClock;
use crate::media::convert::scale_i420;
use crate::media::h264::{H264Config, H264Encoder};
use crate::media::opus::{OpusConfig, OpusEncoder};
use crate::media::source::{AudioSource, VideoSource};
use crate::media::{AudioFrame, MediaError, VideoFrame};

/// An encoded frame as peers send it.
#[derive(Debug, Clone)]
pub struct EncodedFrame {
    /// The bytes (an H.264 access unit or an Opus packet).
    pub data: Bytes,
    /// Capture time of the source frame (µs since the Unix epoch).
    pub capture_us: u64,
    /// True for an H.264 keyframe.
    pub keyframe: bool,
}

/// Counters of the outgoing media.
#[derive(Debug, Default)]
pub struct OutgoingStats {
    /// Video frames encoded.
    pub video_frames: AtomicU64,
    /// Bytes of encoded video.
    pub video_bytes: AtomicU64,
    /// Frames not sent because this device had no keys yet (not admitted): media never goes
    /// out unencrypted.
    pub unkeyed_frames: AtomicU64,
    /// Audio packets encoded.
    pub audio_frames: AtomicU64,
    /// Bytes of encoded audio.
    pub audio_bytes: AtomicU64,
    /// The video encoder's rate as congestion control last set it, bits per second (0: the
    /// configured rate, untouched).
    pub video_bitrate: AtomicU64,
}

/// Switches the outgoing media threads read on every frame.
#[derive(Debug, Default)]
pub struct Switches {
    /// Make the next video frame a keyframe (this side needs one: unmuted, newly keyed, a new
    /// member).
    pub keyframe: AtomicBool,
    /// A receiver asked for a keyframe (PLI/FIR): made at once, or held until the last one made
    /// on request is [`trygg_core::rtp::keyframe_gate::KEYFRAME_GAP`] old.
    pub asked: AtomicBool,
    /// The video encoder's new rate in bits per second (0: unchanged), from congestion control.
    pub bitrate: AtomicU32,
    /// A new rung to send the camera at (height << 32 | fps); 0 for none.
    pub rung: AtomicU64,
    /// Send no video.
    pub video_muted: AtomicBool,
    /// Send no audio.
    pub audio_muted: AtomicBool,
    /// Stop the threads.
    pub stop: AtomicBool,
    /// Someone receives: with no connected peer, frames are captured but not encoded (no CPU
    /// spent on pictures nobody sees).
    pub active: AtomicBool,
}

/// The running outgoing media.
pub struct Outgoing {
    /// Encoded video, if there is a video source.
    pub video: Option<broadcast::Sender<Arc<EncodedFrame>>>,
    /// Encoded audio, if there is an audio source.
    pub audio: Option<broadcast::Sender<Arc<EncodedFrame>>>,
    /// Keyframe request and mute switches.
    pub switches: Arc<Switches>,
    /// Counters.
    pub stats: Arc<OutgoingStats>,
    threads: Vec<JoinHandle<()>>,
    /// The first error of a source or encoder, if one ended its thread.
    pub failure: Arc<std::sync::Mutex<Option<MediaError>>>,
}

/// Frames a slow peer may fall behind before it starts skipping.
const BROADCAST_DEPTH: usize = 8;

impl Outgoing {
    /// Starts capturing, encoding and encrypting (SFrame, with `keys`).
    pub fn start(
        video: Option<VideoSource>,
        audio: Option<AudioSource>,
        h264: H264Config,
        opus: OpusConfig,
        processor: Option<AudioProcessor>,
        keys: Arc<std::sync::Mutex<MediaKeys>>,
        _clock: SharedClock,
    ) -> Result<Self, MediaError> {
        let switches = Arc::new(Switches::default());
        let stats = Arc::new(OutgoingStats::default());
        let failure = Arc::new(std::sync::Mutex::new(None));
        let mut threads = Vec::new();
        let video_tx = match video {
            Some(mut source) => {
                let (tx, _) = broadcast::channel(BROADCAST_DEPTH);
                let mut encoder = H264Encoder::new(h264)?;
                let (tx2, sw, st, fail, keys) =
                    (tx.clone(), switches.clone(), stats.clone(), failure.clone(), keys.clone());
                let mut crypt = H264Crypt::new();
                threads.push(spawn("video out", move || {
                    let (mut gate, epoch) = (KeyframeGate::default(), std::time::Instant::now());
                    let mut current_rate = h264.bitrate_bps;
                    let mut rung = RungFilter::default();
                    let result = (|| -> Result<(), MediaError> {
                        while !sw.stop.load(Ordering::Relaxed) {
                            let Some(frame) = source.next_frame()? else { return Ok(()) };
                            if sw.video_muted.load(Ordering::Relaxed) || !sw.active.load(Ordering::Relaxed) {
                                // Unmuting must start with a picture the receivers can decode.
                                sw.keyframe.store(true, Ordering::Relaxed);
                                continue;
                            }
                            let next = sw.rung.swap(0, Ordering::Relaxed);
                            if next != 0 {
                                rung.set((next >> 32) as u32, next as u32);
                                if let Err(e) = encoder.set_fps(rung.fps as f32) {
                                    tracing::warn!("the camera's encoder kept its frame rate: {e}");
                                }
                            }
                            let Some(frame) = rung.apply(frame)? else { continue };
                            let rate = sw.bitrate.swap(0, Ordering::Relaxed);
                            if rate != 0 {
                                // A rate the encoder refuses keeps the old one: a hint must never
                                // stop the camera.
                                match encoder.set_bitrate(rate) {
                                    Ok(()) => {
                                        current_rate = rate;
                                        st.video_bitrate.store(u64::from(rate), Ordering::Relaxed);
                                    }
                                    Err(e) => tracing::warn!("the camera's encoder kept its rate: {e}"),
                                }
                            }
                            let now = epoch.elapsed();
                            let asked = sw.asked.swap(false, Ordering::Relaxed) && gate.request(now);
                            if sw.keyframe.swap(false, Ordering::Relaxed) || asked || gate.due(now) {
                                encoder.request_keyframe();
                            }
                            if let Some(e) = encoder.encode(&frame)? {
                                if e.keyframe {
                                    gate.spent(now, e.data.len() as u64 * 8, current_rate);
                                }
                                let mut sealed = Vec::with_capacity(e.data.len() + 64);
                                let encrypted = keys.lock().ok().and_then(|mut k| {
                                    crypt.encrypt(&mut k, StreamKind::Camera, &e.data, &mut sealed).ok()
                                });
                                if encrypted.is_none() {
                                    // No keys (not admitted yet): nothing leaves unencrypted, and the
                                    // first picture after keying must be one a receiver can start on.
                                    st.unkeyed_frames.fetch_add(1, Ordering::Relaxed);
                                    sw.keyframe.store(true, Ordering::Relaxed);
                                    continue;
                                }
                                st.video_frames.fetch_add(1, Ordering::Relaxed);
                                st.video_bytes.fetch_add(sealed.len() as u64, Ordering::Relaxed);
                                let _ = tx2.send(Arc::new(EncodedFrame {
                                    data: Bytes::from(sealed),
                                    capture_us: e.capture_us,
                                    keyframe: e.keyframe,
                                }));
                            }
                        }
                        Ok(())
                    })();
                    if let Err(e) = result {
                        tracing::warn!("video source stopped: {e}");
                        if let Ok(mut f) = fail.lock() {
                            f.get_or_insert(e);
                        }
                    }
                }));
                Some(tx)
            }
            None => None,
        };
        let audio_tx = match audio {
            Some(mut source) => {
                let (tx, _) = broadcast::channel(BROADCAST_DEPTH * 4);
                let mut encoder = OpusEncoder::new(opus)?;
                let (tx2, sw, st, fail, keys) =
                    (tx.clone(), switches.clone(), stats.clone(), failure.clone(), keys.clone());
                threads.push(spawn("audio out", move || {
                    let result = (|| -> Result<(), MediaError> {
                        while !sw.stop.load(Ordering::Relaxed) {
                            let Some(frame) = source.next_frame()? else { return Ok(()) };
                            if sw.audio_muted.load(Ordering::Relaxed) || !sw.active.load(Ordering::Relaxed) {
                                continue;
                            }
                            let frame = to_channels(frame, opus.channels)?;
                            let frame = match &processor {
                                Some(p) => p.capture(frame),
                                None => frame,
                            };
                            let p = encoder.encode(&frame)?;
                            let mut sealed = Vec::with_capacity(p.data.len() + 16);
                            let encrypted = keys
                                .lock()
                                .ok()
                                .and_then(|mut k| k.encrypt(StreamKind::Audio, b"", &p.data, &mut sealed).ok());
                            if encrypted.is_none() {
                                st.unkeyed_frames.fetch_add(1, Ordering::Relaxed);
                                continue;
                            }
                            st.audio_frames.fetch_add(1, Ordering::Relaxed);
                            st.audio_bytes.fetch_add(sealed.len() as u64, Ordering::Relaxed);
                            let _ = tx2.send(Arc::new(EncodedFrame {
                                data: Bytes::from(sealed),
                                capture_us: p.capture_us,
                                keyframe: false,
                            }));
                        }
                        Ok(())
                    })();
                    if let Err(e) = result {
                        tracing::warn!("audio source stopped: {e}");
                        if let Ok(mut f) = fail.lock() {
                            f.get_or_insert(e);
                        }
                    }
                }));
                Some(tx)
            }
            None => None,
        };
        Ok(Self { video: video_tx, audio: audio_tx, switches, stats, threads, failure })
    }

    /// Makes the next video frame a keyframe (this side needs one: a peer joined, new keys).
    pub fn request_keyframe(&self) {
        self.switches.keyframe.store(true, Ordering::Relaxed);
    }

    /// A receiver asked for a keyframe: made on the next frame, or once the gap since the last
    /// one made on request has passed (loss must not become a keyframe storm).
    pub fn keyframe_asked(&self) {
        self.switches.asked.store(true, Ordering::Relaxed);
    }

    /// Sets the video encoder's rate from the next picture on (congestion control).
    pub fn set_video_bitrate(&self, bps: u32) {
        self.switches.bitrate.store(bps, Ordering::Relaxed);
    }

    /// Sends the camera at most `height` pixels high (never larger than it captures) and at most
    /// `fps` frames a second.
    pub fn set_video_rung(&self, height: u32, fps: u32) {
        self.switches.rung.store(u64::from(height) << 32 | u64::from(fps), Ordering::Relaxed);
    }

    /// Stops the threads and waits for them.
    pub fn stop(&mut self) {
        self.switches.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

impl Drop for Outgoing {
    fn drop(&mut self) {
        self.stop();
    }
}

fn to_channels(frame: AudioFrame, channels: u16) -> Result<AudioFrame, MediaError> {
    if frame.channels() == channels {
        return Ok(frame);
    }
    let mut mono = Vec::with_capacity(frame.samples().len());
    crate::media::resample::downmix(frame.samples(), usize::from(frame.channels()), &mut mono);
    AudioFrame::new(mono, 1, frame.capture_us)
}

fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> JoinHandle<()> {
    std::thread::Builder::new().name(name.into()).spawn(f).expect("spawning a media thread")
}

/// The camera's rung applied to its pictures: larger ones scaled down (the aspect kept, even
/// sizes), and pictures dropped to keep to the rung's frame rate.
#[derive(Debug)]
struct RungFilter {
    height: u32,
    fps: u32,
    /// Capture time the next picture may have (µs).
    next_us: u64,
}

impl Default for RungFilter {
    fn default() -> Self {
        Self { height: u32::MAX, fps: 0, next_us: 0 }
    }
}

impl RungFilter {
    fn set(&mut self, height: u32, fps: u32) {
        (self.height, self.fps) = (height.max(2), fps);
    }

    fn apply(&mut self, frame: VideoFrame) -> Result<Option<VideoFrame>, MediaError> {
        if self.fps > 0 {
            // A little slack, so that 30 frames a second of jitter still give 15.
            let period = 1_000_000 / u64::from(self.fps);
            if frame.capture_us + period / 4 < self.next_us {
                return Ok(None);
            }
            // After a gap (a pause, a slow camera) the pace starts again from this picture.
            self.next_us = if frame.capture_us > self.next_us + period {
                frame.capture_us + period
            } else {
                self.next_us + period
            };
        }
        if frame.height() <= self.height {
            return Ok(Some(frame));
        }
        let width = (u64::from(frame.width()) * u64::from(self.height) / u64::from(frame.height())) as u32;
        Ok(Some(scale_i420(&frame, width & !1, self.height & !1)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picture(width: u32, height: u32, capture_us: u64) -> VideoFrame {
        let mut f = VideoFrame::filled(width, height, 16).unwrap();
        f.capture_us = capture_us;
        f
    }

    #[test]
    fn a_rung_scales_larger_pictures_down_and_keeps_to_its_frame_rate() {
        let mut f = RungFilter::default();
        let kept = f.apply(picture(1280, 720, 0)).unwrap().unwrap();
        assert_eq!((kept.width(), kept.height()), (1280, 720), "no rung yet: as captured");
        f.set(360, 15);
        let mut sizes = vec![];
        for n in 0..30u64 {
            // 30 frames a second with a little jitter.
            let t = n * 33_333 + (n % 3) * 2_000;
            if let Some(p) = f.apply(picture(1280, 720, t)).unwrap() {
                sizes.push((p.width(), p.height()));
            }
        }
        assert_eq!(sizes.len(), 15, "15 of 30 pictures");
        assert!(sizes.iter().all(|&s| s == (640, 360)));
        // Never up: a small camera stays small.
        f.set(540, 30);
        let p = f.apply(picture(320, 180, 2_000_000)).unwrap().unwrap();
        assert_eq!((p.width(), p.height()), (320, 180));
        // An odd aspect keeps even sizes.
        f.set(180, 30);
        let p = f.apply(picture(1366, 768, 3_000_000)).unwrap().unwrap();
        assert_eq!((p.width(), p.height()), (320, 180));
    }
}
