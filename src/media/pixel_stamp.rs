//! A capture timestamp and frame counter written into the picture itself.
//!
//! A receiver that decodes the picture reads both back from the pixels alone, so glass-to-glass
//! latency can be measured through any path — our own stack, a browser, a bridge — without any
//! side channel. The stamp is 72 bits: 40 bits of capture time (µs since the Unix epoch, modulo
//! 2^40 ≈ 12.7 days), 24 bits of frame counter, and a CRC-8 so that a damaged stamp reads as
//! "no stamp" instead of a wrong number.
//!
//! The bits are drawn as black (Y=16) and white (Y=235) squares in an 18x4 grid in the top-left
//! corner. The squares are 8..32 px (a function of the width only, so the reader finds them again),
//! far larger than H.264's transform blocks: a reading takes the mean of the inner half of each
//! square, which survives any bitrate at which the picture is still recognisable.

use super::frame::VideoFrame;

const COLS: u32 = 18;
const ROWS: u32 = 4;
const BLACK: u8 = 16;
const WHITE: u8 = 235;
const TIME_BITS: u32 = 40;
const SEQ_BITS: u32 = 24;

/// What a stamp carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PixelStamp {
    /// Capture time modulo 2^40 µs.
    pub capture_us_low: u64,
    /// Frame counter modulo 2^24.
    pub seq_low: u32,
}

impl PixelStamp {
    /// The stamp for a frame captured at `capture_us` with sequence number `seq`.
    pub fn new(capture_us: u64, seq: u64) -> Self {
        Self { capture_us_low: capture_us & ((1 << TIME_BITS) - 1), seq_low: (seq & ((1 << SEQ_BITS) - 1)) as u32 }
    }

    /// Microseconds from this stamp's capture time to `now_us` (same clock), if `now_us` is later.
    pub fn age_us(&self, now_us: u64) -> Option<u64> {
        let modulus = 1u64 << TIME_BITS;
        let age = (now_us.wrapping_sub(self.capture_us_low)) % modulus;
        // An age of more than half the range means the stamp is from the future: clocks differ.
        (age < modulus / 2).then_some(age)
    }

    fn bits(&self) -> u128 {
        let payload = (self.capture_us_low << SEQ_BITS) | u64::from(self.seq_low);
        (u128::from(payload) << 8) | u128::from(check(payload))
    }
}

/// Side of one stamp square for a picture of this width, or None if the picture is too small.
pub fn cell_size(width: u32, height: u32) -> Option<u32> {
    let c = ((width / 40) / 4 * 4).clamp(8, 32);
    (COLS * c <= width && ROWS * c <= height).then_some(c)
}

/// Writes `stamp` into the top-left corner of `frame`. Does nothing to pictures too small to hold it
/// (under 144x32).
pub fn write(frame: &mut VideoFrame, stamp: PixelStamp) {
    let (w, h) = (frame.width(), frame.height());
    let Some(c) = cell_size(w, h) else { return };
    let bits = stamp.bits();
    let (y_plane, u_plane, v_plane) = frame.planes_mut();
    for i in 0..COLS * ROWS {
        let bit = (bits >> (COLS * ROWS - 1 - i)) & 1 == 1;
        let (cx, cy) = ((i % COLS) * c, (i / COLS) * c);
        let value = if bit { WHITE } else { BLACK };
        for row in cy..cy + c {
            let start = (row * w + cx) as usize;
            y_plane[start..start + c as usize].fill(value);
        }
        for row in cy / 2..(cy + c) / 2 {
            let start = (row * (w / 2) + cx / 2) as usize;
            u_plane[start..start + (c / 2) as usize].fill(128);
            v_plane[start..start + (c / 2) as usize].fill(128);
        }
    }
}

/// Reads a stamp back, or None when there is none (or it was damaged beyond the CRC).
pub fn read(frame: &VideoFrame) -> Option<PixelStamp> {
    let (w, h) = (frame.width(), frame.height());
    let c = cell_size(w, h)?;
    let y = frame.y();
    let mut bits: u128 = 0;
    let (lo, hi) = (c / 4, c - c / 4);
    for i in 0..COLS * ROWS {
        let (cx, cy) = ((i % COLS) * c, (i / COLS) * c);
        let mut sum = 0u32;
        for row in cy + lo..cy + hi {
            let start = (row * w + cx + lo) as usize;
            sum += y[start..start + (hi - lo) as usize].iter().map(|&p| u32::from(p)).sum::<u32>();
        }
        let mean = sum / ((hi - lo) * (hi - lo));
        bits = (bits << 1) | u128::from(mean > u32::from(BLACK + WHITE) / 2);
    }
    let payload = (bits >> 8) as u64;
    if check(payload) != (bits & 0xff) as u8 {
        return None;
    }
    Some(PixelStamp { capture_us_low: payload >> SEQ_BITS, seq_low: (payload & ((1 << SEQ_BITS) - 1)) as u32 })
}

/// The check byte: CRC-8 of the payload, flipped so that an all-black or all-white area (payload
/// and check all zeros or all ones) never passes for a stamp.
fn check(payload: u64) -> u8 {
    crc8(&payload.to_be_bytes()) ^ 0x5a
}

/// CRC-8 (polynomial 0x07, as in ATM HEC / SMBus).
fn crc8(data: &[u8]) -> u8 {
    let mut crc = 0u8;
    for &b in data {
        crc ^= b;
        for _ in 0..8 {
            crc = if crc & 0x80 != 0 { (crc << 1) ^ 0x07 } else { crc << 1 };
        }
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamp_round_trips_in_raw_pixels() {
        for (w, h) in [(160, 90), (320, 180), (640, 360), (1280, 720), (1920, 1080)] {
            let mut f = VideoFrame::filled(w, h, 100).unwrap();
            let s = PixelStamp::new(1_764_000_000_123_456, 77_777);
            write(&mut f, s);
            assert_eq!(read(&f), Some(s), "{w}x{h}");
        }
    }

    #[test]
    fn too_small_pictures_carry_no_stamp() {
        let mut f = VideoFrame::filled(128, 32, 100).unwrap();
        write(&mut f, PixelStamp::new(1, 1));
        assert_eq!(read(&f), None);
    }

    #[test]
    fn a_plain_picture_has_no_stamp() {
        for luma in [16, 100, 235] {
            assert_eq!(read(&VideoFrame::filled(640, 360, luma).unwrap()), None);
        }
    }

    #[test]
    fn a_flipped_square_is_caught_by_the_crc() {
        let mut f = VideoFrame::filled(640, 360, 100).unwrap();
        write(&mut f, PixelStamp::new(123_456_789, 42));
        let c = cell_size(640, 360).unwrap() as usize;
        let (y, _, _) = f.planes_mut();
        // Invert square 5 of row 0.
        for row in 0..c {
            for p in &mut y[row * 640 + 5 * c..row * 640 + 6 * c] {
                *p = if *p == WHITE { BLACK } else { WHITE };
            }
        }
        assert_eq!(read(&f), None);
    }

    #[test]
    fn age_handles_wraparound_and_future_stamps() {
        let s = PixelStamp::new((1 << 40) - 10, 0);
        assert_eq!(s.age_us(1 << 40), Some(10));
        assert_eq!(s.age_us((1 << 40) + 5), Some(15));
        let s = PixelStamp::new(1_000_000, 0);
        assert_eq!(s.age_us(1_000_500), Some(500));
        assert_eq!(s.age_us(999_000), None);
    }
}
