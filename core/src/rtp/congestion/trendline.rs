//! Whether the path's queue is growing: the trend of the accumulated group delay over the last
//! groups (a least-squares slope), compared with a threshold that adapts to the path's jitter.
//!
//! As libwebrtc's `TrendlineEstimator`: each group delta adds its extra delay to a running sum,
//! smoothed; the slope of that sum against arrival time over the last 20 groups, scaled by how
//! many groups back it looks (at most 60) and a gain of 4, is the *modified trend*. Above the
//! threshold for more than 10 ms and two groups, while still rising, it is overuse; below minus
//! the threshold, underuse. The threshold follows the modified trend (up at 0.0087, down at
//! 0.039 per ms, within 6–600) so that a jittery path is not read as always congested, nor a
//! quiet one as never.

use std::collections::VecDeque;

use super::arrival_groups::GroupDelta;

/// Groups in the regression window.
const WINDOW: usize = 20;
/// Smoothing of the accumulated delay.
const SMOOTHING: f64 = 0.9;
/// Gain on the trend before it is compared with the threshold.
const GAIN: f64 = 4.0;
/// The number of deltas the trend is scaled by is capped here.
const MAX_DELTAS: u32 = 60;
/// Overuse must last this long (ms of send time) before it is believed.
const OVERUSE_MS: f64 = 10.0;
/// Where the threshold starts, ms.
const THRESHOLD_START: f64 = 12.5;
/// How fast the threshold rises towards a larger trend and falls towards a smaller one, per ms.
const K_UP: f64 = 0.0087;
const K_DOWN: f64 = 0.039;
/// A trend this far past the threshold is a spike: the threshold does not follow it.
const MAX_ADAPT_OFFSET: f64 = 15.0;

/// What the delay says of the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Usage {
    /// The queue is steady.
    #[default]
    Normal,
    /// The queue is growing: more is sent than the path carries.
    Over,
    /// The queue is draining.
    Under,
}

/// The trend of the queue's delay, and what it says.
#[derive(Debug, Clone)]
pub struct Trendline {
    window: VecDeque<(f64, f64)>,
    first_at: Option<f64>,
    accumulated: f64,
    smoothed: f64,
    deltas: u32,
    previous_trend: f64,
    threshold: f64,
    threshold_at: Option<f64>,
    /// Send time spent over the threshold, ms (`None`: not over).
    over_for: Option<f64>,
    over_count: u32,
    usage: Usage,
    modified_trend: f64,
}

impl Default for Trendline {
    fn default() -> Self {
        Self {
            window: VecDeque::with_capacity(WINDOW + 1),
            first_at: None,
            accumulated: 0.0,
            smoothed: 0.0,
            deltas: 0,
            previous_trend: 0.0,
            threshold: THRESHOLD_START,
            threshold_at: None,
            over_for: None,
            over_count: 0,
            usage: Usage::Normal,
            modified_trend: 0.0,
        }
    }
}

impl Trendline {
    /// What the delay said last.
    pub fn usage(&self) -> Usage {
        self.usage
    }

    /// The last modified trend and the threshold it was compared with (for stats and tests).
    pub fn trend_and_threshold(&self) -> (f64, f64) {
        (self.modified_trend, self.threshold)
    }

    /// Takes one group delta.
    pub fn update(&mut self, delta: GroupDelta) -> Usage {
        let first = *self.first_at.get_or_insert(delta.at_ms);
        self.deltas = (self.deltas + 1).min(1_000);
        self.accumulated += delta.arrival_ms - delta.send_ms;
        self.smoothed = SMOOTHING * self.smoothed + (1.0 - SMOOTHING) * self.accumulated;
        self.window.push_back((delta.at_ms - first, self.smoothed));
        if self.window.len() > WINDOW {
            self.window.pop_front();
        }
        let trend = if self.window.len() == WINDOW {
            slope(&self.window).unwrap_or(self.previous_trend)
        } else {
            self.previous_trend
        };
        self.detect(trend, delta.send_ms, delta.at_ms);
        self.usage
    }

    fn detect(&mut self, trend: f64, send_ms: f64, now_ms: f64) {
        if self.deltas < 2 {
            self.usage = Usage::Normal;
            return;
        }
        let modified = f64::from(self.deltas.min(MAX_DELTAS)) * trend * GAIN;
        self.modified_trend = modified;
        if modified > self.threshold {
            let over = match self.over_for {
                // Half a delta: the overuse began somewhere within it.
                None => send_ms / 2.0,
                Some(t) => t + send_ms,
            };
            self.over_for = Some(over);
            self.over_count += 1;
            if over > OVERUSE_MS && self.over_count > 1 && trend >= self.previous_trend {
                self.over_for = Some(0.0);
                self.over_count = 0;
                self.usage = Usage::Over;
            }
        } else if modified < -self.threshold {
            self.over_for = None;
            self.over_count = 0;
            self.usage = Usage::Under;
        } else {
            self.over_for = None;
            self.over_count = 0;
            self.usage = Usage::Normal;
        }
        self.previous_trend = trend;
        self.adapt_threshold(modified, now_ms);
    }

    fn adapt_threshold(&mut self, modified: f64, now_ms: f64) {
        let last = *self.threshold_at.get_or_insert(now_ms);
        self.threshold_at = Some(now_ms);
        if modified.abs() > self.threshold + MAX_ADAPT_OFFSET {
            return;
        }
        let k = if modified.abs() < self.threshold { K_DOWN } else { K_UP };
        let elapsed = (now_ms - last).clamp(0.0, 100.0);
        self.threshold = (self.threshold + k * (modified.abs() - self.threshold) * elapsed).clamp(6.0, 600.0);
    }
}

/// The least-squares slope of `y` over `x`; `None` when all `x` are equal.
fn slope(points: &VecDeque<(f64, f64)>) -> Option<f64> {
    let n = points.len() as f64;
    let (sx, sy) = points.iter().fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
    let (mx, my) = (sx / n, sy / n);
    let (num, den) =
        points.iter().fold((0.0, 0.0), |(num, den), (x, y)| (num + (x - mx) * (y - my), den + (x - mx) * (x - mx)));
    (den != 0.0 && num.is_finite()).then(|| num / den)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(t: &mut Trendline, groups: u32, extra_ms: f64) -> Vec<Usage> {
        (0..groups)
            .map(|i| {
                t.update(GroupDelta {
                    send_ms: 20.0,
                    arrival_ms: 20.0 + extra_ms,
                    at_ms: f64::from(i) * (20.0 + extra_ms),
                })
            })
            .collect()
    }

    #[test]
    fn a_steady_path_is_normal_and_a_queue_growing_by_a_millisecond_a_group_is_overuse() {
        let mut t = Trendline::default();
        assert!(feed(&mut t, 100, 0.0).iter().all(|u| *u == Usage::Normal));
        let mut t = Trendline::default();
        let usage = feed(&mut t, 60, 1.0);
        // 1 ms more per 20 ms is a queue growing 50 ms a second: seen within about a second.
        let first = usage.iter().position(|u| *u == Usage::Over).expect("overuse");
        assert!(first < 50, "overuse only after {first} groups");
    }

    #[test]
    fn a_draining_queue_is_underuse() {
        let mut t = Trendline::default();
        feed(&mut t, 40, 2.0);
        let usage = feed(&mut t, 40, -2.0);
        assert!(usage.contains(&Usage::Under), "{usage:?}");
    }

    #[test]
    fn jitter_without_a_trend_raises_the_threshold_instead_of_crying_overuse() {
        let mut t = Trendline::default();
        let mut over = 0;
        for i in 0..1_000u32 {
            // ±8 ms of jitter around a steady path, no growth.
            let j = if i % 2 == 0 { 8.0 } else { -8.0 };
            if t.update(GroupDelta { send_ms: 20.0, arrival_ms: 20.0 + j, at_ms: f64::from(i) * 20.0 }) == Usage::Over {
                over += 1;
            }
        }
        assert!(over <= 5, "{over} overuse readings on a path that only jitters");
    }

    #[test]
    fn nonsense_deltas_give_a_finite_trend() {
        let mut t = Trendline::default();
        for i in 0..100u32 {
            let big = if i % 2 == 0 { 1e12 } else { -1e12 };
            t.update(GroupDelta { send_ms: 20.0, arrival_ms: big, at_ms: f64::from(i) });
        }
        let (trend, threshold) = t.trend_and_threshold();
        assert!(threshold.is_finite() && (6.0..=600.0).contains(&threshold), "{trend} {threshold}");
    }
}
