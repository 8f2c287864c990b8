//! One participant's meeting, sans-I/O: every decision the runtime's driver used to make inline.
//!
//! [`MeetingCore`] owns the room client (lobby, roles, relays), the end-to-end encryption
//! session (the MLS group and its SFrame keys), the sealing of signals and the names. The
//! runtime feeds it what happened and carries out what it asks:
//!
//! ```text
//!   handle_connected / handle_connect_failed / handle_disconnected / handle_message   (server)
//!   handle_command                                                                     (shell)
//!   handle_link_state / handle_route_signal / handle_route_closed                      (routes)
//!   handle_timeout(now)                                                                (time)
//!        │
//!        ▼
//!   poll_action() → Connect, Transmit, EnsureRoute, DropRoute, RouteSignal, Emit(Notice), …
//!   poll_timeout() → when to call handle_timeout next
//! ```
//!
//! Time is a [`Duration`] on the runtime's clock (the same clock the media threads stamp frames
//! with, so key grace periods line up). Randomness (the nonces of sealed signals) comes from the
//! generator passed to [`MeetingCore::new`]; openmls draws its own through its crypto provider.
//!
//! The decisions, each in one place:
//! - **Who to connect to**: every present member when we are admitted or resumed (we offer), and
//!   every newcomer (they offer). Routes are dropped when a member leaves for good, not when it
//!   is away.
//! - **When the group changes**: only the group's host commits — an Add when the room admits a
//!   knocker (whoever admitted it), a Remove when a member leaves, a lock, a rekey when the
//!   counters run long — and it hands the host role to the room's successor before leaving.
//! - **Reconnecting**: dial at once, then back off from 250 ms to 5 s; tell the user once per
//!   outage.
//! - **What to show**: [`Notice`]s, in the order things happened.

mod action;
mod connection;
mod link_recovery;
pub mod route;
mod signal_order;

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::time::Duration;

use rand_core_06::CryptoRngCore;

pub use action::{Action, Command, Notice};
pub use connection::{FIRST_BACKOFF, MAX_BACKOFF};
pub use route::{LinkState, Origin, RouteKind};

use crate::Coded;
use crate::e2ee::E2eeError;
use crate::e2ee::identity::DeviceIdentity;
use crate::e2ee::invitations::InvitationPolicy;
use crate::e2ee::sealed_signal::SignalKey;
use crate::e2ee::session::{KnockSeen, Session, SessionEvent, WELCOME};
use crate::room::client::{Intent, RoomClient, RoomEvent};
use crate::room::error::{ErrorCode, Refusal};
use crate::room::ids::{Blob, MeetingInstance, MemberId, RoomId, RoomProof};
use crate::room::limits::ClientConfig;
use crate::room::proto::{KnockEnd, LeaveReason, Signal};
use crate::room::roles::Role;
use connection::Connection;

/// The most members this device connects to (each is a connection and a decoder of its own).
pub const MAX_ROUTES: usize = 48;

/// How often the host checks whether the SFrame counters call for a new epoch.
const REKEY_CHECK: Duration = Duration::from_secs(1);

/// Start the meeting, or knock on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// Create the meeting as its host (knocks instead if it is already running).
    Host,
    /// Knock and wait in the lobby.
    Join,
}

/// What the core needs to take part in one meeting.
pub struct Setup {
    /// The room.
    pub room: RoomId,
    /// The link's secret (the room proof and the sealing keys derive from it).
    pub secret: crate::secrets::Sensitive<Vec<u8>>,
    /// Host or join.
    pub entry: Entry,
    /// Our display name.
    pub name: String,
    /// This device's identity.
    pub identity: DeviceIdentity,
    /// The personal invitation the link carries, if any (its text, sealed into our knock).
    pub invitation: Option<String>,
    /// As host: the invitations revoked, and whether only the invited get in.
    pub invitations: InvitationPolicy,
    /// Admit every knock at once (bots, tests).
    pub auto_admit: bool,
    /// Timers of the room protocol.
    pub client: ClientConfig,
}

/// How many members' last route generations are kept.
const MAX_KEPT_GENERATIONS: usize = 1024;

/// What the core knows of one member's route.
#[derive(Debug, Clone, Copy)]
struct Route {
    state: Option<LinkState>,
    recovery: link_recovery::LinkRecovery,
    /// Which connection to the member this is: raised each time either side builds a new one
    /// (see [`link_recovery`]); every signal carries it, and one of an older connection is
    /// dropped.
    generation: u32,
}

/// A route's signal as it is sealed between two members: the signal and the generation of the
/// connection it belongs to (0, and left out, for the first).
#[derive(serde::Serialize, serde::Deserialize)]
struct RouteSignal {
    #[serde(default, skip_serializing_if = "is_first")]
    generation: u32,
    #[serde(flatten)]
    signal: Signal,
}

fn is_first(generation: &u32) -> bool {
    *generation == 0
}

/// One participant's meeting. See the [module docs](self).
pub struct MeetingCore {
    room: RoomClient,
    session: Session,
    signal_key: SignalKey,
    numbering: signal_order::Numbering,
    seen_signals: signal_order::Seen,
    rng: Box<dyn CryptoRngCore + Send>,
    auto_admit: bool,
    names: HashMap<MemberId, String>,
    routes: BTreeMap<MemberId, Route>,
    /// The generation of each member's last route, kept after it is gone.
    generations: BTreeMap<MemberId, u32>,
    /// Members the server says joined but whom no one who may admit approved (host only): they
    /// get keys if an approval arrives, never on the server's word.
    unapproved: BTreeSet<MemberId>,
    told_too_many: bool,
    sending: bool,
    connection: Connection,
    next_rekey_check: Duration,
    actions: VecDeque<Action>,
    done: bool,
}

impl MeetingCore {
    /// Prepares the meeting; the first action (at `now`) is to connect.
    pub fn new(setup: Setup, now: Duration, mut rng: Box<dyn CryptoRngCore + Send>) -> Result<Self, E2eeError> {
        let secret = setup.secret.expose();
        let mut session = Session::new(secret, setup.identity, &setup.name, setup.invitation, &mut rng)?;
        session.set_invitation_policy(setup.invitations);
        let signal_key = SignalKey::new(secret)?;
        let room_proof = RoomProof::derive(secret);
        let sealed_profile = session.profile();
        let intent = match setup.entry {
            Entry::Host => {
                // This run of the meeting: the id of the MLS group we will create.
                let mut instance = [0u8; 16];
                rng.fill_bytes(&mut instance);
                Intent::Host { room_proof, sealed_profile, instance: MeetingInstance::from_bytes(instance) }
            }
            Entry::Join => Intent::Join { room_proof, sealed_profile },
        };
        let numbering = signal_order::Numbering::new(rng.next_u32());
        Ok(Self {
            room: RoomClient::new(setup.room, intent, setup.client, now),
            session,
            signal_key,
            numbering,
            seen_signals: signal_order::Seen::default(),
            rng,
            auto_admit: setup.auto_admit,
            names: HashMap::new(),
            routes: BTreeMap::new(),
            generations: BTreeMap::new(),
            unapproved: BTreeSet::new(),
            told_too_many: false,
            sending: false,
            connection: Connection::new(now),
            next_rekey_check: now + REKEY_CHECK,
            actions: VecDeque::new(),
            done: false,
        })
    }

    // ---- what the runtime reads ----

    /// The next thing to do, in order.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// When to call [`Self::handle_timeout`] next.
    pub fn poll_timeout(&self) -> Option<Duration> {
        if self.done {
            return None;
        }
        let routes = self.routes.values().filter_map(|r| r.recovery.poll_timeout()).min();
        [self.room.poll_timeout(), self.connection.dial_at, Some(self.next_rekey_check), routes]
            .into_iter()
            .flatten()
            .min()
    }

    /// True once the meeting is over for us (after [`Action::Done`]).
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Our member id, once the server gave us one.
    pub fn me(&self) -> Option<MemberId> {
        self.room.me()
    }

    /// The members in the meeting now, but us.
    pub fn others(&self) -> Vec<MemberId> {
        let me = self.room.me();
        self.room.members().iter().filter(|m| m.present && Some(m.id) != me).map(|m| m.id).collect()
    }

    /// A participant's name, as their sealed profile gave it (empty when unknown).
    pub fn name_of(&self, member: &MemberId) -> String {
        self.names.get(member).cloned().unwrap_or_default()
    }

    /// A member as a sentence names them: their name, or their id.
    fn display(&self, member: &MemberId) -> String {
        match self.names.get(member) {
            Some(n) if !n.is_empty() => format!("\"{n}\" ({member})"),
            _ => member.to_string(),
        }
    }

    /// The end-to-end encryption session (its keys, for the media threads; its security code).
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The room client, to read state (members, roles, lobby).
    pub fn room(&self) -> &RoomClient {
        &self.room
    }

    // ---- inputs: the signalling server ----

    /// The connection asked for by [`Action::Connect`] is open.
    pub fn handle_connected(&mut self, now: Duration) {
        self.connection.connected();
        self.room.handle_connected(now);
        self.progress(now);
    }

    /// The connection could not be opened.
    pub fn handle_connect_failed(&mut self, now: Duration, error: &impl Coded) {
        if self.connection.failed(now) {
            self.emit(Notice::Error {
                code: error.code().into(),
                message: format!("cannot reach the meeting server ({error}); retrying"),
            });
        }
    }

    /// The connection closed.
    pub fn handle_disconnected(&mut self, now: Duration) {
        if self.connection.lost(now) {
            self.room.handle_disconnected(now);
        }
        self.progress(now);
    }

    /// A message from the signalling server. A message that breaks the protocol is refused and
    /// changes nothing.
    pub fn handle_message(&mut self, bytes: &[u8], now: Duration) -> Result<(), crate::room::ProtocolError> {
        let r = self.room.handle_message(bytes, now);
        self.progress(now);
        r
    }

    /// Time passed.
    pub fn handle_timeout(&mut self, now: Duration) {
        if self.done {
            return;
        }
        if self.connection.due(now) {
            self.actions.push_back(Action::Connect);
        }
        if now >= self.next_rekey_check {
            self.next_rekey_check = now + REKEY_CHECK;
            let others = self.others();
            let r = self.session.rekey_if_due(&others, now);
            self.after_session(r);
            let r = self.session.refresh_if_due(&others, now);
            self.after_session(r);
        }
        for (member, route) in &mut self.routes {
            if !route.recovery.handle_timeout(now) {
                continue;
            }
            let attempt = route.recovery.restarts();
            if link_recovery::rebuilds(attempt) {
                // A new connection, which the other side takes up when it sees its generation.
                route.generation += 1;
                let polite = self.room.is_polite_towards(*member);
                self.actions.push_back(Action::RebuildRoute {
                    member: *member,
                    route: RouteKind::Mesh { polite, offer: true },
                    attempt,
                });
            } else {
                self.actions.push_back(Action::RestartRoute { member: *member, attempt });
            }
        }
        self.room.handle_timeout(now);
        self.progress(now);
    }

    // ---- inputs: the shell ----

    /// A participant's command.
    pub fn handle_command(&mut self, command: Command, now: Duration) {
        if self.done {
            return;
        }
        let result = match command {
            Command::Admit(m) => self.admit(m, now),
            Command::Deny(m) => {
                self.session.forget_knock(&m);
                self.room.deny(m)
            }
            Command::Lock(b) => {
                let r = self.room.lock(b);
                if r.is_ok() && self.session.is_host() {
                    let others = self.others();
                    let out = self.session.lock(b, &others, now);
                    self.after_session(out);
                }
                r
            }
            Command::Remove(m) => match self.room.may_remove(m) {
                // The group first: every member, and the one removed, hears it from us
                // authenticated by MLS before the server acts; a removal the server announces
                // without it is shown as the server's doing.
                // When the group could not be told (we are not keyed, or the group does not
                // name us host or co-host), the server is not asked either: the error says why.
                Ok(()) => {
                    let others = self.others();
                    let out = self.session.request_removal(m, &others, now);
                    let told = self.session.removal_asked(&m);
                    self.after_session(out);
                    if told { self.room.remove(m) } else { Ok(()) }
                }
                Err(e) => Err(e),
            },
            Command::SetRole(m, r) => {
                let result = self.room.set_role(m, r);
                if result.is_ok() && self.session.is_host() {
                    // The group's policy says who the co-hosts are and who the host is: their
                    // approvals count because the group says so, not the server.
                    let others = self.others();
                    let out = match r {
                        Role::Host => self.session.hand_over(m, &others, now),
                        Role::CoHost => self.session.set_cohost(m, true, &others, now),
                        Role::Participant => self.session.set_cohost(m, false, &others, now),
                    };
                    self.after_session(out);
                }
                result
            }
            Command::RequestUnmute(m) => self.room.request_unmute(m),
            Command::Mute(m) => {
                // The room's request reaches the member's app; the group's request is what it
                // acts on.
                let r = self.room.mute(m);
                if r.is_ok() {
                    let out = self.session.request_mute(m);
                    self.after_session(out);
                }
                r
            }
            Command::RaiseHand(b) => self.room.raise_hand(b),
            Command::RevokeInvitation(id) => {
                self.revoke_invitation(id);
                Ok(())
            }
            Command::EndForAll => self.room.end_for_all(),
            Command::Leave => {
                self.leave(now);
                Ok(())
            }
        };
        if let Err(e) = result {
            self.emit(Notice::error(&e));
        }
        self.progress(now);
    }

    /// Lets a knocker in: the approval first (a co-host's goes to the group before the room
    /// admits, so the host holds it when the server says the knocker joined), then the room.
    /// One the room already let in without keys (a co-host's approval the host refused) is
    /// keyed at once.
    fn admit(&mut self, member: MemberId, now: Duration) -> Result<(), crate::room::error::CommandError> {
        let others = self.others();
        let approved = self.session.approve(member, &others);
        if let Err(e) = approved {
            self.emit(Notice::error(&e));
            return Ok(());
        }
        self.after_session(Ok(()));
        if self.unapproved.contains(&member) {
            self.admit_approved(now);
            return Ok(());
        }
        self.room.admit(member)
    }

    /// Revokes an invitation and shows again every waiting knock that carried it — or, where the
    /// meeting admits the invited only, turns it away.
    fn revoke_invitation(&mut self, id: crate::links::InvitationId) {
        self.session.revoke_invitation(id);
        for member in self.session.knocks_waiting() {
            let invitation = self.session.knock_invitation(&member);
            let Some(crate::links::InvitationCheck::Revoked { id: revoked, .. }) = &invitation else { continue };
            if *revoked != id {
                continue;
            }
            if self.session.admits(invitation.as_ref()) {
                let name = self.name_of(&member);
                self.emit(Notice::Knock { member, name, invitation });
                continue;
            }
            self.session.forget_knock(&member);
            let _ = self.room.deny(member);
            let refused = crate::e2ee::session::KnockRefused::NotInvited(invitation);
            self.emit(Notice::Error { code: refused.code().into(), message: refused.message() });
        }
    }

    /// Host: keys the members the server said joined once someone who may admit approved them.
    fn admit_approved(&mut self, now: Duration) {
        if !self.session.is_host() {
            return;
        }
        let ready: Vec<MemberId> = self.unapproved.iter().copied().filter(|m| self.session.is_approved(m)).collect();
        for member in ready {
            let others: Vec<_> = self.others().into_iter().filter(|m| *m != member).collect();
            let out = self.session.admit(member, &others, now);
            match &out {
                Ok(()) => {
                    self.unapproved.remove(&member);
                }
                // The room let them in on a co-host's word, and the group will not have them
                // (a revoked invitation; the invited only): they go, rather than sit keyless in
                // the room hearing who else is there. Told to the group first, as any removal.
                Err(E2eeError::Refused { .. }) => {
                    let others: Vec<_> = self.others();
                    let asked = self.session.request_removal(member, &others, now);
                    self.after_session(asked);
                    if let Err(e) = self.room.remove(member) {
                        tracing::debug!("removing {member}: {e}");
                    }
                }
                Err(_) => {}
            }
            self.after_session(out);
        }
    }

    fn leave(&mut self, now: Duration) {
        let others = self.others();
        if self.session.is_host() {
            // The group's host role goes to whom the room will make host.
            let next = crate::room::roles::successor(self.room.members().iter().map(|m| m.standing()), self.me());
            if let Some(next) = next {
                let out = self.session.hand_over(next, &others, now);
                self.after_session(out);
            }
        } else if self.session.is_keyed() {
            let out = self.session.leave(&others);
            self.after_session(out);
        }
        self.room.leave();
        self.finish(Notice::Left);
    }

    // ---- inputs: routes ----

    /// A route's signalling (an SDP or ICE candidate) for `member`: sealed and relayed, with
    /// the generation of the route's connection.
    pub fn handle_route_signal(&mut self, member: MemberId, signal: &Signal) {
        self.send_sealed(member, signal);
    }

    /// Seals a signal for one member (so the server learns no addresses, certificates or
    /// capabilities) and relays it.
    pub fn send_sealed(&mut self, to: MemberId, signal: &Signal) {
        let Some(me) = self.me() else { return };
        let mut nonce = [0u8; 12];
        self.rng.fill_bytes(&mut nonce);
        let header = self.numbering.next_header();
        let generation = self.routes.get(&to).map_or(0, |r| r.generation);
        let sealed = serde_json::to_vec(&RouteSignal { generation, signal: signal.clone() });
        let sealed = sealed.map_err(|e| e.to_string()).and_then(|json| {
            let plain = [header.as_slice(), &json].concat();
            self.signal_key.seal(me.to_bytes(), to.to_bytes(), &plain, nonce).map_err(|e| e.to_string())
        });
        match sealed {
            Ok(data) => {
                if let Err(e) = self.room.send_signal(to, Signal::Sealed { data: Blob(data) }) {
                    tracing::debug!("signal to {to} not sent: {e}");
                }
            }
            Err(e) => tracing::warn!("signal to {to} not sealed: {e}"),
        }
        self.flush();
    }

    /// A route changed state.
    pub fn handle_link_state(&mut self, member: MemberId, state: LinkState, now: Duration) {
        if let Some(r) = self.routes.get_mut(&member) {
            r.state = Some(state);
            r.recovery.state(state, now);
        }
        self.update_sending();
        if state == LinkState::Connected {
            // A new viewer needs a picture it can decode.
            self.actions.push_back(Action::RequestKeyframe);
        }
        self.emit(Notice::Link { member, state });
    }

    /// The runtime could not set up (or lost) the route to `member`: the next signal from them
    /// asks for a new one.
    pub fn handle_route_closed(&mut self, member: MemberId) {
        self.forget_route(member);
        self.update_sending();
    }

    // ---- the decisions ----

    fn emit(&mut self, n: Notice) {
        self.actions.push_back(Action::Emit(n));
    }

    fn finish(&mut self, n: Notice) {
        if !self.done {
            self.flush();
            self.done = true;
            self.actions.push_back(Action::Done(n));
        }
    }

    fn flush(&mut self) {
        while let Some(bytes) = self.room.poll_transmit() {
            self.actions.push_back(Action::Transmit(bytes));
        }
    }

    /// Drains the room client: its bytes, then its events one by one (each may send more).
    fn progress(&mut self, now: Duration) {
        self.flush();
        while let Some(e) = self.room.poll_event() {
            self.room_event(e, now);
            self.flush();
        }
    }

    fn ensure_route(&mut self, member: MemberId, offer: bool, generation: u32, now: Duration) {
        if self.routes.contains_key(&member) {
            return;
        }
        // A route we open ourselves comes after any we had to the member before (the member may
        // still hold one of that generation, and would drop the signals of an older one).
        let generation = match self.generations.get(&member) {
            Some(&before) if offer => generation.max(before + 1),
            _ => generation,
        };
        if self.routes.len() >= MAX_ROUTES {
            // A mesh of this size is no meeting anyone could hold; a server listing members by
            // the thousand must not make us start a connection and a decoder for each.
            if !std::mem::replace(&mut self.told_too_many, true) {
                self.emit(Notice::Error {
                    code: "meeting.too_many_members".into(),
                    message: format!("more than {MAX_ROUTES} members to connect to; the rest are not connected"),
                });
            }
            return;
        }
        let polite = self.room.is_polite_towards(member);
        let recovery = link_recovery::LinkRecovery::new(now, polite);
        self.routes.insert(member, Route { state: None, recovery, generation });
        self.actions.push_back(Action::EnsureRoute { member, route: RouteKind::Mesh { polite, offer } });
    }

    /// A route signal of `generation` from `member`: for the route's connection, for a new one
    /// the member built (ours is replaced and answers it), or stale (dropped).
    fn route_signal(&mut self, member: MemberId, signal: Signal, generation: u32, now: Duration) {
        self.ensure_route(member, false, generation, now);
        let Some(route) = self.routes.get_mut(&member) else { return };
        if generation < route.generation {
            tracing::debug!(
                "a signal of {member}'s connection {generation} came after connection {}",
                route.generation
            );
            return;
        }
        if generation > route.generation {
            route.generation = generation;
            route.recovery.rebuilt(now);
            let polite = self.room.is_polite_towards(member);
            self.actions.push_back(Action::RebuildRoute {
                member,
                route: RouteKind::Mesh { polite, offer: false },
                attempt: route.recovery.restarts(),
            });
        }
        self.actions.push_back(Action::RouteSignal { member, signal });
    }

    fn drop_route(&mut self, member: MemberId) {
        self.forget_route(member);
        self.actions.push_back(Action::DropRoute { member });
        self.update_sending();
    }

    /// Removes a member's route, remembering its generation.
    fn forget_route(&mut self, member: MemberId) {
        if let Some(r) = self.routes.remove(&member) {
            // Bounded: a server inventing members by the thousand costs a few kilobytes, and
            // losing what was kept costs at most one retry's wait.
            if self.generations.len() >= MAX_KEPT_GENERATIONS {
                self.generations.clear();
            }
            self.generations.insert(member, r.generation);
        }
    }

    fn update_sending(&mut self) {
        let sending = self.routes.values().any(|r| r.state == Some(LinkState::Connected));
        if sending != self.sending {
            self.sending = sending;
            self.actions.push_back(Action::Sending(sending));
        }
    }

    fn send_handshakes(&mut self) {
        while let Some((to, data)) = self.session.poll_transmit() {
            if let Err(e) = self.room.send_signal(to, Signal::Handshake { data: Blob(data) }) {
                tracing::debug!("handshake to {to} not sent: {e}");
            }
        }
        self.flush();
    }

    /// Handshake messages to send, what the session has to say, and the identities the group
    /// now vouches for.
    fn after_session(&mut self, result: Result<(), E2eeError>) {
        if let Err(e) = result {
            self.emit(Notice::error(&e));
        }
        if let Some(me) = self.me() {
            let others = self.others();
            if let Err(e) = self.session.send_announcements(me, &others) {
                tracing::debug!("announcement not sent: {e}");
            }
        }
        self.send_handshakes();
        while let Some(e) = self.session.poll_event() {
            match e {
                SessionEvent::Behind { ours, theirs } => {
                    self.emit(Notice::Error {
                        code: "e2ee.behind".into(),
                        message: format!(
                            "this device missed a change of keys (it holds epoch {ours}, a message came from epoch \
                             {theirs}); it asks the host to add it again"
                        ),
                    });
                    let asked = self.session.request_resync(&mut self.rng);
                    if let Err(e) = asked {
                        self.emit(Notice::error(&e));
                    }
                    self.send_handshakes();
                }
                SessionEvent::Keys { epoch, code, members } => self.emit(Notice::SecurityCode { epoch, code, members }),
                SessionEvent::Removed { asked: true } => self.finish(Notice::Removed),
                // The group's host took us out because the server said we had gone.
                SessionEvent::Removed { asked: false } => self.finish(Notice::RemovedByServer),
                SessionEvent::MuteRequested => {
                    self.actions.push_back(Action::MuteMicrophone);
                    self.emit(Notice::MutedByHost);
                }
                SessionEvent::Announced { member, name, .. } => self.announced(member, name),
            }
        }
        for member in self.others() {
            if let Some((key, name)) = self.session.vouched(&member) {
                self.actions.push_back(Action::ReviewIdentity { member, name, key });
            }
        }
    }

    /// A member said in the group who it is: its route takes media only from its leaf (none
    /// while two leaves claim the member), and the name it gave (authenticated by MLS) is shown.
    fn announced(&mut self, member: MemberId, name: String) {
        let leaf = self.session.leaf_announced_as(&member);
        self.actions.push_back(Action::BindRoute { member, sframe_sender: leaf });
        if self.names.get(&member) != Some(&name) {
            self.names.insert(member, name.clone());
            self.emit(Notice::ParticipantNamed { member, name });
        }
    }

    /// Opens a sealed signal from `from`: an sdp, ice or share signal, or None.
    fn open(&mut self, from: MemberId, blob: &[u8]) -> Option<(Signal, u32)> {
        let me = self.me()?;
        let plain = match self.signal_key.open(from.to_bytes(), me.to_bytes(), blob) {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!("a sealed signal from {from} was refused: {e}");
                return None;
            }
        };
        let Some(json) = self.seen_signals.accept(from, &plain) else {
            tracing::warn!("a sealed signal from {from} came again (or out of order) and was refused");
            return None;
        };
        match serde_json::from_slice::<RouteSignal>(json) {
            Ok(RouteSignal {
                signal: s @ (Signal::Sdp { .. } | Signal::Ice { .. } | Signal::Share { .. }),
                generation,
            }) => Some((s, generation)),
            _ => {
                tracing::warn!("a sealed signal from {from} held something else than sdp, ice or share");
                None
            }
        }
    }

    fn room_event(&mut self, e: RoomEvent, now: Duration) {
        match e {
            RoomEvent::Created { me } => {
                let created = match self.room.instance() {
                    Some(instance) => self.session.handle_created(instance, now),
                    None => Err(E2eeError::State("created a meeting without a run")),
                };
                self.after_session(created);
                self.emit(Notice::Created { me });
                self.emit(Notice::Joined { me, role: Role::Host });
            }
            RoomEvent::SealKnock { instance } => {
                // The knock is sealed for the run the server named: a host of another run (or a
                // server replaying it there) cannot use it.
                let sealed = self.session.seal_knock(instance, &mut self.rng);
                match sealed.map(|blob| self.room.knock(blob)) {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => self.emit(Notice::error(&e)),
                    Err(e) => {
                        // Cannot happen once the session exists (the same profile was sealed
                        // then); if it did, there is no knock to wait for.
                        self.emit(Notice::error(&e));
                        self.room.leave();
                        self.finish(Notice::Left);
                    }
                }
            }
            RoomEvent::Knocking => self.emit(Notice::Knocking),
            RoomEvent::IceServers { servers } => self.actions.push_back(Action::UseIceServers(servers)),
            RoomEvent::InLobby { .. } => self.emit(Notice::InLobby),
            RoomEvent::Admitted { me, role, members, .. } => {
                self.emit(Notice::Admitted { me });
                self.emit(Notice::Joined { me, role });
                for m in members.into_iter().filter(|m| m.id != me && m.present) {
                    self.emit(Notice::ParticipantJoined { member: m.id, name: self.name_of(&m.id) });
                    self.ensure_route(m.id, true, 0, now);
                }
            }
            RoomEvent::Resumed { me, members, after_restart, .. } => {
                self.emit(Notice::Resumed { after_restart });
                // The network is back: a link being retried is tried again now, not after its
                // back-off (its last offer may have been lost with the connection).
                for route in self.routes.values_mut() {
                    route.recovery.network_back(now);
                }
                // Say again in the group who we are: the room may have handed out member ids
                // anew, and a member that missed our first announcement gets it now.
                self.session.announce_again();
                self.after_session(Ok(()));
                for m in members.into_iter().filter(|m| m.id != me && m.present) {
                    self.ensure_route(m.id, true, 0, now);
                }
            }
            RoomEvent::Denied => self.finish(Notice::Denied),
            RoomEvent::KnockExpired => {
                self.emit(Notice::Error {
                    code: "room.knock_expired".into(),
                    message: "no one admitted us in time".into(),
                });
                self.finish(Notice::Denied);
            }
            RoomEvent::NoSuchMeeting => self.finish(Notice::NoSuchMeeting),
            RoomEvent::RoomLocked => self.finish(Notice::RoomLocked),
            RoomEvent::MemberJoined { member, sealed_profile } => {
                if let Some(p) = sealed_profile.and_then(|b| self.session.open_profile(member.id, &b))
                    && self.session.leaf_announced_as(&member.id).is_none()
                {
                    self.names.insert(member.id, p.display_name);
                }
                self.emit(Notice::ParticipantJoined { member: member.id, name: self.name_of(&member.id) });
                // Admission by the room is followed by admission to the group — only when we (the
                // group's host) or a co-host the group names approved this very knock. That the
                // server says someone joined is not enough.
                if self.session.is_host() {
                    self.unapproved.insert(member.id);
                    // An approval the host then refused (a revoked invitation) was told already.
                    let approved = self.session.is_approved(&member.id);
                    self.admit_approved(now);
                    if self.unapproved.contains(&member.id) && !approved {
                        self.emit(Notice::Error {
                            code: "e2ee.unapproved_join".into(),
                            message: format!(
                                "the server let in {}, whom no host here admitted; they get no keys",
                                self.display(&member.id)
                            ),
                        });
                    }
                }
                // The newcomer offers; its route is made when its sealed offer arrives (only a
                // holder of the link can seal one), not on the server's word that it joined.
            }
            RoomEvent::MemberProfile { member, sealed_profile } => {
                // A name from a profile (relayed by the server) is shown until the member
                // announces itself in the group; an announced name is never replaced by one.
                if let Some(p) = self.session.open_profile(member, &sealed_profile)
                    && self.session.leaf_announced_as(&member).is_none()
                {
                    self.names.insert(member, p.display_name.clone());
                    self.emit(Notice::ParticipantNamed { member, name: p.display_name });
                    self.after_session(Ok(()));
                }
            }
            RoomEvent::MemberAway { member } => self.emit(Notice::ParticipantAway { member }),
            RoomEvent::MemberBack { member } => self.emit(Notice::ParticipantBack { member }),
            RoomEvent::MemberLeft { member, reason } => {
                if reason == LeaveReason::Removed && !self.session.removal_asked(&member) {
                    self.emit(Notice::Error {
                        code: "e2ee.removal_unconfirmed".into(),
                        message: format!(
                            "the server says {} was removed, but no host asked for it in the encrypted group",
                            self.display(&member)
                        ),
                    });
                }
                self.drop_route(member);
                if self.session.is_host() {
                    let others = self.others();
                    let out = self.session.remove(member, &others, now);
                    self.after_session(out);
                }
                self.session.forget_member(&member);
                self.seen_signals.forget(&member);
                self.unapproved.remove(&member);
                self.names.remove(&member);
                self.emit(Notice::ParticipantLeft { member, reason });
            }
            RoomEvent::Knock { member, sealed_profile } => {
                let KnockSeen { name, invitation } = match self.session.handle_knock(member, &sealed_profile) {
                    Ok(seen) => seen,
                    Err(refused) => {
                        // Not sealed with this meeting's link, or a stale or forged KeyPackage:
                        // whoever it is, they cannot be keyed.
                        let _ = self.room.deny(member);
                        self.emit(Notice::Error { code: refused.code().into(), message: refused.message() });
                        return;
                    }
                };
                self.names.insert(member, name.clone());
                self.emit(Notice::Knock { member, name, invitation });
                if self.auto_admit
                    && let Err(e) = self.admit(member, now)
                {
                    self.emit(Notice::error(&e));
                }
            }
            RoomEvent::KnockWithdrawn { member, reason } => {
                if reason != KnockEnd::Admitted {
                    self.session.forget_knock(&member);
                }
                self.emit(Notice::KnockGone { member, reason })
            }
            RoomEvent::RoleChanged { member, role } => self.emit(Notice::RoleChanged { member, role }),
            RoomEvent::Locked(locked) => self.emit(Notice::Locked { locked }),
            RoomEvent::HandRaised { member, raised } => self.emit(Notice::HandRaised { member, raised }),
            // Muted only when the group's host or a co-host asks in the group
            // (SessionEvent::MuteRequested): the server's word alone mutes nobody.
            RoomEvent::MuteRequested { by } => tracing::debug!("the server relays a mute request from {by}"),
            RoomEvent::UnmuteRequested { .. } => self.emit(Notice::UnmuteRequested),
            RoomEvent::Signal { from, payload: Signal::Handshake { data } } => {
                // A Welcome counts only from a member the room names host or co-host (the
                // session then checks that the group's policy names its sender host): another
                // member with the link could otherwise pull a newcomer into a group of its own.
                // (After a server restart the room's host may be another member than the
                // group's, who is then a co-host.)
                let is_host =
                    self.room.members().iter().any(|m| m.id == from && matches!(m.role, Role::Host | Role::CoHost));
                if data.as_bytes().first() == Some(&WELCOME) && !is_host {
                    self.emit(Notice::Error {
                        code: "e2ee.welcome_not_from_host".into(),
                        message: format!("a Welcome from {from}, who is neither host nor co-host, was refused"),
                    });
                    return;
                }
                let others = self.others();
                let out = self.session.handle_handshake(from, data.as_bytes(), &others, now);
                self.after_session(out);
                self.admit_approved(now);
            }
            RoomEvent::Signal { from, payload: Signal::Sealed { data } } => match self.open(from, data.as_bytes()) {
                Some((Signal::Share { on, gone }, _)) => {
                    self.actions.push_back(Action::RemoteShare { member: from, on, gone })
                }
                Some((signal, generation)) => self.route_signal(from, signal, generation, now),
                None => {}
            },
            RoomEvent::Signal { from, payload } => {
                // Trygg members seal every sdp and ice signal; one in clear is not from one.
                tracing::warn!("an unsealed {} signal from {from} was refused", payload.kind());
            }
            RoomEvent::Ended => self.finish(Notice::Ended),
            // The server took our seat: a removal only when a host or co-host said so in the
            // group, else the server's own doing, and shown as such.
            RoomEvent::Removed if self.session.own_removal_asked() => self.finish(Notice::Removed),
            RoomEvent::Removed => self.finish(Notice::RemovedByServer),
            RoomEvent::Reconnecting => {
                self.emit(Notice::Reconnecting);
                if self.connection.up {
                    self.actions.push_back(Action::Disconnect);
                }
                self.connection.lost(now);
            }
            // A relay (or a host's action) aimed at someone who has just left: the departure is
            // its own event already, so the server's refusal is not shown as an error.
            RoomEvent::Error { code: ErrorCode::Refusal(Refusal::UnknownMember), message } => {
                tracing::debug!("refused for a member who has left: {message}");
            }
            RoomEvent::Error { code, message } => self.emit(Notice::Error { code: code.to_string(), message }),
            RoomEvent::HostChanged { .. } => {}
        }
    }
}
