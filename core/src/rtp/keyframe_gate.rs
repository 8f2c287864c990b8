//! How often a keyframe may be asked for, or made on request: loss must never turn into a
//! keyframe storm.
//!
//! A keyframe is many times the size of a delta frame. Under loss every receiver asks for one
//! (a PLI) whenever a picture cannot be decoded; answering each request at once, or asking on
//! each broken picture, makes more loss and more requests. The gate lets one request through,
//! then holds the next ones until `gap` has passed and lets them through as one. A caller that
//! polls [`KeyframeGate::due`] (the sender, on every captured picture) loses no request, it only
//! merges them; one that only calls [`KeyframeGate::request`] (the receiver) drops those inside
//! the gap and relies on the next undecodable picture to ask again. A sender that tells the gate
//! what each keyframe cost ([`KeyframeGate::spent`]) also keeps keyframes within a third of its
//! rate.

use std::time::Duration;

/// The shortest time between two keyframes made (or asked for) on request.
pub const KEYFRAME_GAP: Duration = Duration::from_millis(300);

/// One stream's keyframe requests, on the caller's clock.
#[derive(Debug, Clone)]
pub struct KeyframeGate {
    gap: Duration,
    last: Option<Duration>,
    held: bool,
    /// After a costly keyframe: none before this.
    paid_at: Option<Duration>,
}

/// A keyframe made on request may take at most this share of the stream's rate: one that costs
/// a third of a second of the rate holds the next for a second.
const KEYFRAME_SHARE: f64 = 1.0 / 3.0;

impl KeyframeGate {
    /// A gate that lets a request through at most every `gap`.
    pub fn new(gap: Duration) -> Self {
        Self { gap, last: None, held: false, paid_at: None }
    }

    /// A request at `now`: true when it is to be acted on now; otherwise it is held until
    /// [`KeyframeGate::due`] says so.
    pub fn request(&mut self, now: Duration) -> bool {
        let paid = self.paid_at.is_none_or(|t| now >= t);
        if paid && self.last.is_none_or(|t| now.saturating_sub(t) >= self.gap) {
            self.last = Some(now);
            self.held = false;
            true
        } else {
            self.held = true;
            false
        }
    }

    /// True once, when a held request may be acted on at `now`.
    pub fn due(&mut self, now: Duration) -> bool {
        self.held && self.request(now)
    }

    /// When a held request becomes due (for a caller that sleeps until then).
    pub fn poll_timeout(&self) -> Option<Duration> {
        let after_gap = self.last.map_or(Duration::ZERO, |t| t + self.gap);
        self.held.then(|| after_gap.max(self.paid_at.unwrap_or_default()))
    }

    /// A keyframe of `bits` was made at `now` for a stream encoded at `rate_bps`: the next one on
    /// request waits until it has taken no more than a third of the rate (on a narrow link a
    /// keyframe is a large part of a second's budget; answering every request at the gap would
    /// spend the link on keyframes).
    pub fn spent(&mut self, now: Duration, bits: u64, rate_bps: u32) {
        let seconds = bits as f64 / f64::from(rate_bps.max(1)) / KEYFRAME_SHARE;
        self.paid_at = Some(now + Duration::from_secs_f64(seconds.min(10.0)));
    }
}

impl Default for KeyframeGate {
    fn default() -> Self {
        Self::new(KEYFRAME_GAP)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn the_first_request_passes_and_a_storm_becomes_one_keyframe_per_gap() {
        let mut g = KeyframeGate::default();
        assert!(g.request(1000 * MS));
        // A request on every frame for a second (30 fps): one keyframe per 300 ms.
        let mut made = 1;
        for f in 1..=30 {
            let now = 1000 * MS + f * 33 * MS;
            if g.request(now) || g.due(now) {
                made += 1;
            }
        }
        assert_eq!(made, 4, "at 0, ~330, ~660 and ~990 ms");
    }

    #[test]
    fn a_held_request_is_never_lost_only_merged() {
        let mut g = KeyframeGate::default();
        assert!(g.request(Duration::ZERO));
        assert!(!g.request(100 * MS));
        assert!(!g.request(200 * MS), "merged with the one held");
        assert_eq!(g.poll_timeout(), Some(300 * MS));
        assert!(!g.due(299 * MS));
        assert!(g.due(300 * MS), "held, then let through");
        assert!(!g.due(301 * MS), "once");
        assert_eq!(g.poll_timeout(), None);
        assert!(g.request(700 * MS), "a request after a quiet gap passes at once");
    }

    #[test]
    fn a_costly_keyframe_holds_the_next_for_three_times_its_share_of_the_rate() {
        let mut g = KeyframeGate::default();
        assert!(g.request(Duration::ZERO));
        // 40 kB at 400 kbit/s: 0.8 s of the rate, so none for 2.4 s.
        g.spent(Duration::ZERO, 320_000, 400_000);
        assert!(!g.request(300 * MS));
        assert_eq!(g.poll_timeout(), Some(2_400 * MS));
        assert!(!g.due(2_399 * MS));
        assert!(g.due(2_400 * MS), "held, not lost");
        // A small keyframe on a fast link: the gap rules. A rate of zero or an absurd size is
        // no panic and holds at most ten seconds.
        g.spent(2_400 * MS, 80_000, 2_000_000);
        assert!(g.request(2_700 * MS));
        g.spent(2_700 * MS, u64::MAX, 0);
        assert!(!g.request(12_000 * MS));
        assert!(g.request(12_700 * MS));
    }
}
