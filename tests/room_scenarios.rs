//! Whole meetings on a virtual clock: one `RoomServer`, several `RoomClient`s, and an in-memory
//! network that moves their bytes (in the manner of quinn's `Pair` and str0m's `progress()`).
//! No sockets, no threads: minutes of meeting run in milliseconds.

use std::net::IpAddr;
use std::time::Duration;

use trygg::room::client::{ClientState, CloseReason, Intent, RoomClient, RoomEvent};
use trygg::room::limits::{ClientConfig, ServerConfig};
use trygg::room::proto::{self, ClientMsg, LeaveReason, SdpType, ServerMsg, Signal};
use trygg::room::server::{RoomServer, ServerOutput};
use trygg::room::{Blob, ConnId, MeetingInstance, MemberId, Role, RoomId, RoomProof};

/// The room of `proof()`: room ids commit to the proof.
fn room() -> RoomId {
    RoomId::bound_to(&proof())
}

fn proof() -> RoomProof {
    RoomProof::new(vec![0x5a; 32]).expect("valid proof")
}

/// One participant: its client, and what its runtime would do with the socket.
struct Peer {
    name: &'static str,
    client: RoomClient,
    ip: IpAddr,
    conn: Option<ConnId>,
    /// Events seen so far, with the virtual time they were seen at.
    events: Vec<(Duration, RoomEvent)>,
    /// When the runtime dials again.
    reconnect_at: Option<Duration>,
    /// A hung process: answers nothing, reads nothing, and its socket stays open.
    frozen: bool,
    /// One-way delay of its connection, both directions (TCP: order is kept).
    latency: Duration,
}

/// A frame (or a close) on its way.
struct Flight {
    at: Duration,
    to_server: bool,
    conn: ConnId,
    /// None for the socket's close.
    bytes: Option<Vec<u8>>,
}

struct Net {
    server: RoomServer,
    now: Duration,
    peers: Vec<Peer>,
    next_conn: u64,
    restarts: u8,
    /// Raw connections that the tests drive by hand: (conn, frames received, closed with).
    raw: Vec<(ConnId, Vec<ServerMsg>, Option<u16>)>,
    /// Frames delayed by latency, in sending order.
    in_flight: Vec<Flight>,
}

const BACKOFF: Duration = Duration::from_millis(500);

impl Net {
    fn new() -> Self {
        Self {
            server: RoomServer::new(ServerConfig::default(), [1; 32]),
            now: Duration::from_secs(1_000),
            peers: Vec::new(),
            next_conn: 1,
            restarts: 0,
            raw: Vec::new(),
            in_flight: Vec::new(),
        }
    }

    fn add(&mut self, name: &'static str, host: bool, ip: u8) {
        let sealed_profile = Blob(format!("{{\"name\":\"{name}\"}}").into_bytes());
        let intent = if host {
            Intent::Host { room_proof: proof(), sealed_profile, instance: MeetingInstance::from_bytes([ip; 16]) }
        } else {
            Intent::Join { room_proof: proof(), sealed_profile }
        };
        let client = RoomClient::new(room(), intent, ClientConfig::default(), self.now);
        let ip = IpAddr::from([198, 51, 100, ip]);
        self.peers.push(Peer {
            name,
            client,
            ip,
            conn: None,
            events: Vec::new(),
            reconnect_at: Some(self.now),
            frozen: false,
            latency: Duration::ZERO,
        });
        self.progress();
    }

    fn host(&mut self, name: &'static str) {
        self.add(name, true, self.peers.len() as u8 + 1);
    }

    fn join(&mut self, name: &'static str) {
        self.add(name, false, self.peers.len() as u8 + 1);
    }

    fn peer(&mut self, name: &str) -> &mut Peer {
        self.peers.iter_mut().find(|p| p.name == name).unwrap_or_else(|| panic!("no peer {name}"))
    }

    fn client(&mut self, name: &str) -> &mut RoomClient {
        &mut self.peer(name).client
    }

    fn id(&mut self, name: &str) -> MemberId {
        self.client(name).me().unwrap_or_else(|| panic!("{name} has no member id"))
    }

    fn state(&mut self, name: &str) -> ClientState {
        self.client(name).state().clone()
    }

    /// Events of a peer since the last call.
    fn take_events(&mut self, name: &str) -> Vec<RoomEvent> {
        std::mem::take(&mut self.peer(name).events).into_iter().map(|(_, e)| e).collect()
    }

    /// Moves bytes until nothing moves.
    fn progress(&mut self) {
        for _ in 0..10_000 {
            if !self.step() {
                return;
            }
        }
        panic!("the network never settled");
    }

    fn step(&mut self) -> bool {
        let now = self.now;
        let mut moved = false;
        // Runtimes dial when it is time.
        for p in &mut self.peers {
            if p.frozen || p.conn.is_some() || p.client.state().is_closed() || p.reconnect_at.is_none_or(|t| t > now) {
                continue;
            }
            p.reconnect_at = None;
            let conn = ConnId(self.next_conn);
            self.next_conn += 1;
            if self.server.handle_connect(conn, p.ip, now).is_ok() {
                p.conn = Some(conn);
                p.client.handle_connected(now);
            } else {
                p.reconnect_at = Some(now + BACKOFF);
            }
            moved = true;
        }
        // Clients to server.
        for p in &mut self.peers {
            let Some(conn) = p.conn.filter(|_| !p.frozen) else { continue };
            while let Some(bytes) = p.client.poll_transmit() {
                self.in_flight.push(Flight { at: now + p.latency, to_server: true, conn, bytes: Some(bytes) });
                moved = true;
            }
        }
        // Server to clients.
        while let Some(out) = self.server.poll_output() {
            moved = true;
            let (conn, bytes, code) = match out {
                ServerOutput::Send { conn, bytes } => (conn, Some(bytes), None),
                ServerOutput::Close { conn, code, .. } => (conn, None, Some(code.as_u16())),
            };
            if let Some(p) = self.peers.iter().find(|p| p.conn == Some(conn)) {
                self.in_flight.push(Flight { at: now + p.latency, to_server: false, conn, bytes });
            } else if let Some(r) = self.raw.iter_mut().find(|r| r.0 == conn) {
                match bytes {
                    Some(bytes) => r.1.push(proto::decode_server(&bytes, usize::MAX).expect("valid")),
                    None => r.2 = code,
                }
            }
        }
        // Deliveries that are due, in sending order.
        let (due, later): (Vec<Flight>, Vec<Flight>) =
            std::mem::take(&mut self.in_flight).into_iter().partition(|f| f.at <= now);
        self.in_flight = later;
        for f in due {
            moved = true;
            if f.to_server {
                match f.bytes {
                    Some(bytes) => self.server.handle_message(f.conn, &bytes, now),
                    None => self.server.handle_disconnect(f.conn, now),
                }
                continue;
            }
            let Some(p) = self.peers.iter_mut().find(|p| p.conn == Some(f.conn) && !p.frozen) else { continue };
            match f.bytes {
                Some(bytes) => p.client.handle_message(&bytes, now).expect("the server speaks the protocol"),
                None => {
                    p.conn = None;
                    p.client.handle_disconnected(now);
                }
            }
        }
        // Events, and what the runtime does about them.
        for p in &mut self.peers {
            while let Some(e) = p.client.poll_event() {
                moved = true;
                if e == RoomEvent::Reconnecting {
                    if let Some(conn) = p.conn.take() {
                        self.server.handle_disconnect(conn, now);
                    }
                    p.reconnect_at = Some(now + BACKOFF);
                }
                if let RoomEvent::SealKnock { .. } = e {
                    // The meeting would seal the knock for the run now (`e2ee::knock`).
                    p.client
                        .knock(Blob(format!("{{\"name\":\"{}\"}}", p.name).into_bytes()))
                        .expect("sealing is expected");
                }
                p.events.push((now, e));
            }
            if p.client.state().is_closed()
                && let Some(conn) = p.conn.take()
            {
                // Send what the client said last (a `leave`), then close the socket: both
                // reach the server after everything sent before.
                while let Some(bytes) = p.client.poll_transmit() {
                    self.in_flight.push(Flight { at: now + p.latency, to_server: true, conn, bytes: Some(bytes) });
                }
                self.in_flight.push(Flight { at: now + p.latency, to_server: true, conn, bytes: None });
                moved = true;
            }
        }
        moved
    }

    /// Runs the clock forward, waking every state machine when it asked to be woken.
    fn advance(&mut self, by: Duration) {
        let end = self.now + by;
        loop {
            let mut next = end;
            next = next.min(self.server.poll_timeout().unwrap_or(end));
            for p in self.peers.iter().filter(|p| !p.frozen) {
                next = next.min(p.client.poll_timeout().unwrap_or(end));
                next = next.min(p.reconnect_at.unwrap_or(end));
            }
            for f in &self.in_flight {
                next = next.min(f.at);
            }
            self.now = next.max(self.now);
            self.server.handle_timeout(self.now);
            for p in self.peers.iter_mut().filter(|p| !p.frozen) {
                p.client.handle_timeout(self.now);
            }
            self.progress();
            if self.now >= end {
                return;
            }
        }
    }

    /// The host admits every knock it sees (and forgets the events).
    fn admit_all(&mut self, by: &str) {
        let knocks: Vec<MemberId> = self.client(by).lobby().to_vec();
        for k in knocks {
            self.client(by).admit(k).expect("may admit");
        }
        self.progress();
    }

    /// Alice hosts, Bob and Carol are admitted.
    fn three_meet() -> Self {
        let mut net = Net::new();
        net.host("alice");
        net.join("bob");
        net.join("carol");
        net.admit_all("alice");
        for name in ["alice", "bob", "carol"] {
            assert!(matches!(net.state(name), ClientState::InMeeting { .. }), "{name}: {:?}", net.state(name));
        }
        net
    }

    /// The server restarts: every socket drops, all state is lost.
    fn restart_server(&mut self) {
        self.restarts += 1;
        self.server = RoomServer::new(ServerConfig::default(), [self.restarts + 1; 32]);
        let now = self.now;
        for p in &mut self.peers {
            if p.conn.take().is_some() && !p.frozen {
                p.client.handle_disconnected(now);
            }
        }
        self.progress();
    }

    fn raw_connect(&mut self, ip: u8) -> ConnId {
        let conn = ConnId(self.next_conn);
        self.next_conn += 1;
        self.server.handle_connect(conn, IpAddr::from([203, 0, 113, ip]), self.now).expect("connect");
        self.raw.push((conn, Vec::new(), None));
        conn
    }

    fn raw_send(&mut self, conn: ConnId, bytes: &[u8]) {
        self.server.handle_message(conn, bytes, self.now);
        self.progress();
    }

    fn raw_state(&self, conn: ConnId) -> (&[ServerMsg], Option<u16>) {
        let r = self.raw.iter().find(|r| r.0 == conn).expect("raw connection");
        (&r.1, r.2)
    }
}

fn has(events: &[RoomEvent], pred: impl Fn(&RoomEvent) -> bool) -> bool {
    events.iter().any(pred)
}

#[test]
fn three_participants_meet_exchange_profiles_and_signal() {
    let mut net = Net::three_meet();
    let (a, b, c) = (net.id("alice"), net.id("bob"), net.id("carol"));
    assert_eq!(net.client("alice").role(), Some(Role::Host));
    for name in ["alice", "bob", "carol"] {
        let ids: Vec<MemberId> = net.client(name).members().iter().map(|m| m.id).collect();
        assert_eq!(ids, vec![a, b, c], "{name} sees everyone in join order");
    }
    // Carol was introduced to the two before her: by the knock's profile for Alice, by
    // introductions for Bob... and she learnt both names from their introductions.
    let carol = net.take_events("carol");
    for (who, name) in [(a, "alice"), (b, "bob")] {
        let profile = Blob(format!("{{\"name\":\"{name}\"}}").into_bytes());
        assert!(carol.contains(&RoomEvent::MemberProfile { member: who, sealed_profile: profile }), "{name}");
    }
    let alice = net.take_events("alice");
    assert!(has(
        &alice,
        |e| matches!(e, RoomEvent::MemberJoined { member, sealed_profile: Some(p) } if member.id == c && p.0 == b"{\"name\":\"carol\"}")
    ));
    // Signals go peer to peer by id, and exactly one side of each pair is polite.
    let offer = Signal::Sdp { sdp_type: SdpType::Offer, sdp: "v=0\r\n".into() };
    net.client("bob").send_signal(c, offer.clone()).expect("member");
    net.progress();
    assert_eq!(net.take_events("carol"), vec![RoomEvent::Signal { from: b, payload: offer }]);
    assert_ne!(net.client("bob").is_polite_towards(c), net.client("carol").is_polite_towards(b));
}

#[test]
fn the_lobby_admits_and_denies() {
    let mut net = Net::three_meet();
    net.join("dave");
    let dave = net.id("dave");
    assert_eq!(net.state("dave"), ClientState::InLobby { me: dave });
    assert!(has(&net.take_events("alice"), |e| matches!(e, RoomEvent::Knock { member, .. } if *member == dave)));
    assert!(
        !has(&net.take_events("bob"), |e| matches!(e, RoomEvent::Knock { .. })),
        "participants do not see the lobby"
    );
    net.client("alice").deny(dave).expect("host");
    net.progress();
    assert_eq!(net.state("dave"), ClientState::Closed(CloseReason::Denied));
    assert!(net.take_events("dave").contains(&RoomEvent::Denied));
    assert!(net.client("alice").lobby().is_empty());
    let snapshot = net.server.room(&room()).expect("room");
    assert!(snapshot.members.iter().all(|m| m.id != dave) && snapshot.lobby.is_empty());
}

#[test]
fn host_controls_reach_their_target_and_hands_reach_everyone() {
    let mut net = Net::three_meet();
    let (a, b) = (net.id("alice"), net.id("bob"));
    net.take_events("bob");
    net.client("alice").mute(b).expect("host");
    net.client("alice").request_unmute(b).expect("host");
    net.progress();
    assert_eq!(net.take_events("bob"), vec![RoomEvent::MuteRequested { by: a }, RoomEvent::UnmuteRequested { by: a }]);
    net.take_events("carol");
    net.client("bob").raise_hand(true).expect("anyone");
    net.progress();
    assert_eq!(net.take_events("carol"), vec![RoomEvent::HandRaised { member: b, raised: true }]);
    assert!(net.client("alice").members().iter().any(|m| m.id == b && m.hand_raised));
}

#[test]
fn a_removed_participant_gets_no_further_relays() {
    let mut net = Net::three_meet();
    let b = net.id("bob");
    net.client("alice").remove(b).expect("host");
    net.progress();
    assert_eq!(net.state("bob"), ClientState::Closed(CloseReason::Removed));
    assert!(net.take_events("carol").contains(&RoomEvent::MemberLeft { member: b, reason: LeaveReason::Removed }));
    net.take_events("bob");
    net.client("carol").send_signal(b, Signal::Handshake { data: Blob(vec![1, 2, 3]) }).expect("member");
    net.client("carol").raise_hand(true).expect("member");
    net.client("alice").lock(true).expect("host");
    net.progress();
    assert!(net.take_events("bob").is_empty(), "nothing reaches the removed member");
    assert!(has(
        &net.take_events("carol"),
        |e| matches!(e, RoomEvent::Error { code, .. } if code.as_str() == "room.unknown_member")
    ));
    assert!(net.client("alice").members().iter().all(|m| m.id != b));
}

#[test]
fn when_the_host_leaves_the_co_host_takes_over_and_everyone_is_told() {
    let mut net = Net::three_meet();
    let c = net.id("carol");
    net.client("alice").set_role(c, Role::CoHost).expect("host");
    net.progress();
    net.client("alice").leave();
    net.progress();
    assert_eq!(net.client("carol").role(), Some(Role::Host));
    assert!(net.take_events("bob").contains(&RoomEvent::HostChanged { host: c }));
    // The new host runs the lobby.
    net.join("dave");
    net.admit_all("carol");
    assert!(matches!(net.state("dave"), ClientState::InMeeting { role: Role::Participant, .. }));
}

#[test]
fn a_locked_meeting_refuses_a_new_knock() {
    let mut net = Net::three_meet();
    net.client("alice").lock(true).expect("host");
    net.progress();
    assert!(net.take_events("bob").contains(&RoomEvent::Locked(true)));
    net.join("erin");
    assert_eq!(net.state("erin"), ClientState::Closed(CloseReason::RoomLocked));
    assert!(net.take_events("erin").contains(&RoomEvent::RoomLocked));
    assert_eq!(net.server.room(&room()).expect("room").members.len(), 3);
}

#[test]
fn end_for_all_ends_everyone_and_the_server_forgets_the_meeting() {
    let mut net = Net::three_meet();
    net.join("dave");
    net.client("alice").end_for_all().expect("host");
    net.progress();
    for name in ["alice", "bob", "carol", "dave"] {
        assert_eq!(net.state(name), ClientState::Closed(CloseReason::Ended), "{name}");
    }
    assert_eq!(net.server.room_count(), 0);
    assert_eq!(net.server.connection_count(), 0, "every runtime closed its socket");
}

#[test]
fn a_participant_that_stops_answering_is_shown_gone_within_ten_seconds() {
    let mut net = Net::three_meet();
    let b = net.id("bob");
    net.advance(Duration::from_secs(5));
    net.take_events("alice");
    let frozen_at = net.now;
    net.peer("bob").frozen = true;
    net.advance(Duration::from_secs(12));
    let away_at = net
        .peer("alice")
        .events
        .iter()
        .find(|(_, e)| *e == RoomEvent::MemberAway { member: b })
        .map(|(t, _)| *t - frozen_at)
        .expect("alice sees bob away");
    assert!(away_at <= Duration::from_secs(10), "after {away_at:?}");
    net.advance(Duration::from_secs(30));
    assert!(net.take_events("carol").contains(&RoomEvent::MemberLeft { member: b, reason: LeaveReason::TimedOut }));
}

#[test]
fn a_killed_participant_is_shown_gone_at_once() {
    let mut net = Net::three_meet();
    let b = net.id("bob");
    net.take_events("alice");
    // SIGKILL: the OS closes the socket; the process does nothing more.
    let conn = net.peer("bob").conn.take().expect("connected");
    net.peer("bob").frozen = true;
    net.server.handle_disconnect(conn, net.now);
    net.progress();
    assert_eq!(net.take_events("alice"), vec![RoomEvent::MemberAway { member: b }]);
}

#[test]
fn a_short_disconnect_resumes_with_the_same_id_and_role() {
    let mut net = Net::three_meet();
    let c = net.id("carol");
    net.client("alice").set_role(c, Role::CoHost).expect("host");
    net.progress();
    net.take_events("alice");
    let conn = net.peer("carol").conn.take().expect("connected");
    let now = net.now;
    net.server.handle_disconnect(conn, now);
    net.client("carol").handle_disconnected(now);
    net.progress();
    net.advance(Duration::from_secs(3));
    assert_eq!(net.state("carol"), ClientState::InMeeting { me: c, role: Role::CoHost });
    assert_eq!(
        net.take_events("alice"),
        vec![RoomEvent::MemberAway { member: c }, RoomEvent::MemberBack { member: c }]
    );
    assert!(has(&net.take_events("carol"), |e| matches!(e, RoomEvent::Resumed { after_restart: false, .. })));
}

#[test]
fn after_a_server_restart_the_host_recreates_and_the_others_rejoin() {
    let mut net = Net::three_meet();
    let (a, b, c) = (net.id("alice"), net.id("bob"), net.id("carol"));
    net.client("alice").set_role(c, Role::CoHost).expect("host");
    net.client("alice").lock(true).expect("host");
    net.progress();
    net.restart_server();
    assert_eq!(net.server.room_count(), 0);
    net.advance(Duration::from_secs(5));
    for (name, id, role) in [("alice", a, Role::Host), ("bob", b, Role::Participant), ("carol", c, Role::CoHost)] {
        assert_eq!(net.state(name), ClientState::InMeeting { me: id, role }, "{name}");
    }
    let snapshot = net.server.room(&room()).expect("recreated");
    assert!(snapshot.locked, "the lock survives");
    assert!(snapshot.members.iter().all(|m| m.present) && snapshot.members.len() == 3);
    net.take_events("carol");
    net.client("bob").send_signal(c, Signal::Handshake { data: Blob(vec![9]) }).expect("member");
    net.progress();
    assert_eq!(
        net.take_events("carol"),
        vec![RoomEvent::Signal { from: b, payload: Signal::Handshake { data: Blob(vec![9]) } }]
    );
}

#[test]
fn after_a_restart_without_the_host_the_next_in_line_recreates() {
    let mut net = Net::three_meet();
    let (a, b, c) = (net.id("alice"), net.id("bob"), net.id("carol"));
    net.peer("alice").frozen = true; // the host's machine died with the server
    net.restart_server();
    net.advance(Duration::from_secs(6));
    assert_eq!(net.state("bob"), ClientState::InMeeting { me: b, role: Role::Host }, "bob was next in line");
    assert_eq!(net.state("carol"), ClientState::InMeeting { me: c, role: Role::Participant });
    net.advance(Duration::from_secs(30));
    assert!(net.take_events("carol").contains(&RoomEvent::MemberLeft { member: a, reason: LeaveReason::TimedOut }));
}

#[test]
fn a_stranger_racing_the_recreate_is_refused_and_the_meeting_comes_back() {
    let mut net = Net::three_meet();
    let b = net.id("bob");
    net.restart_server();
    // The stranger knows the room id and even a member id, but not the link: the room id commits
    // to the link's proof, so its recreate is refused before the members come back.
    let stranger = net.raw_connect(66);
    let stranger_id = MemberId::from_bytes([6; 8]);
    let recreate = ClientMsg::Recreate {
        room: room(),
        room_proof: RoomProof::new(vec![0x66; 32]).expect("valid"),
        me: stranger_id,
        locked: false,
        roster: vec![trygg::room::proto::RosterEntry { id: b, role: Role::Participant }],
        instance: MeetingInstance::from_bytes([0x66; 16]),
    };
    net.raw_send(stranger, &proto::encode(&recreate));
    let (msgs, _) = net.raw_state(stranger);
    assert!(
        msgs.iter().any(|m| matches!(m, ServerMsg::Error { code, .. } if code.as_str() == "room.proof_mismatch")),
        "{msgs:?}"
    );
    net.advance(Duration::from_secs(15));
    let snapshot = net.server.room(&room()).expect("the members' meeting");
    assert!(snapshot.members.iter().all(|m| m.id != stranger_id), "the stranger is nowhere in it");
    for name in ["alice", "bob", "carol"] {
        assert!(matches!(net.state(name), ClientState::InMeeting { .. }), "{name} is back in the meeting");
    }
}

#[test]
fn a_knock_flood_from_one_address_is_limited_while_others_are_served() {
    let mut net = Net::three_meet();
    let flooder = net.raw_connect(66);
    let knock = proto::encode(&ClientMsg::Knock { room: room(), room_proof: proof(), sealed_profile: Blob::default() });
    let leave = proto::encode(&ClientMsg::Leave);
    for _ in 0..200 {
        net.raw_send(flooder, &knock);
        if matches!(net.raw_state(flooder).0.last(), Some(ServerMsg::InLobby { .. })) {
            net.raw_send(flooder, &leave);
        }
    }
    let (msgs, closed) = net.raw_state(flooder);
    let limited = msgs
        .iter()
        .filter(|m| matches!(m, ServerMsg::Error { code, .. } if code.as_str() == "room.rate_limited"))
        .count();
    assert_eq!(limited, 200 - 30, "all but the burst are limited");
    assert_eq!(closed, None);
    net.join("dave");
    assert!(matches!(net.state("dave"), ClientState::InLobby { .. }), "another address is served");
}

#[test]
fn malformed_oversized_and_out_of_order_messages_close_only_that_connection() {
    let mut net = Net::three_meet();
    let cases: Vec<(Vec<u8>, u16)> = vec![
        (b"{\"v\":2,\"type\":\"fly_to_the_moon\"}".to_vec(), 4000),
        (b"not json at all".to_vec(), 4000),
        (vec![b'x'; 70 * 1024], 1009),
        (b"{\"v\":1,\"type\":\"ping\"}".to_vec(), 4001),
        (proto::encode(&ClientMsg::EndForAll), 4002),
    ];
    for (bytes, code) in cases {
        let conn = net.raw_connect(7);
        net.raw_send(conn, &bytes);
        assert_eq!(net.raw_state(conn).1, Some(code));
    }
    net.take_events("carol");
    net.client("bob").raise_hand(true).expect("member");
    net.progress();
    let b = net.id("bob");
    assert!(net.take_events("carol").contains(&RoomEvent::HandRaised { member: b, raised: true }));
    assert_eq!(net.server.room(&room()).expect("room").members.len(), 3, "the meeting is unaffected");
}

#[test]
fn a_member_closed_for_bad_input_is_away_and_may_resume() {
    let mut net = Net::three_meet();
    let b = net.id("bob");
    let conn = net.peer("bob").conn.expect("connected");
    net.server.handle_message(conn, b"garbage", net.now);
    net.progress();
    assert!(net.take_events("alice").contains(&RoomEvent::MemberAway { member: b }));
    net.advance(Duration::from_secs(2));
    assert_eq!(net.state("bob"), ClientState::InMeeting { me: b, role: Role::Participant });
}

#[test]
fn an_unknown_meeting_answers_no_such_meeting() {
    let mut net = Net::new();
    net.join("bob");
    assert_eq!(net.state("bob"), ClientState::Closed(CloseReason::NoSuchMeeting));
    assert!(net.take_events("bob").contains(&RoomEvent::NoSuchMeeting));
    assert_eq!(net.server.room_count(), 0, "a knock never creates a meeting");
}

#[test]
fn an_empty_meeting_leaves_no_state_behind() {
    let mut net = Net::three_meet();
    for name in ["bob", "carol", "alice"] {
        net.client(name).leave();
        net.progress();
    }
    assert_eq!(net.server.room_count(), 0);
    assert_eq!(net.server.connection_count(), 0);
    net.advance(Duration::from_secs(60));
    assert_eq!(net.server.rate_limited_addresses(), 0);
    assert_eq!(net.server.poll_timeout(), None);
}

#[test]
fn a_knocker_waiting_during_a_server_restart_is_back_in_the_lobby() {
    let mut net = Net::three_meet();
    net.join("dave");
    assert!(matches!(net.state("dave"), ClientState::InLobby { .. }));
    net.restart_server();
    net.advance(Duration::from_secs(5));
    let dave = net.id("dave");
    assert_eq!(net.state("dave"), ClientState::InLobby { me: dave }, "knocked again once the meeting was back");
    assert_eq!(net.client("alice").lobby(), &[dave], "the host sees the new knock");
    net.admit_all("alice");
    assert!(matches!(net.state("dave"), ClientState::InMeeting { .. }));
}

/// A small deterministic RNG for the latency test (xorshift64*).
struct Xorshift(u64);

impl Xorshift {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

#[test]
fn member_views_converge_under_uneven_latency() {
    for seed in 1..=20u64 {
        let mut rng = Xorshift(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let mut net = Net::new();
        let names = ["alice", "bob", "carol", "dave", "erin"];
        for (i, name) in names.iter().enumerate() {
            net.add(name, i == 0, i as u8 + 1);
            net.peer(name).latency = Duration::from_millis(rng.below(300));
            net.advance(Duration::from_millis(rng.below(400)));
        }
        for _ in 0..10 {
            net.advance(Duration::from_millis(200));
            net.admit_all("alice");
        }
        // Host controls and hands racing each other across connections of different latency.
        let ids: Vec<MemberId> = names[1..].iter().map(|n| net.id(n)).collect();
        net.client("alice").set_role(ids[0], Role::CoHost).expect("host");
        net.client("carol").raise_hand(true).expect("member");
        net.advance(Duration::from_millis(rng.below(300)));
        net.client("bob").mute(ids[2]).ok();
        net.client("bob").remove(ids[3]).ok();
        net.client("alice").lock(true).expect("host");
        net.client("dave").raise_hand(true).ok();
        net.advance(Duration::from_millis(rng.below(300)));
        net.client("alice").leave();
        net.advance(Duration::from_secs(3));

        let server = net.server.room(&room()).expect("meeting goes on");
        assert!(server.locked, "seed {seed}: the lock sent before leaving arrived");
        for name in &names[1..] {
            if net.state(name).is_closed() {
                assert!(server.members.iter().all(|m| Some(m.id) != net.client(name).me()), "seed {seed}: {name}");
                continue;
            }
            let view = net.client(name).members().to_vec();
            assert_eq!(view, server.members, "seed {seed}: {name}'s view of the members");
            assert!(net.client(name).is_locked(), "seed {seed}: {name} sees the lock");
        }
        assert_eq!(net.client("bob").role(), Some(Role::Host), "seed {seed}: the co-host took over");
    }
}
