//! The SFrame key schedule (RFC 9605 §4.4.2) and the AEADs (§4.4.3–4.4.4, §4.5.1).
//!
//! ```text
//! sframe_secret = HKDF-Extract("", base_key)
//! sframe_key    = HKDF-Expand(sframe_secret, "SFrame 1.0 Secret key "  + KID(8, BE) + suite(2, BE), Nk)
//! sframe_salt   = HKDF-Expand(sframe_secret, "SFrame 1.0 Secret salt " + KID(8, BE) + suite(2, BE), Nn)
//! nonce         = sframe_salt XOR CTR (big-endian, Nn bytes)
//! aad           = header + metadata
//! ```
//!
//! Backends: AES-GCM comes from `ring` (the backend the WebRTC stack already links, with
//! AES-NI/CLMUL and ARMv8 paths); the CTR-HMAC suites use RustCrypto `aes`/`ctr`/`hmac` because
//! `ring` has no raw AES-CTR — they protect 80-byte audio frames, where speed does not matter;
//! HKDF is RustCrypto `hkdf` (it runs once per key, not per frame).

use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use ring::aead::{AES_128_GCM, AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use sha2::{Sha256, Sha512};
use zeroize::Zeroizing;

use super::header::{Header, MAX_HEADER_LEN};
use super::suite::CipherSuite;
use crate::e2ee::E2eeError;

type Aes128Ctr = ctr::Ctr32BE<aes::Aes128>;

/// The AEAD half of a derived key.
enum Aead {
    Gcm(Box<LessSafeKey>),
    CtrHmac { enc_key: Zeroizing<[u8; 16]>, auth_key: Zeroizing<[u8; 32]>, tag_len: usize },
}

/// `sframe_key` and `sframe_salt` for one (KID, suite, base key): what seals and opens frames.
pub struct FrameKey {
    suite: CipherSuite,
    kid: u64,
    aead: Aead,
    salt: [u8; 12],
}

impl std::fmt::Debug for FrameKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FrameKey").field("suite", &self.suite).field("kid", &self.kid).finish_non_exhaustive()
    }
}

/// Intermediate values of the key schedule, for the RFC test vectors.
#[derive(Debug)]
pub struct Derivation {
    /// `sframe_secret`.
    pub secret: Zeroizing<Vec<u8>>,
    /// `sframe_key`.
    pub key: Zeroizing<Vec<u8>>,
    /// `sframe_salt`.
    pub salt: [u8; 12],
}

fn label(prefix: &[u8], kid: u64, suite: CipherSuite) -> Vec<u8> {
    let mut l = Vec::with_capacity(prefix.len() + 10);
    l.extend_from_slice(prefix);
    l.extend_from_slice(&kid.to_be_bytes());
    l.extend_from_slice(&suite.id().to_be_bytes());
    l
}

/// Runs the key schedule and returns every intermediate value.
pub fn derive(suite: CipherSuite, kid: u64, base_key: &[u8]) -> Derivation {
    let key_label = label(b"SFrame 1.0 Secret key ", kid, suite);
    let salt_label = label(b"SFrame 1.0 Secret salt ", kid, suite);
    let mut key = Zeroizing::new(vec![0u8; suite.key_len()]);
    let mut salt = [0u8; 12];
    let secret = if suite.uses_sha512() {
        let (prk, hk) = Hkdf::<Sha512>::extract(Some(&[]), base_key);
        hk.expand(&key_label, &mut key).expect("Nk is far below 255 * HashLen");
        hk.expand(&salt_label, &mut salt).expect("Nn is far below 255 * HashLen");
        prk.to_vec()
    } else {
        let (prk, hk) = Hkdf::<Sha256>::extract(Some(&[]), base_key);
        hk.expand(&key_label, &mut key).expect("Nk is far below 255 * HashLen");
        hk.expand(&salt_label, &mut salt).expect("Nn is far below 255 * HashLen");
        prk.to_vec()
    };
    Derivation { secret: Zeroizing::new(secret), key, salt }
}

/// Concatenates header and metadata on the stack when they fit (they always do for Trygg).
fn with_aad<R>(header: &[u8], metadata: &[u8], f: impl FnOnce(&[u8]) -> R) -> R {
    let mut stack = [0u8; MAX_HEADER_LEN + 32];
    let n = header.len() + metadata.len();
    if n <= stack.len() {
        stack[..header.len()].copy_from_slice(header);
        stack[header.len()..n].copy_from_slice(metadata);
        f(&stack[..n])
    } else {
        let mut heap = Vec::with_capacity(n);
        heap.extend_from_slice(header);
        heap.extend_from_slice(metadata);
        f(&heap)
    }
}

impl FrameKey {
    /// Derives the key for `kid` under `suite` from `base_key` (RFC 9605 §4.4.2).
    pub fn new(suite: CipherSuite, kid: u64, base_key: &[u8]) -> Self {
        let d = derive(suite, kid, base_key);
        let aead = match suite {
            CipherSuite::AesGcm128Sha256 => Aead::Gcm(Box::new(LessSafeKey::new(
                UnboundKey::new(&AES_128_GCM, &d.key).expect("sframe_key has AES-128's length"),
            ))),
            CipherSuite::AesGcm256Sha512 => Aead::Gcm(Box::new(LessSafeKey::new(
                UnboundKey::new(&AES_256_GCM, &d.key).expect("sframe_key has AES-256's length"),
            ))),
            _ => {
                let mut enc_key = Zeroizing::new([0u8; 16]);
                let mut auth_key = Zeroizing::new([0u8; 32]);
                enc_key.copy_from_slice(&d.key[..16]);
                auth_key.copy_from_slice(&d.key[16..48]);
                Aead::CtrHmac { enc_key, auth_key, tag_len: suite.tag_len() }
            }
        };
        Self { suite, kid, aead, salt: d.salt }
    }

    /// The suite.
    pub fn suite(&self) -> CipherSuite {
        self.suite
    }

    /// The KID this key was derived for.
    pub fn kid(&self) -> u64 {
        self.kid
    }

    fn nonce(&self, ctr: u64) -> [u8; 12] {
        let mut n = self.salt;
        for (b, c) in n[4..].iter_mut().zip(ctr.to_be_bytes()) {
            *b ^= c;
        }
        n
    }

    /// Encrypts `plaintext` with counter `ctr` into `out` (cleared first): header, ciphertext,
    /// tag. The caller guarantees that `ctr` is never used twice with this key.
    pub fn seal(&self, ctr: u64, metadata: &[u8], plaintext: &[u8], out: &mut Vec<u8>) {
        let header = Header { kid: self.kid, ctr };
        let mut hbuf = [0u8; MAX_HEADER_LEN];
        let hlen = header.encode_into(&mut hbuf);
        out.clear();
        out.reserve(hlen + plaintext.len() + self.suite.tag_len());
        out.extend_from_slice(&hbuf[..hlen]);
        out.extend_from_slice(plaintext);
        let nonce = self.nonce(ctr);
        with_aad(&hbuf[..hlen], metadata, |aad| match &self.aead {
            Aead::Gcm(key) => {
                let tag = key
                    .seal_in_place_separate_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), &mut out[hlen..])
                    .expect("AES-GCM seals any frame shorter than 64 GiB");
                out.extend_from_slice(tag.as_ref());
            }
            Aead::CtrHmac { enc_key, auth_key, tag_len } => {
                ctr_apply(enc_key, &nonce, &mut out[hlen..]);
                let tag = hmac_tag(auth_key, &nonce, aad, &out[hlen..], *tag_len);
                out.extend_from_slice(&tag.finalize().into_bytes()[..*tag_len]);
            }
        })
    }

    /// Decrypts the body of a frame whose header (already parsed: `header`, its bytes
    /// `header_bytes`) names this key. `body` is ciphertext and tag; the plaintext goes to `out`.
    pub fn open(
        &self,
        header: &Header,
        header_bytes: &[u8],
        metadata: &[u8],
        body: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), E2eeError> {
        let tag_len = self.suite.tag_len();
        if body.len() < tag_len {
            return Err(E2eeError::malformed("SFrame ciphertext", "shorter than its tag"));
        }
        let nonce = self.nonce(header.ctr);
        let auth = || E2eeError::Authentication { what: "SFrame frame" };
        with_aad(header_bytes, metadata, |aad| match &self.aead {
            Aead::Gcm(key) => {
                out.clear();
                out.extend_from_slice(body);
                let n = key
                    .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(aad), out)
                    .map_err(|_| auth())?
                    .len();
                out.truncate(n);
                Ok(())
            }
            Aead::CtrHmac { enc_key, auth_key, tag_len } => {
                let (ct, tag) = body.split_at(body.len() - tag_len);
                hmac_tag(auth_key, &nonce, aad, ct, *tag_len).verify_truncated_left(tag).map_err(|_| auth())?;
                out.clear();
                out.extend_from_slice(ct);
                ctr_apply(enc_key, &nonce, out);
                Ok(())
            }
        })
    }
}

fn ctr_apply(key: &[u8; 16], nonce: &[u8; 12], data: &mut [u8]) {
    use ctr::cipher::{KeyIvInit, StreamCipher};
    let mut iv = [0u8; 16];
    iv[..12].copy_from_slice(nonce);
    let mut cipher = Aes128Ctr::new(key.into(), &iv.into());
    cipher.apply_keystream(data);
}

fn hmac_tag(auth_key: &[u8; 32], nonce: &[u8; 12], aad: &[u8], ct: &[u8], tag_len: usize) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(auth_key).expect("HMAC takes any key length");
    mac.update(&(aad.len() as u64).to_be_bytes());
    mac.update(&(ct.len() as u64).to_be_bytes());
    mac.update(&(tag_len as u64).to_be_bytes());
    mac.update(nonce);
    mac.update(aad);
    mac.update(ct);
    mac
}

/// The CTR-HMAC AEAD alone, as RFC 9605 Appendix C.2 tests it: `key` is `sframe_key`
/// (48 bytes), output is ciphertext + tag. For test vectors only.
pub fn ctr_hmac_seal(suite: CipherSuite, key: &[u8], nonce: &[u8; 12], aad: &[u8], pt: &[u8]) -> Vec<u8> {
    let mut enc_key = [0u8; 16];
    let mut auth_key = [0u8; 32];
    enc_key.copy_from_slice(&key[..16]);
    auth_key.copy_from_slice(&key[16..48]);
    let mut out = pt.to_vec();
    ctr_apply(&enc_key, nonce, &mut out);
    let tag = hmac_tag(&auth_key, nonce, aad, &out, suite.tag_len()).finalize().into_bytes();
    out.extend_from_slice(&tag[..suite.tag_len()]);
    out
}
