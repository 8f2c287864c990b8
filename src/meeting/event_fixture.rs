//! The JSON of every [`MeetingEvent`] variant, kept in `ui/src/backend/fixtures/meeting_events.json`
//! for the desktop UI's contract test (`ui/tests/unit/contract.test.ts`), which parses each one
//! strictly with the TypeScript types. Together the two tests keep the UI's types equal to these.
//!
//! When a variant changes, this test fails and says how to rewrite the file:
//! `TRYGG_WRITE_FIXTURES=1 cargo test --lib meeting::event_fixture`; then `npm test` in `ui/`
//! fails until the TypeScript types follow.

use super::*;
use crate::links::{InvitationCheck, InvitationId};
use crate::room::proto::KnockEnd;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/ui/src/backend/fixtures/meeting_events.json");

/// The number of the variant; exhaustive, so a new variant does not compile until it is listed
/// here and given an example below.
fn variant(e: &MeetingEvent) -> usize {
    use MeetingEvent as E;
    match e {
        E::Created { .. } => 0,
        E::Knocking => 1,
        E::InLobby => 2,
        E::Admitted { .. } => 3,
        E::Joined { .. } => 4,
        E::Knock { .. } => 5,
        E::KnockGone { .. } => 6,
        E::ParticipantJoined { .. } => 7,
        E::ParticipantNamed { .. } => 8,
        E::ParticipantAway { .. } => 9,
        E::ParticipantBack { .. } => 10,
        E::ParticipantLeft { .. } => 11,
        E::Link { .. } => 12,
        E::FirstRemoteVideo { .. } => 13,
        E::FirstRemoteAudio { .. } => 14,
        E::Stats { .. } => 15,
        E::RoleChanged { .. } => 16,
        E::Locked { .. } => 17,
        E::HandRaised { .. } => 18,
        E::MutedByHost => 19,
        E::UnmuteRequested => 20,
        E::SecurityCode { .. } => 21,
        E::Reconnecting => 22,
        E::Resumed { .. } => 23,
        E::Denied => 24,
        E::NoSuchMeeting => 25,
        E::RoomLocked => 26,
        E::Removed => 27,
        E::Ended => 28,
        E::Left => 29,
        E::Error { .. } => 30,
        // Not JSON: the shell turns it into its own `video_available` event.
        E::VideoChannel { .. } => 31,
        E::PeerIdentity { .. } => 32,
        E::ShareStarted { .. } => 33,
        E::ShareStopped { .. } => 34,
        // Not JSON: the shell turns it into its own `share_available` event.
        E::ShareChannel { .. } => 35,
        E::RemovedByServer => 36,
    }
}

const VARIANTS: usize = 37;
const NOT_JSON: [usize; 2] = [31, 35];

fn peer() -> PeerStats {
    PeerStats {
        member: MemberId::from_bytes([0, 0, 0, 0, 0, 0, 0, 0xb2]),
        name: "Kari Nordmann".into(),
        state: Some(LinkState::Connected),
        link: LinkStats {
            rtt_ms: Some(21.5),
            bytes_sent: 190_000,
            bytes_received: 185_000,
            packets_received: 160,
            packets_lost: 1,
            local_candidate: Some("host".into()),
            remote_candidate: None,
            estimate_kbps: Some(2140.0),
            queue_delay_ms: Some(4.5),
        },
        bitrate_in_kbps: 1480.0,
        bitrate_out_kbps: 1510.5,
        packet_loss_pct: 0.6,
        frames_decoded: 30,
        decode_errors: 0,
        media_dropped: 0,
        media_wrong_sender: 0,
        media_unbound: 2,
        audio_packets: 50,
        audio_playout: AudioPlayoutStats {
            target_ms: 40.0,
            delay_ms: 52.5,
            concealed: 3,
            fec: 2,
            late: 1,
            accelerated: 4,
            decelerated: 6,
            comfort_noise: 0,
            flushed: 0,
        },
        audio_level: 0.125,
        width: 1280,
        height: 720,
        glass_to_glass_ms: None,
        lip_sync_ms: Some(-6.5),
        glass_to_glass_samples_ms: vec![48.0, 51.5],
        share: None,
    }
}

fn examples() -> Vec<MeetingEvent> {
    use MeetingEvent as E;
    let m = || MemberId::from_bytes([0, 0, 0, 0, 0, 0, 0, 0xb2]);
    vec![
        E::Created { me: MemberId::from_bytes([0, 0, 0, 0, 0, 0, 0, 0xa1]) },
        E::Knocking,
        E::InLobby,
        E::Admitted { me: m() },
        E::Joined { me: m(), role: Role::Host },
        E::Joined { me: m(), role: Role::CoHost },
        E::Joined { me: m(), role: Role::Participant },
        E::Knock { member: m(), name: "Kari".into(), invitation: None },
        E::Knock {
            member: m(),
            name: "Kari".into(),
            invitation: Some(
                InvitationCheck::Invited { invitee: "kari@example.no".into(), id: InvitationId([1; 8]) }.into(),
            ),
        },
        E::Knock {
            member: m(),
            name: "Kari".into(),
            invitation: Some(
                InvitationCheck::Revoked { invitee: "kari@example.no".into(), id: InvitationId([1; 8]) }.into(),
            ),
        },
        E::Knock {
            member: m(),
            name: "Kari".into(),
            invitation: Some(InvitationCheck::Copied { id: InvitationId([1; 8]) }.into()),
        },
        E::Knock { member: m(), name: "Kari".into(), invitation: Some(InvitationCheck::OtherMeeting.into()) },
        E::Knock {
            member: m(),
            name: "Kari".into(),
            invitation: Some(InvitationCheck::OtherSigner { signer: [7; 32] }.into()),
        },
        E::Knock { member: m(), name: "Kari".into(), invitation: Some(InvitationCheck::Forged.into()) },
        E::KnockGone { member: m(), reason: KnockEnd::Admitted },
        E::KnockGone { member: m(), reason: KnockEnd::Denied },
        E::KnockGone { member: m(), reason: KnockEnd::Expired },
        E::KnockGone { member: m(), reason: KnockEnd::Withdrawn },
        E::ParticipantJoined { member: m(), name: String::new() },
        E::ParticipantNamed { member: m(), name: "Kari".into() },
        E::PeerIdentity {
            member: m(),
            name: "Kari".into(),
            fingerprint: "0123 4567 89ab cdef 0123 4567 89ab cdef 0123 4567 89ab cdef 0123 4567 89ab cdef".into(),
            pair_code: "4821 0937 5561 2048 7730".into(),
            status: trust::IdentityStatus::Unverified,
            previous_fingerprint: None,
            warning: None,
        },
        E::PeerIdentity {
            member: m(),
            name: "Kari".into(),
            fingerprint: "0123 4567 89ab cdef 0123 4567 89ab cdef 0123 4567 89ab cdef 0123 4567 89ab cdef".into(),
            pair_code: "4821 0937 5561 2048 7730".into(),
            status: trust::IdentityStatus::Verified,
            previous_fingerprint: None,
            warning: None,
        },
        E::PeerIdentity {
            member: m(),
            name: "Kari".into(),
            fingerprint: "ffff 4567 89ab cdef 0123 4567 89ab cdef 0123 4567 89ab cdef 0123 4567 89ab cdef".into(),
            pair_code: "0915 3382 6604 1179 2256".into(),
            status: trust::IdentityStatus::KeyChanged,
            previous_fingerprint: Some(
                "0123 4567 89ab cdef 0123 4567 89ab cdef 0123 4567 89ab cdef 0123 4567 89ab cdef".into(),
            ),
            warning: Some("Kari was verified before with another identity key.".into()),
        },
        E::ParticipantAway { member: m() },
        E::ParticipantBack { member: m() },
        E::ParticipantLeft { member: m(), reason: LeaveReason::Left },
        E::ParticipantLeft { member: m(), reason: LeaveReason::Removed },
        E::ParticipantLeft { member: m(), reason: LeaveReason::TimedOut },
        E::Link { member: m(), state: LinkState::Connecting },
        E::Link { member: m(), state: LinkState::Connected },
        E::Link { member: m(), state: LinkState::Disconnected },
        E::Link { member: m(), state: LinkState::Failed },
        E::Link { member: m(), state: LinkState::Closed },
        E::FirstRemoteVideo { member: m(), ms_since_start: 850 },
        E::FirstRemoteAudio { member: m(), ms_since_start: 640 },
        E::Stats {
            peers: vec![
                peer(),
                PeerStats {
                    member: MemberId::from_bytes([0, 0, 0, 0, 0, 0, 0, 0xb3]),
                    name: String::new(),
                    state: None,
                    link: LinkStats::default(),
                    bitrate_in_kbps: 0.0,
                    bitrate_out_kbps: 0.0,
                    packet_loss_pct: 0.0,
                    frames_decoded: 0,
                    decode_errors: 0,
                    media_dropped: 0,
                    media_wrong_sender: 3,
                    media_unbound: 0,
                    audio_packets: 0,
                    audio_playout: AudioPlayoutStats::default(),
                    audio_level: 0.0,
                    width: 0,
                    height: 0,
                    glass_to_glass_ms: None,
                    lip_sync_ms: None,
                    glass_to_glass_samples_ms: vec![],
                    share: None,
                },
                PeerStats {
                    share: Some(ShareStats {
                        width: 1920,
                        height: 1080,
                        fps: 5.0,
                        bitrate_kbps: 84.5,
                        frames: 312,
                        keyframes: 2,
                    }),
                    ..peer()
                },
            ],
            share_out: Some(ShareStats {
                width: 2560,
                height: 1440,
                fps: 15.0,
                bitrate_kbps: 950.2,
                frames: 40,
                keyframes: 1,
            }),
            e2ee: E2eeStatus {
                state: "end_to_end_encrypted",
                epoch: Some(2),
                security_code: Some("1234 5678 9012 3456 7890 1234".into()),
                frames_encrypted: 900,
                frames_decrypted: 880,
                dropped_auth_failed: 1,
                dropped_replay: 0,
                dropped_unknown_kid: 2,
                dropped_malformed: 0,
            },
        },
        E::Stats {
            peers: vec![],
            share_out: None,
            e2ee: E2eeStatus { state: "waiting_for_keys", ..E2eeStatus::default() },
        },
        E::RoleChanged { member: m(), role: Role::CoHost },
        E::Locked { locked: true },
        E::HandRaised { member: m(), raised: true },
        E::MutedByHost,
        E::UnmuteRequested,
        E::SecurityCode { epoch: 2, code: "1234 5678 9012 3456 7890 1234".into(), members: 2 },
        E::Reconnecting,
        E::Resumed { after_restart: false },
        E::Denied,
        E::NoSuchMeeting,
        E::RoomLocked,
        E::Removed,
        E::RemovedByServer,
        E::Ended,
        E::Left,
        E::Error { code: "net.io".into(), message: "the connection was reset".into() },
        E::ShareStarted { member: m(), source: None },
        E::ShareStarted { member: m(), source: Some("screen \"Built-in display\"".into()) },
        E::ShareStopped { member: m(), reason: ShareEnd::Stopped },
        E::ShareStopped { member: m(), reason: ShareEnd::SourceGone },
        E::ShareStopped { member: m(), reason: ShareEnd::Left },
    ]
}

#[test]
fn the_ui_fixture_holds_every_event_variant_as_the_ui_receives_it() {
    let events = examples();
    let mut seen = [false; VARIANTS];
    for e in &events {
        seen[variant(e)] = true;
    }
    let missing: Vec<usize> = (0..VARIANTS).filter(|i| !seen[*i] && !NOT_JSON.contains(i)).collect();
    assert!(missing.is_empty(), "variants without an example: {missing:?}");
    let json = serde_json::to_string_pretty(&events).expect("every example but the video channel serializes") + "\n";
    if std::env::var_os("TRYGG_WRITE_FIXTURES").is_some() {
        std::fs::write(FIXTURE, &json).expect("writing the fixture");
        return;
    }
    let on_disk = std::fs::read_to_string(FIXTURE).unwrap_or_default();
    assert!(
        on_disk == json,
        "{FIXTURE} is not what MeetingEvent serializes to now. Rewrite it with \
         `TRYGG_WRITE_FIXTURES=1 cargo test --lib meeting::event_fixture`, then run `npm test` in ui/ \
         and update ui/src/backend/types.ts until it passes."
    );
}
