//! Whole meetings of `MeetingCore`s on a virtual clock: one `RoomServer`, several participants
//! with their MLS groups, and an in-memory network that moves their bytes. No sockets, no
//! threads, no media: the decisions a meeting makes (who connects to whom, who commits, what is
//! shown, how it reconnects) for six people, a server restart and a host's hand-over run in
//! milliseconds.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use rand_chacha_03::ChaCha20Rng;
use rand_chacha_03::rand_core::SeedableRng;
use trygg_core::e2ee::identity::DeviceIdentity;
use trygg_core::e2ee::invitations::InvitationPolicy;
use trygg_core::links::{Invitation, InvitationCheck, InvitationId};
use trygg_core::meeting::{Action, Command, Entry, LinkState, MeetingCore, Notice, RouteKind, Setup};
use trygg_core::room::limits::{ClientConfig, ServerConfig};
use trygg_core::room::proto::{LeaveReason, SdpType, Signal};
use trygg_core::room::server::{RoomServer, ServerOutput};
use trygg_core::room::{ConnId, MemberId, Role, RoomId};

const SECRET: &[u8] = b"the link's secret, 32 bytes long";

/// One participant: its core and what its runtime did with the core's actions.
struct Person {
    name: &'static str,
    core: MeetingCore,
    ip: IpAddr,
    conn: Option<ConnId>,
    notices: Vec<Notice>,
    routes: BTreeMap<MemberId, RouteKind>,
    route_signals: Vec<(MemberId, Signal)>,
    reviewed: BTreeMap<MemberId, String>,
    bindings: BTreeMap<MemberId, Option<u32>>,
    muted: bool,
    dials: Vec<Duration>,
    /// Routes it was told to try again: when, to whom, which try.
    restarted: Vec<(Duration, MemberId, u32)>,
    /// Routes it was told to replace with a new connection: when, to whom, which try, and
    /// whether it offers.
    rebuilt: Vec<(Duration, MemberId, u32, bool)>,
    done: Option<Notice>,
}

struct Net {
    server: Option<RoomServer>,
    now: Duration,
    people: Vec<Person>,
    next_conn: u64,
    restarts: u8,
    /// Every frame a participant sent the server, for the privacy checks.
    to_server: Vec<Vec<u8>>,
    /// The handshake relays (Commits, Welcomes) of this participant are held back, in order.
    hold_handshakes_of: Option<&'static str>,
    /// Mixed into every participant's randomness: another day's meeting draws other numbers.
    day: u64,
    /// The server withholds every handshake relay (Commits, Welcomes, group messages) to this
    /// participant.
    withhold_handshakes_to: Option<&'static str>,
    held: Vec<Vec<u8>>,
    /// Everything the server sends this participant is held back (a slow link), in order.
    delay_to: Option<&'static str>,
    delayed: Vec<Vec<u8>>,
}

/// The server is down.
#[derive(Debug, thiserror::Error)]
#[error("connection refused")]
struct Unreachable;

impl trygg_core::Coded for Unreachable {
    fn code(&self) -> &'static str {
        "net.unreachable"
    }
}

impl Net {
    fn new() -> Self {
        Self {
            server: Some(RoomServer::new(ServerConfig::default(), [1; 32])),
            now: Duration::from_secs(1_000),
            people: Vec::new(),
            next_conn: 1,
            restarts: 0,
            to_server: Vec::new(),
            hold_handshakes_of: None,
            held: Vec::new(),
            delay_to: None,
            delayed: Vec::new(),
            day: 0,
            withhold_handshakes_to: None,
        }
    }

    fn add(&mut self, name: &'static str, entry: Entry) {
        self.add_with(name, entry, None, InvitationPolicy::default());
    }

    /// Adds a participant whose link carries `invitation`; as host, with the rules `invitations`.
    fn add_with(
        &mut self,
        name: &'static str,
        entry: Entry,
        invitation: Option<String>,
        invitations: InvitationPolicy,
    ) {
        let seed = self.people.len() as u64 + 1;
        let identity = identity_of(seed);
        let setup = Setup {
            room: RoomId::bound_to(&trygg_core::room::RoomProof::derive(SECRET)),
            secret: SECRET.to_vec().into(),
            entry,
            name: name.into(),
            identity,
            invitation,
            invitations,
            auto_admit: false,
            client: ClientConfig::default(),
        };
        let rng = Box::new(ChaCha20Rng::seed_from_u64(seed + 100 + 1000 * self.day));
        let core = MeetingCore::new(setup, self.now, rng).expect("a meeting core");
        self.people.push(Person {
            name,
            core,
            ip: IpAddr::from([198, 51, 100, seed as u8]),
            conn: None,
            notices: Vec::new(),
            routes: BTreeMap::new(),
            route_signals: Vec::new(),
            reviewed: BTreeMap::new(),
            bindings: BTreeMap::new(),
            muted: false,
            dials: Vec::new(),
            restarted: Vec::new(),
            rebuilt: Vec::new(),
            done: None,
        });
        self.advance(Duration::ZERO);
    }

    fn person(&mut self, name: &str) -> &mut Person {
        self.people.iter_mut().find(|p| p.name == name).unwrap_or_else(|| panic!("no {name}"))
    }

    fn id(&mut self, name: &str) -> MemberId {
        self.person(name).core.me().unwrap_or_else(|| panic!("{name} has no member id"))
    }

    fn command(&mut self, name: &str, c: Command) {
        let now = self.now;
        self.person(name).core.handle_command(c, now);
        self.progress();
    }

    /// The security code each of `names` holds (None when not keyed).
    fn codes(&mut self, names: &[&str]) -> Vec<Option<String>> {
        names.iter().map(|n| self.person(n).core.session().security_code()).collect()
    }

    /// Hands the participant everything held back for it ([`Net::delay_to`]), in order.
    fn release_delayed(&mut self) {
        let (now, bytes) = (self.now, std::mem::take(&mut self.delayed));
        let name = self.delay_to.take().expect("someone's messages were delayed");
        for b in bytes {
            self.person(name).core.handle_message(&b, now).expect("the server speaks the protocol");
        }
        self.progress();
    }

    /// Asserts that `names` hold one and the same security code, and returns it.
    fn agreed_code(&mut self, names: &[&str]) -> String {
        let codes = self.codes(names);
        let first = codes[0].clone().expect("keyed");
        assert!(codes.iter().all(|c| c.as_deref() == Some(first.as_str())), "{names:?} disagree: {codes:?}");
        first
    }

    /// Moves bytes and carries out actions until nothing moves.
    fn progress(&mut self) {
        for _ in 0..100_000 {
            if !self.step() {
                return;
            }
        }
        panic!("the network never settled");
    }

    fn step(&mut self) -> bool {
        let now = self.now;
        let mut moved = false;
        for i in 0..self.people.len() {
            while let Some(action) = self.people[i].core.poll_action() {
                moved = true;
                self.carry_out(i, action);
            }
        }
        let Some(server) = self.server.as_mut() else { return moved };
        while let Some(out) = server.poll_output() {
            moved = true;
            let (conn, bytes) = match out {
                ServerOutput::Send { conn, bytes } => (conn, Some(bytes)),
                ServerOutput::Close { conn, .. } => (conn, None),
            };
            let Some(p) = self.people.iter_mut().find(|p| p.conn == Some(conn)) else { continue };
            if let (Some(b), true) = (&bytes, self.delay_to == Some(p.name)) {
                self.delayed.push(b.clone());
                continue;
            }
            let withheld = self.withhold_handshakes_to == Some(p.name)
                && bytes.as_ref().is_some_and(|b| String::from_utf8_lossy(b).contains("\"handshake\""));
            if withheld {
                continue;
            }
            match bytes {
                Some(b) => p.core.handle_message(&b, now).expect("the server speaks the protocol"),
                None => {
                    p.conn = None;
                    p.core.handle_disconnected(now);
                }
            }
        }
        moved
    }

    fn carry_out(&mut self, i: usize, action: Action) {
        let now = self.now;
        let p = &mut self.people[i];
        match action {
            Action::Connect => {
                p.dials.push(now);
                let conn = ConnId(self.next_conn);
                self.next_conn += 1;
                match self.server.as_mut().map(|s| s.handle_connect(conn, p.ip, now)) {
                    Some(Ok(())) => {
                        p.conn = Some(conn);
                        p.core.handle_connected(now);
                    }
                    _ => p.core.handle_connect_failed(now, &Unreachable),
                }
            }
            Action::Disconnect => {
                if let (Some(conn), Some(s)) = (p.conn.take(), self.server.as_mut()) {
                    s.handle_disconnect(conn, now);
                }
            }
            Action::Transmit(bytes) => {
                if self.hold_handshakes_of == Some(p.name) && String::from_utf8_lossy(&bytes).contains("\"handshake\"")
                {
                    self.held.push(bytes);
                    return;
                }
                if let (Some(conn), Some(s)) = (p.conn, self.server.as_mut()) {
                    self.to_server.push(bytes.clone());
                    s.handle_message(conn, &bytes, now);
                }
            }
            Action::EnsureRoute { member, route } => {
                p.routes.entry(member).or_insert(route);
                // The route's peer connection makes its first offer, as a real one would.
                if let RouteKind::Mesh { offer: true, .. } = route {
                    let offer = Signal::Sdp { sdp_type: SdpType::Offer, sdp: "v=0\r\n".into() };
                    p.core.handle_route_signal(member, &offer);
                }
            }
            Action::DropRoute { member } => {
                p.routes.remove(&member);
            }
            Action::RestartRoute { member, attempt } => p.restarted.push((now, member, attempt)),
            Action::RebuildRoute { member, route, attempt } => {
                let offer = matches!(route, RouteKind::Mesh { offer: true, .. });
                p.rebuilt.push((now, member, attempt, offer));
                p.routes.insert(member, route);
                // The new peer connection makes its first offer, as a real one would.
                if offer {
                    let offer = Signal::Sdp { sdp_type: SdpType::Offer, sdp: "v=0\r\n".into() };
                    p.core.handle_route_signal(member, &offer);
                }
            }
            Action::RouteSignal { member, signal } => p.route_signals.push((member, signal)),
            Action::ReviewIdentity { member, name, .. } => {
                p.reviewed.insert(member, name);
            }
            Action::Emit(n) => p.notices.push(n),
            Action::Done(n) => {
                p.done = Some(n);
                // The runtime closes the socket after the last bytes.
                if let (Some(conn), Some(s)) = (p.conn.take(), self.server.as_mut()) {
                    s.handle_disconnect(conn, now);
                }
            }
            Action::BindRoute { member, sframe_sender } => {
                p.bindings.insert(member, sframe_sender);
            }
            Action::MuteMicrophone => p.muted = true,
            Action::RemoteShare { .. } | Action::Sending(_) | Action::RequestKeyframe | Action::UseIceServers(_) => {}
        }
    }

    /// Runs the clock forward, waking every state machine when it asked to be woken.
    fn advance(&mut self, by: Duration) {
        let end = self.now + by;
        loop {
            self.progress();
            let mut next = end;
            if let Some(s) = &self.server {
                next = next.min(s.poll_timeout().unwrap_or(end));
            }
            for p in &self.people {
                next = next.min(p.core.poll_timeout().unwrap_or(end));
            }
            self.now = next.max(self.now);
            let now = self.now;
            if let Some(s) = self.server.as_mut() {
                s.handle_timeout(now);
            }
            for p in &mut self.people {
                p.core.handle_timeout(now);
            }
            self.progress();
            if self.now >= end {
                return;
            }
        }
    }

    /// The server process dies and a new one starts: every connection drops, and the new
    /// server knows no meeting.
    fn restart_server(&mut self) {
        self.restarts += 1;
        self.server = Some(RoomServer::new(ServerConfig::default(), [self.restarts + 1; 32]));
        let now = self.now;
        for p in &mut self.people {
            if p.conn.take().is_some() {
                p.core.handle_disconnected(now);
            }
        }
        self.progress();
    }

    /// A participant's process is killed: its socket closes, it says nothing more.
    fn kill(&mut self, name: &str) {
        let now = self.now;
        let i = self.people.iter().position(|p| p.name == name).expect("there");
        let p = self.people.remove(i);
        if let (Some(conn), Some(s)) = (p.conn, self.server.as_mut()) {
            s.handle_disconnect(conn, now);
        }
        self.progress();
    }

    fn knocks_seen_by(&mut self, name: &str) -> Vec<(MemberId, String)> {
        self.person(name)
            .notices
            .iter()
            .filter_map(|n| match n {
                Notice::Knock { member, name, .. } => Some((*member, name.clone())),
                _ => None,
            })
            .collect()
    }
}

/// The identity of the participant added `seed`-th (Alice, the first, is 1).
fn identity_of(seed: u64) -> DeviceIdentity {
    DeviceIdentity::generate(&mut ChaCha20Rng::seed_from_u64(seed))
}

/// A personal invitation to the meeting of `secret` for `invitee`, signed by `by`.
fn invitation(secret: &[u8], by: &DeviceIdentity, invitee: &str, id: u8) -> String {
    Invitation::issue(secret, invitee, InvitationId([id; 8]), *by.public_key(), [id; 32], |m| {
        by.sign_statement(m).unwrap()
    })
    .unwrap()
    .encode()
}

/// What each knock's invitation was worth to `name`, by the knocker's name (the last notice of
/// each).
fn invitations_seen_by(net: &mut Net, name: &str) -> BTreeMap<String, Option<InvitationCheck>> {
    net.person(name)
        .notices
        .iter()
        .filter_map(|n| match n {
            Notice::Knock { name, invitation, .. } => Some((name.clone(), invitation.clone())),
            _ => None,
        })
        .collect()
}

/// Alice hosts and admits Bob: the net and their member ids.
fn two_in_a_meeting() -> (Net, MemberId, MemberId) {
    let mut net = Net::new();
    net.add("alice", Entry::Host);
    net.add("bob", Entry::Join);
    let (bob, _) = net.knocks_seen_by("alice").pop().expect("knock");
    net.command("alice", Command::Admit(bob));
    let alice = net.id("alice");
    (net, alice, bob)
}

/// Alice hosts; Bob, Carol, Dave and Erin are admitted; Frank is denied.
fn five_in_a_meeting() -> Net {
    let mut net = Net::new();
    net.add("alice", Entry::Host);
    for name in ["bob", "carol", "dave", "erin", "frank"] {
        net.add(name, Entry::Join);
    }
    let knocks = net.knocks_seen_by("alice");
    assert_eq!(knocks.len(), 5, "every knock reaches the host with its sealed name");
    for (member, name) in knocks {
        let c = if name == "frank" { Command::Deny(member) } else { Command::Admit(member) };
        net.command("alice", c);
    }
    net
}

#[test]
fn six_people_meet_the_host_keys_the_admitted_and_every_pair_gets_one_route() {
    let started = std::time::Instant::now();
    let mut net = five_in_a_meeting();
    let inside = ["alice", "bob", "carol", "dave", "erin"];
    let code = net.agreed_code(&inside);
    assert_eq!(net.person("frank").done, Some(Notice::Denied));
    assert_eq!(net.codes(&["frank"]), vec![None], "a denied knocker is sent no keys");
    assert!(!net.person("frank").core.session().is_keyed());
    let ids: BTreeMap<&str, MemberId> = inside.iter().map(|n| (*n, net.id(n))).collect();
    for a in inside {
        let p = net.person(a);
        let want: Vec<MemberId> = inside.iter().filter(|b| **b != a).map(|b| ids[b]).collect();
        assert_eq!(p.routes.keys().copied().collect::<Vec<_>>(), sorted(want), "{a} has a route to every other");
        let named: Vec<&String> = p.reviewed.values().collect();
        assert_eq!(named.len(), 4, "{a} was asked to review every other's vouched identity: {named:?}");
        assert!(p.notices.iter().any(|n| matches!(n, Notice::SecurityCode { code: c, members: 5, .. } if *c == code)));
    }
    for (i, a) in inside.iter().enumerate() {
        for b in &inside[i + 1..] {
            let ab = net.person(a).routes[&ids[b]];
            let ba = net.person(b).routes[&ids[a]];
            let (RouteKind::Mesh { polite: pa, offer: oa }, RouteKind::Mesh { polite: pb, offer: ob }) = (ab, ba);
            assert_ne!(pa, pb, "{a} and {b} agree on who is polite");
            assert!(oa != ob, "exactly one of {a} and {b} offers first (the later one): {oa} {ob}");
            assert!(ob, "{b} joined after {a}, so {b} offers");
        }
    }
    assert_eq!(net.person("bob").reviewed[&ids["alice"]], "alice", "names come from the sealed profiles");
    eprintln!("six people met in {:?} of real time", started.elapsed());
}

fn sorted(mut v: Vec<MemberId>) -> Vec<MemberId> {
    v.sort();
    v
}

#[test]
fn a_removed_member_gets_no_new_keys_and_every_route_to_it_closes() {
    let mut net = five_in_a_meeting();
    let before = net.agreed_code(&["alice", "bob", "carol", "dave", "erin"]);
    let dave = net.id("dave");
    net.command("alice", Command::Remove(dave));
    assert_eq!(net.person("dave").done, Some(Notice::Removed));
    let after = net.agreed_code(&["alice", "bob", "carol", "erin"]);
    assert_ne!(before, after, "removal is a new epoch");
    assert_ne!(net.codes(&["dave"]), vec![Some(after)], "the removed member does not hold the new keys");
    for name in ["alice", "bob", "carol", "erin"] {
        let p = net.person(name);
        assert!(!p.routes.contains_key(&dave), "{name} closed its route to dave");
        assert!(
            p.notices.contains(&Notice::ParticipantLeft { member: dave, reason: LeaveReason::Removed }),
            "{name} was told"
        );
    }
}

#[test]
fn the_meeting_survives_a_server_restart_without_new_keys_or_new_routes() {
    let mut net = five_in_a_meeting();
    let inside = ["alice", "bob", "carol", "dave", "erin"];
    let code = net.agreed_code(&inside);
    let routes: Vec<usize> = inside.iter().map(|n| net.person(n).routes.len()).collect();
    net.restart_server();
    net.advance(Duration::from_secs(30));
    assert_eq!(net.agreed_code(&inside), code, "the group is the members', not the server's: no rekey");
    for (name, n) in inside.iter().zip(routes) {
        let p = net.person(name);
        assert!(p.notices.contains(&Notice::Reconnecting), "{name} was told it reconnects");
        assert!(p.notices.contains(&Notice::Resumed { after_restart: true }), "{name} resumed: {:?}", p.notices);
        assert_eq!(p.routes.len(), n, "{name} keeps its routes");
        assert_eq!(p.done, None);
    }
    assert_eq!(net.person("alice").core.room().role(), Some(Role::Host));
}

#[test]
fn the_host_hands_over_before_leaving_and_the_new_host_admits_the_next_knock() {
    let mut net = five_in_a_meeting();
    net.command("alice", Command::Leave);
    assert_eq!(net.person("alice").done, Some(Notice::Left));
    let rest = ["bob", "carol", "dave", "erin"];
    let hosts: Vec<&str> = rest.iter().copied().filter(|n| net.person(n).core.session().is_host()).collect();
    assert_eq!(hosts.len(), 1, "exactly one member holds the group's host role: {hosts:?}");
    let host = hosts[0];
    assert_eq!(net.person(host).core.room().role(), Some(Role::Host), "the room and the group agree on the host");
    let code = net.agreed_code(&rest);
    net.add("grace", Entry::Join);
    let (grace, name) = net.knocks_seen_by(host).pop().expect("the new host sees the knock");
    assert_eq!(name, "grace");
    net.command(host, Command::Admit(grace));
    let all = ["bob", "carol", "dave", "erin", "grace"];
    assert_ne!(net.agreed_code(&all), code, "the newcomer's Add is a new epoch");
}

#[test]
fn a_killed_member_is_removed_from_the_group_after_the_grace_period() {
    let mut net = five_in_a_meeting();
    let erin = net.id("erin");
    let code = net.agreed_code(&["alice", "bob", "carol", "dave"]);
    net.kill("erin");
    net.advance(Duration::from_secs(5));
    assert!(net.person("bob").notices.contains(&Notice::ParticipantAway { member: erin }));
    assert!(net.person("bob").routes.contains_key(&erin), "an away member keeps its route: it may come back");
    net.advance(Duration::from_secs(40));
    assert!(
        net.person("bob")
            .notices
            .iter()
            .any(|n| matches!(n, Notice::ParticipantLeft { member, .. } if *member == erin))
    );
    assert!(!net.person("bob").routes.contains_key(&erin));
    assert_ne!(net.agreed_code(&["alice", "bob", "carol", "dave"]), code, "the host committed the Remove");
}

#[test]
fn locking_is_a_new_epoch_for_everyone() {
    let mut net = five_in_a_meeting();
    let inside = ["alice", "bob", "carol", "dave", "erin"];
    let a = net.agreed_code(&inside);
    net.command("alice", Command::Lock(true));
    let b = net.agreed_code(&inside);
    net.command("alice", Command::Lock(false));
    let c = net.agreed_code(&inside);
    assert!(a != b && b != c, "each lock change is a commit");
    assert!(net.person("bob").notices.contains(&Notice::Locked { locked: true }));
}

#[test]
fn route_signals_travel_sealed_and_arrive_opened_for_their_route() {
    let (mut net, alice, bob) = two_in_a_meeting();
    let sdp = Signal::Sdp { sdp_type: SdpType::Offer, sdp: "v=0\r\nc=IN IP4 192.0.2.7\r\n".into() };
    net.to_server.clear();
    net.person("alice").route_signals.clear();
    net.person("bob").core.handle_route_signal(alice, &sdp);
    net.progress();
    assert_eq!(net.person("alice").route_signals, vec![(bob, sdp)]);
    let wire: String = net.to_server.iter().map(|b| String::from_utf8_lossy(b).into_owned()).collect();
    assert!(wire.contains("\"sealed\""), "{wire}");
    assert!(!wire.contains("192.0.2.7") && !wire.contains("v=0"), "the server never sees SDP: {wire}");
}

#[test]
fn an_unreachable_server_is_told_once_and_dialled_with_back_off() {
    let mut net = Net::new();
    net.server = None;
    net.add("alice", Entry::Host);
    net.advance(Duration::from_secs(20));
    let p = net.person("alice");
    let errors: Vec<&Notice> = p.notices.iter().filter(|n| matches!(n, Notice::Error { .. })).collect();
    assert_eq!(errors.len(), 1, "told once per outage: {errors:?}");
    assert!(matches!(errors[0], Notice::Error { code, .. } if code == "net.unreachable"));
    let waits: Vec<u128> = p.dials.windows(2).map(|w| (w[1] - w[0]).as_millis()).collect();
    assert_eq!(&waits[..6], &[250, 500, 1000, 2000, 4000, 5000], "back-off doubles to its cap");
    net.server = Some(RoomServer::new(ServerConfig::default(), [9; 32]));
    net.advance(Duration::from_secs(6));
    assert!(net.person("alice").notices.iter().any(|n| matches!(n, Notice::Created { .. })));
    assert!(net.person("alice").core.session().is_keyed());
}

impl Net {
    /// The server (the attacker here) sends `to` a message of its own making.
    fn forge(&mut self, to: &str, msg: &trygg_core::room::proto::ServerMsg) {
        let now = self.now;
        let bytes = trygg_core::room::proto::encode(msg);
        self.person(to).core.handle_message(&bytes, now).expect("well-formed");
        self.progress();
    }
}

#[test]
fn a_server_that_lets_in_a_denied_knocker_gets_them_no_keys() {
    let mut net = five_in_a_meeting();
    let inside = ["alice", "bob", "carol", "dave", "erin"];
    let code = net.agreed_code(&inside);
    let (frank, _) = net.knocks_seen_by("alice").into_iter().find(|(_, n)| n == "frank").expect("frank knocked");
    // Frank was denied and has gone; a hostile server keeps his knock, shows it to the host
    // again (who does nothing about it) and then tells the host he joined, with his sealed
    // profile (name and KeyPackage) as it was.
    let profile = net.person("frank").core.session().profile();
    let replayed = trygg_core::room::proto::ServerMsg::Knock { member: frank, sealed_profile: profile.clone() };
    net.forge("alice", &replayed);
    let forged = trygg_core::room::proto::ServerMsg::MemberJoined {
        member: trygg_core::room::proto::MemberInfo {
            id: frank,
            role: Role::Participant,
            hand_raised: false,
            present: true,
        },
        sealed_profile: Some(profile),
    };
    net.forge("alice", &forged);
    assert_eq!(net.agreed_code(&inside), code, "no Add was committed: the epoch is the same");
    assert!(
        net.person("alice")
            .notices
            .iter()
            .any(|n| matches!(n, Notice::Error { code, .. } if code == "e2ee.unapproved_join")),
        "the host is told the server let in someone nobody admitted"
    );
}

#[test]
fn a_cohost_the_group_names_admits_and_the_host_keys_the_newcomer() {
    let mut net = five_in_a_meeting();
    let bob = net.id("bob");
    net.command("alice", Command::SetRole(bob, Role::CoHost));
    let before = net.agreed_code(&["alice", "bob", "carol", "dave", "erin"]);
    net.add("grace", Entry::Join);
    let (grace, name) = net.knocks_seen_by("bob").pop().expect("the co-host sees the knock");
    assert_eq!(name, "grace");
    net.command("bob", Command::Admit(grace));
    let all = ["alice", "bob", "carol", "dave", "erin", "grace"];
    assert_ne!(net.agreed_code(&all), before, "the host committed the Add the co-host approved");
    assert!(
        !net.person("alice")
            .notices
            .iter()
            .any(|n| matches!(n, Notice::Error { code, .. } if code == "e2ee.unapproved_join")),
        "{:?}",
        net.person("alice").notices
    );
}

#[test]
fn a_welcome_from_a_member_who_is_not_the_host_is_refused_and_the_real_one_still_works() {
    let mut net = five_in_a_meeting();
    net.add("grace", Entry::Join);
    let (grace, _) = net.knocks_seen_by("alice").pop().expect("grace knocked");
    // Bob holds the link, so he can read Grace's knock and make a group of his own with her
    // KeyPackage in it; the server relays his Welcome while she waits in the lobby.
    let profile = net.person("grace").core.session().profile();
    let knock = trygg_core::e2ee::knock::open_knock(SECRET, profile.as_bytes()).expect("bob can open it");
    let bob_identity = DeviceIdentity::generate(&mut ChaCha20Rng::seed_from_u64(99));
    let mut private = trygg_core::e2ee::mls::MeetingGroup::create(&bob_identity).expect("a group");
    let welcome = private.admit(&knock.key_package).expect("bob adds her").welcome;
    let mut data = vec![trygg_core::e2ee::session::WELCOME];
    data.extend(welcome);
    let bob = net.id("bob");
    let rogue = trygg_core::room::proto::ServerMsg::Signal {
        from: bob,
        payload: Signal::Handshake { data: trygg_core::room::Blob(data) },
    };
    // Alice admits; her Commit and Welcome are held back so that Bob's arrives first.
    net.hold_handshakes_of = Some("alice");
    net.command("alice", Command::Admit(grace));
    net.forge("grace", &rogue);
    assert!(!net.person("grace").core.session().is_keyed(), "bob's private group was refused");
    assert!(
        net.person("grace")
            .notices
            .iter()
            .any(|n| matches!(n, Notice::Error { code, .. } if code == "e2ee.welcome_not_from_host"))
    );
    // Now Alice's arrive.
    net.hold_handshakes_of = None;
    let now = net.now;
    let alice = net.people.iter().position(|p| p.name == "alice").expect("alice");
    let conn = net.people[alice].conn.expect("connected");
    for bytes in std::mem::take(&mut net.held) {
        net.server.as_mut().expect("up").handle_message(conn, &bytes, now);
    }
    net.progress();
    net.agreed_code(&["alice", "bob", "carol", "dave", "erin", "grace"]);
}

#[test]
fn a_profile_swap_by_the_server_changes_no_name_key_or_binding_a_third_member_sees() {
    let mut net = five_in_a_meeting();
    let (alice, bob) = (net.id("alice"), net.id("bob"));
    let alice_key = net.person("alice").core.session().fingerprint();
    let alice_leaf = net.person("alice").core.session().own_leaf();
    let bob_leaf = net.person("bob").core.session().own_leaf();
    // The server tells Carol that Bob's profile is Alice's and Alice's is Bob's.
    let profile = |net: &mut Net, n: &str| net.person(n).core.session().profile();
    let (pa, pb) = (profile(&mut net, "alice"), profile(&mut net, "bob"));
    use trygg_core::room::proto::ServerMsg;
    net.forge("carol", &ServerMsg::Signal { from: bob, payload: Signal::Profile { data: pa } });
    net.forge("carol", &ServerMsg::Signal { from: alice, payload: Signal::Profile { data: pb } });
    let carol = net.person("carol");
    assert_eq!(carol.core.name_of(&bob), "bob", "the name Bob announced in the group stands");
    assert_eq!(carol.core.name_of(&alice), "alice");
    assert_eq!(carol.reviewed[&bob], "bob");
    assert_eq!(carol.reviewed[&alice], "alice");
    let (key, name) = carol.core.session().vouched(&alice).expect("vouched");
    assert_eq!((key.to_string(), name.as_str()), (alice_key, "alice"));
    assert_eq!(carol.bindings[&alice], alice_leaf, "Alice's route takes media only from Alice's leaf");
    assert_eq!(carol.bindings[&bob], bob_leaf);
    assert_ne!(alice_leaf, bob_leaf);
}

#[test]
fn after_a_server_restart_a_newcomer_is_still_admitted_and_keyed() {
    let mut net = five_in_a_meeting();
    net.restart_server();
    net.advance(Duration::from_secs(30));
    net.add("grace", Entry::Join);
    let host = ["alice", "bob", "carol", "dave", "erin"]
        .into_iter()
        .find(|n| net.person(n).core.room().role() == Some(Role::Host))
        .expect("a room host");
    let (grace, _) = net.knocks_seen_by(host).pop().expect("the room's host sees the knock");
    net.command(host, Command::Admit(grace));
    let notices: Vec<Notice> = net.person("grace").notices.clone();
    assert!(net.person("grace").core.session().is_keyed(), "{host} admitted; grace saw {notices:?}");
    net.agreed_code(&["alice", "bob", "carol", "dave", "erin", "grace"]);
}

#[test]
fn the_host_rekeys_when_its_audio_counter_runs_long_and_everyone_follows() {
    use trygg_core::e2ee::media_keys::{REKEY_AUDIO_COUNTER, StreamKind};
    let mut net = five_in_a_meeting();
    let inside = ["alice", "bob", "carol", "dave", "erin"];
    let before = net.agreed_code(&inside);
    net.advance(Duration::from_secs(5));
    assert_eq!(net.agreed_code(&inside), before, "no rekey while the counters are short");
    // Twenty minutes of the host's audio, encrypted (the frames go nowhere).
    {
        let keys = net.person("alice").core.session().keys.clone();
        let mut k = keys.lock().expect("keys");
        let mut out = Vec::new();
        for _ in 0..REKEY_AUDIO_COUNTER {
            k.encrypt(StreamKind::Audio, b"", b"opus", &mut out).expect("encrypts");
        }
        assert!(k.wants_rekey());
    }
    net.advance(Duration::from_secs(2));
    let after = net.agreed_code(&inside);
    assert_ne!(after, before, "the host committed a new epoch and every member followed");
    assert!(!net.person("alice").core.session().keys.lock().expect("keys").wants_rekey(), "counters start over");
}

#[test]
fn a_sealed_signal_the_server_hands_over_again_is_refused() {
    let (mut net, alice, bob) = two_in_a_meeting();
    let offer = Signal::Sdp { sdp_type: SdpType::Offer, sdp: "v=0\r\n".into() };
    net.to_server.clear();
    net.person("alice").route_signals.clear();
    net.person("bob").core.handle_route_signal(alice, &offer);
    net.progress();
    assert_eq!(net.person("alice").route_signals.len(), 1);
    // The server keeps the sealed offer and hands it over again, later.
    let sealed = net
        .to_server
        .iter()
        .find_map(|b| match trygg_core::room::proto::decode_client(b, usize::MAX) {
            Ok(trygg_core::room::proto::ClientMsg::Signal { payload: p @ Signal::Sealed { .. }, .. }) => Some(p),
            _ => None,
        })
        .expect("bob's sealed offer went through the server");
    net.advance(Duration::from_secs(3));
    net.forge("alice", &trygg_core::room::proto::ServerMsg::Signal { from: bob, payload: sealed });
    assert_eq!(net.person("alice").route_signals.len(), 1, "the replay reached no route");
    // Bob's next signal is taken as usual.
    net.person("bob").core.handle_route_signal(alice, &offer);
    net.progress();
    assert_eq!(net.person("alice").route_signals.len(), 2);
}

#[test]
fn a_flood_of_forged_joins_starts_no_connection_and_a_forged_roster_is_capped() {
    use trygg_core::meeting::MAX_ROUTES;
    use trygg_core::room::proto::{MemberInfo, ServerMsg};
    let mut net = five_in_a_meeting();
    let before = net.person("bob").routes.len();
    for i in 0..1000u32 {
        let mut id = [0xee; 8];
        id[4..].copy_from_slice(&i.to_be_bytes());
        let member =
            MemberInfo { id: MemberId::from_bytes(id), role: Role::Participant, hand_raised: false, present: true };
        net.forge("bob", &ServerMsg::MemberJoined { member, sealed_profile: None });
    }
    assert_eq!(net.person("bob").routes.len(), before, "no route for a member only the server vouches for");
    // A newcomer the server says joined gets its route when its sealed offer arrives.
    net.add("grace", Entry::Join);
    let (grace, _) = net.knocks_seen_by("alice").pop().expect("knock");
    net.command("alice", Command::Admit(grace));
    assert!(net.person("bob").routes.contains_key(&grace), "grace's sealed offer made bob's route");
    // A joiner the server tells of two hundred members connects to no more than MAX_ROUTES.
    net.add("henry", Entry::Join);
    let (henry, _) = net.knocks_seen_by("alice").pop().expect("knock");
    let fake = |i: u32| {
        let mut id = [0xdd; 8];
        id[4..].copy_from_slice(&i.to_be_bytes());
        MemberInfo { id: MemberId::from_bytes(id), role: Role::Participant, hand_raised: false, present: true }
    };
    let mut members: Vec<MemberInfo> = (0..200).map(fake).collect();
    members.push(MemberInfo { id: henry, role: Role::Participant, hand_raised: false, present: true });
    let joined = ServerMsg::Joined {
        how: trygg_core::room::proto::JoinKind::Admitted,
        me: henry,
        role: Role::Participant,
        resume_token: trygg_core::room::ResumeToken::from_bytes([5; 32]),
        locked: false,
        members,
    };
    net.forge("henry", &joined);
    let p = net.person("henry");
    assert_eq!(p.routes.len(), MAX_ROUTES);
    assert!(p.notices.iter().any(|n| matches!(n, Notice::Error { code, .. } if code == "meeting.too_many_members")));
}

#[test]
fn only_the_groups_host_or_a_cohost_can_mute_someone_not_the_server() {
    use trygg_core::room::proto::ServerMsg;
    let mut net = five_in_a_meeting();
    let (alice, carol) = (net.id("alice"), net.id("carol"));
    // The server says Alice asked Carol to mute: Carol's microphone stays on.
    net.forge("carol", &ServerMsg::MuteRequested { by: alice });
    assert!(!net.person("carol").muted, "the server's word mutes nobody");
    assert!(!net.person("carol").notices.contains(&Notice::MutedByHost));
    // Alice, the group's host, asks: Carol mutes and is told.
    net.command("alice", Command::Mute(carol));
    assert!(net.person("carol").muted);
    assert!(net.person("carol").notices.contains(&Notice::MutedByHost));
    assert!(!net.person("bob").muted, "nobody else");
}

#[test]
fn every_member_refreshes_its_leaf_every_ten_minutes_and_the_group_follows() {
    use trygg_core::e2ee::session::LEAF_REFRESH;
    let mut net = five_in_a_meeting();
    let inside = ["alice", "bob", "carol", "dave", "erin"];
    let before = net.agreed_code(&inside);
    let epochs =
        |net: &mut Net| net.person("carol").notices.iter().filter(|n| matches!(n, Notice::SecurityCode { .. })).count();
    let keys_before = epochs(&mut net);
    net.advance(LEAF_REFRESH + Duration::from_secs(60));
    let after = net.agreed_code(&inside);
    assert_ne!(after, before);
    // The host's own refresh, then one commit per member's proposal (staggered by leaf).
    assert!(epochs(&mut net) >= keys_before + 5, "{} new epochs", epochs(&mut net) - keys_before);
    for name in inside {
        assert_eq!(net.person(name).done, None, "{name} is still in");
    }
}

/// The sealed profile of every knock that went to the server, in order (what a server that
/// keeps knocks holds).
fn knocks_sent(net: &Net) -> Vec<trygg_core::room::Blob> {
    use trygg_core::room::proto::{ClientMsg, decode_client};
    net.to_server
        .iter()
        .filter_map(|b| match decode_client(b, usize::MAX) {
            Ok(ClientMsg::Knock { sealed_profile, .. }) => Some(sealed_profile),
            _ => None,
        })
        .collect()
}

#[test]
fn a_knock_kept_from_an_earlier_meeting_of_the_same_link_is_refused() {
    use trygg_core::room::proto::ServerMsg;
    // Monday's meeting: Bob knocks and is admitted. The server keeps his knock.
    let (monday, _, _) = two_in_a_meeting();
    let kept = knocks_sent(&monday).pop().expect("bob's knock");
    assert!(monday.people.iter().all(|p| p.core.session().is_keyed()));
    // Tuesday, same link: Alice starts the meeting again (a new run). The server replays Bob's
    // knock, hoping Alice admits a "Bob" who is not there (whom everyone would see verified).
    let mut tuesday = Net { day: 1, ..Net::new() };
    tuesday.add("alice", Entry::Host);
    let ghost = MemberId::from_bytes([0x0b; 8]);
    tuesday.forge("alice", &ServerMsg::Knock { member: ghost, sealed_profile: kept });
    let alice = tuesday.person("alice");
    assert!(
        alice.notices.iter().any(|n| matches!(n, Notice::Error { code, .. } if code == "e2ee.knock_for_another_run")),
        "{:?}",
        alice.notices
    );
    assert!(tuesday.knocks_seen_by("alice").is_empty(), "the lobby never shows it");
    let before = tuesday.agreed_code(&["alice"]);
    tuesday.command("alice", Command::Admit(ghost));
    assert_eq!(tuesday.agreed_code(&["alice"]), before, "admitting it commits nothing: no Add, no new epoch");
    // A real knock on Tuesday's run still gets in.
    tuesday.add("bob", Entry::Join);
    let (bob, name) = tuesday.knocks_seen_by("alice").pop().expect("bob knocks on tuesday's run");
    assert_eq!(name, "bob");
    tuesday.command("alice", Command::Admit(bob));
    tuesday.agreed_code(&["alice", "bob"]);
}

#[test]
fn a_removal_counts_only_when_a_host_or_cohost_said_so_in_the_group() {
    use trygg_core::room::proto::ServerMsg;
    let mut net = five_in_a_meeting();
    let dave = net.id("dave");
    let unconfirmed = |p: &Person| {
        p.notices.iter().any(|n| matches!(n, Notice::Error { code, .. } if code == "e2ee.removal_unconfirmed"))
    };
    // The server alone takes Carol's seat: her app says it was the server, not a host.
    net.forge("carol", &ServerMsg::Removed);
    assert_eq!(net.person("carol").done, Some(Notice::RemovedByServer));
    // The server tells Bob that Dave was removed: Bob is told nobody asked for it.
    net.forge("bob", &ServerMsg::MemberLeft { member: dave, reason: LeaveReason::Removed });
    assert!(unconfirmed(net.person("bob")));
    // Alice makes Erin co-host; Erin removes Dave. Dave hears it from Erin in the group, the
    // host commits it, and nobody sees an unconfirmed removal.
    let erin = net.id("erin");
    net.command("alice", Command::SetRole(erin, Role::CoHost));
    net.command("erin", Command::Remove(dave));
    assert_eq!(net.person("dave").done, Some(Notice::Removed));
    for name in ["alice", "erin"] {
        assert!(!unconfirmed(net.person(name)), "{name}");
    }
    let code = net.agreed_code(&["alice", "bob", "erin"]);
    assert_ne!(net.codes(&["dave"])[0], Some(code), "dave holds no new keys");
    assert!(!net.person("alice").core.room().members().iter().any(|m| m.id == dave));
}

#[test]
fn a_member_the_server_keeps_behind_an_epoch_notices_and_is_added_again() {
    let mut net = five_in_a_meeting();
    // The server withholds Alice's next commit from Carol.
    net.withhold_handshakes_to = Some("carol");
    net.command("alice", Command::Lock(true));
    let others = ["alice", "bob", "dave", "erin"];
    let moved_on = net.agreed_code(&others);
    assert_ne!(net.codes(&["carol"])[0], Some(moved_on), "Carol is an epoch behind");
    // The next commit reaches her: it is of an epoch she does not have. She notices, asks the
    // host to add her again with a fresh KeyPackage of her own key, and is back.
    net.withhold_handshakes_to = None;
    net.command("alice", Command::Lock(false));
    net.agreed_code(&["alice", "bob", "carol", "dave", "erin"]);
    let carol = net.person("carol");
    assert!(carol.notices.iter().any(|n| matches!(n, Notice::Error { code, .. } if code == "e2ee.behind")));
    assert!(carol.done.is_none(), "still in the meeting");
    // Everyone binds Carol's route to her new leaf once she says again who she is.
    let carol_id = net.id("carol");
    let new_leaf = net.person("carol").core.session().own_leaf();
    assert!(new_leaf.is_some());
    for name in others {
        assert_eq!(net.person(name).bindings.get(&carol_id).copied().flatten(), new_leaf, "{name}");
    }
}

#[test]
fn the_lobby_shows_whom_a_knock_was_invited_as_and_forged_foreign_and_revoked_invitations_as_such() {
    let mut net = Net::new();
    let alice = identity_of(1);
    let rules = InvitationPolicy { revoked: [InvitationId([2; 8])].into(), invited_only: false };
    net.add_with("alice", Entry::Host, None, rules);
    net.add_with("bob", Entry::Join, Some(invitation(SECRET, &alice, "bob@example.no", 1)), Default::default());
    net.add_with("carol", Entry::Join, Some(invitation(SECRET, &alice, "carol@example.no", 2)), Default::default());
    // Dave holds the link and signs an invitation for himself with his own device key.
    let dave = identity_of(4);
    net.add_with("dave", Entry::Join, Some(invitation(SECRET, &dave, "alice@example.no", 3)), Default::default());
    // Erin changes the address in Bob's invitation to her own.
    let bobs = invitation(SECRET, &alice, "bob@example.no", 4);
    let mut bytes = data_encoding::BASE64URL_NOPAD.decode(bobs.as_bytes()).unwrap();
    let at = bytes.len() - "bob@example.no".len();
    bytes.truncate(at);
    bytes.extend_from_slice(b"erin@example.no");
    net.add_with("erin", Entry::Join, Some(data_encoding::BASE64URL_NOPAD.encode(&bytes)), Default::default());
    // Frank brings an invitation Alice made for another meeting.
    let other = invitation(b"another link's secret, 32 bytes", &alice, "frank@example.no", 5);
    net.add_with("frank", Entry::Join, Some(other), Default::default());
    net.add("grace", Entry::Join);

    let seen = invitations_seen_by(&mut net, "alice");
    let invited =
        |invitee: &str, id: u8| Some(InvitationCheck::Invited { invitee: invitee.into(), id: InvitationId([id; 8]) });
    assert_eq!(seen["bob"], invited("bob@example.no", 1));
    assert_eq!(
        seen["carol"],
        Some(InvitationCheck::Revoked { invitee: "carol@example.no".into(), id: InvitationId([2; 8]) })
    );
    assert_eq!(seen["dave"], Some(InvitationCheck::OtherSigner { signer: *dave.public_key() }));
    assert_eq!(seen["erin"], Some(InvitationCheck::Forged));
    assert_eq!(seen["frank"], Some(InvitationCheck::OtherMeeting));
    assert_eq!(seen["grace"], None, "a shared link carries no invitation");

    // Revoked during the meeting: Bob's knock is shown again, as revoked; the host still decides.
    net.command("alice", Command::RevokeInvitation(InvitationId([1; 8])));
    let seen = invitations_seen_by(&mut net, "alice");
    assert_eq!(
        seen["bob"],
        Some(InvitationCheck::Revoked { invitee: "bob@example.no".into(), id: InvitationId([1; 8]) })
    );
    let (bob, _) = net.knocks_seen_by("alice").into_iter().find(|(_, n)| n == "bob").unwrap();
    net.command("alice", Command::Admit(bob));
    net.agreed_code(&["alice", "bob"]);
}

#[test]
fn with_invited_only_every_knock_without_a_valid_invitation_is_turned_away_before_the_lobby() {
    let mut net = Net::new();
    let alice = identity_of(1);
    let rules = InvitationPolicy { revoked: [InvitationId([2; 8])].into(), invited_only: true };
    net.add_with("alice", Entry::Host, None, rules);
    net.add_with("bob", Entry::Join, Some(invitation(SECRET, &alice, "bob@example.no", 1)), Default::default());
    net.add_with("carol", Entry::Join, Some(invitation(SECRET, &alice, "carol@example.no", 2)), Default::default());
    net.add_with(
        "dave",
        Entry::Join,
        Some(invitation(SECRET, &identity_of(4), "dave@example.no", 3)),
        Default::default(),
    );
    net.add("erin", Entry::Join);
    let knocks: Vec<String> = net.knocks_seen_by("alice").into_iter().map(|(_, n)| n).collect();
    assert_eq!(knocks, ["bob"], "only the valid invitation reaches the lobby");
    let refusals = net
        .person("alice")
        .notices
        .iter()
        .filter(|n| matches!(n, Notice::Error { code, .. } if code == "e2ee.not_invited"))
        .count();
    assert_eq!(refusals, 3, "the host is told of each one turned away");
    for turned_away in ["carol", "dave", "erin"] {
        assert_eq!(net.person(turned_away).done, Some(Notice::Denied), "{turned_away}");
    }
}

#[test]
fn a_cohost_cannot_let_in_a_knock_whose_invitation_the_host_revoked_the_host_can() {
    let mut net = Net::new();
    let alice = identity_of(1);
    let rules = InvitationPolicy { revoked: [InvitationId([2; 8])].into(), invited_only: false };
    net.add_with("alice", Entry::Host, None, rules);
    net.add("bob", Entry::Join);
    let (bob, _) = net.knocks_seen_by("alice").pop().unwrap();
    net.command("alice", Command::Admit(bob));
    net.command("alice", Command::SetRole(bob, Role::CoHost));
    net.add_with("carol", Entry::Join, Some(invitation(SECRET, &alice, "carol@example.no", 2)), Default::default());
    let seen = invitations_seen_by(&mut net, "bob");
    assert!(matches!(seen["carol"], Some(InvitationCheck::Invited { .. })), "the co-host does not see the host's list");
    let (carol, _) = net.knocks_seen_by("bob").into_iter().find(|(_, n)| n == "carol").unwrap();
    let before = net.agreed_code(&["alice", "bob"]);
    net.command("bob", Command::Admit(carol));
    assert_eq!(net.codes(&["carol"]), [None], "no keys for the revoked invitation");
    assert_eq!(net.agreed_code(&["alice", "bob"]), before, "no Add was committed");
    assert!(
        net.person("alice")
            .notices
            .iter()
            .any(|n| matches!(n, Notice::Error { message, .. } if message.contains("revoked"))),
        "the host is told why"
    );
    // Carol does not sit keyless in the room, hearing who is there: the host removes her, and
    // tells the group first.
    let gone = net.person("carol").done.clone();
    assert!(matches!(gone, Some(Notice::Removed | Notice::RemovedByServer)), "{gone:?}");
    assert!(
        !net.person("bob")
            .notices
            .iter()
            .any(|n| matches!(n, Notice::Error { code, .. } if code == "e2ee.removal_unconfirmed")),
        "the co-host heard it from the host in the group"
    );
    // The host itself decides otherwise when she knocks again: its own approval lets her in.
    net.add_with("carol", Entry::Join, Some(invitation(SECRET, &alice, "carol@example.no", 2)), Default::default());
    let (carol, _) = net.knocks_seen_by("alice").into_iter().rfind(|(_, n)| n == "carol").unwrap();
    net.command("alice", Command::Admit(carol));
    let code = net.agreed_code(&["alice", "bob"]);
    let newest = net.people.iter().rev().find(|p| p.name == "carol").unwrap();
    assert_eq!(newest.core.session().security_code(), Some(code));
}

#[test]
fn under_invited_only_a_knock_whose_invitation_is_revoked_while_it_waits_is_turned_away() {
    let mut net = Net::new();
    let alice = identity_of(1);
    net.add_with("alice", Entry::Host, None, InvitationPolicy { invited_only: true, ..Default::default() });
    net.add_with("bob", Entry::Join, Some(invitation(SECRET, &alice, "bob@example.no", 1)), Default::default());
    let (bob, _) = net.knocks_seen_by("alice").pop().expect("Bob waits in the lobby");
    net.command("alice", Command::RevokeInvitation(InvitationId([1; 8])));
    assert_eq!(net.person("bob").done, Some(Notice::Denied), "turned away at once");
    assert!(
        net.person("alice").notices.iter().any(
            |n| matches!(n, Notice::Error { code, message } if code == "e2ee.not_invited" && message.contains("revoked"))
        ),
        "the host is told"
    );
    let before = net.agreed_code(&["alice"]);
    net.command("alice", Command::Admit(bob));
    assert_eq!(net.agreed_code(&["alice"]), before, "nothing to admit");
}

#[test]
fn an_invitation_copied_out_of_an_admitted_knock_lets_nobody_else_in() {
    use trygg_core::e2ee::knock::{KnockProfile, open_knock, seal_knock};
    use trygg_core::e2ee::mls::Joiner;
    use trygg_core::room::proto::ServerMsg;
    for invited_only in [true, false] {
        let mut net = Net::new();
        let alice = identity_of(1);
        net.add_with("alice", Entry::Host, None, InvitationPolicy { invited_only, ..Default::default() });
        // Carol, invited, is in the meeting when Bob, invited, is admitted: the server hands her
        // Bob's knock as he joins, and she holds the link's secret to open it.
        net.add_with("carol", Entry::Join, Some(invitation(SECRET, &alice, "carol@example.no", 2)), Default::default());
        let (carol, _) = net.knocks_seen_by("alice").pop().unwrap();
        net.command("alice", Command::Admit(carol));
        net.add_with("bob", Entry::Join, Some(invitation(SECRET, &alice, "bob@example.no", 1)), Default::default());
        let (bob, _) = net.knocks_seen_by("alice").into_iter().find(|(_, n)| n == "bob").unwrap();
        net.command("alice", Command::Admit(bob));
        net.agreed_code(&["alice", "bob", "carol"]);
        let bobs_knock = open_knock(SECRET, knocks_sent(&net).pop().unwrap().as_bytes()).unwrap();
        let copied = bobs_knock.invite_token.clone().expect("Bob's knock shows his invitation");
        // What a member introduces itself with to newcomers carries no invitation at all.
        let intro = open_knock(SECRET, net.person("bob").core.session().profile().as_bytes()).unwrap();
        assert_eq!(intro.invite_token, None);

        // Carol (or anyone the server shows the knock to) knocks again as "Bob" with a device of
        // her own and Bob's invitation; the server delivers it to Alice.
        let instance = net.person("alice").core.session().instance().unwrap();
        let joiner = Joiner::new(&identity_of(9)).unwrap();
        let forged = KnockProfile {
            display_name: "Bob".into(),
            invite_token: Some(copied),
            key_package: joiner.key_package().to_vec(),
            instance: Some(instance),
        };
        let blob = seal_knock(SECRET, &forged, &mut ChaCha20Rng::seed_from_u64(7)).unwrap();
        let fake = MemberId::from_bytes([0x0f; 8]);
        net.forge("alice", &ServerMsg::Knock { member: fake, sealed_profile: trygg_core::room::Blob(blob) });
        let shown = net.person("alice").notices.iter().rev().find_map(|n| match n {
            Notice::Knock { member, invitation, .. } if *member == fake => Some(invitation.clone()),
            _ => None,
        });
        if invited_only {
            assert_eq!(shown, None, "turned away before the lobby");
            assert!(
                net.person("alice").notices.iter().any(
                    |n| matches!(n, Notice::Error { code, message } if code == "e2ee.not_invited" && message.contains("copied"))
                ),
                "the host is told it was a copy"
            );
        } else {
            assert_eq!(shown, Some(Some(InvitationCheck::Copied { id: InvitationId([1; 8]) })), "shown as a copy");
        }
        let before = net.agreed_code(&["alice", "bob", "carol"]);
        net.command("alice", Command::Admit(fake));
        if invited_only {
            assert_eq!(net.agreed_code(&["alice", "bob", "carol"]), before, "no Add for the copy");
        }
    }
}

#[test]
fn a_route_that_never_connects_or_fails_is_tried_again_backing_off_and_one_that_connects_is_left_alone() {
    let (mut net, alice, bob) = two_in_a_meeting();
    let start = net.now;
    // Bob's route to Alice connects; Alice's to Bob never says so (its handshake was lost).
    net.person("bob").core.handle_link_state(alice, LinkState::Connecting, start);
    net.person("bob").core.handle_link_state(alice, LinkState::Connected, start);
    net.advance(Duration::from_secs(14));
    let tries = |net: &mut Net, name| -> Vec<(u64, MemberId, u32)> {
        net.person(name).restarted.iter().map(|(t, m, n)| (t.saturating_sub(start).as_secs(), *m, *n)).collect()
    };
    // The side that is polite in the negotiation follows 4 s after the other would.
    let later = follows_later(&mut net, "alice", bob);
    assert_eq!(tries(&mut net, "alice"), vec![(10 + later, bob, 1)]);
    assert_eq!(tries(&mut net, "bob"), vec![]);
    // Alice's connects after that restart: no more tries.
    let now = net.now;
    net.person("alice").core.handle_link_state(bob, LinkState::Connected, now);
    // Bob's link fails: tried again at once; lost, it gets three seconds to come back by itself.
    net.person("bob").core.handle_link_state(alice, LinkState::Failed, now);
    net.advance(Duration::from_millis(1));
    assert_eq!(tries(&mut net, "bob"), vec![(14, alice, 1)]);
    let now = net.now;
    net.person("bob").core.handle_link_state(alice, LinkState::Connected, now);
    net.person("bob").core.handle_link_state(alice, LinkState::Disconnected, now);
    net.advance(Duration::from_secs(2));
    let now = net.now;
    net.person("bob").core.handle_link_state(alice, LinkState::Connected, now);
    net.advance(Duration::from_secs(10));
    assert_eq!(tries(&mut net, "bob").len(), 1, "it came back by itself");
    net.advance(Duration::from_secs(120));
    assert_eq!(tries(&mut net, "alice").len(), 1);
    assert!(net.person("alice").rebuilt.is_empty() && net.person("bob").rebuilt.is_empty());
}

#[test]
fn a_route_that_an_ice_restart_does_not_mend_gets_a_new_connection_on_both_sides() {
    let (mut net, alice, bob) = two_in_a_meeting();
    let start = net.now;
    let later = follows_later(&mut net, "alice", bob);
    // Alice's link to Bob never connects (its DTLS handshake gave up), nor does any new one.
    net.person("bob").core.handle_link_state(alice, LinkState::Connected, start);
    net.advance(Duration::from_secs(16 + later));
    let secs = |t: Duration| t.saturating_sub(start).as_secs();
    let restarted: Vec<_> = net.person("alice").restarted.iter().map(|&(t, m, n)| (secs(t), m, n)).collect();
    let rebuilt: Vec<_> = net.person("alice").rebuilt.iter().map(|&(t, m, n, o)| (secs(t), m, n, o)).collect();
    // An ICE restart first, then a new connection, which Alice offers.
    assert_eq!(restarted, vec![(10 + later, bob, 1)]);
    assert_eq!(rebuilt, vec![(15 + later, bob, 2, true)]);
    // Bob takes the new connection up when its first signal comes, as the one who answers, and
    // the signal goes to the new connection.
    let taken: Vec<_> = net.person("bob").rebuilt.iter().map(|&(t, m, _, o)| (secs(t), m, o)).collect();
    assert_eq!(taken, vec![(15 + later, alice, false)]);
    let offers = |net: &mut Net, name, from| {
        net.person(name).route_signals.iter().filter(|(m, s)| *m == from && is_offer(s)).count()
    };
    // (Bob, the newcomer, made the first offer; this one is the new connection's.)
    assert_eq!(offers(&mut net, "bob", alice), 1, "Alice's offer on the new connection reached Bob's");
    // Still nothing connects: both go on trying, and every new connection either side builds is
    // taken up by the other; they alternate with ICE restarts and back off.
    net.advance(Duration::from_secs(120));
    for (me, my_id, other, them) in [("alice", alice, bob, "bob"), ("bob", bob, alice, "alice")] {
        let built: Vec<Duration> = net.person(me).rebuilt.iter().filter(|r| r.3).map(|r| r.0).collect();
        let taken: Vec<Duration> =
            net.person(them).rebuilt.iter().filter(|r| !r.3 && r.1 == my_id).map(|r| r.0).collect();
        assert_eq!(built, taken, "{me}'s new connections are each taken up by {them}");
        assert!(net.person(me).rebuilt.iter().all(|r| r.1 == other));
    }
    let all: usize = ["alice", "bob"].iter().map(|n| net.person(n).rebuilt.len() + net.person(n).restarted.len()).sum();
    assert!(all <= 20, "two and a half minutes cost {all} tries on both sides together");
    // Connected at last: no more tries on either side.
    let now = net.now;
    net.person("alice").core.handle_link_state(bob, LinkState::Connected, now);
    net.person("bob").core.handle_link_state(alice, LinkState::Connected, now);
    let before = (net.person("alice").rebuilt.len(), net.person("bob").rebuilt.len());
    net.advance(Duration::from_secs(120));
    assert_eq!((net.person("alice").rebuilt.len(), net.person("bob").rebuilt.len()), before);
}

#[test]
fn a_signal_of_a_connection_that_was_replaced_is_dropped() {
    let (mut net, alice, bob) = two_in_a_meeting();
    let start = net.now;
    net.person("bob").core.handle_link_state(alice, LinkState::Connected, start);
    // Bob's side is slow: Alice builds a new connection and offers on it before Bob hears of it,
    // and meanwhile Bob's old connection still trickles a candidate to her.
    let later = follows_later(&mut net, "alice", bob);
    net.advance(Duration::from_secs(14 + later));
    net.delay_to = Some("bob");
    net.advance(Duration::from_secs(2));
    assert_eq!(net.person("alice").rebuilt.len(), 1, "Alice built a new connection");
    let seen_before = net.person("alice").route_signals.len();
    let now = net.now;
    let old = Signal::Ice {
        candidate: "candidate:1 1 udp 1 192.0.2.1 9 typ host".into(),
        sdp_mid: None,
        sdp_mline_index: None,
    };
    net.person("bob").core.handle_route_signal(alice, &old);
    net.person("bob").core.handle_timeout(now);
    net.progress();
    assert_eq!(net.person("alice").route_signals.len(), seen_before, "the old connection's candidate is dropped");
    assert!(net.person("alice").rebuilt.iter().all(|r| r.3), "and Alice's new connection is not replaced by it");
    // Bob hears of the new connection, takes it up, and his signals reach Alice's new one.
    net.release_delayed();
    assert_eq!(net.person("bob").rebuilt.last().map(|r| (r.1, r.3)), Some((alice, false)));
    let now = net.now;
    let answer = Signal::Sdp { sdp_type: SdpType::Answer, sdp: "v=0\r\n".into() };
    net.person("bob").core.handle_route_signal(alice, &answer);
    net.person("bob").core.handle_timeout(now);
    net.progress();
    assert_eq!(net.person("alice").route_signals.last(), Some(&(bob, answer)));
}

fn is_offer(s: &Signal) -> bool {
    matches!(s, Signal::Sdp { sdp_type: SdpType::Offer, .. })
}

#[test]
fn a_route_opened_again_after_its_connection_was_lost_comes_after_the_old_one() {
    let (mut net, alice, bob) = two_in_a_meeting();
    let start = net.now;
    let later = follows_later(&mut net, "alice", bob);
    net.person("bob").core.handle_link_state(alice, LinkState::Connected, start);
    // Alice builds a new connection (generation 1), which Bob takes up; then her runtime loses
    // it (it could not be set up) and she forgets the route.
    net.advance(Duration::from_secs(16 + later));
    assert_eq!(net.person("bob").rebuilt.len(), 1);
    let now = net.now;
    net.person("bob").core.handle_link_state(alice, LinkState::Connected, now);
    net.person("alice").core.handle_route_closed(bob);
    // Her connection to the server drops; back in, she opens a route to Bob again and offers.
    let now = net.now;
    let conn = net.person("alice").conn.take().expect("connected");
    net.server.as_mut().expect("a server").handle_disconnect(conn, now);
    net.person("alice").core.handle_disconnected(now);
    net.advance(Duration::from_secs(3));
    assert!(net.person("alice").notices.iter().any(|n| matches!(n, Notice::Resumed { .. })), "back in");
    // Bob still holds generation 1: the new offer must come after it, or he would drop it.
    let offers = net.person("bob").route_signals.iter().filter(|(m, s)| *m == alice && is_offer(s)).count();
    assert_eq!(offers, 2, "the new connection's offer reached Bob's routes too");
    assert_eq!(net.person("bob").rebuilt.len(), 2, "Bob took the new connection up");
}

/// How many seconds later `name`'s retries of its route to `to` come: 4 on the side that is
/// polite in the negotiation, none on the other.
fn follows_later(net: &mut Net, name: &str, to: MemberId) -> u64 {
    match net.person(name).routes[&to] {
        RouteKind::Mesh { polite: true, .. } => 4,
        RouteKind::Mesh { polite: false, .. } => 0,
    }
}
