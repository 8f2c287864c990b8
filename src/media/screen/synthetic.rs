//! A synthetic shared screen: a slide of small text that does not move, and a marker that does.
//!
//! What a shared screen mostly is — fine static detail — with two things a receiver can check
//! from pixels alone: the marker's position (a 24-pixel dark-red square that steps 8 pixels a
//! frame along a known path, so [`marker_position`] on the received picture says which frame it
//! is and whether motion is followed) and the capture time ([pixel stamp](crate::media::pixel_stamp)).

use crate::media::MediaError;
use crate::media::clock::SharedClock;
use crate::media::frame::{VideoFrame, check_dimensions};
use crate::media::pixel_stamp::{self, PixelStamp};
use crate::media::source::{Source, SourceInfo, SourceKind};

/// Marker size in pixels.
pub const MARKER: u32 = 24;
const MARKER_STEP: u64 = 8;

/// The synthetic slide.
pub struct SyntheticScreen {
    width: u32,
    height: u32,
    fps: u32,
    clock: SharedClock,
    next_us: Option<u64>,
    seq: u64,
    slide: VideoFrame,
    still: bool,
}

impl SyntheticScreen {
    /// A `width`x`height` slide at `fps`.
    pub fn new(width: u32, height: u32, fps: u32, clock: SharedClock) -> Result<Self, MediaError> {
        check_dimensions(width, height)?;
        if width < 320 || height < 240 {
            return Err(MediaError::invalid("share size", format!("{width}x{height}; at least 320x240")));
        }
        if !(1..=60).contains(&fps) {
            return Err(MediaError::invalid("share frame rate", format!("{fps} fps; use 1..=60")));
        }
        Ok(Self { width, height, fps, clock, next_us: None, seq: 0, slide: slide(width, height)?, still: false })
    }

    /// A still slide: the marker stays where frame 0 has it and no pixel stamp is written, so
    /// every picture is the same (what a presenter's static slide is).
    pub fn still(mut self, still: bool) -> Self {
        self.still = still;
        self
    }

    /// Frame `seq` with `capture_us` stamped in.
    pub fn render(&self, seq: u64, capture_us: u64) -> VideoFrame {
        let mut f = self.slide.clone();
        f.seq = seq;
        f.capture_us = capture_us;
        let (x, y) = marker_at(self.width, self.height, if self.still { 0 } else { seq });
        let w = self.width as usize;
        let (yp, up, vp) = f.planes_mut();
        for row in y..y + MARKER {
            for col in x..x + MARKER {
                yp[row as usize * w + col as usize] = 60;
            }
        }
        for row in y / 2..(y + MARKER) / 2 {
            for col in x / 2..(x + MARKER) / 2 {
                up[row as usize * w / 2 + col as usize] = 110;
                vp[row as usize * w / 2 + col as usize] = 200;
            }
        }
        if !self.still {
            pixel_stamp::write(&mut f, PixelStamp::new(capture_us, seq));
        }
        f
    }
}

/// The marker's band: under the pixel stamp in the top-left corner.
fn band_y(width: u32, height: u32) -> u32 {
    let stamp = pixel_stamp::cell_size(width, height).map_or(0, |c| 4 * c);
    (stamp + 16).max(height / 8) & !1
}

/// Where the marker's top-left corner is in frame `seq`: along its band, left to right, wrapping.
pub fn marker_at(width: u32, height: u32, seq: u64) -> (u32, u32) {
    let span = u64::from((width - MARKER) / 2);
    let x = 2 * ((seq * MARKER_STEP / 2) % span) as u32;
    (x, band_y(width, height))
}

/// Finds the marker in a received picture: the top-left corner of the dark-red square in its
/// band, to the nearest even pixel; None when it is not there.
pub fn marker_position(frame: &VideoFrame) -> Option<(u32, u32)> {
    let (w, h) = (frame.width(), frame.height());
    let y = band_y(w, h);
    let row = (y + MARKER / 2) / 2;
    let v = frame.v();
    let red = |cx: u32| v[(row * w / 2 + cx) as usize] > 170;
    let first = (0..w / 2).find(|&cx| red(cx))?;
    let run = (first..w / 2).take_while(|&cx| red(cx)).count() as u32;
    (run * 2 >= MARKER - 4).then_some((first * 2, y))
}

/// The static part: white, a dark title bar, lines of small "words" in grey-black strokes
/// 1–2 pixels wide, and a thin table grid.
fn slide(width: u32, height: u32) -> Result<VideoFrame, MediaError> {
    let mut f = VideoFrame::filled(width, height, 235)?;
    let (w, h) = (width as usize, height as usize);
    let (yp, up, vp) = f.planes_mut();
    up.fill(128);
    vp.fill(128);
    let title = h / 14;
    for p in &mut yp[..title * w] {
        *p = 40;
    }
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    // Lines of text: 9-pixel glyph cells with 1-pixel strokes, from under the marker band down.
    let top = band_y(width, height) as usize + MARKER as usize + 16;
    let mut y = top;
    while y + 12 < h * 3 / 4 {
        let mut x = 24;
        while x + 8 < w - 24 {
            let word = 2 + (next() % 8) as usize;
            for _ in 0..word {
                if x + 8 >= w - 24 {
                    break;
                }
                let glyph = next();
                for gy in 0..9 {
                    for gx in 0..6 {
                        if (glyph >> ((gy * 6 + gx) % 61)) & 1 == 1 && (gx == 0 || gy % 4 == 0 || gx == 5) {
                            yp[(y + gy) * w + x + gx] = 30;
                        }
                    }
                }
                x += 7;
            }
            x += 7;
        }
        y += 14;
    }
    // A table: thin grey lines.
    for ty in (h * 3 / 4..h - 8).step_by(20) {
        for p in &mut yp[ty * w + 24..ty * w + w - 24] {
            *p = 150;
        }
    }
    for tx in (24..w - 24).step_by(w / 6) {
        for ty in h * 3 / 4..h - 8 {
            yp[ty * w + tx] = 150;
        }
    }
    Ok(f)
}

impl Source for SyntheticScreen {
    type Frame = VideoFrame;

    fn info(&self) -> SourceInfo {
        SourceInfo {
            kind: SourceKind::Synthetic,
            name: "synthetic slide".into(),
            format: format!("{}x{} I420 @{}", self.width, self.height, self.fps),
        }
    }

    fn next_frame(&mut self) -> Result<Option<VideoFrame>, MediaError> {
        let period = 1_000_000 / u64::from(self.fps);
        let due = *self.next_us.get_or_insert_with(|| self.clock.now_us());
        self.clock.sleep_until_us(due);
        let now = self.clock.now_us();
        let f = self.render(self.seq, now);
        self.seq += 1;
        // Asked late (a share that slowed its pace, a busy encoder): go on from now rather
        // than burst to catch up, as a real screen grab does.
        self.next_us = Some((due + period).max(now.saturating_sub(period / 2)));
        Ok(Some(f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::clock::VirtualClock;
    use crate::media::h264::{ContentHint, H264Config, H264Decoder, H264Encoder};

    #[test]
    fn the_marker_is_found_where_it_was_drawn_even_after_screen_mode_h264() {
        let s = SyntheticScreen::new(1280, 720, 5, VirtualClock::new(0)).unwrap();
        let mut enc = H264Encoder::new(H264Config {
            content: ContentHint::Screen,
            bitrate_bps: 1_000_000,
            fps: 5.0,
            allow_frame_skip: false,
            ..H264Config::default()
        })
        .unwrap();
        let mut dec = H264Decoder::new().unwrap();
        for seq in 0..10 {
            let f = s.render(seq, 1_000 + seq);
            assert_eq!(marker_position(&f), Some(marker_at(1280, 720, seq)), "drawn, frame {seq}");
            let e = enc.encode(&f).unwrap().expect("every slide frame is encoded");
            let out = dec.decode(&e.data).unwrap().unwrap().to_frame(0, 0).unwrap();
            assert_eq!(marker_position(&out), Some(marker_at(1280, 720, seq)), "decoded, frame {seq}");
            assert_eq!(pixel_stamp::read(&out).map(|p| u64::from(p.seq_low)), Some(seq));
        }
        assert!(SyntheticScreen::new(64, 64, 5, VirtualClock::new(0)).is_err());
        let small = SyntheticScreen::new(320, 240, 5, VirtualClock::new(0)).unwrap();
        assert_eq!(marker_position(&small.render(3, 0)), Some(marker_at(320, 240, 3)));
        assert!(SyntheticScreen::new(1280, 720, 0, VirtualClock::new(0)).is_err());
    }
}
