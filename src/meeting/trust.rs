//! Which participants this device has verified, and the loud warning when a known name comes
//! with a new identity key.
//!
//! The meeting learns a participant's identity key from its sealed profile and believes it only
//! when the MLS group vouches for it (the key is the credential of one of the group's members,
//! and no other participant claims it; see [`crate::e2ee::session::Session::vouched_key`]). Each such
//! (name, key) is checked against the remembered list ([`KnownPeers`]) and reported once as a
//! [`MeetingEvent::PeerIdentity`]: `verified`, `unverified`, or `key_changed` — the warning.
//!
//! The user verifies a participant after reading their pair code ([`pair_code`]: from both
//! identity keys, the same on both screens) to each other over a channel they trust ([`super::MeetingCommand::Verify`]); the list then remembers that name with that
//! key. It lives in a file (`known-peers.json` in Trygg's settings folder: not secret, but
//! written atomically with owner-only permissions) or, for throwaway identities, in memory.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::e2ee::identity::Fingerprint;
use crate::e2ee::verify::{KnownPeers, PeerCheck, pair_code};
use crate::room::ids::MemberId;

use super::{MeetingError, MeetingEvent};

/// What the user sees about one participant's identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityStatus {
    /// Verified before with this key.
    Verified,
    /// Never verified.
    Unverified,
    /// **Verified before with another key**: a new device, a reset identity, or someone else.
    KeyChanged,
}

/// The remembered list and what was last reported per participant.
pub struct Trust {
    known: KnownPeers,
    /// This device's key: each participant's pair code is made with it.
    own: Fingerprint,
    path: Option<PathBuf>,
    reported: HashMap<MemberId, (String, Fingerprint, IdentityStatus)>,
}

impl Trust {
    /// Loads the list from `path` (a missing file is an empty list; a malformed one is an
    /// error, never silently replaced), or keeps it in memory when `path` is None.
    pub fn load(path: Option<PathBuf>, own: Fingerprint) -> Result<Self, MeetingError> {
        let known = match &path {
            Some(p) => read(p)?,
            None => KnownPeers::new(),
        };
        Ok(Self { known, own, path, reported: HashMap::new() })
    }

    /// Checks a participant whose name and vouched key are known; returns an event when what
    /// the user should see changed.
    pub fn review(&mut self, member: MemberId, name: &str, key: Fingerprint) -> Option<MeetingEvent> {
        if name.trim().is_empty() {
            return None;
        }
        let (status, previous) = match self.known.check(name, &key) {
            PeerCheck::Verified => (IdentityStatus::Verified, None),
            PeerCheck::Unknown => (IdentityStatus::Unverified, None),
            PeerCheck::KeyChanged { old, .. } => (IdentityStatus::KeyChanged, Some(old)),
        };
        let now = (name.to_owned(), key, status);
        if self.reported.get(&member) == Some(&now) {
            return None;
        }
        self.reported.insert(member, now);
        Some(event(member, name, key, pair_code(&self.own, &key), status, previous))
    }

    /// Forgets what was reported about a participant who left.
    pub fn left(&mut self, member: &MemberId) {
        self.reported.remove(member);
    }

    /// The user verified `member` (they compared the security code): remember its name with
    /// the key it has now, replacing an older key, and save the list.
    pub fn verify(&mut self, member: MemberId) -> Result<MeetingEvent, MeetingError> {
        let (name, key, _) = self
            .reported
            .get(&member)
            .cloned()
            .ok_or(MeetingError::Trust("this participant's identity is not known yet".into()))?;
        let mut next = self.known.clone();
        next.replace(&name, key);
        if let Some(p) = &self.path {
            write(p, &next)?;
        }
        self.known = next;
        self.reported.insert(member, (name.clone(), key, IdentityStatus::Verified));
        Ok(event(member, &name, key, pair_code(&self.own, &key), IdentityStatus::Verified, None))
    }
}

fn event(
    member: MemberId,
    name: &str,
    key: Fingerprint,
    pair_code: String,
    status: IdentityStatus,
    previous: Option<Fingerprint>,
) -> MeetingEvent {
    let warning = (status == IdentityStatus::KeyChanged).then(|| {
        format!(
            "{name} was verified before with another identity key. It may be a new device or a reset \
             identity, or someone else using the name: read your pair code with {name} to each other over \
             a channel you trust before you say anything confidential."
        )
    });
    MeetingEvent::PeerIdentity {
        member,
        name: name.to_owned(),
        fingerprint: key.to_string(),
        pair_code,
        status,
        previous_fingerprint: previous.map(|p| p.to_string()),
        warning,
    }
}

/// Where the list lives unless told otherwise: `known-peers.json` in Trygg's settings folder
/// ([`super::private_file::settings_dir`]). None when no home is known.
pub fn default_path() -> Option<PathBuf> {
    Some(super::private_file::settings_dir()?.join("known-peers.json"))
}

/// Reads a known-peers file; a missing file is an empty list.
pub fn read(path: &Path) -> Result<KnownPeers, MeetingError> {
    match std::fs::read(path) {
        Ok(bytes) => KnownPeers::from_bytes(&bytes).map_err(|e| {
            MeetingError::Trust(format!("{} is not a known-peers list ({e}); fix or remove it", path.display()))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(KnownPeers::new()),
        Err(e) => Err(MeetingError::Trust(format!("cannot read {}: {e}", path.display()))),
    }
}

/// Writes a known-peers file atomically (a temporary file beside it, then a rename), readable
/// by its owner only.
pub fn write(path: &Path, known: &KnownPeers) -> Result<(), MeetingError> {
    super::private_file::write(path, &known.to_bytes())
        .map_err(|e| MeetingError::Trust(format!("cannot save {}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp(b: u8) -> Fingerprint {
        Fingerprint::of(&[b; 32])
    }

    fn status(e: &MeetingEvent) -> IdentityStatus {
        match e {
            MeetingEvent::PeerIdentity { status, .. } => *status,
            other => panic!("not an identity event: {other:?}"),
        }
    }

    #[test]
    fn unverified_then_verified_is_saved_and_a_new_key_later_is_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trygg/known-peers.json");
        let alice = MemberId::from_bytes([7; 8]);
        let mut t = Trust::load(Some(path.clone()), fp(99)).unwrap();
        assert_eq!(status(&t.review(alice, "Alice", fp(1)).unwrap()), IdentityStatus::Unverified);
        assert!(t.review(alice, "Alice", fp(1)).is_none(), "reported once");
        assert_eq!(status(&t.verify(alice).unwrap()), IdentityStatus::Verified);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }

        // Next meeting: the same name with the same key, then with another.
        let mut t = Trust::load(Some(path.clone()), fp(99)).unwrap();
        assert_eq!(status(&t.review(MemberId::from_bytes([1; 8]), "alice ", fp(1)).unwrap()), IdentityStatus::Verified);
        let warned = t.review(MemberId::from_bytes([2; 8]), "Alice", fp(2)).unwrap();
        assert_eq!(status(&warned), IdentityStatus::KeyChanged);
        let MeetingEvent::PeerIdentity { previous_fingerprint, warning, .. } = warned else { unreachable!() };
        assert_eq!(previous_fingerprint, Some(fp(1).to_string()));
        assert!(warning.unwrap().contains("read your pair code"));
    }

    #[test]
    fn a_malformed_list_is_an_error_and_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("known-peers.json");
        std::fs::write(&path, b"{ not json").unwrap();
        let e = Trust::load(Some(path.clone()), fp(99)).err().expect("refused");
        assert_eq!(e.code(), "meeting.known_peers");
        assert_eq!(std::fs::read(&path).unwrap(), b"{ not json");
    }

    #[test]
    fn verifying_someone_not_yet_known_is_refused() {
        let mut t = Trust::load(None, fp(99)).unwrap();
        assert!(t.verify(MemberId::from_bytes([3; 8])).is_err());
        assert!(t.review(MemberId::from_bytes([3; 8]), "  ", fp(1)).is_none(), "no name, nothing to check");
    }
}
