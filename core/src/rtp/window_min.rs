//! The least of the values seen over a sliding window of time (a monotonic queue: each value
//! is kept only while no later one is smaller), and a quantile taken in a reused buffer. The
//! playout's arrival delay and a link's queueing delay both measure a delay against the
//! quickest of a window (clock offsets cancel) and report a high percentile of it.

use std::collections::VecDeque;
use std::time::Duration;

/// The least value over the last `window` of time.
#[derive(Debug, Clone)]
pub struct WindowMin<T> {
    window: Duration,
    /// (when, value), values increasing: the front is the window's least.
    entries: VecDeque<(Duration, T)>,
}

impl<T: Copy + PartialOrd> WindowMin<T> {
    /// Over the last `window`.
    pub fn new(window: Duration) -> Self {
        Self { window, entries: VecDeque::new() }
    }

    /// The least over the window as of the last push (`None` before any).
    pub fn least(&self) -> Option<T> {
        self.entries.front().map(|&(_, v)| v)
    }

    /// Adds `value` seen at `at` (times not decreasing); returns the least over the window.
    pub fn push(&mut self, at: Duration, value: T) -> T {
        while self.entries.front().is_some_and(|&(t, _)| at.saturating_sub(t) > self.window) {
            self.entries.pop_front();
        }
        while self.entries.back().is_some_and(|&(_, v)| v >= value) {
            self.entries.pop_back();
        }
        self.entries.push_back((at, value));
        self.entries.front().map_or(value, |&(_, v)| v)
    }
}

/// The `q` quantile (0–1) of `values`, found in `scratch` (cleared first, so that a caller that
/// keeps it allocates nothing); `None` when there are none.
pub fn quantile<T: Copy + PartialOrd>(scratch: &mut Vec<T>, values: impl Iterator<Item = T>, q: f64) -> Option<T> {
    scratch.clear();
    scratch.extend(values);
    if scratch.is_empty() {
        return None;
    }
    let k = ((scratch.len() as f64 * q).ceil() as usize).clamp(1, scratch.len()) - 1;
    let (_, &mut v, _) =
        scratch.select_nth_unstable_by(k, |a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_of_the_window_is_kept_and_forgotten_when_it_leaves() {
        let s = Duration::from_secs;
        let mut m = WindowMin::new(s(2));
        assert_eq!(m.push(s(0), 5), 5);
        assert_eq!(m.push(s(1), 7), 5);
        assert_eq!(m.push(s(2), 6), 5);
        assert_eq!(m.push(s(3), 9), 6, "5 left the window");
        assert_eq!(m.push(s(6), 8), 8);
    }

    #[test]
    fn the_95th_percentile_of_a_hundred_is_the_95th() {
        let mut scratch = Vec::new();
        assert_eq!(quantile(&mut scratch, (1..=100).rev(), 0.95), Some(95));
        assert_eq!(quantile(&mut Vec::new(), [2.5f64].into_iter(), 0.95), Some(2.5));
        assert_eq!(quantile(&mut scratch, std::iter::empty::<u32>(), 0.95), None);
    }
}
