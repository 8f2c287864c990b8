//! Untrusted bytes as a sealed signal from another member: every outcome must be a refusal,
//! never a panic, and nothing forged may open.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trygg::e2ee::sealed_signal::SignalKey;

fuzz_target!(|data: &[u8]| {
    let key = SignalKey::new(b"the fuzzed meeting's link secret").expect("a long enough secret");
    assert!(key.open([1; 8], [2; 8], data).is_err(), "a forged signal opened");
    // A real one opens, and only for its own pair of members.
    if let Ok(blob) = key.seal([1; 8], [2; 8], data, [7; 12]) {
        assert_eq!(key.open([1; 8], [2; 8], &blob).expect("opens"), data);
        assert!(key.open([2; 8], [1; 8], &blob).is_err());
    }
});
