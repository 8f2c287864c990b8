//! What extraction finds: meeting candidates, where each came from, and what else was there.

use std::fmt;

use serde::Serialize;

use super::join::JoinLink;
use super::safety::Warning;
use super::tel_uri::DialIn;

/// What kind of meeting a candidate is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A Trygg meeting.
    Trygg,
    /// A SIP address (a room system, a bridge, a vendor's SIP gateway).
    Sip,
    /// A phone number.
    Tel,
    /// Microsoft Teams.
    Teams,
    /// Zoom.
    Zoom,
    /// Cisco Webex.
    Webex,
    /// Google Meet.
    Meet,
    /// Jitsi Meet (meet.jit.si, 8x8.vc or self-hosted).
    Jitsi,
    /// Whereby.
    Whereby,
    /// Pexip Infinity.
    Pexip,
}

impl Kind {
    /// The vendor's or the medium's name, for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Trygg => "Trygg",
            Self::Sip => "SIP",
            Self::Tel => "phone",
            Self::Teams => "Microsoft Teams",
            Self::Zoom => "Zoom",
            Self::Webex => "Webex",
            Self::Meet => "Google Meet",
            Self::Jitsi => "Jitsi Meet",
            Self::Whereby => "Whereby",
            Self::Pexip => "Pexip",
        }
    }

    /// Whether this is another vendor's meeting (opened in its app or browser).
    pub fn is_vendor(self) -> bool {
        !matches!(self, Self::Trygg | Self::Sip | Self::Tel)
    }

    /// Order among candidates from the same place: Trygg first, phone numbers last.
    pub(crate) fn rank(self) -> u8 {
        match self {
            Self::Trygg => 0,
            Self::Tel => 2,
            _ => 1,
        }
    }
}

/// Where a candidate was found, in the documented order of preference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Source {
    /// The input was the link itself.
    #[serde(rename = "input")]
    Input,
    /// RFC 7986 `CONFERENCE`.
    #[serde(rename = "CONFERENCE")]
    Conference,
    /// Google Calendar's `X-GOOGLE-CONFERENCE`.
    #[serde(rename = "X-GOOGLE-CONFERENCE")]
    GoogleConference,
    /// Outlook's `X-MICROSOFT-SKYPETEAMSMEETINGURL`.
    #[serde(rename = "X-MICROSOFT-SKYPETEAMSMEETINGURL")]
    TeamsMeetingUrl,
    /// Outlook's `X-MICROSOFT-ONLINEMEETINGCONFLINK` (a Skype for Business `conf:sip:` URI).
    #[serde(rename = "X-MICROSOFT-ONLINEMEETINGCONFLINK")]
    OnlineMeetingConfLink,
    /// `URL`.
    #[serde(rename = "URL")]
    Url,
    /// `LOCATION`.
    #[serde(rename = "LOCATION")]
    Location,
    /// `DESCRIPTION`.
    #[serde(rename = "DESCRIPTION")]
    Description,
    /// `X-ALT-DESC` (the HTML body Outlook adds).
    #[serde(rename = "X-ALT-DESC")]
    AltDesc,
    /// Free text (a pasted e-mail or clipboard).
    #[serde(rename = "text")]
    Text,
}

impl Source {
    /// The property name (or "input"/"text").
    pub fn name(self) -> &'static str {
        match self {
            Self::Input => "input",
            Self::Conference => "CONFERENCE",
            Self::GoogleConference => "X-GOOGLE-CONFERENCE",
            Self::TeamsMeetingUrl => "X-MICROSOFT-SKYPETEAMSMEETINGURL",
            Self::OnlineMeetingConfLink => "X-MICROSOFT-ONLINEMEETINGCONFLINK",
            Self::Url => "URL",
            Self::Location => "LOCATION",
            Self::Description => "DESCRIPTION",
            Self::AltDesc => "X-ALT-DESC",
            Self::Text => "text",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One meeting Trygg could join, dial or open.
#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    /// What kind of meeting.
    pub kind: Kind,
    /// The link Trygg would act on: the input as written for Trygg links, canonical `https` for
    /// vendor links (also when the input used an app scheme), the URI for SIP and phone.
    pub url: String,
    /// The link as it was written, when that differs from `url` (wrapped, app scheme, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original: Option<String>,
    /// The host to show the user before anything opens (punycode when it mixes scripts).
    pub host: String,
    /// Where it was found.
    pub source: Source,
    /// Which event of an invite (0-based), if it came from one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<usize>,
    /// The vendor's meeting id (Zoom number, Meet code, Teams thread, Webex MTID, room name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meeting_id: Option<String>,
    /// Phone numbers to dial in, with PINs.
    pub dial_in: Vec<DialIn>,
    /// A SIP address that reaches this meeting from a room system (`<id>@zoomcrc.com`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sip_gateway: Option<String>,
    /// The video conference id to enter at the SIP gateway (Teams CVI), when separate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub video_conference_id: Option<String>,
    /// What the checks found; any [blocking](Warning::blocks) one means Trygg will not act on it.
    pub warnings: Vec<Warning>,
    /// The parsed Trygg link (never serialized: the URL above is the user's own input).
    #[serde(skip)]
    pub join: Option<JoinLink>,
}

impl Candidate {
    pub(crate) fn new(kind: Kind, url: String, host: String, source: Source) -> Self {
        Self {
            kind,
            url,
            original: None,
            host,
            source,
            event: None,
            meeting_id: None,
            dial_in: Vec::new(),
            sip_gateway: None,
            video_conference_id: None,
            warnings: Vec::new(),
            join: None,
        }
    }

    /// Whether Trygg may act on it: no blocking warning.
    pub fn is_safe(&self) -> bool {
        !self.warnings.iter().any(Warning::blocks)
    }
}

/// Something found that is not a meeting, reported when no meeting is found ("found instead").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Found {
    /// What it is: `web_link`, `refused_link`, `email_address`, `broken_trygg_link`.
    pub what: &'static str,
    /// The host, the scheme or the address.
    pub value: String,
}
