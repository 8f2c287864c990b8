//! Congestion control on each link: Trygg's own estimator (`trygg_core::rtp::congestion`,
//! Google congestion control: delay-based over transport-wide feedback, plus loss-based) plugs
//! into webrtc's congestion-control interceptor as its [`BandwidthEstimator`] ([`LinkEstimate`]);
//! this interceptor hands each new estimate to the application, which sets the encoder's rate
//! from it (`trygg_core::rtp::send_rate`), and lets the pacer release packets faster than the
//! estimate (browsers pace at 2.5×), never slower than [`PACE_FLOOR_BPS`]: the encoder keeps
//! the average within the estimate, the pacer only spreads bursts.
//!
//! The estimator attaches its target to the feedback packet it came from, on the read leg
//! (`Attribute::TargetBitrateChanged`); the pacer reads it further along. This interceptor sits
//! between the two ([`ESTIMATE_SLOT`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use rtc::interceptor::{Attribute, BandwidthEstimator, EstimatorStats, PacketReport, TaggedPacket};
use trygg_core::rtp::congestion::{LinkEstimator, PacketResult};

use super::read_tap::ReadTap;

/// The core's estimator on the interceptor's clock: instants become durations from the link's
/// start; the receiver's arrival times pass as they are.
pub struct LinkEstimate {
    epoch: Instant,
    estimator: LinkEstimator,
    packets: Vec<PacketResult>,
    /// The path's queueing delay (95th percentile of the last second), µs, for the stats.
    queue_us: Arc<AtomicU32>,
}

impl LinkEstimate {
    /// Starts at `start` bits per second, within `min..=max`.
    pub fn new(start: f64, min: f64, max: f64) -> Self {
        Self {
            epoch: Instant::now(),
            estimator: LinkEstimator::new(start, min, max),
            packets: Vec::new(),
            queue_us: Arc::new(AtomicU32::new(u32::MAX)),
        }
    }

    /// Where the path's queueing delay is kept (µs; `u32::MAX` before it is known).
    pub fn queue_delay(&self) -> Arc<AtomicU32> {
        self.queue_us.clone()
    }
}

impl BandwidthEstimator for LinkEstimate {
    fn on_reports(&mut self, now: Instant, reports: &[PacketReport]) {
        self.packets.clear();
        self.packets.extend(reports.iter().map(|r| PacketResult {
            departure: r.departure.saturating_duration_since(self.epoch),
            arrival: r.arrival.filter(|_| r.arrived),
            size: r.size,
        }));
        self.estimator.on_feedback(now.saturating_duration_since(self.epoch), &self.packets);
        if let Some(q) = self.estimator.stats().queue_delay {
            self.queue_us.store(u32::try_from(q.as_micros()).unwrap_or(u32::MAX - 1), Ordering::Relaxed);
        }
        tracing::trace!(
            "feedback on {} packets ({} lost): target {:.0} bit/s, delay {:?}, {:?}",
            self.packets.len(),
            self.packets.iter().filter(|p| p.arrival.is_none()).count(),
            self.estimator.target(),
            self.estimator.usage(),
            self.estimator.stats()
        );
    }

    fn target_bitrate(&self) -> f64 {
        self.estimator.target()
    }

    fn stats(&self) -> EstimatorStats {
        let s = self.estimator.stats();
        let mut stats = EstimatorStats::default();
        stats.delay_based_bitrate = Some(s.delay_based);
        stats.loss_based_bitrate = Some(s.loss_based);
        stats.packet_loss = Some(s.loss);
        stats.round_trip_time = Some(s.rtt);
        stats
    }
}

/// Between the estimator's feedback intake (`Slot::TwccSender`, 2_000) and the pacer (3_000).
pub const ESTIMATE_SLOT: usize = 2_500;
/// How much faster than the estimate the pacer releases packets (browsers pace at 2.5×): the
/// encoder keeps to the estimate on average, bursts drain quickly.
pub const PACING_FACTOR: f64 = 2.5;
/// The pacer never releases slower than this. A 1080p keyframe of text (100–300 kB) must leave
/// in 30–100 ms: paced at 2.5× a 2 Mbit/s estimate it took half a second, the viewer's assembler
/// gave up on it and asked again, and the share fell into a loop of keyframes
/// (`tests/meeting_share.rs` showed it). Without pacing at all it overflows socket buffers, even
/// on loopback. Camera pictures fit in one burst and are not held.
pub const PACE_FLOOR_BPS: f64 = 25_000_000.0;

/// Reports each new estimate (bits per second) to `notify` and sets the pacer's rate from it
/// ([`PACING_FACTOR`], [`PACE_FLOOR_BPS`]).
pub fn estimate_tap(
    notify: impl Fn(u32) + Send + Sync + 'static,
) -> ReadTap<impl FnMut(&mut TaggedPacket) + Send + Sync + 'static> {
    ReadTap::new(move |msg: &mut TaggedPacket| {
        for a in &mut msg.message.attributes {
            if let Attribute::TargetBitrateChanged { bits_per_second } = a {
                // Saturating: an absurd estimate is the encoder's ceiling, never a wrap.
                notify(bits_per_second.clamp(0.0, f64::from(u32::MAX)) as u32);
                *bits_per_second = (*bits_per_second * PACING_FACTOR).max(PACE_FLOOR_BPS);
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use rtc::interceptor::{BandwidthEstimator, PacketReport};
    use rtc::rtcp::transport_feedbacks::cc_feedback_report::Ecn;

    use crate::net::peer::{ESTIMATE_MAX_BPS, ESTIMATE_MIN_BPS, ESTIMATE_START_BPS};

    fn report(id: u64, departure: Instant, arrival: Option<Duration>) -> PacketReport {
        PacketReport {
            ssrc: 1,
            id,
            rtp_sequence_number: id as u16,
            is_twcc: true,
            twcc_sequence_number: id as u16,
            size: 1_200,
            arrived: arrival.is_some(),
            departure,
            arrival,
            ecn: Ecn::NotEct,
        }
    }

    use super::LinkEstimate;

    fn bounded(g: &LinkEstimate) -> bool {
        let b = g.target_bitrate();
        b.is_finite() && (ESTIMATE_MIN_BPS..=ESTIMATE_MAX_BPS).contains(&b)
    }

    /// What the remote side controls in transport-wide feedback is which packets it says
    /// arrived and when (on its clock): absurd values there must not panic, leave the bounds,
    /// or keep the estimate down once the feedback is sane again.
    #[test]
    fn absurd_feedback_stays_within_bounds_and_a_good_link_brings_the_estimate_back() {
        let mut gcc = LinkEstimate::new(ESTIMATE_START_BPS, ESTIMATE_MIN_BPS, ESTIMATE_MAX_BPS);
        let t0 = Instant::now();
        let mut id = 0u64;
        let mut now = t0;
        for round in 0..200u64 {
            now = t0 + Duration::from_millis(round * 50);
            let reports: Vec<PacketReport> = (0..20u64)
                .map(|k| {
                    id += 1;
                    let departure = now - Duration::from_millis(40 - 2 * k);
                    let arrival = match (round + k) % 6 {
                        0 => Some(Duration::from_secs(3_600 * (k % 3))),
                        1 => Some(Duration::ZERO),
                        2 => None,
                        3 => Some(Duration::MAX / 2),
                        4 => Some(Duration::from_micros(round * 50_000).saturating_sub(Duration::from_millis(k * 30))),
                        _ => Some(Duration::from_nanos(1)),
                    };
                    report(id, departure, arrival)
                })
                .collect();
            gcc.on_reports(now, &reports);
            gcc.handle_timeout(now);
            assert!(bounded(&gcc), "{} after absurd feedback", gcc.target_bitrate());
        }
        let after_absurd = gcc.target_bitrate();
        // Then 30 s of a sane 5 Mbit/s path: a 1 200-byte packet every 2 ms (4.8 Mbit/s), each
        // arriving 20 ms after it left, reported every 50 ms.
        let start = now;
        for round in 1..=600u64 {
            let at = start + Duration::from_millis(round * 50);
            let reports: Vec<PacketReport> = (0..25u64)
                .map(|k| {
                    id += 1;
                    let departure = at - Duration::from_millis(70 - 2 * k);
                    let arrival = departure.duration_since(t0) + Duration::from_millis(20);
                    report(id, departure, Some(arrival))
                })
                .collect();
            gcc.on_reports(at, &reports);
            gcc.handle_timeout(at);
            assert!(bounded(&gcc));
        }
        let recovered = gcc.target_bitrate();
        eprintln!("estimate after absurd feedback {after_absurd:.0} bit/s, after 30 s of a good path {recovered:.0}");
        assert!(recovered >= 2_000_000.0, "stuck low: {recovered}");
    }
}
