//! Pictures to the UI: each watched participant gets a thread that takes the newest decoded
//! picture and sends it through a Tauri channel as raw bytes (a 24-byte header, then I420), never
//! as JSON. The format is read by ui/src/backend/frames.ts.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tauri::ipc::{Channel, InvokeResponseBody};
use trygg::media::MediaError;
use trygg::media::frame::VideoFrame;
use trygg::media::sink::{VideoReceiver, VideoSender};
use trygg::media::source::{Source, SourceInfo, VideoSource};

/// "TRV1", little-endian.
pub const MAGIC: u32 = u32::from_le_bytes(*b"TRV1");
/// Bytes before the picture.
pub const HEADER: usize = 24;
/// How long a watch waits for a picture before it looks at its stop flag again.
const WAIT: Duration = Duration::from_millis(100);

/// One picture as a channel message.
pub fn encode(frame: &VideoFrame) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + frame.data().len());
    out.extend_from_slice(&MAGIC.to_le_bytes());
    out.extend_from_slice(&frame.width().to_le_bytes());
    out.extend_from_slice(&frame.height().to_le_bytes());
    // The low 32 bits of the picture's time in µs since the Unix epoch (decoded, or captured for
    // the self view): the page times its frame path against its own clock of the same machine.
    out.extend_from_slice(&(frame.capture_us as u32).to_le_bytes());
    out.extend_from_slice(&frame.seq.to_le_bytes());
    out.extend_from_slice(frame.data());
    out
}

/// `frame` halved while it stays at least `width` wide.
pub fn fit(mut frame: VideoFrame, width: Option<u32>) -> VideoFrame {
    let Some(want) = width else { return frame };
    while frame.width() / 2 >= want.max(16) && frame.height() / 2 >= 16 {
        match trygg::media::convert::halve_i420(&frame) {
            Ok(f) => frame = f,
            Err(_) => break,
        }
    }
    frame
}

/// The running watches, by the id the UI got.
#[derive(Default)]
pub struct Watches {
    next: u64,
    stops: HashMap<u64, Arc<AtomicBool>>,
}

impl Watches {
    /// Starts sending `receiver`'s pictures to `channel` until [`Watches::stop`] (or the UI
    /// closes the channel). With `width`, pictures are halved while they stay at least that wide
    /// (a 720p picture for a 600-pixel tile goes as 640x360): the page gets what it shows.
    pub fn start(
        &mut self,
        receiver: Arc<VideoReceiver>,
        channel: Channel<InvokeResponseBody>,
        width: Option<u32>,
    ) -> u64 {
        self.next += 1;
        let stop = Arc::new(AtomicBool::new(false));
        self.stops.insert(self.next, stop.clone());
        let spawned = std::thread::Builder::new().name(format!("video-watch-{}", self.next)).spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let asked = Instant::now();
                match receiver.recv_timeout(WAIT) {
                    Some(frame) => {
                        let bytes = encode(&fit(frame, width));
                        if channel.send(InvokeResponseBody::Raw(bytes)).is_err() {
                            // The UI closed the channel.
                            break;
                        }
                    }
                    // Nothing, long before the wait was over: the stream has ended.
                    None if asked.elapsed() < WAIT / 2 => break,
                    None => {}
                }
            }
        });
        if let Err(e) = spawned {
            tracing::warn!("could not start a video watch: {e}");
        }
        self.next
    }

    /// Stops one watch.
    pub fn stop(&mut self, id: u64) {
        if let Some(s) = self.stops.remove(&id) {
            s.store(true, Ordering::Relaxed);
        }
    }

    /// Stops every watch (the meeting ended).
    pub fn stop_all(&mut self) {
        for (_, s) in self.stops.drain() {
            s.store(true, Ordering::Relaxed);
        }
    }
}

/// Our own camera for the self view: passes every picture on to the meeting, and every other
/// one to a video channel the UI can watch as "self" (15 pictures a second are plenty for a
/// small tile). Nothing more happens here, on the capture thread: the watch that sends the copy
/// to the page sizes it to the tile ([`fit`]).
pub struct SelfView {
    inner: VideoSource,
    copy: VideoSender,
    count: u64,
}

impl SelfView {
    /// Wraps a source.
    pub fn new(inner: VideoSource, copy: VideoSender) -> Self {
        Self { inner, copy, count: 0 }
    }
}

impl Source for SelfView {
    type Frame = VideoFrame;

    fn info(&self) -> SourceInfo {
        self.inner.info()
    }

    fn next_frame(&mut self) -> Result<Option<VideoFrame>, MediaError> {
        let frame = self.inner.next_frame()?;
        if let Some(f) = &frame {
            self.count += 1;
            if self.count % 2 == 1 {
                // The UI may not watch (camera off, window hidden); the channel then drops the
                // oldest.
                let _ = self.copy.send(f.clone());
            }
        }
        Ok(frame)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trygg::media::sink::video_channel;

    #[test]
    fn a_picture_is_header_then_i420() {
        let mut f = VideoFrame::filled(32, 16, 200).unwrap();
        f.seq = 0x0102_0304_0506;
        f.capture_us = 0x0001_7fff_dead_beef;
        let b = encode(&f);
        assert_eq!(b.len(), HEADER + 32 * 16 * 3 / 2);
        assert_eq!(&b[0..4], b"TRV1");
        assert_eq!(u32::from_le_bytes(b[4..8].try_into().unwrap()), 32);
        assert_eq!(u32::from_le_bytes(b[8..12].try_into().unwrap()), 16);
        assert_eq!(u32::from_le_bytes(b[12..16].try_into().unwrap()), 0xdead_beef, "the time's low 32 bits");
        assert_eq!(u64::from_le_bytes(b[16..24].try_into().unwrap()), 0x0102_0304_0506);
        assert_eq!(&b[HEADER..], f.data());
    }

    #[test]
    fn the_self_view_gets_every_other_picture_the_meeting_sends() {
        struct Four(u64);
        impl Source for Four {
            type Frame = VideoFrame;
            fn info(&self) -> SourceInfo {
                SourceInfo {
                    kind: trygg::media::source::SourceKind::Synthetic,
                    name: "four".into(),
                    format: String::new(),
                }
            }
            fn next_frame(&mut self) -> Result<Option<VideoFrame>, MediaError> {
                self.0 += 1;
                if self.0 > 4 {
                    return Ok(None);
                }
                let mut f = VideoFrame::filled(1280, 720, 10)?;
                f.seq = self.0;
                Ok(Some(f))
            }
        }
        let (tx, rx) = video_channel(4);
        let mut s = SelfView::new(Box::new(Four(0)), tx);
        for seq in 1..=4 {
            let sent = s.next_frame().unwrap().unwrap();
            assert_eq!(
                (sent.seq, sent.width(), sent.height()),
                (seq, 1280, 720),
                "the meeting gets every picture, whole"
            );
        }
        assert!(s.next_frame().unwrap().is_none());
        let copies: Vec<_> = std::iter::from_fn(|| rx.recv_timeout(Duration::ZERO)).collect();
        let seen: Vec<_> = copies.iter().map(|f| (f.seq, f.width(), f.height())).collect();
        assert_eq!(seen, [(1, 1280, 720), (3, 1280, 720)]);
        // Sized to a 600-pixel tile by the watch.
        let small = fit(copies[0].clone(), Some(600));
        assert_eq!((small.width(), small.height()), (640, 360));
        assert!(small.y().iter().all(|&l| l == 10), "the same picture, smaller");
    }
}
