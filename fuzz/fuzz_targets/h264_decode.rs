//! Untrusted H.264 access units into the decoder wrapper: errors are fine, panics and crashes
//! are not. The input is split into several access units so that decoder state carries over.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trygg::media::h264::H264Decoder;

fuzz_target!(|data: &[u8]| {
    let mut dec = H264Decoder::new().expect("decoder");
    for unit in data.split(|&b| b == 0xa5).take(16) {
        if let Ok(Some(pic)) = dec.decode(unit) {
            let (w, h) = pic.dimensions();
            let f = pic.to_frame(0, 0).expect("a decoded picture converts");
            assert_eq!((f.width(), f.height()), (w, h));
        }
    }
});
