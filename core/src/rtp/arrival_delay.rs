//! How late audio packets arrive, and so how much audio the playout buffer should hold.
//!
//! Each packet's transit (arrival time minus the time its RTP timestamp stands for) is compared
//! with the quickest transit of the last two seconds: the difference is the delay the network
//! added to this packet beyond the best it managed lately (clock offsets and slow drift cancel).
//! The target is the 95th percentile of those delays over the last ten seconds of packets, plus
//! one packet's length, kept between a floor of 20 ms and a ceiling. So a burst of jitter raises
//! the target with the first late packets, and a calm link lets it fall again after ten seconds.

use std::collections::VecDeque;
use std::time::Duration;

use super::window_min::{WindowMin, quantile};

/// How far back the quickest transit is taken from.
const BASE_WINDOW: Duration = Duration::from_secs(2);
/// How many delays the percentile is taken over (ten seconds of 20 ms packets).
const HISTORY: usize = 500;
/// The share of packets that should arrive in time.
const QUANTILE: f64 = 0.95;

/// The arrival-delay estimate.
#[derive(Debug, Clone)]
pub struct ArrivalDelay {
    /// The quickest transit (µs) of the last [`BASE_WINDOW`].
    quickest: WindowMin<i128>,
    delays: VecDeque<u32>,
    /// Room to find the percentile in, kept so that a packet costs no allocation.
    scratch: Vec<u32>,
    floor: Duration,
    ceiling: Duration,
    target: Duration,
}

impl ArrivalDelay {
    /// An estimate that starts at `start` and stays within `floor..=ceiling`.
    pub fn new(floor: Duration, start: Duration, ceiling: Duration) -> Self {
        let ceiling = ceiling.max(floor);
        Self {
            quickest: WindowMin::new(BASE_WINDOW),
            delays: VecDeque::new(),
            scratch: Vec::with_capacity(HISTORY),
            floor,
            ceiling,
            target: start.clamp(floor, ceiling),
        }
    }

    /// Notes a packet that arrived at `now` with a timestamp standing for `media` (both on
    /// their own monotonic clocks) and lasting `length`.
    pub fn observe(&mut self, now: Duration, media: Duration, length: Duration) {
        let transit = now.as_micros() as i128 - media.as_micros() as i128;
        let base = self.quickest.push(now, transit);
        let delay = u32::try_from(transit - base).unwrap_or(u32::MAX);
        if self.delays.len() == HISTORY {
            self.delays.pop_front();
        }
        self.delays.push_back(delay);
        let p95 = quantile(&mut self.scratch, self.delays.iter().copied(), QUANTILE).unwrap_or(delay);
        self.target = (Duration::from_micros(u64::from(p95)) + length).clamp(self.floor, self.ceiling);
    }

    /// How much audio the buffer should hold.
    pub fn target(&self) -> Duration {
        self.target
    }

    /// The quickest transit (µs, arrival clock minus media clock) of the last two seconds of
    /// packets: a packet with this transit arrives as early as the path allows. None before
    /// the first packet.
    pub fn quickest_transit(&self) -> Option<i128> {
        self.quickest.least()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);
    const PACKET: Duration = Duration::from_millis(20);

    #[test]
    fn a_steady_link_asks_for_one_packet_and_jitter_for_its_95th_percentile() {
        let mut d = ArrivalDelay::new(20 * MS, 80 * MS, Duration::from_secs(1));
        assert_eq!(d.target(), 80 * MS, "the start, before any packet");
        // A clock offset of 5 s and a constant 30 ms path: no jitter.
        for i in 0..100u32 {
            d.observe(Duration::from_secs(5) + 30 * MS + i * PACKET, i * PACKET, PACKET);
        }
        assert_eq!(d.target(), PACKET);
        // Every tenth packet 60 ms late, the rest on time: 10 % are late, so the 95th
        // percentile is 60 ms.
        for i in 100..600u32 {
            let late = if i % 10 == 0 { 60 * MS } else { Duration::ZERO };
            d.observe(Duration::from_secs(5) + 30 * MS + i * PACKET + late, i * PACKET, PACKET);
        }
        assert_eq!(d.target(), 80 * MS);
        // Ten calm seconds later it is one packet again.
        for i in 600..1100u32 {
            d.observe(Duration::from_secs(5) + 30 * MS + i * PACKET, i * PACKET, PACKET);
        }
        assert_eq!(d.target(), PACKET);
    }

    #[test]
    fn drift_between_the_clocks_is_not_taken_for_jitter_and_absurd_delays_stop_at_the_ceiling() {
        let mut d = ArrivalDelay::new(20 * MS, 20 * MS, 500 * MS);
        // The sender's clock runs 100 ppm slow (a cheap crystal): transit grows 2 µs per packet.
        for i in 0..1000u32 {
            d.observe(i * PACKET + i * 2 * Duration::from_micros(1), i * PACKET, PACKET);
        }
        assert!(d.target() <= 21 * MS, "{:?}", d.target());
        // A packet an hour late and a packet from the future move nothing beyond the bounds.
        d.observe(Duration::from_secs(3_600), Duration::ZERO, PACKET);
        assert_eq!(d.target(), d.target().clamp(20 * MS, 500 * MS));
        d.observe(Duration::ZERO, Duration::from_secs(3_600), PACKET);
        d.observe(Duration::MAX / 2, Duration::ZERO, PACKET);
        assert!(d.target() <= 500 * MS && d.target() >= 20 * MS);
    }
}
