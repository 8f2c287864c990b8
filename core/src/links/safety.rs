//! Anti-phishing checks. Every link Trygg finds goes through [`inspect`] before it is shown, and
//! nothing with a [blocking](Warning::blocks) warning is ever acted on.
//!
//! The rules:
//!
//! 1. Only `https`, `sip`, `sips`, `tel` and `trygg` are ever acted on ([`SAFE_SCHEMES`]).
//!    `http`, `javascript:`, `data:`, `file:`, ... are reported and refused. Vendor app schemes
//!    (`zoommtg://`, `msteams:`, `jitsi-meet://`) are read, but only the `https` link Trygg builds
//!    from them is ever opened.
//! 2. A user name or password before the host (`https://teams.microsoft.com@evil.example/`) is
//!    refused: it exists to make the real host hard to see.
//! 3. An international host name whose label mixes scripts (Latin with Cyrillic, ...) is shown in
//!    punycode (`xn--…`) and refused.
//! 4. A host that looks like a vendor's without being one is refused: same skeleton after folding
//!    look-alike characters (`zoorn.us`, `z00m.us`, Cyrillic letters in `teams.microsoft.com`), a
//!    vendor domain as the first labels of another domain (`zoom.us.example.com`), or a
//!    one-letter change of a distinctive vendor name (`wedex.com`).
//! 5. Link shorteners and unknown redirectors are flagged (Trygg never follows a redirect
//!    itself); the redirect wrappers it can read (Outlook SafeLinks, Google, Proofpoint) are
//!    unwrapped *before* these checks (see [`super::redirects`]) and reported.
//!
//! Host names are compared by registrable domain, approximated as the last two labels (three
//! under a short list of two-level public suffixes such as `co.uk`). The full Public Suffix List
//! was rejected: a large, fast-changing dependency for comparing against a dozen vendor domains.

use std::fmt;

use super::confusables::{edit_distance, mixes_scripts, skeleton};

/// Schemes Trygg acts on.
pub const SAFE_SCHEMES: [&str; 5] = ["https", "sip", "sips", "tel", "trygg"];

/// Domains of the meeting vendors (and the Microsoft and Google domains their links use).
pub(crate) const VENDOR_DOMAINS: &[&str] = &[
    "zoom.us",
    "zoom.com",
    "zoomgov.com",
    "zoomcrc.com",
    "microsoft.com",
    "microsoft.us",
    "cloud.microsoft",
    "live.com",
    "office.com",
    "outlook.com",
    "webex.com",
    "google.com",
    "jit.si",
    "8x8.vc",
    "whereby.com",
    "pexip.me",
    "pexip.com",
];

/// Vendor hosts whose full name is the thing to imitate.
const VENDOR_HOSTS: &[&str] = &["teams.microsoft.com", "teams.live.com", "meet.google.com", "meet.jit.si"];

/// Distinctive vendor names where a one-letter change is suspicious (short or common words such
/// as "zoom" or "live" would flag too many innocent domains).
const DISTINCTIVE: &[(&str, &str)] = &[("webex", "webex.com"), ("whereby", "whereby.com"), ("zoomgov", "zoomgov.com")];

const SHORTENERS: &[&str] = &[
    "bit.ly",
    "tinyurl.com",
    "t.co",
    "goo.gl",
    "ow.ly",
    "is.gd",
    "buff.ly",
    "rebrand.ly",
    "lnkd.in",
    "aka.ms",
    "shorturl.at",
    "cutt.ly",
    "tiny.cc",
    "rb.gy",
    "t.ly",
    "s.id",
    "mimecast.com",
    "mimecastprotect.com",
    "urlsand.com",
    "barracudanetworks.com",
];

const TWO_LEVEL_SUFFIXES: &[&str] = &[
    "co.uk", "org.uk", "ac.uk", "gov.uk", "com.au", "net.au", "org.au", "co.jp", "co.nz", "com.br", "co.za", "com.cn",
    "com.mx", "co.in", "co.kr", "com.tr", "com.sg", "com.hk", "co.il", "com.ar",
];

/// Something about a link or an invite that the user should know, or that stops Trygg from
/// acting on it.
///
/// In JSON: `{"type": "lookalike_domain", "host": …, "looks_like": …, "blocks": true,
/// "message": "…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Warning {
    /// A scheme Trygg never acts on (`http`, `javascript`, `data`, ...).
    UnsafeScheme {
        /// The scheme, lowercase.
        scheme: String,
    },
    /// A user name or password before the host.
    UserInfo {
        /// The real host.
        host: String,
    },
    /// An international host name mixing scripts.
    MixedScriptHost {
        /// As it would be displayed.
        unicode: String,
        /// Punycode: what Trygg shows.
        ascii: String,
    },
    /// A host made to look like a vendor's.
    LookalikeDomain {
        /// The real host.
        host: String,
        /// The vendor domain it imitates.
        looks_like: String,
    },
    /// A link shortener or redirector: the real destination is unknown until followed, which
    /// Trygg does not do.
    ShortenerOrRedirect {
        /// The shortener's host.
        host: String,
    },
    /// A redirect wrapper (Outlook SafeLinks, ...) that Trygg removed; the inner link was checked.
    Unwrapped {
        /// The wrapper's host.
        wrapper: String,
    },
    /// An HTML link whose visible text shows one host and whose target is another.
    LinkTextMismatch {
        /// The host the text shows.
        shown: String,
        /// The host the link goes to.
        real: String,
    },
    /// A Trygg link whose room does not match its secret.
    TamperedLink {
        /// The link's host.
        host: String,
    },
    /// A Trygg link without the secret after `#` (cut off when it was copied).
    LinkWithoutSecret {
        /// The link's host.
        host: String,
    },
    /// A Trygg link that does not follow the format (bad room id, `insecure=1` on a remote host...).
    InvalidTryggLink {
        /// The link's host.
        host: String,
        /// What is wrong.
        why: String,
    },
    /// A link longer than Trygg reads (8 KiB); it was skipped.
    OverlongLink {
        /// Its length in bytes.
        bytes: usize,
    },
    /// An iCalendar line that was folded wrongly; it was read as a continuation.
    BrokenFolding {
        /// Line number in the file.
        line: usize,
    },
    /// A time zone Trygg does not know; times in it are shown as if UTC.
    UnknownTimeZone {
        /// The TZID.
        tzid: String,
    },
    /// The invite cancels the meeting.
    Cancelled,
    /// More warnings than are listed (see [`super::limits::MAX_WARNINGS`]); the input is hostile
    /// or broken.
    TooManyWarnings {
        /// How many distinct warnings were left out.
        omitted: usize,
    },
    /// Part of the input was not read: a cap of [`super::limits`] was reached (only hostile or
    /// broken inputs reach one).
    Truncated {
        /// What was capped, in words ("links of a text", "dial-in numbers of a meeting").
        what: &'static str,
        /// How many were read.
        limit: usize,
    },
}

impl Warning {
    /// Whether this warning stops Trygg from acting on the link it is attached to.
    pub fn blocks(&self) -> bool {
        matches!(
            self,
            Self::UnsafeScheme { .. }
                | Self::UserInfo { .. }
                | Self::MixedScriptHost { .. }
                | Self::LookalikeDomain { .. }
                | Self::ShortenerOrRedirect { .. }
                | Self::LinkTextMismatch { .. }
                | Self::TamperedLink { .. }
                | Self::LinkWithoutSecret { .. }
                | Self::InvalidTryggLink { .. }
        )
    }
}

impl Warning {
    /// The stable name of the warning, `type` in JSON.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnsafeScheme { .. } => "unsafe_scheme",
            Self::UserInfo { .. } => "user_info",
            Self::MixedScriptHost { .. } => "mixed_script_host",
            Self::LookalikeDomain { .. } => "lookalike_domain",
            Self::ShortenerOrRedirect { .. } => "shortener_or_redirect",
            Self::Unwrapped { .. } => "unwrapped",
            Self::LinkTextMismatch { .. } => "link_text_mismatch",
            Self::TamperedLink { .. } => "tampered_link",
            Self::LinkWithoutSecret { .. } => "link_without_secret",
            Self::InvalidTryggLink { .. } => "invalid_trygg_link",
            Self::OverlongLink { .. } => "overlong_link",
            Self::BrokenFolding { .. } => "broken_folding",
            Self::UnknownTimeZone { .. } => "unknown_time_zone",
            Self::Cancelled => "cancelled",
            Self::TooManyWarnings { .. } => "too_many_warnings",
            Self::Truncated { .. } => "truncated",
        }
    }
}

impl serde::Serialize for Warning {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("type", self.code())?;
        match self {
            Self::UnsafeScheme { scheme } => m.serialize_entry("scheme", scheme)?,
            Self::UserInfo { host }
            | Self::ShortenerOrRedirect { host }
            | Self::TamperedLink { host }
            | Self::LinkWithoutSecret { host } => m.serialize_entry("host", host)?,
            Self::InvalidTryggLink { host, why } => {
                m.serialize_entry("host", host)?;
                m.serialize_entry("why", why)?;
            }
            Self::MixedScriptHost { unicode, ascii } => {
                m.serialize_entry("unicode", unicode)?;
                m.serialize_entry("ascii", ascii)?;
            }
            Self::LookalikeDomain { host, looks_like } => {
                m.serialize_entry("host", host)?;
                m.serialize_entry("looks_like", looks_like)?;
            }
            Self::Unwrapped { wrapper } => m.serialize_entry("wrapper", wrapper)?,
            Self::LinkTextMismatch { shown, real } => {
                m.serialize_entry("shown", shown)?;
                m.serialize_entry("real", real)?;
            }
            Self::OverlongLink { bytes } => m.serialize_entry("bytes", bytes)?,
            Self::BrokenFolding { line } => m.serialize_entry("line", line)?,
            Self::UnknownTimeZone { tzid } => m.serialize_entry("tzid", tzid)?,
            Self::Cancelled => {}
            Self::TooManyWarnings { omitted } => m.serialize_entry("omitted", omitted)?,
            Self::Truncated { what, limit } => {
                m.serialize_entry("what", what)?;
                m.serialize_entry("limit", limit)?;
            }
        }
        m.serialize_entry("blocks", &self.blocks())?;
        m.serialize_entry("message", &self.to_string())?;
        m.end()
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnsafeScheme { scheme } => {
                write!(f, "a {scheme}: link; Trygg only opens https, sip, sips, tel and trygg")
            }
            Self::UserInfo { host } => write!(f, "the link hides its real host {host} behind a user name; refused"),
            Self::MixedScriptHost { unicode, ascii } => {
                write!(f, "the host \"{unicode}\" mixes alphabets; its real name is {ascii}; refused")
            }
            Self::LookalikeDomain { host, looks_like } => {
                write!(f, "{host} imitates {looks_like} and is not it; refused")
            }
            Self::ShortenerOrRedirect { host } => {
                write!(f, "{host} is a link shortener or redirector; its destination is unknown; not opened")
            }
            Self::Unwrapped { wrapper } => {
                write!(f, "removed the {wrapper} redirect wrapper and checked the link inside")
            }
            Self::LinkTextMismatch { shown, real } => {
                write!(f, "the link text shows {shown} but leads to {real}; refused")
            }
            Self::TamperedLink { host } => {
                write!(f, "a Trygg link for {host} was altered (its room does not match its secret)")
            }
            Self::LinkWithoutSecret { host } => {
                write!(f, "a Trygg link for {host} lost its secret after # (cut off when copied?)")
            }
            Self::InvalidTryggLink { host, why } => write!(f, "a Trygg link for {host} is unusable: {why}"),
            Self::OverlongLink { bytes } => write!(f, "skipped a link of {bytes} bytes"),
            Self::BrokenFolding { line } => {
                write!(f, "line {line} of the invite is folded wrongly; read as a continuation")
            }
            Self::UnknownTimeZone { tzid } => write!(f, "unknown time zone \"{tzid}\"; its times are shown as UTC"),
            Self::Cancelled => f.write_str("this invite cancels the meeting"),
            Self::TooManyWarnings { omitted } => write!(f, "{omitted} more warnings are not listed"),
            Self::Truncated { what, limit } => write!(f, "read only the first {limit} {what}; the rest was skipped"),
        }
    }
}

/// The lowercase scheme of a URL-ish string, if it has one.
pub(crate) fn scheme_of(url: &str) -> Option<String> {
    let (scheme, _) = url.trim_start().split_once(':')?;
    let ok = scheme.len() <= 32
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
    ok.then(|| scheme.to_ascii_lowercase())
}

/// The registrable domain of an ASCII host (approximation: see the module docs).
pub(crate) fn registrable(host: &str) -> &str {
    let labels: Vec<usize> = host.match_indices('.').map(|(i, _)| i).collect();
    let take = |n: usize| if labels.len() >= n { &host[labels[labels.len() - n] + 1..] } else { host };
    let two = take(2);
    if TWO_LEVEL_SUFFIXES.contains(&two) { take(3) } else { two }
}

fn is_under(host: &str, domain: &str) -> bool {
    host == domain
        || (host.len() > domain.len() && host.ends_with(domain) && host[..host.len() - domain.len()].ends_with('.'))
}

/// Whether an ASCII host belongs to a vendor.
pub(crate) fn is_vendor_host(host: &str) -> bool {
    VENDOR_DOMAINS.iter().any(|d| is_under(host, d))
}

/// Each vendor host and domain with its skeleton, computed once.
fn vendor_skeletons() -> &'static [(&'static str, String)] {
    static SKELETONS: std::sync::OnceLock<Vec<(&'static str, String)>> = std::sync::OnceLock::new();
    SKELETONS.get_or_init(|| VENDOR_HOSTS.iter().chain(VENDOR_DOMAINS).map(|v| (*v, skeleton(v))).collect())
}

/// The vendor domain a host imitates, if it does.
pub(crate) fn lookalike(ascii_host: &str) -> Option<String> {
    let host = ascii_host.trim_end_matches('.').to_ascii_lowercase();
    let international = host.split('.').any(|l| l.starts_with("xn--"));
    // An ASCII host under a vendor's domain is the vendor's. An international label under it
    // (tеams.microsoft.com with a Cyrillic е) is still checked: it cannot be the real service.
    if is_vendor_host(&host) && !international {
        return None;
    }
    let unicode = url::quirks::domain_to_unicode(&host);
    let sk = skeleton(&unicode);
    let reg = registrable(&host);
    let label = reg.split('.').next().unwrap_or(reg);
    let label_sk = skeleton(&url::quirks::domain_to_unicode(label));
    for (v, vs) in vendor_skeletons() {
        if international && host == *v {
            continue;
        }
        if is_under(&sk, vs) && (international || !is_under(&host, v)) {
            return Some((*v).to_owned());
        }
        // A vendor domain as the leading labels of another domain: zoom.us.example.com (but not
        // google.com.au, whose registrable domain is still Google's name).
        let prefix = format!("{vs}.");
        if !sk.contains(&prefix) {
            continue;
        }
        let v_label = skeleton(registrable(v).split('.').next().unwrap_or(v));
        if (sk.starts_with(&prefix) || sk.contains(&format!(".{prefix}"))) && label_sk != v_label {
            return Some((*v).to_owned());
        }
    }
    for (name, domain) in DISTINCTIVE {
        if label_sk == *name || (label_sk.len() >= 4 && edit_distance(&label_sk, name) == 1) {
            return Some((*domain).to_owned());
        }
    }
    None
}

/// How to show a host: Unicode for international names in one script, punycode when the name
/// mixes scripts or imitates a vendor.
pub fn display_host(ascii_host: &str) -> String {
    if !ascii_host.split('.').any(|l| l.starts_with("xn--")) {
        return ascii_host.to_owned();
    }
    let unicode = url::quirks::domain_to_unicode(ascii_host);
    if unicode.is_empty() || unicode.split('.').any(mixes_scripts) || lookalike(ascii_host).is_some() {
        ascii_host.to_owned()
    } else {
        unicode
    }
}

/// The checks on a host (rules 3 to 5).
pub(crate) fn host_warnings(ascii_host: &str) -> Vec<Warning> {
    let host = ascii_host.trim_end_matches('.').to_ascii_lowercase();
    let mut out = Vec::new();
    if host.split('.').any(|l| l.starts_with("xn--")) {
        let unicode = url::quirks::domain_to_unicode(&host);
        if unicode.split('.').any(mixes_scripts) {
            out.push(Warning::MixedScriptHost { unicode, ascii: host.clone() });
        }
    }
    if let Some(v) = lookalike(&host) {
        out.push(Warning::LookalikeDomain { host: display_host(&host), looks_like: v });
    }
    if SHORTENERS.iter().any(|s| is_under(&host, s)) {
        out.push(Warning::ShortenerOrRedirect { host: host.clone() });
    }
    out
}

/// [`inspect`] for an `http`/`https` link already parsed (as a browser parses it).
pub(crate) fn inspect_http(u: &url::Url) -> Vec<Warning> {
    let mut out = Vec::new();
    if u.scheme() != "https" {
        out.push(Warning::UnsafeScheme { scheme: u.scheme().to_owned() });
    }
    if !u.username().is_empty() || u.password().is_some() {
        out.push(Warning::UserInfo { host: display_host(u.host_str().unwrap_or("")) });
    }
    if let Some(url::Host::Domain(d)) = u.host() {
        out.extend(host_warnings(d));
    }
    out
}

/// Checks one link (after unwrapping redirect wrappers) and says what is wrong with it.
///
/// An empty list means Trygg may act on it.
pub fn inspect(link: &str) -> Vec<Warning> {
    let Some(scheme) = scheme_of(link) else {
        return vec![Warning::UnsafeScheme { scheme: String::new() }];
    };
    let mut out = Vec::new();
    if !SAFE_SCHEMES.contains(&scheme.as_str()) {
        out.push(Warning::UnsafeScheme { scheme: scheme.clone() });
    }
    match scheme.as_str() {
        "http" | "https" => match url::Url::parse(link.trim()) {
            Ok(u) => return inspect_http(&u),
            Err(_) => out.push(Warning::UnsafeScheme { scheme }),
        },
        "trygg" => {
            let rest = link.trim()[6..].trim_start_matches('/');
            let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
            if let Some((_, host)) = authority.rsplit_once('@') {
                out.push(Warning::UserInfo { host: host.to_owned() });
            }
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            let host = host.rsplit_once(':').filter(|(_, p)| !p.contains(']')).map_or(host, |(h, _)| h);
            if let Ok(url::Host::Domain(d)) = url::Host::parse(host) {
                out.extend(host_warnings(&d));
            }
        }
        "sip" | "sips" => {
            if let Ok(u) = super::SipUri::parse(link) {
                out.extend(host_warnings(&u.host));
            }
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(url: &str) -> Vec<String> {
        inspect(url).iter().map(|w| serde_json::to_value(w).unwrap()["type"].as_str().unwrap().to_owned()).collect()
    }

    #[test]
    fn only_five_schemes_are_safe() {
        for ok in [
            "https://zoom.us/j/123456789",
            "sip:123@zoomcrc.com",
            "sips:a@b.example",
            "tel:+4722123456",
            "trygg://meet.example.org/x#y",
        ] {
            assert!(inspect(ok).is_empty(), "{ok}: {:?}", inspect(ok));
        }
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "data:text/html,<b>x</b>",
            "http://zoom.us/j/1",
            "file:///etc/passwd",
            "vbscript:x",
            "zoommtg://zoom.us/join?confno=1",
        ] {
            let w = inspect(bad);
            assert!(matches!(&w[0], Warning::UnsafeScheme { .. }) && w[0].blocks(), "{bad}: {w:?}");
        }
        assert_eq!(kinds("no scheme at all"), ["unsafe_scheme"]);
    }

    #[test]
    fn user_info_is_refused_and_the_real_host_named() {
        let w = inspect("https://teams.microsoft.com@evil.example/l/meetup-join/x");
        assert_eq!(w, vec![Warning::UserInfo { host: "evil.example".into() }]);
        assert_eq!(kinds("https://user:pw@zoom.us/j/1"), ["user_info"]);
        assert_eq!(kinds("trygg://zoom.us@evil.example/room#s"), ["user_info"]);
        // WHATWG treats \ as / in https: the host is evil.example, as a browser would see it.
        assert_eq!(inspect("https://evil.example\\@zoom.us/j/1"), vec![]);
    }

    #[test]
    fn look_alike_vendor_domains_are_flagged() {
        let cases = [
            ("https://zoom.us.example.com/j/1", "zoom.us"),
            ("https://zoorn.us/j/1", "zoom.us"),
            ("https://z00m.us/j/1", "zoom.us"),
            ("https://acme.zoorn.us/j/1", "zoom.us"),
            ("https://teams.microsoft.com.evil.example/l/meetup-join/1", "teams.microsoft.com"),
            ("https://tеams.microsoft.com/l/meetup-join/1", "teams.microsoft.com"),
            ("https://meet.gооgle.com/abc-defg-hij", "meet.google.com"),
            ("https://wedex.com/meet/bob", "webex.com"),
            ("https://webex.co/meet/bob", "webex.com"),
            ("sip:123@zoomcrc.com.evil.example", "zoomcrc.com"),
        ];
        for (url, vendor) in cases {
            let w = inspect(url);
            let found = w.iter().find_map(|w| match w {
                Warning::LookalikeDomain { looks_like, .. } => Some(looks_like.as_str()),
                _ => None,
            });
            assert_eq!(found, Some(vendor), "{url}: {w:?}");
        }
        for fine in [
            "https://acme.zoom.us/j/1",
            "https://teams.microsoft.com/l/x",
            "https://example.com/",
            "https://loom.com/x",
        ] {
            assert!(inspect(fine).is_empty(), "{fine}: {:?}", inspect(fine));
        }
    }

    #[test]
    fn mixed_script_hosts_are_shown_in_punycode() {
        let w = inspect("https://tеams.microsoft.com/l/meetup-join/1");
        let mixed = w.iter().find_map(|w| match w {
            Warning::MixedScriptHost { ascii, .. } => Some(ascii.clone()),
            _ => None,
        });
        let ascii = mixed.expect("mixed script flagged");
        assert!(ascii.starts_with("xn--"), "{ascii}");
        assert_eq!(display_host(&ascii), ascii);
        // One script, not imitating anyone: shown as written.
        assert_eq!(display_host("xn--mte-0na.example.no"), "møte.example.no");
        assert!(inspect("https://møte.example.no/j/x").is_empty());
    }

    #[test]
    fn shorteners_are_flagged() {
        assert_eq!(kinds("https://bit.ly/3abcd"), ["shortener_or_redirect"]);
        assert_eq!(kinds("https://eu1.protect.mimecast.com/s/abc"), ["shortener_or_redirect"]);
    }

    #[test]
    fn registrable_domains_follow_two_level_suffixes() {
        assert_eq!(registrable("a.b.example.co.uk"), "example.co.uk");
        assert_eq!(registrable("acme.zoom.us"), "zoom.us");
        assert_eq!(registrable("localhost"), "localhost");
    }
}
