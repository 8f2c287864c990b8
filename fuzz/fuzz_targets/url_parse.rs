//! Untrusted links (deep links, the command line) into every link parser (and the personal
//! invitation's) and the safety checks.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trygg::links::safety::{SAFE_SCHEMES, inspect};
use trygg::links::{Input, Invitation, JoinLink, ShownInvitation, SipUri, TelUri, extract, redirects, vendors};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(l) = JoinLink::parse(s) {
        let again = JoinLink::parse(&l.expose_url()).expect("a link Trygg wrote reads back");
        assert_eq!(again, l);
        assert_eq!(l.room(), l.secret().room_id());
    }
    // A personal invitation as it comes in a link's fragment or a knock: its shape, then its
    // signature against a host key (never a panic, whatever the bytes).
    if let Ok(inv) = Invitation::parse(s) {
        assert_eq!(Invitation::parse(&inv.encode()).expect("an invitation Trygg wrote reads back"), inv);
        let shown = inv.show(b"a link secret of sixteen+ bytes", &[1; 16], b"a KeyPackage");
        assert!(ShownInvitation::parse(&shown.encode()).is_ok(), "a knock's invitation Trygg made reads back");
    }
    if let Ok(shown) = ShownInvitation::parse(s) {
        assert_eq!(ShownInvitation::parse(&shown.encode()).expect("a knock's invitation reads back"), shown);
        let _ = shown.check(b"a link secret of sixteen+ bytes", &[1; 16], b"a KeyPackage", &[&[7u8; 32][..]], |_| false);
    }
    if let Ok(u) = SipUri::parse(s) {
        assert_eq!(SipUri::parse(&u.to_string()).expect("a SIP URI Trygg wrote reads back"), u);
    }
    if let Ok(t) = TelUri::parse(s) {
        let again = TelUri::parse(&t.to_uri()).expect("a tel URI Trygg wrote reads back");
        assert_eq!((again.number, again.dtmf), (t.number, t.dtmf));
    }
    let _ = inspect(s);
    let _ = redirects::unwrap(s);
    let _ = vendors::from_app_link(s);
    if let Ok(x) = extract(Input::Url(s), None) {
        if let Some(p) = x.preferred {
            let c = &x.candidates[p];
            assert!(c.is_safe());
            let scheme = c.url.split(':').next().unwrap_or("").to_ascii_lowercase();
            assert!(SAFE_SCHEMES.contains(&scheme.as_str()), "preferred {}", c.url);
        }
    }
});
