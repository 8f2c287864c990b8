//! Secrets: the [`Sensitive`] wrapper and where secrets are kept.
//!
//! Trygg keeps exactly one long-lived secret per device today: the device's signing key (see
//! [`crate::e2ee::identity`]). It lives in the OS keychain — Secret Service on Linux, Keychain on
//! macOS, Credential Manager on Windows — behind the [`SecretStore`] trait:
//!
//! - the OS keychain (`trygg::secrets::keychain`, in the runtime ring: it talks to the OS) is the
//!   only store the app uses;
//! - [`memory::MemoryStore`] keeps secrets in memory for tests and for the core's scenarios.
//!
//! **There is no file fallback.** A locked or missing keychain is an error
//! ([`SecretsError::KeychainLocked`], [`SecretsError::NoKeychain`]) that says what to do; the
//! caller shows it and stops. A silent fallback to a file would put the key where backups, sync
//! tools and other programs of the same user read it, which is exactly what the keychain is for.
//!
//! Secret values travel as [`Sensitive<T>`]: `Debug` prints `<redacted>`, there is no
//! `Serialize`, and the memory is zeroed on drop. Reading one is an explicit
//! [`Sensitive::expose`], easy to find in review.

pub mod memory;
mod sensitive;
mod store;

pub use sensitive::Sensitive;
pub use store::{SecretStore, SecretsError};
