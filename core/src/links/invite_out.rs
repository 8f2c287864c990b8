//! Writing invites (RFC 5545 with RFC 7986 `CONFERENCE`), for `trygg invite`.
//!
//! The join link goes in `CONFERENCE;VALUE=URI;FEATURE=AUDIO,VIDEO;LABEL=Join with Trygg`, and
//! also in `LOCATION` and the description, because Outlook ignores `CONFERENCE`. SIP and phone
//! dial-ins get `CONFERENCE` lines of their own (`FEATURE=VIDEO` / `FEATURE=PHONE`).
//!
//! * **Personal invitations** ([`write_personal`]): one file per attendee, each with a link that
//!   carries that attendee's invitation (signed by the host) and lists only that attendee, because one file shared by all
//!   would hand everyone everyone else's invitation.
//! * **Private agenda** ([`Meeting::private_agenda_nonce`]): `SUMMARY` is "Trygg meeting", the
//!   description holds only the join instructions, and the real title and agenda travel sealed in
//!   `X-TRYGG-AGENDA` (see [`super::agenda`]). Times, organiser and attendee addresses stay in
//!   clear text: calendars need them to schedule and reply.

use jiff::Timestamp;

use super::agenda::{self, PrivateAgenda};
use super::ics_write::{escape_text, line, param_value, utc};
use super::{JoinLink, LinkError, SipUri, TelUri};

/// The `SUMMARY` of a meeting whose agenda is private.
pub const PRIVATE_TITLE: &str = "Trygg meeting";

/// What the host asks for. Time and randomness come from the caller.
#[derive(Debug, Clone)]
pub struct Meeting<'a> {
    /// `UID`: unique and stable across updates of the same meeting.
    pub uid: &'a str,
    /// `DTSTAMP`: when the invite was made (the caller's clock).
    pub stamp: Timestamp,
    /// Start.
    pub start: Timestamp,
    /// End (after the start).
    pub end: Timestamp,
    /// Title.
    pub title: &'a str,
    /// Agenda, free text (may be empty).
    pub agenda: &'a str,
    /// The organiser's e-mail address.
    pub organizer: Option<&'a str>,
    /// Attendees' e-mail addresses.
    pub attendees: &'a [String],
    /// A SIP address that reaches the meeting (the SIP bridge's).
    pub sip: Option<&'a SipUri>,
    /// A phone number that reaches the meeting.
    pub tel: Option<&'a TelUri>,
    /// `Some(random nonce)` to keep the title and agenda out of the clear text.
    pub private_agenda_nonce: Option<[u8; agenda::NONCE_LEN]>,
}

/// One attendee's own invite.
#[derive(Debug, Clone)]
pub struct PersonalInvite {
    /// The attendee's address.
    pub attendee: String,
    /// Their personal link (secret and token: for the host's own screen only).
    pub link: JoinLink,
    /// The `.ics` text.
    pub ics: String,
}

/// Checks an e-mail address well enough to put it in an invite safely.
pub fn valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else { return false };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && local.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~.-".contains(&b));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && domain.len() <= 253
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
        });
    local_ok && domain_ok
}

fn check(m: &Meeting<'_>) -> Result<(), LinkError> {
    if m.end <= m.start {
        return Err(LinkError::invalid_invite("the meeting must end after it starts"));
    }
    if m.end.duration_since(m.start) > jiff::SignedDuration::from_hours(24 * 31) {
        return Err(LinkError::invalid_invite("a meeting may last at most 31 days"));
    }
    if m.title.trim().is_empty() || m.title.chars().count() > 1000 {
        return Err(LinkError::invalid_invite("the title must have 1 to 1000 characters"));
    }
    if m.uid.is_empty() || m.uid.len() > 255 || m.uid.chars().any(char::is_control) {
        return Err(LinkError::invalid_invite("the UID must have 1 to 255 printable characters"));
    }
    if m.attendees.is_empty() {
        return Err(LinkError::invalid_invite("an invite needs at least one attendee"));
    }
    for a in m.attendees.iter().map(String::as_str).chain(m.organizer) {
        if !valid_email(a) {
            return Err(LinkError::invalid_invite(format!("\"{a}\" is not an e-mail address")));
        }
    }
    let mut seen: Vec<String> = m.attendees.iter().map(|a| a.to_ascii_lowercase()).collect();
    seen.sort();
    if seen.windows(2).any(|w| w[0] == w[1]) {
        return Err(LinkError::invalid_invite("an attendee is listed twice"));
    }
    Ok(())
}

fn description(m: &Meeting<'_>, url: &str, personal: bool) -> String {
    let mut d = String::new();
    if m.private_agenda_nonce.is_none() && !m.agenda.trim().is_empty() {
        d.push_str(m.agenda.trim());
        d.push_str("\n\n");
    }
    d.push_str(&format!("Join the Trygg meeting:\n{url}\n"));
    if let Some(s) = m.sip {
        d.push_str(&format!("\nFrom a video system (SIP): {}\n", s.to_dial_string()));
    }
    if let Some(t) = m.tel {
        let pin = t.to_dial_in().pin.map(|p| format!(", PIN: {p}#")).unwrap_or_default();
        d.push_str(&format!("\nBy phone: {}{pin}\n", t.number));
    }
    if m.private_agenda_nonce.is_some() {
        d.push_str("\nThe title and agenda are sealed; Trygg shows them once the host admits you.\n");
    }
    d.push_str(if personal {
        "\nThis link is yours alone: please do not forward it. The host sees which invitation each knock uses.\n"
    } else {
        "\nAnyone with this link can knock; the host admits each person. Please do not forward it.\n"
    });
    d
}

fn write_one(m: &Meeting<'_>, link: &JoinLink, attendees: &[String], personal: bool) -> Result<String, LinkError> {
    let url = link.expose_url();
    let mut o = String::with_capacity(2048);
    line(&mut o, "BEGIN:VCALENDAR");
    line(&mut o, "VERSION:2.0");
    line(&mut o, &format!("PRODID:-//Trygg//Trygg {}//EN", env!("CARGO_PKG_VERSION")));
    line(&mut o, "CALSCALE:GREGORIAN");
    line(&mut o, "METHOD:REQUEST");
    line(&mut o, "BEGIN:VEVENT");
    line(&mut o, &format!("UID:{}", escape_text(m.uid)));
    line(&mut o, &format!("DTSTAMP:{}", utc(m.stamp)));
    line(&mut o, &format!("DTSTART:{}", utc(m.start)));
    line(&mut o, &format!("DTEND:{}", utc(m.end)));
    line(&mut o, "SEQUENCE:0");
    let title = if m.private_agenda_nonce.is_some() { PRIVATE_TITLE } else { m.title };
    line(&mut o, &format!("SUMMARY:{}", escape_text(title)));
    line(&mut o, &format!("DESCRIPTION:{}", escape_text(&description(m, &url, personal))));
    line(&mut o, &format!("LOCATION:{}", escape_text(&url)));
    if let Some(org) = m.organizer {
        line(&mut o, &format!("ORGANIZER:mailto:{org}"));
    }
    for a in attendees {
        line(
            &mut o,
            &format!("ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:{a}"),
        );
    }
    line(&mut o, &format!("CONFERENCE;VALUE=URI;FEATURE=AUDIO,VIDEO;LABEL={}:{url}", param_value("Join with Trygg")));
    if let Some(s) = m.sip {
        let label = param_value("Video system (SIP)");
        line(&mut o, &format!("CONFERENCE;VALUE=URI;FEATURE=AUDIO,VIDEO;LABEL={label}:{}", s.to_dial_string()));
    }
    if let Some(t) = m.tel {
        line(&mut o, &format!("CONFERENCE;VALUE=URI;FEATURE=PHONE;LABEL={}:{}", param_value("Phone"), t.to_uri()));
    }
    if let Some(nonce) = m.private_agenda_nonce {
        let sealed = agenda::seal(
            link.secret(),
            &PrivateAgenda { title: m.title.to_owned(), agenda: m.agenda.to_owned() },
            nonce,
        )?;
        line(&mut o, &format!("X-TRYGG-AGENDA:{sealed}"));
    }
    line(&mut o, "STATUS:CONFIRMED");
    line(&mut o, "TRANSP:OPAQUE");
    line(&mut o, "END:VEVENT");
    line(&mut o, "END:VCALENDAR");
    Ok(o)
}

/// One invite for all attendees, with the meeting's shared link (any token on `link` is dropped).
pub fn write(m: &Meeting<'_>, link: &JoinLink) -> Result<String, LinkError> {
    check(m)?;
    write_one(m, &link.without_invitation(), m.attendees, false)
}

/// One invite per attendee, each with a personal link carrying the invitation `invite` makes
/// for that attendee (signed by the host's key, with a random id: see
/// [`super::Invitation::issue`]).
pub fn write_personal(
    m: &Meeting<'_>,
    link: &JoinLink,
    mut invite: impl FnMut(&str) -> Result<super::Invitation, LinkError>,
) -> Result<Vec<PersonalInvite>, LinkError> {
    check(m)?;
    m.attendees
        .iter()
        .map(|a| {
            let personal = link.personal(invite(a)?);
            let ics = write_one(m, &personal, std::slice::from_ref(a), true)?;
            Ok(PersonalInvite { attendee: a.clone(), link: personal, ics })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::links::{LinkForm, LinkSecret};

    fn meeting<'a>(attendees: &'a [String]) -> Meeting<'a> {
        Meeting {
            uid: "abc@trygg",
            stamp: "2026-05-01T12:00:00Z".parse().unwrap(),
            start: "2026-05-04T08:00:00Z".parse().unwrap(),
            end: "2026-05-04T09:00:00Z".parse().unwrap(),
            title: "Budget, Q3; final",
            agenda: "1. Numbers\n2. Decisions",
            organizer: Some("host@example.com"),
            attendees,
            sip: None,
            tel: None,
            private_agenda_nonce: None,
        }
    }

    fn link() -> JoinLink {
        JoinLink::new(LinkForm::Https, "meet.example.org", None, LinkSecret::from_random([4; 32])).unwrap()
    }

    #[test]
    fn writes_valid_rfc_5545() {
        let att = vec!["a@example.com".to_owned(), "b@example.com".to_owned()];
        let ics = write(&meeting(&att), &link()).unwrap();
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
        assert!(!ics.replace("\r\n", "").contains('\n'), "only CRLF line ends");
        for l in ics.split("\r\n") {
            assert!(l.len() <= 75, "{l}");
        }
        let unfolded = ics.replace("\r\n ", "");
        for want in [
            "METHOD:REQUEST",
            "UID:abc@trygg",
            "DTSTAMP:20260501T120000Z",
            "DTSTART:20260504T080000Z",
            "DTEND:20260504T090000Z",
            "SUMMARY:Budget\\, Q3\\; final",
            "ORGANIZER:mailto:host@example.com",
            "RSVP=TRUE:mailto:b@example.com",
            "CONFERENCE;VALUE=URI;FEATURE=AUDIO,VIDEO;LABEL=Join with Trygg:https://meet.example.org/j/",
        ] {
            assert!(unfolded.contains(want), "missing {want}:\n{unfolded}");
        }
    }

    #[test]
    fn refuses_bad_settings() {
        let att = vec!["a@example.com".to_owned()];
        let m = meeting(&att);
        let cases = [
            Meeting { end: m.start, ..m.clone() },
            Meeting { title: " ", ..m.clone() },
            Meeting { organizer: Some("not an address"), ..m.clone() },
            Meeting { attendees: &[], ..m.clone() },
            Meeting { uid: "a\r\nATTENDEE:mailto:x@evil.example", ..m.clone() },
        ];
        for c in cases {
            assert_eq!(write(&c, &link()).unwrap_err().code(), "links.invalid_invite", "{c:?}");
        }
        let bad = vec!["a@example.com\r\nATTENDEE:mailto:evil@example.com".to_owned()];
        assert!(write(&meeting(&bad), &link()).is_err());
        let twice = vec!["a@example.com".to_owned(), "A@example.com".to_owned()];
        assert!(write(&meeting(&twice), &link()).is_err());
    }

    #[test]
    fn valid_emails() {
        for ok in ["a@example.com", "first.last+tag@sub.example.co.uk"] {
            assert!(valid_email(ok), "{ok}");
        }
        for bad in ["", "a", "a@b", "@example.com", "a@-x.com", "a b@example.com", "a@exa mple.com", "a;b@example.com"]
        {
            assert!(!valid_email(bad), "{bad}");
        }
    }
}
