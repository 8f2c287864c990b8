//! Private agendas: the real title and agenda of a meeting, sealed under a key derived from the
//! link's secret and carried in the invite as `X-TRYGG-AGENDA`, while `SUMMARY` says only
//! "Trygg meeting".
//!
//! ```text
//! key   = HKDF-SHA256(ikm = secret, salt = none, info = "trygg/agenda/v1"), 32 bytes
//! aad   = "trygg/agenda/v1" ‖ room id
//! value = base64url(0x01 ‖ nonce(12) ‖ ChaCha20-Poly1305(key, nonce, aad, JSON {title, agenda}))
//! ```
//!
//! What this protects, and what not: mail servers, calendar servers, previews, search indexes
//! and anyone reading the invite's clear text see only "Trygg meeting". Someone who holds the
//! link can derive the key, because the secret *is* in the link: the promise "nothing until
//! admitted" is kept by Trygg showing the agenda only after admission, not by cryptography
//! against the recipient. Binding it to admission cryptographically needs a key delivered with
//! the meeting keys (MLS Welcome); see the module docs of [`super`].

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use data_encoding::BASE64URL_NOPAD;
use hkdf::Hkdf;
use sha2::Sha256;

use super::{LinkError, LinkSecret};

const INFO: &[u8] = b"trygg/agenda/v1";
const VERSION: u8 = 1;
/// Bytes of the nonce the caller supplies (random; never reused with the same secret).
pub const NONCE_LEN: usize = 12;
/// The largest title plus agenda that is sealed (an invite is not a document store).
pub const MAX_AGENDA_BYTES: usize = 64 * 1024;

/// The title and agenda of a meeting.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PrivateAgenda {
    /// The real title.
    pub title: String,
    /// The real agenda (free text).
    pub agenda: String,
}

fn cipher(secret: &LinkSecret) -> ChaCha20Poly1305 {
    let mut key = [0u8; 32];
    Hkdf::<Sha256>::new(None, secret.expose_bytes()).expand(INFO, &mut key).expect("32 bytes is a valid HKDF length");
    ChaCha20Poly1305::new(Key::from_slice(&key))
}

fn aad(secret: &LinkSecret) -> Vec<u8> {
    let mut a = INFO.to_vec();
    a.extend_from_slice(secret.room_id().as_str().as_bytes());
    a
}

/// Seals an agenda for the invite. `nonce` comes from a random source (the caller's).
pub fn seal(secret: &LinkSecret, agenda: &PrivateAgenda, nonce: [u8; NONCE_LEN]) -> Result<String, LinkError> {
    let plain = serde_json::to_vec(agenda).expect("two strings serialize");
    if plain.len() > MAX_AGENDA_BYTES {
        return Err(LinkError::invalid_invite(format!(
            "the title and agenda take {} bytes; at most {MAX_AGENDA_BYTES} can be sealed",
            plain.len()
        )));
    }
    let aad = aad(secret);
    let sealed = cipher(secret)
        .encrypt(Nonce::from_slice(&nonce), Payload { msg: &plain, aad: &aad })
        .expect("ChaCha20-Poly1305 encrypts any message under 256 GiB");
    let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
    out.push(VERSION);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    Ok(BASE64URL_NOPAD.encode(&out))
}

/// Opens a sealed agenda with the meeting's secret.
pub fn open(secret: &LinkSecret, sealed: &str) -> Result<PrivateAgenda, LinkError> {
    let bad = |why| LinkError::AgendaUndecryptable { why };
    let bytes = BASE64URL_NOPAD.decode(sealed.trim().as_bytes()).map_err(|_| bad("not base64url"))?;
    if bytes.len() < 1 + NONCE_LEN + 16 {
        return Err(bad("too short"));
    }
    if bytes[0] != VERSION {
        return Err(bad("unknown version"));
    }
    let (nonce, ct) = bytes[1..].split_at(NONCE_LEN);
    let aad = aad(secret);
    let plain = cipher(secret)
        .decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad: &aad })
        .map_err(|_| bad("wrong meeting, or the invite was altered"))?;
    serde_json::from_slice(&plain).map_err(|_| bad("the sealed content is not an agenda"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agenda() -> PrivateAgenda {
        PrivateAgenda { title: "Merger: Project Fjord".into(), agenda: "1. Price\n2. Timeline ✓".into() }
    }

    #[test]
    fn seals_and_opens_with_the_same_secret_only() {
        let s = LinkSecret::from_random([1; 32]);
        let sealed = seal(&s, &agenda(), [7; 12]).unwrap();
        assert!(!sealed.contains("Fjord"));
        assert_eq!(open(&s, &sealed).unwrap(), agenda());
        let other = LinkSecret::from_random([2; 32]);
        assert_eq!(open(&other, &sealed).unwrap_err().code(), "links.agenda_undecryptable");
        assert_ne!(seal(&s, &agenda(), [8; 12]).unwrap(), sealed, "the nonce changes the ciphertext");
    }

    #[test]
    fn altered_or_garbage_values_are_refused() {
        let s = LinkSecret::from_random([3; 32]);
        let sealed = seal(&s, &agenda(), [0; 12]).unwrap();
        let mut bytes = BASE64URL_NOPAD.decode(sealed.as_bytes()).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        for bad in [BASE64URL_NOPAD.encode(&bytes), "!!".into(), "AQ".into(), String::new()] {
            assert!(open(&s, &bad).is_err(), "{bad}");
        }
        bytes[last] ^= 1;
        bytes[0] = 2;
        assert!(open(&s, &BASE64URL_NOPAD.encode(&bytes)).is_err());
        let huge = PrivateAgenda { title: String::new(), agenda: "x".repeat(MAX_AGENDA_BYTES) };
        assert_eq!(seal(&s, &huge, [0; 12]).unwrap_err().code(), "links.invalid_invite");
    }
}
