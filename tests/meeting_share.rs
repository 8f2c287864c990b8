//! Screen sharing in a meeting on loopback with the real runtime: a 1080p share of small text
//! and a moving marker reaches every participant readable (its own track, renegotiated into the
//! running connections, SFrame-encrypted), a participant who joins during the share sees it
//! within 2 s, starting and stopping does not disturb audio, a still slide slows to 5 pictures a
//! second, and bad share requests are refused with a clear error.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::meeting::{Participant, config};
use trygg::media::VideoFrame;
use trygg::media::clock::SystemClock;
use trygg::media::screen::synthetic::{MARKER, SyntheticScreen, marker_at, marker_position};
use trygg::media::sink::VideoReceiver;
use trygg::meeting::{Entry, MeetingCommand, MeetingEvent, ShareEnd};
use trygg::net::signal_server::{SignalServer, SignalServerConfig};
use trygg::room::ids::MemberId;

const SECRET: &[u8] = b"the share meeting's secret";

/// PSNR of the luma rows `from..` of two pictures of one size.
fn psnr_rows(a: &VideoFrame, b: &VideoFrame, from: u32) -> f64 {
    let start = (from * a.width()) as usize;
    let (x, y) = (&a.y()[start..], &b.y()[start..]);
    let sse: u64 = x.iter().zip(y).map(|(&p, &q)| u64::from(p.abs_diff(q)).pow(2)).sum();
    let mse = (sse as f64 / x.len() as f64).max(1e-9);
    10.0 * (255.0f64 * 255.0 / mse).log10()
}

async fn share_channel(p: &mut Participant, of: &MemberId) -> Arc<VideoReceiver> {
    let e =
        p.wait(10, "share channel", |e| matches!(e, MeetingEvent::ShareChannel { member, .. } if member == of)).await;
    let MeetingEvent::ShareChannel { receiver, .. } = e else { unreachable!() };
    receiver
}

/// Pictures from `rx` for `secs`.
async fn pictures(rx: Arc<VideoReceiver>, secs: f64) -> Vec<VideoFrame> {
    tokio::task::spawn_blocking(move || {
        let end = Instant::now() + Duration::from_secs_f64(secs);
        let mut out = vec![];
        while Instant::now() < end {
            if let Some(f) = rx.recv_timeout(Duration::from_millis(100)) {
                out.push(f);
            }
        }
        out
    })
    .await
    .unwrap()
}

/// Audio packets decoded from `from` in each stats second seen after `skip` events.
fn audio_rates(p: &Participant, from: &MemberId, skip: usize) -> Vec<u64> {
    let totals: Vec<u64> = p.seen[skip..]
        .iter()
        .filter_map(|e| match e {
            MeetingEvent::Stats { peers, .. } => peers.iter().find(|s| s.member == *from).map(|s| s.audio_packets),
            _ => None,
        })
        .collect();
    totals.windows(2).map(|w| w[1].saturating_sub(w[0])).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_share_reaches_everyone_readable_and_a_late_joiner_within_two_seconds() {
    let server = SignalServer::start(SignalServerConfig::new("127.0.0.1:0".parse().unwrap())).await.unwrap();
    let url = format!("ws://{}/", server.local_addr);
    let cfg = |entry, name| {
        let mut c = config(&url, SECRET, entry, name, None);
        c.video_channels = true;
        c
    };
    let mut anna = Participant::start("Anna", cfg(Entry::Host, "Anna"));
    anna.wait(10, "joined", |e| matches!(e, MeetingEvent::Joined { .. })).await;
    let mut bo = Participant::start("Bo", cfg(Entry::Join, "Bo"));
    let knock = anna.wait(10, "knock", |e| matches!(e, MeetingEvent::Knock { .. })).await;
    let MeetingEvent::Knock { member: bo_id, .. } = knock else { unreachable!() };
    anna.meeting.command(MeetingCommand::Admit(bo_id));
    bo.wait(10, "joined", |e| matches!(e, MeetingEvent::Joined { .. })).await;
    anna.wait(
        15,
        "Bo's audio",
        |e| matches!(e, MeetingEvent::Stats { peers, .. } if peers.iter().any(|p| p.audio_packets > 20)),
    )
    .await;

    // Bad requests: a clear error each, and no share.
    bo.meeting.command(MeetingCommand::StartShare("the whole internet".into()));
    bo.wait(5, "an error", |e| matches!(e, MeetingEvent::Error { code, .. } if code == "media.invalid_config")).await;
    bo.meeting.command(MeetingCommand::StartShare("window:0xdeadbeef".into()));
    let e = bo.wait(5, "an error", |e| matches!(e, MeetingEvent::Error { .. })).await;
    let MeetingEvent::Error { code, message } = e else { unreachable!() };
    assert!(
        ["media.device_not_found", "media.no_device", "media.unsupported"].contains(&code.as_str()),
        "{code}: {message}"
    );
    assert!(!bo.seen.iter().any(|e| matches!(e, MeetingEvent::ShareStarted { .. })));

    // Bo shares a 1080p slide: Anna gets it, decodes it, and it is the slide.
    let before_share = anna.seen.len();
    bo.meeting.command(MeetingCommand::StartShare("synthetic".into()));
    let started = bo.wait(5, "share started", |e| matches!(e, MeetingEvent::ShareStarted { .. })).await;
    assert!(
        matches!(&started, MeetingEvent::ShareStarted { member, source: Some(s) } if Some(member) == bo.me().as_ref() && s.contains("slide")),
        "{started:?}"
    );
    anna.wait(
        10,
        "Bo shares",
        |e| matches!(e, MeetingEvent::ShareStarted { member, source: None } if *member == bo_id),
    )
    .await;
    let rx = share_channel(&mut anna, &bo_id).await;
    let got = pictures(rx, 4.0).await;
    if got.len() < 15 {
        anna.drain(1.5).await;
        let last = anna.seen.iter().rev().find(|e| matches!(e, MeetingEvent::Stats { .. }));
        panic!("4 s of a moving share gave {} pictures; Anna's last stats: {last:?}", got.len());
    }
    let reference = SyntheticScreen::new(1920, 1080, 15, SystemClock::shared()).unwrap().render(0, 0);
    let (_, band) = marker_at(1920, 1080, 0);
    let text_top = band + MARKER + 8;
    let mut positions = vec![];
    let mut quality = vec![];
    for f in &got {
        assert_eq!((f.width(), f.height()), (1920, 1080), "the share keeps the source's size");
        quality.push((psnr_rows(f, &reference, text_top) * 10.0).round() / 10.0);
        positions.extend(marker_position(f));
    }
    eprintln!("PSNR of the slide's text, picture by picture: {quality:?}");
    // A new picture arrives at about 36 dB and the next ones sharpen it (`share_h264`). Text
    // with 1-pixel strokes (205 levels from the background) reads cleanly from about 38 dB (an
    // RMS error of 3 levels): every picture two seconds in must. The sharpening is picture by
    // picture (about 0.3 dB each), so how far it has got at a given second depends on how many
    // pictures a busy machine encoded (4 a second on a loaded CI runner, 15 on a quiet one):
    // what must hold is that it gets there, the last third of the pictures past 40 dB. 33 dB
    // is the floor for the very first pictures.
    let first_us = got[0].capture_us;
    let settled: Vec<f64> =
        got.iter().zip(&quality).filter(|(f, _)| f.capture_us >= first_us + 2_000_000).map(|(_, q)| *q).collect();
    assert!(quality.iter().all(|&q| q >= 33.0), "the slide's text arrived at {quality:?} dB");
    assert!(settled.len() >= 5 && settled.iter().all(|&q| q >= 38.0), "two seconds in: {settled:?} dB");
    let last_third = &quality[quality.len() - quality.len() / 3..];
    assert!(last_third.iter().all(|&q| q >= 40.0), "sharpened past 40 dB: {quality:?}");
    positions.dedup();
    assert!(positions.len() * 10 >= got.len() * 8, "the marker was found and moved: {positions:?}");
    assert!(positions.iter().all(|&(x, y)| y == band && x % 8 == 0), "on its path: {positions:?}");

    // The numbers: Anna sees Bo's share, Bo sees his own.
    let stats = anna
        .wait(5, "share stats", |e| {
            matches!(e, MeetingEvent::Stats { peers, .. } if peers.iter().any(|p| p.share.as_ref().is_some_and(|s| s.fps > 0.0)))
        })
        .await;
    let MeetingEvent::Stats { peers, .. } = stats else { unreachable!() };
    let s = peers.iter().find_map(|p| p.share.clone()).unwrap();
    assert_eq!((s.width, s.height), (1920, 1080));
    assert!(s.bitrate_kbps > 0.0 && s.frames > 0, "{s:?}");
    // Once sharp, a moving marker goes out at the fast pace (while the first pictures sharpen,
    // rate control drops some).
    bo.wait(
        8,
        "own share stats at the fast pace",
        |e| matches!(e, MeetingEvent::Stats { share_out: Some(s), .. } if s.width == 1920 && s.fps >= 12.0),
    )
    .await;

    // Cai joins during the share and sees it within 2 s of being let in.
    let mut cai = Participant::start("Cai", cfg(Entry::Join, "Cai"));
    let knock = anna.wait(10, "knock", |e| matches!(e, MeetingEvent::Knock { .. })).await;
    let MeetingEvent::Knock { member: cai_id, .. } = knock else { unreachable!() };
    anna.meeting.command(MeetingCommand::Admit(cai_id));
    cai.wait(10, "admitted", |e| matches!(e, MeetingEvent::Admitted { .. })).await;
    let admitted = Instant::now();
    let rx = share_channel(&mut cai, &bo_id).await;
    let first = tokio::task::spawn_blocking(move || rx.recv_timeout(Duration::from_secs(10))).await.unwrap();
    let waited = admitted.elapsed();
    let first = first.expect("Cai sees the share");
    assert_eq!(first.width(), 1920);
    assert!(waited <= Duration::from_secs(2), "Cai saw the share {waited:?} after being let in");

    // Bo stops: everyone is told; audio went on through start, share and stop.
    bo.meeting.command(MeetingCommand::StopShare);
    bo.wait(5, "own share stopped", |e| matches!(e, MeetingEvent::ShareStopped { reason: ShareEnd::Stopped, .. }))
        .await;
    for p in [&mut anna, &mut cai] {
        p.wait(
            5,
            "Bo's share stopped",
            |e| matches!(e, MeetingEvent::ShareStopped { member, reason: ShareEnd::Stopped } if *member == bo_id),
        )
        .await;
    }
    anna.drain(2.5).await;
    let rates = audio_rates(&anna, &bo_id, before_share);
    assert!(rates.len() >= 4, "{rates:?}");
    // 50 packets a second; one stats tick can land a little early or late.
    assert!(rates.iter().all(|&r| (40..=60).contains(&r)), "Bo's audio at Anna, packets per second: {rates:?}");

    // Sharing again (a still slide) reuses the track; once its text is sharp at every viewer
    // (each new viewer's keyframe, then the pictures that sharpen it, at the fast pace), still
    // content goes down to 5 pictures a second.
    bo.meeting.command(MeetingCommand::StartShare("synthetic:still".into()));
    let rx = share_channel(&mut anna, &bo_id).await;
    assert!(tokio::task::spawn_blocking(move || rx.recv_timeout(Duration::from_secs(5))).await.unwrap().is_some());
    let slow =
        |e: &MeetingEvent| matches!(e, MeetingEvent::Stats { share_out: Some(s), .. } if (3.0..=7.0).contains(&s.fps));
    bo.wait(15, "a still slide's pace settles at about 5 a second", slow).await;
    let next = bo.wait(3, "the next stats", |e| matches!(e, MeetingEvent::Stats { share_out: Some(_), .. })).await;
    assert!(slow(&next), "a still slide stays at its slow pace: {next:?}");

    // Bo leaves while sharing: the others are told the share ended with him.
    bo.meeting.leave();
    anna.wait(
        10,
        "share ended by leaving",
        |e| matches!(e, MeetingEvent::ShareStopped { member, reason: ShareEnd::Left } if *member == bo_id),
    )
    .await;
    for p in [&anna, &cai] {
        p.meeting.leave();
    }
}
