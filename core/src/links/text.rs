//! Free text (a pasted e-mail, the clipboard, an invite's description): links, phone numbers with
//! their PINs, and SIP addresses of room-system gateways.
//!
//! * **Links**: anything that starts with a scheme Trygg knows about (`https:`, `trygg:`, `sip:`,
//!   `tel:`, the vendors' app schemes, and the dangerous ones, so they can be reported:
//!   `javascript:`, `data:`, `file:`, ...), up to white space, quotes or angle brackets, without
//!   trailing punctuation or unbalanced closing brackets. Also vendor links written without
//!   `https://` (`meet.google.com/abc-defg-hij`). Links longer than 8 KiB are skipped.
//! * **Phone numbers**: international numbers (`+` and 7 to 15 digits, with spaces, dashes, dots or
//!   brackets), with a one-tap DTMF suffix (`,,123456#`) if present; a PIN on the same line
//!   ("PIN: 123 456 789#") or elsewhere in the text ("Phone Conference ID: …", "Access code: …",
//!   "Meeting ID: …") is attached to numbers that have no suffix. The rest of the line is the
//!   number's label ("United States, Seattle").
//! * **SIP gateways**: `<number>@<site>.webex.com` (Webex video addresses), `<id>@zoomcrc.com`,
//!   and any `user@host` on a line that speaks of SIP or video systems, with the Teams "Video
//!   Conference ID" when one is given.
//!
//! Every scan is linear in the input (a 10 MB line is fine), and work per hit is bounded: the run
//! of characters around a vendor host is measured once for all the hosts in it, PIN keywords are
//! found once per line (not again for every number on it), and duplicates are found through
//! indexes. A text is read up to its 10 000th link, and the numbers and addresses read and kept
//! are capped ([`super::limits`]; [`TextScan::warnings`] says when).

use std::collections::HashSet;

use super::dial_in_list::DialInList;
use super::limits::{
    MAX_ADDRESSES_PER_TEXT, MAX_DIAL_INS, MAX_EMAILS, MAX_LINKS_PER_TEXT, MAX_NUMBERS_PER_TEXT, MAX_SIP_ADDRESSES,
};
use super::safety::Warning;
use super::tel_uri::DialIn;

/// Links longer than this are skipped (Teams links with SafeLinks wrappers are under 2 KiB).
pub const MAX_LINK_LEN: usize = 8 * 1024;

const SCHEMES: [&str; 16] = [
    "https",
    "http",
    "trygg",
    "sips",
    "sip",
    "tel",
    "zoommtg",
    "zoomus",
    "msteams",
    "jitsi-meet",
    "javascript",
    "vbscript",
    "data",
    "file",
    "ftp",
    "blob",
];

const BARE_VENDOR_HOSTS: [&str; 6] =
    ["meet.google.com/", "zoom.us/", "teams.microsoft.com/", "meet.jit.si/", "whereby.com/", ".webex.com/"];

/// Keywords that introduce the digits to type after dialling, most specific first: when a text
/// has several ("Meeting ID" and "Phone Conference ID" in a Teams invite), the first one in this
/// list wins.
const PIN_KEYWORDS: [&str; 10] = [
    "phone conference id",
    "conference id",
    "access code",
    "participant code",
    "pin",
    "meeting number",
    "meeting id",
    "webinar id",
    "numeric passcode",
    "passcode",
];

const SIP_CONTEXT: [&str; 8] =
    ["sip", "video system", "video conferencing", "vtc", "room system", "h.323", "video device", "join by video"];

/// A SIP address found in text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipAddress {
    /// `user@host`.
    pub address: String,
    /// Byte offset in the text.
    pub at: usize,
}

/// What a text holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextScan {
    /// Links in the order they appear, with their byte offsets.
    pub links: Vec<(usize, String)>,
    /// Phone numbers, each with its PIN and DTMF when known.
    pub dial_ins: Vec<DialIn>,
    /// SIP addresses of gateways and room systems.
    pub sip_addresses: Vec<SipAddress>,
    /// The Teams "Video Conference ID" for SIP gateways, if given.
    pub video_conference_id: Option<String>,
    /// E-mail addresses (reported as "found instead" when there is no meeting).
    pub emails: Vec<String>,
    /// Lengths of links that were too long to read.
    pub overlong: Vec<usize>,
    /// What was left out because a cap of [`super::limits`] was reached (each cap once).
    pub warnings: Vec<Warning>,
}

impl TextScan {
    fn cut(&mut self, what: &'static str, limit: usize) {
        let w = Warning::Truncated { what, limit };
        if !self.warnings.contains(&w) {
            self.warnings.push(w);
        }
    }
}

fn is_scheme_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'-' || b == b'.'
}

/// Characters that end a link in running text.
fn ends_link(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(c, '<' | '>' | '"' | '\'' | '`' | '{' | '}' | '|' | '\\' | '^')
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

/// [`ends_link`] for each ASCII byte (white space, controls and the listed punctuation).
const ENDS_LINK_ASCII: [bool; 128] = {
    let mut t = [false; 128];
    let mut i = 0;
    while i < 128 {
        t[i] = i <= 0x20
            || i == 0x7f
            || matches!(i as u8, b'<' | b'>' | b'"' | b'\'' | b'`' | b'{' | b'}' | b'|' | b'\\' | b'^');
        i += 1;
    }
    t
};

/// The first character that ends a link in `text[start..]`, among those that start at most `max`
/// bytes in: byte by byte through ASCII (nearly all of a link), decoding only other characters.
fn link_stop(text: &str, start: usize, max: usize) -> Option<usize> {
    let b = text.as_bytes();
    let mut i = start;
    while i < b.len() && i - start <= max {
        if b[i].is_ascii() {
            if ENDS_LINK_ASCII[usize::from(b[i])] {
                return Some(i);
            }
            i += 1;
        } else {
            let c = text[i..].chars().next()?;
            if ends_link(c) {
                return Some(i);
            }
            i += c.len_utf8();
        }
    }
    None
}

/// Where the run of link characters from `start` stops: the first character that ends a link, or
/// the end of the text.
fn run_end(text: &str, start: usize) -> usize {
    link_stop(text, start, usize::MAX).unwrap_or(text.len())
}

/// [`run_end`], looking no further than [`MAX_LINK_LEN`] bytes ahead: `None` when the run is
/// longer (an overlong link), so that a link costs at most what Trygg would read of it.
fn short_run_end(text: &str, start: usize) -> Option<usize> {
    link_stop(text, start, MAX_LINK_LEN).or_else(|| (text.len() - start <= MAX_LINK_LEN).then_some(text.len()))
}

/// The end of the link in `text[start..end]` without trailing punctuation and unbalanced
/// closing brackets.
fn trim_link(text: &str, start: usize, mut end: usize) -> usize {
    let s = &text[start..end];
    let count = |c: char| s.matches(c).count();
    let (mut open_p, mut close_p, mut open_b, mut close_b) = (count('('), count(')'), count('['), count(']'));
    while let Some(last) = text[start..end].chars().last() {
        let drop = match last {
            '.' | ',' | ';' | ':' | '!' | '?' | '*' => true,
            ')' if open_p < close_p => {
                close_p -= 1;
                true
            }
            ']' if open_b < close_b => {
                close_b -= 1;
                true
            }
            '(' => {
                open_p -= 1;
                true
            }
            '[' => {
                open_b -= 1;
                true
            }
            _ => false,
        };
        if !drop {
            break;
        }
        end -= last.len_utf8();
    }
    end
}

fn overlaps(ranges: &[(usize, usize)], at: usize) -> bool {
    let i = ranges.partition_point(|(_, e)| *e <= at);
    ranges.get(i).is_some_and(|(s, _)| *s <= at)
}

/// Finds the links of a text, in order, with their byte ranges; returns the ranges and how far
/// the text was read (less than all of it when it has more than [`MAX_LINKS_PER_TEXT`] links).
fn scan_links(text: &str, scan: &mut TextScan) -> (Vec<(usize, usize)>, usize) {
    let b = text.as_bytes();
    let mut ranges = Vec::new();
    let mut read = text.len();
    let mut cursor = 0;
    while let Some(p) = text[cursor..].find(':').map(|p| p + cursor) {
        let mut s = p;
        while s > cursor && p - s < 16 && is_scheme_char(b[s - 1]) {
            s -= 1;
        }
        let run = &text[s..p];
        let scheme = SCHEMES.iter().find(|sc| {
            run.len() >= sc.len()
                && run[run.len() - sc.len()..].eq_ignore_ascii_case(sc)
                && (run.len() == sc.len() || !b[p - sc.len() - 1].is_ascii_alphanumeric())
        });
        let start = match scheme {
            Some(sc) if s == 0 || !b[s - 1].is_ascii_alphanumeric() || run.len() > sc.len() => p - sc.len(),
            _ => {
                cursor = p + 1;
                continue;
            }
        };
        let end = match short_run_end(text, start) {
            Some(raw) => {
                let end = trim_link(text, start, raw);
                if end > p + 1 {
                    if scan.links.len() == MAX_LINKS_PER_TEXT {
                        read = start;
                        break;
                    }
                    scan.links.push((start, text[start..end].to_owned()));
                    ranges.push((start, end));
                }
                end
            }
            None => {
                // Measured in full once, to report it and jump past it.
                let raw = run_end(text, start);
                scan.overlong.push(raw - start);
                raw
            }
        };
        cursor = end.max(p + 1);
    }
    let mut bare = Vec::new();
    for host in BARE_VENDOR_HOSTS {
        // One pass per host: matches inside the host's last link are skipped (they would overlap
        // it), and the run of link characters around a match is measured once for all the
        // matches in it (a hostile line of `zoom.us/x,zoom.us/x,…` is one run).
        let (mut done, mut run, mut kept) = (0, (0, 0), 0);
        for (i, _) in text[..read].match_indices(host) {
            if i < done {
                continue;
            }
            let mut s = i;
            while s > 0 && (b[s - 1].is_ascii_alphanumeric() || b[s - 1] == b'.' || b[s - 1] == b'-') && i - s < 64 {
                s -= 1;
            }
            let boundary = s == 0 || !matches!(b[s - 1], b'/' | b'@' | b':' | b'%' | b'=' | b'&' | b'?' | b'#');
            if !boundary || s == i && host.starts_with('.') || overlaps(&ranges, i) {
                continue;
            }
            if !(run.0 <= s && s < run.1) {
                run = (s, run_end(text, s));
            }
            if run.1 - s > MAX_LINK_LEN {
                continue;
            }
            let end = trim_link(text, s, run.1);
            if end > i + host.len() {
                if kept == MAX_LINKS_PER_TEXT {
                    read = read.min(s);
                    break;
                }
                kept += 1;
                bare.push((s, end));
                done = end;
            }
        }
    }
    // Scheme links and bare links do not overlap; bare links are taken in order, each unless it
    // starts inside one taken before (the one with the largest end so far: they do not overlap).
    bare.sort_unstable();
    let mut bare_end = 0;
    let mut taken = Vec::new();
    for (s, e) in bare {
        if s >= read {
            break;
        }
        if s >= bare_end && !overlaps(&ranges, s) {
            scan.links.push((s, format!("https://{}", &text[s..e])));
            taken.push((s, e));
            bare_end = e;
        }
    }
    ranges.extend(taken);
    scan.links.sort_by_key(|(at, _)| *at);
    ranges.sort_unstable();
    let keep = scan.links.partition_point(|(at, _)| *at < read).min(MAX_LINKS_PER_TEXT);
    if let Some((at, _)) = scan.links.get(keep) {
        read = read.min(*at);
    }
    scan.links.truncate(keep);
    ranges.truncate(keep);
    (ranges, read)
}

/// Digits after a keyword on a line: `Conference ID: 123 456 789#` → `123456789`.
fn digits_after(line: &str, from: usize) -> Option<String> {
    let rest = &line[from..];
    let rest = rest.trim_start_matches(|c: char| c == ':' || c == '#' || c.is_whitespace() || is_invisible(c));
    let mut digits = String::new();
    for c in rest.chars().take(40) {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '\u{a0}' | '-' => {}
            c if is_invisible(c) => {}
            _ => break,
        }
    }
    (digits.len() >= 4 && digits.len() <= 20).then_some(digits)
}

fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

/// The PIN-like keywords of a line that have digits after them, found once per line (not again
/// for every number on it): for each keyword of [`PIN_KEYWORDS`] (by rank), where it starts and
/// its digits, in line order.
#[derive(Default)]
struct PinHits([Vec<(usize, String)>; PIN_KEYWORDS.len()]);

impl PinHits {
    /// The hits of a line, given also lowercased. A keyword counts as a whole word only, so only
    /// the starts of words are tried: one pass over the line.
    fn of(lower: &str, line: &str) -> Self {
        let lb = lower.as_bytes();
        let mut hits = Self::default();
        for i in 0..lb.len() {
            let word_start = lb[i].is_ascii_alphabetic() && (i == 0 || !lb[i - 1].is_ascii_alphabetic());
            if !word_start || !PIN_KEYWORDS.iter().any(|k| k.as_bytes()[0] == lb[i]) {
                continue;
            }
            for (rank, k) in PIN_KEYWORDS.iter().enumerate() {
                let after = i + k.len();
                if lb[i] == k.as_bytes()[0]
                    && lb[i..].starts_with(k.as_bytes())
                    && lb.get(after).is_none_or(|b| !b.is_ascii_alphabetic())
                    && let Some(d) = digits_after(line, after)
                {
                    hits.0[rank].push((i, d));
                }
            }
        }
        hits
    }

    /// The most specific keyword at or after `from` with its digits, and its rank.
    fn first_from(&self, from: usize) -> Option<(usize, &str)> {
        self.0.iter().enumerate().find_map(|(rank, hits)| {
            let k = hits.partition_point(|(i, _)| *i < from);
            hits.get(k).map(|(_, d)| (rank, d.as_str()))
        })
    }
}

/// The first occurrence of an ASCII `needle` in a short `hay` (a line): `str::find` sets up a
/// searcher for every call, which costs more than the search on most lines.
fn find_short(hay: &str, needle: &str) -> Option<usize> {
    let (b, n) = (hay.as_bytes(), needle.as_bytes());
    let mut from = 0;
    while let Some(i) = hay[from..].find(char::from(n[0])).map(|i| i + from) {
        if b[i..].starts_with(n) {
            return Some(i);
        }
        from = i + 1;
    }
    None
}

/// A phone number at `line[i] == '+'`: (number, dtmf, end).
fn phone_at(line: &str, i: usize) -> Option<(String, Option<String>, usize)> {
    let mut digits = 0;
    let mut end = i + 1; // just after the last digit
    for (k, c) in line[i + 1..].char_indices().take(40) {
        match c {
            '0'..='9' => {
                digits += 1;
                end = i + 1 + k + 1;
            }
            ' ' | '-' | '.' | '(' | ')' | '\u{a0}' => {}
            c if is_invisible(c) => {}
            _ => break,
        }
    }
    if !(7..=15).contains(&digits) {
        return None; // most '+' in a hostile text: no allocation for them
    }
    let number: String = std::iter::once('+').chain(line[i + 1..end].chars().filter(char::is_ascii_digit)).collect();
    // A one-tap suffix directly after the number: ",,123456#", ";123#", "p123".
    let rest = &line[end..];
    let suffix_len = rest
        .char_indices()
        .take(64)
        .take_while(|(_, c)| c.is_ascii_digit() || matches!(c, ',' | ';' | '#' | '*' | 'p' | 'w'))
        .last()
        .map_or(0, |(k, c)| k + c.len_utf8());
    let suffix = &rest[..suffix_len];
    if suffix.starts_with([',', ';', 'p', 'w']) && suffix.chars().any(|c| c.is_ascii_digit()) {
        Some((number, Some(suffix.trim_end_matches([',', ';']).to_owned()), end + suffix_len))
    } else {
        Some((number, None, end))
    }
}

/// A short label from the text around a number on its line.
fn label_for(line: &str, start: usize, end: usize) -> Option<String> {
    let clean = |s: &str| {
        let s: String = s.chars().filter(|c| !is_invisible(*c)).collect();
        let s = s.trim_matches(|c: char| c.is_whitespace() || matches!(c, '-' | '–' | '|' | ':' | ',' | '.' | '•'));
        (!s.is_empty()).then(|| s.chars().take(60).collect::<String>())
    };
    let after: String = line[end..].chars().take(80).collect();
    let lower = after.to_ascii_lowercase();
    let cut = PIN_KEYWORDS.iter().filter_map(|k| lower.find(k)).min().unwrap_or(after.len());
    let before_start = line[..start].char_indices().rev().take(40).last().map_or(start, |(i, _)| i);
    clean(&after[..cut]).or_else(|| clean(&line[before_start..start]))
}

fn scan_phones(text: &str, ranges: &[(usize, usize)], scan: &mut TextScan) {
    let b = text.as_bytes();
    let mut doc_pin: Option<(usize, String)> = None;
    let mut list = DialInList::default();
    let (mut read, mut stopped) = (0, false);
    let mut lower = String::new();
    let mut line_start = 0;
    for line in text.split('\n') {
        let line_end = line_start + line.len();
        // A PIN has at least 4 digits: lines with fewer need no keyword search.
        let hits = if line.len() <= 4096 && line.bytes().filter(u8::is_ascii_digit).nth(3).is_some() {
            lower.clear();
            lower.push_str(line);
            lower.make_ascii_lowercase();
            let hits = PinHits::of(&lower, line);
            if let Some(i) = find_short(&lower, "video conference id") {
                if let Some(d) = digits_after(line, i + "video conference id".len()) {
                    scan.video_conference_id.get_or_insert(d);
                }
            } else if let Some((rank, d)) = hits.first_from(0)
                && doc_pin.as_ref().is_none_or(|(r, _)| rank < *r)
            {
                doc_pin = Some((rank, d.to_owned()));
            }
            hits
        } else {
            PinHits::default()
        };
        let mut from = 0;
        while !stopped && let Some(i) = line[from..].find('+').map(|i| i + from) {
            from = i + 1;
            let at = line_start + i;
            let boundary = i == 0 || !(b[at - 1].is_ascii_alphanumeric() || b[at - 1] == b'+');
            if !boundary || overlaps(ranges, at) || !b.get(at + 1).is_some_and(|c| c.is_ascii_digit() || *c == b' ') {
                continue;
            }
            let Some((number, dtmf, end)) = phone_at(line, i) else { continue };
            from = end;
            if read == MAX_NUMBERS_PER_TEXT {
                scan.cut("phone numbers of a text", MAX_NUMBERS_PER_TEXT);
                stopped = true;
                break;
            }
            read += 1;
            let mut d = DialIn::new(number, dtmf);
            if d.dtmf.is_none()
                && let Some((_, pin)) = hits.first_from(end)
            {
                d = DialIn::with_pin(d.number, pin);
            }
            d.label = label_for(line, i, end);
            list.merge(d);
        }
        line_start = line_end + 1;
    }
    if list.full {
        scan.cut("dial-in numbers of a text", MAX_DIAL_INS);
    }
    scan.dial_ins = list.into_vec();
    if let Some((_, pin)) = doc_pin {
        for d in scan.dial_ins.iter_mut().filter(|d| d.dtmf.is_none()) {
            let label = d.label.take();
            *d = DialIn::with_pin(std::mem::take(&mut d.number), &pin);
            d.label = label;
        }
    }
}

fn scan_addresses(text: &str, ranges: &[(usize, usize)], scan: &mut TextScan) {
    let b = text.as_bytes();
    let local_char = |c: u8| c.is_ascii_alphanumeric() || b"._%+-".contains(&c);
    let domain_char = |c: u8| c.is_ascii_alphanumeric() || c == b'.' || c == b'-';
    let mut emails = HashSet::new();
    let mut read = 0;
    let mut last_end = 0;
    for (at, _) in text.match_indices('@') {
        if at < last_end || overlaps(ranges, at) {
            continue;
        }
        let mut s = at;
        while s > last_end && at - s < 64 && local_char(b[s - 1]) {
            s -= 1;
        }
        let mut e = at + 1;
        while e < b.len() && e - at < 254 && domain_char(b[e]) {
            e += 1;
        }
        let local = &text[s..at];
        let domain = text[at + 1..e].trim_end_matches(['.', '-']);
        last_end = at + 1 + domain.len();
        let tld_ok =
            domain.rsplit('.').next().is_some_and(|t| t.len() >= 2 && t.bytes().all(|c| c.is_ascii_alphabetic()));
        if local.is_empty() || !domain.contains('.') || !tld_ok {
            continue;
        }
        if read == MAX_ADDRESSES_PER_TEXT {
            scan.cut("addresses of a text", MAX_ADDRESSES_PER_TEXT);
            break;
        }
        read += 1;
        let domain = domain.to_ascii_lowercase();
        let address = format!("{local}@{domain}");
        // The context: this line and the one before, at most 300 bytes back (bounded work per
        // address, and a bounded number of addresses).
        let wstart = (s.saturating_sub(300)..=s).find(|&k| text.is_char_boundary(k)).unwrap_or(s);
        let window = &text[wstart..s];
        let cut = window.rmatch_indices('\n').nth(1).map_or(0, |(k, _)| k + 1);
        let context = window[cut..].to_ascii_lowercase();
        let mailto = s >= 7 && text.get(s - 7..s).is_some_and(|m| m.eq_ignore_ascii_case("mailto:"));
        let is_sip = !mailto
            && ((domain.ends_with(".webex.com") && local.bytes().all(|c| c.is_ascii_digit() || c == b'.'))
                || domain == "zoomcrc.com"
                || SIP_CONTEXT.iter().any(|k| context.contains(k)));
        if is_sip {
            if scan.sip_addresses.len() < MAX_SIP_ADDRESSES {
                scan.sip_addresses.push(SipAddress { address, at: s });
            } else {
                scan.cut("SIP addresses of a text", MAX_SIP_ADDRESSES);
            }
        } else if !emails.contains(&address) {
            if scan.emails.len() < MAX_EMAILS {
                emails.insert(address.clone());
                scan.emails.push(address);
            } else {
                scan.cut("e-mail addresses of a text", MAX_EMAILS);
            }
        }
    }
}

/// Scans a text for links, phone numbers and SIP addresses.
///
/// Linear in the text, with each kind of find capped (see [`super::limits`]): beyond
/// [`MAX_LINKS_PER_TEXT`] links the rest of the text is not read.
pub fn scan(text: &str) -> TextScan {
    let mut scan = TextScan::default();
    let (ranges, read) = scan_links(text, &mut scan);
    if read < text.len() {
        scan.cut("links of a text", MAX_LINKS_PER_TEXT);
    }
    let text = &text[..read];
    scan_phones(text, &ranges, &mut scan);
    scan_addresses(text, &ranges, &mut scan);
    scan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links(text: &str) -> Vec<String> {
        scan(text).links.into_iter().map(|(_, l)| l).collect()
    }

    #[test]
    fn links_end_where_prose_begins() {
        assert_eq!(
            links("Join (https://zoom.us/j/85298765432?pwd=abc). Or <https://meet.jit.si/Room>, thanks!"),
            ["https://zoom.us/j/85298765432?pwd=abc", "https://meet.jit.si/Room"]
        );
        assert_eq!(
            links("see https://en.wikipedia.org/wiki/Fika_(Sweden)."),
            ["https://en.wikipedia.org/wiki/Fika_(Sweden)"]
        );
        assert_eq!(links("URL:https://a.example/x"), ["https://a.example/x"]);
        assert_eq!(links("javascript:alert(1) and data:text/html,x"), ["javascript:alert(1)", "data:text/html,x"]);
        assert_eq!(links("Time: 10:00, Passcode: 1234, mailto:a@b.example"), Vec::<String>::new());
        assert_eq!(links("Meet at meet.google.com/abc-defg-hij today"), ["https://meet.google.com/abc-defg-hij"]);
        assert_eq!(links("https://acme.webex.com/meet/bob"), ["https://acme.webex.com/meet/bob"]);
        assert_eq!(links("sip:123@zoomcrc.com;transport=tls"), ["sip:123@zoomcrc.com;transport=tls"]);
        assert_eq!(links("\u{202a}https://zoom.us/j/123456789\u{202c}"), ["https://zoom.us/j/123456789"]);
    }

    #[test]
    fn the_ascii_table_agrees_with_ends_link() {
        for b in 0u8..128 {
            assert_eq!(ENDS_LINK_ASCII[usize::from(b)], ends_link(char::from(b)), "{b:#x}");
        }
    }

    #[test]
    fn overlong_links_are_skipped_in_linear_time() {
        let long = format!("https://example.com/{}", "a".repeat(10 << 20));
        let s = scan(&long);
        assert!(s.links.is_empty());
        assert_eq!(s.overlong, [long.len()]);
    }

    #[test]
    fn one_tap_numbers_and_separate_pins() {
        let teams = "Or call in (audio only)\n+47 21 40 12 34,,123456789#   Norway, Oslo\n\
                     Phone Conference ID: 123 456 789#\n+1 323-555-0166   United States, Los Angeles\n";
        let s = scan(teams);
        let got: Vec<_> = s
            .dial_ins
            .iter()
            .map(|d| (d.number.as_str(), d.pin.as_deref(), d.dtmf.as_deref(), d.label.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                ("+4721401234", Some("123456789"), Some(",,123456789#"), Some("Norway, Oslo")),
                ("+13235550166", Some("123456789"), Some(",,123456789#"), Some("United States, Los Angeles")),
            ]
        );
        let meet = "Join by phone\n(US) \u{202a}+1 484-123-4567\u{202c} PIN: \u{202a}123 456 789\u{202c}#";
        let d = &scan(meet).dial_ins[0];
        assert_eq!(
            (d.number.as_str(), d.pin.as_deref(), d.label.as_deref()),
            ("+14841234567", Some("123456789"), Some("(US)"))
        );
        let zoom = "One tap mobile\n+16699006833,,85298765432#,,,,*123456# US (San Jose)";
        let d = &scan(zoom).dial_ins[0];
        assert_eq!(d.dtmf.as_deref(), Some(",,85298765432#,,,,*123456#"));
        assert_eq!(d.label.as_deref(), Some("US (San Jose)"));
    }

    #[test]
    fn numbers_inside_links_and_dates_are_not_phones() {
        let s = scan("https://zoom.us/j/1?x=+4722123456 on 2026-05-04 +12 a+4722123456");
        assert!(s.dial_ins.is_empty(), "{:?}", s.dial_ins);
    }

    #[test]
    fn sip_gateways_and_video_conference_ids() {
        let text = "Join by video system\nDial 25712345678@acme.webex.com\nJoin with a video conferencing device\n\
                    teams@vc.example.com\nVideo Conference ID: 123 456 789 0\nQuestions? alice@example.com, \
                    mailto:bob@example.com";
        let s = scan(text);
        let sips: Vec<_> = s.sip_addresses.iter().map(|a| a.address.as_str()).collect();
        assert_eq!(sips, ["25712345678@acme.webex.com", "teams@vc.example.com"]);
        assert_eq!(s.video_conference_id.as_deref(), Some("1234567890"));
        assert_eq!(s.emails, ["alice@example.com", "bob@example.com"]);
        assert_eq!(scan("85298765432@zoomcrc.com").sip_addresses[0].address, "85298765432@zoomcrc.com");
    }
}
