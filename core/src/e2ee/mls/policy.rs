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
//! of RFC 9420 §17.3): `version (2) ‖ locked (0|1) ‖ host_key_len (1) ‖ host_key ‖ cohosts (1) ‖
//! (key_len (1) ‖ key)*`. Version 1 (no co-hosts) is still read.
//!
//! The co-hosts are here for the same reason as the host: a co-host's approval of a knock is
//! believed by the host only when the group says that member is a co-host, never because the
//! server says so.

use crate::e2ee::E2eeError;

/// The GroupContext extension type of the meeting policy.
pub const POLICY_EXTENSION_TYPE: u16 = 0xF7A0;

const VERSION: u8 = 2;

/// The most co-hosts a meeting may have.
pub const MAX_COHOSTS: usize = 32;

/// Host and lock of one epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingPolicy {
    /// The host's signature (identity) public key.
    pub host: Vec<u8>,
    /// When locked, members refuse any commit that adds someone.
    pub locked: bool,
    /// The co-hosts' identity public keys (whose approvals of knocks the host honours).
    pub cohosts: Vec<Vec<u8>>,
}

impl MeetingPolicy {
    /// The extension's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![VERSION, u8::from(self.locked), self.host.len() as u8];
        out.extend_from_slice(&self.host);
        out.push(self.cohosts.len() as u8);
        for k in &self.cohosts {
            out.push(k.len() as u8);
            out.extend_from_slice(k);
        }
        out
    }

    /// Parses the extension's bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self, E2eeError> {
        let bad = |why: &str| E2eeError::malformed("meeting policy", why);
        let [version, locked, len, rest @ ..] = bytes else { return Err(bad("too short")) };
        if !matches!(*version, 1 | VERSION) {
            return Err(bad("unknown version"));
        }
        let locked = match locked {
            0 => false,
            1 => true,
            _ => return Err(bad("bad lock flag")),
        };
        let len = usize::from(*len);
        if len == 0 || rest.len() < len {
            return Err(bad("bad host key length"));
        }
        let (host, mut rest) = rest.split_at(len);
        let mut cohosts = Vec::new();
        if *version == 1 {
            if !rest.is_empty() {
                return Err(bad("bad host key length"));
            }
        } else {
            let [n, tail @ ..] = rest else { return Err(bad("no co-host count")) };
            rest = tail;
            if usize::from(*n) > MAX_COHOSTS {
                return Err(bad("too many co-hosts"));
            }
            for _ in 0..*n {
                let [klen, tail @ ..] = rest else { return Err(bad("a co-host key is cut short")) };
                let klen = usize::from(*klen);
                if klen == 0 || tail.len() < klen {
                    return Err(bad("a co-host key is cut short"));
                }
                cohosts.push(tail[..klen].to_vec());
                rest = &tail[klen..];
            }
            if !rest.is_empty() {
                return Err(bad("bytes after the co-hosts"));
            }
        }
        Ok(Self { host: host.to_vec(), locked, cohosts })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_garbage() {
        let p = MeetingPolicy { host: vec![1; 32], locked: true, cohosts: vec![] };
        assert_eq!(MeetingPolicy::decode(&p.encode()).unwrap(), p);
        let p = MeetingPolicy { host: vec![1; 32], locked: false, cohosts: vec![vec![2; 32], vec![3; 32]] };
        assert_eq!(MeetingPolicy::decode(&p.encode()).unwrap(), p);
        assert_eq!(
            MeetingPolicy::decode(&[1, 1, 1, 9]).unwrap(),
            MeetingPolicy { host: vec![9], locked: true, cohosts: vec![] },
            "version 1 is still read"
        );
        let cut = MeetingPolicy { host: vec![1; 4], locked: false, cohosts: vec![vec![2; 4]] }.encode();
        for bad in [
            &[][..],
            &[1, 0],
            &[3, 0, 1, 9],
            &[1, 2, 1, 9],
            &[1, 0, 2, 9],
            &[1, 0, 0],
            &[2, 0, 1, 9],
            &[2, 0, 1, 9, 1],
            &[2, 0, 1, 9, 1, 0],
            &[2, 0, 1, 9, 0, 7],
            &[2, 0, 1, 9, 33],
            &cut[..cut.len() - 1],
        ] {
            assert!(MeetingPolicy::decode(bad).is_err(), "{bad:?}");
        }
    }
}
