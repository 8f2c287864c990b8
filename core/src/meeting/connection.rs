//! The connection to the signalling server: when to dial, and how long to wait after a failure.

use std::time::Duration;

/// First wait after a failed or lost connection.
pub const FIRST_BACKOFF: Duration = Duration::from_millis(250);
/// Longest wait between attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Where the connection is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Connection {
    /// Dial at this time (None while dialling or connected).
    pub dial_at: Option<Duration>,
    /// A dial was asked for and its answer not yet given.
    pub dialling: bool,
    /// Connected now.
    pub up: bool,
    /// Wait before the next attempt after a failure.
    pub backoff: Duration,
    /// The user was told the server cannot be reached (once per outage).
    pub told_unreachable: bool,
}

impl Connection {
    /// A connection to dial at `now`.
    pub fn new(now: Duration) -> Self {
        Self { dial_at: Some(now), dialling: false, up: false, backoff: FIRST_BACKOFF, told_unreachable: false }
    }

    /// True when it is time to dial; marks the dial as under way.
    pub fn due(&mut self, now: Duration) -> bool {
        if self.dial_at.is_some_and(|t| t <= now) {
            self.dial_at = None;
            self.dialling = true;
            return true;
        }
        false
    }

    /// The dial succeeded.
    pub fn connected(&mut self) {
        self.dialling = false;
        self.up = true;
        self.backoff = FIRST_BACKOFF;
        self.told_unreachable = false;
    }

    /// The dial failed: returns true the first time in an outage (tell the user).
    pub fn failed(&mut self, now: Duration) -> bool {
        self.dialling = false;
        self.dial_at = Some(now + self.backoff);
        self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
        !std::mem::replace(&mut self.told_unreachable, true)
    }

    /// The connection is gone: returns whether it was up; a new dial follows after the back-off.
    pub fn lost(&mut self, now: Duration) -> bool {
        let was_up = std::mem::replace(&mut self.up, false);
        if self.dial_at.is_none() && !self.dialling {
            self.dial_at = Some(now + self.backoff);
        }
        was_up
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Duration = Duration::from_secs(100);

    #[test]
    fn backoff_doubles_to_its_cap_and_resets_on_success() {
        let mut c = Connection::new(T0);
        assert!(!c.due(T0 - Duration::from_millis(1)));
        assert!(c.due(T0));
        assert!(!c.due(T0), "one dial at a time");
        assert!(c.failed(T0), "the first failure is told");
        assert_eq!(c.dial_at, Some(T0 + FIRST_BACKOFF));
        let mut now = T0;
        let mut waits = vec![];
        for _ in 0..6 {
            now = c.dial_at.expect("a dial is planned");
            assert!(c.due(now));
            let before = now;
            assert!(!c.failed(now), "later failures of the same outage are not told again");
            waits.push(c.dial_at.expect("planned") - before);
        }
        assert_eq!(waits[0], FIRST_BACKOFF * 2);
        assert_eq!(*waits.last().expect("six"), MAX_BACKOFF);
        assert!(c.due(c.dial_at.expect("planned")));
        c.connected();
        assert!(c.lost(now));
        assert_eq!(c.dial_at, Some(now + FIRST_BACKOFF), "a success resets the back-off");
        assert!(!c.lost(now), "a second loss report changes nothing");
        assert_eq!(c.dial_at, Some(now + FIRST_BACKOFF));
    }
}
