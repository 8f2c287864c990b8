//! How much a link carries: Google congestion control, sans-I/O, fed the packets the receiver
//! reported (transport-wide feedback) and giving a target rate for everything sent on the link.
//!
//! Two halves, the lower of which wins:
//! - **delay-based** ([`arrival_groups`] → [`trendline`] → [`aimd`]): a queue growing on the path
//!   is seen in the arrival spacing before anything is lost, and the rate is cut to 85 % of
//!   what the receiver acknowledged; while the delay is steady the rate grows, never past 1.5
//!   times what was acknowledged, so an estimate cannot run far ahead of what the path showed;
//! - **loss-based** ([`loss_based`]): heavy loss cuts the rate even when the queue is shallow
//!   (a policer, a lossy radio link).
//!
//! libwebrtc's `GoogCcNetworkController` is the model (its trendline estimator, AIMD rate
//! control, link capacity and classic loss-based estimation), without its probing: the media
//! itself probes, the encoder stepping up to at most twice what it produced
//! (`super::send_rate`). Times are the caller's (`now`, departures) and the receiver's
//! (arrivals), as durations from any origin.

pub mod aimd;
pub mod arrival_groups;
pub mod loss_based;
pub mod queue_delay;
pub mod trendline;

use std::collections::VecDeque;
use std::time::Duration;

use aimd::Aimd;
use arrival_groups::ArrivalGroups;
pub use arrival_groups::PacketResult;
use loss_based::LossBased;
use queue_delay::QueueDelay;
use trendline::Trendline;
pub use trendline::Usage;

/// The acknowledged rate is measured over this much arrival time.
const ACKED_WINDOW: Duration = Duration::from_millis(500);
/// Round-trip time assumed before feedback says otherwise.
const START_RTT: Duration = Duration::from_millis(100);

/// What the estimator says about itself.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EstimateStats {
    /// The delay-based rate, bits per second.
    pub delay_based: f64,
    /// The loss-based rate, bits per second.
    pub loss_based: f64,
    /// The fraction of packets lost, as last judged.
    pub loss: f64,
    /// What the receiver acknowledged over the last half second, bits per second.
    pub acked: Option<f64>,
    /// Round-trip time from the feedback (includes the receiver's feedback interval).
    pub rtt: Duration,
    /// How long the last second's packets waited in queues on the path (95th percentile).
    pub queue_delay: Option<Duration>,
}

/// The rate the receiver acknowledges, over a window of its arrival times.
#[derive(Debug, Clone, Default)]
struct AckedRate {
    arrivals: VecDeque<(Duration, usize)>,
    bytes: usize,
    first: Option<Duration>,
    latest: Duration,
}

impl AckedRate {
    fn add(&mut self, arrival: Duration, size: usize) {
        let first = *self.first.get_or_insert(arrival);
        if arrival < first {
            // The receiver's clock went back: begin again.
            *self = Self { first: Some(arrival), ..Self::default() };
        }
        self.arrivals.push_back((arrival, size));
        self.bytes += size;
        self.latest = self.latest.max(arrival);
        while let Some(&(a, s)) = self.arrivals.front() {
            if self.latest.saturating_sub(a) <= ACKED_WINDOW {
                break;
            }
            self.arrivals.pop_front();
            self.bytes -= s;
        }
    }

    /// Bits per second, once half a second of arrivals has been seen.
    fn rate(&self) -> Option<f64> {
        let first = self.first?;
        self.arrivals.back()?;
        (self.latest.saturating_sub(first) >= ACKED_WINDOW)
            .then(|| self.bytes as f64 * 8.0 / ACKED_WINDOW.as_secs_f64())
    }
}

/// One link's congestion estimate, on the caller's clock.
#[derive(Debug, Clone)]
pub struct LinkEstimator {
    groups: ArrivalGroups,
    trendline: Trendline,
    aimd: Aimd,
    loss: LossBased,
    acked: AckedRate,
    queue: QueueDelay,
    queue_p95: Option<Duration>,
    rtt: Option<Duration>,
    min: f64,
    max: f64,
    target: f64,
}

impl LinkEstimator {
    /// Starts at `start` bits per second, always within `min..=max`.
    pub fn new(start: f64, min: f64, max: f64) -> Self {
        let start = start.clamp(min, max);
        Self {
            groups: ArrivalGroups::default(),
            trendline: Trendline::default(),
            aimd: Aimd::new(start, min, max),
            loss: LossBased::new(start, min),
            acked: AckedRate::default(),
            queue: QueueDelay::default(),
            queue_p95: None,
            rtt: None,
            min,
            max,
            target: start,
        }
    }

    /// The target rate for everything sent on the link, bits per second.
    pub fn target(&self) -> f64 {
        self.target
    }

    /// What the estimate is made of.
    pub fn stats(&self) -> EstimateStats {
        EstimateStats {
            delay_based: self.aimd.rate(),
            loss_based: self.loss.rate(),
            loss: self.loss.loss(),
            acked: self.acked.rate(),
            rtt: self.rtt(),
            queue_delay: self.queue_p95,
        }
    }

    /// What the delay said last.
    pub fn usage(&self) -> Usage {
        self.trendline.usage()
    }

    fn rtt(&self) -> Duration {
        self.rtt.unwrap_or(START_RTT)
    }

    /// Takes one feedback report's packets, in send order; returns the target.
    pub fn on_feedback(&mut self, now: Duration, packets: &[PacketResult]) -> f64 {
        if packets.is_empty() {
            return self.target;
        }
        let mut lost = 0u32;
        let mut overused = false;
        for p in packets {
            let Some(arrival) = p.arrival else {
                lost += 1;
                continue;
            };
            // No UDP datagram is larger: a report claiming more is not believed.
            self.acked.add(arrival, p.size.min(65_535));
            self.queue.add(p.departure, arrival);
            if let Some(delta) = self.groups.add(p.departure, arrival) {
                overused |= self.trendline.update(delta) == Usage::Over;
            }
        }
        // The newest packet reported went out a round trip (and a feedback interval) ago.
        if let Some(newest) = packets.iter().filter(|p| p.arrival.is_some()).map(|p| p.departure).max()
            && let Some(sample) = now.checked_sub(newest)
        {
            let sample = sample.min(Duration::from_secs(5));
            self.rtt = Some(self.rtt.map_or(sample, |r| r.mul_f64(0.875) + sample.mul_f64(0.125)));
        }
        self.queue_p95 = self.queue.p95();
        let usage = if overused { Usage::Over } else { self.trendline.usage() };
        let delay_based = self.aimd.update(now, usage, self.acked.rate(), self.rtt());
        let total = u32::try_from(packets.len()).unwrap_or(u32::MAX);
        let loss_based = self.loss.update(now, lost, total, self.acked.rate(), delay_based, self.rtt());
        self.target = delay_based.min(loss_based).clamp(self.min, self.max);
        self.target
    }
}

#[cfg(test)]
mod tests;
