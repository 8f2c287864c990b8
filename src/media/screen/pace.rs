//! How often a shared screen is captured and encoded: up to 15 pictures a second while it
//! changes (a cursor, scrolling, typing), down to 5 while it stands still, so that a static slide
//! costs little CPU and bandwidth and still reaches a late viewer within a fifth of a second.
//!
//! Sans-I/O: [`SharePace::after`] takes whether the picture changed and returns how long to wait
//! before the next capture; [`fingerprint`] says whether it changed.

use crate::media::VideoFrame;

/// The fastest pace, while the content moves.
pub const FAST_US: u64 = 1_000_000 / 15;
/// The slowest pace, for content that stands still.
pub const SLOW_US: u64 = 1_000_000 / 5;

/// The capture pace of a share.
#[derive(Debug, Clone)]
pub struct SharePace {
    interval_us: u64,
    last: Option<u64>,
}

impl Default for SharePace {
    fn default() -> Self {
        Self { interval_us: FAST_US, last: None }
    }
}

impl SharePace {
    /// Feeds the fingerprint of the picture just captured; returns the wait before the next
    /// capture in µs. A change goes straight back to the fast pace; each still picture slows
    /// the pace by half again, so about half a second of stillness reaches the slow pace.
    pub fn after(&mut self, fingerprint: u64) -> u64 {
        let changed = self.last != Some(fingerprint);
        self.last = Some(fingerprint);
        self.interval_us = if changed { FAST_US } else { (self.interval_us * 3 / 2).min(SLOW_US) };
        self.interval_us
    }

    /// The current pace in pictures per second.
    pub fn fps(&self) -> f64 {
        1_000_000.0 / self.interval_us as f64
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
        assert_eq!(p.after(1), FAST_US, "the first picture is a change");
        let waits: Vec<u64> = (0..8).map(|_| p.after(1)).collect();
        assert!(waits.windows(2).all(|w| w[1] >= w[0]), "{waits:?}");
        assert_eq!(*waits.last().unwrap(), SLOW_US);
        let still_time: u64 = waits.iter().take_while(|&&w| w < SLOW_US).sum();
        assert!(still_time < 600_000, "slow within about half a second: {still_time} µs");
        assert_eq!(p.after(2), FAST_US);
        assert!((p.fps() - 15.0).abs() < 0.01);
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
