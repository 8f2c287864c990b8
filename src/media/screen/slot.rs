//! The newest picture of a push-based capture (the desktop portal's PipeWire stream, Windows.Graphics.Capture,
//! ScreenCaptureKit): the system's capture thread puts pictures and, once, the reason the share
//! ended; the meeting's capture loop takes the newest at its own pace.

use std::sync::{Condvar, Mutex};
use std::time::Duration;

use crate::media::{DeviceKind, MediaError, VideoFrame};

#[derive(Default)]
struct Latest {
    frame: Option<VideoFrame>,
    ended: Option<MediaError>,
    /// The end was reported already.
    over: bool,
}

/// Shared between the system's capture thread and the [`Source`](crate::media::source::Source).
#[derive(Default)]
pub struct PictureSlot {
    latest: Mutex<Latest>,
    changed: Condvar,
}

impl PictureSlot {
    fn with(&self, f: impl FnOnce(&mut Latest)) {
        let mut l = self.latest.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut l);
        self.changed.notify_all();
    }

    /// Keeps `frame` as the newest picture.
    pub fn put(&self, frame: VideoFrame) {
        self.with(|l| l.frame = Some(frame));
    }

    /// Ends the share with `e`; the first reason given is the one reported.
    pub fn end(&self, e: MediaError) {
        self.with(|l| {
            if !l.over {
                l.ended.get_or_insert(e);
            }
        });
    }

    /// The newest picture, waiting up to `wait` for the first; the end of the share is reported
    /// once as its reason, then as "the share has ended".
    pub fn take(&self, wait: Duration) -> Result<VideoFrame, MediaError> {
        let l = self.latest.lock().unwrap_or_else(|p| p.into_inner());
        let (mut l, _) = self
            .changed
            .wait_timeout_while(l, wait, |l| l.frame.is_none() && l.ended.is_none() && !l.over)
            .unwrap_or_else(|p| p.into_inner());
        let failed = |d: &str| MediaError::DeviceFailed { kind: DeviceKind::Screen, detail: d.into() };
        if l.over {
            return Err(failed("the share has ended"));
        }
        if let Some(e) = l.ended.take() {
            l.over = true;
            return Err(e);
        }
        l.frame.clone().ok_or_else(|| failed("the shared screen sent no picture"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_picture_is_taken_and_the_end_is_told_once_with_its_reason() {
        let slot = std::sync::Arc::new(PictureSlot::default());
        let err = slot.take(Duration::from_millis(10)).unwrap_err();
        assert!(err.to_string().contains("sent no picture"), "{err}");
        let putter = slot.clone();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            putter.put(VideoFrame::filled(16, 16, 7).unwrap());
        });
        assert_eq!(slot.take(Duration::from_secs(5)).unwrap().y()[0], 7, "waits for the first picture");
        t.join().unwrap();
        slot.put(VideoFrame::filled(16, 16, 9).unwrap());
        assert_eq!(slot.take(Duration::ZERO).unwrap().y()[0], 9, "the newest");
        assert_eq!(slot.take(Duration::ZERO).unwrap().y()[0], 9, "kept until a newer one");
        slot.end(MediaError::DeviceFailed { kind: DeviceKind::Screen, detail: "the shared window was closed".into() });
        slot.end(MediaError::DeviceFailed { kind: DeviceKind::Screen, detail: "later".into() });
        let first = slot.take(Duration::ZERO).unwrap_err().to_string();
        assert!(first.contains("the shared window was closed"), "{first}");
        slot.end(MediaError::DeviceFailed { kind: DeviceKind::Screen, detail: "after".into() });
        let then = slot.take(Duration::ZERO).unwrap_err().to_string();
        assert!(then.contains("the share has ended"), "{then}");
    }
}
