//! What capture and playback devices this machine has.

use std::fmt;

use serde::Serialize;

use super::MediaError;

/// A video format a camera offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VideoFormat {
    /// Picture width.
    pub width: u32,
    /// Picture height.
    pub height: u32,
    /// Frames per second.
    pub fps: u32,
    /// The camera's pixel format (MJPEG, YUYV, NV12, ...).
    pub pixel_format: String,
}

impl fmt::Display for VideoFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{} {} @{}", self.width, self.height, self.pixel_format, self.fps)
    }
}

/// A camera.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CameraDevice {
    /// What to pass to `--video camera:ID`.
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// Formats Trygg can use.
    pub formats: Vec<VideoFormat>,
}

/// What a microphone or speaker accepts, summarised over all its configurations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct AudioFormats {
    /// Fewest and most channels.
    pub channels: (u16, u16),
    /// Lowest and highest sample rate.
    pub rates: (u32, u32),
    /// Sample formats (f32, i16, ...).
    pub sample_formats: Vec<String>,
}

impl AudioFormats {
    /// Adds one configuration range to the summary.
    pub fn add(&mut self, channels: u16, min_rate: u32, max_rate: u32, sample_format: String) {
        if self.sample_formats.is_empty() {
            self.channels = (channels, channels);
            self.rates = (min_rate, max_rate);
        }
        self.channels = (self.channels.0.min(channels), self.channels.1.max(channels));
        self.rates = (self.rates.0.min(min_rate), self.rates.1.max(max_rate));
        if !self.sample_formats.contains(&sample_format) {
            self.sample_formats.push(sample_format);
        }
    }

    /// True when nothing was added.
    pub fn is_empty(&self) -> bool {
        self.sample_formats.is_empty()
    }
}

impl fmt::Display for AudioFormats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let range = |a: u32, b: u32| if a == b { a.to_string() } else { format!("{a}-{b}") };
        write!(
            f,
            "{} ch, {} Hz, {}",
            range(self.channels.0.into(), self.channels.1.into()),
            range(self.rates.0, self.rates.1),
            self.sample_formats.join(" ")
        )
    }
}

/// A microphone or speaker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AudioDevice {
    /// What to pass to `--audio mic:ID` or `--speaker ID`.
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// True for the system's default device.
    pub is_default: bool,
    /// Formats offered.
    pub formats: AudioFormats,
}

/// Every device, with the reason a whole kind could not be listed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DeviceList {
    /// Cameras.
    pub cameras: Vec<CameraDevice>,
    /// Microphones.
    pub microphones: Vec<AudioDevice>,
    /// Speakers.
    pub speakers: Vec<AudioDevice>,
    /// Screens and windows that can be shared.
    pub share: Vec<super::screen::ShareSource>,
    /// Problems met while listing (a kind that could not be queried), as sentences.
    pub problems: Vec<String>,
}

/// Lists every device. A missing backend or a failing query becomes a problem line, so that the
/// other kinds are still listed.
pub fn list_all() -> DeviceList {
    let mut list = DeviceList::default();
    #[cfg(feature = "camera")]
    match super::camera::list() {
        Ok(c) => list.cameras = c,
        Err(e) => list.problems.push(format!("cameras: {e}")),
    }
    #[cfg(not(feature = "camera"))]
    list.problems.push("cameras: this build has no camera support (feature \"camera\")".into());
    #[cfg(feature = "audio-devices")]
    match super::audio_device::list() {
        Ok((mics, speakers)) => {
            list.microphones = mics;
            list.speakers = speakers;
        }
        Err(e) => list.problems.push(format!("audio: {e}")),
    }
    #[cfg(not(feature = "audio-devices"))]
    list.problems.push("audio: this build has no audio device support (feature \"audio-devices\")".into());
    match super::screen::list(0) {
        Ok(s) => list.share = s,
        Err(e) => list.problems.push(format!("screen sharing: {e}")),
    }
    list
}

/// Result type of device operations.
pub type DeviceResult<T> = Result<T, MediaError>;
