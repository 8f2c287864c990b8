//! From what the pre-join screen chose (and the settings) to a `MeetingConfig`: the same
//! choices `trygg host`/`trygg join` make from their flags, plus what only a UI needs (a video
//! channel per participant, our own camera for the self view).

use serde::{Deserialize, Serialize};
use trygg::e2ee::identity::DeviceIdentity;
use trygg::media::clock::{SystemClock, wall_clock_us};
use trygg::media::h264::H264Config;
use trygg::media::loopback::AUDIO_FRAME;
use trygg::media::opus::OpusConfig;
use trygg::media::sink::{AudioSink, VideoSender};
use trygg::media::source::VideoSource;
use trygg::media::spec::{AudioSpec, VideoShape, VideoSpec};
use trygg::meeting::{Entry, MeetingConfig, MeetingTarget};
use trygg::net::peer::{IceServer, PeerConfig};
use trygg::secrets::SecretStore;

use crate::contract::UiError;
use crate::settings::Settings;
use crate::video::SelfView;

/// What the camera is asked for in a meeting.
pub const CALL_SHAPE: VideoShape = VideoShape { width: 1280, height: 720, fps: 30 };
/// The keychain entry of the TURN password.
pub const TURN_PASSWORD: &str = "turn-password";

/// The pre-join screen's choices (ui/src/backend/types.ts `JoinOptions`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinOptions {
    /// The name others see.
    pub name: String,
    /// Camera spec.
    pub camera: String,
    /// Microphone spec.
    pub microphone: String,
    /// `default`, a speaker id, or `none`.
    pub speaker: String,
    /// Start with the camera off.
    pub camera_off: bool,
    /// Start with the microphone off.
    pub microphone_off: bool,
}

/// This device's identity: from the keychain, or (`TRYGG_IDENTITY=ephemeral`, for tests and
/// machines without a keychain) a new one for this run only.
pub fn identity(keychain: Option<&dyn SecretStore>) -> Result<DeviceIdentity, UiError> {
    let mut rng = rand_core_06::OsRng;
    match keychain {
        Some(store) => Ok(DeviceIdentity::load_or_create(store, &mut rng)?.0),
        None => Ok(DeviceIdentity::generate(&mut rng)),
    }
}

/// The camera the page chose: a camera, the test pattern or none. A screen, a window or a file
/// is refused: those are shared only through the share picker, with its banner, never because
/// the page named them as a "camera".
pub fn camera_choice(choice: &str) -> Result<VideoSpec, UiError> {
    match choice.parse::<VideoSpec>()? {
        spec @ (VideoSpec::None | VideoSpec::Synthetic | VideoSpec::Camera(_)) => Ok(spec),
        VideoSpec::File(_) | VideoSpec::Share(_) => Err(UiError::new(
            "shell.not_a_camera",
            "only a camera, the test pattern or none can be chosen as the camera; screens and windows are shared through the share picker",
        )),
    }
}

/// The microphone the page chose: a microphone, the test tone or none (never a file).
pub fn microphone_choice(choice: &str) -> Result<AudioSpec, UiError> {
    match choice.parse::<AudioSpec>()? {
        spec @ (AudioSpec::None | AudioSpec::Synthetic | AudioSpec::Mic(_)) => Ok(spec),
        AudioSpec::File(_) => Err(UiError::new(
            "shell.not_a_microphone",
            "only a microphone, the test tone or none can be chosen as the microphone",
        )),
    }
}

fn speaker(choice: &str) -> Result<Option<Box<dyn AudioSink>>, UiError> {
    match choice {
        "none" => Ok(None),
        "default" => Ok(Some(Box::new(trygg::media::audio_device::Speaker::open(None)?))),
        id => Ok(Some(Box::new(trygg::media::audio_device::Speaker::open(Some(id))?))),
    }
}

/// Everything the meeting needs. `self_view` gets a copy of every camera picture.
#[allow(clippy::too_many_arguments)]
pub fn meeting_config(
    options: &JoinOptions,
    settings: &Settings,
    target: MeetingTarget,
    entry: Entry,
    invitation: Option<String>,
    identity: DeviceIdentity,
    turn_password: String,
    self_view: VideoSender,
) -> Result<MeetingConfig, UiError> {
    let started_us = wall_clock_us();
    let clock = SystemClock::shared();
    let video = camera_choice(&options.camera)?.open(CALL_SHAPE, clock.clone())?;
    let video = video.map(|v| Box::new(SelfView::new(v, self_view)) as VideoSource);
    let audio = microphone_choice(&options.microphone)?.open(AUDIO_FRAME, clock.clone())?;
    let mut ice_servers = vec![];
    if !settings.ice.is_empty() {
        ice_servers.push(IceServer {
            urls: settings.ice.clone(),
            username: settings.turn_user.clone(),
            credential: turn_password,
        });
    }
    Ok(MeetingConfig {
        target,
        entry,
        name: options.name.trim().chars().take(64).collect(),
        identity,
        invitation,
        // The personal invitations this device made, for the revoked ones (not a secret).
        invitation_list: trygg::meeting::invitations::default_path(),
        invited_only: false,
        video,
        audio,
        h264: H264Config { fps: CALL_SHAPE.fps as f32, ..H264Config::default() },
        opus: OpusConfig::default(),
        peer: PeerConfig { ice_servers, ..PeerConfig::default() },
        auto_admit: false,
        // The participants this device verified, beside the settings (not a secret).
        known_peers: trygg::meeting::trust::default_path(),
        speaker: speaker(&options.speaker)?,
        record: None,
        video_channels: true,
        audio_processing: settings.audio,
        started_us,
        clock,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_can_choose_cameras_and_microphones_but_never_a_screen_window_or_file() {
        for ok in ["camera", "camera:/dev/video2", "synthetic", "none"] {
            assert!(camera_choice(ok).is_ok(), "{ok}");
        }
        for ok in ["mic", "mic:hw:1", "synthetic", "none"] {
            assert!(microphone_choice(ok).is_ok(), "{ok}");
        }
        for bad in ["screen", "screen:0", "window:0x3a00007", "file:/home/kari/secret.y4m"] {
            let e = camera_choice(bad).expect_err(bad);
            assert!(e.code == "shell.not_a_camera" || e.code.starts_with("media."), "{bad}: {e}");
        }
        assert_eq!(camera_choice("screen:0").unwrap_err().code, "shell.not_a_camera");
        assert_eq!(microphone_choice("file:/etc/passwd.wav").unwrap_err().code, "shell.not_a_microphone");
    }
}
