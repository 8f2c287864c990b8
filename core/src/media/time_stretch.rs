//! Playing audio a little faster or slower without changing its pitch, so that the playout
//! buffer can shrink or grow its delay without dropping or inserting audible gaps.
//!
//! One pitch period is taken out of a frame of decoded audio, or played twice, and the seam is
//! joined by a cross-fade over a short window (the WSOLA family that NetEq's "accelerate" and
//! "pre-emptive expand" belong to). The period is the lag at which the frame best matches itself;
//! a frame that is neither periodic enough (noise, a consonant, a transient) nor quiet is left
//! alone, since cutting it would be heard. Mono, 48 kHz.

/// Shortest period searched: 2.5 ms (400 Hz).
const MIN_PERIOD: usize = 120;
/// Longest period searched: 15 ms (67 Hz, below any speaking voice).
const MAX_PERIOD: usize = 720;
/// The cross-fade and comparison window: 5 ms.
const WINDOW: usize = 240;
/// How alike the two windows must be (normalised cross-correlation) for a cut to be inaudible.
const MIN_CORRELATION: f32 = 0.9;
/// Below this RMS (about −60 dBFS) a frame is quiet and any cut is inaudible.
const QUIET_RMS: f32 = 1e-3;

/// `frame` with one period taken out, or None when it cannot be shortened unheard.
pub fn shorten(frame: &[f32]) -> Option<Vec<f32>> {
    let p = period(frame)?;
    let mut out = Vec::with_capacity(frame.len() - p);
    cross_fade(&frame[..WINDOW], &frame[p..p + WINDOW], &mut out);
    out.extend_from_slice(&frame[p + WINDOW..]);
    Some(out)
}

/// `frame` with one period played twice, or None when it cannot be lengthened unheard.
pub fn lengthen(frame: &[f32]) -> Option<Vec<f32>> {
    let p = period(frame)?;
    let mut out = Vec::with_capacity(frame.len() + p);
    out.extend_from_slice(&frame[..p]);
    cross_fade(&frame[p..p + WINDOW], &frame[..WINDOW], &mut out);
    out.extend_from_slice(&frame[WINDOW..]);
    Some(out)
}

/// The lag at which the frame's first window best matches a later one, if the match is close
/// enough (or the frame is quiet: then the longest lag, to move the most).
fn period(frame: &[f32]) -> Option<usize> {
    let longest = MAX_PERIOD.min(frame.len().checked_sub(WINDOW)?);
    if longest < MIN_PERIOD || frame.iter().any(|s| !s.is_finite()) {
        return None;
    }
    let energy: f32 = frame.iter().map(|s| s * s).sum();
    if (energy / frame.len() as f32).sqrt() < QUIET_RMS {
        return Some(longest);
    }
    let head = &frame[..WINDOW];
    let head_energy: f32 = head.iter().map(|s| s * s).sum();
    let mut best = (0.0f32, 0usize);
    for lag in MIN_PERIOD..=longest {
        let other = &frame[lag..lag + WINDOW];
        let (dot, e) = other.iter().zip(head).fold((0.0f32, 0.0f32), |(d, e), (o, h)| (d + o * h, e + o * o));
        let c = dot / (head_energy * e).sqrt().max(f32::MIN_POSITIVE);
        if c > best.0 {
            best = (c, lag);
        }
    }
    (best.0 >= MIN_CORRELATION).then_some(best.1)
}

/// Appends a raised-cosine cross-fade from `from` into `to` (equal lengths).
fn cross_fade(from: &[f32], to: &[f32], out: &mut Vec<f32>) {
    let n = from.len() as f32;
    out.extend(from.iter().zip(to).enumerate().map(|(i, (a, b))| {
        let w = 0.5 - 0.5 * (std::f32::consts::PI * (i as f32 + 0.5) / n).cos();
        a * (1.0 - w) + b * w
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(hz: f32, n: usize, phase: usize) -> Vec<f32> {
        (phase..phase + n).map(|i| 0.5 * (2.0 * std::f32::consts::PI * hz * i as f32 / 48_000.0).sin()).collect()
    }

    /// The largest step between neighbouring samples: a seam shows as a jump.
    fn largest_step(x: &[f32]) -> f32 {
        x.windows(2).map(|w| (w[1] - w[0]).abs()).fold(0.0, f32::max)
    }

    fn zero_crossings(x: &[f32]) -> usize {
        x.windows(2).filter(|w| (w[0] < 0.0) != (w[1] < 0.0)).count()
    }

    #[test]
    fn a_voiced_frame_loses_or_gains_whole_periods_and_keeps_its_pitch_without_a_seam() {
        // 200 Hz: a period of 240 samples. Played after the frame before it, no step may exceed
        // what the tone itself has.
        let before = tone(200.0, 960, 0);
        let frame = tone(200.0, 960, 960);
        let smooth = largest_step(&frame) * 1.05;
        for (out, sign) in [(shorten(&frame).unwrap(), -1i64), (lengthen(&frame).unwrap(), 1)] {
            let change = out.len() as i64 - 960;
            assert_eq!(change.signum(), sign);
            assert_eq!(change.unsigned_abs() % 240, 0, "whole periods: {change}");
            let joined: Vec<f32> = before.iter().chain(&out).copied().collect();
            assert!(largest_step(&joined) <= smooth, "a seam: {} > {smooth}", largest_step(&joined));
            // Same pitch: two zero crossings per period of the output's length (± one at the
            // ends).
            let expected = 2.0 * out.len() as f32 * 200.0 / 48_000.0;
            let crossings = zero_crossings(&out) as f32;
            assert!((crossings - expected).abs() <= 1.0, "pitch changed: {crossings} for {expected}");
        }
    }

    #[test]
    fn noise_is_left_alone_and_quiet_frames_move_the_most() {
        let mut x = 1u32;
        let noise: Vec<f32> = (0..960)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (x as f32 / u32::MAX as f32 - 0.5) * 0.4
            })
            .collect();
        assert_eq!(shorten(&noise), None);
        assert_eq!(lengthen(&noise), None);
        let quiet = vec![1e-5f32; 960];
        assert_eq!(shorten(&quiet).unwrap().len(), 960 - MAX_PERIOD);
        assert_eq!(lengthen(&quiet).unwrap().len(), 960 + MAX_PERIOD);
    }

    #[test]
    fn frames_too_short_or_not_finite_are_left_alone() {
        assert_eq!(shorten(&tone(200.0, 300, 0)), None);
        assert_eq!(lengthen(&[]), None);
        let mut bad = tone(200.0, 960, 0);
        bad[500] = f32::NAN;
        assert_eq!(shorten(&bad), None);
        // A short frame searches shorter lags only.
        assert_eq!(shorten(&tone(400.0, 480, 0)).map(|o| (480 - o.len()) % 120), Some(0));
    }
}
