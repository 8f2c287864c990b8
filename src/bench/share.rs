//! `trygg bench share`: a screen share between two participants in this process, on loopback,
//! E2EE on, with a small synthetic camera and microphone running as in a call.
//!
//! * **Capture + encode CPU**: the share thread's own user+system time (`/proc/self/task`) over
//!   the window, as a share of one core, for a still 1080p slide (the pace settles at 5 fps)
//!   and for one whose marker moves on every picture (15 fps). With `--source screen:N` the
//!   picture comes from a real X11 screen grab instead of the synthetic slide.
//! * **Bitrate**: the share's encrypted bytes sent over the window.
//! * **Share to first picture**: from the share command to the first decoded picture at the
//!   viewer; the first share of the call renegotiates (adds the track), later ones reuse it.
//! * The start of a share (its first keyframe, then pictures that sharpen it) is measured apart
//!   from the settled share.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::mpsc::UnboundedReceiver;

use super::Machine;
use crate::media::clock::SystemClock;
use crate::media::frame::FrameDuration;
use crate::media::h264::H264Config;
use crate::media::opus::OpusConfig;
use crate::media::sink::VideoReceiver;
use crate::media::stats::Percentiles;
use crate::media::synthetic_audio::SyntheticAudio;
use crate::media::synthetic_video::SyntheticVideo;
use crate::meeting::{Entry, Meeting, MeetingCommand, MeetingConfig, MeetingEvent, MeetingTarget};
use crate::net::peer::PeerConfig;
use crate::net::signal_server::{SignalServer, SignalServerConfig};
use crate::room::ids::RoomId;

/// What to run.
#[derive(Debug, Clone)]
pub struct ShareBench {
    /// Seconds measured per content.
    pub seconds: f64,
    /// Seconds from a share's start to the measurement (its first keyframe and sharpening).
    pub settle: f64,
    /// Share-to-first-picture runs.
    pub runs: usize,
    /// The still source (`synthetic:still`, or `screen:N` for a real screen).
    pub still_source: String,
}

/// One content's figures.
#[derive(Debug, Clone, Serialize)]
pub struct ContentFigures {
    /// What was shared.
    pub source: String,
    /// Picture size.
    pub width: u32,
    /// Picture size.
    pub height: u32,
    /// Capture + encode + encrypt, % of one core.
    pub cpu_pct: f64,
    /// Pictures sent per second.
    pub fps: f64,
    /// Encrypted share bitrate once settled, kbit/s.
    pub kbps: f64,
    /// Encrypted share bitrate over the settling time from the share's start (its first
    /// keyframe, and the pictures that sharpen it), kbit/s.
    pub start_kbps: f64,
    /// Seconds from the start before measuring.
    pub settle_s: f64,
    /// Pictures the viewer decoded per second.
    pub viewer_fps: f64,
}

/// The report.
#[derive(Debug, Clone, Serialize)]
pub struct ShareReport {
    /// Where.
    pub machine: Machine,
    /// A still slide.
    pub still: ContentFigures,
    /// A slide whose marker moves on every picture.
    pub moving: ContentFigures,
    /// The first share of the call (with renegotiation), ms.
    pub first_share_ms: f64,
    /// Later shares, ms.
    pub share_to_picture_ms: Percentiles,
}

/// Why the benchmark could not run.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ShareBenchError(String);

fn fail(what: impl std::fmt::Display) -> ShareBenchError {
    ShareBenchError(what.to_string())
}

struct Side {
    meeting: Meeting,
    events: UnboundedReceiver<MeetingEvent>,
}

impl Side {
    async fn wait(
        &mut self,
        secs: f64,
        what: &str,
        want: impl Fn(&MeetingEvent) -> bool,
    ) -> Result<MeetingEvent, ShareBenchError> {
        let deadline = Instant::now() + Duration::from_secs_f64(secs);
        loop {
            match tokio::time::timeout(deadline.saturating_duration_since(Instant::now()), self.events.recv()).await {
                Ok(Some(MeetingEvent::Error { code, message }))
                    if code.starts_with("share") || code.starts_with("media") =>
                {
                    return Err(fail(format!("{what}: {code}: {message}")));
                }
                Ok(Some(e)) if want(&e) => return Ok(e),
                Ok(Some(_)) => {}
                _ => return Err(fail(format!("no {what} within {secs} s"))),
            }
        }
    }
}

/// The benchmark meeting's link secret.
const SECRET: &[u8] = b"the share benchmark's secret";

fn config(url: &str, entry: Entry, name: &str) -> Result<MeetingConfig, ShareBenchError> {
    let clock = SystemClock::shared();
    Ok(MeetingConfig {
        target: MeetingTarget {
            url: url.into(),
            room: RoomId::bound_to(&crate::room::RoomProof::derive(SECRET)),
            secret: SECRET.to_vec().into(),
            pin: None,
        },
        entry,
        name: name.into(),
        identity: crate::e2ee::identity::DeviceIdentity::generate(&mut rand_core_06::OsRng),
        invitation: None,
        invitation_list: None,
        invited_only: false,
        video: Some(Box::new(SyntheticVideo::new(320, 180, 30, clock.clone()).map_err(fail)?)),
        audio: Some(Box::new(SyntheticAudio::new(FrameDuration::Ms20, clock.clone()))),
        h264: H264Config { bitrate_bps: 250_000, ..H264Config::default() },
        opus: OpusConfig::default(),
        peer: PeerConfig { bind: vec!["127.0.0.1:0".into()], ..PeerConfig::default() },
        auto_admit: true,
        speaker: None,
        record: None,
        known_peers: None,
        video_channels: entry == Entry::Join,
        audio_processing: Default::default(),
        started_us: crate::media::clock::wall_clock_us(),
        clock,
    })
}

/// User+system ticks of this process's threads named `name`.
fn thread_ticks(name: &str) -> u64 {
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else { return 0 };
    dir.flatten()
        .filter(|t| std::fs::read_to_string(t.path().join("comm")).is_ok_and(|c| c.trim() == name))
        .map(|t| super::stat_ticks(&t.path().join("stat").to_string_lossy()))
        .sum()
}

async fn first_picture(rx: Arc<VideoReceiver>) -> bool {
    tokio::task::spawn_blocking(move || rx.recv_timeout(Duration::from_secs(10)).is_some()).await.unwrap_or(false)
}

async fn share_channel(viewer: &mut Side) -> Result<Arc<VideoReceiver>, ShareBenchError> {
    match viewer.wait(10.0, "the share at the viewer", |e| matches!(e, MeetingEvent::ShareChannel { .. })).await? {
        MeetingEvent::ShareChannel { receiver, .. } => Ok(receiver),
        _ => unreachable!("waited for a share channel"),
    }
}

/// Shares `source` for `seconds` after a settling time, and measures.
async fn measure(
    sharer: &mut Side,
    viewer: &mut Side,
    source: &str,
    seconds: f64,
    settle: f64,
) -> Result<ContentFigures, ShareBenchError> {
    sharer.meeting.command(MeetingCommand::StartShare(source.into()));
    let rx = share_channel(viewer).await?;
    // Drain the viewer's pictures in the background, counting them.
    let counter = tokio::task::spawn_blocking(move || {
        let mut n = 0u64;
        let mut times = vec![];
        while let Some(_f) = rx.recv_timeout(Duration::from_secs(2)) {
            n += 1;
            times.push(Instant::now());
        }
        (n, times)
    });
    let started = Instant::now();
    let mut start_stats = vec![];
    while started.elapsed().as_secs_f64() < settle {
        if let MeetingEvent::Stats { share_out: Some(s), .. } =
            sharer.wait(5.0, "stats", |e| matches!(e, MeetingEvent::Stats { .. })).await?
        {
            start_stats.push(s);
        }
    }
    let (t0, c0) = (Instant::now(), thread_ticks("share out"));
    let mut stats = vec![];
    while t0.elapsed().as_secs_f64() < seconds {
        if let MeetingEvent::Stats { share_out: Some(s), .. } =
            sharer.wait(5.0, "stats", |e| matches!(e, MeetingEvent::Stats { .. })).await?
        {
            stats.push(s);
        }
    }
    let (wall, c1) = (t0.elapsed().as_secs_f64(), thread_ticks("share out"));
    let t_end = Instant::now();
    sharer.meeting.command(MeetingCommand::StopShare);
    viewer.wait(10.0, "the share's end", |e| matches!(e, MeetingEvent::ShareStopped { .. })).await?;
    let (_, times) = counter.await.map_err(fail)?;
    let seen = times.iter().filter(|t| **t >= t0 && **t <= t_end).count();
    let last = stats.last().cloned().ok_or_else(|| fail("no share stats"))?;
    let n = stats.len().max(1) as f64;
    Ok(ContentFigures {
        source: source.into(),
        width: last.width,
        height: last.height,
        cpu_pct: super::cpu_pct(c0, c1, wall),
        fps: stats.iter().map(|s| s.fps).sum::<f64>() / n,
        kbps: stats.iter().map(|s| s.bitrate_kbps).sum::<f64>() / n,
        start_kbps: start_stats.iter().map(|s| s.bitrate_kbps).sum::<f64>() / start_stats.len().max(1) as f64,
        settle_s: settle,
        viewer_fps: seen as f64 / wall,
    })
}

/// Runs the benchmark.
pub fn run(b: &ShareBench) -> Result<ShareReport, ShareBenchError> {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().map_err(fail)?;
    rt.block_on(async {
        let server =
            SignalServer::start(SignalServerConfig::new("127.0.0.1:0".parse().map_err(fail)?)).await.map_err(fail)?;
        let url = format!("ws://{}/", server.local_addr);
        let (meeting, events) = Meeting::start(config(&url, Entry::Host, "Sharer")?).map_err(fail)?;
        let mut sharer = Side { meeting, events };
        sharer.wait(10.0, "the meeting", |e| matches!(e, MeetingEvent::Joined { .. })).await?;
        let (meeting, events) = Meeting::start(config(&url, Entry::Join, "Viewer")?).map_err(fail)?;
        let mut viewer = Side { meeting, events };
        viewer.wait(15.0, "the sharer's camera", |e| matches!(e, MeetingEvent::FirstRemoteVideo { .. })).await?;

        // Share to first picture: the first share renegotiates; then runs-1 more.
        let mut first_share_ms = 0.0;
        let mut later = vec![];
        for i in 0..b.runs.max(2) {
            let t = Instant::now();
            sharer.meeting.command(MeetingCommand::StartShare("synthetic:still".into()));
            let rx = share_channel(&mut viewer).await?;
            if !first_picture(rx).await {
                return Err(fail("the viewer got no picture of the share"));
            }
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            if i == 0 {
                first_share_ms = ms;
            } else {
                later.push(ms);
            }
            sharer.meeting.command(MeetingCommand::StopShare);
            viewer.wait(10.0, "the share's end", |e| matches!(e, MeetingEvent::ShareStopped { .. })).await?;
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        let still = measure(&mut sharer, &mut viewer, &b.still_source, b.seconds, b.settle).await?;
        let moving = measure(&mut sharer, &mut viewer, "synthetic", b.seconds, b.settle).await?;
        sharer.meeting.leave();
        viewer.meeting.leave();
        server.shutdown().await;
        Ok(ShareReport {
            machine: Machine::this(),
            still,
            moving,
            first_share_ms,
            share_to_picture_ms: Percentiles::of(&later),
        })
    })
}
