//! Sealed signals: the WebRTC offers, answers and ICE candidates members exchange through the
//! room server, hidden from it.
//!
//! An SDP names the device's addresses (LAN ones included), its DTLS certificate fingerprint and
//! what it can send; candidates name addresses and ports. None of that is the server's business:
//! it relays, so it needs only who to relay to. Each signal is sealed under a key only holders
//! of the join link have, bound to its sender and recipient so that the server can neither read
//! it nor hand it to anyone else:
//!
//! ```text
//! key  = HKDF-SHA256(ikm = link secret, salt = "", info = "trygg/signal/v1")  (32 bytes)
//! aad  = 0x01 ‖ from member id (8) ‖ to member id (8)
//! blob = 0x01 ‖ nonce (12, random) ‖ AES-256-GCM(key, nonce, aad, len (4, BE) ‖ signal ‖ zero padding to 64 B)
//! ```
//!
//! The server still sees that a signal passed, between which members, when, and its size to
//! 64 bytes. The nonce comes from the caller, like every random value in the core. What is
//! sealed starts with the sender's run and a counter ([`crate::meeting`]'s `signal_order`), so a
//! sealed signal handed over twice is taken once.

use hkdf::Hkdf;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::E2eeError;

const VERSION: u8 = 1;
const INFO: &[u8] = b"trygg/signal/v1";
const PAD_STEP: usize = 64;
/// Largest signal sealed or opened (an SDP with audio, camera and a screen share is 5–15 KiB).
pub const MAX_SIGNAL_LEN: usize = 60 * 1024;

/// The key for one meeting's signals.
pub struct SignalKey(LessSafeKey);

impl SignalKey {
    /// Derives the key from the join link's secret.
    pub fn new(link_secret: &[u8]) -> Result<Self, E2eeError> {
        if link_secret.len() < 16 {
            return Err(E2eeError::malformed("link secret", "shorter than 16 bytes"));
        }
        let mut k = Zeroizing::new([0u8; 32]);
        Hkdf::<Sha256>::new(None, link_secret).expand(INFO, k.as_mut()).expect("32 bytes is a valid HKDF length");
        Ok(Self(LessSafeKey::new(UnboundKey::new(&AES_256_GCM, k.as_ref()).expect("a 32-byte AES-256 key"))))
    }

    /// Seals `signal` from member `from` to member `to` with a fresh random `nonce`.
    pub fn seal(
        &self,
        from: [u8; 8],
        to: [u8; 8],
        signal: &[u8],
        nonce: [u8; NONCE_LEN],
    ) -> Result<Vec<u8>, E2eeError> {
        if signal.len() > MAX_SIGNAL_LEN {
            return Err(E2eeError::malformed("signal", "too large"));
        }
        let body_len = (4 + signal.len()).div_ceil(PAD_STEP) * PAD_STEP;
        let mut blob = Vec::with_capacity(1 + NONCE_LEN + body_len + 16);
        blob.push(VERSION);
        blob.extend_from_slice(&nonce);
        blob.extend_from_slice(&(signal.len() as u32).to_be_bytes());
        blob.extend_from_slice(signal);
        blob.resize(1 + NONCE_LEN + body_len, 0);
        let tag = self
            .0
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad(from, to)),
                &mut blob[1 + NONCE_LEN..],
            )
            .expect("a signal is far below AES-GCM's limit");
        blob.extend_from_slice(tag.as_ref());
        Ok(blob)
    }

    /// Opens a blob that member `from` sealed for member `to`.
    pub fn open(&self, from: [u8; 8], to: [u8; 8], blob: &[u8]) -> Result<Vec<u8>, E2eeError> {
        let malformed = |why: &str| E2eeError::malformed("sealed signal", why);
        if blob.len() < 1 + NONCE_LEN + PAD_STEP + 16 {
            return Err(malformed("too short"));
        }
        if blob[0] != VERSION {
            return Err(malformed("unknown version"));
        }
        if blob.len() > 1 + NONCE_LEN + MAX_SIGNAL_LEN + PAD_STEP + 16 {
            return Err(malformed("too large"));
        }
        let nonce: [u8; NONCE_LEN] = blob[1..1 + NONCE_LEN].try_into().expect("length checked");
        let mut body = blob[1 + NONCE_LEN..].to_vec();
        let plain = self
            .0
            .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(aad(from, to)), &mut body)
            .map_err(|_| E2eeError::Authentication { what: "sealed signal" })?;
        let len = u32::from_be_bytes(plain[..4].try_into().expect("at least one pad step")) as usize;
        let signal = plain.get(4..4 + len).ok_or_else(|| malformed("length beyond the body"))?;
        if plain[4 + len..].iter().any(|&b| b != 0) {
            return Err(malformed("non-zero padding"));
        }
        Ok(signal.to_vec())
    }
}

fn aad(from: [u8; 8], to: [u8; 8]) -> [u8; 17] {
    let mut a = [0u8; 17];
    a[0] = VERSION;
    a[1..9].copy_from_slice(&from);
    a[9..].copy_from_slice(&to);
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: [u8; 8] = [1; 8];
    const B: [u8; 8] = [2; 8];
    const C: [u8; 8] = [3; 8];
    const SDP: &[u8] = b"v=0\r\no=- 1 2 IN IP4 192.168.1.20\r\na=fingerprint:sha-256 AB:CD\r\n";

    #[test]
    fn seals_for_one_recipient_and_hides_addresses_and_size() {
        let k = SignalKey::new(b"the meeting's link secret").unwrap();
        let blob = k.seal(A, B, SDP, [9; 12]).unwrap();
        assert_eq!(k.open(A, B, &blob).unwrap(), SDP);
        assert!(!blob.windows(7).any(|w| w == b"192.168"), "no address in clear");
        assert_eq!((blob.len() - 1 - 12 - 16) % 64, 0, "size only to 64 bytes");
        // Redirected to another member, or claimed to come from one: refused.
        assert_eq!(k.open(A, C, &blob).unwrap_err().code(), "e2ee.authentication");
        assert_eq!(k.open(C, B, &blob).unwrap_err().code(), "e2ee.authentication");
        // Another meeting's key: refused.
        let other = SignalKey::new(b"another meeting's secret").unwrap();
        assert_eq!(other.open(A, B, &blob).unwrap_err().code(), "e2ee.authentication");
    }

    #[test]
    fn every_flipped_byte_and_truncation_is_refused() {
        let k = SignalKey::new(&[5; 32]).unwrap();
        let blob = k.seal(A, B, b"candidate:1 1 udp 1 10.0.0.1 5000 typ host", [1; 12]).unwrap();
        for i in 0..blob.len() {
            let mut bad = blob.clone();
            bad[i] ^= 0x40;
            assert!(k.open(A, B, &bad).is_err(), "byte {i}");
        }
        for n in 0..blob.len() {
            assert!(k.open(A, B, &blob[..n]).is_err(), "length {n}");
        }
        assert!(k.seal(A, B, &vec![0; MAX_SIGNAL_LEN + 1], [0; 12]).is_err());
        assert!(SignalKey::new(b"short").is_err());
    }
}
