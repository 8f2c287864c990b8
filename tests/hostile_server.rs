//! The server is the attacker. A man in the middle (`common::mitm`) stands between real meeting
//! clients (the real runtime: media, MLS, SFrame, WebRTC on loopback) and the real signalling
//! server, and carries out the attacks of `docs/security.md` with the bytes a hostile server
//! holds: it rewrites the host's decisions, replays what it kept, forges members' departures
//! and requests, swaps what members say about themselves, and squats rooms. Members decide from
//! what MLS authenticates; each test shows the attack fail where the people in the meeting can
//! see it.

mod common;

use common::meeting::{Participant, config};
use common::mitm::{Dir, Mitm};
use serde_json::{Value, json};
use trygg::meeting::{Entry, MeetingCommand, MeetingEvent};
use trygg::net::signal_server::{SignalServer, SignalServerConfig};
use trygg::room::MemberId;
use trygg::room::proto::LeaveReason;

const SECRET: &[u8] = b"the link the attacker never gets";

async fn server_and_mitm() -> (SignalServer, Mitm) {
    let server = SignalServer::start(SignalServerConfig::new("127.0.0.1:0".parse().unwrap())).await.unwrap();
    let mitm = Mitm::start(format!("ws://{}/", server.local_addr)).await;
    (server, mitm)
}

async fn host(mitm: &Mitm, name: &'static str) -> Participant {
    let mut p = Participant::start(name, config(&mitm.url(), SECRET, Entry::Host, name, None));
    p.wait(10, "joined", |e| matches!(e, MeetingEvent::Joined { .. })).await;
    p
}

/// `name` knocks; the host admits it; both wait until they are keyed.
async fn admitted(host: &mut Participant, mitm: &Mitm, name: &'static str) -> (Participant, MemberId) {
    let mut p = Participant::start(name, config(&mitm.url(), SECRET, Entry::Join, name, None));
    let knock = host.wait(10, "knock", |e| matches!(e, MeetingEvent::Knock { .. })).await;
    let MeetingEvent::Knock { member, .. } = knock else { unreachable!() };
    host.meeting.command(MeetingCommand::Admit(member));
    p.wait(15, "keys", |e| matches!(e, MeetingEvent::SecurityCode { .. })).await;
    (p, member)
}

fn error_with(code: &'static str) -> impl Fn(&MeetingEvent) -> bool {
    move |e| matches!(e, MeetingEvent::Error { code: c, .. } if c == code)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_admitting_a_knocker_the_host_denied_gets_them_no_keys() {
    let (server, mitm) = server_and_mitm().await;
    let mut anna = host(&mitm, "Anna").await;
    // The host's `deny` becomes an `admit` on its way to the server.
    mitm.set_rule(Box::new(|_, dir, v| {
        (dir == Dir::ToServer && v["type"] == "deny")
            .then(|| vec![json!({"v": 2, "type": "admit", "member": v["member"]})])
    }));
    let mut eve = Participant::start("Eve", config(&mitm.url(), SECRET, Entry::Join, "Eve", None));
    let knock = anna.wait(10, "knock", |e| matches!(e, MeetingEvent::Knock { .. })).await;
    let MeetingEvent::Knock { member, .. } = knock else { unreachable!() };
    anna.meeting.command(MeetingCommand::Deny(member));
    // The server let Eve in; Anna is told, and commits nothing.
    anna.wait(10, "unapproved join", error_with("e2ee.unapproved_join")).await;
    eve.wait(10, "the server's joined", |e| matches!(e, MeetingEvent::Joined { .. })).await;
    eve.drain(4.0).await;
    anna.drain(0.5).await;
    assert!(eve.security_code().is_none(), "Eve holds no keys: {:?}", common::meeting::kinds(&eve.seen));
    assert_eq!(anna.security_code().map(|c| c.0), Some(0), "no Add: the host's group is still alone at epoch 0");
    let pictures = eve
        .seen
        .iter()
        .any(|e| matches!(e, MeetingEvent::Stats { peers, .. } if peers.iter().any(|p| p.frames_decoded > 0)));
    assert!(!pictures, "Eve decoded no picture");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_knock_the_server_kept_from_an_earlier_meeting_of_the_link_is_refused() {
    let (server, mitm) = server_and_mitm().await;
    // Monday: Bo knocks and is admitted; the server keeps his knock.
    let mut anna = host(&mitm, "Anna").await;
    let (mut bo, _) = admitted(&mut anna, &mitm, "Bo").await;
    let kept = mitm
        .frames()
        .into_iter()
        .find_map(|(_, d, v)| (d == Dir::ToServer && v["type"] == "knock").then(|| v["sealed_profile"].clone()))
        .expect("Bo's knock passed the server");
    anna.meeting.command(MeetingCommand::EndForAll);
    bo.wait(10, "ended", |e| matches!(e, MeetingEvent::Ended)).await;
    drop((anna, bo));

    // Tuesday, same link: Anna starts it again. The server shows her Bo's Monday knock.
    let mut anna = host(&mitm, "Anna").await;
    let me = anna.me().expect("member id").to_string();
    let conn = mitm.conn_of(&me).expect("Anna's connection");
    let ghost = "0b0b0b0b0b0b0b0b";
    mitm.inject(conn, Dir::ToClient, &json!({"v": 2, "type": "knock", "member": ghost, "sealed_profile": kept}));
    anna.wait(10, "a refused replay", error_with("e2ee.knock_for_another_run")).await;
    anna.drain(1.0).await;
    assert!(!anna.seen.iter().any(|e| matches!(e, MeetingEvent::Knock { .. })), "the lobby never shows it");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removals_and_mutes_the_server_makes_up_are_the_servers_and_mute_nobody() {
    let (server, mitm) = server_and_mitm().await;
    let mut anna = host(&mitm, "Anna").await;
    let anna_id = anna.me().expect("id").to_string();
    let (mut bo, bo_id) = admitted(&mut anna, &mitm, "Bo").await;
    let (mut cai, _) = admitted(&mut anna, &mitm, "Cai").await;
    let bo_conn = mitm.conn_of(&bo_id.to_string()).expect("Bo's connection");
    let cai_conn = mitm.conn_of(&cai.me().expect("id").to_string()).expect("Cai's connection");

    // "Anna asks you to mute": Bo's microphone stays on.
    mitm.inject(bo_conn, Dir::ToClient, &json!({"v": 2, "type": "mute_requested", "by": anna_id}));
    bo.drain(1.5).await;
    assert!(!bo.seen.iter().any(|e| matches!(e, MeetingEvent::MutedByHost)), "the server's word mutes nobody");
    // The same request from Anna, in the group, does mute: the path the forgery failed on works.
    let cai_id = cai.me().expect("id");
    anna.meeting.command(MeetingCommand::Mute(cai_id));
    cai.wait(10, "muted by the host", |e| matches!(e, MeetingEvent::MutedByHost)).await;

    // "Bo was removed", to Cai: Cai is told nobody asked for it.
    let left = json!({"v": 2, "type": "member_left", "member": bo_id.to_string(), "reason": "removed"});
    mitm.inject(cai_conn, Dir::ToClient, &left);
    cai.wait(10, "an unconfirmed removal", error_with("e2ee.removal_unconfirmed")).await;

    // "You were removed", to Bo: his app says it was the server, not a host.
    mitm.inject(bo_conn, Dir::ToClient, &json!({"v": 2, "type": "removed"}));
    bo.wait(10, "removed by the server", |e| matches!(e, MeetingEvent::RemovedByServer)).await;
    assert!(!bo.seen.iter().any(|e| matches!(e, MeetingEvent::Removed)));

    // A removal Anna makes is one: Cai is told, authenticated, and nobody sees a warning.
    anna.meeting.command(MeetingCommand::Remove(cai_id));
    cai.wait(10, "removed by the host", |e| matches!(e, MeetingEvent::Removed)).await;
    anna.wait(
        10,
        "Cai left",
        |e| matches!(e, MeetingEvent::ParticipantLeft { member, reason: LeaveReason::Removed } if *member == cai_id),
    )
    .await;
    assert!(!anna.seen.iter().any(error_with("e2ee.removal_unconfirmed")));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profiles_the_server_swaps_bind_no_key_to_the_wrong_name() {
    let (server, mitm) = server_and_mitm().await;
    let mut anna = host(&mitm, "Anna").await;
    let anna_id = anna.me().expect("id");
    let (_bo, bo_id) = admitted(&mut anna, &mitm, "Bo").await;
    // To whoever joins next, the server relays Anna's sealed profile as Bo's and Bo's as Anna's.
    let (a, b) = (anna_id.to_string(), bo_id.to_string());
    let swapped = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = swapped.clone();
    mitm.set_rule(Box::new(move |_, dir, v| {
        if dir != Dir::ToClient || v["type"] != "signal" || v["payload"]["kind"] != "profile" {
            return None;
        }
        let mut v = v.clone();
        let from = v["from"].as_str().unwrap_or("").to_owned();
        let to = if from == a {
            b.clone()
        } else if from == b {
            a.clone()
        } else {
            return None;
        };
        v["from"] = Value::from(to);
        count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Some(vec![v])
    }));
    let (mut cai, _) = admitted(&mut anna, &mitm, "Cai").await;
    // The swapped names may show for a moment (relayed profiles are shown until the members
    // announce themselves); the identities Cai is shown, verifies and binds media to are what
    // each said of itself in the group.
    let named = |who: MemberId, name: &'static str| move |e: &MeetingEvent| matches!(e, MeetingEvent::PeerIdentity { member, name: n, .. } if *member == who && n == name);
    cai.wait(15, "Anna as Anna", named(anna_id, "Anna")).await;
    let bo_seen = cai.seen.iter().any(named(bo_id, "Bo"));
    if !bo_seen {
        cai.wait(15, "Bo as Bo", named(bo_id, "Bo")).await;
    }
    let wrong = cai.seen.iter().any(|e| {
        matches!(e, MeetingEvent::PeerIdentity { member, name, .. }
            if (*member == anna_id && name != "Anna") || (*member == bo_id && name != "Bo"))
    });
    assert!(!wrong, "no identity is ever shown under the other's name");
    assert_eq!(swapped.load(std::sync::atomic::Ordering::Relaxed), 2, "both profiles reached Cai swapped");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_squatter_without_the_link_cannot_start_its_room() {
    let (server, mitm) = server_and_mitm().await;
    // The attacker knows the room id (it is in every message) but not the link's proof.
    let room = trygg::room::RoomId::bound_to(&trygg::room::RoomProof::derive(SECRET)).to_string();
    let (mut ws, _) = tokio_tungstenite::connect_async(mitm.url()).await.expect("connect");
    use futures_util::{SinkExt, StreamExt};
    let create = json!({"v": 2, "type": "create", "room": room, "room_proof": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "instance": "AAAAAAAAAAAAAAAAAAAAAA"});
    ws.send(tokio_tungstenite::tungstenite::Message::text(create.to_string())).await.unwrap();
    let answer = loop {
        match ws.next().await {
            Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t))) => {
                let v: Value = serde_json::from_str(&t).unwrap();
                if v["type"] != "ping" {
                    break v;
                }
            }
            other => panic!("no answer: {other:?}"),
        }
    };
    assert_eq!(answer["code"], "room.proof_mismatch", "{answer}");
    // The real host starts its meeting as if nothing happened.
    let anna = host(&mitm, "Anna").await;
    assert!(anna.me().is_some());
    server.shutdown().await;
}
