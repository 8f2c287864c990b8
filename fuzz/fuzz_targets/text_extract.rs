//! Untrusted free text (pasted e-mails, plain or HTML) into the text scanner and extraction.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trygg::links::safety::SAFE_SCHEMES;
use trygg::links::{Input, extract, text};

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let scan = text::scan(&s);
    for (at, link) in &scan.links {
        assert!(*at <= s.len() && link.len() <= text::MAX_LINK_LEN + 8, "{at} {link}");
    }
    let x = extract(Input::Text(&s), None).expect("text of any size under the limit is read");
    if let Some(p) = x.preferred {
        let c = &x.candidates[p];
        assert!(c.is_safe());
        let scheme = c.url.split(':').next().unwrap_or("").to_ascii_lowercase();
        assert!(SAFE_SCHEMES.contains(&scheme.as_str()), "preferred {}", c.url);
    }
});
