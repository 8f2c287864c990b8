//! What a knock's personal invitation is worth, as the host and co-hosts judge it.
//!
//! An invitation ([`crate::links::ShownInvitation`]) counts when the key that signed it is one
//! the MLS group's policy names host or co-host — the group's word, never the server's — the
//! knock proves it holds it (the proof covers that knock's KeyPackage and run, so one copied out
//! of another knock does not count), and the host has not revoked it. The host keeps its own list of revoked invitations (the runtime
//! reads it from the host's invitation list and hands it in); co-hosts do not see that list, so
//! the host refuses a co-host's approval of a knock whose invitation it revoked.
//!
//! With [`InvitationPolicy::invited_only`] the host turns away every knock without a valid
//! invitation before anyone sees it in the lobby.

use std::collections::HashSet;

use crate::e2ee::mls::MeetingPolicy;
use crate::links::{InvitationCheck, InvitationId, ShownInvitation};

/// The host's rules for personal invitations in one meeting.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InvitationPolicy {
    /// Invitations the host revoked.
    pub revoked: HashSet<InvitationId>,
    /// Turn away every knock without a valid invitation (made by a host of this meeting for it,
    /// not revoked).
    pub invited_only: bool,
}

impl InvitationPolicy {
    /// What the invitation text a knock carried (if any) is worth to the meeting of
    /// `link_secret`, whose group has `policy`, in a knock on run `instance` with `key_package`.
    /// None: the knock carried no invitation.
    pub fn check(
        &self,
        link_secret: &[u8],
        policy: &MeetingPolicy,
        text: Option<&str>,
        instance: &[u8],
        key_package: &[u8],
    ) -> Option<InvitationCheck> {
        let text = text?;
        let Ok(invitation) = ShownInvitation::parse(text) else { return Some(InvitationCheck::Forged) };
        let hosts: Vec<&[u8]> =
            std::iter::once(policy.host.as_slice()).chain(policy.cohosts.iter().map(Vec::as_slice)).collect();
        Some(invitation.check(link_secret, instance, key_package, &hosts, |id| self.revoked.contains(id)))
    }

    /// Whether a knock with this invitation may be admitted at all: always, unless the meeting
    /// admits the invited only and it is not valid.
    pub fn admits(&self, check: Option<&InvitationCheck>) -> bool {
        !self.invited_only || check.is_some_and(InvitationCheck::is_valid)
    }
}

/// Why a knock's invitation keeps it out, in a sentence (for the host).
pub fn refusal(check: Option<&InvitationCheck>) -> String {
    match check {
        None => "a knock without a personal invitation was turned away: this meeting admits the invited only".into(),
        Some(InvitationCheck::Revoked { invitee, id }) => {
            format!("a knock with the invitation of {invitee} ({id}), which you revoked, was turned away")
        }
        Some(InvitationCheck::Copied { id }) => {
            format!("a knock with the invitation {id}, copied from someone else's knock, was turned away")
        }
        Some(InvitationCheck::OtherMeeting) => "a knock with an invitation to another meeting was turned away".into(),
        Some(InvitationCheck::OtherSigner { .. }) => {
            "a knock with an invitation made by someone who does not host this meeting was turned away".into()
        }
        Some(InvitationCheck::Forged) => "a knock with a forged invitation was turned away".into(),
        Some(InvitationCheck::Invited { .. }) => "a knock with a valid invitation was turned away".into(),
    }
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::{Signer, SigningKey};

    use super::*;
    use crate::links::Invitation;

    const SECRET: [u8; 32] = [9; 32];
    const RUN: [u8; 16] = [4; 16];
    const KEY_PACKAGE: &[u8] = b"kari's KeyPackage";

    fn invitation(by: &SigningKey, id: u8) -> String {
        Invitation::issue(
            &SECRET,
            "kari@example.no",
            InvitationId([id; 8]),
            by.verifying_key().to_bytes(),
            [id; 32],
            |m| by.sign(m).to_bytes(),
        )
        .unwrap()
        .show(&SECRET, &RUN, KEY_PACKAGE)
        .encode()
    }

    #[test]
    fn host_and_cohost_invitations_count_others_do_not() {
        let (host, cohost, other) =
            (SigningKey::from_bytes(&[1; 32]), SigningKey::from_bytes(&[2; 32]), SigningKey::from_bytes(&[3; 32]));
        let policy = MeetingPolicy {
            host: host.verifying_key().to_bytes().to_vec(),
            locked: false,
            cohosts: vec![cohost.verifying_key().to_bytes().to_vec()],
        };
        let mut rules = InvitationPolicy::default();
        let check = |r: &InvitationPolicy, text: Option<&str>| r.check(&SECRET, &policy, text, &RUN, KEY_PACKAGE);
        assert!(check(&rules, Some(&invitation(&host, 1))).unwrap().is_valid());
        assert!(check(&rules, Some(&invitation(&cohost, 2))).unwrap().is_valid());
        assert_eq!(check(&rules, Some(&invitation(&other, 3))).unwrap().code(), "other_signer");
        assert_eq!(check(&rules, Some("garbage")), Some(InvitationCheck::Forged));
        assert_eq!(check(&rules, None), None);
        let copied = rules.check(&SECRET, &policy, Some(&invitation(&host, 1)), &RUN, b"mallory's KeyPackage");
        assert_eq!(copied.as_ref().map(InvitationCheck::code), Some("copied"));
        rules.revoked.insert(InvitationId([1; 8]));
        let revoked = check(&rules, Some(&invitation(&host, 1)));
        assert_eq!(revoked.as_ref().unwrap().code(), "revoked");

        assert!(rules.admits(None) && rules.admits(revoked.as_ref()), "without invited-only, the host decides");
        rules.invited_only = true;
        assert!(!rules.admits(None));
        assert!(!rules.admits(revoked.as_ref()));
        assert!(!rules.admits(copied.as_ref()));
        assert!(rules.admits(check(&rules, Some(&invitation(&cohost, 2))).as_ref()));
        assert!(refusal(revoked.as_ref()).contains("kari@example.no"));
        assert!(refusal(copied.as_ref()).contains("copied"));
    }
}
