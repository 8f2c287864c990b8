//! Personal invitations: a token bound to one invitee, carried after the secret in a link's
//! fragment (`#SECRET.TOKEN`).
//!
//! ```text
//! key   = HKDF-SHA256(ikm = secret, salt = none, info = "trygg/invite/v1"), 32 bytes
//! tag   = HMAC-SHA256(key, lowercase(invitee) ‖ 0x00 ‖ nonce)[..12]
//! TOKEN = base64url(tag ‖ nonce)            (12 + 8 = 20 bytes → 27 characters)
//! ```
//!
//! [`InviteToken::verify`] against an invitee tells whether a token was made for them. Only
//! someone with the secret can make a valid token, and a token made for one invitee does not
//! verify for another — but every invitee holds the secret, so any of them can make a token for
//! anyone. What a host could rely on (invitations signed by the host's identity key, checked at
//! the knock, shown in the lobby, revocable) is not built yet; the meeting does not check tokens.

use std::fmt;

use data_encoding::BASE64URL_NOPAD;
use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::{LinkError, LinkSecret};

const INFO: &[u8] = b"trygg/invite/v1";
const TAG_LEN: usize = 12;
/// Bytes of the random nonce that makes two invitations of the same person distinct.
pub const NONCE_LEN: usize = 8;
/// Characters of a token in a link.
pub const TOKEN_CHARS: usize = 27;

/// A personal invitation token.
#[derive(Clone, PartialEq, Eq)]
pub struct InviteToken {
    tag: [u8; TAG_LEN],
    nonce: [u8; NONCE_LEN],
}

fn mac(secret: &LinkSecret, invitee: &str, nonce: &[u8; NONCE_LEN]) -> Hmac<Sha256> {
    let mut key = [0u8; 32];
    Hkdf::<Sha256>::new(None, secret.expose_bytes()).expand(INFO, &mut key).expect("32 bytes is a valid HKDF length");
    let mut m = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes keys of any length");
    m.update(normalize_invitee(invitee).as_bytes());
    m.update(&[0]);
    m.update(nonce);
    m
}

/// The form of an invitee's address that tokens are bound to: trimmed, without `mailto:`,
/// lowercase.
pub fn normalize_invitee(invitee: &str) -> String {
    let t = invitee.trim();
    let t = if t.get(..7).is_some_and(|p| p.eq_ignore_ascii_case("mailto:")) { &t[7..] } else { t };
    t.to_lowercase()
}

impl InviteToken {
    /// Issues the token of one invitation. `nonce` comes from a random source (the caller's).
    pub fn issue(secret: &LinkSecret, invitee: &str, nonce: [u8; NONCE_LEN]) -> Self {
        let full = mac(secret, invitee, &nonce).finalize().into_bytes();
        let mut tag = [0u8; TAG_LEN];
        tag.copy_from_slice(&full[..TAG_LEN]);
        Self { tag, nonce }
    }

    /// Whether `token` is the one issued for `invitee` under `secret` (constant time).
    pub fn verify(secret: &LinkSecret, invitee: &str, token: &InviteToken) -> bool {
        mac(secret, invitee, &token.nonce).verify_truncated_left(&token.tag).is_ok()
    }

    /// Which of `invitees` this token was issued to, if any.
    pub fn issued_to<'a>(&self, secret: &LinkSecret, invitees: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
        invitees.into_iter().find(|i| Self::verify(secret, i, self))
    }

    /// The nonce: it names this invitation in the host's list (two invitations of the same
    /// person differ by it).
    pub fn nonce(&self) -> [u8; NONCE_LEN] {
        self.nonce
    }

    /// Reads the 27-character form.
    pub fn parse(text: &str) -> Result<Self, LinkError> {
        let bytes = BASE64URL_NOPAD
            .decode(text.as_bytes())
            .map_err(|_| LinkError::invalid_link("the invitation token is not base64url"))?;
        if bytes.len() != TAG_LEN + NONCE_LEN {
            return Err(LinkError::invalid_link(format!(
                "the invitation token has {} bytes; it has {}",
                bytes.len(),
                TAG_LEN + NONCE_LEN
            )));
        }
        let mut tag = [0u8; TAG_LEN];
        let mut nonce = [0u8; NONCE_LEN];
        tag.copy_from_slice(&bytes[..TAG_LEN]);
        nonce.copy_from_slice(&bytes[TAG_LEN..]);
        Ok(Self { tag, nonce })
    }

    /// The 27-character form written after `SECRET.` in a link.
    pub fn encode(&self) -> String {
        let mut bytes = [0u8; TAG_LEN + NONCE_LEN];
        bytes[..TAG_LEN].copy_from_slice(&self.tag);
        bytes[TAG_LEN..].copy_from_slice(&self.nonce);
        BASE64URL_NOPAD.encode(&bytes)
    }
}

impl fmt::Debug for InviteToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The tag is only useful with the link's secret, but it is still not for logs.
        write!(f, "InviteToken {{ nonce: {} }}", BASE64URL_NOPAD.encode(&self.nonce))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(b: u8) -> LinkSecret {
        LinkSecret::from_random([b; 32])
    }

    #[test]
    fn a_token_verifies_for_its_invitee_only() {
        let s = secret(1);
        let t = InviteToken::issue(&s, "Alice@Example.com", [9; 8]);
        assert!(InviteToken::verify(&s, "alice@example.com", &t), "case and mailto: do not matter");
        assert!(InviteToken::verify(&s, " mailto:ALICE@example.com ", &t));
        assert!(!InviteToken::verify(&s, "éééé@example.com", &t), "non-ASCII invitees do not panic");
        assert!(!InviteToken::verify(&s, "bob@example.com", &t));
        assert!(!InviteToken::verify(&secret(2), "alice@example.com", &t), "another meeting's secret");
        let again = InviteToken::issue(&s, "alice@example.com", [8; 8]);
        assert_ne!(t, again, "the nonce makes each invitation distinct");
        assert_eq!(t.issued_to(&s, ["bob@example.com", "alice@example.com"]), Some("alice@example.com"));
        assert_eq!(t.issued_to(&s, ["bob@example.com"]), None);
    }

    #[test]
    fn the_text_form_is_27_chars_and_round_trips() {
        let t = InviteToken::issue(&secret(3), "carol@example.org", [1, 2, 3, 4, 5, 6, 7, 8]);
        let text = t.encode();
        assert_eq!(text.len(), TOKEN_CHARS);
        assert_eq!(InviteToken::parse(&text).unwrap(), t);
        assert_eq!(t.nonce(), [1, 2, 3, 4, 5, 6, 7, 8]);
        assert!(InviteToken::parse(&text[..26]).is_err());
        assert!(InviteToken::parse("!!!").is_err());
    }

    #[test]
    fn a_changed_bit_fails() {
        let s = secret(4);
        let t = InviteToken::issue(&s, "dave@example.com", [5; 8]);
        let mut bad = t.clone();
        bad.tag[0] ^= 1;
        assert!(!InviteToken::verify(&s, "dave@example.com", &bad));
        let mut bad = t;
        bad.nonce[7] ^= 1;
        assert!(!InviteToken::verify(&s, "dave@example.com", &bad));
    }

    #[test]
    fn matches_the_documented_construction() {
        let s = secret(6);
        let t = InviteToken::issue(&s, "Eve@Example.com", [3; 8]);
        let mut key = [0u8; 32];
        Hkdf::<Sha256>::new(None, &[6; 32]).expand(b"trygg/invite/v1", &mut key).unwrap();
        let mut m = Hmac::<Sha256>::new_from_slice(&key).unwrap();
        m.update(b"eve@example.com\x00\x03\x03\x03\x03\x03\x03\x03\x03");
        let full = m.finalize().into_bytes();
        let mut expect = full[..12].to_vec();
        expect.extend_from_slice(&[3; 8]);
        assert_eq!(t.encode(), BASE64URL_NOPAD.encode(&expect));
    }
}
