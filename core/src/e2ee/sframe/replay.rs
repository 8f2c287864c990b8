//! Anti-replay: a sliding window over counters, per key.
//!
//! The window remembers the highest counter accepted and which of the [`WINDOW`] counters below
//! it were seen. A counter above the highest moves the window; one inside it is accepted once;
//! one below it is too old to tell and is refused. Frames are checked before decryption (cheap
//! refusal) and marked only after they authenticate, so a forged frame cannot burn a counter.

/// How many counters below the highest are remembered. 128 frames is 2.5 s of 20 ms audio and
/// 4 s of 30 fps video: far more reordering than a jitter buffer tolerates.
pub const WINDOW: u64 = 128;

/// Why a counter was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayVerdict {
    /// Not seen before: decrypt it.
    Fresh,
    /// Seen before.
    Replayed,
    /// Below the window: cannot tell, refused.
    TooOld,
}

/// The window for one key.
#[derive(Debug, Clone, Default)]
pub struct ReplayWindow {
    /// Highest counter accepted, if any.
    highest: Option<u64>,
    /// Bit i set: counter `highest - i` was accepted.
    seen: u128,
}

impl ReplayWindow {
    /// A window that has seen nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// What would happen to `ctr`, without recording it.
    pub fn check(&self, ctr: u64) -> ReplayVerdict {
        let Some(high) = self.highest else { return ReplayVerdict::Fresh };
        if ctr > high {
            return ReplayVerdict::Fresh;
        }
        let back = high - ctr;
        if back >= WINDOW {
            ReplayVerdict::TooOld
        } else if self.seen & (1u128 << back) != 0 {
            ReplayVerdict::Replayed
        } else {
            ReplayVerdict::Fresh
        }
    }

    /// Records `ctr` as accepted (after it authenticated). Call only when `check` said `Fresh`.
    pub fn mark(&mut self, ctr: u64) {
        match self.highest {
            None => {
                self.highest = Some(ctr);
                self.seen = 1;
            }
            Some(high) if ctr > high => {
                let shift = ctr - high;
                self.seen = if shift >= WINDOW { 0 } else { self.seen << shift };
                self.seen |= 1;
                self.highest = Some(ctr);
            }
            Some(high) => {
                let back = high - ctr;
                if back < WINDOW {
                    self.seen |= 1u128 << back;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_each_counter_once_in_any_order_within_the_window() {
        let mut w = ReplayWindow::new();
        for ctr in [5u64, 3, 9, 4, 200] {
            assert_eq!(w.check(ctr), ReplayVerdict::Fresh, "{ctr}");
            w.mark(ctr);
            assert_eq!(w.check(ctr), ReplayVerdict::Replayed, "{ctr}");
        }
        // 200 moved the window: 72 is the oldest still remembered.
        assert_eq!(w.check(73), ReplayVerdict::Fresh);
        assert_eq!(w.check(72), ReplayVerdict::TooOld);
        assert_eq!(w.check(9), ReplayVerdict::TooOld);
        assert_eq!(w.check(201), ReplayVerdict::Fresh);
    }

    #[test]
    fn huge_jumps_clear_the_window() {
        let mut w = ReplayWindow::new();
        w.mark(0);
        w.mark(u64::MAX);
        assert_eq!(w.check(u64::MAX), ReplayVerdict::Replayed);
        assert_eq!(w.check(u64::MAX - 1), ReplayVerdict::Fresh);
        assert_eq!(w.check(0), ReplayVerdict::TooOld);
    }
}
