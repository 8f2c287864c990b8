//! What a participant tells the others about itself, and what the link secret proves.
//!
//! The profile travels inside the room protocol's sealed blobs, which the server relays without
//! reading. Until the E2EE layer seals it, it is plain JSON; the server still never parses or
//! logs it.

use hkdf::Hkdf;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::room::ids::{Blob, RoomProof};

/// A participant's self-description.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Profile {
    /// The name to show.
    pub name: String,
}

impl Profile {
    /// The blob that travels in knocks and introductions.
    pub fn seal(&self) -> Blob {
        Blob(serde_json::to_vec(self).expect("a profile serializes"))
    }

    /// Reads a blob; a malformed one gives an unnamed profile rather than an error (a peer's
    /// bad blob must not stop the meeting).
    pub fn open(blob: &Blob) -> Self {
        let mut p: Profile = serde_json::from_slice(blob.as_bytes()).unwrap_or_default();
        p.name = p.name.chars().filter(|c| !c.is_control()).take(64).collect();
        p
    }
}

/// The proof of holding the link that the server checks on create, knock and rejoin: an HKDF of
/// the link secret, so the server (which never sees the secret) cannot make it for another room,
/// and a stranger who knows only the room id cannot knock.
pub fn room_proof(link_secret: &[u8]) -> RoomProof {
    let mut out = [0u8; 32];
    Hkdf::<Sha256>::new(None, link_secret)
        .expand(b"trygg/room-proof/v1", &mut out)
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    RoomProof::new(out.to_vec()).expect("a 32-byte proof is valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_round_trip_and_bad_blobs_are_harmless() {
        let p = Profile { name: "Kari Nordmann".into() };
        assert_eq!(Profile::open(&p.seal()), p);
        assert_eq!(Profile::open(&Blob(b"\xff not json".to_vec())), Profile::default());
        let evil = Profile { name: "a\u{7}\u{1b}[31mb".repeat(40) };
        let opened = Profile::open(&evil.seal());
        assert!(opened.name.chars().all(|c| !c.is_control()) && opened.name.chars().count() <= 64);
    }

    #[test]
    fn proofs_depend_on_the_secret() {
        assert_eq!(room_proof(b"secret one").as_bytes(), room_proof(b"secret one").as_bytes());
        assert_ne!(room_proof(b"secret one").as_bytes(), room_proof(b"secret two").as_bytes());
    }
}
