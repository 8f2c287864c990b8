//! Raw media frames: what sources produce, encoders consume and decoders give back.
//!
//! Audio is 48 kHz, 32-bit float, interleaved, in frames of 10 or 20 ms. Video is I420 (planar
//! Y, U, V with 2x2-subsampled chroma, limited "video" range as BT.601 cameras and H.264 use),
//! stored tightly packed. Every frame carries the wall-clock time at which it was captured, in
//! microseconds since the Unix epoch, so latency can be measured at any later stage, even in
//! another process on the same machine.

use super::MediaError;

/// The one sample rate of Trygg's audio path.
pub const SAMPLE_RATE: u32 = 48_000;

/// Length of one audio frame. Opus works on both; 20 ms is the default on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum FrameDuration {
    /// 10 ms: 480 samples per channel.
    Ms10,
    /// 20 ms: 960 samples per channel.
    #[default]
    Ms20,
}

impl FrameDuration {
    /// Samples per channel in one frame at 48 kHz.
    pub const fn samples_per_channel(self) -> usize {
        match self {
            Self::Ms10 => 480,
            Self::Ms20 => 960,
        }
    }

    /// The duration in microseconds.
    pub const fn micros(self) -> u64 {
        match self {
            Self::Ms10 => 10_000,
            Self::Ms20 => 20_000,
        }
    }

    /// The frame duration that holds exactly `samples` per channel, if any.
    pub const fn from_samples(samples: usize) -> Option<Self> {
        match samples {
            480 => Some(Self::Ms10),
            960 => Some(Self::Ms20),
            _ => None,
        }
    }
}

/// One frame of 48 kHz audio.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioFrame {
    samples: Vec<f32>,
    channels: u16,
    /// Wall-clock capture time of the first sample, µs since the Unix epoch.
    pub capture_us: u64,
}

impl AudioFrame {
    /// Wraps interleaved samples. The length must be a whole 10 or 20 ms frame for 1 or 2 channels.
    pub fn new(samples: Vec<f32>, channels: u16, capture_us: u64) -> Result<Self, MediaError> {
        if !(1..=2).contains(&channels) {
            return Err(MediaError::invalid("audio channels", format!("{channels} (only 1 or 2)")));
        }
        let per_channel = samples.len() / usize::from(channels);
        if !samples.len().is_multiple_of(usize::from(channels)) || FrameDuration::from_samples(per_channel).is_none() {
            return Err(MediaError::invalid(
                "audio frame length",
                format!("{} samples for {channels} channel(s); need 10 or 20 ms at 48 kHz", samples.len()),
            ));
        }
        Ok(Self { samples, channels, capture_us })
    }

    /// A silent frame.
    pub fn silence(duration: FrameDuration, channels: u16, capture_us: u64) -> Result<Self, MediaError> {
        Self::new(vec![0.0; duration.samples_per_channel() * usize::from(channels)], channels, capture_us)
    }

    /// Interleaved samples in [-1, 1].
    pub fn samples(&self) -> &[f32] {
        &self.samples
    }

    /// Mutable access to the samples (the length cannot change).
    pub fn samples_mut(&mut self) -> &mut [f32] {
        &mut self.samples
    }

    /// Number of interleaved channels (1 or 2).
    pub fn channels(&self) -> u16 {
        self.channels
    }

    /// Frame length.
    pub fn duration(&self) -> FrameDuration {
        FrameDuration::from_samples(self.samples.len() / usize::from(self.channels))
            .expect("constructor admits only whole 10/20 ms frames")
    }

    /// Root-mean-square level, 0 for silence.
    pub fn rms(&self) -> f32 {
        if self.samples.is_empty() {
            return 0.0;
        }
        (self.samples.iter().map(|s| s * s).sum::<f32>() / self.samples.len() as f32).sqrt()
    }
}

/// The largest picture Trygg handles (H.264 level 5.1 and openh264's own limit).
pub const MAX_WIDTH: u32 = 3840;
/// See [`MAX_WIDTH`].
pub const MAX_HEIGHT: u32 = 2160;

/// One I420 picture.
#[derive(Clone, PartialEq, Eq)]
pub struct VideoFrame {
    width: u32,
    height: u32,
    data: Vec<u8>,
    /// Wall-clock capture time, µs since the Unix epoch.
    pub capture_us: u64,
    /// Capture sequence number of the source (0, 1, 2, ...).
    pub seq: u64,
}

impl std::fmt::Debug for VideoFrame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VideoFrame")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("capture_us", &self.capture_us)
            .field("seq", &self.seq)
            .finish_non_exhaustive()
    }
}

/// Checks that a picture size is one Trygg can carry: even, non-zero, within the H.264 limits.
pub fn check_dimensions(width: u32, height: u32) -> Result<(), MediaError> {
    if width < 16 || height < 16 || width > MAX_WIDTH || height > MAX_HEIGHT {
        return Err(MediaError::invalid(
            "video size",
            format!("{width}x{height}; width must be 16..={MAX_WIDTH} and height 16..={MAX_HEIGHT}"),
        ));
    }
    if !width.is_multiple_of(2) || !height.is_multiple_of(2) {
        return Err(MediaError::invalid("video size", format!("{width}x{height}; both sides must be even for I420")));
    }
    Ok(())
}

impl VideoFrame {
    /// Bytes of an I420 picture of this size.
    pub const fn byte_len(width: u32, height: u32) -> usize {
        let luma = width as usize * height as usize;
        luma + 2 * (luma / 4)
    }

    /// Wraps tightly packed I420 bytes (Y plane, then U, then V).
    pub fn from_i420(width: u32, height: u32, data: Vec<u8>, capture_us: u64, seq: u64) -> Result<Self, MediaError> {
        check_dimensions(width, height)?;
        let want = Self::byte_len(width, height);
        if data.len() != want {
            return Err(MediaError::invalid(
                "I420 buffer",
                format!("{} bytes for {width}x{height}, expected {want}", data.len()),
            ));
        }
        Ok(Self { width, height, data, capture_us, seq })
    }

    /// A flat grey/black picture (Y = `luma`, neutral chroma).
    pub fn filled(width: u32, height: u32, luma: u8) -> Result<Self, MediaError> {
        check_dimensions(width, height)?;
        let l = width as usize * height as usize;
        let mut data = vec![128u8; Self::byte_len(width, height)];
        data[..l].fill(luma);
        Ok(Self { width, height, data, capture_us: 0, seq: 0 })
    }

    /// Copies planes with arbitrary strides (as decoders hand them out) into a packed frame.
    #[allow(clippy::too_many_arguments)]
    pub fn from_planes(
        width: u32,
        height: u32,
        y: (&[u8], usize),
        u: (&[u8], usize),
        v: (&[u8], usize),
        capture_us: u64,
        seq: u64,
    ) -> Result<Self, MediaError> {
        check_dimensions(width, height)?;
        let (w, h) = (width as usize, height as usize);
        let mut data = Vec::with_capacity(Self::byte_len(width, height));
        for (plane, pw, ph) in [(y, w, h), (u, w / 2, h / 2), (v, w / 2, h / 2)] {
            let (bytes, stride) = plane;
            if stride < pw || bytes.len() < stride * (ph - 1) + pw {
                return Err(MediaError::invalid("plane", format!("stride {stride} too small for {w}x{h}")));
            }
            for row in 0..ph {
                data.extend_from_slice(&bytes[row * stride..row * stride + pw]);
            }
        }
        Ok(Self { width, height, data, capture_us, seq })
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The whole packed I420 buffer.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// Consumes the frame, giving back its packed I420 buffer.
    pub fn into_data(self) -> Vec<u8> {
        self.data
    }

    fn luma_len(&self) -> usize {
        self.width as usize * self.height as usize
    }

    /// The luma plane (stride = width).
    pub fn y(&self) -> &[u8] {
        &self.data[..self.luma_len()]
    }

    /// The U (Cb) plane (stride = width / 2).
    pub fn u(&self) -> &[u8] {
        let l = self.luma_len();
        &self.data[l..l + l / 4]
    }

    /// The V (Cr) plane (stride = width / 2).
    pub fn v(&self) -> &[u8] {
        let l = self.luma_len();
        &self.data[l + l / 4..]
    }

    /// Mutable Y, U and V planes at once.
    pub fn planes_mut(&mut self) -> (&mut [u8], &mut [u8], &mut [u8]) {
        let l = self.luma_len();
        let (y, uv) = self.data.split_at_mut(l);
        let (u, v) = uv.split_at_mut(l / 4);
        (y, u, v)
    }
}

impl openh264::formats::YUVSource for VideoFrame {
    fn dimensions(&self) -> (usize, usize) {
        (self.width as usize, self.height as usize)
    }

    fn strides(&self) -> (usize, usize, usize) {
        let w = self.width as usize;
        (w, w / 2, w / 2)
    }

    fn y(&self) -> &[u8] {
        VideoFrame::y(self)
    }

    fn u(&self) -> &[u8] {
        VideoFrame::u(self)
    }

    fn v(&self) -> &[u8] {
        VideoFrame::v(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audio_frame_accepts_only_whole_frames() {
        assert!(AudioFrame::new(vec![0.0; 960], 1, 0).is_ok());
        assert!(AudioFrame::new(vec![0.0; 960], 2, 0).is_ok()); // 10 ms stereo
        assert_eq!(AudioFrame::new(vec![0.0; 960], 2, 0).unwrap().duration(), FrameDuration::Ms10);
        assert!(AudioFrame::new(vec![0.0; 961], 1, 0).is_err());
        assert!(AudioFrame::new(vec![0.0; 960], 3, 0).is_err());
        assert!(AudioFrame::new(vec![], 1, 0).is_err());
    }

    #[test]
    fn video_frame_rejects_odd_or_absurd_sizes() {
        assert!(VideoFrame::filled(640, 360, 16).is_ok());
        assert!(VideoFrame::filled(641, 360, 16).is_err());
        assert!(VideoFrame::filled(100_000, 2, 16).is_err());
        assert!(VideoFrame::filled(0, 0, 16).is_err());
        assert!(VideoFrame::from_i420(64, 64, vec![0; 10], 0, 0).is_err());
    }

    #[test]
    fn planes_are_where_i420_puts_them() {
        let mut f = VideoFrame::filled(32, 16, 50).unwrap();
        {
            let (_, u, v) = f.planes_mut();
            u.fill(1);
            v.fill(2);
        }
        assert_eq!(f.y().len(), 512);
        assert!(f.y().iter().all(|&p| p == 50));
        assert_eq!(f.u().len(), 128);
        assert!(f.u().iter().all(|&p| p == 1));
        assert!(f.v().iter().all(|&p| p == 2));
    }

    #[test]
    fn from_planes_removes_stride_padding() {
        let (w, h) = (16usize, 16usize);
        let y: Vec<u8> = (0..h * 32).map(|i| (i % 32) as u8).collect();
        let u = vec![7u8; (h / 2) * 16];
        let v = vec![9u8; (h / 2) * 16];
        let f = VideoFrame::from_planes(w as u32, h as u32, (&y, 32), (&u, 16), (&v, 16), 5, 6).unwrap();
        assert_eq!(&f.y()[..16], &(0..16).collect::<Vec<u8>>()[..]);
        assert!(f.u().iter().all(|&p| p == 7));
        assert!(f.v().iter().all(|&p| p == 9));
        assert!(VideoFrame::from_planes(16, 16, (&y[..20], 32), (&u, 16), (&v, 16), 0, 0).is_err());
    }
}
