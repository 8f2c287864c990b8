//! The wire protocol: every message a client and the signalling server exchange, and the codec.
//!
//! A message is one WebSocket text frame holding one JSON object with the protocol version `"v"`
//! and a `"type"`, for example `{"v":2,"type":"admit","member":"3f2a9c0d11e84b7a"}`. Binary values
//! (proofs, tokens, sealed blobs) are base64url strings without padding. Unknown fields are
//! ignored (so a later minor addition does not break an older peer); an unknown `type`, a missing
//! or invalid field, or a different `v` is a protocol error. `docs/protocol.md` lists every
//! message with an example.
//!
//! Size: a message may be at most [`crate::room::limits::ServerConfig::max_message_size`] bytes
//! (64 KiB by default). An SDP offer of a meeting with audio, camera and screen is 5–15 KiB, an
//! MLS Welcome for a few dozen members a few KiB, so the limit leaves room without letting one
//! connection make the server buffer megabytes.

mod client;
mod codec;
mod server;
mod signal;

pub use self::client::{ClientMsg, RosterEntry};
pub use self::codec::{CloseCode, decode_client, decode_server, encode};
pub use self::server::{IceServer, JoinKind, KnockEnd, LeaveReason, MemberInfo, ServerMsg};
pub use self::signal::{SdpType, Signal};

/// The version this build speaks; every message carries it as `"v"`.
pub const PROTOCOL_VERSION: u64 = 2;

/// Default limit of one message's size in bytes, for both directions.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 64 * 1024;

#[cfg(test)]
mod tests;
