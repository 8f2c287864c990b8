//! Replay protection for sealed signals. The seal hides a signal and binds it to its sender and
//! recipient, but a server could hand the same sealed offer over again later (a stale offer
//! restarts a negotiation). So each sealed signal starts with the sender's *run* (a random
//! 32-bit id drawn when its meeting starts) and a counter, and a receiver takes each (sender,
//! run, counter) once, in increasing order per run: `run (4, BE) ‖ counter (8, BE) ‖ signal`.

use std::collections::HashMap;

use crate::room::ids::MemberId;

/// Bytes of the header before the signal.
pub const HEADER_LEN: usize = 12;

/// Our numbering.
pub(super) struct Numbering {
    run: u32,
    next: u64,
}

impl Numbering {
    pub fn new(run: u32) -> Self {
        Self { run, next: 1 }
    }

    /// The header of the next signal we send.
    pub fn next_header(&mut self) -> [u8; HEADER_LEN] {
        let mut h = [0u8; HEADER_LEN];
        h[..4].copy_from_slice(&self.run.to_be_bytes());
        h[4..].copy_from_slice(&self.next.to_be_bytes());
        self.next += 1;
        h
    }
}

/// What each sender's runs have reached.
#[derive(Default)]
pub(super) struct Seen {
    last: HashMap<(MemberId, u32), u64>,
}

impl Seen {
    /// Takes `plain` from `from` if its header is new; returns the signal after the header.
    pub fn accept<'a>(&mut self, from: MemberId, plain: &'a [u8]) -> Option<&'a [u8]> {
        let (header, signal) = plain.split_at_checked(HEADER_LEN)?;
        let run = u32::from_be_bytes(header[..4].try_into().ok()?);
        let counter = u64::from_be_bytes(header[4..].try_into().ok()?);
        let last = self.last.entry((from, run)).or_insert(0);
        if counter <= *last {
            return None;
        }
        *last = counter;
        Some(signal)
    }

    /// A member left: forget its runs.
    pub fn forget(&mut self, member: &MemberId) {
        self.last.retain(|(m, _), _| m != member);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_signal_is_taken_once_and_in_order_per_run() {
        let (a, b) = (MemberId::from_bytes([1; 8]), MemberId::from_bytes([2; 8]));
        let mut mine = Numbering::new(7);
        let mut seen = Seen::default();
        let msg = |h: [u8; HEADER_LEN]| [h.as_slice(), b"sdp"].concat();
        let first = msg(mine.next_header());
        let second = msg(mine.next_header());
        assert_eq!(seen.accept(a, &first), Some(&b"sdp"[..]));
        assert_eq!(seen.accept(a, &first), None, "a replay is refused");
        assert_eq!(seen.accept(b, &first), Some(&b"sdp"[..]), "per sender");
        assert_eq!(seen.accept(a, &second), Some(&b"sdp"[..]));
        assert_eq!(seen.accept(a, &first), None, "an older one too");
        let restarted = msg(Numbering::new(8).next_header());
        assert_eq!(seen.accept(a, &restarted), Some(&b"sdp"[..]), "a new run (the sender restarted) starts over");
        assert_eq!(seen.accept(a, &second), None, "and the old run stays where it was");
        assert_eq!(seen.accept(a, b"short"), None);
        seen.forget(&a);
        assert_eq!(seen.accept(a, &first), Some(&b"sdp"[..]), "forgotten when the member left");
    }
}
