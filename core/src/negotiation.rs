//! Perfect negotiation (W3C WebRTC, §10.7 "Perfect negotiation example"), sans-I/O: which
//! offer/answer steps a peer connection takes, decided from what happened, in phases instead of
//! flags. The runtime (`trygg::net::peer`) feeds the inputs, carries out the [`Step`]s in order
//! on its `RTCPeerConnection`, and reports a step that failed.
//!
//! * Both sides may offer at any time (a track added, an ICE restart). When two offers cross
//!   ("glare"), the **polite** side rolls its own back and answers; the **impolite** side ignores
//!   the incoming offer (and the errors its candidates then cause) and waits for its answer.
//!   Which side is polite comes from the room (`MemberId::is_polite_towards`).
//! * The side that did not start the connection waits for the first offer before offering
//!   anything itself: peers that do not do perfect negotiation (browsers in plain pages, SFUs,
//!   SIP bridges) fail on an unsolicited counter-offer. A negotiation asked for meanwhile is made
//!   right after that first exchange.
//! * Only one offer is in flight: negotiation asked for while one is out waits for its answer
//!   (the connection asks again if it is still needed), and so does an ICE restart, which is
//!   offered as soon as the exchange in flight ends and kept wanted until an offer carrying it is
//!   answered. (Offering again over an unanswered offer would let the first answer be applied to
//!   the second offer, with the other side's old ICE credentials, and the second answer then be
//!   refused.)

/// Where this side's offer/answer exchange stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Waiting for the other side's first offer; `deferred` once a negotiation was asked for.
    AwaitingFirstOffer {
        /// A negotiation to make right after the first exchange.
        deferred: bool,
    },
    /// No exchange of ours in flight.
    Stable,
    /// Our offer is out, waiting for the answer.
    Offering {
        /// The offer restarts ICE.
        ice_restart: bool,
    },
}

/// One thing to do on the peer connection, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Mark ICE for restart (the next offer carries new credentials).
    RestartIce,
    /// Create an offer, set it as the local description, send it.
    Offer,
    /// Roll the local offer back (we are polite and an offer crossed ours).
    Rollback,
    /// Set the remote description just received.
    SetRemote,
    /// Create an answer, set it as the local description, send it.
    Answer,
    /// Add the remote ICE candidate just received; when `ignore_errors`, its failure is
    /// expected (it belongs to an offer we ignored) and not worth a warning.
    AddCandidate {
        /// Its failure is expected.
        ignore_errors: bool,
    },
}

/// One side's perfect negotiation.
#[derive(Debug, Clone)]
pub struct Negotiation {
    polite: bool,
    phase: Phase,
    /// The last remote offer was ignored (impolite side in glare): its candidates may fail.
    ignoring_offer: bool,
    /// An ICE restart is wanted and not yet answered.
    restart_wanted: bool,
}

impl Negotiation {
    /// A side of a new connection: `polite` decides glare; `initiator` is the side that starts
    /// the connection (the other waits for its first offer).
    pub fn new(polite: bool, initiator: bool) -> Self {
        let phase = if initiator { Phase::Stable } else { Phase::AwaitingFirstOffer { deferred: false } };
        Self { polite, phase, ignoring_offer: false, restart_wanted: false }
    }

    /// Where the exchange stands.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// Whether an ICE restart is wanted and not yet answered.
    pub fn restart_wanted(&self) -> bool {
        self.restart_wanted
    }

    /// The connection needs (re)negotiation: a track added or changed.
    pub fn negotiation_needed(&mut self) -> Vec<Step> {
        match self.phase {
            Phase::AwaitingFirstOffer { .. } => {
                self.phase = Phase::AwaitingFirstOffer { deferred: true };
                vec![]
            }
            // It is asked again when the exchange in flight ends, if still needed.
            Phase::Offering { .. } => vec![],
            Phase::Stable => self.offer(),
        }
    }

    /// ICE failed on the impolite side, or the runtime wants new paths: restart ICE, now or as
    /// soon as the exchange in flight ends.
    pub fn restart_ice(&mut self) -> Vec<Step> {
        self.restart_wanted = true;
        match self.phase {
            Phase::Stable => self.offer(),
            Phase::AwaitingFirstOffer { .. } => {
                self.phase = Phase::AwaitingFirstOffer { deferred: true };
                vec![]
            }
            Phase::Offering { .. } => vec![],
        }
    }

    /// The connection did not come, or was lost and did not come back (`meeting::link_recovery`
    /// decided): try again with fresh ICE credentials. Unlike [`Self::restart_ice`] this does
    /// not wait for an offer still out: its answer may never come (the signalling was down when
    /// it was sent), and waiting for it would leave the connection stuck for good. The offer is
    /// rolled back and a new one, restarting ICE, is made. The side that waits for the first
    /// offer still waits: the other side's own retry makes it.
    pub fn retry(&mut self) -> Vec<Step> {
        match self.phase {
            Phase::Offering { .. } => {
                self.restart_wanted = true;
                self.phase = Phase::Stable;
                let mut steps = vec![Step::Rollback];
                steps.extend(self.offer());
                steps
            }
            _ => self.restart_ice(),
        }
    }

    fn offer(&mut self) -> Vec<Step> {
        self.phase = Phase::Offering { ice_restart: self.restart_wanted };
        if self.restart_wanted { vec![Step::RestartIce, Step::Offer] } else { vec![Step::Offer] }
    }

    /// A remote description arrived (`is_offer`: an offer, else an answer).
    pub fn remote_description(&mut self, is_offer: bool) -> Vec<Step> {
        let offering = matches!(self.phase, Phase::Offering { .. });
        let collision = is_offer && offering;
        self.ignoring_offer = !self.polite && collision;
        if self.ignoring_offer {
            return vec![];
        }
        let mut steps = vec![];
        if collision {
            steps.push(Step::Rollback);
        }
        steps.push(Step::SetRemote);
        if is_offer {
            steps.push(Step::Answer);
        } else if self.phase == (Phase::Offering { ice_restart: true }) {
            self.restart_wanted = false;
        }
        let deferred = matches!(self.phase, Phase::AwaitingFirstOffer { deferred: true });
        self.phase = Phase::Stable;
        if deferred || self.restart_wanted {
            steps.extend(self.offer());
        }
        steps
    }

    /// A remote ICE candidate arrived.
    pub fn remote_candidate(&mut self) -> Vec<Step> {
        vec![Step::AddCandidate { ignore_errors: self.ignoring_offer }]
    }

    /// A step failed on the connection: an offer that was not sent is not in flight.
    pub fn failed(&mut self, step: Step) {
        if matches!(step, Step::RestartIce | Step::Offer) && matches!(self.phase, Phase::Offering { .. }) {
            self.phase = Phase::Stable;
        }
    }
}

#[cfg(test)]
mod tests;
