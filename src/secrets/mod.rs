//! Secrets: the [`Sensitive`] wrapper and the [`SecretStore`] trait (from the core,
//! `trygg_core::secrets`), and the store the app uses: the OS keychain ([`keychain`]).

pub mod keychain;

pub use trygg_core::secrets::{SecretStore, SecretsError, Sensitive, memory};
