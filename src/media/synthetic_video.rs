//! A moving test picture with its capture time and frame number in the pixels.
//!
//! The content is meant to cost an encoder what a camera picture costs: a textured background that
//! pans (global motion over fine detail), a bright disc that bounces (object motion), and the
//! [pixel stamp](super::pixel_stamp) in the corner.

use super::MediaError;
use super::clock::SharedClock;
use super::frame::{VideoFrame, check_dimensions};
use super::pixel_stamp::{self, PixelStamp};
use super::source::{Source, SourceInfo, SourceKind};

const TILE: usize = 512;

/// The synthetic camera.
pub struct SyntheticVideo {
    width: u32,
    height: u32,
    fps: u32,
    clock: SharedClock,
    start_us: Option<u64>,
    seq: u64,
    luma_tile: Vec<u8>,
    chroma_tile: Vec<(u8, u8)>,
    limit: Option<u64>,
}

/// Frame rates Trygg accepts from any source.
pub const FPS_RANGE: std::ops::RangeInclusive<u32> = 1..=120;

impl SyntheticVideo {
    /// A `width`x`height` picture at `fps`, timestamped by `clock`.
    pub fn new(width: u32, height: u32, fps: u32, clock: SharedClock) -> Result<Self, MediaError> {
        check_dimensions(width, height)?;
        if !FPS_RANGE.contains(&fps) {
            return Err(MediaError::invalid("frame rate", format!("{fps} fps; use 1..=120")));
        }
        let (luma_tile, chroma_tile) = make_tiles();
        Ok(Self { width, height, fps, clock, start_us: None, seq: 0, luma_tile, chroma_tile, limit: None })
    }

    /// Ends the stream after `frames` frames (for tests and benchmarks).
    pub fn with_frame_limit(mut self, frames: u64) -> Self {
        self.limit = Some(frames);
        self
    }

    /// Draws frame number `seq` with `capture_us` stamped in, without any pacing.
    pub fn render(&self, seq: u64, capture_us: u64) -> VideoFrame {
        let (w, h) = (self.width as usize, self.height as usize);
        let mut frame = VideoFrame::filled(self.width, self.height, 0).expect("dimensions were checked");
        frame.seq = seq;
        frame.capture_us = capture_us;
        let (dx, dy) = ((seq as usize * 3) % TILE, (seq as usize * 2) % TILE);
        {
            let (yp, up, vp) = frame.planes_mut();
            for row in 0..h {
                let src = &self.luma_tile[((row + dy) % TILE) * TILE..][..TILE];
                copy_wrapped(&mut yp[row * w..(row + 1) * w], src, dx);
            }
            for row in 0..h / 2 {
                let src = &self.chroma_tile[((row + dy / 2) % TILE) * TILE..][..TILE];
                for col in 0..w / 2 {
                    let (u, v) = src[(col + dx / 2) % TILE];
                    up[row * w / 2 + col] = u;
                    vp[row * w / 2 + col] = v;
                }
            }
            draw_disc(yp, up, vp, w, h, seq);
        }
        pixel_stamp::write(&mut frame, PixelStamp::new(capture_us, seq));
        frame
    }
}

fn copy_wrapped(dst: &mut [u8], src: &[u8], offset: usize) {
    let mut filled = 0;
    let mut from = offset;
    while filled < dst.len() {
        let n = (dst.len() - filled).min(src.len() - from);
        dst[filled..filled + n].copy_from_slice(&src[from..from + n]);
        filled += n;
        from = 0;
    }
}

/// A bouncing bright disc, 1/8 of the height across.
fn draw_disc(yp: &mut [u8], up: &mut [u8], vp: &mut [u8], w: usize, h: usize, seq: u64) {
    let r = (h / 16).max(4) as i64;
    let bounce = |t: i64, span: i64| -> i64 {
        let span = span.max(1);
        let p = t.rem_euclid(2 * span);
        if p < span { p } else { 2 * span - p }
    };
    let cx = r + bounce(seq as i64 * 7, w as i64 - 2 * r);
    let cy = r + bounce(seq as i64 * 5, h as i64 - 2 * r);
    for y in (cy - r).max(0)..(cy + r).min(h as i64) {
        for x in (cx - r).max(0)..(cx + r).min(w as i64) {
            if (x - cx).pow(2) + (y - cy).pow(2) <= r * r {
                yp[y as usize * w + x as usize] = 210;
                if x % 2 == 0 && y % 2 == 0 {
                    let ci = (y as usize / 2) * (w / 2) + x as usize / 2;
                    up[ci] = 90;
                    vp[ci] = 200;
                }
            }
        }
    }
}

/// A seamless texture: smooth waves, blocky noise and thin lines, like a busy room.
fn make_tiles() -> (Vec<u8>, Vec<(u8, u8)>) {
    let mut luma = vec![0u8; TILE * TILE];
    let mut chroma = vec![(128u8, 128u8); TILE * TILE];
    let tau = std::f32::consts::TAU;
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut noise = vec![0i32; (TILE / 4) * (TILE / 4)];
    for n in noise.iter_mut() {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        *n = (rng % 21) as i32 - 10;
    }
    for y in 0..TILE {
        for x in 0..TILE {
            let (fx, fy) = (x as f32 / TILE as f32, y as f32 / TILE as f32);
            let wave = 45.0 * (tau * 2.0 * fx).sin() * (tau * 3.0 * fy).cos() + 25.0 * (tau * 9.0 * (fx + fy)).sin();
            let line = if (x + 2 * y) % 64 < 2 { 40.0 } else { 0.0 };
            let n = noise[(y / 4) * (TILE / 4) + x / 4] as f32;
            luma[y * TILE + x] = (120.0 + wave + line + n).clamp(16.0, 235.0) as u8;
            let u = 128.0 + 40.0 * (tau * fx).cos();
            let v = 128.0 + 40.0 * (tau * fy).sin();
            chroma[y * TILE + x] = (u as u8, v as u8);
        }
    }
    (luma, chroma)
}

impl Source for SyntheticVideo {
    type Frame = VideoFrame;

    fn info(&self) -> SourceInfo {
        SourceInfo {
            kind: SourceKind::Synthetic,
            name: "synthetic test pattern".into(),
            format: format!("{}x{} I420 @{}", self.width, self.height, self.fps),
        }
    }

    fn next_frame(&mut self) -> Result<Option<VideoFrame>, MediaError> {
        if self.limit.is_some_and(|l| self.seq >= l) {
            return Ok(None);
        }
        let start = *self.start_us.get_or_insert_with(|| self.clock.now_us());
        let due = start + self.seq * 1_000_000 / u64::from(self.fps);
        self.clock.sleep_until_us(due);
        let frame = self.render(self.seq, self.clock.now_us());
        self.seq += 1;
        Ok(Some(frame))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::clock::VirtualClock;

    #[test]
    fn frames_are_paced_by_the_clock_and_stamped() {
        let clock = VirtualClock::new(1_000_000);
        let mut src = SyntheticVideo::new(320, 180, 25, clock.clone()).unwrap().with_frame_limit(3);
        let mut stamps = vec![];
        while let Some(f) = src.next_frame().unwrap() {
            let s = pixel_stamp::read(&f).expect("stamp");
            assert_eq!(u64::from(s.seq_low), f.seq);
            stamps.push(f.capture_us);
        }
        assert_eq!(stamps, vec![1_000_000, 1_040_000, 1_080_000]);
    }

    #[test]
    fn the_picture_moves() {
        let src = SyntheticVideo::new(320, 180, 30, VirtualClock::new(0)).unwrap();
        let (a, b) = (src.render(0, 0), src.render(1, 0));
        let changed = a.y().iter().zip(b.y()).filter(|(x, y)| x != y).count();
        assert!(changed > a.y().len() / 2, "only {changed} pixels changed");
    }

    #[test]
    fn absurd_settings_are_refused() {
        let c = VirtualClock::new(0);
        assert!(SyntheticVideo::new(640, 360, 0, c.clone()).is_err());
        assert!(SyntheticVideo::new(100_000, 2, 30, c.clone()).is_err());
        assert!(SyntheticVideo::new(640, 360, 1000, c).is_err());
    }
}
