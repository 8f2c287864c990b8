//! Untrusted MJPEG camera frames (a USB device is outside our trust) into the converter.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(f) = trygg::media::convert::mjpeg_to_i420(data) {
        assert!(f.width() % 2 == 0 && f.height() % 2 == 0);
    }
});
