//! Redirect wrappers that mail systems put around every link, removed before the safety checks.
//!
//! * Outlook SafeLinks: `https://*.safelinks.protection.outlook.com/?url=<encoded>&data=…`
//! * Google: `https://www.google.com/url?q=<encoded>&sa=D&…` (Google Calendar descriptions)
//! * Proofpoint URL Defense v2 (`/v2/url?u=https-3A__host_path`) and v3
//!   (`https://urldefense.com/v3/__<url>__;…`, when the inner link has no `*` substitutions)
//!
//! Up to four nested wrappers are removed. The wrappers are reported (they are how the mail
//! system saw the link), and the inner link is what Trygg checks and shows. Wrappers that cannot
//! be read offline (Mimecast, shorteners) are left alone and flagged by [`super::safety`].

/// A link with its wrappers removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unwrapped {
    /// The inner link.
    pub url: String,
    /// Hosts of the wrappers removed, outermost first.
    pub wrappers: Vec<String>,
}

fn query_param(u: &url::Url, name: &str) -> Option<String> {
    u.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// Proofpoint v2 encoding: `-XX` is a hex byte, `_` is `/`.
fn proofpoint_v2(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'-' => {
                let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'_' => {
                out.push(b'/');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

fn unwrap_once(link: &str) -> Option<(String, String)> {
    let lower_start: String = link.chars().take(8).collect::<String>().to_ascii_lowercase();
    if !lower_start.starts_with("https://") && !lower_start.starts_with("http://") {
        return None;
    }
    // Most links are not wrapped: look at the start before parsing.
    let head = link.chars().take(96).collect::<String>().to_ascii_lowercase();
    if !["safelinks.protection.outlook.com", "google.com/url", "urldefense"].iter().any(|w| head.contains(w)) {
        return None;
    }
    let u = url::Url::parse(link).ok()?;
    let host = u.host_str()?.to_owned();
    let inner = if host == "safelinks.protection.outlook.com" || host.ends_with(".safelinks.protection.outlook.com") {
        query_param(&u, "url")
    } else if (host == "www.google.com" || host == "google.com") && u.path() == "/url" {
        query_param(&u, "q").or_else(|| query_param(&u, "url"))
    } else if host == "urldefense.proofpoint.com" && u.path() == "/v2/url" {
        query_param(&u, "u").and_then(|v| proofpoint_v2(&v))
    } else if host == "urldefense.com" && u.path().starts_with("/v3/__") {
        let start = link.find("/v3/__")? + 6;
        let end = start + link[start..].find("__;")?;
        Some(link[start..end].to_owned()).filter(|s| !s.contains('*'))
    } else {
        None
    }?;
    Some((inner, host))
}

/// Removes the known redirect wrappers around `link`.
pub fn unwrap(link: &str) -> Unwrapped {
    let mut url = link.trim().to_owned();
    let mut wrappers = Vec::new();
    for _ in 0..4 {
        match unwrap_once(&url) {
            Some((inner, host)) => {
                wrappers.push(host);
                url = inner.trim().to_owned();
            }
            None => break,
        }
    }
    Unwrapped { url, wrappers }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safelinks_are_unwrapped() {
        let wrapped = "https://eur02.safelinks.protection.outlook.com/?url=https%3A%2F%2Fteams.microsoft.com%2Fl%2Fmeetup-join%2F19%253ameeting_abc%2540thread.v2%2F0&data=05%7C01&sdata=x&reserved=0";
        let u = unwrap(wrapped);
        assert_eq!(u.url, "https://teams.microsoft.com/l/meetup-join/19%3ameeting_abc%40thread.v2/0");
        assert_eq!(u.wrappers, ["eur02.safelinks.protection.outlook.com"]);
    }

    #[test]
    fn google_and_proofpoint_wrappers_are_unwrapped_even_nested() {
        let g = "https://www.google.com/url?q=https://meet.google.com/abc-defg-hij&sa=D&source=calendar&usg=x";
        assert_eq!(unwrap(g).url, "https://meet.google.com/abc-defg-hij");
        let p2 = "https://urldefense.proofpoint.com/v2/url?u=https-3A__zoom.us_j_85298765432-3Fpwd-3Dabc&d=DwMF&c=x";
        assert_eq!(unwrap(p2).url, "https://zoom.us/j/85298765432?pwd=abc");
        let p3 = "https://urldefense.com/v3/__https://acme.webex.com/meet/bob__;!!abc$";
        assert_eq!(unwrap(p3).url, "https://acme.webex.com/meet/bob");
        let nested = format!(
            "https://nam12.safelinks.protection.outlook.com/?url={}&data=1",
            url::form_urlencoded::byte_serialize(g.as_bytes()).collect::<String>()
        );
        let u = unwrap(&nested);
        assert_eq!(u.url, "https://meet.google.com/abc-defg-hij");
        assert_eq!(u.wrappers, ["nam12.safelinks.protection.outlook.com", "www.google.com"]);
    }

    #[test]
    fn other_links_and_broken_wrappers_are_left_alone() {
        for s in [
            "https://zoom.us/j/1",
            "https://eur02.safelinks.protection.outlook.com/?data=1",
            "https://urldefense.proofpoint.com/v2/url?u=bad-ZZ",
            "https://urldefense.com/v3/__https://a.example/x*y__;Kg!!$",
            "javascript:alert(1)",
        ] {
            assert_eq!(unwrap(s), Unwrapped { url: s.to_owned(), wrappers: vec![] }, "{s}");
        }
    }
}
