//! SFrame cipher suites (RFC 9605 §4.5) and which one Trygg uses for what.

use crate::e2ee::E2eeError;

/// The five cipher suites of RFC 9605. All pass the RFC's test vectors here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[non_exhaustive]
pub enum CipherSuite {
    /// 0x0001: AES-128-CTR + HMAC-SHA256, 80-bit tag.
    AesCtr128HmacSha256_80,
    /// 0x0002: AES-128-CTR + HMAC-SHA256, 64-bit tag.
    AesCtr128HmacSha256_64,
    /// 0x0003: AES-128-CTR + HMAC-SHA256, 32-bit tag. Trygg's audio suite (see the module docs).
    AesCtr128HmacSha256_32,
    /// 0x0004: AES-128-GCM, SHA-256 key schedule, 128-bit tag. Trygg's video suite.
    AesGcm128Sha256,
    /// 0x0005: AES-256-GCM, SHA-512 key schedule, 128-bit tag.
    AesGcm256Sha512,
}

impl CipherSuite {
    /// The suite by its IANA number.
    pub fn from_id(id: u16) -> Result<Self, E2eeError> {
        Ok(match id {
            1 => Self::AesCtr128HmacSha256_80,
            2 => Self::AesCtr128HmacSha256_64,
            3 => Self::AesCtr128HmacSha256_32,
            4 => Self::AesGcm128Sha256,
            5 => Self::AesGcm256Sha512,
            other => return Err(E2eeError::malformed("SFrame cipher suite", format!("unknown suite {other:#06x}"))),
        })
    }

    /// The IANA number, as it enters the key schedule.
    pub fn id(self) -> u16 {
        match self {
            Self::AesCtr128HmacSha256_80 => 1,
            Self::AesCtr128HmacSha256_64 => 2,
            Self::AesCtr128HmacSha256_32 => 3,
            Self::AesGcm128Sha256 => 4,
            Self::AesGcm256Sha512 => 5,
        }
    }

    /// `AEAD.Nk`: key length (for CTR-HMAC: AES key + HMAC key).
    pub fn key_len(self) -> usize {
        match self {
            Self::AesCtr128HmacSha256_80 | Self::AesCtr128HmacSha256_64 | Self::AesCtr128HmacSha256_32 => 48,
            Self::AesGcm128Sha256 => 16,
            Self::AesGcm256Sha512 => 32,
        }
    }

    /// `AEAD.Nn`: nonce length.
    pub fn nonce_len(self) -> usize {
        12
    }

    /// `AEAD.Nt`: tag length, the per-frame overhead besides the header.
    pub fn tag_len(self) -> usize {
        match self {
            Self::AesCtr128HmacSha256_80 => 10,
            Self::AesCtr128HmacSha256_64 => 8,
            Self::AesCtr128HmacSha256_32 => 4,
            Self::AesGcm128Sha256 | Self::AesGcm256Sha512 => 16,
        }
    }

    /// Whether the key schedule hashes with SHA-512 (else SHA-256).
    pub(crate) fn uses_sha512(self) -> bool {
        matches!(self, Self::AesGcm256Sha512)
    }
}
