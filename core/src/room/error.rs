//! Errors of the room protocol: typed, each with a stable code for logs, close frames and the UI.

use super::proto::PROTOCOL_VERSION;

/// Input that breaks the protocol: bytes that are not a message, a message from the wrong
/// version, or a message the sender's state does not allow. The server answers each with a close
/// of that one connection ([`super::proto::CloseCode`]); the client returns it from
/// `handle_message` and stays as it was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// The message is larger than the configured limit.
    #[error("message of {size} bytes is larger than the limit of {limit} bytes")]
    TooBig {
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The message names a protocol version this build does not speak.
    #[error("protocol version {got} is not supported; this build speaks version {PROTOCOL_VERSION}")]
    UnsupportedVersion {
        /// The version in the message.
        got: u64,
    },
    /// Not JSON, not an object with `v` and a known `type`, or a field that is missing or invalid.
    #[error("malformed message: {why}")]
    BadMessage {
        /// What the decoder said (never the message's content beyond a field name or type).
        why: String,
    },
    /// A well-formed message that the sender's state does not allow (a command before joining,
    /// a second knock, ...).
    #[error("\"{message}\" is not allowed {state}")]
    OutOfOrder {
        /// The message's `type`.
        message: &'static str,
        /// Where the sender was, as a phrase ("before joining a room", ...).
        state: &'static str,
    },
    /// An identifier or opaque value that does not have its required shape.
    #[error("invalid {what}: {why}")]
    InvalidId {
        /// Which kind of value.
        what: &'static str,
        /// The rule it broke.
        why: &'static str,
    },
}

impl ProtocolError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooBig { .. } => "room.too_big",
            Self::UnsupportedVersion { .. } => "room.unsupported_version",
            Self::BadMessage { .. } => "room.bad_message",
            Self::OutOfOrder { .. } => "room.out_of_order",
            Self::InvalidId { .. } => "room.invalid_id",
        }
    }
}

/// Why the server refused a new connection in `handle_connect`; the runtime closes the socket
/// (for a WebSocket: before or right after the upgrade, with close code 1013 "try again later").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refused {
    /// Too many connections from this address (or IPv6 /64) in a short time.
    #[error("too many connections from this address; try again later")]
    RateLimited,
    /// The runtime reused a connection id that is still open: a bug in the runtime.
    #[error("connection id is already in use")]
    DuplicateConnection,
}

impl Refused {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::RateLimited => "room.rate_limited",
            Self::DuplicateConnection => "room.duplicate_connection",
        }
    }
}

/// A request the server understood but turned down. The connection stays open; the sender gets
/// an `error` message with [`Refusal::code`] and [`Refusal::message`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// The sender's role does not allow this command (or not on that member).
    #[error("your role does not allow this")]
    NotAllowed,
    /// The named member (or knock) is not in the sender's room, or is away.
    #[error("no such member in this meeting")]
    UnknownMember,
    /// Too many knocks or creations from this address; try again later.
    #[error("too many attempts from this address; try again later")]
    RateLimited,
    /// The meeting (or its lobby) has reached its size limit.
    #[error("the meeting is full")]
    RoomFull,
    /// A `create` for a meeting that is already running.
    #[error("the meeting is already running; knock to join it")]
    MeetingExists,
    /// A `recreate` or `rejoin` whose room proof does not match the meeting's.
    #[error("room proof does not match this meeting")]
    ProofMismatch,
    /// An admit while the meeting is locked.
    #[error("the meeting is locked; unlock it to admit anyone")]
    Locked,
}

impl Refusal {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotAllowed => "room.not_allowed",
            Self::UnknownMember => "room.unknown_member",
            Self::RateLimited => "room.rate_limited",
            Self::RoomFull => "room.room_full",
            Self::MeetingExists => "room.meeting_exists",
            Self::ProofMismatch => "room.proof_mismatch",
            Self::Locked => "room.locked",
        }
    }

    /// The sentence for the `error` message.
    pub fn message(&self) -> String {
        self.to_string()
    }

    /// Every refusal, for the code table.
    pub const ALL: [Self; 7] = [
        Self::NotAllowed,
        Self::UnknownMember,
        Self::RateLimited,
        Self::RoomFull,
        Self::MeetingExists,
        Self::ProofMismatch,
        Self::Locked,
    ];

    /// The refusal of a code, if this build knows it.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }
}

/// The code of an `error` message, typed: a [`Refusal`] this build knows, or a code it does not
/// (from a newer server), kept as it came. On the wire it is the dotted string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorCode {
    /// A refusal this build knows.
    Refusal(Refusal),
    /// Any other code.
    Unknown(String),
}

impl ErrorCode {
    /// Reads a code from the wire.
    pub fn parse(code: &str) -> Self {
        Refusal::from_code(code).map_or_else(|| Self::Unknown(code.to_owned()), Self::Refusal)
    }

    /// The dotted code.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Refusal(r) => r.code(),
            Self::Unknown(c) => c,
        }
    }
}

impl From<Refusal> for ErrorCode {
    fn from(r: Refusal) -> Self {
        Self::Refusal(r)
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for ErrorCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = String::deserialize(d)?;
        Ok(Self::parse(&code))
    }
}

/// A command the client refused before sending anything: the UI offered something the current
/// state or role does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// The command needs us to be a connected member.
    #[error("\"{command}\" needs to be in the meeting")]
    NotInMeeting {
        /// The command.
        command: &'static str,
    },
    /// Our role does not allow it (the server would refuse it too).
    #[error("your role does not allow \"{command}\"")]
    NotAllowed {
        /// The command.
        command: &'static str,
    },
    /// The client is not at the step where this command belongs.
    #[error("\"{command}\" is not expected now")]
    NotNow {
        /// The command.
        command: &'static str,
    },
}

impl CommandError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotInMeeting { .. } => "room.not_in_meeting",
            Self::NotAllowed { .. } => "room.not_allowed",
            Self::NotNow { .. } => "room.not_now",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_namespaced_and_distinct() {
        let mut codes = vec![
            ProtocolError::TooBig { size: 2, limit: 1 }.code(),
            ProtocolError::UnsupportedVersion { got: 2 }.code(),
            ProtocolError::BadMessage { why: String::new() }.code(),
            ProtocolError::OutOfOrder { message: "admit", state: "" }.code(),
            ProtocolError::InvalidId { what: "", why: "" }.code(),
            Refused::DuplicateConnection.code(),
            CommandError::NotInMeeting { command: "" }.code(),
        ];
        for r in Refusal::ALL {
            codes.push(r.code());
            assert_eq!(ErrorCode::parse(r.code()), ErrorCode::Refusal(r), "{r:?} reads back");
        }
        assert_eq!(ErrorCode::parse("room.from_the_future"), ErrorCode::Unknown("room.from_the_future".into()));
        assert_eq!(ErrorCode::parse("room.from_the_future").to_string(), "room.from_the_future");
        assert!(codes.iter().all(|c| c.starts_with("room.")));
        let n = codes.len();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), n, "every error has its own code");
    }
}
