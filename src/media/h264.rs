//! H.264 through openh264, built from source with the crate (nothing is downloaded).
//!
//! The encoder makes constrained-baseline Annex-B access units that fit RTP packetization mode 1
//! (RFC 6184), which is what every WebRTC stack and SIP video endpoint decodes. It has a camera
//! mode and a screen-content mode, takes its bitrate and frame rate at run time, and makes a
//! keyframe when asked (a viewer joined, or a receiver lost packets).

use std::os::raw::c_void;

use openh264::decoder::{DecodedYUV, Decoder, DecoderConfig, Flush};
use openh264::encoder::{
    BitRate, Complexity, Encoder, EncoderConfig, FrameRate, FrameType, IntraFramePeriod, Profile, QpRange,
    RateControlMode, UsageType,
};
use openh264::formats::YUVSource;
use openh264::{OpenH264API, Timestamp};

use super::MediaError;
use super::frame::{VideoFrame, check_dimensions};

/// What the picture shows, which decides how the encoder spends bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContentHint {
    /// Camera video: smooth motion first.
    #[default]
    Camera,
    /// Screens, slides, documents: sharp text first (openh264's screen-content mode).
    Screen,
}

/// Encoder settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct H264Config {
    /// Target bitrate in bits per second.
    pub bitrate_bps: u32,
    /// Frame rate the rate control plans for.
    pub fps: f32,
    /// Camera or screen content.
    pub content: ContentHint,
    /// A keyframe every this many frames (None: only at start and on request).
    pub keyframe_interval: Option<u32>,
    /// Let rate control drop frames to hold the bitrate (normal for real-time video).
    pub allow_frame_skip: bool,
    /// Encoder threads (1 = single-threaded, what the benchmarks measure).
    pub threads: u16,
    /// The coarsest quantiser rate control may pick (0–51). Screen shares cap it so that text
    /// stays sharp: rate control then drops pictures rather than blur them.
    pub max_qp: u8,
}

impl Default for H264Config {
    fn default() -> Self {
        Self {
            bitrate_bps: 1_500_000,
            fps: 30.0,
            content: ContentHint::Camera,
            keyframe_interval: None,
            allow_frame_skip: true,
            threads: 1,
            max_qp: 51,
        }
    }
}

impl H264Config {
    /// Checks the settings are within what makes sense for real-time video.
    pub fn validate(&self) -> Result<(), MediaError> {
        if !(10_000..=50_000_000).contains(&self.bitrate_bps) {
            return Err(MediaError::invalid(
                "H.264 bitrate",
                format!("{} bit/s; use 10 kbit/s to 50 Mbit/s", self.bitrate_bps),
            ));
        }
        if !(self.fps >= 1.0 && self.fps <= 120.0) {
            return Err(MediaError::invalid("H.264 frame rate", format!("{}; use 1 to 120 fps", self.fps)));
        }
        if !(1..=16).contains(&self.threads) {
            return Err(MediaError::invalid("H.264 threads", format!("{}; use 1 to 16", self.threads)));
        }
        if self.max_qp > 51 {
            return Err(MediaError::invalid("H.264 max QP", format!("{}; use 0 to 51", self.max_qp)));
        }
        Ok(())
    }
}

/// The finest quantiser for screen content. Once a still picture has sharpened, a finer one
/// makes some blocks flip between two reconstructions with every picture, so a still slide
/// never stops costing bits (at 12: about 400 bytes a picture for 720p text, every picture);
/// at 14 it stops at 25 bytes, with text at about 49 dB.
const SCREEN_MIN_QP: u8 = 14;

/// One encoded picture: an Annex-B access unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedVideo {
    /// Annex-B bytes (start codes included); SPS and PPS come with every keyframe.
    pub data: Vec<u8>,
    /// True for an IDR picture.
    pub keyframe: bool,
    /// Capture time of the source frame.
    pub capture_us: u64,
    /// Sequence number of the source frame.
    pub seq: u64,
    /// Picture width.
    pub width: u32,
    /// Picture height.
    pub height: u32,
}

/// Lets openh264's rate be raised up to `bps` (it starts with its first rate as the most).
fn raise_ceiling(encoder: &mut Encoder, bps: u32) -> Result<(), MediaError> {
    // The whole stream's most, then its one spatial layer's (which openh264 checks a new rate
    // against).
    for layer in [openh264_sys2::SPATIAL_LAYER_ALL, openh264_sys2::SPATIAL_LAYER_0] {
        let mut info = openh264_sys2::SBitrateInfo { iLayer: layer, iBitrate: bps as i32 };
        // SAFETY: the option id and the struct match openh264's ENCODER_OPTION_MAX_BITRATE
        // contract.
        let rc = unsafe {
            encoder.raw_api().set_option(openh264_sys2::ENCODER_OPTION_MAX_BITRATE, (&raw mut info).cast::<c_void>())
        };
        if rc != 0 {
            return Err(MediaError::Codec { codec: "H.264", detail: format!("set the most bitrate failed ({rc})") });
        }
    }
    Ok(())
}

fn codec_err(e: openh264::Error) -> MediaError {
    MediaError::Codec { codec: "H.264", detail: e.to_string() }
}

/// The H.264 encoder.
pub struct H264Encoder {
    inner: Encoder,
    config: H264Config,
    keyframe_requested: bool,
    started_us: Option<u64>,
    /// The size of the last picture encoded.
    size: Option<(u32, u32)>,
    /// The most the rate may ever be raised to: the rate the encoder was first made with.
    /// openh264 takes the rate it starts with as its ceiling, so an encoder restarted at a low
    /// rate (a new picture size on a narrow link) is told this ceiling after its first picture.
    ceiling: u32,
}

impl H264Encoder {
    /// An encoder with these settings.
    pub fn new(config: H264Config) -> Result<Self, MediaError> {
        config.validate()?;
        let screen = config.content == ContentHint::Screen;
        let usage = match config.content {
            ContentHint::Camera => UsageType::CameraVideoRealTime,
            ContentHint::Screen => UsageType::ScreenContentRealTime,
        };
        // A QP range with a zero in it makes openh264 pick its own: 26–35 for screen content,
        // which smears 1-pixel text (about 33 dB), and 12–42 for camera video. Screen content
        // gets SCREEN_MIN_QP–max_qp instead; camera video keeps openh264's range unless a cap
        // is asked for (then 12, openh264's floor, to the cap).
        let floor = if screen { SCREEN_MIN_QP } else { 12 };
        let qp = if screen || config.max_qp < 51 {
            QpRange::new(floor.min(config.max_qp).max(1), config.max_qp)
        } else {
            QpRange::new(0, 51)
        };
        // Screen content needs High: below it openh264 takes a block whose source has not
        // changed as a skip whenever its reference's quantiser is close to the current one or
        // at most 26 (its "SCD P-skip"). The quantiser falls a few steps per picture after a
        // keyframe, so every block of a still slide qualifies and a blurry first keyframe stays
        // blurry for as long as the slide stands (upstream made this optional in cisco/openh264
        // PR 3638). High codes those blocks as ordinary inter blocks, which sharpen.
        let complexity = if screen { Complexity::High } else { Complexity::Medium };
        let oc = EncoderConfig::new()
            .profile(Profile::Baseline)
            .usage_type(usage)
            .bitrate(BitRate::from_bps(config.bitrate_bps))
            .max_frame_rate(FrameRate::from_hz(config.fps))
            .rate_control_mode(RateControlMode::Bitrate)
            .skip_frames(config.allow_frame_skip)
            .complexity(complexity)
            .qp(qp)
            // Camera: receivers ask for keyframes when they need them (PLI/FIR); scene-cut
            // keyframes only cause bitrate bursts in a call. Screen: openh264's screen mode uses
            // its change detection for reference choice (and wants it on), and has no adaptive
            // quantisation or background detection.
            .scene_change_detect(screen)
            .adaptive_quantization(!screen)
            .background_detection(!screen)
            .intra_frame_period(IntraFramePeriod::from_num_frames(config.keyframe_interval.unwrap_or(0)))
            .num_threads(config.threads);
        let inner = Encoder::with_api_config(OpenH264API::from_source(), oc).map_err(codec_err)?;
        Ok(Self { inner, config, keyframe_requested: false, started_us: None, size: None, ceiling: config.bitrate_bps })
    }

    /// The settings in force.
    pub fn config(&self) -> &H264Config {
        &self.config
    }

    /// Makes the next picture a keyframe.
    pub fn request_keyframe(&mut self) {
        self.keyframe_requested = true;
    }

    /// Changes the target bitrate from the next picture on (congestion control calls this).
    pub fn set_bitrate(&mut self, bps: u32) -> Result<(), MediaError> {
        let mut next = self.config;
        next.bitrate_bps = bps;
        next.validate()?;
        if self.size.is_none() {
            // openh264 takes no options before its first picture: start it with these.
            return self.restart(next);
        }
        let mut info = openh264_sys2::SBitrateInfo { iLayer: openh264_sys2::SPATIAL_LAYER_ALL, iBitrate: bps as i32 };
        // SAFETY: the option id and the struct match openh264's ENCODER_OPTION_BITRATE contract.
        let rc = unsafe {
            self.inner.raw_api().set_option(openh264_sys2::ENCODER_OPTION_BITRATE, (&raw mut info).cast::<c_void>())
        };
        if rc != 0 {
            return Err(MediaError::Codec { codec: "H.264", detail: format!("set bitrate failed ({rc})") });
        }
        self.config = next;
        Ok(())
    }

    /// Changes the frame rate the rate control plans for.
    pub fn set_fps(&mut self, fps: f32) -> Result<(), MediaError> {
        let mut next = self.config;
        next.fps = fps;
        next.validate()?;
        if self.size.is_none() {
            return self.restart(next);
        }
        let mut value = fps;
        // SAFETY: ENCODER_OPTION_FRAME_RATE takes a pointer to a float.
        let rc = unsafe {
            self.inner.raw_api().set_option(openh264_sys2::ENCODER_OPTION_FRAME_RATE, (&raw mut value).cast::<c_void>())
        };
        if rc != 0 {
            return Err(MediaError::Codec { codec: "H.264", detail: format!("set frame rate failed ({rc})") });
        }
        self.config = next;
        Ok(())
    }

    /// A fresh encoder with `config` in place of this one (a keyframe comes first).
    fn restart(&mut self, config: H264Config) -> Result<(), MediaError> {
        self.inner = Self::new(config)?.inner;
        self.config = config;
        Ok(())
    }

    /// Encodes one picture. Returns None when rate control skipped it. A picture of another
    /// size than the last starts a fresh encoder with the settings in force (its rate and frame
    /// rate, not the first ones), and so a keyframe.
    pub fn encode(&mut self, frame: &VideoFrame) -> Result<Option<EncodedVideo>, MediaError> {
        let size = (frame.width(), frame.height());
        let resized = self.size.is_some_and(|s| s != size);
        if resized {
            self.restart(self.config)?;
        }
        // A fresh encoder (the first picture, or a new size) holds its rate as its ceiling
        // until raised after its first picture.
        let fresh = resized || self.size.is_none();
        self.size = Some(size);
        if std::mem::take(&mut self.keyframe_requested) {
            self.inner.force_intra_frame();
        }
        let start = *self.started_us.get_or_insert(frame.capture_us);
        let ts = Timestamp::from_millis(frame.capture_us.saturating_sub(start) / 1000);
        let bs = self.inner.encode_at(frame, ts).map_err(codec_err)?;
        let kind = bs.frame_type();
        let skipped = matches!(kind, FrameType::Skip | FrameType::Invalid);
        let mut data = Vec::with_capacity(4096);
        if !skipped {
            bs.write_vec(&mut data);
        }
        if fresh {
            raise_ceiling(&mut self.inner, self.ceiling.max(self.config.bitrate_bps))?;
        }
        if skipped {
            return Ok(None);
        }
        Ok(Some(EncodedVideo {
            data,
            keyframe: kind == FrameType::IDR,
            capture_us: frame.capture_us,
            seq: frame.seq,
            width: frame.width(),
            height: frame.height(),
        }))
    }
}

/// A decoded picture, borrowed from the decoder until the next call.
pub struct DecodedPicture<'a> {
    inner: DecodedYUV<'a>,
}

impl DecodedPicture<'_> {
    /// Width and height.
    pub fn dimensions(&self) -> (u32, u32) {
        let (w, h) = self.inner.dimensions();
        (w as u32, h as u32)
    }

    /// Luma plane and its stride.
    pub fn y(&self) -> (&[u8], usize) {
        (self.inner.y(), self.inner.strides().0)
    }

    /// Copies the picture into an owned frame carrying these timestamps.
    pub fn to_frame(&self, capture_us: u64, seq: u64) -> Result<VideoFrame, MediaError> {
        let (w, h) = self.dimensions();
        let (ys, us, vs) = self.inner.strides();
        VideoFrame::from_planes(w, h, (self.inner.y(), ys), (self.inner.u(), us), (self.inner.v(), vs), capture_us, seq)
    }
}

/// The H.264 decoder. Corrupt input is an error value; the decoder stays usable and recovers at
/// the next keyframe.
pub struct H264Decoder {
    inner: Decoder,
}

impl H264Decoder {
    /// A decoder.
    pub fn new() -> Result<Self, MediaError> {
        let config = DecoderConfig::new().flush_after_decode(Flush::Flush);
        let inner = Decoder::with_api_config(OpenH264API::from_source(), config).map_err(codec_err)?;
        Ok(Self { inner })
    }

    /// Decodes one access unit. None means the decoder needs more data (e.g. only SPS/PPS came).
    pub fn decode(&mut self, access_unit: &[u8]) -> Result<Option<DecodedPicture<'_>>, MediaError> {
        if access_unit.is_empty() {
            return Ok(None);
        }
        let decoded = self.inner.decode(access_unit).map_err(|e| MediaError::corrupt("H.264", e.to_string()))?;
        match decoded {
            None => Ok(None),
            Some(pic) => {
                let (w, h) = pic.dimensions();
                check_dimensions(w as u32, h as u32)?;
                Ok(Some(DecodedPicture { inner: pic }))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! H.264 from openh264 through Trygg's per-NAL-unit SFrame (`e2ee::h264`, in the core).

    use super::*;
    use crate::e2ee::h264::H264Crypt;
    use crate::e2ee::media_keys::{EpochKeys, MediaKeys, StreamKind};
    use crate::media::annexb::{NalType, is_keyframe, nal_units};
    use crate::media::clock::VirtualClock;
    use crate::media::synthetic_video::SyntheticVideo;

    fn keys(own: u32) -> MediaKeys {
        let mut k = MediaKeys::default();
        k.install(
            std::time::Duration::ZERO,
            EpochKeys::from_exporter(1, own, vec![0, 1], |_, _, n| Ok(vec![3; n])).unwrap(),
        )
        .unwrap();
        k
    }

    /// What a depacketizer hands back: every NAL unit behind a 4-byte start code.
    fn repacketize(au: &[u8]) -> Vec<u8> {
        nal_units(au).iter().flat_map(|n| [&[0u8, 0, 0, 1][..], n.bytes].concat()).collect()
    }

    #[test]
    fn openh264_access_units_survive_encryption_nal_by_nal() {
        let config = H264Config { bitrate_bps: 800_000, keyframe_interval: Some(10), ..H264Config::default() };
        let mut enc = H264Encoder::new(config).unwrap();
        let source = SyntheticVideo::new(640, 360, 30, VirtualClock::new(0)).unwrap();
        let (mut tx, mut rx) = (keys(0), keys(1));
        let (mut crypt_tx, mut crypt_rx) = (H264Crypt::new(), H264Crypt::new());
        let (mut dec_clear, mut dec_crypt) = (H264Decoder::new().unwrap(), H264Decoder::new().unwrap());
        let (mut sealed, mut opened) = (Vec::new(), Vec::new());
        let (mut frames, mut keyframes) = (0, 0);
        for i in 0..30u64 {
            let Some(au) = enc.encode(&source.render(i, i * 33_333)).unwrap() else { continue };
            frames += 1;
            crypt_tx.encrypt(&mut tx, StreamKind::Camera, &au.data, &mut sealed).unwrap();

            // The SFU's view: same NAL units, same types, keyframes still visible, no false
            // start codes inside the ciphertext.
            let clear_units = nal_units(&au.data);
            let sealed_units = nal_units(&sealed);
            assert_eq!(sealed_units.len(), clear_units.len(), "frame {i}");
            for (c, s) in clear_units.iter().zip(&sealed_units) {
                assert_eq!(c.bytes[0], s.bytes[0]);
                assert_ne!(&c.bytes[1..], &s.bytes[1..s.bytes.len().min(c.bytes.len())]);
            }
            assert_eq!(is_keyframe(&sealed), au.keyframe);
            if au.keyframe {
                keyframes += 1;
                assert!(sealed_units.iter().any(|n| n.kind() == NalType::Sps));
            }

            let origin =
                crypt_rx.decrypt(&mut rx, std::time::Duration::ZERO, &repacketize(&sealed), &mut opened).unwrap();
            assert_eq!((origin.sender, origin.stream), (0, StreamKind::Camera));
            assert_eq!(opened, repacketize(&au.data));
            let a = dec_clear.decode(&au.data).unwrap().map(|p| p.y().0.to_vec());
            let b = dec_crypt.decode(&opened).unwrap().map(|p| p.y().0.to_vec());
            assert_eq!(a, b, "frame {i} decodes the same");
        }
        assert!(frames >= 25 && keyframes >= 2, "{frames} frames, {keyframes} keyframes");
        assert_eq!(rx.stats().dropped(), 0);
    }

    #[test]
    fn a_new_picture_size_starts_with_a_keyframe_at_the_rate_in_force_and_decodes() {
        let mut enc = H264Encoder::new(H264Config { bitrate_bps: 1_500_000, ..H264Config::default() }).unwrap();
        let big = SyntheticVideo::new(1280, 720, 30, VirtualClock::new(0)).unwrap();
        let small = SyntheticVideo::new(640, 360, 30, VirtualClock::new(0)).unwrap();
        let mut dec = H264Decoder::new().unwrap();
        let (mut big_bytes, mut small_bytes) = (0, 0);
        for i in 0..30u64 {
            if let Some(au) = enc.encode(&big.render(i, i * 33_333)).unwrap() {
                big_bytes += au.data.len();
                dec.decode(&au.data).unwrap();
            }
        }
        enc.set_bitrate(300_000).unwrap();
        enc.set_fps(15.0).unwrap();
        let mut first = None;
        for i in 30..90u64 {
            let Some(au) = enc.encode(&small.render(i, i * 66_666)).unwrap() else { continue };
            first.get_or_insert(au.keyframe);
            small_bytes += au.data.len();
            let picture = dec.decode(&au.data).unwrap().expect("every picture decodes");
            assert_eq!(picture.dimensions(), (640, 360));
        }
        assert_eq!(first, Some(true), "the first picture of the new size is a keyframe");
        // 60 pictures at 15 a second and 300 kbit/s: about 150 kB, far under the 1.5 Mbit/s a
        // fresh encoder with the first settings would spend.
        assert!(small_bytes < 250_000, "{small_bytes} bytes at the new size (before: {big_bytes} in 30)");
        assert_eq!((enc.config().bitrate_bps, enc.config().fps), (300_000, 15.0));
    }

    #[test]
    fn a_rate_and_frame_rate_set_before_the_first_picture_are_the_ones_it_starts_with() {
        let mut enc = H264Encoder::new(H264Config { bitrate_bps: 1_500_000, ..H264Config::default() }).unwrap();
        enc.set_bitrate(200_000).expect("before the first picture, too");
        enc.set_fps(15.0).unwrap();
        assert_eq!((enc.config().bitrate_bps, enc.config().fps), (200_000, 15.0));
        let source = SyntheticVideo::new(640, 360, 15, VirtualClock::new(0)).unwrap();
        let bytes: usize =
            (0..60u64).filter_map(|i| enc.encode(&source.render(i, i * 66_666)).unwrap()).map(|au| au.data.len()).sum();
        // 4 s at 200 kbit/s is 100 kB; at 1.5 Mbit/s it would be 750 kB.
        assert!(bytes < 200_000, "{bytes} bytes in 4 s");
    }

    #[test]
    fn an_encoder_restarted_at_a_low_rate_can_still_be_raised_to_its_first_rate() {
        let mut enc = H264Encoder::new(H264Config { bitrate_bps: 1_500_000, ..H264Config::default() }).unwrap();
        enc.set_bitrate(200_000).unwrap();
        let source = SyntheticVideo::new(640, 360, 30, VirtualClock::new(0)).unwrap();
        let second = |enc: &mut H264Encoder, from: u64| -> usize {
            (from..from + 30)
                .filter_map(|i| enc.encode(&source.render(i, i * 33_333)).unwrap())
                .map(|au| au.data.len())
                .sum()
        };
        let low = second(&mut enc, 0);
        enc.set_bitrate(1_500_000).unwrap();
        second(&mut enc, 30);
        let high = second(&mut enc, 60);
        // openh264 would otherwise hold the rate at the 200 kbit/s it started with.
        assert!(high > 3 * low, "raised: {low} bytes a second at 200 kbit/s, {high} at 1.5 Mbit/s");
    }

    /// The camera's ladder changes the picture size at a low rate, which restarts the encoder:
    /// the restarted one must take a higher rate later (it refused every raise once, and a call
    /// that stepped down stayed at the rate it stepped down at).
    #[test]
    fn an_encoder_restarted_for_a_new_size_can_be_raised_again() {
        let mut enc = H264Encoder::new(H264Config { bitrate_bps: 1_500_000, ..H264Config::default() }).unwrap();
        let large = SyntheticVideo::new(640, 360, 30, VirtualClock::new(0)).unwrap();
        let small = SyntheticVideo::new(320, 180, 30, VirtualClock::new(0)).unwrap();
        enc.encode(&large.render(0, 0)).unwrap();
        enc.set_bitrate(300_000).unwrap();
        for i in 1..5 {
            enc.encode(&small.render(i, i * 33_333)).unwrap();
        }
        enc.set_bitrate(1_200_000).expect("a restarted encoder takes a higher rate");
    }
}
