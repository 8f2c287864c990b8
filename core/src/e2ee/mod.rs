//! End-to-end encryption: device identity, the meeting's MLS group, SFrame for media, the
//! security code and remembered peers. CORE ring: no clock, no sockets, no files, no tokio.
//!
//! ## How the parts fit
//!
//! ```text
//!  identity ──(signing key, in the keychain)──► mls::MeetingGroup ──epoch_keys()──► media_keys::MediaKeys
//!                                                  │     ▲                               │
//!   knock::seal_knock (joiner) ──sealed blob──► host: open_knock → admit → Commit + Welcome
//!                                                  │                                     ▼
//!                                      security_code()  (same on every member)      h264 / Opus frames
//! ```
//!
//! 1. [`identity`]: each device has an Ed25519 signing key, created on first use and kept in the
//!    OS keychain ([`crate::secrets`]); it signs everything the device does in MLS.
//! 2. [`knock`]: a joiner seals its display name and KeyPackage under a key derived from the
//!    join link's secret, so the room server relays a blob it cannot read.
//! 3. [`mls`]: the host's [`mls::MeetingGroup`] admits (Add commit + Welcome), removes, locks;
//!    members enforce host-only membership changes and the lock themselves.
//! 4. [`media_keys`] + [`sframe`]: every epoch gives every sender new SFrame keys; frames are
//!    encrypted per Opus frame and per H.264 NAL unit ([`h264`]).
//! 5. [`mls::SecurityCode`] and [`verify`]: people compare a short code; verified identity keys
//!    are remembered and a changed key is a loud warning.
//!
//! ## Randomness
//!
//! SFrame needs none (nonces come from counters). Knock sealing and identity creation take an
//! RNG from the caller. The one exception is the MLS wrapper: openmls draws its randomness
//! (HPKE, path secrets, init keys) from its crypto provider, `openmls_rust_crypto`, which seeds
//! a ChaCha20 RNG from the OS. openmls also reads the system clock to check KeyPackage and leaf
//! lifetimes. Both are inside the library; this crate's code in `mls/` calls neither.
//!
//! The threat model is in `docs/security.md`.

pub mod display_name;
mod error;
pub mod h264;
pub mod identity;
pub mod invitations;
pub mod knock;
pub mod media_keys;
pub mod mls;
pub mod sealed_signal;
pub mod session;
pub mod sframe;
pub mod verify;

pub use error::E2eeError;
