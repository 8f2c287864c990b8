//! The security code: 16 digits every member of an epoch sees alike.
//!
//! It is derived from the MLS *epoch authenticator* (RFC 9420 §8.7), a secret of the epoch's key
//! schedule that every member has and no one else: equal codes mean both devices are in the
//! same group state — same members, same keys. A server that substituted a joiner's KeyPackage
//! (putting itself in the middle) would have to run two groups, one with the host and one with
//! the joiner, and their epoch authenticators differ, so the codes differ. The code changes
//! whenever the epoch does (every join, leave, lock, re-key).
//!
//! ```text
//! digits = HKDF-Expand(PRK = epoch_authenticator, info = "trygg/security-code/v1", 8) as u64 mod 10^16
//! shown  = "4821 0937 5562 1049"
//! ```
//!
//! Why 16 digits: people read it aloud, so it must be short; it is compared live, within the
//! epoch, so an attacker gets one try. To fake a match, a member-in-the-middle must find a group
//! state of its own whose code equals the real one: ~2^53 commits (each one a signature and HPKE
//! operations, ≥ 0.1 ms), thousands of CPU-years, while the people are still talking. Signal's 60
//! digits protect a long-lived key that can be attacked offline; this code does not need that.

use std::fmt;

use hkdf::Hkdf;
use sha2::Sha256;

/// How many digits.
pub const DIGITS: usize = 16;

/// A meeting's security code for one epoch.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SecurityCode([u8; DIGITS]);

impl SecurityCode {
    /// The code of an epoch authenticator.
    pub fn from_epoch_authenticator(authenticator: &[u8]) -> Self {
        let hk = Hkdf::<Sha256>::from_prk(authenticator).unwrap_or_else(|_| Hkdf::<Sha256>::new(None, authenticator));
        let mut okm = [0u8; 8];
        hk.expand(b"trygg/security-code/v1", &mut okm).expect("8 bytes is a valid HKDF length");
        let mut n = u64::from_be_bytes(okm) % 10u64.pow(DIGITS as u32);
        let mut digits = [0u8; DIGITS];
        for d in digits.iter_mut().rev() {
            *d = (n % 10) as u8;
            n /= 10;
        }
        Self(digits)
    }

    /// The digits, grouped by four: `["4821", "0937", "5562", "1049"]`.
    pub fn groups(&self) -> Vec<String> {
        self.0.chunks(4).map(|c| c.iter().map(|d| char::from(b'0' + d)).collect()).collect()
    }
}

impl fmt::Display for SecurityCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.groups().join(" "))
    }
}

impl fmt::Debug for SecurityCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecurityCode({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sixteen_digits_in_four_groups_deterministic_and_sensitive() {
        let a = SecurityCode::from_epoch_authenticator(&[1; 32]);
        assert_eq!(a, SecurityCode::from_epoch_authenticator(&[1; 32]));
        let shown = a.to_string();
        assert_eq!(shown.len(), 19);
        assert!(shown.split(' ').all(|g| g.len() == 4 && g.bytes().all(|b| b.is_ascii_digit())));
        let mut other = [1u8; 32];
        other[31] ^= 1;
        assert_ne!(a, SecurityCode::from_epoch_authenticator(&other));
    }
}
