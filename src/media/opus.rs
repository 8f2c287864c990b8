//! Opus through libopus (built from source by `opusic-sys`).
//!
//! Defaults are those of a meeting: 20 ms frames, VoIP mode, 32 kbit/s mono, in-band FEC on so a
//! receiver can rebuild a lost packet from the next one, DTX off (silence costs little and DTX
//! confuses some SIP gateways; a setting turns it on).

use ::opus as libopus;

use super::MediaError;
use super::frame::{AudioFrame, FrameDuration, SAMPLE_RATE};

/// Encoder settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpusConfig {
    /// Target bitrate in bits per second.
    pub bitrate_bps: u32,
    /// 1 (mono) or 2 (stereo).
    pub channels: u16,
    /// Frame length.
    pub frame: FrameDuration,
    /// In-band forward error correction.
    pub fec: bool,
    /// Packet loss the FEC plans for, in percent.
    pub expected_loss_pct: u8,
    /// Discontinuous transmission: send almost nothing during silence.
    pub dtx: bool,
    /// Encoder complexity 0..=10.
    pub complexity: u8,
}

impl Default for OpusConfig {
    fn default() -> Self {
        Self {
            bitrate_bps: 32_000,
            channels: 1,
            frame: FrameDuration::Ms20,
            fec: true,
            expected_loss_pct: 10,
            dtx: false,
            complexity: 9,
        }
    }
}

impl OpusConfig {
    /// Checks the settings against what libopus accepts.
    pub fn validate(&self) -> Result<(), MediaError> {
        if !(6_000..=510_000).contains(&self.bitrate_bps) {
            return Err(MediaError::invalid(
                "Opus bitrate",
                format!("{} bit/s; use 6 to 510 kbit/s", self.bitrate_bps),
            ));
        }
        if !(1..=2).contains(&self.channels) {
            return Err(MediaError::invalid("Opus channels", format!("{}; use 1 or 2", self.channels)));
        }
        if self.complexity > 10 || self.expected_loss_pct > 100 {
            return Err(MediaError::invalid("Opus settings", "complexity 0..=10, loss 0..=100 %"));
        }
        Ok(())
    }
}

fn codec_err(e: libopus::Error) -> MediaError {
    MediaError::Codec { codec: "Opus", detail: e.to_string() }
}

fn channels(n: u16) -> libopus::Channels {
    if n == 2 { libopus::Channels::Stereo } else { libopus::Channels::Mono }
}

/// One encoded Opus packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedAudio {
    /// The packet.
    pub data: Vec<u8>,
    /// Capture time of its first sample.
    pub capture_us: u64,
}

/// The Opus encoder.
pub struct OpusEncoder {
    inner: libopus::Encoder,
    config: OpusConfig,
    buf: Vec<u8>,
}

/// Largest Opus packet we produce (RFC 6716 allows 1275 bytes per frame).
const MAX_PACKET: usize = 1500;

impl OpusEncoder {
    /// An encoder with these settings.
    pub fn new(config: OpusConfig) -> Result<Self, MediaError> {
        config.validate()?;
        let mut inner = libopus::Encoder::new(SAMPLE_RATE, channels(config.channels), libopus::Application::Voip)
            .map_err(codec_err)?;
        inner.set_bitrate(libopus::Bitrate::Bits(config.bitrate_bps as i32)).map_err(codec_err)?;
        inner.set_inband_fec(config.fec).map_err(codec_err)?;
        inner.set_packet_loss_perc(i32::from(config.expected_loss_pct)).map_err(codec_err)?;
        inner.set_dtx(config.dtx).map_err(codec_err)?;
        inner.set_complexity(i32::from(config.complexity)).map_err(codec_err)?;
        Ok(Self { inner, config, buf: vec![0; MAX_PACKET] })
    }

    /// The settings in force.
    pub fn config(&self) -> &OpusConfig {
        &self.config
    }

    /// Samples the decoder's output lags behind the input (the encoder's look-ahead).
    pub fn lookahead(&mut self) -> Result<usize, MediaError> {
        self.inner.get_lookahead().map(|n| n as usize).map_err(codec_err)
    }

    /// Changes the bitrate from the next frame on.
    pub fn set_bitrate(&mut self, bps: u32) -> Result<(), MediaError> {
        let mut next = self.config;
        next.bitrate_bps = bps;
        next.validate()?;
        self.inner.set_bitrate(libopus::Bitrate::Bits(bps as i32)).map_err(codec_err)?;
        self.config = next;
        Ok(())
    }

    /// Encodes one frame, which must match the configured channels and frame length.
    pub fn encode(&mut self, frame: &AudioFrame) -> Result<EncodedAudio, MediaError> {
        if frame.channels() != self.config.channels || frame.duration() != self.config.frame {
            return Err(MediaError::invalid(
                "audio frame",
                format!(
                    "{} channel(s) of {} ms; the encoder takes {} of {} ms",
                    frame.channels(),
                    frame.duration().micros() / 1000,
                    self.config.channels,
                    self.config.frame.micros() / 1000
                ),
            ));
        }
        let n = self.inner.encode_float(frame.samples(), &mut self.buf).map_err(codec_err)?;
        Ok(EncodedAudio { data: self.buf[..n].to_vec(), capture_us: frame.capture_us })
    }
}

/// The Opus decoder, with loss concealment and FEC recovery.
pub struct OpusDecoder {
    inner: libopus::Decoder,
    channels: u16,
    frame: FrameDuration,
    buf: Vec<f32>,
}

impl OpusDecoder {
    /// A decoder for `channels` output channels and frames of `frame`.
    pub fn new(channels: u16, frame: FrameDuration) -> Result<Self, MediaError> {
        if !(1..=2).contains(&channels) {
            return Err(MediaError::invalid("Opus channels", format!("{channels}; use 1 or 2")));
        }
        let inner = libopus::Decoder::new(SAMPLE_RATE, self::channels(channels)).map_err(codec_err)?;
        // 120 ms is the longest packet Opus can carry.
        Ok(Self { inner, channels, frame, buf: vec![0.0; 5_760 * usize::from(channels)] })
    }

    /// Decodes one packet. A packet of another frame length is decoded whole and then refused,
    /// since every frame on Trygg's audio path has the configured length.
    pub fn decode(&mut self, packet: &[u8], capture_us: u64) -> Result<AudioFrame, MediaError> {
        let n = self.decode_any(packet)?.len() / usize::from(self.channels);
        self.frame_from(n, capture_us)
    }

    /// Conceals a lost packet. With `next` (the packet after the lost one) and FEC in it, the lost
    /// audio is rebuilt from the redundancy; otherwise it is extrapolated.
    pub fn conceal(&mut self, next: Option<&[u8]>, capture_us: u64) -> Result<AudioFrame, MediaError> {
        let n = self.conceal_any(self.frame.samples_per_channel(), next)?.len() / usize::from(self.channels);
        self.frame_from(n, capture_us)
    }

    /// Decodes a packet of any length Opus allows (the playout buffer's path): the decoded
    /// samples, interleaved.
    pub fn decode_any(&mut self, packet: &[u8]) -> Result<&[f32], MediaError> {
        if packet.is_empty() {
            return Err(MediaError::corrupt("Opus", "empty packet"));
        }
        let n = self
            .inner
            .decode_float(packet, &mut self.buf, false)
            .map_err(|e| MediaError::corrupt("Opus", e.to_string()))?;
        Ok(&self.buf[..n * usize::from(self.channels)])
    }

    /// Makes `samples` per channel (a multiple of 2.5 ms, at most 120 ms) for audio that is
    /// missing: rebuilt from `fec`'s in-band FEC when given (the packet after the missing
    /// audio), else extrapolated (or comfort noise, after a DTX packet).
    pub fn conceal_any(&mut self, samples: usize, fec: Option<&[u8]>) -> Result<&[f32], MediaError> {
        let want = samples.min(5_760) * usize::from(self.channels);
        let n = match fec {
            Some(p) if !p.is_empty() => self
                .inner
                .decode_float(p, &mut self.buf[..want], true)
                .map_err(|e| MediaError::corrupt("Opus", e.to_string()))?,
            _ => self.inner.decode_float(&[], &mut self.buf[..want], false).map_err(codec_err)?,
        };
        Ok(&self.buf[..n * usize::from(self.channels)])
    }

    fn frame_from(&self, per_channel: usize, capture_us: u64) -> Result<AudioFrame, MediaError> {
        if per_channel != self.frame.samples_per_channel() {
            return Err(MediaError::Unsupported {
                format: "Opus",
                why: format!(
                    "a packet of {per_channel} samples; this stream uses {} ms frames",
                    self.frame.micros() / 1000
                ),
            });
        }
        AudioFrame::new(self.buf[..per_channel * usize::from(self.channels)].to_vec(), self.channels, capture_us)
    }
}
