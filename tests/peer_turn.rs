//! Peer links through a real TURN server (coturn on loopback), relay candidates only.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::coturn::{Coturn, PASSWORD, USER};
use tokio::sync::mpsc;
use trygg::media::clock::SystemClock;
use trygg::media::h264::{H264Config, H264Encoder};
use trygg::media::synthetic_video::SyntheticVideo;
use trygg::net::peer::{IceServer, LinkState, LocalMedia, PeerConfig, PeerEvent, PeerLink};

fn relay_only(port: u16, password: &str) -> PeerConfig {
    PeerConfig {
        ice_servers: vec![IceServer {
            urls: vec![format!("turn:127.0.0.1:{port}?transport=udp")],
            username: USER.into(),
            credential: password.into(),
        }],
        relay_only: true,
        bind: vec!["127.0.0.1:0".into()],
        ..PeerConfig::default()
    }
}

/// Connects two relay-only links and returns whether both reached `connected`, plus pictures
/// received by the second in 2 s of sending.
async fn run(config: PeerConfig) -> (bool, u32, trygg::net::link_stats::LinkStats) {
    let media = LocalMedia { audio: false, video: true };
    let (atx, mut arx) = mpsc::unbounded_channel();
    let (btx, mut brx) = mpsc::unbounded_channel();
    let a = Arc::new(PeerLink::new(&config, media, false, true, atx).await.unwrap());
    let b = Arc::new(PeerLink::new(&config, media, true, false, btx).await.unwrap());
    let mut up = (false, false);
    let mut pictures = 0;
    let mut sending: Option<tokio::task::JoinHandle<()>> = None;
    let keyframe = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let deadline = Instant::now() + Duration::from_secs(12);
    let mut stop_at = None;
    while Instant::now() < deadline && stop_at.is_none_or(|t| Instant::now() < t) {
        tokio::select! {
            Some(e) = arx.recv() => match e {
                PeerEvent::Signal(s) => b.handle_signal(s),
                PeerEvent::State(LinkState::Connected) => up.0 = true,
                PeerEvent::KeyframeRequested => keyframe.store(true, std::sync::atomic::Ordering::SeqCst),
                _ => {}
            },
            Some(e) = brx.recv() => match e {
                PeerEvent::Signal(s) => a.handle_signal(s),
                PeerEvent::State(LinkState::Connected) => up.1 = true,
                PeerEvent::Video(_) => pictures += 1,
                _ => {}
            },
            _ = tokio::time::sleep(Duration::from_millis(20)) => {}
        }
        if up == (true, true) && sending.is_none() {
            let a = a.clone();
            let keyframe = keyframe.clone();
            sending = Some(tokio::spawn(async move {
                let v = SyntheticVideo::new(320, 180, 30, SystemClock::shared()).unwrap();
                let mut enc = H264Encoder::new(H264Config { bitrate_bps: 300_000, ..H264Config::default() }).unwrap();
                for i in 0..60u64 {
                    if keyframe.swap(false, std::sync::atomic::Ordering::SeqCst) {
                        enc.request_keyframe();
                    }
                    if let Some(e) = enc.encode(&v.render(i, i * 33_333)).unwrap() {
                        let _ = a.send_video(Bytes::from(e.data), i * 33_333).await;
                    }
                    tokio::time::sleep(Duration::from_millis(33)).await;
                }
            }));
            stop_at = Some(Instant::now() + Duration::from_secs(3));
        }
    }
    let stats = b.stats().await;
    a.close().await;
    b.close().await;
    (up == (true, true), pictures, stats)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_flows_through_a_turn_relay_when_only_relay_candidates_are_allowed() {
    let turn = Coturn::start();
    let (connected, pictures, stats) = run(relay_only(turn.port, PASSWORD)).await;
    assert!(connected, "no relay connection; coturn log:\n{}", turn.log());
    assert!(pictures >= 40, "{pictures} pictures came through the relay");
    assert_eq!(stats.local_candidate.as_deref(), Some("relay"), "{stats:?}");
    assert_eq!(stats.remote_candidate.as_deref(), Some("relay"), "{stats:?}");
    assert!(stats.bytes_received > 10_000, "{stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_turn_password_fails_cleanly() {
    let turn = Coturn::start();
    let (connected, pictures, _) = run(relay_only(turn.port, "not-the-password")).await;
    assert!(!connected && pictures == 0, "connected without valid TURN credentials");
}
