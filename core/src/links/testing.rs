//! Hostile inputs for link extraction: for its tests, and for `trygg bench links` to time at
//! [`super::extract::MAX_INPUT`].
//!
//! Each shape is one that made an earlier version super-linear (a review found them; see the
//! caps in [`super::limits`]): many links, numbers, addresses or time zones in a single input,
//! each distinct so no deduplication helps. None of them holds a real meeting link; tests add one
//! and check that it is still found.

/// Each hostile shape at about `bytes` bytes (never more), by name. Names ending in `.ics` are
/// iCalendar files (read them as [`super::Input::Ics`]), the others text ([`super::Input::Text`]).
pub fn hostile_inputs(bytes: usize) -> Vec<(&'static str, String)> {
    SHAPES.iter().map(|(name, make)| (*name, make(bytes))).collect()
}

/// One shape by name (see [`hostile_inputs`]).
pub fn hostile_input(name: &str, bytes: usize) -> Option<String> {
    SHAPES.iter().find(|(n, _)| *n == name).map(|(_, make)| make(bytes))
}

type Shape = (&'static str, fn(usize) -> String);

const SHAPES: &[Shape] = &[
    // One run without white space: every match of a vendor host once rescanned the rest of it.
    ("bare_vendor_hosts.txt", |n| fill(n, "", |_| "zoom.us/x,".into(), "")),
    ("bare_vendor_hosts_in_an_overlong_link.txt", |n| fill(n, "https://x/", |_| "zoom.us/x,".into(), "")),
    // Explicit tel: links, each a candidate that looked for its meeting among all the links.
    ("tel_links.txt", |n| fill(n, "", |i| format!("tel:+47{:09} ", i % 1_000_000_000), "")),
    // Numbers, each merged into one list by a linear search (first into the text's, then into
    // the meeting's).
    ("phone_numbers.txt", |n| {
        fill(n, "https://zoom.us/j/123456789\n", |i| format!("+47{:09}\n", i % 1_000_000_000), "")
    }),
    ("one_number_many_dtmf.txt", |n| fill(n, "", |i| format!("+4722000000,,{i}#\n"), "")),
    // Tel links merged into one meeting, then removed from the candidates one by one.
    ("tel_and_zoom_pairs.txt", |n| fill(n, "", |i| format!("tel:+47{:09} https://zoom.us/j/{} ", i, zoom(i)), "")),
    // Meetings with a SIP address each: every address looked for its meeting among all links.
    ("zoom_links_with_sip.txt", |n| fill(n, "", |i| format!("https://zoom.us/j/{} sip a{i}@h.de\n", zoom(i)), "")),
    // A distinct warning per link, each checked against all the warnings before it.
    ("user_info_links.txt", |n| fill(n, "", |i| format!("https://u@h{i}.de "), "")),
    ("unsafe_schemes.txt", |n| fill(n, "<p>", |i| format!("<a href=\"x{i}:y\">z</a>"), "</p>")),
    ("only_unsafe_links.txt", |n| fill(n, "", |i| format!("http://zoom.us/j/{} ", zoom(i)), "")),
    ("overlong_links.txt", |n| fill(n, "", |i| format!("https://x/{i}{} ", "a".repeat(9000 + i % 500)), "")),
    // E-mail addresses, each checked against all the addresses before it.
    ("email_addresses.txt", |n| fill(n, "", |i| format!("a{i}@b.cd "), "")),
    // Addresses on SIP lines: each looked through 300 bytes of context.
    ("sip_context.txt", |n| fill(n, "", |i| format!("video system a{i}@b.cd a@b.cd a@b.cd a@b.cd\n"), "")),
    // Links that name a Jitsi host, each checked against all the others.
    ("jitsi_hints.txt", |n| fill(n, "", |i| format!("https://h{i}.de/r#config.x "), "")),
    // Bare links between scheme links: each inserted into the middle of a sorted list.
    ("sip_and_bare_links.txt", |n| fill(n, "", |i| format!("sip:a@b.cd zoom.us/j/{i} "), "")),
    // PIN keywords after every number of a line: each number searched the rest of the line.
    ("pin_lines.txt", |n| fill(n, "", pin_line, "")),
    // Links of an HTML body, each a meeting candidate.
    ("html_links.txt", |n| fill(n, "<p>", |i| format!("<a href=\"https://zoom.us/j/{}\">x</a>", zoom(i)), "</p>")),
    // Calendars: an event per link; a new unknown time zone per event; one time zone with a rule
    // per year; many time zones and events in none of them; one event with many descriptions.
    ("events_with_links.ics", |n| ics(n, |i| event(&format!("URL:https://zoom.us/j/{}\r\n", zoom(i))))),
    ("unknown_time_zones.ics", |n| ics(n, |i| event(&format!("DTSTART;TZID=Zone{i}:20260101T100000\r\n")))),
    ("time_zone_with_many_rules.ics", many_rules),
    ("many_time_zones.ics", many_time_zones),
    ("one_event_many_descriptions.ics", one_event),
];

/// A distinct Zoom meeting number.
fn zoom(i: usize) -> usize {
    100_000_000 + i % 900_000_000
}

/// `head`, then `unit(0)`, `unit(1)`, … while they fit, then `tail`: at most `bytes` in all.
fn fill(bytes: usize, head: &str, mut unit: impl FnMut(usize) -> String, tail: &str) -> String {
    let mut s = String::with_capacity(bytes);
    s.push_str(head);
    for i in 0.. {
        let u = unit(i);
        if s.len() + u.len() + tail.len() > bytes {
            break;
        }
        s.push_str(&u);
    }
    s.push_str(tail);
    s
}

/// A line of about 4 KiB, numbers each followed by a PIN keyword.
fn pin_line(i: usize) -> String {
    let mut line = fill(4000, "", |k| format!("+47{:08} pin x ", (i * 300 + k) % 100_000_000), "");
    line.push('\n');
    line
}

fn event(body: &str) -> String {
    format!("BEGIN:VEVENT\r\n{body}END:VEVENT\r\n")
}

fn ics(bytes: usize, unit: impl FnMut(usize) -> String) -> String {
    fill(bytes, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n", unit, "END:VCALENDAR\r\n")
}

/// One `VTIMEZONE` with a rule per year, then events in it.
fn many_rules(bytes: usize) -> String {
    let rules = fill(
        bytes / 2,
        "BEGIN:VTIMEZONE\r\nTZID:Custom\r\n",
        |i| {
            format!(
                "BEGIN:STANDARD\r\nDTSTART:{:04}1025T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\n\
             RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n",
                1000 + i % 9000
            )
        },
        "END:VTIMEZONE\r\n",
    );
    let head = format!("BEGIN:VCALENDAR\r\n{rules}");
    fill(
        bytes,
        &head,
        |i| event(&format!("DTSTART;TZID=Custom:2026{:02}01T100000\r\n", 1 + i % 12)),
        "END:VCALENDAR\r\n",
    )
}

/// Many `VTIMEZONE`s, then events in a zone none of them defines.
fn many_time_zones(bytes: usize) -> String {
    let zones = fill(bytes / 2, "", |i| format!("BEGIN:VTIMEZONE\r\nTZID:Z{i}\r\nEND:VTIMEZONE\r\n"), "");
    let head = format!("BEGIN:VCALENDAR\r\n{zones}");
    fill(bytes, &head, |_| event("DTSTART;TZID=Nowhere:20260101T100000\r\n"), "END:VCALENDAR\r\n")
}

/// One event with a description per number, each with its PIN.
fn one_event(bytes: usize) -> String {
    let head = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nURL:https://zoom.us/j/123456789\r\n";
    let description = |i: usize| format!("DESCRIPTION:+47{i:09} PIN {:06}\r\n", i % 1_000_000);
    fill(bytes, head, description, "END:VEVENT\r\nEND:VCALENDAR\r\n")
}
