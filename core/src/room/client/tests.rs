//! The client alone, fed hand-written server messages.

use std::time::Duration;

use super::*;
use crate::room::ids::ResumeToken;
use crate::room::proto::{JoinKind, ServerMsg, decode_client, encode};

const T0: Duration = Duration::from_secs(50);
const RUN: MeetingInstance = MeetingInstance::from_bytes([4; 16]);

fn id(n: u8) -> MemberId {
    MemberId::from_bytes([n; 8])
}

fn proof() -> RoomProof {
    RoomProof::new(vec![7; 32]).expect("valid")
}

fn client(host: bool) -> RoomClient {
    let room = RoomId::parse("abcdefghijklmnopqrstuvwxyz").expect("valid");
    let sealed_profile = Blob(b"{\"name\":\"me\"}".to_vec());
    let intent = if host {
        Intent::Host { room_proof: proof(), sealed_profile, instance: RUN }
    } else {
        Intent::Join { room_proof: proof(), sealed_profile }
    };
    RoomClient::new(room, intent, ClientConfig::default(), T0)
}

fn sent(c: &mut RoomClient) -> Vec<ClientMsg> {
    std::iter::from_fn(|| c.poll_transmit()).map(|b| decode_client(&b, usize::MAX).expect("valid")).collect()
}

fn events(c: &mut RoomClient) -> Vec<RoomEvent> {
    std::iter::from_fn(|| c.poll_event()).collect()
}

fn deliver(c: &mut RoomClient, msg: ServerMsg, now: Duration) {
    c.handle_message(&encode(&msg), now).expect("accepted");
}

fn info(n: u8, role: Role) -> MemberInfo {
    MemberInfo { id: id(n), role, hand_raised: false, present: true }
}

fn joined(how: JoinKind, me: u8, role: Role, members: Vec<MemberInfo>) -> ServerMsg {
    ServerMsg::Joined { how, me: id(me), role, resume_token: ResumeToken::from_bytes([me; 32]), locked: false, members }
}

/// The three steps of a knock once `look` went out: the server names the run, the runtime seals
/// the knock for it, the knock goes out.
fn knock_on_run(c: &mut RoomClient) {
    assert!(matches!(sent(c).as_slice(), [ClientMsg::Look { .. }]));
    deliver(c, ServerMsg::Running { instance: RUN }, T0);
    assert_eq!(c.state(), &ClientState::Sealing { instance: RUN });
    assert!(events(c).contains(&RoomEvent::SealKnock { instance: RUN }));
    c.knock(Blob(b"sealed for the run".to_vec())).expect("expected now");
    assert_eq!(c.state(), &ClientState::Knocking);
    assert!(
        matches!(sent(c).as_slice(), [ClientMsg::Knock { sealed_profile, .. }] if sealed_profile.0 == b"sealed for the run")
    );
}

/// A host link that connected and heard the meeting already runs (it looks next).
fn host_told_the_meeting_exists() -> RoomClient {
    let mut c = client(true);
    c.handle_connected(T0);
    sent(&mut c);
    let code = crate::room::error::ErrorCode::parse("room.meeting_exists");
    deliver(&mut c, ServerMsg::Error { code, message: String::new() }, T0);
    c
}

/// A participant (id 2) in a meeting with host 1 and participant 3.
fn participant() -> RoomClient {
    let mut c = client(false);
    c.handle_connected(T0);
    knock_on_run(&mut c);
    deliver(&mut c, ServerMsg::InLobby { me: id(2) }, T0);
    let members = vec![info(1, Role::Host), info(2, Role::Participant), info(3, Role::Participant)];
    deliver(&mut c, joined(JoinKind::Admitted, 2, Role::Participant, members), T0);
    sent(&mut c);
    events(&mut c);
    c
}

#[test]
fn host_link_creates_on_connect_and_becomes_host() {
    let mut c = client(true);
    assert_eq!(c.state(), &ClientState::Connecting { entry: Entry::Create });
    assert!(sent(&mut c).is_empty(), "nothing before the socket is up");
    c.handle_connected(T0);
    assert!(matches!(sent(&mut c).as_slice(), [ClientMsg::Create { instance, .. }] if *instance == RUN));
    deliver(&mut c, joined(JoinKind::Created, 1, Role::Host, vec![info(1, Role::Host)]), T0);
    assert_eq!(c.state(), &ClientState::InMeeting { me: id(1), role: Role::Host });
    assert_eq!(events(&mut c), vec![RoomEvent::Created { me: id(1) }]);
}

#[test]
fn host_link_knocks_when_the_meeting_already_runs() {
    let mut c = host_told_the_meeting_exists();
    assert_eq!(c.state(), &ClientState::Looking);
    knock_on_run(&mut c);
}

#[test]
fn join_link_knocks_waits_and_is_admitted() {
    let mut c = client(false);
    c.handle_connected(T0);
    knock_on_run(&mut c);
    assert_eq!(events(&mut c), vec![RoomEvent::Knocking]);
    deliver(&mut c, ServerMsg::InLobby { me: id(2) }, T0);
    assert_eq!(c.state(), &ClientState::InLobby { me: id(2) });
    deliver(
        &mut c,
        joined(JoinKind::Admitted, 2, Role::Participant, vec![info(1, Role::Host), info(2, Role::Participant)]),
        T0,
    );
    let ev = events(&mut c);
    assert!(matches!(ev.last(), Some(RoomEvent::Admitted { me, members, .. }) if *me == id(2) && members.len() == 2));
    assert_eq!(c.role(), Some(Role::Participant));
}

#[test]
fn knock_outcomes_close_the_client() {
    for (msg, reason) in
        [(ServerMsg::NoSuchMeeting, CloseReason::NoSuchMeeting), (ServerMsg::RoomLocked, CloseReason::RoomLocked)]
    {
        let mut c = client(false);
        c.handle_connected(T0);
        deliver(&mut c, msg, T0);
        assert_eq!(c.state(), &ClientState::Closed(reason));
        assert_eq!(c.poll_timeout(), None);
    }
    for (msg, reason) in
        [(ServerMsg::Denied, CloseReason::Denied), (ServerMsg::KnockExpired, CloseReason::KnockExpired)]
    {
        let mut c = client(false);
        c.handle_connected(T0);
        knock_on_run(&mut c);
        deliver(&mut c, ServerMsg::InLobby { me: id(2) }, T0);
        deliver(&mut c, msg, T0);
        assert_eq!(c.state(), &ClientState::Closed(reason));
    }
}

#[test]
fn unexpected_or_malformed_messages_are_errors_that_change_nothing() {
    let mut c = client(false);
    c.handle_connected(T0);
    let before = c.state().clone();
    // `in_lobby` answers a knock, not a look; `running` answers a look, not a knock.
    let e = c.handle_message(&encode(&ServerMsg::InLobby { me: id(2) }), T0).expect_err("out of order");
    assert_eq!(e.code(), "room.out_of_order");
    let e = c.handle_message(&encode(&ServerMsg::Removed), T0).expect_err("out of order");
    assert_eq!(e.code(), "room.out_of_order");
    assert_eq!(c.handle_message(b"\x00garbage", T0).expect_err("malformed").code(), "room.bad_message");
    assert_eq!(c.state(), &before);
    let mut p = participant();
    let e = p.handle_message(&encode(&ServerMsg::InLobby { me: id(9) }), T0).expect_err("out of order");
    assert_eq!(e.code(), "room.out_of_order");
    assert_eq!(p.state(), &ClientState::InMeeting { me: id(2), role: Role::Participant });
}

#[test]
fn pings_are_answered() {
    let mut c = participant();
    deliver(&mut c, ServerMsg::Ping, T0);
    assert_eq!(sent(&mut c), vec![ClientMsg::Pong]);
}

#[test]
fn commands_are_checked_against_state_and_role() {
    let mut c = client(false);
    assert_eq!(c.admit(id(5)), Err(CommandError::NotInMeeting { command: "admit" }));
    assert_eq!(c.knock(Blob(vec![1])), Err(CommandError::NotNow { command: "knock" }), "not before the run is known");
    let mut p = participant();
    assert_eq!(p.lock(true), Err(CommandError::NotAllowed { command: "lock" }));
    assert_eq!(p.remove(id(3)), Err(CommandError::NotAllowed { command: "remove" }));
    assert_eq!(p.end_for_all(), Err(CommandError::NotAllowed { command: "end_for_all" }));
    assert!(sent(&mut p).is_empty(), "refused commands send nothing");
    p.raise_hand(true).expect("anyone may");
    assert_eq!(sent(&mut p), vec![ClientMsg::RaiseHand { raised: true }]);
    deliver(&mut p, ServerMsg::RoleChanged { member: id(2), role: Role::CoHost }, T0);
    p.admit(id(5)).expect("a co-host may");
    assert_eq!(p.remove(id(1)), Err(CommandError::NotAllowed { command: "remove" }), "not the host");
}

#[test]
fn a_newcomer_gets_our_profile_and_introductions_arrive_as_profiles() {
    let mut c = participant();
    let newcomer = MemberInfo { id: id(4), role: Role::Participant, hand_raised: false, present: true };
    deliver(&mut c, ServerMsg::MemberJoined { member: newcomer, sealed_profile: Some(Blob(b"new".to_vec())) }, T0);
    assert!(matches!(
        sent(&mut c).as_slice(),
        [ClientMsg::Signal { to, payload: Signal::Profile { data } }] if *to == id(4) && data.0 == b"{\"name\":\"me\"}"
    ));
    deliver(&mut c, ServerMsg::Signal { from: id(1), payload: Signal::Profile { data: Blob(b"host".to_vec()) } }, T0);
    assert!(
        events(&mut c).contains(&RoomEvent::MemberProfile { member: id(1), sealed_profile: Blob(b"host".to_vec()) })
    );
    assert_eq!(c.members().len(), 4);
}

#[test]
fn a_new_host_is_announced() {
    let mut c = participant();
    deliver(&mut c, ServerMsg::MemberLeft { member: id(1), reason: crate::room::proto::LeaveReason::Left }, T0);
    deliver(&mut c, ServerMsg::RoleChanged { member: id(2), role: Role::Host }, T0);
    let ev = events(&mut c);
    assert_eq!(
        ev[1..],
        [RoomEvent::RoleChanged { member: id(2), role: Role::Host }, RoomEvent::HostChanged { host: id(2) }]
    );
    assert_eq!(c.role(), Some(Role::Host));
}

#[test]
fn a_silent_server_means_reconnecting() {
    let mut c = participant();
    assert_eq!(c.poll_timeout(), Some(T0 + Duration::from_secs(10)));
    c.handle_timeout(T0 + Duration::from_secs(9));
    assert!(matches!(c.state(), ClientState::InMeeting { .. }));
    c.handle_timeout(T0 + Duration::from_secs(10));
    assert_eq!(c.state(), &ClientState::Reconnecting { me: id(2), role: Role::Participant });
    assert_eq!(events(&mut c), vec![RoomEvent::Reconnecting]);
}

#[test]
fn reconnecting_member_resumes_with_its_token() {
    let mut c = participant();
    c.handle_disconnected(T0);
    assert_eq!(c.poll_timeout(), None, "nothing to do until the runtime reconnects");
    c.handle_connected(T0 + Duration::from_secs(2));
    let msgs = sent(&mut c);
    assert!(
        matches!(msgs.as_slice(), [ClientMsg::Resume { me, token, .. }] if *me == id(2) && *token == ResumeToken::from_bytes([2; 32]))
    );
    deliver(
        &mut c,
        joined(JoinKind::Resumed, 2, Role::Participant, vec![info(1, Role::Host), info(2, Role::Participant)]),
        T0,
    );
    assert!(matches!(events(&mut c).last(), Some(RoomEvent::Resumed { after_restart: false, .. })));
}

#[test]
fn after_a_failed_resume_the_host_recreates_at_once() {
    let mut c = client(true);
    c.handle_connected(T0);
    deliver(
        &mut c,
        joined(JoinKind::Created, 1, Role::Host, vec![info(1, Role::Host), info(2, Role::Participant)]),
        T0,
    );
    c.handle_disconnected(T0);
    c.handle_connected(T0);
    sent(&mut c);
    deliver(&mut c, ServerMsg::ResumeFailed, T0);
    let msgs = sent(&mut c);
    assert!(
        matches!(msgs.as_slice(), [ClientMsg::Recreate { me, roster, instance, .. }]
            if *me == id(1) && roster.len() == 1 && roster[0].id == id(2) && *instance == RUN),
        "{msgs:?}"
    );
}

#[test]
fn a_participant_rejoins_until_its_turn_to_recreate() {
    // Rank 1: the host first, then participants in join order (2 before 3).
    let mut c = participant();
    c.handle_disconnected(T0);
    c.handle_connected(T0);
    sent(&mut c);
    deliver(&mut c, ServerMsg::ResumeFailed, T0);
    assert!(matches!(sent(&mut c).as_slice(), [ClientMsg::Rejoin { .. }]));
    let mut t = T0;
    let mut recreated_at = None;
    while t < T0 + Duration::from_secs(10) && recreated_at.is_none() {
        deliver(&mut c, ServerMsg::NoSuchMeeting, t);
        t = c.poll_timeout().expect("a retry is due");
        c.handle_timeout(t);
        if let [ClientMsg::Recreate { .. }] = sent(&mut c).as_slice() {
            recreated_at = Some(t - T0);
        }
    }
    assert_eq!(recreated_at, Some(Duration::from_secs(3)), "rank 1 waits one stagger");
}

#[test]
fn an_unlisted_member_knocks_after_rejoin() {
    let mut c = participant();
    c.handle_disconnected(T0);
    c.handle_connected(T0);
    deliver(&mut c, ServerMsg::ResumeFailed, T0);
    sent(&mut c);
    deliver(
        &mut c,
        ServerMsg::Error { code: crate::room::error::ErrorCode::parse("room.unknown_member"), message: String::new() },
        T0,
    );
    assert_eq!(c.state(), &ClientState::Looking);
    knock_on_run(&mut c);
}

#[test]
fn leave_sends_leave_and_closes() {
    let mut c = participant();
    c.leave();
    assert_eq!(sent(&mut c), vec![ClientMsg::Leave]);
    assert_eq!(c.state(), &ClientState::Closed(CloseReason::Left));
    deliver(&mut c, ServerMsg::Ping, T0);
    assert!(sent(&mut c).is_empty(), "a closed client says nothing more");
}

#[test]
fn politeness_is_by_member_id_and_opposite_on_both_ends() {
    let c = participant();
    assert!(c.is_polite_towards(id(1)));
    assert!(!c.is_polite_towards(id(3)));
    assert!(!client(false).is_polite_towards(id(1)), "no id yet");
}

#[test]
fn a_knocker_that_lost_its_connection_retries_while_the_meeting_may_be_recreated() {
    let mut c = client(false);
    c.handle_connected(T0);
    knock_on_run(&mut c);
    deliver(&mut c, ServerMsg::InLobby { me: id(2) }, T0);
    c.handle_disconnected(T0);
    c.handle_connected(T0 + Duration::from_secs(1));
    assert!(matches!(sent(&mut c).as_slice(), [ClientMsg::Look { .. }]), "a knock again starts by looking");
    let mut t = T0 + Duration::from_secs(1);
    let mut knocks = 0;
    while !c.state().is_closed() && t < T0 + Duration::from_secs(60) {
        deliver(&mut c, ServerMsg::NoSuchMeeting, t);
        if let Some(next) = c.poll_timeout() {
            t = next;
            c.handle_timeout(t);
            knocks += sent(&mut c).iter().filter(|m| matches!(m, ClientMsg::Look { .. })).count();
        }
    }
    assert_eq!(c.state(), &ClientState::Closed(CloseReason::NoSuchMeeting), "gives up after the window");
    assert!((28..=30).contains(&knocks), "knocked again every second for 30 s: {knocks}");
}

#[test]
fn a_host_link_creates_its_own_run_whatever_run_the_server_named_before() {
    // The server says the meeting exists, names another run, then says there is no meeting:
    // the host creates the run it drew itself.
    let mut c = host_told_the_meeting_exists();
    let theirs = MeetingInstance::from_bytes([0x66; 16]);
    deliver(&mut c, ServerMsg::Running { instance: theirs }, T0);
    c.knock(Blob(b"sealed for their run".to_vec())).expect("expected now");
    sent(&mut c);
    deliver(&mut c, ServerMsg::NoSuchMeeting, T0);
    assert!(matches!(sent(&mut c).as_slice(), [ClientMsg::Create { instance, .. }] if *instance == RUN));
    deliver(&mut c, joined(JoinKind::Created, 1, Role::Host, vec![info(1, Role::Host)]), T0);
    assert_eq!(c.instance(), Some(RUN), "the meeting is the run we drew");
}

#[test]
fn ice_servers_from_the_server_reach_the_meeting_in_the_lobby_and_bad_ones_are_refused() {
    use crate::room::proto::IceServer;
    let mut c = client(false);
    c.handle_connected(T0);
    knock_on_run(&mut c);
    deliver(&mut c, ServerMsg::InLobby { me: id(2) }, T0);
    events(&mut c);
    let turn = IceServer {
        urls: vec!["turn:turn.example.no:3478?transport=udp".into()],
        username: "1765000600:0000000000000002".into(),
        credential: "c2VjcmV0".into(),
    };
    deliver(&mut c, ServerMsg::IceServers { servers: vec![turn.clone()] }, T0);
    assert_eq!(events(&mut c), vec![RoomEvent::IceServers { servers: vec![turn.clone()] }]);
    assert_eq!(c.state(), &ClientState::InLobby { me: id(2) }, "nothing else changes");
    // A web address, or a flood of servers: refused, and nothing is used.
    let web = IceServer { urls: vec!["https://tracker.example/".into()], ..turn.clone() };
    for bad in [vec![web], vec![turn; 5]] {
        let e = c.handle_message(&encode(&ServerMsg::IceServers { servers: bad }), T0).unwrap_err();
        assert!(e.to_string().contains("ice_servers"), "{e}");
    }
    assert!(events(&mut c).is_empty());
}
