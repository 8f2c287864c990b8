//! The host's list of the personal invitations it made: which exist, for whom, for which
//! meeting, and which it revoked.
//!
//! `trygg invite --personal` adds to it; `trygg invitations revoke ID` (or revoking from the
//! lobby) marks one revoked; a meeting this device hosts reads it at the start, so a knock with
//! a revoked invitation shows as such and a co-host's approval cannot let it in. It lives in
//! `invitations.json` in Trygg's settings folder, written atomically and readable by its owner
//! only. It holds no secret (an invitation is useless without the link's secret and is not
//! kept here), but it does hold invitees' addresses: it is personal data, kept on this device.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::e2ee::invitations::InvitationPolicy;
use crate::links::InvitationId;

use super::MeetingError;

const VERSION: u32 = 1;

/// One invitation in the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationRecord {
    /// Its id (11 characters, as `trygg invitations` prints it).
    pub id: String,
    /// Whom it was made for.
    pub invitee: String,
    /// The room of the meeting it is for.
    pub room: String,
    /// When it was made (RFC 3339, UTC).
    pub issued: String,
    /// When it was revoked, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked: Option<String>,
}

/// The host's list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationList {
    version: u32,
    /// The invitations, oldest first.
    pub invitations: Vec<InvitationRecord>,
}

impl InvitationList {
    /// Adds invitations just made.
    pub fn add(&mut self, records: impl IntoIterator<Item = InvitationRecord>) {
        self.version = VERSION;
        self.invitations.extend(records);
    }

    /// Marks the invitation `id` revoked at `now` (RFC 3339). False when no invitation in the
    /// list has that id; revoking twice keeps the first time.
    pub fn revoke(&mut self, id: &InvitationId, now: &str) -> bool {
        let text = id.to_text();
        let Some(r) = self.invitations.iter_mut().find(|r| r.id == text) else { return false };
        r.revoked.get_or_insert_with(|| now.to_owned());
        true
    }

    /// The ids of the revoked invitations.
    pub fn revoked(&self) -> HashSet<InvitationId> {
        self.invitations.iter().filter(|r| r.revoked.is_some()).filter_map(|r| InvitationId::from_text(&r.id)).collect()
    }
}

/// Where the list lives unless told otherwise: `invitations.json` in Trygg's settings folder.
pub fn default_path() -> Option<PathBuf> {
    Some(super::private_file::settings_dir()?.join("invitations.json"))
}

fn fail(path: &Path, what: impl std::fmt::Display) -> MeetingError {
    MeetingError::Invitations(format!("{}: {what}", path.display()))
}

/// Reads the list; a missing file is an empty list. A file that is not a list is an error (it
/// is never silently replaced: revocations would be lost).
pub fn read(path: &Path) -> Result<InvitationList, MeetingError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(InvitationList::default()),
        Err(e) => return Err(fail(path, format!("cannot read it ({e})"))),
    };
    let list: InvitationList = serde_json::from_slice(&bytes)
        .map_err(|e| fail(path, format!("is not a list of invitations ({e}); fix or move it")))?;
    if list.version != VERSION {
        return Err(fail(path, format!("has version {}; this Trygg reads version {VERSION}", list.version)));
    }
    Ok(list)
}

/// Writes the list atomically, owner-only.
pub fn write(path: &Path, list: &InvitationList) -> Result<(), MeetingError> {
    let list = InvitationList { version: VERSION, invitations: list.invitations.clone() };
    let bytes = serde_json::to_vec_pretty(&list).expect("the list serializes");
    super::private_file::write(path, &bytes).map_err(|e| fail(path, format!("cannot save it ({e})")))
}

/// Reads the list at `path`, applies `change`, and writes it back, holding the list's lock
/// throughout: `trygg invite --personal` and a revocation in a running meeting at the same
/// moment both keep their change.
pub fn update<T>(path: &Path, change: impl FnOnce(&mut InvitationList) -> T) -> Result<T, MeetingError> {
    let apply = || -> Result<T, MeetingError> {
        let mut list = read(path)?;
        let out = change(&mut list);
        write(path, &list)?;
        Ok(out)
    };
    super::private_file::locked(path, || Ok(apply())).map_err(|e| fail(path, format!("cannot lock it ({e})")))?
}

/// The host's rules for a meeting: the invitations revoked in the list at `path` (none without
/// one), and whether only the invited get in.
pub fn policy(path: Option<&Path>, invited_only: bool) -> Result<InvitationPolicy, MeetingError> {
    let revoked = match path {
        Some(p) => read(p)?.revoked(),
        None => HashSet::new(),
    };
    Ok(InvitationPolicy { revoked, invited_only })
}

/// Marks `id` revoked in the list at `path`, now. False when the list has no such invitation
/// (one made on another device): it is then revoked in the running meeting only.
pub fn revoke(path: &Path, id: &InvitationId) -> Result<bool, MeetingError> {
    let now = jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .map_or_else(|_| jiff::Timestamp::now().to_string(), |t| t.to_string());
    update(path, |l| l.revoke(id, &now))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: u8, invitee: &str) -> InvitationRecord {
        InvitationRecord {
            id: InvitationId([id; 8]).to_text(),
            invitee: invitee.into(),
            room: "r".repeat(26),
            issued: "2026-12-07T08:00:00Z".into(),
            revoked: None,
        }
    }

    #[test]
    fn revocations_survive_a_round_trip_and_bad_files_are_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/invitations.json");
        assert_eq!(read(&path).unwrap(), InvitationList::default(), "a missing list is empty");
        update(&path, |l| l.add([record(1, "a@example.com"), record(2, "b@example.com")])).unwrap();
        assert!(update(&path, |l| l.revoke(&InvitationId([2; 8]), "2026-12-07T09:00:00Z")).unwrap());
        assert!(!update(&path, |l| l.revoke(&InvitationId([3; 8]), "2026-12-07T09:00:00Z")).unwrap());
        update(&path, |l| l.revoke(&InvitationId([2; 8]), "2026-12-08T00:00:00Z")).unwrap();
        let list = read(&path).unwrap();
        assert_eq!(list.revoked(), HashSet::from([InvitationId([2; 8])]));
        assert_eq!(list.invitations[1].revoked.as_deref(), Some("2026-12-07T09:00:00Z"), "the first revocation counts");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }

        std::fs::write(&path, b"{not json").unwrap();
        let e = read(&path).unwrap_err();
        assert_eq!(e.code(), "meeting.invitations");
        assert!(e.to_string().contains("fix or move it"), "{e}");
        assert!(update(&path, |l| l.add([record(4, "c@example.com")])).is_err());
        assert_eq!(std::fs::read(&path).unwrap(), b"{not json", "a bad list is left as it was");
    }
}
