//! Trygg's settings folder and the one way files are written there: atomically (a temporary
//! file beside it, then a rename), readable by the owner only. What is written there is not
//! secret (secrets live in the OS keychain), but it is personal.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Trygg's settings folder: `$XDG_CONFIG_HOME/trygg`, else `~/.config/trygg`;
/// `%APPDATA%\Trygg` on Windows; `~/Library/Application Support/Trygg` on macOS. None when no
/// home is known.
pub fn settings_dir() -> Option<PathBuf> {
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    Some(if cfg!(windows) {
        var("APPDATA")?.join("Trygg")
    } else if cfg!(target_os = "macos") {
        var("HOME")?.join("Library/Application Support/Trygg")
    } else {
        var("XDG_CONFIG_HOME").or_else(|| var("HOME").map(|h| h.join(".config")))?.join("trygg")
    })
}

/// Writes `bytes` to `path` atomically, owner-only, making its folder if needed.
pub fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut f = options.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}
