//! The settings file: devices, name, server and TURN, language, window size. JSON in the app's
//! config folder, written atomically (a temporary file in the same folder, synced, then renamed
//! over the old one), so a crash never leaves half a file. It holds no secrets: a TURN password
//! or credentials in a URL are refused ([`Settings::check`]); passwords belong in the keychain.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::contract::UiError;

/// The UI's languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// English.
    #[default]
    En,
    /// Norwegian Bokmål.
    Nb,
    /// Swedish.
    Sv,
}

/// The main window's size, in logical pixels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WindowSize {
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
}

/// Everything Trygg remembers between runs (ui/src/backend/types.ts `Settings`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// `camera`, `camera:ID`, `synthetic` or `none`.
    pub camera: String,
    /// `mic`, `mic:ID`, `synthetic` or `none`.
    pub microphone: String,
    /// `default`, a speaker id, or `none`.
    pub speaker: String,
    /// The name others see.
    pub name: String,
    /// HOST:PORT of a meeting server; empty: Trygg runs one itself.
    pub server: String,
    /// STUN and TURN URLs.
    pub ice: Vec<String>,
    /// The TURN user name (the password is in the keychain).
    pub turn_user: String,
    /// Echo cancellation, noise suppression and gain control on the microphone.
    pub audio: trygg::media::audio_processing::AudioProcessingConfig,
    /// The UI's language.
    pub language: Language,
    /// The main window's size.
    pub window: WindowSize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            camera: "camera".into(),
            microphone: "mic".into(),
            speaker: "default".into(),
            name: String::new(),
            server: String::new(),
            ice: vec![],
            turn_user: String::new(),
            audio: Default::default(),
            language: Language::En,
            window: WindowSize { width: 1200.0, height: 800.0 },
        }
    }
}

fn invalid(why: impl Into<String>) -> UiError {
    UiError::new("settings.invalid", why)
}

impl Settings {
    /// Refuses what cannot work and anything that would put a secret in the file.
    pub fn check(&self) -> Result<(), UiError> {
        if self.name.chars().count() > 64 || self.name.chars().any(char::is_control) {
            return Err(invalid("the name must be at most 64 characters, without control characters"));
        }
        if self.server.contains(['@', '#', '/', '?', ' ']) {
            return Err(invalid("the server is HOST:PORT only, without user names, paths or secrets"));
        }
        for url in &self.ice {
            let scheme_ok = ["stun:", "stuns:", "turn:", "turns:"].iter().any(|s| url.starts_with(s));
            if !scheme_ok || url.contains('@') || url.contains(char::is_whitespace) {
                return Err(invalid(format!(
                    "\"{url}\" is not a STUN or TURN URL without credentials (stun:HOST[:PORT] or turn:HOST[:PORT][?transport=udp|tcp])"
                )));
            }
        }
        if self.turn_user.contains(':') || self.turn_user.chars().any(char::is_control) {
            return Err(invalid("the TURN user name may not contain ':' (a password belongs in the keychain)"));
        }
        let w = self.window;
        if !(w.width.is_finite()
            && w.height.is_finite()
            && (200.0..=20_000.0).contains(&w.width)
            && (200.0..=20_000.0).contains(&w.height))
        {
            return Err(invalid("the window size is out of range"));
        }
        Ok(())
    }
}

/// Where the settings live, and loading and saving them.
pub struct SettingsFile {
    path: PathBuf,
}

impl SettingsFile {
    /// The file `settings.json` in `dir`.
    pub fn in_dir(dir: &Path) -> Self {
        Self { path: dir.join("settings.json") }
    }

    /// The saved settings; defaults when there is no file. A file that cannot be read as
    /// settings is moved aside (`settings.json.bad`) rather than silently overwritten later.
    pub fn load(&self) -> Settings {
        let Ok(text) = std::fs::read_to_string(&self.path) else { return Settings::default() };
        match serde_json::from_str::<Settings>(&text) {
            Ok(s) if s.check().is_ok() => s,
            other => {
                tracing::warn!("{}: unusable ({:?}); moved aside, using defaults", self.path.display(), other.err());
                let _ = std::fs::rename(&self.path, self.path.with_extension("json.bad"));
                Settings::default()
            }
        }
    }

    /// Checks and writes the settings atomically.
    pub fn save(&self, settings: &Settings) -> Result<(), UiError> {
        settings.check()?;
        let io = |e: std::io::Error| UiError::new("settings.io", format!("{}: {e}", self.path.display()));
        let dir = self.path.parent().ok_or_else(|| UiError::new("settings.io", "the settings path has no folder"))?;
        std::fs::create_dir_all(dir).map_err(io)?;
        let tmp = dir.join(format!(".settings.json.{}.tmp", std::process::id()));
        let json = serde_json::to_vec_pretty(settings).expect("settings serialize");
        let written = (|| {
            use std::io::Write;
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&json)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &self.path)
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        written.map_err(io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_settings_load_back_and_no_temporary_file_is_left() {
        let dir = tempfile::tempdir().unwrap();
        let file = SettingsFile::in_dir(&dir.path().join("nested"));
        assert_eq!(file.load(), Settings::default());
        let s = Settings {
            camera: "synthetic".into(),
            name: "Kari Nordmann".into(),
            ice: vec!["turn:turn.example.org:3478?transport=udp".into()],
            language: Language::Nb,
            window: WindowSize { width: 1024.0, height: 700.0 },
            ..Settings::default()
        };
        file.save(&s).unwrap();
        assert_eq!(file.load(), s);
        let names: Vec<_> =
            std::fs::read_dir(dir.path().join("nested")).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["settings.json"]);
    }

    #[test]
    fn secrets_and_nonsense_are_refused_and_the_old_file_stays() {
        let dir = tempfile::tempdir().unwrap();
        let file = SettingsFile::in_dir(dir.path());
        file.save(&Settings::default()).unwrap();
        for bad in [
            Settings { ice: vec!["turn:alice:hunter2@turn.example.org".into()], ..Settings::default() },
            Settings { ice: vec!["http://example.org".into()], ..Settings::default() },
            Settings { server: "user:pw@meet.example.org:7443".into(), ..Settings::default() },
            Settings { turn_user: "alice:hunter2".into(), ..Settings::default() },
            Settings { window: WindowSize { width: f64::NAN, height: 10.0 }, ..Settings::default() },
        ] {
            assert_eq!(file.save(&bad).unwrap_err().code, "settings.invalid", "{bad:?}");
        }
        assert_eq!(file.load(), Settings::default());
        assert!(!std::fs::read_to_string(dir.path().join("settings.json")).unwrap().contains("hunter2"));
    }

    #[test]
    fn a_file_from_before_the_microphone_settings_keeps_its_choices_and_turns_processing_on() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("settings.json"), r#"{"name": "Kari", "server": "meet.example.org:7443"}"#)
            .unwrap();
        let s = SettingsFile::in_dir(dir.path()).load();
        assert_eq!((s.name.as_str(), s.server.as_str()), ("Kari", "meet.example.org:7443"));
        assert_eq!(s.audio, trygg::media::audio_processing::AudioProcessingConfig::default());
        assert!(s.audio.echo_cancellation && s.audio.noise_suppression && s.audio.gain_control);
    }

    #[test]
    fn a_corrupt_file_is_moved_aside_not_lost() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("settings.json"), "{ not json").unwrap();
        let file = SettingsFile::in_dir(dir.path());
        assert_eq!(file.load(), Settings::default());
        assert_eq!(std::fs::read_to_string(dir.path().join("settings.json.bad")).unwrap(), "{ not json");
        let unknown = r#"{"camera":"none","password":"x"}"#;
        std::fs::write(dir.path().join("settings.json"), unknown).unwrap();
        assert_eq!(file.load(), Settings::default(), "unknown fields (a password) are not accepted");
    }
}
