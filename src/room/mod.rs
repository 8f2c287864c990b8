//! # The meeting protocol (CORE, sans-I/O)
//!
//! WIP manual; see below.

pub mod client;
pub mod error;
pub mod ids;
pub mod limits;
pub mod proto;
pub mod roles;
pub mod server;

pub use client::{ClientState, Intent, RoomClient, RoomEvent};
pub use error::{ProtocolError, Refusal, Refused};
pub use ids::{Blob, ConnId, MemberId, ResumeToken, RoomId, RoomProof};
pub use roles::Role;
pub use server::{RoomServer, ServerOutput};
