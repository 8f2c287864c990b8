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

    /// For a sink with a clock of its own (a sound card): what it holds queued, so that whoever
    /// feeds it can keep to its clock rather than to the system's. None: the sink takes frames
    /// whenever they come (a file, nothing).
    fn device_queue(&self) -> Option<DeviceQueue> {
        None
    }

    /// For a sound card: what it really plays, as its callback takes it (the echo canceller's
    /// reference). None: what is handed to [`AudioSink::play`] is what is played.
    fn played(&self) -> Option<Played> {
        None
    }
}

/// What a sound card really played, in order, as its callback took it: 48 kHz mono samples,
/// with silence where the card ran dry. The echo canceller's reference: the room hears this,
/// not what was handed to the card (a queue that runs dry or is trimmed shifts the two apart,
/// and the canceller would lose the room). The card's callback adds to it without allocating;
/// whoever feeds the canceller takes what has been played so far.
#[derive(Debug, Clone)]
pub struct Played(Arc<Mutex<VecDeque<f32>>>);

/// Played audio nobody took beyond this is dropped, oldest first (one second).
const MAX_PLAYED: usize = 48_000;

impl Default for Played {
    fn default() -> Self {
        Self(Arc::new(Mutex::new(VecDeque::with_capacity(2 * MAX_PLAYED))))
    }
}

impl Played {
    /// The card took these samples to play.
    pub fn push(&self, samples: &[f32]) {
        if let Ok(mut q) = self.0.lock() {
            q.extend(samples.iter().copied());
            Self::trim(&mut q);
        }
    }

    /// The card played `n` samples of silence (it ran dry).
    pub fn silence(&self, n: usize) {
        if let Ok(mut q) = self.0.lock() {
            q.extend(std::iter::repeat_n(0.0, n.min(MAX_PLAYED)));
            Self::trim(&mut q);
        }
    }

    fn trim(q: &mut VecDeque<f32>) {
        if q.len() > MAX_PLAYED {
            let excess = q.len() - MAX_PLAYED;
            q.drain(..excess);
        }
    }

    /// Moves everything played since the last call into `out` (appended).
    pub fn take_into(&self, out: &mut Vec<f32>) {
        if let Ok(mut q) = self.0.lock() {
            out.extend(q.drain(..));
        }
    }
}

/// What a sound card's queue holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceQueue {
    /// Audio queued and not yet taken by the device.
    pub queued: Duration,
    /// The most the device has taken at a time (its callback's size).
    pub chunk: Duration,
    /// How long after the device takes audio from the queue it is heard (its own buffer and
    /// converters, as the device reports it).
    pub latency: Duration,
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

    #[test]
    fn what_a_card_played_comes_out_in_order_with_its_dry_spells_and_bounded() {
        let played = Played::default();
        played.push(&[0.5, 0.25]);
        played.silence(3);
        played.push(&[1.0]);
        let mut out = vec![9.0];
        played.take_into(&mut out);
        assert_eq!(out, [9.0, 0.5, 0.25, 0.0, 0.0, 0.0, 1.0]);
        out.clear();
        played.take_into(&mut out);
        assert!(out.is_empty(), "taken once");
        // Nobody takes it: the newest second is kept.
        for i in 0..3 * MAX_PLAYED / 480 {
            played.push(&[i as f32; 480]);
        }
        played.take_into(&mut out);
        assert_eq!(out.len(), MAX_PLAYED);
        assert_eq!(out.last(), Some(&((3 * MAX_PLAYED / 480 - 1) as f32)));
    }

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
