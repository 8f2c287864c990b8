//! Where decoded media goes: a speaker, a file, or the UI through a video channel.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use super::MediaError;
use super::frame::{AudioFrame, VideoFrame};

/// Where decoded audio goes.
pub trait AudioSink: Send {
    /// Queues one frame for playback.
    fn play(&mut self, frame: &AudioFrame) -> Result<(), MediaError>;
}

/// Discards audio (no speaker chosen).
#[derive(Debug, Default)]
pub struct NullAudioSink;

impl AudioSink for NullAudioSink {
    fn play(&mut self, _frame: &AudioFrame) -> Result<(), MediaError> {
        Ok(())
    }
}

struct Slot {
    frames: VecDeque<VideoFrame>,
    dropped: u64,
    closed: bool,
}

/// The sending side of a video channel. When the receiver falls behind, the oldest picture is
/// dropped: a renderer wants the newest picture, never a backlog.
#[derive(Clone)]
pub struct VideoSender {
    shared: Arc<(Mutex<Slot>, Condvar)>,
    capacity: usize,
}

/// The receiving side of a video channel (the UI's renderer, a recorder, a test).
pub struct VideoReceiver {
    shared: Arc<(Mutex<Slot>, Condvar)>,
}

/// A video channel holding at most `capacity` pictures.
pub fn video_channel(capacity: usize) -> (VideoSender, VideoReceiver) {
    let shared = Arc::new((Mutex::new(Slot { frames: VecDeque::new(), dropped: 0, closed: false }), Condvar::new()));
    (VideoSender { shared: shared.clone(), capacity: capacity.max(1) }, VideoReceiver { shared })
}

impl VideoSender {
    /// Queues a picture, dropping the oldest if full. Fails once the receiver is gone.
    pub fn send(&self, frame: VideoFrame) -> Result<(), MediaError> {
        let (lock, cv) = &*self.shared;
        let mut s = lock.lock().map_err(|_| MediaError::Closed)?;
        if s.closed {
            return Err(MediaError::Closed);
        }
        if s.frames.len() >= self.capacity {
            s.frames.pop_front();
            s.dropped += 1;
        }
        s.frames.push_back(frame);
        cv.notify_one();
        Ok(())
    }

    /// Ends the stream: the receiver gets the queued pictures, then None.
    pub fn close(&self) {
        let (lock, cv) = &*self.shared;
        if let Ok(mut s) = lock.lock() {
            s.closed = true;
            cv.notify_all();
        }
    }
}

impl VideoReceiver {
    /// The next picture, waiting up to `timeout`; None when the stream ended or nothing came.
    pub fn recv_timeout(&self, timeout: Duration) -> Option<VideoFrame> {
        let (lock, cv) = &*self.shared;
        let guard = lock.lock().ok()?;
        let (mut s, _) = cv.wait_timeout_while(guard, timeout, |s| s.frames.is_empty() && !s.closed).ok()?;
        s.frames.pop_front()
    }

    /// Pictures dropped because this receiver was slow.
    pub fn dropped(&self) -> u64 {
        self.shared.0.lock().map(|s| s.dropped).unwrap_or(0)
    }
}

impl std::fmt::Debug for VideoReceiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VideoReceiver").field("dropped", &self.dropped()).finish()
    }
}

impl Drop for VideoReceiver {
    fn drop(&mut self) {
        if let Ok(mut s) = self.shared.0.lock() {
            s.closed = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(seq: u64) -> VideoFrame {
        let mut f = VideoFrame::filled(16, 16, 0).unwrap();
        f.seq = seq;
        f
    }

    #[test]
    fn a_slow_receiver_gets_the_newest_pictures() {
        let (tx, rx) = video_channel(2);
        for i in 0..5 {
            tx.send(frame(i)).unwrap();
        }
        assert_eq!(rx.recv_timeout(Duration::ZERO).unwrap().seq, 3);
        assert_eq!(rx.recv_timeout(Duration::ZERO).unwrap().seq, 4);
        assert!(rx.recv_timeout(Duration::from_millis(1)).is_none());
        assert_eq!(rx.dropped(), 3);
    }

    #[test]
    fn closing_ends_the_stream_and_a_gone_receiver_fails_sends() {
        let (tx, rx) = video_channel(4);
        tx.send(frame(1)).unwrap();
        tx.close();
        assert_eq!(rx.recv_timeout(Duration::from_secs(1)).unwrap().seq, 1);
        assert!(rx.recv_timeout(Duration::from_secs(1)).is_none());
        let (tx, rx) = video_channel(4);
        drop(rx);
        assert!(matches!(tx.send(frame(1)), Err(MediaError::Closed)));
    }
}
