//! Whole meetings on loopback with the real runtime: signalling server, room protocol, WebRTC
//! mesh, encode once / decode per participant, recordings.

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use tokio::sync::mpsc::UnboundedReceiver;
use trygg::media::clock::SystemClock;
use trygg::media::frame::FrameDuration;
use trygg::media::h264::H264Config;
use trygg::media::opus::OpusConfig;
use trygg::media::source::{AudioSource, VideoSource};
use trygg::media::synthetic_audio::SyntheticAudio;
use trygg::media::synthetic_video::SyntheticVideo;
use trygg::meeting::{Entry, Meeting, MeetingCommand, MeetingConfig, MeetingEvent, MeetingTarget};
use trygg::net::peer::PeerConfig;
use trygg::net::signal_server::{SignalServer, SignalServerConfig};
use trygg::room::ids::RoomId;

const SECRET: &[u8] = b"test meeting secret";

fn config(url: &str, entry: Entry, name: &str, record: Option<std::path::PathBuf>) -> MeetingConfig {
    let clock = SystemClock::shared();
    let video: VideoSource = Box::new(SyntheticVideo::new(320, 180, 30, clock.clone()).unwrap());
    let audio: AudioSource = Box::new(SyntheticAudio::new(FrameDuration::Ms20, clock.clone()));
    MeetingConfig {
        target: MeetingTarget {
            url: url.into(),
            room: RoomId::bound_to(&trygg::room::RoomProof::derive(SECRET)),
            secret: SECRET.to_vec().into(),
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
        h264: H264Config { bitrate_bps: 300_000, ..H264Config::default() },
        opus: OpusConfig::default(),
        peer: PeerConfig { bind: vec!["127.0.0.1:0".into()], ..PeerConfig::default() },
        auto_admit: entry == Entry::Host,
        speaker: None,
        record,
        known_peers: None,
        video_channels: false,
        audio_processing: Default::default(),
        started_us: trygg::media::clock::wall_clock_us(),
        clock,
    }
}

/// Waits for the first event that `want` accepts, collecting every event seen on the way.
async fn wait_for(
    rx: &mut UnboundedReceiver<MeetingEvent>,
    seen: &mut Vec<MeetingEvent>,
    secs: u64,
    want: impl Fn(&MeetingEvent) -> bool,
) -> MeetingEvent {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, rx.recv()).await {
            Ok(Some(e)) => {
                seen.push(e.clone());
                if want(&e) {
                    return e;
                }
            }
            _ => panic!("timed out; saw {seen:#?}"),
        }
    }
}

fn kind(e: &MeetingEvent) -> String {
    serde_json::to_value(e).ok().and_then(|v| v["type"].as_str().map(str::to_owned)).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_and_guest_meet_through_the_lobby_and_exchange_media() {
    let server = SignalServer::start(SignalServerConfig::new("127.0.0.1:0".parse().unwrap())).await.unwrap();
    let url = format!("ws://{}/", server.local_addr);
    let dir = tempfile::tempdir().unwrap();

    let (host, mut host_rx) =
        Meeting::start(config(&url, Entry::Host, "Hanne Host", Some(dir.path().to_owned()))).unwrap();
    let mut host_seen = vec![];
    wait_for(&mut host_rx, &mut host_seen, 10, |e| matches!(e, MeetingEvent::Joined { .. })).await;

    let (guest, mut guest_rx) = Meeting::start(config(&url, Entry::Join, "Gunnar Gjest", None)).unwrap();
    let mut guest_seen = vec![];
    let knock = wait_for(&mut host_rx, &mut host_seen, 10, |e| matches!(e, MeetingEvent::Knock { .. })).await;
    let MeetingEvent::Knock { name, .. } = knock else { unreachable!() };
    assert_eq!(name, "Gunnar Gjest", "the host sees the knocker's name");
    wait_for(&mut guest_rx, &mut guest_seen, 10, |e| matches!(e, MeetingEvent::Joined { .. })).await;
    let kinds: Vec<String> = guest_seen.iter().map(kind).collect();
    for k in ["knock", "in_lobby", "admitted", "joined"] {
        assert!(kinds.contains(&k.to_owned()), "guest events {kinds:?}");
    }
    wait_for(&mut guest_rx, &mut guest_seen, 10, |e| matches!(e, MeetingEvent::FirstRemoteVideo { .. })).await;
    wait_for(&mut host_rx, &mut host_seen, 10, |e| matches!(e, MeetingEvent::FirstRemoteVideo { .. })).await;
    // A few seconds of stats: glass-to-glass from the pictures' own stamps.
    let stats = wait_for(&mut guest_rx, &mut guest_seen, 10, |e| {
        matches!(e, MeetingEvent::Stats { peers, .. } if peers.iter().any(|p| p.frames_decoded > 60 && p.glass_to_glass_ms.is_some()))
    })
    .await;
    let MeetingEvent::Stats { peers, e2ee, .. } = stats else { unreachable!() };
    assert_eq!(e2ee.state, "end_to_end_encrypted");
    assert!(e2ee.frames_decrypted > 60 && e2ee.dropped_auth_failed == 0, "{e2ee:?}");
    let p = &peers[0];
    assert_eq!(p.name, "Hanne Host");
    assert!(p.glass_to_glass_ms.unwrap() < 500.0, "{p:?}");
    assert!(p.bitrate_in_kbps > 50.0, "{p:?}");
    assert!(p.link.rtt_ms.is_some(), "{p:?}");

    guest.leave();
    wait_for(&mut guest_rx, &mut guest_seen, 10, |e| matches!(e, MeetingEvent::Left)).await;
    wait_for(&mut host_rx, &mut host_seen, 10, |e| matches!(e, MeetingEvent::ParticipantLeft { .. })).await;
    host.command(MeetingCommand::EndForAll);
    wait_for(&mut host_rx, &mut host_seen, 10, |e| matches!(e, MeetingEvent::Ended | MeetingEvent::Left)).await;

    // The host's recording of the guest holds stamped pictures and the guest's tone.
    let files: HashMap<String, u64> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.metadata().unwrap().len()))
        .collect();
    let y4m = files.keys().find(|f| f.ends_with(".y4m")).expect("a video recording");
    let wav = files.keys().find(|f| f.ends_with(".wav")).expect("an audio recording");
    let mut reader =
        trygg::media::y4m::Y4mReader::new(std::io::BufReader::new(std::fs::File::open(dir.path().join(y4m)).unwrap()))
            .unwrap();
    let mut stamped = 0;
    while let Some(f) = reader.read_frame().unwrap() {
        stamped += usize::from(trygg::media::pixel_stamp::read(&f).is_some());
    }
    assert!(stamped > 60, "{stamped} stamped pictures recorded");
    let audio = trygg::media::wav::Wav::parse(&std::fs::read(dir.path().join(wav)).unwrap()).unwrap();
    assert!(audio.samples.len() > 48_000, "{} samples recorded", audio.samples.len());
    let mid = audio.samples.len() / 2;
    assert_eq!(trygg::media::analysis::dominant_frequency(&audio.samples[mid - 24_000..mid + 24_000]), 440.0);
    server.shutdown().await;
}
