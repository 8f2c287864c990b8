//! Untrusted Opus packets into the decoder wrapper, with loss concealment in between.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trygg::media::frame::FrameDuration;
use trygg::media::opus::OpusDecoder;

fuzz_target!(|data: &[u8]| {
    let mut dec = OpusDecoder::new(1, FrameDuration::Ms20).expect("decoder");
    for packet in data.split(|&b| b == 0xa5).take(16) {
        match dec.decode(packet, 0) {
            Ok(f) => assert_eq!(f.samples().len(), 960),
            Err(_) => {
                let _ = dec.conceal(Some(packet), 0);
            }
        }
    }
});
