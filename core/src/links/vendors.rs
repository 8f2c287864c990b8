//! Other vendors' meeting links: which `https` links are meetings, their ids, and their app
//! schemes turned into `https`.
//!
//! | Vendor | Links recognised |
//! |---|---|
//! | Teams | `teams.microsoft.com/l/meetup-join/…`, `/meet/<id>?p=…`, `teams.live.com/meet/<id>`, the `/dl/launcher/` wrapper, `msteams:` |
//! | Zoom | `*.zoom.us` / `zoom.com` / `zoomgov.com`: `/j/<id>?pwd=`, `/w/`, `/s/`, `/wc/join/`, `/my/<name>`, `zoommtg://`, `zoomus://` |
//! | Webex | `<site>.webex.com`: `j.php?MTID=`, personal rooms `/meet/<name>` and `/join/<name>`, join-service links |
//! | Google Meet | `meet.google.com/abc-defg-hij`, `/lookup/<name>`, `g.co/meet/<name>` |
//! | Jitsi | `meet.jit.si/<Room>`, `8x8.vc/<tenant>/<Room>`, `jitsi.*` hosts, any host given as `jitsi-meet://host/Room` or named by a Jitsi dial-in page in the same input |
//! | Whereby | `whereby.com/<room>`, `<team>.whereby.com/<room>` |
//! | Pexip | `https://<node>/webapp/…` with a `conference=` alias, `/webapp/m/<alias>` |
//!
//! SIP gateways: Zoom meetings with a numeric id are reachable at `<id>@zoomcrc.com`; Webex
//! personal rooms at `<name>@<site>.webex.com`; Pexip aliases that are SIP addresses as they are.
//! Others come from the invite text (see [`super::text`]).

use super::candidate::Kind;

/// A meeting link of another vendor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendorMeeting {
    /// Which vendor.
    pub kind: Kind,
    /// The canonical `https` link.
    pub url: String,
    /// The vendor's meeting id, when the link has one.
    pub meeting_id: Option<String>,
    /// A SIP address for room systems, when the link implies one.
    pub sip_gateway: Option<String>,
}

fn under(host: &str, domain: &str) -> bool {
    host == domain || host.strip_suffix(domain).is_some_and(|p| p.ends_with('.'))
}

fn segments(u: &url::Url) -> Vec<&str> {
    u.path_segments().map(|s| s.filter(|x| !x.is_empty()).collect()).unwrap_or_default()
}

fn query(u: &url::Url, name: &str) -> Option<String> {
    u.query_pairs().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.into_owned())
}

fn decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

fn meeting(kind: Kind, u: &url::Url, id: Option<String>) -> VendorMeeting {
    VendorMeeting { kind, url: u.as_str().to_owned(), meeting_id: id, sip_gateway: None }
}

fn is_digits(s: &str, len: std::ops::RangeInclusive<usize>) -> bool {
    len.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

fn teams(u: &url::Url, host: &str) -> Option<VendorMeeting> {
    const HOSTS: [&str; 5] = [
        "teams.microsoft.com",
        "teams.live.com",
        "teams.microsoft.us",
        "teams.cloud.microsoft",
        "gov.teams.microsoft.us",
    ];
    if !HOSTS.iter().any(|h| under(host, h)) {
        return None;
    }
    let seg = segments(u);
    match seg.as_slice() {
        ["l", "meetup-join", thread, ..] => Some(meeting(Kind::Teams, u, Some(decode(thread)))),
        ["meet", id] | ["l", "meet", id] if is_digits(id, 6..=20) => Some(meeting(Kind::Teams, u, Some((*id).into()))),
        ["dl", "launcher", "launcher.html"] => {
            let inner = query(u, "url")?;
            let path = inner.strip_prefix("/_#").unwrap_or(&inner);
            if !path.starts_with("/l/meetup-join/") {
                return None;
            }
            let rebuilt = url::Url::parse(&format!("https://{host}{path}")).ok()?;
            teams(&rebuilt, host)
        }
        _ => None,
    }
}

fn zoom(u: &url::Url, host: &str) -> Option<VendorMeeting> {
    if !["zoom.us", "zoom.com", "zoomgov.com"].iter().any(|d| under(host, d)) {
        return None;
    }
    let seg = segments(u);
    let id = match seg.as_slice() {
        ["j" | "w" | "s", id] | ["wc", "join", id] | ["wc", id, "join" | "start"] if is_digits(id, 9..=12) => {
            Some((*id).to_owned())
        }
        ["my", name] if !name.is_empty() => None,
        _ => return None,
    };
    let mut m = meeting(Kind::Zoom, u, id.clone().or_else(|| seg.last().map(|s| (*s).to_owned())));
    if let Some(id) = id.filter(|_| !under(host, "zoomgov.com")) {
        m.sip_gateway = Some(format!("{id}@zoomcrc.com"));
    }
    Some(m)
}

fn webex(u: &url::Url, host: &str) -> Option<VendorMeeting> {
    if !under(host, "webex.com") || host == "webex.com" || host == "www.webex.com" {
        return None;
    }
    let seg = segments(u);
    if seg.last().is_some_and(|s| s.eq_ignore_ascii_case("j.php")) {
        return query(u, "MTID").map(|id| meeting(Kind::Webex, u, Some(id)));
    }
    match seg.as_slice() {
        [.., "meet" | "join", name] if !name.is_empty() && !name.ends_with(".js") && !name.ends_with(".html") => {
            let mut m = meeting(Kind::Webex, u, Some((*name).to_owned()));
            m.sip_gateway = Some(format!("{name}@{host}"));
            Some(m)
        }
        ["wbxmjs", "joinservice", "sites", _, "meeting", _, id] | ["webappng", "sites", _, "meeting", _, id]
            if id.len() >= 16 && id.bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            Some(meeting(Kind::Webex, u, Some((*id).to_owned())))
        }
        _ => None,
    }
}

fn google_meet(u: &url::Url, host: &str) -> Option<VendorMeeting> {
    let seg = segments(u);
    let code_like = |c: &str| {
        let parts: Vec<&str> = c.split('-').collect();
        parts.len() == 3
            && [3, 4, 3].iter().zip(&parts).all(|(n, p)| p.len() == *n && p.bytes().all(|b| b.is_ascii_lowercase()))
    };
    match (host, seg.as_slice()) {
        ("meet.google.com", [code]) if code_like(code) => Some(meeting(Kind::Meet, u, Some((*code).to_owned()))),
        ("meet.google.com", ["lookup", name]) | ("g.co", ["meet", name]) => {
            Some(meeting(Kind::Meet, u, Some((*name).to_owned())))
        }
        _ => None,
    }
}

fn room_name_ok(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 256
        && !name.contains('.')
        && name.chars().all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '%'))
}

fn jitsi(u: &url::Url, host: &str, hints: &[String]) -> Option<VendorMeeting> {
    const RESERVED: [&str; 8] =
        ["static", "libs", "css", "images", "sounds", "http-bind", "xmpp-websocket", "colibri-ws"];
    let seg = segments(u);
    let room = match seg.as_slice() {
        [tenant, room] if host == "8x8.vc" && room_name_ok(tenant) => room,
        [room] if host == "meet.jit.si" || host.starts_with("jitsi.") || hints.iter().any(|h| h == host) => room,
        _ => return None,
    };
    (room_name_ok(room) && !RESERVED.contains(room)).then(|| meeting(Kind::Jitsi, u, Some(decode(room))))
}

fn whereby(u: &url::Url, host: &str) -> Option<VendorMeeting> {
    const RESERVED: [&str; 12] = [
        "user",
        "login",
        "signup",
        "information",
        "org",
        "pricing",
        "blog",
        "about",
        "legal",
        "support",
        "api",
        "embed",
    ];
    if !under(host, "whereby.com") {
        return None;
    }
    match segments(u).as_slice() {
        [room] if room_name_ok(room) && !RESERVED.contains(room) => {
            Some(meeting(Kind::Whereby, u, Some((*room).to_owned())))
        }
        _ => None,
    }
}

fn pexip(u: &url::Url) -> Option<VendorMeeting> {
    let seg = segments(u);
    if seg.first().is_none_or(|s| !s.starts_with("webapp")) {
        return None;
    }
    // Pexip web apps put the alias in the query, the fragment's query or the path.
    let from_fragment = u.fragment().and_then(|f| {
        let q = f.split_once('?').map_or(f, |(_, q)| q);
        url::form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "conference").map(|(_, v)| v.into_owned())
    });
    let from_path = match seg.as_slice() {
        [_, "m" | "conference", alias, ..] => Some(decode(alias)),
        _ => None,
    };
    let alias = query(u, "conference").or(from_fragment).or(from_path).filter(|a| !a.is_empty())?;
    let mut m = meeting(Kind::Pexip, u, Some(alias.clone()));
    if alias.contains('@') && super::SipUri::parse(&format!("sip:{alias}")).is_ok() {
        m.sip_gateway = Some(alias);
    }
    Some(m)
}

/// Recognises a vendor meeting among `https` links. `jitsi_hosts` are self-hosted Jitsi servers
/// the same input revealed.
pub fn classify(u: &url::Url, jitsi_hosts: &[String]) -> Option<VendorMeeting> {
    if u.scheme() != "https" && u.scheme() != "http" {
        return None;
    }
    let host = u.host_str()?.to_ascii_lowercase();
    teams(u, &host)
        .or_else(|| zoom(u, &host))
        .or_else(|| webex(u, &host))
        .or_else(|| google_meet(u, &host))
        .or_else(|| whereby(u, &host))
        .or_else(|| jitsi(u, &host, jitsi_hosts))
        .or_else(|| pexip(u))
}

/// A vendor app link (`zoommtg://`, `zoomus://`, `msteams:`, `jitsi-meet://`) as the `https`
/// link that opens the same meeting. `None` for anything else.
pub fn from_app_link(link: &str) -> Option<String> {
    let (scheme, rest) = link.trim().split_once(':')?;
    match scheme.to_ascii_lowercase().as_str() {
        "zoommtg" | "zoomus" => {
            let u = url::Url::parse(&format!("https:{rest}")).ok()?;
            let host = u.host_str()?;
            let id = query(&u, "confno").filter(|id| is_digits(id, 9..=12))?;
            let pwd = query(&u, "pwd").filter(|p| p.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)));
            Some(match pwd {
                Some(p) => format!("https://{host}/j/{id}?pwd={p}"),
                None => format!("https://{host}/j/{id}"),
            })
        }
        "msteams" => {
            let path = rest.strip_prefix("//teams.microsoft.com").unwrap_or(rest);
            path.starts_with("/l/meetup-join/").then(|| format!("https://teams.microsoft.com{path}"))
        }
        "jitsi-meet" => {
            let r = rest.strip_prefix("//")?;
            url::Url::parse(&format!("https://{r}")).ok().map(|u| u.to_string())
        }
        _ => None,
    }
}

/// The host of a `jitsi-meet://` link or of a Jitsi dial-in page, for [`classify`].
pub(crate) fn jitsi_hint(link: &str) -> Option<String> {
    let lower = link.get(..11).map(str::to_ascii_lowercase);
    if lower.as_deref() != Some("jitsi-meet:")
        && !link.contains("/static/dialInInfo.html")
        && !link.contains("#config.")
    {
        return None; // the common case, without parsing
    }
    let https = if lower.as_deref() == Some("jitsi-meet:") { from_app_link(link)? } else { link.to_owned() };
    let u = url::Url::parse(&https).ok()?;
    let dial_in_page = u.path().ends_with("/static/dialInInfo.html");
    let app = lower.as_deref() == Some("jitsi-meet:");
    let config = u.fragment().is_some_and(|f| f.starts_with("config."));
    (app || dial_in_page || config).then(|| u.host_str().map(str::to_ascii_lowercase)).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(link: &str) -> Option<(Kind, Option<String>, Option<String>)> {
        let u = url::Url::parse(link).unwrap();
        classify(&u, &["meet.example.org".to_owned()]).map(|m| (m.kind, m.meeting_id, m.sip_gateway))
    }

    #[test]
    fn recognises_every_vendor_form() {
        let s = |x: &str| Some(x.to_owned());
        let cases = [
            (
                "https://teams.microsoft.com/l/meetup-join/19%3ameeting_NjQ4ZDM1%40thread.v2/0?context=%7b%22Tid%22%3a%22x%22%7d",
                (Kind::Teams, s("19:meeting_NjQ4ZDM1@thread.v2"), None),
            ),
            ("https://teams.microsoft.com/meet/2345678901234?p=AbCdEf123", (Kind::Teams, s("2345678901234"), None)),
            ("https://teams.live.com/meet/9876543210987?p=xyz", (Kind::Teams, s("9876543210987"), None)),
            (
                "https://teams.microsoft.com/dl/launcher/launcher.html?url=%2F_%23%2Fl%2Fmeetup-join%2F19%3Ameeting_X%40thread.v2%2F0&type=meetup-join",
                (Kind::Teams, s("19:meeting_X@thread.v2"), None),
            ),
            (
                "https://us02web.zoom.us/j/85298765432?pwd=aBcD",
                (Kind::Zoom, s("85298765432"), s("85298765432@zoomcrc.com")),
            ),
            ("https://zoom.us/w/912345678", (Kind::Zoom, s("912345678"), s("912345678@zoomcrc.com"))),
            ("https://acme.zoom.us/my/jdoe", (Kind::Zoom, s("jdoe"), None)),
            ("https://acme.zoomgov.com/j/1601234567", (Kind::Zoom, s("1601234567"), None)),
            ("https://acme.webex.com/acme/j.php?MTID=m0123456789abcdef", (Kind::Webex, s("m0123456789abcdef"), None)),
            ("https://acme.webex.com/meet/jdoe", (Kind::Webex, s("jdoe"), s("jdoe@acme.webex.com"))),
            ("https://acme.webex.com/join/jdoe", (Kind::Webex, s("jdoe"), s("jdoe@acme.webex.com"))),
            (
                "https://acme.webex.com/meet/ingrid.berg",
                (Kind::Webex, s("ingrid.berg"), s("ingrid.berg@acme.webex.com")),
            ),
            ("https://meet.google.com/abc-defg-hij?authuser=0", (Kind::Meet, s("abc-defg-hij"), None)),
            ("https://meet.google.com/lookup/teamsync", (Kind::Meet, s("teamsync"), None)),
            ("https://meet.jit.si/WeeklyPlanning", (Kind::Jitsi, s("WeeklyPlanning"), None)),
            ("https://8x8.vc/vpaas-magic-cookie-abc/Room1", (Kind::Jitsi, s("Room1"), None)),
            ("https://meet.example.org/BoardMeeting", (Kind::Jitsi, s("BoardMeeting"), None)),
            ("https://whereby.com/acme-standup", (Kind::Whereby, s("acme-standup"), None)),
            ("https://acme.whereby.com/design", (Kind::Whereby, s("design"), None)),
            (
                "https://pexip.example.com/webapp/#/?conference=meet.alice@example.com&role=guest",
                (Kind::Pexip, s("meet.alice@example.com"), s("meet.alice@example.com")),
            ),
            ("https://vc.example.com/webapp/m/board/express", (Kind::Pexip, s("board"), None)),
        ];
        for (link, want) in cases {
            assert_eq!(c(link), Some(want), "{link}");
        }
    }

    #[test]
    fn other_pages_of_vendor_sites_are_not_meetings() {
        for link in [
            "https://teams.microsoft.com/",
            "https://aka.ms/JoinTeamsMeeting",
            "https://zoom.us/pricing",
            "https://zoom.us/j/12",
            "https://www.webex.com/",
            "https://acme.webex.com/acme/j.php",
            "https://meet.google.com/",
            "https://meet.google.com/ABC-defg-hij",
            "https://meet.jit.si/static/dialInInfo.html",
            "https://whereby.com/information",
            "https://example.com/Room",
            "https://example.com/webapp/",
        ] {
            assert_eq!(c(link), None, "{link}");
        }
    }

    #[test]
    fn app_schemes_become_https() {
        assert_eq!(
            from_app_link("zoommtg://zoom.us/join?action=join&confno=85298765432&pwd=abc"),
            Some("https://zoom.us/j/85298765432?pwd=abc".to_owned())
        );
        assert_eq!(
            from_app_link("msteams:/l/meetup-join/19%3ameeting_X%40thread.v2/0"),
            Some("https://teams.microsoft.com/l/meetup-join/19%3ameeting_X%40thread.v2/0".to_owned())
        );
        assert_eq!(
            from_app_link("jitsi-meet://meet.example.org/Room"),
            Some("https://meet.example.org/Room".to_owned())
        );
        assert_eq!(from_app_link("zoommtg://zoom.us/join?confno=javascript"), None);
        assert_eq!(from_app_link("msteams:/evil"), None);
        assert_eq!(from_app_link("https://zoom.us/j/1"), None);
        assert_eq!(jitsi_hint("jitsi-meet://meet.example.org/Room").as_deref(), Some("meet.example.org"));
        assert_eq!(
            jitsi_hint("https://jitsi.example.net/static/dialInInfo.html?room=X").as_deref(),
            Some("jitsi.example.net")
        );
        assert_eq!(jitsi_hint("https://example.com/Room"), None);
    }
}
