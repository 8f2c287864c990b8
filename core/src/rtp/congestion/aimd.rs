//! The delay-based rate: additive increase, multiplicative decrease, as libwebrtc's
//! `AimdRateControl`.
//!
//! - Overuse cuts the rate to 85 % of what the receiver acknowledged (never raises it), and
//!   records that acknowledged rate as a sample of the link's capacity; overuse before anything
//!   was acknowledged (a start rate above the link) halves it.
//! - While the delay is normal the rate grows: by 8 % a second while the link's capacity is
//!   unknown, by about a packet per round trip once a capacity has been seen (near it, careful),
//!   and never past 1.5 times what was acknowledged plus 10 kbit/s, so an estimate can not
//!   climb far past what the path has been shown to carry.
//! - Underuse (the queue draining) holds the rate: the queue empties before anything is added.

use std::time::Duration;

use super::trendline::Usage;

/// A cut goes to this fraction of the acknowledged rate.
const BETA: f64 = 0.85;
/// Growth per second while the capacity is unknown.
const MULTIPLICATIVE: f64 = 1.08;
/// Growth per second before the link has ever shown congestion (its start): the link is found
/// in a second or two rather than the dozen 8 % a second would take. Still held to 1.5 times
/// what arrives, so the media itself probes, a step at a time.
const START_MULTIPLICATIVE: f64 = 2.0;
/// The rate may reach at most this many times the acknowledged rate, plus [`LIMIT_MARGIN`].
const ACKED_LIMIT: f64 = 1.5;
const LIMIT_MARGIN: f64 = 10_000.0;
/// Additive growth is at least this, bits per second per second.
const MIN_ADDITIVE: f64 = 4_000.0;
/// The frame rate assumed when working out the packet size of additive growth.
const FPS: f64 = 30.0;
/// Packet payload assumed, bytes.
const PACKET: f64 = 1_200.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Hold,
    Increase,
    Decrease,
}

/// An estimate of the link's capacity from the acknowledged rates at overuse (kbit/s, as
/// libwebrtc's `LinkCapacityEstimator`).
#[derive(Debug, Clone, Copy, Default)]
struct Capacity {
    estimate: Option<f64>,
    variance: f64,
}

impl Capacity {
    fn sample(&mut self, bps: f64) {
        let kbps = bps / 1_000.0;
        let alpha = 0.05;
        let estimate = match self.estimate {
            None => {
                self.variance = 0.4;
                kbps
            }
            Some(e) => (1.0 - alpha) * e + alpha * kbps,
        };
        let error = estimate - kbps;
        self.variance = ((1.0 - alpha) * self.variance + alpha * error * error / estimate.max(1.0)).clamp(0.4, 2.5);
        self.estimate = Some(estimate);
    }

    fn deviation(&self, e: f64) -> f64 {
        (self.variance * e).sqrt()
    }

    fn upper_bps(&self) -> Option<f64> {
        self.estimate.map(|e| (e + 3.0 * self.deviation(e)) * 1_000.0)
    }

    fn estimate_bps(&self) -> Option<f64> {
        self.estimate.map(|e| e * 1_000.0)
    }
}

/// The delay-based rate, on the caller's clock.
#[derive(Debug, Clone)]
pub struct Aimd {
    rate: f64,
    min: f64,
    max: f64,
    state: State,
    last_change: Option<Duration>,
    last_cut: Option<Duration>,
    capacity: Capacity,
    /// No overuse seen yet: growing at [`START_MULTIPLICATIVE`].
    starting: bool,
}

impl Aimd {
    /// Starts at `start` bits per second, kept within `min..=max`.
    pub fn new(start: f64, min: f64, max: f64) -> Self {
        Self {
            rate: start.clamp(min, max),
            min,
            max,
            state: State::Hold,
            last_change: None,
            last_cut: None,
            capacity: Capacity::default(),
            starting: true,
        }
    }

    /// The rate now, bits per second.
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// The link's capacity as overuse has shown it, bits per second.
    pub fn capacity(&self) -> Option<f64> {
        self.capacity.estimate_bps()
    }

    /// Takes what the delay says, the acknowledged rate (`None` before there is one) and the
    /// round-trip time; returns the rate.
    pub fn update(&mut self, now: Duration, usage: Usage, acked: Option<f64>, rtt: Duration) -> f64 {
        self.state = match (usage, self.state) {
            (Usage::Over, _) => State::Decrease,
            (Usage::Under, _) => State::Hold,
            (Usage::Normal, State::Hold | State::Increase) => State::Increase,
            (Usage::Normal, State::Decrease) => State::Hold,
        };
        match self.state {
            State::Hold => {
                self.last_change = Some(now);
            }
            State::Increase => {
                let Some(acked) = acked else { return self.rate };
                if self.capacity.upper_bps().is_some_and(|upper| acked > upper) {
                    // Carrying more than the capacity thought possible: it has changed.
                    self.capacity = Capacity::default();
                }
                let limit = ACKED_LIMIT * acked + LIMIT_MARGIN;
                if self.rate < limit {
                    let elapsed =
                        self.last_change.map_or(Duration::ZERO, |t| now.saturating_sub(t)).min(Duration::from_secs(1));
                    let grown = if self.capacity.estimate.is_some() {
                        self.rate + self.additive(rtt) * elapsed.as_secs_f64()
                    } else {
                        let factor = if self.starting { START_MULTIPLICATIVE } else { MULTIPLICATIVE };
                        let alpha = factor.powf(elapsed.as_secs_f64());
                        self.rate + (self.rate * (alpha - 1.0)).max(1_000.0 * elapsed.as_secs_f64())
                    };
                    self.rate = grown.min(limit);
                }
                self.last_change = Some(now);
            }
            State::Decrease => {
                // One cut per round trip (10–200 ms), unless what arrives fell below half the
                // rate: the last cut has not had time to show yet.
                let interval = rtt.clamp(Duration::from_millis(10), Duration::from_millis(200));
                let too_soon = self.last_cut.is_some_and(|t| now.saturating_sub(t) < interval)
                    && acked.is_none_or(|a| a >= self.rate / 2.0);
                if acked.is_none() && self.starting && !too_soon {
                    // Congested before anything was measured to arrive (the start rate was
                    // too high for the link): halve, at most once per round trip, as
                    // libwebrtc does before its first acknowledged rate.
                    self.last_cut = Some(now);
                    self.rate /= 2.0;
                }
                if let Some(acked) = acked.filter(|_| !too_soon) {
                    self.last_cut = Some(now);
                    self.starting = false;
                    let mut cut = BETA * acked;
                    if cut > self.rate
                        && let Some(capacity) = self.capacity.estimate_bps()
                    {
                        cut = BETA * capacity;
                    }
                    if cut < self.rate {
                        self.rate = cut;
                    }
                    if self.capacity.estimate.is_some_and(|e| acked / 1_000.0 < e - 3.0 * self.capacity.deviation(e)) {
                        // Far below the capacity seen: the link has narrowed; learn it afresh.
                        self.capacity = Capacity::default();
                    }
                    self.capacity.sample(acked);
                }
                self.last_change = Some(now);
                self.state = State::Hold;
            }
        }
        self.rate = self.rate.clamp(self.min, self.max);
        self.rate
    }

    /// About one packet per round trip (plus 100 ms for the detector to respond), bits per
    /// second per second.
    fn additive(&self, rtt: Duration) -> f64 {
        let frame_bytes = self.rate / FPS / 8.0;
        let packets = (frame_bytes / PACKET).ceil().max(1.0);
        let packet_bits = frame_bytes * 8.0 / packets;
        let response_s = (rtt + Duration::from_millis(100)).as_secs_f64();
        (packet_bits / response_s).max(MIN_ADDITIVE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RTT: Duration = Duration::from_millis(50);

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn overuse_cuts_to_85_percent_of_what_arrived_and_normal_grows_8_percent_a_second() {
        let mut a = Aimd::new(2_000_000.0, 100_000.0, 10_000_000.0);
        assert_eq!(a.update(ms(0), Usage::Over, Some(600_000.0), RTT), 510_000.0);
        assert_eq!(a.capacity(), Some(600_000.0));
        // Hold once after the cut, then grow; additive now that a capacity is known.
        a.update(ms(100), Usage::Normal, Some(500_000.0), RTT);
        let before = a.rate();
        for t in 1..=10 {
            a.update(ms(100 + t * 100), Usage::Normal, Some(500_000.0), RTT);
        }
        // 510 kbit/s at 30 fps is two 8500-bit packets a frame; one of them per 150 ms (the
        // round trip and 100 ms) is 56.7 kbit/s a second, where 8 % would be 41.
        let grown = a.rate() - before;
        assert!((55_000.0..65_000.0).contains(&grown), "a packet per round trip near the capacity: {grown}");

        // At its start the rate doubles in a second, held to 1.5 times what arrives.
        let mut a = Aimd::new(500_000.0, 100_000.0, 10_000_000.0);
        for t in 0..=5 {
            a.update(ms(t * 100), Usage::Normal, Some(2_000_000.0), RTT);
        }
        assert!((705_000.0..710_000.0).contains(&a.rate()), "2^0.5 in half a second: {}", a.rate());
        for t in 6..=10 {
            a.update(ms(t * 100), Usage::Normal, Some(500_000.0), RTT);
        }
        assert_eq!(a.rate(), 760_000.0);
        // Once congestion was seen, and then more arrives than its capacity allowed (the link
        // widened), the rate grows 8 % a second.
        a.update(ms(1_100), Usage::Over, Some(600_000.0), RTT);
        a.update(ms(1_200), Usage::Normal, Some(2_000_000.0), RTT);
        let before = a.rate();
        for t in 13..=22 {
            a.update(ms(t * 100), Usage::Normal, Some(2_000_000.0), RTT);
        }
        let growth = a.rate() / before;
        assert!((1.075..1.085).contains(&growth), "8 % in a second: {growth}");
    }

    #[test]
    fn the_rate_never_climbs_past_one_and_a_half_times_what_arrived() {
        let mut a = Aimd::new(300_000.0, 100_000.0, 10_000_000.0);
        for t in 0..600 {
            a.update(ms(t * 100), Usage::Normal, Some(200_000.0), RTT);
        }
        assert_eq!(a.rate(), 310_000.0);
    }

    #[test]
    fn underuse_holds_and_without_an_acknowledged_rate_only_a_start_too_high_is_cut() {
        let mut a = Aimd::new(1_000_000.0, 100_000.0, 10_000_000.0);
        for t in 0..20 {
            a.update(ms(t * 100), Usage::Under, Some(1_000_000.0), RTT);
        }
        assert_eq!(a.rate(), 1_000_000.0);
        for t in 20..40 {
            a.update(ms(t * 100), Usage::Normal, None, RTT);
        }
        assert_eq!(a.rate(), 1_000_000.0);
        a.update(ms(4_000), Usage::Over, None, RTT);
        assert_eq!(a.rate(), 500_000.0, "overuse before anything arrived: halved");
        a.update(ms(4_005), Usage::Over, None, RTT);
        assert_eq!(a.rate(), 500_000.0, "once per round trip");
        a.update(ms(4_100), Usage::Over, Some(400_000.0), RTT);
        assert_eq!(a.rate(), 340_000.0);
        a.update(ms(4_300), Usage::Over, None, RTT);
        assert_eq!(a.rate(), 340_000.0, "after the start, no cut without knowing what arrives");
    }
}
