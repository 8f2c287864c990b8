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

/// Warnings of one kind ([`super::Warning::code`]) listed for one input.
pub const MAX_WARNINGS_PER_CODE: usize = 10;

/// Warnings listed for one input; the rest are counted in one
/// [`super::Warning::TooManyWarnings`].
pub const MAX_WARNINGS: usize = 50;
