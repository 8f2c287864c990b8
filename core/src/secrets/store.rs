//! The [`SecretStore`] trait and its errors.

use super::Sensitive;

/// Where secrets are kept, by name (e.g. `"device-identity"`).
///
/// Implementations: [`super::keychain::OsKeychain`] (the OS keychain) and
/// [`super::memory::MemoryStore`] (tests). Names are short ASCII identifiers chosen by Trygg,
/// never user input.
pub trait SecretStore {
    /// The secret stored under `name`, or `Ok(None)` when there is none.
    fn get(&self, name: &str) -> Result<Option<Sensitive<Vec<u8>>>, SecretsError>;
    /// Stores `secret` under `name`, replacing what was there.
    fn set(&self, name: &str, secret: &Sensitive<Vec<u8>>) -> Result<(), SecretsError>;
    /// Deletes the secret under `name`; deleting what is not there is not an error.
    fn delete(&self, name: &str) -> Result<(), SecretsError>;
}

/// Everything that can go wrong with the keychain. Each says what to do about it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SecretsError {
    /// The keychain exists but is locked, and unlocking it needs the user.
    #[error(
        "the keychain is locked: unlock it (log in to your desktop session or run `gnome-keyring-daemon --unlock`) and try again"
    )]
    KeychainLocked {
        /// What the keychain said.
        detail: String,
    },
    /// There is no keychain service to talk to (no Secret Service on the session bus, no session
    /// bus at all, ...). Trygg never falls back to a file.
    #[error(
        "no keychain is available ({detail}): Trygg keeps its device key only in the OS keychain; \
         start a keychain service (on Linux: gnome-keyring or KeePassXC with Secret Service, inside a desktop \
         session) and try again"
    )]
    NoKeychain {
        /// What went wrong while looking for one.
        detail: String,
    },
    /// The keychain answered with an error.
    #[error("the keychain failed: {detail}")]
    Keychain {
        /// What the keychain said.
        detail: String,
    },
    /// A stored secret is not what Trygg wrote there (wrong length, another program's item).
    #[error("the keychain item \"{name}\" is not a valid Trygg secret: {why}")]
    Corrupt {
        /// The item's name.
        name: String,
        /// What is wrong with it.
        why: String,
    },
}

impl SecretsError {
    /// A stable machine-readable code (for JSON output and the UI's `{code, message}`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::KeychainLocked { .. } => "secrets.keychain_locked",
            Self::NoKeychain { .. } => "secrets.no_keychain",
            Self::Keychain { .. } => "secrets.keychain",
            Self::Corrupt { .. } => "secrets.corrupt",
        }
    }
}
