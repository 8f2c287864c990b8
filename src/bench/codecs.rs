//! `trygg bench codecs`: H.264 and Opus, Trygg's wrappers against the raw libraries.

use std::time::Instant;

use openh264::OpenH264API;
use openh264::decoder::{Decoder, DecoderConfig, Flush};
use openh264::encoder::{
    BitRate, Complexity, Encoder, EncoderConfig, FrameRate, IntraFramePeriod, Profile, RateControlMode, UsageType,
};
use openh264::formats::YUVBuffer;
use serde::Serialize;

use super::Machine;
use crate::media::clock::VirtualClock;
use crate::media::frame::FrameDuration;
use crate::media::h264::{H264Config, H264Decoder, H264Encoder};
use crate::media::opus::{OpusConfig, OpusDecoder, OpusEncoder};
use crate::media::stats::Percentiles;
use crate::media::synthetic_audio::SyntheticAudio;
use crate::media::synthetic_video::SyntheticVideo;
use crate::media::{AudioFrame, MediaError};

/// One side of a comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Timing {
    /// Per-frame time (ms for video, µs for audio).
    pub per_frame: Percentiles,
}

/// Trygg's wrapper and the raw library, measured in one run.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// Trygg's wrapper.
    pub trygg: Percentiles,
    /// The library called directly.
    pub direct: Percentiles,
    /// (trygg median / direct median - 1) in percent.
    pub overhead_pct: f64,
}

impl Comparison {
    fn of(trygg: &[f64], direct: &[f64]) -> Self {
        let (t, d) = (Percentiles::of(trygg), Percentiles::of(direct));
        Self { trygg: t, direct: d, overhead_pct: if d.p50 > 0.0 { (t.p50 / d.p50 - 1.0) * 100.0 } else { 0.0 } }
    }
}

/// H.264 at one resolution.
#[derive(Debug, Clone, Serialize)]
pub struct H264Result {
    /// Picture width.
    pub width: u32,
    /// Picture height.
    pub height: u32,
    /// Target bitrate.
    pub bitrate_kbps: u32,
    /// Frames measured.
    pub frames: usize,
    /// Bitrate actually produced (Trygg's encoder).
    pub produced_kbps: f64,
    /// Encode time per frame in ms.
    pub encode_ms: Comparison,
    /// Decode time per frame in ms.
    pub decode_ms: Comparison,
}

/// Opus, 20 ms mono frames.
#[derive(Debug, Clone, Serialize)]
pub struct OpusResult {
    /// Bitrate.
    pub bitrate_kbps: u32,
    /// Complexity.
    pub complexity: u8,
    /// Frames measured.
    pub frames: usize,
    /// Encode time per frame in µs.
    pub encode_us: Comparison,
    /// Decode time per frame in µs.
    pub decode_us: Comparison,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct CodecReport {
    /// Where it ran.
    pub machine: Machine,
    /// H.264 per resolution.
    pub h264: Vec<H264Result>,
    /// Opus.
    pub opus: OpusResult,
}

/// Sizes and bitrates measured.
pub const H264_CASES: [(u32, u32, u32); 3] = [(640, 360, 600), (1280, 720, 1_500), (1920, 1080, 2_500)];

fn ms_since(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

/// Runs the H.264 comparison at one size for `frames` frames of the synthetic pattern.
pub fn bench_h264(width: u32, height: u32, kbps: u32, frames: usize) -> Result<H264Result, MediaError> {
    let codec = |e: openh264::Error| MediaError::Codec { codec: "H.264", detail: e.to_string() };
    let config = H264Config { bitrate_bps: kbps * 1000, fps: 30.0, ..H264Config::default() };
    let mut ours = H264Encoder::new(config)?;
    // The same settings as H264Encoder::new, given to the library directly.
    let raw_config = EncoderConfig::new()
        .profile(Profile::Baseline)
        .usage_type(UsageType::CameraVideoRealTime)
        .bitrate(BitRate::from_bps(config.bitrate_bps))
        .max_frame_rate(FrameRate::from_hz(config.fps))
        .rate_control_mode(RateControlMode::Bitrate)
        .skip_frames(true)
        .complexity(Complexity::Medium)
        // Receivers ask for keyframes when they need them (PLI/FIR); scene-cut keyframes only
        // cause bitrate bursts in a call.
        .scene_change_detect(false)
        .intra_frame_period(IntraFramePeriod::from_num_frames(0))
        .num_threads(1);
    let mut raw = Encoder::with_api_config(OpenH264API::from_source(), raw_config).map_err(codec)?;
    let mut our_dec = H264Decoder::new()?;
    let mut raw_dec =
        Decoder::with_api_config(OpenH264API::from_source(), DecoderConfig::new().flush_after_decode(Flush::Flush))
            .map_err(codec)?;
    let source = SyntheticVideo::new(width, height, 30, VirtualClock::new(0))?;
    let (mut enc_t, mut enc_d, mut dec_t, mut dec_d) = (vec![], vec![], vec![], vec![]);
    let mut bytes = 0usize;
    let mut raw_out = Vec::with_capacity(1 << 16);
    for i in 0..frames {
        let frame = source.render(i as u64, i as u64 * 33_333);
        let raw_input = YUVBuffer::from_vec(frame.data().to_vec(), width as usize, height as usize);

        // Alternate which side goes first, so neither always runs with the other's warm caches.
        let ours_first = i % 2 == 0;
        let mut run_raw = |out: &mut Vec<u8>| -> Result<f64, MediaError> {
            let t = Instant::now();
            out.clear();
            raw.encode(&raw_input).map_err(codec)?.write_vec(out);
            Ok(ms_since(t))
        };
        if !ours_first {
            enc_d.push(run_raw(&mut raw_out)?);
        }
        let t = Instant::now();
        let encoded = ours.encode(&frame)?;
        enc_t.push(ms_since(t));
        if ours_first {
            enc_d.push(run_raw(&mut raw_out)?);
        }

        if let Some(e) = encoded {
            bytes += e.data.len();
            let mut run_raw = || -> Result<(bool, f64), MediaError> {
                let t = Instant::now();
                let got = raw_dec.decode(&e.data).map_err(codec)?.is_some();
                Ok((got, ms_since(t)))
            };
            let first = if ours_first { None } else { Some(run_raw()?) };
            let t = Instant::now();
            let got = our_dec.decode(&e.data)?.is_some();
            let elapsed = ms_since(t);
            let (raw_got, raw_elapsed) = match first {
                Some(r) => r,
                None => run_raw()?,
            };
            if got && raw_got {
                dec_t.push(elapsed);
                dec_d.push(raw_elapsed);
            }
        }
    }
    Ok(H264Result {
        width,
        height,
        bitrate_kbps: kbps,
        frames,
        produced_kbps: bytes as f64 * 8.0 / (frames as f64 / 30.0) / 1000.0,
        encode_ms: Comparison::of(&enc_t, &enc_d),
        decode_ms: Comparison::of(&dec_t, &dec_d),
    })
}

/// Runs the Opus comparison for `frames` 20 ms frames of the synthetic tone.
pub fn bench_opus(frames: usize) -> Result<OpusResult, MediaError> {
    let codec = |e: ::opus::Error| MediaError::Codec { codec: "Opus", detail: e.to_string() };
    let config = OpusConfig::default();
    let mut ours = OpusEncoder::new(config)?;
    let mut our_dec = OpusDecoder::new(1, FrameDuration::Ms20)?;
    let mut raw = ::opus::Encoder::new(48_000, ::opus::Channels::Mono, ::opus::Application::Voip).map_err(codec)?;
    raw.set_bitrate(::opus::Bitrate::Bits(config.bitrate_bps as i32)).map_err(codec)?;
    raw.set_inband_fec(config.fec).map_err(codec)?;
    raw.set_packet_loss_perc(i32::from(config.expected_loss_pct)).map_err(codec)?;
    raw.set_dtx(config.dtx).map_err(codec)?;
    raw.set_complexity(i32::from(config.complexity)).map_err(codec)?;
    let mut raw_dec = ::opus::Decoder::new(48_000, ::opus::Channels::Mono).map_err(codec)?;
    let (mut enc_t, mut enc_d, mut dec_t, mut dec_d) = (vec![], vec![], vec![], vec![]);
    let mut packet = vec![0u8; 1500];
    let mut pcm = vec![0f32; 960];
    for i in 0..frames {
        let samples = SyntheticAudio::render(500_000, i as u64 * 960, 960);
        let frame = AudioFrame::new(samples.clone(), 1, 0)?;

        let ours_first = i % 2 == 0;
        let mut raw_encode = || -> Result<(Vec<u8>, f64), MediaError> {
            let t = Instant::now();
            let n = raw.encode_float(&samples, &mut packet).map_err(codec)?;
            let p = packet[..n].to_vec();
            Ok((p, t.elapsed().as_secs_f64() * 1e6))
        };
        let early = if ours_first { None } else { Some(raw_encode()?) };
        let t = Instant::now();
        let ours_packet = ours.encode(&frame)?;
        enc_t.push(t.elapsed().as_secs_f64() * 1e6);
        let (raw_packet, raw_t) = match early {
            Some(r) => r,
            None => raw_encode()?,
        };
        enc_d.push(raw_t);

        let mut raw_decode = || -> Result<f64, MediaError> {
            let t = Instant::now();
            raw_dec.decode_float(&raw_packet, &mut pcm, false).map_err(codec)?;
            Ok(t.elapsed().as_secs_f64() * 1e6)
        };
        if !ours_first {
            dec_d.push(raw_decode()?);
        }
        let t = Instant::now();
        our_dec.decode(&ours_packet.data, 0)?;
        dec_t.push(t.elapsed().as_secs_f64() * 1e6);
        if ours_first {
            dec_d.push(raw_decode()?);
        }
    }
    Ok(OpusResult {
        bitrate_kbps: config.bitrate_bps / 1000,
        complexity: config.complexity,
        frames,
        encode_us: Comparison::of(&enc_t, &enc_d),
        decode_us: Comparison::of(&dec_t, &dec_d),
    })
}

/// Runs everything: `video_frames` per H.264 size, `audio_frames` Opus frames.
pub fn run(video_frames: usize, audio_frames: usize) -> Result<CodecReport, MediaError> {
    let mut h264 = Vec::new();
    for (w, h, kbps) in H264_CASES {
        h264.push(bench_h264(w, h, kbps, video_frames)?);
    }
    Ok(CodecReport { machine: Machine::this(), h264, opus: bench_opus(audio_frames)? })
}
