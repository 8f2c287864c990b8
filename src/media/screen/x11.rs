//! Screen capture on X11: `GetImage` of the root window (a screen, as RandR names its monitors)
//! or of one top-level window (as the window manager lists them in `_NET_CLIENT_LIST`), through
//! x11rb's pure-Rust connection.
//!
//! `GetImage` copies the pixels through the X connection: simple, and cheap enough at the 5–15
//! fps a share needs (a 1080p frame is 8 MB over a local socket). The MIT-SHM extension would
//! save the copy; it is the next step when the figures ask for it.

use x11rb::connection::Connection;
use x11rb::protocol::randr::ConnectionExt as _;
use x11rb::protocol::xproto::{AtomEnum, ConnectionExt as _, ImageFormat, MapState, Window};
use x11rb::rust_connection::RustConnection;

use super::pace::Ticker;
use super::{ShareKind, ShareSource, ShareTarget, Thumbnail};
use crate::media::clock::SharedClock;
use crate::media::convert::{RgbLayout, rgb_to_i420};
use crate::media::frame::VideoFrame;
use crate::media::source::{Source, SourceInfo, SourceKind};
use crate::media::{DeviceKind, MediaError};

fn failed(detail: impl std::fmt::Display) -> MediaError {
    MediaError::DeviceFailed { kind: DeviceKind::Screen, detail: detail.to_string() }
}

/// A region of the root window (a monitor) or a window.
#[derive(Debug, Clone, Copy)]
enum Area {
    Screen { x: i16, y: i16, width: u16, height: u16 },
    Window(Window),
}

struct Display {
    conn: RustConnection,
    root: Window,
    layout: RgbLayout,
}

impl Display {
    fn connect(name: Option<&str>) -> Result<Self, MediaError> {
        let (conn, n) = x11rb::connect(name).map_err(|e| MediaError::NoDevice {
            kind: DeviceKind::Screen,
            hint: Some(match e {
                x11rb::errors::ConnectError::DisplayParsingError(_) => "DISPLAY is not a valid display",
                _ => "cannot connect to the X display named by DISPLAY",
            }),
        })?;
        let screen = &conn.setup().roots[n];
        let root = screen.root;
        // 24-bit true colour with 32-bit pixels, red in the high byte: what every X server in use
        // gives; anything else is said plainly rather than shown in wrong colours.
        let visual = screen
            .allowed_depths
            .iter()
            .flat_map(|d| d.visuals.iter().map(move |v| (d.depth, v)))
            .find(|(_, v)| v.visual_id == screen.root_visual);
        let format = conn.setup().pixmap_formats.iter().find(|f| f.depth == screen.root_depth);
        let layout = match (visual, format) {
            (Some((24 | 32, v)), Some(f))
                if f.bits_per_pixel == 32 && v.red_mask == 0xff_0000 && v.blue_mask == 0xff =>
            {
                RgbLayout::Bgra32
            }
            _ => {
                return Err(MediaError::Unsupported {
                    format: "screen capture",
                    why: format!("the X server's pixel format (depth {}) is not 32-bit true colour", screen.root_depth),
                });
            }
        };
        Ok(Self { conn, root, layout })
    }

    fn screens(&self) -> Result<Vec<(String, Area)>, MediaError> {
        let monitors = self
            .conn
            .randr_get_monitors(self.root, true)
            .ok()
            .and_then(|c| c.reply().ok())
            .map(|r| r.monitors)
            .unwrap_or_default();
        let mut out = vec![];
        for m in monitors {
            let name = self.atom_name(m.name).unwrap_or_else(|| format!("screen {}", out.len()));
            out.push((name, Area::Screen { x: m.x, y: m.y, width: m.width, height: m.height }));
        }
        if out.is_empty() {
            // No RandR (Xvfb without it, old servers): the root window is the one screen.
            let g = self.conn.get_geometry(self.root).map_err(failed)?.reply().map_err(failed)?;
            out.push(("screen 0".into(), Area::Screen { x: 0, y: 0, width: g.width, height: g.height }));
        }
        Ok(out)
    }

    fn atom_name(&self, atom: u32) -> Option<String> {
        let r = self.conn.get_atom_name(atom).ok()?.reply().ok()?;
        String::from_utf8(r.name).ok()
    }

    fn atom(&self, name: &str) -> Option<u32> {
        Some(self.conn.intern_atom(false, name.as_bytes()).ok()?.reply().ok()?.atom)
    }

    /// Top-level windows: the window manager's list, or else the root's mapped children.
    fn windows(&self) -> Result<Vec<(String, Area, u16, u16)>, MediaError> {
        let listed = self.atom("_NET_CLIENT_LIST").and_then(|a| {
            let r = self.conn.get_property(false, self.root, a, AtomEnum::WINDOW, 0, 4096).ok()?.reply().ok()?;
            Some(r.value32()?.collect::<Vec<u32>>())
        });
        let candidates = match listed {
            Some(l) if !l.is_empty() => l,
            _ => self.conn.query_tree(self.root).map_err(failed)?.reply().map_err(failed)?.children,
        };
        let mut out = vec![];
        for w in candidates {
            let Some(attrs) = self.conn.get_window_attributes(w).ok().and_then(|c| c.reply().ok()) else { continue };
            if attrs.map_state != MapState::VIEWABLE || attrs.override_redirect {
                continue;
            }
            let Some(g) = self.conn.get_geometry(w).ok().and_then(|c| c.reply().ok()) else { continue };
            if g.width < 16 || g.height < 16 {
                continue;
            }
            let Some(name) = self.window_name(w) else { continue };
            out.push((name, Area::Window(w), g.width, g.height));
        }
        Ok(out)
    }

    fn window_name(&self, w: Window) -> Option<String> {
        let utf8 = self.atom("UTF8_STRING");
        let net = self.atom("_NET_WM_NAME");
        if let (Some(net), Some(utf8)) = (net, utf8)
            && let Some(r) = self.conn.get_property(false, w, net, utf8, 0, 1024).ok().and_then(|c| c.reply().ok())
            && !r.value.is_empty()
        {
            return String::from_utf8(r.value).ok();
        }
        let r = self.conn.get_property(false, w, AtomEnum::WM_NAME, AtomEnum::STRING, 0, 1024).ok()?.reply().ok()?;
        (!r.value.is_empty()).then(|| r.value.iter().map(|&b| char::from(b)).collect())
    }

    /// The pixels of `area` as I420, cropped to even size.
    fn grab(&self, area: Area) -> Result<VideoFrame, MediaError> {
        let (drawable, x, y, width, height) = match area {
            Area::Screen { x, y, width, height } => (self.root, x, y, width, height),
            Area::Window(w) => {
                let g = self
                    .conn
                    .get_geometry(w)
                    .map_err(failed)?
                    .reply()
                    .map_err(|_| failed("the shared window was closed"))?;
                (w, 0, 0, g.width, g.height)
            }
        };
        let (w, h) = (u32::from(width) & !1, u32::from(height) & !1);
        if w < 16 || h < 16 {
            return Err(failed(format!("the shared area is too small ({width}x{height})")));
        }
        let reply = self
            .conn
            .get_image(ImageFormat::Z_PIXMAP, drawable, x, y, w as u16, h as u16, !0)
            .map_err(failed)?
            .reply()
            .map_err(|e| match area {
                Area::Window(_) => failed(format!("the shared window is gone or hidden ({e})")),
                Area::Screen { .. } => failed(format!("the screen is gone ({e})")),
            })?;
        rgb_to_i420(w, h, w as usize * 4, self.layout, &reply.data)
    }
}

/// Lists screens and windows of the display named by `DISPLAY`, with thumbnails `thumb_width`
/// wide (0: none).
pub fn list(thumb_width: u32) -> Result<Vec<ShareSource>, MediaError> {
    list_on(None, thumb_width)
}

/// Like [`list`], on the display `name` (`:1`), or `DISPLAY`'s when None.
pub fn list_on(name: Option<&str>, thumb_width: u32) -> Result<Vec<ShareSource>, MediaError> {
    let d = Display::connect(name)?;
    let mut out = vec![];
    for (i, (name, area)) in d.screens()?.into_iter().enumerate() {
        let Area::Screen { width, height, .. } = area else { continue };
        out.push(ShareSource {
            id: format!("screen:{i}"),
            kind: ShareKind::Screen,
            name,
            width: width.into(),
            height: height.into(),
            thumbnail: thumbnail(&d, area, thumb_width),
        });
    }
    for (name, area, width, height) in d.windows()? {
        let Area::Window(w) = area else { continue };
        out.push(ShareSource {
            id: format!("window:{w:#x}"),
            kind: ShareKind::Window,
            name,
            width: width.into(),
            height: height.into(),
            thumbnail: thumbnail(&d, area, thumb_width),
        });
    }
    Ok(out)
}

fn thumbnail(d: &Display, area: Area, width: u32) -> Option<Thumbnail> {
    if width == 0 {
        return None;
    }
    Thumbnail::of(&d.grab(area).ok()?, width)
}

/// A screen or window being captured.
pub struct X11Capture {
    display: Display,
    area: Area,
    name: String,
    ticker: Ticker,
}

impl X11Capture {
    /// Opens `target` (a screen or a window) on `DISPLAY` for capture at `fps`.
    pub fn open(target: &ShareTarget, fps: u32, clock: SharedClock) -> Result<Self, MediaError> {
        Self::open_on(None, target, fps, clock)
    }

    /// Like [`X11Capture::open`], on the display `name`, or `DISPLAY`'s when None.
    pub fn open_on(name: Option<&str>, target: &ShareTarget, fps: u32, clock: SharedClock) -> Result<Self, MediaError> {
        let ticker = Ticker::new(fps, clock)?;
        let display = Display::connect(name)?;
        let (name, area) = match target {
            ShareTarget::Screen(n) => {
                let screens = display.screens()?;
                let i = n.unwrap_or(0) as usize;
                screens
                    .into_iter()
                    .nth(i)
                    .ok_or_else(|| MediaError::DeviceNotFound { kind: DeviceKind::Screen, id: format!("screen:{i}") })?
            }
            ShareTarget::Window(id) => {
                let windows = display.windows()?;
                let found = match id {
                    Some(id) => windows.into_iter().find(|(_, a, _, _)| matches!(a, Area::Window(w) if w == id)),
                    None => windows.into_iter().next(),
                };
                let (name, area, _, _) = found.ok_or_else(|| MediaError::DeviceNotFound {
                    kind: DeviceKind::Screen,
                    id: id.map_or("window".into(), |w| format!("window:{w:#x}")),
                })?;
                (name, area)
            }
            ShareTarget::Synthetic { .. } => {
                return Err(MediaError::invalid("share", "the synthetic slide is not an X11 source"));
            }
        };
        // One picture now: a window that cannot be read fails here, not in the meeting.
        display.grab(area)?;
        Ok(Self { display, area, name, ticker })
    }
}

impl Source for X11Capture {
    type Frame = VideoFrame;

    fn info(&self) -> SourceInfo {
        let kind = match self.area {
            Area::Screen { .. } => "screen",
            Area::Window(_) => "window",
        };
        SourceInfo {
            kind: SourceKind::Screen,
            name: format!("{kind} \"{}\"", self.name),
            format: format!("X11 @{}", self.ticker.fps()),
        }
    }

    fn next_frame(&mut self) -> Result<Option<VideoFrame>, MediaError> {
        let (display, area) = (&self.display, self.area);
        self.ticker.next(|| display.grab(area)).map(Some)
    }
}
