//! What members relay to each other: SDP, ICE, E2EE handshakes, profiles.

use serde::{Deserialize, Serialize};

use crate::room::ids::Blob;

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
    /// A member started (`on`) or stopped sharing their screen. Members send it only sealed
    /// (inside `sealed`): who shares what is not the server's business.
    Share {
        /// Sharing now.
        on: bool,
        /// With `on: false`: the shared window closed or the screen went away.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        gone: bool,
    },
    /// An `sdp`, `ice` or `share` signal sealed for its recipient (`e2ee::sealed_signal`): what Trygg
    /// members send, so that the server learns no addresses, certificates or capabilities.
    Sealed {
        /// The bytes.
        data: Blob,
    },
}

impl Signal {
    /// The signal's `kind`, as on the wire.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Sdp { .. } => "sdp",
            Self::Ice { .. } => "ice",
            Self::Handshake { .. } => "handshake",
            Self::Profile { .. } => "profile",
            Self::Share { .. } => "share",
            Self::Sealed { .. } => "sealed",
        }
    }
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
