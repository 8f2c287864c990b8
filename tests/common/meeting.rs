//! Participants of a meeting in one test process, with the real runtime.

use std::time::{Duration, Instant};

use tokio::sync::mpsc::UnboundedReceiver;
use trygg::media::clock::SystemClock;
use trygg::media::frame::FrameDuration;
use trygg::media::h264::H264Config;
use trygg::media::opus::OpusConfig;
use trygg::media::source::{AudioSource, VideoSource};
use trygg::media::synthetic_audio::SyntheticAudio;
use trygg::media::synthetic_video::SyntheticVideo;
use trygg::meeting::{Entry, Meeting, MeetingConfig, MeetingEvent, MeetingTarget};
use trygg::net::peer::PeerConfig;
use trygg::room::ids::RoomId;

/// One participant: its handle, its events, and every event seen so far.
pub struct Participant {
    pub name: &'static str,
    pub meeting: Meeting,
    pub events: UnboundedReceiver<MeetingEvent>,
    pub seen: Vec<MeetingEvent>,
}

/// A meeting config with small synthetic media on loopback.
/// The room is the one the secret's link names (room ids commit to the link's proof).
pub fn config(url: &str, secret: &[u8], entry: Entry, name: &str, record: Option<std::path::PathBuf>) -> MeetingConfig {
    let clock = SystemClock::shared();
    let video: VideoSource = Box::new(SyntheticVideo::new(320, 180, 30, clock.clone()).unwrap());
    let audio: AudioSource = Box::new(SyntheticAudio::new(FrameDuration::Ms20, clock.clone()));
    MeetingConfig {
        target: MeetingTarget {
            url: url.into(),
            room: RoomId::bound_to(&trygg::room::RoomProof::derive(secret)),
            secret: secret.to_vec().into(),
            pin: None,
        },
        entry,
        name: name.into(),
        identity: trygg::e2ee::identity::DeviceIdentity::generate(&mut rand_core_06::OsRng),
        invitation: None,
        invitation_list: None,
        invited_only: false,
        video: Some(video),
        audio: Some(audio),
        h264: H264Config { bitrate_bps: 250_000, ..H264Config::default() },
        opus: OpusConfig::default(),
        peer: PeerConfig { bind: vec!["127.0.0.1:0".into()], ..PeerConfig::default() },
        auto_admit: false,
        speaker: None,
        record,
        known_peers: None,
        video_channels: false,
        audio_processing: Default::default(),
        started_us: trygg::media::clock::wall_clock_us(),
        clock,
    }
}

impl Participant {
    pub fn start(name: &'static str, config: MeetingConfig) -> Self {
        let (meeting, events) = Meeting::start(config).expect("meeting starts");
        Self { name, meeting, events, seen: vec![] }
    }

    /// Waits for an event `want` accepts; panics with everything seen after `secs`.
    pub async fn wait(&mut self, secs: u64, what: &str, want: impl Fn(&MeetingEvent) -> bool) -> MeetingEvent {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.events.recv()).await {
                Ok(Some(e)) => {
                    self.seen.push(e.clone());
                    if want(&e) {
                        return e;
                    }
                }
                _ => panic!("{}: no {what} within {secs} s; saw {:#?}", self.name, kinds(&self.seen)),
            }
        }
    }

    /// Reads events for `secs` without waiting for anything in particular.
    pub async fn drain(&mut self, secs: f64) {
        let deadline = Instant::now() + Duration::from_secs_f64(secs);
        while let Ok(Some(e)) =
            tokio::time::timeout(deadline.saturating_duration_since(Instant::now()), self.events.recv()).await
        {
            self.seen.push(e);
        }
    }

    /// The last security code seen.
    pub fn security_code(&self) -> Option<(u64, String)> {
        self.seen.iter().rev().find_map(|e| match e {
            MeetingEvent::SecurityCode { epoch, code, .. } => Some((*epoch, code.clone())),
            _ => None,
        })
    }

    /// As the host: waits for the next knock, admits it, and returns the knocker's id.
    pub async fn admit_next(&mut self) -> trygg::room::MemberId {
        let knock = self.wait(10, "knock", |e| matches!(e, MeetingEvent::Knock { .. })).await;
        let MeetingEvent::Knock { member, .. } = knock else { unreachable!() };
        self.meeting.command(trygg::meeting::MeetingCommand::Admit(member));
        member
    }

    /// This participant's member id, once joined.
    pub fn me(&self) -> Option<trygg::room::MemberId> {
        self.seen.iter().find_map(|e| match e {
            MeetingEvent::Joined { me, .. } => Some(*me),
            _ => None,
        })
    }
}

/// The `type` of each event, for readable failures.
pub fn kinds(events: &[MeetingEvent]) -> Vec<String> {
    events
        .iter()
        .map(|e| {
            let v = serde_json::to_value(e).unwrap_or_default();
            let mut k = v["type"].as_str().unwrap_or("?").to_owned();
            if let Some(m) = v["member"].as_str() {
                k.push_str(&format!("({m})"));
            }
            k
        })
        .collect()
}
