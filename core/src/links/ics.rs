//! iCalendar (RFC 5545) reading, as calendar programs actually write it.
//!
//! * Line endings CRLF, LF or CR; a UTF-8 byte-order mark; invalid UTF-8 replaced.
//! * Folding: a line starting with a space or tab continues the previous one. Broken folding (a
//!   continuation without its leading space, as some mailers produce) is detected when a line
//!   does not start with a property name Trygg knows or an `X-` name, read as a continuation, and
//!   reported ([`Warning::BrokenFolding`]).
//! * Parameters with quoted values, several values, and RFC 6868 `^` escapes.
//! * TEXT escapes (`\\`, `\;`, `\,`, `\n`) undone by [`Property::text`]; URI values keep theirs
//!   except the `\,` and `\;` that some producers add by mistake ([`Property::uri`]).
//! * Several `VEVENT`s; `VALARM`s inside them are ignored (their DESCRIPTION is not the event's);
//!   `VTIMEZONE`s are kept for the times (see [`super::ics_time`]).
//! * Nesting deeper than 16 components is skipped, so hostile files cannot exhaust the stack.
//! * At most [`MAX_EVENTS`] events and [`MAX_VTIMEZONES`] time zones are read (an invite has one
//!   or a few; the rest of a larger calendar export is skipped, with a warning).
//!
//! Everything is linear in the input: a 10 MB line costs one pass, and a component that is not
//! kept costs no more than reading its lines.

use super::LinkError;
use super::ics_time::{EventTime, Observance, VTimezone, Zones};
use super::limits::{MAX_EVENTS, MAX_VTIMEZONES};
use super::safety::Warning;
use super::warnings::Warnings;

const MAX_DEPTH: usize = 16;
const MAX_FOLDING_WARNINGS: usize = 3;

/// Property names of RFC 5545, 7986 and 6638 that start a line (other lines without a space are
/// broken folding unless they are `X-` names).
const KNOWN: &[&str] = &[
    "BEGIN",
    "END",
    "VERSION",
    "PRODID",
    "CALSCALE",
    "METHOD",
    "UID",
    "DTSTAMP",
    "DTSTART",
    "DTEND",
    "DURATION",
    "SUMMARY",
    "DESCRIPTION",
    "LOCATION",
    "URL",
    "ORGANIZER",
    "ATTENDEE",
    "CONFERENCE",
    "STATUS",
    "SEQUENCE",
    "CLASS",
    "CREATED",
    "LAST-MODIFIED",
    "PRIORITY",
    "TRANSP",
    "RRULE",
    "RDATE",
    "EXDATE",
    "EXRULE",
    "RECURRENCE-ID",
    "CATEGORIES",
    "COMMENT",
    "CONTACT",
    "GEO",
    "RELATED-TO",
    "RESOURCES",
    "ATTACH",
    "TZID",
    "TZNAME",
    "TZOFFSETFROM",
    "TZOFFSETTO",
    "TZURL",
    "ACTION",
    "TRIGGER",
    "REPEAT",
    "IMAGE",
    "COLOR",
    "NAME",
    "REFRESH-INTERVAL",
    "SOURCE",
    "REQUEST-STATUS",
    "FREEBUSY",
    "DUE",
    "COMPLETED",
    "PERCENT-COMPLETE",
    "LAST-MOD",
    "TZUNTIL",
    "TZID-ALIAS-OF",
    "ACKNOWLEDGED",
    "PROXIMITY",
    "STRUCTURED-DATA",
    "STYLED-DESCRIPTION",
    "PARTICIPANT-TYPE",
    "CALENDAR-ADDRESS",
    "LOCATION-TYPE",
    "SCHEDULING-AGENT",
];

/// One property (a content line after unfolding).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Property {
    /// Name, upper case.
    pub name: String,
    /// Parameters: upper-case name, values (quotes removed, `^` escapes undone).
    pub params: Vec<(String, Vec<String>)>,
    /// The value as written (escapes kept).
    pub value: String,
    /// Line number where it starts (1-based).
    pub line: usize,
}

impl Property {
    /// The first value of a parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).and_then(|(_, v)| v.first()).map(String::as_str)
    }

    /// The value as TEXT (RFC 5545 §3.3.11): escapes undone.
    pub fn text(&self) -> String {
        let mut out = String::with_capacity(self.value.len());
        let mut chars = self.value.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('n' | 'N') => out.push('\n'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            }
        }
        out
    }

    /// The value as a URI: trimmed, with the `\,` and `\;` some producers add removed.
    pub fn uri(&self) -> String {
        self.value.trim().replace("\\,", ",").replace("\\;", ";")
    }
}

/// A `VEVENT`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Event {
    /// Its own properties, in order (not those of its alarms).
    pub props: Vec<Property>,
    /// Start, when it has a readable `DTSTART`.
    pub start: Option<EventTime>,
    /// End, from `DTEND` or `DTSTART` + `DURATION`.
    pub end: Option<EventTime>,
}

impl Event {
    /// The first property of this name.
    pub fn prop(&self, name: &str) -> Option<&Property> {
        self.props.iter().find(|p| p.name == name)
    }

    /// Every property of this name, in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Property> + 'a {
        self.props.iter().filter(move |p| p.name == name)
    }

    /// `UID`.
    pub fn uid(&self) -> Option<String> {
        self.prop("UID").map(Property::text)
    }

    /// `SUMMARY` (the title).
    pub fn summary(&self) -> Option<String> {
        self.prop("SUMMARY").map(Property::text)
    }

    /// Whether `STATUS:CANCELLED`.
    pub fn is_cancelled(&self) -> bool {
        self.prop("STATUS").is_some_and(|p| p.value.trim().eq_ignore_ascii_case("CANCELLED"))
    }
}

/// A parsed iCalendar file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Calendar {
    /// `METHOD` (`REQUEST`, `CANCEL`, `PUBLISH`, ...), upper case.
    pub method: Option<String>,
    /// The events, in file order.
    pub events: Vec<Event>,
    /// The time zones the file defines.
    pub timezones: Vec<VTimezone>,
    /// Problems met while reading (broken folding, unknown time zones).
    pub warnings: Vec<Warning>,
}

/// Lines split on CRLF, LF or a lone CR, numbered from 1.
fn physical_lines(s: &str) -> impl Iterator<Item = &str> {
    s.split('\n').flat_map(|l| l.strip_suffix('\r').unwrap_or(l).split('\r'))
}

fn name_of(line: &str) -> &str {
    &line[..line.find([';', ':']).unwrap_or(line.len())]
}

fn starts_property(line: &str) -> bool {
    let name = name_of(line);
    line.len() > name.len()
        && !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && (KNOWN.iter().any(|k| k.eq_ignore_ascii_case(name))
            || name.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("X-")))
}

/// RFC 6868: `^n` newline, `^^` caret, `^'` double quote.
fn caret_decode(s: &str) -> String {
    if !s.contains('^') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('^', Some('n')) => {
                out.push('\n');
                chars.next();
            }
            ('^', Some('^')) => {
                out.push('^');
                chars.next();
            }
            ('^', Some('\'')) => {
                out.push('"');
                chars.next();
            }
            _ => out.push(c),
        }
    }
    out
}

/// Parses one unfolded content line: `NAME *(;PARAM=VALUE[,VALUE]) : VALUE`.
pub(crate) fn content_line(line: &str, number: usize) -> Option<Property> {
    let b = line.as_bytes();
    let name = name_of(line);
    if name.is_empty() || !name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-') {
        return None;
    }
    let mut i = name.len();
    let mut params = Vec::new();
    while b.get(i) == Some(&b';') {
        i += 1;
        let pn_start = i;
        while i < b.len() && !matches!(b[i], b'=' | b';' | b':') {
            i += 1;
        }
        let pname = line[pn_start..i].trim().to_ascii_uppercase();
        let mut values = Vec::new();
        if b.get(i) == Some(&b'=') {
            loop {
                i += 1;
                if b.get(i) == Some(&b'"') {
                    let end = i + 1 + line[i + 1..].find('"')?;
                    values.push(caret_decode(&line[i + 1..end]));
                    i = end + 1;
                } else {
                    let vs = i;
                    while i < b.len() && !matches!(b[i], b',' | b';' | b':') {
                        i += 1;
                    }
                    values.push(caret_decode(&line[vs..i]));
                }
                if b.get(i) != Some(&b',') {
                    break;
                }
            }
        }
        params.push((pname, values));
    }
    if b.get(i) != Some(&b':') {
        return None;
    }
    Some(Property { name: name.to_ascii_uppercase(), params, value: line[i + 1..].to_owned(), line: number })
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Frame {
    Calendar,
    Event(usize),
    Timezone(usize),
    Observance(usize, usize),
    Other,
}

struct Builder {
    cal: Calendar,
    stack: Vec<(String, Frame)>,
    skipped_depth: usize,
    saw_calendar: bool,
    /// Events were left out for [`MAX_EVENTS`].
    events_cut: bool,
    /// Time zones were left out for [`MAX_VTIMEZONES`].
    zones_cut: bool,
}

impl Builder {
    /// Opens a component; `name` is upper case.
    fn begin(&mut self, name: String) {
        if self.stack.len() >= MAX_DEPTH || self.skipped_depth > 0 {
            self.skipped_depth += 1;
            return;
        }
        let parent = self.stack.last().map(|(_, f)| *f);
        let top = matches!(parent, None | Some(Frame::Calendar));
        let frame = match name.as_str() {
            "VCALENDAR" => {
                self.saw_calendar = true;
                Frame::Calendar
            }
            "VEVENT" if top && self.cal.events.len() >= MAX_EVENTS => {
                self.events_cut = true;
                Frame::Other
            }
            "VTIMEZONE" if top && self.cal.timezones.len() >= MAX_VTIMEZONES => {
                self.zones_cut = true;
                Frame::Other
            }
            "VEVENT" if top => {
                self.cal.events.push(Event::default());
                Frame::Event(self.cal.events.len() - 1)
            }
            "VTIMEZONE" if top => {
                self.cal.timezones.push(VTimezone::default());
                Frame::Timezone(self.cal.timezones.len() - 1)
            }
            "STANDARD" | "DAYLIGHT" => match parent {
                Some(Frame::Timezone(t)) => {
                    let obs = &mut self.cal.timezones[t].observances;
                    obs.push(Observance { daylight: name == "DAYLIGHT", ..Observance::default() });
                    Frame::Observance(t, obs.len() - 1)
                }
                _ => Frame::Other,
            },
            _ => Frame::Other,
        };
        self.stack.push((name, frame));
    }

    fn end(&mut self, name: &str) {
        if self.skipped_depth > 0 {
            self.skipped_depth -= 1;
            return;
        }
        // Lenient: an END closes the innermost component of that name and everything inside it.
        if let Some(pos) = self.stack.iter().rposition(|(n, _)| n.eq_ignore_ascii_case(name)) {
            self.stack.truncate(pos);
        }
    }

    /// Whether a property here would be kept (see [`Builder::property`]): the others are not even
    /// parsed.
    fn keeps_properties(&self) -> bool {
        self.skipped_depth == 0 && self.stack.last().is_some_and(|(_, f)| *f != Frame::Other)
    }

    fn property(&mut self, p: Property) {
        if self.skipped_depth > 0 {
            return;
        }
        match self.stack.last().map(|(_, f)| *f) {
            Some(Frame::Calendar) if p.name == "METHOD" => {
                self.cal.method = Some(p.value.trim().to_ascii_uppercase());
            }
            Some(Frame::Event(i)) => self.cal.events[i].props.push(p),
            Some(Frame::Timezone(t)) if p.name == "TZID" => self.cal.timezones[t].tzid = p.text(),
            Some(Frame::Observance(t, o)) => self.cal.timezones[t].observances[o].set(&p),
            _ => {}
        }
    }
}

/// Whether a line is a `BEGIN` or `END` with parameters (`BEGIN;X=1:VEVENT`).
fn starts_component(line: &str) -> bool {
    let name = name_of(line);
    name.eq_ignore_ascii_case("BEGIN") || name.eq_ignore_ascii_case("END")
}

fn flush(b: &mut Builder, cur: Option<(&str, usize)>) {
    let Some((line, n)) = cur else { return };
    // `BEGIN:X` and `END:X` without parameters, as every producer writes them, without building
    // a property: there is one pair per component, and a file can hold a million components.
    if let Some(i) = line.find([';', ':']).filter(|&i| line.as_bytes()[i] == b':') {
        let (name, value) = (&line[..i], line[i + 1..].trim());
        if name.eq_ignore_ascii_case("BEGIN") {
            return b.begin(value.to_ascii_uppercase());
        }
        if name.eq_ignore_ascii_case("END") {
            return b.end(value);
        }
    }
    if !b.keeps_properties() && !starts_component(line) {
        return;
    }
    let Some(p) = content_line(line, n) else { return };
    match p.name.as_str() {
        "BEGIN" => b.begin(p.value.trim().to_ascii_uppercase()),
        "END" => b.end(p.value.trim()),
        _ => b.property(p),
    }
}

/// Parses an iCalendar file. Errors only when it is not iCalendar at all; everything else is
/// read leniently, with [`Calendar::warnings`].
pub fn parse(bytes: &[u8]) -> Result<Calendar, LinkError> {
    let text = String::from_utf8_lossy(bytes);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut b = Builder {
        cal: Calendar::default(),
        stack: Vec::new(),
        skipped_depth: 0,
        saw_calendar: false,
        events_cut: false,
        zones_cut: false,
    };
    // The logical line being unfolded and its line number (one buffer for the whole file).
    let (mut current, mut current_line) = (String::new(), None);
    let mut folding_warnings = 0;
    for (n, line) in physical_lines(text).enumerate() {
        if let Some(rest) = line.strip_prefix([' ', '\t']) {
            if current_line.is_some() {
                current.push_str(rest);
            }
            continue;
        }
        if line.is_empty() {
            continue;
        }
        if current_line.is_some() && !starts_property(line) {
            if folding_warnings < MAX_FOLDING_WARNINGS {
                b.cal.warnings.push(Warning::BrokenFolding { line: n + 1 });
                folding_warnings += 1;
            }
            current.push_str(line);
            continue;
        }
        flush(&mut b, current_line.map(|l| (current.as_str(), l)));
        current.clear();
        current.push_str(line);
        current_line = Some(n + 1);
    }
    flush(&mut b, current_line.map(|l| (current.as_str(), l)));
    if !b.saw_calendar {
        return Err(LinkError::NotICalendar { why: "there is no BEGIN:VCALENDAR".into() });
    }
    let mut cal = b.cal;
    if b.events_cut {
        cal.warnings.push(Warning::Truncated { what: "events of a file", limit: MAX_EVENTS });
    }
    if b.zones_cut {
        cal.warnings.push(Warning::Truncated { what: "time zones of a file", limit: MAX_VTIMEZONES });
    }
    let zones = Zones::new(&cal.timezones);
    let mut warnings = Warnings::default();
    for w in cal.warnings.drain(..) {
        warnings.push(w);
    }
    let mut met = Vec::new();
    for e in &mut cal.events {
        let start = e.prop("DTSTART").and_then(|p| zones.time(p, &mut met));
        let end = e.prop("DTEND").and_then(|p| zones.time(p, &mut met)).or_else(|| {
            let d = e.prop("DURATION").and_then(|p| super::ics_time::parse_duration(p.value.trim()))?;
            start.as_ref().and_then(|s| s.plus_seconds(d))
        });
        e.start = start;
        e.end = end;
        for w in met.drain(..) {
            warnings.push(w);
        }
    }
    cal.warnings = warnings.into_vec();
    Ok(cal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unfolds_unescapes_and_reads_parameters() {
        let ics = "BEGIN:VCALENDAR\r\nMETHOD:request\r\nBEGIN:VEVENT\r\nSUMMARY:Q3 review\\, budget\\; plan\\nsecond\r\n  line\r\n\
                   DESCRIPTION;LANGUAGE=en-US:Join: https://zoom.us/j/8529876\r\n 5432?pwd=abc\r\n\
                   CONFERENCE;VALUE=URI;FEATURE=AUDIO,VIDEO;LABEL=\"Join: Zoom; now\":https://zoom.us/j/1\r\n\
                   ATTENDEE;CN=^'Bob^' Smith;ROLE=REQ-PARTICIPANT:mailto:bob@example.com\r\n\
                   BEGIN:VALARM\r\nDESCRIPTION:Reminder https://evil.example/\r\nEND:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let cal = parse(ics.as_bytes()).unwrap();
        assert_eq!(cal.method.as_deref(), Some("REQUEST"));
        let e = &cal.events[0];
        assert_eq!(e.summary().unwrap(), "Q3 review, budget; plan\nsecond line");
        assert_eq!(e.prop("DESCRIPTION").unwrap().text(), "Join: https://zoom.us/j/85298765432?pwd=abc");
        let c = e.prop("CONFERENCE").unwrap();
        assert_eq!(
            (c.param("label"), c.param("FEATURE"), c.value.as_str()),
            (Some("Join: Zoom; now"), Some("AUDIO"), "https://zoom.us/j/1")
        );
        assert_eq!(c.params[1].1, ["AUDIO", "VIDEO"]);
        assert_eq!(e.prop("ATTENDEE").unwrap().param("CN"), Some("\"Bob\" Smith"));
        assert_eq!(e.all("DESCRIPTION").count(), 1, "the alarm's description is not the event's");
        assert!(cal.warnings.is_empty(), "{:?}", cal.warnings);
    }

    #[test]
    fn lf_cr_bom_and_broken_folding_are_read() {
        let lf = "\u{feff}BEGIN:VCALENDAR\nBEGIN:VEVENT\nLOCATION:https://meet.google.com/abc-\n defg-hij\nEND:VEVENT\nEND:VCALENDAR\n";
        let cr = lf.replace('\n', "\r");
        for text in [lf.to_owned(), cr] {
            let cal = parse(text.as_bytes()).unwrap();
            assert_eq!(cal.events[0].prop("LOCATION").unwrap().value, "https://meet.google.com/abc-defg-hij");
        }
        let broken = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDESCRIPTION:Join here https://teams.microsoft.com/l/meetup-join/19%3am\neeting_abc%40thread.v2/0\nhttps://x.example:443/not-a-property\nEND:VEVENT\nEND:VCALENDAR\n";
        let cal = parse(broken.as_bytes()).unwrap();
        assert_eq!(
            cal.events[0].prop("DESCRIPTION").unwrap().value,
            "Join here https://teams.microsoft.com/l/meetup-join/19%3ameeting_abc%40thread.v2/0https://x.example:443/not-a-property"
        );
        assert_eq!(cal.warnings, vec![Warning::BrokenFolding { line: 4 }, Warning::BrokenFolding { line: 5 }]);
    }

    #[test]
    fn several_events_and_missing_ends() {
        let ics = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:1\nEND:VEVENT\nBEGIN:VEVENT\nUID:2\nBEGIN:VEVENT\nUID:nested\n";
        let cal = parse(ics.as_bytes()).unwrap();
        let uids: Vec<_> = cal.events.iter().map(|e| e.uid().unwrap()).collect();
        assert_eq!(uids, ["1", "2"], "a VEVENT inside a VEVENT is not an event of the calendar");
    }

    #[test]
    fn what_is_not_icalendar_is_an_error_and_deep_nesting_is_cut() {
        assert_eq!(parse(b"Hello").unwrap_err().code(), "links.not_icalendar");
        assert_eq!(parse(b"").unwrap_err().code(), "links.not_icalendar");
        let deep = format!("BEGIN:VCALENDAR\n{}BEGIN:VEVENT\nUID:x\nEND:VEVENT\n", "BEGIN:X\n".repeat(100_000));
        let cal = parse(deep.as_bytes()).unwrap();
        assert!(cal.events.is_empty());
        assert!(parse(&[0xff, 0xfe, b'B']).is_err());
    }

    #[test]
    fn fuzz_regression_non_ascii_byday_in_a_vtimezone() {
        let ics = b"BEGIN:VCALENDAR\r\nBEGIN:VTIMEZONE\r\nTZID:X\r\nBEGIN:DAYLIGHT\r\nTZOFFSETTO:+0200\r\n\
                    RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1\xff\nBEGIN:VEVENT\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n\
                    BEGIN:VEVENT\r\nDTSTART;TZID=X:20260504T100000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let cal = parse(ics).unwrap();
        assert_eq!(cal.events.len(), 1);
    }
}
