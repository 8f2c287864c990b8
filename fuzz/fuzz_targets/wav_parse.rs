//! Untrusted WAV files into the parser and the resampler behind it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trygg::media::wav::Wav;

fuzz_target!(|data: &[u8]| {
    if let Ok(w) = Wav::parse(data) {
        if w.samples.len() < 1 << 16 {
            let mono = w.to_mono_48k();
            assert!(mono.iter().all(|s| s.is_finite()));
        }
    }
});
