//! A camera unplugged in the middle of a call: the user is told once, in words, with what to do;
//! the microphone and everything else go on.

mod common;

use common::meeting::{Participant, config};
use trygg::media::clock::{SharedClock, SystemClock};
use trygg::media::source::{Source, SourceInfo, SourceKind};
use trygg::media::synthetic_video::SyntheticVideo;
use trygg::media::{DeviceKind, MediaError, VideoFrame};
use trygg::meeting::{Entry, MeetingCommand, MeetingEvent};
use trygg::net::signal_server::{SignalServer, SignalServerConfig};

/// A camera that works for `frames` pictures and then fails as an unplugged one does.
struct Unplugged {
    inner: SyntheticVideo,
    left: u32,
}

impl Unplugged {
    fn new(frames: u32, clock: SharedClock) -> Self {
        Self { inner: SyntheticVideo::new(320, 180, 30, clock).unwrap(), left: frames }
    }
}

impl Source for Unplugged {
    type Frame = VideoFrame;

    fn info(&self) -> SourceInfo {
        SourceInfo { kind: SourceKind::Camera, name: "USB camera".into(), format: "I420 320x180@30".into() }
    }

    fn next_frame(&mut self) -> Result<Option<VideoFrame>, MediaError> {
        if self.left == 0 {
            return Err(MediaError::DeviceFailed {
                kind: DeviceKind::Camera,
                detail: "the device was unplugged".into(),
            });
        }
        self.left -= 1;
        self.inner.next_frame()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unplugged_camera_is_reported_and_the_call_goes_on() {
    let server = SignalServer::start(SignalServerConfig::new("127.0.0.1:0".parse().unwrap())).await.unwrap();
    let url = format!("ws://{}/", server.local_addr);
    let mut host_cfg = config(&url, b"the unplugged camera meeting secret", Entry::Host, "Anna", None);
    host_cfg.video = Some(Box::new(Unplugged::new(90, SystemClock::shared())));
    let mut anna = Participant::start("Anna", host_cfg);
    anna.wait(10, "joined", |e| matches!(e, MeetingEvent::Joined { .. })).await;
    let mut bo =
        Participant::start("Bo", config(&url, b"the unplugged camera meeting secret", Entry::Join, "Bo", None));
    let knock = anna.wait(10, "knock", |e| matches!(e, MeetingEvent::Knock { .. })).await;
    let MeetingEvent::Knock { member, .. } = knock else { unreachable!() };
    anna.meeting.command(MeetingCommand::Admit(member));
    bo.wait(15, "Anna's video", |e| matches!(e, MeetingEvent::FirstRemoteVideo { .. })).await;

    // Three seconds in, the camera goes: Anna is told what happened and what to do.
    let e = anna.wait(15, "the camera error", |e| matches!(e, MeetingEvent::Error { .. })).await;
    let MeetingEvent::Error { code, message } = e else { unreachable!() };
    assert_eq!(code, "media.device_failed");
    assert!(message.contains("camera") && message.contains("unplugged") && message.contains("Reconnect"), "{message}");

    // Once: no repeated errors; and Bo still hears Anna, who still sees Bo.
    let heard = |p: &Participant| {
        p.seen.iter().rev().find_map(|e| match e {
            MeetingEvent::Stats { peers, .. } => peers.first().map(|s| (s.audio_packets, s.frames_decoded)),
            _ => None,
        })
    };
    bo.drain(1.5).await;
    let (audio_before, video_before) = heard(&bo).unwrap();
    anna.drain(3.0).await;
    bo.drain(1.5).await;
    let (audio_after, video_after) = heard(&bo).unwrap();
    assert!(audio_after >= audio_before + 100, "Bo still hears Anna: {audio_before} → {audio_after}");
    assert!(
        video_after <= video_before + 2,
        "no pictures come from an unplugged camera: {video_before} → {video_after}"
    );
    assert_eq!(anna.seen.iter().filter(|e| matches!(e, MeetingEvent::Error { .. })).count(), 1, "told once");
    let (_, anna_sees_bo) = heard(&anna).unwrap();
    assert!(anna_sees_bo > 60, "Anna still sees Bo: {anna_sees_bo} pictures");
    anna.meeting.leave();
    bo.meeting.leave();
}
