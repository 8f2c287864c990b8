//! The device identity: an Ed25519 signing key made on first use and kept in the OS keychain.
//!
//! It is this device's MLS credential key: it signs the KeyPackage in a knock and every commit
//! and proposal the device makes, and it is what the security code and remembered peers
//! ([`super::verify`]) ultimately vouch for. The private key never leaves the [`SecretStore`]
//! except in memory, wrapped in [`Sensitive`]; `trygg identity show` prints only the
//! [`Fingerprint`] of the public key.
//!
//! Stored form (keychain item [`SECRET_NAME`]): one version byte (1) and the 32-byte Ed25519
//! seed. Anything else there is reported as corrupt, never silently replaced.

use std::fmt;

use ed25519_dalek::SigningKey;
use openmls::prelude::{BasicCredential, CredentialWithKey, SignatureScheme};
use openmls_basic_credential::SignatureKeyPair;
use rand_core_06::CryptoRngCore;
use sha2::{Digest, Sha256};

use super::E2eeError;
use crate::secrets::{SecretStore, SecretsError, Sensitive};

/// The keychain item that holds the device key.
pub const SECRET_NAME: &str = "device-identity";

const FORMAT_VERSION: u8 = 1;

/// SHA-256 of an identity's public key: what people compare and what [`super::verify`] stores.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint(pub [u8; 32]);

impl Fingerprint {
    /// The fingerprint of a raw Ed25519 public key.
    pub fn of(public_key: &[u8]) -> Self {
        Self(Sha256::digest(public_key).into())
    }

    /// Lowercase hex, no separators.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Parses what [`Fingerprint::to_hex`] or `Display` printed (spaces allowed).
    pub fn from_hex(s: &str) -> Option<Self> {
        let digits: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        if digits.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        for (o, pair) in out.iter_mut().zip(digits.chunks(2)) {
            *o = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
        }
        Some(Self(out))
    }
}

/// Sixteen groups of four hex digits: `3f2a 91c0 …`.
impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hex = self.to_hex();
        for (i, chunk) in hex.as_bytes().chunks(4).enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(std::str::from_utf8(chunk).expect("hex is ASCII"))?;
        }
        Ok(())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({})", &self.to_hex()[..16])
    }
}

/// This device's signing key pair.
#[derive(Debug)]
pub struct DeviceIdentity {
    seed: Sensitive<[u8; 32]>,
    public: [u8; 32],
}

impl DeviceIdentity {
    /// A new identity from the caller's RNG (the OS RNG in the app, a seeded one in tests).
    pub fn generate(rng: &mut impl CryptoRngCore) -> Self {
        let mut seed = Sensitive::new([0u8; 32]);
        rng.fill_bytes(seed.expose_mut());
        Self::from_seed(seed)
    }

    /// The identity with this Ed25519 seed.
    pub fn from_seed(seed: Sensitive<[u8; 32]>) -> Self {
        let public = SigningKey::from_bytes(seed.expose()).verifying_key().to_bytes();
        Self { seed, public }
    }

    /// The identity in `store`, if there is one.
    pub fn load(store: &dyn SecretStore) -> Result<Option<Self>, E2eeError> {
        let Some(stored) = store.get(SECRET_NAME)? else { return Ok(None) };
        let bytes = stored.expose();
        if bytes.len() != 33 || bytes[0] != FORMAT_VERSION {
            return Err(SecretsError::Corrupt {
                name: SECRET_NAME.into(),
                why: format!("expected {} bytes of format {FORMAT_VERSION}, found {} bytes", 33, bytes.len()),
            }
            .into());
        }
        let mut seed = Sensitive::new([0u8; 32]);
        seed.expose_mut().copy_from_slice(&bytes[1..]);
        Ok(Some(Self::from_seed(seed)))
    }

    /// The identity in `store`, made and stored first if there is none. The flag says whether
    /// it was just made.
    pub fn load_or_create(store: &dyn SecretStore, rng: &mut impl CryptoRngCore) -> Result<(Self, bool), E2eeError> {
        if let Some(id) = Self::load(store)? {
            return Ok((id, false));
        }
        let id = Self::generate(rng);
        id.save(store)?;
        Ok((id, true))
    }

    /// Replaces the stored identity with a new one (after the user confirmed). Peers who
    /// remembered the old key will see a key-change warning.
    pub fn reset(store: &dyn SecretStore, rng: &mut impl CryptoRngCore) -> Result<Self, E2eeError> {
        let id = Self::generate(rng);
        id.save(store)?;
        Ok(id)
    }

    fn save(&self, store: &dyn SecretStore) -> Result<(), E2eeError> {
        let mut bytes = Vec::with_capacity(33);
        bytes.push(FORMAT_VERSION);
        bytes.extend_from_slice(self.seed.expose());
        store.set(SECRET_NAME, &Sensitive::new(bytes))?;
        Ok(())
    }

    /// The Ed25519 public key.
    pub fn public_key(&self) -> &[u8; 32] {
        &self.public
    }

    /// SHA-256 of the public key.
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of(&self.public)
    }

    /// Signs one of Trygg's own statements (a personal invitation): Ed25519 over bytes that
    /// begin with a `trygg/` label, which no MLS signature input does (those begin with the
    /// length of an "MLS 1.0 " label), so a statement can never pass for an MLS message.
    pub fn sign_statement(&self, statement: &[u8]) -> Result<[u8; 64], E2eeError> {
        use ed25519_dalek::Signer;
        if !statement.starts_with(b"trygg/") {
            return Err(E2eeError::State("a statement to sign must begin with a trygg/ label"));
        }
        Ok(SigningKey::from_bytes(self.seed.expose()).sign(statement).to_bytes())
    }

    /// The key pair in the form openmls signs with.
    pub(crate) fn signer(&self) -> SignatureKeyPair {
        SignatureKeyPair::from_raw(SignatureScheme::ED25519, self.seed.expose().to_vec(), self.public.to_vec())
    }

    /// The MLS credential: a basic credential naming the public key, with that key.
    pub(crate) fn credential(&self) -> CredentialWithKey {
        CredentialWithKey {
            credential: BasicCredential::new(self.public.to_vec()).into(),
            signature_key: self.public.to_vec().into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use rand_core_06::SeedableRng;

    use super::*;
    use crate::secrets::memory::MemoryStore;

    fn rng(seed: u64) -> rand_chacha_03::ChaCha20Rng {
        rand_chacha_03::ChaCha20Rng::seed_from_u64(seed)
    }

    #[test]
    fn created_once_then_loaded() {
        let store = MemoryStore::new();
        let (a, created) = DeviceIdentity::load_or_create(&store, &mut rng(1)).unwrap();
        assert!(created);
        let (b, created) = DeviceIdentity::load_or_create(&store, &mut rng(2)).unwrap();
        assert!(!created);
        assert_eq!(a.public_key(), b.public_key());
        let c = DeviceIdentity::reset(&store, &mut rng(3)).unwrap();
        assert_ne!(c.public_key(), a.public_key());
        assert_eq!(DeviceIdentity::load(&store).unwrap().unwrap().fingerprint(), c.fingerprint());
    }

    #[test]
    fn locked_store_is_an_error_not_a_new_key() {
        let store = MemoryStore::new();
        store.set_locked(true);
        let e = DeviceIdentity::load_or_create(&store, &mut rng(1)).unwrap_err();
        assert_eq!(e.code(), "secrets.keychain_locked");
        assert!(e.to_string().contains("gnome-keyring-daemon --unlock"), "{e}");
    }

    #[test]
    fn corrupt_item_is_reported_not_replaced() {
        let store = MemoryStore::new();
        store.set(SECRET_NAME, &Sensitive::new(vec![9; 5])).unwrap();
        assert_eq!(DeviceIdentity::load_or_create(&store, &mut rng(1)).unwrap_err().code(), "secrets.corrupt");
        assert_eq!(store.get(SECRET_NAME).unwrap().unwrap().expose(), &vec![9; 5]);
    }

    #[test]
    fn fingerprint_prints_in_groups_and_parses_back() {
        let id = DeviceIdentity::generate(&mut rng(4));
        let fp = id.fingerprint();
        let shown = fp.to_string();
        assert_eq!(shown.split(' ').count(), 16);
        assert_eq!(Fingerprint::from_hex(&shown), Some(fp));
        assert_eq!(fp, Fingerprint::of(id.public_key()));
        assert!(!format!("{id:?}").contains(&format!("{:?}", id.seed.expose())));
    }

    #[test]
    fn signs_like_the_public_key_says() {
        use openmls_traits::signatures::Signer;
        let id = DeviceIdentity::generate(&mut rng(5));
        let sig = id.signer().sign(b"hello").unwrap();
        let vk = ed25519_dalek::VerifyingKey::from_bytes(id.public_key()).unwrap();
        vk.verify_strict(b"hello", &ed25519_dalek::Signature::from_slice(&sig).unwrap()).unwrap();
    }
}
