//! The sealed knock: what a joiner tells the host, hidden from the room server.
//!
//! A knock carries the joiner's display name, an optional invite token, its MLS KeyPackage and
//! the run of the meeting it knocks on ([`MeetingInstance`], which the server named in answer
//! to `look`). All are sealed into one opaque blob (the room protocol's `sealed_profile`) under
//! a key only holders of the join link have:
//!
//! ```text
//! key  = HKDF-SHA256(ikm = link secret, salt = "", info = "trygg/knock/v1")  (32 bytes)
//! blob = 0x02 ‖ nonce (12, random) ‖ AES-256-GCM(key, nonce, aad = 0x02, padded profile)
//! profile = name ‖ token flag ‖ token ‖ KeyPackage ‖ instance (each length-prefixed; the
//!           instance is empty in the profile a member introduces itself with to newcomers)
//! ```
//!
//! The host admits only knocks sealed for its own run (its MLS group id): a knock a server kept
//! from an earlier meeting of the same link names another run and is refused, and the server
//! cannot re-seal it for this one without the link secret.
//!
//! The server sees the blob's size and nothing else (the profile is padded as if the name were
//! the longest allowed and an invitation of the longest kind were in it, then to 256-byte steps,
//! so neither a name's length nor whether the knock carries an invitation shows): not the name, not the identity key inside the KeyPackage (which would let
//! it link one device across meetings), and it cannot swap the KeyPackage for its own without
//! the link secret. Someone who has the link can read knocks of the same meeting — the link is
//! the invitation, so that is everyone invited; the host's admit decision and the security code
//! are the checks that follow.
//!
//! The link secret is taken as bytes: the link format belongs to `links/`. The nonce comes from
//! the caller's RNG.

use hkdf::Hkdf;
use rand_core_06::CryptoRngCore;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::E2eeError;
use crate::room::ids::MeetingInstance;

const VERSION: u8 = 2;
const INFO: &[u8] = b"trygg/knock/v1";
const PAD_STEP: usize = 256;
/// Longest display name, in bytes of UTF-8.
pub const MAX_NAME_LEN: usize = 256;
/// Longest invite token (a personal invitation as a knock shows it:
/// [`crate::links::ShownInvitation`]).
pub const MAX_TOKEN_LEN: usize = crate::links::invitation::MAX_SHOWN_LEN;
/// Largest KeyPackage accepted.
pub const MAX_KEY_PACKAGE_LEN: usize = 16 * 1024;

/// What a joiner tells the host in a knock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnockProfile {
    /// The name the joiner typed, shown in the host's lobby. Not authenticated by anything but
    /// the joiner's own key: see [`super::verify`].
    pub display_name: String,
    /// An invite token from the link, when the meeting uses them.
    pub invite_token: Option<String>,
    /// The joiner's MLS KeyPackage (TLS-encoded), made by [`super::mls::Joiner::new`].
    pub key_package: Vec<u8>,
    /// The run of the meeting the knock is for; None in a member's introduction of itself.
    pub instance: Option<MeetingInstance>,
}

fn key(link_secret: &[u8]) -> Result<LessSafeKey, E2eeError> {
    if link_secret.len() < 16 {
        return Err(E2eeError::malformed("link secret", "shorter than 16 bytes"));
    }
    let mut k = Zeroizing::new([0u8; 32]);
    Hkdf::<Sha256>::new(None, link_secret).expand(INFO, k.as_mut()).expect("32 bytes is a valid HKDF length");
    Ok(LessSafeKey::new(UnboundKey::new(&AES_256_GCM, k.as_ref()).expect("a 32-byte AES-256 key")))
}

fn put(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// Seals `profile` for the host of the meeting whose link holds `link_secret`.
pub fn seal_knock(
    link_secret: &[u8],
    profile: &KnockProfile,
    rng: &mut impl CryptoRngCore,
) -> Result<Vec<u8>, E2eeError> {
    let invalid = |why: &str| E2eeError::malformed("knock", why);
    let name = profile.display_name.trim();
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return Err(invalid("the display name must be 1 to 256 bytes"));
    }
    let token = profile.invite_token.as_deref().unwrap_or("");
    if token.len() > MAX_TOKEN_LEN {
        return Err(invalid("the invite token is too long"));
    }
    if profile.key_package.is_empty() || profile.key_package.len() > MAX_KEY_PACKAGE_LEN {
        return Err(invalid("the KeyPackage is empty or too large"));
    }
    let mut body = Zeroizing::new(Vec::new());
    put(&mut body, name.as_bytes());
    body.push(u8::from(profile.invite_token.is_some()));
    put(&mut body, token.as_bytes());
    put(&mut body, &profile.key_package);
    put(&mut body, profile.instance.as_ref().map_or(&[][..], |i| &i.as_bytes()[..]));
    let unpadded = body.len() + (MAX_NAME_LEN - name.len()) + (MAX_TOKEN_LEN - token.len());
    let padded = unpadded.div_ceil(PAD_STEP) * PAD_STEP;
    body.resize(padded, 0);

    let mut nonce = [0u8; NONCE_LEN];
    rng.fill_bytes(&mut nonce);
    let mut blob = Vec::with_capacity(1 + NONCE_LEN + body.len() + 16);
    blob.push(VERSION);
    blob.extend_from_slice(&nonce);
    blob.extend_from_slice(&body);
    let tag = key(link_secret)?
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from([VERSION]),
            &mut blob[1 + NONCE_LEN..],
        )
        .expect("a knock is far below AES-GCM's limit");
    blob.extend_from_slice(tag.as_ref());
    Ok(blob)
}

/// Opens a knock blob with the meeting's link secret (host side).
pub fn open_knock(link_secret: &[u8], blob: &[u8]) -> Result<KnockProfile, E2eeError> {
    let malformed = |why: &str| E2eeError::malformed("knock", why);
    if blob.len() < 1 + NONCE_LEN + 16 {
        return Err(malformed("too short"));
    }
    if blob[0] != VERSION {
        return Err(malformed("unknown version"));
    }
    let nonce: [u8; NONCE_LEN] = blob[1..1 + NONCE_LEN].try_into().expect("length checked");
    let mut body = Zeroizing::new(blob[1 + NONCE_LEN..].to_vec());
    let plain = key(link_secret)?
        .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from([VERSION]), &mut body)
        .map_err(|_| E2eeError::Authentication { what: "knock" })?;

    let mut r = Reader { data: &plain[..], at: 0 };
    let name = String::from_utf8(r.field(MAX_NAME_LEN)?.to_vec()).map_err(|_| malformed("name is not UTF-8"))?;
    let has_token = match r.take(1)?[0] {
        0 => false,
        1 => true,
        _ => return Err(malformed("bad token flag")),
    };
    let token = String::from_utf8(r.field(MAX_TOKEN_LEN)?.to_vec()).map_err(|_| malformed("token is not UTF-8"))?;
    let key_package = r.field(MAX_KEY_PACKAGE_LEN)?.to_vec();
    let instance = match r.field(16)? {
        [] => None,
        bytes => Some(MeetingInstance::from_slice(bytes).ok_or_else(|| malformed("the instance is not 16 bytes"))?),
    };
    if r.data[r.at..].iter().any(|&b| b != 0) {
        return Err(malformed("non-zero padding"));
    }
    if name.trim().is_empty() || key_package.is_empty() {
        return Err(malformed("empty name or KeyPackage"));
    }
    Ok(KnockProfile { display_name: name, invite_token: has_token.then_some(token), key_package, instance })
}

/// Reads length-prefixed fields of the sealed profile.
struct Reader<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], E2eeError> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.data.len());
        let end = end.ok_or_else(|| E2eeError::malformed("knock", "truncated"))?;
        let s = &self.data[self.at..end];
        self.at = end;
        Ok(s)
    }

    fn field(&mut self, max: usize) -> Result<&'a [u8], E2eeError> {
        let len = u32::from_be_bytes(self.take(4)?.try_into().expect("4 bytes")) as usize;
        if len > max {
            return Err(E2eeError::malformed("knock", "field too long"));
        }
        self.take(len)
    }
}

#[cfg(test)]
mod tests {
    use rand_core_06::SeedableRng;

    use super::*;

    fn profile() -> KnockProfile {
        KnockProfile {
            display_name: "Åsa Nordmann".into(),
            invite_token: Some("tok-123".into()),
            key_package: vec![0xab; 300],
            instance: Some(MeetingInstance::from_bytes([5; 16])),
        }
    }

    #[test]
    fn seals_and_opens_with_the_link_secret_only() {
        let mut rng = rand_chacha_03::ChaCha20Rng::seed_from_u64(1);
        let secret = b"0123456789abcdef-link-secret";
        let blob = seal_knock(secret, &profile(), &mut rng).unwrap();
        assert_eq!(open_knock(secret, &blob).unwrap(), profile());
        assert!(!blob.windows(4).any(|w| w == b"Nord"), "the name is not in clear");
        assert_eq!(open_knock(b"another link secret!", &blob).unwrap_err().code(), "e2ee.authentication");
        let no_token = KnockProfile { invite_token: None, ..profile() };
        let blob2 = seal_knock(secret, &no_token, &mut rng).unwrap();
        assert_eq!(open_knock(secret, &blob2).unwrap(), no_token);
        let introduction = KnockProfile { instance: None, ..profile() };
        let blob3 = seal_knock(secret, &introduction, &mut rng).unwrap();
        assert_eq!(open_knock(secret, &blob3).unwrap().instance, None, "an introduction names no run");
    }

    #[test]
    fn name_length_is_hidden_by_padding() {
        let mut rng = rand_chacha_03::ChaCha20Rng::seed_from_u64(2);
        let secret = [7u8; 32];
        let short = seal_knock(&secret, &KnockProfile { display_name: "Al".into(), ..profile() }, &mut rng).unwrap();
        let long =
            seal_knock(&secret, &KnockProfile { display_name: "Alexandra Christina".into(), ..profile() }, &mut rng)
                .unwrap();
        assert_eq!(short.len(), long.len());
    }

    #[test]
    fn whether_a_knock_carries_an_invitation_does_not_show_in_its_size() {
        let mut rng = rand_chacha_03::ChaCha20Rng::seed_from_u64(4);
        let secret = [7u8; 32];
        let longest = "x".repeat(MAX_TOKEN_LEN);
        let sizes: Vec<usize> = [None, Some("t".to_string()), Some(longest)]
            .into_iter()
            .map(|invite_token| {
                seal_knock(&secret, &KnockProfile { invite_token, ..profile() }, &mut rng).unwrap().len()
            })
            .collect();
        assert!(sizes.iter().all(|&n| n == sizes[0]), "{sizes:?}");
    }

    #[test]
    fn every_flipped_byte_and_truncation_is_refused() {
        let mut rng = rand_chacha_03::ChaCha20Rng::seed_from_u64(3);
        let secret = [9u8; 32];
        let blob = seal_knock(&secret, &profile(), &mut rng).unwrap();
        for i in 0..blob.len() {
            let mut bad = blob.clone();
            bad[i] ^= 0x20;
            assert!(open_knock(&secret, &bad).is_err(), "byte {i}");
        }
        for n in 0..blob.len() {
            assert!(open_knock(&secret, &blob[..n]).is_err());
        }
        assert!(seal_knock(b"short", &profile(), &mut rng).is_err());
        assert!(seal_knock(&secret, &KnockProfile { display_name: "  ".into(), ..profile() }, &mut rng).is_err());
    }
}
