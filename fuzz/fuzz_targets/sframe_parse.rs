//! Untrusted bytes as SFrame: header parsing, then decryption as an audio frame, a video frame
//! and an H.264 access unit with per-NAL SFrame. Every outcome must be a drop, never a panic;
//! nothing forged may decrypt.
#![no_main]

use std::sync::Mutex;

use libfuzzer_sys::fuzz_target;
use trygg::e2ee::h264::H264Crypt;
use trygg::e2ee::media_keys::{EpochKeys, MediaKeys, MediaKind};
use trygg::e2ee::sframe::Header;

fn receiver() -> MediaKeys {
    let mut k = MediaKeys::default();
    for epoch in 1..=3 {
        let keys = EpochKeys::from_exporter(epoch, 1, vec![0, 1, 2, 9], |_, _, n| Ok(vec![epoch as u8; n]))
            .expect("fixed keys");
        k.install(std::time::Duration::from_micros(epoch * 1000), keys).expect("epochs go forward");
    }
    k
}

static RX: Mutex<Option<(MediaKeys, H264Crypt)>> = Mutex::new(None);

fuzz_target!(|data: &[u8]| {
    if let Ok((h, len)) = Header::parse(data) {
        assert!(len <= data.len());
        assert_eq!(h.encode(), data[..len]);
    }
    let mut guard = RX.lock().unwrap();
    let (rx, crypt) = guard.get_or_insert_with(|| (receiver(), H264Crypt::new()));
    let mut out = Vec::new();
    let meta = data.first().map(|b| vec![*b]).unwrap_or_default();
    assert!(rx.decrypt(std::time::Duration::from_micros(3000), MediaKind::Audio, &meta, data, &mut out).is_err());
    assert!(rx.decrypt(std::time::Duration::from_micros(3000), MediaKind::Video, b"", data, &mut out).is_err());
    assert!(crypt.decrypt(rx, std::time::Duration::from_micros(3000), data, &mut out).is_err());
    assert_eq!(rx.stats().decrypted, 0);
});
