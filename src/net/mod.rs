//! The network runtime: WebRTC peer connections and the frames they carry.

pub mod assembler;
mod keyframe_requests;
pub mod link_stats;
pub mod peer;
pub mod signal_server;
pub mod tls;

/// Errors of the network layer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NetError {
    /// The WebRTC stack refused an operation.
    #[error("WebRTC: {0}")]
    WebRtc(String),
    /// The connection or its task is gone.
    #[error("connection closed")]
    Closed,
    /// A socket could not be opened or used.
    #[error("{0}")]
    Io(String),
    /// TLS could not be set up (certificate, key, handshake).
    #[error("TLS: {0}")]
    Tls(String),
    /// The signalling server could not be reached or refused the connection.
    #[error("signalling: {0}")]
    Signalling(String),
}

impl NetError {
    pub(crate) fn webrtc(e: impl std::fmt::Display) -> Self {
        Self::WebRtc(e.to_string())
    }

    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::WebRtc(_) => "net.webrtc",
            Self::Closed => "net.closed",
            Self::Io(_) => "net.io",
            Self::Tls(_) => "net.tls",
            Self::Signalling(_) => "net.signalling",
        }
    }
}
