//! Camera pixel formats converted to I420, checked against FFmpeg's own conversion of the same
//! picture, and file formats read and written in FFmpeg's company.

mod common;

use std::path::Path;
use std::process::Command;

use common::{run_ok, tool};
use trygg::media::analysis::{dominant_frequency, psnr_luma};
use trygg::media::clock::VirtualClock;
use trygg::media::convert;
use trygg::media::frame::{FrameDuration, VideoFrame};
use trygg::media::source::Source;
use trygg::media::wav::WavSource;
use trygg::media::y4m::{Y4mReader, Y4mSource, Y4mWriter};

const W: u32 = 320;
const H: u32 = 240;

/// Renders FFmpeg's `testsrc2` picture (colour bars, gradients, text) in `pix_fmt`.
fn ffmpeg_picture(dir: &Path, pix_fmt: &str, ext: &str) -> Vec<u8> {
    let out = dir.join(format!("pic_{pix_fmt}.{ext}"));
    let mut cmd = Command::new(tool("ffmpeg"));
    cmd.args(["-v", "error", "-y", "-f", "lavfi", "-i", &format!("testsrc2=size={W}x{H}:rate=1"), "-frames:v", "1"]);
    if ext == "jpg" {
        cmd.args(["-q:v", "2", "-pix_fmt", pix_fmt]);
    } else {
        cmd.args(["-f", "rawvideo", "-pix_fmt", pix_fmt]);
    }
    run_ok(cmd.arg(&out));
    std::fs::read(out).unwrap()
}

fn reference(dir: &Path) -> VideoFrame {
    VideoFrame::from_i420(W, H, ffmpeg_picture(dir, "yuv420p", "yuv"), 0, 0).unwrap()
}

fn chroma_psnr(a: &VideoFrame, b: &VideoFrame) -> f64 {
    let sse: u64 =
        a.u().iter().chain(a.v()).zip(b.u().iter().chain(b.v())).map(|(&x, &y)| u64::from(x.abs_diff(y)).pow(2)).sum();
    let mse = (sse as f64 / (a.u().len() * 2) as f64).max(1e-9);
    10.0 * (255.0f64 * 255.0 / mse).log10()
}

#[test]
fn yuyv_nv12_and_mjpeg_match_ffmpegs_i420_of_the_same_picture() {
    let dir = tempfile::tempdir().unwrap();
    let want = reference(dir.path());

    let yuyv = convert::yuyv_to_i420(W, H, &ffmpeg_picture(dir.path(), "yuyv422", "yuv")).unwrap();
    assert_eq!(yuyv.y(), want.y(), "YUYV luma is copied bit-exact");
    assert!(chroma_psnr(&yuyv, &want) > 40.0, "YUYV chroma {:.1} dB", chroma_psnr(&yuyv, &want));

    let nv12 = convert::nv12_to_i420(W, H, &ffmpeg_picture(dir.path(), "nv12", "yuv")).unwrap();
    assert_eq!(
        nv12,
        VideoFrame::from_i420(W, H, want.data().to_vec(), 0, 0).unwrap(),
        "NV12 is a lossless rearrangement"
    );

    // FFmpeg's JPEG is full range (yuvj420p); ours maps it into video range like the reference.
    let jpeg = convert::mjpeg_to_i420(&ffmpeg_picture(dir.path(), "yuvj420p", "jpg")).unwrap();
    assert_eq!((jpeg.width(), jpeg.height()), (W, H));
    let p = psnr_luma(&jpeg, &want).unwrap();
    assert!(p > 30.0, "MJPEG luma {p:.1} dB against FFmpeg's I420");
    assert!(chroma_psnr(&jpeg, &want) > 30.0, "MJPEG chroma {:.1} dB", chroma_psnr(&jpeg, &want));
}

#[test]
fn rgb_conversion_matches_ffmpeg_bt601() {
    let dir = tempfile::tempdir().unwrap();
    let want = reference(dir.path());
    let rgb = ffmpeg_picture(dir.path(), "rgb24", "rgb");
    let ours = convert::rgb_to_i420(W, H, W as usize * 3, convert::RgbLayout::Rgb24, &rgb).unwrap();
    let p = psnr_luma(&ours, &want).unwrap();
    assert!(p > 40.0, "RGB→I420 luma {p:.1} dB against FFmpeg");
    assert!(chroma_psnr(&ours, &want) > 30.0, "RGB→I420 chroma {:.1} dB", chroma_psnr(&ours, &want));
}

#[test]
fn y4m_from_ffmpeg_reads_and_ours_is_accepted_by_ffprobe() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.y4m");
    run_ok(
        Command::new(tool("ffmpeg"))
            .args([
                "-v",
                "error",
                "-f",
                "lavfi",
                "-i",
                "testsrc2=size=320x240:rate=15",
                "-t",
                "1",
                "-pix_fmt",
                "yuv420p",
            ])
            .arg(&path),
    );
    let mut reader = Y4mReader::new(std::io::BufReader::new(std::fs::File::open(&path).unwrap())).unwrap();
    assert_eq!((reader.header().width, reader.header().height, reader.header().fps_num), (320, 240, 15));
    let mut frames = vec![];
    while let Some(f) = reader.read_frame().unwrap() {
        frames.push(f);
    }
    assert_eq!(frames.len(), 15);

    // As a looping source on a virtual clock: paced at 15 fps, never ending.
    let clock = VirtualClock::new(1_000_000);
    let mut src = Y4mSource::open(&path, clock.clone(), true).unwrap();
    let times: Vec<u64> = (0..20).map(|_| src.next_frame().unwrap().unwrap().capture_us).collect();
    assert_eq!(times[19] - times[0], 19 * 1_000_000 / 15);

    let out = dir.path().join("out.y4m");
    let mut w = Y4mWriter::create(&out, 15).unwrap();
    for f in &frames {
        w.write(f).unwrap();
    }
    w.finish().unwrap();
    let probe = run_ok(
        Command::new(tool("ffprobe"))
            .args([
                "-v",
                "error",
                "-count_frames",
                "-show_entries",
                "stream=width,height,nb_read_frames",
                "-of",
                "csv=p=0",
            ])
            .arg(&out),
    );
    assert_eq!(String::from_utf8_lossy(&probe.stdout).trim(), "320,240,15");
}

#[test]
fn wav_at_44100_hz_stereo_becomes_48_khz_mono_with_the_same_pitch() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tone.wav");
    run_ok(
        Command::new(tool("ffmpeg"))
            .args([
                "-v",
                "error",
                "-f",
                "lavfi",
                "-i",
                "sine=frequency=1000:sample_rate=44100",
                "-t",
                "2",
                "-ac",
                "2",
                "-c:a",
                "pcm_s16le",
            ])
            .arg(&path),
    );
    let mut src = WavSource::open(&path, FrameDuration::Ms20, VirtualClock::new(0), false).unwrap();
    let mut samples = vec![];
    while let Some(f) = src.next_frame().unwrap() {
        assert_eq!((f.channels(), f.samples().len()), (1, 960));
        samples.extend_from_slice(f.samples());
    }
    assert!(samples.len().abs_diff(96_000) <= 960, "{} samples for 2 s", samples.len());
    assert_eq!(dominant_frequency(&samples[10_000..58_000]), 1000.0);
    let truncated = dir.path().join("cut.wav");
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let err = WavSource::open(&truncated, FrameDuration::Ms20, VirtualClock::new(0), false).err().expect("truncated");
    assert!(err.to_string().contains("truncated"), "{err}");
}
