//! Media from one remote participant: decode, measure, deliver, record.
//!
//! Each remote participant gets a decode thread fed by its peer link's receive tasks. Decoded
//! pictures go to that participant's video channel (the UI draws from it); audio packets are
//! decrypted on the receive task itself (never queued behind a picture's decode) and go to the
//! participant's playout, which the mixer pulls from; a picture is handed on
//! when the sound that goes with it is heard (lip sync from the sender's reports, with when the
//! playout says each sound is heard). With recording on,
//! pictures are also written to `DIR/<participant>.y4m` (`-2.y4m`… after a change of picture
//! size) and the audio as played to `.wav`. A picture that fails to decode asks the sender for
//! a keyframe.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use super::mixer::MixerInput;
use crate::e2ee::h264::H264Crypt;
use crate::e2ee::media_keys::{MediaKeys, MediaKind};
use crate::media::MediaError;
use crate::media::VideoFrame;
use crate::media::clock::SharedClock;
use crate::media::h264::H264Decoder;
use crate::media::pixel_stamp;
use crate::media::sink::VideoSender;
use crate::media::wav::WavWriter;
use crate::media::y4m::Y4mWriter;
use crate::net::assembler::AssembledFrame;
use trygg_core::meeting::Origin;
use trygg_core::rtp::jitter_buffer::AudioPacket;
use trygg_core::rtp::lip_sync::LipSync;

/// What a peer link hands to a participant's decoder.
#[derive(Debug)]
pub enum Received {
    /// A complete H.264 access unit.
    Video(AssembledFrame),
    /// An Opus packet, as it came.
    Audio(AudioPacket),
    /// The sender's report tying one of its streams' timestamps to its wall clock.
    SenderReport {
        /// Audio (else the camera).
        audio: bool,
        /// NTP 32.32.
        ntp: u64,
        /// The stream's RTP timestamp at that time.
        rtp: u32,
    },
}

/// Which SFrame sender a route's media must come from: the leaf that announced itself, in the
/// group, as the member the route is for. Shared between the driver (which sets it) and the
/// member's decode threads (which drop every frame from another sender, and every frame while
/// it is unset).
#[derive(Debug, Clone, Default)]
pub struct SenderBinding(Arc<AtomicU64>);

impl SenderBinding {
    /// Binds the route to a leaf (None: to nobody).
    pub fn set(&self, leaf: Option<u32>) {
        self.0.store(leaf.map_or(0, |l| u64::from(l) + 1), Ordering::Relaxed);
    }

    /// The leaf the route is bound to.
    pub fn get(&self) -> Option<u32> {
        self.0.load(Ordering::Relaxed).checked_sub(1).map(|l| l as u32)
    }
}

/// Counters and measurements of one participant's incoming media.
#[derive(Debug, Default)]
pub struct IncomingStats {
    /// Pictures decoded.
    pub frames_decoded: AtomicU64,
    /// Access units that failed to decode.
    pub decode_errors: AtomicU64,
    /// Bytes of video received.
    pub video_bytes: AtomicU64,
    /// Keyframes received.
    pub keyframes: AtomicU64,
    /// Audio packets decoded (by the playout).
    pub audio_packets: AtomicU64,
    /// Frames (audio or video) that did not decrypt: not SFrame, not for us, replayed, tampered.
    pub undecryptable: AtomicU64,
    /// Bytes of audio received.
    pub audio_bytes: AtomicU64,
    /// When the first picture was decoded (µs since the epoch), 0 before.
    pub first_video_us: AtomicU64,
    /// When the first audio was decoded, 0 before.
    pub first_audio_us: AtomicU64,
    /// Last decoded picture size as (width << 32 | height).
    pub picture_size: AtomicU64,
    /// Received items (audio or video) dropped because the decoder was behind.
    pub dropped: AtomicU64,
    /// The SFrame sender (MLS leaf index) that decryption last authenticated on this route,
    /// plus one (0 before the first frame).
    pub sframe_sender: AtomicU64,
    /// Frames that decrypted but came from another member's leaf than the one the route is
    /// bound to (a server or member passing one member's media off as another's): dropped.
    pub wrong_sender: AtomicU64,
    /// Frames that decrypted before the member announced itself in the group: dropped.
    pub unbound: AtomicU64,
    /// Glass-to-glass latencies (ms) read from pixel stamps since the last `take_latencies`.
    latencies: Mutex<Vec<f64>>,
    /// How far each picture shown since the last `take_lip_sync` was ahead of its sound (ms;
    /// negative: behind), where that could be told.
    lip_sync: Mutex<Vec<f64>>,
    /// The loudest decoded audio frame's RMS since the last `take_audio_level`, as `f32` bits
    /// (for a UI's active speaker; non-negative floats order like their bits).
    audio_level: AtomicU32,
}

impl IncomingStats {
    /// Notes the RMS of one decoded audio frame.
    pub fn note_audio_level(&self, rms: f32) {
        if rms.is_finite() && rms > 0.0 {
            self.audio_level.fetch_max(rms.to_bits(), Ordering::Relaxed);
        }
    }

    /// The SFrame sender that decryption last authenticated, if any.
    pub fn sframe_sender(&self) -> Option<u32> {
        self.sframe_sender.load(Ordering::Relaxed).checked_sub(1).map(|s| s as u32)
    }

    /// Notes an authenticated sender; false (and counted) when the route is not bound to it.
    fn accept_sender(&self, sender: u32, binding: &SenderBinding) -> bool {
        self.sframe_sender.store(u64::from(sender) + 1, Ordering::Relaxed);
        match binding.get() {
            Some(leaf) if leaf == sender => true,
            Some(_) => {
                self.wrong_sender.fetch_add(1, Ordering::Relaxed);
                false
            }
            None => {
                self.unbound.fetch_add(1, Ordering::Relaxed);
                false
            }
        }
    }

    /// The loudest audio frame's RMS (0..1) since the last call.
    pub fn take_audio_level(&self) -> f32 {
        f32::from_bits(self.audio_level.swap(0, Ordering::Relaxed))
    }

    /// Takes the latencies measured since the last call.
    pub fn take_latencies(&self) -> Vec<f64> {
        self.latencies.lock().map(|mut l| std::mem::take(&mut *l)).unwrap_or_default()
    }

    /// Takes how far each picture shown since the last call was ahead of its sound (ms).
    pub fn take_lip_sync(&self) -> Vec<f64> {
        self.lip_sync.lock().map(|mut l| std::mem::take(&mut *l)).unwrap_or_default()
    }
}

/// Where one participant's decoded media goes.
pub struct IncomingSinks {
    /// Pictures, for the UI or a test.
    pub video: Option<VideoSender>,
    /// Audio: the participant's playout in the mixer (and the speaker behind it).
    pub audio: Option<MixerInput>,
    /// Write `<dir>/<name>.y4m` and `.wav`.
    pub record: Option<(PathBuf, String)>,
}

/// A participant's decode thread.
pub struct Incoming {
    /// Where this participant's media comes from: the route and the member it is for.
    pub origin: Origin,
    tx: SyncSender<Received>,
    /// Audio's way in, on the thread that received it.
    audio: Arc<AudioIn>,
    /// Counters.
    pub stats: Arc<IncomingStats>,
    /// A picture was dropped before the decoder saw it: the ones after it cannot decode cleanly
    /// until a keyframe, so the decoder asks for one with the next picture it gets.
    video_dropped: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// How much received media may queue for the decoder before the oldest is dropped.
const QUEUE: usize = 64;

impl Incoming {
    /// Starts decoding for one participant, reached by `origin`. `need_keyframe` is called when
    /// a picture did not decode.
    pub fn start(
        origin: Origin,
        binding: SenderBinding,
        sinks: IncomingSinks,
        keys: Arc<Mutex<MediaKeys>>,
        clock: SharedClock,
        need_keyframe: impl Fn() + Send + 'static,
    ) -> Result<Self, MediaError> {
        let (tx, rx) = sync_channel(QUEUE);
        let stats = Arc::new(IncomingStats::default());
        let video = H264Decoder::new()?;
        let sync = Arc::new(Mutex::new(LipSync::default()));
        if let Some(input) = &sinks.audio {
            let wav = sinks.record.as_ref().and_then(|(dir, name)| {
                WavWriter::create(&unused(dir, name, "wav"), 1)
                    .map_err(|e| tracing::warn!("audio recording not started: {e}"))
                    .ok()
            });
            input.with(|p| {
                p.count_in(stats.clone());
                p.sync_to(sync.clone());
                if let Some(w) = wav {
                    p.record_to(w);
                }
            });
        }
        let audio = Arc::new(AudioIn {
            keys: keys.clone(),
            stats: stats.clone(),
            binding: binding.clone(),
            playout: sinks.audio.clone(),
            clock: clock.clone(),
        });
        let (st, audio_in) = (stats.clone(), audio.clone());
        let video_dropped = Arc::new(AtomicBool::new(false));
        let dropped = video_dropped.clone();
        let thread = std::thread::Builder::new()
            .name("media in".into())
            .spawn(move || {
                decode_loop(rx, video, sinks, keys, clock, st, dropped, binding, sync, audio_in, need_keyframe)
            })
            .map_err(|e| MediaError::io("decode thread", e))?;
        Ok(Self { origin, tx, audio, stats, video_dropped, thread: Some(thread) })
    }

    /// Hands over received media. Audio goes to the playout at once (decrypting a packet takes
    /// microseconds; behind a 720p keyframe's decode it waited longer than the playout does).
    /// Never blocks: when the decoder is behind, the newest item is dropped and counted; after
    /// a dropped picture the decoder asks for a keyframe.
    pub fn push(&self, item: Received) {
        let item = match item {
            Received::Audio(packet) => return self.audio.receive(packet),
            other => other,
        };
        match self.tx.try_send(item) {
            Ok(()) | Err(TrySendError::Disconnected(_)) => {}
            Err(TrySendError::Full(item)) => {
                self.stats.dropped.fetch_add(1, Ordering::Relaxed);
                if matches!(item, Received::Video(_)) {
                    self.video_dropped.store(true, Ordering::Relaxed);
                }
                tracing::debug!("decoder behind; dropped received media");
            }
        }
    }
}

impl Drop for Incoming {
    fn drop(&mut self) {
        // Closing the channel ends the loop.
        let (dead, _) = sync_channel(1);
        self.tx = dead;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

struct Recording {
    dir: PathBuf,
    name: String,
    video: Option<Y4mWriter<std::io::BufWriter<std::fs::File>>>,
    /// Picture size of the current video file.
    video_size: Option<(u32, u32)>,
}

impl Recording {
    /// Writes a picture. A Y4M file holds one picture size, so a change of size mid-call (the
    /// sender adapting to the network, or switching cameras) starts `<name>-2.y4m`, and so on.
    fn video(&mut self, frame: &crate::media::VideoFrame) {
        let size = (frame.width(), frame.height());
        if self.video_size != Some(size) {
            let file = unused(&self.dir, &self.name, "y4m");
            self.video = Y4mWriter::create(&file, 30).map_err(|e| tracing::warn!("recording stopped: {e}")).ok();
            self.video_size = Some(size);
        }
        if let Some(w) = self.video.as_mut()
            && let Err(e) = w.write(frame)
        {
            tracing::warn!("recording stopped: {e}");
            self.video = None;
        }
    }
}

/// Audio's way in: decrypted and handed to the participant's playout on the thread that
/// received it, never queued behind a picture being decoded.
struct AudioIn {
    keys: Arc<Mutex<MediaKeys>>,
    stats: Arc<IncomingStats>,
    binding: SenderBinding,
    playout: Option<MixerInput>,
    clock: SharedClock,
}

impl AudioIn {
    fn receive(&self, packet: AudioPacket) {
        let at = Duration::from_micros(self.clock.now_us());
        self.stats.audio_bytes.fetch_add(packet.payload.len() as u64, Ordering::Relaxed);
        if packet.payload.is_empty() {
            return; // padding
        }
        let mut clear = Vec::with_capacity(packet.payload.len());
        let opened =
            self.keys.lock().ok().map(|mut k| k.decrypt(at, MediaKind::Audio, b"", &packet.payload, &mut clear));
        match opened {
            Some(Ok(origin)) if self.stats.accept_sender(origin.sender, &self.binding) => {}
            Some(Ok(_)) => return,
            _ => {
                self.stats.undecryptable.fetch_add(1, Ordering::Relaxed);
                return;
            }
        }
        if let Some(m) = &self.playout {
            m.with(|p| p.insert(packet.seq, packet.timestamp, bytes::Bytes::from(clear), at));
        }
    }
}

/// `<dir>/<name>.<ext>`, or `<name>-2.<ext>`, `-3`… when taken: a recording is never written
/// over (a new connection to the same member, a new picture size, starts the next file).
fn unused(dir: &std::path::Path, name: &str, ext: &str) -> PathBuf {
    (1u32..)
        .map(|n| match n {
            1 => dir.join(format!("{name}.{ext}")),
            n => dir.join(format!("{name}-{n}.{ext}")),
        })
        .find(|p| !p.exists())
        .expect("a free name")
}

/// At most this many pictures wait for their sound.
const MAX_HELD: usize = 30;

/// Hands a picture (of RTP timestamp `ts`) to whoever draws it, noting how far it is ahead of
/// its sound.
fn show(sinks: &IncomingSinks, sync: &Mutex<LipSync>, stats: &IncomingStats, now: u64, ts: u32, frame: VideoFrame) {
    if let Some(offset) = sync.lock().ok().and_then(|s| s.offset_ms(ts, Duration::from_micros(now)))
        && let Ok(mut l) = stats.lip_sync.lock()
        && l.len() < 1_000
    {
        l.push(offset);
    }
    if let Some(v) = &sinks.video {
        let _ = v.send(frame);
    }
}

#[allow(clippy::too_many_arguments)]
fn decode_loop(
    rx: Receiver<Received>,
    mut video: H264Decoder,
    sinks: IncomingSinks,
    keys: Arc<Mutex<MediaKeys>>,
    clock: SharedClock,
    stats: Arc<IncomingStats>,
    video_dropped: Arc<AtomicBool>,
    binding: SenderBinding,
    sync: Arc<Mutex<LipSync>>,
    audio: Arc<AudioIn>,
    need_keyframe: impl Fn(),
) {
    let mut crypt = H264Crypt::new();
    let mut clear: Vec<u8> = Vec::new();
    let mut rec = sinks.record.as_ref().map(|(dir, name)| Recording {
        dir: dir.clone(),
        name: name.clone(),
        video: None,
        video_size: None,
    });
    let mut seq = 0u64;
    // Pictures waiting for their sound (lip sync), each with when to show it.
    let mut held: VecDeque<(u64, u32, VideoFrame)> = VecDeque::new();
    loop {
        let next = match held.front() {
            Some(&(due, _, _)) => match rx.recv_timeout(Duration::from_micros(due.saturating_sub(clock.now_us()))) {
                Ok(item) => Some(item),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => break,
            },
            None => match rx.recv() {
                Ok(item) => Some(item),
                Err(_) => break,
            },
        };
        let now = clock.now_us();
        while held.front().is_some_and(|&(due, _, _)| due <= now) {
            let (_, ts, frame) = held.pop_front().expect("a held picture");
            show(&sinks, &sync, &stats, now, ts, frame);
        }
        let Some(item) = next else { continue };
        match item {
            Received::SenderReport { audio, ntp, rtp } => {
                if let Ok(mut s) = sync.lock() {
                    if audio {
                        s.audio_report(ntp, rtp);
                    } else {
                        s.video_report(ntp, rtp);
                    }
                }
            }
            Received::Video(f) => {
                if video_dropped.swap(false, Ordering::Relaxed) {
                    need_keyframe();
                }
                stats.video_bytes.fetch_add(f.data.len() as u64, Ordering::Relaxed);
                stats.keyframes.fetch_add(u64::from(f.keyframe), Ordering::Relaxed);
                let now = Duration::from_micros(clock.now_us());
                match keys.lock().ok().map(|mut k| crypt.decrypt(&mut k, now, &f.data, &mut clear)) {
                    Some(Ok(origin)) if stats.accept_sender(origin.sender, &binding) => {}
                    Some(Ok(_)) => continue,
                    _ => {
                        // Not encrypted for us (yet): dropped and counted in the keys' stats.
                        stats.undecryptable.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                }
                let picture = match video.decode(&clear) {
                    Ok(Some(p)) => p,
                    Ok(None) => continue,
                    Err(e) => {
                        tracing::debug!("picture did not decode: {e}");
                        stats.decode_errors.fetch_add(1, Ordering::Relaxed);
                        need_keyframe();
                        continue;
                    }
                };
                let now = clock.now_us();
                let Ok(frame) = picture.to_frame(now, seq) else { continue };
                seq += 1;
                stats.frames_decoded.fetch_add(1, Ordering::Relaxed);
                let _ = stats.first_video_us.compare_exchange(0, now, Ordering::Relaxed, Ordering::Relaxed);
                stats
                    .picture_size
                    .store((u64::from(frame.width()) << 32) | u64::from(frame.height()), Ordering::Relaxed);
                if let Some(age) = pixel_stamp::read(&frame).and_then(|s| s.age_us(now))
                    && let Ok(mut l) = stats.latencies.lock()
                {
                    l.push(age as f64 / 1000.0);
                }
                if let Some(r) = rec.as_mut() {
                    r.video(&frame);
                }
                if sinks.video.is_none() {
                    continue;
                }
                // Shown when its sound is heard (lip sync); in order, so one that comes due
                // while others wait goes after them; a queue that grows past a second's worth
                // of pictures lets its oldest go at once.
                let due = sync
                    .lock()
                    .map_or(Duration::from_micros(now), |s| s.show_at(f.rtp_timestamp, Duration::from_micros(now)));
                let due = due.as_micros() as u64;
                if due <= now && held.is_empty() {
                    show(&sinks, &sync, &stats, now, f.rtp_timestamp, frame);
                } else {
                    if held.len() >= MAX_HELD
                        && let Some((_, ts, oldest)) = held.pop_front()
                    {
                        show(&sinks, &sync, &stats, now, ts, oldest);
                    }
                    held.push_back((due.max(held.back().map_or(0, |b| b.0)), f.rtp_timestamp, frame));
                }
            }
            // Audio does not come this way ([`Incoming::push`]); were it handed here, it is
            // taken the same way.
            Received::Audio(packet) => audio.receive(packet),
        }
    }
    if let Some(v) = rec.and_then(|r| r.video) {
        let _ = v.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::VideoFrame;

    #[test]
    fn media_dropped_for_a_decoder_that_is_behind_is_counted_and_a_dropped_picture_asks_for_a_keyframe() {
        let keys = Arc::new(Mutex::new(MediaKeys::default()));
        let asked = Arc::new(AtomicU32::new(0));
        let a = asked.clone();
        let sinks = IncomingSinks { video: None, audio: None, record: None };
        let origin = Origin {
            route: trygg_core::meeting::RouteKind::Mesh { polite: true, offer: false },
            member: crate::room::ids::MemberId::from_bytes([0, 0, 0, 0, 0, 0, 0, 1]),
        };
        let clock = crate::media::clock::SystemClock::shared();
        let incoming = Incoming::start(origin, SenderBinding::default(), sinks, keys.clone(), clock, move || {
            a.fetch_add(1, Ordering::Relaxed);
        })
        .unwrap();
        let picture = || {
            Received::Video(AssembledFrame {
                data: bytes::Bytes::from_static(b"not for us"),
                rtp_timestamp: 0,
                keyframe: false,
                first_arrival: Duration::ZERO,
            })
        };
        // The decoder waits on the keys while it holds the first picture: the queue fills.
        let held = keys.lock().unwrap();
        for _ in 0..100 {
            incoming.push(picture());
        }
        let dropped = incoming.stats.dropped.load(Ordering::Relaxed);
        assert!((100 - QUEUE as u64 - 1..=100 - QUEUE as u64).contains(&dropped), "{dropped} dropped");
        assert_eq!(asked.load(Ordering::Relaxed), 0, "not before the decoder gets a picture");
        drop(held);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while incoming.stats.undecryptable.load(Ordering::Relaxed) < 100 - dropped {
            assert!(std::time::Instant::now() < deadline, "the decoder caught up");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert_eq!(asked.load(Ordering::Relaxed), 1, "one keyframe request for the pictures lost");
    }

    #[test]
    fn media_from_another_leaf_than_the_route_is_bound_to_is_dropped_and_counted() {
        let stats = IncomingStats::default();
        let binding = SenderBinding::default();
        assert!(!stats.accept_sender(3, &binding), "before the member announced itself: dropped");
        binding.set(Some(3));
        assert!(stats.accept_sender(3, &binding), "the leaf the route is bound to");
        assert!(!stats.accept_sender(4, &binding), "another member's leaf, passed off on this route");
        assert_eq!(stats.unbound.load(Ordering::Relaxed), 1);
        assert_eq!(stats.wrong_sender.load(Ordering::Relaxed), 1);
        assert_eq!(stats.sframe_sender(), Some(4), "what decryption authenticated is kept for the stats");
        binding.set(None);
        assert!(!stats.accept_sender(3, &binding), "unbound again (the member left)");
    }

    #[test]
    fn a_change_of_picture_size_starts_a_new_recording_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = Recording { dir: dir.path().to_owned(), name: "kari".into(), video: None, video_size: None };
        for (w, h, n) in [(64, 48, 3), (32, 24, 2), (64, 48, 1)] {
            for _ in 0..n {
                r.video(&VideoFrame::filled(w, h, 100).unwrap());
            }
        }
        drop(r);
        let header = |f: &str| {
            let bytes = std::fs::read(dir.path().join(f)).unwrap();
            let text = String::from_utf8_lossy(&bytes[..bytes.iter().position(|&b| b == b'\n').unwrap()]).into_owned();
            (text, bytes.windows(5).filter(|w| w == b"FRAME").count())
        };
        let (h1, n1) = header("kari.y4m");
        let (h2, n2) = header("kari-2.y4m");
        let (h3, n3) = header("kari-3.y4m");
        assert!(h1.contains("W64 H48") && h2.contains("W32 H24") && h3.contains("W64 H48"), "{h1} / {h2} / {h3}");
        assert_eq!((n1, n2, n3), (3, 2, 1));
        // A new connection to the same member records on, never over what was recorded.
        let mut again = Recording { dir: dir.path().to_owned(), name: "kari".into(), video: None, video_size: None };
        again.video(&VideoFrame::filled(64, 48, 100).unwrap());
        drop(again);
        assert_eq!(header("kari.y4m").1, 3, "the first file is kept");
        assert_eq!(header("kari-4.y4m").1, 1);
    }

    #[test]
    fn the_audio_level_is_the_loudest_since_it_was_last_taken() {
        let s = IncomingStats::default();
        assert_eq!(s.take_audio_level(), 0.0);
        for rms in [0.1, 0.4, 0.2, f32::NAN, -1.0] {
            s.note_audio_level(rms);
        }
        assert_eq!(s.take_audio_level(), 0.4);
        assert_eq!(s.take_audio_level(), 0.0);
    }
}
