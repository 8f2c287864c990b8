//! How much of a link retransmissions may take: answering every NACK in full on a lossy narrow
//! link sends more than the link carries (each loss answered with more traffic, which is more
//! loss), so retransmissions get a share of the link's congestion estimate, as a token bucket,
//! and a packet too old to be of use to the receiver is not sent again at all.
//!
//! The camera's encoder is held to 85 % of the estimate (less the audio); with retransmissions
//! at most a quarter of it on top, what a link is sent stays near the estimate. The bucket holds
//! a second of the share, so a burst of loss (a keyframe that overflowed a buffer) is repaired at
//! once rather than packet by packet until its packets are too old to help.

use std::time::Duration;

/// The share of the estimate retransmissions may take.
pub const SHARE: f64 = 0.25;
/// How much of the share may go at once.
const BURST: Duration = Duration::from_secs(1);
/// Older than this, a packet is of no use to the receiver (its reassembly waits 150 ms for a
/// retransmission, plus the round trip).
pub const MAX_AGE: Duration = Duration::from_millis(400);
/// A packet this large always fits a full bucket, however low the estimate.
const MIN_BURST_BITS: f64 = 1_500.0 * 8.0;

/// Whether a packet asked for again is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Send it.
    Send,
    /// Older than [`MAX_AGE`]: it would arrive too late to be used.
    TooOld,
    /// The share of the estimate is spent for now.
    OverBudget,
}

/// Counts of what was asked for again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BudgetStats {
    /// Packets sent again.
    pub sent: u64,
    /// Bits sent again.
    pub sent_bits: u64,
    /// Not sent: too old.
    pub too_old: u64,
    /// Not sent: over the share.
    pub over_budget: u64,
}

/// One link's retransmission budget, on the caller's clock.
#[derive(Debug, Clone)]
pub struct RetransmissionBudget {
    rate_bps: f64,
    bits: f64,
    last: Option<Duration>,
    stats: BudgetStats,
}

impl RetransmissionBudget {
    /// A budget for a link whose estimate starts at `estimate_bps`.
    pub fn new(estimate_bps: u32) -> Self {
        let mut b = Self { rate_bps: 0.0, bits: 0.0, last: None, stats: BudgetStats::default() };
        b.set_estimate(estimate_bps);
        b.bits = b.burst();
        b
    }

    /// The link's congestion estimate changed.
    pub fn set_estimate(&mut self, estimate_bps: u32) {
        self.rate_bps = f64::from(estimate_bps) * SHARE;
        self.bits = self.bits.min(self.burst());
    }

    fn burst(&self) -> f64 {
        (self.rate_bps * BURST.as_secs_f64()).max(MIN_BURST_BITS)
    }

    /// A packet of `bytes`, first sent `age` ago, is asked for again at `now`.
    pub fn ask(&mut self, bytes: usize, age: Duration, now: Duration) -> Verdict {
        if let Some(last) = self.last {
            let elapsed = now.saturating_sub(last).as_secs_f64();
            self.bits = (self.bits + elapsed * self.rate_bps).min(self.burst());
        }
        self.last = Some(now);
        if age > MAX_AGE {
            self.stats.too_old += 1;
            return Verdict::TooOld;
        }
        let cost = bytes as f64 * 8.0;
        if cost > self.bits {
            self.stats.over_budget += 1;
            return Verdict::OverBudget;
        }
        self.bits -= cost;
        self.stats.sent += 1;
        self.stats.sent_bits += cost as u64;
        Verdict::Send
    }

    /// What was asked for so far.
    pub fn stats(&self) -> &BudgetStats {
        &self.stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn retransmissions_stay_within_a_quarter_of_the_estimate_whatever_is_asked() {
        // A 500 kbit/s link asked for every packet again, 1200-byte packets, 100 a second for
        // ten seconds (960 kbit/s asked for): at most a quarter of 500 kbit/s goes.
        let mut b = RetransmissionBudget::new(500_000);
        for i in 0..1000u32 {
            b.ask(1200, 50 * MS, i * 10 * MS);
        }
        let sent_bps = b.stats().sent_bits as f64 / 10.0;
        // A quarter of the link, and the first second's full bucket spread over the ten.
        assert!(sent_bps <= 0.25 * 500_000.0 * 1.02 + 12_500.0 + 9_600.0, "{sent_bps}");
        assert!(sent_bps >= 0.25 * 500_000.0 * 0.9, "the share is used: {sent_bps}");
        assert!(b.stats().over_budget > 0);
    }

    #[test]
    fn a_packet_too_old_to_help_is_not_sent_and_a_cut_estimate_cuts_the_share_at_once() {
        let mut b = RetransmissionBudget::new(2_000_000);
        assert_eq!(b.ask(1200, MAX_AGE + MS, Duration::ZERO), Verdict::TooOld);
        assert_eq!(b.ask(1200, 10 * MS, Duration::ZERO), Verdict::Send);
        // 2 Mbit/s → 100 kbit/s: the bucket holds at most a second of 25 kbit/s now (two
        // 1200-byte packets).
        b.set_estimate(100_000);
        assert_eq!(b.ask(1200, 10 * MS, MS), Verdict::Send);
        assert_eq!(b.ask(1200, 10 * MS, 2 * MS), Verdict::Send);
        assert_eq!(b.ask(1200, 10 * MS, 2 * MS), Verdict::OverBudget);
        // An absurd estimate is no panic and no flood beyond its own share.
        b.set_estimate(u32::MAX);
        b.set_estimate(0);
        assert_eq!(b.ask(1200, 10 * MS, 3 * MS), Verdict::OverBudget);
        let s = b.stats();
        assert_eq!((s.sent, s.too_old, s.over_budget), (3, 1, 2));
    }
}
