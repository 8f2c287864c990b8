//! Untrusted RTP packets into the reassembly Trygg runs on every received track: H.264 payloads
//! through the `rtc` crate's depacketizer (single NAL, STAP-A, FU-A, garbage) into access units,
//! and Opus payloads through the audio playout buffer (pulled as a speaker would), in any order,
//! with gaps, duplicates, jumps and wrapping sequence numbers and timestamps, on a clock that
//! moves as the input says. Nothing may panic, hang or grow without bound; every access unit
//! handed out is Annex B with at least one start code; the playout always makes progress.
#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use trygg::net::assembler::{VideoAssembler, VideoOutput};
use trygg::net::jitter_buffer::{Decision, JitterBuffer};

fuzz_target!(|data: &[u8]| {
    let mut video = VideoAssembler::new(Duration::from_millis(40));
    let mut audio = JitterBuffer::new();
    let mut now = Duration::from_secs(1);
    let mut rest = data;
    // Each packet: seq (2) ‖ timestamp (4) ‖ flags (1: bit 0 marker, bit 1 audio) ‖ advance in
    // ms (1) ‖ length (1) ‖ payload.
    while let [s0, s1, t0, t1, t2, t3, flags, dt, len, tail @ ..] = rest {
        let n = usize::from(*len).min(tail.len());
        let (payload, next) = tail.split_at(n);
        rest = next;
        now += Duration::from_millis(u64::from(*dt));
        let seq = u16::from_be_bytes([*s0, *s1]);
        let ts = u32::from_be_bytes([*t0, *t1, *t2, *t3]);
        let payload = bytes::Bytes::copy_from_slice(payload);
        if flags & 2 == 0 {
            video.push(seq, ts, flags & 1 == 1, payload, now);
        } else {
            audio.insert(seq, ts, payload, now);
        }
        if flags & 4 != 0 {
            video.handle_timeout(now);
        }
        drain(&mut video, &mut audio, now);
    }
    now += Duration::from_secs(5);
    video.handle_timeout(now);
    drain(&mut video, &mut audio, now);
    assert!(audio.queued() <= Duration::from_secs(10 * 6));
    assert!(video.poll_timeout().is_none_or(|t| t > now - Duration::from_secs(5)));
});

fn drain(video: &mut VideoAssembler, audio: &mut JitterBuffer, now: Duration) {
    while let Some(out) = video.poll_output() {
        if let VideoOutput::Frame(f) = out {
            assert!(f.data.windows(3).any(|w| w == [0, 0, 1]), "an access unit without a start code");
        }
    }
    // A speaker pulls 20 ms: every decision yields audio (time moves on).
    let mut samples = 0u32;
    while samples < 960 {
        samples += match audio.next(now) {
            Decision::Decode { payload, .. } => {
                assert!(!payload.is_empty());
                960
            }
            Decision::Fec { samples, .. }
            | Decision::Conceal { samples }
            | Decision::ComfortNoise { samples }
            | Decision::Silence { samples } => {
                assert!(samples > 0);
                samples
            }
        };
    }
}
