//! Untrusted Y4M files (the user picks them) into the reader.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trygg::media::y4m::Y4mReader;

fuzz_target!(|data: &[u8]| {
    if let Ok(mut r) = Y4mReader::new(data) {
        for _ in 0..4 {
            match r.read_frame() {
                Ok(Some(_)) => {}
                _ => break,
            }
        }
    }
});
