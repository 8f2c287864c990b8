//! Personal invitations: signed by the host's device key, bound to one invitee and one meeting,
//! carried after the secret in a link's fragment (`#SECRET.INVITATION`), and shown in the knock
//! with a proof that the knocker holds it.
//!
//! ```text
//! meeting = HKDF-SHA256(ikm = link secret, info = "trygg/invitation/v3"), 32 bytes
//! holder  = the Ed25519 key whose 32-byte seed the link carries (random, one per invitation)
//! signed  = "trygg/invitation/v3" ‖ meeting ‖ id (8) ‖ holder's public key (32) ‖ invitee
//! link    = 0x03 ‖ meeting[..8] ‖ id (8) ‖ signer's Ed25519 key (32) ‖ signature (64)
//!           ‖ holder's seed (32) ‖ invitee
//! proof   = Ed25519(holder, "trygg/invitation/v3/knock" ‖ meeting ‖ instance (16)
//!                   ‖ SHA-256(KeyPackage))
//! knock   = 0x83 ‖ meeting[..8] ‖ id (8) ‖ signer's key (32) ‖ signature (64)
//!           ‖ holder's public key (32) ‖ proof (64) ‖ invitee
//! text    = base64url(link) or base64url(knock)
//! ```
//!
//! `invitee` is the address in the form [`normalize_invitee`] gives (trimmed, no `mailto:`,
//! lowercase), 1 to [`MAX_INVITEE_LEN`] bytes of UTF-8 without control characters. `id` is
//! random: it names the invitation in the host's list, and revoking it is putting it there.
//!
//! A knock never carries the holder's seed, only a proof made with it for that knock's own
//! KeyPackage and run of the meeting. Whoever reads a knock (every member, once its knocker is
//! admitted) learns nothing that makes a proof for another KeyPackage: an invitation copied out
//! of someone else's knock checks as [`InvitationCheck::Copied`]. The link itself stays a bearer
//! token: whoever has the link has the invitation.
//!
//! [`ShownInvitation::check`] tells a host (or co-host) what a knock's invitation is worth: made
//! by a key that hosts this meeting for this invitee and held by the knocker
//! ([`InvitationCheck::Invited`]), revoked, copied, made for another meeting, made by someone who
//! does not host this one (another invitee with their own device key, say), or forged. Invitees
//! hold the link's secret but not the host's key, so they cannot make an invitation that checks
//! as `Invited`. The first 8 bytes of `meeting` only tell "another meeting" from "forged"; the
//! signatures decide.

use std::fmt;

use data_encoding::BASE64URL_NOPAD;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use hkdf::Hkdf;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::LinkError;

const VERSION: u8 = 3;
const SHOWN: u8 = 0x83;
const LABEL: &[u8] = b"trygg/invitation/v3";
const PROOF_LABEL: &[u8] = b"trygg/invitation/v3/knock";
const HINT_LEN: usize = 8;
/// hint, id, signer, signature: what both forms start with after the version byte.
const COMMON: usize = HINT_LEN + 8 + 32 + 64;
const LINK_FIXED: usize = 1 + COMMON + 32;
const SHOWN_FIXED: usize = 1 + COMMON + 32 + 64;
/// The longest invitee address, in bytes (an e-mail address is at most 254).
pub const MAX_INVITEE_LEN: usize = 254;
/// The most characters an invitation takes in a link.
pub const MAX_TEXT_LEN: usize = (LINK_FIXED + MAX_INVITEE_LEN).div_ceil(3) * 4;
/// The most characters an invitation takes in a knock.
pub const MAX_SHOWN_LEN: usize = (SHOWN_FIXED + MAX_INVITEE_LEN).div_ceil(3) * 4;

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

/// What the host signed: the meeting (its hint), the id, the holder's public key and the
/// invitee, with the signer's key and signature.
#[derive(Clone, PartialEq, Eq)]
struct Statement {
    hint: [u8; HINT_LEN],
    id: InvitationId,
    signer: [u8; 32],
    signature: [u8; 64],
    holder: [u8; 32],
    invitee: String,
}

/// One personal invitation as a link carries it: the host's statement and the holder's seed,
/// which proves to the host that a knock comes from someone who has the link. Nothing in it is
/// believed until a host checks the [`ShownInvitation`] made from it.
#[derive(Clone, PartialEq, Eq)]
pub struct Invitation {
    statement: Statement,
    seed: Zeroizing<[u8; 32]>,
}

/// One personal invitation as a knock shows it: the host's statement and a proof, made with the
/// holder's seed, bound to the knock's KeyPackage and run of the meeting.
#[derive(Clone, PartialEq, Eq)]
pub struct ShownInvitation {
    statement: Statement,
    proof: [u8; 64],
}

/// What a knock's invitation is worth to this meeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvitationCheck {
    /// Signed for this meeting and this invitee by a key that hosts it (the group's host or a
    /// co-host), shown by its holder, and not revoked.
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
    /// A real invitation to this meeting, but the knock does not prove it holds it: it was
    /// copied out of someone else's knock.
    Copied {
        /// Its name in the host's list (its address is not shown: the knocker is not its
        /// invitee).
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
    /// A stable code: `invited`, `revoked`, `copied`, `other_meeting`, `other_signer`, `forged`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invited { .. } => "invited",
            Self::Revoked { .. } => "revoked",
            Self::Copied { .. } => "copied",
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

fn signed_bytes(meeting: &[u8; 32], id: &InvitationId, holder: &[u8; 32], invitee: &str) -> Vec<u8> {
    let mut m = Vec::with_capacity(LABEL.len() + 32 + 8 + 32 + invitee.len());
    m.extend_from_slice(LABEL);
    m.extend_from_slice(meeting);
    m.extend_from_slice(&id.0);
    m.extend_from_slice(holder);
    m.extend_from_slice(invitee.as_bytes());
    m
}

fn proof_bytes(meeting: &[u8; 32], instance: &[u8], key_package: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(PROOF_LABEL.len() + 32 + instance.len() + 32);
    m.extend_from_slice(PROOF_LABEL);
    m.extend_from_slice(meeting);
    m.extend_from_slice(instance);
    m.extend_from_slice(&Sha256::digest(key_package));
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

impl Statement {
    fn put(&self, bytes: &mut Vec<u8>) {
        bytes.extend_from_slice(&self.hint);
        bytes.extend_from_slice(&self.id.0);
        bytes.extend_from_slice(&self.signer);
        bytes.extend_from_slice(&self.signature);
    }

    /// Reads the common fields of `bytes` (past the version byte); `holder` and `invitee` are
    /// the caller's.
    fn read(bytes: &[u8], holder: [u8; 32], invitee: String) -> Self {
        let field = |at: usize, len: usize| &bytes[at..at + len];
        Self {
            hint: field(1, HINT_LEN).try_into().expect("length checked"),
            id: InvitationId(field(1 + HINT_LEN, 8).try_into().expect("length checked")),
            signer: field(1 + HINT_LEN + 8, 32).try_into().expect("length checked"),
            signature: field(1 + HINT_LEN + 8 + 32, 64).try_into().expect("length checked"),
            holder,
            invitee,
        }
    }
}

/// Decodes a text form: its bytes, checked for length, version and the invitee at its end.
fn decode(text: &str, version: u8, fixed: usize, max: usize, what: &str) -> Result<(Vec<u8>, String), LinkError> {
    if text.len() > max {
        return Err(LinkError::invalid_link(format!("the personal invitation in the {what} is too long")));
    }
    let bytes = BASE64URL_NOPAD
        .decode(text.as_bytes())
        .map_err(|_| LinkError::invalid_link(format!("the personal invitation in the {what} is not base64url")))?;
    if bytes.first().is_some_and(|&v| v != version) {
        return Err(LinkError::invalid_link(format!(
            "the personal invitation in the {what} has version {}; this Trygg reads version {}",
            bytes[0] & 0x7f,
            version & 0x7f
        )));
    }
    if bytes.len() <= fixed {
        return Err(LinkError::invalid_link(format!(
            "the personal invitation in the {what} is cut short (or made by an older Trygg)"
        )));
    }
    let invitee = String::from_utf8(bytes[fixed..].to_vec())
        .map_err(|_| LinkError::invalid_link("the invitee in the personal invitation is not UTF-8"))?;
    check_invitee(&invitee)?;
    Ok((bytes, invitee))
}

impl Invitation {
    /// Makes the invitation `id` of the meeting of `link_secret` for `invitee`, signed by the
    /// key `signer` through `sign` (the device identity's Ed25519 signature of the bytes given).
    /// `holder_seed` must be fresh random bytes: it is what proves a knock holds this invitation.
    pub fn issue(
        link_secret: &[u8],
        invitee: &str,
        id: InvitationId,
        signer: [u8; 32],
        holder_seed: [u8; 32],
        sign: impl FnOnce(&[u8]) -> [u8; 64],
    ) -> Result<Self, LinkError> {
        let seed = Zeroizing::new(holder_seed);
        let invitee = normalize_invitee(invitee);
        check_invitee(&invitee)?;
        let meeting = meeting_key(link_secret);
        let holder = SigningKey::from_bytes(&seed).verifying_key().to_bytes();
        let signature = sign(&signed_bytes(&meeting, &id, &holder, &invitee));
        let mut hint = [0u8; HINT_LEN];
        hint.copy_from_slice(&meeting[..HINT_LEN]);
        Ok(Self { statement: Statement { hint, id, signer, signature, holder, invitee }, seed })
    }

    /// The invitation as a knock on run `instance` with `key_package` shows it: no seed, and a
    /// proof that holds for that KeyPackage and run only.
    pub fn show(&self, link_secret: &[u8], instance: &[u8], key_package: &[u8]) -> ShownInvitation {
        let holder = SigningKey::from_bytes(&self.seed);
        let proof = holder.sign(&proof_bytes(&meeting_key(link_secret), instance, key_package)).to_bytes();
        ShownInvitation { statement: self.statement.clone(), proof }
    }

    /// Its name in the host's list.
    pub fn id(&self) -> InvitationId {
        self.statement.id
    }

    /// The address it claims to be for (believed only once a host's check says `Invited`).
    pub fn invitee(&self) -> &str {
        &self.statement.invitee
    }

    /// The key that claims to have signed it.
    pub fn signer(&self) -> &[u8; 32] {
        &self.statement.signer
    }

    /// Reads the text form of a link. Only the shape is checked here; the host checks the
    /// signatures.
    pub fn parse(text: &str) -> Result<Self, LinkError> {
        let (bytes, invitee) = decode(text, VERSION, LINK_FIXED, MAX_TEXT_LEN, "link")?;
        let seed = Zeroizing::new(<[u8; 32]>::try_from(&bytes[1 + COMMON..LINK_FIXED]).expect("length checked"));
        let holder = SigningKey::from_bytes(&seed).verifying_key().to_bytes();
        Ok(Self { statement: Statement::read(&bytes, holder, invitee), seed })
    }

    /// The text written after `SECRET.` in a link.
    pub fn encode(&self) -> String {
        let mut bytes = Zeroizing::new(Vec::with_capacity(LINK_FIXED + self.statement.invitee.len()));
        bytes.push(VERSION);
        self.statement.put(&mut bytes);
        bytes.extend_from_slice(self.seed.as_ref());
        bytes.extend_from_slice(self.statement.invitee.as_bytes());
        BASE64URL_NOPAD.encode(&bytes)
    }
}

impl ShownInvitation {
    /// What this invitation is worth to the meeting of `link_secret`, in a knock on run
    /// `instance` with `key_package`, when its host and co-hosts hold `hosts` (Ed25519 public
    /// keys, as the group's policy names them); `revoked` says whether the host revoked one.
    pub fn check(
        &self,
        link_secret: &[u8],
        instance: &[u8],
        key_package: &[u8],
        hosts: &[&[u8]],
        revoked: impl Fn(&InvitationId) -> bool,
    ) -> InvitationCheck {
        let s = &self.statement;
        let meeting = meeting_key(link_secret);
        if s.hint != meeting[..HINT_LEN] {
            return InvitationCheck::OtherMeeting;
        }
        let Ok(key) = VerifyingKey::from_bytes(&s.signer) else { return InvitationCheck::Forged };
        let signed = signed_bytes(&meeting, &s.id, &s.holder, &s.invitee);
        if key.verify_strict(&signed, &Signature::from_bytes(&s.signature)).is_err() {
            return InvitationCheck::Forged;
        }
        if !hosts.iter().any(|h| *h == s.signer) {
            return InvitationCheck::OtherSigner { signer: s.signer };
        }
        let held = VerifyingKey::from_bytes(&s.holder).is_ok_and(|holder| {
            holder
                .verify_strict(&proof_bytes(&meeting, instance, key_package), &Signature::from_bytes(&self.proof))
                .is_ok()
        });
        if !held {
            return InvitationCheck::Copied { id: s.id };
        }
        let (invitee, id) = (s.invitee.clone(), s.id);
        if revoked(&id) { InvitationCheck::Revoked { invitee, id } } else { InvitationCheck::Invited { invitee, id } }
    }

    /// Reads the text form of a knock. Only the shape is checked here.
    pub fn parse(text: &str) -> Result<Self, LinkError> {
        let (bytes, invitee) = decode(text, SHOWN, SHOWN_FIXED, MAX_SHOWN_LEN, "knock")?;
        let holder = bytes[1 + COMMON..1 + COMMON + 32].try_into().expect("length checked");
        let proof = bytes[1 + COMMON + 32..SHOWN_FIXED].try_into().expect("length checked");
        Ok(Self { statement: Statement::read(&bytes, holder, invitee), proof })
    }

    /// The text sealed into a knock.
    pub fn encode(&self) -> String {
        let mut bytes = Vec::with_capacity(SHOWN_FIXED + self.statement.invitee.len());
        bytes.push(SHOWN);
        self.statement.put(&mut bytes);
        bytes.extend_from_slice(&self.statement.holder);
        bytes.extend_from_slice(&self.proof);
        bytes.extend_from_slice(self.statement.invitee.as_bytes());
        BASE64URL_NOPAD.encode(&bytes)
    }
}

impl fmt::Debug for Invitation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The invitee's address is personal data and the seed a secret: neither for logs.
        write!(f, "Invitation {{ id: {} }}", self.statement.id)
    }
}

impl fmt::Debug for ShownInvitation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ShownInvitation {{ id: {} }}", self.statement.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: [u8; 32] = [7; 32];
    const RUN: [u8; 16] = [5; 16];
    const KEY_PACKAGE: &[u8] = b"the knocker's KeyPackage";

    fn key(b: u8) -> SigningKey {
        SigningKey::from_bytes(&[b; 32])
    }

    fn issue(secret: &[u8], by: &SigningKey, invitee: &str, id: u8) -> Invitation {
        Invitation::issue(secret, invitee, InvitationId([id; 8]), by.verifying_key().to_bytes(), [id ^ 0x5a; 32], |m| {
            by.sign(m).to_bytes()
        })
        .unwrap()
    }

    fn check_shown(
        shown: &ShownInvitation,
        key_package: &[u8],
        hosts: &[&SigningKey],
        revoked: &[u8],
    ) -> InvitationCheck {
        let keys: Vec<[u8; 32]> = hosts.iter().map(|k| k.verifying_key().to_bytes()).collect();
        let refs: Vec<&[u8]> = keys.iter().map(|k| &k[..]).collect();
        shown.check(&SECRET, &RUN, key_package, &refs, |id| revoked.contains(&id.0[0]))
    }

    fn check(inv: &Invitation, hosts: &[&SigningKey], revoked: &[u8]) -> InvitationCheck {
        check_shown(&inv.show(&SECRET, &RUN, KEY_PACKAGE), KEY_PACKAGE, hosts, revoked)
    }

    #[test]
    fn an_invitation_the_host_signed_checks_as_invited_for_its_invitee() {
        let host = key(1);
        let inv = issue(&SECRET, &host, " mailto:Alice@Example.COM ", 5);
        assert_eq!(inv.invitee(), "alice@example.com");
        let back = Invitation::parse(&inv.encode()).unwrap();
        assert_eq!(back, inv);
        let shown = ShownInvitation::parse(&back.show(&SECRET, &RUN, KEY_PACKAGE).encode()).unwrap();
        assert_eq!(
            check_shown(&shown, KEY_PACKAGE, &[&key(9), &host], &[]),
            InvitationCheck::Invited { invitee: "alice@example.com".into(), id: InvitationId([5; 8]) },
            "any of the host and co-host keys"
        );
    }

    #[test]
    fn a_knock_shows_no_seed_and_a_copied_invitation_proves_nothing_for_another_key_package() {
        let host = key(1);
        let inv = issue(&SECRET, &host, "bo@example.com", 5);
        let shown = inv.show(&SECRET, &RUN, KEY_PACKAGE);
        let text = BASE64URL_NOPAD.decode(shown.encode().as_bytes()).unwrap();
        assert!(!text.windows(32).any(|w| w == &inv.seed[..]), "the holder's seed is not in the knock");
        // Someone who read Bo's knock puts Bo's invitation into their own.
        assert_eq!(
            check_shown(&shown, b"mallory's KeyPackage", &[&host], &[]),
            InvitationCheck::Copied { id: InvitationId([5; 8]) }
        );
        // ... or into a knock on another run of the meeting.
        let other_run = shown.check(&SECRET, &[6; 16], KEY_PACKAGE, &[&host.verifying_key().to_bytes()[..]], |_| false);
        assert_eq!(other_run.code(), "copied");
        assert!(!InvitationCheck::Copied { id: InvitationId([5; 8]) }.is_valid());
        // The link form is not a knock form, nor the other way round.
        assert!(ShownInvitation::parse(&inv.encode()).is_err());
        assert!(Invitation::parse(&shown.encode()).is_err());
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
            let made =
                Invitation::issue(&SECRET, bad, InvitationId([1; 8]), host.verifying_key().to_bytes(), [1; 32], |m| {
                    host.sign(m).to_bytes()
                });
            assert!(made.is_err(), "{bad:?} made");
            // The same address in a token made by hand is refused when read, in both forms.
            let mut token = issue(&SECRET, &host, "x@example.com", 1);
            token.statement.invitee = bad.into();
            assert!(Invitation::parse(&token.encode()).is_err(), "{bad:?} read");
            assert!(ShownInvitation::parse(&token.show(&SECRET, &RUN, KEY_PACKAGE).encode()).is_err());
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
            [7; 32],
            |m| invitee.sign(m).to_bytes(),
        )
        .unwrap();
        assert_eq!(check(&claimed, &[&host], &[]), InvitationCheck::Forged);
        // Nor can they put their own holder key into the host's statement.
        let mut swapped = issue(&SECRET, &host, "bob@example.com", 8);
        swapped.seed = Zeroizing::new([0x33; 32]);
        swapped.statement.holder = SigningKey::from_bytes(&swapped.seed).verifying_key().to_bytes();
        assert_eq!(check(&swapped, &[&host], &[]), InvitationCheck::Forged);
    }

    #[test]
    fn every_changed_bit_of_a_knock_is_forged_copied_or_another_meeting() {
        let host = key(1);
        let shown = issue(&SECRET, &host, "carol@example.org", 8).show(&SECRET, &RUN, KEY_PACKAGE);
        let bytes = BASE64URL_NOPAD.decode(shown.encode().as_bytes()).unwrap();
        for i in 1..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x01;
            let Ok(changed) = ShownInvitation::parse(&BASE64URL_NOPAD.encode(&b)) else { continue };
            let got = check_shown(&changed, KEY_PACKAGE, &[&host], &[]);
            let want = if i < 1 + HINT_LEN {
                InvitationCheck::OtherMeeting
            } else if (1 + COMMON + 32..SHOWN_FIXED).contains(&i) {
                InvitationCheck::Copied { id: InvitationId([8; 8]) }
            } else {
                InvitationCheck::Forged
            };
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
            ("AwAAAAAAAAAAAAAAAAAAAAAAAA", "cut short"),
            (long.as_str(), "too long"),
        ] {
            let e = Invitation::parse(bad).unwrap_err().to_string();
            assert!(e.contains(why), "{bad:.20}: {e}");
        }
        let mut b = BASE64URL_NOPAD.decode(text.as_bytes()).unwrap();
        b[0] = 2;
        assert!(Invitation::parse(&BASE64URL_NOPAD.encode(&b)).unwrap_err().to_string().contains("version 2"));
        b[0] = VERSION;
        b.push(0x0a);
        assert!(Invitation::parse(&BASE64URL_NOPAD.encode(&b)).unwrap_err().to_string().contains("control"));
        let long = Invitation::issue(
            &SECRET,
            &"x".repeat(MAX_INVITEE_LEN + 1),
            InvitationId([1; 8]),
            [0; 32],
            [0; 32],
            |_| [0; 64],
        );
        assert!(long.is_err());
        let longest =
            Invitation::issue(&SECRET, &"x".repeat(MAX_INVITEE_LEN), InvitationId([1; 8]), [0; 32], [0; 32], |_| {
                [0; 64]
            })
            .unwrap();
        assert!(longest.encode().len() <= MAX_TEXT_LEN);
        assert!(longest.show(&SECRET, &RUN, KEY_PACKAGE).encode().len() <= MAX_SHOWN_LEN);
    }

    #[test]
    fn matches_the_documented_construction() {
        let host = key(3);
        let inv = issue(&SECRET, &host, "Eve@Example.com", 4);
        let seed = [4 ^ 0x5a; 32];
        let holder = SigningKey::from_bytes(&seed);
        let mut meeting = [0u8; 32];
        Hkdf::<Sha256>::new(None, &SECRET).expand(b"trygg/invitation/v3", &mut meeting).unwrap();
        let mut signed = b"trygg/invitation/v3".to_vec();
        signed.extend_from_slice(&meeting);
        signed.extend_from_slice(&[4; 8]);
        signed.extend_from_slice(&holder.verifying_key().to_bytes());
        signed.extend_from_slice(b"eve@example.com");
        let mut common = meeting[..8].to_vec();
        common.extend_from_slice(&[4; 8]);
        common.extend_from_slice(&host.verifying_key().to_bytes());
        common.extend_from_slice(&host.sign(&signed).to_bytes());
        let mut link = vec![3];
        link.extend_from_slice(&common);
        link.extend_from_slice(&seed);
        link.extend_from_slice(b"eve@example.com");
        assert_eq!(inv.encode(), BASE64URL_NOPAD.encode(&link));

        let mut proved = b"trygg/invitation/v3/knock".to_vec();
        proved.extend_from_slice(&meeting);
        proved.extend_from_slice(&RUN);
        proved.extend_from_slice(&Sha256::digest(KEY_PACKAGE));
        let mut knock = vec![0x83];
        knock.extend_from_slice(&common);
        knock.extend_from_slice(&holder.verifying_key().to_bytes());
        knock.extend_from_slice(&holder.sign(&proved).to_bytes());
        knock.extend_from_slice(b"eve@example.com");
        let shown = inv.show(&SECRET, &RUN, KEY_PACKAGE);
        assert_eq!(shown.encode(), BASE64URL_NOPAD.encode(&knock));

        assert_eq!(InvitationId::from_text(&InvitationId([4; 8]).to_text()), Some(InvitationId([4; 8])));
        assert_eq!(format!("{inv:?}"), "Invitation { id: BAQEBAQEBAQ }", "no address or seed in logs");
        assert_eq!(format!("{shown:?}"), "ShownInvitation { id: BAQEBAQEBAQ }");
    }
}
