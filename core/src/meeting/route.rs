//! How media reaches one member: the route seam.
//!
//! Today every route is a mesh peer connection of our own to the member. An SFU session (one
//! publishing connection, one subscribing connection for everyone) and a SIP leg (a bridge's
//! call, with its own codecs) are the next kinds. Whatever the kind, outgoing frames are encoded
//! and encrypted once and handed to every route, and incoming frames carry the route, the member
//! the route says they are from, and the SFrame sender that decryption authenticated.

use serde::Serialize;

use crate::room::ids::MemberId;

/// The kind of route the core asks the runtime to set up for a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteKind {
    /// A peer connection of our own to the member (the mesh). `polite` is our part in perfect
    /// negotiation; `offer` says whether we make the first offer (the newcomer does).
    Mesh {
        /// We roll back our own offer on glare.
        polite: bool,
        /// We offer first.
        offer: bool,
    },
}

/// Where a member's incoming frames come from: the route that delivers them and the member that
/// route is for. Which SFrame sender they must carry is the runtime's live binding (set by
/// [`super::Action::BindRoute`]), checked against each frame's authenticated sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    /// The route's kind.
    pub route: RouteKind,
    /// The member the route belongs to (what the signalling said).
    pub member: MemberId,
}

/// A route's connection state as the meeting cares about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkState {
    /// ICE/DTLS under way.
    Connecting,
    /// Media can flow.
    Connected,
    /// Lost for now; ICE may recover (or be restarted).
    Disconnected,
    /// Gave up; an ICE restart is the way back.
    Failed,
    /// Closed for good.
    Closed,
}
