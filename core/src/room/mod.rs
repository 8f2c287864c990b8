//! # The meeting protocol (CORE, sans-I/O)
//!
//! Who is in a meeting, who waits in its lobby, who runs it, and how members reach each other
//! through the signalling server. Two state machines speak it over WebSocket text frames:
//! [`server::RoomServer`] holds every meeting of one signalling server, and
//! [`client::RoomClient`] is one participant's view of one meeting. Neither does I/O: the
//! runtime (`net/`) owns sockets and timers, feeds inputs in, and carries outputs out. Time is
//! the `now: Duration` argument (any fixed epoch, monotonic), randomness comes from a seed the
//! runtime draws from the OS. The wire format is in [`proto`] and `docs/protocol.md`.
//!
//! ## The run loop
//!
//! ```text
//!  loop {
//!      wait for: a socket event, or the time poll_timeout() returned
//!      call the matching handle_*(…, now)
//!      drain poll_output() (server) / poll_transmit() + poll_event() (client) until None
//!  }
//! ```
//!
//! Every `handle_*` may queue outputs; none blocks or fails on bad input. The server reports bad
//! input by closing that one connection (`ServerOutput::Close` with a [`proto::CloseCode`]);
//! the client returns a [`ProtocolError`] from `handle_message` and stays as it was.
//!
//! ## A meeting's life
//!
//! ```text
//!   host link ──create──► meeting (host)                    join link ──knock──► lobby
//!                            │                                                  │ admit (host/co-host, unlocked)
//!                            │ ◄────────────────────────────────────────────────┘ deny / expire / leave ─► out
//!                            │ members: host, co-hosts, participants (in join order)
//!                            │ connection lost ─► away ─(resume within 30 s)─► back
//!                            │                      └─(grace over)─► left (host? ─► hand-over)
//!                            ├─ leave / remove ─► left (host? ─► hand-over)
//!                            ├─ last member left ─► forgotten (knockers get `ended`)
//!                            └─ end for all (host) ─► everyone `ended`, forgotten
//! ```
//!
//! * **Creation is explicit.** Only `create` (sent by a client holding the host link) starts a
//!   meeting; a `knock` on a meeting that is not running answers `no_such_meeting`, so a joiner
//!   who is early never becomes host by accident. A `create` on a running meeting answers
//!   `room.meeting_exists` and the client knocks instead.
//! * **Roles** ([`roles`]): the host may do everything; a co-host runs the lobby and the lock
//!   and moderates participants; participants raise hands, signal, and leave.
//! * **Hand-over**: when the host leaves for good, the longest-present co-host becomes host,
//!   else the longest-present participant (connected members before away ones).
//! * **Lock**: no new knocks; waiting knocks can be denied but not admitted.
//! * **Relays**: signals (SDP, ICE, E2EE handshakes, profiles) go between present members of
//!   one meeting by member id. Perfect negotiation's polite side is the larger member id
//!   ([`ids::MemberId::is_polite_towards`]).
//!
//! ## Reconnection
//!
//! A dropped connection makes a member *away*, not gone: it `resume`s with the member id and
//! token from its last `joined` within [`limits::ServerConfig::resume_grace`] and gets its
//! seat and role back. If the server restarted (resume fails), the clients recreate the meeting
//! from the roster they remember: the first in succession (the host) sends `recreate` with the
//! room proof, the others `rejoin` with their old ids and the same proof. See
//! [`server`]'s `reconnect` rules and [`client`]'s.
//!
//! ## Invariants (tested by `tests/room_properties.rs` over random operation sequences)
//!
//! 1. A denied or never-admitted knock is never a member.
//! 2. A locked meeting admits no one.
//! 3. A removed member gets no further relays; a knocker hears nothing but its own lobby news.
//! 4. A meeting without members does not exist; once every connection is gone and the timers
//!    have run, the server holds nothing (no meeting, connection or address).
//! 5. A meeting with members has exactly one host.
//!
//! ## What the server can know
//!
//! The room id (derived from the link's secret, which the server never sees), the room proof
//! the meeting was created with, opaque random member ids, roles, raised hands, the lock flag,
//! and timing. A peer's IP address is held while its connection is open (to charge its knocks)
//! and in a rate-limit bucket until the bucket is full again, never with a meeting or member.
//! Sealed profiles (display names) pass through in a knock and between members, held only
//! while a knock waits; the server never parses them and has no name to log or store. SDP and
//! ICE candidates travel sealed between the two members (`e2ee::sealed_signal`, under a key from
//! the link's secret bound to sender and recipient), so the server sees no address or
//! certificate fingerprint either; the meeting refuses an unsealed one.
//!
//! ## Limits
//!
//! Per-connection message size (64 KiB, 1009 on excess), per-address token buckets for new
//! connections and for knocks/creations (IPv6 per /64), ping every 3 s and away after 8 s of
//! silence, knocks expire after 10 min, meetings of at most 100 members and 100 knocks.
//! All in [`limits`], all on the virtual clock.

pub mod client;
pub mod error;
pub mod ids;
pub mod limits;
pub mod proto;
pub mod roles;
pub mod server;
pub mod turn;

pub use client::{ClientState, Intent, RoomClient, RoomEvent};
pub use error::{CommandError, ProtocolError, Refusal, Refused};
pub use ids::{Blob, ConnId, MeetingInstance, MemberId, ResumeToken, RoomId, RoomProof};
pub use roles::Role;
pub use server::{RoomServer, ServerOutput};
