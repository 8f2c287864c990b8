//! Link extraction on the hostile shapes of [`super::testing`]: no panic, every cap holds, and a
//! real meeting link next to the hostile part is still the one preferred.
//!
//! Nothing here is timed (tests must not depend on the machine); `trygg bench links` times the
//! same shapes at 32 MiB. The size keeps each test within a second or two in a debug build.

use super::limits::{
    MAX_CANDIDATES, MAX_CANDIDATES_PER_EVENT, MAX_DIAL_INS, MAX_EMAILS, MAX_EVENTS, MAX_ITEMS_OTHER_EVENTS,
    MAX_LINKS_PER_TEXT, MAX_SIP_ADDRESSES, MAX_VTIMEZONES, MAX_WARNINGS, MAX_WARNINGS_PER_CODE,
};
use super::testing::hostile_input;
use super::text::{self, MAX_LINK_LEN};
use super::{Extraction, Input, Warning, extract};

const SIZE: usize = 1 << 20;
const REAL: &str = "https://meet.jit.si/StillHere";

fn shape(name: &str) -> String {
    let s = hostile_input(name, SIZE).unwrap_or_else(|| panic!("no shape {name}"));
    assert!(s.len() > SIZE - 64 * 1024 && s.len() <= SIZE, "{name}: {} bytes", s.len());
    s
}

/// The shape with the real link first: in the text (as the first link of an HTML text), or as
/// the invite's first event (the one chosen without a `now`).
fn with_real_link(name: &str, shape: &str) -> String {
    if name.ends_with(".ics") {
        let first = format!("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nLOCATION:{REAL}\r\nEND:VEVENT\r\n");
        shape.replacen("BEGIN:VCALENDAR\r\n", &first, 1)
    } else if let Some(html) = shape.strip_prefix("<p>") {
        format!("<p>Join: <a href=\"{REAL}\">{REAL}</a>{html}")
    } else {
        format!("Join: {REAL}\n{shape}")
    }
}

fn read(name: &str, input: &str) -> Extraction {
    let input = if name.ends_with(".ics") { Input::Ics(input.as_bytes()) } else { Input::Text(input) };
    let x = extract(input, None).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(x.candidates.len() <= MAX_CANDIDATES, "{name}: {} candidates", x.candidates.len());
    assert!(x.warnings.len() <= MAX_WARNINGS + 1, "{name}: {} warnings", x.warnings.len());
    for w in &x.warnings {
        let same = x.warnings.iter().filter(|v| v.code() == w.code()).count();
        assert!(same <= MAX_WARNINGS_PER_CODE, "{name}: {same} of {}", w.code());
    }
    for c in &x.candidates {
        assert!(c.dial_in.len() <= MAX_DIAL_INS, "{name}: {} dial-ins", c.dial_in.len());
        assert!(c.warnings.len() <= 16, "{name}: {:?}", c.warnings);
    }
    if let Some(e) = x.no_action_error() {
        assert!(e.to_string().len() < 4096, "{name}: {} bytes of reasons", e.to_string().len());
    }
    x
}

/// Reads the shape alone and with the real link; returns both.
fn check(name: &str) -> (Extraction, Extraction) {
    let s = shape(name);
    let alone = read(name, &s);
    let with = read(name, &with_real_link(name, &s));
    let preferred = with.preferred.map(|p| with.candidates[p].url.as_str());
    assert_eq!(preferred, Some(REAL), "{name}: {:?}", with.warnings);
    (alone, with)
}

fn has(x: &Extraction, code: &str) -> bool {
    x.warnings.iter().any(|w| w.code() == code)
}

#[test]
fn a_run_of_bare_vendor_hosts_is_one_link() {
    let s = shape("bare_vendor_hosts.txt");
    let scan = text::scan(&s);
    // The run is too long to be a link; only its last 8 KiB are.
    assert_eq!(scan.links.len(), 1);
    assert!(scan.links[0].1.starts_with("https://zoom.us/x,") && scan.links[0].1.len() <= MAX_LINK_LEN + 8);
    check("bare_vendor_hosts.txt");
}

#[test]
fn bare_vendor_hosts_inside_an_overlong_link() {
    let s = shape("bare_vendor_hosts_in_an_overlong_link.txt");
    let scan = text::scan(&s);
    assert_eq!(scan.overlong, [s.len()]);
    assert!(scan.links.len() <= 1);
    let (x, _) = check("bare_vendor_hosts_in_an_overlong_link.txt");
    assert!(has(&x, "overlong_link"));
}

#[test]
fn tel_links() {
    let (x, with) = check("tel_links.txt");
    assert_eq!(x.candidates.len(), MAX_CANDIDATES_PER_EVENT);
    assert!(has(&x, "truncated"));
    // With a meeting, the numbers are its dial-ins.
    assert_eq!(with.candidates.len(), 1);
    assert!(!with.candidates[0].dial_in.is_empty());
}

#[test]
fn phone_numbers() {
    let s = shape("phone_numbers.txt");
    let scan = text::scan(&s);
    assert_eq!(scan.dial_ins.len(), MAX_DIAL_INS);
    assert_eq!(scan.dial_ins[0].number, "+47000000000");
    let (x, _) = check("phone_numbers.txt");
    assert_eq!(x.candidates[0].dial_in.len(), MAX_DIAL_INS);
    assert!(x.warnings.contains(&Warning::Truncated { what: "dial-in numbers of a text", limit: MAX_DIAL_INS }));
}

#[test]
fn one_number_with_many_dtmf_sequences() {
    let scan = text::scan(&shape("one_number_many_dtmf.txt"));
    assert_eq!(scan.dial_ins.len(), MAX_DIAL_INS);
    assert_eq!(scan.dial_ins[1].dtmf.as_deref(), Some(",,1#"));
    check("one_number_many_dtmf.txt");
}

#[test]
fn tel_links_between_zoom_links() {
    let (x, _) = check("tel_and_zoom_pairs.txt");
    // Every tel: link went to the first Zoom meeting and is not listed on its own.
    assert!(x.candidates.iter().all(|c| c.kind == super::Kind::Zoom), "{:?}", x.candidates[0]);
    assert!(!x.candidates[0].dial_in.is_empty());
}

#[test]
fn zoom_links_with_sip_addresses() {
    let s = shape("zoom_links_with_sip.txt");
    assert_eq!(text::scan(&s).sip_addresses.len(), MAX_SIP_ADDRESSES);
    let (x, _) = check("zoom_links_with_sip.txt");
    assert_eq!(x.candidates[0].sip_gateway.as_deref(), Some("a99@h.de"));
}

#[test]
fn a_distinct_warning_per_link() {
    for name in ["user_info_links.txt", "unsafe_schemes.txt"] {
        let (x, _) = check(name);
        assert!(matches!(x.warnings.last(), Some(Warning::TooManyWarnings { omitted }) if *omitted > 1000), "{name}");
    }
}

#[test]
fn only_unsafe_links_say_why_in_a_few_words() {
    let (x, _) = check("only_unsafe_links.txt");
    let why = x.no_action_error().unwrap().to_string();
    assert!(why.contains("and ") && why.contains(" more"), "{why}");
}

#[test]
fn overlong_links() {
    let (x, _) = check("overlong_links.txt");
    assert!(has(&x, "overlong_link") && has(&x, "too_many_warnings"));
}

#[test]
fn email_addresses() {
    let s = shape("email_addresses.txt");
    let scan = text::scan(&s);
    assert_eq!((scan.emails.len(), scan.emails[0].as_str()), (MAX_EMAILS, "a0@b.cd"));
    let (x, _) = check("email_addresses.txt");
    assert_eq!(x.found_instead.len(), 20);
}

#[test]
fn addresses_on_sip_lines() {
    let scan = text::scan(&shape("sip_context.txt"));
    assert_eq!(scan.sip_addresses.len(), MAX_SIP_ADDRESSES);
    assert!(scan.emails.is_empty());
    check("sip_context.txt");
}

#[test]
fn links_that_name_jitsi_hosts() {
    check("jitsi_hints.txt");
}

#[test]
fn bare_links_between_scheme_links() {
    let scan = text::scan(&shape("sip_and_bare_links.txt"));
    assert_eq!(scan.links.len(), MAX_LINKS_PER_TEXT);
    assert_eq!((scan.links[0].1.as_str(), scan.links[1].1.as_str()), ("sip:a@b.cd", "https://zoom.us/j/0"));
    check("sip_and_bare_links.txt");
}

#[test]
fn pin_keywords_after_every_number() {
    let scan = text::scan(&shape("pin_lines.txt"));
    assert_eq!(scan.dial_ins.len(), MAX_DIAL_INS);
    check("pin_lines.txt");
}

#[test]
fn html_links() {
    check("html_links.txt");
}

#[test]
fn an_event_per_link() {
    let (x, with) = check("events_with_links.ics");
    assert_eq!((x.events.len(), with.events.len()), (MAX_EVENTS, MAX_EVENTS));
    assert!(x.warnings.contains(&Warning::Truncated { what: "events of a file", limit: MAX_EVENTS }));
    assert_eq!(x.candidates.len(), MAX_CANDIDATES);
}

#[test]
fn the_chosen_event_is_read_when_the_others_are_not() {
    let mut ics = String::from("BEGIN:VCALENDAR\r\n");
    for i in 0..2500 {
        ics.push_str("BEGIN:VEVENT\r\nDTSTART:20260101T100000Z\r\n");
        for k in 0..10 {
            ics.push_str(&format!("URL:https://zoom.us/j/{}\r\n", 100_000_000 + i * 10 + k));
        }
        ics.push_str("END:VEVENT\r\n");
    }
    ics.push_str(&format!("BEGIN:VEVENT\r\nDTSTART:20270101T100000Z\r\nURL:{REAL}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"));
    let x = extract(Input::Ics(ics.as_bytes()), Some("2028-01-01T00:00:00Z".parse().unwrap())).unwrap();
    assert_eq!(x.candidates[x.preferred.unwrap()].url, REAL);
    let what = "links and numbers of the other events";
    assert!(x.warnings.contains(&Warning::Truncated { what, limit: MAX_ITEMS_OTHER_EVENTS }), "{:?}", x.warnings);
}

#[test]
fn a_new_unknown_time_zone_per_event() {
    let (x, _) = check("unknown_time_zones.ics");
    let unknown = x.warnings.iter().filter(|w| w.code() == "unknown_time_zone").count();
    assert_eq!(unknown, MAX_WARNINGS_PER_CODE);
    assert!(has(&x, "too_many_warnings"));
}

#[test]
fn time_zones_with_many_rules_or_many_time_zones() {
    let (x, _) = check("time_zone_with_many_rules.ics");
    assert!(x.events[0].start.is_some());
    let (x, _) = check("many_time_zones.ics");
    assert!(x.warnings.contains(&Warning::Truncated { what: "time zones of a file", limit: MAX_VTIMEZONES }));
}

#[test]
fn one_event_with_many_descriptions() {
    let (x, _) = check("one_event_many_descriptions.ics");
    assert!(has(&x, "truncated"));
}

#[test]
fn every_shape_has_a_test_and_fits_the_size() {
    let tested = [
        "bare_vendor_hosts.txt",
        "bare_vendor_hosts_in_an_overlong_link.txt",
        "tel_links.txt",
        "phone_numbers.txt",
        "one_number_many_dtmf.txt",
        "tel_and_zoom_pairs.txt",
        "zoom_links_with_sip.txt",
        "user_info_links.txt",
        "unsafe_schemes.txt",
        "only_unsafe_links.txt",
        "overlong_links.txt",
        "email_addresses.txt",
        "sip_context.txt",
        "jitsi_hints.txt",
        "sip_and_bare_links.txt",
        "pin_lines.txt",
        "html_links.txt",
        "events_with_links.ics",
        "unknown_time_zones.ics",
        "time_zone_with_many_rules.ics",
        "many_time_zones.ics",
        "one_event_many_descriptions.ics",
    ];
    let all = super::testing::hostile_inputs(4096);
    let names: Vec<&str> = all.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, tested);
    assert!(all.iter().all(|(_, s)| s.len() <= 4096));
}
