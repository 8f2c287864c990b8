//! `sip:` and `sips:` URIs (RFC 3261 §19.1).
//!
//! ```text
//! sip:[user[:password]@]host[:port][;param[=value]]*[?header=value[&header=value]*]
//! ```
//!
//! Passwords in the URI are refused (RFC 3261 calls them "NOT RECOMMENDED"; in a link they are a
//! phishing tool). Headers (`?Subject=…`) are kept when parsing but never dialled: they could
//! smuggle `Replaces` or `Route` into the INVITE, so [`SipUri::to_dial_string`] drops them.

use std::fmt;

use super::LinkError;

/// A parsed SIP URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipUri {
    /// `sips:` (TLS end to end) rather than `sip:`.
    pub secure: bool,
    /// The user part as written (escapes kept), e.g. `25712345678` or `alice`.
    pub user: Option<String>,
    /// Host name (lowercase) or address (`[v6]` in brackets).
    pub host: String,
    /// Port, when the URI names one.
    pub port: Option<u16>,
    /// URI parameters in order (`transport=tls`, `lr`, ...); names lowercase.
    pub params: Vec<(String, Option<String>)>,
    /// Headers after `?` (never dialled).
    pub headers: Vec<(String, String)>,
}

fn err(why: impl Into<String>) -> LinkError {
    LinkError::InvalidSipUri { why: why.into() }
}

fn unreserved(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&c)
}

/// Checks that `s` has only `allowed` characters and well-formed `%HH` escapes.
fn check_chars(s: &str, what: &str, allowed: impl Fn(u8) -> bool) -> Result<(), LinkError> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            if i + 2 >= b.len() || !b[i + 1].is_ascii_hexdigit() || !b[i + 2].is_ascii_hexdigit() {
                return Err(err(format!("bad %-escape in the {what}")));
            }
            i += 3;
            continue;
        }
        if !allowed(b[i]) {
            let c = s[i..].chars().next().unwrap_or('?');
            return Err(err(format!("\"{c}\" is not allowed in the {what}")));
        }
        i += 1;
    }
    Ok(())
}

fn parse_host(hostport: &str) -> Result<(String, Option<u16>), LinkError> {
    let (host, port) = if let Some(rest) = hostport.strip_prefix('[') {
        let end = rest.find(']').ok_or_else(|| err("unclosed [ in the host"))?;
        let after = &rest[end + 1..];
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':').ok_or_else(|| err("junk after the IPv6 address"))?),
        };
        (&hostport[..end + 2], port)
    } else {
        match hostport.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    if host.is_empty() {
        return Err(err("no host"));
    }
    let host = if host.starts_with('[') {
        match url::Host::parse(host) {
            Ok(h @ url::Host::Ipv6(_)) => h.to_string(),
            _ => return Err(err(format!("\"{host}\" is not an IPv6 address"))),
        }
    } else {
        let trimmed = host.strip_suffix('.').unwrap_or(host);
        let labels_ok = !trimmed.is_empty()
            && trimmed.split('.').all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && l.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
                    && !l.starts_with('-')
                    && !l.ends_with('-')
            });
        if !labels_ok || trimmed.len() > 253 {
            return Err(err(format!("\"{host}\" is not a host name or address")));
        }
        trimmed.to_ascii_lowercase()
    };
    let port = match port {
        None => None,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => Some(n),
            _ => return Err(err(format!("bad port \"{p}\""))),
        },
    };
    Ok((host, port))
}

impl SipUri {
    /// Reads a `sip:` or `sips:` URI.
    pub fn parse(text: &str) -> Result<Self, LinkError> {
        let text = text.trim();
        let (scheme, rest) = text.split_once(':').ok_or_else(|| err("expected sip: or sips:"))?;
        let secure = if scheme.eq_ignore_ascii_case("sips") {
            true
        } else if scheme.eq_ignore_ascii_case("sip") {
            false
        } else {
            return Err(err(format!("the scheme \"{scheme}:\" is not sip: or sips:")));
        };
        if rest.starts_with("//") {
            return Err(err("SIP URIs have no // after the scheme"));
        }
        let (user, rest) = match rest.find('@') {
            Some(at) => (Some(&rest[..at]), &rest[at + 1..]),
            None => (None, rest),
        };
        let user = match user {
            None => None,
            Some("") => return Err(err("empty user before @")),
            Some(u) => {
                if u.contains(':') {
                    return Err(err("passwords in SIP URIs are refused"));
                }
                check_chars(u, "user part", |c| unreserved(c) || b"&=+$,;?/".contains(&c))?;
                Some(u.to_owned())
            }
        };
        let (main, headers_text) = match rest.split_once('?') {
            Some((m, h)) => (m, Some(h)),
            None => (rest, None),
        };
        let mut parts = main.split(';');
        let (host, port) = parse_host(parts.next().unwrap_or(""))?;
        let mut params = Vec::new();
        for p in parts {
            let (name, value) = match p.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (p, None),
            };
            if name.is_empty() {
                return Err(err("empty parameter"));
            }
            // RFC 3261 wants `=` escaped in values; Outlook's Skype for Business URIs do not.
            let paramchar = |c: u8| unreserved(c) || b"[]/:&+$=".contains(&c);
            check_chars(name, "parameters", paramchar)?;
            if let Some(v) = value {
                check_chars(v, "parameters", paramchar)?;
            }
            params.push((name.to_ascii_lowercase(), value.map(str::to_owned)));
        }
        let mut headers = Vec::new();
        if let Some(h) = headers_text {
            for hv in h.split('&') {
                let (n, v) = hv.split_once('=').ok_or_else(|| err("a header without ="))?;
                let hchar = |c: u8| unreserved(c) || b"[]/?:+$".contains(&c);
                if n.is_empty() {
                    return Err(err("empty header name"));
                }
                check_chars(n, "headers", hchar)?;
                check_chars(v, "headers", hchar)?;
                headers.push((n.to_owned(), v.to_owned()));
            }
        }
        Ok(Self { secure, user, host, port, params, headers })
    }

    /// The URI without headers: what a SIP bridge may dial.
    pub fn to_dial_string(&self) -> String {
        let mut s = String::from(if self.secure { "sips:" } else { "sip:" });
        s.push_str(&self.address());
        if let Some(p) = self.port {
            s.push_str(&format!(":{p}"));
        }
        for (n, v) in &self.params {
            s.push(';');
            s.push_str(n);
            if let Some(v) = v {
                s.push('=');
                s.push_str(v);
            }
        }
        s
    }

    /// `user@host` (or `host`), as room systems show it.
    pub fn address(&self) -> String {
        match &self.user {
            Some(u) => format!("{u}@{}", self.host),
            None => self.host.clone(),
        }
    }

    /// The value of a URI parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).and_then(|(_, v)| v.as_deref())
    }
}

impl fmt::Display for SipUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_dial_string())?;
        for (i, (n, v)) in self.headers.iter().enumerate() {
            write!(f, "{}{n}={v}", if i == 0 { '?' } else { '&' })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rfc_3261_examples() {
        let u = SipUri::parse("sip:alice@atlanta.com").unwrap();
        assert_eq!((u.user.as_deref(), u.host.as_str(), u.secure), (Some("alice"), "atlanta.com", false));
        let u = SipUri::parse("sips:alice@atlanta.com?subject=project%20x&priority=urgent").unwrap();
        assert!(u.secure);
        assert_eq!(u.headers.len(), 2);
        assert_eq!(u.to_dial_string(), "sips:alice@atlanta.com", "headers are never dialled");
        let u = SipUri::parse("sip:+1-212-555-1212@gateway.com;user=phone").unwrap();
        assert_eq!((u.user.as_deref(), u.param("user")), (Some("+1-212-555-1212"), Some("phone")));
        let u = SipUri::parse("sip:atlanta.com;method=REGISTER?to=alice%40atlanta.com").unwrap();
        assert_eq!((u.user.as_deref(), u.param("method")), (None, Some("REGISTER")));
        let u = SipUri::parse("sip:alice;day=tuesday@atlanta.com").unwrap();
        assert_eq!(u.user.as_deref(), Some("alice;day=tuesday"));
        let u = SipUri::parse("SIP:Bob@[2001:db8::10]:5070;transport=TLS").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("[2001:db8::10]", Some(5070)));
        assert_eq!(u.to_string(), "sip:Bob@[2001:db8::10]:5070;transport=TLS");
    }

    #[test]
    fn reads_vendor_gateways_and_skype_conference_uris() {
        let u = SipUri::parse("sip:85298765432@zoomcrc.com").unwrap();
        assert_eq!(u.address(), "85298765432@zoomcrc.com");
        let u = SipUri::parse("sip:alice@contoso.com;gruu;opaque=app:conf:focus:id:ABCD1234%3Frequired-media=audio")
            .unwrap();
        assert_eq!(u.param("opaque"), Some("app:conf:focus:id:ABCD1234%3Frequired-media=audio"));
    }

    #[test]
    fn refuses_what_rfc_3261_does_not_allow() {
        for bad in [
            "sip:",
            "sip:@host",
            "sip:alice:secret@atlanta.com",
            "sip://alice@atlanta.com",
            "sip:alice@",
            "sip:alice@exa mple.com",
            "sip:alice@-bad-.com",
            "sip:alice@host:0",
            "sip:alice@host:http",
            "sip:al<ice@host",
            "sip:alice@host;=x",
            "sip:alice@host?noequals",
            "sip:%zz@host",
            "sip:a%4@host",
            "sip:alice@[::1",
            "http:alice@host",
        ] {
            assert_eq!(SipUri::parse(bad).map_err(|e| e.code()), Err("links.invalid_sip_uri"), "{bad}");
        }
    }
}
