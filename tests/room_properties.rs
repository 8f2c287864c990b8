//! Property tests: random sequences of client operations against one `RoomServer`, with the
//! protocol's invariants checked after every step.
//!
//! 1. A denied or never-admitted knock is never a member: every new member either created the
//!    meeting or was admitted, from the lobby, by a host or co-host, while it was unlocked.
//! 2. A locked meeting admits no one.
//! 3. A removed member gets no further relays (and a knocker hears only lobby news).
//! 4. An empty meeting leaves no state behind; once everyone is gone and the timers ran, the
//!    server holds nothing at all.
//!
//! 5. When the host is gone, the server's new host is the one the clients compute from the
//!    roster they are told (`roles::successor`).
//!
//! Plus: every meeting with members has exactly one host, and every output is a valid message.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::time::Duration;

use proptest::prelude::*;
use trygg::room::limits::ServerConfig;
use trygg::room::proto::{self, ClientMsg, ServerMsg, Signal};
use trygg::room::roles::{self, Standing};
use trygg::room::server::{RoomServer, RoomSnapshot, ServerOutput};
use trygg::room::{Blob, ConnId, MeetingInstance, MemberId, ResumeToken, Role, RoomId, RoomProof};

const CONNS: u64 = 6;

/// Two rooms, each with its own link: its id commits to its proof.
fn rooms() -> [RoomId; 2] {
    [RoomId::bound_to(&proof_of(0, true)), RoomId::bound_to(&proof_of(1, true))]
}

fn proof_of(room: usize, good: bool) -> RoomProof {
    RoomProof::new(vec![if good { 1 + room as u8 } else { 9 }; 32]).expect("valid")
}

#[derive(Debug, Clone)]
enum Op {
    Connect { conn: u64, ip: u8 },
    Disconnect { conn: u64 },
    Create { conn: u64, room: usize },
    Knock { conn: u64, room: usize, good_proof: bool },
    Admit { conn: u64, target: usize },
    Deny { conn: u64, target: usize },
    Lock { conn: u64, locked: bool },
    Remove { conn: u64, target: usize },
    SetRole { conn: u64, target: usize, role: Role },
    Mute { conn: u64, target: usize },
    Signal { conn: u64, target: usize },
    RaiseHand { conn: u64 },
    Leave { conn: u64 },
    EndForAll { conn: u64 },
    Resume { conn: u64, target: usize },
    Garbage { conn: u64 },
    OutOfTurn { conn: u64, target: usize },
    Advance { millis: u64 },
}

fn op() -> impl Strategy<Value = Op> {
    let conn = 0..CONNS;
    let target = 0usize..16;
    let role = prop_oneof![Just(Role::Host), Just(Role::CoHost), Just(Role::Participant)];
    prop_oneof![
        2 => (conn.clone(), 0u8..3).prop_map(|(conn, ip)| Op::Connect { conn, ip }),
        1 => conn.clone().prop_map(|conn| Op::Disconnect { conn }),
        2 => (conn.clone(), 0usize..2).prop_map(|(conn, room)| Op::Create { conn, room }),
        4 => (conn.clone(), 0usize..2, prop::bool::weighted(0.9))
            .prop_map(|(conn, room, good_proof)| Op::Knock { conn, room, good_proof }),
        4 => (conn.clone(), target.clone()).prop_map(|(conn, target)| Op::Admit { conn, target }),
        1 => (conn.clone(), target.clone()).prop_map(|(conn, target)| Op::Deny { conn, target }),
        2 => (conn.clone(), any::<bool>()).prop_map(|(conn, locked)| Op::Lock { conn, locked }),
        2 => (conn.clone(), target.clone()).prop_map(|(conn, target)| Op::Remove { conn, target }),
        2 => (conn.clone(), target.clone(), role).prop_map(|(conn, target, role)| Op::SetRole { conn, target, role }),
        1 => (conn.clone(), target.clone()).prop_map(|(conn, target)| Op::Mute { conn, target }),
        3 => (conn.clone(), target.clone()).prop_map(|(conn, target)| Op::Signal { conn, target }),
        1 => conn.clone().prop_map(|conn| Op::RaiseHand { conn }),
        1 => conn.clone().prop_map(|conn| Op::Leave { conn }),
        1 => conn.clone().prop_map(|conn| Op::EndForAll { conn }),
        2 => (conn.clone(), target).prop_map(|(conn, target)| Op::Resume { conn, target }),
        1 => conn.clone().prop_map(|conn| Op::Garbage { conn }),
        1 => (conn.clone(), 0usize..16).prop_map(|(conn, target)| Op::OutOfTurn { conn, target }),
        2 => (0u64..40_000).prop_map(|millis| Op::Advance { millis }),
    ]
}

/// What a connection has been told about itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Told {
    Nothing,
    InLobby,
    Member,
    /// Removed from a meeting, not in one since.
    Removed,
}

struct World {
    server: RoomServer,
    now: Duration,
    open: BTreeSet<u64>,
    told: BTreeMap<u64, Told>,
    /// Every id the clients learnt, with its room, in order of first sight.
    ids: Vec<(MemberId, usize)>,
    tokens: BTreeMap<MemberId, ResumeToken>,
    /// The member id each connection was last seated as (by `joined`).
    seat: BTreeMap<u64, MemberId>,
    violations: Vec<String>,
}

impl World {
    fn new() -> Self {
        Self {
            server: RoomServer::new(ServerConfig::default(), [3; 32]),
            now: Duration::from_secs(100),
            open: BTreeSet::new(),
            told: BTreeMap::new(),
            ids: Vec::new(),
            tokens: BTreeMap::new(),
            seat: BTreeMap::new(),
            violations: Vec::new(),
        }
    }

    /// A target for a command: mostly someone in a lobby or meeting now, sometimes any id
    /// ever seen (a member who left, a denied knock).
    fn target(&self, i: usize) -> Option<(MemberId, usize)> {
        let mut now: Vec<(MemberId, usize)> = Vec::new();
        for (r, s) in self.snapshots().iter().enumerate() {
            if let Some(s) = s {
                now.extend(s.lobby.iter().map(|&id| (id, r)));
                now.extend(s.members.iter().map(|m| (m.id, r)));
            }
        }
        if i < 12 && !now.is_empty() {
            Some(now[i % now.len()])
        } else {
            (!self.ids.is_empty()).then(|| self.ids[i % self.ids.len()])
        }
    }

    /// Sends what a well-behaved client in the connection's state could send: member commands
    /// only when seated, entries only when not. (Misbehaviour is the `Garbage` and
    /// `OutOfTurn` operations' job.)
    fn send(&mut self, conn: u64, msg: &ClientMsg) {
        let seated = self.seat.contains_key(&conn);
        let in_lobby = self.told.get(&conn) == Some(&Told::InLobby);
        let fits = match msg {
            ClientMsg::Create { .. } | ClientMsg::Look { .. } | ClientMsg::Knock { .. } | ClientMsg::Resume { .. } => {
                !seated && !in_lobby
            }
            ClientMsg::Leave => seated || in_lobby,
            _ => seated,
        };
        if fits {
            self.send_anyway(conn, msg);
        }
    }

    fn send_anyway(&mut self, conn: u64, msg: &ClientMsg) {
        if self.open.contains(&conn) {
            self.server.handle_message(ConnId(conn), &proto::encode(msg), self.now);
        }
    }

    fn snapshots(&self) -> [Option<RoomSnapshot>; 2] {
        let [a, b] = rooms();
        [self.server.room(&a), self.server.room(&b)]
    }

    fn apply(&mut self, op: &Op) {
        match *op {
            Op::Connect { conn, ip } => {
                if !self.open.contains(&conn)
                    && self.server.handle_connect(ConnId(conn), IpAddr::from([10, 0, 0, ip]), self.now).is_ok()
                {
                    self.open.insert(conn);
                    self.told.insert(conn, Told::Nothing);
                }
            }
            Op::Disconnect { conn } => {
                if self.open.remove(&conn) {
                    self.server.handle_disconnect(ConnId(conn), self.now);
                }
            }
            Op::Create { conn, room } => self.send(
                conn,
                &ClientMsg::Create {
                    room: rooms()[room].clone(),
                    room_proof: proof_of(room, true),
                    instance: MeetingInstance::from_bytes([room as u8; 16]),
                },
            ),
            Op::Knock { conn, room, good_proof } => self.send(
                conn,
                &ClientMsg::Knock {
                    room: rooms()[room].clone(),
                    room_proof: proof_of(room, good_proof),
                    sealed_profile: Blob(vec![1]),
                },
            ),
            Op::Admit { conn, target } => {
                if let Some((member, _)) = self.target(target) {
                    self.send(conn, &ClientMsg::Admit { member });
                }
            }
            Op::Deny { conn, target } => {
                if let Some((member, _)) = self.target(target) {
                    self.send(conn, &ClientMsg::Deny { member });
                }
            }
            Op::Lock { conn, locked } => self.send(conn, &ClientMsg::Lock { locked }),
            Op::Remove { conn, target } => {
                if let Some((member, _)) = self.target(target) {
                    self.send(conn, &ClientMsg::Remove { member });
                }
            }
            Op::SetRole { conn, target, role } => {
                if let Some((member, _)) = self.target(target) {
                    self.send(conn, &ClientMsg::SetRole { member, role });
                }
            }
            Op::Mute { conn, target } => {
                if let Some((member, _)) = self.target(target) {
                    self.send(conn, &ClientMsg::Mute { member });
                }
            }
            Op::Signal { conn, target } => {
                if let Some((to, _)) = self.target(target) {
                    self.send(conn, &ClientMsg::Signal { to, payload: Signal::Handshake { data: Blob(vec![7]) } });
                }
            }
            Op::RaiseHand { conn } => self.send(conn, &ClientMsg::RaiseHand { raised: true }),
            Op::Leave { conn } => self.send(conn, &ClientMsg::Leave),
            Op::EndForAll { conn } => self.send(conn, &ClientMsg::EndForAll),
            Op::Resume { conn, target } => {
                if let Some((me, room)) = self.target(target)
                    && let Some(token) = self.tokens.get(&me).cloned()
                {
                    self.send(conn, &ClientMsg::Resume { room: rooms()[room].clone(), me, token });
                }
            }
            Op::Garbage { conn } => {
                if self.open.contains(&conn) {
                    self.server.handle_message(ConnId(conn), b"{\"v\":1,\"type\":\"nope\"}", self.now);
                }
            }
            Op::OutOfTurn { conn, target } => {
                if let Some((member, _)) = self.target(target) {
                    self.send_anyway(conn, &ClientMsg::Admit { member });
                }
            }
            Op::Advance { millis } => {
                let end = self.now + Duration::from_millis(millis);
                while let Some(t) = self.server.poll_timeout().filter(|&t| t <= end) {
                    self.now = self.now.max(t);
                    self.server.handle_timeout(self.now);
                    self.observe();
                }
                self.now = end;
            }
        }
    }

    /// Drains the outputs, checking what each connection is told.
    fn observe(&mut self) {
        while let Some(out) = self.server.poll_output() {
            match out {
                ServerOutput::Close { conn, .. } => {
                    self.open.remove(&conn.0);
                    self.seat.remove(&conn.0);
                }
                ServerOutput::Send { conn, bytes } => {
                    let msg = match proto::decode_server(&bytes, usize::MAX) {
                        Ok(m) => m,
                        Err(e) => {
                            self.violations.push(format!("undecodable output: {e}"));
                            continue;
                        }
                    };
                    if matches!(msg, ServerMsg::Ping) {
                        // Clients answer pings (idle timeouts are covered by the scenarios).
                        self.server.handle_message(conn, &proto::encode(&ClientMsg::Pong), self.now);
                        continue;
                    }
                    let told = self.told.get(&conn.0).copied().unwrap_or(Told::Nothing);
                    let is_entry_answer = matches!(
                        msg,
                        ServerMsg::Joined { .. }
                            | ServerMsg::InLobby { .. }
                            | ServerMsg::Error { .. }
                            | ServerMsg::NoSuchMeeting
                            | ServerMsg::RoomLocked
                            | ServerMsg::ResumeFailed
                            | ServerMsg::Pong
                    );
                    match told {
                        Told::Removed | Told::Nothing if !is_entry_answer => {
                            self.violations.push(format!("conn {} outside any meeting got {}", conn.0, msg.kind()))
                        }
                        Told::InLobby
                            if !matches!(
                                msg,
                                ServerMsg::Joined { .. }
                                    | ServerMsg::Denied
                                    | ServerMsg::KnockExpired
                                    | ServerMsg::Ended
                                    | ServerMsg::Pong
                            ) =>
                        {
                            self.violations.push(format!("knocker {} got {}", conn.0, msg.kind()))
                        }
                        _ => {}
                    }
                    let next = match &msg {
                        ServerMsg::Joined { me, resume_token, .. } => {
                            self.tokens.insert(*me, resume_token.clone());
                            self.learn(*me);
                            Some(Told::Member)
                        }
                        ServerMsg::InLobby { me } => {
                            self.learn(*me);
                            Some(Told::InLobby)
                        }
                        ServerMsg::Removed => Some(Told::Removed),
                        ServerMsg::Denied | ServerMsg::KnockExpired | ServerMsg::Ended => Some(Told::Nothing),
                        _ => None,
                    };
                    if let Some(t) = next {
                        self.told.insert(conn.0, t);
                        match &msg {
                            ServerMsg::Joined { me, .. } => self.seat.insert(conn.0, *me),
                            _ => self.seat.remove(&conn.0),
                        };
                    }
                }
            }
        }
    }

    fn learn(&mut self, id: MemberId) {
        if self.ids.iter().all(|(i, _)| *i != id) {
            let room = self.snapshots().iter().position(|s| {
                s.as_ref().is_some_and(|s| s.members.iter().any(|m| m.id == id) || s.lobby.contains(&id))
            });
            self.ids.push((id, room.unwrap_or(0)));
        }
    }
}

/// The role and room of a present member, in a snapshot.
fn present_role(snaps: &[Option<RoomSnapshot>; 2], id: MemberId) -> Option<(Role, usize)> {
    snaps
        .iter()
        .enumerate()
        .find_map(|(r, s)| s.as_ref()?.members.iter().find(|m| m.id == id && m.present).map(|m| (m.role, r)))
}

fn check_step(world: &mut World, op: &Op, before: &[Option<RoomSnapshot>; 2], actor: Option<MemberId>) {
    let after = world.snapshots();
    for (r, (b, a)) in before.iter().zip(after.iter()).enumerate() {
        let Some(a) = a else { continue };
        // 4: a meeting the server holds has members, and exactly one host.
        if a.members.is_empty() {
            world.violations.push(format!("room {r} kept with no members"));
        }
        if a.members.iter().filter(|m| m.role == Role::Host).count() != 1 {
            world.violations.push(format!("room {r} has not exactly one host: {:?}", a.members));
        }
        // 5: when the host is gone, the new host is the one every client computes from the
        // roster it is told (`roles::successor`, the rule the client's recreate order and the
        // meeting's MLS hand-over use too).
        let host = |s: &RoomSnapshot| s.members.iter().find(|m| m.role == Role::Host).map(|m| m.id);
        if let Some(old_host) = b.as_ref().and_then(host)
            && !a.members.iter().any(|m| m.id == old_host)
            && let Some(new_host) = host(a)
        {
            let was = |id: MemberId| b.as_ref().and_then(|b| b.members.iter().find(|m| m.id == id)).map(|m| m.role);
            let roster = a.members.iter().map(|m| Standing {
                role: if m.id == new_host { was(m.id).unwrap_or(m.role) } else { m.role },
                ..m.standing()
            });
            let computed = roles::successor(roster, Some(old_host));
            if computed != Some(new_host) {
                world
                    .violations
                    .push(format!("room {r}: the server made {new_host} host, the clients compute {computed:?}"));
            }
        }
        let old: BTreeSet<MemberId> = b.iter().flat_map(|s| s.members.iter().map(|m| m.id)).collect();
        let new: Vec<MemberId> = a.members.iter().map(|m| m.id).filter(|id| !old.contains(id)).collect();
        for id in new {
            let created = matches!(op, Op::Create { room, .. } if *room == r) && b.is_none() && a.members.len() == 1;
            // 1 and 2: admitted from this room's lobby, by a present host or co-host of this
            // room, while it was unlocked.
            let admitted = matches!(op, Op::Admit { .. } | Op::OutOfTurn { .. })
                && b.as_ref().is_some_and(|b| b.lobby.contains(&id) && !b.locked)
                && actor
                    .and_then(|actor| present_role(before, actor))
                    .is_some_and(|(role, room)| room == r && role != Role::Participant);
            if !(created || admitted) {
                world.violations.push(format!(
                    "{id} became a member of room {r} by {op:?} (locked before: {:?})",
                    b.as_ref().map(|b| b.locked)
                ));
            }
        }
    }
}

fn run(ops: &[Op]) -> Vec<String> {
    let mut world = World::new();
    let start = (0..CONNS)
        .map(|conn| Op::Connect { conn, ip: (conn % 3) as u8 })
        .chain([Op::Create { conn: 0, room: 0 }, Op::Create { conn: 1, room: 1 }]);
    for op in start.collect::<Vec<_>>().iter().chain(ops) {
        let before = world.snapshots();
        let actor = match op {
            Op::Admit { conn, .. } | Op::OutOfTurn { conn, .. } => world.seat.get(conn).copied(),
            _ => None,
        };
        world.apply(op);
        world.observe();
        check_step(&mut world, op, &before, actor);
        if !world.violations.is_empty() {
            return world.violations;
        }
    }
    // 4: everyone goes; once the timers ran, nothing is left.
    for conn in std::mem::take(&mut world.open) {
        world.server.handle_disconnect(ConnId(conn), world.now);
    }
    world.apply(&Op::Advance { millis: 11 * 60 * 1000 });
    world.observe();
    let s = &world.server;
    if s.room_count() + s.connection_count() + s.rate_limited_addresses() != 0 || s.poll_timeout().is_some() {
        world.violations.push(format!(
            "state left behind: {} rooms, {} connections, {} addresses, timeout {:?}",
            s.room_count(),
            s.connection_count(),
            s.rate_limited_addresses(),
            s.poll_timeout()
        ));
    }
    world.violations
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_operations_keep_the_room_invariants(ops in prop::collection::vec(op(), 1..80)) {
        let violations = run(&ops);
        prop_assert!(violations.is_empty(), "{violations:#?}");
    }
}
