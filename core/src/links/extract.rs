//! From an input (one URL, free text, an `.ics` file) to the list of meeting candidates, in the
//! documented order, with the preferred one.
//!
//! Order (first is best): the event chosen by time (the one going on at `now`, else the next one,
//! else the latest; without `now`, the first), then the source in the order of [`Source`]
//! (`CONFERENCE` → `X-GOOGLE-CONFERENCE` → `X-MICROSOFT-SKYPETEAMSMEETINGURL` →
//! `X-MICROSOFT-ONLINEMEETINGCONFLINK` → `URL` → `LOCATION` → `DESCRIPTION` → `X-ALT-DESC`), then
//! the kind (Trygg, then SIP and vendors, then phone numbers), then the position. The preferred
//! candidate is the first one without a blocking warning.

use jiff::Timestamp;
use serde::Serialize;

use std::collections::HashMap;

use super::candidate::{Candidate, Found, Kind, Source};
use super::dial_in_list::DialInList;
use super::html;
use super::ics::{self, Event};
use super::judge::{Collector, RawLink};
use super::limits::{
    MAX_ANCHORS, MAX_CANDIDATES, MAX_DIAL_INS, MAX_ITEMS_OTHER_EVENTS, MAX_JITSI_HINTS, MAX_LINKS_PER_EVENT,
    MAX_REASONS, MAX_TEXTS_PER_EVENT,
};
use super::safety::{Warning, display_host, inspect, scheme_of};
use super::text::{self, TextScan};
use super::vendors;
use super::{DialIn, LinkError, SipUri};

/// Inputs larger than this are refused (a 10 MB line must still be read). Below it, extraction is
/// linear in the input (see [`super::limits`]).
pub const MAX_INPUT: usize = 32 << 20;

/// What to read.
#[derive(Debug, Clone, Copy)]
pub enum Input<'a> {
    /// One link (a deep link, the command line's argument).
    Url(&'a str),
    /// Free text: a pasted e-mail, the clipboard.
    Text(&'a str),
    /// An iCalendar file's bytes.
    Ics(&'a [u8]),
}

/// An event of an invite, as shown to the user.
#[derive(Debug, Clone, Serialize)]
pub struct EventInfo {
    /// Title (for a private agenda: "Trygg meeting").
    pub summary: Option<String>,
    /// Start, UTC.
    pub start: Option<String>,
    /// End, UTC.
    pub end: Option<String>,
    /// Whether the invite cancels it.
    pub cancelled: bool,
    /// Whether it carries a sealed title and agenda (`X-TRYGG-AGENDA`).
    pub private_agenda: bool,
}

/// Everything found in an input.
#[derive(Debug, Clone)]
pub struct Extraction {
    /// Meeting candidates, best first.
    pub candidates: Vec<Candidate>,
    /// Index of the one Trygg would act on.
    pub preferred: Option<usize>,
    /// Warnings about the input itself and about links that are not candidates.
    pub warnings: Vec<Warning>,
    /// What was found that is not a meeting.
    pub found_instead: Vec<Found>,
    /// The events of an invite.
    pub events: Vec<EventInfo>,
    /// The sealed agenda of the preferred candidate's event, if any (`X-TRYGG-AGENDA`).
    pub sealed_agenda: Option<String>,
}

/// Links, numbers and addresses of one event (or one text), gathered before judging, at most
/// [`MAX_LINKS_PER_EVENT`] links from at most [`MAX_TEXTS_PER_EVENT`] texts.
#[derive(Default)]
struct Gathered {
    links: Vec<RawLink>,
    scans: Vec<(Source, TextScan)>,
    /// Caps reached while gathering.
    warnings: Vec<Warning>,
}

impl Gathered {
    fn cut(&mut self, what: &'static str, limit: usize) {
        let w = Warning::Truncated { what, limit };
        if !self.warnings.contains(&w) {
            self.warnings.push(w);
        }
    }

    /// Whether another link may be gathered.
    fn room_for_link(&mut self) -> bool {
        let room = self.links.len() < MAX_LINKS_PER_EVENT;
        if !room {
            self.cut("links of an event", MAX_LINKS_PER_EVENT);
        }
        room
    }

    fn link(&mut self, link: RawLink) {
        if self.room_for_link() {
            self.links.push(link);
        }
    }

    /// Whether another text may be read.
    fn room_for_text(&mut self) -> bool {
        let room = self.scans.len() < MAX_TEXTS_PER_EVENT;
        if !room {
            self.cut("texts of an event", MAX_TEXTS_PER_EVENT);
        }
        room
    }

    fn text(&mut self, source: Source, text: &str) {
        if !self.room_for_text() {
            return;
        }
        let scan = text::scan(text);
        for (_, l) in &scan.links {
            self.link(RawLink { link: l.clone(), source, shown: None });
        }
        self.scans.push((source, scan));
    }

    fn html(&mut self, source: Source, body: &str) {
        if !self.room_for_text() {
            return;
        }
        let h = html::parse(body);
        if h.anchors_cut {
            self.cut("links of an HTML text", MAX_ANCHORS);
        }
        for a in h.anchors {
            self.link(RawLink { link: a.href, source, shown: Some(a.text) });
        }
        self.text(source, &h.outside);
    }

    /// Links, numbers and SIP addresses: what judging this event costs.
    fn items(&self) -> usize {
        self.links.len() + self.scans.iter().map(|(_, s)| s.dial_ins.len() + s.sip_addresses.len()).sum::<usize>()
    }

    /// The hosts the input's own links name as Jitsi servers: the first [`MAX_JITSI_HINTS`]
    /// (real invites name one).
    fn jitsi_hosts(&self) -> Vec<String> {
        let mut hosts = Vec::new();
        for h in self.links.iter().filter_map(|l| vendors::jitsi_hint(&l.link)) {
            if !hosts.contains(&h) {
                hosts.push(h);
                if hosts.len() == MAX_JITSI_HINTS {
                    break;
                }
            }
        }
        hosts
    }
}

fn gather_event(e: &Event) -> Gathered {
    let mut g = Gathered::default();
    let uri_props = [
        ("CONFERENCE", Source::Conference),
        ("X-GOOGLE-CONFERENCE", Source::GoogleConference),
        ("X-MICROSOFT-SKYPETEAMSMEETINGURL", Source::TeamsMeetingUrl),
        ("X-MICROSOFT-ONLINEMEETINGCONFLINK", Source::OnlineMeetingConfLink),
        ("URL", Source::Url),
    ];
    // Each cap is checked before a property's value is copied out: an event can have a million.
    for (name, source) in uri_props {
        for p in e.all(name) {
            if !g.room_for_link() {
                break;
            }
            let v = p.uri();
            let v = v.strip_prefix("conf:").unwrap_or(&v).to_owned();
            g.link(RawLink { link: v, source, shown: None });
        }
    }
    let texts = e.all("LOCATION").chain(e.all("DESCRIPTION")).chain(e.all("X-ALT-DESC"));
    for p in texts {
        if !g.room_for_text() {
            break;
        }
        let t = p.text();
        match p.name.as_str() {
            "LOCATION" => g.text(Source::Location, &t),
            "DESCRIPTION" if html::looks_like_html(&t) => g.html(Source::Description, &t),
            "DESCRIPTION" => g.text(Source::Description, &t),
            _ => g.html(Source::AltDesc, &t),
        }
    }
    g
}

/// For each source, the meeting that numbers and gateways found there belong to: the best
/// meeting that appears in this source (also when it was filed from an earlier one), else the
/// best meeting of the event; with `sip`, not a SIP candidate. Worked out once per event (the
/// candidates it looks at do not change while numbers are attached).
struct Owners {
    by_source: HashMap<Source, [Option<usize>; 2]>,
    best: [Option<usize>; 2],
}

impl Owners {
    fn new(col: &Collector, from: usize, seen: &[(Source, usize)]) -> Self {
        let c = &col.candidates;
        let fits = |i: usize, sip: bool| c[i].0.kind != Kind::Tel && (!sip || c[i].0.kind != Kind::Sip);
        // The first of equal keys wins, as with `min_by_key` (only the same index can tie).
        let better = |new: usize, old: Option<usize>| old.is_none_or(|o| c[new].1 < c[o].1);
        let mut by_source: HashMap<Source, [Option<usize>; 2]> = HashMap::new();
        for &(source, i) in seen.iter().filter(|(_, i)| *i >= from) {
            let slot = by_source.entry(source).or_default();
            for (sip, best) in slot.iter_mut().enumerate() {
                if fits(i, sip == 1) && better(i, *best) {
                    *best = Some(i);
                }
            }
        }
        let best = (from..c.len()).filter(|&i| fits(i, false)).min_by_key(|&i| c[i].1);
        Self { by_source, best: [best, best.filter(|&i| fits(i, true))] }
    }

    fn of(&self, source: Source, sip: bool) -> Option<usize> {
        let sip = usize::from(sip);
        self.by_source.get(&source).and_then(|s| s[sip]).or(self.best[sip])
    }
}

/// The dial-in lists of the meetings numbers are attached to, taken out of their candidates
/// while numbers are merged into them (each indexed once), put back by [`Self::put_back`].
#[derive(Default)]
struct DialInLists(HashMap<usize, DialInList>);

impl DialInLists {
    fn merge(&mut self, col: &mut Collector, owner: usize, d: DialIn) {
        self.0
            .entry(owner)
            .or_insert_with(|| DialInList::new(std::mem::take(&mut col.candidates[owner].0.dial_in)))
            .merge(d);
    }

    fn put_back(self, col: &mut Collector) {
        for (i, list) in self.0 {
            if list.full {
                col.warn(Warning::Truncated { what: "dial-in numbers of a meeting", limit: MAX_DIAL_INS });
            }
            col.candidates[i].0.dial_in = list.into_vec();
        }
    }
}

/// Adds the numbers, SIP gateways and the VTC id found in the texts to the event's meetings:
/// each goes to the best meeting found in the same place (a `tel:` in `CONFERENCE` belongs to the
/// `CONFERENCE` meeting), else to the best meeting of the event. Explicit `tel:` links whose
/// number went to a meeting are not listed again on their own. Numbers and gateways without a
/// meeting become candidates of their own, numbers only when a PIN says they reach a conference
/// (a bare number in an e-mail is a support line, not a meeting).
fn attach(col: &mut Collector, from: usize, g: &Gathered, seen: &[(Source, usize)], event: Option<usize>) {
    let owners = Owners::new(col, from, seen);
    let mut lists = DialInLists::default();
    // Explicit tel: links.
    let mut merged_tels = vec![false; col.candidates.len() - from];
    for t in from..col.candidates.len() {
        if col.candidates[t].0.kind != Kind::Tel {
            continue;
        }
        if let Some(o) = owners.of(col.candidates[t].0.source, false) {
            for d in col.candidates[t].0.dial_in.clone() {
                lists.merge(col, o, d);
            }
            merged_tels[t - from] = true;
        }
    }
    // Numbers in text.
    for (source, scan) in &g.scans {
        for d in &scan.dial_ins {
            match owners.of(*source, false) {
                Some(o) => lists.merge(col, o, d.clone()),
                None if d.dtmf.is_some() => {
                    let url = format!("tel:{}{}", d.number, d.dtmf.as_deref().unwrap_or("").replace('#', "%23"));
                    let mut c = Candidate::new(Kind::Tel, url, d.number.clone(), *source);
                    c.event = event;
                    c.dial_in.push(d.clone());
                    col.push(c, 0);
                }
                None => col.found("phone_number", d.number.clone()),
            }
        }
    }
    lists.put_back(col);
    // SIP gateways of room systems.
    let webex_meeting = |a: &str| {
        a.split_once('@').is_some_and(|(user, host)| {
            host.ends_with(".webex.com") && host != "m.webex.com" && user.bytes().all(|b| b.is_ascii_digit())
        })
    };
    for (source, scan) in &g.scans {
        for a in &scan.sip_addresses {
            let vtc = scan.video_conference_id.clone();
            // A Webex meeting's video address (<number>@<site>.webex.com) only belongs to a Webex
            // meeting; Teams' CVI gateways (…@m.webex.com) belong to Teams.
            let o = owners
                .of(*source, true)
                .filter(|&o| col.candidates[o].0.kind == Kind::Webex || !webex_meeting(&a.address));
            match o {
                // The invite's own address beats one derived from the link.
                Some(o) if col.candidates[o].0.sip_gateway.as_deref() != Some(a.address.as_str()) || vtc.is_some() => {
                    let c = &mut col.candidates[o].0;
                    c.sip_gateway = Some(a.address.clone());
                    c.video_conference_id = vtc.or(c.video_conference_id.take());
                }
                Some(_) => {}
                None => {
                    let link = format!("sip:{}", a.address);
                    if let Ok(u) = SipUri::parse(&link) {
                        let mut c = Candidate::new(Kind::Sip, u.to_dial_string(), display_host(&u.host), *source);
                        c.event = event;
                        c.warnings = inspect(&link);
                        c.video_conference_id = vtc;
                        col.push(c, 0);
                    }
                }
            }
        }
    }
    col.remove_from_event(&merged_tels);
    for (_, scan) in &g.scans {
        for e in &scan.emails {
            col.found("email_address", e.clone());
        }
        for n in &scan.overlong {
            col.warn(Warning::OverlongLink { bytes: *n });
        }
        for w in &scan.warnings {
            col.warn(w.clone());
        }
    }
    for w in &g.warnings {
        col.warn(w.clone());
    }
}

fn process(col: &mut Collector, g: &Gathered, event: Option<usize>) {
    col.begin_event();
    let from = col.candidates.len();
    let jitsi = g.jitsi_hosts();
    let seen: Vec<(Source, usize)> =
        g.links.iter().filter_map(|l| col.link(l, event, &jitsi).map(|i| (l.source, i))).collect();
    attach(col, from, g, &seen, event);
}

/// Which event the user most likely means at `now`: going on, else next, else latest.
fn choose_event(events: &[Event], now: Option<Timestamp>) -> usize {
    let Some(now) = now else { return 0 };
    let timed: Vec<(usize, Timestamp, Timestamp)> = events
        .iter()
        .enumerate()
        .filter(|(_, e)| !e.is_cancelled())
        .filter_map(|(i, e)| {
            let s = e.start.as_ref()?.timestamp()?;
            let end = e
                .end
                .as_ref()
                .and_then(|t| t.timestamp())
                .filter(|t| *t > s)
                .unwrap_or(s + jiff::SignedDuration::from_hours(1));
            Some((i, s, end))
        })
        .collect();
    let ongoing = timed.iter().filter(|(_, s, e)| *s <= now && now < *e).max_by_key(|(_, s, _)| *s);
    let next = timed.iter().filter(|(_, s, _)| *s > now).min_by_key(|(_, s, _)| *s);
    let latest = timed.iter().max_by_key(|(_, s, _)| *s);
    ongoing.or(next).or(latest).map_or(0, |(i, _, _)| *i)
}

fn event_info(e: &Event) -> EventInfo {
    let ts = |t: &Option<super::ics_time::EventTime>| t.as_ref().and_then(|t| t.timestamp()).map(|t| t.to_string());
    EventInfo {
        summary: e.summary(),
        start: ts(&e.start),
        end: ts(&e.end),
        cancelled: e.is_cancelled(),
        private_agenda: e.prop("X-TRYGG-AGENDA").is_some(),
    }
}

/// Sorts the candidates, keeps the best [`MAX_CANDIDATES`], and picks the preferred one.
/// `events` are the invite's (none for a text), for the sealed agenda.
fn finish(mut col: Collector, infos: Vec<EventInfo>, events: &[Event]) -> Extraction {
    col.candidates.sort_by_key(|(_, k)| *k);
    if col.candidates.len() > MAX_CANDIDATES {
        col.candidates.truncate(MAX_CANDIDATES);
        col.warn(Warning::Truncated { what: "meeting links", limit: MAX_CANDIDATES });
    }
    let candidates: Vec<Candidate> = col.candidates.into_iter().map(|(c, _)| c).collect();
    let preferred = candidates.iter().position(Candidate::is_safe);
    if preferred.is_some() {
        // Shorteners next to a real meeting link are the vendors' own help links (aka.ms in
        // every Teams invite): not worth a warning. Without a meeting they may hide one.
        col.warnings.forget("shortener_or_redirect");
    }
    let sealed_agenda = preferred
        .filter(|&p| candidates[p].kind == Kind::Trygg)
        .and_then(|p| candidates[p].event)
        .and_then(|e| events.get(e)?.prop("X-TRYGG-AGENDA"))
        .map(|p| p.value.trim().to_owned());
    Extraction {
        candidates,
        preferred,
        warnings: col.warnings.into_vec(),
        found_instead: col.found,
        events: infos,
        sealed_agenda,
    }
}

/// Reads an input and returns every meeting candidate, the preferred one first among equals.
///
/// `now` picks the event of a multi-event invite (see the module docs); the core never reads the
/// clock itself.
pub fn extract(input: Input<'_>, now: Option<Timestamp>) -> Result<Extraction, LinkError> {
    let size = match input {
        Input::Url(s) | Input::Text(s) => s.len(),
        Input::Ics(b) => b.len(),
    };
    if size > MAX_INPUT {
        return Err(LinkError::TooLarge { size, limit: MAX_INPUT });
    }
    let mut col = Collector::default();
    match input {
        Input::Url(s) if scheme_of(s.trim()).is_some() && !s.trim().contains(char::is_whitespace) => {
            let g = Gathered {
                links: vec![RawLink { link: s.trim().to_owned(), source: Source::Input, shown: None }],
                ..Gathered::default()
            };
            process(&mut col, &g, None);
            Ok(finish(col, vec![], &[]))
        }
        Input::Url(s) | Input::Text(s) => {
            let mut g = Gathered::default();
            if html::looks_like_html(s) {
                g.html(Source::Text, s)
            } else {
                g.text(Source::Text, s)
            }
            process(&mut col, &g, None);
            Ok(finish(col, vec![], &[]))
        }
        Input::Ics(bytes) => {
            let cal = ics::parse(bytes)?;
            for w in &cal.warnings {
                col.warn(w.clone());
            }
            if cal.method.as_deref() == Some("CANCEL") || cal.events.iter().any(Event::is_cancelled) {
                col.warn(Warning::Cancelled);
            }
            let chosen = choose_event(&cal.events, now);
            // The chosen event is always read; the others in file order while the budget lasts.
            let mut spent = 0;
            for (i, e) in cal.events.iter().enumerate() {
                if i != chosen && spent >= MAX_ITEMS_OTHER_EVENTS {
                    col.warn(Warning::Truncated {
                        what: "links and numbers of the other events",
                        limit: MAX_ITEMS_OTHER_EVENTS,
                    });
                    continue;
                }
                let g = gather_event(e);
                if i != chosen {
                    spent += g.items();
                }
                let from = col.candidates.len();
                process(&mut col, &g, Some(i));
                let rank = if i == chosen { 0 } else { i + 1 };
                for (_, key) in &mut col.candidates[from..] {
                    key.0 = rank;
                }
            }
            let infos = cal.events.iter().map(event_info).collect();
            Ok(finish(col, infos, &cal.events))
        }
    }
}

/// The hosts and schemes found instead of a meeting, as a sentence for [`LinkError::NoMeetingFound`].
pub fn found_instead_sentence(found: &[Found], warnings: &[Warning]) -> String {
    if found.is_empty() {
        return "the input has no links, phone numbers or SIP addresses".to_owned();
    }
    let group = |what: &str, one: &str, many: &str| {
        let v: Vec<String> = found
            .iter()
            .filter(|f| f.what == what)
            .map(|f| {
                let why = warnings.iter().find_map(|w| match w {
                    Warning::LookalikeDomain { host, looks_like } if *host == f.value => {
                        Some(format!(" — imitates {looks_like}"))
                    }
                    _ => None,
                });
                format!("{}{}", f.value, why.unwrap_or_default())
            })
            .collect();
        match v.len() {
            0 => None,
            1 => Some(format!("1 {one} ({})", v[0])),
            n => Some(format!("{n} {many} ({})", v.join(", "))),
        }
    };
    let parts: Vec<String> = [
        group("web_link", "web link", "web links"),
        group("refused_link", "refused link", "refused links"),
        group("broken_trygg_link", "broken Trygg link", "broken Trygg links"),
        group("phone_number", "phone number without a conference PIN", "phone numbers without a conference PIN"),
        group("email_address", "e-mail address", "e-mail addresses"),
    ]
    .into_iter()
    .flatten()
    .collect();
    format!("found instead: {}", parts.join("; "))
}

impl Extraction {
    /// The error to report when there is nothing to act on.
    pub fn no_action_error(&self) -> Option<LinkError> {
        if self.preferred.is_some() {
            return None;
        }
        if self.candidates.is_empty() {
            return Some(LinkError::NoMeetingFound {
                found: found_instead_sentence(&self.found_instead, &self.warnings),
            });
        }
        // The first few reasons: a hostile input can have thousands, and this is shown and logged.
        let (mut why, mut more) = (Vec::new(), 0);
        for c in &self.candidates {
            for w in c.warnings.iter().filter(|w| w.blocks()) {
                if why.len() < MAX_REASONS {
                    why.push(format!("{} link: {w}", c.kind.label()));
                } else {
                    more += 1;
                }
            }
        }
        if more > 0 {
            why.push(format!("and {more} more"));
        }
        Some(LinkError::OnlyUnsafeLinks { why: why.join("; ") })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(input: Input<'_>) -> Extraction {
        extract(input, None).unwrap()
    }

    #[test]
    fn a_url_input_gives_one_candidate() {
        let x = one(Input::Url("https://us02web.zoom.us/j/85298765432?pwd=abc"));
        assert_eq!(x.candidates.len(), 1);
        let c = &x.candidates[0];
        assert_eq!(
            (c.kind, c.source, c.sip_gateway.as_deref()),
            (Kind::Zoom, Source::Input, Some("85298765432@zoomcrc.com"))
        );
        assert_eq!(x.preferred, Some(0));
    }

    #[test]
    fn app_schemes_are_read_but_https_is_what_is_acted_on() {
        let x = one(Input::Url("zoommtg://zoom.us/join?action=join&confno=85298765432&pwd=abc"));
        let c = &x.candidates[0];
        assert_eq!(c.url, "https://zoom.us/j/85298765432?pwd=abc");
        assert_eq!(c.original.as_deref(), Some("zoommtg://zoom.us/join?action=join&confno=85298765432&pwd=abc"));
        assert!(c.is_safe());
    }

    #[test]
    fn unsafe_links_are_never_preferred() {
        let x = one(Input::Text("Join: http://zoom.us/j/85298765432 or javascript:alert(1)"));
        assert_eq!(x.candidates.len(), 1);
        assert!(!x.candidates[0].is_safe());
        assert_eq!(x.preferred, None);
        assert!(x.warnings.contains(&Warning::UnsafeScheme { scheme: "javascript".into() }));
        assert_eq!(x.no_action_error().unwrap().code(), "links.only_unsafe_links");
    }

    #[test]
    fn text_without_a_meeting_says_what_it_found() {
        let x = one(Input::Text(
            "Lunch? See https://example.com/menu and https://zoorn.us/j/85298765432, ask bob@example.com",
        ));
        let e = x.no_action_error().unwrap();
        assert_eq!(e.code(), "links.no_meeting_found");
        let msg = e.to_string();
        assert!(msg.contains("2 web links (example.com, zoorn.us — imitates zoom.us)"), "{msg}");
        assert!(msg.contains("1 e-mail address (bob@example.com)"), "{msg}");
        let nothing = one(Input::Text("nothing here")).no_action_error().unwrap();
        assert!(nothing.to_string().contains("no links"), "{nothing}");
    }

    #[test]
    fn html_links_whose_text_lies_are_refused() {
        let x =
            one(Input::Text("<p>Join: <a href=\"https://acme.zoom.us.evil.example/j/1\">https://zoom.us/j/1</a></p>"));
        assert!(x.preferred.is_none());
        assert!(x.warnings.iter().any(|w| matches!(w, Warning::LinkTextMismatch { .. })), "{:?}", x.warnings);
        let x = one(Input::Text("<a href=\"https://zoom.us/j/123456789\">meet.google.com/abc-defg-hij</a>"));
        assert!(x.candidates[0].warnings.iter().any(|w| matches!(w, Warning::LinkTextMismatch { .. })));
        assert_eq!(x.preferred, None);
    }

    #[test]
    fn phone_numbers_alone_become_tel_candidates_only_with_a_pin() {
        let x = one(Input::Text("Questions? Call our support on +47 22 33 44 55."));
        assert!(x.candidates.is_empty());
        let e = x.no_action_error().unwrap().to_string();
        assert!(e.contains("1 phone number without a conference PIN (+4722334455)"), "{e}");
        let x = one(Input::Text("Dial +47 21 40 12 34 and enter PIN: 1234 5678#"));
        assert_eq!(x.candidates.len(), 1);
        let c = &x.candidates[0];
        assert_eq!(c.kind, Kind::Tel);
        assert_eq!(c.dial_in[0].pin.as_deref(), Some("12345678"));
    }

    #[test]
    fn oversized_input_is_refused() {
        let big = vec![b'a'; MAX_INPUT + 1];
        assert_eq!(extract(Input::Ics(&big), None).unwrap_err().code(), "links.too_large");
    }
}
