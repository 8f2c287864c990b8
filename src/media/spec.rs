//! Choosing a source from a short text, as the command line and settings name them:
//! `synthetic`, `camera`, `camera:ID`, `screen`, `screen:N`, `window:ID`, `slide`, `mic`, `mic:ID`,
//! `file:PATH`, `none`.

use std::path::PathBuf;
use std::str::FromStr;

use super::MediaError;
use super::clock::SharedClock;
use super::frame::FrameDuration;
use super::source::{AudioSource, VideoSource};
use super::synthetic_audio::SyntheticAudio;
use super::synthetic_video::SyntheticVideo;
use super::wav::WavSource;
use super::y4m::Y4mSource;

/// Which video source to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VideoSpec {
    /// No video.
    None,
    /// The synthetic test pattern.
    Synthetic,
    /// A camera (None: the first one).
    Camera(Option<String>),
    /// A Y4M file, looped.
    File(PathBuf),
    /// A screen, a window or the synthetic slide ([`super::screen`]).
    Share(super::screen::ShareTarget),
}

/// Which audio source to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AudioSpec {
    /// No audio.
    None,
    /// The synthetic tone with clicks.
    Synthetic,
    /// A microphone (None: the default one).
    Mic(Option<String>),
    /// A WAV file, looped.
    File(PathBuf),
}

fn split(s: &str) -> (&str, Option<&str>) {
    match s.split_once(':') {
        Some((k, v)) => (k, Some(v)),
        None => (s, None),
    }
}

fn bad(what: &'static str, s: &str, allowed: &str) -> MediaError {
    MediaError::invalid(what, format!("\"{s}\"; use {allowed}"))
}

impl FromStr for VideoSpec {
    type Err = MediaError;

    fn from_str(s: &str) -> Result<Self, MediaError> {
        const ALLOWED: &str = "synthetic, camera, camera:ID, screen[:N], window[:ID], slide, file:PATH.y4m or none";
        match split(s.trim()) {
            ("screen" | "window", _) => super::screen::ShareTarget::parse(s.trim()).map(Self::Share),
            ("slide", None) => {
                Ok(Self::Share(super::screen::ShareTarget::Synthetic { width: 0, height: 0, still: false }))
            }
            ("none", None) => Ok(Self::None),
            ("synthetic", None) => Ok(Self::Synthetic),
            ("camera", None) => Ok(Self::Camera(None)),
            ("camera", Some(id)) if !id.is_empty() => Ok(Self::Camera(Some(id.to_owned()))),
            ("file", Some(p)) if !p.is_empty() => Ok(Self::File(PathBuf::from(p))),
            _ => Err(bad("video source", s, ALLOWED)),
        }
    }
}

impl FromStr for AudioSpec {
    type Err = MediaError;

    fn from_str(s: &str) -> Result<Self, MediaError> {
        const ALLOWED: &str = "synthetic, mic, mic:ID, file:PATH.wav or none";
        match split(s.trim()) {
            ("none", None) => Ok(Self::None),
            ("synthetic", None) => Ok(Self::Synthetic),
            ("mic", None) => Ok(Self::Mic(None)),
            ("mic", Some(id)) if !id.is_empty() => Ok(Self::Mic(Some(id.to_owned()))),
            ("file", Some(p)) if !p.is_empty() => Ok(Self::File(PathBuf::from(p))),
            _ => Err(bad("audio source", s, ALLOWED)),
        }
    }
}

/// Wanted picture size and rate (a camera gets the nearest it offers; a file keeps its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VideoShape {
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
    /// Frames per second.
    pub fps: u32,
}

impl VideoSpec {
    /// Screen content (sharp text first) rather than camera video.
    pub fn is_screen(&self) -> bool {
        matches!(self, Self::Share(_))
    }

    /// Opens the source. `None` gives `Ok(None)`.
    pub fn open(&self, shape: VideoShape, clock: SharedClock) -> Result<Option<VideoSource>, MediaError> {
        Ok(match self {
            Self::None => None,
            Self::Synthetic => Some(Box::new(SyntheticVideo::new(shape.width, shape.height, shape.fps, clock)?)),
            Self::File(p) => Some(Box::new(Y4mSource::open(p, clock, true)?)),
            Self::Share(super::screen::ShareTarget::Synthetic { still, .. }) => {
                let slide =
                    super::screen::ShareTarget::Synthetic { width: shape.width, height: shape.height, still: *still };
                Some(super::screen::open(&slide, shape.fps, clock)?)
            }
            Self::Share(t) => Some(super::screen::open(t, shape.fps, clock)?),
            #[cfg(feature = "camera")]
            Self::Camera(id) => Some(Box::new(super::camera::CameraSource::open(
                id.as_deref(),
                shape.width,
                shape.height,
                shape.fps,
                clock,
            )?)),
            #[cfg(not(feature = "camera"))]
            Self::Camera(_) => {
                return Err(MediaError::NoDevice {
                    kind: super::DeviceKind::Camera,
                    hint: Some("this build has no camera support (feature \"camera\")"),
                });
            }
        })
    }
}

impl AudioSpec {
    /// Opens the source. `None` gives `Ok(None)`.
    pub fn open(&self, duration: FrameDuration, clock: SharedClock) -> Result<Option<AudioSource>, MediaError> {
        Ok(match self {
            Self::None => None,
            Self::Synthetic => Some(Box::new(SyntheticAudio::new(duration, clock))),
            Self::File(p) => Some(Box::new(WavSource::open(p, duration, clock, true)?)),
            #[cfg(feature = "audio-devices")]
            Self::Mic(id) => Some(Box::new(super::audio_device::Microphone::open(id.as_deref(), duration, clock)?)),
            #[cfg(not(feature = "audio-devices"))]
            Self::Mic(_) => {
                return Err(MediaError::NoDevice {
                    kind: super::DeviceKind::Microphone,
                    hint: Some("this build has no audio device support (feature \"audio-devices\")"),
                });
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_and_refuse_nonsense() {
        assert_eq!("camera:2".parse::<VideoSpec>().unwrap(), VideoSpec::Camera(Some("2".into())));
        assert_eq!("camera".parse::<VideoSpec>().unwrap(), VideoSpec::Camera(None));
        assert_eq!("file:/a:b.y4m".parse::<VideoSpec>().unwrap(), VideoSpec::File("/a:b.y4m".into()));
        assert_eq!("mic".parse::<AudioSpec>().unwrap(), AudioSpec::Mic(None));
        assert_eq!("none".parse::<AudioSpec>().unwrap(), AudioSpec::None);
        for bad in ["", "camera:", "webcam", "file:", "synthetic:x", "mic"] {
            assert!(bad.parse::<VideoSpec>().is_err(), "{bad}");
        }
        for bad in ["", "mic:", "camera", "file:"] {
            assert!(bad.parse::<AudioSpec>().is_err(), "{bad}");
        }
    }
}
