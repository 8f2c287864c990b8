//! SFrame keys from MLS (RFC 9605 §5.2): which key encrypts and decrypts each media frame, in
//! every epoch, with a grace period for frames in flight when the epoch changes.
//!
//! ## Keys and KIDs
//!
//! For each MLS epoch and each SFrame suite in use:
//!
//! ```text
//! base_key = MLS-Exporter("SFrame 1.0 Base Key", "", AEAD.Nk)
//! KID      = (context << (S + E)) + (sender_index << E) + (epoch mod 2^E)
//! ```
//!
//! then `sframe_key`/`sframe_salt` from `(base_key, KID)` as in [`super::sframe::key`]. The
//! sender index is the member's MLS leaf index; `S` is the smallest number of bits that holds
//! every leaf index of the epoch (all members compute the same from the same tree); `E` is
//! [`EPOCH_BITS`] = 2, so up to four epochs can be told apart — the current one and up to three
//! still in their grace period. The `context` tells a sender's streams apart that share a
//! suite: 0 for the microphone and the camera (different suites, hence different keys), 1 for a
//! screen share. With context 0 and fewer than 64 leaves a KID fits in one byte.
//!
//! A key is used in one direction only (RFC 9605 §4.4.1): this device encrypts under its own
//! index and never accepts a frame that claims to be from it.
//!
//! ## Epoch changes and the grace period
//!
//! [`MediaKeys::install`] is called with the new epoch's keys as soon as this device has merged
//! the commit. From then on it *sends* with the new keys only: a removed member cannot decrypt a
//! single frame sent after it. It keeps the previous epochs' *receive* keys for
//! [`DEFAULT_GRACE`] (2 s, measured on the caller's clock) so that frames already in flight or in
//! a jitter buffer, and frames from members that merge the commit a moment later, still play.
//! After that, or as soon as a newer epoch reuses the same low epoch bits (RFC 9605 §5.2 MUST),
//! they are gone and such frames count as `dropped_unknown_kid`.
//!
//! ## Counters and re-keying
//!
//! Counters start at 0 in every epoch. Audio frames must keep a 2-byte counter to stay in the
//! 10 % overhead budget (see [`super::sframe`]), so [`MediaKeys::wants_rekey`] turns true when an
//! audio counter reaches [`REKEY_AUDIO_COUNTER`] (60 000 frames, 20 minutes); the host then
//! commits a self-update ([`super::mls::MeetingGroup::rekey`]), which also gives post-compromise
//! security.
//!
//! Time is an input (`now` in microseconds on any monotonic clock the caller picks); this type
//! never reads a clock.

use std::collections::HashMap;
use std::time::Duration;

use super::E2eeError;
use super::sframe::{CipherSuite, Dropped, FrameKey, FrameStats, Header, ReceiverContext, SenderContext};
use crate::secrets::Sensitive;

/// `E`: low bits of the epoch carried in the KID.
pub const EPOCH_BITS: u32 = 2;

/// How long the previous epochs' receive keys stay after a new epoch is installed.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(2);

/// The audio counter at which a re-key is due (keeps the counter within 2 bytes, < 65 536).
pub const REKEY_AUDIO_COUNTER: u64 = 60_000;

/// The label of the MLS exporter for SFrame base keys (RFC 9605 §5.2).
pub const EXPORTER_LABEL: &str = "SFrame 1.0 Base Key";

/// Audio or video: decides the cipher suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    /// Opus frames: `AES_128_CTR_HMAC_SHA256_32`.
    Audio,
    /// H.264 NAL units: `AES_128_GCM_SHA256_128`.
    Video,
}

impl MediaKind {
    /// The SFrame suite for this kind of media.
    pub fn suite(self) -> CipherSuite {
        match self {
            Self::Audio => CipherSuite::AesCtr128HmacSha256_32,
            Self::Video => CipherSuite::AesGcm128Sha256,
        }
    }
}

/// One outgoing stream of a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StreamKind {
    /// The microphone.
    Audio,
    /// The camera.
    Camera,
    /// A shared screen or window.
    Screen,
}

impl StreamKind {
    /// Audio or video.
    pub fn media(self) -> MediaKind {
        match self {
            Self::Audio => MediaKind::Audio,
            Self::Camera | Self::Screen => MediaKind::Video,
        }
    }

    /// The KID context value.
    pub fn context(self) -> u64 {
        match self {
            Self::Audio | Self::Camera => 0,
            Self::Screen => 1,
        }
    }

    fn from_parts(media: MediaKind, context: u64) -> Option<Self> {
        match (media, context) {
            (MediaKind::Audio, 0) => Some(Self::Audio),
            (MediaKind::Video, 0) => Some(Self::Camera),
            (MediaKind::Video, 1) => Some(Self::Screen),
            _ => None,
        }
    }
}

/// What one epoch gives the media layer: base keys, this member's index, the member indices.
/// Made by [`super::mls::MeetingGroup::epoch_keys`].
#[derive(Debug, Clone)]
pub struct EpochKeys {
    /// The MLS epoch.
    pub epoch: u64,
    /// This member's leaf index.
    pub own_index: u32,
    /// Leaf indices of all members (including this one).
    pub members: Vec<u32>,
    audio_base: Sensitive<Vec<u8>>,
    video_base: Sensitive<Vec<u8>>,
}

impl EpochKeys {
    /// Builds the epoch's keys from an MLS exporter (`export(label, context, length)`).
    pub fn from_exporter(
        epoch: u64,
        own_index: u32,
        mut members: Vec<u32>,
        mut export: impl FnMut(&str, &[u8], usize) -> Result<Vec<u8>, E2eeError>,
    ) -> Result<Self, E2eeError> {
        members.sort_unstable();
        members.dedup();
        let audio_base = Sensitive::new(export(EXPORTER_LABEL, b"", MediaKind::Audio.suite().key_len())?);
        let video_base = Sensitive::new(export(EXPORTER_LABEL, b"", MediaKind::Video.suite().key_len())?);
        Ok(Self { epoch, own_index, members, audio_base, video_base })
    }

    /// `S`: bits for a leaf index in this epoch.
    pub fn index_bits(&self) -> u32 {
        let leaves = self.members.last().map_or(1, |&m| u64::from(m) + 1);
        64 - (leaves - 1).leading_zeros()
    }

    /// The KID `sender` uses for `stream` in this epoch.
    pub fn kid(&self, stream: StreamKind, sender: u32) -> u64 {
        let s = self.index_bits();
        (stream.context() << (s + EPOCH_BITS)) | (u64::from(sender) << EPOCH_BITS) | self.epoch_bits()
    }

    fn epoch_bits(&self) -> u64 {
        self.epoch & ((1 << EPOCH_BITS) - 1)
    }

    fn base(&self, media: MediaKind) -> &[u8] {
        match media {
            MediaKind::Audio => self.audio_base.expose(),
            MediaKind::Video => self.video_base.expose(),
        }
    }

    /// Splits a KID of this epoch into (sender index, context), if it is well-formed for it.
    fn split(&self, kid: u64) -> (u64, u64) {
        let s = self.index_bits();
        let index = (kid >> EPOCH_BITS) & ((1u64 << s) - 1);
        let context = kid.checked_shr(s + EPOCH_BITS).unwrap_or(0);
        (index, context)
    }
}

/// Who sent a frame that decrypted, as its KID says (authenticated by the frame's tag).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct FrameOrigin {
    /// The epoch whose key opened it.
    pub epoch: u64,
    /// The sender's leaf index.
    pub sender: u32,
    /// Which of the sender's streams.
    pub stream: StreamKind,
}

#[derive(Debug)]
struct EpochState {
    keys: EpochKeys,
    receivers: HashMap<(u64, CipherSuite), ReceiverContext>,
    /// When its receive keys go (None for the current epoch).
    expires_at: Option<Duration>,
}

/// All SFrame keys of one member: its senders in the current epoch and its receivers in the
/// current and recent epochs, with stats. See the module docs.
#[derive(Debug)]
pub struct MediaKeys {
    epochs: Vec<EpochState>,
    senders: HashMap<StreamKind, SenderContext>,
    grace: Duration,
    stats: FrameStats,
}

impl Default for MediaKeys {
    fn default() -> Self {
        Self::new(DEFAULT_GRACE)
    }
}

impl MediaKeys {
    /// No keys yet; previous epochs are kept for `grace` after each epoch change.
    pub fn new(grace: Duration) -> Self {
        Self { epochs: Vec::new(), senders: HashMap::new(), grace, stats: FrameStats::default() }
    }

    /// Installs a new epoch at time `now`: sends with it from now on, keeps older epochs'
    /// receive keys for the grace period. Epochs must go forward.
    pub fn install(&mut self, now: Duration, keys: EpochKeys) -> Result<(), E2eeError> {
        if let Some(current) = self.current()
            && keys.epoch <= current.keys.epoch
        {
            return Err(E2eeError::State("an SFrame epoch can only be replaced by a newer one"));
        }
        let expires = now.saturating_add(self.grace);
        for e in &mut self.epochs {
            e.expires_at.get_or_insert(expires);
        }
        let bits = keys.epoch_bits();
        self.epochs.retain(|e| e.keys.epoch_bits() != bits);
        self.epochs.push(EpochState { keys, receivers: HashMap::new(), expires_at: None });
        self.senders.clear();
        Ok(())
    }

    /// Forgets every key (this device left or was removed).
    pub fn clear(&mut self) {
        self.epochs.clear();
        self.senders.clear();
    }

    /// The current epoch, if any.
    pub fn epoch(&self) -> Option<u64> {
        self.current().map(|e| e.keys.epoch)
    }

    fn current(&self) -> Option<&EpochState> {
        self.epochs.iter().find(|e| e.expires_at.is_none())
    }

    /// What happened to frames so far.
    pub fn stats(&self) -> FrameStats {
        self.stats
    }

    /// True when an audio counter is close to needing a third byte: time for the host to re-key.
    pub fn wants_rekey(&self) -> bool {
        self.senders.get(&StreamKind::Audio).is_some_and(|s| s.next_counter() >= REKEY_AUDIO_COUNTER)
    }

    /// Encrypts one frame of `stream` with the current epoch's key into `out`.
    pub fn encrypt(
        &mut self,
        stream: StreamKind,
        metadata: &[u8],
        frame: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), E2eeError> {
        if !self.senders.contains_key(&stream) {
            let current = self.current().ok_or(E2eeError::State("no epoch keys yet: not admitted"))?;
            let keys = &current.keys;
            let key =
                FrameKey::new(stream.media().suite(), keys.kid(stream, keys.own_index), keys.base(stream.media()));
            self.senders.insert(stream, SenderContext::new(key));
        }
        let sender = self.senders.get_mut(&stream).expect("inserted above");
        sender.encrypt(metadata, frame, out)?;
        self.stats.encrypted += 1;
        Ok(())
    }

    /// Decrypts one frame that arrived on an audio or video track at `now`. Frames that do not
    /// decrypt are counted in [`MediaKeys::stats`] and returned as the reason.
    pub fn decrypt(
        &mut self,
        now: Duration,
        media: MediaKind,
        metadata: &[u8],
        frame: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<FrameOrigin, Dropped> {
        let result = self.decrypt_uncounted(now, media, metadata, frame, out);
        match result {
            Ok(_) => self.stats.decrypted += 1,
            Err(why) => self.stats.count(why),
        }
        result
    }

    fn decrypt_uncounted(
        &mut self,
        now: Duration,
        media: MediaKind,
        metadata: &[u8],
        frame: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<FrameOrigin, Dropped> {
        self.epochs.retain(|e| e.expires_at.is_none_or(|t| now < t));
        let (header, hlen) = Header::parse(frame).map_err(|_| Dropped::Malformed)?;
        let bits = header.kid & ((1 << EPOCH_BITS) - 1);
        let state = self.epochs.iter_mut().find(|e| e.keys.epoch_bits() == bits).ok_or(Dropped::UnknownKid)?;
        let (index, context) = state.keys.split(header.kid);
        let sender = u32::try_from(index).map_err(|_| Dropped::UnknownKid)?;
        let stream = StreamKind::from_parts(media, context).ok_or(Dropped::UnknownKid)?;
        if sender == state.keys.own_index || state.keys.members.binary_search(&sender).is_err() {
            return Err(Dropped::UnknownKid);
        }
        let suite = media.suite();
        let keys = &state.keys;
        let rx = state
            .receivers
            .entry((header.kid, suite))
            .or_insert_with(|| ReceiverContext::new(FrameKey::new(suite, header.kid, keys.base(media))));
        rx.decrypt(&header, &frame[..hlen], metadata, &frame[hlen..], out)?;
        Ok(FrameOrigin { epoch: state.keys.epoch, sender, stream })
    }
}

#[cfg(test)]
mod tests;
