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
                PeerEvent::KeyframeRequested { .. } => keyframe.store(true, std::sync::atomic::Ordering::SeqCst),
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

/// A meeting whose server hands out TURN credentials for `turn` made with `secret`, between two
/// members that may use relay candidates only and have no TURN server of their own configured.
/// Returns the guest, after `secs` of waiting for a picture (or having seen one).
async fn meeting_through_handed_out_turn(turn: &Coturn, secret: &str, secs: u64) -> common::meeting::Participant {
    use common::meeting::{Participant, config};
    use trygg::meeting::{Entry, MeetingCommand, MeetingEvent};
    use trygg::net::signal_server::{SignalServer, SignalServerConfig};
    let mut server_config = SignalServerConfig::new("127.0.0.1:0".parse().unwrap());
    server_config.room.turn = Some(trygg::room::turn::TurnConfig {
        urls: vec![format!("turn:127.0.0.1:{}?transport=udp", turn.port)],
        secret: trygg::secrets::Sensitive::new(secret.as_bytes().to_vec()),
        ttl: Duration::from_secs(600),
        unix_at_zero: 0,
    });
    let server = SignalServer::start(server_config).await.unwrap();
    let url = format!("ws://{}/", server.local_addr);
    let secret_of_link = b"a meeting through the organisation's relay";
    let relay_only = |mut c: trygg::meeting::MeetingConfig| {
        c.peer.relay_only = true;
        assert!(c.peer.ice_servers.is_empty(), "no TURN server configured on the members");
        c
    };
    let mut host = Participant::start("Host", relay_only(config(&url, secret_of_link, Entry::Host, "Host", None)));
    host.wait(10, "joined", |e| matches!(e, MeetingEvent::Joined { .. })).await;
    let mut guest = Participant::start("Guest", relay_only(config(&url, secret_of_link, Entry::Join, "Guest", None)));
    let knock = host.wait(10, "knock", |e| matches!(e, MeetingEvent::Knock { .. })).await;
    let MeetingEvent::Knock { member, .. } = knock else { unreachable!() };
    host.meeting.command(MeetingCommand::Admit(member));
    guest.wait(10, "keys", |e| matches!(e, MeetingEvent::SecurityCode { .. })).await;
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline && !guest.seen.iter().any(|e| matches!(e, MeetingEvent::FirstRemoteVideo { .. })) {
        guest.drain(0.5).await;
    }
    guest.drain(1.5).await;
    drop(host);
    server.shutdown().await;
    guest
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_meet_through_the_relay_the_server_hands_out_credentials_for() {
    let secret = "the organisation's turn secret";
    let turn = Coturn::with_auth_secret(secret);
    let guest = meeting_through_handed_out_turn(&turn, secret, 20).await;
    use trygg::meeting::MeetingEvent;
    assert!(
        guest.seen.iter().any(|e| matches!(e, MeetingEvent::FirstRemoteVideo { .. })),
        "no picture through the relay; coturn log:\n{}",
        turn.log()
    );
    let relayed = guest.seen.iter().rev().find_map(|e| match e {
        MeetingEvent::Stats { peers, .. } => peers.first().map(|p| p.link.clone()),
        _ => None,
    });
    let link = relayed.expect("stats of the route");
    assert_eq!(link.local_candidate.as_deref(), Some("relay"), "{link:?}");
    assert!(link.bytes_received > 10_000, "{link:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_made_with_another_secret_get_no_relay() {
    let turn = Coturn::with_auth_secret("the organisation's turn secret");
    let guest = meeting_through_handed_out_turn(&turn, "a secret coturn does not know", 6).await;
    use trygg::meeting::MeetingEvent;
    assert!(
        !guest.seen.iter().any(|e| matches!(e, MeetingEvent::FirstRemoteVideo { .. })),
        "a picture came through although the relay refused the credentials"
    );
    // coturn checked the HMAC of the handed-out user name and refused it.
    assert!(turn.log().contains("check_stun_auth: Cannot find credentials of user"), "{}", turn.log());
}
