//! Errors of the links module: typed, each with a stable code the UI and `--json` output use.

/// Everything that can go wrong while reading a link or an invite, or writing one.
///
/// Bad input is always one of these values, never a panic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LinkError {
    /// The input holds nothing Trygg can join, call or open.
    #[error("no meeting link found; {found}")]
    NoMeetingFound {
        /// What was found instead, as a sentence ("found instead: 2 web links (example.com)").
        found: String,
    },
    /// Meeting links were found, but every one of them failed a safety check.
    #[error("no safe meeting link: {why}")]
    OnlyUnsafeLinks {
        /// The checks that failed, as a sentence.
        why: String,
    },
    /// A Trygg link that does not follow the format.
    #[error("not a valid Trygg link: {why}")]
    InvalidLink {
        /// What is wrong with it.
        why: String,
    },
    /// A Trygg link whose room id does not belong to its secret: it was changed on the way.
    #[error("this Trygg link was altered: its room does not match its secret; ask the sender for the link again")]
    TamperedLink,
    /// A `sip:` or `sips:` URI that RFC 3261 does not allow.
    #[error("not a valid SIP URI: {why}")]
    InvalidSipUri {
        /// What is wrong with it.
        why: String,
    },
    /// A `tel:` URI that neither RFC 3966 nor a vendor's dial string allows.
    #[error("not a valid phone number URI: {why}")]
    InvalidTelUri {
        /// What is wrong with it.
        why: String,
    },
    /// The input is not an iCalendar file.
    #[error("not an iCalendar (.ics) file: {why}")]
    NotICalendar {
        /// What was expected and not found.
        why: String,
    },
    /// The input is larger than anything an invite or a link needs to be.
    #[error("input of {size} bytes is larger than the limit of {limit} bytes")]
    TooLarge {
        /// Bytes given.
        size: usize,
        /// Bytes accepted.
        limit: usize,
    },
    /// An invite cannot be written from these settings.
    #[error("cannot write the invite: {why}")]
    InvalidInvite {
        /// Which setting is wrong and why.
        why: String,
    },
    /// A private agenda that this link's secret does not open (wrong meeting, or altered).
    #[error("the private agenda cannot be opened with this link: {why}")]
    AgendaUndecryptable {
        /// What failed.
        why: &'static str,
    },
}

impl LinkError {
    pub(crate) fn invalid_link(why: impl Into<String>) -> Self {
        Self::InvalidLink { why: why.into() }
    }

    pub(crate) fn invalid_invite(why: impl Into<String>) -> Self {
        Self::InvalidInvite { why: why.into() }
    }

    /// A stable machine-readable code (for JSON output and the UI's `{code, message}`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::NoMeetingFound { .. } => "links.no_meeting_found",
            Self::OnlyUnsafeLinks { .. } => "links.only_unsafe_links",
            Self::InvalidLink { .. } => "links.invalid_link",
            Self::TamperedLink => "links.tampered_link",
            Self::InvalidSipUri { .. } => "links.invalid_sip_uri",
            Self::InvalidTelUri { .. } => "links.invalid_tel_uri",
            Self::NotICalendar { .. } => "links.not_icalendar",
            Self::TooLarge { .. } => "links.too_large",
            Self::InvalidInvite { .. } => "links.invalid_invite",
            Self::AgendaUndecryptable { .. } => "links.agenda_undecryptable",
        }
    }
}
