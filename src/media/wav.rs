//! WAV files: read as an audio source (any PCM or float format, any rate, any channel count,
//! turned into 48 kHz mono) and written by recorders (48 kHz 16-bit PCM).

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::MediaError;
use super::clock::SharedClock;
use super::frame::{AudioFrame, FrameDuration, SAMPLE_RATE};
use super::resample::{Resampler, downmix};
use super::source::{Source, SourceInfo, SourceKind};

/// Sample encodings we read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WavFormat {
    /// Signed integer PCM of 16, 24 or 32 bits (or unsigned 8 bits).
    Pcm(u16),
    /// IEEE float, 32 bits.
    Float32,
}

/// A decoded WAV file.
#[derive(Debug, Clone, PartialEq)]
pub struct Wav {
    /// Samples per second.
    pub sample_rate: u32,
    /// Interleaved channels.
    pub channels: u16,
    /// Sample encoding in the file.
    pub format: WavFormat,
    /// Interleaved samples in [-1, 1].
    pub samples: Vec<f32>,
}

fn u16_at(b: &[u8], i: usize) -> u16 {
    u16::from_le_bytes([b[i], b[i + 1]])
}

fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

impl Wav {
    /// Parses a whole WAV file.
    pub fn parse(bytes: &[u8]) -> Result<Self, MediaError> {
        if bytes.len() < 12 || &bytes[..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
            return Err(MediaError::corrupt("WAV", "not a RIFF/WAVE file"));
        }
        let mut fmt: Option<(WavFormat, u16, u32)> = None;
        let mut at = 12;
        while at + 8 <= bytes.len() {
            let id = &bytes[at..at + 4];
            let declared = u32_at(bytes, at + 4) as usize;
            let body = at + 8;
            let available = bytes.len() - body;
            if id == b"fmt " {
                if declared < 16 || available < 16 {
                    return Err(MediaError::corrupt("WAV", "fmt chunk is truncated"));
                }
                let b = &bytes[body..];
                let mut tag = u16_at(b, 0);
                let channels = u16_at(b, 2);
                let rate = u32_at(b, 4);
                let bits = u16_at(b, 14);
                if tag == 0xfffe && declared >= 40 && available >= 40 {
                    tag = u16_at(b, 24); // the sub-format GUID starts with the real tag
                }
                let format = match (tag, bits) {
                    (1, 8 | 16 | 24 | 32) => WavFormat::Pcm(bits),
                    (3, 32) => WavFormat::Float32,
                    _ => {
                        return Err(MediaError::Unsupported {
                            format: "WAV",
                            why: format!("format tag {tag} with {bits} bits"),
                        });
                    }
                };
                if channels == 0 || channels > 32 || !(1_000..=384_000).contains(&rate) {
                    return Err(MediaError::corrupt("WAV", format!("{channels} channels at {rate} Hz")));
                }
                fmt = Some((format, channels, rate));
            } else if id == b"data" {
                let (format, channels, sample_rate) =
                    fmt.ok_or_else(|| MediaError::corrupt("WAV", "data before fmt"))?;
                // 0 and 0xffffffff are what streaming writers leave when they never learnt the size.
                let len = if declared == 0 || declared == u32::MAX as usize {
                    available
                } else if declared > available {
                    return Err(MediaError::corrupt(
                        "WAV",
                        format!("data chunk declares {declared} bytes but the file holds {available}: truncated"),
                    ));
                } else {
                    declared
                };
                let samples = decode_samples(&bytes[body..body + len], format);
                return Ok(Self { sample_rate, channels, format, samples });
            }
            at = body.saturating_add(declared).saturating_add(declared & 1);
        }
        Err(MediaError::corrupt("WAV", "no data chunk (truncated?)"))
    }

    /// The samples as 48 kHz mono.
    pub fn to_mono_48k(&self) -> Vec<f32> {
        let mut mono = Vec::with_capacity(self.samples.len() / usize::from(self.channels));
        downmix(&self.samples, usize::from(self.channels), &mut mono);
        let mut out = Vec::with_capacity(mono.len() * SAMPLE_RATE as usize / self.sample_rate as usize + 64);
        let mut r = Resampler::new(self.sample_rate, SAMPLE_RATE);
        r.process(&mono, &mut out);
        r.process(&[0.0; 64], &mut out); // flush the filter's tail
        out
    }
}

fn decode_samples(data: &[u8], format: WavFormat) -> Vec<f32> {
    match format {
        WavFormat::Pcm(8) => data.iter().map(|&b| (f32::from(b) - 128.0) / 128.0).collect(),
        WavFormat::Pcm(16) => {
            data.chunks_exact(2).map(|c| f32::from(i16::from_le_bytes([c[0], c[1]])) / 32_768.0).collect()
        }
        WavFormat::Pcm(24) => data
            .chunks_exact(3)
            .map(|c| (i32::from_le_bytes([0, c[0], c[1], c[2]]) >> 8) as f32 / 8_388_608.0)
            .collect(),
        WavFormat::Pcm(_) => data
            .chunks_exact(4)
            .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f32 / 2_147_483_648.0)
            .collect(),
        WavFormat::Float32 => {
            data.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]).clamp(-1.0, 1.0)).collect()
        }
    }
}

/// Writes 48 kHz 16-bit PCM; the sizes in the header are fixed up by [`WavWriter::finish`].
pub struct WavWriter {
    out: BufWriter<File>,
    path: PathBuf,
    channels: u16,
    bytes: u32,
}

impl WavWriter {
    /// Creates (or replaces) `path`.
    pub fn create(path: &Path, channels: u16) -> Result<Self, MediaError> {
        let f = File::create(path).map_err(|e| MediaError::io(path, e))?;
        let mut w = Self { out: BufWriter::new(f), path: path.to_owned(), channels, bytes: 0 };
        w.header().map_err(|e| MediaError::io(path, e))?;
        Ok(w)
    }

    fn header(&mut self) -> std::io::Result<()> {
        let block = self.channels * 2;
        let o = &mut self.out;
        o.write_all(b"RIFF")?;
        o.write_all(&(36 + self.bytes).to_le_bytes())?;
        o.write_all(b"WAVEfmt ")?;
        o.write_all(&16u32.to_le_bytes())?;
        o.write_all(&1u16.to_le_bytes())?;
        o.write_all(&self.channels.to_le_bytes())?;
        o.write_all(&SAMPLE_RATE.to_le_bytes())?;
        o.write_all(&(SAMPLE_RATE * u32::from(block)).to_le_bytes())?;
        o.write_all(&block.to_le_bytes())?;
        o.write_all(&16u16.to_le_bytes())?;
        o.write_all(b"data")?;
        o.write_all(&self.bytes.to_le_bytes())
    }

    /// Appends interleaved samples.
    pub fn write(&mut self, samples: &[f32]) -> Result<(), MediaError> {
        for s in samples {
            let v = (s.clamp(-1.0, 1.0) * 32_767.0).round() as i16;
            self.out.write_all(&v.to_le_bytes()).map_err(|e| MediaError::io(&self.path, e))?;
        }
        self.bytes = self.bytes.saturating_add(samples.len() as u32 * 2);
        Ok(())
    }

    /// Writes the final sizes into the header and closes the file.
    pub fn finish(mut self) -> Result<(), MediaError> {
        let path = self.path.clone();
        (|| {
            self.out.seek(SeekFrom::Start(0))?;
            self.header()?;
            self.out.flush()
        })()
        .map_err(|e| MediaError::io(path, e))
    }
}

/// A WAV file played as a microphone: 48 kHz mono frames, paced by the clock, optionally looping.
pub struct WavSource {
    path: PathBuf,
    original: (u32, u16),
    samples: Vec<f32>,
    at: usize,
    duration: FrameDuration,
    clock: SharedClock,
    looping: bool,
    start_us: Option<u64>,
    emitted: u64,
}

impl WavSource {
    /// Loads `path` (whole: meeting-sized files are small).
    pub fn open(path: &Path, duration: FrameDuration, clock: SharedClock, looping: bool) -> Result<Self, MediaError> {
        let bytes = std::fs::read(path).map_err(|e| MediaError::io(path, e))?;
        let wav = Wav::parse(&bytes)?;
        let samples = wav.to_mono_48k();
        if samples.len() < duration.samples_per_channel() {
            return Err(MediaError::corrupt("WAV", "shorter than one audio frame"));
        }
        Ok(Self {
            path: path.to_owned(),
            original: (wav.sample_rate, wav.channels),
            samples,
            at: 0,
            duration,
            clock,
            looping,
            start_us: None,
            emitted: 0,
        })
    }
}

impl Source for WavSource {
    type Frame = AudioFrame;

    fn info(&self) -> SourceInfo {
        SourceInfo {
            kind: SourceKind::File,
            name: self.path.display().to_string(),
            format: format!("{} Hz, {} channel(s) → 48000 Hz mono", self.original.0, self.original.1),
        }
    }

    fn next_frame(&mut self) -> Result<Option<AudioFrame>, MediaError> {
        let n = self.duration.samples_per_channel();
        if self.at + n > self.samples.len() {
            if !self.looping {
                return Ok(None);
            }
            self.at = 0;
        }
        let start = *self.start_us.get_or_insert_with(|| self.clock.now_us());
        let capture_us = start + self.emitted * self.duration.micros();
        self.clock.sleep_until_us(capture_us + self.duration.micros());
        let frame = AudioFrame::new(self.samples[self.at..self.at + n].to_vec(), 1, capture_us)?;
        self.at += n;
        self.emitted += 1;
        Ok(Some(frame))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wav_bytes(tag: u16, channels: u16, rate: u32, bits: u16, data: &[u8]) -> Vec<u8> {
        let mut b = b"RIFF\0\0\0\0WAVEfmt ".to_vec();
        b.extend_from_slice(&16u32.to_le_bytes());
        b.extend_from_slice(&tag.to_le_bytes());
        b.extend_from_slice(&channels.to_le_bytes());
        b.extend_from_slice(&rate.to_le_bytes());
        b.extend_from_slice(&(rate * u32::from(channels * bits / 8)).to_le_bytes());
        b.extend_from_slice(&(channels * bits / 8).to_le_bytes());
        b.extend_from_slice(&bits.to_le_bytes());
        b.extend_from_slice(b"LIST\x04\0\0\0abcd"); // a chunk readers must skip
        b.extend_from_slice(b"data");
        b.extend_from_slice(&(data.len() as u32).to_le_bytes());
        b.extend_from_slice(data);
        b
    }

    #[test]
    fn reads_pcm16_float_and_24_bit() {
        let pcm: Vec<u8> = [16_384i16, -16_384].iter().flat_map(|s| s.to_le_bytes()).collect();
        let w = Wav::parse(&wav_bytes(1, 2, 44_100, 16, &pcm)).unwrap();
        assert_eq!((w.sample_rate, w.channels, w.samples.clone()), (44_100, 2, vec![0.5, -0.5]));
        let f: Vec<u8> = [0.25f32].iter().flat_map(|s| s.to_le_bytes()).collect();
        assert_eq!(Wav::parse(&wav_bytes(3, 1, 48_000, 32, &f)).unwrap().samples, vec![0.25]);
        let w24 = Wav::parse(&wav_bytes(1, 1, 48_000, 24, &[0, 0, 0x40])).unwrap();
        assert_eq!(w24.samples, vec![0.5]);
    }

    #[test]
    fn truncated_and_hostile_files_are_clear_errors() {
        let pcm = vec![0u8; 400];
        let good = wav_bytes(1, 1, 48_000, 16, &pcm);
        for cut in [0, 4, 11, 20, 30, 50, good.len() - 10] {
            let err = Wav::parse(&good[..cut]).expect_err(&format!("cut {cut}"));
            assert!(matches!(err, MediaError::Corrupt { .. }), "{cut}: {err}");
        }
        assert!(Wav::parse(&wav_bytes(2, 1, 48_000, 4, &pcm)).is_err()); // ADPCM
        assert!(Wav::parse(&wav_bytes(1, 0, 48_000, 16, &pcm)).is_err());
        assert!(Wav::parse(&wav_bytes(1, 1, 0, 16, &pcm)).is_err());
        let mut huge = good.clone();
        huge[16..20].copy_from_slice(&u32::MAX.to_le_bytes()); // fmt chunk claims 4 GB
        assert!(Wav::parse(&huge).is_err());
    }

    #[test]
    fn writer_output_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.wav");
        let mut w = WavWriter::create(&path, 1).unwrap();
        w.write(&[0.5, -0.5, 0.0]).unwrap();
        w.finish().unwrap();
        let wav = Wav::parse(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!((wav.sample_rate, wav.channels), (48_000, 1));
        assert!(wav.samples.iter().zip([0.5, -0.5, 0.0]).all(|(a, b)| (a - b).abs() < 1e-4));
    }
}
