//! Which picture size and frame rate the camera is sent at, from the rate the links allow.
//!
//! A bitrate alone cannot carry every picture size: at 300 kbit/s a 720p picture is a smear, at
//! 80 kbit/s even 360p is. The ladder picks the largest rung whose floor the rate clears:
//!
//! | rung | picture | frames/s | from |
//! |---|---|---|---|
//! | 0 | 720p | 30 | 1.2 Mbit/s |
//! | 1 | 540p | 30 | 700 kbit/s |
//! | 2 | 360p | 30 | 400 kbit/s |
//! | 3 | 360p | 15 | 250 kbit/s |
//! | 4 | 180p | 15 | below |
//!
//! Down at once when the rate falls below the current rung's floor (the link is full now); up one
//! rung at a time, only when the rate clears the next rung's floor by [`UP_MARGIN`] and has done
//! so for [`UP_AFTER`] — a size change costs a keyframe, and a link that flaps must not make the
//! picture flap with it. Never above the camera's own size or the configured rung.

use std::time::Duration;

/// One rung: a picture height (the width follows the camera's aspect) and a frame rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rung {
    /// Picture height in pixels.
    pub height: u32,
    /// Frames a second.
    pub fps: u32,
    /// The lowest rate this rung is sent at, in bits per second.
    pub floor_bps: u32,
}

/// The rungs, largest first.
pub const LADDER: [Rung; 5] = [
    Rung { height: 720, fps: 30, floor_bps: 1_200_000 },
    Rung { height: 540, fps: 30, floor_bps: 700_000 },
    Rung { height: 360, fps: 30, floor_bps: 400_000 },
    Rung { height: 360, fps: 15, floor_bps: 250_000 },
    Rung { height: 180, fps: 15, floor_bps: 0 },
];

/// How far above the next rung's floor the rate must be to climb to it.
pub const UP_MARGIN: f64 = 1.15;
/// How long the rate must have been high enough before climbing.
pub const UP_AFTER: Duration = Duration::from_secs(4);

/// The camera's rung, on the caller's clock.
#[derive(Debug, Clone)]
pub struct VideoLadder {
    top: usize,
    current: usize,
    /// Since when the rate has cleared the next rung up (None: it has not).
    clear_since: Option<Duration>,
    rate: u32,
}

impl VideoLadder {
    /// A ladder for a camera `camera_height` pixels high, starting at the highest rung it can
    /// fill.
    pub fn new(camera_height: u32) -> Self {
        let top = LADDER.iter().position(|r| r.height <= camera_height).unwrap_or(LADDER.len() - 1);
        Self { top, current: top, clear_since: None, rate: u32::MAX }
    }

    /// The rung in force.
    pub fn rung(&self) -> Rung {
        LADDER[self.current]
    }

    /// The video rate is now `bps` (the send rate's decision) at `now`: the new rung, when it
    /// changes.
    pub fn rate(&mut self, bps: u32, now: Duration) -> Option<Rung> {
        self.rate = bps;
        self.settle(now)
    }

    /// A climb held back by [`UP_AFTER`] that is due at `now` (call it on a timer).
    pub fn handle_timeout(&mut self, now: Duration) -> Option<Rung> {
        self.settle(now)
    }

    /// When [`Self::handle_timeout`] may climb next.
    pub fn poll_timeout(&self) -> Option<Duration> {
        self.clear_since.map(|t| t + UP_AFTER)
    }

    fn settle(&mut self, now: Duration) -> Option<Rung> {
        // Down: to the largest rung (at or below the top) whose floor the rate clears.
        let fits = (self.top..LADDER.len()).find(|&i| self.rate >= LADDER[i].floor_bps).unwrap_or(LADDER.len() - 1);
        if fits > self.current {
            self.current = fits;
            self.clear_since = None;
            return Some(self.rung());
        }
        if self.current == self.top {
            self.clear_since = None;
            return None;
        }
        let next = self.current - 1;
        let clears = f64::from(self.rate) >= f64::from(LADDER[next].floor_bps) * UP_MARGIN;
        if !clears {
            self.clear_since = None;
            return None;
        }
        let since = *self.clear_since.get_or_insert(now);
        if now.saturating_sub(since) < UP_AFTER {
            return None;
        }
        self.current = next;
        // The next climb waits its own while, counted from this one.
        let above = self.current.checked_sub(1).filter(|&n| n >= self.top);
        self.clear_since =
            above.filter(|&n| f64::from(self.rate) >= f64::from(LADDER[n].floor_bps) * UP_MARGIN).map(|_| now);
        Some(self.rung())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn the_rung_follows_the_rate_down_at_once_and_up_one_step_at_a_time() {
        let mut l = VideoLadder::new(720);
        assert_eq!(l.rung().height, 720);
        assert_eq!(l.rate(1_500_000, S), None, "720p30 holds at 1.5 Mbit/s");
        assert_eq!(l.rate(300_000, 2 * S), Some(LADDER[3]), "straight down to 360p15");
        assert_eq!(l.rate(100_000, 3 * S), Some(LADDER[4]), "180p15");
        // The link comes back wide: one rung per UP_AFTER.
        assert_eq!(l.rate(2_000_000, 4 * S), None);
        assert_eq!(l.handle_timeout(4 * S + UP_AFTER), Some(LADDER[3]));
        assert_eq!(l.rate(2_000_000, 4 * S + UP_AFTER), None, "the next climb waits its own while");
        let mut t = 4 * S + UP_AFTER;
        let mut climbed = vec![];
        while let Some(at) = l.poll_timeout() {
            t = at;
            if let Some(r) = l.handle_timeout(t) {
                climbed.push(r.height);
            }
        }
        assert_eq!(climbed, [360, 540, 720]);
        assert_eq!(l.rung(), LADDER[0]);
        assert!(t <= 4 * S + 5 * UP_AFTER, "the top is back within four climbs");
    }

    #[test]
    fn never_above_the_camera_and_a_rate_just_over_a_floor_does_not_climb() {
        let mut small = VideoLadder::new(360);
        assert_eq!(small.rung(), LADDER[2], "a 360p camera starts at 360p30");
        assert_eq!(small.rate(5_000_000, S), None);
        assert_eq!(small.handle_timeout(S + 10 * UP_AFTER), None, "never above the camera");
        let tiny = VideoLadder::new(100);
        assert_eq!(tiny.rung(), LADDER[4]);

        let mut l = VideoLadder::new(720);
        assert_eq!(l.rate(600_000, S), Some(LADDER[2]));
        // 720 kbit/s clears 540p's floor but not by the margin: stays.
        assert_eq!(l.rate(720_000, 2 * S), None);
        assert_eq!(l.handle_timeout(2 * S + 2 * UP_AFTER), None);
        assert_eq!(l.poll_timeout(), None);
    }

    #[test]
    fn a_link_that_flaps_every_second_keeps_the_picture_low_and_a_good_link_brings_it_back() {
        let mut l = VideoLadder::new(720);
        let mut changes = 0;
        for s in 0..20u64 {
            let bps = if s % 2 == 0 { 3_000_000 } else { 200_000 };
            changes += usize::from(l.rate(bps, S * s as u32).is_some());
        }
        assert_eq!(l.rung(), LADDER[4]);
        assert!(changes <= 2, "the picture did not flap with the link: {changes} changes");
        // Absurd rates change nothing but the rung.
        assert_eq!(l.rate(0, 20 * S), None);
        let mut t = 21 * S;
        l.rate(u32::MAX, t);
        while let Some(at) = l.poll_timeout() {
            t = at;
            l.handle_timeout(t);
        }
        assert_eq!(l.rung(), LADDER[0], "not stuck at the lowest rung once the link is good");
        assert!(t <= 21 * S + 4 * UP_AFTER);
    }
}
