//! Screen sharing sources: whole screens and single windows, behind the one
//! [`Source`](super::source::Source) trait, plus a synthetic "slide" for tests and bots.
//!
//! One facade, one backend per windowing system:
//!
//! | System | Backend | State |
//! |---|---|---|
//! | Linux, X11 (and Xwayland apps) | [`x11`]: `GetImage` on the root window or one window, via x11rb | built and tested here under Xvfb |
//! | Linux, Wayland | [`portal`]: xdg-desktop-portal ScreenCast (the system's dialog chooses), pictures over PipeWire | built and tested here in a headless sway with xdg-desktop-portal-wlr |
//! | Windows 10 1903 and later | `wgc`: Windows.Graphics.Capture, via windows-capture | type-checked on Linux for `x86_64-pc-windows-gnu` with the whole app (`make check-platforms`); not run |
//! | macOS 12.3 and later | `macos`: ScreenCaptureKit, via screencapturekit | type-checked on Linux for `aarch64-apple-darwin`, alone with the media files it uses (`scripts/check-macos.sh`); not run |
//!
//! Pictures come out as I420 at the source's own size (cropped to even width and height), at
//! the frame rate asked for; the encoder's screen-content mode does the rest. A window that
//! closes, or a screen that goes away, ends the stream with [`MediaError::DeviceFailed`], so the
//! meeting can stop the share and tell everyone.

#[cfg(all(target_os = "macos", feature = "screen"))]
pub mod macos;
pub mod pace;
#[cfg(all(target_os = "linux", feature = "screen-portal"))]
pub mod portal;
#[cfg_attr(
    not(any(windows, target_os = "macos", all(target_os = "linux", feature = "screen-portal"))),
    allow(dead_code)
)]
mod slot;
pub mod synthetic;
#[cfg(all(windows, feature = "screen"))]
pub mod wgc;
#[cfg(all(target_os = "linux", feature = "screen"))]
pub mod x11;

use serde::Serialize;

use super::MediaError;
use super::clock::SharedClock;
use super::source::VideoSource;

/// Screen or window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ShareKind {
    /// A whole screen (monitor).
    Screen,
    /// One application window.
    Window,
}

/// A small picture of a share source, for the picker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Thumbnail {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Packed RGB, 3 bytes a pixel, row after row (not in JSON listings).
    #[serde(skip)]
    pub rgb: Vec<u8>,
}

impl Thumbnail {
    /// `picture` scaled to `width` (rounded down to even), keeping its aspect.
    pub fn of(picture: &super::VideoFrame, width: u32) -> Option<Self> {
        let width = width & !1;
        if width == 0 || picture.width() == 0 {
            return None;
        }
        let height = ((u64::from(picture.height()) * u64::from(width) / u64::from(picture.width())) as u32).max(2) & !1;
        let small = super::convert::scale_i420(picture, width, height).ok()?;
        Some(Self { width: small.width(), height: small.height(), rgb: super::convert::i420_to_rgb(&small) })
    }
}

/// Something that can be shared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShareSource {
    /// What to pass to `--video` (`screen:0`, `window:0x3a00007`).
    pub id: String,
    /// Screen or window.
    pub kind: ShareKind,
    /// The monitor's or window's name.
    pub name: String,
    /// Size in pixels.
    pub width: u32,
    /// Size in pixels.
    pub height: u32,
    /// A small picture of it, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thumbnail: Option<Thumbnail>,
}

/// What to share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShareTarget {
    /// A screen: its index, or the first.
    Screen(Option<u32>),
    /// A window: its id, or the focused one.
    Window(Option<u32>),
    /// The synthetic slide ([`synthetic::SyntheticScreen`]) at this size.
    Synthetic {
        /// Width.
        width: u32,
        /// Height.
        height: u32,
        /// A still slide: no moving marker, no pixel stamp (what a presenter's static slide is).
        still: bool,
    },
}

impl ShareTarget {
    /// Parses `screen`, `screen:N`, `window`, `window:ID` (decimal or 0x hex), `synthetic` (a
    /// 1080p slide with a moving marker) or `synthetic:still`.
    pub fn parse(s: &str) -> Result<Self, MediaError> {
        let bad = || {
            MediaError::invalid("share", format!("\"{s}\"; use screen[:N], window[:ID], synthetic or synthetic:still"))
        };
        let number = |n: &str| -> Result<u32, MediaError> {
            match n.strip_prefix("0x") {
                Some(hex) => u32::from_str_radix(hex, 16).map_err(|_| bad()),
                None => n.parse().map_err(|_| bad()),
            }
        };
        match s.split_once(':') {
            None if s == "screen" => Ok(Self::Screen(None)),
            None if s == "window" => Ok(Self::Window(None)),
            None if s == "synthetic" => Ok(Self::Synthetic { width: 1920, height: 1080, still: false }),
            Some(("synthetic", "still")) => Ok(Self::Synthetic { width: 1920, height: 1080, still: true }),
            Some(("screen", n)) => Ok(Self::Screen(Some(number(n)?))),
            Some(("window", n)) => Ok(Self::Window(Some(number(n)?))),
            _ => Err(bad()),
        }
    }
}

/// Where the pictures of a screen come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    /// X11: the display named by `DISPLAY`.
    X11,
    /// Wayland: the desktop portal's dialog, then PipeWire.
    Portal,
    /// Windows: Windows.Graphics.Capture.
    Wgc,
    /// macOS: ScreenCaptureKit.
    ScreenCaptureKit,
}

/// Which backend this session needs: Wayland (`WAYLAND_DISPLAY`) goes through the portal even
/// when Xwayland also sets `DISPLAY`, since X11 there sees only X11 windows and a black desktop.
fn backend() -> Result<Backend, MediaError> {
    let set = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
    if cfg!(windows) && cfg!(feature = "screen") {
        return Ok(Backend::Wgc);
    }
    if cfg!(target_os = "macos") && cfg!(feature = "screen") {
        return Ok(Backend::ScreenCaptureKit);
    }
    if !cfg!(target_os = "linux") {
        return Err(unsupported());
    }
    if set("WAYLAND_DISPLAY") {
        return if cfg!(feature = "screen-portal") {
            Ok(Backend::Portal)
        } else {
            Err(MediaError::Unsupported {
                format: "screen capture",
                why: "this is a Wayland session, and this build has no desktop-portal screen sharing (feature \
                      \"screen-portal\")"
                    .into(),
            })
        };
    }
    if set("DISPLAY") {
        return Ok(Backend::X11);
    }
    Err(MediaError::NoDevice {
        kind: super::DeviceKind::Screen,
        hint: Some("no display: neither WAYLAND_DISPLAY nor DISPLAY is set"),
    })
}

/// True when opening a screen or window waits for the user's choice in the system's dialog
/// (the desktop portal), so the caller should not wait on it in line.
pub fn opens_in_dialog() -> bool {
    matches!(backend(), Ok(Backend::Portal))
}

/// Lists the screens and windows that can be shared, with thumbnails `thumb_width` wide (0: none).
/// Through the portal the user chooses in the system's dialog, so the list has one entry each
/// for "a screen" and "a window", without thumbnails.
pub fn list(thumb_width: u32) -> Result<Vec<ShareSource>, MediaError> {
    match backend()? {
        #[cfg(all(target_os = "linux", feature = "screen"))]
        Backend::X11 => x11::list(thumb_width),
        #[cfg(all(target_os = "linux", feature = "screen-portal"))]
        Backend::Portal => portal::list(),
        #[cfg(all(windows, feature = "screen"))]
        Backend::Wgc => wgc::list(thumb_width),
        #[cfg(all(target_os = "macos", feature = "screen"))]
        Backend::ScreenCaptureKit => macos::list(thumb_width),
        #[allow(unreachable_patterns)]
        _ => {
            let _ = thumb_width;
            Err(unsupported())
        }
    }
}

/// Opens a share source at `fps`. Through the portal this waits for the user's choice in the
/// system's dialog.
pub fn open(target: &ShareTarget, fps: u32, clock: SharedClock) -> Result<VideoSource, MediaError> {
    if let ShareTarget::Synthetic { width, height, still } = target {
        return Ok(Box::new(synthetic::SyntheticScreen::new(*width, *height, fps, clock)?.still(*still)));
    }
    match backend()? {
        #[cfg(all(target_os = "linux", feature = "screen"))]
        Backend::X11 => Ok(Box::new(x11::X11Capture::open(target, fps, clock)?)),
        #[cfg(all(target_os = "linux", feature = "screen-portal"))]
        Backend::Portal => Ok(Box::new(portal::PortalCapture::open(target, fps, clock)?)),
        #[cfg(all(windows, feature = "screen"))]
        Backend::Wgc => Ok(Box::new(wgc::WgcCapture::open(target, fps, clock)?)),
        #[cfg(all(target_os = "macos", feature = "screen"))]
        Backend::ScreenCaptureKit => Ok(Box::new(macos::MacCapture::open(target, fps, clock)?)),
        #[allow(unreachable_patterns)]
        _ => {
            let _ = (fps, clock);
            Err(unsupported())
        }
    }
}

fn unsupported() -> MediaError {
    MediaError::Unsupported {
        format: "screen capture",
        why: "this build has no screen capture for this system yet".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_and_nonsense_is_refused() {
        assert_eq!(ShareTarget::parse("screen").unwrap(), ShareTarget::Screen(None));
        assert_eq!(ShareTarget::parse("screen:1").unwrap(), ShareTarget::Screen(Some(1)));
        assert_eq!(ShareTarget::parse("window:0x3a00007").unwrap(), ShareTarget::Window(Some(0x3a0_0007)));
        assert_eq!(ShareTarget::parse("window:42").unwrap(), ShareTarget::Window(Some(42)));
        assert!(matches!(ShareTarget::parse("synthetic").unwrap(), ShareTarget::Synthetic { .. }));
        for bad in ["", "screens", "screen:", "window:0xzz", "camera:1", "screen:-1"] {
            assert_eq!(ShareTarget::parse(bad).unwrap_err().code(), "media.invalid_config", "{bad}");
        }
    }
}
