//! How fast the camera's video is encoded: what every link's congestion estimate allows.
//!
//! Each link runs its own estimator (Google congestion control over transport-wide feedback, in
//! the runtime) and reports a target bitrate for everything it carries. In a mesh the camera is
//! encoded once for every link, so the encoder follows the narrowest: its target is that link's
//! estimate, less a margin for retransmissions and the RTP and SRTP overhead, less the audio,
//! never above what the user configured and never below a floor at which a picture is still
//! worth sending. Decreases apply at once (the link is filling up); increases wait until the last
//! change is [`RAISE_AFTER`] old and are worth making, so the encoder is not retuned on every
//! feedback report.
//!
//! A raise is also held to [`RAISE_LIMIT`] times what the encoder actually produced last
//! ([`SendRate::produced`]): an estimator that is not fed more than a small picture needs sees
//! no congestion and keeps raising its estimate far past the link, and a camera that followed it
//! in one step would flood the link. Stepping up at most twofold, each step tried on the link
//! before the next, keeps an overshoot short and small. Cuts are never held.

use std::collections::BTreeMap;
use std::time::Duration;

/// The share of a link's estimate the camera's encoder may use: the rest is headroom for
/// retransmissions, keyframe bursts and packet overhead.
pub const SHARE_OF_ESTIMATE: f64 = 0.85;
/// The lowest video bitrate worth encoding at.
pub const MIN_VIDEO_BPS: u32 = 80_000;
/// How long after a change the encoder's rate may be raised again.
pub const RAISE_AFTER: Duration = Duration::from_secs(1);
/// A raise smaller than this fraction of the current rate is not worth retuning for.
const RAISE_STEP: f64 = 0.10;
/// A cut smaller than this fraction of the current rate is not worth retuning for.
const CUT_STEP: f64 = 0.05;
/// A raise goes to at most this many times what the encoder produced.
pub const RAISE_LIMIT: f64 = 2.0;

/// The camera encoder's rate, from the links' estimates, on the caller's clock.
#[derive(Debug, Clone)]
pub struct SendRate<K: Ord> {
    configured: u32,
    audio: u32,
    estimates: BTreeMap<K, u32>,
    /// What is assumed of the links before any estimates (see [`Self::starting_at`]).
    start: Option<u32>,
    /// What the encoder produced over the last second, when told.
    produced: Option<u32>,
    current: u32,
    changed: Option<Duration>,
}

impl<K: Ord> SendRate<K> {
    /// Starts at `configured` (the user's video bitrate), with `audio` bits per second of audio
    /// on the same links.
    pub fn new(configured: u32, audio: u32) -> Self {
        Self {
            configured,
            audio,
            estimates: BTreeMap::new(),
            start: None,
            produced: None,
            current: configured,
            changed: None,
        }
    }

    /// Starts as a link estimating `bps` would allow, not at the configured rate: before the
    /// first estimate nothing is known of the links, and a camera that starts at its full rate
    /// into a narrow one fills it with pictures and keyframes no one can decode.
    /// With no link left, it goes back to this start.
    pub fn starting_at(mut self, bps: u32) -> Self {
        self.start = Some(bps);
        self.current = self.allowed();
        self
    }

    /// The rate the user configured: the most the encoder is ever given.
    pub fn configured(&self) -> u32 {
        self.configured
    }

    /// The encoder's rate now.
    pub fn current(&self) -> u32 {
        self.current
    }

    /// The rate the estimates allow, before hysteresis.
    pub fn allowed(&self) -> u32 {
        let Some(narrowest) = self.estimates.values().min().copied().or(self.start) else { return self.configured };
        let usable = f64::from(narrowest) * SHARE_OF_ESTIMATE - f64::from(self.audio);
        // Float to int saturates; the clamp keeps the floor below the configured rate.
        (usable.max(0.0) as u32).clamp(MIN_VIDEO_BPS.min(self.configured), self.configured)
    }

    /// Link `key` estimates `bps` at `now`: the encoder's new rate, when it is to change.
    pub fn estimate(&mut self, key: K, bps: u32, now: Duration) -> Option<u32> {
        self.estimates.insert(key, bps);
        self.settle(now)
    }

    /// Link `key` is gone at `now`: the encoder's new rate, when it is to change.
    pub fn remove(&mut self, key: &K, now: Duration) -> Option<u32> {
        self.estimates.remove(key)?;
        self.settle(now)
    }

    /// The encoder produced `bps` over the last second (video bytes as sent): raises go to at
    /// most [`RAISE_LIMIT`] times that.
    pub fn produced(&mut self, bps: u32) {
        self.produced = Some(bps);
    }

    /// A raise held back by [`RAISE_AFTER`] that is due at `now` (call it on a timer).
    pub fn handle_timeout(&mut self, now: Duration) -> Option<u32> {
        self.settle(now)
    }

    fn settle(&mut self, now: Duration) -> Option<u32> {
        let mut want = self.allowed();
        if want > self.current
            && let Some(produced) = self.produced
        {
            let limit = (f64::from(produced) * RAISE_LIMIT) as u32;
            want = want.min(limit.max(self.current));
        }
        let (cur, w) = (f64::from(self.current), f64::from(want));
        let cut = w < cur * (1.0 - CUT_STEP);
        let raise = w > cur * (1.0 + RAISE_STEP) || (want == self.configured && want > self.current);
        let rested = self.changed.is_none_or(|t| now.saturating_sub(t) >= RAISE_AFTER);
        if cut || (raise && rested) {
            self.current = want;
            self.changed = Some(now);
            return Some(want);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);
    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn the_encoder_follows_the_narrowest_link_less_margin_and_audio() {
        let mut r = SendRate::new(1_500_000, 32_000);
        assert_eq!(r.current(), 1_500_000, "with no estimate, the configured rate");
        assert_eq!(r.estimate(1, 5_000_000, S), None, "a wide link changes nothing");
        let narrow = r.estimate(2, 500_000, S).expect("a narrow link cuts at once");
        assert_eq!(narrow, (500_000.0 * SHARE_OF_ESTIMATE) as u32 - 32_000);
        assert_eq!(r.current(), narrow);
        // The narrow link goes: back up to the configured rate, once the last change is old.
        assert_eq!(r.remove(&2, S + 10 * MS), None, "a raise waits");
        assert_eq!(r.handle_timeout(2 * S), Some(1_500_000));
        assert_eq!(r.remove(&9, 3 * S), None, "an unknown link changes nothing");
    }

    #[test]
    fn cuts_are_at_once_raises_wait_and_small_changes_are_ignored() {
        let mut r = SendRate::new(2_000_000, 0);
        let first = r.estimate(1, 1_000_000, Duration::ZERO).unwrap();
        assert_eq!(first, 850_000);
        assert_eq!(r.estimate(1, 1_020_000, 100 * MS), None, "2 % up: not worth it");
        assert_eq!(r.estimate(1, 990_000, 200 * MS), None, "1 % down: not worth it");
        assert_eq!(r.estimate(1, 600_000, 300 * MS), Some(510_000), "a real cut, at once");
        assert_eq!(r.estimate(1, 1_000_000, 400 * MS), None, "a raise right after a cut waits");
        assert_eq!(r.handle_timeout(1300 * MS), Some(850_000));
    }

    #[test]
    fn it_starts_where_the_start_estimate_allows_and_rises_with_the_first_real_one() {
        let mut r = SendRate::new(1_500_000, 32_000).starting_at(1_000_000);
        assert_eq!(r.current(), 818_000);
        assert_eq!(r.handle_timeout(5 * S), None, "no estimate yet: the start holds");
        assert_eq!(r.estimate(1, 3_000_000, S), Some(1_500_000), "a wide link: up (the start is no change)");
        assert_eq!(r.estimate(1, 500_000, 2 * S), Some(393_000));
        assert_eq!(r.remove(&1, 4 * S), Some(818_000), "no link left: back to the start");
        assert_eq!(SendRate::<u8>::new(500_000, 0).starting_at(5_000_000).current(), 500_000);
    }

    #[test]
    fn a_raise_goes_to_at_most_twice_what_the_encoder_produced_and_a_cut_is_never_held() {
        let mut r = SendRate::new(2_000_000, 0).starting_at(300_000);
        assert_eq!(r.current(), 255_000);
        // The estimate races ahead while a small picture needs 150 kbit/s: no raise at all.
        r.produced(120_000);
        assert_eq!(r.estimate(1, 5_000_000, S), None, "twice 120k is under the current rate");
        // The encoder fills what it was given: up twofold per step, each after RAISE_AFTER.
        r.produced(250_000);
        assert_eq!(r.handle_timeout(2 * S), Some(500_000));
        r.produced(500_000);
        assert_eq!(r.handle_timeout(3 * S), Some(1_000_000));
        r.produced(1_000_000);
        assert_eq!(r.handle_timeout(4 * S), Some(2_000_000));
        // A cut is not held by what was produced.
        assert_eq!(r.estimate(1, 400_000, 4 * S + 10 * MS), Some(340_000));
        // A still picture (the encoder makes little) keeps its rate: no cut for producing less.
        r.produced(10_000);
        assert_eq!(r.handle_timeout(10 * S), None);
        assert_eq!(r.current(), 340_000);
    }

    #[test]
    fn never_below_the_floor_nor_above_the_configured_rate_whatever_the_estimate() {
        let mut r = SendRate::new(1_000_000, 64_000);
        assert_eq!(r.estimate(1, 0, S), Some(MIN_VIDEO_BPS));
        assert_eq!(r.estimate(1, u32::MAX, 3 * S), Some(1_000_000));
        let mut tiny = SendRate::new(50_000, 0);
        assert_eq!(tiny.estimate(1, 10_000, S), None, "a configured rate under the floor is kept");
        assert_eq!(tiny.current(), 50_000);
    }
}
