//! SFrame (RFC 9605): per-frame end-to-end encryption of media, implemented here on `ring`'s
//! AES-GCM (plus RustCrypto AES-CTR/HMAC for the short-tag suites).
//!
//! An SFrame ciphertext is `header ‖ AEAD(key, nonce, aad = header ‖ metadata, frame)`; the
//! header carries a key ID (KID) and a counter (CTR) in as few bytes as they need
//! ([`header`]). Keys come from a per-epoch base key and the KID ([`key`]); how Trygg gets base
//! keys from MLS and lays out KIDs is in [`crate::e2ee::media_keys`].
//!
//! ## Cipher suites: audio CTR-HMAC-32, video GCM-128
//!
//! The budget: overhead ≤ 10 % of a 32 kbit/s Opus stream and ≤ 0.5 % of a 720p video stream.
//!
//! *Audio.* 32 kbit/s in 20 ms frames is 80 bytes per frame, so the budget is **8 bytes per
//! frame**. The header is 1 config byte + 1 KID byte (KIDs up to 255: up to 64 senders, see
//! `media_keys`) + 2 CTR bytes (counters up to 65 535, i.e. 21.8 minutes of audio per epoch) =
//! 4 bytes, leaving 4 bytes for the tag:
//!
//! | suite | tag | header + tag | share of 80 B |
//! |---|---|---|---|
//! | `AES_128_GCM_SHA256_128` | 16 | 20 B | 25 % |
//! | `AES_128_CTR_HMAC_SHA256_64` | 8 | 12 B | 15 % |
//! | **`AES_128_CTR_HMAC_SHA256_32`** | 4 | **8 B** | **10 %** (7 B = 8.75 % while CTR < 256; 1 B less when KID < 8) |
//!
//! So audio uses suite 0x0003. A 32-bit tag means a forger has a 2^-32 chance per attempt; RFC
//! 9605 §9.5 lists the mitigations, and Trygg has all of them: SFrame frames only arrive inside
//! DTLS-SRTP (only a party of that association can try), audio arrives at a predictable 50
//! frames/s (at that rate one forgery takes ~2.7 years on average), and the replay window
//! makes every success single-use. A forged 20 ms of audio is a click, not a key compromise.
//! To keep the counter at 2 bytes, the host re-keys (an MLS commit, new epoch) before any audio
//! counter reaches 2^16 — [`crate::e2ee::media_keys::MediaKeys::wants_rekey`] says when.
//!
//! *Video.* 720p at 1.5 Mbit/s and 30 fps is ~6 250 bytes per frame; 0.5 % is 31 bytes. Trygg
//! encrypts each H.264 NAL unit separately ([`crate::e2ee::h264`]): 1 + 1 + 3 header bytes + 16
//! tag + 1 framing byte = 22 bytes per NAL unit (+ emulation-prevention bytes, ~0.00002 % of
//! random data), 0.35 % for the usual one slice per frame. So video keeps the full 128-bit
//! `AES_128_GCM_SHA256_128` (0x0004), the suite the RFC's GCM vectors cover and the fastest one.
//!
//! Audio and video of one sender share a KID: the suite id is part of the key derivation, so
//! they use different keys and independent counters never collide. A second video stream
//! (screen share) uses another KID context (see `media_keys`).
//!
//! ## What stays in clear
//!
//! The SFrame header (which sender, which epoch, how many frames so far), frame sizes and
//! timing, and for H.264 the start codes and NAL header bytes (so NAL types: keyframes, SPS,
//! PPS). Never the media.

pub mod context;
pub mod header;
pub mod key;
pub mod replay;
mod suite;

pub use context::{Dropped, FrameStats, ReceiverContext, SenderContext};
pub use header::Header;
pub use key::FrameKey;
pub use suite::CipherSuite;

#[cfg(test)]
mod rfc_vectors;
