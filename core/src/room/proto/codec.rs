//! Bytes to messages and back: size limit, version check, shape; and the close codes for what
//! fails.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{ClientMsg, PROTOCOL_VERSION, ServerMsg};
use crate::room::error::ProtocolError;

/// WebSocket close codes the server uses. 1000–1015 are the standard ones; 4000–4999 are ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseCode {
    /// Not a message, an unknown type, or an invalid field (4000).
    BadMessage,
    /// A different protocol version (4001).
    UnsupportedVersion,
    /// A message the connection's state does not allow (4002).
    OutOfOrder,
    /// Nothing heard within the idle timeout (4003).
    IdleTimeout,
    /// The member resumed on another connection (4004).
    Replaced,
    /// Larger than the size limit (1009, the standard "message too big").
    TooBig,
}

impl CloseCode {
    /// The number for the close frame.
    pub fn as_u16(self) -> u16 {
        match self {
            Self::BadMessage => 4000,
            Self::UnsupportedVersion => 4001,
            Self::OutOfOrder => 4002,
            Self::IdleTimeout => 4003,
            Self::Replaced => 4004,
            Self::TooBig => 1009,
        }
    }

    /// The stable code, as [`ProtocolError::code`] has it.
    pub fn code(self) -> &'static str {
        match self {
            Self::BadMessage => "room.bad_message",
            Self::UnsupportedVersion => "room.unsupported_version",
            Self::OutOfOrder => "room.out_of_order",
            Self::IdleTimeout => "room.idle_timeout",
            Self::Replaced => "room.replaced",
            Self::TooBig => "room.too_big",
        }
    }

    /// The close code for a protocol error.
    pub fn for_error(e: &ProtocolError) -> Self {
        match e {
            ProtocolError::TooBig { .. } => Self::TooBig,
            ProtocolError::UnsupportedVersion { .. } => Self::UnsupportedVersion,
            ProtocolError::OutOfOrder { .. } => Self::OutOfOrder,
            ProtocolError::BadMessage { .. } | ProtocolError::InvalidId { .. } => Self::BadMessage,
        }
    }
}

#[derive(Serialize)]
struct Envelope<'a, T> {
    v: u64,
    #[serde(flatten)]
    msg: &'a T,
}

#[derive(Deserialize)]
struct VersionOnly {
    v: Option<serde_json::Value>,
}

/// Serializes a message with its version.
pub fn encode<T: Serialize>(msg: &T) -> Vec<u8> {
    serde_json::to_vec(&Envelope { v: PROTOCOL_VERSION, msg })
        .expect("invariant: protocol messages have string keys and no fallible serializers")
}

/// Decodes a client message, checking size, version and shape, in that order.
pub fn decode_client(bytes: &[u8], max_size: usize) -> Result<ClientMsg, ProtocolError> {
    decode(bytes, max_size)
}

/// Decodes a server message, checking size, version and shape, in that order.
pub fn decode_server(bytes: &[u8], max_size: usize) -> Result<ServerMsg, ProtocolError> {
    decode(bytes, max_size)
}

fn decode<T: DeserializeOwned>(bytes: &[u8], max_size: usize) -> Result<T, ProtocolError> {
    if bytes.len() > max_size {
        return Err(ProtocolError::TooBig { size: bytes.len(), limit: max_size });
    }
    let bad = |e: serde_json::Error| ProtocolError::BadMessage { why: describe(&e) };
    // Two passes over at most 64 KiB: first the version alone, so that a message from a newer
    // protocol is reported as such rather than as malformed.
    let head: VersionOnly = serde_json::from_slice(bytes).map_err(bad)?;
    match head.v {
        None => return Err(ProtocolError::BadMessage { why: "missing field `v`".into() }),
        Some(serde_json::Value::Number(n)) if n.as_u64() == Some(PROTOCOL_VERSION) => {}
        Some(serde_json::Value::Number(n)) => {
            return Err(ProtocolError::UnsupportedVersion { got: n.as_u64().unwrap_or(u64::MAX) });
        }
        Some(_) => return Err(ProtocolError::BadMessage { why: "`v` must be a number".into() }),
    }
    serde_json::from_slice(bytes).map_err(bad)
}

/// serde_json's message without echoing values from the input (it quotes unknown variant names,
/// which come from the peer): keep only its category and position.
fn describe(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let kind = match e.classify() {
        Category::Io => "i/o",
        Category::Syntax => "not valid JSON",
        Category::Data => "unknown type or invalid field",
        Category::Eof => "truncated JSON",
    };
    format!("{kind} at line {} column {}", e.line(), e.column())
}
