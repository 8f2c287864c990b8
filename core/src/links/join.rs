//! Trygg's own join links.
//!
//! ```text
//! trygg://HOST[:PORT]/ROOM[?insecure=1]#SECRET[.INVITATION]     default port 7443
//! https://HOST[:PORT]/j/ROOM#SECRET[.INVITATION]                default port 443
//! ```
//!
//! * `SECRET`: 16–32 random bytes, base64url without padding ([`LinkSecret`]).
//! * `ROOM`: derived from the secret ([`RoomId`]; links from before room ids committed to the
//!   room proof are read too); a link whose room does not match its secret
//!   was altered and is refused ([`LinkError::TamperedLink`]).
//! * `INVITATION`: a personal invitation signed by the host ([`Invitation`]), optional.
//! * Transport: always TLS (`wss`), except `trygg://` links to a loopback host (`localhost`,
//!   `127.0.0.0/8`, `::1`) that say `?insecure=1`, for a development server on the same machine.
//!   `insecure=1` on any other host is refused: a link can never downgrade a remote connection.
//! * `?pin=PIN` (`trygg://` only): the SHA-256 of the server's certificate, base64url. A meeting
//!   server started by the host's own app on a LAN has no certificate a public authority signed;
//!   the link then names the one certificate to accept, so the connection is still TLS and still
//!   authenticated, with zero setup. A pinned link accepts nothing else.
//!
//! The fragment (after `#`) is never sent to any server: browsers keep it client-side, and Trygg
//! hands the signalling layer only a [`ServerView`], which has no field that could hold it.

use std::fmt;

use super::LinkError;
use super::invitation::Invitation;
use super::secret::{LinkSecret, ROOM_ID_LEN, RoomId};

/// Port of `trygg://` links that name none.
pub const DEFAULT_TRYGG_PORT: u16 = 7443;
/// Port of `https://` links that name none.
pub const DEFAULT_HTTPS_PORT: u16 = 443;

/// Which of the two spellings a link uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkForm {
    /// `trygg://HOST/ROOM#SECRET`: opens the app directly.
    Trygg,
    /// `https://HOST/j/ROOM#SECRET`: clickable in every mail and calendar program; the server's
    /// page hands it to the app.
    Https,
}

/// A parsed, verified Trygg join link.
///
/// `Debug` redacts the secret; there is no `Display` and no `Serialize`. Give the signalling
/// layer [`JoinLink::server_view`], never the link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinLink {
    form: LinkForm,
    host: url::Host<String>,
    port: Option<u16>,
    insecure: bool,
    pin: Option<[u8; 32]>,
    secret: LinkSecret,
    token: Option<Invitation>,
}

/// What the signalling server may know of a link: where to connect and which room to ask for.
/// It cannot carry the secret or the token.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ServerView {
    /// Host name (ASCII, punycode for international names) or address (`[v6]` in brackets).
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Whether the connection uses TLS (`wss`). False only for a loopback host with `insecure=1`.
    pub tls: bool,
    /// The room to knock on.
    pub room: RoomId,
    /// Accept only the server certificate with this SHA-256 (instead of the public CAs).
    pub pin: Option<[u8; 32]>,
}

impl fmt::Display for ServerView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.tls { "wss" } else { "ws" };
        write!(f, "{scheme}://{}:{} room {}", self.host, self.port, self.room)
    }
}

/// Whether a host is this machine.
pub fn is_loopback(host: &url::Host<String>) -> bool {
    match host {
        url::Host::Domain(d) => d == "localhost" || d.ends_with(".localhost"),
        url::Host::Ipv4(a) => a.is_loopback(),
        url::Host::Ipv6(a) => a.is_loopback(),
    }
}

/// Reads `HOST[:PORT]`, refusing user info. Host names go through IDNA (to punycode).
pub(crate) fn parse_authority(authority: &str) -> Result<(url::Host<String>, Option<u16>), LinkError> {
    if authority.contains('@') {
        return Err(LinkError::invalid_link("links with a user name or password before the host are refused"));
    }
    let (host, port) = match authority.rfind(':') {
        Some(i) if !authority[i..].contains(']') => (&authority[..i], Some(&authority[i + 1..])),
        _ => (authority, None),
    };
    if host.is_empty() {
        return Err(LinkError::invalid_link("the link has no host"));
    }
    let host = url::Host::parse(host).map_err(|e| LinkError::invalid_link(format!("bad host \"{host}\": {e}")))?;
    let port = match port {
        None => None,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => Some(n),
            _ => return Err(LinkError::invalid_link(format!("bad port \"{p}\""))),
        },
    };
    Ok((host, port))
}

fn parse_pin(text: &str) -> Result<[u8; 32], LinkError> {
    data_encoding::BASE64URL_NOPAD
        .decode(text.as_bytes())
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or_else(|| LinkError::invalid_link("pin= must be a SHA-256 in base64url"))
}

fn split_fragment(text: &str) -> (&str, Option<&str>) {
    match text.split_once('#') {
        Some((a, f)) => (a, Some(f)),
        None => (text, None),
    }
}

/// Whether an https path is a Trygg join path (`/j/` and 26 characters).
pub(crate) fn is_join_path(path: &str) -> bool {
    path.strip_prefix("/j/")
        .map(|r| r.strip_suffix('/').unwrap_or(r))
        .is_some_and(|r| r.len() == ROOM_ID_LEN && r.bytes().all(|b| b.is_ascii_alphanumeric()))
}

impl JoinLink {
    /// A link to a new meeting with this secret.
    pub fn new(form: LinkForm, host: &str, port: Option<u16>, secret: LinkSecret) -> Result<Self, LinkError> {
        let (host, explicit) = parse_authority(host)?;
        let port = port.or(explicit);
        Ok(Self { form, host, port, insecure: false, pin: None, secret, token: None })
    }

    /// Reads and verifies a link in either form.
    pub fn parse(text: &str) -> Result<Self, LinkError> {
        let text = text.trim();
        let (scheme, rest) =
            text.split_once("://").ok_or_else(|| LinkError::invalid_link("expected trygg:// or https://"))?;
        let form = if scheme.eq_ignore_ascii_case("trygg") {
            LinkForm::Trygg
        } else if scheme.eq_ignore_ascii_case("https") {
            LinkForm::Https
        } else {
            return Err(LinkError::invalid_link(format!("the scheme \"{scheme}:\" is not trygg: or https:")));
        };
        let (rest, fragment) = split_fragment(rest);
        let (rest, query) = match rest.split_once('?') {
            Some((a, q)) => (a, Some(q)),
            None => (rest, None),
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let (host, port) = parse_authority(authority)?;
        let room_text = match form {
            LinkForm::Trygg => path.strip_prefix('/'),
            LinkForm::Https => path.strip_prefix("/j/"),
        }
        .map(|r| r.strip_suffix('/').unwrap_or(r))
        .ok_or_else(|| LinkError::invalid_link("the path is not a meeting room"))?;
        let room = RoomId::parse(room_text)?;
        let insecure = query.is_some_and(|q| q.split('&').any(|kv| kv == "insecure=1"));
        if insecure && form == LinkForm::Https {
            return Err(LinkError::invalid_link("insecure=1 is only for trygg:// links"));
        }
        if insecure && !is_loopback(&host) {
            return Err(LinkError::invalid_link(
                "insecure=1 is only allowed for this machine (localhost, 127.0.0.1, ::1); other hosts always use TLS",
            ));
        }
        let pin = match query.and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("pin="))) {
            None => None,
            Some(_) if form == LinkForm::Https => {
                return Err(LinkError::invalid_link("pin= is only for trygg:// links"));
            }
            Some(_) if insecure => return Err(LinkError::invalid_link("a link cannot be both pinned and insecure")),
            Some(text) => Some(parse_pin(text)?),
        };
        let fragment = fragment.filter(|f| !f.is_empty()).ok_or_else(|| {
            LinkError::invalid_link("the link has no secret after #; it may have been cut off when it was copied")
        })?;
        let (secret_text, token_text) = match fragment.split_once('.') {
            Some((s, t)) => (s, Some(t)),
            None => (fragment, None),
        };
        let secret = LinkSecret::from_base64(secret_text)?;
        if secret.room_id() != room && secret.legacy_room_id() != room {
            return Err(LinkError::TamperedLink);
        }
        let token = token_text.map(Invitation::parse).transpose()?;
        Ok(Self { form, host, port, insecure, pin, secret, token })
    }

    /// The same meeting on a loopback server without TLS (`?insecure=1`), for a server on this
    /// machine only.
    pub fn insecure_loopback(&self) -> Result<Self, LinkError> {
        if self.form != LinkForm::Trygg || !is_loopback(&self.host) {
            return Err(LinkError::invalid_link("only trygg:// links to this machine can go without TLS"));
        }
        Ok(Self { insecure: true, pin: None, ..self.clone() })
    }

    /// The same meeting on a server whose certificate has this SHA-256 (`?pin=`).
    pub fn pinned(&self, cert_sha256: [u8; 32]) -> Result<Self, LinkError> {
        if self.form != LinkForm::Trygg {
            return Err(LinkError::invalid_link("only trygg:// links carry a certificate pin"));
        }
        Ok(Self { insecure: false, pin: Some(cert_sha256), ..self.clone() })
    }

    /// The same meeting, carrying a personal invitation (made with this link's secret by
    /// [`Invitation::issue`]).
    pub fn personal(&self, invitation: Invitation) -> Self {
        Self { token: Some(invitation), ..self.clone() }
    }

    /// The same meeting without a personal invitation.
    pub fn without_invitation(&self) -> Self {
        Self { token: None, ..self.clone() }
    }

    /// The same meeting in the other spelling (or the same one).
    pub fn with_form(&self, form: LinkForm) -> Self {
        let trygg = form == LinkForm::Trygg;
        Self { form, insecure: self.insecure && trygg, pin: self.pin.filter(|_| trygg), ..self.clone() }
    }

    /// The link as text, **with its secret**: for the user's own screen, clipboard and invites.
    /// Never log it or send it to a server.
    pub fn expose_url(&self) -> String {
        let mut s = String::with_capacity(120);
        s.push_str(match self.form {
            LinkForm::Trygg => "trygg://",
            LinkForm::Https => "https://",
        });
        s.push_str(&self.host.to_string());
        if let Some(p) = self.port.filter(|p| *p != self.default_port()) {
            s.push_str(&format!(":{p}"));
        }
        s.push_str(match self.form {
            LinkForm::Trygg => "/",
            LinkForm::Https => "/j/",
        });
        s.push_str(self.room().as_str());
        if self.insecure {
            s.push_str("?insecure=1");
        } else if let Some(pin) = &self.pin {
            s.push_str("?pin=");
            s.push_str(&data_encoding::BASE64URL_NOPAD.encode(pin));
        }
        s.push('#');
        s.push_str(&self.secret.to_base64());
        if let Some(t) = &self.token {
            s.push('.');
            s.push_str(&t.encode());
        }
        s
    }

    fn default_port(&self) -> u16 {
        match self.form {
            LinkForm::Trygg => DEFAULT_TRYGG_PORT,
            LinkForm::Https => DEFAULT_HTTPS_PORT,
        }
    }

    /// What the signalling layer gets: host, port, TLS, room. Never the secret.
    pub fn server_view(&self) -> ServerView {
        ServerView {
            host: self.host.to_string(),
            port: self.port(),
            tls: !(self.insecure && is_loopback(&self.host)),
            room: self.room(),
            pin: self.pin,
        }
    }

    /// The spelling.
    pub fn form(&self) -> LinkForm {
        self.form
    }

    /// Host (ASCII; punycode for international names).
    pub fn host(&self) -> String {
        self.host.to_string()
    }

    /// The port, the default one when the link names none.
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(self.default_port())
    }

    /// The room id (derived from the secret, through the room proof it commits to).
    pub fn room(&self) -> RoomId {
        self.secret.room_id()
    }

    /// The meeting secret.
    pub fn secret(&self) -> &LinkSecret {
        &self.secret
    }

    /// The personal invitation this link carries, if any.
    pub fn invitation(&self) -> Option<&Invitation> {
        self.token.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> LinkSecret {
        LinkSecret::from_random(core::array::from_fn(|i| i as u8))
    }

    fn personal(link: &JoinLink, invitee: &str) -> JoinLink {
        let inv = Invitation::issue(
            link.secret().expose_bytes(),
            invitee,
            crate::links::InvitationId([1; 8]),
            [2; 32],
            [4; 32],
            |_| [3; 64],
        );
        link.personal(inv.unwrap())
    }

    #[test]
    fn pinned_and_insecure_links_round_trip_and_refuse_each_other() {
        let base = JoinLink::new(LinkForm::Trygg, "192.168.1.20", Some(7443), secret()).unwrap();
        let pinned = base.pinned([7; 32]).unwrap();
        let text = pinned.expose_url();
        assert!(text.contains("?pin=BwcH"), "{text}");
        let back = JoinLink::parse(&text).unwrap();
        assert_eq!(back.server_view().pin, Some([7; 32]));
        assert!(back.server_view().tls);
        assert!(base.insecure_loopback().is_err(), "a LAN address cannot go without TLS");
        let local =
            JoinLink::new(LinkForm::Trygg, "127.0.0.1", Some(7443), secret()).unwrap().insecure_loopback().unwrap();
        assert!(!JoinLink::parse(&local.expose_url()).unwrap().server_view().tls);
        let both =
            local.expose_url().replace("?insecure=1", "?insecure=1&pin=BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc");
        assert!(JoinLink::parse(&both).is_err());
        assert!(JoinLink::parse(&text.replace("?pin=BwcH", "?pin=Bw")).is_err());
        assert!(pinned.with_form(LinkForm::Https).server_view().pin.is_none());
    }

    #[test]
    fn both_forms_round_trip_with_default_and_explicit_ports() {
        for form in [LinkForm::Trygg, LinkForm::Https] {
            for port in [None, Some(8443)] {
                let link = JoinLink::new(form, "meet.example.org", port, secret()).unwrap();
                let text = link.expose_url();
                let back = JoinLink::parse(&text).unwrap();
                assert_eq!(back, link, "{text}");
                assert_eq!(back.server_view(), link.server_view());
            }
        }
        let t = JoinLink::new(LinkForm::Trygg, "meet.example.org", None, secret()).unwrap();
        assert_eq!(t.port(), 7443);
        assert!(t.expose_url().starts_with("trygg://meet.example.org/"), "{}", t.expose_url());
        let h = t.with_form(LinkForm::Https);
        assert_eq!(h.port(), 443);
        assert!(h.expose_url().starts_with("https://meet.example.org/j/"), "{}", h.expose_url());
    }

    #[test]
    fn the_server_view_has_no_secret() {
        let link = JoinLink::new(LinkForm::Https, "meet.example.org", None, secret()).unwrap();
        let personal = personal(&link, "a@example.com");
        let view = serde_json::to_string(&personal.server_view()).unwrap();
        let url = personal.expose_url();
        let fragment = url.split_once('#').unwrap().1;
        for part in fragment.split('.') {
            assert!(!view.contains(part), "{view}");
        }
        assert!(view.contains(link.room().as_str()) && view.contains("\"tls\":true"), "{view}");
        assert!(!format!("{personal:?}").contains(fragment.split('.').next().unwrap()));
    }

    #[test]
    fn an_altered_room_or_secret_is_caught() {
        let link = JoinLink::new(LinkForm::Trygg, "meet.example.org", None, secret()).unwrap();
        let url = link.expose_url();
        let other = LinkSecret::from_random([9; 32]).room_id();
        let swapped = url.replace(link.room().as_str(), other.as_str());
        assert_eq!(JoinLink::parse(&swapped), Err(LinkError::TamperedLink));
        let (head, secret_text) = url.split_once('#').unwrap();
        let flipped = if secret_text.starts_with('A') { "B" } else { "A" };
        let altered = format!("{head}#{flipped}{}", &secret_text[1..]);
        assert_eq!(JoinLink::parse(&altered), Err(LinkError::TamperedLink));
    }

    #[test]
    fn room_ids_commit_to_the_proof_and_links_from_before_still_open() {
        let link = JoinLink::new(LinkForm::Trygg, "meet.example.org", None, secret()).unwrap();
        let proof = crate::room::ids::RoomProof::derive(secret().expose_bytes());
        assert!(
            crate::room::ids::RoomId::parse(link.room().as_str()).unwrap().is_bound_to(&proof),
            "a new link's room id commits to its proof"
        );
        let url = link.expose_url();
        let legacy = url.replace(link.room().as_str(), secret().legacy_room_id().as_str());
        assert_ne!(legacy, url);
        let old = JoinLink::parse(&legacy).expect("a link from before still opens");
        assert_eq!(old.room(), link.room(), "and meets in the room its secret names now");
    }

    #[test]
    fn cut_off_and_malformed_links_are_refused_with_a_reason() {
        let url = JoinLink::new(LinkForm::Https, "meet.example.org", None, secret()).unwrap().expose_url();
        let no_fragment = url.split('#').next().unwrap();
        let e = JoinLink::parse(no_fragment).unwrap_err();
        assert!(e.to_string().contains("cut off"), "{e}");
        let room = secret().room_id();
        for bad in [
            format!("http://meet.example.org/j/{room}#AAAA"),
            format!("https://user@meet.example.org/j/{room}#AAAA"),
            format!("https://meet.example.org/x/{room}#AAAA"),
            format!("https://meet.example.org:99999/j/{room}#AAAA"),
            "trygg://".to_owned(),
            "trygg:///abc#x".to_owned(),
        ] {
            let e = JoinLink::parse(&bad).unwrap_err();
            assert_eq!(e.code(), "links.invalid_link", "{bad}: {e}");
        }
    }

    #[test]
    fn insecure_is_only_for_loopback_trygg_links() {
        let s = secret();
        let room = s.room_id();
        let frag = s.to_base64();
        let local = JoinLink::parse(&format!("trygg://localhost:7443/{room}?insecure=1#{frag}")).unwrap();
        assert!(!local.server_view().tls);
        let v6 = JoinLink::parse(&format!("trygg://[::1]/{room}?insecure=1#{frag}")).unwrap();
        assert_eq!((v6.server_view().host.as_str(), v6.server_view().tls), ("[::1]", false));
        assert!(JoinLink::parse(&format!("trygg://localhost/{room}#{frag}")).unwrap().server_view().tls);
        let e = JoinLink::parse(&format!("trygg://meet.example.org/{room}?insecure=1#{frag}")).unwrap_err();
        assert!(e.to_string().contains("always use TLS"), "{e}");
        assert!(JoinLink::parse(&format!("https://localhost/j/{room}?insecure=1#{frag}")).is_err());
    }

    #[test]
    fn international_hosts_become_punycode_and_tokens_survive() {
        let link = JoinLink::new(LinkForm::Https, "møte.example.no", None, secret()).unwrap();
        assert_eq!(link.host(), "xn--mte-0na.example.no");
        let p = personal(&link, "Bob@example.com");
        let back = JoinLink::parse(&p.expose_url()).unwrap();
        assert_eq!(back.invitation(), p.invitation());
        assert_eq!(back.invitation().unwrap().invitee(), "bob@example.com");
        assert!(is_join_path(&format!("/j/{}", link.room())));
        assert!(!is_join_path("/j/short"));
    }
}
