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
//!
//! # The keychain's own thread
//!
//! The store crates are blocking APIs, and the Linux one blocks by running its own async
//! runtime (zbus's `block_on`). Called from a thread that is inside a tokio runtime (the CLI's
//! meeting, every async Tauri command, `spawn_blocking` too) that panics: "Cannot start a runtime
//! from within a runtime". So an [`OsKeychain`] owns one plain OS thread, started by
//! [`OsKeychain::open`] and outside any runtime, that creates the store and makes every call to
//! it; the methods send the call there and wait for its answer. That makes the keychain safe to
//! use from any thread, with the same structure on every OS. Async code still calls it through
//! `spawn_blocking` (see [`OsKeychain::open_async`]), so that a slow keychain (a prompt, a
//! D-Bus timeout) never stalls a runtime worker. The thread ends when the `OsKeychain` is dropped.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::mpsc;

use keyring_core::{CredentialStore, Entry, Error as KeyringError};

use super::{SecretStore, SecretsError, Sensitive};

/// The keychain "service" Trygg's items are stored under.
pub const SERVICE: &str = "trygg";

/// One call, run on the keychain's thread with its store.
type Call = Box<dyn FnOnce(&Arc<CredentialStore>) + Send>;

/// The OS keychain. Every call runs on the keychain's own thread (see the module's docs).
pub struct OsKeychain {
    calls: mpsc::Sender<Call>,
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
        let (calls, queue) = mpsc::channel::<Call>();
        let (opened_tx, opened) = mpsc::channel();
        std::thread::Builder::new()
            .name("trygg-keychain".into())
            .spawn(move || {
                let store = match platform_store() {
                    Ok(store) => {
                        let _ = opened_tx.send(Ok(()));
                        store
                    }
                    Err(e) => {
                        let _ = opened_tx.send(Err(e));
                        return;
                    }
                };
                // Ends when the OsKeychain (the only sender) is dropped.
                for call in queue {
                    call(&store);
                }
            })
            .map_err(|e| SecretsError::Keychain { detail: format!("cannot start the keychain's thread: {e}") })?;
        opened.recv().map_err(|_| gone())??;
        Ok(Self { calls, service: service.to_owned() })
    }

    /// [`OsKeychain::open`] for async code: connects, then runs `work` with the keychain, both
    /// on a blocking thread, so that no runtime worker waits for the OS.
    pub async fn open_async<T, E>(work: impl FnOnce(&Self) -> Result<T, E> + Send + 'static) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<SecretsError> + Send + 'static,
    {
        tokio::task::spawn_blocking(move || work(&Self::open()?)).await.unwrap_or_else(|e| {
            Err(SecretsError::Keychain { detail: format!("the keychain's task failed: {e}") }.into())
        })
    }

    /// Runs `call` on the keychain's thread with an entry for `name`, and waits for its answer.
    fn with_entry<T: Send + 'static>(
        &self,
        name: &str,
        call: impl FnOnce(Entry) -> Result<T, SecretsError> + Send + 'static,
    ) -> Result<T, SecretsError> {
        let (service, name) = (self.service.clone(), name.to_owned());
        let (answer_tx, answer) = mpsc::channel();
        let job: Call = Box::new(move |store| {
            let label = format!("Trygg: {name}");
            let modifiers = HashMap::from([("label", label.as_str())]);
            let result = Entry::new_in_store_with_modifiers(store, &service, &name, &modifiers)
                .map_err(map_error)
                .and_then(call);
            let _ = answer_tx.send(result);
        });
        self.calls.send(job).map_err(|_| gone())?;
        answer.recv().map_err(|_| gone())?
    }
}

/// The keychain's thread ended without an answer (its store call panicked).
fn gone() -> SecretsError {
    SecretsError::Keychain { detail: "the keychain's thread ended".into() }
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
        self.with_entry(name, |entry| match entry.get_secret() {
            Ok(secret) => Ok(Some(Sensitive::new(secret))),
            Err(KeyringError::NoEntry) => Ok(None),
            Err(e) => Err(map_error(e)),
        })
    }

    fn set(&self, name: &str, secret: &Sensitive<Vec<u8>>) -> Result<(), SecretsError> {
        let secret = Sensitive::new(secret.expose().to_vec());
        self.with_entry(name, move |entry| entry.set_secret(secret.expose()).map_err(map_error))
    }

    fn delete(&self, name: &str) -> Result<(), SecretsError> {
        self.with_entry(name, |entry| match entry.delete_credential() {
            Ok(()) | Err(KeyringError::NoEntry) => Ok(()),
            Err(e) => Err(map_error(e)),
        })
    }
}
