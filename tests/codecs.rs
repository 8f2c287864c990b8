//! Codec round trips and what real decoders say about our encoder's output.

mod common;

use std::process::Command;

use common::{run_ok, tool};
use trygg::media::analysis::{detect_clicks, dominant_frequency, psnr_luma};
use trygg::media::annexb::{self, NalType};
use trygg::media::clock::VirtualClock;
use trygg::media::frame::{AudioFrame, FrameDuration, VideoFrame};
use trygg::media::h264::{ContentHint, H264Config, H264Decoder, H264Encoder};
use trygg::media::opus::{OpusConfig, OpusDecoder, OpusEncoder};
use trygg::media::pixel_stamp;
use trygg::media::synthetic_audio::SyntheticAudio;
use trygg::media::synthetic_video::SyntheticVideo;

fn encode_stream(
    width: u32,
    height: u32,
    kbps: u32,
    frames: u64,
) -> (Vec<VideoFrame>, Vec<trygg::media::h264::EncodedVideo>) {
    let src = SyntheticVideo::new(width, height, 30, VirtualClock::new(0)).unwrap();
    let mut enc = H264Encoder::new(H264Config { bitrate_bps: kbps * 1000, ..H264Config::default() }).unwrap();
    let (mut originals, mut encoded) = (vec![], vec![]);
    for i in 0..frames {
        let f = src.render(i, 1_700_000_000_000_000 + i * 33_333);
        if let Some(e) = enc.encode(&f).unwrap() {
            encoded.push(e);
            originals.push(f);
        }
    }
    (originals, encoded)
}

#[test]
fn h264_720p_at_1500_kbps_keeps_psnr_above_35_db_and_the_pixel_stamps() {
    let (originals, encoded) = encode_stream(1280, 720, 1_500, 90);
    let mut dec = H264Decoder::new().unwrap();
    let mut psnr = vec![];
    for (orig, e) in originals.iter().zip(&encoded) {
        let pic = dec.decode(&e.data).unwrap().expect("every access unit gives a picture");
        let got = pic.to_frame(orig.capture_us, orig.seq).unwrap();
        psnr.push(psnr_luma(orig, &got).unwrap());
        let stamp = pixel_stamp::read(&got).expect("stamp survives H.264");
        assert_eq!(stamp, pixel_stamp::PixelStamp::new(orig.capture_us, orig.seq));
    }
    let mean = psnr.iter().sum::<f64>() / psnr.len() as f64;
    assert!(mean >= 35.0, "mean PSNR {mean:.2} dB");
    assert!(encoded.len() >= 80, "rate control skipped {} of 90 frames", 90 - encoded.len());
    let kbps = encoded.iter().map(|e| e.data.len()).sum::<usize>() as f64 * 8.0 / 3.0 / 1000.0;
    assert!((1_100.0..=1_900.0).contains(&kbps), "produced {kbps:.0} kbit/s for a 1500 target");
}

#[test]
fn h264_stream_is_constrained_baseline_and_ffmpeg_decodes_it_and_reads_the_stamps() {
    let (originals, encoded) = encode_stream(640, 360, 800, 30);
    assert!(encoded[0].keyframe);
    assert_eq!(annexb::profile_level_id(&encoded[0].data).as_deref().map(|p| &p[..4]), Some("42c0"));
    let kinds: Vec<NalType> = annexb::nal_units(&encoded[0].data).iter().map(|n| n.kind()).collect();
    assert!(
        kinds.contains(&NalType::Sps) && kinds.contains(&NalType::Pps) && kinds.contains(&NalType::Idr),
        "{kinds:?}"
    );

    let dir = tempfile::tempdir().unwrap();
    let h264 = dir.path().join("out.h264");
    std::fs::write(&h264, encoded.iter().flat_map(|e| e.data.iter().copied()).collect::<Vec<u8>>()).unwrap();
    let probe = run_ok(
        Command::new(tool("ffprobe"))
            .args(["-v", "error", "-f", "h264", "-count_frames", "-show_entries"])
            .args(["stream=codec_name,profile,width,height,nb_read_frames", "-of", "default=noprint_wrappers=1"])
            .arg(&h264),
    );
    let text = String::from_utf8_lossy(&probe.stdout);
    for want in ["codec_name=h264", "profile=Constrained Baseline", "width=640", "height=360"] {
        assert!(text.contains(want), "ffprobe said:\n{text}");
    }
    assert!(text.contains(&format!("nb_read_frames={}", encoded.len())), "ffprobe said:\n{text}");
    // -xerror turns any decode error into a failing exit code.
    run_ok(
        Command::new(tool("ffmpeg"))
            .args(["-v", "error", "-xerror", "-f", "h264", "-i"])
            .arg(&h264)
            .args(["-f", "null", "-"]),
    );
    // FFmpeg's decoder, not ours, gives back pictures whose pixels carry our timestamps.
    let raw = dir.path().join("out.yuv");
    run_ok(
        Command::new(tool("ffmpeg"))
            .args(["-v", "error", "-f", "h264", "-i"])
            .arg(&h264)
            .args(["-f", "rawvideo", "-pix_fmt", "yuv420p"])
            .arg(&raw),
    );
    let bytes = std::fs::read(&raw).unwrap();
    let size = VideoFrame::byte_len(640, 360);
    assert_eq!(bytes.len(), size * originals.len());
    for (orig, chunk) in originals.iter().zip(bytes.chunks(size)) {
        let f = VideoFrame::from_i420(640, 360, chunk.to_vec(), 0, 0).unwrap();
        assert_eq!(pixel_stamp::read(&f), Some(pixel_stamp::PixelStamp::new(orig.capture_us, orig.seq)));
    }
}

#[test]
fn h264_keyframe_on_request_bitrate_change_and_screen_mode() {
    let src = SyntheticVideo::new(640, 360, 30, VirtualClock::new(0)).unwrap();
    // A slide: one picture with a small marker that moves, as screen content does.
    let slide = |i: u64| {
        let mut f = src.render(0, i * 33_333);
        let (y, _, _) = f.planes_mut();
        for row in 200..216 {
            let x = (i as usize * 8) % 600;
            y[row * 640 + x..row * 640 + x + 16].fill(235);
        }
        f
    };
    for content in [ContentHint::Camera, ContentHint::Screen] {
        let mut enc = H264Encoder::new(H264Config { bitrate_bps: 500_000, content, ..H264Config::default() }).unwrap();
        let mut keyframes = vec![];
        for i in 0..40 {
            if i == 20 {
                enc.request_keyframe();
            }
            let frame = if content == ContentHint::Screen { slide(i) } else { src.render(i, i * 33_333) };
            if let Some(e) = enc.encode(&frame).unwrap() {
                assert_eq!(e.keyframe, annexb::is_keyframe(&e.data));
                if e.keyframe {
                    keyframes.push(i);
                }
            }
        }
        assert_eq!(keyframes, vec![0, 20], "{content:?}");
    }
    // Lowering the bitrate lowers the output.
    let mut enc = H264Encoder::new(H264Config { bitrate_bps: 2_000_000, ..H264Config::default() }).unwrap();
    let mut bytes = [0usize; 2];
    for i in 0..120u64 {
        if i == 60 {
            enc.set_bitrate(300_000).unwrap();
        }
        if let Some(e) = enc.encode(&src.render(i, i * 33_333)).unwrap()
            && ((10..60).contains(&i) || i >= 70)
        {
            bytes[usize::from(i >= 60)] += e.data.len();
        }
    }
    assert!(bytes[1] * 3 < bytes[0], "2 Mbit/s gave {} bytes, 300 kbit/s gave {}", bytes[0], bytes[1]);
    assert!(enc.set_bitrate(0).is_err());
    assert!(enc.set_fps(0.0).is_err());
    enc.set_fps(15.0).unwrap();
}

#[test]
fn h264_decoder_survives_corrupt_input_and_recovers_at_the_next_keyframe() {
    let (_, encoded) = encode_stream(320, 180, 400, 12);
    let mut dec = H264Decoder::new().unwrap();
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut errors = 0;
    for _ in 0..300 {
        let base = &encoded[(next() % encoded.len() as u64) as usize].data;
        let mut bad = base.clone();
        match next() % 4 {
            0 => bad.truncate((next() % bad.len() as u64) as usize),
            1 => {
                for _ in 0..8 {
                    let i = (next() % bad.len() as u64) as usize;
                    bad[i] ^= 1 << (next() % 8);
                }
            }
            2 => bad = (0..(next() % 2000)).map(|_| next() as u8).collect(),
            _ => bad.splice(4..4, (0..64).map(|_| next() as u8)).for_each(drop),
        }
        if dec.decode(&bad).is_err() {
            errors += 1;
        }
    }
    assert!(errors > 0, "corrupt input never gave an error");
    // A fresh keyframe decodes cleanly again.
    let mut enc = H264Encoder::new(H264Config { bitrate_bps: 400_000, ..H264Config::default() }).unwrap();
    let frame = SyntheticVideo::new(320, 180, 30, VirtualClock::new(0)).unwrap().render(0, 0);
    let key = enc.encode(&frame).unwrap().unwrap();
    let pic = dec.decode(&key.data).unwrap().expect("keyframe decodes after garbage");
    assert!(psnr_luma(&frame, &pic.to_frame(0, 0).unwrap()).unwrap() > 30.0);
    assert!(dec.decode(&[]).unwrap().is_none());
}

fn synthetic_audio(seconds: u64, start_us: u64) -> Vec<AudioFrame> {
    (0..seconds * 50)
        .map(|i| AudioFrame::new(SyntheticAudio::render(start_us, i * 960, 960), 1, start_us + i * 20_000).unwrap())
        .collect()
}

#[test]
fn opus_round_trip_keeps_the_tone_and_the_click_timing() {
    // Start 300 ms before a whole second: clicks at 14400, 62400 and 110400 samples.
    let frames = synthetic_audio(3, 41_000_700_000);
    let mut enc = OpusEncoder::new(OpusConfig::default()).unwrap();
    let lookahead = enc.lookahead().unwrap();
    let mut dec = OpusDecoder::new(1, FrameDuration::Ms20).unwrap();
    let mut out = vec![];
    let mut bytes = 0;
    for f in &frames {
        let p = enc.encode(f).unwrap();
        bytes += p.data.len();
        out.extend_from_slice(dec.decode(&p.data, p.capture_us).unwrap().samples());
    }
    assert_eq!(dominant_frequency(&out[24_000..72_000]), 440.0);
    let clicks = detect_clicks(&out);
    assert_eq!(clicks.len(), 3, "{clicks:?}");
    for (i, c) in clicks.iter().enumerate() {
        let expect = 14_400 + i * 48_000 + lookahead;
        assert!(c.abs_diff(expect) <= 48, "click {i} at {c}, expected {expect} (±1 ms)");
    }
    let kbps = bytes as f64 * 8.0 / 3.0 / 1000.0;
    assert!((24.0..=40.0).contains(&kbps), "{kbps:.1} kbit/s for a 32 kbit/s target");
}

#[test]
fn opus_fec_rebuilds_a_lost_packet_and_bitrate_and_dtx_are_configurable() {
    let frames = synthetic_audio(2, 500_000);
    let mut enc = OpusEncoder::new(OpusConfig { expected_loss_pct: 20, ..OpusConfig::default() }).unwrap();
    let packets: Vec<_> = frames.iter().map(|f| enc.encode(f).unwrap()).collect();
    let mut dec = OpusDecoder::new(1, FrameDuration::Ms20).unwrap();
    for (i, p) in packets.iter().enumerate() {
        let out = if i == 40 {
            // Packet 40 is lost; packet 41 carries its FEC copy.
            dec.conceal(Some(&packets[41].data), p.capture_us).unwrap()
        } else {
            dec.decode(&p.data, p.capture_us).unwrap()
        };
        if i == 40 {
            // The low-bitrate copy is quieter than the original but carries the same tone.
            assert!(out.rms() > 0.03, "the rebuilt frame is near silence (rms {})", out.rms());
            assert!((dominant_frequency(out.samples()) - 440.0).abs() <= 30.0);
        }
    }
    let plc = dec.conceal(None, 0).unwrap();
    assert_eq!(plc.samples().len(), 960);

    let size_at = |kbps: u32| {
        let mut e = OpusEncoder::new(OpusConfig { bitrate_bps: kbps * 1000, ..OpusConfig::default() }).unwrap();
        frames.iter().map(|f| e.encode(f).unwrap().data.len()).sum::<usize>()
    };
    assert!(size_at(64) > size_at(16) * 2);

    let silence: Vec<AudioFrame> =
        (0..100).map(|i| AudioFrame::silence(FrameDuration::Ms20, 1, i * 20_000).unwrap()).collect();
    let mut dtx = OpusEncoder::new(OpusConfig { dtx: true, ..OpusConfig::default() }).unwrap();
    let tail: Vec<usize> = silence.iter().map(|f| dtx.encode(f).unwrap().data.len()).skip(50).collect();
    // Silence goes out as 1-byte packets, with a comfort-noise update every 400 ms.
    assert!(tail.iter().filter(|&&n| n > 2).count() <= tail.len() / 10, "DTX packets during silence: {tail:?}");
}

#[test]
fn opus_decoder_refuses_corrupt_packets_and_keeps_working() {
    let frames = synthetic_audio(1, 0);
    let mut enc = OpusEncoder::new(OpusConfig::default()).unwrap();
    let good = enc.encode(&frames[10]).unwrap();
    let mut dec = OpusDecoder::new(1, FrameDuration::Ms20).unwrap();
    assert!(dec.decode(&[], 0).is_err());
    // TOC byte for a 2.5 ms CELT frame: decodes, but is not a 20 ms frame.
    assert!(dec.decode(&[0x80, 0, 0], 0).is_err());
    let mut rng = 7u64;
    for len in 1..400 {
        let junk: Vec<u8> = (0..len)
            .map(|_| {
                rng = rng.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                (rng >> 33) as u8
            })
            .collect();
        let _ = dec.decode(&junk, 0);
    }
    assert_eq!(dec.decode(&good.data, 0).unwrap().samples().len(), 960);
    // Frames that do not match the encoder's settings are refused, not mangled.
    assert!(enc.encode(&AudioFrame::silence(FrameDuration::Ms10, 1, 0).unwrap()).is_err());
    assert!(enc.encode(&AudioFrame::silence(FrameDuration::Ms20, 2, 0).unwrap()).is_err());
    assert!(OpusEncoder::new(OpusConfig { bitrate_bps: 1, ..OpusConfig::default() }).is_err());
}
