//! [`OsKeychain`]: the OS keychain through `keyring-core` and one store crate per platform.
//!
//! RUNTIME ring: this file talks to the OS (D-Bus on Linux).
//!
//! | OS | Store crate | Service |
//! |---|---|---|
//! | Linux, *BSD | `zbus-secret-service-keyring-store` (pure-Rust zbus, `crypto-rust`) | Secret Service (gnome-keyring, KWallet, KeePassXC) |
//! | macOS | `apple-native-keyring-store` (`keychain`) | the login Keychain |
//! | Windows | `windows-native-keyring-store` | Credential Manager |
//!
//! Only the Linux store is built and tested here (against a real gnome-keyring in a private
//! session bus: `tests/keychain.rs`); the others are written to the same `keyring-core` API.
//!
//! Items are stored under service [`SERVICE`] with the secret's name as the user, labelled
//! "Trygg: NAME" so that a person looking in their keychain app sees what they are.
//!
//! How errors map: an item that is not there is `Ok(None)`; "no storage access" (a locked
//! collection that needs a prompt, a refused prompt) is [`SecretsError::KeychainLocked`]; no
//! Secret Service on the bus (or no bus) at connect time is [`SecretsError::NoKeychain`]. Nothing
//! ever falls back to a file.

use std::collections::HashMap;
use std::sync::Arc;

use keyring_core::{CredentialStore, Entry, Error as KeyringError};

use super::{SecretStore, SecretsError, Sensitive};

/// The keychain "service" Trygg's items are stored under.
pub const SERVICE: &str = "trygg";

/// The OS keychain.
pub struct OsKeychain {
    store: Arc<CredentialStore>,
    service: String,
}

impl std::fmt::Debug for OsKeychain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OsKeychain").field("service", &self.service).finish_non_exhaustive()
    }
}

impl OsKeychain {
    /// Connects to this OS's keychain, with items under [`SERVICE`].
    pub fn open() -> Result<Self, SecretsError> {
        Self::open_for_service(SERVICE)
    }

    /// Connects with items under another service name (tests use their own, so that they never
    /// touch a developer's real Trygg items).
    pub fn open_for_service(service: &str) -> Result<Self, SecretsError> {
        Ok(Self { store: platform_store()?, service: service.to_owned() })
    }

    fn entry(&self, name: &str) -> Result<Entry, SecretsError> {
        let label = format!("Trygg: {name}");
        let modifiers = HashMap::from([("label", label.as_str())]);
        Entry::new_in_store_with_modifiers(&self.store, &self.service, name, &modifiers).map_err(map_error)
    }
}

#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
fn platform_store() -> Result<Arc<CredentialStore>, SecretsError> {
    let store = zbus_secret_service_keyring_store::Store::new()
        .map_err(|e| SecretsError::NoKeychain { detail: format!("cannot reach the Secret Service: {e}") })?;
    Ok(store)
}

#[cfg(target_os = "macos")]
fn platform_store() -> Result<Arc<CredentialStore>, SecretsError> {
    let store = apple_native_keyring_store::keychain::Store::new()
        .map_err(|e| SecretsError::NoKeychain { detail: format!("cannot open the Keychain: {e}") })?;
    Ok(store)
}

#[cfg(target_os = "windows")]
fn platform_store() -> Result<Arc<CredentialStore>, SecretsError> {
    let store = windows_native_keyring_store::Store::new()
        .map_err(|e| SecretsError::NoKeychain { detail: format!("cannot open the Credential Manager: {e}") })?;
    Ok(store)
}

#[cfg(not(any(
    target_os = "linux",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "macos",
    target_os = "windows"
)))]
fn platform_store() -> Result<Arc<CredentialStore>, SecretsError> {
    Err(SecretsError::NoKeychain { detail: format!("this build has no keychain backend for {}", std::env::consts::OS) })
}

fn map_error(e: KeyringError) -> SecretsError {
    match e {
        KeyringError::NoStorageAccess(inner) => SecretsError::KeychainLocked { detail: inner.to_string() },
        other => SecretsError::Keychain { detail: other.to_string() },
    }
}

impl SecretStore for OsKeychain {
    fn get(&self, name: &str) -> Result<Option<Sensitive<Vec<u8>>>, SecretsError> {
        match self.entry(name)?.get_secret() {
            Ok(secret) => Ok(Some(Sensitive::new(secret))),
            Err(KeyringError::NoEntry) => Ok(None),
            Err(e) => Err(map_error(e)),
        }
    }

    fn set(&self, name: &str, secret: &Sensitive<Vec<u8>>) -> Result<(), SecretsError> {
        self.entry(name)?.set_secret(secret.expose()).map_err(map_error)
    }

    fn delete(&self, name: &str) -> Result<(), SecretsError> {
        match self.entry(name)?.delete_credential() {
            Ok(()) | Err(KeyringError::NoEntry) => Ok(()),
            Err(e) => Err(map_error(e)),
        }
    }
}
