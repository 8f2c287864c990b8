//! The one trait behind every capture source: camera, microphone, screen, synthetic, file.

use super::MediaError;
use super::frame::{AudioFrame, VideoFrame};

/// What kind of thing a source is, for listings and stats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// Generated test media with timestamps in it.
    Synthetic,
    /// A camera.
    Camera,
    /// A microphone.
    Microphone,
    /// A Y4M or WAV file.
    File,
    /// A shared screen or window.
    Screen,
}

/// A description of an open source.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SourceInfo {
    /// What it is.
    pub kind: SourceKind,
    /// Human-readable name (device name or file path).
    pub name: String,
    /// Format in use, e.g. "1280x720 MJPEG @30" or "48000 Hz mono".
    pub format: String,
}

/// A producer of frames.
///
/// `next_frame` blocks until the next frame is due (live devices, paced synthetic and file
/// sources) and returns `Ok(None)` at the end of a finite source. Errors are values: a camera
/// that is unplugged mid-call gives `Err(MediaError::DeviceFailed {..})`, never a panic.
pub trait Source: Send {
    /// [`VideoFrame`] or [`AudioFrame`].
    type Frame;
    /// What this source is.
    fn info(&self) -> SourceInfo;
    /// The next frame, or None at the end of the stream.
    fn next_frame(&mut self) -> Result<Option<Self::Frame>, MediaError>;
}

/// Any video source.
pub type VideoSource = Box<dyn Source<Frame = VideoFrame>>;
/// Any audio source.
pub type AudioSource = Box<dyn Source<Frame = AudioFrame>>;
