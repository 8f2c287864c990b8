//! # Links: joining from anywhere
//!
//! The core of "a person double-clicks a link in a calendar invite": Trygg's own join links, other
//! vendors' meeting links, SIP and phone dial-ins, iCalendar invites in and out, and the checks
//! that keep a phishing link from ever being opened.
//!
//! **Sans-I/O.** Everything here is a pure function of its arguments: bytes and strings in,
//! values out. No files (the CLI reads them), no clock (`now` is an argument), no OS randomness
//! (secrets, tokens and nonces come in as byte arrays the caller filled), no sockets, no logging
//! of secrets. Time zones come from the tz database compiled into the binary.
//!
//! ```
//! use trygg_core::links::{Action, Input, JoinLink, LinkForm, LinkSecret, plan};
//!
//! // The host makes a meeting (the CLI fills the 32 bytes from the OS's random source).
//! let link = JoinLink::new(LinkForm::Https, "meet.example.org", None, LinkSecret::from_random([7; 32]))?;
//! let url = link.expose_url(); // https://meet.example.org/j/<room>#<secret>
//!
//! // A guest opens it: same function for a URL, pasted text or an .ics file.
//! let p = plan(Input::Url(&url), None, None)?;
//! let Action::JoinTrygg { server, .. } = &p.action else { unreachable!() };
//! assert_eq!(server.room, link.room()); // the server only ever learns the room id
//! # Ok::<(), trygg_core::links::LinkError>(())
//! ```
//!
//! ## Trygg's link format ([`join`])
//!
//! ```text
//! trygg://HOST[:PORT]/ROOM[?insecure=1]#SECRET[.INVITATION]     default port 7443
//! https://HOST[:PORT]/j/ROOM#SECRET[.INVITATION]                default port 443
//! ```
//!
//! * `SECRET`: 16–32 random bytes, base64url without padding. It is the meeting's only secret:
//!   it admits a person to the lobby and keys the sealed agenda.
//! * `ROOM` = base32(SHA-256("trygg/room-id/v2" ‖ proof)[..16]), lowercase, 26 characters, where
//!   proof = HKDF-SHA256(secret, "trygg/room-proof/v1"): the room id commits to the proof the
//!   server checks, so nobody without the link can create the room. The signalling server knows
//!   the meeting only by this; a link whose room does not match its secret is refused as
//!   altered. Links made before (`ROOM` = base32(SHA-256("trygg/room-id/v1" ‖ secret)[..16]))
//!   are still read, and meet in the new room.
//! * The fragment never leaves the client: the signalling layer gets a [`ServerView`] (host,
//!   port, TLS, room), which has no field for it. [`LinkSecret`] prints `<redacted>`, is not
//!   `Serialize`, and zeroes its bytes on drop. (A private newtype: the crate-wide
//!   `Sensitive<T>` of `secrets/` is being written on another branch; this one can move onto it.)
//! * Transport: always TLS, except `trygg://` links to loopback hosts that say `?insecure=1`
//!   (a development server on the same machine). `insecure=1` elsewhere is refused.
//!
//! ## Personal invitations ([`invitation`])
//!
//! `INVITATION` names one invitee and is signed by the host's device key (Ed25519) over a key
//! derived from the secret, a random id, a holder key and the invitee's address; the link also
//! carries the holder key's seed. A knock shows the signed part with a proof by the holder key
//! over that knock's KeyPackage ([`ShownInvitation`]), so one read out of another's knock proves
//! nothing. The host (and co-hosts) check it against the keys the MLS group names host and
//! co-host: invitees hold the secret, not the host's key, so they cannot mint one. The host
//! revokes one by its id ([`InvitationCheck`] tells invited, revoked, copied, another
//! meeting's, another signer's, forged).
//!
//! ## Reading inputs ([`mod@extract`], [`route`])
//!
//! Three inputs ([`Input`]): one URL (deep links, the command line), free text (clipboard, an
//! e-mail body; plain or HTML), an `.ics` file. In an invite, links are taken from, in order of
//! preference:
//!
//! 1. RFC 7986 `CONFERENCE`
//! 2. `X-GOOGLE-CONFERENCE` (Google Calendar)
//! 3. `X-MICROSOFT-SKYPETEAMSMEETINGURL` (Outlook/Exchange for Teams)
//! 4. `X-MICROSOFT-ONLINEMEETINGCONFLINK` (Skype for Business `conf:sip:` URIs)
//! 5. `URL`
//! 6. `LOCATION`
//! 7. `DESCRIPTION` (plain or HTML)
//! 8. `X-ALT-DESC` (Outlook's HTML body)
//!
//! Within a source Trygg links come first, then SIP and vendor links, then phone numbers. With
//! several events, the one going on at `now` (else the next, else the latest) comes first. Every
//! candidate is returned with its kind, source, dial-in numbers and PINs, SIP gateway and
//! warnings; the preferred one is the first without a blocking warning. Anything that is not a
//! meeting gets "no meeting link found" with what was found instead.
//!
//! Recognised: Trygg (both forms), `sip:`/`sips:` ([`sip_uri`], RFC 3261), `tel:` ([`tel_uri`],
//! RFC 3966, plus the vendors' one-tap strings `+4722…,,123456#` whose suffix becomes DTMF),
//! Teams, Zoom, Webex, Google Meet, Jitsi, Whereby and Pexip ([`vendors`]). App schemes
//! (`zoommtg://`, `msteams:`, `jitsi-meet://`) are read and turned into the `https` link that is
//! then the only thing opened.
//!
//! ## Limits ([`limits`])
//!
//! Inputs over [`extract::MAX_INPUT`] (32 MiB) are refused. Below it, reading takes time linear
//! in the input, whatever it holds: every scanner makes a bounded number of passes (a run of
//! text is never rescanned per match, an item is never looked for in a list of all the others:
//! indexes and hash sets instead), and caps far above what real invites hold bound the costly
//! work per link and the size of the result: 10 000 events per file, 10 000 links read per text
//! and judged per event, 20 000 links and numbers judged in the other events of an invite
//! together (the chosen event is always read), 300 dial-in numbers per list, 200 candidates per
//! event and 2 000 in all, 10 warnings of a kind and 50 in all, 5 reasons in "only unsafe
//! links". Reaching a cap is a warning ([`Warning::Truncated`], [`Warning::TooManyWarnings`]),
//! never an error. [`testing::hostile_inputs`] makes the inputs that once broke this, for the
//! tests and for `trygg bench links`.
//!
//! ## Safety ([`safety`])
//!
//! One function, [`safety::inspect`], judges every link after redirect wrappers (Outlook
//! SafeLinks, Google, Proofpoint) are removed ([`redirects`]): only `https`, `sip`, `sips`, `tel`
//! and `trygg` are ever acted on; user info before a host is refused; international host names
//! that mix scripts are shown in punycode and refused; look-alikes of vendor domains
//! (`zoom.us.example.com`, `zoorn.us`, Cyrillic letters in `teams.microsoft.com`) are refused;
//! shorteners are not followed; an HTML link whose text shows another site than its target is
//! refused. The real host is in every candidate (`host`), shown before anything opens.
//!
//! ## Invites out ([`invite_out`], [`agenda`])
//!
//! RFC 5545 with CRLF, folding at 75 octets and escaping; the link in an RFC 7986 `CONFERENCE`
//! property (and `LOCATION` and the description, for Outlook). Personal invitations are one file
//! per attendee. A private agenda replaces the title with "Trygg meeting" and carries the real
//! title and agenda sealed (ChaCha20-Poly1305 under HKDF(secret, "trygg/agenda/v1")) in
//! `X-TRYGG-AGENDA`.
//!
//! **Limit, stated plainly:** the agenda key derives from the link's secret, and the link is in
//! the invite. So the clear text of an invite (mail and calendar servers, previews, indexes, a
//! glance) shows only "Trygg meeting", but a wrongly addressed recipient who runs Trygg's
//! [`agenda::open`] on it can read the agenda; "nothing until admitted" is a promise of the UI,
//! not of the cryptography. Binding it to admission needs the agenda key to travel with the
//! meeting keys (MLS Welcome) instead; that is the meetings work.
//!
//! ## Rejected alternatives
//!
//! * **The full Public Suffix List** for registrable domains: a large, fast-changing dataset to
//!   compare against a dozen vendor domains. A short list of two-level suffixes does the job.
//! * **Following redirects and shorteners** to see where they lead: that is network I/O in the
//!   core and tells the sender the link was opened. They are flagged instead.
//! * **The file's `VTIMEZONE` first**: Outlook's VTIMEZONE describes one rule; the bundled tz
//!   database knows history. It is used only for names the database and the Windows table lack.
//! * **Regular expressions** for the text scanner: hand-written scanners keep every pass linear
//!   (a hostile 10 MB line costs one pass) without another dependency.
//! * **Acting on vendor app schemes** (`zoommtg://`): they reach the OS's URL handlers with
//!   whatever parameters the sender chose; the equivalent `https` link is checked and opened.

pub mod agenda;
mod candidate;
pub(crate) mod confusables;
mod dial_in_list;
mod error;
pub mod extract;
#[cfg(test)]
mod hostile_inputs;
mod html;
pub mod ics;
pub mod ics_time;
pub mod ics_write;
pub mod invitation;
pub mod invite_out;
pub mod join;
mod judge;
pub mod limits;
pub mod redirects;
pub mod route;
pub mod safety;
mod secret;
pub mod sip_uri;
pub mod tel_uri;
#[doc(hidden)]
pub mod testing;
pub mod text;
pub mod vendors;
mod warnings;
mod windows_zones;

pub use candidate::{Candidate, Found, Kind, Source};
pub use error::LinkError;
pub use extract::{Extraction, Input, extract};
pub use invitation::{Invitation, InvitationCheck, InvitationId, ShownInvitation};
pub use join::{JoinLink, LinkForm, ServerView};
pub use route::{Action, Plan, plan};
pub use safety::Warning;
pub use secret::{LinkSecret, RoomId};
pub use sip_uri::SipUri;
pub use tel_uri::{DialIn, TelUri};
