//! How often a shared screen is captured and encoded: up to 15 pictures a second while it
//! changes (a cursor, scrolling, typing), down to 5 while it stands still, so that a static slide
//! costs little CPU and bandwidth and still reaches a late viewer within a fifth of a second.
//!
//! Sans-I/O: [`SharePace::after`] takes the picture's fingerprint ([`fingerprint`]) and whether
//! the encoder is done with it, and returns how long to wait before the next capture.
//! [`Ticker`] is the fixed pace of a capture source underneath.

use crate::media::clock::SharedClock;
use crate::media::{MediaError, VideoFrame};

/// The fastest pace, while the content moves.
pub const FAST_US: u64 = 1_000_000 / 15;
/// The slowest pace, for content that stands still.
pub const SLOW_US: u64 = 1_000_000 / 5;

/// Pictures of one still content after which it counts as settled even if the encoder still
/// sends more than next to nothing for it (two seconds at the fast pace: the sharpening after a
/// keyframe takes one to two; an encoder that never stops refining some block must not keep a
/// still slide at 15 pictures a second).
pub const STILL_SETTLES: u32 = 30;

/// The capture pace of a share.
#[derive(Debug, Clone)]
pub struct SharePace {
    interval_us: u64,
    last: Option<u64>,
    /// Pictures in a row equal to the one before.
    still: u32,
}

impl Default for SharePace {
    fn default() -> Self {
        Self { interval_us: FAST_US, last: None, still: 0 }
    }
}

impl SharePace {
    /// Feeds the fingerprint of the picture just captured and encoded, and whether the encoder
    /// is done with it (`settled`: its frame was next to empty, nothing left to sharpen); returns
    /// the wait before the next capture in µs. A change goes straight back to the fast pace, and
    /// so does a picture the encoder is still working on: after a keyframe (a new viewer, a lost
    /// packet) the encoder skips pictures to repay its budget, then sharpens the text over a
    /// couple of dozen frames, which at 15 fps takes about two seconds instead of six at 5 fps.
    /// Each still, settled picture slows the pace by half again, so about half a second of
    /// stillness reaches the slow pace. After [`STILL_SETTLES`] still pictures the picture counts
    /// as settled whatever the encoder says.
    pub fn after(&mut self, fingerprint: u64, settled: bool) -> u64 {
        let changed = self.last != Some(fingerprint);
        self.last = Some(fingerprint);
        self.still = if changed { 0 } else { self.still.saturating_add(1) };
        let settled = settled || self.still >= STILL_SETTLES;
        self.interval_us = if changed || !settled { FAST_US } else { (self.interval_us * 3 / 2).min(SLOW_US) };
        self.interval_us
    }

    /// The current pace in pictures per second.
    pub fn fps(&self) -> f64 {
        1_000_000.0 / self.interval_us as f64
    }
}

/// The steady tick of a capture source: one picture every `1/fps` seconds on the source's clock,
/// each stamped with its capture time and sequence number. A slow grab skips ahead rather than
/// bursting to catch up.
pub struct Ticker {
    fps: u32,
    clock: SharedClock,
    next_us: Option<u64>,
    seq: u64,
}

impl Ticker {
    /// A ticker at `fps` (1..=60).
    pub fn new(fps: u32, clock: SharedClock) -> Result<Self, MediaError> {
        if !(1..=60).contains(&fps) {
            return Err(MediaError::invalid("share frame rate", format!("{fps} fps; use 1..=60")));
        }
        Ok(Self { fps, clock, next_us: None, seq: 0 })
    }

    /// The frame rate.
    pub fn fps(&self) -> u32 {
        self.fps
    }

    /// Waits until the next picture is due, takes it with `grab` and stamps it.
    pub fn next(&mut self, grab: impl FnOnce() -> Result<VideoFrame, MediaError>) -> Result<VideoFrame, MediaError> {
        let period = 1_000_000 / u64::from(self.fps);
        let due = *self.next_us.get_or_insert_with(|| self.clock.now_us());
        self.clock.sleep_until_us(due);
        let mut f = grab()?;
        f.capture_us = self.clock.now_us();
        f.seq = self.seq;
        self.seq += 1;
        // Behind by more than a frame (a slow grab): skip ahead rather than burst.
        self.next_us = Some((due + period).max(f.capture_us.saturating_sub(period / 2)));
        Ok(f)
    }
}

/// A 64-bit fingerprint of a picture's brightness plane: equal pictures give equal values, and
/// any change of a single pixel changes it (up to hash collisions).
pub fn fingerprint(frame: &VideoFrame) -> u64 {
    let y = frame.y();
    let mut h = 0xcbf2_9ce4_8422_2325u64 ^ (u64::from(frame.width()) << 32 | u64::from(frame.height()));
    let mut chunks = y.chunks_exact(8);
    for c in &mut chunks {
        let v = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        h = (h ^ v).wrapping_mul(0x0000_0100_0000_01b3).rotate_left(29);
    }
    for &b in chunks.remainder() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn still_content_slows_to_five_per_second_and_a_change_is_fast_again() {
        let mut p = SharePace::default();
        assert_eq!(p.after(1, true), FAST_US, "the first picture is a change");
        let waits: Vec<u64> = (0..8).map(|_| p.after(1, true)).collect();
        assert!(waits.windows(2).all(|w| w[1] >= w[0]), "{waits:?}");
        assert_eq!(*waits.last().unwrap(), SLOW_US);
        let still_time: u64 = waits.iter().take_while(|&&w| w < SLOW_US).sum();
        assert!(still_time < 600_000, "slow within about half a second: {still_time} µs");
        assert_eq!(p.after(2, true), FAST_US);
        assert!((p.fps() - 15.0).abs() < 0.01);
    }

    #[test]
    fn a_still_picture_the_encoder_is_still_sharpening_keeps_the_fast_pace() {
        let mut p = SharePace::default();
        for _ in 0..8 {
            p.after(1, true);
        }
        assert_eq!(p.after(1, true), SLOW_US, "still and settled");
        // A keyframe was asked for: the encoder skips, then sharpens, on the same picture.
        assert_eq!(p.after(1, false), FAST_US);
        assert_eq!(p.after(1, false), FAST_US);
        assert!(p.after(1, true) > FAST_US, "settled again: slowing down");
    }

    #[test]
    fn a_still_picture_the_encoder_never_stops_refining_slows_down_after_two_seconds() {
        let mut p = SharePace::default();
        let waits: Vec<u64> = (0..=STILL_SETTLES + 8).map(|_| p.after(7, false)).collect();
        assert!(waits[..STILL_SETTLES as usize].iter().all(|&w| w == FAST_US), "{waits:?}");
        assert_eq!(*waits.last().unwrap(), SLOW_US, "{waits:?}");
        assert_eq!(p.after(8, false), FAST_US, "a change is fast again");
        assert_eq!(p.after(8, false), FAST_US, "and the count starts over");
    }

    #[test]
    fn the_ticker_paces_stamps_and_skips_ahead_after_a_slow_grab() {
        use crate::media::clock::VirtualClock;
        let clock = VirtualClock::new(0);
        let mut t = Ticker::new(10, clock.clone()).unwrap();
        let grab = || VideoFrame::filled(16, 16, 0);
        let a = t.next(grab).unwrap();
        let b = t.next(grab).unwrap();
        assert_eq!((a.seq, b.seq), (0, 1));
        assert_eq!(b.capture_us - a.capture_us, 100_000, "one tenth of a second apart");
        // A grab that takes 0.35 s: the next picture is not rushed out three times.
        let c = t.next(|| {
            clock.advance_us(350_000);
            grab()
        });
        let c = c.unwrap();
        let _d = t.next(grab).unwrap();
        let e = t.next(grab).unwrap();
        // Catching up on every missed tick would give d and e at once, with c.
        assert!(e.capture_us - c.capture_us >= 50_000, "{} µs", e.capture_us - c.capture_us);
        assert!(Ticker::new(0, clock.clone()).is_err() && Ticker::new(61, clock).is_err());
    }

    #[test]
    fn a_single_changed_pixel_changes_the_fingerprint() {
        let a = VideoFrame::filled(64, 48, 100).unwrap();
        let mut b = a.clone();
        assert_eq!(fingerprint(&a), fingerprint(&b));
        b.planes_mut().0[64 * 47 + 63] = 101;
        assert_ne!(fingerprint(&a), fingerprint(&b));
        let c = VideoFrame::filled(48, 64, 100).unwrap();
        assert_ne!(fingerprint(&a), fingerprint(&c), "same bytes, another size");
    }
}
