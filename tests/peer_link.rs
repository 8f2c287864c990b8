//! Two Trygg peer links in one process on loopback: negotiation, media both ways, keyframe
//! requests and renegotiation, with the real webrtc stack and real sockets.

use std::sync::Arc;
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
use trygg::net::assembler::AudioOutput;
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
            PeerEvent::Audio(AudioOutput::Packet(p)) => {
                assert_eq!(opus[i].decode(&p, 0).unwrap().samples().len(), 960);
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
                    tokio::spawn(async move { l.request_keyframe().await });
                }
            }
            PeerEvent::KeyframeRequested if from_a => keyframe_request_seen = true,
            _ => {}
        }
        false
    })
    .await;
    sender.await.unwrap();
    assert!(got_video >= 60, "receive-only side got {got_video} pictures");
    assert!(keyframe_request_seen, "the sender heard the receiver's PLI");
}
