//! How much of an input link extraction reads, and how much it returns.
//!
//! An invite or a pasted text is written by whoever sent it. Up to
//! [`super::extract::MAX_INPUT`] (32 MiB) it must be read in time linear in its size, and what
//! comes out (candidates, dial-in numbers, warnings, the sentence shown to the user) must stay
//! small enough for the UI and the logs. Each scanner is linear by construction; these caps bound
//! the rest: the work per link (parsing, look-alike checks), the memory per item, and the output.
//! Each sits far above what real invites hold (a Teams invite has a few links and at most ~100
//! dial-in numbers), so only hostile or broken inputs reach them; reaching one adds a
//! [`super::Warning::Truncated`] (or [`super::Warning::TooManyWarnings`]) instead of failing.

/// Links read from one text (a description, a pasted e-mail): the text is read up to the link
/// after this many, the rest of it is skipped.
pub const MAX_LINKS_PER_TEXT: usize = 10_000;

/// Phone numbers read from one text, repeats included (a global dial-in list has ~100).
pub const MAX_NUMBERS_PER_TEXT: usize = 10_000;

/// `user@host` addresses read from one text, repeats included.
pub const MAX_ADDRESSES_PER_TEXT: usize = 10_000;

/// Distinct dial-in numbers kept in one list (a text's, a meeting's): the first ones in text
/// order.
pub const MAX_DIAL_INS: usize = 300;

/// SIP addresses of room-system gateways kept from one text.
pub const MAX_SIP_ADDRESSES: usize = 100;

/// Distinct e-mail addresses kept from one text (only 20 are ever shown as "found instead").
pub const MAX_EMAILS: usize = 100;

/// Links (`<a href>`) kept from one HTML body.
pub const MAX_ANCHORS: usize = 10_000;

/// Texts (`LOCATION`, `DESCRIPTION`, `X-ALT-DESC` properties) read from one event.
pub const MAX_TEXTS_PER_EVENT: usize = 32;

/// Links judged in one event (or one pasted text): each costs a URL parse and the look-alike
/// checks.
pub const MAX_LINKS_PER_EVENT: usize = 10_000;

/// Links, numbers and SIP addresses judged in all the events of an invite other than the one
/// Trygg chose, together: the chosen event is always read, the others in file order until this
/// is spent.
pub const MAX_ITEMS_OTHER_EVENTS: usize = 20_000;

/// Meeting candidates filed from one event (or one pasted text).
pub const MAX_CANDIDATES_PER_EVENT: usize = 200;

/// Meeting candidates returned, best first (a calendar export of 1000 meetings still fits).
pub const MAX_CANDIDATES: usize = 2_000;

/// Jitsi hosts named by an input's own links (`#config.`, dial-in pages, `jitsi-meet:`).
pub const MAX_JITSI_HINTS: usize = 16;

/// Warnings of one kind ([`super::Warning::code`]) listed for one input.
pub const MAX_WARNINGS_PER_CODE: usize = 10;

/// Warnings listed for one input; the rest are counted in one
/// [`super::Warning::TooManyWarnings`].
pub const MAX_WARNINGS: usize = 50;

/// Reasons listed in [`super::LinkError::OnlyUnsafeLinks`] (then "and N more").
pub const MAX_REASONS: usize = 5;

/// Events read from one iCalendar file: an invite has one (or a few exceptions of a series); a
/// calendar export of 1000 meetings still fits. Later events are skipped.
pub const MAX_EVENTS: usize = 10_000;

/// `VTIMEZONE`s read from one iCalendar file (Outlook writes one per zone used).
pub const MAX_VTIMEZONES: usize = 1_000;

/// Distinct `TZID`s resolved in one file; later new ones are read as unknown (UTC, warned).
pub const MAX_TIME_ZONES: usize = 1_000;
