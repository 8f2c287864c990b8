//! The playout buffer on a virtual clock: a simulated sender, a simulated network and a player
//! that pulls 20 ms every 20 ms as the mixer does.

use std::collections::HashMap;

use super::*;

const MS: Duration = Duration::from_millis(1);
const PACKET: Duration = Duration::from_millis(20);

/// A speech packet from the simulated sender (CELT 20 ms); its index rides in the payload.
fn speech(i: u32) -> Bytes {
    let mut v = vec![31 << 3];
    v.extend(i.to_be_bytes());
    Bytes::from(v)
}

/// A DTX packet: a lone table-of-contents byte.
fn dtx() -> Bytes {
    Bytes::from_static(&[31 << 3])
}

fn index(p: &Bytes) -> Option<u32> {
    Some(u32::from_be_bytes(p.get(1..5)?.try_into().ok()?))
}

#[derive(Clone)]
struct Sent {
    seq: u16,
    ts: u32,
    payload: Bytes,
    arrival: Duration,
}

/// `count` packets of 20 ms sent every `interval` from `seq0`/`ts0`, each arriving 30 ms plus
/// `delay(i)` after it was sent (None: lost).
fn send(count: u32, interval: Duration, seq0: u16, ts0: u32, delay: impl Fn(u32) -> Option<Duration>) -> Vec<Sent> {
    (0..count)
        .filter_map(|i| {
            Some(Sent {
                seq: seq0.wrapping_add(i as u16),
                ts: ts0.wrapping_add(i * 960),
                payload: speech(i),
                arrival: i * interval + 30 * MS + delay(i)?,
            })
        })
        .collect()
}

struct Player {
    jb: JitterBuffer,
    buffered: usize,
    /// Every decision with the time it was made.
    played: Vec<(Duration, Decision)>,
    arrivals: HashMap<u32, Duration>,
}

impl Player {
    fn pull(&mut self, now: Duration) {
        while self.buffered < 960 {
            let d = self.jb.next(now);
            let n = match &d {
                Decision::Decode { stretch, .. } => {
                    let change = match stretch {
                        Stretch::None => 0,
                        Stretch::Shorten => -240,
                        Stretch::Lengthen => 240,
                    };
                    self.jb.stretched(change);
                    (960 + change) as usize
                }
                Decision::Fec { samples, .. }
                | Decision::Conceal { samples }
                | Decision::ComfortNoise { samples }
                | Decision::Silence { samples } => *samples as usize,
            };
            self.played.push((now, d));
            self.buffered += n;
        }
        self.buffered -= 960;
    }

    /// Indices of the speech packets decoded, in order.
    fn decoded(&self) -> Vec<u32> {
        self.played
            .iter()
            .filter_map(|(_, d)| match d {
                Decision::Decode { payload, .. } => index(payload),
                _ => None,
            })
            .collect()
    }

    /// How long each decoded speech packet waited, from arrival to play, from `from` on.
    fn waits(&self, from: Duration) -> Vec<Duration> {
        self.played
            .iter()
            .filter(|(t, _)| *t >= from)
            .filter_map(|(t, d)| match d {
                Decision::Decode { payload, .. } => index(payload).map(|i| *t - self.arrivals[&i]),
                _ => None,
            })
            .collect()
    }

    fn count(&self, from: Duration, until: Duration, what: impl Fn(&Decision) -> bool) -> usize {
        self.played.iter().filter(|(t, d)| *t >= from && *t < until && what(d)).count()
    }
}

/// Delivers `packets` in order of arrival to a buffer pulled every 20 ms (from `phase` on)
/// until `until`.
fn run(mut packets: Vec<Sent>, phase: Duration, until: Duration) -> Player {
    packets.sort_by_key(|p| p.arrival);
    let arrivals = packets.iter().filter_map(|p| Some((index(&p.payload)?, p.arrival))).collect();
    let mut player = Player { jb: JitterBuffer::new(), buffered: 0, played: vec![], arrivals };
    let mut next = packets.into_iter().peekable();
    let mut t = phase;
    while t < until {
        while let Some(p) = next.next_if(|p| p.arrival <= t) {
            player.jb.insert(p.seq, p.ts, p.payload, p.arrival);
        }
        player.pull(t);
        t += PACKET;
    }
    player
}

/// A small deterministic random source.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn is_conceal(d: &Decision) -> bool {
    matches!(d, Decision::Conceal { .. })
}

fn is_stretch(d: &Decision) -> bool {
    matches!(d, Decision::Decode { stretch: Stretch::Shorten | Stretch::Lengthen, .. })
}

#[test]
fn a_steady_link_plays_every_packet_in_order_one_packet_behind_and_across_the_wraps() {
    // Sequence numbers and timestamps wrap early on.
    let packets = send(500, PACKET, 65_500, u32::MAX - 20_000, |_| Some(Duration::ZERO));
    let p = run(packets, 7 * MS, Duration::from_secs(10));
    assert_eq!(p.decoded(), (0..p.decoded().len() as u32).collect::<Vec<_>>());
    assert!(p.decoded().len() >= 495, "{}", p.decoded().len());
    assert_eq!(p.count(Duration::ZERO, Duration::from_secs(10), is_conceal), 0);
    assert_eq!(p.count(Duration::from_secs(1), Duration::from_secs(10), is_stretch), 0);
    assert_eq!(p.jb.target(), FLOOR);
    assert!(p.waits(Duration::from_secs(1)).iter().all(|w| *w <= 40 * MS), "{:?}", p.waits(Duration::from_secs(1)));
    assert_eq!(p.jb.stats().late + p.jb.stats().flushed, 0);
}

#[test]
fn jitter_of_50_ms_raises_the_delay_to_cover_it_and_almost_nothing_is_concealed() {
    let mut rng = Rng(0x5eed);
    let delays: Vec<Duration> = (0..1500).map(|_| Duration::from_millis(rng.below(51))).collect();
    let packets = send(1500, PACKET, 1, 1, |i| Some(delays[i as usize]));
    let p = run(packets, 3 * MS, Duration::from_secs(30));
    let concealed = p.count(Duration::from_secs(1), Duration::from_secs(30), is_conceal);
    assert!(concealed <= 30, "{concealed} of 1450 concealed");
    let target = p.jb.target();
    assert!(target >= 60 * MS && target <= 75 * MS, "{target:?}");
    // Every packet is played in order; the ones concealed came late and were dropped.
    let decoded = p.decoded();
    assert!(decoded.windows(2).all(|w| w[0] < w[1]));
    assert!(decoded.len() as u64 + p.jb.stats().late >= 1490, "{} + {}", decoded.len(), p.jb.stats().late);
    let waits = p.waits(Duration::from_secs(5));
    let mean = waits.iter().sum::<Duration>() / waits.len() as u32;
    assert!(mean <= 70 * MS, "mean wait {mean:?}");
    assert_eq!(p.jb.stats().flushed, 0);
}

#[test]
fn a_lost_packet_is_rebuilt_from_the_next_ones_fec_or_concealed_and_nothing_is_late() {
    let mut rng = Rng(7);
    let lost: Vec<bool> = (0..1000).map(|_| rng.below(10) == 0).collect();
    let packets = send(1000, PACKET, 100, 100, |i| (!lost[i as usize]).then_some(Duration::ZERO));
    let p = run(packets, 11 * MS, Duration::from_secs(20) + 100 * MS);
    let received: Vec<u32> = (0..1000).filter(|&i| !lost[i as usize]).collect();
    assert_eq!(p.decoded(), received);
    // Each lost packet whose successor came is rebuilt from that successor's FEC.
    let fec: Vec<u32> = p
        .played
        .iter()
        .filter_map(|(_, d)| match d {
            Decision::Fec { payload, .. } => index(payload),
            _ => None,
        })
        .collect();
    let expected: Vec<u32> = (1..1000).filter(|&i| lost[i as usize - 1] && !lost[i as usize]).collect();
    assert_eq!(fec, expected);
    let runs = (1..1000).filter(|&i| lost[i as usize - 1] && lost[i as usize]).count();
    assert_eq!(p.count(Duration::ZERO, Duration::from_secs(20), is_conceal), runs);
    assert_eq!(p.jb.stats().late, 0);
}

#[test]
fn reordered_packets_play_in_order() {
    // Every pair swapped, the second of each pair 5 ms early.
    let packets: Vec<Sent> = send(200, PACKET, 9, 9, |_| Some(Duration::ZERO))
        .into_iter()
        .map(|mut p| {
            if index(&p.payload).unwrap() % 2 == 1 {
                p.arrival -= 25 * MS;
            }
            p
        })
        .collect();
    let p = run(packets, Duration::ZERO, Duration::from_secs(4) + 200 * MS);
    assert_eq!(p.decoded(), (0..200).collect::<Vec<_>>());
    assert_eq!(p.count(Duration::ZERO, Duration::from_secs(4), is_conceal), 0);
}

#[test]
fn dtx_is_comfort_noise_not_loss_and_speech_after_it_plays_on_time() {
    // One second of speech, two seconds of DTX (a packet every 400 ms, sequence numbers running
    // on), then speech again.
    let mut packets = send(50, PACKET, 0, 0, |_| Some(Duration::ZERO));
    for k in 0..5u32 {
        let sent = Duration::from_secs(1) + k * 400 * MS;
        packets.push(Sent { seq: 50 + k as u16, ts: 48_000 + k * 19_200, payload: dtx(), arrival: sent + 30 * MS });
    }
    for i in 0..50u32 {
        let sent = Duration::from_secs(3) + i * PACKET;
        packets.push(Sent {
            seq: 55 + i as u16,
            ts: 144_000 + i * 960,
            payload: speech(100 + i),
            arrival: sent + 30 * MS,
        });
    }
    let p = run(packets, 5 * MS, Duration::from_secs(4) + 200 * MS);
    assert_eq!(p.count(Duration::ZERO, Duration::from_secs(4), is_conceal), 0);
    assert!(p.count(Duration::ZERO, Duration::from_secs(4), |d| matches!(d, Decision::ComfortNoise { .. })) >= 80);
    assert!(p.count(Duration::ZERO, Duration::from_secs(4), |d| matches!(d, Decision::Silence { .. })) <= 2);
    let speech: Vec<u32> = p.decoded();
    assert_eq!(speech, (0..50).chain(100..150).collect::<Vec<_>>());
    assert!(p.waits(Duration::from_secs(3)).iter().all(|w| *w <= 40 * MS));
}

#[test]
fn a_sender_that_pauses_is_concealed_briefly_then_silent_and_resumes_at_the_target() {
    // One second, three seconds of nothing (muted), one second more with time running on.
    let packets: Vec<Sent> = send(250, PACKET, 0, 0, |_| Some(Duration::ZERO))
        .into_iter()
        .filter(|p| !(50..200).contains(&index(&p.payload).unwrap()))
        .collect();
    let p = run(packets, 13 * MS, Duration::from_secs(5) + 200 * MS);
    let gap = (Duration::from_secs(1), Duration::from_secs(4));
    assert!(p.count(gap.0, gap.1, is_conceal) <= 11, "{}", p.count(gap.0, gap.1, is_conceal));
    assert!(p.count(gap.0, gap.1, |d| matches!(d, Decision::Silence { .. })) >= 130);
    assert_eq!(p.decoded(), (0..50).chain(200..250).collect::<Vec<_>>());
    assert!(p.waits(Duration::from_secs(4) + 100 * MS).iter().all(|w| *w <= 40 * MS));
}

#[test]
fn timestamps_that_jump_back_or_forward_are_followed() {
    // A restarted stream: timestamps start again 10 s back, then jump an hour ahead.
    let mut packets = send(100, PACKET, 0, 10_000_000, |_| Some(Duration::ZERO));
    for (k, p) in send(100, PACKET, 100, 10_000_000 - 480_000, |_| Some(Duration::ZERO)).into_iter().enumerate() {
        packets.push(Sent { arrival: p.arrival + Duration::from_secs(2), payload: speech(100 + k as u32), ..p });
    }
    for (k, p) in send(100, PACKET, 200, 10_000_000 + 172_800_000, |_| Some(Duration::ZERO)).into_iter().enumerate() {
        packets.push(Sent { arrival: p.arrival + Duration::from_secs(4), payload: speech(200 + k as u32), ..p });
    }
    let p = run(packets, 1 * MS, Duration::from_secs(6) + 200 * MS);
    let decoded = p.decoded();
    assert!(decoded.iter().filter(|&&i| (100..200).contains(&i)).count() >= 95, "{decoded:?}");
    assert!(decoded.iter().filter(|&&i| (200..300).contains(&i)).count() >= 95, "{decoded:?}");
    assert!(p.count(Duration::ZERO, Duration::from_secs(6), is_conceal) <= 4);
    assert!(p.waits(Duration::from_secs(5)).iter().all(|w| *w <= 80 * MS));
}

#[test]
fn a_backlog_after_an_outage_is_cut_and_the_delay_comes_back_down_by_playing_faster() {
    // A one-second stall: the packets sent during it all arrive when it ends.
    let stall = (Duration::from_secs(2), Duration::from_secs(3));
    let packets = send(1000, PACKET, 0, 0, |i| {
        let sent = i * PACKET;
        Some(if sent >= stall.0 && sent < stall.1 { stall.1 - sent } else { Duration::ZERO })
    });
    let p = run(packets, 9 * MS, Duration::from_secs(20));
    assert!(p.jb.stats().flushed > 0, "{:?}", p.jb.stats());
    let waits = p.waits(Duration::from_secs(4));
    assert!(waits.iter().all(|w| *w <= 700 * MS), "{waits:?} {:?}", p.jb.stats());
    // The buffer then plays faster back down to one packet (at the latest once the stall has
    // left the ten-second history), without concealing or cutting anything more.
    let flushed = p.jb.stats().flushed;
    let late = p.waits(Duration::from_secs(19));
    assert!(late.iter().all(|w| *w <= 40 * MS), "{late:?}");
    let shorten = |d: &Decision| matches!(d, Decision::Decode { stretch: Stretch::Shorten, .. });
    assert!(p.count(Duration::from_secs(3), Duration::from_secs(19), shorten) > 0);
    assert_eq!(p.count(Duration::from_secs(4), Duration::from_secs(19), is_conceal), 0);
    assert_eq!(p.jb.stats().flushed, flushed);
}

#[test]
fn clocks_that_drift_apart_are_absorbed_by_stretching_not_by_cutting_or_concealing() {
    for (interval, shorten) in [(Duration::from_micros(19_900), true), (Duration::from_micros(20_100), false)] {
        let packets = send(3000, interval, 0, 0, |_| Some(Duration::ZERO));
        let p = run(packets, 4 * MS, Duration::from_secs(59));
        let s = p.jb.stats();
        assert_eq!(s.flushed, 0, "{interval:?}");
        assert!(p.count(Duration::from_secs(1), Duration::from_secs(59), is_conceal) <= 3, "{interval:?}: {s:?}");
        if shorten {
            assert!(s.accelerated >= 10, "{s:?}");
        } else {
            assert!(s.decelerated >= 10, "{s:?}");
        }
        let waits = p.waits(Duration::from_secs(50));
        assert!(waits.iter().all(|w| *w <= 50 * MS), "{interval:?}: {waits:?}");
    }
}

#[test]
fn malformed_duplicate_late_and_padding_packets_are_refused_and_counted() {
    let mut jb = JitterBuffer::new();
    let t = Duration::from_secs(1);
    assert_eq!(jb.insert(1, 0, Bytes::new(), t), Inserted::Padding);
    assert_eq!(jb.insert(1, 0, Bytes::from_static(&[(31 << 3) | 3]), t), Inserted::Malformed);
    assert_eq!(jb.insert(2, 960, speech(1), t), Inserted::Queued);
    assert_eq!(jb.insert(2, 960, speech(1), t), Inserted::Duplicate);
    assert!(matches!(jb.next(t), Decision::Silence { .. }), "not before it waited its slack");
    assert!(matches!(jb.next(t + 100 * MS), Decision::Decode { .. }));
    assert_eq!(jb.insert(1, 0, speech(0), t), Inserted::Late);
    let s = jb.stats();
    assert_eq!((s.malformed, s.duplicates, s.late, s.decoded), (1, 1, 1, 1));
    // With nothing queued the buffer conceals, then goes quiet; it never panics on a clock
    // that goes backwards.
    for _ in 0..20 {
        let _ = jb.next(Duration::ZERO);
    }
    assert!(matches!(jb.next(Duration::ZERO), Decision::Silence { .. }));
    assert!(!jb.playing());
}

#[test]
fn a_flood_of_packets_is_bounded() {
    let mut jb = JitterBuffer::new();
    for i in 0..5_000u32 {
        jb.insert(i as u16, i * 960, speech(i), Duration::from_secs(1));
    }
    assert!(jb.queued() <= Duration::from_secs(10));
    assert!(jb.stats().flushed >= 4_000);
}
