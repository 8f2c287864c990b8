//! The glare matrix: two sides, each a [`Negotiation`] driving a model of a peer connection's
//! signalling state (as RTCPeerConnection enforces it), through every combination of who is
//! polite, who started the connection, what each side wants at once (a renegotiation, an ICE
//! restart, both) and in which order the crossing messages arrive. Every run must settle: both
//! connections stable, every change and restart negotiated, no step refused except the
//! candidates of an offer the impolite side chose to ignore.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signalling {
    Stable,
    HaveLocalOffer,
    HaveRemoteOffer,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Msg {
    Offer { generation: u32, ice_restart: bool },
    Answer { generation: u32 },
    Candidate { generation: u32 },
}

/// One side: its negotiation and a model of its peer connection.
struct Side {
    name: &'static str,
    negotiation: Negotiation,
    signalling: Signalling,
    /// Local changes (a track) not yet in an applied exchange; they make the connection ask
    /// for negotiation whenever it is stable.
    pending_change: bool,
    /// ICE restart marked and not yet offered and answered.
    restart_marked: bool,
    restarts_done: u32,
    /// What our offer in flight carries.
    in_flight: Option<(bool, bool)>,
    generation: u32,
    /// The generation of the remote description we hold.
    remote_generation: Option<u32>,
    incoming: Option<Msg>,
    refused: Vec<String>,
    expected_failures: u32,
}

impl Side {
    fn new(name: &'static str, polite: bool, initiator: bool) -> Self {
        Self {
            name,
            negotiation: Negotiation::new(polite, initiator),
            signalling: Signalling::Stable,
            pending_change: false,
            restart_marked: false,
            restarts_done: 0,
            in_flight: None,
            generation: 0,
            remote_generation: None,
            incoming: None,
            refused: vec![],
            expected_failures: 0,
        }
    }

    fn run(&mut self, steps: Vec<Step>, out: &mut Vec<Msg>) {
        for step in steps {
            if let Err(why) = self.step(step, out) {
                if let Step::AddCandidate { ignore_errors: true } = step {
                    self.expected_failures += 1;
                } else {
                    self.refused.push(format!("{}: {step:?}: {why}", self.name));
                }
                self.negotiation.failed(step);
                break;
            }
        }
    }

    fn step(&mut self, step: Step, out: &mut Vec<Msg>) -> Result<(), &'static str> {
        match step {
            Step::RestartIce => self.restart_marked = true,
            Step::Offer => {
                if self.signalling == Signalling::HaveRemoteOffer {
                    return Err("an offer while a remote offer is unanswered");
                }
                self.generation += 1;
                self.signalling = Signalling::HaveLocalOffer;
                self.in_flight = Some((self.pending_change, self.restart_marked));
                self.pending_change = false;
                out.push(Msg::Offer { generation: self.generation, ice_restart: self.restart_marked });
                out.push(Msg::Candidate { generation: self.generation });
            }
            Step::Rollback => {
                if self.signalling != Signalling::HaveLocalOffer {
                    return Err("rollback without a local offer");
                }
                self.signalling = Signalling::Stable;
                // What the rolled-back offer carried is still to be negotiated.
                if let Some((change, _)) = self.in_flight.take() {
                    self.pending_change |= change;
                }
            }
            Step::SetRemote => match self.incoming.take() {
                Some(Msg::Offer { generation, .. }) => {
                    if self.signalling == Signalling::HaveLocalOffer {
                        return Err("a remote offer over our own (glare)");
                    }
                    self.signalling = Signalling::HaveRemoteOffer;
                    self.remote_generation = Some(generation);
                }
                Some(Msg::Answer { generation }) => {
                    if self.signalling != Signalling::HaveLocalOffer {
                        return Err("an answer without an offer");
                    }
                    self.signalling = Signalling::Stable;
                    self.remote_generation = Some(generation);
                    if let Some((_, restart)) = self.in_flight.take()
                        && restart
                    {
                        self.restart_marked = false;
                        self.restarts_done += 1;
                    }
                }
                _ => return Err("no description to set"),
            },
            Step::Answer => {
                if self.signalling != Signalling::HaveRemoteOffer {
                    return Err("an answer without a remote offer");
                }
                self.generation += 1;
                self.signalling = Signalling::Stable;
                out.push(Msg::Answer { generation: self.generation });
                out.push(Msg::Candidate { generation: self.generation });
            }
            Step::AddCandidate { .. } => match self.incoming.take() {
                Some(Msg::Candidate { generation }) if self.remote_generation == Some(generation) => {}
                _ => return Err("a candidate of a description we do not hold"),
            },
        }
        Ok(())
    }

    fn receive(&mut self, msg: Msg, out: &mut Vec<Msg>) {
        let steps = match &msg {
            Msg::Offer { .. } => self.negotiation.remote_description(true),
            Msg::Answer { .. } => self.negotiation.remote_description(false),
            Msg::Candidate { .. } => self.negotiation.remote_candidate(),
        };
        self.incoming = Some(msg);
        self.run(steps, out);
        self.incoming = None;
        self.maybe_negotiate(out);
    }

    /// The connection fires negotiation-needed whenever it is stable with changes pending.
    fn maybe_negotiate(&mut self, out: &mut Vec<Msg>) {
        if self.signalling == Signalling::Stable && self.pending_change {
            let steps = self.negotiation.negotiation_needed();
            self.run(steps, out);
        }
    }

    fn settled(&self) -> bool {
        self.signalling == Signalling::Stable
            && !self.pending_change
            && !self.restart_marked
            && self.negotiation.phase() == Phase::Stable
            && self.refused.is_empty()
    }
}

#[derive(Debug, Clone, Copy)]
enum Wants {
    Nothing,
    Change,
    IceRestart,
    Both,
}

#[derive(Debug, Clone, Copy)]
enum Order {
    /// One message each way in turn.
    Crossing,
    /// Everything from A first.
    AFirst,
    /// Everything from B first.
    BFirst,
}

fn start(side: &mut Side, wants: Wants, out: &mut Vec<Msg>) {
    if matches!(wants, Wants::Change | Wants::Both) {
        side.pending_change = true;
        side.maybe_negotiate(out);
    }
    if matches!(wants, Wants::IceRestart | Wants::Both) {
        let steps = side.negotiation.restart_ice();
        side.run(steps, out);
    }
}

/// Runs one case to the end; returns the two sides.
fn run(a_polite: bool, a_initiator: bool, a_wants: Wants, b_wants: Wants, order: Order) -> (Side, Side) {
    let mut a = Side::new("A", a_polite, a_initiator);
    let mut b = Side::new("B", !a_polite, !a_initiator);
    // The connection's first exchange: the initiator offers, the other answers.
    let (mut to_b, mut to_a) = (vec![], vec![]);
    if a_initiator {
        a.pending_change = true;
        a.maybe_negotiate(&mut to_b);
    } else {
        b.pending_change = true;
        b.maybe_negotiate(&mut to_a);
    }
    // Both sides want something at once, before any message arrives.
    start(&mut a, a_wants, &mut to_b);
    start(&mut b, b_wants, &mut to_a);
    for _ in 0..200 {
        if to_a.is_empty() && to_b.is_empty() {
            break;
        }
        let a_turn = match order {
            Order::Crossing => to_b.len() >= to_a.len(),
            Order::AFirst => !to_b.is_empty(),
            Order::BFirst => to_a.is_empty(),
        };
        if a_turn && !to_b.is_empty() {
            let msg = to_b.remove(0);
            b.receive(msg, &mut to_a);
        } else if !to_a.is_empty() {
            let msg = to_a.remove(0);
            a.receive(msg, &mut to_b);
        }
    }
    assert!(to_a.is_empty() && to_b.is_empty(), "the exchange never ends");
    (a, b)
}

#[test]
fn the_glare_matrix_always_settles_with_everything_negotiated() {
    let wants = [Wants::Nothing, Wants::Change, Wants::IceRestart, Wants::Both];
    let mut cases = 0;
    let mut glares = 0;
    for a_polite in [true, false] {
        for a_initiator in [true, false] {
            for a_wants in wants {
                for b_wants in wants {
                    for order in [Order::Crossing, Order::AFirst, Order::BFirst] {
                        let (a, b) = run(a_polite, a_initiator, a_wants, b_wants, order);
                        let case = format!(
                            "A polite {a_polite}, A starts {a_initiator}, {a_wants:?} × {b_wants:?}, {order:?}"
                        );
                        assert!(
                            a.settled() && b.settled(),
                            "{case}: A {:?} {:?} {:?}, B {:?} {:?} {:?}",
                            a.signalling,
                            a.negotiation.phase(),
                            a.refused,
                            b.signalling,
                            b.negotiation.phase(),
                            b.refused
                        );
                        // Every ICE restart asked for was offered and answered.
                        let asked = |w: Wants| u32::from(matches!(w, Wants::IceRestart | Wants::Both));
                        assert!(a.restarts_done >= asked(a_wants) && b.restarts_done >= asked(b_wants), "{case}");
                        // Only the candidates of an ignored offer fail, and only on the impolite side.
                        let impolite = if a_polite { &b } else { &a };
                        let polite = if a_polite { &a } else { &b };
                        assert_eq!(polite.expected_failures, 0, "{case}");
                        glares += u32::from(impolite.expected_failures > 0);
                        cases += 1;
                    }
                }
            }
        }
    }
    assert_eq!(cases, 2 * 2 * 4 * 4 * 3);
    assert!(glares > 0, "some cases crossed offers");
}

#[test]
fn the_side_that_did_not_start_waits_for_the_first_offer_then_makes_its_own() {
    let mut n = Negotiation::new(true, false);
    assert_eq!(n.negotiation_needed(), vec![]);
    assert_eq!(n.phase(), Phase::AwaitingFirstOffer { deferred: true });
    assert_eq!(n.remote_description(true), vec![Step::SetRemote, Step::Answer, Step::Offer]);
    assert_eq!(n.phase(), Phase::Offering { ice_restart: false });
    assert_eq!(n.remote_description(false), vec![Step::SetRemote]);
    assert_eq!(n.phase(), Phase::Stable);
}

#[test]
fn in_glare_the_polite_side_rolls_back_and_the_impolite_side_ignores() {
    let (mut polite, mut impolite) = (Negotiation::new(true, true), Negotiation::new(false, true));
    assert_eq!(polite.negotiation_needed(), vec![Step::Offer]);
    assert_eq!(impolite.negotiation_needed(), vec![Step::Offer]);
    assert_eq!(polite.remote_description(true), vec![Step::Rollback, Step::SetRemote, Step::Answer]);
    assert_eq!(impolite.remote_description(true), vec![]);
    assert_eq!(impolite.remote_candidate(), vec![Step::AddCandidate { ignore_errors: true }]);
    assert_eq!(impolite.remote_description(false), vec![Step::SetRemote]);
    assert_eq!(impolite.remote_candidate(), vec![Step::AddCandidate { ignore_errors: false }]);
    // While an offer is out, a renegotiation waits, and so does an ICE restart: it follows the
    // answer, and stays wanted until an offer carrying it is answered.
    assert_eq!(polite.negotiation_needed(), vec![Step::Offer]);
    assert_eq!(polite.negotiation_needed(), vec![]);
    assert_eq!(polite.restart_ice(), vec![]);
    assert_eq!(polite.remote_description(false), vec![Step::SetRemote, Step::RestartIce, Step::Offer]);
    assert!(polite.restart_wanted());
    assert_eq!(polite.remote_description(false), vec![Step::SetRemote]);
    assert!(!polite.restart_wanted());
    // An offer that could not be made is not in flight.
    assert_eq!(polite.restart_ice(), vec![Step::RestartIce, Step::Offer]);
    polite.failed(Step::RestartIce);
    assert_eq!(polite.phase(), Phase::Stable);
    assert!(polite.restart_wanted(), "still wanted");
}

#[test]
fn a_retry_abandons_an_offer_whose_answer_never_came_and_offers_again_with_new_ice() {
    let mut n = Negotiation::new(false, true);
    assert_eq!(n.negotiation_needed(), vec![Step::Offer]);
    // The offer went out while the signalling was down; its answer never comes. A restart
    // would wait for it for ever…
    assert_eq!(n.restart_ice(), vec![]);
    // …a retry rolls it back and offers again, restarting ICE.
    assert_eq!(n.retry(), vec![Step::Rollback, Step::RestartIce, Step::Offer]);
    assert_eq!(n.phase(), Phase::Offering { ice_restart: true });
    assert_eq!(n.remote_description(false), vec![Step::SetRemote]);
    assert!(!n.restart_wanted());
    // With nothing in flight a retry is a restart; the side waiting for the first offer waits.
    assert_eq!(n.retry(), vec![Step::RestartIce, Step::Offer]);
    let mut waiting = Negotiation::new(true, false);
    assert_eq!(waiting.retry(), vec![]);
    assert_eq!(waiting.remote_description(true), vec![Step::SetRemote, Step::Answer, Step::RestartIce, Step::Offer]);
}
