//! Errors of the E2EE core: typed, with a stable code the UI can map to a sentence.
//!
//! A media frame that fails to decrypt is *not* an error here: it is dropped and counted (see
//! [`super::sframe::Dropped`] and [`super::sframe::FrameStats`]), because a forged or replayed
//! frame is something that happens on the network, and the meeting goes on.

use crate::secrets::SecretsError;

/// Everything that can go wrong in device identity, MLS, knocks, verification and framing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum E2eeError {
    /// The keychain failed (locked, missing, ...). The inner error says what to do.
    #[error(transparent)]
    Secrets(#[from] SecretsError),
    /// Bytes from the network or a peer that do not parse (truncated, wrong version, ...).
    #[error("malformed {what}: {why}")]
    Malformed {
        /// What was being read ("SFrame header", "MLS message", "knock", ...).
        what: &'static str,
        /// What was wrong.
        why: String,
    },
    /// An authenticated decryption failed: the data was tampered with or sealed under another key.
    #[error("{what} failed authentication (tampered, or sealed for someone else)")]
    Authentication {
        /// What was being opened.
        what: &'static str,
    },
    /// An MLS message that is well-formed but breaks Trygg's meeting rules (a non-host changing
    /// membership, an Add while the meeting is locked, a group without a host policy, ...).
    #[error("refused: {why}")]
    Refused {
        /// Which rule, in words.
        why: String,
    },
    /// The host tried to admit someone into a locked meeting.
    #[error("the meeting is locked: unlock it before admitting anyone")]
    Locked,
    /// An operation only the host may do.
    #[error("only the host can {action}")]
    NotHost {
        /// What was attempted.
        action: &'static str,
    },
    /// This device is no longer a member of the group (removed, or left).
    #[error("this device is no longer in the meeting")]
    NotMember,
    /// There is no member with that index.
    #[error("no member with index {0}")]
    UnknownMember(u32),
    /// A call that does not fit the current state (e.g. encrypting before any epoch keys).
    #[error("{0}")]
    State(&'static str),
    /// The MLS library failed in a way that is not the peer's fault.
    #[error("MLS error: {0}")]
    Mls(String),
    /// An SFrame sender used up its counter space for this key (never in practice: 2^64 frames).
    #[error("the SFrame counter for this key is exhausted; a new epoch is needed")]
    CounterExhausted,
}

impl E2eeError {
    /// Input that is not what it claims to be: `what` names it, `why` says what is wrong.
    pub fn malformed(what: &'static str, why: impl Into<String>) -> Self {
        Self::Malformed { what, why: why.into() }
    }

    pub(crate) fn refused(why: impl Into<String>) -> Self {
        Self::Refused { why: why.into() }
    }

    pub(crate) fn mls(e: impl std::fmt::Display) -> Self {
        Self::Mls(e.to_string())
    }

    /// A stable machine-readable code (for JSON output and the UI's `{code, message}`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Secrets(e) => e.code(),
            Self::Malformed { .. } => "e2ee.malformed",
            Self::Authentication { .. } => "e2ee.authentication",
            Self::Refused { .. } => "e2ee.refused",
            Self::Locked => "e2ee.locked",
            Self::NotHost { .. } => "e2ee.not_host",
            Self::NotMember => "e2ee.not_member",
            Self::UnknownMember(_) => "e2ee.unknown_member",
            Self::State(_) => "e2ee.state",
            Self::Mls(_) => "e2ee.mls",
            Self::CounterExhausted => "e2ee.counter_exhausted",
        }
    }
}
