//! The meeting policy: who the host is and whether the meeting is locked, kept *inside* the MLS
//! group state as a GroupContext extension.
//!
//! Why there and not in an application message: the GroupContext is what every member's key
//! schedule hashes, so every member agrees on the policy of every epoch, a joiner receives it
//! signed in the Welcome's GroupInfo, and changing it takes a commit (a GroupContextExtensions
//! proposal) that every member checks against the *current* policy before merging. An
//! application-level "I am the host" message would be a second state machine to keep in step
//! with the epochs; the extension cannot drift from them.
//!
//! Encoding (extension type [`POLICY_EXTENSION_TYPE`], from the private-use range 0xF000–0xFFFF
//! of RFC 9420 §17.3): `version (1) ‖ locked (0|1) ‖ host_key_len (1) ‖ host_key`.

use crate::e2ee::E2eeError;

/// The GroupContext extension type of the meeting policy.
pub const POLICY_EXTENSION_TYPE: u16 = 0xF7A0;

const VERSION: u8 = 1;

/// Host and lock of one epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingPolicy {
    /// The host's signature (identity) public key.
    pub host: Vec<u8>,
    /// When locked, members refuse any commit that adds someone.
    pub locked: bool,
}

impl MeetingPolicy {
    /// The extension's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![VERSION, u8::from(self.locked), self.host.len() as u8];
        out.extend_from_slice(&self.host);
        out
    }

    /// Parses the extension's bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self, E2eeError> {
        let bad = |why: &str| E2eeError::malformed("meeting policy", why);
        let [version, locked, len, host @ ..] = bytes else { return Err(bad("too short")) };
        if *version != VERSION {
            return Err(bad("unknown version"));
        }
        let locked = match locked {
            0 => false,
            1 => true,
            _ => return Err(bad("bad lock flag")),
        };
        if host.len() != usize::from(*len) || host.is_empty() {
            return Err(bad("bad host key length"));
        }
        Ok(Self { host: host.to_vec(), locked })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_garbage() {
        let p = MeetingPolicy { host: vec![1; 32], locked: true };
        assert_eq!(MeetingPolicy::decode(&p.encode()).unwrap(), p);
        for bad in [&[][..], &[1, 0], &[2, 0, 1, 9], &[1, 2, 1, 9], &[1, 0, 2, 9], &[1, 0, 0]] {
            assert!(MeetingPolicy::decode(bad).is_err(), "{bad:?}");
        }
    }
}
