//! Pictures to the UI, pulled by the page: each watched participant gets a thread that keeps
//! only the newest decoded picture; the page fetches `trygg-frames://localhost/ID` (on Windows
//! `http://trygg-frames.localhost/ID`) and gets that picture as raw bytes (a 24-byte header,
//! then I420), never as JSON. The format is read by ui/src/backend/frames.ts.
//!
//! The page asks for the next picture when it has the last one, so it is never sent more than it
//! can take: when it falls behind (a busy machine), older pictures are dropped here, before they
//! cross to the page, and what it draws is the newest. One request and one answer per
//! picture, with no event to announce it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use trygg::media::MediaError;
use trygg::media::frame::VideoFrame;
use trygg::media::sink::{VideoReceiver, VideoSender};
use trygg::media::source::{Source, SourceInfo, VideoSource};

/// The URI scheme the page fetches pictures from.
pub const SCHEME: &str = "trygg-frames";
/// "TRV1", little-endian.
pub const MAGIC: u32 = u32::from_le_bytes(*b"TRV1");
/// Bytes before the picture.
pub const HEADER: usize = 24;
/// How long a watch waits for a picture before it looks at its stop flag again.
const WAIT: Duration = Duration::from_millis(100);
/// How long a request waits for a picture before it is answered "nothing yet" (and asked again).
pub const PULL_WAIT: Duration = Duration::from_secs(1);

/// The watch id in a request's path (`/7`).
pub fn watch_id(path: &str) -> Option<u64> {
    path.strip_prefix('/')?.parse().ok()
}

/// The answer to a pull: 200 with the picture, 200 and empty for "nothing yet, ask again", 410
/// once the watch has stopped or for one that does not run.
pub fn response(pull: Option<Pull>) -> tauri::http::Response<Vec<u8>> {
    use tauri::http::header::{ACCESS_CONTROL_ALLOW_ORIGIN, CACHE_CONTROL, CONTENT_TYPE};
    let (status, body) = match pull {
        Some(Pull::Picture(b)) => (200, b),
        Some(Pull::Nothing) => (200, Vec::new()),
        Some(Pull::Gone) | None => (410, Vec::new()),
    };
    tauri::http::Response::builder()
        .status(status)
        .header(CONTENT_TYPE, "application/octet-stream")
        .header(CACHE_CONTROL, "no-store")
        // The page's own origin differs from this scheme's; nothing outside the app's webview
        // can reach the scheme.
        .header(ACCESS_CONTROL_ALLOW_ORIGIN, "*")
        .body(body)
        .unwrap_or_default()
}

/// One picture as the page reads it.
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

/// The newest picture of one watch, ready to send, until the page takes it.
#[derive(Default)]
struct Newest {
    picture: Option<Vec<u8>>,
    /// The watch has stopped: no more pictures.
    over: bool,
}

/// One watched participant: what the page pulls from.
pub struct Watch {
    newest: Mutex<Newest>,
    ready: Condvar,
    /// The memory its pictures are shared through with the web extension (crate::pictures),
    /// freed with the watch.
    #[cfg(target_os = "linux")]
    pub shared: Mutex<Option<crate::picture_memory::SharedPictures>>,
}

/// What a pull gets.
#[derive(Debug, PartialEq, Eq)]
pub enum Pull {
    /// The newest picture, as the page reads it ([`encode`]), sized to the tile ([`fit`]).
    Picture(Vec<u8>),
    /// No new picture within the wait: ask again.
    Nothing,
    /// The watch has stopped.
    Gone,
}

impl Watch {
    fn new() -> Self {
        Self {
            newest: Mutex::new(Newest::default()),
            ready: Condvar::new(),
            #[cfg(target_os = "linux")]
            shared: Mutex::new(None),
        }
    }

    fn with(&self, f: impl FnOnce(&mut Newest)) {
        let mut n = self.newest.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut n);
        self.ready.notify_all();
    }

    fn put(&self, picture: Vec<u8>) {
        self.with(|n| n.picture = Some(picture));
    }

    fn end(&self) {
        self.with(|n| n.over = true);
    }

    fn is_over(&self) -> bool {
        self.newest.lock().unwrap_or_else(|p| p.into_inner()).over
    }

    /// Takes the newest picture not taken yet, waiting up to `wait` for one.
    pub fn pull(&self, wait: Duration) -> Pull {
        let n = self.newest.lock().unwrap_or_else(|p| p.into_inner());
        let (mut n, _) = self
            .ready
            .wait_timeout_while(n, wait, |n| n.picture.is_none() && !n.over)
            .unwrap_or_else(|p| p.into_inner());
        match n.picture.take() {
            Some(p) => Pull::Picture(p),
            None if n.over => Pull::Gone,
            None => Pull::Nothing,
        }
    }
}

/// The running watches, by the id the UI got.
#[derive(Default)]
pub struct Watches {
    next: u64,
    running: HashMap<u64, (Arc<Watch>, Arc<AtomicBool>)>,
}

impl Watches {
    /// Starts keeping `receiver`'s newest picture for the page to pull, until [`Watches::stop`]
    /// or the stream ends. With `width`, pictures are halved while they stay at least that wide
    /// (a 720p picture for a 600-pixel tile goes as 640x360): the page gets what it shows.
    pub fn start(&mut self, receiver: Arc<VideoReceiver>, width: Option<u32>) -> u64 {
        // Watches whose stream ended (a preview stopped, a participant left) are forgotten here.
        self.running.retain(|_, (w, _)| !w.is_over());
        self.next += 1;
        let stop = Arc::new(AtomicBool::new(false));
        let watch = Arc::new(Watch::new());
        self.running.insert(self.next, (watch.clone(), stop.clone()));
        let spawned = std::thread::Builder::new().name(format!("video-watch-{}", self.next)).spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let asked = Instant::now();
                match receiver.recv_timeout(WAIT) {
                    // Sized and framed here, on the watch's own thread, not the request's.
                    Some(frame) => watch.put(encode(&fit(frame, width))),
                    // Nothing, long before the wait was over: the stream has ended.
                    None if asked.elapsed() < WAIT / 2 => break,
                    None => {}
                }
            }
            watch.end();
        });
        if let Err(e) = spawned {
            tracing::warn!("could not start a video watch: {e}");
        }
        self.next
    }

    /// The watch with this id, while it runs.
    pub fn get(&self, id: u64) -> Option<Arc<Watch>> {
        self.running.get(&id).map(|(w, _)| w.clone())
    }

    /// Stops one watch.
    pub fn stop(&mut self, id: u64) {
        if let Some((w, s)) = self.running.remove(&id) {
            s.store(true, Ordering::Relaxed);
            w.end();
        }
    }

    /// Stops every watch (the meeting ended).
    pub fn stop_all(&mut self) {
        for (_, (w, s)) in self.running.drain() {
            s.store(true, Ordering::Relaxed);
            w.end();
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
    fn the_page_pulls_the_newest_picture_once_and_older_ones_are_dropped() {
        let (tx, rx) = video_channel(4);
        let mut watches = Watches::default();
        let id = watches.start(Arc::new(rx), Some(600));
        let watch = watches.get(id).unwrap();
        assert_eq!(watch.pull(Duration::from_millis(50)), Pull::Nothing, "nothing yet");
        for seq in 1..=3 {
            let mut f = VideoFrame::filled(1280, 720, 10 * seq as u8).unwrap();
            f.seq = seq;
            tx.send(f).unwrap();
        }
        std::thread::sleep(Duration::from_millis(200));
        let Pull::Picture(b) = watch.pull(Duration::from_secs(5)) else { panic!("a picture") };
        assert_eq!(u64::from_le_bytes(b[16..24].try_into().unwrap()), 3, "the newest; 1 and 2 were dropped");
        assert_eq!(u32::from_le_bytes(b[4..8].try_into().unwrap()), 640, "sized to the tile");
        assert_eq!(watch.pull(Duration::from_millis(50)), Pull::Nothing, "each picture goes once");
        // A pull waiting when the next picture comes gets it at once.
        let waiting = {
            let w = watch.clone();
            std::thread::spawn(move || w.pull(Duration::from_secs(5)))
        };
        std::thread::sleep(Duration::from_millis(50));
        tx.send(VideoFrame::filled(1280, 720, 99).unwrap()).unwrap();
        assert!(matches!(waiting.join().unwrap(), Pull::Picture(_)));
        watches.stop(id);
        assert_eq!(watch.pull(Duration::from_secs(5)), Pull::Gone);
        assert!(watches.get(id).is_none());
    }

    #[test]
    fn requests_name_their_watch_and_get_a_status_the_page_acts_on() {
        assert_eq!(watch_id("/7"), Some(7));
        for bad in ["", "/", "7", "/-1", "/7/8", "/x", "/99999999999999999999999"] {
            assert_eq!(watch_id(bad), None, "{bad:?}");
        }
        let picture = response(Some(Pull::Picture(vec![1, 2, 3])));
        assert_eq!((picture.status().as_u16(), picture.body().len()), (200, 3));
        let nothing = response(Some(Pull::Nothing));
        assert_eq!((nothing.status().as_u16(), nothing.body().len()), (200, 0));
        assert_eq!(response(Some(Pull::Gone)).status().as_u16(), 410);
        assert_eq!(response(None).status().as_u16(), 410);
        assert_eq!(picture.headers()["cache-control"], "no-store");
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
