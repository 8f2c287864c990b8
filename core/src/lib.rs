//! # Trygg's core
//!
//! The sans-I/O ring of Trygg: pure state machines and codecs of bytes. No sockets, no clocks,
//! no OS randomness, no threads, no files: time and randomness come in as arguments (or injected
//! providers), callers feed inputs and drain outputs. Everything here is tested on a virtual
//! clock, in memory. (openmls draws its own randomness through the crypto provider passed to it.)
//!
//! - [`room`]: the meeting protocol: lobby, roles, lock and relays, for server and client.
//! - [`e2ee`]: device identities, the MLS group of a meeting, SFrame, sealed knocks and signals,
//!   the security code and remembered peers.
//! - [`links`]: join links and invites in and out, with anti-phishing checks.
//! - [`rtp`]: reassembly of RTP packets into whole access units and audio frames.
//! - [`secrets`]: where secrets are kept (the trait; the OS keychain is the runtime's) and the
//!   [`secrets::Sensitive`] wrapper.
//! - [`media`]: the byte-level parts of media the core needs (H.264 Annex B).
//! - [`negotiation`]: perfect negotiation of a peer connection, in phases (the glare rules).
//! - [`meeting`]: one participant's meeting: every decision the runtime carries out (who to
//!   connect to, when the group changes, reconnecting, what to show), and the route seam.
//!
//! The `trygg` crate re-exports every module here under the same path (`trygg::room`, …).

#![warn(missing_docs)]

pub mod e2ee;
pub mod links;
pub mod media;
pub mod meeting;
pub mod negotiation;
pub mod room;
pub mod rtp;
pub mod secrets;

/// An error with a stable, dotted, machine-readable code (`room.not_allowed`,
/// `e2ee.malformed`, `media.device_busy`): what crosses every seam with the sentence, so the UI
/// picks its own words by the code and logs keep the library's.
pub trait Coded: std::error::Error {
    /// The code.
    fn code(&self) -> &'static str;
}

/// Implements [`Coded`] for error types whose inherent `code()` already gives the code.
#[macro_export]
#[doc(hidden)]
macro_rules! impl_coded {
    ($($t:ty),* $(,)?) => {$(
        impl $crate::Coded for $t {
            fn code(&self) -> &'static str {
                <$t>::code(self)
            }
        }
    )*};
}

impl_coded!(
    room::error::ProtocolError,
    room::error::Refused,
    room::error::Refusal,
    room::error::CommandError,
    e2ee::E2eeError,
    links::LinkError,
    secrets::SecretsError,
);
