//! The meeting secret of a join link and the room id derived from it.
//!
//! The secret is what admits a person to the lobby of a meeting and what the agenda and the
//! invitation tokens are keyed with. It lives only in the link's fragment and in memory; the
//! signalling server only ever sees the [`RoomId`], a one-way hash of it.

use std::fmt;

use data_encoding::{BASE32_NOPAD, BASE64URL_NOPAD};
use sha2::{Digest, Sha256};

use super::LinkError;

/// Bytes of a secret Trygg makes (the format accepts 16 to 32).
pub const SECRET_LEN: usize = 32;
/// The shortest secret a link may carry: 128 bits.
pub const MIN_SECRET_LEN: usize = 16;
/// The longest secret a link may carry.
pub const MAX_SECRET_LEN: usize = 32;
/// Characters of a room id: 16 bytes in base32 without padding.
pub const ROOM_ID_LEN: usize = 26;

const ROOM_ID_DOMAIN: &[u8] = b"trygg/room-id/v1";

/// A meeting secret: 16 to 32 random bytes.
///
/// `Debug` prints `<redacted>`, there is no `Display` and no `Serialize`, and the bytes are
/// overwritten when it is dropped. The only ways out are [`LinkSecret::expose_bytes`] and the
/// link's own URL ([`super::JoinLink::expose_url`]), both named for what they do.
#[derive(Clone, PartialEq, Eq)]
pub struct LinkSecret(Vec<u8>);

impl LinkSecret {
    /// A new secret from 32 bytes the caller took from a cryptographic random source (the core
    /// has no access to one: see the module docs).
    pub fn from_random(bytes: [u8; SECRET_LEN]) -> Self {
        Self(bytes.to_vec())
    }

    /// A secret from raw bytes; 16 to 32 of them.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, LinkError> {
        if !(MIN_SECRET_LEN..=MAX_SECRET_LEN).contains(&bytes.len()) {
            return Err(LinkError::invalid_link(format!(
                "the secret has {} bytes; {MIN_SECRET_LEN} to {MAX_SECRET_LEN} are allowed",
                bytes.len()
            )));
        }
        Ok(Self(bytes.to_vec()))
    }

    /// Reads the base64url form (no padding) of a link's fragment.
    pub fn from_base64(text: &str) -> Result<Self, LinkError> {
        let bytes = BASE64URL_NOPAD
            .decode(text.as_bytes())
            .map_err(|_| LinkError::invalid_link("the secret after # is not base64url"))?;
        Self::from_bytes(&bytes)
    }

    /// The base64url form (no padding), as written after `#` in a link.
    pub(crate) fn to_base64(&self) -> String {
        BASE64URL_NOPAD.encode(&self.0)
    }

    /// The raw bytes, for key derivation. Callers must not log or send them.
    pub fn expose_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The room id the server knows this meeting by: it commits to the room proof
    /// ([`crate::room::ids::RoomId::bound_to`]), so only a holder of the link can create it.
    pub fn room_id(&self) -> RoomId {
        let proof = crate::room::ids::RoomProof::derive(&self.0);
        RoomId(crate::room::ids::RoomId::bound_to(&proof).as_str().to_owned())
    }

    /// The room id of links made before room ids committed to the proof (SHA-256 of the
    /// secret): still accepted in a link, which then meets in [`Self::room_id`]'s room.
    pub fn legacy_room_id(&self) -> RoomId {
        let mut h = Sha256::new();
        h.update(ROOM_ID_DOMAIN);
        h.update(&self.0);
        let digest = h.finalize();
        RoomId(BASE32_NOPAD.encode(&digest[..16]).to_ascii_lowercase())
    }
}

impl fmt::Debug for LinkSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LinkSecret(<redacted>)")
    }
}

impl Drop for LinkSecret {
    fn drop(&mut self) {
        self.0.fill(0);
        // black_box makes the zeroes observable, so the compiler cannot drop the fill as dead.
        std::hint::black_box(&self.0);
    }
}

/// The public name of a meeting on the signalling server: the first 16 bytes of
/// SHA-256("trygg/room-id/v1" ‖ secret), base32, lowercase, no padding (26 characters).
///
/// Knowing it does not help to find the secret; a client checks that a link's room id matches its
/// secret, so an altered link is caught before anything is sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct RoomId(String);

impl RoomId {
    /// Reads a room id: 26 characters of lowercase base32 (upper case is accepted and folded).
    pub fn parse(text: &str) -> Result<Self, LinkError> {
        if text.len() != ROOM_ID_LEN {
            return Err(LinkError::invalid_link(format!(
                "the room id has {} characters; it has {ROOM_ID_LEN}",
                text.chars().count()
            )));
        }
        let upper = text.to_ascii_uppercase();
        match BASE32_NOPAD.decode(upper.as_bytes()) {
            Ok(bytes) if bytes.len() == 16 => Ok(Self(text.to_ascii_lowercase())),
            _ => Err(LinkError::invalid_link("the room id is not base32")),
        }
    }

    /// The 26 characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RoomId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_bytes() {
        let s = LinkSecret::from_random([0xab; 32]);
        let shown = format!("{s:?} {:?}", Some(&s));
        assert!(shown.contains("<redacted>") && !shown.contains("171") && !shown.contains("ab"), "{shown}");
    }

    #[test]
    fn room_id_is_26_lowercase_base32_and_depends_on_every_byte() {
        let a = LinkSecret::from_random([1; 32]).room_id();
        assert_eq!(a.as_str().len(), ROOM_ID_LEN);
        assert!(a.as_str().chars().all(|c| c.is_ascii_lowercase() || ('2'..='7').contains(&c)), "{a}");
        let mut bytes = [1; 32];
        bytes[31] = 2;
        assert_ne!(a, LinkSecret::from_random(bytes).room_id());
        assert_eq!(RoomId::parse(a.as_str()).unwrap(), a);
        assert_eq!(RoomId::parse(&a.as_str().to_uppercase()).unwrap(), a);
    }

    #[test]
    fn room_id_matches_the_documented_derivation() {
        // Legacy: SHA-256("trygg/room-id/v1" || 16 zero bytes), first 16 bytes.
        let mut input = b"trygg/room-id/v1".to_vec();
        input.extend_from_slice(&[0u8; 16]);
        let digest = Sha256::digest(&input);
        let expect = BASE32_NOPAD.encode(&digest[..16]).to_lowercase();
        assert_eq!(LinkSecret::from_bytes(&[0; 16]).unwrap().legacy_room_id().as_str(), expect);
        // Now: SHA-256("trygg/room-id/v2" || HKDF-SHA256(secret, "trygg/room-proof/v1")).
        let mut proof = [0u8; 32];
        hkdf::Hkdf::<Sha256>::new(None, &[0u8; 16]).expand(b"trygg/room-proof/v1", &mut proof).unwrap();
        let mut input = b"trygg/room-id/v2".to_vec();
        input.extend_from_slice(&proof);
        let digest = Sha256::digest(&input);
        let expect = BASE32_NOPAD.encode(&digest[..16]).to_lowercase();
        assert_eq!(LinkSecret::from_bytes(&[0; 16]).unwrap().room_id().as_str(), expect);
    }

    #[test]
    fn secret_length_and_encoding_are_checked() {
        assert!(LinkSecret::from_bytes(&[0; 15]).is_err());
        assert!(LinkSecret::from_bytes(&[0; 33]).is_err());
        assert!(LinkSecret::from_base64("AAAA+AAAAAAAAAAAAAAAAA").is_err(), "standard base64 is refused");
        assert!(LinkSecret::from_base64("AAAAAAAAAAAAAAAAAAAAAA==").is_err(), "padding is refused");
        let s = LinkSecret::from_random([7; 32]);
        assert_eq!(LinkSecret::from_base64(&s.to_base64()).unwrap(), s);
        assert!(RoomId::parse("abc").is_err());
        assert!(RoomId::parse("aaaaaaaaaaaaaaaaaaaaaaaaa1").is_err(), "1 is not base32");
    }
}
