//! Server to client messages.

use serde::{Deserialize, Serialize};

use super::Signal;
use crate::room::ids::{Blob, MeetingInstance, MemberId, ResumeToken};
use crate::room::roles::Role;

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
    /// The STUN and TURN servers to use, with credentials made for the receiver
    /// ([`crate::room::turn`]); sent just before `joined` when the server has TURN configured.
    IceServers {
        /// The servers.
        servers: Vec<IceServer>,
    },
    /// The answer to `look`: the meeting runs, and this is its run.
    Running {
        /// The run the knock must be sealed for.
        instance: MeetingInstance,
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
        code: crate::room::error::ErrorCode,
        /// A sentence for people.
        message: String,
    },
    /// Liveness probe; the client answers `pong`.
    Ping,
    /// Answer to the client's `ping`.
    Pong,
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

impl MemberInfo {
    /// This member as host succession sees them.
    pub fn standing(&self) -> crate::room::roles::Standing {
        crate::room::roles::Standing { id: self.id, role: self.role, present: self.present }
    }
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

impl ServerMsg {
    /// The wire `type`, for errors and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Joined { .. } => "joined",
            Self::IceServers { .. } => "ice_servers",
            Self::Running { .. } => "running",
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

/// A STUN or TURN server, with the receiver's credentials for it. `Debug` never shows the
/// credential (actions, events and configs that hold one are logged).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IceServer {
    /// `stun:host:port`, `turn:host:port?transport=udp|tcp`, `turns:…`.
    pub urls: Vec<String>,
    /// The TURN user name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub username: String,
    /// The TURN password.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub credential: String,
}

impl std::fmt::Debug for IceServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let credential = if self.credential.is_empty() { "" } else { "<redacted>" };
        f.debug_struct("IceServer")
            .field("urls", &self.urls)
            .field("username", &self.username)
            .field("credential", &credential)
            .finish()
    }
}
