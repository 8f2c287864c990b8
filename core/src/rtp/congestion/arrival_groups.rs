//! Packets grouped into the bursts they were sent in, and the delay between one group and the
//! next: how much longer (or shorter) the second took to arrive than it took to be sent. A
//! growing queue on the path shows as groups arriving further apart than they left.
//!
//! As libwebrtc's `InterArrivalDelta`: a group is the packets sent within 5 ms of its first; a
//! packet that arrives within 5 ms of the group's last and *sooner* than its send spacing says
//! (it sat behind the group in a queue that has just drained) joins that group as well, so a
//! burst released by a queue is not read as the path getting faster.

use std::time::Duration;

/// Packets sent within this of a group's first belong to it.
const SEND_BURST: Duration = Duration::from_millis(5);
/// A packet arriving within this of a group's last may still belong to it (see the module).
const ARRIVAL_BURST: Duration = Duration::from_millis(5);
/// A burst spans at most this much arrival time.
const MAX_BURST: Duration = Duration::from_millis(100);
/// Groups arriving further apart than this than they were sent (the receiver's clock jumped,
/// the path changed, the link was down): the history is dropped and begun again.
const MAX_ARRIVAL_JUMP: Duration = Duration::from_secs(3);

/// One packet whose fate the receiver reported: when it left here (this side's clock), when it
/// arrived (the receiver's clock; `None` if it did not), and its size on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacketResult {
    /// When the packet left this endpoint (after the pacer).
    pub departure: Duration,
    /// When it arrived, on the receiver's clock; `None` if it was lost.
    pub arrival: Option<Duration>,
    /// Bytes on the wire.
    pub size: usize,
}

/// The delay between two consecutive groups.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GroupDelta {
    /// Time between the two groups' last packets leaving, ms.
    pub send_ms: f64,
    /// Time between the two groups' last packets arriving, ms.
    pub arrival_ms: f64,
    /// When the later group's last packet arrived (receiver's clock), ms.
    pub at_ms: f64,
}

#[derive(Debug, Clone, Copy)]
struct Group {
    first_send: Duration,
    last_send: Duration,
    first_arrival: Duration,
    last_arrival: Duration,
}

/// Groups packets as they are reported, in send order.
#[derive(Debug, Clone, Default)]
pub struct ArrivalGroups {
    current: Option<Group>,
    previous: Option<Group>,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1_000.0
}

impl ArrivalGroups {
    /// Adds one packet that arrived; returns the delta between the two groups before it when
    /// it starts a new one.
    pub fn add(&mut self, departure: Duration, arrival: Duration) -> Option<GroupDelta> {
        let Some(current) = self.current.as_mut() else {
            self.current = Some(Group {
                first_send: departure,
                last_send: departure,
                first_arrival: arrival,
                last_arrival: arrival,
            });
            return None;
        };
        if departure < current.first_send {
            // Sent before the group being built (reordered feedback): says nothing new.
            return None;
        }
        if departure - current.first_send <= SEND_BURST || Self::belongs_to_burst(current, departure, arrival) {
            current.last_send = current.last_send.max(departure);
            current.last_arrival = current.last_arrival.max(arrival);
            return None;
        }
        let closed = *current;
        self.current =
            Some(Group { first_send: departure, last_send: departure, first_arrival: arrival, last_arrival: arrival });
        let previous = self.previous.replace(closed)?;
        let send_ms = ms(closed.last_send) - ms(previous.last_send);
        let arrival_ms = ms(closed.last_arrival) - ms(previous.last_arrival);
        if arrival_ms < 0.0 || (arrival_ms - send_ms).abs() > ms(MAX_ARRIVAL_JUMP) {
            // Arrived before its predecessor, or a jump no queue explains: start again.
            self.previous = None;
            return None;
        }
        Some(GroupDelta { send_ms, arrival_ms, at_ms: ms(closed.last_arrival) })
    }

    fn belongs_to_burst(group: &Group, departure: Duration, arrival: Duration) -> bool {
        let Some(arrival_delta) = arrival.checked_sub(group.last_arrival) else { return false };
        let send_delta = departure.saturating_sub(group.last_send);
        arrival_delta <= ARRIVAL_BURST
            && arrival_delta < send_delta
            && arrival.saturating_sub(group.first_arrival) < MAX_BURST
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: u64) -> Duration {
        Duration::from_millis(ms)
    }

    #[test]
    fn groups_of_a_steady_path_are_as_far_apart_as_they_were_sent() {
        let mut g = ArrivalGroups::default();
        let mut deltas = vec![];
        for frame in 0..5u64 {
            // Three packets a frame, 1 ms apart, a frame every 33 ms, 20 ms on the path.
            for p in 0..3 {
                let sent = frame * 33 + p;
                deltas.extend(g.add(at(sent), at(sent + 20)));
            }
        }
        assert_eq!(deltas.len(), 3, "{deltas:?}");
        for d in deltas {
            assert_eq!((d.send_ms, d.arrival_ms), (33.0, 33.0));
        }
    }

    #[test]
    fn a_growing_queue_shows_as_arrivals_further_apart_than_departures() {
        let mut g = ArrivalGroups::default();
        let mut deltas = vec![];
        for frame in 0..5u64 {
            let sent = frame * 20;
            deltas.extend(g.add(at(sent), at(sent + 20 + frame * 4)));
        }
        assert!(deltas.iter().all(|d| d.arrival_ms - d.send_ms == 4.0), "{deltas:?}");
    }

    #[test]
    fn a_queue_draining_in_one_burst_is_one_group_and_a_backwards_arrival_starts_again() {
        let mut g = ArrivalGroups::default();
        assert_eq!(g.add(at(0), at(100)), None);
        // Sent 10 and 20 ms later, released by a queue right behind the first.
        assert_eq!(g.add(at(10), at(101)), None);
        assert_eq!(g.add(at(20), at(102)), None);
        assert_eq!(g.add(at(40), at(140)), None, "the second group begins");
        let d = g.add(at(80), at(180)).unwrap();
        assert_eq!((d.send_ms, d.arrival_ms), (20.0, 38.0));
        // A group arriving before the one before it (the receiver's clock went back): no
        // delta, and the history begins again from the next group.
        assert!(g.add(at(120), at(10)).is_some(), "closes the group sent at 80");
        assert_eq!(g.add(at(160), at(50)), None, "the group sent at 120 arrived before it");
        assert_eq!(g.add(at(200), at(90)), None, "a first group again");
        assert_eq!(g.add(at(240), at(130)).map(|d| d.arrival_ms), Some(40.0));
    }
}
