//! What goes in and out of [`super::MeetingCore`]: the shell's commands, the actions the runtime
//! carries out, and the notices it shows.

use crate::e2ee::identity::Fingerprint;
use crate::room::ids::MemberId;
use crate::room::proto::{IceServer, KnockEnd, LeaveReason, Signal};
use crate::room::roles::Role;

use super::route::{LinkState, RouteKind};

/// What a participant asks of the meeting that the core decides on. (Devices, screen shares and
/// the remembered identities are the runtime's.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Let a knocker in (host, co-host).
    Admit(MemberId),
    /// Turn a knocker away (host, co-host).
    Deny(MemberId),
    /// Lock or unlock the meeting (host, co-host).
    Lock(bool),
    /// Remove a participant (host, co-host).
    Remove(MemberId),
    /// Change a member's role (host).
    SetRole(MemberId, Role),
    /// Ask a member to unmute (host, co-host).
    RequestUnmute(MemberId),
    /// Mute a member's microphone (host, co-host).
    Mute(MemberId),
    /// Raise or lower our hand.
    RaiseHand(bool),
    /// Revoke a personal invitation (host): from now on a knock with it shows as revoked, and
    /// a co-host's approval no longer lets it in.
    RevokeInvitation(crate::links::InvitationId),
    /// End the meeting for everyone (host).
    EndForAll,
    /// Leave.
    Leave,
}

/// Something for the runtime to do, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Open the connection to the signalling server; answer with
    /// [`super::MeetingCore::handle_connected`] or [`super::MeetingCore::handle_connect_failed`].
    Connect,
    /// Close the connection to the signalling server (the room protocol gave up on it); a
    /// `Connect` follows after the back-off.
    Disconnect,
    /// Bytes for the signalling server.
    Transmit(Vec<u8>),
    /// Make sure media reaches `member` by a route of this kind (nothing to do if one exists).
    EnsureRoute {
        /// Who.
        member: MemberId,
        /// How.
        route: RouteKind,
    },
    /// The member left: close its route and forget what came from it.
    DropRoute {
        /// Who.
        member: MemberId,
    },
    /// The route to `member` did not connect, or lost its connection and did not recover:
    /// try again (an ICE restart). `attempt` counts from 1 since it was last connected.
    RestartRoute {
        /// Whose route.
        member: MemberId,
        /// Which try this is.
        attempt: u32,
    },
    /// Replace the route to `member` with a new connection: close the old one (its DTLS may be
    /// dead for good, which an ICE restart cannot mend) and open `route`. We build it (`offer`)
    /// after our own tries failed, or the member did (a signal of a newer generation follows,
    /// for the new one). The member's decoders and playout start afresh with it.
    RebuildRoute {
        /// Whose route.
        member: MemberId,
        /// The new connection.
        route: RouteKind,
        /// Which try since the link was last connected this is.
        attempt: u32,
    },
    /// A signal (SDP or ICE) for the route to `member`, opened from its seal.
    RouteSignal {
        /// From whom.
        member: MemberId,
        /// An `Sdp` or `Ice` signal.
        signal: Signal,
    },
    /// A member's screen share started or stopped (a sealed `share` signal).
    RemoteShare {
        /// Who.
        member: MemberId,
        /// Sharing now.
        on: bool,
        /// The shared source went away.
        gone: bool,
    },
    /// Media on the route to `member` must come from this SFrame sender (the leaf that
    /// announced itself as the member in the group); frames from any other sender are dropped
    /// and counted. None: nobody (yet) — frames are held back as unbound.
    BindRoute {
        /// Whose route.
        member: MemberId,
        /// The leaf its media must come from.
        sframe_sender: Option<u32>,
    },
    /// Send media (true) or hold it (false): true while at least one route is connected.
    Sending(bool),
    /// Use these STUN/TURN servers (with credentials the server made for us), besides the
    /// configured ones, for every route made from now on.
    UseIceServers(Vec<IceServer>),
    /// Send a keyframe soon: a new viewer needs a picture it can decode.
    RequestKeyframe,
    /// Turn our microphone off: a host muted us.
    MuteMicrophone,
    /// The group vouches for this participant's identity key: compare it with the remembered
    /// list and tell the user when what they should see changed.
    ReviewIdentity {
        /// Who.
        member: MemberId,
        /// Their name.
        name: String,
        /// Their identity key.
        key: Fingerprint,
    },
    /// Show this.
    Emit(Notice),
    /// The meeting is over for us, for this reason; nothing follows.
    Done(Notice),
}

/// What the meeting shows, decided by the core. The runtime adds what only it knows (media,
/// statistics, screen shares, remembered identities).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// We created the meeting and are its host.
    Created {
        /// Our member id.
        me: MemberId,
    },
    /// Our knock is on its way.
    Knocking,
    /// We wait in the lobby.
    InLobby,
    /// We were admitted.
    Admitted {
        /// Our member id.
        me: MemberId,
    },
    /// We are in the meeting.
    Joined {
        /// Our member id.
        me: MemberId,
        /// Our role.
        role: Role,
    },
    /// Back in the meeting after a lost connection (or the server's restart).
    Resumed {
        /// The server had restarted and the meeting was recreated.
        after_restart: bool,
    },
    /// The connection is lost; reconnecting.
    Reconnecting,
    /// Someone knocks (again, when what their invitation is worth changed).
    Knock {
        /// Who.
        member: MemberId,
        /// The name sealed in their knock.
        name: String,
        /// What the personal invitation in their knock is worth, if it carried one.
        invitation: Option<crate::links::InvitationCheck>,
    },
    /// A knock left the lobby.
    KnockGone {
        /// Who.
        member: MemberId,
        /// How.
        reason: KnockEnd,
    },
    /// A participant is in the meeting.
    ParticipantJoined {
        /// Who.
        member: MemberId,
        /// Their name, when known.
        name: String,
    },
    /// A participant's name is now known.
    ParticipantNamed {
        /// Who.
        member: MemberId,
        /// Their name.
        name: String,
    },
    /// A participant's connection is gone for now.
    ParticipantAway {
        /// Who.
        member: MemberId,
    },
    /// An away participant is back.
    ParticipantBack {
        /// Who.
        member: MemberId,
    },
    /// A participant left for good.
    ParticipantLeft {
        /// Who.
        member: MemberId,
        /// Why.
        reason: LeaveReason,
    },
    /// The route to a member changed state.
    Link {
        /// Who.
        member: MemberId,
        /// Its new state.
        state: LinkState,
    },
    /// A member's role changed.
    RoleChanged {
        /// Who.
        member: MemberId,
        /// The new role.
        role: Role,
    },
    /// The meeting was locked or unlocked.
    Locked {
        /// Locked now.
        locked: bool,
    },
    /// A hand went up or down.
    HandRaised {
        /// Whose.
        member: MemberId,
        /// Up now.
        raised: bool,
    },
    /// A host muted our microphone.
    MutedByHost,
    /// A host asks us to unmute.
    UnmuteRequested,
    /// New keys: the epoch, its security code and the group's size.
    SecurityCode {
        /// The MLS epoch.
        epoch: u64,
        /// The code, in groups.
        code: String,
        /// Members in the group.
        members: usize,
    },
    /// Something failed or was refused; the meeting goes on.
    Error {
        /// A stable dotted code.
        code: String,
        /// A sentence.
        message: String,
    },
    /// We left.
    Left,
    /// The meeting ended for everyone.
    Ended,
    /// A host or co-host removed us, as they said in the group.
    Removed,
    /// The server took our seat (or the group's host took us out because the server said we
    /// had gone), and no host or co-host asked for it in the group.
    RemovedByServer,
    /// Our knock was turned away (or expired).
    Denied,
    /// No meeting behind the link.
    NoSuchMeeting,
    /// The meeting is locked.
    RoomLocked,
}

impl Notice {
    /// An error notice from any error with a stable code.
    pub fn error(e: &impl crate::Coded) -> Self {
        Self::Error { code: e.code().into(), message: e.to_string() }
    }
}
