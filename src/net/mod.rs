//! The network runtime: WebRTC peer connections and the frames they carry.

pub use trygg_core::rtp::{assembler, jitter_buffer};
mod congestion;
pub mod handshakes;
mod keyframe_requests;
pub mod link_stats;
mod pacer;
pub mod peer;
mod read_tap;
mod retransmissions;
pub mod route;
mod sender_reports;
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

/// This machine's address on the LAN: the source address the OS would use towards a public
/// address (no packet is sent), or loopback when there is no route. What a link to a server on
/// this machine gives the others.
pub fn lan_address() -> std::net::IpAddr {
    std::net::UdpSocket::bind("0.0.0.0:0")
        .and_then(|s| {
            s.connect("192.0.2.1:9")?;
            s.local_addr()
        })
        .map(|a| a.ip())
        .unwrap_or(std::net::IpAddr::from([127, 0, 0, 1]))
}
