//! Client to server messages.

use serde::{Deserialize, Serialize};

use super::Signal;
use crate::room::ids::{Blob, MeetingInstance, MemberId, ResumeToken, RoomId, RoomProof};
use crate::room::roles::Role;

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
        /// This run of the meeting (the host's MLS group id), told to knockers.
        instance: MeetingInstance,
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
        /// The run of the meeting (its MLS group id), as before the restart.
        instance: MeetingInstance,
    },
    /// Before knocking: which run of the meeting is this? Answered with `running` (or
    /// `no_such_meeting` / `room_locked`, as a knock would be); the knock that follows is sealed
    /// for that run.
    Look {
        /// The room.
        room: RoomId,
        /// Proof of holding the link.
        room_proof: RoomProof,
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

/// One member in a `recreate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterEntry {
    /// The member.
    pub id: MemberId,
    /// Its role.
    pub role: Role,
}

impl ClientMsg {
    /// The wire `type`, for errors and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Create { .. } => "create",
            Self::Recreate { .. } => "recreate",
            Self::Look { .. } => "look",
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
