//! Judging one link found in an input: a meeting candidate (checked by [`super::safety`], after
//! its redirect wrappers are removed), a refusal with its reason, or something "found instead".

use std::collections::HashMap;

use super::candidate::{Candidate, Found, Kind, Source};
use super::join::{JoinLink, is_join_path};
use super::limits::MAX_CANDIDATES_PER_EVENT;
use super::redirects;
use super::safety::{Warning, display_host, inspect, inspect_http, registrable, scheme_of};
use super::text::MAX_LINK_LEN;
use super::vendors;
use super::warnings::Warnings;
use super::{LinkError, SipUri, TelUri};

/// At most this many things are listed as "found instead".
const MAX_FOUND: usize = 20;

/// A link found somewhere, before it is judged.
pub(crate) struct RawLink {
    pub link: String,
    pub source: Source,
    /// The visible text of an HTML link.
    pub shown: Option<String>,
}

/// Candidates with their sort keys (event rank, source, kind rank, order found), warnings and
/// what was found instead, as the links of an input are judged one by one.
#[derive(Default)]
pub(crate) struct Collector {
    pub candidates: Vec<(Candidate, (usize, Source, u8, usize))>,
    pub warnings: Warnings,
    pub found: Vec<Found>,
    seq: usize,
    /// (URL, event) → index in `candidates`, to file each candidate once.
    filed: HashMap<(String, Option<usize>), usize>,
    /// Where the candidates of the event being read start (for [`MAX_CANDIDATES_PER_EVENT`]).
    event_start: usize,
}

impl Collector {
    pub fn found(&mut self, what: &'static str, value: String) {
        let f = Found { what, value };
        if self.found.len() < MAX_FOUND && !self.found.contains(&f) {
            self.found.push(f);
        }
    }

    pub fn warn(&mut self, w: Warning) {
        self.warnings.push(w);
    }

    /// Starts reading the next event (or text): its candidates are counted from here.
    pub fn begin_event(&mut self) {
        self.event_start = self.candidates.len();
    }

    /// Files a candidate, or finds the same one filed before; returns its index. `None` when the
    /// event already has [`MAX_CANDIDATES_PER_EVENT`].
    pub fn push(&mut self, mut c: Candidate, event_rank: usize) -> Option<usize> {
        if let Some(i) = self.filed.get(&(c.url.clone(), c.event)) {
            return Some(*i);
        }
        if self.candidates.len() - self.event_start >= MAX_CANDIDATES_PER_EVENT {
            self.warn(Warning::Truncated { what: "meeting links of an event", limit: MAX_CANDIDATES_PER_EVENT });
            return None;
        }
        c.warnings.dedup();
        self.seq += 1;
        let key = (event_rank, c.source, c.kind.rank(), self.seq);
        self.filed.insert((c.url.clone(), c.event), self.candidates.len());
        self.candidates.push((c, key));
        Some(self.candidates.len() - 1)
    }

    /// Removes the candidates of the current event marked in `drop` (indexed from the event's
    /// start) in one pass, and files the rest under their new indices.
    pub fn remove_from_event(&mut self, drop: &[bool]) {
        if !drop.contains(&true) {
            return;
        }
        let from = self.event_start;
        for (i, _) in drop.iter().enumerate().filter(|(_, d)| **d) {
            let c = &self.candidates[from + i].0;
            self.filed.remove(&(c.url.clone(), c.event));
        }
        // Only the event's own candidates are touched: earlier events' stay where they are.
        let mut event = self.candidates.split_off(from);
        let mut i = 0;
        event.retain(|_| {
            let keep = !drop.get(i).copied().unwrap_or(false);
            i += 1;
            keep
        });
        self.candidates.append(&mut event);
        for (j, (c, _)) in self.candidates.iter().enumerate().skip(from) {
            self.filed.insert((c.url.clone(), c.event), j);
        }
    }

    /// Judges one link and files it as a candidate (returning its index), a refusal or "found
    /// instead".
    pub fn link(&mut self, raw: &RawLink, event: Option<usize>, jitsi: &[String]) -> Option<usize> {
        let mut extra = Vec::new();
        let link = raw.link.trim();
        if link.len() > MAX_LINK_LEN {
            self.warn(Warning::OverlongLink { bytes: link.len() });
            return None;
        }
        let unwrapped = redirects::unwrap(link);
        for w in &unwrapped.wrappers {
            extra.push(Warning::Unwrapped { wrapper: w.clone() });
        }
        let original = (unwrapped.url != link).then(|| link.to_owned());
        let link = unwrapped.url.as_str();
        let scheme = scheme_of(link)?;
        // Parsed once, as a browser would, for every check below.
        let parsed = if scheme == "http" || scheme == "https" { url::Url::parse(link).ok() } else { None };
        let mut c = match scheme.as_str() {
            "trygg" => self.trygg(link, raw.source),
            "https" if parsed.as_ref().is_some_and(|u| is_join_path(u.path())) => self.trygg(link, raw.source),
            "sip" | "sips" => match SipUri::parse(link) {
                Ok(u) => Some(Candidate::new(Kind::Sip, u.to_dial_string(), display_host(&u.host), raw.source)),
                Err(_) => {
                    self.found("refused_link", format!("{scheme}: (not a valid SIP URI)"));
                    None
                }
            },
            "tel" => match TelUri::parse(link) {
                Ok(t) => {
                    let mut c = Candidate::new(Kind::Tel, t.to_uri(), t.number.clone(), raw.source);
                    c.dial_in.push(t.to_dial_in());
                    Some(c)
                }
                Err(_) => {
                    self.found("refused_link", "tel: (not a valid phone number)".into());
                    None
                }
            },
            "zoommtg" | "zoomus" | "msteams" | "jitsi-meet" => match vendors::from_app_link(link) {
                Some(https) => {
                    let inner = RawLink { link: https, source: raw.source, shown: None };
                    let before = self.candidates.len();
                    let filed = self.link(&inner, event, jitsi);
                    if let Some((c, _)) = self.candidates.get_mut(before) {
                        c.original = Some(link.to_owned());
                    }
                    return filed;
                }
                None => {
                    self.found("refused_link", format!("{scheme}: (not a meeting)"));
                    None
                }
            },
            "http" | "https" => match &parsed {
                Some(u) => match vendors::classify(u, jitsi) {
                    Some(m) => {
                        let host = display_host(u.host_str().unwrap_or(""));
                        let mut c = Candidate::new(m.kind, m.url, host, raw.source);
                        c.meeting_id = m.meeting_id;
                        c.sip_gateway = m.sip_gateway;
                        Some(c)
                    }
                    None => {
                        let host = display_host(u.host_str().unwrap_or(""));
                        for w in inspect_http(u).into_iter().chain(mismatch(raw.shown.as_deref(), link)) {
                            self.warn(w);
                        }
                        self.found("web_link", host);
                        None
                    }
                },
                None => None,
            },
            other => {
                self.warn(Warning::UnsafeScheme { scheme: other.to_owned() });
                self.found("refused_link", format!("{other}:"));
                None
            }
        };
        if let Some(c) = c.as_mut() {
            c.original = original;
            c.event = event;
            c.warnings.extend(extra);
            match &parsed {
                Some(u) if c.kind != Kind::Trygg => c.warnings.extend(inspect_http(u)),
                _ => c.warnings.extend(inspect(link)),
            }
            c.warnings.extend(mismatch(raw.shown.as_deref(), link));
        }
        c.and_then(|c| self.push(c, 0))
    }

    fn trygg(&mut self, link: &str, source: Source) -> Option<Candidate> {
        match JoinLink::parse(link) {
            Ok(j) => {
                let mut c = Candidate::new(Kind::Trygg, link.to_owned(), display_host(&j.host()), source);
                c.meeting_id = Some(j.room().to_string());
                c.join = Some(j);
                Some(c)
            }
            Err(e) => {
                let host = url::Url::parse(&link.replacen("trygg://", "https://", 1))
                    .ok()
                    .and_then(|u| u.host_str().map(display_host))
                    .unwrap_or_default();
                self.warn(match e {
                    LinkError::TamperedLink => Warning::TamperedLink { host: host.clone() },
                    _ if !link.contains('#') => Warning::LinkWithoutSecret { host: host.clone() },
                    e => Warning::InvalidTryggLink { host: host.clone(), why: e.to_string() },
                });
                self.found("broken_trygg_link", host);
                None
            }
        }
    }
}

/// A link whose HTML text shows a different site than its target.
fn mismatch(shown: Option<&str>, real: &str) -> Option<Warning> {
    let shown = shown?.trim();
    if shown.contains(char::is_whitespace) || !shown.contains('.') {
        return None;
    }
    let with_scheme = if scheme_of(shown).is_some() { shown.to_owned() } else { format!("https://{shown}") };
    let shown_host = url::Url::parse(&with_scheme).ok()?.host_str()?.to_owned();
    let real_host = url::Url::parse(real).ok()?.host_str()?.to_owned();
    (registrable(&shown_host) != registrable(&real_host))
        .then(|| Warning::LinkTextMismatch { shown: display_host(&shown_host), real: display_host(&real_host) })
}
