//! What the client tells the runtime and the UI.

use crate::room::ids::{Blob, MeetingInstance, MemberId};
use crate::room::proto::{IceServer, KnockEnd, LeaveReason, MemberInfo, Signal};
use crate::room::roles::Role;

/// One thing that happened in the meeting, from this participant's point of view. Drain with
/// `RoomClient::poll_event` after every input. Not `non_exhaustive`: the meeting matches every
/// event, so a new one is a compile error there until it is handled.
#[derive(Debug, Clone, PartialEq)]
pub enum RoomEvent {
    /// We started the meeting and are its host.
    Created {
        /// Our member id.
        me: MemberId,
    },
    /// The meeting runs: seal the knock for this run of it and hand it to `RoomClient::knock`.
    SealKnock {
        /// The run, as the server says (a wrong one only makes the host refuse the knock).
        instance: MeetingInstance,
    },
    /// The knock is on its way (also after a dropped connection in the lobby: we knock again).
    Knocking,
    /// We wait in the lobby.
    InLobby {
        /// The knock's id.
        me: MemberId,
    },
    /// STUN and TURN servers to use from now on, with credentials made for us (checked:
    /// `room::turn::accept`).
    IceServers {
        /// The servers.
        servers: Vec<IceServer>,
    },
    /// We were let in.
    Admitted {
        /// Our member id.
        me: MemberId,
        /// Our role.
        role: Role,
        /// Everyone, in join order.
        members: Vec<MemberInfo>,
        /// Whether the meeting is locked.
        locked: bool,
    },
    /// We are back in after a dropped connection (`after_restart`: the server had restarted and
    /// the meeting was recreated; members not back yet are listed as not present).
    Resumed {
        /// Our member id.
        me: MemberId,
        /// Our role.
        role: Role,
        /// Everyone, in join order.
        members: Vec<MemberInfo>,
        /// Whether the meeting is locked.
        locked: bool,
        /// Whether this was a rejoin or recreate after the server lost the meeting.
        after_restart: bool,
    },
    /// The knock was denied.
    Denied,
    /// The knock waited too long.
    KnockExpired,
    /// No such meeting: the link is wrong, or the meeting has not started (only the host link
    /// starts it).
    NoSuchMeeting,
    /// The meeting is locked.
    RoomLocked,
    /// A member arrived. For a newly admitted one, its sealed profile from the knock; this
    /// client has already sent ours to it.
    MemberJoined {
        /// Who.
        member: MemberInfo,
        /// Its profile, when it came in through the lobby.
        sealed_profile: Option<Blob>,
    },
    /// A member introduced itself (sent by every member to a newcomer).
    MemberProfile {
        /// Who.
        member: MemberId,
        /// Its profile.
        sealed_profile: Blob,
    },
    /// A member's connection to the server is gone; it may come back within the grace period.
    /// This is when a crashed or killed peer is first shown as gone.
    MemberAway {
        /// Who.
        member: MemberId,
    },
    /// An away member is back.
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
    /// Someone knocks (hosts and co-hosts only).
    Knock {
        /// The knock's id, for `admit` / `deny`.
        member: MemberId,
        /// The knocker's sealed profile.
        sealed_profile: Blob,
    },
    /// A knock left the lobby.
    KnockWithdrawn {
        /// The knock's id.
        member: MemberId,
        /// Why.
        reason: KnockEnd,
    },
    /// A member's role changed (ours too).
    RoleChanged {
        /// Who.
        member: MemberId,
        /// The new role.
        role: Role,
    },
    /// The meeting has a new host (follows the `RoleChanged` that made it so).
    HostChanged {
        /// The new host.
        host: MemberId,
    },
    /// The meeting was locked (true) or unlocked.
    Locked(bool),
    /// A member raised or lowered its hand.
    HandRaised {
        /// Who.
        member: MemberId,
        /// Raised or not.
        raised: bool,
    },
    /// A host asks us to mute: the runtime mutes the microphone.
    MuteRequested {
        /// The host or co-host.
        by: MemberId,
    },
    /// A host asks us to unmute: the UI asks the person.
    UnmuteRequested {
        /// The host or co-host.
        by: MemberId,
    },
    /// A signal from another member (SDP, ICE or an E2EE handshake).
    Signal {
        /// The sender.
        from: MemberId,
        /// What it sent.
        payload: Signal,
    },
    /// The meeting ended for everyone.
    Ended,
    /// A host removed us.
    Removed,
    /// The connection is lost: the runtime closes the socket if it is still open, reconnects
    /// (with back-off), and calls `handle_connected`.
    Reconnecting,
    /// The server refused a request, or the client refused a command.
    Error {
        /// A stable code such as `room.not_allowed`.
        code: crate::room::error::ErrorCode,
        /// A sentence for people.
        message: String,
    },
}
