//! Cameras through nokhwa (V4L2 on Linux, AVFoundation on macOS, Media Foundation on Windows).
//!
//! nokhwa's own decoding is off: frames arrive as the camera sends them (MJPEG, YUYV, NV12, ...)
//! and [`convert`] turns them into I420 without going through RGB.

use nokhwa::Camera;
use nokhwa::utils::{
    ApiBackend, CameraFormat, CameraIndex, FrameFormat, RequestedFormat, RequestedFormatType, Resolution,
};

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, TrySendError, sync_channel};
use std::thread;
use std::time::Duration;

use super::MediaError;
use super::clock::SharedClock;
use super::convert;
use super::devices::{CameraDevice, VideoFormat};
use super::error::DeviceKind;
use super::frame::VideoFrame;
use super::source::{Source, SourceInfo, SourceKind};

const USABLE: [FrameFormat; 5] =
    [FrameFormat::NV12, FrameFormat::YUYV, FrameFormat::MJPEG, FrameFormat::GRAY, FrameFormat::RAWRGB];

fn device_error(e: nokhwa::NokhwaError, name: &str) -> MediaError {
    let text = e.to_string();
    let lower = text.to_lowercase();
    if lower.contains("busy") {
        MediaError::DeviceBusy { kind: DeviceKind::Camera, name: name.to_owned() }
    } else if lower.contains("permission") || lower.contains("denied") || lower.contains("not authorized") {
        MediaError::PermissionDenied { kind: DeviceKind::Camera, how: super::error::GRANT_IN_PRIVACY_SETTINGS }
    } else {
        MediaError::DeviceFailed { kind: DeviceKind::Camera, detail: text }
    }
}

/// Lists the cameras and the formats each offers. No camera is an empty list, not an error.
pub fn list() -> Result<Vec<CameraDevice>, MediaError> {
    let infos = match nokhwa::query(ApiBackend::Auto) {
        Ok(i) => i,
        // No backend on this OS build, or no video device nodes at all.
        Err(nokhwa::NokhwaError::UnsupportedOperationError(_)) => return Ok(vec![]),
        Err(e) => return Err(device_error(e, "camera list")),
    };
    let mut out = Vec::new();
    for info in infos {
        let name = info.human_name();
        let id = info.index().as_string();
        let formats = open(info.index(), None)
            .and_then(|mut cam| cam.compatible_camera_formats().map_err(|e| device_error(e, &name)))
            .map(|fmts| fmts.into_iter().filter(|f| USABLE.contains(&f.format())).map(to_format).collect())
            .unwrap_or_default();
        out.push(CameraDevice { id, name, formats });
    }
    Ok(out)
}

fn to_format(f: CameraFormat) -> VideoFormat {
    VideoFormat { width: f.width(), height: f.height(), fps: f.frame_rate(), pixel_format: f.format().to_string() }
}

fn open(index: &CameraIndex, format: Option<CameraFormat>) -> Result<Camera, MediaError> {
    let req = match format {
        Some(f) => RequestedFormat::with_formats(RequestedFormatType::Exact(f), &USABLE),
        None => RequestedFormat::with_formats(RequestedFormatType::None, &USABLE),
    };
    Camera::new(index.clone(), req).map_err(|e| device_error(e, &index.as_string()))
}

/// Picks the camera format nearest to what was asked: the smallest picture at least as large (or
/// the largest there is), then the frame rate nearest to `fps`, then raw formats before MJPEG
/// (no decoding cost).
pub fn choose_format(formats: &[CameraFormat], width: u32, height: u32, fps: u32) -> Option<CameraFormat> {
    let area = |f: &CameraFormat| u64::from(f.width()) * u64::from(f.height());
    let want = u64::from(width) * u64::from(height);
    let big_enough: Vec<_> = formats.iter().filter(|f| area(f) >= want).copied().collect();
    let pool = if big_enough.is_empty() { formats.to_vec() } else { big_enough };
    let best_area = if pool.iter().any(|f| area(f) >= want) {
        pool.iter().map(area).min()?
    } else {
        pool.iter().map(area).max()?
    };
    pool.into_iter().filter(|f| area(f) == best_area).min_by_key(|f| {
        let raw_rank = match f.format() {
            FrameFormat::NV12 => 0,
            FrameFormat::YUYV => 1,
            FrameFormat::MJPEG => 2,
            _ => 3,
        };
        (f.frame_rate().abs_diff(fps), raw_rank)
    })
}

/// An open camera. The device lives on its own capture thread (camera backends are not `Send`);
/// converted pictures come over a short queue, and the oldest is dropped when the reader is slow.
pub struct CameraSource {
    frames: Receiver<Result<VideoFrame, MediaError>>,
    stop: Arc<AtomicBool>,
    info: SourceInfo,
    thread: Option<thread::JoinHandle<()>>,
}

struct OpenCamera {
    camera: Camera,
    name: String,
    format: CameraFormat,
}

impl OpenCamera {
    fn open(id: Option<&str>, width: u32, height: u32, fps: u32) -> Result<Self, MediaError> {
        let cams = nokhwa::query(ApiBackend::Auto).unwrap_or_default();
        if cams.is_empty() {
            return Err(MediaError::NoDevice {
                kind: DeviceKind::Camera,
                hint: Some("connect a camera, or use the synthetic one"),
            });
        }
        let info = match id {
            None => cams[0].clone(),
            Some(id) => cams
                .iter()
                .find(|c| c.index().as_string() == id || c.human_name() == id)
                .cloned()
                .ok_or_else(|| MediaError::DeviceNotFound { kind: DeviceKind::Camera, id: id.to_owned() })?,
        };
        let name = info.human_name();
        let mut probe = open(info.index(), None)?;
        let formats = probe.compatible_camera_formats().map_err(|e| device_error(e, &name))?;
        drop(probe);
        let format = choose_format(&formats, width, height, fps).ok_or_else(|| MediaError::Unsupported {
            format: "camera",
            why: format!("{name} offers no format Trygg can convert (NV12, YUYV, MJPEG, GRAY, RGB)"),
        })?;
        let mut camera = open(info.index(), Some(format))?;
        camera.open_stream().map_err(|e| device_error(e, &name))?;
        Ok(Self { camera, name, format })
    }

    fn next(&mut self, clock: &SharedClock, seq: u64) -> Result<VideoFrame, MediaError> {
        let buf = self.camera.frame().map_err(|e| device_error(e, &self.name))?;
        let capture_us = clock.now_us();
        let mut frame = to_i420(buf.buffer(), buf.resolution(), buf.source_frame_format())?;
        frame.capture_us = capture_us;
        frame.seq = seq;
        Ok(frame)
    }
}

fn to_i420(data: &[u8], res: Resolution, fmt: FrameFormat) -> Result<VideoFrame, MediaError> {
    let (w, h) = (res.width() & !1, res.height() & !1);
    match fmt {
        FrameFormat::MJPEG => convert::mjpeg_to_i420(data),
        FrameFormat::YUYV => convert::yuyv_to_i420(w, h, data),
        FrameFormat::NV12 => convert::nv12_to_i420(w, h, data),
        FrameFormat::GRAY => convert::gray_to_i420(w, h, data),
        FrameFormat::RAWRGB => convert::rgb_to_i420(w, h, res.width() as usize * 3, convert::RgbLayout::Rgb24, data),
        FrameFormat::RAWBGR => convert::rgb_to_i420(w, h, res.width() as usize * 3, convert::RgbLayout::Bgr24, data),
    }
}

impl CameraSource {
    /// Opens the camera `id` (an index or a name as `trygg devices` shows; None: the first one)
    /// in the format nearest to `width`x`height`@`fps`.
    pub fn open(id: Option<&str>, width: u32, height: u32, fps: u32, clock: SharedClock) -> Result<Self, MediaError> {
        let (setup_tx, setup_rx) = sync_channel::<Result<SourceInfo, MediaError>>(1);
        let (tx, frames) = sync_channel(2);
        let stop = Arc::new(AtomicBool::new(false));
        let id = id.map(str::to_owned);
        let thread_stop = stop.clone();
        let thread = thread::Builder::new()
            .name("camera".into())
            .spawn(move || {
                let mut cam = match OpenCamera::open(id.as_deref(), width, height, fps) {
                    Ok(c) => c,
                    Err(e) => {
                        let _ = setup_tx.send(Err(e));
                        return;
                    }
                };
                let info = SourceInfo {
                    kind: SourceKind::Camera,
                    name: cam.name.clone(),
                    format: to_format(cam.format).to_string(),
                };
                if setup_tx.send(Ok(info)).is_err() {
                    return;
                }
                let mut seq = 0;
                while !thread_stop.load(Ordering::Relaxed) {
                    let result = cam.next(&clock, seq);
                    let failed = result.is_err();
                    seq += 1;
                    match tx.try_send(result) {
                        Ok(()) | Err(TrySendError::Full(_)) => {}
                        Err(TrySendError::Disconnected(_)) => break,
                    }
                    if failed {
                        break;
                    }
                }
                let _ = cam.camera.stop_stream();
            })
            .map_err(|e| MediaError::DeviceFailed { kind: DeviceKind::Camera, detail: e.to_string() })?;
        let info = setup_rx.recv().map_err(|_| MediaError::Closed)??;
        Ok(Self { frames, stop, info, thread: Some(thread) })
    }
}

impl Source for CameraSource {
    type Frame = VideoFrame;

    fn info(&self) -> SourceInfo {
        self.info.clone()
    }

    fn next_frame(&mut self) -> Result<Option<VideoFrame>, MediaError> {
        match self.frames.recv_timeout(FRAME_TIMEOUT) {
            Ok(r) => r.map(Some),
            Err(RecvTimeoutError::Timeout) => Err(MediaError::DeviceFailed {
                kind: DeviceKind::Camera,
                detail: format!("{} sent no picture for {} s", self.info.name, FRAME_TIMEOUT.as_secs()),
            }),
            Err(RecvTimeoutError::Disconnected) => Err(MediaError::DeviceFailed {
                kind: DeviceKind::Camera,
                detail: format!("{} stopped", self.info.name),
            }),
        }
    }
}

/// How long a reader waits for a picture before calling the camera dead.
const FRAME_TIMEOUT: Duration = Duration::from_secs(3);

impl Drop for CameraSource {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            // The thread notices within one frame interval.
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(w: u32, h: u32, fmt: FrameFormat, fps: u32) -> CameraFormat {
        CameraFormat::new_from(w, h, fmt, fps)
    }

    #[test]
    fn picks_the_smallest_sufficient_picture_then_fps_then_raw() {
        let formats = [
            f(640, 480, FrameFormat::YUYV, 30),
            f(1280, 720, FrameFormat::MJPEG, 30),
            f(1280, 720, FrameFormat::YUYV, 10),
            f(1920, 1080, FrameFormat::MJPEG, 30),
        ];
        assert_eq!(choose_format(&formats, 1280, 720, 30), Some(formats[1]));
        assert_eq!(choose_format(&formats, 1280, 720, 10), Some(formats[2]));
        assert_eq!(choose_format(&formats, 640, 360, 30), Some(formats[0]));
        // Asking for more than the camera has gives the largest it has.
        assert_eq!(choose_format(&formats, 3840, 2160, 30), Some(formats[3]));
        assert_eq!(choose_format(&[], 640, 480, 30), None);
    }
}
