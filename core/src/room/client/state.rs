//! Where a client is in a meeting: one exhaustive enum, one diagram.

use std::time::Duration;

use crate::room::ids::{MeetingInstance, MemberId};
use crate::room::roles::Role;

/// A client's place in the protocol. Every transition is in the diagram; `handle_message`
/// rejects (with `room.out_of_order`) any server message the state does not expect.
///
/// ```text
///  new(Host) ─► Connecting{Create} ─connected─► Creating ─joined(created)──────────────┐
///                  ▲          meeting_exists ──┘ │                                      │
///                  │                             ▼                                      ▼
///  new(Join) ─► Connecting{Knock} ─connected─► Knocking*─in_lobby─► InLobby ─joined─► InMeeting
///                  ▲   dropped: knock again ◄────┴──────────────────────┘   ▲            │ dropped /
///                  │                                                        │            │ server silent
///                  │                                      joined(resumed)   │            ▼
///                  │                                  Resuming ◄─connected─ Reconnecting
///                  │                                      │ resume_failed   ▲
///                  │                                      ▼                 │ (rejoin on connect)
///                  │                                  Rejoining ────────────┘
///                  │       not listed: knock ◄────────────┤ joined(rejoined | recreated) ─► InMeeting
///                  │
///  any state ── leave / denied / knock_expired / removed / ended / no_such_meeting /
///               room_locked / refused ──► Closed(reason)        (terminal)
///
///  * a knock is three steps: Looking ─running─► Sealing ─knock()─► Knocking. The runtime
///    seals the knock for the run of the meeting the server named (`e2ee::knock`).
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientState {
    /// No socket yet (or it dropped before we were in); on connect the client sends the entry.
    Connecting {
        /// What it will send.
        entry: Entry,
    },
    /// `create` sent.
    Creating,
    /// `look` sent: waiting to hear which run of the meeting to knock on.
    Looking,
    /// The meeting runs; waiting for the runtime to seal the knock for this run
    /// ([`crate::room::RoomClient::knock`]).
    Sealing {
        /// The run.
        instance: MeetingInstance,
    },
    /// `knock` sent.
    Knocking,
    /// Waiting in the lobby.
    InLobby {
        /// The knock's id.
        me: MemberId,
    },
    /// A member of the meeting.
    InMeeting {
        /// Our member id.
        me: MemberId,
        /// Our role.
        role: Role,
    },
    /// A member whose connection is gone; on connect the client sends `resume`.
    Reconnecting {
        /// Our member id.
        me: MemberId,
        /// Our role when the connection dropped.
        role: Role,
    },
    /// `resume` sent.
    Resuming {
        /// Our member id.
        me: MemberId,
        /// Our role when the connection dropped.
        role: Role,
    },
    /// The server forgot the meeting (it restarted): the client sends `rejoin` every
    /// `rejoin_retry`, or `recreate` once its turn in the succession has come.
    Rejoining {
        /// Our old member id.
        me: MemberId,
        /// Our old role.
        role: Role,
        /// When resume failed.
        since: Duration,
    },
    /// Out of the meeting for good; the runtime closes the socket and stops reconnecting.
    Closed(CloseReason),
}

/// What a connecting client sends first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// `create` (the host link).
    Create,
    /// `knock`.
    Knock,
}

/// Why a client is [`ClientState::Closed`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseReason {
    /// We left.
    Left,
    /// The knock was denied.
    Denied,
    /// The knock waited too long.
    KnockExpired,
    /// A host removed us.
    Removed,
    /// The meeting ended.
    Ended,
    /// No such meeting (or a wrong link).
    NoSuchMeeting,
    /// The meeting is locked.
    RoomLocked,
    /// The server refused us with this code (`room.room_full`, `room.rate_limited`, ...).
    Refused {
        /// The error code.
        code: crate::room::error::ErrorCode,
    },
}

impl ClientState {
    /// Whether the client is in [`ClientState::Closed`].
    pub fn is_closed(&self) -> bool {
        matches!(self, Self::Closed(_))
    }
}
