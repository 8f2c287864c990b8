//! Times in invites: `DTSTART`/`DTEND` values and their time zones.
//!
//! A `TZID` is resolved in this order, first match wins:
//!
//! 1. an IANA name (`Europe/Oslo`), also with a prefix path (`/mozilla.org/20050126_1/Europe/Oslo`);
//! 2. a Windows zone id or display name (`W. Europe Standard Time`,
//!    `(UTC+01:00) Amsterdam, Berlin, …`) through a table from Unicode CLDR `windowsZones.xml`;
//! 3. the file's own `VTIMEZONE`, turned into a POSIX TZ rule (yearly `BYMONTH` + `BYDAY`
//!    rules, which is what Outlook and Exchange write);
//! 4. a `(UTC±hh:mm)` prefix, as a fixed offset (with a warning: daylight saving is unknown);
//! 5. otherwise the time is read as UTC, with [`Warning::UnknownTimeZone`].
//!
//! Each `TZID` is resolved once per file, however many events use it, and the file's
//! `VTIMEZONE`s are found by name through a map: a file of many events and many time zones costs
//! one pass over each. Past [`MAX_TIME_ZONES`] distinct names (only hostile files have them) new
//! ones are read as unknown.
//!
//! IANA data comes from the tz database compiled into the binary (jiff's bundled copy), never
//! from files: the core does no I/O. The bundled data was preferred over the file's VTIMEZONE
//! because it knows history and future rule changes; VTIMEZONE only describes one rule.

use std::cell::RefCell;
use std::collections::HashMap;

use jiff::civil::{Date, DateTime, Weekday};
use jiff::tz::{Offset, TimeZone, TimeZoneDatabase};
use jiff::{SignedDuration, Timestamp};

use super::ics::Property;
use super::limits::MAX_TIME_ZONES;
use super::safety::Warning;
use super::windows_zones;

/// A start or end time of an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventTime {
    /// An exact instant (`…Z`, or local time in a known zone).
    At(Timestamp),
    /// Local time without a zone ("floating"), read as UTC where an instant is needed.
    Floating(DateTime),
    /// A whole day (`VALUE=DATE`).
    Day(Date),
}

impl EventTime {
    /// The instant, reading floating times and days as UTC.
    pub fn timestamp(&self) -> Option<Timestamp> {
        match self {
            Self::At(t) => Some(*t),
            Self::Floating(dt) => TimeZone::UTC.to_timestamp(*dt).ok(),
            Self::Day(d) => TimeZone::UTC.to_timestamp(d.to_datetime(jiff::civil::Time::midnight())).ok(),
        }
    }

    pub(crate) fn plus_seconds(&self, s: i64) -> Option<Self> {
        let d = SignedDuration::from_secs(s);
        Some(match self {
            Self::At(t) => Self::At(t.checked_add(d).ok()?),
            Self::Floating(dt) => Self::Floating(dt.checked_add(d).ok()?),
            Self::Day(day) => Self::Day(day.checked_add(d).ok()?),
        })
    }
}

/// One `STANDARD` or `DAYLIGHT` part of a `VTIMEZONE`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observance {
    /// `DAYLIGHT` rather than `STANDARD`.
    pub daylight: bool,
    /// Local start (its time of day is the transition time).
    pub start: Option<DateTime>,
    /// `TZOFFSETFROM` in seconds.
    pub offset_from: Option<i32>,
    /// `TZOFFSETTO` in seconds.
    pub offset_to: Option<i32>,
    /// `RRULE` month and (nth, weekday) of a yearly rule.
    pub rule: Option<(i8, i8, Weekday)>,
}

impl Observance {
    pub(crate) fn set(&mut self, p: &Property) {
        let v = p.value.trim();
        match p.name.as_str() {
            "DTSTART" => self.start = parse_local(v),
            "TZOFFSETFROM" => self.offset_from = parse_offset(v),
            "TZOFFSETTO" => self.offset_to = parse_offset(v),
            "RRULE" => self.rule = parse_yearly_rule(v),
            _ => {}
        }
    }
}

/// A `VTIMEZONE`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VTimezone {
    /// Its `TZID`.
    pub tzid: String,
    /// Its `STANDARD` and `DAYLIGHT` parts.
    pub observances: Vec<Observance>,
}

fn parse_offset(v: &str) -> Option<i32> {
    let (sign, rest) = match v.as_bytes().first()? {
        b'+' => (1, &v[1..]),
        b'-' => (-1, &v[1..]),
        _ => return None,
    };
    if !(rest.len() == 4 || rest.len() == 6) || !rest.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| rest[r].parse::<i32>().ok();
    let secs = n(0..2)? * 3600 + n(2..4)? * 60 + if rest.len() == 6 { n(4..6)? } else { 0 };
    (secs < 24 * 3600).then_some(sign * secs)
}

fn weekday(s: &str) -> Option<Weekday> {
    Some(match s {
        "MO" => Weekday::Monday,
        "TU" => Weekday::Tuesday,
        "WE" => Weekday::Wednesday,
        "TH" => Weekday::Thursday,
        "FR" => Weekday::Friday,
        "SA" => Weekday::Saturday,
        "SU" => Weekday::Sunday,
        _ => return None,
    })
}

/// `FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU` → (10, -1, Sunday).
fn parse_yearly_rule(v: &str) -> Option<(i8, i8, Weekday)> {
    let mut freq = None;
    let mut month = None;
    let mut day = None;
    for part in v.split(';') {
        let (k, val) = part.split_once('=')?;
        match k.trim().to_ascii_uppercase().as_str() {
            "FREQ" => freq = Some(val.trim().to_ascii_uppercase()),
            "BYMONTH" => month = val.trim().parse::<i8>().ok().filter(|m| (1..=12).contains(m)),
            "BYDAY" => {
                let val = val.trim().to_ascii_uppercase();
                // `get`, not indexing: the value may hold any character (fuzzing found one).
                let split = val.len().checked_sub(2)?;
                let nth = match val.get(..split)? {
                    "" => 1,
                    n => n.parse::<i8>().ok().filter(|n| (-5..=5).contains(n) && *n != 0)?,
                };
                day = Some((nth, weekday(val.get(split..)?)?));
            }
            _ => {}
        }
    }
    let (nth, wd) = day?;
    (freq.as_deref() == Some("YEARLY")).then_some((month?, nth, wd))
}

/// `YYYYMMDDTHHMMSS` (without a zone).
fn parse_local(v: &str) -> Option<DateTime> {
    let v = v.trim();
    let b = v.as_bytes();
    if b.len() != 15 || b[8] != b'T' || !v[..8].bytes().chain(v[9..].bytes()).all(|c| c.is_ascii_digit()) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| v[r].parse::<i16>().ok();
    let date = Date::new(n(0..4)?, n(4..6)? as i8, n(6..8)? as i8).ok()?;
    let second = (n(13..15)? as i8).min(59); // a leap second 60 is read as 59
    date.to_datetime(jiff::civil::Time::new(n(9..11)? as i8, n(11..13)? as i8, second, 0).ok()?).into()
}

fn parse_date(v: &str) -> Option<Date> {
    let v = v.trim();
    if v.len() != 8 || !v.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| v[r].parse::<i16>().ok();
    Date::new(n(0..4)?, n(4..6)? as i8, n(6..8)? as i8).ok()
}

/// An RFC 5545 duration (`PT1H30M`, `P1D`, `-PT15M`, `P2W`) in seconds.
pub fn parse_duration(v: &str) -> Option<i64> {
    let (sign, rest) = match v.as_bytes().first()? {
        b'-' => (-1, &v[1..]),
        b'+' => (1, &v[1..]),
        _ => (1, v),
    };
    let mut rest = rest.strip_prefix('P')?;
    let mut total: i64 = 0;
    let mut in_time = false;
    let mut any = false;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('T') {
            in_time = true;
            rest = r;
            continue;
        }
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 9 {
            return None;
        }
        let n: i64 = rest[..digits].parse().ok()?;
        let unit = match (rest.as_bytes().get(digits)?, in_time) {
            (b'W', false) => 7 * 86_400,
            (b'D', false) => 86_400,
            (b'H', true) => 3600,
            (b'M', true) => 60,
            (b'S', true) => 1,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(unit)?)?;
        any = true;
        rest = &rest[digits + 1..];
    }
    any.then_some(sign * total)
}

fn bundled() -> &'static TimeZoneDatabase {
    static DB: std::sync::OnceLock<TimeZoneDatabase> = std::sync::OnceLock::new();
    DB.get_or_init(TimeZoneDatabase::bundled)
}

fn posix_offset(secs: i32) -> String {
    // POSIX offsets count hours west of Greenwich: UTC+01:00 is "-01:00:00".
    let w = -secs;
    let (sign, a) = if w < 0 { ('-', -w) } else { ('+', w) };
    format!("{sign}{:02}:{:02}:{:02}", a / 3600, a / 60 % 60, a % 60)
}

fn posix_rule(o: &Observance) -> Option<String> {
    let (month, nth, wd) = o.rule?;
    let week = match nth {
        -1 => 5,
        1..=5 => nth,
        _ => return None,
    };
    let t = o.start?.time();
    Some(format!(",M{month}.{week}.{}/{:02}:{:02}:{:02}", wd.to_sunday_zero_offset(), t.hour(), t.minute(), t.second()))
}

/// A `VTIMEZONE` as a jiff time zone: its latest standard and daylight rules as a POSIX TZ string,
/// or a fixed offset without daylight saving.
fn from_vtimezone(vt: &VTimezone) -> Option<TimeZone> {
    let latest = |daylight: bool| {
        vt.observances.iter().filter(|o| o.daylight == daylight && o.offset_to.is_some()).max_by_key(|o| o.start)
    };
    let std = latest(false).or_else(|| latest(true))?;
    let std_off = std.offset_to?;
    if let Some(dst) = latest(true).filter(|d| !std.daylight && d.rule.is_some()) {
        let rules = posix_rule(dst).zip(posix_rule(std));
        if let (Some(dst_off), Some((start, end))) = (dst.offset_to, rules) {
            let tz = format!("XST{}XDT{}{start}{end}", posix_offset(std_off), posix_offset(dst_off));
            if let Ok(tz) = TimeZone::posix(&tz) {
                return Some(tz);
            }
        }
    }
    Some(TimeZone::fixed(Offset::from_seconds(std_off).ok()?))
}

/// `(UTC+05:30) …` → +05:30.
fn display_offset(tzid: &str) -> Option<Offset> {
    let rest = tzid.strip_prefix("(UTC").or_else(|| tzid.strip_prefix("(GMT"))?;
    if rest.starts_with(')') {
        return Some(Offset::UTC);
    }
    let sign = match rest.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let hm = rest[1..].get(..5)?;
    let (h, m) = hm.split_once(':')?;
    Offset::from_seconds(sign * (h.parse::<i32>().ok()? * 3600 + m.parse::<i32>().ok()? * 60)).ok()
}

/// The time zones of one file: its `VTIMEZONE`s by `TZID` (the first of a name wins), and each
/// `TZID` resolved once, however many events use it (at most [`MAX_TIME_ZONES`] names).
pub(crate) struct Zones<'a> {
    defined: HashMap<&'a str, &'a VTimezone>,
    resolved: RefCell<HashMap<String, Resolved>>,
}

/// A `TZID` resolved: its zone when known, and a warning when approximate or unknown.
type Resolved = (Option<TimeZone>, Option<Warning>);

impl<'a> Zones<'a> {
    pub(crate) fn new(defined: &'a [VTimezone]) -> Self {
        let mut by_tzid = HashMap::new();
        for v in defined {
            by_tzid.entry(v.tzid.as_str()).or_insert(v);
        }
        Self { defined: by_tzid, resolved: RefCell::default() }
    }

    /// Resolves a TZID (see the module docs), with a warning when approximate or unknown.
    pub(crate) fn resolve(&self, tzid: &str) -> Resolved {
        let tzid = tzid.trim().trim_matches('"');
        let unknown = || Some(Warning::UnknownTimeZone { tzid: tzid.chars().take(80).collect() });
        if tzid.len() > 200 {
            return (None, unknown());
        }
        if let Some(r) = self.resolved.borrow().get(tzid) {
            return r.clone();
        }
        let mut resolved = self.resolved.borrow_mut();
        if resolved.len() >= MAX_TIME_ZONES {
            return (None, unknown());
        }
        let r = self.resolve_once(tzid);
        resolved.insert(tzid.to_owned(), r.clone());
        r
    }

    fn resolve_once(&self, tzid: &str) -> Resolved {
        let unknown = || Some(Warning::UnknownTimeZone { tzid: tzid.chars().take(80).collect() });
        let db = bundled();
        if let Ok(tz) = db.get(tzid) {
            return (Some(tz), None);
        }
        // "/mozilla.org/20050126_1/Europe/Oslo": try ever shorter tails of the path.
        if tzid.starts_with('/') {
            let parts: Vec<&str> = tzid.split('/').filter(|p| !p.is_empty()).collect();
            for k in (1..parts.len()).rev() {
                if let Ok(tz) = db.get(&parts[parts.len() - k..].join("/")) {
                    return (Some(tz), None);
                }
            }
        }
        if let Some(tz) = windows_zones::to_iana(tzid).and_then(|n| db.get(n).ok()) {
            return (Some(tz), None);
        }
        if let Some(tz) = self.defined.get(tzid).copied().and_then(from_vtimezone) {
            return (Some(tz), None);
        }
        if let Some(off) = display_offset(tzid) {
            return (Some(TimeZone::fixed(off)), unknown());
        }
        (None, unknown())
    }

    /// Reads a `DTSTART`/`DTEND`-like property.
    pub(crate) fn time(&self, p: &Property, warnings: &mut Vec<Warning>) -> Option<EventTime> {
        let v = p.value.trim();
        if p.param("VALUE").is_some_and(|t| t.eq_ignore_ascii_case("DATE")) || v.len() == 8 {
            return parse_date(v).map(EventTime::Day);
        }
        if let Some(utc) = v.strip_suffix(['Z', 'z']) {
            return TimeZone::UTC.to_timestamp(parse_local(utc)?).ok().map(EventTime::At);
        }
        let local = parse_local(v)?;
        let Some(tzid) = p.param("TZID") else {
            return Some(EventTime::Floating(local));
        };
        let (tz, warning) = self.resolve(tzid);
        warnings.extend(warning);
        match tz {
            Some(tz) => tz.to_timestamp(local).ok().map(EventTime::At),
            None => Some(EventTime::Floating(local)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prop(line: &str) -> Property {
        super::super::ics::content_line(line, 1).unwrap()
    }

    fn at(zones: &Zones<'_>, line: &str) -> (String, Vec<Warning>) {
        let mut w = Vec::new();
        let t = zones.time(&prop(line), &mut w).unwrap();
        (t.timestamp().unwrap().to_string(), w)
    }

    #[test]
    fn iana_windows_and_prefixed_names_give_the_same_instant() {
        let z = Zones::new(&[]);
        for line in [
            "DTSTART;TZID=Europe/Berlin:20260504T100000",
            "DTSTART;TZID=W. Europe Standard Time:20260504T100000",
            "DTSTART;TZID=\"(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna\":20260504T100000",
            "DTSTART;TZID=/mozilla.org/20050126_1/Europe/Berlin:20260504T100000",
            "DTSTART:20260504T080000Z",
        ] {
            assert_eq!(at(&z, line), ("2026-05-04T08:00:00Z".to_owned(), vec![]), "{line}");
        }
        // Winter: no daylight saving.
        assert_eq!(at(&z, "DTSTART;TZID=Romance Standard Time:20260115T100000").0, "2026-01-15T09:00:00Z");
        assert_eq!(at(&z, "DTSTART;TZID=Pacific Standard Time:20260704T090000").0, "2026-07-04T16:00:00Z");
    }

    #[test]
    fn the_files_own_vtimezone_is_used_for_unknown_names() {
        let obs = |daylight, from, to, month, start: &str| Observance {
            daylight,
            start: parse_local(start),
            offset_from: parse_offset(from),
            offset_to: parse_offset(to),
            rule: Some((month, -1, Weekday::Sunday)),
        };
        let vt = VTimezone {
            tzid: "Customized Time Zone".into(),
            observances: vec![
                obs(false, "+0200", "+0100", 10, "16010101T030000"),
                obs(true, "+0100", "+0200", 3, "16010101T020000"),
            ],
        };
        let defined = [vt];
        let z = Zones::new(&defined);
        assert_eq!(at(&z, "DTSTART;TZID=Customized Time Zone:20260504T100000").0, "2026-05-04T08:00:00Z");
        assert_eq!(at(&z, "DTSTART;TZID=Customized Time Zone:20261215T100000").0, "2026-12-15T09:00:00Z");
        // The switch is on the last Sunday of March 2026 (the 29th) at 02:00.
        assert_eq!(at(&z, "DTSTART;TZID=Customized Time Zone:20260329T013000").0, "2026-03-29T00:30:00Z");
        assert_eq!(at(&z, "DTSTART;TZID=Customized Time Zone:20260329T033000").0, "2026-03-29T01:30:00Z");
    }

    #[test]
    fn unknown_zones_floating_times_and_days() {
        let z = Zones::new(&[]);
        let (t, w) = at(&z, "DTSTART;TZID=Mars/Olympus_Mons:20260504T100000");
        assert_eq!(t, "2026-05-04T10:00:00Z");
        assert_eq!(w, vec![Warning::UnknownTimeZone { tzid: "Mars/Olympus_Mons".into() }]);
        let (t, w) = at(&z, "DTSTART;TZID=\"(UTC+05:30) Somewhere new\":20260504T100000");
        assert_eq!((t.as_str(), w.len()), ("2026-05-04T04:30:00Z", 1));
        assert_eq!(at(&z, "DTSTART:20260504T100000").0, "2026-05-04T10:00:00Z");
        let mut w = vec![];
        assert_eq!(
            z.time(&prop("DTSTART;VALUE=DATE:20260504"), &mut w),
            Some(EventTime::Day(jiff::civil::date(2026, 5, 4)))
        );
        for bad in ["DTSTART:2026", "DTSTART:20261340T100000Z", "DTSTART:20260504X100000", "DTSTART:2026050４T100000"]
        {
            assert_eq!(z.time(&prop(bad), &mut w), None, "{bad}");
        }
    }

    #[test]
    fn rules_with_non_ascii_bytes_are_refused_not_panicked_on() {
        // Regression: found by the ics_parse fuzz target (a BYDAY ending in U+FFFD).
        assert_eq!(parse_yearly_rule("FREQ=YEARLY;BYMONTH=3;BYDAY=-1\u{fffd}"), None);
        assert_eq!(parse_yearly_rule("FREQ=YEARLY;BYMONTH=3;BYDAY=é"), None);
        assert_eq!(parse_yearly_rule("FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU"), Some((3, -1, Weekday::Sunday)));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("PT1H30M"), Some(5400));
        assert_eq!(parse_duration("P1DT2H"), Some(93_600));
        assert_eq!(parse_duration("-PT15M"), Some(-900));
        assert_eq!(parse_duration("P2W"), Some(1_209_600));
        for bad in ["", "P", "PT", "1H", "PT1D", "P1H", "PT99999999999H"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }
}
