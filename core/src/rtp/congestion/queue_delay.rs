//! How long packets wait in queues on the path: each packet's one-way delay (its arrival on the
//! receiver's clock less its departure on ours, an unknown clock offset included) less the
//! least such delay seen, which is the path with empty queues. The offset cancels out.
//!
//! The least delay is taken over the last [`BASE_WINDOW`] (a route change may lengthen the path
//! for good, and the receiver's clock may drift); what is reported is the 95th percentile of
//! the last [`REPORT_WINDOW`] of packets, by departure.

use std::collections::VecDeque;
use std::time::Duration;

use crate::rtp::window_min::{WindowMin, quantile};

/// The empty-queue delay is the least over this long.
const BASE_WINDOW: Duration = Duration::from_secs(30);
/// The queueing delay is reported over the packets sent in this long.
const REPORT_WINDOW: Duration = Duration::from_secs(1);

/// The queueing delay of the packets lately reported.
#[derive(Debug, Clone)]
pub struct QueueDelay {
    /// The least one-way delay (ms) of the base window, by departure.
    base: WindowMin<f64>,
    /// (departure, queueing delay in ms) of the report window's packets.
    recent: VecDeque<(Duration, f64)>,
    scratch: Vec<f64>,
}

impl Default for QueueDelay {
    fn default() -> Self {
        Self { base: WindowMin::new(BASE_WINDOW), recent: VecDeque::new(), scratch: Vec::new() }
    }
}

impl QueueDelay {
    /// A packet that left at `departure` (our clock) arrived at `arrival` (theirs).
    pub fn add(&mut self, departure: Duration, arrival: Duration) {
        let delay = arrival.as_secs_f64() * 1_000.0 - departure.as_secs_f64() * 1_000.0;
        if !delay.is_finite() {
            return;
        }
        let base = self.base.push(departure, delay);
        self.recent.push_back((departure, delay - base));
        while self.recent.front().is_some_and(|&(t, _)| departure.saturating_sub(t) > REPORT_WINDOW) {
            self.recent.pop_front();
        }
    }

    /// The 95th percentile of the queueing delay over the last second of packets.
    pub fn p95(&mut self) -> Option<Duration> {
        let q = quantile(&mut self.scratch, self.recent.iter().map(|&(_, q)| q), 0.95)?;
        Some(Duration::from_secs_f64((q / 1_000.0).clamp(0.0, 3_600.0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn the_wait_over_the_emptiest_path_is_measured_whatever_the_clocks_offset() {
        let mut q = QueueDelay::default();
        // The receiver's clock is an hour ahead; the path takes 20 ms empty.
        let offset = Duration::from_secs(3_600);
        for i in 0..100 {
            q.add(ms(i * 10), ms(i * 10 + 20) + offset);
        }
        assert_eq!(q.p95(), Some(Duration::ZERO));
        // A queue builds to 100 ms over the next second.
        for i in 0..100 {
            q.add(ms(1_000 + i * 10), ms(1_000 + i * 10 + 20 + i) + offset);
        }
        let p95 = q.p95().unwrap();
        assert!((ms(90)..=ms(100)).contains(&p95), "{p95:?}");
        assert_eq!(QueueDelay::default().p95(), None);
    }

    #[test]
    fn a_longer_path_for_good_becomes_the_new_empty_one_after_the_base_window() {
        let mut q = QueueDelay::default();
        for i in 0..100 {
            q.add(ms(i * 100), ms(i * 100 + 20));
        }
        // The route changed: 60 ms from now on.
        for i in 100..500 {
            q.add(ms(i * 100), ms(i * 100 + 60));
        }
        assert_eq!(q.p95(), Some(Duration::ZERO));
    }
}
