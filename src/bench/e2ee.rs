//! `trygg bench e2ee`: SFrame against the raw AEAD it is built on, the overhead it adds to real
//! audio and video, and what MLS costs at 100 and 1000 members.

use std::time::Instant;

use rand_core_06::SeedableRng;
use ring::aead::{AES_128_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use serde::Serialize;

use super::Machine;
use crate::e2ee::E2eeError;
use crate::e2ee::h264::H264Crypt;
use crate::e2ee::identity::DeviceIdentity;
use crate::e2ee::media_keys::{EpochKeys, MediaKeys, MediaKind, StreamKind};
use crate::e2ee::mls::{Joiner, MeetingGroup};
use crate::media::MediaError;
use crate::media::clock::VirtualClock;
use crate::media::h264::{H264Config, H264Encoder};
use crate::media::stats::Percentiles;
use crate::media::synthetic_video::SyntheticVideo;

/// Errors of the benchmark: from the E2EE core or from the video encoder that makes test frames.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// The E2EE core failed.
    #[error(transparent)]
    E2ee(#[from] E2eeError),
    /// The encoder failed.
    #[error(transparent)]
    Media(#[from] MediaError),
    /// A frame that should have decrypted did not.
    #[error("a benchmark frame did not decrypt: {0}")]
    Dropped(String),
}

impl BenchError {
    /// A stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::E2ee(e) => e.code(),
            Self::Media(e) => e.code(),
            Self::Dropped(_) => "bench.dropped",
        }
    }
}

/// SFrame enc+dec against raw AES-128-GCM seal+open (ring), same frame, same run.
#[derive(Debug, Clone, Serialize)]
pub struct SframeSpeed {
    /// Frame size in bytes.
    pub frame_bytes: usize,
    /// Iterations.
    pub iterations: usize,
    /// SFrame encrypt + decrypt through `MediaKeys` (KID lookup, replay window), µs.
    pub sframe_us: Percentiles,
    /// ring AES-128-GCM seal + open of the same bytes, µs.
    pub raw_gcm_us: Percentiles,
    /// sframe p50 / raw p50 (the limit is 2.0).
    pub ratio_p50: f64,
}

/// Bytes SFrame adds.
#[derive(Debug, Clone, Serialize)]
pub struct Overhead {
    /// Opus 20 ms at 32 kbit/s: 80-byte payload.
    pub opus_payload_bytes: usize,
    /// Overhead of the first audio frame (KID < 8 for this sender? see `opus_kid`), bytes.
    pub opus_first_frame_bytes: usize,
    /// Overhead once the counter needs two bytes (frame 256 to 65 535), bytes.
    pub opus_steady_bytes: usize,
    /// `opus_steady_bytes` as a share of a 32 kbit/s stream, percent.
    pub opus_steady_pct_of_32kbps: f64,
    /// 720p H.264 frames encoded by openh264 at 1.5 Mbit/s, then encrypted per NAL unit by a
    /// sender with a one-byte KID whose counter already needs three bytes (the steady state of
    /// a long epoch: the worst case before a re-key).
    pub video_frames: usize,
    /// Mean NAL units per access unit.
    pub video_nals_per_frame: f64,
    /// Mean clear access unit size, bytes.
    pub video_mean_frame_bytes: f64,
    /// Mean overhead per access unit, bytes (headers, tags, trailer, emulation prevention).
    pub video_overhead_bytes_per_frame: f64,
    /// That overhead at 30 fps as a share of 1.5 Mbit/s, percent.
    pub video_overhead_pct_of_1500kbps: f64,
    /// That overhead as a share of the bytes actually produced, percent.
    pub video_overhead_pct_of_produced: f64,
}

/// Adding one member to a group of `members - 1`.
#[derive(Debug, Clone, Serialize)]
pub struct MlsAdd {
    /// Group size after the add.
    pub members: usize,
    /// Repetitions.
    pub runs: usize,
    /// Host: create the Add commit and the Welcome, and merge, ms.
    pub commit_ms: Percentiles,
    /// Joiner: process the Welcome, ms.
    pub join_ms: Percentiles,
    /// Commit size, bytes.
    pub commit_bytes: usize,
    /// Welcome size (carries the ratchet tree), bytes.
    pub welcome_bytes: usize,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct E2eeReport {
    /// Where it ran.
    pub machine: Machine,
    /// 10 KB frames (a 720p frame).
    pub sframe_10k: SframeSpeed,
    /// 80-byte frames (an Opus frame), audio suite.
    pub sframe_audio_80: Percentiles,
    /// Overhead.
    pub overhead: Overhead,
    /// MLS adds.
    pub mls: Vec<MlsAdd>,
}

fn fake_epoch(own: u32) -> Result<EpochKeys, E2eeError> {
    EpochKeys::from_exporter(1, own, vec![0, 1], |_, _, n| Ok((0..n).map(|i| i as u8).collect()))
}

fn us(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e6
}

/// SFrame (camera stream) encrypt+decrypt of `size` bytes vs ring AES-128-GCM seal+open.
pub fn sframe_speed(size: usize, iterations: usize) -> Result<SframeSpeed, BenchError> {
    let (mut tx, mut rx) = (MediaKeys::default(), MediaKeys::default());
    tx.install(std::time::Duration::ZERO, fake_epoch(0)?)?;
    rx.install(std::time::Duration::ZERO, fake_epoch(1)?)?;
    let frame: Vec<u8> = (0..size).map(|i| (i * 7) as u8).collect();
    let (mut ct, mut pt) = (Vec::with_capacity(size + 64), Vec::with_capacity(size + 64));
    let raw_key = LessSafeKey::new(UnboundKey::new(&AES_128_GCM, &[7u8; 16]).expect("16-byte key"));
    let mut raw_buf = Vec::with_capacity(size + 16);
    let (mut s, mut r) = (Vec::with_capacity(iterations), Vec::with_capacity(iterations));
    for i in 0..iterations + iterations / 10 {
        let warm = i < iterations / 10;
        let mut run_raw = || -> Result<f64, BenchError> {
            let t = Instant::now();
            let mut nonce = [0u8; 12];
            nonce[4..].copy_from_slice(&(i as u64).to_be_bytes());
            raw_buf.clear();
            raw_buf.extend_from_slice(&frame);
            let tag = raw_key
                .seal_in_place_separate_tag(Nonce::assume_unique_for_key(nonce), Aad::from([0u8; 4]), &mut raw_buf)
                .map_err(|_| BenchError::Dropped("raw seal".into()))?;
            raw_buf.extend_from_slice(tag.as_ref());
            let n = raw_key
                .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from([0u8; 4]), &mut raw_buf)
                .map_err(|_| BenchError::Dropped("raw open".into()))?
                .len();
            let elapsed = us(t);
            debug_assert_eq!(n, size);
            Ok(elapsed)
        };
        let raw_first = i % 2 == 1;
        let early = if raw_first { Some(run_raw()?) } else { None };
        let t = Instant::now();
        tx.encrypt(StreamKind::Camera, &[0x65], &frame, &mut ct)?;
        rx.decrypt(std::time::Duration::ZERO, MediaKind::Video, &[0x65], &ct, &mut pt)
            .map_err(|d| BenchError::Dropped(format!("{d:?}")))?;
        let elapsed = us(t);
        let raw = match early {
            Some(v) => v,
            None => run_raw()?,
        };
        if !warm {
            s.push(elapsed);
            r.push(raw);
        }
    }
    if pt != frame {
        return Err(BenchError::Dropped("round trip changed the frame".into()));
    }
    let (sp, rp) = (Percentiles::of(&s), Percentiles::of(&r));
    Ok(SframeSpeed { frame_bytes: size, iterations, ratio_p50: sp.p50 / rp.p50, sframe_us: sp, raw_gcm_us: rp })
}

fn audio_speed(iterations: usize) -> Result<Percentiles, BenchError> {
    let (mut tx, mut rx) = (MediaKeys::default(), MediaKeys::default());
    tx.install(std::time::Duration::ZERO, fake_epoch(0)?)?;
    rx.install(std::time::Duration::ZERO, fake_epoch(1)?)?;
    let frame = [0x42u8; 80];
    let (mut ct, mut pt) = (Vec::new(), Vec::new());
    let mut v = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let t = Instant::now();
        tx.encrypt(StreamKind::Audio, b"", &frame, &mut ct)?;
        rx.decrypt(std::time::Duration::ZERO, MediaKind::Audio, b"", &ct, &mut pt)
            .map_err(|d| BenchError::Dropped(format!("{d:?}")))?;
        v.push(us(t));
    }
    Ok(Percentiles::of(&v))
}

/// Overhead on Opus-sized frames and on real openh264 720p output.
pub fn overhead(video_frames: usize) -> Result<Overhead, BenchError> {
    // Audio: a sender with leaf index 5 in a 64-member group (one-byte KID, the worst case).
    let members: Vec<u32> = (0..64).collect();
    let mut tx = MediaKeys::default();
    tx.install(std::time::Duration::ZERO, EpochKeys::from_exporter(1, 5, members, |_, _, n| Ok(vec![1; n]))?)?;
    let payload = [0x11u8; 80];
    let mut ct = Vec::new();
    let mut first = 0;
    let mut steady = 0;
    for i in 0..300 {
        tx.encrypt(StreamKind::Audio, b"", &payload, &mut ct)?;
        if i == 0 {
            first = ct.len() - payload.len();
        }
        steady = ct.len() - payload.len();
    }

    let mut enc = H264Encoder::new(H264Config { bitrate_bps: 1_500_000, ..H264Config::default() })?;
    let source = SyntheticVideo::new(1280, 720, 30, VirtualClock::new(0))?;
    let mut vtx = MediaKeys::default();
    vtx.install(
        std::time::Duration::ZERO,
        EpochKeys::from_exporter(1, 5, (0..64).collect(), |_, _, n| Ok(vec![2; n]))?,
    )?;
    for _ in 0..1 << 16 {
        vtx.encrypt(StreamKind::Camera, &[0x41], &[0], &mut ct)?;
    }
    let mut crypt = H264Crypt::new();
    let (mut clear, mut sealed, mut nals, mut frames) = (0usize, 0usize, 0usize, 0usize);
    let mut out = Vec::new();
    for i in 0..video_frames as u64 {
        let Some(au) = enc.encode(&source.render(i, i * 33_333))? else { continue };
        crypt.encrypt(&mut vtx, StreamKind::Camera, &au.data, &mut out)?;
        clear += au.data.len();
        sealed += out.len();
        nals += crate::media::annexb::nal_units(&au.data).len();
        frames += 1;
    }
    let frames_f = frames.max(1) as f64;
    let per_frame = (sealed - clear) as f64 / frames_f;
    Ok(Overhead {
        opus_payload_bytes: payload.len(),
        opus_first_frame_bytes: first,
        opus_steady_bytes: steady,
        opus_steady_pct_of_32kbps: steady as f64 * 50.0 * 8.0 / 32_000.0 * 100.0,
        video_frames: frames,
        video_nals_per_frame: nals as f64 / frames_f,
        video_mean_frame_bytes: clear as f64 / frames_f,
        video_overhead_bytes_per_frame: per_frame,
        video_overhead_pct_of_1500kbps: per_frame * 30.0 * 8.0 / 1_500_000.0 * 100.0,
        video_overhead_pct_of_produced: (sealed - clear) as f64 / clear.max(1) as f64 * 100.0,
    })
}

/// Grows a group to `members - 1` (in one commit), then times adding member `members`, `runs`
/// times (each run adds one more member).
pub fn mls_add(members: usize, runs: usize) -> Result<MlsAdd, BenchError> {
    let mut rng = rand_chacha_03::ChaCha20Rng::seed_from_u64(members as u64);
    let mut host = MeetingGroup::create(&DeviceIdentity::generate(&mut rng))?;
    let others: Vec<Joiner> =
        (0..members - 2).map(|_| Joiner::new(&DeviceIdentity::generate(&mut rng))).collect::<Result<_, _>>()?;
    let kps: Vec<&[u8]> = others.iter().map(Joiner::key_package).collect();
    host.admit_many(&kps)?;
    let (mut commit_ms, mut join_ms) = (Vec::new(), Vec::new());
    let (mut commit_bytes, mut welcome_bytes) = (0, 0);
    for _ in 0..runs {
        let joiner = Joiner::new(&DeviceIdentity::generate(&mut rng))?;
        let t = Instant::now();
        let adm = host.admit(joiner.key_package())?;
        commit_ms.push(us(t) / 1e3);
        if commit_bytes == 0 {
            (commit_bytes, welcome_bytes) = (adm.commit.len(), adm.welcome.len());
        }
        let t = Instant::now();
        joiner.join(&adm.welcome)?;
        join_ms.push(us(t) / 1e3);
    }
    Ok(MlsAdd {
        members,
        runs,
        commit_ms: Percentiles::of(&commit_ms),
        join_ms: Percentiles::of(&join_ms),
        commit_bytes,
        welcome_bytes,
    })
}

/// Runs everything.
pub fn run(iterations: usize, video_frames: usize, mls_runs: usize) -> Result<E2eeReport, BenchError> {
    Ok(E2eeReport {
        machine: Machine::this(),
        sframe_10k: sframe_speed(10 * 1024, iterations)?,
        sframe_audio_80: audio_speed(iterations)?,
        overhead: overhead(video_frames)?,
        mls: vec![mls_add(100, mls_runs)?, mls_add(1000, mls_runs)?],
    })
}
