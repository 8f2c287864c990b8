//! The wire protocol: every message a client and the signalling server exchange, and the codec.
//!
//! A message is one WebSocket text frame holding one JSON object with the protocol version `"v"`
//! and a `"type"`, for example `{"v":1,"type":"admit","member":"3f2a9c0d11e84b7a"}`. Binary values
//! (proofs, tokens, sealed blobs) are base64url strings without padding. Unknown fields are
//! ignored (so a later minor addition does not break an older peer); an unknown `type`, a missing
//! or invalid field, or a different `v` is a protocol error. `docs/protocol.md` lists every
//! message with an example.
//!
//! Size: a message may be at most [`crate::room::limits::ServerConfig::max_message_size`] bytes
//! (64 KiB by default). An SDP offer of a meeting with audio, camera and screen is 5–15 KiB, an
//! MLS Welcome for a few dozen members a few KiB, so the limit leaves room without letting one
//! connection make the server buffer megabytes.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::error::ProtocolError;
use super::ids::{Blob, MemberId, ResumeToken, RoomId, RoomProof};
use super::roles::Role;

/// The version this build speaks; every message carries it as `"v"`.
pub const PROTOCOL_VERSION: u64 = 1;

/// Default limit of one message's size in bytes, for both directions.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 64 * 1024;

/// Client to server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMsg {
    /// Start a meeting that is not running: the sender becomes its host. The proof is stored and
    /// checked against every later knock, rejoin and recreate.
    Create {
        /// The room.
        room: RoomId,
        /// Proof of holding the link.
        room_proof: RoomProof,
    },
    /// After the server lost the meeting (a restart): start it again with the members the sender
    /// knew, who may then `rejoin` with their old ids. The sender becomes host.
    Recreate {
        /// The room.
        room: RoomId,
        /// Proof of holding the link; the rejoining members must present the same.
        room_proof: RoomProof,
        /// The sender's member id before the restart.
        me: MemberId,
        /// Whether the meeting was locked.
        locked: bool,
        /// The other members, in the order they had joined, with their roles.
        roster: Vec<RosterEntry>,
    },
    /// Ask to be let into a running meeting.
    Knock {
        /// The room.
        room: RoomId,
        /// Proof of holding the link.
        room_proof: RoomProof,
        /// The knocker's profile (display name, ...), opaque to the server: plain JSON until
        /// E2EE lands, ciphertext after. Relayed to hosts and co-hosts, never stored beyond the
        /// knock.
        sealed_profile: Blob,
    },
    /// After a `recreate`: take back one's seat by member id.
    Rejoin {
        /// The room.
        room: RoomId,
        /// Proof of holding the link.
        room_proof: RoomProof,
        /// The sender's member id before the restart.
        me: MemberId,
    },
    /// After a dropped connection: take back one's seat with the token from `joined`.
    Resume {
        /// The room.
        room: RoomId,
        /// The sender's member id.
        me: MemberId,
        /// The latest resume token.
        token: ResumeToken,
    },
    /// Leave the meeting (or withdraw a knock).
    Leave,
    /// Let a knocker in. Host and co-host.
    Admit {
        /// The knock.
        member: MemberId,
    },
    /// Turn a knocker away. Host and co-host.
    Deny {
        /// The knock.
        member: MemberId,
    },
    /// Lock or unlock the meeting. Host and co-host.
    Lock {
        /// The new state.
        locked: bool,
    },
    /// Remove a member. Host (anyone but itself), co-host (participants).
    Remove {
        /// The member.
        member: MemberId,
    },
    /// Change a member's role. Host only; giving `host` hands the host role over.
    SetRole {
        /// The member.
        member: MemberId,
        /// The new role.
        role: Role,
    },
    /// Ask a member to unmute (they decide). Host, co-host.
    RequestUnmute {
        /// The member.
        member: MemberId,
    },
    /// Tell a member to mute (their client mutes). Host, co-host.
    Mute {
        /// The member.
        member: MemberId,
    },
    /// Raise or lower one's own hand.
    RaiseHand {
        /// Raised or not.
        raised: bool,
    },
    /// End the meeting for everyone. Host only.
    EndForAll,
    /// Relay a signal to another member.
    Signal {
        /// The receiver.
        to: MemberId,
        /// What to relay.
        payload: Signal,
    },
    /// Liveness probe; the server answers `pong`.
    Ping,
    /// Answer to the server's `ping`.
    Pong,
}

/// Server to client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMsg {
    /// The sender is now a member: after `create`, an admit, `resume`, `rejoin` or `recreate`.
    Joined {
        /// How the sender got in.
        how: JoinKind,
        /// The sender's member id.
        me: MemberId,
        /// The sender's role.
        role: Role,
        /// The token for `resume` after a dropped connection (replaces any earlier one).
        resume_token: ResumeToken,
        /// Whether the meeting is locked.
        locked: bool,
        /// Every member including the sender, in the order they joined.
        members: Vec<MemberInfo>,
    },
    /// The knock is waiting in the lobby.
    InLobby {
        /// The knock's id (the member id if admitted).
        me: MemberId,
    },
    /// The knock was turned away.
    Denied,
    /// The knock waited too long.
    KnockExpired,
    /// The room does not exist (or the proof did not match: the server does not say which).
    NoSuchMeeting,
    /// The meeting is locked; no new knocks.
    RoomLocked,
    /// The resume token is unknown or its grace period is over; `rejoin` or `recreate` next.
    ResumeFailed,
    /// The receiver was removed from the meeting.
    Removed,
    /// The meeting was ended (by the host, or because its last member left while one knocked).
    Ended,
    /// To hosts and co-hosts: someone knocks.
    Knock {
        /// The knock's id.
        member: MemberId,
        /// As the knocker sent it.
        sealed_profile: Blob,
    },
    /// To hosts and co-hosts: a knock is no longer waiting.
    KnockWithdrawn {
        /// The knock's id.
        member: MemberId,
        /// Why.
        reason: KnockEnd,
    },
    /// A member arrived.
    MemberJoined {
        /// Who.
        member: MemberInfo,
        /// The profile from their knock, in transit (absent for rejoins).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sealed_profile: Option<Blob>,
    },
    /// A member's connection is gone; they may resume within the grace period.
    MemberAway {
        /// Who.
        member: MemberId,
    },
    /// An away member resumed.
    MemberBack {
        /// Who.
        member: MemberId,
    },
    /// A member is gone for good.
    MemberLeft {
        /// Who.
        member: MemberId,
        /// Why.
        reason: LeaveReason,
    },
    /// A member's role changed (a new host after a hand-over arrives this way too).
    RoleChanged {
        /// Who.
        member: MemberId,
        /// The new role.
        role: Role,
    },
    /// The meeting was locked or unlocked.
    Locked {
        /// The new state.
        locked: bool,
    },
    /// A member raised or lowered their hand.
    Hand {
        /// Who.
        member: MemberId,
        /// Raised or not.
        raised: bool,
    },
    /// A host asks the receiver to mute.
    MuteRequested {
        /// The asking host or co-host.
        by: MemberId,
    },
    /// A host asks the receiver to unmute.
    UnmuteRequested {
        /// The asking host or co-host.
        by: MemberId,
    },
    /// A relayed signal.
    Signal {
        /// The sender.
        from: MemberId,
        /// As sent.
        payload: Signal,
    },
    /// A refused request (the connection stays open).
    Error {
        /// A stable code such as `room.not_allowed`.
        code: String,
        /// A sentence for people.
        message: String,
    },
    /// Liveness probe; the client answers `pong`.
    Ping,
    /// Answer to the client's `ping`.
    Pong,
}

/// What members relay to each other through the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Signal {
    /// A session description (perfect negotiation: see `RoomClient::is_polite_towards`).
    Sdp {
        /// Offer, answer, ...
        sdp_type: SdpType,
        /// The SDP text.
        sdp: String,
    },
    /// A trickled ICE candidate; an empty `candidate` means end of candidates.
    Ice {
        /// The `candidate:` line.
        candidate: String,
        /// Media stream id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sdp_mid: Option<String>,
        /// Media line index.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sdp_mline_index: Option<u16>,
    },
    /// An E2EE handshake message (MLS KeyPackage, Welcome, Commit, ...), opaque to the server.
    Handshake {
        /// The bytes.
        data: Blob,
    },
    /// A member's sealed profile, sent by each member to a newcomer so that the server never
    /// has to store profiles.
    Profile {
        /// The bytes.
        data: Blob,
    },
}

/// The type of an SDP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SdpType {
    /// An offer.
    Offer,
    /// An answer.
    Answer,
    /// A provisional answer.
    Pranswer,
    /// Roll back a local offer (perfect negotiation).
    Rollback,
}

/// How a `joined` came about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JoinKind {
    /// After `create`.
    Created,
    /// A host or co-host admitted the knock.
    Admitted,
    /// After `resume`.
    Resumed,
    /// After `rejoin`.
    Rejoined,
    /// After `recreate`.
    Recreated,
}

/// One member as others see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberInfo {
    /// The member.
    pub id: MemberId,
    /// Its role.
    pub role: Role,
    /// Whether its hand is raised.
    pub hand_raised: bool,
    /// False while its connection is gone (within the grace period, or not yet rejoined after
    /// a recreate).
    pub present: bool,
}

/// One member in a `recreate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterEntry {
    /// The member.
    pub id: MemberId,
    /// Its role.
    pub role: Role,
}

/// Why a knock left the lobby.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KnockEnd {
    /// Admitted.
    Admitted,
    /// Denied.
    Denied,
    /// Waited too long.
    Expired,
    /// The knocker left or lost its connection.
    Withdrawn,
}

/// Why a member left.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeaveReason {
    /// It said `leave`.
    Left,
    /// A host or co-host removed it.
    Removed,
    /// Its connection was gone for longer than the grace period.
    TimedOut,
}

/// WebSocket close codes the server uses. 1000–1015 are the standard ones; 4000–4999 are ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseCode {
    /// Not a message, an unknown type, or an invalid field (4000).
    BadMessage,
    /// A different protocol version (4001).
    UnsupportedVersion,
    /// A message the connection's state does not allow (4002).
    OutOfOrder,
    /// Nothing heard within the idle timeout (4003).
    IdleTimeout,
    /// The member resumed on another connection (4004).
    Replaced,
    /// Larger than the size limit (1009, the standard "message too big").
    TooBig,
}

impl CloseCode {
    /// The number for the close frame.
    pub fn as_u16(self) -> u16 {
        match self {
            Self::BadMessage => 4000,
            Self::UnsupportedVersion => 4001,
            Self::OutOfOrder => 4002,
            Self::IdleTimeout => 4003,
            Self::Replaced => 4004,
            Self::TooBig => 1009,
        }
    }

    /// The stable code, as [`ProtocolError::code`] has it.
    pub fn code(self) -> &'static str {
        match self {
            Self::BadMessage => "room.bad_message",
            Self::UnsupportedVersion => "room.unsupported_version",
            Self::OutOfOrder => "room.out_of_order",
            Self::IdleTimeout => "room.idle_timeout",
            Self::Replaced => "room.replaced",
            Self::TooBig => "room.too_big",
        }
    }

    /// The close code for a protocol error.
    pub fn for_error(e: &ProtocolError) -> Self {
        match e {
            ProtocolError::TooBig { .. } => Self::TooBig,
            ProtocolError::UnsupportedVersion { .. } => Self::UnsupportedVersion,
            ProtocolError::OutOfOrder { .. } => Self::OutOfOrder,
            ProtocolError::BadMessage { .. } | ProtocolError::InvalidId { .. } => Self::BadMessage,
        }
    }
}

#[derive(Serialize)]
struct Envelope<'a, T> {
    v: u64,
    #[serde(flatten)]
    msg: &'a T,
}

#[derive(Deserialize)]
struct VersionOnly {
    v: Option<serde_json::Value>,
}

/// Serializes a message with its version.
pub fn encode<T: Serialize>(msg: &T) -> Vec<u8> {
    serde_json::to_vec(&Envelope { v: PROTOCOL_VERSION, msg })
        .expect("invariant: protocol messages have string keys and no fallible serializers")
}

/// Decodes a client message, checking size, version and shape, in that order.
pub fn decode_client(bytes: &[u8], max_size: usize) -> Result<ClientMsg, ProtocolError> {
    decode(bytes, max_size)
}

/// Decodes a server message, checking size, version and shape, in that order.
pub fn decode_server(bytes: &[u8], max_size: usize) -> Result<ServerMsg, ProtocolError> {
    decode(bytes, max_size)
}

fn decode<T: DeserializeOwned>(bytes: &[u8], max_size: usize) -> Result<T, ProtocolError> {
    if bytes.len() > max_size {
        return Err(ProtocolError::TooBig { size: bytes.len(), limit: max_size });
    }
    let bad = |e: serde_json::Error| ProtocolError::BadMessage { why: describe(&e) };
    // Two passes over at most 64 KiB: first the version alone, so that a message from a newer
    // protocol is reported as such rather than as malformed.
    let head: VersionOnly = serde_json::from_slice(bytes).map_err(bad)?;
    match head.v {
        None => return Err(ProtocolError::BadMessage { why: "missing field `v`".into() }),
        Some(serde_json::Value::Number(n)) if n.as_u64() == Some(PROTOCOL_VERSION) => {}
        Some(serde_json::Value::Number(n)) => {
            return Err(ProtocolError::UnsupportedVersion { got: n.as_u64().unwrap_or(u64::MAX) });
        }
        Some(_) => return Err(ProtocolError::BadMessage { why: "`v` must be a number".into() }),
    }
    serde_json::from_slice(bytes).map_err(bad)
}

/// serde_json's message without echoing values from the input (it quotes unknown variant names,
/// which come from the peer): keep only its category and position.
fn describe(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let kind = match e.classify() {
        Category::Io => "i/o",
        Category::Syntax => "not valid JSON",
        Category::Data => "unknown type or invalid field",
        Category::Eof => "truncated JSON",
    };
    format!("{kind} at line {} column {}", e.line(), e.column())
}

impl ClientMsg {
    /// The wire `type`, for errors and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Create { .. } => "create",
            Self::Recreate { .. } => "recreate",
            Self::Knock { .. } => "knock",
            Self::Rejoin { .. } => "rejoin",
            Self::Resume { .. } => "resume",
            Self::Leave => "leave",
            Self::Admit { .. } => "admit",
            Self::Deny { .. } => "deny",
            Self::Lock { .. } => "lock",
            Self::Remove { .. } => "remove",
            Self::SetRole { .. } => "set_role",
            Self::RequestUnmute { .. } => "request_unmute",
            Self::Mute { .. } => "mute",
            Self::RaiseHand { .. } => "raise_hand",
            Self::EndForAll => "end_for_all",
            Self::Signal { .. } => "signal",
            Self::Ping => "ping",
            Self::Pong => "pong",
        }
    }
}

impl ServerMsg {
    /// The wire `type`, for errors and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Joined { .. } => "joined",
            Self::InLobby { .. } => "in_lobby",
            Self::Denied => "denied",
            Self::KnockExpired => "knock_expired",
            Self::NoSuchMeeting => "no_such_meeting",
            Self::RoomLocked => "room_locked",
            Self::ResumeFailed => "resume_failed",
            Self::Removed => "removed",
            Self::Ended => "ended",
            Self::Knock { .. } => "knock",
            Self::KnockWithdrawn { .. } => "knock_withdrawn",
            Self::MemberJoined { .. } => "member_joined",
            Self::MemberAway { .. } => "member_away",
            Self::MemberBack { .. } => "member_back",
            Self::MemberLeft { .. } => "member_left",
            Self::RoleChanged { .. } => "role_changed",
            Self::Locked { .. } => "locked",
            Self::Hand { .. } => "hand",
            Self::MuteRequested { .. } => "mute_requested",
            Self::UnmuteRequested { .. } => "unmute_requested",
            Self::Signal { .. } => "signal",
            Self::Error { .. } => "error",
            Self::Ping => "ping",
            Self::Pong => "pong",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(n: u8) -> MemberId {
        MemberId::from_bytes([n; 8])
    }

    #[test]
    fn messages_carry_version_and_type_first() {
        let bytes = encode(&ClientMsg::Admit { member: member(0x3f) });
        assert_eq!(std::str::from_utf8(&bytes).expect("utf8"), r#"{"v":1,"type":"admit","member":"3f3f3f3f3f3f3f3f"}"#);
        assert_eq!(std::str::from_utf8(&encode(&ServerMsg::Ping)).expect("utf8"), r#"{"v":1,"type":"ping"}"#);
    }

    #[test]
    fn every_client_message_round_trips() {
        let room = RoomId::parse("abcdefghijklmnopqrstuvwxyz").expect("valid");
        let proof = RoomProof::new(vec![9; 32]).expect("valid");
        let msgs = vec![
            ClientMsg::Create { room: room.clone(), room_proof: proof.clone() },
            ClientMsg::Recreate {
                room: room.clone(),
                room_proof: proof.clone(),
                me: member(1),
                locked: true,
                roster: vec![RosterEntry { id: member(2), role: Role::CoHost }],
            },
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
            ClientMsg::Signal {
                to: member(1),
                payload: Signal::Sdp { sdp_type: SdpType::Offer, sdp: "v=0\r\n".into() },
            },
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
            ServerMsg::Error { code: "room.not_allowed".into(), message: "no".into() },
            ServerMsg::NoSuchMeeting,
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
        let e = decode_client(br#"{"v":2,"type":"leave"}"#, 1000).expect_err("v2");
        assert_eq!(e, ProtocolError::UnsupportedVersion { got: 2 });
        assert_eq!(CloseCode::for_error(&e).as_u16(), 4001);
        let e = decode_client(br#"{"type":"leave"}"#, 1000).expect_err("no v");
        assert_eq!(e.code(), "room.bad_message");
        let e = decode_client(br#"{"v":"1","type":"leave"}"#, 1000).expect_err("string v");
        assert_eq!(e.code(), "room.bad_message");
    }

    #[test]
    fn unknown_types_and_bad_fields_are_bad_messages_without_echoing_input() {
        for input in [
            &br#"{"v":1,"type":"steal_keys_of_alice"}"#[..],
            br#"{"v":1,"type":"admit"}"#,
            br#"{"v":1,"type":"admit","member":"XYZ"}"#,
            br#"{"v":1,"type":"knock","room":"short","room_proof":"AAAAAAAAAAAAAAAAAAAAAA","sealed_profile":""}"#,
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
        let doc = include_str!("../../docs/protocol.md");
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
        assert_eq!(client_types.len(), 17, "client examples: {client_types:?}");
        assert_eq!(server_types.len(), 23, "server examples: {server_types:?}");
    }

    #[test]
    fn unknown_fields_are_ignored_for_forward_compatibility() {
        let m = decode_client(br#"{"v":1,"type":"raise_hand","raised":true,"emoji":"wave"}"#, 1000).expect("decodes");
        assert_eq!(m, ClientMsg::RaiseHand { raised: true });
    }
}
