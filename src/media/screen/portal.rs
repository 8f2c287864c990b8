//! Screen capture on Wayland: the xdg-desktop-portal ScreenCast dialog, pictures over PipeWire.
//!
//! A Wayland compositor lets no client read the screen. The desktop's portal asks the user which
//! screen or window to share (its own dialog, so there is no listing with thumbnails here), then
//! hands Trygg a PipeWire connection with one video node. The portal conversation runs on a
//! small tokio runtime of its own (ashpd over zbus); the PipeWire loop runs on this capture's
//! thread and keeps the newest picture; [`PortalCapture::next_frame`] takes it at the share's
//! pace, so a still screen the compositor does not repaint keeps giving pictures.
//!
//! Ends, each with a message that says what to do: no portal or no ScreenCast in it
//! ([`MediaError::Unsupported`]); the dialog cancelled or refused ([`MediaError::PermissionDenied`]);
//! the user stopped the share from the desktop, or the screen went away
//! ([`MediaError::DeviceFailed`], so the meeting stops the share and tells everyone).

use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use ashpd::desktop::PersistMode;
use ashpd::desktop::screencast::{CursorMode, Screencast, SelectSourcesOptions, SourceType};
use pipewire as pw;
use pw::spa;
use pw::spa::param::video::VideoFormat;

use super::pace::Ticker;
use super::slot::PictureSlot;
use super::{ShareKind, ShareSource, ShareTarget};
use crate::media::clock::SharedClock;
use crate::media::convert::{RgbLayout, rgb_to_i420};
use crate::media::frame::VideoFrame;
use crate::media::source::{Source, SourceInfo, SourceKind};
use crate::media::{DeviceKind, MediaError};

/// How long the user may take in the portal's dialog.
const ANSWER_WAIT: Duration = Duration::from_secs(180);
/// How long the first picture may take once the user has chosen.
const FIRST_PICTURE_WAIT: Duration = Duration::from_secs(5);
/// How long a listing may wait for the portal to say what it can share.
const LIST_WAIT: Duration = Duration::from_secs(5);

fn failed(detail: impl std::fmt::Display) -> MediaError {
    MediaError::DeviceFailed { kind: DeviceKind::Screen, detail: detail.to_string() }
}

fn no_portal(why: impl std::fmt::Display) -> MediaError {
    MediaError::Unsupported {
        format: "screen capture",
        why: format!(
            "this Wayland session has no screen-sharing portal ({why}); install xdg-desktop-portal and the \
             portal for your desktop (xdg-desktop-portal-gnome, -kde or -wlr), then log in again"
        ),
    }
}

fn portal_error(e: ashpd::Error) -> MediaError {
    use ashpd::desktop::ResponseError;
    match e {
        ashpd::Error::Response(ResponseError::Cancelled) => MediaError::PermissionDenied {
            kind: DeviceKind::Screen,
            how: "sharing was cancelled or refused in the system's sharing dialog; share again and choose a \
                  screen or window there",
        },
        ashpd::Error::Response(ResponseError::Other) => failed("the system's sharing dialog failed"),
        ashpd::Error::PortalNotFound(name) => no_portal(format!("{name} is missing")),
        ashpd::Error::Zbus(ashpd::zbus::Error::MethodError(name, ..))
            if name.as_str() == "org.freedesktop.DBus.Error.ServiceUnknown"
                || name.as_str() == "org.freedesktop.DBus.Error.UnknownMethod" =>
        {
            no_portal(format!("{name}"))
        }
        e => failed(format!("the desktop portal: {e}")),
    }
}

/// The small runtime the portal's D-Bus conversation runs on (one worker, so zbus keeps reading
/// while the capture thread runs the PipeWire loop).
fn portal_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().worker_threads(1).thread_name("trygg-portal-io").enable_all().build()
}

/// Runs `f` on a runtime of its own, on a thread of its own, so callers inside or outside tokio
/// can block on the portal.
fn on_portal_thread<T: Send + 'static>(
    f: impl FnOnce(&tokio::runtime::Runtime) -> T + Send + 'static,
) -> Result<T, MediaError> {
    std::thread::Builder::new()
        .name("trygg-portal".into())
        .spawn(move || {
            let rt = portal_runtime().map_err(failed)?;
            Ok(f(&rt))
        })
        .map_err(failed)?
        .join()
        .map_err(|_| failed("the portal thread panicked"))?
}

/// What the portal can share: one entry each for "a screen" and "a window", chosen later in its
/// own dialog, or an error that says why sharing is not possible in this session.
pub fn list() -> Result<Vec<ShareSource>, MediaError> {
    let types = on_portal_thread(|rt| {
        rt.block_on(async {
            let ask = async {
                let proxy = screencast().await?;
                proxy.available_source_types().await.map_err(portal_error)
            };
            tokio::time::timeout(LIST_WAIT, ask).await
        })
    })?;
    let types = match types {
        Err(_) => return Err(no_portal("the portal did not answer")),
        Ok(r) => r?,
    };
    let entry = |id: &str, kind, name: &str| ShareSource {
        id: id.into(),
        kind,
        name: name.into(),
        width: 0,
        height: 0,
        thumbnail: None,
    };
    let mut out = vec![];
    if types.contains(SourceType::Monitor) {
        out.push(entry("screen", ShareKind::Screen, "A screen, chosen in the system's sharing dialog"));
    }
    if types.contains(SourceType::Window) {
        out.push(entry("window", ShareKind::Window, "A window, chosen in the system's sharing dialog"));
    }
    if out.is_empty() {
        return Err(no_portal("it offers neither screens nor windows"));
    }
    Ok(out)
}

/// What the portal handed over for one chosen screen or window.
struct Granted {
    node: u32,
    fd: OwnedFd,
    session: ashpd::desktop::Session<Screencast>,
    kind: &'static str,
}

fn one_type(t: SourceType) -> ashpd::enumflags2::BitFlags<SourceType> {
    t.into()
}

/// The portal's ScreenCast interface on the session bus; failing to reach it means this session
/// has no portal (or no bus), whatever zbus calls the failure.
async fn screencast() -> Result<Screencast, MediaError> {
    Screencast::new().await.map_err(|e| match e {
        ashpd::Error::Zbus(e) => no_portal(e),
        e => portal_error(e),
    })
}

async fn negotiate(types: SourceType) -> Result<Granted, MediaError> {
    let proxy = screencast().await?;
    negotiate_with(&proxy, types).await.map_err(portal_error)
}

async fn negotiate_with(proxy: &Screencast, types: SourceType) -> Result<Granted, ashpd::Error> {
    let cursors = proxy.available_cursor_modes().await?;
    // The pointer drawn into the picture: viewers follow what the presenter points at.
    let cursor = if cursors.contains(CursorMode::Embedded) { CursorMode::Embedded } else { CursorMode::Hidden };
    let session = proxy.create_session(Default::default()).await?;
    proxy
        .select_sources(
            &session,
            SelectSourcesOptions::default()
                .set_cursor_mode(cursor)
                .set_sources(one_type(types))
                .set_multiple(false)
                .set_persist_mode(PersistMode::DoNot),
        )
        .await?
        .response()?;
    let streams = proxy.start(&session, None, Default::default()).await?.response()?;
    let stream = streams.streams().first().ok_or(ashpd::Error::NoResponse)?;
    let kind = match stream.source_type() {
        Some(SourceType::Window) => "window",
        _ => "screen",
    };
    let node = stream.pipe_wire_node_id();
    let fd = proxy.open_pipe_wire_remote(&session, Default::default()).await?;
    Ok(Granted { node, fd, session, kind })
}

/// A screen or window shared through the portal.
pub struct PortalCapture {
    shared: Arc<PictureSlot>,
    quit: Option<pw::channel::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    kind: &'static str,
    ticker: Ticker,
}

impl PortalCapture {
    /// Asks the portal for a screen or a window (the user chooses in its dialog), and waits for
    /// the first picture.
    pub fn open(target: &ShareTarget, fps: u32, clock: SharedClock) -> Result<Self, MediaError> {
        let ticker = Ticker::new(fps, clock)?;
        let types = match target {
            ShareTarget::Screen(None) => SourceType::Monitor,
            ShareTarget::Window(None) => SourceType::Window,
            ShareTarget::Screen(Some(_)) | ShareTarget::Window(Some(_)) => {
                return Err(MediaError::invalid(
                    "share",
                    "on Wayland the screen or window is chosen in the system's sharing dialog; use \"screen\" or \"window\" without a number",
                ));
            }
            ShareTarget::Synthetic { .. } => {
                return Err(MediaError::invalid("share", "the synthetic slide is not a portal source"));
            }
        };
        let shared = Arc::new(PictureSlot::default());
        let (quit, quit_rx) = pw::channel::channel::<()>();
        let quit_tx = quit.clone();
        let (granted_tx, granted_rx) = std::sync::mpsc::channel::<Result<&'static str, MediaError>>();
        let for_thread = shared.clone();
        let thread = std::thread::Builder::new()
            .name("trygg-screencast".into())
            .spawn(move || run(types, for_thread, (quit_tx, quit_rx), granted_tx))
            .map_err(failed)?;
        let mut capture = Self { shared, quit: Some(quit), thread: Some(thread), kind: "screen", ticker };
        capture.kind = match granted_rx.recv_timeout(ANSWER_WAIT) {
            Ok(r) => r?,
            Err(_) => return Err(failed("the system's sharing dialog gave no answer")),
        };
        // One picture now: a share that cannot deliver fails here, not in the meeting.
        capture.shared.take(FIRST_PICTURE_WAIT)?;
        Ok(capture)
    }
}

impl Drop for PortalCapture {
    fn drop(&mut self) {
        if let Some(q) = self.quit.take() {
            let _ = q.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Source for PortalCapture {
    type Frame = VideoFrame;

    fn info(&self) -> SourceInfo {
        SourceInfo {
            kind: SourceKind::Screen,
            name: format!("{} chosen in the sharing dialog", self.kind),
            format: format!("PipeWire @{}", self.ticker.fps()),
        }
    }

    fn next_frame(&mut self) -> Result<Option<VideoFrame>, MediaError> {
        let shared = &self.shared;
        self.ticker.next(|| shared.take(FIRST_PICTURE_WAIT)).map(Some)
    }
}

/// The capture thread: the portal conversation, then the PipeWire loop until told to quit or
/// the stream ends.
fn run(
    types: SourceType,
    shared: Arc<PictureSlot>,
    (quit_tx, quit): (pw::channel::Sender<()>, pw::channel::Receiver<()>),
    granted_tx: std::sync::mpsc::Sender<Result<&'static str, MediaError>>,
) {
    let rt = match portal_runtime() {
        Ok(rt) => rt,
        Err(e) => {
            let _ = granted_tx.send(Err(failed(e)));
            return;
        }
    };
    let granted = rt.block_on(async {
        match tokio::time::timeout(ANSWER_WAIT, negotiate(types)).await {
            Ok(r) => r,
            Err(_) => Err(failed("the system's sharing dialog gave no answer")),
        }
    });
    let Granted { node, fd, session, kind } = match granted {
        Ok(g) => g,
        Err(e) => {
            let _ = granted_tx.send(Err(e));
            return;
        }
    };
    let _ = granted_tx.send(Ok(kind));
    // The desktop closes the session when the user stops the share there (a "Stop sharing"
    // indicator) or the screen goes away.
    let session = Arc::new(session);
    let (watched, on_closed) = (session.clone(), shared.clone());
    let watch = rt.spawn(async move {
        use futures_util::StreamExt as _;
        if let Ok(mut closed) = watched.receive_closed().await
            && closed.next().await.is_some()
        {
            on_closed.end(failed("the share was stopped from the desktop, or the shared screen went away"));
            let _ = quit_tx.send(());
        }
    });
    if let Err(e) = stream(node, fd, &shared, quit) {
        shared.end(failed(format!("PipeWire: {e}")));
    }
    shared.end(failed("the shared screen or window went away"));
    watch.abort();
    let _ = rt.block_on(async { tokio::time::timeout(Duration::from_secs(2), session.close()).await });
}

/// The formats Trygg takes: 32-bit RGB in either byte order, in memory (no DMA-BUF modifiers
/// are offered, so the compositor sends mappable buffers).
fn layout(format: VideoFormat) -> Option<RgbLayout> {
    match format {
        VideoFormat::BGRx | VideoFormat::BGRA => Some(RgbLayout::Bgra32),
        VideoFormat::RGBx | VideoFormat::RGBA => Some(RgbLayout::Rgba32),
        _ => None,
    }
}

fn format_param() -> Result<Vec<u8>, pw::Error> {
    use pw::spa::param::format::{FormatProperties, MediaSubtype, MediaType};
    use pw::spa::utils::{Fraction, Rectangle, SpaTypes};
    let obj = pw::spa::pod::object!(
        SpaTypes::ObjectParamFormat,
        pw::spa::param::ParamType::EnumFormat,
        pw::spa::pod::property!(FormatProperties::MediaType, Id, MediaType::Video),
        pw::spa::pod::property!(FormatProperties::MediaSubtype, Id, MediaSubtype::Raw),
        pw::spa::pod::property!(
            FormatProperties::VideoFormat,
            Choice,
            Enum,
            Id,
            VideoFormat::BGRx,
            VideoFormat::BGRx,
            VideoFormat::BGRA,
            VideoFormat::RGBx,
            VideoFormat::RGBA
        ),
        pw::spa::pod::property!(
            FormatProperties::VideoSize,
            Choice,
            Range,
            Rectangle,
            Rectangle { width: 1920, height: 1080 },
            Rectangle { width: 16, height: 16 },
            Rectangle { width: 8192, height: 8192 }
        ),
        pw::spa::pod::property!(
            FormatProperties::VideoFramerate,
            Choice,
            Range,
            Fraction,
            Fraction { num: 15, denom: 1 },
            Fraction { num: 0, denom: 1 },
            Fraction { num: 60, denom: 1 }
        ),
    );
    pw::spa::pod::serialize::PodSerializer::serialize(
        std::io::Cursor::new(Vec::new()),
        &pw::spa::pod::Value::Object(obj),
    )
    .map(|(c, _)| c.into_inner())
    .map_err(|_| pw::Error::CreationFailed)
}

/// What the negotiated format says about each buffer.
#[derive(Default)]
struct Negotiated {
    size: (u32, u32),
    layout: Option<RgbLayout>,
}

fn stream(node: u32, fd: OwnedFd, shared: &Arc<PictureSlot>, quit: pw::channel::Receiver<()>) -> Result<(), pw::Error> {
    pw::init();
    let mainloop = pw::main_loop::MainLoopRc::new(None)?;
    let context = pw::context::ContextRc::new(&mainloop, None)?;
    let core = context.connect_fd_rc(fd, None)?;
    let ml = mainloop.clone();
    let _quit = quit.attach(mainloop.loop_(), move |()| ml.quit());
    let ml = mainloop.clone();
    let on_error = shared.clone();
    let _core_listener = core
        .add_listener_local()
        .error(move |_, _, _, message| {
            on_error.end(failed(format!("PipeWire: {message}")));
            ml.quit();
        })
        .register();
    // The compositor's node goes away when the shared screen or window does (or the user stops
    // the share from the desktop); the stream itself only pauses then.
    let registry = core.get_registry()?;
    let (ml, on_remove) = (mainloop.clone(), shared.clone());
    let _registry_listener = registry
        .add_listener_local()
        .global_remove(move |id| {
            tracing::debug!("PipeWire object {id} removed (the share's is {node})");
            if id == node {
                on_remove.end(failed("the shared screen or window went away"));
                ml.quit();
            }
        })
        .register();
    let stream = pw::stream::StreamBox::new(
        &core,
        "trygg-screen-share",
        pw::properties::properties! {
            *pw::keys::MEDIA_TYPE => "Video",
            *pw::keys::MEDIA_CATEGORY => "Capture",
            *pw::keys::MEDIA_ROLE => "Screen",
        },
    )?;
    let (ml, on_state, on_format, on_picture) = (mainloop.clone(), shared.clone(), shared.clone(), shared.clone());
    let _listener = stream
        .add_local_listener_with_user_data(Negotiated::default())
        .state_changed(move |_, _, old, new| match new {
            pw::stream::StreamState::Error(e) => {
                on_state.end(failed(format!("the share stream failed: {e}")));
                ml.quit();
            }
            pw::stream::StreamState::Unconnected => ml.quit(),
            _ => tracing::debug!("the share's PipeWire stream: {old:?} → {new:?}"),
        })
        .param_changed(move |_, n, id, param| {
            let Some(param) = param else { return };
            if id != pw::spa::param::ParamType::Format.as_raw() {
                return;
            }
            let mut info = spa::param::video::VideoInfoRaw::new();
            if info.parse(param).is_ok() {
                n.size = (info.size().width, info.size().height);
                n.layout = layout(info.format());
                if n.layout.is_none() {
                    on_format.end(MediaError::Unsupported {
                        format: "screen capture",
                        why: format!("the compositor sends pictures as {:?}, not 32-bit RGB", info.format()),
                    });
                }
            }
        })
        .process(move |s, n| {
            let Some(mut buffer) = s.dequeue_buffer() else { return };
            let Some(layout) = n.layout else { return };
            let datas = buffer.datas_mut();
            let Some(d) = datas.first_mut() else { return };
            let (offset, size, stride) = (d.chunk().offset() as usize, d.chunk().size() as usize, d.chunk().stride());
            let (w, h) = (n.size.0 & !1, n.size.1 & !1);
            let stride = if stride > 0 { stride as usize } else { n.size.0 as usize * 4 };
            let Some(bytes) = d.data() else { return };
            // An empty chunk is a repeat of the last picture (nothing was damaged).
            if size == 0 || w < 16 || h < 16 {
                return;
            }
            let Some(pixels) = bytes.get(offset..offset.saturating_add(size).min(bytes.len())) else { return };
            match rgb_to_i420(w, h, stride, layout, pixels) {
                Ok(f) => on_picture.put(f),
                Err(e) => on_picture.end(e),
            }
        })
        .register()?;
    let values = format_param()?;
    let pod = spa::pod::Pod::from_bytes(&values).ok_or(pw::Error::CreationFailed)?;
    stream.connect(
        spa::utils::Direction::Input,
        Some(node),
        pw::stream::StreamFlags::AUTOCONNECT | pw::stream::StreamFlags::MAP_BUFFERS,
        &mut [pod],
    )?;
    mainloop.run();
    let _ = stream.disconnect();
    Ok(())
}
