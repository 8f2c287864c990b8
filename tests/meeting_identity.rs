//! Knowing that the person who joined is the person verified before: a participant's identity
//! key is shown once the group vouches for it, verifying them is remembered across meetings (in
//! the known-peers file), and a known name with a new key is a loud warning.

mod common;

use common::meeting::{Participant, config};
use trygg::e2ee::identity::DeviceIdentity;
use trygg::meeting::trust::IdentityStatus;
use trygg::meeting::{Entry, MeetingCommand, MeetingEvent};
use trygg::net::signal_server::{SignalServer, SignalServerConfig};
use trygg::room::ids::MemberId;
use trygg::secrets::Sensitive;

/// One room per meeting: each meeting is a new one, as it would be in life.
const SECRETS: [&[u8]; 5] = [
    b"the first identity meeting",
    b"the second identity meeting",
    b"the third identity meeting",
    b"the fourth identity meeting",
    b"the fifth identity meeting",
];

/// What the host is told about the guest shown as `shown`: (member, fingerprint, status, warning).
async fn identity_of_guest(host: &mut Participant, shown: &str) -> (MemberId, String, IdentityStatus, Option<String>) {
    let e = host
        .wait(15, "the guest's identity", |e| matches!(e, MeetingEvent::PeerIdentity { name, .. } if name == shown))
        .await;
    let MeetingEvent::PeerIdentity { member, fingerprint, status, warning, .. } = e else { unreachable!() };
    (member, fingerprint, status, warning)
}

/// One meeting: the host (with the known-peers file) admits a guest called Guest with `guest_key`.
async fn meet(
    url: &str,
    secret: &[u8],
    known: &std::path::Path,
    guest_key: [u8; 32],
) -> (Participant, Participant, (MemberId, String, IdentityStatus, Option<String>)) {
    meet_as(url, secret, known, guest_key, "Guest", "Guest").await
}

/// One meeting: the host admits a guest who types `typed` as their name, shown as `shown`.
async fn meet_as(
    url: &str,
    secret: &[u8],
    known: &std::path::Path,
    guest_key: [u8; 32],
    typed: &str,
    shown: &str,
) -> (Participant, Participant, (MemberId, String, IdentityStatus, Option<String>)) {
    let mut host_cfg = config(url, secret, Entry::Host, "Host", None);
    host_cfg.known_peers = Some(known.to_owned());
    let mut host = Participant::start("Host", host_cfg);
    host.wait(10, "joined", |e| matches!(e, MeetingEvent::Joined { .. })).await;
    let mut guest_cfg = config(url, secret, Entry::Join, typed, None);
    guest_cfg.identity = DeviceIdentity::from_seed(Sensitive::new(guest_key));
    let guest_fp = guest_cfg.identity.fingerprint().to_string();
    let mut guest = Participant::start("Guest", guest_cfg);
    let knock = host.wait(10, "knock", |e| matches!(e, MeetingEvent::Knock { .. })).await;
    let MeetingEvent::Knock { member, .. } = knock else { unreachable!() };
    host.meeting.command(MeetingCommand::Admit(member));
    guest.wait(10, "joined", |e| matches!(e, MeetingEvent::Joined { .. })).await;
    let seen = identity_of_guest(&mut host, shown).await;
    assert_eq!(seen.0, member);
    assert_eq!(seen.1, guest_fp, "the key shown is the guest's own");
    (host, guest, seen)
}

/// Both leave, and the room is gone before the next meeting reuses it.
async fn leave(mut host: Participant, mut guest: Participant) {
    guest.meeting.leave();
    guest.wait(10, "left", |e| matches!(e, MeetingEvent::Left)).await;
    host.meeting.leave();
    host.wait(10, "left", |e| matches!(e, MeetingEvent::Left)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verified_once_recognised_later_and_a_new_key_is_a_warning() {
    let server = SignalServer::start(SignalServerConfig::new("127.0.0.1:0".parse().unwrap())).await.unwrap();
    let url = format!("ws://{}/", server.local_addr);
    let dir = tempfile::tempdir().unwrap();
    let known = dir.path().join("known-peers.json");

    // First meeting: the guest is unverified; the host verifies them after comparing the code.
    let (mut host, guest, (member, fp, status, warning)) = meet(&url, SECRETS[0], &known, [1; 32]).await;
    assert_eq!(status, IdentityStatus::Unverified);
    assert_eq!(warning, None);
    // The guest, too, is shown the host's identity.
    let mut guest = guest;
    guest
        .wait(10, "the host's identity", |e| {
            matches!(e, MeetingEvent::PeerIdentity { name, status: IdentityStatus::Unverified, .. } if name == "Host")
        })
        .await;
    host.meeting.command(MeetingCommand::Verify(member));
    host.wait(10, "verified", |e| {
        matches!(e, MeetingEvent::PeerIdentity { status: IdentityStatus::Verified, fingerprint, .. } if *fingerprint == fp)
    })
    .await;
    let saved = std::fs::read_to_string(&known).unwrap();
    assert!(saved.contains("\"guest\"") && saved.contains(&fp.replace(' ', "")), "{saved}");
    leave(host, guest).await;

    // Second meeting, same guest device: recognised.
    let (host, guest, (_, fp2, status, _)) = meet(&url, SECRETS[1], &known, [1; 32]).await;
    assert_eq!((status, &fp2), (IdentityStatus::Verified, &fp));
    leave(host, guest).await;

    // Third meeting: someone called Guest with another key. Loud.
    let (host3, guest3, (_, fp3, status, warning)) = meet(&url, SECRETS[2], &known, [2; 32]).await;
    assert_eq!(status, IdentityStatus::KeyChanged);
    assert_ne!(fp3, fp);
    let warning = warning.expect("a warning to show");
    assert!(warning.contains("Guest was verified before with another identity key"), "{warning}");
    // The remembered key is not replaced by merely meeting someone.
    assert_eq!(std::fs::read_to_string(&known).unwrap(), saved);
    leave(host3, guest3).await;

    // Look-alike names are the same person to the warning: "Guеst" with a Cyrillic е, and
    // "Gu\u{200B}est" with a zero-width space (cleaned away: shown as "Guest").
    for (i, (typed, shown)) in [("Gu\u{435}st", "Gu\u{435}st"), ("Gu\u{200B}est", "Guest")].into_iter().enumerate() {
        let (host, guest, (_, fp4, status, warning)) =
            meet_as(&url, SECRETS[3 + i], &known, [3; 32], typed, shown).await;
        assert_eq!(status, IdentityStatus::KeyChanged, "{typed:?}");
        assert_ne!(fp4, fp);
        assert!(warning.is_some_and(|w| w.contains("was verified before with another identity key")), "{typed:?}");
        leave(host, guest).await;
    }
    assert_eq!(std::fs::read_to_string(&known).unwrap(), saved);
}
