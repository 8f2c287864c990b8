//! Remembered peers: trust on first *verification*.
//!
//! MLS proves that each member holds the key in its credential; it cannot prove that the key
//! belongs to the person whose name is shown — display names are just what a joiner typed.
//! People close that gap once, person by person, by reading their **pair code**
//! ([`pair_code`]: 20 digits from the two identity keys, the same on both sides) to each other
//! over a channel they trust (voice, in person). Unlike the group's security code, it names the
//! two keys: if anyone showed one of them another key for the other, their codes differ. After
//! that, this device remembers the peer's identity key fingerprint under their name, and every
//! later meeting checks it:
//!
//! - [`PeerCheck::Verified`]: the same key as last time — show a quiet "verified" mark;
//! - [`PeerCheck::Unknown`]: never verified — show the name as unverified;
//! - [`PeerCheck::KeyChanged`]: **a known name with a new key** — warn loudly. It may be a new
//!   device or a reset identity, or someone pretending; only a new comparison tells.
//!
//! A remembered key is never replaced by [`KnownPeers::remember`]: that needs the explicit
//! [`KnownPeers::replace`] after a new verification. Names are compared by their look-alike
//! skeleton ([`super::display_name::skeleton`]), so "Alice", "alice " and "Аlice" with a Cyrillic
//! А are one person for the warning.
//!
//! The list is not secret, but it must not be silently edited: the caller keeps its bytes
//! ([`KnownPeers::to_bytes`]) wherever it keeps settings, and loads them back with
//! [`KnownPeers::from_bytes`], which refuses anything malformed rather than starting empty.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::E2eeError;
use super::identity::Fingerprint;

/// Digits in a [`pair_code`].
pub const PAIR_CODE_DIGITS: usize = 20;

/// The code two people read to each other to verify each other: 20 digits (five groups of
/// four) from both identity keys' fingerprints, taken in byte order so that both compute the
/// same. `SHA-256("trygg/pair-code/v1" ‖ lower ‖ higher)`, its first 16 bytes as a number mod
/// 10^20. 66 bits against one substituted key; against someone substituting both keys (a
/// collision) about 2^33 tries per side, which is why the group's security code is compared too
/// (a person in the middle runs two groups, whose codes differ).
pub fn pair_code(a: &Fingerprint, b: &Fingerprint) -> String {
    let (lo, hi) = if a.0 <= b.0 { (a, b) } else { (b, a) };
    let digest = Sha256::new().chain_update(b"trygg/pair-code/v1").chain_update(lo.0).chain_update(hi.0).finalize();
    let first: [u8; 16] = digest[..16].try_into().expect("SHA-256 has 32 bytes");
    let n = u128::from_be_bytes(first) % 10u128.pow(PAIR_CODE_DIGITS as u32);
    let digits = format!("{n:020}");
    digits.as_bytes().chunks(4).map(|c| std::str::from_utf8(c).expect("ASCII digits")).collect::<Vec<_>>().join(" ")
}

/// What a name and key amount to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerCheck {
    /// This name was verified with this key before.
    Verified,
    /// This name was never verified.
    Unknown,
    /// This name was verified with another key. Warn.
    KeyChanged {
        /// The key verified before.
        old: Fingerprint,
        /// The key shown now.
        new: Fingerprint,
    },
}

/// Verified (name → identity key fingerprint) pairs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KnownPeers {
    peers: BTreeMap<String, Fingerprint>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Stored {
    version: u32,
    peers: BTreeMap<String, String>,
}

/// The key a name is stored under: the cleaned name, lower-cased.
fn normalize(name: &str) -> String {
    super::display_name::clean(name).to_lowercase()
}

impl KnownPeers {
    /// Nobody verified yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks `name` with the identity key fingerprint it comes with now.
    ///
    /// Names are compared by their [`skeleton`](super::display_name::skeleton): a look-alike of a
    /// verified name (a Cyrillic letter, an invisible one) with another key is `KeyChanged`.
    pub fn check(&self, name: &str, key: &Fingerprint) -> PeerCheck {
        let mut alike = self.alike(name).peekable();
        if alike.peek().is_none() {
            return PeerCheck::Unknown;
        }
        let olds: Vec<Fingerprint> = alike.map(|(_, k)| *k).collect();
        if olds.contains(key) {
            // Verified under this very name (or one that looks the same): the same person.
            return PeerCheck::Verified;
        }
        PeerCheck::KeyChanged { old: olds[0], new: *key }
    }

    /// The remembered peers whose names look like `name`.
    fn alike(&self, name: &str) -> impl Iterator<Item = (&String, &Fingerprint)> {
        let skeleton = super::display_name::skeleton(name);
        self.peers.iter().filter(move |(n, _)| super::display_name::skeleton(n) == skeleton)
    }

    /// Remembers a peer the user just verified. Refuses when the name is known with another key.
    pub fn remember(&mut self, name: &str, key: Fingerprint) -> Result<(), E2eeError> {
        let n = normalize(name);
        if n.is_empty() {
            return Err(E2eeError::malformed("peer name", "empty"));
        }
        if self.alike(name).any(|(_, k)| *k != key) {
            return Err(E2eeError::refused(format!(
                "\"{name}\" was verified with another key; verify again and replace it explicitly"
            )));
        }
        self.peers.insert(n, key);
        Ok(())
    }

    /// Replaces the key of a known peer after the user verified the new one.
    pub fn replace(&mut self, name: &str, key: Fingerprint) {
        self.peers.insert(normalize(name), key);
    }

    /// Forgets a peer.
    pub fn forget(&mut self, name: &str) -> bool {
        self.peers.remove(&normalize(name)).is_some()
    }

    /// The remembered (normalised name, key) pairs, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Fingerprint)> {
        self.peers.iter().map(|(n, k)| (n.as_str(), k))
    }

    /// How many peers are remembered.
    pub fn len(&self) -> usize {
        self.peers.len()
    }

    /// Whether nobody is remembered.
    pub fn is_empty(&self) -> bool {
        self.peers.is_empty()
    }

    /// The list as bytes to persist (JSON).
    pub fn to_bytes(&self) -> Vec<u8> {
        let stored = Stored { version: 1, peers: self.peers.iter().map(|(k, v)| (k.clone(), v.to_hex())).collect() };
        serde_json::to_vec_pretty(&stored).expect("a map of strings serializes")
    }

    /// The list from persisted bytes. Malformed bytes are an error, never an empty list.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, E2eeError> {
        let bad = |why: String| E2eeError::malformed("known peers", why);
        let stored: Stored = serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
        if stored.version != 1 {
            return Err(bad(format!("unknown version {}", stored.version)));
        }
        let mut peers = BTreeMap::new();
        for (name, hex) in stored.peers {
            let fp = Fingerprint::from_hex(&hex).ok_or_else(|| bad(format!("bad fingerprint for \"{name}\"")))?;
            peers.insert(normalize(&name), fp);
        }
        Ok(Self { peers })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp(b: u8) -> Fingerprint {
        Fingerprint::of(&[b; 32])
    }

    #[test]
    fn unknown_then_verified_then_key_change_is_flagged() {
        let mut k = KnownPeers::new();
        assert_eq!(k.check("Alice", &fp(1)), PeerCheck::Unknown);
        k.remember("Alice", fp(1)).unwrap();
        assert_eq!(k.check(" alice ", &fp(1)), PeerCheck::Verified);
        assert_eq!(k.check("ALICE", &fp(2)), PeerCheck::KeyChanged { old: fp(1), new: fp(2) });
        // Not silently replaced:
        assert_eq!(k.remember("Alice", fp(2)).unwrap_err().code(), "e2ee.refused");
        assert_eq!(k.check("Alice", &fp(1)), PeerCheck::Verified);
        k.replace("Alice", fp(2));
        assert_eq!(k.check("Alice", &fp(2)), PeerCheck::Verified);
    }

    #[test]
    fn a_look_alike_of_a_verified_name_with_another_key_is_the_warning() {
        let mut k = KnownPeers::new();
        k.remember("Alice", fp(1)).unwrap();
        for alike in ["\u{0410}lice", "Al\u{200B}ice", "ＡＬＩＣＥ", "A\u{202E}lice", "Alice\n"] {
            assert_eq!(k.check(alike, &fp(9)), PeerCheck::KeyChanged { old: fp(1), new: fp(9) }, "{alike:?}");
            assert_eq!(k.check(alike, &fp(1)), PeerCheck::Verified, "{alike:?}");
            assert!(k.remember(alike, fp(9)).is_err(), "{alike:?} cannot be remembered with another key");
        }
        assert_eq!(k.check("Alina", &fp(9)), PeerCheck::Unknown);
    }

    #[test]
    fn persists_and_refuses_garbage() {
        let mut k = KnownPeers::new();
        k.remember("Bob", fp(3)).unwrap();
        k.remember("Carol", fp(4)).unwrap();
        let back = KnownPeers::from_bytes(&k.to_bytes()).unwrap();
        assert_eq!(back, k);
        assert!(KnownPeers::from_bytes(b"").is_err());
        assert!(KnownPeers::from_bytes(br#"{"version":1,"peers":{"bob":"zz"}}"#).is_err());
        assert!(KnownPeers::from_bytes(br#"{"version":2,"peers":{}}"#).is_err());
    }

    #[test]
    fn a_pair_code_is_the_same_on_both_sides_and_names_both_keys() {
        let (a, b, c) = (Fingerprint([1; 32]), Fingerprint([2; 32]), Fingerprint([3; 32]));
        let ab = pair_code(&a, &b);
        assert_eq!(ab, pair_code(&b, &a), "both sides compute the same");
        assert_ne!(ab, pair_code(&a, &c), "another key for the other person shows");
        assert_ne!(ab, pair_code(&c, &b), "another key for us shows");
        assert_eq!(ab.len(), PAIR_CODE_DIGITS + 4);
        assert!(ab.split(' ').all(|g| g.len() == 4 && g.bytes().all(|d| d.is_ascii_digit())), "{ab}");
    }
}
