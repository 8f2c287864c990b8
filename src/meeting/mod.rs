//! The meeting runtime: the one API of the shells.
//!
//! A [`Meeting`] is a cloneable handle; everything that happens arrives as a [`MeetingEvent`] on
//! the receiver [`Meeting::start`] returns. Behind the handle one driver task carries out what
//! the sans-I/O [`MeetingCore`](trygg_core::meeting::MeetingCore) decides (room protocol, E2EE
//! session, routes, reconnects), and owns what only a runtime can: the WebSocket to the
//! signalling server, one route per remote participant, this participant's outgoing media and
//! the incoming media of every other.
//!
//! ```text
//!  shell ──MeetingCommand──▶ driver ◀──WsEvent── signalling server
//!    ▲                     ▲  │  ▲
//!    │        MeetingCore ─┘  │  └──(member, PeerEvent)── routes ──▶ Incoming (decode) ─▶ mixer/UI
//!    └──────MeetingEvent──────┘                ▲
//!                     Outgoing (encode once) ─broadcast─┘
//! ```

mod driver;
#[cfg(test)]
mod event_fixture;
pub mod incoming;
pub mod invitations;
pub mod mixer;
mod notice;
pub mod outgoing;
pub mod playout;
mod private_file;
pub mod share_out;
mod signalling;
pub mod trust;

use std::path::PathBuf;

use serde::Serialize;
use tokio::sync::mpsc;

use crate::media::clock::SharedClock;
use crate::media::h264::H264Config;
use crate::media::opus::OpusConfig;
use crate::media::sink::{AudioSink, VideoReceiver};
use crate::media::source::{AudioSource, VideoSource};
use crate::net::link_stats::LinkStats;
use crate::net::peer::{LinkState, PeerConfig};
use crate::room::ids::{MemberId, RoomId};
use crate::room::proto::LeaveReason;
use crate::room::roles::Role;

/// Where the meeting is and what proves we may enter.
#[derive(Clone)]
pub struct MeetingTarget {
    /// `ws://host:port/` or `wss://host:port/` of the signalling server.
    pub url: String,
    /// The room.
    pub room: RoomId,
    /// The link's secret (never sent anywhere; the room proof and, later, keys derive from it).
    pub secret: crate::secrets::Sensitive<Vec<u8>>,
    /// The server certificate's SHA-256, when the link pins it.
    pub pin: Option<[u8; 32]>,
}

impl MeetingTarget {
    /// Where a join link points.
    pub fn from_link(link: &crate::links::JoinLink) -> Result<Self, crate::room::error::ProtocolError> {
        let view = link.server_view();
        let scheme = if view.tls { "wss" } else { "ws" };
        let host =
            if view.host.contains(':') && !view.host.starts_with('[') { format!("[{}]", view.host) } else { view.host };
        Ok(Self {
            url: format!("{scheme}://{host}:{}/", view.port),
            room: RoomId::parse(view.room.as_str())?,
            secret: link.secret().expose_bytes().to_vec().into(),
            pin: view.pin,
        })
    }
}

impl std::fmt::Debug for MeetingTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MeetingTarget").field("url", &self.url).field("room", &self.room).finish_non_exhaustive()
    }
}

pub use trygg_core::meeting::Entry;

/// Everything a meeting needs.
pub struct MeetingConfig {
    /// Where.
    pub target: MeetingTarget,
    /// Host or join.
    pub entry: Entry,
    /// Our display name.
    pub name: String,
    /// This device's identity (the MLS credential's key), from the keychain.
    pub identity: crate::e2ee::identity::DeviceIdentity,
    /// The personal invitation the link carries, if any (its text).
    pub invitation: Option<String>,
    /// As host: the list of personal invitations this device made (`invitations.json`), read
    /// for revocations and written when one is revoked in the meeting; None: none revoked.
    pub invitation_list: Option<PathBuf>,
    /// As host: turn away every knock without a valid personal invitation.
    pub invited_only: bool,
    /// Camera (or synthetic, or file); None to send no video.
    pub video: Option<VideoSource>,
    /// Microphone (or synthetic, or file); None to send no audio.
    pub audio: Option<AudioSource>,
    /// H.264 settings.
    pub h264: H264Config,
    /// Opus settings.
    pub opus: OpusConfig,
    /// ICE servers and addresses.
    pub peer: PeerConfig,
    /// Admit every knock at once (bots, tests).
    pub auto_admit: bool,
    /// Where the mixed audio of the others is played.
    pub speaker: Option<Box<dyn AudioSink>>,
    /// Write what each participant sent us to `DIR/<member>.y4m` and `.wav`.
    pub record: Option<PathBuf>,
    /// Where the verified participants are remembered (`known-peers.json`); None keeps the list
    /// in memory for this meeting only.
    pub known_peers: Option<PathBuf>,
    /// Keep a video channel per participant for a UI (`MeetingEvent::VideoChannel`).
    pub video_channels: bool,
    /// Echo cancellation, noise suppression and gain control on the microphone (all on by
    /// default).
    pub audio_processing: crate::media::audio_processing::AudioProcessingConfig,
    /// When the user started joining (µs since the epoch, by `clock`): `ms_since_start` in the
    /// first-media events counts from here. The CLI passes its own start, so join time includes
    /// everything a user waits for.
    pub started_us: u64,
    /// Clock for media timestamps.
    pub clock: SharedClock,
}

/// What a shell may ask of the meeting.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum MeetingCommand {
    /// Let a knocker in (host, co-host).
    Admit(MemberId),
    /// Turn a knocker away (host, co-host).
    Deny(MemberId),
    /// Lock or unlock the meeting (host, co-host).
    Lock(bool),
    /// Remove a participant (host, co-host).
    Remove(MemberId),
    /// Change a member's role (host).
    SetRole(MemberId, Role),
    /// Ask a member to unmute (host, co-host).
    RequestUnmute(MemberId),
    /// Mute a member's microphone (host, co-host).
    Mute(MemberId),
    /// Raise or lower our hand.
    RaiseHand(bool),
    /// Our microphone off (true) or on.
    MuteMicrophone(bool),
    /// Our camera off (true) or on.
    MuteCamera(bool),
    /// Share a screen or window (`screen[:N]`, `window[:ID]`, `synthetic`, as
    /// [`ShareTarget::parse`](crate::media::screen::ShareTarget::parse) reads them); replaces
    /// a share already running.
    StartShare(String),
    /// Stop sharing.
    StopShare,
    /// End the meeting for everyone (host).
    EndForAll,
    /// We compared the security code with this participant: remember their name with their
    /// identity key (replacing an older key).
    Verify(MemberId),
    /// Revoke a personal invitation (host): marked in the host's list, and from now on a knock
    /// with it shows as revoked and a co-host's approval cannot let it in.
    RevokeInvitation(crate::links::InvitationId),
    /// Leave.
    Leave,
}

/// One participant's numbers over the last second.
#[derive(Debug, Clone, Serialize)]
pub struct PeerStats {
    /// Who.
    pub member: MemberId,
    /// Their name.
    pub name: String,
    /// Connection state.
    pub state: Option<LinkState>,
    /// The transport's numbers (RTT, candidate types, totals).
    pub link: LinkStats,
    /// Received bits per second over the last second, in kbit/s.
    pub bitrate_in_kbps: f64,
    /// Sent, kbit/s.
    pub bitrate_out_kbps: f64,
    /// Packets lost out of those expected, percent, since the start.
    pub packet_loss_pct: f64,
    /// Pictures decoded since the start.
    pub frames_decoded: u64,
    /// Pictures that failed to decode.
    pub decode_errors: u64,
    /// Received pictures and audio packets dropped because the decoder was behind (after a
    /// dropped picture it asks for a keyframe).
    pub media_dropped: u64,
    /// Received pictures and audio packets dropped because they came from another member's
    /// leaf than the one this member announced in the group (someone passing media off as
    /// theirs).
    pub media_wrong_sender: u64,
    /// Received pictures and audio packets dropped because this member had not yet said in the
    /// group who it is.
    pub media_unbound: u64,
    /// Audio packets decoded since the start.
    pub audio_packets: u64,
    /// Their audio's playout: how long it is held to ride out the network's jitter, and what
    /// was concealed, rebuilt or stretched since the start.
    pub audio_playout: AudioPlayoutStats,
    /// How loud they were: the loudest 20 ms of their audio over the last second, RMS (0 to 1).
    /// The UI's active speaker is the loudest participant.
    pub audio_level: f32,
    /// Size of the last picture.
    pub width: u32,
    /// Size of the last picture.
    pub height: u32,
    /// Median glass-to-glass latency over the last second, read from the pictures' own pixel
    /// stamps (synthetic video only).
    pub glass_to_glass_ms: Option<f64>,
    /// What they share, when they share.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share: Option<ShareStats>,
    /// Lip sync: how far the pictures shown in the last second were ahead of their sound (ms,
    /// the median; negative: behind), from the sender's reports and when the playout plays
    /// what; None without both reports or with no audio playing.
    pub lip_sync_ms: Option<f64>,
    /// Every glass-to-glass measurement of the last second (one per stamped picture), for
    /// benchmarks that need exact percentiles.
    pub glass_to_glass_samples_ms: Vec<f64>,
}

/// One participant's audio playout since the start.
#[derive(Debug, Clone, Serialize, Default, PartialEq)]
pub struct AudioPlayoutStats {
    /// How much audio is held on purpose (ms): 95 % of packets arrive within it, 20 ms at
    /// least; more while packets are lost (for FEC).
    pub target_ms: f64,
    /// How long the audio now playing was held beyond its quickest possible arrival (ms): the
    /// delay the playout adds.
    pub delay_ms: f64,
    /// 20 ms stretches of audio that were missing when due and concealed.
    pub concealed: u64,
    /// Lost packets rebuilt from the next packet's in-band FEC.
    pub fec: u64,
    /// Packets that came after their time had been concealed (dropped).
    pub late: u64,
    /// Packets played a pitch period shorter (to bring the delay down).
    pub accelerated: u64,
    /// Packets played a pitch period longer (to build the delay up).
    pub decelerated: u64,
    /// 20 ms of comfort noise while the sender was in DTX.
    pub comfort_noise: u64,
    /// Packets cut from a backlog far past the target (a burst after an outage).
    pub flushed: u64,
}

/// A screen share's numbers over the last second (ours as sent, or another's as received).
#[derive(Debug, Clone, Serialize, Default, PartialEq)]
pub struct ShareStats {
    /// Picture width.
    pub width: u32,
    /// Picture height.
    pub height: u32,
    /// Pictures a second. Ours: the share's pace, pictures captured and encoded (5 for still
    /// content, up to 15 while it moves; the encoder sends next to nothing for a picture that
    /// did not change). Another's: pictures decoded.
    pub fps: f64,
    /// kbit/s of encrypted share video.
    pub bitrate_kbps: f64,
    /// Pictures since the share started.
    pub frames: u64,
    /// Keyframes since the share started (ours sent, another's received). Each is large; more
    /// than a few a minute means pictures are being lost.
    pub keyframes: u64,
}

/// Why a screen share ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ShareEnd {
    /// The sharer stopped it.
    Stopped,
    /// The shared window closed or the screen went away.
    SourceGone,
    /// The sharer left the meeting.
    Left,
}

/// Whether and how the meeting is end-to-end encrypted, as the status line shows it.
#[derive(Debug, Clone, Serialize, Default)]
pub struct E2eeStatus {
    /// "end_to_end_encrypted" only while this device holds the group's keys; "waiting_for_keys"
    /// before admission (nothing is sent then).
    pub state: &'static str,
    /// The MLS epoch.
    pub epoch: Option<u64>,
    /// The current security code.
    pub security_code: Option<String>,
    /// Frames sent encrypted.
    pub frames_encrypted: u64,
    /// Frames received and decrypted.
    pub frames_decrypted: u64,
    /// Frames dropped: failed authentication (tampered, or not encrypted at all).
    pub dropped_auth_failed: u64,
    /// Frames dropped: replayed.
    pub dropped_replay: u64,
    /// Frames dropped: a key id this device has no key for.
    pub dropped_unknown_kid: u64,
    /// Frames dropped: malformed SFrame.
    pub dropped_malformed: u64,
}

/// What a knock's personal invitation is worth, as the lobby shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KnockInvitation {
    /// The verdict.
    pub status: InvitationStatus,
    /// The address it was made for (`invited` and `revoked` only: otherwise nothing vouches
    /// for it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invitee: Option<String>,
    /// Its id in the host's list, for revoking it (`invited` and `revoked`; `copied` names the
    /// invitation that was copied).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The fingerprint of the key that signed it (`other_signer`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signer: Option<String>,
}

/// The verdict on a knock's personal invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InvitationStatus {
    /// Made for this meeting by a key that hosts it: "invited as …".
    Invited,
    /// Made by a host of this meeting, and revoked.
    Revoked,
    /// A real invitation, copied out of someone else's knock: the knocker does not hold it.
    Copied,
    /// Made for another meeting.
    OtherMeeting,
    /// Signed for this meeting by someone who does not host it.
    OtherSigner,
    /// Altered or signed by nobody.
    Forged,
}

impl From<crate::links::InvitationCheck> for KnockInvitation {
    fn from(c: crate::links::InvitationCheck) -> Self {
        use crate::links::InvitationCheck as C;
        let bare = |status| Self { status, invitee: None, id: None, signer: None };
        match c {
            C::Invited { invitee, id } => {
                Self { invitee: Some(invitee), id: Some(id.to_text()), ..bare(InvitationStatus::Invited) }
            }
            C::Revoked { invitee, id } => {
                Self { invitee: Some(invitee), id: Some(id.to_text()), ..bare(InvitationStatus::Revoked) }
            }
            C::Copied { id } => Self { id: Some(id.to_text()), ..bare(InvitationStatus::Copied) },
            C::OtherMeeting => bare(InvitationStatus::OtherMeeting),
            C::OtherSigner { signer } => Self {
                signer: Some(crate::e2ee::identity::Fingerprint::of(&signer).to_string()),
                ..bare(InvitationStatus::OtherSigner)
            },
            C::Forged => bare(InvitationStatus::Forged),
        }
    }
}

/// Everything that happens in a meeting. Every variant is something the UI shows or acts on.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum MeetingEvent {
    /// We created the meeting and are its host.
    Created {
        /// Our member id.
        me: MemberId,
    },
    /// Our knock is on its way.
    #[serde(rename = "knock")]
    Knocking,
    /// We wait in the lobby.
    InLobby,
    /// We were admitted (joiners only).
    Admitted {
        /// Our member id.
        me: MemberId,
    },
    /// We are in the meeting (host or admitted joiner).
    Joined {
        /// Our member id.
        me: MemberId,
        /// Our role.
        role: Role,
    },
    /// Someone knocks (hosts and co-hosts); again for the same member when what their
    /// invitation is worth changed (it was revoked).
    #[serde(rename = "knock_received")]
    Knock {
        /// The knock's member id, for admit/deny.
        member: MemberId,
        /// The name they gave.
        name: String,
        /// What the personal invitation in their knock is worth; absent when it carried none.
        #[serde(skip_serializing_if = "Option::is_none")]
        invitation: Option<KnockInvitation>,
    },
    /// A knock left the lobby (admitted, denied, expired or withdrawn; by us or another host).
    KnockGone {
        /// Who.
        member: MemberId,
        /// How it ended.
        reason: crate::room::proto::KnockEnd,
    },
    /// A participant is in the meeting.
    ParticipantJoined {
        /// Who.
        member: MemberId,
        /// Their name, when known.
        name: String,
    },
    /// A participant introduced themselves (name now known).
    ParticipantNamed {
        /// Who.
        member: MemberId,
        /// Their name.
        name: String,
    },
    /// What this device knows of a participant's identity key (once the group vouches for it),
    /// and again whenever that changes. `key_changed` is the loud warning: the name was verified
    /// before with another key.
    PeerIdentity {
        /// Who.
        member: MemberId,
        /// Their name.
        name: String,
        /// Their identity key's fingerprint (16 groups of 4 hex digits).
        fingerprint: String,
        /// The code this device and they read to each other to verify each other (five groups
        /// of four digits, from both identity keys; the same on their screen).
        pair_code: String,
        /// Verified, unverified, or key changed.
        status: trust::IdentityStatus,
        /// With `key_changed`: the key verified before.
        #[serde(skip_serializing_if = "Option::is_none")]
        previous_fingerprint: Option<String>,
        /// With `key_changed`: what to tell the user.
        #[serde(skip_serializing_if = "Option::is_none")]
        warning: Option<String>,
    },
    /// A participant's connection is gone; they may be back within the grace period.
    ParticipantAway {
        /// Who.
        member: MemberId,
    },
    /// An away participant is back.
    ParticipantBack {
        /// Who.
        member: MemberId,
    },
    /// A participant left for good.
    ParticipantLeft {
        /// Who.
        member: MemberId,
        /// Why.
        reason: LeaveReason,
    },
    /// The media path to a participant changed state.
    Link {
        /// Who.
        member: MemberId,
        /// New state.
        state: LinkState,
    },
    /// The first picture from a participant was decoded.
    FirstRemoteVideo {
        /// Who.
        member: MemberId,
        /// Milliseconds since the meeting started (this process's `start`).
        ms_since_start: u64,
    },
    /// The first audio from a participant was decoded.
    FirstRemoteAudio {
        /// Who.
        member: MemberId,
        /// Milliseconds since the meeting started.
        ms_since_start: u64,
    },
    /// A participant's video, for the UI to draw (only with `video_channels`).
    #[serde(skip)]
    VideoChannel {
        /// Who.
        member: MemberId,
        /// The pictures.
        receiver: std::sync::Arc<VideoReceiver>,
    },
    /// Someone started sharing their screen (`member` is us when we did).
    ShareStarted {
        /// Who shares.
        member: MemberId,
        /// What (for our own share only: the screen's or window's name).
        #[serde(skip_serializing_if = "Option::is_none")]
        source: Option<String>,
    },
    /// A screen share ended.
    ShareStopped {
        /// Who shared.
        member: MemberId,
        /// Why it ended.
        reason: ShareEnd,
    },
    /// A participant's screen share, for the UI to draw (only with `video_channels`).
    #[serde(skip)]
    ShareChannel {
        /// Who shares.
        member: MemberId,
        /// The pictures.
        receiver: std::sync::Arc<VideoReceiver>,
    },
    /// Per-participant numbers, every second.
    Stats {
        /// One entry per connected participant.
        peers: Vec<PeerStats>,
        /// Our own screen share, while we share.
        #[serde(skip_serializing_if = "Option::is_none")]
        share_out: Option<ShareStats>,
        /// The end-to-end encryption state.
        e2ee: E2eeStatus,
    },
    /// A member's role changed.
    RoleChanged {
        /// Who.
        member: MemberId,
        /// New role.
        role: Role,
    },
    /// The meeting was locked or unlocked.
    Locked {
        /// Locked now.
        locked: bool,
    },
    /// A hand went up or down.
    HandRaised {
        /// Whose.
        member: MemberId,
        /// Up or down.
        raised: bool,
    },
    /// A host muted us (the microphone is now off).
    MutedByHost,
    /// A host asks us to unmute.
    UnmuteRequested,
    /// New end-to-end keys: every member shows the same code for the same epoch. Compare it
    /// out loud to know no one sits in the middle.
    SecurityCode {
        /// The MLS epoch.
        epoch: u64,
        /// The code, in groups of four digits.
        code: String,
        /// Members holding the keys.
        members: usize,
    },
    /// The signalling connection is lost; reconnecting (media keeps flowing peer to peer).
    Reconnecting,
    /// Back after a lost connection.
    Resumed {
        /// True when the server had restarted and the meeting was recreated.
        after_restart: bool,
    },
    /// The knock was denied.
    Denied,
    /// The meeting does not exist (or the link is wrong).
    NoSuchMeeting,
    /// The meeting is locked; the knock was refused.
    RoomLocked,
    /// A host or co-host removed us, as they said in the encrypted group.
    Removed,
    /// The server took us out of the meeting, and no host or co-host asked for it in the
    /// encrypted group.
    RemovedByServer,
    /// The meeting ended for everyone.
    Ended,
    /// We left; the meeting is over for us.
    Left,
    /// Something went wrong that the user should hear about.
    Error {
        /// Stable code.
        code: String,
        /// A sentence.
        message: String,
    },
}

/// Why a meeting could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MeetingError {
    /// A source or codec could not be set up.
    #[error(transparent)]
    Media(#[from] crate::media::MediaError),
    /// The encryption could not be set up.
    #[error(transparent)]
    E2ee(#[from] crate::e2ee::E2eeError),
    /// The list of verified participants could not be read or saved.
    #[error("{0}")]
    Trust(String),
    /// The host's list of personal invitations could not be read or saved.
    #[error("{0}")]
    Invitations(String),
}

impl MeetingError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Media(e) => e.code(),
            Self::E2ee(e) => e.code(),
            Self::Trust(_) => "meeting.known_peers",
            Self::Invitations(_) => "meeting.invitations",
        }
    }
}

/// A new meeting's secret, from the OS's random source (the links module itself takes its
/// randomness as an argument).
pub fn new_link_secret() -> Result<crate::links::LinkSecret, getrandom::Error> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b)?;
    Ok(crate::links::LinkSecret::from_random(b))
}

/// A handle to a running meeting. Cheap to clone; dropping every clone leaves the meeting.
#[derive(Clone)]
pub struct Meeting {
    commands: mpsc::UnboundedSender<MeetingCommand>,
}

impl Meeting {
    /// Starts the meeting: connects, creates or knocks, and reports everything on the returned
    /// receiver. Must be called inside a tokio runtime.
    pub fn start(config: MeetingConfig) -> Result<(Self, mpsc::UnboundedReceiver<MeetingEvent>), MeetingError> {
        let (commands, command_rx) = mpsc::unbounded_channel();
        let (events, event_rx) = mpsc::unbounded_channel();
        driver::spawn(config, command_rx, events)?;
        Ok((Self { commands }, event_rx))
    }

    /// Sends a command; silently ignored once the meeting is over.
    pub fn command(&self, command: MeetingCommand) {
        let _ = self.commands.send(command);
    }

    /// Leaves the meeting.
    pub fn leave(&self) {
        self.command(MeetingCommand::Leave);
    }
}
