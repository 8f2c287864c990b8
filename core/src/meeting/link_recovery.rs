//! When a route that does not connect, or lost its connection, is tried again: an ICE restart
//! (fresh credentials, a new offer), decided on the caller's clock.
//!
//! ICE recovers by itself from a short loss (consent checks go on while a link is
//! disconnected), so a lost link is given [`LOST_GRACE`] first; a link that gave up (failed) is
//! restarted at once; a first connection that has not come within [`FIRST_CONNECT`] (its
//! handshake lost on a lossy path) is restarted as well. Restarts back off (5, 10, 20, then every
//! 30 s) until the link connects, so a member who is gone for good costs a few small offers, not
//! a storm of them.
//!
//! Tries alternate between the two ways back ([`rebuilds`]): an ICE restart first (cheap, and the
//! DTLS session and everything set up on it are kept), then a new connection altogether. A
//! restart alone cannot mend a connection whose DTLS handshake gave up (on a lossy path the
//! `webrtc` stack stops retransmitting after eight flights a second apart, and its connection
//! is dead for good); a new connection has a new handshake. Each new connection raises the
//! route's generation; the other side sees it on the first signal and builds its own anew.
//!
//! Both ends of a link see it fail at about the same moment; two retries crossing each other
//! tangle the negotiation (an answer arrives for an offer just abandoned). So the side that is
//! impolite in perfect negotiation leads, and the polite side's retries come [`FOLLOW_LATER`]
//! after its own would: normally the leader's offer has restored the link by then.

use std::time::Duration;

use super::route::LinkState;

/// How long a disconnected link may recover by itself.
pub const LOST_GRACE: Duration = Duration::from_secs(3);
/// How long a first connection may take before it is tried again.
pub const FIRST_CONNECT: Duration = Duration::from_secs(10);
/// The wait after the first restart; it doubles after each, up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_secs(5);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// How much later the polite side's first retry comes.
pub const FOLLOW_LATER: Duration = Duration::from_secs(4);

/// One route's recovery.
#[derive(Debug, Clone, Copy)]
pub struct LinkRecovery {
    state: Option<LinkState>,
    /// When the route last stopped being connected (or began connecting).
    since: Duration,
    /// When a restart is due, if one is.
    due: Option<Duration>,
    backoff: Duration,
    restarts: u32,
    /// Added to every first wait: [`FOLLOW_LATER`] on the polite side, nothing on the leader's.
    later: Duration,
}

/// Whether try `attempt` (from 1) builds a new connection rather than restarting ICE: every
/// second one.
pub fn rebuilds(attempt: u32) -> bool {
    attempt.is_multiple_of(2)
}

impl LinkRecovery {
    /// A route opened at `now`; `polite` is our part in its perfect negotiation.
    pub fn new(now: Duration, polite: bool) -> Self {
        let later = if polite { FOLLOW_LATER } else { Duration::ZERO };
        Self {
            state: None,
            since: now,
            due: Some(now + FIRST_CONNECT + later),
            backoff: FIRST_BACKOFF,
            restarts: 0,
            later,
        }
    }

    /// Restarts so far since the link was last connected.
    pub fn restarts(&self) -> u32 {
        self.restarts
    }

    /// The link's state changed at `now`.
    pub fn state(&mut self, state: LinkState, now: Duration) {
        let was_connected = self.state == Some(LinkState::Connected);
        self.state = Some(state);
        match state {
            LinkState::Connected => {
                self.due = None;
                self.backoff = FIRST_BACKOFF;
                self.restarts = 0;
            }
            // After a restart its backoff holds: the old session's failing is no news.
            _ if self.restarts > 0 && state != LinkState::Closed => {}
            LinkState::Disconnected => {
                if was_connected {
                    self.since = now;
                }
                let at = self.since + LOST_GRACE + self.later;
                self.due = Some(self.due.map_or(at, |d| d.min(at).max(now)));
            }
            LinkState::Failed => self.due = Some(now),
            LinkState::Connecting => {
                if was_connected {
                    self.since = now;
                }
                self.due.get_or_insert(now + FIRST_CONNECT + self.later);
            }
            LinkState::Closed => self.due = None,
        }
    }

    /// The other side built a new connection at `now`: it gets as long to connect as a first
    /// one before it is tried again (the count of tries goes on).
    pub fn rebuilt(&mut self, now: Duration) {
        self.state = Some(LinkState::Connecting);
        self.since = now;
        self.due = Some(self.due.unwrap_or(now).max(now + FIRST_CONNECT + self.later));
    }

    /// The signalling server is reachable again at `now` (the network is back): a link being
    /// retried is tried again at once (the leader) or [`FOLLOW_LATER`] on (the polite side).
    pub fn network_back(&mut self, now: Duration) {
        if self.restarts > 0 && self.state != Some(LinkState::Connected) {
            self.due = Some(now + self.later);
        }
    }

    /// When [`Self::handle_timeout`] is due.
    pub fn poll_timeout(&self) -> Option<Duration> {
        self.due
    }

    /// True when the route should be restarted now (the next one is then scheduled).
    pub fn handle_timeout(&mut self, now: Duration) -> bool {
        match self.due {
            Some(due) if now >= due => {
                self.restarts += 1;
                self.due = Some(now + self.backoff);
                self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    /// Runs the recovery from `from` to `to` a second at a time; the seconds it restarted at.
    fn restarts(r: &mut LinkRecovery, from: u64, to: u64) -> Vec<u64> {
        (from..to).filter(|&t| r.handle_timeout(s(t))).collect()
    }

    #[test]
    fn a_link_that_connects_is_never_restarted() {
        let mut r = LinkRecovery::new(s(0), false);
        r.state(LinkState::Connecting, s(0));
        r.state(LinkState::Connected, s(1));
        assert_eq!(restarts(&mut r, 0, 100), Vec::<u64>::new());
        assert_eq!(r.poll_timeout(), None);
    }

    #[test]
    fn a_first_connection_that_does_not_come_is_restarted_backing_off() {
        let mut r = LinkRecovery::new(s(0), false);
        r.state(LinkState::Connecting, s(0));
        assert_eq!(restarts(&mut r, 0, 100), vec![10, 15, 25, 45, 75]);
        r.state(LinkState::Connected, s(80));
        assert_eq!(restarts(&mut r, 80, 200), Vec::<u64>::new());
    }

    #[test]
    fn a_lost_link_gets_three_seconds_to_recover_and_a_failed_one_is_restarted_at_once() {
        let mut r = LinkRecovery::new(s(0), false);
        r.state(LinkState::Connected, s(1));
        r.state(LinkState::Disconnected, s(20));
        r.state(LinkState::Connected, s(22));
        assert_eq!(restarts(&mut r, 20, 40), Vec::<u64>::new(), "recovered by itself");
        r.state(LinkState::Disconnected, s(40));
        assert_eq!(restarts(&mut r, 40, 44), vec![43]);
        r.state(LinkState::Failed, s(44));
        assert_eq!(
            restarts(&mut r, 44, 60),
            vec![48, 58],
            "the backoff holds: a failure right after a restart waits for it"
        );
        // Connected again: the next loss starts from the beginning.
        r.state(LinkState::Connected, s(60));
        r.state(LinkState::Failed, s(70));
        assert_eq!(restarts(&mut r, 70, 72), vec![70]);
        assert_eq!(r.restarts(), 1);
    }

    #[test]
    fn the_polite_side_follows_four_seconds_later() {
        let mut r = LinkRecovery::new(s(0), true);
        r.state(LinkState::Connecting, s(0));
        assert_eq!(restarts(&mut r, 0, 30), vec![14, 19, 29]);
        r.state(LinkState::Connected, s(30));
        r.state(LinkState::Disconnected, s(40));
        assert_eq!(restarts(&mut r, 40, 50), vec![47]);
    }

    #[test]
    fn a_link_being_retried_is_tried_at_once_when_the_network_is_back() {
        let mut r = LinkRecovery::new(s(0), false);
        r.state(LinkState::Connected, s(1));
        r.state(LinkState::Disconnected, s(10));
        assert_eq!(restarts(&mut r, 10, 15), vec![13]);
        r.network_back(s(15));
        assert_eq!(restarts(&mut r, 15, 16), vec![15], "not at 18");
        // A link that is fine is not touched by it.
        let mut fine = LinkRecovery::new(s(0), false);
        fine.state(LinkState::Connected, s(1));
        fine.network_back(s(5));
        assert_eq!(fine.poll_timeout(), None);
    }

    #[test]
    fn a_closed_link_is_left_alone() {
        let mut r = LinkRecovery::new(s(0), false);
        r.state(LinkState::Closed, s(1));
        assert_eq!(restarts(&mut r, 0, 100), Vec::<u64>::new());
    }
}
