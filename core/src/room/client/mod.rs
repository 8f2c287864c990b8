//! [`RoomClient`]: one participant's view of one meeting, as a sans-I/O state machine.
//!
//! ```text
//!   runtime                              RoomClient
//!   ───────                              ──────────
//!   socket up ───── handle_connected(now)        sends create / knock / resume / rejoin
//!   frame in ────── handle_message(bytes, now)   Err(ProtocolError): log it, nothing changed
//!   socket gone ─── handle_disconnected(now)     (then reconnect and call handle_connected)
//!   timer fired ─── handle_timeout(now)
//!   UI command ──── admit / deny / lock / remove / set_role / mute / request_unmute /
//!                   raise_hand / end_for_all / leave / send_signal
//!   after each: ◄── poll_transmit() until None: frames to send
//!               ◄── poll_event() until None: what to show and do
//!               ◄── poll_timeout(): when to call handle_timeout next
//! ```
//!
//! The runtime owns reconnecting: on [`RoomEvent::Reconnecting`] it drops the socket (if it is
//! still open), reconnects with back-off and calls `handle_connected`; on
//! [`ClientState::Closed`] it stops. The client answers the server's pings itself, notices a
//! silent server (half-open socket) after [`ClientConfig::server_silence_timeout`], resumes
//! with its token, and after a server restart rejoins or recreates the meeting (see
//! [`crate::room::server`]'s reconnect rules and `docs/protocol.md`).
//!
//! Profiles: the client sends its own sealed profile to every member admitted after it, so the
//! server never stores one; they arrive as [`RoomEvent::MemberProfile`].

mod event;
mod inbound;
mod reconnect;
mod state;

use std::collections::VecDeque;
use std::time::Duration;

pub use self::event::RoomEvent;
pub use self::state::{ClientState, CloseReason, Entry};
use super::error::CommandError;
use super::ids::{Blob, MeetingInstance, MemberId, ResumeToken, RoomId, RoomProof};
use super::limits::ClientConfig;
use super::proto::{self, ClientMsg, MemberInfo, Signal};
use super::roles::{Action, Role};

/// Why the client is joining, with what the runtime derived from the link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intent {
    /// Start the meeting as its host (the host link). If it is already running, the client
    /// knocks instead.
    Host {
        /// Proof of holding the link.
        room_proof: RoomProof,
        /// Our profile, relayed to the members who join after us.
        sealed_profile: Blob,
        /// The run of the meeting we start (the MLS group id we will create).
        instance: MeetingInstance,
    },
    /// Knock on a running meeting.
    Join {
        /// Proof of holding the link (checked by the server on knock and rejoin).
        room_proof: RoomProof,
        /// Our profile (name and MLS KeyPackage), sealed under a key from the link's secret
        /// (`e2ee::knock`), relayed to the members who join after us. The knock itself is
        /// sealed for the run of the meeting ([`RoomEvent::SealKnock`]).
        sealed_profile: Blob,
    },
}

/// One participant's view of one meeting. See the [module docs](self).
#[derive(Debug)]
pub struct RoomClient {
    room: RoomId,
    is_host_link: bool,
    proof: RoomProof,
    profile: Blob,
    /// The run we create as host (a host link): drawn by us, never taken from the server, so a
    /// server that answers "meeting exists", then "this run", then "no such meeting" cannot make
    /// us create a group with a run of its choosing.
    own_instance: Option<MeetingInstance>,
    /// The run we are in or knock on: ours once we created the meeting, else as the server named
    /// it when we looked (and what a recreate after a restart names).
    instance: Option<MeetingInstance>,
    config: ClientConfig,
    state: ClientState,
    connected: bool,
    last_heard: Duration,
    /// While rejoining or re-knocking: when to try again (None while an attempt awaits its
    /// answer).
    next_attempt: Option<Duration>,
    /// After losing the connection in the lobby: until when "no such meeting" means "not
    /// recreated yet".
    reknock_until: Option<Duration>,
    token: Option<ResumeToken>,
    members: Vec<MemberInfo>,
    locked: bool,
    lobby: Vec<MemberId>,
    transmit: VecDeque<Vec<u8>>,
    events: VecDeque<RoomEvent>,
}

impl RoomClient {
    /// A client for `room` that will create or knock once the socket is up.
    pub fn new(room: RoomId, intent: Intent, config: ClientConfig, now: Duration) -> Self {
        let (is_host_link, proof, profile, instance) = match intent {
            Intent::Host { room_proof, sealed_profile, instance } => (true, room_proof, sealed_profile, Some(instance)),
            Intent::Join { room_proof, sealed_profile } => (false, room_proof, sealed_profile, None),
        };
        let entry = if is_host_link { Entry::Create } else { Entry::Knock };
        Self {
            room,
            is_host_link,
            proof,
            profile,
            own_instance: instance,
            instance: None,
            config,
            state: ClientState::Connecting { entry },
            connected: false,
            last_heard: now,
            next_attempt: None,
            reknock_until: None,
            token: None,
            members: Vec::new(),
            locked: false,
            lobby: Vec::new(),
            transmit: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// The socket is up: send what the state requires.
    pub fn handle_connected(&mut self, now: Duration) {
        if self.connected || self.state.is_closed() {
            return;
        }
        self.connected = true;
        self.last_heard = now;
        match self.state.clone() {
            ClientState::Connecting { entry: Entry::Create } => self.send_create(),
            ClientState::Connecting { entry: Entry::Knock } => self.send_knock(),
            ClientState::Reconnecting { me, role } => match self.token.clone() {
                Some(token) => {
                    self.send(ClientMsg::Resume { room: self.room.clone(), me, token });
                    self.state = ClientState::Resuming { me, role };
                }
                None => self.start_rejoining(me, role, now),
            },
            ClientState::Rejoining { .. } => self.attempt_rejoin(now),
            ClientState::Creating
            | ClientState::Looking
            | ClientState::Sealing { .. }
            | ClientState::Knocking
            | ClientState::InLobby { .. }
            | ClientState::InMeeting { .. }
            | ClientState::Resuming { .. }
            | ClientState::Closed(_) => {}
        }
    }

    /// The socket is gone. Emits [`RoomEvent::Reconnecting`] unless the client is closed.
    pub fn handle_disconnected(&mut self, now: Duration) {
        if !self.connected {
            return;
        }
        self.connected = false;
        self.next_attempt = None;
        let next = match self.state.clone() {
            ClientState::Creating => ClientState::Connecting { entry: Entry::Create },
            // The server withdrew the knock with the connection: knock again.
            ClientState::InLobby { .. } => {
                self.reknock_until = Some(now.saturating_add(self.config.reknock_window));
                ClientState::Connecting { entry: Entry::Knock }
            }
            ClientState::Looking | ClientState::Sealing { .. } | ClientState::Knocking => {
                ClientState::Connecting { entry: Entry::Knock }
            }
            ClientState::InMeeting { me, role } | ClientState::Resuming { me, role } => {
                ClientState::Reconnecting { me, role }
            }
            s @ (ClientState::Rejoining { .. } | ClientState::Connecting { .. } | ClientState::Reconnecting { .. }) => {
                s
            }
            ClientState::Closed(_) => return,
        };
        self.state = next;
        self.lobby.clear();
        self.events.push_back(RoomEvent::Reconnecting);
    }

    /// Runs the timers that are due: a silent server, the next rejoin attempt.
    pub fn handle_timeout(&mut self, now: Duration) {
        if self.connected && now.saturating_sub(self.last_heard) >= self.config.server_silence_timeout {
            self.handle_disconnected(now);
        }
        if self.connected && self.next_attempt.is_some_and(|t| now >= t) {
            match self.state {
                ClientState::Rejoining { .. } => self.attempt_rejoin(now),
                ClientState::Looking | ClientState::Knocking => {
                    self.next_attempt = None;
                    self.send_knock();
                }
                _ => self.next_attempt = None,
            }
        }
    }

    /// The next frame to send.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.transmit.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<RoomEvent> {
        self.events.pop_front()
    }

    /// When to call `handle_timeout` next.
    pub fn poll_timeout(&self) -> Option<Duration> {
        if !self.connected || self.state.is_closed() {
            return None;
        }
        let silence = self.last_heard.saturating_add(self.config.server_silence_timeout);
        match (&self.state, self.next_attempt) {
            (ClientState::Rejoining { .. } | ClientState::Looking | ClientState::Knocking, Some(t)) => {
                Some(silence.min(t))
            }
            _ => Some(silence),
        }
    }

    /// Where the client is.
    pub fn state(&self) -> &ClientState {
        &self.state
    }

    /// The meeting.
    pub fn room(&self) -> &RoomId {
        &self.room
    }

    /// Our member id, once we have one (in the lobby: the knock's id).
    pub fn me(&self) -> Option<MemberId> {
        match self.state {
            ClientState::InLobby { me }
            | ClientState::InMeeting { me, .. }
            | ClientState::Reconnecting { me, .. }
            | ClientState::Resuming { me, .. }
            | ClientState::Rejoining { me, .. } => Some(me),
            ClientState::Connecting { .. }
            | ClientState::Creating
            | ClientState::Looking
            | ClientState::Sealing { .. }
            | ClientState::Knocking
            | ClientState::Closed(_) => None,
        }
    }

    /// Our role while we are a member.
    pub fn role(&self) -> Option<Role> {
        match self.state {
            ClientState::InMeeting { role, .. }
            | ClientState::Reconnecting { role, .. }
            | ClientState::Resuming { role, .. }
            | ClientState::Rejoining { role, .. } => Some(role),
            _ => None,
        }
    }

    /// The members as last heard, in join order (ourselves included).
    pub fn members(&self) -> &[MemberInfo] {
        &self.members
    }

    /// Whether the meeting is locked, as last heard.
    pub fn is_locked(&self) -> bool {
        self.locked
    }

    /// The run of the meeting, once known: ours as its creator, else as the server named it.
    pub fn instance(&self) -> Option<MeetingInstance> {
        self.instance
    }

    /// Knocks waiting (seen by hosts and co-hosts), in knock order.
    pub fn lobby(&self) -> &[MemberId] {
        &self.lobby
    }

    /// Whether we are the polite side of perfect negotiation with `member` (the larger member id
    /// is polite). Both ends compute opposite answers; false before we have an id.
    pub fn is_polite_towards(&self, member: MemberId) -> bool {
        self.me().is_some_and(|me| me.is_polite_towards(&member))
    }

    /// Let a knock in.
    pub fn admit(&mut self, member: MemberId) -> Result<(), CommandError> {
        self.command("admit", Some(Action::Lobby), ClientMsg::Admit { member })
    }

    /// Turn a knock away.
    pub fn deny(&mut self, member: MemberId) -> Result<(), CommandError> {
        self.command("deny", Some(Action::Lobby), ClientMsg::Deny { member })
    }

    /// Lock or unlock the meeting.
    pub fn lock(&mut self, locked: bool) -> Result<(), CommandError> {
        self.command("lock", Some(Action::Lock), ClientMsg::Lock { locked })
    }

    /// Remove a member.
    pub fn remove(&mut self, member: MemberId) -> Result<(), CommandError> {
        let action = self.moderate_action(member);
        self.command("remove", action, ClientMsg::Remove { member })
    }

    /// Change a member's role (host only); `Role::Host` hands the host role over.
    pub fn set_role(&mut self, member: MemberId, role: Role) -> Result<(), CommandError> {
        self.command("set_role", Some(Action::SetRole), ClientMsg::SetRole { member, role })
    }

    /// Ask a member to unmute.
    pub fn request_unmute(&mut self, member: MemberId) -> Result<(), CommandError> {
        let action = self.moderate_action(member);
        self.command("request_unmute", action, ClientMsg::RequestUnmute { member })
    }

    /// Tell a member to mute.
    pub fn mute(&mut self, member: MemberId) -> Result<(), CommandError> {
        let action = self.moderate_action(member);
        self.command("mute", action, ClientMsg::Mute { member })
    }

    /// Knock with a profile sealed for the run [`RoomEvent::SealKnock`] named.
    pub fn knock(&mut self, sealed_knock: Blob) -> Result<(), CommandError> {
        if !matches!(self.state, ClientState::Sealing { .. }) || !self.connected {
            return Err(CommandError::NotNow { command: "knock" });
        }
        self.send(ClientMsg::Knock {
            room: self.room.clone(),
            room_proof: self.proof.clone(),
            sealed_profile: sealed_knock,
        });
        self.state = ClientState::Knocking;
        self.events.push_back(RoomEvent::Knocking);
        Ok(())
    }

    /// Raise or lower our hand.
    pub fn raise_hand(&mut self, raised: bool) -> Result<(), CommandError> {
        self.command("raise_hand", None, ClientMsg::RaiseHand { raised })
    }

    /// End the meeting for everyone (host only).
    pub fn end_for_all(&mut self) -> Result<(), CommandError> {
        self.command("end_for_all", Some(Action::EndForAll), ClientMsg::EndForAll)
    }

    /// Relay a signal to another member.
    pub fn send_signal(&mut self, to: MemberId, payload: Signal) -> Result<(), CommandError> {
        self.command("signal", None, ClientMsg::Signal { to, payload })
    }

    /// Leave (or withdraw the knock). Always possible; the client is closed afterwards.
    pub fn leave(&mut self) {
        let in_room =
            matches!(self.state, ClientState::Knocking | ClientState::InLobby { .. } | ClientState::InMeeting { .. });
        if self.connected && in_room {
            self.send(ClientMsg::Leave);
        }
        self.close(CloseReason::Left);
    }

    /// Whether [`Self::remove`] would go out now (our state and role allow it), sending nothing:
    /// the meeting tells the group before it asks the server.
    pub fn may_remove(&self, member: MemberId) -> Result<(), CommandError> {
        self.check("remove", self.moderate_action(member))
    }

    fn check(&self, command: &'static str, action: Option<Action>) -> Result<(), CommandError> {
        let ClientState::InMeeting { role, .. } = self.state else {
            return Err(CommandError::NotInMeeting { command });
        };
        if action.is_some_and(|a| !role.may(a)) {
            return Err(CommandError::NotAllowed { command });
        }
        Ok(())
    }

    fn command(&mut self, command: &'static str, action: Option<Action>, msg: ClientMsg) -> Result<(), CommandError> {
        self.check(command, action)?;
        self.send(msg);
        Ok(())
    }

    /// The permission a host control over `member` needs, when we know its role; otherwise the
    /// server decides.
    fn moderate_action(&self, member: MemberId) -> Option<Action> {
        self.members.iter().find(|m| m.id == member).map(|m| Action::Moderate(m.role))
    }

    fn send(&mut self, msg: ClientMsg) {
        self.transmit.push_back(proto::encode(&msg));
    }

    fn send_create(&mut self) {
        let Some(instance) = self.own_instance else {
            // Only a host link creates, and it comes with the run it will create.
            debug_assert!(false, "invariant: a host link has an instance");
            return self.close(CloseReason::NoSuchMeeting);
        };
        self.send(ClientMsg::Create { room: self.room.clone(), room_proof: self.proof.clone(), instance });
        self.state = ClientState::Creating;
    }

    /// The first step of a knock: ask which run of the meeting this is.
    fn send_knock(&mut self) {
        self.send(ClientMsg::Look { room: self.room.clone(), room_proof: self.proof.clone() });
        self.state = ClientState::Looking;
    }

    fn close(&mut self, reason: CloseReason) {
        self.state = ClientState::Closed(reason);
        self.token = None;
        self.next_attempt = None;
        self.reknock_until = None;
        self.lobby.clear();
    }
}

#[cfg(test)]
mod tests;
