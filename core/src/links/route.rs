//! What to do with an input: the one function behind `trygg open`, the desktop app's deep links
//! and its opened `.ics` files.
//!
//! | Preferred candidate | Action |
//! |---|---|
//! | Trygg | [`Action::JoinTrygg`] with the [`ServerView`] only (never the secret) |
//! | SIP | [`Action::DialSip`] through the SIP bridge; until the bridge exists, `bridge_available` is false and nothing is dialled |
//! | phone | [`Action::DialPhone`], likewise through the bridge |
//! | another vendor | [`Action::OpenVendor`]: offer to open the `https` link in the vendor's app or the browser, showing the real host and the SIP gateway when there is one |
//! | none | [`Action::None`] with the error code and "what was found instead" |

use jiff::Timestamp;
use serde::Serialize;

use super::LinkError;
use super::candidate::{Candidate, Found, Kind};
use super::extract::{EventInfo, Extraction, Input, extract};
use super::join::ServerView;
use super::safety::Warning;

/// Whether this build has a SIP bridge to dial through (it lands with the SIP work).
pub const SIP_BRIDGE_AVAILABLE: bool = false;

/// What Trygg will do.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    /// Join a Trygg meeting: connect to this server and knock on this room.
    JoinTrygg {
        /// Where to connect (host, port, TLS, room). No secret.
        server: ServerView,
        /// Whether the link carries a personal invitation.
        personal: bool,
    },
    /// Call a SIP address through the SIP bridge.
    DialSip {
        /// The URI to dial (headers removed).
        uri: String,
        /// Whether this build can dial it.
        bridge_available: bool,
    },
    /// Call a phone number through the SIP bridge, then send the DTMF.
    DialPhone {
        /// The number.
        number: String,
        /// What to type after connecting.
        #[serde(skip_serializing_if = "Option::is_none")]
        dtmf: Option<String>,
        /// Whether this build can dial it.
        bridge_available: bool,
    },
    /// Offer to open another vendor's meeting in its app or the browser.
    OpenVendor {
        /// Which vendor.
        vendor: Kind,
        /// The `https` link to open.
        url: String,
        /// Its real host, shown before anything opens.
        host: String,
        /// The vendor's SIP gateway for this meeting, for room systems.
        #[serde(skip_serializing_if = "Option::is_none")]
        sip_gateway: Option<String>,
    },
    /// Nothing to do.
    None {
        /// The error code: `links.no_meeting_found` or `links.only_unsafe_links`.
        code: &'static str,
        /// Why, with what was found instead.
        reason: String,
    },
}

impl Action {
    /// One sentence for people.
    pub fn sentence(&self) -> String {
        match self {
            Self::JoinTrygg { server, personal } => format!(
                "join the Trygg meeting on {}:{} (room {}){}",
                server.host,
                server.port,
                server.room,
                if *personal { " with your personal invitation" } else { "" }
            ),
            Self::DialSip { uri, bridge_available: true } => format!("dial {uri} through the SIP bridge"),
            Self::DialSip { uri, bridge_available: false } => {
                format!("dial {uri} through the SIP bridge — this build has no SIP bridge yet, so nothing is dialled")
            }
            Self::DialPhone { number, bridge_available, .. } => format!(
                "call {number} through the SIP bridge{}",
                if *bridge_available { "" } else { " — this build has no SIP bridge yet, so nothing is dialled" }
            ),
            Self::OpenVendor { vendor, host, sip_gateway, .. } => format!(
                "offer to open the {} meeting at {host} in {}'s app or the browser{}",
                vendor.label(),
                vendor.label(),
                sip_gateway.as_ref().map(|g| format!(" (room systems: sip:{g})")).unwrap_or_default()
            ),
            Self::None { reason, .. } => reason.clone(),
        }
    }
}

/// How the input was given.
#[derive(Debug, Clone, Serialize)]
pub struct InputInfo {
    /// `url`, `text` or `ics`.
    pub kind: &'static str,
    /// A file name or the like, for display.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Everything `trygg open` shows and does, as one JSON document.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// The input.
    pub input: InputInfo,
    /// The events of an invite.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<EventInfo>,
    /// Meeting candidates, best first.
    pub candidates: Vec<Candidate>,
    /// Index of the preferred candidate.
    pub preferred: Option<usize>,
    /// What Trygg will do.
    pub action: Action,
    /// Warnings about the input and about links that are not candidates.
    pub warnings: Vec<Warning>,
    /// What was found that is not a meeting.
    pub found_instead: Vec<Found>,
    /// The sealed title and agenda of the preferred Trygg meeting (opened after admission).
    #[serde(skip)]
    pub sealed_agenda: Option<String>,
}

impl Plan {
    /// The preferred candidate.
    pub fn preferred(&self) -> Option<&Candidate> {
        self.preferred.and_then(|i| self.candidates.get(i))
    }

    /// The error to report when the action is [`Action::None`].
    pub fn error(&self) -> Option<LinkError> {
        match &self.action {
            Action::None { code: "links.only_unsafe_links", reason } => {
                Some(LinkError::OnlyUnsafeLinks { why: reason.trim_start_matches("no safe meeting link: ").to_owned() })
            }
            Action::None { reason, .. } => Some(LinkError::NoMeetingFound {
                found: reason.trim_start_matches("no meeting link found; ").to_owned(),
            }),
            _ => None,
        }
    }
}

fn action_for(x: &Extraction) -> Action {
    let Some(c) = x.preferred.and_then(|i| x.candidates.get(i)) else {
        let e = x.no_action_error().expect("no preferred candidate means an error");
        return Action::None { code: e.code(), reason: e.to_string() };
    };
    match c.kind {
        Kind::Trygg => {
            let j = c.join.as_ref().expect("Trygg candidates always carry their parsed link");
            Action::JoinTrygg { server: j.server_view(), personal: j.invitation().is_some() }
        }
        Kind::Sip => Action::DialSip { uri: c.url.clone(), bridge_available: SIP_BRIDGE_AVAILABLE },
        Kind::Tel => {
            let d = c.dial_in.first();
            Action::DialPhone {
                number: d.map_or_else(|| c.host.clone(), |d| d.number.clone()),
                dtmf: d.and_then(|d| d.dtmf.clone()),
                bridge_available: SIP_BRIDGE_AVAILABLE,
            }
        }
        vendor => {
            Action::OpenVendor { vendor, url: c.url.clone(), host: c.host.clone(), sip_gateway: c.sip_gateway.clone() }
        }
    }
}

/// Reads an input and decides what to do. `name` is shown back (a file name); `now` picks the
/// event of a multi-event invite. Errors only for inputs that cannot be read at all (too large,
/// an `.ics` that is not iCalendar); "no meeting" is a plan with [`Action::None`].
pub fn plan(input: Input<'_>, name: Option<&str>, now: Option<Timestamp>) -> Result<Plan, LinkError> {
    let kind = match input {
        Input::Url(_) => "url",
        Input::Text(_) => "text",
        Input::Ics(_) => "ics",
    };
    let x = extract(input, now)?;
    let action = action_for(&x);
    Ok(Plan {
        input: InputInfo { kind, name: name.map(str::to_owned) },
        events: x.events,
        preferred: x.preferred,
        action,
        warnings: x.warnings,
        found_instead: x.found_instead,
        sealed_agenda: x.sealed_agenda,
        candidates: x.candidates,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::links::{JoinLink, LinkForm, LinkSecret};

    #[test]
    fn a_trygg_link_joins_and_the_json_names_no_secret_beyond_the_echoed_link() {
        let link = JoinLink::new(LinkForm::Trygg, "meet.example.org", None, LinkSecret::from_random([5; 32])).unwrap();
        let url = link.expose_url();
        let p = plan(Input::Url(&url), None, None).unwrap();
        let Action::JoinTrygg { server, personal } = &p.action else { panic!("{:?}", p.action) };
        assert_eq!((server.host.as_str(), server.port, server.tls, *personal), ("meet.example.org", 7443, true, false));
        let json = serde_json::to_value(&p).unwrap();
        let secret = url.split_once('#').unwrap().1;
        assert_eq!(json.to_string().matches(secret).count(), 1, "only the echoed url: {json}");
        assert_eq!(json["candidates"][0]["url"], url.as_str());
        assert_eq!(json["action"]["type"], "join_trygg");
    }

    #[test]
    fn sip_waits_for_the_bridge_and_vendors_are_offered_with_their_gateway() {
        let p = plan(Input::Url("sip:alice@example.com?Replaces=x"), None, None).unwrap();
        let Action::DialSip { uri, bridge_available } = &p.action else { panic!() };
        assert_eq!((uri.as_str(), *bridge_available), ("sip:alice@example.com", false));
        assert!(p.action.sentence().contains("no SIP bridge yet"));
        let p = plan(Input::Url("https://zoom.us/j/85298765432"), None, None).unwrap();
        let json = serde_json::to_value(&p.action).unwrap();
        assert_eq!(json["type"], "open_vendor");
        assert_eq!(json["vendor"], "zoom");
        assert_eq!(json["host"], "zoom.us");
        assert_eq!(json["sip_gateway"], "85298765432@zoomcrc.com");
    }

    #[test]
    fn nothing_to_do_is_a_plan_with_an_error() {
        let p = plan(Input::Text("javascript:alert(document.cookie)"), None, None).unwrap();
        let Action::None { code, reason } = &p.action else { panic!() };
        assert_eq!(*code, "links.no_meeting_found");
        assert!(reason.contains("1 refused link (javascript:)"), "{reason}");
        assert_eq!(p.error().unwrap().code(), "links.no_meeting_found");
        assert_eq!(p.error().unwrap().to_string(), *reason);
    }
}
