//! This participant's screen share: capture at an adaptive pace, encode as screen content,
//! encrypt with SFrame under the share's own key, and hand the frames to every peer.
//!
//! One thread captures and encodes; the pace follows the content ([`SharePace`]): up to 15
//! pictures a second while it changes, 5 while it stands still. The frames go out on a broadcast
//! channel that each peer link's share sender subscribes to, so encoding happens once however
//! many watch. A source that fails (the window closed, the screen went away) ends the thread;
//! the meeting sees [`ShareOut::ended`] and stops the share for everyone.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use bytes::Bytes;
use tokio::sync::broadcast;

use super::outgoing::EncodedFrame;
use crate::e2ee::h264::H264Crypt;
use crate::e2ee::media_keys::{MediaKeys, StreamKind};
use crate::media::MediaError;
use crate::media::clock::SharedClock;
use crate::media::h264::{ContentHint, H264Config, H264Encoder};
use crate::media::screen::pace::{SharePace, fingerprint};
use crate::media::source::VideoSource;

/// The encoder settings of a share: screen content, sharpness first. Rate control plans for
/// 15 fps and 2.5 Mbit/s while the content moves, with the quantiser kept between 14 and 26: a
/// new picture arrives at about 36 dB and the next pictures sharpen it, past 40 dB within a
/// second and to about 45–49 dB (text with 1-pixel strokes reads cleanly from about 38 dB).
/// The cap of 26 costs a larger keyframe (a 1080p slide of dense text: about 30 ms more to the
/// first picture) but starts the sharpening higher; at 30 a slide took about 2.7 s to reach
/// 40 dB. When the budget runs out pictures are dropped, not blurred. A still slide needs a
/// small fraction of the budget, since its pictures after the sharpening are nearly empty. No
/// periodic keyframes (a 1080p keyframe of text is 100–600 kB); receivers ask for one when
/// they need it.
pub fn share_h264() -> H264Config {
    H264Config {
        bitrate_bps: 2_500_000,
        fps: 15.0,
        content: ContentHint::Screen,
        keyframe_interval: None,
        allow_frame_skip: true,
        threads: 1,
        max_qp: 26,
    }
}

/// A frame this small says the encoder has nothing left to send for the picture (a still,
/// sharp slide codes to about 14 bytes).
const SETTLED_BYTES: usize = 64;

/// Counters of the outgoing share.
#[derive(Debug, Default)]
pub struct ShareOutStats {
    /// Pictures captured.
    pub captured: AtomicU64,
    /// Pictures encoded and sent.
    pub frames: AtomicU64,
    /// Encrypted bytes sent (once; each peer gets the same).
    pub bytes: AtomicU64,
    /// Keyframes sent.
    pub keyframes: AtomicU64,
    /// Size of the last picture (`width << 32 | height`).
    pub size: AtomicU64,
    /// Time of the first frame that went out (µs by the meeting's clock), 0 before.
    pub first_frame_us: AtomicU64,
}

/// The running share.
pub struct ShareOut {
    /// Encoded, encrypted frames.
    pub tx: broadcast::Sender<Arc<EncodedFrame>>,
    /// Make the next picture a keyframe (a viewer joined or asked).
    pub keyframe: Arc<AtomicBool>,
    /// Counters.
    pub stats: Arc<ShareOutStats>,
    /// The error that ended the share, if one did.
    pub failure: Arc<Mutex<Option<MediaError>>>,
    /// What is shared, as the source names it.
    pub name: String,
    stop: Arc<AtomicBool>,
    ended: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl ShareOut {
    /// Starts capturing `source` and encoding it with `h264`, encrypting with `keys`.
    pub fn start(
        mut source: VideoSource,
        h264: H264Config,
        keys: Arc<Mutex<MediaKeys>>,
        clock: SharedClock,
    ) -> Result<Self, MediaError> {
        let mut encoder = H264Encoder::new(h264)?;
        let (tx, _) = broadcast::channel(8);
        let keyframe = Arc::new(AtomicBool::new(true));
        let stats = Arc::new(ShareOutStats::default());
        let failure = Arc::new(Mutex::new(None));
        let stop = Arc::new(AtomicBool::new(false));
        let ended = Arc::new(AtomicBool::new(false));
        let name = source.info().name;
        let (tx2, kf, st, fail, stop2, ended2) =
            (tx.clone(), keyframe.clone(), stats.clone(), failure.clone(), stop.clone(), ended.clone());
        let thread = std::thread::Builder::new()
            .name("share out".into())
            .spawn(move || {
                let mut crypt = H264Crypt::new();
                let mut pace = SharePace::default();
                let result = (|| -> Result<(), MediaError> {
                    while !stop2.load(Ordering::Relaxed) {
                        let Some(frame) = source.next_frame()? else { return Ok(()) };
                        st.captured.fetch_add(1, Ordering::Relaxed);
                        st.size.store(u64::from(frame.width()) << 32 | u64::from(frame.height()), Ordering::Relaxed);
                        let print = fingerprint(&frame);
                        if kf.swap(false, Ordering::Relaxed) {
                            encoder.request_keyframe();
                        }
                        let encoded = encoder.encode(&frame)?;
                        // Skipped (repaying a keyframe) or a real frame: the encoder is not done.
                        let settled = encoded.as_ref().is_some_and(|e| e.data.len() <= SETTLED_BYTES);
                        let wait = pace.after(print, settled);
                        if let Some(e) = encoded {
                            let mut sealed = Vec::with_capacity(e.data.len() + 64);
                            let encrypted = keys
                                .lock()
                                .ok()
                                .and_then(|mut k| crypt.encrypt(&mut k, StreamKind::Screen, &e.data, &mut sealed).ok());
                            match encrypted {
                                Some(()) => {
                                    st.frames.fetch_add(1, Ordering::Relaxed);
                                    st.bytes.fetch_add(sealed.len() as u64, Ordering::Relaxed);
                                    st.keyframes.fetch_add(u64::from(e.keyframe), Ordering::Relaxed);
                                    let now = clock.now_us();
                                    let _ = st.first_frame_us.compare_exchange(
                                        0,
                                        now,
                                        Ordering::Relaxed,
                                        Ordering::Relaxed,
                                    );
                                    let _ = tx2.send(Arc::new(EncodedFrame {
                                        data: Bytes::from(sealed),
                                        capture_us: e.capture_us,
                                        keyframe: e.keyframe,
                                    }));
                                }
                                // No keys yet: nothing leaves unencrypted; start again on a keyframe.
                                None => kf.store(true, Ordering::Relaxed),
                            }
                        }
                        // Wait in short steps so that a stop is quick.
                        let due = frame.capture_us + wait;
                        while !stop2.load(Ordering::Relaxed) && clock.now_us() < due {
                            clock.sleep_until_us(due.min(clock.now_us() + 20_000));
                        }
                    }
                    Ok(())
                })();
                if let Err(e) = result {
                    tracing::info!("share ended: {e}");
                    if let Ok(mut f) = fail.lock() {
                        f.get_or_insert(e);
                    }
                }
                ended2.store(true, Ordering::Relaxed);
            })
            .map_err(|e| MediaError::io("share thread", e))?;
        Ok(Self { tx, keyframe, stats, failure, name, stop, ended, thread: Some(thread) })
    }

    /// True once the capture thread has ended (the source failed or ran out).
    pub fn ended(&self) -> bool {
        self.ended.load(Ordering::Relaxed)
    }

    /// Asks for a keyframe next.
    pub fn request_keyframe(&self) {
        self.keyframe.store(true, Ordering::Relaxed);
    }

    /// Picture size of the last capture.
    pub fn size(&self) -> (u32, u32) {
        let s = self.stats.size.load(Ordering::Relaxed);
        ((s >> 32) as u32, s as u32)
    }
}

impl Drop for ShareOut {
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
    use crate::media::VideoFrame;
    use crate::media::analysis::psnr_luma;
    use crate::media::clock::SystemClock;
    use crate::media::h264::H264Decoder;
    use crate::media::screen::synthetic::{MARKER, SyntheticScreen};

    /// A gray slide of small text (no colour, like a document) with a dark square at `x` in an
    /// empty band above the text.
    fn slide(text: &VideoFrame, x: u32) -> VideoFrame {
        let mut f = text.clone();
        let w = f.width() as usize;
        let (y, u, v) = f.planes_mut();
        u.fill(128);
        v.fill(128);
        for row in 96..96 + MARKER as usize {
            let line = &mut y[row * w..(row + 1) * w];
            line.fill(235);
            line[x as usize..(x + MARKER) as usize].fill(40);
        }
        f
    }

    /// The share's one keyframe is sharpened by the pictures after it, also when nothing but a
    /// small square moves. (openh264's fast skip of unchanged blocks below High complexity left
    /// text at the keyframe's 36 dB for as long as the slide stood, unless a second keyframe
    /// happened to follow.)
    #[test]
    fn the_first_keyframe_of_a_share_is_sharpened_by_the_pictures_after_it() {
        let text = SyntheticScreen::new(1280, 720, 5, SystemClock::shared()).unwrap().still(true).render(0, 0);
        let mut encoder = H264Encoder::new(share_h264()).unwrap();
        let mut decoder = H264Decoder::new().unwrap();
        encoder.request_keyframe();
        let (mut keyframes, mut quality, mut last_size) = (0, vec![], 0);
        for k in 0..40u64 {
            let mut picture = slide(&text, 32 + 16 * (k / 2) as u32);
            picture.capture_us = 1_000_000 + k * 70_000;
            let Some(e) = encoder.encode(&picture).unwrap() else { continue };
            keyframes += usize::from(e.keyframe);
            last_size = e.data.len();
            let decoded = decoder.decode(&e.data).unwrap().expect("a picture").to_frame(0, 0).unwrap();
            // The text, below the marker's band.
            let crop = |f: &VideoFrame| {
                let y0 = 96 + MARKER + 8;
                VideoFrame::from_planes(
                    1280,
                    720 - y0,
                    (&f.y()[(y0 * 1280) as usize..], 1280),
                    (&f.u()[(y0 / 2 * 640) as usize..], 640),
                    (&f.v()[(y0 / 2 * 640) as usize..], 640),
                    0,
                    0,
                )
                .unwrap()
            };
            quality.push(psnr_luma(&crop(&decoded), &crop(&picture)).unwrap());
        }
        assert_eq!(keyframes, 1);
        assert!(quality[0] < 38.0, "the keyframe comes fast and soft: {quality:?}");
        assert!(quality.last().unwrap() >= &44.0, "and is sharpened: {quality:?}");
        assert!(last_size <= SETTLED_BYTES, "then the encoder settles: {last_size} bytes");
    }
}
