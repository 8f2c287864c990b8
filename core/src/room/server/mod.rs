//! [`RoomServer`]: every meeting of one signalling server, as a sans-I/O state machine.
//!
//! ```text
//!   runtime                         RoomServer
//!   ───────                         ──────────
//!   accept socket ── handle_connect(conn, ip, now) ──► Ok / Err(Refused): close the socket
//!   frame in ─────── handle_message(conn, bytes, now)
//!   socket gone ──── handle_disconnect(conn, now)
//!   timer fired ──── handle_timeout(now)
//!   after each: ◄─── poll_output() until None: Send{conn, bytes} | Close{conn, code, reason}
//!               ◄─── poll_timeout(): when to call handle_timeout next
//! ```
//!
//! A connection sits in one seat: **fresh** (may `create`, `recreate`, `knock`, `rejoin`,
//! `resume`), **lobby** (may only `leave`) or **member** (host controls by role, signals,
//! `leave`). A message its seat does not allow closes it with `room.out_of_order`; so does a
//! malformed message (`room.bad_message`), one of another version (`room.unsupported_version`)
//! and an oversized one (1009, `room.too_big`). A request that is understood but refused (a
//! participant trying to admit, a full meeting) gets an `error` message and the connection stays.
//! After a `Close` output the server has forgotten the connection; calling `handle_disconnect`
//! for it afterwards is harmless.
//!
//! Connection loss is not leaving: a member whose connection closes (or who is silent for the
//! idle timeout) is **away**, and the others get `member_away` at once. It keeps its seat and
//! role for [`ServerConfig::resume_grace`]; after that it has left (`member_left`, reason
//! `timed_out`), with host hand-over if it was host. A meeting whose last member has left is
//! forgotten at once, lobby and all.

mod lobby;
mod reconnect;
mod relay;
mod roles;
mod room;

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

use self::room::{Presence, Room};
use super::error::{ProtocolError, Refusal, Refused};
use super::ids::{ConnId, MemberId, RoomId};
use super::limits::{RateLimiter, ServerConfig};
use super::proto::{self, ClientMsg, CloseCode, LeaveReason, MemberInfo, ServerMsg};
use super::roles::Role;

/// What the runtime must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerOutput {
    /// Send one text frame.
    Send {
        /// To this connection.
        conn: ConnId,
        /// The frame (UTF-8 JSON).
        bytes: Vec<u8>,
    },
    /// Close the connection with this code; the server has already forgotten it.
    Close {
        /// The connection.
        conn: ConnId,
        /// [`CloseCode::as_u16`] for the close frame, [`CloseCode::code`] for logs.
        code: CloseCode,
        /// A short phrase for the close frame (no input is echoed).
        reason: &'static str,
    },
}

/// What the server knows about one meeting, for tests and metrics. There is nothing more to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomSnapshot {
    /// Whether it is locked.
    pub locked: bool,
    /// Members in join order.
    pub members: Vec<MemberInfo>,
    /// Knocks waiting, in knock order.
    pub lobby: Vec<MemberId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Seat {
    Fresh,
    Lobby { room: RoomId, me: MemberId },
    Member { room: RoomId, me: MemberId },
}

#[derive(Debug)]
struct Conn {
    /// Held while the connection is open, to charge its knocks to its address.
    ip: IpAddr,
    /// A `look` paid for the knock that follows it on this connection: a knock costs one token.
    knock_paid: bool,
    last_heard: Duration,
    last_ping: Duration,
    seat: Seat,
    /// What this connection may still send as a member.
    bucket: super::limits::TokenBucket,
    /// When TURN credentials were last handed to the member on this connection.
    turn_issued: Option<Duration>,
}

/// All meetings of one signalling server. See the [module docs](self).
pub struct RoomServer {
    config: ServerConfig,
    rng: ChaCha20Rng,
    conns: BTreeMap<ConnId, Conn>,
    rooms: BTreeMap<RoomId, Room>,
    connect_limiter: RateLimiter,
    knock_limiter: RateLimiter,
    out: std::collections::VecDeque<ServerOutput>,
    next_tick: Option<Duration>,
    /// The `now` of the latest input (TURN credentials are dated from it).
    now: Duration,
}

/// Counts only: no ids, addresses or RNG state in logs.
impl std::fmt::Debug for RoomServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RoomServer")
            .field("rooms", &self.rooms.len())
            .field("connections", &self.conns.len())
            .field("rate_limited_addresses", &self.rate_limited_addresses())
            .finish_non_exhaustive()
    }
}

impl RoomServer {
    /// A server with no meetings. `rng_seed` comes from the OS, drawn by the runtime; tests pass
    /// a constant and get the same member ids and tokens every run.
    pub fn new(config: ServerConfig, rng_seed: [u8; 32]) -> Self {
        Self {
            connect_limiter: RateLimiter::new(config.connect_rate),
            knock_limiter: RateLimiter::new(config.knock_rate),
            config,
            rng: ChaCha20Rng::from_seed(rng_seed),
            conns: BTreeMap::new(),
            rooms: BTreeMap::new(),
            out: Default::default(),
            next_tick: None,
            now: Duration::ZERO,
        }
    }

    /// A new connection from `peer_ip`. Refused when that address connects too often.
    pub fn handle_connect(&mut self, conn: ConnId, peer_ip: IpAddr, now: Duration) -> Result<(), Refused> {
        self.now = now;
        if self.conns.contains_key(&conn) {
            return Err(Refused::DuplicateConnection);
        }
        self.next_tick.get_or_insert(now.saturating_add(self.config.tick));
        if !self.connect_limiter.try_take(peer_ip, now) {
            return Err(Refused::RateLimited);
        }
        let bucket = super::limits::TokenBucket::full(self.config.member_rate, now);
        let c = Conn {
            ip: peer_ip,
            knock_paid: false,
            last_heard: now,
            last_ping: now,
            seat: Seat::Fresh,
            bucket,
            turn_issued: None,
        };
        self.conns.insert(conn, c);
        Ok(())
    }

    /// One frame from a connection. Unknown connections are ignored.
    pub fn handle_message(&mut self, conn: ConnId, bytes: &[u8], now: Duration) {
        self.now = now;
        let Some(c) = self.conns.get_mut(&conn) else { return };
        c.last_heard = now;
        match proto::decode_client(bytes, self.config.max_message_size) {
            Ok(msg) => self.dispatch(conn, msg, now),
            Err(e) => self.close(conn, CloseCode::for_error(&e), now),
        }
    }

    /// The connection is gone (closed by the peer or the network).
    pub fn handle_disconnect(&mut self, conn: ConnId, now: Duration) {
        self.now = now;
        if let Some(c) = self.conns.remove(&conn) {
            self.vacate(c.seat, now);
        }
    }

    /// Runs the timers that are due: pings, idle timeouts, knock expiry, the end of grace
    /// periods, and forgetting full rate-limit buckets.
    pub fn handle_timeout(&mut self, now: Duration) {
        self.now = now;
        match self.next_tick {
            Some(t) if now >= t => {}
            _ => return,
        }
        let mut idle = Vec::new();
        let mut ping = Vec::new();
        for (&id, c) in &mut self.conns {
            if now.saturating_sub(c.last_heard) >= self.config.idle_timeout {
                idle.push(id);
            } else if now.saturating_sub(c.last_ping) >= self.config.ping_interval {
                c.last_ping = now;
                ping.push(id);
            }
        }
        for id in ping {
            self.send(id, &ServerMsg::Ping);
        }
        self.reissue_turn(now);
        for id in idle {
            self.close(id, CloseCode::IdleTimeout, now);
        }
        self.expire_knocks(now);
        self.expire_away_members(now);
        self.connect_limiter.sweep(now);
        self.knock_limiter.sweep(now);
        let busy = !self.conns.is_empty()
            || !self.rooms.is_empty()
            || !self.connect_limiter.is_empty()
            || !self.knock_limiter.is_empty();
        self.next_tick = busy.then_some(now.saturating_add(self.config.tick));
    }

    /// The next thing the runtime must do; drain until `None` after every `handle_*`.
    pub fn poll_output(&mut self) -> Option<ServerOutput> {
        self.out.pop_front()
    }

    /// When to call `handle_timeout` next; `None` while the server holds no state at all.
    pub fn poll_timeout(&self) -> Option<Duration> {
        self.next_tick
    }

    /// Meetings held.
    pub fn room_count(&self) -> usize {
        self.rooms.len()
    }

    /// Connections open.
    pub fn connection_count(&self) -> usize {
        self.conns.len()
    }

    /// Addresses remembered by the rate limiters (connect and knock) right now.
    pub fn rate_limited_addresses(&self) -> usize {
        self.connect_limiter.len() + self.knock_limiter.len()
    }

    /// Everything the server knows about one meeting.
    pub fn room(&self, id: &RoomId) -> Option<RoomSnapshot> {
        self.rooms.get(id).map(|r| RoomSnapshot {
            locked: r.locked,
            members: r.infos(),
            lobby: r.lobby.iter().map(|k| k.id).collect(),
        })
    }

    fn dispatch(&mut self, conn: ConnId, msg: ClientMsg, now: Duration) {
        let seat = match self.conns.get(&conn) {
            Some(c) => c.seat.clone(),
            None => return,
        };
        match (msg, seat) {
            (ClientMsg::Ping, _) => self.send(conn, &ServerMsg::Pong),
            (ClientMsg::Pong, _) => {}
            (ClientMsg::Create { room, room_proof, instance }, Seat::Fresh) => {
                self.create(conn, room, room_proof, instance, now)
            }
            (ClientMsg::Recreate { room, room_proof, me, locked, roster, instance }, Seat::Fresh) => {
                self.recreate(conn, room, room_proof, me, locked, roster, instance, now)
            }
            (ClientMsg::Look { room, room_proof }, Seat::Fresh) => self.look(conn, room, room_proof, now),
            (ClientMsg::Knock { room, room_proof, sealed_profile }, Seat::Fresh) => {
                self.knock(conn, room, room_proof, sealed_profile, now)
            }
            (ClientMsg::Rejoin { room, room_proof, me }, Seat::Fresh) => self.rejoin(conn, room, room_proof, me),
            (ClientMsg::Resume { room, me, token }, Seat::Fresh) => self.resume(conn, room, me, token),
            (ClientMsg::Leave, Seat::Lobby { room, me }) => self.withdraw_knock(&room, me),
            (ClientMsg::Leave, Seat::Member { room, me }) => self.depart(&room, me, LeaveReason::Left),
            (msg, Seat::Member { room, me }) => {
                let limit = self.config.member_rate;
                let allowed = self.conns.get_mut(&conn).is_some_and(|c| c.bucket.try_take(limit, now));
                if !allowed {
                    // A member's flood (hands, signals) reaches nobody.
                    return self.refuse(conn, Refusal::RateLimited);
                }
                self.member_command(conn, &room, me, msg, now)
            }
            (msg, seat) => {
                let state = match seat {
                    Seat::Fresh => "before joining a meeting",
                    Seat::Lobby { .. } => "while waiting in the lobby",
                    Seat::Member { .. } => "for a member",
                };
                self.out_of_order(conn, msg.kind(), state, now);
            }
        }
    }

    fn out_of_order(&mut self, conn: ConnId, message: &'static str, state: &'static str, now: Duration) {
        let e = ProtocolError::OutOfOrder { message, state };
        self.close(conn, CloseCode::for_error(&e), now);
    }

    fn member_command(&mut self, conn: ConnId, room: &RoomId, me: MemberId, msg: ClientMsg, now: Duration) {
        let Some(role) = self.rooms.get(room).and_then(|r| r.member(me)).map(|m| m.role) else {
            debug_assert!(false, "invariant: a member seat points at a member");
            return;
        };
        let result = match msg {
            ClientMsg::Admit { member } => self.admit(room, role, member),
            ClientMsg::Deny { member } => self.deny(room, role, member),
            ClientMsg::Lock { locked } => self.lock(room, role, locked),
            ClientMsg::Remove { member } => self.remove(room, me, role, member),
            ClientMsg::SetRole { member, role: new } => self.set_role(room, me, role, member, new),
            ClientMsg::RequestUnmute { member } => {
                self.moderate(room, me, role, member, ServerMsg::UnmuteRequested { by: me })
            }
            ClientMsg::Mute { member } => self.moderate(room, me, role, member, ServerMsg::MuteRequested { by: me }),
            ClientMsg::RaiseHand { raised } => self.raise_hand(room, me, raised),
            ClientMsg::EndForAll => self.end_for_all(room, role),
            ClientMsg::Signal { to, payload } => self.signal(room, me, to, payload),
            other => return self.out_of_order(conn, other.kind(), "for a member", now),
        };
        if let Err(refusal) = result {
            self.refuse(conn, refusal);
        }
    }

    /// `create`: start a meeting that is not running.
    fn create(
        &mut self,
        conn: ConnId,
        room: RoomId,
        room_proof: super::ids::RoomProof,
        instance: super::ids::MeetingInstance,
        now: Duration,
    ) {
        if !self.charge_knock(conn, now) {
            return self.refuse(conn, Refusal::RateLimited);
        }
        if !room.is_bound_to(&room_proof) {
            // Only a holder of the link can create its room: the id commits to the proof.
            return self.refuse(conn, Refusal::ProofMismatch);
        }
        if self.rooms.contains_key(&room) {
            return self.refuse(conn, Refusal::MeetingExists);
        }
        let mut r = Room { proof: room_proof, instance, locked: false, members: Vec::new(), lobby: Vec::new() };
        let me = r.fresh_id(&mut self.rng);
        let token = room::fresh_token(&mut self.rng);
        r.members.push(room::Member {
            id: me,
            role: Role::Host,
            hand_raised: false,
            presence: Presence::Here(conn),
            token: Some(token.clone()),
        });
        self.rooms.insert(room.clone(), r);
        self.seat(conn, Seat::Member { room: room.clone(), me });
        self.send_joined(conn, &room, me, proto::JoinKind::Created, token);
    }

    /// A member is gone for good: tell the others, hand the host role over, and forget the
    /// meeting when it was the last one.
    fn depart(&mut self, room_id: &RoomId, id: MemberId, reason: LeaveReason) {
        let Some(room) = self.rooms.get_mut(room_id) else { return };
        let Some(i) = room.members.iter().position(|m| m.id == id) else { return };
        let gone = room.members.remove(i);
        if let Some(c) = gone.conn() {
            self.seat(c, Seat::Fresh);
        }
        self.broadcast(room_id, None, &ServerMsg::MemberLeft { member: id, reason });
        if gone.role == Role::Host {
            self.hand_over(room_id);
        }
        self.forget_if_empty(room_id);
    }

    fn forget_if_empty(&mut self, room_id: &RoomId) {
        if self.rooms.get(room_id).is_some_and(|r| r.members.is_empty()) {
            self.end_room(room_id);
        }
    }

    /// Forgets a meeting; everyone still in it (members and knockers) gets `ended`.
    fn end_room(&mut self, room_id: &RoomId) {
        let Some(room) = self.rooms.remove(room_id) else { return };
        let conns: Vec<ConnId> =
            room.members.iter().filter_map(|m| m.conn()).chain(room.lobby.iter().map(|k| k.conn)).collect();
        let bytes = proto::encode(&ServerMsg::Ended);
        for c in conns {
            self.seat(c, Seat::Fresh);
            self.out.push_back(ServerOutput::Send { conn: c, bytes: bytes.clone() });
        }
    }

    /// What a closed connection leaves behind: a withdrawn knock or an away member.
    fn vacate(&mut self, seat: Seat, now: Duration) {
        match seat {
            Seat::Fresh => {}
            Seat::Lobby { room, me } => self.withdraw_knock(&room, me),
            Seat::Member { room, me } => {
                if let Some(m) = self.rooms.get_mut(&room).and_then(|r| r.member_mut(me)) {
                    m.presence = Presence::Away { since: now };
                    self.broadcast(&room, Some(me), &ServerMsg::MemberAway { member: me });
                }
            }
        }
    }

    fn close(&mut self, conn: ConnId, code: CloseCode, now: Duration) {
        if let Some(c) = self.conns.remove(&conn) {
            let reason = match code {
                CloseCode::BadMessage => "malformed message",
                CloseCode::UnsupportedVersion => "unsupported protocol version",
                CloseCode::OutOfOrder => "message not allowed now",
                CloseCode::IdleTimeout => "idle timeout",
                CloseCode::Replaced => "resumed on another connection",
                CloseCode::TooBig => "message too big",
            };
            self.out.push_back(ServerOutput::Close { conn, code, reason });
            self.vacate(c.seat, now);
        }
    }

    fn seat(&mut self, conn: ConnId, seat: Seat) {
        if let Some(c) = self.conns.get_mut(&conn) {
            c.seat = seat;
        }
    }

    /// Takes a token from the connection's address for a knock, create or recreate.
    fn charge_knock(&mut self, conn: ConnId, now: Duration) -> bool {
        let Some(ip) = self.conns.get(&conn).map(|c| c.ip) else { return false };
        self.knock_limiter.try_take(ip, now)
    }

    fn send(&mut self, conn: ConnId, msg: &ServerMsg) {
        self.out.push_back(ServerOutput::Send { conn, bytes: proto::encode(msg) });
    }

    fn refuse(&mut self, conn: ConnId, refusal: Refusal) {
        self.send(conn, &ServerMsg::Error { code: refusal.into(), message: refusal.message() });
    }

    /// Sends to every present member of the room but `except`.
    fn broadcast(&mut self, room: &RoomId, except: Option<MemberId>, msg: &ServerMsg) {
        let Some(r) = self.rooms.get(room) else { return };
        let conns = r.present_conns(except);
        self.send_all(conns, msg);
    }

    fn send_all(&mut self, conns: Vec<ConnId>, msg: &ServerMsg) {
        if conns.is_empty() {
            return;
        }
        let bytes = proto::encode(msg);
        for conn in conns {
            self.out.push_back(ServerOutput::Send { conn, bytes: bytes.clone() });
        }
    }

    /// `joined` to a member that just took its seat, then the lobby if its role sees it.
    /// Fresh TURN credentials for every member whose last ones are half through their lifetime:
    /// a meeting may outlast them, and a relay allocation cannot be refreshed once its
    /// credentials expired (the member uses the fresh ones for every connection it makes from
    /// then on, a rebuilt one included).
    fn reissue_turn(&mut self, now: Duration) {
        let Some(turn) = self.config.turn.clone() else { return };
        let due: Vec<(ConnId, MemberId)> = self
            .conns
            .iter()
            .filter_map(|(&id, c)| match (&c.seat, c.turn_issued) {
                (Seat::Member { me, .. }, Some(at)) if now >= at + turn.ttl / 2 => Some((id, *me)),
                _ => None,
            })
            .collect();
        for (id, me) in due {
            let servers = vec![turn.credentials(me, now)];
            self.send(id, &ServerMsg::IceServers { servers });
            if let Some(c) = self.conns.get_mut(&id) {
                c.turn_issued = Some(now);
            }
        }
    }

    fn send_joined(
        &mut self,
        conn: ConnId,
        room_id: &RoomId,
        me: MemberId,
        how: proto::JoinKind,
        resume_token: super::ids::ResumeToken,
    ) {
        let Some(room) = self.rooms.get(room_id) else { return };
        let Some(m) = room.member(me) else { return };
        let msg = ServerMsg::Joined { how, me, role: m.role, resume_token, locked: room.locked, members: room.infos() };
        let sees_lobby = m.role.sees_lobby();
        // Fresh TURN credentials first, so that the member has them before it connects to anyone.
        if let Some(turn) = &self.config.turn {
            let servers = vec![turn.credentials(me, self.now)];
            self.send(conn, &ServerMsg::IceServers { servers });
            if let Some(c) = self.conns.get_mut(&conn) {
                c.turn_issued = Some(self.now);
            }
        }
        self.send(conn, &msg);
        if sees_lobby {
            self.send_lobby(room_id, conn);
        }
    }
}

#[cfg(test)]
mod tests;
