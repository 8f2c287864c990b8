//! Interop with the reference WebRTC stack: Debian's Chromium, headless, against the same peer
//! link code meetings use. Both directions must decode: Chromium's getStats shows frames decoded
//! and audio energy from our H.264 and Opus, and we decode Chromium's H.264 and Opus.

mod common;

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;
use tokio::sync::mpsc;
use trygg::media::analysis::dominant_frequency;
use trygg::media::clock::SystemClock;
use trygg::media::h264::{H264Config, H264Decoder, H264Encoder};
use trygg::media::opus::{OpusConfig, OpusDecoder, OpusEncoder};
use trygg::media::synthetic_audio::SyntheticAudio;
use trygg::media::synthetic_video::SyntheticVideo;
use trygg::media::{AudioFrame, FrameDuration};
use trygg::net::peer::{LinkState, LocalMedia, PeerConfig, PeerEvent, PeerLink, PeerSignal};

fn interop_dir() -> &'static Path {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop"));
    assert!(
        dir.join("node_modules/playwright-core").exists(),
        "tests/interop/node_modules is missing; `make test` installs it (npm ci in tests/interop)"
    );
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_and_trygg_decode_each_others_h264_and_opus() {
    common::tool("chromium");
    let mut node = Command::new(common::tool("node"))
        .arg(interop_dir().join("chromium_peer.mjs"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("starting node");
    let mut to_chromium = node.stdin.take().unwrap();
    let mut from_chromium = BufReader::new(node.stdout.take().unwrap()).lines();

    let (tx, mut events) = mpsc::unbounded_channel();
    let config = PeerConfig { bind: vec!["127.0.0.1:0".into()], ..PeerConfig::default() };
    let link = std::sync::Arc::new(
        PeerLink::new(&config, LocalMedia { audio: true, video: true }, true, false, tx).await.unwrap(),
    );

    // Send 6 s of synthetic media once connected.
    let sender_link = link.clone();
    let (connected_tx, mut connected_rx) = mpsc::unbounded_channel::<()>();
    let sender = tokio::spawn(async move {
        connected_rx.recv().await;
        let clock = SystemClock::shared();
        let video = SyntheticVideo::new(640, 360, 30, clock.clone()).unwrap();
        let mut enc = H264Encoder::new(H264Config { bitrate_bps: 800_000, ..H264Config::default() }).unwrap();
        let mut aenc = OpusEncoder::new(OpusConfig::default()).unwrap();
        let t0 = clock.now_us();
        let mut next_audio = 0u64;
        for i in 0..180u64 {
            if let Some(e) = enc.encode(&video.render(i, clock.now_us())).unwrap() {
                sender_link.send_video(Bytes::from(e.data), e.capture_us).await.unwrap();
            }
            // Audio keeps its own 20 ms clock alongside the 33 ms video ticks.
            while next_audio * 20_000 <= clock.now_us() - t0 {
                let f = AudioFrame::new(SyntheticAudio::render(t0, next_audio * 960, 960), 1, t0 + next_audio * 20_000)
                    .unwrap();
                sender_link.send_audio(Bytes::from(aenc.encode(&f).unwrap().data), f.capture_us).await.unwrap();
                next_audio += 1;
            }
            tokio::time::sleep(Duration::from_millis(33)).await;
        }
    });

    let mut decoder = H264Decoder::new().unwrap();
    let mut opus = OpusDecoder::new(1, FrameDuration::Ms20).unwrap();
    let (mut pictures, mut size, mut decode_errors) = (0, (0, 0), 0u32);
    let mut heard: Vec<f32> = vec![];
    let mut stats: Option<Value> = None;
    let mut connected_at = None;
    let started = Instant::now();
    let deadline = started + Duration::from_secs(30);
    loop {
        if Instant::now() > deadline {
            panic!("timed out: connected {connected_at:?}, {pictures} pictures, {} samples heard", heard.len());
        }
        if connected_at.is_some_and(|t: Instant| t.elapsed() > Duration::from_secs(7)) && stats.is_none() {
            to_chromium.write_all(b"{\"finish\":true}\n").await.unwrap();
            connected_at = Some(Instant::now() + Duration::from_secs(3600)); // ask once
        }
        tokio::select! {
            line = from_chromium.next_line() => {
                let Some(line) = line.unwrap() else { break };
                let m: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
                if let Some(s) = m.get("stats") {
                    stats = Some(s.clone());
                    break;
                }
                assert!(m.get("error").is_none(), "chromium side failed: {m}");
                if m.get("log").is_some() {
                    eprintln!("chromium: {m}");
                    continue;
                }
                let signal: PeerSignal = serde_json::from_value(m.clone()).unwrap_or_else(|e| panic!("{e}: {m}"));
                link.handle_signal(signal);
            }
            Some(e) = events.recv() => match e {
                PeerEvent::Signal(s) => {
                    let mut line = serde_json::to_vec(&s).unwrap();
                    line.push(b'\n');
                    to_chromium.write_all(&line).await.unwrap();
                }
                PeerEvent::State(LinkState::Connected) if connected_at.is_none() => {
                    eprintln!("connected to Chromium after {} ms", started.elapsed().as_millis());
                    connected_at = Some(Instant::now());
                    let _ = connected_tx.send(());
                }
                PeerEvent::Video(f) => {
                    let kinds: Vec<_> = trygg::media::annexb::nal_units(&f.data).iter().map(|n| n.kind()).collect();
                    match decoder.decode(&f.data) {
                        Ok(Some(p)) => {
                            pictures += 1;
                            size = p.dimensions();
                        }
                        Ok(None) => eprintln!("no picture from {kinds:?}"),
                        Err(e) => {
                            eprintln!("decode error {e} on {kinds:?}");
                            decode_errors += 1;
                            let l = link.clone();
                            tokio::spawn(async move { l.request_keyframe(false).await });
                        }
                    }
                }
                // An empty payload is RTP padding (Chromium pads when it probes the link), not audio.
                PeerEvent::Audio(p) if p.payload.is_empty() => {}
                PeerEvent::Audio(p) => heard.extend_from_slice(opus.decode(&p.payload, 0).unwrap().samples()),
                _ => {}
            }
        }
    }
    sender.await.unwrap();
    link.close().await;
    let stats = stats.expect("Chromium's stats");
    eprintln!("Chromium: {stats:#}");

    // Chromium decoded our H.264 and heard our Opus.
    let v = &stats["inbound_video"];
    assert_eq!(v["codec"], "video/H264", "{stats}");
    assert!(v["framesDecoded"].as_u64().unwrap_or(0) >= 60, "Chromium decoded too few of our frames: {stats}");
    assert_eq!((v["frameWidth"].as_u64(), v["frameHeight"].as_u64()), (Some(640), Some(360)), "{stats}");
    let a = &stats["inbound_audio"];
    assert_eq!(a["codec"], "audio/opus", "{stats}");
    assert!(a["totalAudioEnergy"].as_f64().unwrap_or(0.0) > 0.0, "Chromium heard no energy: {stats}");
    assert!(a["totalSamplesReceived"].as_u64().unwrap_or(0) > 48_000, "{stats}");

    // We decoded Chromium's H.264 and Opus.
    assert_eq!(stats["outbound_video"]["codec"], "video/H264", "{stats}");
    assert!(pictures >= 60, "we decoded {pictures} of Chromium's pictures");
    assert_eq!(size, (640, 480));
    assert!(decode_errors <= 2, "{decode_errors} of Chromium's frames failed to decode");
    assert!(heard.len() > 48_000 * 3, "heard {} samples", heard.len());
    let mid = heard.len() / 2;
    let f = dominant_frequency(&heard[mid..mid + 48_000]);
    assert!((f - 660.0).abs() <= 10.0, "Chromium's 660 Hz tone came through as {f} Hz");
    drop(to_chromium);
    if tokio::time::timeout(Duration::from_secs(10), node.wait()).await.is_err() {
        let _ = node.kill().await;
    }
}
