//! Two Trygg peer links in one process on loopback: negotiation, media both ways, keyframe
//! requests and renegotiation, with the real webrtc stack and real sockets.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::mpsc;
use trygg::media::clock::{Clock, SystemClock};
use trygg::media::h264::{H264Config, H264Decoder, H264Encoder};
use trygg::media::opus::{OpusConfig, OpusDecoder, OpusEncoder};
use trygg::media::pixel_stamp;
use trygg::media::synthetic_audio::SyntheticAudio;
use trygg::media::synthetic_video::SyntheticVideo;
use trygg::media::{AudioFrame, FrameDuration};
use trygg::net::peer::{LinkState, LocalMedia, PeerConfig, PeerEvent, PeerLink};

fn loopback() -> PeerConfig {
    PeerConfig { bind: vec!["127.0.0.1:0".into()], ..PeerConfig::default() }
}

struct Side {
    link: Arc<PeerLink>,
    events: mpsc::UnboundedReceiver<PeerEvent>,
}

async fn pair(a_media: LocalMedia, b_media: LocalMedia) -> (Side, Side) {
    let (atx, arx) = mpsc::unbounded_channel();
    let (btx, brx) = mpsc::unbounded_channel();
    let a = Arc::new(PeerLink::new(&loopback(), a_media, false, true, atx).await.unwrap());
    let b = Arc::new(PeerLink::new(&loopback(), b_media, true, false, btx).await.unwrap());
    (Side { link: a, events: arx }, Side { link: b, events: brx })
}

/// Moves signals between the two sides and hands every other event to `on_event`.
async fn pump(a: &mut Side, b: &mut Side, until: Instant, mut on_event: impl FnMut(bool, PeerEvent) -> bool) {
    while Instant::now() < until {
        tokio::select! {
            Some(e) = a.events.recv() => match e {
                PeerEvent::Signal(s) => b.link.handle_signal(s),
                other => if on_event(true, other) { return },
            },
            Some(e) = b.events.recv() => match e {
                PeerEvent::Signal(s) => a.link.handle_signal(s),
                other => if on_event(false, other) { return },
            },
            _ = tokio::time::sleep(Duration::from_millis(10)) => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_links_connect_and_carry_video_and_audio_both_ways() {
    let both = LocalMedia { audio: true, video: true };
    let (mut a, mut b) = pair(both, both).await;
    let started = Instant::now();
    let mut connected = (false, false);
    pump(&mut a, &mut b, started + Duration::from_secs(10), |from_a, e| {
        if let PeerEvent::State(LinkState::Connected) = e {
            if from_a { connected.0 = true } else { connected.1 = true }
        }
        connected == (true, true)
    })
    .await;
    assert_eq!(connected, (true, true), "not connected within 10 s");
    let connect_ms = started.elapsed().as_millis();

    // Both sides send 2 s of synthetic 640x360 video and audio.
    let clock = SystemClock::shared();
    let mut senders = vec![];
    for link in [a.link.clone(), b.link.clone()] {
        let clock = clock.clone();
        senders.push(tokio::spawn(async move {
            let video = SyntheticVideo::new(640, 360, 30, clock.clone()).unwrap();
            let mut enc = H264Encoder::new(H264Config { bitrate_bps: 800_000, ..H264Config::default() }).unwrap();
            let mut aenc = OpusEncoder::new(OpusConfig::default()).unwrap();
            let t0 = clock.now_us();
            for i in 0..60u64 {
                let now = clock.now_us();
                if let Some(e) = enc.encode(&video.render(i, now)).unwrap() {
                    link.send_video(Bytes::from(e.data), e.capture_us).await.unwrap();
                }
                for k in 0..2u64 {
                    let n = i * 2 + k;
                    let f = AudioFrame::new(SyntheticAudio::render(t0, n * 960, 960), 1, t0 + n * 20_000).unwrap();
                    let p = aenc.encode(&f).unwrap();
                    link.send_audio(Bytes::from(p.data), p.capture_us).await.unwrap();
                }
                tokio::time::sleep(Duration::from_millis(33)).await;
            }
        }));
    }
    let mut decoders = [H264Decoder::new().unwrap(), H264Decoder::new().unwrap()];
    let mut opus =
        [OpusDecoder::new(1, FrameDuration::Ms20).unwrap(), OpusDecoder::new(1, FrameDuration::Ms20).unwrap()];
    let mut stamps = [0u32, 0];
    let mut audio = [0u32, 0];
    let mut latency_ms = vec![];
    pump(&mut a, &mut b, Instant::now() + Duration::from_secs(4), |from_a, e| {
        let i = usize::from(!from_a);
        match e {
            PeerEvent::Video(f) => {
                if let Some(pic) = decoders[i].decode(&f.data).unwrap() {
                    let frame = pic.to_frame(0, 0).unwrap();
                    let s = pixel_stamp::read(&frame).expect("stamp survives the network");
                    latency_ms.push(s.age_us(SystemClock.now_us()).unwrap() as f64 / 1000.0);
                    stamps[i] += 1;
                }
            }
            PeerEvent::Audio(p) => {
                assert_eq!(opus[i].decode(&p.payload, 0).unwrap().samples().len(), 960);
                audio[i] += 1;
            }
            _ => {}
        }
        false
    })
    .await;
    for s in senders {
        s.await.unwrap();
    }
    assert!(stamps[0] >= 50 && stamps[1] >= 50, "stamped pictures received (A, B): {stamps:?}");
    assert!(audio[0] >= 100 && audio[1] >= 100, "audio packets received (A, B): {audio:?}");
    latency_ms.sort_by(f64::total_cmp);
    let p50 = latency_ms[latency_ms.len() / 2];
    eprintln!("connected in {connect_ms} ms; glass-to-glass p50 {p50:.1} ms over {} pictures", latency_ms.len());
    assert!(p50 < 200.0, "loopback latency p50 {p50} ms");
    a.link.close().await;
    b.link.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receive_only_side_still_gets_media_and_can_ask_for_keyframes() {
    let (mut a, mut b) = pair(LocalMedia { audio: true, video: true }, LocalMedia { audio: false, video: false }).await;
    let mut up = false;
    pump(&mut a, &mut b, Instant::now() + Duration::from_secs(10), |from_a, e| {
        if !from_a && matches!(e, PeerEvent::State(LinkState::Connected)) {
            up = true;
        }
        up
    })
    .await;
    assert!(up);
    let link = a.link.clone();
    let sender = tokio::spawn(async move {
        let video = SyntheticVideo::new(320, 180, 30, SystemClock::shared()).unwrap();
        let mut enc = H264Encoder::new(H264Config { bitrate_bps: 300_000, ..H264Config::default() }).unwrap();
        for i in 0..90u64 {
            if let Some(e) = enc.encode(&video.render(i, SystemClock.now_us())).unwrap() {
                link.send_video(Bytes::from(e.data), e.capture_us).await.unwrap();
            }
            tokio::time::sleep(Duration::from_millis(33)).await;
        }
    });
    let mut got_video = 0;
    let mut asked = false;
    let mut keyframe_request_seen = false;
    let b_link = b.link.clone();
    pump(&mut a, &mut b, Instant::now() + Duration::from_secs(5), |from_a, e| {
        match e {
            PeerEvent::Video(_) if !from_a => {
                got_video += 1;
                if got_video == 10 && !asked {
                    asked = true;
                    let l = b_link.clone();
                    tokio::spawn(async move { l.request_keyframe(false).await });
                }
            }
            PeerEvent::KeyframeRequested { .. } if from_a => keyframe_request_seen = true,
            _ => {}
        }
        false
    })
    .await;
    sender.await.unwrap();
    assert!(got_video >= 60, "receive-only side got {got_video} pictures");
    assert!(keyframe_request_seen, "the sender heard the receiver's PLI");
}

/// Sends synthetic video on `link` for `frames` pictures, with a keyframe whenever `keyframe`
/// is raised (as a meeting's sender answers the receiver's picture-loss requests).
fn send_video_for(link: Arc<PeerLink>, frames: u64, keyframe: Arc<AtomicBool>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let video = SyntheticVideo::new(320, 180, 30, SystemClock::shared()).unwrap();
        let mut enc = H264Encoder::new(H264Config { bitrate_bps: 300_000, ..H264Config::default() }).unwrap();
        for i in 0..frames {
            if keyframe.swap(false, Ordering::Relaxed) {
                enc.request_keyframe();
            }
            if let Some(e) = enc.encode(&video.render(i, SystemClock.now_us())).unwrap() {
                link.send_video(Bytes::from(e.data), e.capture_us).await.unwrap();
            }
            tokio::time::sleep(Duration::from_millis(33)).await;
        }
    })
}

/// The ICE ufrag of a description.
fn ufrag(sdp: &str) -> Option<String> {
    sdp.lines().find_map(|l| l.strip_prefix("a=ice-ufrag:")).map(|s| s.trim().to_owned())
}

/// Both sides restart ICE at the same moment: the offers collide (glare). The polite side yields,
/// one exchange wins, both end with new ICE credentials, and media flows on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simultaneous_ice_restarts_settle_without_glare_and_media_flows_on() {
    let both = LocalMedia { audio: false, video: true };
    let (mut a, mut b) = pair(both, both).await;
    let mut sdps: Vec<(bool, String, String)> = vec![];
    let mut connected = (false, false);
    // Like `pump`, but keeps every description that passes.
    async fn relay(
        a: &mut Side,
        b: &mut Side,
        secs: f64,
        sdps: &mut Vec<(bool, String, String)>,
        mut on_event: impl FnMut(bool, PeerEvent) -> bool,
    ) {
        let until = Instant::now() + Duration::from_secs_f64(secs);
        while Instant::now() < until {
            let (from_a, e) = tokio::select! {
                Some(e) = a.events.recv() => (true, e),
                Some(e) = b.events.recv() => (false, e),
                _ = tokio::time::sleep(Duration::from_millis(10)) => continue,
            };
            match e {
                PeerEvent::Signal(s) => {
                    match &s {
                        trygg::net::peer::PeerSignal::Description(d) => {
                            sdps.push((from_a, d.sdp_type.to_string(), d.sdp.clone()))
                        }
                        trygg::net::peer::PeerSignal::Candidate(c) => sdps.push((
                            from_a,
                            format!("candidate({})", c.username_fragment.clone().unwrap_or_default()),
                            String::new(),
                        )),
                    }
                    if from_a { b.link.handle_signal(s) } else { a.link.handle_signal(s) }
                }
                other => {
                    if on_event(from_a, other) {
                        return;
                    }
                }
            }
        }
    }
    relay(&mut a, &mut b, 10.0, &mut sdps, |from_a, e| {
        if let PeerEvent::State(LinkState::Connected) = e {
            if from_a { connected.0 = true } else { connected.1 = true }
        }
        connected == (true, true)
    })
    .await;
    assert_eq!(connected, (true, true));
    let before = sdps.len();

    let keyframes = [Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false))];
    let senders = [
        send_video_for(a.link.clone(), 120, keyframes[0].clone()),
        send_video_for(b.link.clone(), 120, keyframes[1].clone()),
    ];
    tokio::time::sleep(Duration::from_millis(500)).await;
    a.link.restart_ice();
    b.link.restart_ice();
    let mut after = [0u32, 0];
    let mut states = vec![];
    relay(&mut a, &mut b, 3.5, &mut sdps, |from_a, e| {
        match e {
            PeerEvent::Video(_) => after[usize::from(!from_a)] += 1,
            PeerEvent::State(s) => states.push((if from_a { "A" } else { "B" }, s)),
            PeerEvent::KeyframeRequested { .. } => keyframes[usize::from(!from_a)].store(true, Ordering::Relaxed),
            _ => {}
        }
        false
    })
    .await;
    for s in senders {
        s.await.unwrap();
    }
    let exchange = &sdps[before..];
    let first_ufrag = (
        sdps[..before].iter().rev().find(|s| s.0 && !s.2.is_empty()).and_then(|s| ufrag(&s.2)).unwrap_or_default(),
        sdps[..before].iter().rev().find(|s| !s.0 && !s.2.is_empty()).and_then(|s| ufrag(&s.2)).unwrap_or_default(),
    );
    let offers = exchange.iter().filter(|s| s.1 == "offer").count();
    let answers = exchange.iter().filter(|s| s.1 == "answer").count();
    assert!(offers >= 2, "both sides offered (the glare happened): {offers} offers");
    assert!(answers >= 1, "an exchange completed: {answers} answers");
    let last_a = exchange.iter().rev().find(|s| s.0 && !s.2.is_empty()).and_then(|s| ufrag(&s.2)).unwrap();
    let last_b = exchange.iter().rev().find(|s| !s.0 && !s.2.is_empty()).and_then(|s| ufrag(&s.2)).unwrap();
    assert!(last_a != first_ufrag.0 && last_b != first_ufrag.1, "new ICE credentials on both sides");
    let sequence: Vec<String> = exchange
        .iter()
        .map(|s| {
            let ice: Vec<&str> =
                s.2.lines().filter(|l| l.starts_with("a=ice-ufrag") || l.starts_with("a=candidate")).collect();
            format!("{}:{} {ice:?}", if s.0 { "A" } else { "B" }, s.1)
        })
        .collect();
    assert!(
        after[0] >= 60 && after[1] >= 60,
        "pictures after the restart (A, B): {after:?}; states {states:?}; {sequence:?}"
    );
    assert!(a.link.is_connected() && b.link.is_connected(), "{sequence:?}");
    a.link.close().await;
    b.link.close().await;
}
