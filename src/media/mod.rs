//! The media core: frames, sources, sinks, codecs and the measurements that keep them honest.
//!
//! ```text
//!  capture thread                 processing                      transport
//!  ┌───────────────┐  bounded   ┌──────────────────────────┐
//!  │ Source::next_ │──queue────▶│ convert/scale → encoder  │──▶ SFrame → peers
//!  │ frame()       │ (drops the │ (H264Encoder/OpusEncoder)│
//!  └───────────────┘  oldest)   └──────────────────────────┘
//!        camera | microphone | synthetic | Y4M/WAV file
//! ```
//!
//! * **Frames** ([`frame`]): 48 kHz float audio in 10/20 ms frames; I420 video. Both carry their
//!   wall-clock capture time so latency is measurable anywhere downstream.
//! * **Sources** ([`source::Source`]): one trait for [`camera`], [`audio_device::Microphone`],
//!   [`synthetic_video`], [`synthetic_audio`], [`y4m`] and [`wav`] files. The synthetic ones
//!   carry their own timing: the picture has its capture time in its pixels ([`pixel_stamp`]),
//!   the tone has a click on every whole second.
//! * **Sinks** ([`sink`]): the speaker and a latest-picture-wins video channel.
//! * **Codecs**: [`h264`] (openh264, built from source) and [`opus`] (libopus).
//!
//! Devices that are missing, busy or unplugged are [`MediaError`] values; the rest of the
//! pipeline keeps working without them.

pub mod analysis;
pub use trygg_core::media::annexb;
#[cfg(feature = "audio-devices")]
pub mod audio_device;
pub mod audio_processing;
#[cfg(feature = "camera")]
pub mod camera;
pub mod clock;
pub mod convert;
pub mod devices;
mod error;
pub mod frame;
pub mod h264;
pub mod loopback;
pub mod opus;
pub mod pixel_stamp;
pub mod resample;
pub mod screen;
pub mod sink;
pub mod source;
pub mod spec;
pub mod stats;
pub mod synthetic_audio;
pub mod synthetic_video;
pub mod wav;
pub mod y4m;

pub use error::{DeviceKind, GRANT_IN_PRIVACY_SETTINGS, MediaError};
pub use frame::{AudioFrame, FrameDuration, SAMPLE_RATE, VideoFrame};
