//! What the user names as a source (the command line's --video/--audio/--share, the desktop
//! app's share picker) into every source-spec parser: an error value or a value, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trygg::media::screen::ShareTarget;
use trygg::media::spec::{AudioSpec, VideoSpec};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Err(e) = ShareTarget::parse(s) {
        assert_eq!(e.code(), "media.invalid_config");
    }
    if let Ok(v) = s.parse::<VideoSpec>() {
        let _ = v.is_screen();
    }
    let _ = s.parse::<AudioSpec>();
});
