//! `tel:` URIs (RFC 3966), and the vendors' one-tap dial strings.
//!
//! Strict RFC 3966 is accepted as is: `tel:+1-201-555-0123;ext=1234`,
//! `tel:7042;phone-context=example.com`. On top of it, the dial strings that Teams, Zoom, Webex,
//! Google Meet and Jitsi put in invites are read leniently:
//!
//! * a DTMF suffix after the number: `tel:+4722123456,,123456789#` (commas are pauses; `p` and
//!   `w` are accepted too), also percent-encoded (`%2C%2C123%23`);
//! * `;postd=` (RFC 2806, the predecessor of RFC 3966) and Google's `;pin=`;
//! * spaces in the number.
//!
//! The suffix becomes [`DialIn::dtmf`], and its first group of digits [`DialIn::pin`].

use super::LinkError;

/// A phone number with what to type after the call connects.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DialIn {
    /// The number: `+` and digits for international numbers.
    pub number: String,
    /// The conference id or PIN to enter, digits only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pin: Option<String>,
    /// The full DTMF sequence after the call connects (`,,123456#`): pauses, digits, `#`, `*`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dtmf: Option<String>,
    /// Where the number is, as the invite says ("United States, Los Angeles", "US Toll").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

impl DialIn {
    /// A number with an optional DTMF suffix; the PIN is the suffix's first group of digits.
    pub fn new(number: String, dtmf: Option<String>) -> Self {
        let pin = dtmf.as_deref().and_then(first_digits);
        Self { number, pin, dtmf, label: None }
    }

    /// A number and a PIN given apart (as in "PIN: 123 456 789#"): the DTMF is `,,PIN#`.
    pub fn with_pin(number: String, pin: &str) -> Self {
        let digits: String = pin.chars().filter(char::is_ascii_digit).collect();
        if digits.is_empty() {
            return Self { number, pin: None, dtmf: None, label: None };
        }
        Self { number, dtmf: Some(format!(",,{digits}#")), pin: Some(digits), label: None }
    }
}

fn first_digits(s: &str) -> Option<String> {
    let start = s.find(|c: char| c.is_ascii_digit())?;
    let d: String = s[start..].chars().take_while(char::is_ascii_digit).collect();
    Some(d)
}

/// A parsed `tel:` URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelUri {
    /// `+` and digits (global), or the local digits.
    pub number: String,
    /// `phone-context` of a local number.
    pub context: Option<String>,
    /// Extension (`;ext=`).
    pub ext: Option<String>,
    /// DTMF to send after connecting, normalised (lowercase).
    pub dtmf: Option<String>,
    /// Other parameters, names lowercase.
    pub params: Vec<(String, Option<String>)>,
}

fn err(why: impl Into<String>) -> LinkError {
    LinkError::InvalidTelUri { why: why.into() }
}

/// Percent-decodes; bytes that do not form UTF-8 are an error.
fn percent_decode(s: &str) -> Result<String, LinkError> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = b.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
            let v = hex.and_then(|h| u8::from_str_radix(h, 16).ok()).ok_or_else(|| err("bad %-escape"))?;
            out.push(v);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| err("%-escapes that are not UTF-8"))
}

fn is_separator(c: char) -> bool {
    matches!(c, '-' | '.' | '(' | ')' | ' ' | '\u{a0}')
}

fn is_dtmf(c: char) -> bool {
    c.is_ascii_digit() || matches!(c, '*' | '#' | ',' | 'p' | 'P' | 'w' | 'W')
}

fn normalize_dtmf(s: &str) -> Result<Option<String>, LinkError> {
    let s: String = s.chars().filter(|c| !is_separator(*c)).collect();
    if s.is_empty() {
        return Ok(None);
    }
    if !s.chars().all(is_dtmf) {
        return Err(err(format!("\"{s}\" is not a DTMF sequence")));
    }
    if s.len() > 64 {
        return Err(err("the DTMF sequence is longer than 64 characters"));
    }
    Ok(Some(s.to_ascii_lowercase()))
}

impl TelUri {
    /// Reads a `tel:` URI or a vendor's one-tap dial string (see the module docs).
    pub fn parse(text: &str) -> Result<Self, LinkError> {
        let text = text.trim();
        let (scheme, rest) = text.split_once(':').ok_or_else(|| err("expected tel:"))?;
        if !scheme.eq_ignore_ascii_case("tel") {
            return Err(err(format!("the scheme \"{scheme}:\" is not tel:")));
        }
        let rest = percent_decode(rest.strip_prefix("//").unwrap_or(rest))?;
        let mut parts = rest.split(';');
        let subscriber = parts.next().unwrap_or("");
        let global = subscriber.starts_with('+');
        // The number runs until the first DTMF pause; for a global number also until * or #.
        let body = if global { &subscriber[1..] } else { subscriber };
        let end = body
            .find(|c: char| matches!(c, ',' | 'p' | 'P' | 'w' | 'W') || (global && matches!(c, '*' | '#')))
            .unwrap_or(body.len());
        let (digits_part, suffix) = body.split_at(end);
        let mut number = String::from(if global { "+" } else { "" });
        for c in digits_part.chars() {
            match c {
                c if c.is_ascii_digit() => number.push(c),
                c if is_separator(c) => {}
                c if !global && (c.is_ascii_hexdigit() || c == '*' || c == '#') => number.push(c),
                c => return Err(err(format!("\"{c}\" is not allowed in a phone number"))),
            }
        }
        let digit_count = number.chars().filter(char::is_ascii_digit).count();
        if global && !(3..=15).contains(&digit_count) {
            return Err(err(format!("an international number has 3 to 15 digits, not {digit_count}")));
        }
        if !global && !(1..=20).contains(&number.len()) {
            return Err(err("a local number has 1 to 20 digits"));
        }
        let mut dtmf = normalize_dtmf(suffix)?;
        let (mut context, mut ext, mut params) = (None, None, Vec::new());
        for p in parts {
            let (name, value) = match p.split_once('=') {
                Some((n, v)) => (n.trim().to_ascii_lowercase(), Some(v.trim().to_owned())),
                None => (p.trim().to_ascii_lowercase(), None),
            };
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                return Err(err(format!("bad parameter \"{p}\"")));
            }
            match (name.as_str(), value) {
                ("phone-context", Some(v)) if !v.is_empty() => context = Some(v),
                ("ext", Some(v))
                    if v.chars().any(|c| c.is_ascii_digit())
                        && v.chars().all(|c| c.is_ascii_digit() || is_separator(c)) =>
                {
                    ext = Some(v.chars().filter(char::is_ascii_digit).collect())
                }
                ("postd", Some(v)) if dtmf.is_none() => dtmf = normalize_dtmf(&v)?,
                ("pin", Some(v)) if dtmf.is_none() => {
                    let d: String = v.chars().filter(char::is_ascii_digit).collect();
                    if d.is_empty() || d.len() != v.chars().filter(|c| !is_separator(*c) && *c != '#').count() {
                        return Err(err("the PIN is not digits"));
                    }
                    dtmf = Some(format!(",,{d}#"));
                }
                ("phone-context" | "ext" | "postd" | "pin", _) => return Err(err(format!("bad parameter \"{p}\""))),
                (_, value) => params.push((name, value)),
            }
        }
        if !global && context.is_none() {
            return Err(err("a local number needs a phone-context (RFC 3966)"));
        }
        Ok(Self { number, context, ext, dtmf, params })
    }

    /// The number and what to type, for a dial-in list.
    pub fn to_dial_in(&self) -> DialIn {
        DialIn::new(self.number.clone(), self.dtmf.clone())
    }

    /// The canonical `tel:` form: number without separators, DTMF suffix percent-free.
    pub fn to_uri(&self) -> String {
        let mut s = format!("tel:{}", self.number);
        if let Some(d) = &self.dtmf {
            s.push_str(&d.replace('#', "%23"));
        }
        if let Some(e) = &self.ext {
            s.push_str(&format!(";ext={e}"));
        }
        if let Some(c) = &self.context {
            s.push_str(&format!(";phone-context={c}"));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rfc_3966_examples() {
        let t = TelUri::parse("tel:+1-201-555-0123").unwrap();
        assert_eq!((t.number.as_str(), t.dtmf.clone()), ("+12015550123", None));
        let t = TelUri::parse("tel:7042;phone-context=example.com").unwrap();
        assert_eq!((t.number.as_str(), t.context.as_deref()), ("7042", Some("example.com")));
        let t = TelUri::parse("tel:863-1234;phone-context=+1-914-555").unwrap();
        assert_eq!(t.number, "8631234");
        let t = TelUri::parse("tel:+1-201-555-0123;ext=1234;isub=1411").unwrap();
        assert_eq!(t.ext.as_deref(), Some("1234"));
        assert_eq!(t.params, vec![("isub".to_owned(), Some("1411".to_owned()))]);
    }

    #[test]
    fn reads_one_tap_dial_strings_into_dtmf_and_pin() {
        let cases = [
            ("tel:+4722123456,,123456#", "+4722123456", ",,123456#", "123456"),
            ("tel:+13235550166,,123456789%23", "+13235550166", ",,123456789#", "123456789"),
            ("tel:+16699006833,,85298765432#,,,,*123456#", "+16699006833", ",,85298765432#,,,,*123456#", "85298765432"),
            ("tel:+1.512.402.2718,,1234567890#", "+15124022718", ",,1234567890#", "1234567890"),
            ("tel:+1-484-123-4567;pin=123456789", "+14841234567", ",,123456789#", "123456789"),
            ("tel:+1-415-655-0001;postd=pp25712345678%23%23", "+14156550001", "pp25712345678##", "25712345678"),
            ("TEL:+47%2022%2012%2034%2056%2C%2C99%23", "+4722123456", ",,99#", "99"),
        ];
        for (uri, number, dtmf, pin) in cases {
            let d = TelUri::parse(uri).unwrap().to_dial_in();
            assert_eq!(
                (d.number.as_str(), d.dtmf.as_deref(), d.pin.as_deref()),
                (number, Some(dtmf), Some(pin)),
                "{uri}"
            );
        }
        let t = TelUri::parse("tel:+4722123456,,123456#").unwrap();
        assert_eq!(TelUri::parse(&t.to_uri()).unwrap(), t);
    }

    #[test]
    fn refuses_what_is_not_a_number() {
        for bad in [
            "tel:",
            "tel:+",
            "tel:+12",
            "tel:+1234567890123456",
            "tel:7042",
            "tel:+47abc",
            "tel:+4722123456,,12x#",
            "tel:+4722123456;ext=abc",
            "tel:+1-201-555-0123;ext=-", // fuzz regression: an extension of separators only
            "tel:+4722123456;pin=12a",
            "tel:+4722123456;=1",
            "tel:+47%2",
            "tel:+47%ff%fe",
            "sip:+4722123456@host",
        ] {
            assert_eq!(TelUri::parse(bad).map_err(|e| e.code()), Err("links.invalid_tel_uri"), "{bad}");
        }
    }

    #[test]
    fn a_pin_given_apart_becomes_dtmf() {
        let d = DialIn::with_pin("+4722123456".into(), "123 456 789#");
        assert_eq!((d.pin.as_deref(), d.dtmf.as_deref()), (Some("123456789"), Some(",,123456789#")));
        assert_eq!(DialIn::with_pin("+47".into(), "abc").dtmf, None);
    }
}
