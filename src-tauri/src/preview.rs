//! The pre-join preview: the chosen camera's pictures (binary channel, as in a meeting) and the
//! chosen microphone's level (0..1, about 16 a second). A device that fails mid-preview stops
//! its thread and tells the UI ([`ShellEvent::PreviewError`]).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use tauri::ipc::Channel;
use tauri::{AppHandle, Runtime};
use trygg::media::clock::SystemClock;
use trygg::media::frame::AudioFrame;
use trygg::media::loopback::AUDIO_FRAME;
use trygg::media::sink::{VideoReceiver, video_channel};
use trygg::media::spec::VideoShape;

use crate::contract::{ShellEvent, UiError};
use crate::event;

/// What the preview asks of a camera: enough to see yourself, cheap to draw.
pub const PREVIEW_SHAPE: VideoShape = VideoShape { width: 640, height: 360, fps: 15 };

/// The microphone level the meter shows: RMS on a 60 dB scale, 0 (silence) to 1 (full scale).
pub fn level(frame: &AudioFrame) -> f32 {
    let rms = frame.rms();
    if rms <= 0.0 {
        return 0.0;
    }
    ((20.0 * rms.log10() + 60.0) / 60.0).clamp(0.0, 1.0)
}

struct Running {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

/// The running previews (normally one).
#[derive(Default)]
pub struct Previews {
    next: u64,
    running: HashMap<u64, Running>,
}

impl Previews {
    /// Opens the devices (errors here reject the UI's call) and starts sending.
    pub fn start<R: Runtime>(
        &mut self,
        app: AppHandle<R>,
        camera: &str,
        microphone: &str,
        levels: Channel<f32>,
    ) -> Result<(u64, Option<VideoReceiver>), UiError> {
        self.stop_all();
        let clock = SystemClock::shared();
        let video = crate::config::camera_choice(camera)?.open(PREVIEW_SHAPE, clock.clone())?;
        let audio = crate::config::microphone_choice(microphone)?.open(AUDIO_FRAME, clock)?;
        let stop = Arc::new(AtomicBool::new(false));
        let mut threads = vec![];
        let mut pictures = None;
        if let Some(mut source) = video {
            let (stop, app) = (stop.clone(), app.clone());
            let (frames, rx) = video_channel(2);
            pictures = Some(rx);
            threads.push(spawn("preview-video", move || {
                while !stop.load(Ordering::Relaxed) {
                    match source.next_frame() {
                        Ok(Some(f)) => {
                            // The page pulls them through a watch; gone when it is.
                            if frames.send(f).is_err() {
                                break;
                            }
                        }
                        Ok(None) => break,
                        Err(e) => {
                            failed(&app, UiError::from(e));
                            break;
                        }
                    }
                }
            })?);
        }
        if let Some(mut source) = audio {
            let stop = stop.clone();
            threads.push(spawn("preview-audio", move || {
                let mut n = 0u32;
                while !stop.load(Ordering::Relaxed) {
                    match source.next_frame() {
                        // 20 ms frames: every third is enough for a meter.
                        Ok(Some(f)) => {
                            n += 1;
                            if n.is_multiple_of(3) && levels.send(level(&f)).is_err() {
                                break;
                            }
                        }
                        Ok(None) => break,
                        Err(e) => {
                            failed(&app, UiError::from(e));
                            break;
                        }
                    }
                }
            })?);
        }
        self.next += 1;
        self.running.insert(self.next, Running { stop, threads });
        Ok((self.next, pictures))
    }

    /// Stops one preview and waits until its devices are released.
    pub fn stop(&mut self, id: u64) {
        if let Some(r) = self.running.remove(&id) {
            finish(r);
        }
    }

    /// Stops every preview (before a meeting opens the same devices).
    pub fn stop_all(&mut self) {
        for (_, r) in self.running.drain() {
            finish(r);
        }
    }
}

fn finish(r: Running) {
    r.stop.store(true, Ordering::Relaxed);
    for t in r.threads {
        let _ = t.join();
    }
}

fn failed<R: Runtime>(app: &AppHandle<R>, e: UiError) {
    event::shell(app, ShellEvent::PreviewError { code: e.code, message: e.message });
}

fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> Result<JoinHandle<()>, UiError> {
    std::thread::Builder::new()
        .name(name.into())
        .spawn(f)
        .map_err(|e| UiError::new("shell.thread", format!("could not start the preview: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_meter_spans_sixty_decibels() {
        let frame = |amp: f32| AudioFrame::new(vec![amp; 960], 1, 0).unwrap();
        assert_eq!(level(&frame(0.0)), 0.0);
        assert!((level(&frame(1.0)) - 1.0).abs() < 1e-4);
        assert!((level(&frame(0.001)) - 0.0).abs() < 1e-3, "-60 dBFS is the bottom");
        assert!((level(&frame(0.0316)) - 0.5).abs() < 0.01, "-30 dBFS is half way");
    }
}
