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
    // A name of its own per write: two writers (two Trygg processes, or two threads) never
    // share a temporary file, so neither renames the other's half-written one into place.
    static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".{}.{n}.tmp", std::process::id()));
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
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// Runs `change` while holding an exclusive lock on `path` (on a `.lock` file beside it, which
/// stays), so that read-change-write cycles of two processes on one file do not lose either's
/// change. Blocks until the lock is free.
pub fn locked<T>(path: &Path, change: impl FnOnce() -> std::io::Result<T>) -> std::io::Result<T> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut name = path.as_os_str().to_owned();
    name.push(".lock");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let lock = options.open(PathBuf::from(name))?;
    lock.lock()?;
    let out = change();
    let _ = lock.unlock();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writers_in_parallel_under_the_lock_lose_no_change_and_leave_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("list.txt");
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let path = path.clone();
                std::thread::spawn(move || {
                    for j in 0..10 {
                        locked(&path, || {
                            let mut text = std::fs::read_to_string(&path).unwrap_or_default();
                            text.push_str(&format!("{i}.{j}\n"));
                            write(&path, text.as_bytes())
                        })
                        .unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 80, "every change kept");
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }
}
