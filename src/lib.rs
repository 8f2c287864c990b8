//! # Trygg
//!
//! A secure desktop meeting client: people join by a link from a calendar invite, talk with
//! camera and microphone and share their screen, end-to-end encrypted, peer to peer or through a
//! bridge, with secrets kept in the OS keychain.
//!
//! ## The rings
//!
//! Dependencies point inwards only.
//!
//! 1. **Core, sans-I/O**: pure state machines and codecs of bytes (meeting protocol, E2EE key
//!    schedule, SIP, links). No sockets, no clocks, no OS randomness: time and randomness come in
//!    as arguments; callers feed inputs and drain outputs. Tested on a virtual clock.
//!    [`room`] is the meeting protocol: lobby, roles, lock and relays, for server and client.
//!    [`links`] reads join links and invites in and out, with anti-phishing checks.
//! 2. **Runtime**: tasks, sockets, devices, codecs, keychain. [`media`] is the first part of it:
//!    capture, conversion, Opus and H.264.
//! 3. **Shells**: the desktop app and the `trygg` command line. They translate; they do not
//!    decide.
//!
//! ## Errors and panics
//!
//! Every module has its own typed error (for media: [`media::MediaError`]), each with a stable
//! `code()` for machine-readable output and the UI. Bad input from the network, a file or the
//! user is always an error value, never a panic; `expect` is only used for internal invariants,
//! and its message names the invariant.
//!
//! ## Time
//!
//! Media timestamps are wall-clock microseconds since the Unix epoch, taken through
//! [`media::clock::Clock`] so that tests can run seconds of media in milliseconds on a
//! [`media::clock::VirtualClock`].

#![warn(missing_docs)]

pub mod bench;
pub mod logging;
pub mod media;
pub mod meeting;
pub mod net;
pub mod secrets;

/// The core ring lives in its own crate, `trygg-core` (no runtime, no sockets, no devices: the
/// compiler guards it); its modules keep their paths here.
pub use trygg_core::{Coded, e2ee, links, room};

trygg_core::impl_coded!(meeting::MeetingError, media::MediaError, net::NetError, bench::e2ee::BenchError,);

/// Version, commit and enabled features, as `trygg --version` prints them.
pub const BUILD_INFO: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("TRYGG_GIT_COMMIT"),
    ", features: ",
    env!("TRYGG_FEATURES"),
    ")"
);
