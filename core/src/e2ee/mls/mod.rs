//! The meeting's MLS group (RFC 9420), through openmls: who may decrypt the meeting.
//!
//! Ciphersuite `MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519` (the mandatory-to-implement one),
//! provider `openmls_rust_crypto`. Handshake messages travel as MLS *PrivateMessages*
//! (`PURE_CIPHERTEXT` wire format), so the relaying server does not even learn who was added or
//! removed; the Welcome carries the ratchet tree so a joiner needs nothing else.
//!
//! ## The flow (sans-I/O: every call returns bytes for the caller to send)
//!
//! ```text
//!  joiner                         server (relays blobs)                 host / members
//!  Joiner::new(identity) ─KeyPackage (inside a sealed knock, see knock.rs)──► open_knock
//!                                                               host: admit(kp) → Admission
//!  Joiner::join(welcome) ◄──────────── Welcome ──────────────── Admission.welcome
//!                                       Commit ─────────────────► members: process(commit)
//!  (deny = the host does nothing: no byte is ever sent)
//!  leave() ─────────────── Remove proposal ───────────────────► host: process → LeaveRequested
//!                                                               host: commit_pending() → Commit
//! ```
//!
//! ## What members enforce, not just the server
//!
//! The [`policy`] (host identity key + locked flag) is a GroupContext extension, so it is part
//! of every epoch's agreed state. Every member, on every commit, before merging:
//!
//! 1. refuses it unless the committer is the current host — only the host commits at all
//!    (membership changes, lock, re-key), which also means commits never race;
//! 2. refuses it if it adds anyone while the meeting is locked (before or after the commit);
//! 3. refuses it if it drops the policy, or hands the host role to someone not in the group.
//!
//! Stand-alone proposals are only accepted when they are a member's own Remove (leaving). A
//! joiner refuses a Welcome without a policy or one not sent by the policy's host.
//!
//! Every merged commit is a new epoch: [`MeetingGroup::epoch_keys`] gives the new SFrame base
//! keys ([`crate::e2ee::media_keys`]) and [`MeetingGroup::security_code`] the new code.

mod group;
mod joiner;
pub mod policy;
mod security_code;

pub use group::{Admission, GroupEvent, MeetingGroup, MemberInfo};
pub use joiner::{Joiner, KEY_PACKAGE_LIFETIME_SECS, check_key_package, key_package_identity};
pub use policy::{MeetingPolicy, POLICY_EXTENSION_TYPE};
pub use security_code::SecurityCode;

use openmls::prelude::{Capabilities, Ciphersuite, CredentialType, ExtensionType};

/// The MLS ciphersuite of every Trygg meeting.
pub const CIPHERSUITE: Ciphersuite = Ciphersuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;

/// What a Trygg leaf supports: the one ciphersuite, basic credentials, the policy extension.
/// How many past epochs' message secrets a member keeps, so that an application message (an
/// announcement, an approval) sent just before a commit still opens after it. Kept low: it is
/// a trade-off against forward secrecy (RFC 9420 §14).
pub const MAX_PAST_EPOCHS: usize = 2;

fn capabilities() -> Capabilities {
    Capabilities::new(
        None,
        Some(&[CIPHERSUITE]),
        Some(&[ExtensionType::Unknown(POLICY_EXTENSION_TYPE), ExtensionType::LastResort]),
        None,
        Some(&[CredentialType::Basic]),
    )
}

fn wire_format() -> openmls::prelude::WireFormatPolicy {
    openmls::prelude::PURE_CIPHERTEXT_WIRE_FORMAT_POLICY
}

#[cfg(test)]
mod tests;
