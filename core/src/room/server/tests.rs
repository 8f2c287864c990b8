//! The server alone, driven by raw client messages: permissions, lock, limits, timers.

use std::net::IpAddr;
use std::time::Duration;

use super::*;
use crate::room::ids::{Blob, MeetingInstance, RoomProof};
use crate::room::proto::{JoinKind, KnockEnd, RosterEntry, Signal, decode_server, encode};

const T0: Duration = Duration::from_secs(1000);

/// The room of `proof()`: room ids commit to the proof.
const RUN: MeetingInstance = MeetingInstance::from_bytes([6; 16]);

fn room() -> RoomId {
    RoomId::bound_to(&proof())
}

fn proof() -> RoomProof {
    RoomProof::new(vec![7; 32]).expect("valid")
}

fn ip(n: u8) -> IpAddr {
    IpAddr::from([192, 0, 2, n])
}

struct Harness {
    server: RoomServer,
    now: Duration,
    outputs: Vec<ServerOutput>,
    /// Connections that do not answer pings (all others do, and their pings are not kept).
    silent: Vec<u64>,
}

impl Harness {
    fn new() -> Self {
        Self::with(ServerConfig::default())
    }

    fn with(config: ServerConfig) -> Self {
        Self { server: RoomServer::new(config, [42; 32]), now: T0, outputs: Vec::new(), silent: Vec::new() }
    }

    fn connect(&mut self, conn: u64, from: u8) {
        self.server.handle_connect(ConnId(conn), ip(from), self.now).expect("connect");
    }

    fn send(&mut self, conn: u64, msg: ClientMsg) {
        self.server.handle_message(ConnId(conn), &encode(&msg), self.now);
        self.drain();
    }

    fn raw(&mut self, conn: u64, bytes: &[u8]) {
        self.server.handle_message(ConnId(conn), bytes, self.now);
        self.drain();
    }

    fn advance(&mut self, by: Duration) {
        let end = self.now + by;
        while let Some(t) = self.server.poll_timeout().filter(|&t| t <= end) {
            self.now = t.max(self.now);
            self.server.handle_timeout(self.now);
            self.drain();
        }
        self.now = end;
    }

    fn drain(&mut self) {
        let ping = encode(&ServerMsg::Ping);
        let mut pongs = Vec::new();
        while let Some(o) = self.server.poll_output() {
            match o {
                ServerOutput::Send { conn, bytes } if bytes == ping && !self.silent.contains(&conn.0) => {
                    pongs.push(conn)
                }
                o => self.outputs.push(o),
            }
        }
        for conn in pongs {
            self.server.handle_message(conn, &encode(&ClientMsg::Pong), self.now);
        }
    }

    /// Messages sent to `conn` since the last call, decoded.
    fn inbox(&mut self, conn: u64) -> Vec<ServerMsg> {
        let mut mine = Vec::new();
        self.outputs.retain(|o| match o {
            ServerOutput::Send { conn: c, bytes } if c.0 == conn => {
                mine.push(decode_server(bytes, usize::MAX).expect("server sends valid messages"));
                false
            }
            _ => true,
        });
        mine
    }

    fn closed(&mut self, conn: u64) -> Option<CloseCode> {
        let i = self.outputs.iter().position(|o| matches!(o, ServerOutput::Close { conn: c, .. } if c.0 == conn))?;
        match self.outputs.remove(i) {
            ServerOutput::Close { code, .. } => Some(code),
            ServerOutput::Send { .. } => None,
        }
    }

    fn create(&mut self, conn: u64) -> MemberId {
        self.connect(conn, conn as u8);
        self.send(conn, ClientMsg::Create { room: room(), room_proof: proof(), instance: RUN });
        match self.inbox(conn).as_slice() {
            [ServerMsg::Joined { how: JoinKind::Created, me, role: Role::Host, .. }] => *me,
            other => panic!("expected joined(created), got {other:?}"),
        }
    }

    fn knock(&mut self, conn: u64) -> MemberId {
        self.connect(conn, conn as u8);
        self.send(conn, ClientMsg::Knock { room: room(), room_proof: proof(), sealed_profile: Blob(b"{}".to_vec()) });
        match self.inbox(conn).as_slice() {
            [ServerMsg::InLobby { me }] => *me,
            other => panic!("expected in_lobby, got {other:?}"),
        }
    }

    /// Host on conn 1, then each other conn knocks and is admitted.
    fn meeting(&mut self, others: &[u64]) -> (MemberId, Vec<MemberId>) {
        let host = self.create(1);
        let mut ids = Vec::new();
        for &c in others {
            let id = self.knock(c);
            self.send(1, ClientMsg::Admit { member: id });
            ids.push(id);
        }
        for c in std::iter::once(1).chain(others.iter().copied()) {
            self.inbox(c);
        }
        (host, ids)
    }

    fn snapshot(&self) -> RoomSnapshot {
        self.server.room(&room()).expect("room exists")
    }

    fn role_of(&self, id: MemberId) -> Role {
        self.snapshot().members.iter().find(|m| m.id == id).expect("member").role
    }
}

fn error_code(msgs: &[ServerMsg]) -> Option<&str> {
    msgs.iter().find_map(|m| match m {
        ServerMsg::Error { code, .. } => Some(code.as_str()),
        _ => None,
    })
}

#[test]
fn create_makes_the_sender_host_and_a_second_create_is_refused() {
    let mut h = Harness::new();
    let host = h.create(1);
    assert_eq!(h.role_of(host), Role::Host);
    h.connect(2, 2);
    h.send(2, ClientMsg::Create { room: room(), room_proof: proof(), instance: RUN });
    assert_eq!(error_code(&h.inbox(2)), Some("room.meeting_exists"));
    assert_eq!(h.snapshot().members.len(), 1);
}

#[test]
fn knock_on_a_missing_meeting_or_with_a_wrong_proof_is_no_such_meeting() {
    let mut h = Harness::new();
    h.connect(2, 2);
    h.send(2, ClientMsg::Knock { room: room(), room_proof: proof(), sealed_profile: Blob::default() });
    assert_eq!(h.inbox(2), vec![ServerMsg::NoSuchMeeting]);
    assert_eq!(h.server.room_count(), 0, "a knock never creates a meeting");
    h.create(1);
    let wrong = RoomProof::new(vec![8; 32]).expect("valid");
    h.send(2, ClientMsg::Knock { room: room(), room_proof: wrong, sealed_profile: Blob::default() });
    assert_eq!(h.inbox(2), vec![ServerMsg::NoSuchMeeting]);
    assert!(h.snapshot().lobby.is_empty());
}

#[test]
fn knocks_reach_hosts_and_co_hosts_only_and_admit_makes_a_participant() {
    let mut h = Harness::new();
    let (_, ids) = h.meeting(&[2, 3]);
    h.send(1, ClientMsg::SetRole { member: ids[0], role: Role::CoHost });
    for c in 1..=3 {
        h.inbox(c);
    }
    let k = h.knock(4);
    let knock = ServerMsg::Knock { member: k, sealed_profile: Blob(b"{}".to_vec()) };
    assert_eq!(h.inbox(1), vec![knock.clone()]);
    assert_eq!(h.inbox(2), vec![knock], "co-host sees the lobby");
    assert_eq!(h.inbox(3), vec![], "participant does not");
    h.send(2, ClientMsg::Admit { member: k });
    assert!(
        matches!(h.inbox(4).as_slice(), [ServerMsg::Joined { how: JoinKind::Admitted, role: Role::Participant, members, .. }] if members.len() == 4)
    );
    let to_p = h.inbox(3);
    assert!(matches!(to_p.as_slice(), [ServerMsg::MemberJoined { sealed_profile: Some(_), .. }]), "{to_p:?}");
    assert!(h.inbox(1).contains(&ServerMsg::KnockWithdrawn { member: k, reason: KnockEnd::Admitted }));
    assert_eq!(h.role_of(k), Role::Participant);
}

#[test]
fn deny_tells_the_knocker_who_is_never_a_member() {
    let mut h = Harness::new();
    h.create(1);
    let k = h.knock(2);
    h.inbox(1);
    h.send(1, ClientMsg::Deny { member: k });
    assert_eq!(h.inbox(2), vec![ServerMsg::Denied]);
    assert_eq!(h.inbox(1), vec![ServerMsg::KnockWithdrawn { member: k, reason: KnockEnd::Denied }]);
    h.send(1, ClientMsg::Admit { member: k });
    assert_eq!(error_code(&h.inbox(1)), Some("room.unknown_member"));
    assert!(h.snapshot().members.iter().all(|m| m.id != k));
}

#[test]
fn a_locked_meeting_refuses_knocks_and_admits_no_one_but_can_deny() {
    let mut h = Harness::new();
    h.create(1);
    let waiting = h.knock(2);
    h.send(1, ClientMsg::Lock { locked: true });
    assert!(h.inbox(1).contains(&ServerMsg::Locked { locked: true }));
    h.connect(3, 3);
    h.send(3, ClientMsg::Knock { room: room(), room_proof: proof(), sealed_profile: Blob::default() });
    assert_eq!(h.inbox(3), vec![ServerMsg::RoomLocked]);
    h.send(1, ClientMsg::Admit { member: waiting });
    assert_eq!(error_code(&h.inbox(1)), Some("room.locked"));
    assert_eq!(h.snapshot().members.len(), 1);
    assert_eq!(h.snapshot().lobby, vec![waiting], "the knock keeps waiting");
    h.send(1, ClientMsg::Lock { locked: false });
    h.send(1, ClientMsg::Admit { member: waiting });
    assert_eq!(h.snapshot().members.len(), 2, "after unlocking, the waiting knock can be admitted");
}

#[test]
fn participants_get_refusals_for_host_controls_and_stay_connected() {
    let mut h = Harness::new();
    let (host, ids) = h.meeting(&[2, 3]);
    let k = h.knock(4);
    for msg in [
        ClientMsg::Admit { member: k },
        ClientMsg::Deny { member: k },
        ClientMsg::Lock { locked: true },
        ClientMsg::Remove { member: ids[1] },
        ClientMsg::SetRole { member: ids[1], role: Role::Host },
        ClientMsg::Mute { member: host },
        ClientMsg::RequestUnmute { member: ids[1] },
        ClientMsg::EndForAll,
    ] {
        let kind = msg.kind();
        h.send(2, msg);
        assert_eq!(error_code(&h.inbox(2)), Some("room.not_allowed"), "{kind}");
    }
    assert_eq!(h.closed(2), None);
    assert_eq!(h.snapshot().members.len(), 3);
    assert!(!h.snapshot().locked);
    assert_eq!(h.role_of(host), Role::Host);
}

#[test]
fn co_hosts_moderate_participants_but_not_hosts_co_hosts_or_roles() {
    let mut h = Harness::new();
    let (host, ids) = h.meeting(&[2, 3, 4]);
    h.send(1, ClientMsg::SetRole { member: ids[0], role: Role::CoHost });
    h.send(1, ClientMsg::SetRole { member: ids[1], role: Role::CoHost });
    (1..=4).for_each(|c| drop(h.inbox(c)));
    for msg in [
        ClientMsg::Remove { member: host },
        ClientMsg::Remove { member: ids[1] },
        ClientMsg::Mute { member: host },
        ClientMsg::SetRole { member: ids[2], role: Role::CoHost },
        ClientMsg::EndForAll,
    ] {
        let kind = msg.kind();
        h.send(2, msg);
        assert_eq!(error_code(&h.inbox(2)), Some("room.not_allowed"), "{kind}");
    }
    h.send(2, ClientMsg::Mute { member: ids[2] });
    assert_eq!(h.inbox(4), vec![ServerMsg::MuteRequested { by: ids[0] }]);
    h.send(2, ClientMsg::Remove { member: ids[2] });
    assert_eq!(h.inbox(4), vec![ServerMsg::Removed]);
    assert!(h.inbox(1).contains(&ServerMsg::MemberLeft { member: ids[2], reason: LeaveReason::Removed }));
}

#[test]
fn a_removed_member_gets_no_relay_and_can_send_none() {
    let mut h = Harness::new();
    let (host, ids) = h.meeting(&[2, 3]);
    h.send(1, ClientMsg::Remove { member: ids[0] });
    assert_eq!(h.inbox(2), vec![ServerMsg::Removed]);
    h.send(3, ClientMsg::Signal { to: ids[0], payload: Signal::Handshake { data: Blob(vec![1]) } });
    assert_eq!(error_code(&h.inbox(3)), Some("room.unknown_member"));
    h.send(3, ClientMsg::RaiseHand { raised: true });
    h.send(1, ClientMsg::Lock { locked: true });
    assert_eq!(h.inbox(2), vec![], "nothing of the meeting reaches the removed connection");
    h.send(2, ClientMsg::Signal { to: host, payload: Signal::Handshake { data: Blob(vec![1]) } });
    assert_eq!(h.closed(2), Some(CloseCode::OutOfOrder), "it is not a member anymore");
    assert_eq!(h.inbox(1).iter().filter(|m| matches!(m, ServerMsg::Signal { .. })).count(), 0);
}

#[test]
fn handing_the_host_role_over_makes_the_old_host_a_co_host() {
    let mut h = Harness::new();
    let (host, ids) = h.meeting(&[2]);
    h.send(1, ClientMsg::SetRole { member: ids[0], role: Role::Host });
    assert_eq!((h.role_of(host), h.role_of(ids[0])), (Role::CoHost, Role::Host));
    let seen = h.inbox(2);
    assert!(seen.contains(&ServerMsg::RoleChanged { member: ids[0], role: Role::Host }));
    assert!(seen.contains(&ServerMsg::RoleChanged { member: host, role: Role::CoHost }));
}

#[test]
fn when_the_host_leaves_the_longest_present_co_host_takes_over() {
    let mut h = Harness::new();
    let (_, ids) = h.meeting(&[2, 3, 4]);
    h.send(1, ClientMsg::SetRole { member: ids[2], role: Role::CoHost });
    h.send(1, ClientMsg::Leave);
    assert_eq!(h.role_of(ids[2]), Role::Host, "the co-host, although it joined last");
    assert!(h.inbox(2).contains(&ServerMsg::RoleChanged { member: ids[2], role: Role::Host }));
    h.send(4, ClientMsg::Leave);
    assert_eq!(h.role_of(ids[0]), Role::Host, "no co-host left: the longest-present participant");
}

#[test]
fn a_new_host_is_shown_the_waiting_knocks() {
    let mut h = Harness::new();
    let (_, ids) = h.meeting(&[2]);
    let k = h.knock(3);
    h.inbox(2);
    h.send(1, ClientMsg::Leave);
    let seen = h.inbox(2);
    assert!(seen.iter().any(|m| matches!(m, ServerMsg::Knock { member, .. } if *member == k)), "{seen:?}");
    assert_eq!(h.role_of(ids[0]), Role::Host);
    h.send(2, ClientMsg::Admit { member: k });
    assert!(h.snapshot().members.iter().any(|m| m.id == k));
}

#[test]
fn signals_go_only_between_present_members_of_one_meeting() {
    let mut h = Harness::new();
    let (host, ids) = h.meeting(&[2]);
    let payload = Signal::Sdp { sdp_type: crate::room::proto::SdpType::Offer, sdp: "v=0".into() };
    h.send(2, ClientMsg::Signal { to: host, payload: payload.clone() });
    assert_eq!(h.inbox(1), vec![ServerMsg::Signal { from: ids[0], payload: payload.clone() }]);
    let k = h.knock(3);
    h.send(1, ClientMsg::Signal { to: k, payload: payload.clone() });
    assert_eq!(error_code(&h.inbox(1)), Some("room.unknown_member"), "a knocker receives no signal");
    assert!(h.inbox(3).is_empty());
    h.send(3, ClientMsg::Signal { to: host, payload });
    assert_eq!(h.closed(3), Some(CloseCode::OutOfOrder), "a knocker sends none");
}

#[test]
fn bad_input_closes_only_that_connection() {
    let mut h = Harness::with(ServerConfig { max_message_size: 1024, ..ServerConfig::default() });
    let (_, _ids) = h.meeting(&[2, 3, 4, 5]);
    h.raw(2, b"{not json");
    h.raw(3, &vec![b' '; 1025]);
    h.raw(4, br#"{"v":9,"type":"leave"}"#);
    h.send(5, ClientMsg::Create { room: room(), room_proof: proof(), instance: RUN });
    assert_eq!(h.closed(2), Some(CloseCode::BadMessage));
    assert_eq!(h.closed(3), Some(CloseCode::TooBig));
    assert_eq!(h.closed(4), Some(CloseCode::UnsupportedVersion));
    assert_eq!(h.closed(5), Some(CloseCode::OutOfOrder));
    assert_eq!(h.closed(1), None);
    assert_eq!(h.server.connection_count(), 1);
    h.send(1, ClientMsg::Ping);
    assert!(h.inbox(1).contains(&ServerMsg::Pong), "the host's connection is unaffected");
}

#[test]
fn a_silent_connection_is_away_within_idle_timeout_then_gone_after_grace() {
    let mut h = Harness::new();
    let (host, ids) = h.meeting(&[2, 3]);
    h.silent.push(2);
    let start = h.now;
    let mut away_at = None;
    while h.now < start + Duration::from_secs(40) {
        h.advance(Duration::from_millis(100));
        if h.inbox(1).contains(&ServerMsg::MemberAway { member: ids[0] }) {
            away_at.get_or_insert(h.now - start);
        }
    }
    let away_at = away_at.expect("reported away");
    assert!(away_at <= Duration::from_millis(8500), "away after {away_at:?}");
    assert_eq!(h.closed(2), Some(CloseCode::IdleTimeout));
    assert_eq!(h.closed(3), None, "the others answer pings and stay");
    let ids_now: Vec<MemberId> = h.snapshot().members.iter().map(|m| m.id).collect();
    assert_eq!(ids_now, vec![host, ids[1]], "gone after the grace period");
}

#[test]
fn host_that_times_out_is_replaced_and_the_last_one_out_leaves_no_state() {
    let mut h = Harness::new();
    let (_, ids) = h.meeting(&[2]);
    h.server.handle_disconnect(ConnId(1), h.now);
    h.advance(Duration::from_secs(31));
    assert_eq!(h.role_of(ids[0]), Role::Host);
    h.send(2, ClientMsg::Leave);
    assert_eq!(h.server.room_count(), 0);
    h.server.handle_disconnect(ConnId(2), h.now);
    h.advance(Duration::from_secs(60));
    assert_eq!((h.server.connection_count(), h.server.rate_limited_addresses()), (0, 0));
    assert_eq!(h.server.poll_timeout(), None, "nothing left to wake up for");
}

#[test]
fn resume_within_grace_restores_id_and_role_with_a_fresh_token() {
    let mut h = Harness::new();
    let host = h.create(1);
    h.inbox(1);
    h.send(1, ClientMsg::Ping);
    h.server.handle_disconnect(ConnId(1), h.now);
    let token = {
        // Re-create the token the way the client learnt it: from the joined of a fresh server run.
        let mut h2 = Harness::new();
        h2.connect(1, 1);
        h2.send(1, ClientMsg::Create { room: room(), room_proof: proof(), instance: RUN });
        match h2.inbox(1).remove(0) {
            ServerMsg::Joined { resume_token, .. } => resume_token,
            other => panic!("{other:?}"),
        }
    };
    h.advance(Duration::from_secs(10));
    h.connect(9, 1);
    h.send(9, ClientMsg::Resume { room: room(), me: host, token: token.clone() });
    let answer = h.inbox(9);
    let new_token = match answer.as_slice() {
        [ServerMsg::Joined { how: JoinKind::Resumed, me, role: Role::Host, resume_token, .. }] if *me == host => {
            resume_token.clone()
        }
        other => panic!("{other:?}"),
    };
    assert_ne!(new_token, token);
    h.connect(10, 1);
    h.send(10, ClientMsg::Resume { room: room(), me: host, token });
    assert_eq!(h.inbox(10), vec![ServerMsg::ResumeFailed], "the old token is spent");
    h.send(10, ClientMsg::Resume { room: room(), me: host, token: new_token });
    assert_eq!(h.closed(9), Some(CloseCode::Replaced), "a half-open connection is replaced");
    assert!(h.snapshot().members[0].present);
}

#[test]
fn recreate_reserves_the_roster_and_only_listed_members_with_the_proof_rejoin() {
    let mut h = Harness::new();
    let old = [MemberId::from_bytes([1; 8]), MemberId::from_bytes([2; 8]), MemberId::from_bytes([3; 8])];
    h.connect(1, 1);
    h.send(
        1,
        ClientMsg::Recreate {
            room: room(),
            room_proof: proof(),
            me: old[1],
            locked: true,
            roster: vec![
                RosterEntry { id: old[0], role: Role::Host },
                RosterEntry { id: old[2], role: Role::Participant },
            ],
            instance: RUN,
        },
    );
    assert!(matches!(
        h.inbox(1).as_slice(),
        [ServerMsg::Joined { how: JoinKind::Recreated, role: Role::Host, locked: true, .. }]
    ));
    assert_eq!(h.role_of(old[0]), Role::CoHost, "a listed host is demoted: the recreator is host");
    h.connect(2, 2);
    h.send(2, ClientMsg::Rejoin { room: room(), room_proof: RoomProof::new(vec![9; 32]).expect("valid"), me: old[0] });
    assert_eq!(h.inbox(2), vec![ServerMsg::NoSuchMeeting], "wrong proof");
    h.send(2, ClientMsg::Rejoin { room: room(), room_proof: proof(), me: MemberId::from_bytes([4; 8]) });
    assert_eq!(error_code(&h.inbox(2)), Some("room.unknown_member"), "not listed");
    h.send(2, ClientMsg::Rejoin { room: room(), room_proof: proof(), me: old[0] });
    assert!(matches!(
        h.inbox(2).as_slice(),
        [ServerMsg::Joined { how: JoinKind::Rejoined, role: Role::CoHost, .. }, ..]
    ));
    assert_eq!(h.inbox(1), vec![ServerMsg::MemberBack { member: old[0] }]);
    h.connect(3, 3);
    h.send(3, ClientMsg::Rejoin { room: room(), room_proof: proof(), me: old[0] });
    assert_eq!(error_code(&h.inbox(3)), Some("room.unknown_member"), "a taken seat cannot be taken over");
    h.advance(Duration::from_secs(31));
    assert!(h.snapshot().members.iter().all(|m| m.id != old[2]), "untaken seats expire");
    assert!(h.inbox(1).contains(&ServerMsg::MemberLeft { member: old[2], reason: LeaveReason::TimedOut }));
}

#[test]
fn a_recreate_with_another_proof_is_refused_and_with_the_same_is_a_rejoin() {
    let mut h = Harness::new();
    let a = MemberId::from_bytes([1; 8]);
    let b = MemberId::from_bytes([2; 8]);
    let recreate = |me, room_proof| ClientMsg::Recreate {
        room: room(),
        room_proof,
        me,
        locked: false,
        roster: vec![RosterEntry { id: if me == a { b } else { a }, role: Role::Participant }],
        instance: RUN,
    };
    h.connect(1, 1);
    h.send(1, recreate(a, proof()));
    h.connect(2, 2);
    h.send(2, recreate(b, RoomProof::new(vec![9; 32]).expect("valid")));
    assert_eq!(error_code(&h.inbox(2)), Some("room.proof_mismatch"));
    h.send(2, recreate(b, proof()));
    assert!(matches!(h.inbox(2).as_slice(), [ServerMsg::Joined { how: JoinKind::Rejoined, .. }]));
    assert_eq!(h.snapshot().members.iter().filter(|m| m.role == Role::Host).count(), 1);
}

#[test]
fn nobody_can_create_or_recreate_a_room_without_its_proof() {
    let mut h = Harness::new();
    h.connect(1, 1);
    // A squatter who knows the room id (but not the link) tries to start the meeting first.
    let junk = RoomProof::new(vec![9; 32]).expect("valid");
    h.send(1, ClientMsg::Create { room: room(), room_proof: junk.clone(), instance: RUN });
    assert_eq!(error_code(&h.inbox(1)), Some("room.proof_mismatch"));
    let roster = vec![RosterEntry { id: MemberId::from_bytes([2; 8]), role: Role::Participant }];
    let me = MemberId::from_bytes([1; 8]);
    h.send(1, ClientMsg::Recreate { room: room(), room_proof: junk, me, locked: false, roster, instance: RUN });
    assert_eq!(error_code(&h.inbox(1)), Some("room.proof_mismatch"));
    assert!(h.server.room(&room()).is_none(), "no room was made");
    // The host, with the link's proof, can.
    h.connect(2, 2);
    h.send(2, ClientMsg::Create { room: room(), room_proof: proof(), instance: RUN });
    assert!(matches!(h.inbox(2).as_slice(), [ServerMsg::Joined { how: JoinKind::Created, .. }]));
}

#[test]
fn knock_flood_from_one_address_is_limited_while_others_are_served() {
    let mut h = Harness::new();
    h.create(1);
    h.connect(66, 66);
    let mut refused = 0;
    for _ in 0..100 {
        h.send(66, ClientMsg::Knock { room: room(), room_proof: proof(), sealed_profile: Blob::default() });
        match h.inbox(66).as_slice() {
            [ServerMsg::InLobby { .. }] => h.send(66, ClientMsg::Leave),
            [ServerMsg::Error { code, .. }] if code.as_str() == "room.rate_limited" => refused += 1,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(refused, 100 - 30, "the burst of 30 gets through");
    assert_eq!(h.closed(66), None, "a refusal is not a close");
    let k = h.knock(5);
    assert!(h.snapshot().lobby.contains(&k), "another address is served");
    h.advance(Duration::from_secs(1));
    h.send(66, ClientMsg::Knock { room: room(), room_proof: proof(), sealed_profile: Blob::default() });
    assert!(matches!(h.inbox(66).as_slice(), [ServerMsg::InLobby { .. }]), "tokens come back with time");
}

#[test]
fn connect_flood_from_one_address_is_refused() {
    let mut h = Harness::new();
    let refused = (0..200u64).filter(|&c| h.server.handle_connect(ConnId(c), ip(66), h.now).is_err()).count();
    assert_eq!(refused, 200 - 60, "the burst gets in, the rest is refused");
    assert!(h.server.handle_connect(ConnId(1000), ip(67), h.now).is_ok());
    assert_eq!(h.server.handle_connect(ConnId(1000), ip(67), h.now), Err(Refused::DuplicateConnection));
}

#[test]
fn knocks_expire_after_the_configured_time() {
    let mut h = Harness::with(ServerConfig { knock_expiry: Duration::from_secs(60), ..ServerConfig::default() });
    h.create(1);
    let k = h.knock(2);
    h.inbox(1);
    let start = h.now;
    let mut expired_at = None;
    while h.now < start + Duration::from_secs(70) {
        h.advance(Duration::from_millis(100));
        if h.inbox(2).contains(&ServerMsg::KnockExpired) {
            expired_at.get_or_insert(h.now - start);
        }
    }
    let expired_at = expired_at.expect("the knocker is told");
    assert!(expired_at >= Duration::from_secs(60) && expired_at <= Duration::from_millis(60_600), "{expired_at:?}");
    assert!(h.inbox(1).contains(&ServerMsg::KnockWithdrawn { member: k, reason: KnockEnd::Expired }));
    assert!(h.snapshot().lobby.is_empty());
}

#[test]
fn end_for_all_ends_members_and_knockers_and_forgets_the_meeting() {
    let mut h = Harness::new();
    h.meeting(&[2, 3]);
    h.knock(4);
    h.inbox(1);
    h.send(1, ClientMsg::EndForAll);
    for c in 1..=4 {
        assert_eq!(h.inbox(c), vec![ServerMsg::Ended], "conn {c}");
    }
    assert_eq!(h.server.room_count(), 0);
    assert_eq!(h.server.connection_count(), 4, "connections stay open, fresh");
}

#[test]
fn hands_are_shown_to_everyone_and_mute_requests_only_to_their_target() {
    let mut h = Harness::new();
    let (host, ids) = h.meeting(&[2, 3]);
    h.send(2, ClientMsg::RaiseHand { raised: true });
    for c in 1..=3 {
        assert_eq!(h.inbox(c), vec![ServerMsg::Hand { member: ids[0], raised: true }]);
    }
    h.send(1, ClientMsg::RequestUnmute { member: ids[1] });
    assert_eq!(h.inbox(3), vec![ServerMsg::UnmuteRequested { by: host }]);
    assert!(h.inbox(2).is_empty());
}

#[test]
fn a_member_flooding_hands_reaches_the_others_only_up_to_its_limit() {
    let mut h = Harness::new();
    let (_, ids) = h.meeting(&[2, 3]);
    let burst = ServerConfig::default().member_rate.burst as usize;
    for i in 0..1000 {
        h.send(2, ClientMsg::RaiseHand { raised: i % 2 == 0 });
    }
    let seen = h.inbox(3).iter().filter(|m| matches!(m, ServerMsg::Hand { member, .. } if *member == ids[0])).count();
    assert_eq!(seen, burst, "the others see the burst, not the flood");
    let refused = h
        .inbox(2)
        .iter()
        .filter(|m| matches!(m, ServerMsg::Error { code, .. } if code.as_str() == "room.rate_limited"))
        .count();
    assert_eq!(refused, 1000 - burst, "the flooder is told");
    // A second later it may speak again.
    h.advance(Duration::from_secs(1));
    h.inbox(3);
    h.send(2, ClientMsg::RaiseHand { raised: false });
    assert!(h.inbox(3).iter().any(|m| matches!(m, ServerMsg::Hand { member, raised: false } if *member == ids[0])));
}

#[test]
fn the_server_pings_every_interval() {
    let mut h = Harness::new();
    h.create(1);
    h.silent.push(1);
    h.advance(Duration::from_millis(7000));
    let pings = h.inbox(1).iter().filter(|m| **m == ServerMsg::Ping).count();
    assert_eq!(pings, 2, "at 3 s and 6 s");
}

#[test]
fn look_names_the_run_to_a_holder_of_the_link_and_keeps_nothing() {
    let mut h = Harness::new();
    h.create(1);
    h.inbox(1);
    h.connect(2, 2);
    h.send(2, ClientMsg::Look { room: room(), room_proof: proof() });
    assert_eq!(h.inbox(2), vec![ServerMsg::Running { instance: RUN }]);
    assert!(h.snapshot().lobby.is_empty(), "looking is not knocking");
    assert!(h.inbox(1).is_empty(), "the host hears nothing of a look");
    h.send(2, ClientMsg::Look { room: room(), room_proof: RoomProof::new(vec![9; 32]).expect("valid") });
    assert_eq!(h.inbox(2), vec![ServerMsg::NoSuchMeeting], "a wrong proof looks like no meeting");
    h.send(1, ClientMsg::Lock { locked: true });
    h.send(2, ClientMsg::Look { room: room(), room_proof: proof() });
    assert_eq!(h.inbox(2), vec![ServerMsg::RoomLocked]);
    // The knock that follows is still a knock of its own.
    h.send(1, ClientMsg::Lock { locked: false });
    h.send(2, ClientMsg::Knock { room: room(), room_proof: proof(), sealed_profile: Blob(b"{}".to_vec()) });
    assert!(matches!(h.inbox(2).as_slice(), [ServerMsg::InLobby { .. }]));
}

#[test]
fn a_look_and_the_knock_after_it_cost_one_attempt() {
    let mut h = Harness::new();
    h.create(1);
    h.connect(66, 66);
    // An office behind one address: thirty people look and knock, as many as could knock alone.
    for _ in 0..30 {
        h.send(66, ClientMsg::Look { room: room(), room_proof: proof() });
        assert_eq!(h.inbox(66), vec![ServerMsg::Running { instance: RUN }]);
        h.send(66, ClientMsg::Knock { room: room(), room_proof: proof(), sealed_profile: Blob::default() });
        assert!(matches!(h.inbox(66).as_slice(), [ServerMsg::InLobby { .. }]));
        h.send(66, ClientMsg::Leave);
    }
    h.send(66, ClientMsg::Look { room: room(), room_proof: proof() });
    assert_eq!(error_code(&h.inbox(66)), Some("room.rate_limited"), "the 31st is refused");
    // A look pays for one knock only.
    h.advance(Duration::from_secs(1));
    h.send(66, ClientMsg::Look { room: room(), room_proof: proof() });
    h.inbox(66);
    h.send(66, ClientMsg::Knock { room: room(), room_proof: proof(), sealed_profile: Blob::default() });
    assert!(matches!(h.inbox(66).as_slice(), [ServerMsg::InLobby { .. }]));
    h.send(66, ClientMsg::Leave);
    h.send(66, ClientMsg::Knock { room: room(), room_proof: proof(), sealed_profile: Blob::default() });
    assert!(matches!(h.inbox(66).as_slice(), [ServerMsg::InLobby { .. }]), "a second token had come back");
    h.send(66, ClientMsg::Leave);
    h.send(66, ClientMsg::Knock { room: room(), room_proof: proof(), sealed_profile: Blob::default() });
    assert_eq!(error_code(&h.inbox(66)), Some("room.rate_limited"), "the next knock pays, and the bucket is empty");
}

/// A server handing out TURN credentials (valid 600 s) and a meeting created on connection 1,
/// its messages not yet read.
fn with_turn() -> (Harness, crate::room::turn::TurnConfig) {
    let turn = crate::room::turn::TurnConfig {
        urls: vec!["turn:turn.example.no:3478?transport=udp".into()],
        secret: crate::secrets::Sensitive::new(b"the organisation's turn secret".to_vec()),
        ttl: Duration::from_secs(600),
        unix_at_zero: 1_765_000_000,
    };
    let mut h = Harness::with(ServerConfig { turn: Some(turn.clone()), ..ServerConfig::default() });
    h.connect(1, 1);
    h.send(1, ClientMsg::Create { room: room(), room_proof: proof(), instance: RUN });
    (h, turn)
}

#[test]
fn with_turn_configured_each_member_gets_credentials_of_its_own_just_before_joined() {
    let (mut h, turn) = with_turn();
    let created_at = h.now;
    let host = match h.inbox(1).as_slice() {
        [ServerMsg::IceServers { servers }, ServerMsg::Joined { me, .. }] => {
            assert_eq!(servers, &vec![turn.credentials(*me, created_at)]);
            *me
        }
        other => panic!("expected ice_servers then joined, got {other:?}"),
    };
    h.advance(Duration::from_secs(5));
    let guest = h.knock(2);
    h.send(1, ClientMsg::Admit { member: guest });
    match h.inbox(2).as_slice() {
        [ServerMsg::IceServers { servers }, ServerMsg::Joined { me, .. }] => {
            assert_eq!(*me, guest);
            let mine = &servers[0];
            assert!(mine.username.ends_with(&guest.to_string()), "{mine:?}");
            assert_eq!(mine, &turn.credentials(guest, created_at + Duration::from_secs(5)));
            assert_ne!(mine.credential, turn.credentials(host, created_at + Duration::from_secs(5)).credential);
            let expiry: u64 = mine.username.split(':').next().unwrap().parse().unwrap();
            assert_eq!(
                expiry,
                1_765_000_000 + (created_at.as_secs() + 5) + 600,
                "valid for the configured time from now"
            );
        }
        other => panic!("expected ice_servers then joined, got {other:?}"),
    }
    // Without TURN configured, nothing of the kind (`create` expects `joined` alone).
    Harness::new().create(1);
}

#[test]
fn members_get_fresh_turn_credentials_before_theirs_expire() {
    let (mut h, _) = with_turn();
    let host = match h.inbox(1).as_slice() {
        [ServerMsg::IceServers { .. }, ServerMsg::Joined { me, .. }] => *me,
        other => panic!("expected ice_servers then joined, got {other:?}"),
    };
    let issued = |h: &mut Harness, conn| -> Vec<String> {
        h.inbox(conn)
            .into_iter()
            .filter_map(|m| match m {
                ServerMsg::IceServers { servers } => Some(servers[0].username.clone()),
                _ => None,
            })
            .collect()
    };
    // Nothing new before half the lifetime; then credentials valid from then on, every half.
    h.advance(Duration::from_secs(290));
    assert!(issued(&mut h, 1).is_empty());
    h.advance(Duration::from_secs(20));
    let fresh = issued(&mut h, 1);
    assert_eq!(fresh.len(), 1, "{fresh:?}");
    let expiry: u64 = fresh[0].split(':').next().unwrap().parse().unwrap();
    assert!(expiry > 1_765_000_000 + h.now.as_secs() + 500, "valid for the lifetime from when it was sent");
    assert!(fresh[0].ends_with(&host.to_string()));
    h.advance(Duration::from_secs(300));
    assert_eq!(issued(&mut h, 1).len(), 1);
    // Someone still in the lobby gets none.
    let _knocker = h.knock(2);
    h.advance(Duration::from_secs(600));
    assert!(issued(&mut h, 2).is_empty());
}
