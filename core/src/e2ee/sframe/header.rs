//! The SFrame header (RFC 9605 §4.3): a config byte, then KID and CTR as minimal-length
//! big-endian integers. Values 0–7 ride in the config byte itself.
//!
//! ```text
//!  0 1 2 3 4 5 6 7
//! +-+-+-+-+-+-+-+-+------------+------------+
//! |X|  K  |Y|  C  |   KID...   |   CTR...   |
//! +-+-+-+-+-+-+-+-+------------+------------+
//! ```

use crate::e2ee::E2eeError;

/// The longest header: config byte + 8-byte KID + 8-byte CTR.
pub const MAX_HEADER_LEN: usize = 17;

/// Key ID and counter of one SFrame ciphertext.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Header {
    /// Key ID: names the key (for Trygg: epoch bits, sender index, stream context).
    pub kid: u64,
    /// Counter: the nonce input, unique per key.
    pub ctr: u64,
}

/// Bytes needed for `v` (≥ 1).
fn byte_len(v: u64) -> usize {
    (8 - (v.leading_zeros() as usize / 8)).max(1)
}

impl Header {
    /// Encoded length in bytes.
    pub fn len(&self) -> usize {
        let part = |v: u64| if v < 8 { 0 } else { byte_len(v) };
        1 + part(self.kid) + part(self.ctr)
    }

    /// Never empty: at least the config byte. (For clippy's `len` without `is_empty`.)
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Writes the header into `out` (which must hold [`MAX_HEADER_LEN`] bytes); returns its length.
    pub fn encode_into(&self, out: &mut [u8; MAX_HEADER_LEN]) -> usize {
        let mut n = 1;
        let mut config = 0u8;
        let mut put = |v: u64, flag: u8, shift: u32, n: &mut usize| {
            if v < 8 {
                config |= (v as u8) << shift;
            } else {
                let len = byte_len(v);
                config |= flag | (((len - 1) as u8) << shift);
                out[*n..*n + len].copy_from_slice(&v.to_be_bytes()[8 - len..]);
                *n += len;
            }
        };
        put(self.kid, 0x80, 4, &mut n);
        put(self.ctr, 0x08, 0, &mut n);
        out[0] = config;
        n
    }

    /// The header as bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut buf = [0u8; MAX_HEADER_LEN];
        let n = self.encode_into(&mut buf);
        buf[..n].to_vec()
    }

    /// Parses the header at the start of `data`; returns it and its encoded length.
    ///
    /// Non-minimal encodings (a KID of 5 in an extended field, leading zero bytes) are refused:
    /// RFC 9605 says the value MUST use the minimum number of bytes, and accepting two encodings
    /// of one (KID, CTR) would let a forwarder change the authenticated header bytes.
    pub fn parse(data: &[u8]) -> Result<(Self, usize), E2eeError> {
        let malformed = |why: &str| E2eeError::malformed("SFrame header", why);
        let config = *data.first().ok_or_else(|| malformed("empty"))?;
        let mut at = 1;
        let mut field = |extended: bool, bits: u8, name: &str| -> Result<u64, E2eeError> {
            if !extended {
                return Ok(u64::from(bits));
            }
            let len = usize::from(bits) + 1;
            let bytes = data.get(at..at + len).ok_or_else(|| malformed(&format!("truncated {name}")))?;
            at += len;
            let v = bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
            if v < 8 || byte_len(v) != len {
                return Err(malformed(&format!("{name} not minimally encoded")));
            }
            Ok(v)
        };
        let kid = field(config & 0x80 != 0, (config >> 4) & 0x07, "KID")?;
        let ctr = field(config & 0x08 != 0, config & 0x07, "CTR")?;
        Ok((Self { kid, ctr }, at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_and_extended_forms() {
        assert_eq!(Header { kid: 0, ctr: 0 }.encode(), [0x00]);
        assert_eq!(Header { kid: 7, ctr: 7 }.encode(), [0x77]);
        assert_eq!(Header { kid: 8, ctr: 0 }.encode(), [0x80, 0x08]);
        assert_eq!(Header { kid: 3, ctr: 256 }.encode(), [0x39, 0x01, 0x00]);
        let max = Header { kid: u64::MAX, ctr: u64::MAX };
        assert_eq!(max.encode().len(), MAX_HEADER_LEN);
        for h in [Header { kid: 0x1234, ctr: 0x56789a }, max, Header { kid: 1 << 40, ctr: 9 }] {
            let bytes = h.encode();
            assert_eq!(bytes.len(), h.len());
            assert_eq!(Header::parse(&bytes).unwrap(), (h, bytes.len()));
        }
    }

    #[test]
    fn refuses_truncated_and_non_minimal() {
        assert!(Header::parse(&[]).is_err());
        assert!(Header::parse(&[0x80]).is_err());
        assert!(Header::parse(&[0x89, 0x10, 0x01]).is_err());
        assert!(Header::parse(&[0x80, 0x05]).is_err(), "KID 5 must be compact");
        assert!(Header::parse(&[0x90, 0x00, 0x10]).is_err(), "leading zero byte");
    }
}
