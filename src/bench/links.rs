//! `trygg bench links`: reading a large invite file (1000 events, 1 MB) — parse, then extract and
//! judge every link — as a calendar export or a mailbox scan would; then each hostile shape
//! (`links::testing::hostile_inputs`) at the 32 MiB input limit, which must each be read in
//! under a second.

use std::time::Instant;

use jiff::Timestamp;
use serde::Serialize;

use super::Machine;
use crate::links::ics_write::{escape_text, line};
use crate::links::{Input, JoinLink, LinkError, LinkForm, LinkSecret, extract, ics};
use crate::media::stats::Percentiles;

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct LinksReport {
    /// Where it ran.
    pub machine: Machine,
    /// Size of the generated file.
    pub ics_bytes: usize,
    /// Events in it.
    pub events: usize,
    /// Measured runs (after warm-up).
    pub runs: usize,
    /// iCalendar parsing alone, ms per file.
    pub parse_ms: Percentiles,
    /// Parsing plus extraction (every link found, classified and checked), ms per file.
    pub parse_and_extract_ms: Percentiles,
    /// Meeting candidates found in the file.
    pub candidates: usize,
    /// The budget for parse + extract of this file, ms.
    pub budget_ms: f64,
    /// Each hostile shape at the input limit: reading it, ms (the slower of two runs).
    pub hostile: Vec<HostileTiming>,
    /// The budget for one hostile input, ms.
    pub hostile_budget_ms: f64,
}

/// One hostile input, read once.
#[derive(Debug, Clone, Serialize)]
pub struct HostileTiming {
    /// Its shape.
    pub shape: &'static str,
    /// Its size.
    pub bytes: usize,
    /// Extraction (parse included), ms.
    pub ms: f64,
    /// Candidates found in it.
    pub candidates: usize,
}

const AGENDA: &str = "Agenda: review of last week's actions, status of the migration, risks and \
                      dependencies, decisions needed, any other business. Please read the notes beforehand.";

fn vendor_lines(i: usize, out: &mut Vec<String>) {
    let desc = |body: &str| format!("DESCRIPTION:{}", escape_text(body));
    match i % 5 {
        0 => {
            let url = format!(
                "https://teams.microsoft.com/l/meetup-join/19%3ameeting_{i:08}NjQ4ZDM1YzYtZTU2%40thread.v2/0?context=%7b%22Tid%22%3a%2272f988bf%22%7d"
            );
            out.push(format!("X-MICROSOFT-SKYPETEAMSMEETINGURL:{url}"));
            out.push("LOCATION:Microsoft Teams Meeting".into());
            out.push(desc(&format!(
                "________________\nMicrosoft Teams meeting\nJoin on your computer or mobile app\nClick here to join the meeting <{url}>\n\
                 Or call in (audio only)\n+47 21 40 12 34,,{:09}#   Norway, Oslo\nPhone Conference ID: {:03} {:03} {:03}#\n",
                i, i % 1000, i % 997, i % 991
            )));
        }
        1 => {
            let id = 85_200_000_000u64 + i as u64;
            out.push(format!("LOCATION:https://us02web.zoom.us/j/{id}?pwd=aBcD{i}"));
            out.push(desc(&format!(
                "Join Zoom Meeting\nhttps://us02web.zoom.us/j/{id}?pwd=aBcD{i}\n\nMeeting ID: {id}\nPasscode: 123456\n\
                 One tap mobile\n+16699006833,,{id}#,,,,*123456# US (San Jose)\nJoin by SIP\n{id}@zoomcrc.com\n"
            )));
        }
        2 => {
            let code = format!("abc-{:04}-xyz", i % 10_000).replace(|c: char| c.is_ascii_digit(), "q");
            out.push(format!("X-GOOGLE-CONFERENCE:https://meet.google.com/{code}"));
            out.push(desc(&format!(
                "Join with Google Meet: https://meet.google.com/{code}\nJoin by phone\n(US) +1 484-123-4567 PIN: {:09}#\n",
                i
            )));
        }
        3 => {
            let mut seed = [0u8; 32];
            seed[..8].copy_from_slice(&(i as u64).to_le_bytes());
            let link = JoinLink::new(LinkForm::Https, "meet.example.org", None, LinkSecret::from_random(seed))
                .expect("a valid host")
                .expose_url();
            out.push(format!("CONFERENCE;VALUE=URI;FEATURE=AUDIO,VIDEO;LABEL=Join with Trygg:{link}"));
            out.push(format!("LOCATION:{link}"));
            out.push(desc(&format!("Join the Trygg meeting:\n{link}\n")));
        }
        _ => {
            out.push(format!("URL:https://acme.webex.com/acme/j.php?MTID=m{i:032x}"));
            out.push(desc(&format!(
                "Join meeting\nhttps://acme.webex.com/acme/j.php?MTID=m{i:032x}\nJoin by video system\nDial 2571234{i:04}@acme.webex.com\n\
                 Access code: 2571 234 {i:04}\n+1-415-655-0001 US Toll\n"
            )));
        }
    }
}

/// A calendar of `events` events of the five vendors, padded to about `target_bytes`.
pub fn generate_ics(events: usize, target_bytes: usize) -> Vec<u8> {
    let mut out = String::with_capacity(target_bytes + 4096);
    for l in ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Trygg//bench//EN", "METHOD:PUBLISH"] {
        line(&mut out, l);
    }
    let header = out.len();
    let per_event = target_bytes.saturating_sub(header + 30) / events.max(1);
    for i in 0..events {
        let start = out.len();
        let mut lines = vec![
            "BEGIN:VEVENT".to_owned(),
            format!("UID:bench-{i}@trygg"),
            "DTSTAMP:20260501T120000Z".into(),
            format!("DTSTART;TZID=W. Europe Standard Time:2026{:02}{:02}T{:02}0000", 1 + i % 12, 1 + i % 28, 8 + i % 9),
            format!("DTEND;TZID=W. Europe Standard Time:2026{:02}{:02}T{:02}3000", 1 + i % 12, 1 + i % 28, 8 + i % 9),
            format!("SUMMARY:Weekly sync #{i}"),
        ];
        vendor_lines(i, &mut lines);
        for l in &lines {
            line(&mut out, l);
        }
        let used = out.len() - start + "END:VEVENT\r\n".len();
        let pad = per_event.saturating_sub(used + "COMMENT:\r\n".len() + per_event / 74 * 3);
        if pad > 0 {
            let text: String = AGENDA.chars().cycle().take(pad).collect();
            line(&mut out, &format!("COMMENT:{text}"));
        }
        line(&mut out, "END:VEVENT");
    }
    line(&mut out, "END:VCALENDAR");
    out.into_bytes()
}

fn ms_since(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

/// Generates the file and measures `runs` parses and extractions after 3 warm-up runs.
pub fn run(runs: usize) -> Result<LinksReport, LinkError> {
    let bytes = generate_ics(1000, 1 << 20);
    let now: Timestamp = "2026-06-01T10:00:00Z".parse().expect("a valid timestamp");
    let mut candidates = 0;
    for _ in 0..3 {
        candidates = extract(Input::Ics(&bytes), Some(now))?.candidates.len();
    }
    let (mut parse, mut full) = (Vec::with_capacity(runs), Vec::with_capacity(runs));
    for _ in 0..runs {
        let t = Instant::now();
        let cal = ics::parse(&bytes)?;
        parse.push(ms_since(t));
        std::hint::black_box(cal);
        let t = Instant::now();
        let x = extract(Input::Ics(&bytes), Some(now))?;
        full.push(ms_since(t));
        std::hint::black_box(x);
    }
    let mut hostile = Vec::new();
    for (shape, text) in crate::links::testing::hostile_inputs(crate::links::extract::MAX_INPUT) {
        let mut worst = 0.0f64;
        let mut found = 0;
        for _ in 0..2 {
            let t = Instant::now();
            let x = if shape.ends_with(".ics") {
                extract(Input::Ics(text.as_bytes()), Some(now))
            } else {
                extract(Input::Text(&text), Some(now))
            };
            worst = worst.max(ms_since(t));
            found = x.map(|x| x.candidates.len()).unwrap_or(0);
        }
        hostile.push(HostileTiming { shape, bytes: text.len(), ms: worst, candidates: found });
    }
    Ok(LinksReport {
        machine: Machine::this(),
        ics_bytes: bytes.len(),
        events: 1000,
        runs,
        parse_ms: Percentiles::of(&parse),
        parse_and_extract_ms: Percentiles::of(&full),
        candidates,
        budget_ms: 50.0,
        hostile,
        hostile_budget_ms: 1000.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generated_file_is_about_1_mb_with_1000_readable_events() {
        let bytes = generate_ics(1000, 1 << 20);
        assert!((1_000_000..1_150_000).contains(&bytes.len()), "{} bytes", bytes.len());
        let x = extract(Input::Ics(&bytes), None).unwrap();
        assert_eq!(x.events.len(), 1000);
        assert!(x.candidates.len() >= 1000, "{}", x.candidates.len());
        assert!(x.warnings.is_empty(), "{:?}", x.warnings);
        assert_eq!(x.candidates[x.preferred.unwrap()].kind, crate::links::Kind::Teams, "event 0 is a Teams meeting");
    }
}
