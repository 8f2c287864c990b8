//! Untrusted .ics files into the iCalendar parser and the extraction behind `trygg open`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trygg::links::safety::SAFE_SCHEMES;
use trygg::links::{Input, Kind, extract, ics};

fuzz_target!(|data: &[u8]| {
    let parsed = ics::parse(data);
    let now = "2026-05-04T08:00:00Z".parse().ok();
    match extract(Input::Ics(data), now) {
        Ok(x) => {
            assert!(parsed.is_ok(), "extraction read what the parser refused");
            if let Some(p) = x.preferred {
                let c = &x.candidates[p];
                assert!(c.is_safe(), "an unsafe candidate was preferred: {c:?}");
                let scheme = c.url.split(':').next().unwrap_or("").to_ascii_lowercase();
                assert!(SAFE_SCHEMES.contains(&scheme.as_str()), "preferred {}", c.url);
                assert_eq!(c.kind == Kind::Trygg, c.join.is_some());
            } else {
                assert!(x.no_action_error().is_some());
            }
        }
        Err(e) => assert!(parsed.is_err() || e.code() == "links.too_large", "{e}"),
    }
});
