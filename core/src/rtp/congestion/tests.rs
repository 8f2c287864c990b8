//! The estimator driving a sender through a simulated bottleneck on a virtual clock: a token
//! bucket of the link's rate whose queue holds at most 300 ms (as `tc tbf … latency 300ms`),
//! 20 ms each way, feedback every 50 ms, and a sender that sends exactly what the estimate says.

use std::collections::VecDeque;
use std::time::Duration;

use super::*;

const START: f64 = 1_000_000.0;
const MIN: f64 = 100_000.0;
const MAX: f64 = 50_000_000.0;
const ONE_WAY: Duration = Duration::from_millis(20);
const QUEUE_LIMIT: Duration = Duration::from_millis(300);
const FEEDBACK_EVERY: u64 = 50;

struct Sent {
    departure: Duration,
    arrival: Option<Duration>,
    size: usize,
}

/// A second of the run: what was sent (bits), what the queue delay was at its 95th percentile.
#[derive(Debug, Default, Clone)]
struct Second {
    sent_bits: f64,
    queue_ms: Vec<f64>,
    target: f64,
    /// What the estimator measured of the queue at the second's end.
    seen_queue_ms: f64,
}

impl Second {
    fn queue_p95(&self) -> f64 {
        let mut q = self.queue_ms.clone();
        q.sort_by(f64::total_cmp);
        q.get(q.len() * 95 / 100).copied().unwrap_or(0.0)
    }
}

/// Runs `seconds` with the link's rate given per second by `link` (0: the link is down, every
/// packet lost); returns each second.
fn run(seconds: u64, link: impl Fn(u64) -> f64, mut estimator: LinkEstimator) -> Vec<Second> {
    // The receiver's clock has nothing to do with the sender's.
    let receiver_origin = Duration::from_secs(7_777);
    let mut log: Vec<Sent> = vec![];
    let mut reported = 0;
    let mut link_free = Duration::ZERO;
    let mut pending: VecDeque<(Duration, Vec<PacketResult>)> = VecDeque::new();
    let mut seconds_out = vec![Second::default(); seconds as usize];
    let mut credit = 0.0f64;
    for ms in 0..seconds * 1_000 {
        let now = Duration::from_millis(ms);
        let second = (ms / 1_000) as usize;
        let rate = link(ms / 1_000);
        // A frame every 33 ms of what the estimate allows, in packets of up to 1200 bytes, and
        // an audio packet every 20 ms.
        let mut sizes = vec![];
        if ms % 33 == 0 {
            credit += estimator.target() * 0.033 / 8.0;
            while credit >= 200.0 {
                let size = credit.min(1_200.0);
                sizes.push(size as usize);
                credit -= size;
            }
        }
        if ms % 20 == 0 {
            sizes.push(100);
        }
        for size in sizes {
            seconds_out[second].sent_bits += size as f64 * 8.0;
            let queued = link_free.saturating_sub(now);
            let arrival = if rate == 0.0 || queued > QUEUE_LIMIT {
                None
            } else {
                seconds_out[second].queue_ms.push(queued.as_secs_f64() * 1_000.0);
                link_free = link_free.max(now) + Duration::from_secs_f64(size as f64 * 8.0 / rate);
                Some(link_free + ONE_WAY)
            };
            log.push(Sent { departure: now, arrival, size });
        }
        // The receiver reports every 50 ms what has arrived, and what is missing before it.
        if ms % FEEDBACK_EVERY == 0 {
            let arrived_until = log.iter().rposition(|p| p.arrival.is_some_and(|a| a <= now));
            if let Some(last) = arrived_until.filter(|&l| l >= reported) {
                let batch = log[reported..=last]
                    .iter()
                    .map(|p| PacketResult {
                        departure: p.departure,
                        arrival: p.arrival.filter(|a| *a <= now).map(|a| a + receiver_origin),
                        size: p.size,
                    })
                    .collect();
                pending.push_back((now + ONE_WAY, batch));
                reported = last + 1;
            }
        }
        while pending.front().is_some_and(|(at, _)| *at <= now) {
            let (_, batch) = pending.pop_front().unwrap();
            estimator.on_feedback(now, &batch);
        }
        seconds_out[second].target = estimator.target();
        seconds_out[second].seen_queue_ms = estimator.stats().queue_delay.map_or(0.0, |d| d.as_secs_f64() * 1_000.0);
    }
    seconds_out
}

fn estimator() -> LinkEstimator {
    LinkEstimator::new(START, MIN, MAX)
}

fn kbit(s: &[Second]) -> Vec<u64> {
    s.iter().map(|s| (s.sent_bits / 1_000.0) as u64).collect()
}

#[test]
fn a_narrow_link_is_found_and_kept_with_a_short_queue() {
    for link in [500_000.0, 2_500_000.0] {
        let secs = run(30, |_| link, estimator());
        let sent = kbit(&secs);
        let queues: Vec<u64> = secs.iter().map(|s| s.queue_p95() as u64).collect();
        for (i, s) in secs.iter().enumerate().skip(2) {
            assert!(s.sent_bits <= 1.2 * link, "{link}: second {i} sent {sent:?} kbit, queue p95 {queues:?} ms");
        }
        let seen: Vec<u64> = secs.iter().map(|s| s.seen_queue_ms as u64).collect();
        for (i, s) in secs.iter().enumerate().skip(5) {
            assert!(s.sent_bits >= 0.7 * link, "{link}: second {i} sent {sent:?} kbit");
            assert!(s.queue_p95() <= 150.0, "{link}: second {i}: queue p95 {queues:?} ms");
            // The estimator's own measure of the queue (from the feedback alone) agrees.
            assert!(s.seen_queue_ms <= 150.0, "{link}: second {i}: the estimator saw {seen:?} ms");
        }
        if link < 1_000_000.0 {
            // The queue the start filled (300 ms in the first second) is seen too.
            assert!(secs[..3].iter().any(|s| s.seen_queue_ms >= 150.0), "{link}: the estimator saw {seen:?} ms");
        }
    }
}

#[test]
fn a_wide_link_is_climbed_and_a_link_that_narrows_is_followed_within_a_second() {
    let secs = run(40, |s| if s < 25 { 4_000_000.0 } else { 800_000.0 }, estimator());
    let sent = kbit(&secs);
    assert!(secs[20].sent_bits >= 0.8 * 4_000_000.0, "climbed: {sent:?}");
    for (i, s) in secs.iter().enumerate().skip(27) {
        assert!(s.sent_bits <= 1.2 * 800_000.0, "second {i}: {sent:?}");
        assert!(s.sent_bits >= 0.6 * 800_000.0, "second {i}: {sent:?}");
    }
    assert!(secs[26].sent_bits <= 1.5 * 800_000.0, "the narrowing was followed: {sent:?}");
}

#[test]
fn after_an_outage_the_rate_comes_back() {
    let secs = run(30, |s| if (10..12).contains(&s) { 0.0 } else { 1_500_000.0 }, estimator());
    let sent = kbit(&secs);
    for (i, s) in secs.iter().enumerate().skip(22) {
        assert!(s.sent_bits >= 0.6 * 1_500_000.0 && s.sent_bits <= 1.2 * 1_500_000.0, "second {i}: {sent:?}");
    }
    assert!(secs.iter().all(|s| s.target >= MIN));
}

#[test]
fn absurd_feedback_keeps_the_estimate_within_bounds_and_a_sane_path_brings_it_back() {
    let mut e = estimator();
    let mut t = Duration::ZERO;
    let absurd = [Duration::ZERO, Duration::MAX / 2, Duration::from_secs(3_600), Duration::from_nanos(1)];
    for round in 0..200u64 {
        t += Duration::from_millis(50);
        let batch: Vec<PacketResult> = (0..10u64)
            .map(|i| PacketResult {
                departure: if round % 3 == 0 { Duration::ZERO } else { t + Duration::from_millis(i) },
                arrival: (i % 4 != 0).then(|| absurd[((round + i) % 4) as usize]),
                size: if i == 5 { usize::MAX / 4 } else { 1_200 },
            })
            .collect();
        let target = e.on_feedback(t, &batch);
        assert!(target.is_finite() && (MIN..=MAX).contains(&target), "{target}");
    }
    assert!(e.on_feedback(t, &[]).is_finite());
    let secs = run(30, |_| 1_000_000.0, e);
    assert!(secs[29].sent_bits >= 0.6 * 1_000_000.0, "{:?}", kbit(&secs));
}

#[test]
fn a_link_that_flaps_every_second_is_not_flooded_and_a_good_link_after_it_is_climbed_again() {
    // 2 Mbit/s and 300 kbit/s by turns for 20 s, then 2 Mbit/s for good.
    let link = |s: u64| if s < 20 && s % 2 == 1 { 300_000.0 } else { 2_000_000.0 };
    let secs = run(45, link, estimator());
    let sent = kbit(&secs);
    // While it flaps the rate keeps to the narrow state (no flood into every narrow second);
    // once the link stays wide it climbs again, 8 % a second as the capacity it learnt no
    // longer holds (GCC's pace without probes), not stuck where the flapping left it.
    assert!(secs[3..20].iter().all(|s| s.sent_bits <= 1.2 * 400_000.0), "{sent:?}");
    assert!(secs[44].sent_bits >= 0.7 * 2_000_000.0, "stuck low after the flapping: {sent:?}");
}
