//! The codec and every message on the wire.

use super::*;
use crate::room::error::ProtocolError;
use crate::room::ids::{Blob, MeetingInstance, MemberId, ResumeToken, RoomId, RoomProof};
use crate::room::roles::Role;

fn member(n: u8) -> MemberId {
    MemberId::from_bytes([n; 8])
}

#[test]
fn messages_carry_version_and_type_first() {
    let bytes = encode(&ClientMsg::Admit { member: member(0x3f) });
    assert_eq!(std::str::from_utf8(&bytes).expect("utf8"), r#"{"v":2,"type":"admit","member":"3f3f3f3f3f3f3f3f"}"#);
    assert_eq!(std::str::from_utf8(&encode(&ServerMsg::Ping)).expect("utf8"), r#"{"v":2,"type":"ping"}"#);
}

#[test]
fn every_client_message_round_trips() {
    let room = RoomId::parse("abcdefghijklmnopqrstuvwxyz").expect("valid");
    let proof = RoomProof::new(vec![9; 32]).expect("valid");
    let msgs = vec![
        ClientMsg::Create {
            room: room.clone(),
            room_proof: proof.clone(),
            instance: MeetingInstance::from_bytes([3; 16]),
        },
        ClientMsg::Recreate {
            room: room.clone(),
            room_proof: proof.clone(),
            me: member(1),
            locked: true,
            roster: vec![RosterEntry { id: member(2), role: Role::CoHost }],
            instance: MeetingInstance::from_bytes([3; 16]),
        },
        ClientMsg::Look { room: room.clone(), room_proof: proof.clone() },
        ClientMsg::Knock { room: room.clone(), room_proof: proof.clone(), sealed_profile: Blob(b"{}".to_vec()) },
        ClientMsg::Rejoin { room: room.clone(), room_proof: proof, me: member(1) },
        ClientMsg::Resume { room, me: member(1), token: ResumeToken::from_bytes([5; 32]) },
        ClientMsg::Leave,
        ClientMsg::Admit { member: member(1) },
        ClientMsg::Deny { member: member(1) },
        ClientMsg::Lock { locked: false },
        ClientMsg::Remove { member: member(1) },
        ClientMsg::SetRole { member: member(1), role: Role::Host },
        ClientMsg::RequestUnmute { member: member(1) },
        ClientMsg::Mute { member: member(1) },
        ClientMsg::RaiseHand { raised: true },
        ClientMsg::EndForAll,
        ClientMsg::Signal { to: member(1), payload: Signal::Sdp { sdp_type: SdpType::Offer, sdp: "v=0\r\n".into() } },
        ClientMsg::Signal {
            to: member(1),
            payload: Signal::Ice { candidate: String::new(), sdp_mid: Some("0".into()), sdp_mline_index: None },
        },
        ClientMsg::Signal { to: member(1), payload: Signal::Handshake { data: Blob(vec![0, 1, 2]) } },
        ClientMsg::Signal { to: member(1), payload: Signal::Profile { data: Blob(vec![3]) } },
        ClientMsg::Ping,
        ClientMsg::Pong,
    ];
    for m in msgs {
        let bytes = encode(&m);
        assert_eq!(decode_client(&bytes, DEFAULT_MAX_MESSAGE_SIZE).expect("decodes"), m, "{}", m.kind());
        assert!(std::str::from_utf8(&bytes).expect("utf8").contains(&format!("\"type\":\"{}\"", m.kind())));
    }
}

#[test]
fn server_messages_round_trip() {
    let msgs = vec![
        ServerMsg::Joined {
            how: JoinKind::Admitted,
            me: member(1),
            role: Role::Participant,
            resume_token: ResumeToken::from_bytes([1; 32]),
            locked: false,
            members: vec![MemberInfo { id: member(1), role: Role::Participant, hand_raised: false, present: true }],
        },
        ServerMsg::KnockWithdrawn { member: member(2), reason: KnockEnd::Expired },
        ServerMsg::MemberJoined {
            member: MemberInfo { id: member(2), role: Role::Participant, hand_raised: false, present: true },
            sealed_profile: None,
        },
        ServerMsg::MemberLeft { member: member(2), reason: LeaveReason::TimedOut },
        ServerMsg::Error { code: crate::room::error::ErrorCode::parse("room.not_allowed"), message: "no".into() },
        ServerMsg::NoSuchMeeting,
        ServerMsg::Running { instance: MeetingInstance::from_bytes([8; 16]) },
    ];
    for m in msgs {
        assert_eq!(decode_server(&encode(&m), DEFAULT_MAX_MESSAGE_SIZE).expect("decodes"), m, "{}", m.kind());
    }
}

#[test]
fn oversized_input_is_too_big_before_it_is_parsed() {
    let big = vec![b' '; 101];
    assert_eq!(decode_client(&big, 100), Err(ProtocolError::TooBig { size: 101, limit: 100 }));
}

#[test]
fn other_versions_are_reported_as_such() {
    let e = decode_client(br#"{"v":3,"type":"leave"}"#, 1000).expect_err("v3");
    assert_eq!(e, ProtocolError::UnsupportedVersion { got: 3 });
    assert_eq!(CloseCode::for_error(&e).as_u16(), 4001);
    let e = decode_client(br#"{"type":"leave"}"#, 1000).expect_err("no v");
    assert_eq!(e.code(), "room.bad_message");
    let e = decode_client(br#"{"v":"1","type":"leave"}"#, 1000).expect_err("string v");
    assert_eq!(e.code(), "room.bad_message");
}

#[test]
fn unknown_types_and_bad_fields_are_bad_messages_without_echoing_input() {
    for input in [
        &br#"{"v":2,"type":"steal_keys_of_alice"}"#[..],
        br#"{"v":2,"type":"admit"}"#,
        br#"{"v":2,"type":"admit","member":"XYZ"}"#,
        br#"{"v":2,"type":"knock","room":"short","room_proof":"AAAAAAAAAAAAAAAAAAAAAA","sealed_profile":""}"#,
        br#"{"v":2,"type":"create","room":"abcdefghijklmnopqrstuvwxyz","room_proof":"AAAAAAAAAAAAAAAAAAAAAA","instance":"AAAA"}"#,
        br#"[1,2]"#,
        b"\xff\xfe",
        b"",
    ] {
        let e = decode_client(input, 1000).expect_err("bad");
        assert_eq!(e.code(), "room.bad_message", "{input:?}");
        assert!(!e.to_string().contains("alice"), "{e}");
    }
}

/// `docs/protocol.md` is the wire contract: every example in it must decode, and every
/// message type must have an example.
#[test]
fn every_example_in_protocol_md_decodes() {
    let doc = include_str!("../../../../docs/protocol.md");
    let mut client_types = std::collections::BTreeSet::new();
    let mut server_types = std::collections::BTreeSet::new();
    let mut lines = doc.lines();
    while let Some(line) = lines.next() {
        let side = match line.trim() {
            "```json client" => "client",
            "```json server" => "server",
            _ => continue,
        };
        let example: String = lines.by_ref().take_while(|l| l.trim() != "```").collect();
        let bytes = example.as_bytes();
        if side == "client" {
            let m = decode_client(bytes, DEFAULT_MAX_MESSAGE_SIZE).unwrap_or_else(|e| panic!("{example}: {e}"));
            client_types.insert(m.kind());
        } else {
            let m = decode_server(bytes, DEFAULT_MAX_MESSAGE_SIZE).unwrap_or_else(|e| panic!("{example}: {e}"));
            server_types.insert(m.kind());
        }
    }
    // Pings are documented once per direction; every other type has its own example.
    assert_eq!(client_types.len(), 18, "client examples: {client_types:?}");
    assert_eq!(server_types.len(), 25, "server examples: {server_types:?}");
}

#[test]
fn unknown_fields_are_ignored_for_forward_compatibility() {
    let m = decode_client(br#"{"v":2,"type":"raise_hand","raised":true,"emoji":"wave"}"#, 1000).expect("decodes");
    assert_eq!(m, ClientMsg::RaiseHand { raised: true });
}
