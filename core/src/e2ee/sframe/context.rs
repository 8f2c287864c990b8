//! Per-sender contexts: a [`SenderContext`] owns one key for encryption and its counter; a
//! [`ReceiverContext`] owns one key for decryption and its replay window. RFC 9605 requires a
//! key to be used for one direction only, which these types make structural.

use super::header::Header;
use super::key::FrameKey;
use super::replay::{ReplayVerdict, ReplayWindow};
use crate::e2ee::E2eeError;

/// Why a received frame was dropped. Every drop is counted in [`FrameStats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dropped {
    /// The header does not parse, or the frame is shorter than a tag.
    Malformed,
    /// No key for this KID (never admitted, an epoch not yet known, or one past its grace period).
    UnknownKid,
    /// The tag did not verify: tampered, forged, or sealed under another key.
    AuthFailed,
    /// This counter was already accepted for this key.
    Replay,
    /// The counter is below the replay window.
    TooOld,
}

/// Counters of what happened to frames. Never reset implicitly.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct FrameStats {
    /// Frames encrypted.
    pub encrypted: u64,
    /// Frames decrypted and authenticated.
    pub decrypted: u64,
    /// Dropped: malformed.
    pub dropped_malformed: u64,
    /// Dropped: authentication failed.
    pub dropped_auth_failed: u64,
    /// Dropped: replayed counter.
    pub dropped_replay: u64,
    /// Dropped: no key for the KID.
    pub dropped_unknown_kid: u64,
    /// Dropped: counter below the replay window.
    pub dropped_too_old: u64,
}

impl FrameStats {
    /// Counts one drop.
    pub fn count(&mut self, why: Dropped) {
        let c = match why {
            Dropped::Malformed => &mut self.dropped_malformed,
            Dropped::UnknownKid => &mut self.dropped_unknown_kid,
            Dropped::AuthFailed => &mut self.dropped_auth_failed,
            Dropped::Replay => &mut self.dropped_replay,
            Dropped::TooOld => &mut self.dropped_too_old,
        };
        *c += 1;
    }

    /// All drops together.
    pub fn dropped(&self) -> u64 {
        self.dropped_malformed
            + self.dropped_auth_failed
            + self.dropped_replay
            + self.dropped_unknown_kid
            + self.dropped_too_old
    }
}

/// One key used for encryption, with the next counter.
#[derive(Debug)]
pub struct SenderContext {
    key: FrameKey,
    next_ctr: u64,
    exhausted: bool,
}

impl SenderContext {
    /// A sender starting at counter 0.
    pub fn new(key: FrameKey) -> Self {
        Self { key, next_ctr: 0, exhausted: false }
    }

    /// The counter the next frame will use.
    pub fn next_counter(&self) -> u64 {
        self.next_ctr
    }

    /// The key's KID.
    pub fn kid(&self) -> u64 {
        self.key.kid()
    }

    /// Encrypts one frame into `out`. Each call uses a fresh counter; after 2^64 frames the key
    /// refuses (a nonce must never repeat).
    pub fn encrypt(&mut self, metadata: &[u8], plaintext: &[u8], out: &mut Vec<u8>) -> Result<(), E2eeError> {
        if self.exhausted {
            return Err(E2eeError::CounterExhausted);
        }
        self.key.seal(self.next_ctr, metadata, plaintext, out);
        match self.next_ctr.checked_add(1) {
            Some(n) => self.next_ctr = n,
            None => self.exhausted = true,
        }
        Ok(())
    }
}

/// One key used for decryption, with its replay window.
#[derive(Debug)]
pub struct ReceiverContext {
    key: FrameKey,
    window: ReplayWindow,
}

impl ReceiverContext {
    /// A receiver that has seen nothing.
    pub fn new(key: FrameKey) -> Self {
        Self { key, window: ReplayWindow::new() }
    }

    /// Decrypts a frame whose header was parsed already and names this key.
    pub fn decrypt(
        &mut self,
        header: &Header,
        header_bytes: &[u8],
        metadata: &[u8],
        body: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), Dropped> {
        match self.window.check(header.ctr) {
            ReplayVerdict::Fresh => {}
            ReplayVerdict::Replayed => return Err(Dropped::Replay),
            ReplayVerdict::TooOld => return Err(Dropped::TooOld),
        }
        self.key.open(header, header_bytes, metadata, body, out).map_err(|e| match e {
            E2eeError::Authentication { .. } => Dropped::AuthFailed,
            _ => Dropped::Malformed,
        })?;
        self.window.mark(header.ctr);
        Ok(())
    }
}
