//! Errors of the media layer: typed, with a stable code the UI can map to a sentence.

use std::fmt;

/// What kind of device an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceKind {
    /// A video capture device.
    Camera,
    /// An audio capture device.
    Microphone,
    /// An audio output device.
    Speaker,
    /// A screen or window to share.
    Screen,
}

impl fmt::Display for DeviceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Camera => "camera",
            Self::Microphone => "microphone",
            Self::Speaker => "speaker",
            Self::Screen => "screen",
        })
    }
}

/// Everything that can go wrong while capturing, converting, coding or playing media.
///
/// None of these is a panic: a missing camera or a corrupt packet is a value the caller handles,
/// and the rest of the meeting goes on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MediaError {
    /// The system has no device of this kind (or the build has no backend for it).
    #[error("no {kind} found{}", hint.map(|h| format!(": {h}")).unwrap_or_default())]
    NoDevice {
        /// Camera, microphone or speaker.
        kind: DeviceKind,
        /// What to do about it, when there is something to say.
        hint: Option<&'static str>,
    },
    /// A device was named that does not exist.
    #[error("{kind} \"{id}\" not found; `trygg devices` lists the ones that exist")]
    DeviceNotFound {
        /// Camera, microphone or speaker.
        kind: DeviceKind,
        /// The name or id that was asked for.
        id: String,
    },
    /// The device exists but another program holds it.
    #[error("{kind} \"{name}\" is busy; close the other program that uses it and try again")]
    DeviceBusy {
        /// Camera, microphone or speaker.
        kind: DeviceKind,
        /// The device's name.
        name: String,
    },
    /// The OS refused access.
    #[error("access to the {kind} was denied; {how}")]
    PermissionDenied {
        /// Camera, microphone, speaker or screen.
        kind: DeviceKind,
        /// How to grant it.
        how: &'static str,
    },
    /// The device failed or went away while in use.
    #[error("{kind} failed: {detail}")]
    DeviceFailed {
        /// Camera, microphone or speaker.
        kind: DeviceKind,
        /// What the backend said.
        detail: String,
    },
    /// A setting was out of range (0 fps, a 100000x1 picture, ...).
    #[error("invalid {what}: {why}")]
    InvalidConfig {
        /// The setting.
        what: &'static str,
        /// Why it was refused, with the allowed range.
        why: String,
    },
    /// Input data that cannot be parsed: a truncated file, a corrupt packet.
    #[error("corrupt {format} data: {why}")]
    Corrupt {
        /// The format being read (Y4M, WAV, H.264, Opus, MJPEG, ...).
        format: &'static str,
        /// What was wrong.
        why: String,
    },
    /// A well-formed input in a variant this build does not handle.
    #[error("unsupported {format}: {why}")]
    Unsupported {
        /// The format being read.
        format: &'static str,
        /// What is not supported.
        why: String,
    },
    /// The codec library refused to work.
    #[error("{codec} codec error: {detail}")]
    Codec {
        /// "H.264" or "Opus".
        codec: &'static str,
        /// What the library said.
        detail: String,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The other end of a pipeline went away.
    #[error("media pipeline closed")]
    Closed,
}

/// How to grant a camera, microphone or speaker that the OS refused.
pub const GRANT_IN_PRIVACY_SETTINGS: &str = "allow Trygg to use it in the system's privacy settings";

impl MediaError {
    pub(crate) fn invalid(what: &'static str, why: impl Into<String>) -> Self {
        Self::InvalidConfig { what, why: why.into() }
    }

    pub(crate) fn corrupt(format: &'static str, why: impl Into<String>) -> Self {
        Self::Corrupt { format, why: why.into() }
    }

    pub(crate) fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Self {
        Self::Io { path: path.as_ref().display().to_string(), source }
    }

    /// A stable machine-readable code (for JSON output and the UI's `{code, message}`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::NoDevice { .. } => "media.no_device",
            Self::DeviceNotFound { .. } => "media.device_not_found",
            Self::DeviceBusy { .. } => "media.device_busy",
            Self::PermissionDenied { .. } => "media.permission_denied",
            Self::DeviceFailed { .. } => "media.device_failed",
            Self::InvalidConfig { .. } => "media.invalid_config",
            Self::Corrupt { .. } => "media.corrupt",
            Self::Unsupported { .. } => "media.unsupported",
            Self::Codec { .. } => "media.codec",
            Self::Io { .. } => "media.io",
            Self::Closed => "media.closed",
        }
    }
}
