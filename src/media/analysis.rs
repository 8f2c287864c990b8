//! Measurements on decoded media: picture quality, tone frequency, click timing.

use super::frame::{SAMPLE_RATE, VideoFrame};
use super::synthetic_audio::{CLICK_HZ, CLICK_SAMPLES};

/// Peak signal-to-noise ratio of the luma planes in dB (capped at 99 for identical pictures), or
/// None when the pictures differ in size.
pub fn psnr_luma(a: &VideoFrame, b: &VideoFrame) -> Option<f64> {
    if (a.width(), a.height()) != (b.width(), b.height()) {
        return None;
    }
    let sse: u64 = a.y().iter().zip(b.y()).map(|(&x, &y)| u64::from(x.abs_diff(y)).pow(2)).sum();
    if sse == 0 {
        return Some(99.0);
    }
    let mse = sse as f64 / a.y().len() as f64;
    Some(10.0 * (255.0f64 * 255.0 / mse).log10())
}

/// Power of `freq` in `samples` (Goertzel), normalised by length.
pub fn goertzel_power(samples: &[f32], freq: f32) -> f32 {
    let w = std::f32::consts::TAU * freq / SAMPLE_RATE as f32;
    let coeff = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0f32, 0.0f32);
    for &x in samples {
        let s0 = x + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    (s1 * s1 + s2 * s2 - coeff * s1 * s2) / (samples.len().max(1) as f32).powi(2)
}

/// The strongest frequency between 50 Hz and 8 kHz, to the nearest 5 Hz.
pub fn dominant_frequency(samples: &[f32]) -> f32 {
    (10..=1600)
        .map(|i| i as f32 * 5.0)
        .map(|f| (f, goertzel_power(samples, f)))
        .fold((0.0, f32::MIN), |best, cur| if cur.1 > best.1 { cur } else { best })
        .0
}

/// Sample indices where a synthetic click begins (see
/// [`synthetic_audio`](super::synthetic_audio)), to within a millisecond.
pub fn detect_clicks(samples: &[f32]) -> Vec<usize> {
    const HOP: usize = 24; // 0.5 ms
    const WIN: usize = 96; // 2 ms
    let mut onsets = Vec::new();
    let mut armed = true;
    let mut start = 0;
    // The click peaks at amplitude 0.6 (power 0.09 at its centre); the tone leaks far less.
    let threshold = 0.006;
    while start + WIN <= samples.len() {
        let p = goertzel_power(&samples[start..start + WIN], CLICK_HZ);
        if armed && p > threshold {
            // The burst is Hann-shaped: crossing the threshold happens about a quarter in.
            onsets.push(start.saturating_sub(CLICK_SAMPLES / 4 - WIN / 2));
            armed = false;
        } else if !armed && p < threshold / 4.0 {
            armed = true;
        }
        start += HOP;
    }
    onsets
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn psnr_of_identical_and_different_pictures() {
        let a = VideoFrame::filled(64, 64, 100).unwrap();
        let b = VideoFrame::filled(64, 64, 110).unwrap();
        assert_eq!(psnr_luma(&a, &a), Some(99.0));
        let p = psnr_luma(&a, &b).unwrap();
        assert!((p - 28.13).abs() < 0.01, "{p}");
        assert_eq!(psnr_luma(&a, &VideoFrame::filled(32, 32, 0).unwrap()), None);
    }

    #[test]
    fn dominant_frequency_finds_a_sine() {
        let s: Vec<f32> = (0..9600).map(|i| (std::f32::consts::TAU * 1000.0 * i as f32 / 48_000.0).sin()).collect();
        assert_eq!(dominant_frequency(&s), 1000.0);
    }

    #[test]
    fn silence_has_no_clicks() {
        assert!(detect_clicks(&vec![0.0; 48_000]).is_empty());
    }
}
