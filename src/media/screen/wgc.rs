//! Screen capture on Windows: Windows.Graphics.Capture (Windows 10 1903 and later), through the
//! windows-capture crate. One API for whole monitors and single windows; the system draws its
//! own yellow border round what is shared, and reports a closed window, which ends the share.
//!
//! Windows pushes a picture (BGRA, on a Direct3D texture the crate copies to memory) whenever the
//! content changes, at most `fps` times a second; the newest is kept in a [`PictureSlot`] and
//! [`WgcCapture::next_frame`] takes it at the share's pace, so a still screen keeps giving
//! pictures. Desktop apps need no permission for this API; protected content (DRM video, some
//! secure windows) comes out black, as in every other client.
//!
//! Built and type-checked on Linux for `x86_64-pc-windows-gnu` (`make check-windows`); run on
//! Windows only.

use std::sync::Arc;
use std::time::Duration;

use windows_capture::capture::{CaptureControl, Context, GraphicsCaptureApiError, GraphicsCaptureApiHandler};
use windows_capture::frame::Frame;
use windows_capture::graphics_capture_api::{self as wgc, GraphicsCaptureApi, InternalCaptureControl};
use windows_capture::monitor::Monitor;
use windows_capture::settings::{
    ColorFormat, CursorCaptureSettings, DirtyRegionSettings, DrawBorderSettings, GraphicsCaptureItemType,
    MinimumUpdateIntervalSettings, SecondaryWindowSettings, Settings,
};
use windows_capture::window::Window;

use super::pace::Ticker;
use super::slot::PictureSlot;
use super::{ShareKind, ShareSource, ShareTarget, Thumbnail};
use crate::media::clock::SharedClock;
use crate::media::convert::{RgbLayout, rgb_to_i420};
use crate::media::frame::VideoFrame;
use crate::media::source::{Source, SourceInfo, SourceKind};
use crate::media::{DeviceKind, MediaError};

/// How long the first picture may take once the capture has started.
const FIRST_PICTURE_WAIT: Duration = Duration::from_secs(5);
/// How long a thumbnail may take.
const THUMBNAIL_WAIT: Duration = Duration::from_millis(1500);

fn failed(detail: impl std::fmt::Display) -> MediaError {
    MediaError::DeviceFailed { kind: DeviceKind::Screen, detail: detail.to_string() }
}

fn unsupported() -> MediaError {
    MediaError::Unsupported {
        format: "screen capture",
        why: "this Windows has no Windows.Graphics.Capture; screen sharing needs Windows 10 version 1903 or later"
            .into(),
    }
}

fn start_error(e: GraphicsCaptureApiError<MediaError>) -> MediaError {
    match e {
        GraphicsCaptureApiError::GraphicsCaptureApiError(wgc::Error::Unsupported) => unsupported(),
        GraphicsCaptureApiError::ItemConvertFailed => {
            failed("Windows refused to capture it: the window was closed, or it cannot be captured")
        }
        GraphicsCaptureApiError::NewHandlerError(e) | GraphicsCaptureApiError::FrameHandlerError(e) => e,
        e => failed(format!("Windows.Graphics.Capture: {e}")),
    }
}

/// The capture's handler: converts each picture to I420 into the slot.
struct Sink {
    slot: Arc<PictureSlot>,
    closed: &'static str,
}

impl GraphicsCaptureApiHandler for Sink {
    type Flags = (Arc<PictureSlot>, &'static str);
    type Error = MediaError;

    fn new(ctx: Context<Self::Flags>) -> Result<Self, Self::Error> {
        Ok(Self { slot: ctx.flags.0, closed: ctx.flags.1 })
    }

    fn on_frame_arrived(&mut self, frame: &mut Frame, _: InternalCaptureControl) -> Result<(), Self::Error> {
        let mut buffer = match frame.buffer() {
            Ok(b) => b,
            Err(e) => {
                self.slot.end(failed(format!("cannot read the captured picture: {e}")));
                return Ok(());
            }
        };
        let (w, h, pitch) = (buffer.width() & !1, buffer.height() & !1, buffer.row_pitch() as usize);
        // A window minimised to nothing gives empty pictures: keep showing the last one.
        if w < 16 || h < 16 {
            return Ok(());
        }
        match rgb_to_i420(w, h, pitch, RgbLayout::Bgra32, buffer.as_raw_buffer()) {
            Ok(f) => self.slot.put(f),
            Err(e) => self.slot.end(e),
        }
        Ok(())
    }

    fn on_closed(&mut self) -> Result<(), Self::Error> {
        self.slot.end(failed(self.closed));
        Ok(())
    }
}

type Control = CaptureControl<Sink, MediaError>;

/// Starts capturing `item` into `slot`, at most `fps` pictures a second.
fn start<T>(item: T, slot: Arc<PictureSlot>, fps: u32, closed: &'static str) -> Result<Control, MediaError>
where
    T: TryInto<GraphicsCaptureItemType> + Send + 'static,
{
    if !GraphicsCaptureApi::is_supported().unwrap_or(false) {
        return Err(unsupported());
    }
    let cursor = if GraphicsCaptureApi::is_cursor_settings_supported().unwrap_or(false) {
        CursorCaptureSettings::WithCursor
    } else {
        CursorCaptureSettings::Default
    };
    let interval = if GraphicsCaptureApi::is_minimum_update_interval_supported().unwrap_or(false) {
        MinimumUpdateIntervalSettings::Custom(Duration::from_micros(1_000_000 / u64::from(fps.max(1))))
    } else {
        MinimumUpdateIntervalSettings::Default
    };
    let settings = Settings::new(
        item,
        cursor,
        DrawBorderSettings::Default,
        SecondaryWindowSettings::Default,
        interval,
        DirtyRegionSettings::Default,
        ColorFormat::Bgra8,
        (slot, closed),
    );
    Sink::start_free_threaded(settings).map_err(start_error)
}

/// One picture of `item`, for a thumbnail.
fn grab_once<T>(item: T) -> Option<VideoFrame>
where
    T: TryInto<GraphicsCaptureItemType> + Send + 'static,
{
    let slot = Arc::new(PictureSlot::default());
    let control = start(item, slot.clone(), 15, "closed").ok()?;
    let picture = slot.take(THUMBNAIL_WAIT).ok();
    let _ = control.stop();
    picture
}

fn monitors() -> Result<Vec<(String, Monitor)>, MediaError> {
    let all = Monitor::enumerate().map_err(|e| failed(format!("cannot list the screens: {e}")))?;
    Ok(all
        .into_iter()
        .enumerate()
        .map(|(i, m)| {
            let name = m.name().or_else(|_| m.device_string()).unwrap_or_else(|_| format!("screen {i}"));
            (name, m)
        })
        .collect())
}

/// Top-level windows a person would pick: visible, titled, not tiny, not Trygg's own.
fn windows() -> Result<Vec<(String, Window, u32, u32)>, MediaError> {
    let all = Window::enumerate().map_err(|e| failed(format!("cannot list the windows: {e}")))?;
    let own = std::process::id();
    Ok(all
        .into_iter()
        .filter(|w| w.process_id().is_ok_and(|p| p != own))
        .filter_map(|w| {
            let title = w.title().ok().filter(|t| !t.trim().is_empty())?;
            let (width, height) = (u32::try_from(w.width().ok()?).ok()?, u32::try_from(w.height().ok()?).ok()?);
            (width >= 16 && height >= 16).then_some((title, w, width, height))
        })
        .collect())
}

/// A window handle as the id in `window:0x…`: handles are 32-bit values on every Windows.
fn window_id(w: &Window) -> u32 {
    w.as_raw_hwnd() as usize as u32
}

/// Lists screens and windows, with thumbnails `thumb_width` wide (0: none).
pub fn list(thumb_width: u32) -> Result<Vec<ShareSource>, MediaError> {
    let thumb = |p: Option<VideoFrame>| p.and_then(|p| Thumbnail::of(&p, thumb_width));
    let mut out = vec![];
    for (i, (name, m)) in monitors()?.into_iter().enumerate() {
        out.push(ShareSource {
            id: format!("screen:{i}"),
            kind: ShareKind::Screen,
            name,
            width: m.width().unwrap_or(0),
            height: m.height().unwrap_or(0),
            thumbnail: if thumb_width > 0 { thumb(grab_once(m)) } else { None },
        });
    }
    for (name, w, width, height) in windows()? {
        out.push(ShareSource {
            id: format!("window:{:#x}", window_id(&w)),
            kind: ShareKind::Window,
            name,
            width,
            height,
            thumbnail: if thumb_width > 0 { thumb(grab_once(w)) } else { None },
        });
    }
    Ok(out)
}

/// A screen or window being captured.
pub struct WgcCapture {
    control: Option<Control>,
    slot: Arc<PictureSlot>,
    kind: &'static str,
    name: String,
    ticker: Ticker,
}

impl WgcCapture {
    /// Starts capturing `target` (a screen or a window) at `fps`, and waits for the first picture.
    pub fn open(target: &ShareTarget, fps: u32, clock: SharedClock) -> Result<Self, MediaError> {
        let ticker = Ticker::new(fps, clock)?;
        let slot = Arc::new(PictureSlot::default());
        let (kind, name, control) = match target {
            ShareTarget::Screen(n) => {
                let i = n.unwrap_or(0) as usize;
                let (name, m) = monitors()?.into_iter().nth(i).ok_or_else(|| MediaError::DeviceNotFound {
                    kind: DeviceKind::Screen,
                    id: format!("screen:{i}"),
                })?;
                ("screen", name, start(m, slot.clone(), fps, "the shared screen went away")?)
            }
            ShareTarget::Window(id) => {
                let found = windows()?.into_iter().find(|(_, w, _, _)| id.is_none_or(|id| window_id(w) == id));
                let (name, w, _, _) = found.ok_or_else(|| MediaError::DeviceNotFound {
                    kind: DeviceKind::Screen,
                    id: id.map_or("window".into(), |w| format!("window:{w:#x}")),
                })?;
                ("window", name, start(w, slot.clone(), fps, "the shared window was closed")?)
            }
            ShareTarget::Synthetic { .. } => {
                return Err(MediaError::invalid("share", "the synthetic slide is not a Windows capture source"));
            }
        };
        let capture = Self { control: Some(control), slot, kind, name, ticker };
        // One picture now: a share that cannot deliver fails here, not in the meeting.
        capture.slot.take(FIRST_PICTURE_WAIT)?;
        Ok(capture)
    }
}

impl Drop for WgcCapture {
    fn drop(&mut self) {
        if let Some(c) = self.control.take() {
            let _ = c.stop();
        }
    }
}

impl Source for WgcCapture {
    type Frame = VideoFrame;

    fn info(&self) -> SourceInfo {
        SourceInfo {
            kind: SourceKind::Screen,
            name: format!("{} \"{}\"", self.kind, self.name),
            format: format!("Windows.Graphics.Capture @{}", self.ticker.fps()),
        }
    }

    fn next_frame(&mut self) -> Result<Option<VideoFrame>, MediaError> {
        if self.control.as_ref().is_none_or(Control::is_finished) {
            self.slot.end(failed("the capture stopped"));
        }
        let slot = &self.slot;
        self.ticker.next(|| slot.take(FIRST_PICTURE_WAIT)).map(Some)
    }
}
