//! Screen capture on macOS: ScreenCaptureKit (macOS 12.3+), through the screencapturekit crate,
//! for a whole display or one application window.
//!
//! ScreenCaptureKit is the system's supported way to read the screen: it pushes BGRA pictures at
//! the display's full pixel resolution (Retina included) when something changes, and stops the
//! stream itself when the shared window closes or the user stops sharing from the menu bar. The
//! newest picture waits in a [`PictureSlot`]; [`MacCapture::next_frame`] takes it at the share's
//! pace, so a still screen, for which the system sends nothing new, keeps giving pictures.
//!
//! The system asks the user once for Screen Recording permission; until it is granted (and Trygg
//! restarted) everything here ends in [`MediaError::PermissionDenied`] with where to grant it.
//!
//! Type-checked on Linux for `aarch64-apple-darwin` against screencapturekit's Rust API
//! (`scripts/check-macos.sh`); run on macOS only.

use std::ffi::c_void;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use screencapturekit::cg::CGRect;
use screencapturekit::cm::{CMSampleBuffer, CMSampleBufferExt, CMSampleBufferSCExt};
use screencapturekit::cv::CVPixelBufferLockFlags;
use screencapturekit::error::{SCError, SCStreamErrorCode};
use screencapturekit::shareable_content::{SCDisplay, SCShareableContent, SCWindow};
use screencapturekit::stream::configuration::{PixelFormat, SCStreamConfiguration};
use screencapturekit::stream::content_filter::SCContentFilter;
use screencapturekit::stream::output_type::SCStreamOutputType;
use screencapturekit::stream::{ErrorHandler, SCStream};

use super::pace::Ticker;
use super::slot::PictureSlot;
use super::{ShareKind, ShareSource, ShareTarget, Thumbnail};
use crate::media::clock::SharedClock;
use crate::media::convert::{RgbLayout, rgb_to_i420};
use crate::media::frame::{MAX_HEIGHT, MAX_WIDTH, VideoFrame};
use crate::media::source::{Source, SourceInfo, SourceKind};
use crate::media::{DeviceKind, MediaError};

/// How to grant what the system refused.
const GRANT_SCREEN_RECORDING: &str = "allow Trygg (or the terminal it runs in) under System Settings → Privacy & \
                                      Security → Screen & System Audio Recording, then restart Trygg";
/// How long the first picture of a share may take.
const FIRST_PICTURE_WAIT: Duration = Duration::from_secs(5);
/// How long one thumbnail may take, and all of a listing's thumbnails together.
const THUMBNAIL_WAIT: Duration = Duration::from_secs(1);
const THUMBNAILS_WAIT: Duration = Duration::from_secs(5);
/// How long a shared window may send nothing new before Trygg asks whether it still exists.
const CLOSED_CHECK: Duration = Duration::from_secs(2);
/// `kCVPixelFormatType_32BGRA`.
const BGRA: u32 = u32::from_be_bytes(*b"BGRA");

#[link(name = "CoreGraphics", kind = "framework")]
unsafe extern "C" {
    safe fn CGPreflightScreenCaptureAccess() -> bool;
    safe fn CGRequestScreenCaptureAccess() -> bool;
    safe fn CGMainDisplayID() -> u32;
    safe fn CGDisplayCopyDisplayMode(display: u32) -> *mut c_void;
    fn CGDisplayModeGetPixelWidth(mode: *mut c_void) -> usize;
    fn CGDisplayModeRelease(mode: *mut c_void);
}

fn failed(detail: impl std::fmt::Display) -> MediaError {
    MediaError::DeviceFailed { kind: DeviceKind::Screen, detail: detail.to_string() }
}

fn denied() -> MediaError {
    MediaError::PermissionDenied { kind: DeviceKind::Screen, how: GRANT_SCREEN_RECORDING }
}

fn is_denial(e: &SCError) -> bool {
    matches!(e, SCError::PermissionDenied(_)) || e.stream_error_code() == Some(SCStreamErrorCode::UserDeclined)
}

fn sc_error(e: SCError) -> MediaError {
    if is_denial(&e) { denied() } else { failed(e) }
}

/// Why ScreenCaptureKit stopped a stream on its own.
fn stopped(e: SCError, kind: ShareKind) -> MediaError {
    match (e.stream_error_code(), kind) {
        _ if is_denial(&e) => denied(),
        (Some(SCStreamErrorCode::UserStopped), _) => failed("the share was stopped from the macOS menu bar"),
        (_, ShareKind::Window) => failed(format!("the shared window was closed or can no longer be captured ({e})")),
        (_, ShareKind::Screen) => failed(format!("the shared screen went away ({e})")),
    }
}

/// Checks Screen Recording permission, asking for it (the system's prompt, shown once) when not
/// granted; returns the main display's id. `CGMainDisplayID` also sets up CoreGraphics for a
/// process that has no window yet, which ScreenCaptureKit needs.
fn ready() -> Result<u32, MediaError> {
    let main = CGMainDisplayID();
    if !CGPreflightScreenCaptureAccess() {
        CGRequestScreenCaptureAccess();
        return Err(denied());
    }
    Ok(main)
}

/// Pixels per point of a display (2 on Retina) in its current mode.
fn scale(display: &SCDisplay) -> f64 {
    let mode = CGDisplayCopyDisplayMode(display.display_id());
    if mode.is_null() {
        return 1.0;
    }
    // SAFETY: `mode` is a non-null CGDisplayModeRef this function owns (a Copy function's
    // result): read, then released once and not used after.
    let wide = unsafe { CGDisplayModeGetPixelWidth(mode) };
    unsafe { CGDisplayModeRelease(mode) };
    (wide as f64 / f64::from(display.width().max(1))).max(1.0)
}

/// A size in points at `scale`, scaled down to fit what Trygg sends, even on both sides.
fn pixels(width: f64, height: f64, scale: f64) -> (u32, u32) {
    let (w, h) = (width * scale, height * scale);
    let k = (f64::from(MAX_WIDTH) / w).min(f64::from(MAX_HEIGHT) / h).min(1.0);
    (((w * k) as u32) & !1, ((h * k) as u32) & !1)
}

enum Content {
    Display(SCDisplay),
    Window(SCWindow),
}

/// A screen or window found in the system's list.
struct Found {
    id: String,
    kind: ShareKind,
    name: String,
    size: (u32, u32),
    content: Content,
}

impl Found {
    fn filter(&self) -> Result<SCContentFilter, MediaError> {
        let builder = match &self.content {
            Content::Display(d) => SCContentFilter::create().with_display(d).with_excluding_windows(&[]),
            Content::Window(w) => SCContentFilter::create().with_window(w),
        };
        builder.build().map_err(sc_error)
    }
}

/// Displays (the main one first, then by id, so `screen:N` stays put) and the on-screen
/// application windows that have a title, but not Trygg's own.
fn sources(main: u32) -> Result<Vec<Found>, MediaError> {
    let content = SCShareableContent::create()
        .with_on_screen_windows_only(true)
        .with_exclude_desktop_windows(true)
        .get()
        .map_err(sc_error)?;
    let mut displays = content.displays();
    displays.sort_by_key(|d| (d.display_id() != main, d.display_id()));
    let scales: Vec<(CGRect, f64)> = displays.iter().map(|d| (d.frame(), scale(d))).collect();
    let mut out = vec![];
    for (i, (d, &(_, s))) in displays.into_iter().zip(&scales).enumerate() {
        let size = pixels(f64::from(d.width()), f64::from(d.height()), s);
        out.push(Found {
            id: format!("screen:{i}"),
            kind: ShareKind::Screen,
            name: format!("Display {} ({}x{})", i + 1, size.0, size.1),
            size,
            content: Content::Display(d),
        });
    }
    let own = std::process::id();
    for w in content.windows() {
        let frame = w.frame();
        if !w.is_on_screen() || w.window_layer() != 0 || frame.size.width < 16.0 || frame.size.height < 16.0 {
            continue;
        }
        let Some(title) = w.title().filter(|t| !t.trim().is_empty()) else { continue };
        let app = w.owning_application();
        if app.as_ref().is_some_and(|a| u32::try_from(a.process_id()).is_ok_and(|pid| pid == own)) {
            continue;
        }
        // The window's pixels are those of the display it is (mostly) on.
        let on = scales.iter().find(|(r, _)| r.contains_point(frame.center())).or(scales.first());
        let size = pixels(frame.size.width, frame.size.height, on.map_or(1.0, |&(_, s)| s));
        let name = match app.map(|a| a.application_name()).filter(|n| !n.is_empty()) {
            Some(app) => format!("{app}: {title}"),
            None => title,
        };
        out.push(Found {
            id: format!("window:{:#x}", w.window_id()),
            kind: ShareKind::Window,
            name,
            size,
            content: Content::Window(w),
        });
    }
    Ok(out)
}

/// A running ScreenCaptureKit stream and the newest picture it gave; stopped when dropped.
struct Running {
    stream: SCStream,
    slot: Arc<PictureSlot>,
    /// Pictures converted so far (a still screen or window sends none).
    pictures: Arc<AtomicU64>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.stream.stop_capture();
    }
}

fn start(filter: &SCContentFilter, size: (u32, u32), fps: u32, kind: ShareKind) -> Result<Running, MediaError> {
    let config = SCStreamConfiguration::new()
        .with_width(size.0)
        .with_height(size.1)
        .with_pixel_format(PixelFormat::BGRA)
        .with_scales_to_fit(true)
        .with_shows_cursor(true)
        .with_fps(fps);
    let slot = Arc::new(PictureSlot::default());
    let pictures = Arc::new(AtomicU64::new(0));
    let on_stop = slot.clone();
    let delegate = ErrorHandler::new(move |e: SCError| on_stop.end(stopped(e, kind)));
    let mut stream = SCStream::new_with_delegate(filter, &config, delegate).map_err(sc_error)?;
    let (on_picture, count) = (slot.clone(), pictures.clone());
    stream
        .add_output_handler(
            move |sample: CMSampleBuffer, of_type: SCStreamOutputType| {
                if of_type != SCStreamOutputType::Screen {
                    return;
                }
                match picture(&sample) {
                    Ok(Some(f)) => {
                        on_picture.put(f);
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(None) => {}
                    Err(e) => on_picture.end(e),
                }
            },
            SCStreamOutputType::Screen,
        )
        .map_err(sc_error)?;
    stream.start_capture().map_err(sc_error)?;
    Ok(Running { stream, slot, pictures })
}

/// The picture in a sample as I420 (cropped to even size), or None when it brings nothing new.
fn picture(sample: &CMSampleBuffer) -> Result<Option<VideoFrame>, MediaError> {
    // Idle (nothing changed), blank and suspended frames carry no new picture.
    if sample.frame_status().is_some_and(|s| !s.has_content()) {
        return Ok(None);
    }
    let Some(buffer) = sample.pixel_buffer() else { return Ok(None) };
    let Ok(guard) = buffer.lock(CVPixelBufferLockFlags::READ_ONLY) else { return Ok(None) };
    if guard.pixel_format() != BGRA {
        return Err(MediaError::Unsupported {
            format: "screen capture",
            why: format!("ScreenCaptureKit sent pixel format {:#010x}, not BGRA", guard.pixel_format()),
        });
    }
    let even = |n: usize| u32::try_from(n).unwrap_or(0) & !1;
    let (w, h) = (even(guard.width()), even(guard.height()));
    // SAFETY: the buffer stays locked read-only while `guard` lives, and ScreenCaptureKit does
    // not reuse a buffer it has handed out before this sample is released, after this function.
    let Some(bytes) = (unsafe { guard.as_slice() }) else { return Ok(None) };
    rgb_to_i420(w, h, guard.bytes_per_row(), RgbLayout::Bgra32, bytes).map(Some)
}

/// Lists the displays and windows that can be shared, with thumbnails `thumb_width` wide (0:
/// none). There is no one-shot screenshot before macOS 14, so each thumbnail is the first picture
/// of a short stream (briefly showing the system's recording indicator), within a time budget:
/// sources past it get none.
pub fn list(thumb_width: u32) -> Result<Vec<ShareSource>, MediaError> {
    let found = sources(ready()?)?;
    let deadline = Instant::now() + THUMBNAILS_WAIT;
    Ok(found
        .iter()
        .map(|f| ShareSource {
            id: f.id.clone(),
            kind: f.kind,
            name: f.name.clone(),
            width: f.size.0,
            height: f.size.1,
            thumbnail: (thumb_width > 0).then(|| thumbnail(f, thumb_width, deadline)).flatten(),
        })
        .collect())
}

fn thumbnail(found: &Found, width: u32, deadline: Instant) -> Option<Thumbnail> {
    let wait = deadline.checked_duration_since(Instant::now())?.min(THUMBNAIL_WAIT);
    // The system scales the picture down on its side; `Thumbnail::of` does the rest.
    let (w, h) = found.size;
    let small_w = width.max(16) & !1;
    let small_h = ((u64::from(h) * u64::from(small_w) / u64::from(w.max(1))) as u32).max(16) & !1;
    let running = start(&found.filter().ok()?, (small_w, small_h), 10, found.kind).ok()?;
    Thumbnail::of(&running.slot.take(wait).ok()?, width)
}

/// A display or window being captured.
pub struct MacCapture {
    running: Running,
    kind: ShareKind,
    name: String,
    size: (u32, u32),
    /// The shared window's id, to notice that it was closed.
    window: Option<u32>,
    /// Pictures seen at the last check, and when that count last moved or was checked.
    seen: (u64, Instant),
    ticker: Ticker,
}

impl MacCapture {
    /// Opens `target` (a display or a window) for capture at `fps`, and waits for its first picture.
    pub fn open(target: &ShareTarget, fps: u32, clock: SharedClock) -> Result<Self, MediaError> {
        let ticker = Ticker::new(fps, clock)?;
        // The id `list` gives it; no window id: the first window listed.
        let id = match target {
            ShareTarget::Screen(n) => Some(format!("screen:{}", n.unwrap_or(0))),
            ShareTarget::Window(w) => w.map(|w| format!("window:{w:#x}")),
            ShareTarget::Synthetic { .. } => {
                return Err(MediaError::invalid("share", "the synthetic slide is not a ScreenCaptureKit source"));
            }
        };
        let found = sources(ready()?)?
            .into_iter()
            .find(|f| match &id {
                Some(id) => &f.id == id,
                None => f.kind == ShareKind::Window,
            })
            .ok_or_else(|| MediaError::DeviceNotFound {
                kind: DeviceKind::Screen,
                id: id.clone().unwrap_or_else(|| "window".into()),
            })?;
        let window = match &found.content {
            Content::Window(w) => Some(w.window_id()),
            Content::Display(_) => None,
        };
        let running = start(&found.filter()?, found.size, fps, found.kind)?;
        // One picture now: a source that cannot be read fails here, not in the meeting.
        running.slot.take(FIRST_PICTURE_WAIT)?;
        let seen = (running.pictures.load(Ordering::Relaxed), Instant::now());
        Ok(Self { running, kind: found.kind, name: found.name, size: found.size, window, seen, ticker })
    }

    /// Ends the share when the shared window no longer exists. ScreenCaptureKit normally stops
    /// the stream itself then; this covers systems where it only stops sending pictures.
    fn check_window(&mut self) {
        let Some(id) = self.window else { return };
        let n = self.running.pictures.load(Ordering::Relaxed);
        if n != self.seen.0 {
            self.seen = (n, Instant::now());
        } else if self.seen.1.elapsed() >= CLOSED_CHECK {
            self.seen.1 = Instant::now();
            // All windows, minimised and on other Spaces included: only a closed one is missing.
            if let Ok(content) = SCShareableContent::get()
                && !content.windows().iter().any(|w| w.window_id() == id)
            {
                self.running.slot.end(failed("the shared window was closed"));
            }
        }
    }
}

impl Source for MacCapture {
    type Frame = VideoFrame;

    fn info(&self) -> SourceInfo {
        let kind = if self.kind == ShareKind::Window { "window" } else { "screen" };
        SourceInfo {
            kind: SourceKind::Screen,
            name: format!("{kind} \"{}\"", self.name),
            format: format!("ScreenCaptureKit {}x{} @{}", self.size.0, self.size.1, self.ticker.fps()),
        }
    }

    fn next_frame(&mut self) -> Result<Option<VideoFrame>, MediaError> {
        self.check_window();
        let slot = &self.running.slot;
        self.ticker.next(|| slot.take(FIRST_PICTURE_WAIT)).map(Some)
    }
}
