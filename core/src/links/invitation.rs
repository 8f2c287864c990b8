//! Personal invitations: signed by the host's device key, bound to one invitee and one meeting,
//! carried after the secret in a link's fragment (`#SECRET.INVITATION`) and sealed inside the
//! knock.
//!
//! ```text
//! meeting = HKDF-SHA256(ikm = link secret, info = "trygg/invitation/v2"), 32 bytes
//! signed  = "trygg/invitation/v2" ‖ meeting ‖ id (8) ‖ invitee
//! token   = 0x02 ‖ meeting[..8] ‖ id (8) ‖ signer's Ed25519 key (32) ‖ signature (64) ‖ invitee
//! text    = base64url(token)      (113 bytes and the invitee: 170 characters for a 14-byte one)
//! ```
//!
//! `invitee` is the address in the form [`normalize_invitee`] gives (trimmed, no `mailto:`,
//! lowercase), 1 to [`MAX_INVITEE_LEN`] bytes of UTF-8 without control characters. `id` is
//! random: it names the invitation in the host's list, and revoking it is putting it there.
//!
//! [`Invitation::check`] tells a host (or co-host) what a knock's invitation is worth: made by a
//! key that hosts this meeting for this invitee ([`InvitationCheck::Invited`]), revoked, made
//! for another meeting, made by someone who does not host this one (another invitee with their
//! own device key, say), or forged. Invitees hold the link's secret but not the host's key, so
//! they cannot make an invitation that checks as `Invited`. The first 8 bytes of `meeting` only
//! tell "another meeting" from "forged"; the signature decides.

use std::fmt;

use data_encoding::BASE64URL_NOPAD;
use ed25519_dalek::{Signature, VerifyingKey};
use hkdf::Hkdf;
use sha2::Sha256;

use super::LinkError;

const VERSION: u8 = 2;
const LABEL: &[u8] = b"trygg/invitation/v2";
const HINT_LEN: usize = 8;
const FIXED: usize = 1 + HINT_LEN + 8 + 32 + 64;
/// The longest invitee address, in bytes (an e-mail address is at most 254).
pub const MAX_INVITEE_LEN: usize = 254;
/// The most characters an invitation takes in a link.
pub const MAX_TEXT_LEN: usize = (FIXED + MAX_INVITEE_LEN).div_ceil(3) * 4;

/// The name of one invitation in the host's list: 8 random bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InvitationId(pub [u8; 8]);

impl InvitationId {
    /// Its 11-character base64url form, as `trygg invitations` prints it.
    pub fn to_text(&self) -> String {
        BASE64URL_NOPAD.encode(&self.0)
    }

    /// Reads the 11-character form.
    pub fn from_text(text: &str) -> Option<Self> {
        let bytes = BASE64URL_NOPAD.decode(text.trim().as_bytes()).ok()?;
        Some(Self(bytes.try_into().ok()?))
    }
}

impl fmt::Display for InvitationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

impl fmt::Debug for InvitationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "InvitationId({})", self.to_text())
    }
}

/// One personal invitation, as read from a link or a knock. Nothing in it is believed until
/// [`Invitation::check`] says so.
#[derive(Clone, PartialEq, Eq)]
pub struct Invitation {
    hint: [u8; HINT_LEN],
    id: InvitationId,
    signer: [u8; 32],
    signature: [u8; 64],
    invitee: String,
}

/// What a knock's invitation is worth to this meeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvitationCheck {
    /// Signed for this meeting and this invitee by a key that hosts it (the group's host or a
    /// co-host), and not revoked.
    Invited {
        /// The address it was made for.
        invitee: String,
        /// Its name in the host's list.
        id: InvitationId,
    },
    /// Signed as for `Invited`, but the host revoked it.
    Revoked {
        /// The address it was made for.
        invitee: String,
        /// Its name in the host's list.
        id: InvitationId,
    },
    /// Made for another meeting (another link).
    OtherMeeting,
    /// Properly signed for this meeting, but by a key that does not host it: whoever holds
    /// that key (another invitee, or a host of the meeting no longer in it) made it.
    OtherSigner {
        /// The signer's Ed25519 public key.
        signer: [u8; 32],
    },
    /// Altered, cut, or signed by nobody: it proves nothing.
    Forged,
}

impl InvitationCheck {
    /// A stable code: `invited`, `revoked`, `other_meeting`, `other_signer`, `forged`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invited { .. } => "invited",
            Self::Revoked { .. } => "revoked",
            Self::OtherMeeting => "other_meeting",
            Self::OtherSigner { .. } => "other_signer",
            Self::Forged => "forged",
        }
    }

    /// Whether it lets its bearer in where the meeting admits the invited only.
    pub fn is_valid(&self) -> bool {
        matches!(self, Self::Invited { .. })
    }
}

/// The form of an invitee's address that invitations are bound to: trimmed, without `mailto:`,
/// lowercase.
pub fn normalize_invitee(invitee: &str) -> String {
    let t = invitee.trim();
    let t = if t.get(..7).is_some_and(|p| p.eq_ignore_ascii_case("mailto:")) { &t[7..] } else { t };
    t.to_lowercase()
}

fn meeting_key(link_secret: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    Hkdf::<Sha256>::new(None, link_secret).expand(LABEL, &mut out).expect("32 bytes is a valid HKDF length");
    out
}

fn signed_bytes(meeting: &[u8; 32], id: &InvitationId, invitee: &str) -> Vec<u8> {
    let mut m = Vec::with_capacity(LABEL.len() + 32 + 8 + invitee.len());
    m.extend_from_slice(LABEL);
    m.extend_from_slice(meeting);
    m.extend_from_slice(&id.0);
    m.extend_from_slice(invitee.as_bytes());
    m
}

fn check_invitee(invitee: &str) -> Result<(), LinkError> {
    if invitee.is_empty() || invitee.len() > MAX_INVITEE_LEN {
        return Err(LinkError::invalid_link(format!(
            "an invitee's address has 1 to {MAX_INVITEE_LEN} bytes; this one has {}",
            invitee.len()
        )));
    }
    // What the lobby shows after "invited as" must read as it is: no control, bidi, zero-width
    // or white-space characters.
    let hidden = |c: char| {
        c.is_control()
            || c.is_whitespace()
            || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
    };
    if invitee.chars().any(hidden) {
        return Err(LinkError::invalid_link(
            "an invitee's address has no control, bidi, zero-width or white-space characters",
        ));
    }
    Ok(())
}

impl Invitation {
    /// Makes the invitation `id` of the meeting of `link_secret` for `invitee`, signed by the
    /// key `signer` through `sign` (the device identity's Ed25519 signature of the bytes given).
    pub fn issue(
        link_secret: &[u8],
        invitee: &str,
        id: InvitationId,
        signer: [u8; 32],
        sign: impl FnOnce(&[u8]) -> [u8; 64],
    ) -> Result<Self, LinkError> {
        let invitee = normalize_invitee(invitee);
        check_invitee(&invitee)?;
        let meeting = meeting_key(link_secret);
        let signature = sign(&signed_bytes(&meeting, &id, &invitee));
        let mut hint = [0u8; HINT_LEN];
        hint.copy_from_slice(&meeting[..HINT_LEN]);
        Ok(Self { hint, id, signer, signature, invitee })
    }

    /// What this invitation is worth to the meeting of `link_secret`, whose host and co-hosts
    /// hold `hosts` (Ed25519 public keys, as the group's policy names them); `revoked` says
    /// whether the host revoked an invitation.
    pub fn check(
        &self,
        link_secret: &[u8],
        hosts: &[&[u8]],
        revoked: impl Fn(&InvitationId) -> bool,
    ) -> InvitationCheck {
        let meeting = meeting_key(link_secret);
        if self.hint != meeting[..HINT_LEN] {
            return InvitationCheck::OtherMeeting;
        }
        let Ok(key) = VerifyingKey::from_bytes(&self.signer) else { return InvitationCheck::Forged };
        let signed = signed_bytes(&meeting, &self.id, &self.invitee);
        if key.verify_strict(&signed, &Signature::from_bytes(&self.signature)).is_err() {
            return InvitationCheck::Forged;
        }
        if !hosts.iter().any(|h| *h == self.signer) {
            return InvitationCheck::OtherSigner { signer: self.signer };
        }
        let (invitee, id) = (self.invitee.clone(), self.id);
        if revoked(&id) { InvitationCheck::Revoked { invitee, id } } else { InvitationCheck::Invited { invitee, id } }
    }

    /// Its name in the host's list.
    pub fn id(&self) -> InvitationId {
        self.id
    }

    /// The address it claims to be for (believed only once [`Invitation::check`] says
    /// `Invited`).
    pub fn invitee(&self) -> &str {
        &self.invitee
    }

    /// The key that claims to have signed it.
    pub fn signer(&self) -> &[u8; 32] {
        &self.signer
    }

    /// Reads the text form. Only the shape is checked here; [`Invitation::check`] checks the
    /// signature.
    pub fn parse(text: &str) -> Result<Self, LinkError> {
        if text.len() > MAX_TEXT_LEN {
            return Err(LinkError::invalid_link("the personal invitation in the link is too long"));
        }
        let bytes = BASE64URL_NOPAD
            .decode(text.as_bytes())
            .map_err(|_| LinkError::invalid_link("the personal invitation in the link is not base64url"))?;
        if bytes.len() <= FIXED {
            return Err(LinkError::invalid_link(
                "the personal invitation in the link is cut short (or made by an older Trygg)",
            ));
        }
        if bytes[0] != VERSION {
            return Err(LinkError::invalid_link(format!(
                "the personal invitation in the link has version {}; this Trygg reads version {VERSION}",
                bytes[0]
            )));
        }
        let invitee = String::from_utf8(bytes[FIXED..].to_vec())
            .map_err(|_| LinkError::invalid_link("the invitee in the personal invitation is not UTF-8"))?;
        check_invitee(&invitee)?;
        let field = |at: usize, len: usize| &bytes[at..at + len];
        Ok(Self {
            hint: field(1, HINT_LEN).try_into().expect("length checked"),
            id: InvitationId(field(1 + HINT_LEN, 8).try_into().expect("length checked")),
            signer: field(1 + HINT_LEN + 8, 32).try_into().expect("length checked"),
            signature: field(1 + HINT_LEN + 8 + 32, 64).try_into().expect("length checked"),
            invitee,
        })
    }

    /// The text written after `SECRET.` in a link.
    pub fn encode(&self) -> String {
        let mut bytes = Vec::with_capacity(FIXED + self.invitee.len());
        bytes.push(VERSION);
        bytes.extend_from_slice(&self.hint);
        bytes.extend_from_slice(&self.id.0);
        bytes.extend_from_slice(&self.signer);
        bytes.extend_from_slice(&self.signature);
        bytes.extend_from_slice(self.invitee.as_bytes());
        BASE64URL_NOPAD.encode(&bytes)
    }
}

impl fmt::Debug for Invitation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The invitee's address is personal data: not for logs.
        write!(f, "Invitation {{ id: {} }}", self.id)
    }
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::{Signer, SigningKey};

    use super::*;

    const SECRET: [u8; 32] = [7; 32];

    fn key(b: u8) -> SigningKey {
        SigningKey::from_bytes(&[b; 32])
    }

    fn issue(secret: &[u8], by: &SigningKey, invitee: &str, id: u8) -> Invitation {
        Invitation::issue(secret, invitee, InvitationId([id; 8]), by.verifying_key().to_bytes(), |m| {
            by.sign(m).to_bytes()
        })
        .unwrap()
    }

    fn check(inv: &Invitation, hosts: &[&SigningKey], revoked: &[u8]) -> InvitationCheck {
        let keys: Vec<[u8; 32]> = hosts.iter().map(|k| k.verifying_key().to_bytes()).collect();
        let refs: Vec<&[u8]> = keys.iter().map(|k| &k[..]).collect();
        inv.check(&SECRET, &refs, |id| revoked.contains(&id.0[0]))
    }

    #[test]
    fn an_invitation_the_host_signed_checks_as_invited_for_its_invitee() {
        let host = key(1);
        let inv = issue(&SECRET, &host, " mailto:Alice@Example.COM ", 5);
        assert_eq!(inv.invitee(), "alice@example.com");
        let back = Invitation::parse(&inv.encode()).unwrap();
        assert_eq!(back, inv);
        assert_eq!(
            check(&back, &[&key(9), &host], &[]),
            InvitationCheck::Invited { invitee: "alice@example.com".into(), id: InvitationId([5; 8]) },
            "any of the host and co-host keys"
        );
    }

    #[test]
    fn addresses_that_would_not_read_as_they_are_are_refused_when_made_and_when_read() {
        let host = key(1);
        for bad in [
            "eve\u{202E}moc.elpmaxe@ecila",
            "ali\u{200B}ce@example.com",
            "alice @example.com",
            "a\u{2066}b@example.com",
        ] {
            let made = Invitation::issue(&SECRET, bad, InvitationId([1; 8]), host.verifying_key().to_bytes(), |m| {
                host.sign(m).to_bytes()
            });
            assert!(made.is_err(), "{bad:?} made");
            // The same address in a token made by hand is refused when read.
            let mut token = issue(&SECRET, &host, "x@example.com", 1);
            token.invitee = bad.into();
            assert!(Invitation::parse(&token.encode()).is_err(), "{bad:?} read");
        }
    }

    #[test]
    fn a_revoked_invitation_says_so() {
        let host = key(1);
        let inv = issue(&SECRET, &host, "bob@example.com", 6);
        assert_eq!(
            check(&inv, &[&host], &[6]),
            InvitationCheck::Revoked { invitee: "bob@example.com".into(), id: InvitationId([6; 8]) }
        );
    }

    #[test]
    fn an_invitee_cannot_mint_one_that_checks_as_invited() {
        // An invitee holds the secret but not the host's key: one made with their own key names
        // them as signer, and one that names the host's key does not verify.
        let (host, invitee) = (key(1), key(2));
        let own = issue(&SECRET, &invitee, "mallory@example.com", 7);
        assert_eq!(
            check(&own, &[&host], &[]),
            InvitationCheck::OtherSigner { signer: invitee.verifying_key().to_bytes() }
        );
        let claimed = Invitation::issue(
            &SECRET,
            "mallory@example.com",
            InvitationId([7; 8]),
            host.verifying_key().to_bytes(),
            |m| invitee.sign(m).to_bytes(),
        )
        .unwrap();
        assert_eq!(check(&claimed, &[&host], &[]), InvitationCheck::Forged);
    }

    #[test]
    fn every_changed_bit_is_forged_or_another_meeting() {
        let host = key(1);
        let bytes = BASE64URL_NOPAD.decode(issue(&SECRET, &host, "carol@example.org", 8).encode().as_bytes()).unwrap();
        for i in 1..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x01;
            let Ok(changed) = Invitation::parse(&BASE64URL_NOPAD.encode(&b)) else { continue };
            let got = check(&changed, &[&host], &[]);
            let want = if i < 1 + HINT_LEN { InvitationCheck::OtherMeeting } else { InvitationCheck::Forged };
            assert_eq!(got, want, "bit 0 of byte {i}");
        }
    }

    #[test]
    fn one_made_for_another_meeting_says_so() {
        let host = key(1);
        let other = issue(&[8; 32], &host, "dave@example.com", 9);
        assert_eq!(check(&other, &[&host], &[]), InvitationCheck::OtherMeeting);
    }

    #[test]
    fn malformed_text_is_refused_with_a_reason() {
        let host = key(1);
        let text = issue(&SECRET, &host, "erin@example.com", 1).encode();
        let long = "A".repeat(MAX_TEXT_LEN + 1);
        for (bad, why) in [
            ("!!!", "base64url"),
            (&text[..40], "cut short"),
            ("AAAAAAAAAAAAAAAAAAAAAAAAAA", "cut short"),
            (long.as_str(), "too long"),
        ] {
            let e = Invitation::parse(bad).unwrap_err().to_string();
            assert!(e.contains(why), "{bad:.20}: {e}");
        }
        let mut b = BASE64URL_NOPAD.decode(text.as_bytes()).unwrap();
        b[0] = 1;
        assert!(Invitation::parse(&BASE64URL_NOPAD.encode(&b)).unwrap_err().to_string().contains("version 1"));
        b[0] = VERSION;
        b.push(0x0a);
        assert!(Invitation::parse(&BASE64URL_NOPAD.encode(&b)).unwrap_err().to_string().contains("control"));
        let long =
            Invitation::issue(&SECRET, &"x".repeat(MAX_INVITEE_LEN + 1), InvitationId([1; 8]), [0; 32], |_| [0; 64]);
        assert!(long.is_err());
        let longest =
            Invitation::issue(&SECRET, &"x".repeat(MAX_INVITEE_LEN), InvitationId([1; 8]), [0; 32], |_| [0; 64]);
        assert!(longest.unwrap().encode().len() <= MAX_TEXT_LEN);
    }

    #[test]
    fn matches_the_documented_construction() {
        let host = key(3);
        let inv = issue(&SECRET, &host, "Eve@Example.com", 4);
        let mut meeting = [0u8; 32];
        Hkdf::<Sha256>::new(None, &SECRET).expand(b"trygg/invitation/v2", &mut meeting).unwrap();
        let mut signed = b"trygg/invitation/v2".to_vec();
        signed.extend_from_slice(&meeting);
        signed.extend_from_slice(&[4; 8]);
        signed.extend_from_slice(b"eve@example.com");
        let mut expect = vec![2];
        expect.extend_from_slice(&meeting[..8]);
        expect.extend_from_slice(&[4; 8]);
        expect.extend_from_slice(&host.verifying_key().to_bytes());
        expect.extend_from_slice(&host.sign(&signed).to_bytes());
        expect.extend_from_slice(b"eve@example.com");
        assert_eq!(inv.encode(), BASE64URL_NOPAD.encode(&expect));
        assert_eq!(InvitationId::from_text(&InvitationId([4; 8]).to_text()), Some(InvitationId([4; 8])));
        assert_eq!(format!("{inv:?}"), "Invitation { id: BAQEBAQEBAQ }", "no address in logs");
    }
}
