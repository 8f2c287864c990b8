//! How media reaches one member, in the runtime: the route the core asked for
//! ([`trygg_core::meeting::RouteKind`]) with its transport.
//!
//! Today every route is a mesh [`PeerLink`]. An SFU session and a SIP leg become further
//! variants; the driver hands each route the frames encoded and encrypted once
//! ([`Route::send`]), and each route's incoming frames reach the member's decoder tagged with
//! their [`Origin`](trygg_core::meeting::Origin).

use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::mpsc;
use webrtc::peer_connection::{RTCIceCandidateInit, RTCSdpType, RTCSessionDescription};

use super::NetError;
use super::link_stats::LinkStats;
use super::peer::{LocalMedia, PeerConfig, PeerEvent, PeerLink, PeerSignal};
use crate::room::proto::{SdpType, Signal};
use trygg_core::meeting::RouteKind;

/// Which of our tracks a frame goes out on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    /// The microphone.
    Audio,
    /// The camera.
    Camera,
    /// The screen share.
    Share,
}

/// One member's media route.
#[derive(Clone)]
pub enum Route {
    /// A peer connection of our own (the mesh).
    Mesh {
        /// The connection.
        link: Arc<PeerLink>,
        /// How it was asked for.
        kind: RouteKind,
    },
}

impl Route {
    /// Opens the route the core asked for. Its events (signals, state, media) go to `events`.
    pub async fn open(
        kind: RouteKind,
        config: &PeerConfig,
        local: LocalMedia,
        events: mpsc::UnboundedSender<PeerEvent>,
    ) -> Result<Self, NetError> {
        match kind {
            RouteKind::Mesh { polite, offer } => {
                let link = PeerLink::new(config, local, polite, offer, events).await?;
                Ok(Self::Mesh { link: Arc::new(link), kind })
            }
        }
    }

    /// What kind of route this is.
    pub fn kind(&self) -> RouteKind {
        match self {
            Self::Mesh { kind, .. } => *kind,
        }
    }

    /// Sends one encoded, encrypted frame on a lane.
    pub async fn send(&self, lane: Lane, data: Bytes, capture_us: u64) -> Result<(), NetError> {
        match self {
            Self::Mesh { link, .. } => match lane {
                Lane::Camera => link.send_video(data, capture_us).await,
                Lane::Audio => link.send_audio(data, capture_us).await,
                Lane::Share => link.send_share(data, capture_us).await,
            },
        }
    }

    /// A signal for this route from the member (opened from its seal). Unusable ones are dropped.
    pub fn handle_signal(&self, signal: Signal) {
        let Some(signal) = from_room(signal) else { return };
        match self {
            Self::Mesh { link, .. } => link.handle_signal(signal),
        }
    }

    /// Tries the connection again (an offer still out is abandoned; an ICE restart: fresh
    /// credentials, a new offer).
    pub fn restart(&self) {
        match self {
            Self::Mesh { link, .. } => link.retry(),
        }
    }

    /// Adds the screen-share track (renegotiates).
    pub async fn start_share(&self) -> Result<(), NetError> {
        match self {
            Self::Mesh { link, .. } => link.start_share().await,
        }
    }

    /// Asks the member for a keyframe of its screen share (`share`) or of its camera.
    pub async fn request_keyframe(&self, share: bool) {
        match self {
            Self::Mesh { link, .. } => link.request_keyframe(share).await,
        }
    }

    /// The transport's numbers.
    pub async fn stats(&self) -> LinkStats {
        match self {
            Self::Mesh { link, .. } => link.stats().await,
        }
    }

    /// Closes the route.
    pub async fn close(&self) {
        match self {
            Self::Mesh { link, .. } => link.close().await,
        }
    }
}

/// A peer link's signal as the room relays it.
pub fn to_room(s: PeerSignal) -> Signal {
    match s {
        PeerSignal::Description(d) => Signal::Sdp {
            sdp_type: match d.sdp_type {
                RTCSdpType::Answer => SdpType::Answer,
                RTCSdpType::Pranswer => SdpType::Pranswer,
                RTCSdpType::Rollback => SdpType::Rollback,
                _ => SdpType::Offer,
            },
            sdp: d.sdp,
        },
        PeerSignal::Candidate(c) => {
            Signal::Ice { candidate: c.candidate, sdp_mid: c.sdp_mid, sdp_mline_index: c.sdp_mline_index }
        }
    }
}

/// A relayed signal as a peer link takes it; None for anything else, and for an SDP the
/// WebRTC stack cannot read.
pub fn from_room(s: Signal) -> Option<PeerSignal> {
    match s {
        Signal::Sdp { sdp_type, sdp } => {
            let d = match sdp_type {
                SdpType::Offer => RTCSessionDescription::offer(sdp),
                SdpType::Answer => RTCSessionDescription::answer(sdp),
                SdpType::Pranswer => RTCSessionDescription::pranswer(sdp),
                SdpType::Rollback => RTCSessionDescription::rollback(None),
            };
            match d {
                Ok(d) => Some(PeerSignal::Description(Box::new(d))),
                Err(e) => {
                    tracing::debug!("unusable SDP from a peer: {e}");
                    None
                }
            }
        }
        Signal::Ice { candidate, sdp_mid, sdp_mline_index } if !candidate.is_empty() => {
            Some(PeerSignal::Candidate(RTCIceCandidateInit {
                candidate,
                sdp_mid,
                sdp_mline_index,
                ..Default::default()
            }))
        }
        _ => None,
    }
}
