//! The server is the attacker. A man in the middle (`common::mitm`) stands between real meeting
//! clients (the real runtime: media, MLS, SFrame, WebRTC on loopback) and the real signalling
//! server, and carries out the attacks of `docs/security.md` with the bytes a hostile server
//! holds: it rewrites the host's decisions, replays what it kept, forges members' departures
//! and requests, swaps what members say about themselves, and squats rooms. Beside it stands
//! an attacker who holds the link (a member, or someone who read it): it makes Welcomes and
//! personal invitations of its own. Members decide from what MLS and the host's signature
//! authenticate; each test shows the attack fail where the people in the meeting can see it.

mod common;

use common::meeting::{Participant, config};
use common::mitm::{Dir, Mitm};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::Relaxed;
use trygg::e2ee::identity::DeviceIdentity;
use trygg::links::{Invitation, InvitationId};
use trygg::meeting::invitations::InvitationRecord;
use trygg::meeting::{Entry, InvitationStatus, MeetingCommand, MeetingEvent};
use trygg::net::signal_server::{SignalServer, SignalServerConfig};
use trygg::room::MemberId;
use trygg::room::ids::Blob;
use trygg::room::proto::LeaveReason;
use trygg::secrets::Sensitive;

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

/// True for a handshake signal that carries an MLS Welcome (its first byte, the tag, is 1).
fn is_welcome(v: &Value) -> bool {
    v["type"] == "signal"
        && v["payload"]["kind"] == "handshake"
        && serde_json::from_value::<Blob>(v["payload"]["data"].clone()).is_ok_and(|b| b.as_bytes().first() == Some(&1))
}

/// The server, and Bo who holds the link, try to pull Cai into groups that are not Anna's
/// meeting before Anna's Welcome reaches Cai: Bo reads Cai's knock (he has the link), makes an
/// MLS group of his own with Cai's KeyPackage in it, and the server relays its Welcome as from
/// Bo; the server also hands Cai garbage and Bo's own Welcome, each as from Anna. Cai refuses
/// each and takes Anna's real Welcome after them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn welcomes_that_are_not_the_hosts_for_this_joiner_leave_it_waiting_for_the_real_one() {
    let (server, mitm) = server_and_mitm().await;
    let mut anna = host(&mitm, "Anna").await;
    let anna_id = anna.me().expect("id").to_string();
    let (_bo, bo_id) = admitted(&mut anna, &mitm, "Bo").await;
    let bo_conn = mitm.conn_of(&bo_id.to_string()).expect("Bo's connection");
    let anna_conn = mitm.conn_of(&anna_id).expect("Anna's connection");
    let bos_welcome = mitm
        .frames()
        .into_iter()
        .find_map(|(c, d, v)| (c == bo_conn && d == Dir::ToClient && is_welcome(&v)).then_some(v))
        .expect("Bo's Welcome passed the server");

    let mut cai = Participant::start("Cai", config(&mitm.url(), SECRET, Entry::Join, "Cai", None));
    let knock = anna.wait(10, "Cai's knock", |e| matches!(e, MeetingEvent::Knock { name, .. } if name == "Cai")).await;
    let MeetingEvent::Knock { member: cai_id, .. } = knock else { unreachable!() };
    let sealed = mitm
        .frames()
        .into_iter()
        .rev()
        .find_map(|(_, d, v)| (d == Dir::ToServer && v["type"] == "knock").then(|| v["sealed_profile"].clone()))
        .expect("Cai's knock passed the server");
    let sealed: Blob = serde_json::from_value(sealed).unwrap();
    let opened = trygg::e2ee::knock::open_knock(SECRET, sealed.as_bytes()).expect("Bo can open it: he has the link");
    let bo_identity = DeviceIdentity::generate(&mut rand_core_06::OsRng);
    let mut private = trygg::e2ee::mls::MeetingGroup::create(&bo_identity).expect("a group of Bo's");
    let mut rogue = vec![trygg::e2ee::session::WELCOME];
    rogue.extend(private.admit(&opened.key_package).expect("Bo adds Cai to it").welcome);
    let rogue = Blob::from(rogue);

    let injected = Arc::new(AtomicUsize::new(0));
    let count = injected.clone();
    mitm.set_rule(Box::new(move |conn, dir, v| {
        if dir != Dir::ToClient || conn == anna_conn || conn == bo_conn || !is_welcome(v) || count.load(Relaxed) > 0 {
            return None;
        }
        count.store(3, Relaxed);
        let mut from_bo = v.clone();
        from_bo["from"] = Value::from(bo_id.to_string());
        from_bo["payload"]["data"] = serde_json::to_value(&rogue).unwrap();
        let mut garbage = v.clone();
        garbage["payload"]["data"] = serde_json::to_value(Blob::from(vec![1u8; 300])).unwrap();
        let mut bos_own = bos_welcome.clone();
        bos_own["from"] = v["from"].clone();
        Some(vec![from_bo, garbage, bos_own, v.clone()])
    }));
    anna.meeting.command(MeetingCommand::Admit(cai_id));
    let keyed = cai.wait(15, "keys", |e| matches!(e, MeetingEvent::SecurityCode { .. })).await;
    let MeetingEvent::SecurityCode { epoch, code, .. } = keyed else { unreachable!() };
    assert_eq!(injected.load(Relaxed), 3, "the three made-up Welcomes reached Cai first");
    assert!(cai.seen.iter().any(error_with("e2ee.welcome_not_from_host")), "{:?}", common::meeting::kinds(&cai.seen));
    // Cai is in Anna's group: the same code at the epoch that added Cai.
    let anna_code = anna
        .wait(
            10,
            "Anna's code at that epoch",
            |e| matches!(e, MeetingEvent::SecurityCode { epoch: n, .. } if *n == epoch),
        )
        .await;
    let MeetingEvent::SecurityCode { code: anna_code, .. } = anna_code else { unreachable!() };
    assert_eq!(code, anna_code);
    server.shutdown().await;
}

/// Anna's device key signs personal invitations; Mallory holds the link (she was invited, or
/// she read it over someone's shoulder) and knocks with invitations of her making.
struct Invitations {
    anna: DeviceIdentity,
    seed: [u8; 32],
    list: tempfile::TempDir,
}

impl Invitations {
    fn new() -> Self {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).unwrap();
        Self { anna: DeviceIdentity::from_seed(Sensitive::new(seed)), seed, list: tempfile::tempdir().unwrap() }
    }

    fn path(&self) -> std::path::PathBuf {
        self.list.path().join("invitations.json")
    }

    /// An invitation for `secret`'s meeting naming `named` as its signer, signed by `by`.
    fn make(secret: &[u8], invitee: &str, named: &DeviceIdentity, by: &DeviceIdentity) -> Invitation {
        let mut id = [0u8; 8];
        getrandom::fill(&mut id).unwrap();
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).unwrap();
        Invitation::issue(secret, invitee, InvitationId(id), *named.public_key(), seed, |m| {
            by.sign_statement(m).unwrap()
        })
        .unwrap()
    }

    /// Anna's invitation for `invitee`, added to her list (revoked there with `revoked`).
    fn anna_invites(&self, secret: &[u8], invitee: &str, revoked: bool) -> String {
        let inv = Self::make(secret, invitee, &self.anna, &self.anna);
        let record = InvitationRecord {
            id: inv.id().to_text(),
            invitee: invitee.into(),
            room: "r".into(),
            issued: "2026-12-07T08:00:00Z".into(),
            revoked: revoked.then(|| "2026-12-07T09:00:00Z".into()),
        };
        trygg::meeting::invitations::update(&self.path(), |l| l.add([record])).unwrap();
        inv.encode()
    }

    /// Anna hosting `secret`'s meeting with her key and list.
    async fn host(&self, mitm: &Mitm, secret: &'static [u8], invited_only: bool) -> Participant {
        let mut cfg = config(&mitm.url(), secret, Entry::Host, "Anna", None);
        cfg.identity = DeviceIdentity::from_seed(Sensitive::new(self.seed));
        cfg.invitation_list = Some(self.path());
        cfg.invited_only = invited_only;
        let mut p = Participant::start("Anna", cfg);
        p.wait(10, "joined", |e| matches!(e, MeetingEvent::Joined { .. })).await;
        p
    }
}

fn knocker(mitm: &Mitm, secret: &[u8], name: &'static str, invitation: Option<String>) -> Participant {
    let mut cfg = config(&mitm.url(), secret, Entry::Join, name, None);
    cfg.invitation = invitation;
    Participant::start(name, cfg)
}

/// The knocks of an attacker with the link, each with an invitation it made, are shown in the
/// lobby for what they are, next to a real one and a revoked one; with `invited_only` none of
/// them reaches the lobby and each knocker is denied.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invitations_an_attacker_with_the_link_makes_are_shown_as_such_and_turned_away_when_invited_only() {
    const MONDAY: &[u8] = b"monday's meeting, invitations shown";
    const TUESDAY: &[u8] = b"tuesday's meeting, invited only";
    let (server, mitm) = server_and_mitm().await;
    let inv = Invitations::new();
    let mallory = DeviceIdentity::generate(&mut rand_core_06::OsRng);
    let attempts = |secret: &'static [u8]| {
        let other = b"another meeting of anna's";
        vec![
            ("Kari", Some(inv.anna_invites(secret, "kari@example.no", false)), InvitationStatus::Invited),
            ("Ola", Some(inv.anna_invites(secret, "ola@example.no", true)), InvitationStatus::Revoked),
            // Mallory names Anna's key but can only sign with her own.
            (
                "Mallory",
                Some(Invitations::make(secret, "mallory@example.no", &inv.anna, &mallory).encode()),
                InvitationStatus::Forged,
            ),
            (
                "Mal",
                Some(Invitations::make(secret, "kari@example.no", &mallory, &mallory).encode()),
                InvitationStatus::OtherSigner,
            ),
            (
                "Mo",
                Some(Invitations::make(other, "mo@example.no", &inv.anna, &inv.anna).encode()),
                InvitationStatus::OtherMeeting,
            ),
        ]
    };

    // Monday: every knock reaches the lobby, and the lobby says what each invitation is worth.
    // (The invitations are made, and Ola's revoked, before the meeting starts: it reads the list
    // at its start.)
    let monday = attempts(MONDAY);
    let mut anna = inv.host(&mitm, MONDAY, false).await;
    let mut knockers = vec![];
    for (name, invitation, status) in monday {
        knockers.push(knocker(&mitm, MONDAY, name, invitation));
        let knock = anna.wait(10, name, |e| matches!(e, MeetingEvent::Knock { name: n, .. } if n == name)).await;
        let MeetingEvent::Knock { invitation: Some(seen), .. } = knock else { panic!("{name}: no invitation shown") };
        assert_eq!(seen.status, status, "{name}");
        let named = matches!(status, InvitationStatus::Invited | InvitationStatus::Revoked);
        assert_eq!(seen.invitee.is_some(), named, "{name}: only a host's invitation names anyone");
        if status == InvitationStatus::OtherSigner {
            assert_eq!(seen.signer, Some(mallory.fingerprint().to_string()), "the lobby shows whose key made it");
        }
    }
    knockers.push(knocker(&mitm, MONDAY, "Pia", None));
    let pia = anna.wait(10, "Pia", |e| matches!(e, MeetingEvent::Knock { name, .. } if name == "Pia")).await;
    assert!(matches!(pia, MeetingEvent::Knock { invitation: None, .. }), "the shared link: no invitation");
    drop(knockers);

    // Tuesday, invited only: Kari reaches the lobby; every other knock is turned away.
    let tuesday = attempts(TUESDAY);
    let mut anna = inv.host(&mitm, TUESDAY, true).await;
    let mut turned_away = 0;
    let mut knockers = vec![];
    for (name, invitation) in tuesday.into_iter().map(|(n, i, _)| (n, i)).chain([("Pia", None)]) {
        knockers.push(knocker(&mitm, TUESDAY, name, invitation));
        let k = knockers.last_mut().unwrap();
        if name == "Kari" {
            anna.wait(10, name, |e| matches!(e, MeetingEvent::Knock { name: n, .. } if n == name)).await;
            continue;
        }
        k.wait(10, "denied", |e| matches!(e, MeetingEvent::Denied)).await;
        turned_away += 1;
        anna.wait(10, "not invited", error_with("e2ee.not_invited")).await;
    }
    assert_eq!(turned_away, 5);
    anna.drain(0.5).await;
    let knocks: Vec<_> = anna.seen.iter().filter(|e| matches!(e, MeetingEvent::Knock { .. })).collect();
    assert_eq!(knocks.len(), 1, "only Kari's knock reached Tuesday's lobby: {knocks:?}");
    server.shutdown().await;
}

/// Bo's knock shows his invitation, and every member (and the server's accomplice with the link)
/// can read that knock once the server hands it round as Bo joins. Mallory, who holds the link,
/// copies it into her own knock on the way to the host: under `invited_only` she is turned
/// away, and the host is told the invitation was copied.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invitation_copied_out_of_someone_elses_knock_does_not_let_its_bearer_in() {
    use trygg::e2ee::knock::{open_knock, seal_knock};
    const LINK: &[u8] = b"wednesday's meeting, invited only";
    let (server, mitm) = server_and_mitm().await;
    let inv = Invitations::new();
    let bos = inv.anna_invites(LINK, "bo@example.no", false);
    let mut anna = inv.host(&mitm, LINK, true).await;
    let mut bo = knocker(&mitm, LINK, "Bo", Some(bos));
    let knock = anna.wait(10, "Bo", |e| matches!(e, MeetingEvent::Knock { name, .. } if name == "Bo")).await;
    let MeetingEvent::Knock { member, invitation: Some(seen), .. } = knock else { panic!("Bo's knock: {knock:?}") };
    assert_eq!(seen.status, InvitationStatus::Invited);
    anna.meeting.command(MeetingCommand::Admit(member));
    bo.wait(15, "keys", |e| matches!(e, MeetingEvent::SecurityCode { .. })).await;

    let read = |v: &Value| open_knock(LINK, serde_json::from_value::<Blob>(v.clone()).unwrap().as_bytes()).unwrap();
    let bos_knock = mitm
        .frames()
        .into_iter()
        .find_map(|(_, d, v)| (d == Dir::ToServer && v["type"] == "knock").then(|| read(&v["sealed_profile"])))
        .expect("Bo's knock passed the server");
    let copied = bos_knock.invite_token.clone().expect("Bo's knock shows his invitation");
    let rewritten = Arc::new(AtomicUsize::new(0));
    let count = rewritten.clone();
    mitm.set_rule(Box::new(move |_, dir, v| {
        if dir != Dir::ToServer || v["type"] != "knock" {
            return None;
        }
        let mut mine = read(&v["sealed_profile"]);
        mine.invite_token = Some(copied.clone());
        let blob = Blob(seal_knock(LINK, &mine, &mut rand_core_06::OsRng).unwrap());
        let mut v = v.clone();
        v["sealed_profile"] = serde_json::to_value(blob).unwrap();
        count.fetch_add(1, Relaxed);
        Some(vec![v])
    }));
    let mut mallory = knocker(&mitm, LINK, "Mallory", None);
    mallory.wait(10, "denied", |e| matches!(e, MeetingEvent::Denied)).await;
    assert_eq!(rewritten.load(Relaxed), 1, "Mallory's knock carried Bo's invitation");
    let refused = anna.wait(10, "not invited", error_with("e2ee.not_invited")).await;
    let MeetingEvent::Error { message, .. } = refused else { unreachable!() };
    assert!(message.contains("copied"), "{message}");
    anna.drain(0.5).await;
    assert!(
        !anna.seen.iter().any(|e| matches!(e, MeetingEvent::Knock { name, .. } if name == "Mallory")),
        "the lobby never shows Mallory"
    );
    server.shutdown().await;
}
