//! One WebRTC peer connection to one remote participant, with perfect negotiation.
//!
//! ```text
//!            PeerLink (handle) ──commands──▶ link task (serialises every SDP step)
//!                 │                               │ create_offer / set_*_description
//!   send_video/send_audio                          ▼
//!                 └──▶ TrackLocalStaticSample ──▶ webrtc PeerConnection ──▶ UDP (ICE/DTLS/SRTP)
//!                                                  │ on_track
//!          PeerEvent::{Video, Audio} ◀── assembler ◀┘
//! ```
//!
//! Negotiation follows the W3C "perfect negotiation" pattern: either side may start a
//! renegotiation (a screen share adds a track); on glare the *polite* side rolls back and takes
//! the other's offer, the impolite side ignores the colliding offer. Which side is polite is given
//! by the room (both ends compute the same answer). Handler callbacks run on webrtc's driver and
//! must never await the connection, so they only post to the link task.
//!
//! A link always carries an audio and a video m-line (send-receive when this side has the medium,
//! receive-only otherwise) so that the first offer already covers the camera and microphone. A
//! screen share is a third track, `trygg-share` (its msid), added when the share starts: the
//! addition renegotiates the connection. The track stays when the share stops (it only falls
//! silent) so that sharing again needs no second renegotiation; the receiver tells the two
//! video tracks apart by their track ids.

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use rtc::media::Sample;
use rtc::media_stream::MediaStreamTrack;
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::rtp_transceiver::rtp_sender::{
    RTCPFeedback, RTCRtpCodec, RTCRtpCodecParameters, RTCRtpCodingParameters, RTCRtpEncodingParameters, RtpCodecKind,
};
use rtc::rtp_transceiver::{RTCRtpTransceiverDirection, RTCRtpTransceiverInit};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use webrtc::media_stream::track_local::TrackLocal;
use webrtc::media_stream::track_local::static_sample::TrackLocalStaticSample;
use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};
use webrtc::peer_connection::{
    CongestionFeedback, MediaEngine, PeerConnection, PeerConnectionBuilder, PeerConnectionEventHandler,
    RTCConfigurationBuilder, RTCIceCandidateInit, RTCIceConnectionState, RTCIceServer, RTCIceTransportPolicy,
    RTCPeerConnectionIceEvent, RTCPeerConnectionState, RTCSdpType, RTCSessionDescription, Registry,
    SettingEngineBuilder, configure_congestion_control, register_default_interceptors,
};
use webrtc::rtp_transceiver::RtpSender;

use super::NetError;
use super::assembler::{AssembledFrame, VideoAssembler, VideoOutput};
use super::congestion::{ESTIMATE_SLOT, LinkEstimate, PACE_FLOOR_BPS, PACING_FACTOR, estimate_tap};
use super::keyframe_requests::keyframe_request_watcher;
use super::pacer::AudioFirstPacer;
use super::retransmissions::Retransmissions;
use super::sender_reports::sender_report_watcher;
use trygg_core::negotiation::{Negotiation, Step};
use trygg_core::rtp::jitter_buffer::AudioPacket;

/// H.264 as every browser and SIP video endpoint decodes it: constrained baseline, mode 1.
pub const H264_FMTP: &str = "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f";
/// Opus with in-band FEC.
pub const OPUS_FMTP: &str = "minptime=10;useinbandfec=1";
const H264_PT: u8 = 102;
const OPUS_PT: u8 = 111;
/// How long the video assembler waits for a retransmitted packet.
const VIDEO_WAIT: Duration = Duration::from_millis(150);
/// Where each link's congestion estimate starts: a camera's configured rate fits, so a call on
/// a good path needs no ramp; on a narrow one the first feedback cuts it within a second.
pub const ESTIMATE_START_BPS: f64 = 1_000_000.0;
/// The estimate's floor and ceiling.
pub(crate) const ESTIMATE_MIN_BPS: f64 = 100_000.0;
pub(crate) const ESTIMATE_MAX_BPS: f64 = 50_000_000.0;
/// Packets are paced (at a rate [`estimate_tap`] sets): a 1080p keyframe of text (100–300 kB) sent at once
/// overflows socket buffers, even on loopback; a lost keyframe is asked for again, and lost
/// again. What may leave at once: 64 kB, forty-odd packets (a camera picture).
const PACE_BURST_BITS: f64 = 512_000.0;
/// Packets the pacer holds before it refuses new ones: enough for a share keyframe, not for
/// seconds of stale video.
const PACE_QUEUE: usize = 512;
/// How often one missing packet is asked for again (NACK), at most.
const MAX_NACKS_PER_PACKET: u16 = 3;
/// How far behind the newest packet a packet may arrive and still be taken (SRTP's replay
/// window): retransmitted packets arrive late.
const SRTP_REPLAY_WINDOW: usize = 1024;
/// The track id (SDP msid) of a screen share.
pub const SHARE_TRACK_ID: &str = "trygg-share";

/// A STUN or TURN server (configured, or handed out by the meeting's server).
pub use trygg_core::room::proto::IceServer;

/// How peer connections are made.
#[derive(Debug, Clone)]
pub struct PeerConfig {
    /// STUN/TURN servers.
    pub ice_servers: Vec<IceServer>,
    /// Only relay candidates (everything through TURN).
    pub relay_only: bool,
    /// Local addresses to gather host candidates on (`0.0.0.0:0` means every interface).
    pub bind: Vec<String>,
    /// Interval between ICE connectivity checks. webrtc reaches `connected` one interval after
    /// ICE succeeds, so this is also the floor of the join time.
    pub ice_check_interval: Duration,
}

impl Default for PeerConfig {
    fn default() -> Self {
        Self {
            ice_servers: vec![],
            relay_only: false,
            bind: vec!["0.0.0.0:0".into()],
            ice_check_interval: Duration::from_millis(20),
        }
    }
}

/// What must reach the other side through signalling.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeerSignal {
    /// An SDP offer or answer (`{"type":"offer","sdp":"…"}`).
    Description(Box<RTCSessionDescription>),
    /// A trickled ICE candidate.
    Candidate(RTCIceCandidateInit),
}

/// Connection state as the meeting cares about it (the core's, for every kind of route).
pub use trygg_core::meeting::LinkState;

/// What a link reports to its owner.
#[derive(Debug)]
pub enum PeerEvent {
    /// Send this to the remote side.
    Signal(PeerSignal),
    /// The connection changed state.
    State(LinkState),
    /// A complete H.264 access unit from the remote side's camera.
    Video(AssembledFrame),
    /// A complete H.264 access unit from the remote side's screen share.
    ShareVideo(AssembledFrame),
    /// An Opus packet from the remote side, as it came (the playout buffer orders it).
    Audio(AudioPacket),
    /// The remote side's RTCP sender report for one of its streams: its RTP timestamp `rtp`
    /// stands for its wall-clock time `ntp` (NTP 32.32), which lip sync needs.
    SenderReport {
        /// Which stream.
        stream: RemoteStream,
        /// The sender's wall clock.
        ntp: u64,
        /// The stream's RTP timestamp at that time.
        rtp: u32,
    },
    /// This link's congestion estimate changed: what it carries, in bits per second.
    TargetBitrate(u32),
    /// The remote side asked for a keyframe (PLI/FIR) of our camera, or of our screen share.
    KeyframeRequested {
        /// Of the share (else the camera).
        share: bool,
    },
}

enum Command {
    Negotiate,
    Remote(PeerSignal),
    RestartIce,
    Retry,
}

struct OutTrack {
    track: Arc<TrackLocalStaticSample>,
    sender: Arc<dyn RtpSender>,
    ssrc: u32,
    payload_type: AtomicU8,
    last_capture_us: Mutex<Option<u64>>,
    mime: &'static str,
}

/// A handle to one peer connection. Dropping it does not close the connection; call
/// [`PeerLink::close`].
pub struct PeerLink {
    pc: Arc<dyn PeerConnection>,
    commands: mpsc::UnboundedSender<Command>,
    audio: Option<OutTrack>,
    video: Option<OutTrack>,
    share: Mutex<Option<Arc<OutTrack>>>,
    /// The share track's SSRC once there is one (0 before): which keyframe requests are for it.
    share_ssrc: Arc<AtomicU32>,
    pli: Arc<Mutex<Vec<Arc<dyn TrackRemote>>>>,
    connected: Arc<AtomicBool>,
    closed: Arc<AtomicBool>,
    /// The link's congestion estimate, bits per second.
    estimate: Arc<AtomicU32>,
    /// The path's queueing delay, µs (`u32::MAX`: not known yet).
    queue_delay: Arc<AtomicU32>,
}

/// The remote side's streams by SSRC, so that a sender report can be told apart.
type RemoteStreams = Arc<Mutex<std::collections::HashMap<u32, RemoteStream>>>;

/// Which of the remote side's streams a sender report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoteStream {
    /// The microphone.
    Audio,
    /// The camera.
    Camera,
    /// The screen share.
    Share,
}

struct Handler {
    events: mpsc::UnboundedSender<PeerEvent>,
    commands: mpsc::UnboundedSender<Command>,
    remote_video: Arc<Mutex<Vec<Arc<dyn TrackRemote>>>>,
    streams: RemoteStreams,
    connected: Arc<AtomicBool>,
    impolite: bool,
    epoch: Instant,
}

#[async_trait::async_trait]
impl PeerConnectionEventHandler for Handler {
    async fn on_negotiation_needed(&self) {
        let _ = self.commands.send(Command::Negotiate);
    }

    async fn on_ice_candidate(&self, event: RTCPeerConnectionIceEvent) {
        if let Ok(c) = event.candidate.to_json() {
            let _ = self.events.send(PeerEvent::Signal(PeerSignal::Candidate(c)));
        }
    }

    async fn on_ice_connection_state_change(&self, state: RTCIceConnectionState) {
        // The impolite side restarts ICE when the path fails; both doing it would collide.
        if state == RTCIceConnectionState::Failed && self.impolite {
            let _ = self.commands.send(Command::RestartIce);
        }
    }

    async fn on_connection_state_change(&self, state: RTCPeerConnectionState) {
        let s = match state {
            RTCPeerConnectionState::Connected => LinkState::Connected,
            RTCPeerConnectionState::Disconnected => LinkState::Disconnected,
            RTCPeerConnectionState::Failed => LinkState::Failed,
            RTCPeerConnectionState::Closed => LinkState::Closed,
            _ => LinkState::Connecting,
        };
        self.connected.store(s == LinkState::Connected, Ordering::SeqCst);
        let _ = self.events.send(PeerEvent::State(s));
    }

    async fn on_track(&self, track: Arc<dyn TrackRemote>) {
        let kind = track.kind().await;
        let events = self.events.clone();
        let epoch = self.epoch;
        let share = kind == RtpCodecKind::Video && track.track_id().await == SHARE_TRACK_ID;
        let stream = match kind {
            RtpCodecKind::Video if share => RemoteStream::Share,
            RtpCodecKind::Video => RemoteStream::Camera,
            _ => RemoteStream::Audio,
        };
        let ssrcs = track.ssrcs().await;
        if let Ok(mut s) = self.streams.lock() {
            for ssrc in ssrcs {
                s.insert(ssrc, stream);
            }
        }
        if kind == RtpCodecKind::Video {
            if let Ok(mut v) = self.remote_video.lock() {
                v.push(track.clone());
            }
            tokio::spawn(read_video(track, events, epoch, share));
        } else {
            tokio::spawn(read_audio(track, events));
        }
    }
}

fn since(epoch: Instant) -> Duration {
    epoch.elapsed()
}

async fn read_video(
    track: Arc<dyn TrackRemote>,
    events: mpsc::UnboundedSender<PeerEvent>,
    epoch: Instant,
    share: bool,
) {
    let mut asm = VideoAssembler::new(VIDEO_WAIT);
    let ssrc = track.ssrcs().await.first().copied().unwrap_or(0);
    let mut last_pli = None::<Instant>;
    loop {
        let wait = asm.poll_timeout().map(|t| t.saturating_sub(since(epoch)));
        let next = match wait {
            Some(d) => tokio::time::timeout(d, track.poll()).await.ok(),
            None => Some(track.poll().await),
        };
        let now = since(epoch);
        match next {
            Some(None) => return,
            Some(Some(TrackRemoteEvent::OnRtpPacket(p))) => {
                let h = &p.header;
                asm.push(h.sequence_number, h.timestamp, h.marker, p.payload.clone(), now);
            }
            Some(Some(TrackRemoteEvent::OnEnded)) => return,
            Some(Some(_)) => {}
            None => asm.handle_timeout(now),
        }
        while let Some(out) = asm.poll_output() {
            match out {
                VideoOutput::Frame(f) => {
                    let ev = if share { PeerEvent::ShareVideo(f) } else { PeerEvent::Video(f) };
                    if events.send(ev).is_err() {
                        return;
                    }
                }
                VideoOutput::NeedKeyframe => {
                    // At most one PLI per 300 ms: the sender needs one keyframe, not a storm.
                    if last_pli.is_none_or(|t| t.elapsed() > Duration::from_millis(300)) {
                        last_pli = Some(Instant::now());
                        let pli = PictureLossIndication { sender_ssrc: 0, media_ssrc: ssrc };
                        let _ = track.write_rtcp(vec![Box::new(pli)]).await;
                    }
                }
            }
        }
    }
}

async fn read_audio(track: Arc<dyn TrackRemote>, events: mpsc::UnboundedSender<PeerEvent>) {
    loop {
        match track.poll().await {
            None | Some(TrackRemoteEvent::OnEnded) => return,
            Some(TrackRemoteEvent::OnRtpPacket(p)) => {
                let packet = AudioPacket {
                    seq: p.header.sequence_number,
                    timestamp: p.header.timestamp,
                    payload: p.payload.clone(),
                };
                if events.send(PeerEvent::Audio(packet)).is_err() {
                    return;
                }
            }
            Some(_) => {}
        }
    }
}

fn codec(kind: RtpCodecKind) -> RTCRtpCodecParameters {
    let fb = |typ: &str, parameter: &str| RTCPFeedback { typ: typ.into(), parameter: parameter.into() };
    match kind {
        RtpCodecKind::Audio => RTCRtpCodecParameters {
            rtp_codec: RTCRtpCodec {
                mime_type: "audio/opus".into(),
                clock_rate: 48_000,
                channels: 2,
                sdp_fmtp_line: OPUS_FMTP.into(),
                rtcp_feedback: vec![fb("transport-cc", "")],
            },
            payload_type: OPUS_PT,
        },
        _ => RTCRtpCodecParameters {
            rtp_codec: RTCRtpCodec {
                mime_type: "video/H264".into(),
                clock_rate: 90_000,
                channels: 0,
                sdp_fmtp_line: H264_FMTP.into(),
                rtcp_feedback: vec![fb("ccm", "fir"), fb("nack", ""), fb("nack", "pli"), fb("transport-cc", "")],
            },
            payload_type: H264_PT,
        },
    }
}

/// What this side sends on a new link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalMedia {
    /// Send audio.
    pub audio: bool,
    /// Send video.
    pub video: bool,
}

impl PeerLink {
    /// Creates a peer connection to one remote participant. `polite` decides who yields on glare.
    /// Events go to `events`; if `offer` is true this side sends the first offer.
    pub async fn new(
        config: &PeerConfig,
        local: LocalMedia,
        polite: bool,
        offer: bool,
        events: mpsc::UnboundedSender<PeerEvent>,
    ) -> Result<Self, NetError> {
        let mut engine = MediaEngine::default();
        engine.register_codec(codec(RtpCodecKind::Audio), RtpCodecKind::Audio).map_err(NetError::webrtc)?;
        engine.register_codec(codec(RtpCodecKind::Video), RtpCodecKind::Video).map_err(NetError::webrtc)?;
        let registry = register_default_interceptors(Registry::new(), &mut engine).map_err(NetError::webrtc)?;
        let link_estimate = LinkEstimate::new(ESTIMATE_START_BPS, ESTIMATE_MIN_BPS, ESTIMATE_MAX_BPS);
        let queue_delay = link_estimate.queue_delay();
        let registry = configure_congestion_control(registry, link_estimate, CongestionFeedback::Twcc, &mut engine)
            .map_err(NetError::webrtc)?;
        let rate_events = events.clone();
        let estimate = Arc::new(AtomicU32::new(ESTIMATE_START_BPS as u32));
        let estimated = estimate.clone();
        let estimates = estimate_tap(move |bps| {
            estimated.store(bps, Ordering::Relaxed);
            let _ = rate_events.send(PeerEvent::TargetBitrate(bps));
        });
        let streams = RemoteStreams::default();
        let (report_events, reported) = (events.clone(), streams.clone());
        let reports = sender_report_watcher(move |ssrc, ntp, rtp| {
            if let Some(stream) = reported.lock().ok().and_then(|s| s.get(&ssrc).copied()) {
                let _ = report_events.send(PeerEvent::SenderReport { stream, ntp, rtp });
            }
        });
        let pli_events = events.clone();
        let share_ssrc = Arc::new(AtomicU32::new(0));
        let asked_share = share_ssrc.clone();
        let watcher = keyframe_request_watcher(move |ssrc| {
            let share = ssrc != 0 && ssrc == asked_share.load(Ordering::Relaxed);
            let _ = pli_events.send(PeerEvent::KeyframeRequested { share });
        });
        // Each missing packet is asked for at most three times: under heavy loss an unlimited
        // generator asks again every 100 ms for everything still missing, and the answers
        // crowd out the media they were meant to repair.
        let registry = registry.with(
            rtc::interceptor::Slot::NackGenerator,
            rtc::interceptor::NackGeneratorBuilder::new().with_max_nacks_per_packet(MAX_NACKS_PER_PACKET).build(),
        );
        // Answered within a quarter of the link's estimate, and only while still of use.
        let registry = registry.with(rtc::interceptor::Slot::NackResponder, Retransmissions::new(estimate.clone()));
        let registry = registry
            .with(rtc::interceptor::Slot::from(14_000), watcher)
            .with(rtc::interceptor::Slot::from(14_001), reports)
            .with(rtc::interceptor::Slot::from(ESTIMATE_SLOT), estimates)
            .with(
                rtc::interceptor::Slot::Pacer,
                AudioFirstPacer::new(
                    rtc::interceptor::PacerBuilder::new()
                        .with_target_bitrate((ESTIMATE_START_BPS * PACING_FACTOR).max(PACE_FLOOR_BPS))
                        .with_burst_bits(PACE_BURST_BITS)
                        .with_queue_limit(PACE_QUEUE)
                        .build(),
                ),
            );
        let settings = SettingEngineBuilder::new()
            .with_ice_connection_attempts(Some(config.ice_check_interval), None)
            // The other side's checks often arrive before its candidate does (the checks go
            // straight, the candidate through the server); the pair is then peer-reflexive, and
            // webrtc would wait a second before it nominates one. Nothing is gained by waiting:
            // the candidate that follows is the same address.
            .with_prflx_acceptance_min_wait(Some(Duration::ZERO))
            // Retransmissions reuse their sequence numbers (no RTX): a window of 64 threw away
            // every one that came back later than 64 packets, and each was asked for again.
            .with_srtp_replay_protection_window(SRTP_REPLAY_WINDOW)
            .with_multicast_dns_mode(rtc::ice::mdns::MulticastDnsMode::Disabled)
            .with_include_loopback_candidate(true)
            .build();
        let rtc_config = RTCConfigurationBuilder::new()
            .with_ice_servers(
                config
                    .ice_servers
                    .iter()
                    .map(|s| RTCIceServer {
                        urls: s.urls.clone(),
                        username: s.username.clone(),
                        credential: s.credential.clone(),
                    })
                    .collect(),
            )
            .with_ice_transport_policy(if config.relay_only {
                RTCIceTransportPolicy::Relay
            } else {
                RTCIceTransportPolicy::All
            })
            .build();
        let (commands, command_rx) = mpsc::unbounded_channel();
        let remote_video = Arc::new(Mutex::new(Vec::new()));
        let connected = Arc::new(AtomicBool::new(false));
        let handler = Handler {
            events: events.clone(),
            commands: commands.clone(),
            remote_video: remote_video.clone(),
            streams,
            connected: connected.clone(),
            impolite: !polite,
            epoch: Instant::now(),
        };
        let pc = PeerConnectionBuilder::new()
            .with_configuration(rtc_config)
            .with_media_engine(engine)
            .with_setting_engine(settings)
            .with_interceptor_registry(registry)
            .with_handler(Arc::new(handler))
            .with_udp_addrs(config.bind.clone())
            .build()
            .await
            .map_err(NetError::webrtc)?;
        let pc: Arc<dyn PeerConnection> = Arc::new(pc);
        let audio = Self::add_medium(&pc, RtpCodecKind::Audio, local.audio).await?;
        let video = Self::add_medium(&pc, RtpCodecKind::Video, local.video).await?;
        let closed = Arc::new(AtomicBool::new(false));

        tokio::spawn(run_link(pc.clone(), command_rx, events.clone(), polite, offer));
        if offer {
            let _ = commands.send(Command::Negotiate);
        }
        Ok(Self {
            pc,
            commands,
            audio,
            video,
            share: Mutex::new(None),
            share_ssrc,
            pli: remote_video,
            connected,
            closed,
            estimate,
            queue_delay,
        })
    }

    async fn add_medium(
        pc: &Arc<dyn PeerConnection>,
        kind: RtpCodecKind,
        send: bool,
    ) -> Result<Option<OutTrack>, NetError> {
        if !send {
            let init = RTCRtpTransceiverInit { direction: RTCRtpTransceiverDirection::Recvonly, ..Default::default() };
            pc.add_transceiver_from_kind(kind, Some(init)).await.map_err(NetError::webrtc)?;
            return Ok(None);
        }
        let name = if kind == RtpCodecKind::Audio { "audio" } else { "video" };
        Self::add_out_track(pc, kind, name, false).await.map(Some)
    }

    /// A track to send; `fresh`: on a transceiver of its own, never a reused one.
    async fn add_out_track(
        pc: &Arc<dyn PeerConnection>,
        kind: RtpCodecKind,
        name: &str,
        fresh: bool,
    ) -> Result<OutTrack, NetError> {
        let ssrc: u32 = rand::random();
        let codec = codec(kind);
        let track = TrackLocalStaticSample::new(
            Instant::now(),
            MediaStreamTrack::new(
                "trygg".to_owned(),
                format!("trygg-{name}"),
                format!("trygg-{name}"),
                kind,
                vec![RTCRtpEncodingParameters {
                    rtp_coding_parameters: RTCRtpCodingParameters { ssrc: Some(ssrc), ..Default::default() },
                    codec: codec.rtp_codec.clone(),
                    ..Default::default()
                }],
            ),
        )
        .map_err(NetError::webrtc)?;
        let track = Arc::new(track);
        let sender = if fresh {
            // A transceiver of its own: `add_track` would reuse an idle video m-line the other side
            // opened (say, its own camera's), where the track is never announced as a new one.
            let init = RTCRtpTransceiverInit { direction: RTCRtpTransceiverDirection::Sendonly, ..Default::default() };
            let t = pc
                .add_transceiver_from_track(track.clone() as Arc<dyn TrackLocal>, Some(init))
                .await
                .map_err(NetError::webrtc)?;
            t.sender().await.map_err(NetError::webrtc)?.ok_or(NetError::Closed)?
        } else {
            pc.add_track(track.clone() as Arc<dyn TrackLocal>).await.map_err(NetError::webrtc)?
        };
        let mime = if kind == RtpCodecKind::Audio { "audio/opus" } else { "video/h264" };
        Ok(OutTrack { track, sender, ssrc, payload_type: AtomicU8::new(0), last_capture_us: Mutex::new(None), mime })
    }

    /// Adds the screen-share track (once; later calls do nothing) and renegotiates.
    pub async fn start_share(&self) -> Result<(), NetError> {
        if self.share.lock().map_err(|_| NetError::Closed)?.is_some() {
            return Ok(());
        }
        let t = Self::add_out_track(&self.pc, RtpCodecKind::Video, "share", true).await?;
        self.share_ssrc.store(t.ssrc, Ordering::Relaxed);
        if let Ok(mut s) = self.share.lock() {
            *s = Some(Arc::new(t));
        }
        // negotiation-needed follows the new track too; one more request is harmless (an
        // exchange in flight absorbs it).
        let _ = self.commands.send(Command::Negotiate);
        Ok(())
    }

    /// Sends one encoded access unit of the screen share (dropped while there is no share
    /// track or no connection).
    pub async fn send_share(&self, data: Bytes, capture_us: u64) -> Result<(), NetError> {
        if !self.is_connected() {
            return Ok(());
        }
        let track = self.share.lock().ok().and_then(|s| s.clone());
        match track {
            Some(t) => send_sample(&t, data, capture_us, 66_667).await,
            None => Ok(()),
        }
    }

    /// Hands a signal from the remote side to this link.
    pub fn handle_signal(&self, signal: PeerSignal) {
        let _ = self.commands.send(Command::Remote(signal));
    }

    /// Restarts ICE (a new offer with fresh credentials).
    pub fn restart_ice(&self) {
        let _ = self.commands.send(Command::RestartIce);
    }

    /// The connection did not come or was lost: try again from scratch (an offer still out is
    /// abandoned; ICE restarts).
    pub fn retry(&self) {
        let _ = self.commands.send(Command::Retry);
    }

    /// True while media can flow.
    pub fn is_connected(&self) -> bool {
        self.connected.load(Ordering::SeqCst)
    }

    /// Sends one encoded H.264 access unit captured at `capture_us`. Before the connection is
    /// up there is nowhere to send to, and the frame is dropped.
    pub async fn send_video(&self, data: Bytes, capture_us: u64) -> Result<(), NetError> {
        if !self.is_connected() {
            return Ok(());
        }
        match &self.video {
            Some(t) => send_sample(t, data, capture_us, 33_333).await,
            None => Ok(()),
        }
    }

    /// Sends one encoded Opus packet captured at `capture_us` (dropped before the connection is up).
    pub async fn send_audio(&self, data: Bytes, capture_us: u64) -> Result<(), NetError> {
        if !self.is_connected() {
            return Ok(());
        }
        match &self.audio {
            Some(t) => send_sample(t, data, capture_us, 20_000).await,
            None => Ok(()),
        }
    }

    /// Asks the remote sender for a keyframe of its screen share (`share`) or of its camera:
    /// a PLI on that track only (a share's keyframe is a hundred times a camera's).
    pub async fn request_keyframe(&self, share: bool) {
        let tracks: Vec<_> = self.pli.lock().map(|v| v.clone()).unwrap_or_default();
        for t in tracks {
            if (t.track_id().await == SHARE_TRACK_ID) != share {
                continue;
            }
            let ssrc = t.ssrcs().await.first().copied().unwrap_or(0);
            let _ = t.write_rtcp(vec![Box::new(PictureLossIndication { sender_ssrc: 0, media_ssrc: ssrc })]).await;
        }
    }

    /// A stats snapshot.
    pub async fn stats(&self) -> super::link_stats::LinkStats {
        let report = self.pc.get_stats(Instant::now(), webrtc::peer_connection::StatsSelector::None).await;
        let mut stats = super::link_stats::LinkStats::from_report(&report);
        stats.estimate_kbps = Some(f64::from(self.estimate.load(Ordering::Relaxed)) / 1000.0);
        let queue = self.queue_delay.load(Ordering::Relaxed);
        stats.queue_delay_ms = (queue != u32::MAX).then(|| f64::from(queue) / 1000.0);
        stats
    }

    /// Closes the connection.
    pub async fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        let _ = self.pc.close().await;
    }
}

async fn send_sample(t: &OutTrack, data: Bytes, capture_us: u64, default_duration_us: u64) -> Result<(), NetError> {
    let mut pt = t.payload_type.load(Ordering::Relaxed);
    if pt == 0 {
        let params = t.sender.get_parameters().await.map_err(NetError::webrtc)?;
        let Some(c) = params.rtp_parameters.codecs.iter().find(|c| c.rtp_codec.mime_type.eq_ignore_ascii_case(t.mime))
        else {
            // Not negotiated (yet): nothing to send to.
            return Ok(());
        };
        pt = c.payload_type;
        t.payload_type.store(pt, Ordering::Relaxed);
    }
    // RTP time advances by the real gap between captures, so the receiver sees true timing.
    let duration_us = {
        let mut last = t.last_capture_us.lock().map_err(|_| NetError::Closed)?;
        let d = last.map_or(default_duration_us, |l| capture_us.saturating_sub(l).clamp(1, 1_000_000));
        *last = Some(capture_us);
        d
    };
    let sample = Sample { data, duration: Duration::from_micros(duration_us), ..Sample::new(Instant::now()) };
    t.track.sample_writer(t.ssrc, pt).write_sample(&sample).await.map_err(NetError::webrtc)
}

async fn run_link(
    pc: Arc<dyn PeerConnection>,
    mut commands: mpsc::UnboundedReceiver<Command>,
    events: mpsc::UnboundedSender<PeerEvent>,
    polite: bool,
    initiator: bool,
) {
    // The signalling decisions are the core's (`trygg_core::negotiation`): it is told, here where
    // every description is set, what happened, and says what to do. Deciding from the
    // connection's state-change callbacks, which arrive later, would decide glare on a stale
    // state.
    let mut negotiation = Negotiation::new(polite, initiator);
    while let Some(cmd) = commands.recv().await {
        let (steps, mut remote) = match cmd {
            Command::Negotiate => (negotiation.negotiation_needed(), None),
            Command::RestartIce => (negotiation.restart_ice(), None),
            Command::Retry => (negotiation.retry(), None),
            Command::Remote(PeerSignal::Description(desc)) => {
                (negotiation.remote_description(desc.sdp_type == RTCSdpType::Offer), Some(Remote::Description(desc)))
            }
            Command::Remote(PeerSignal::Candidate(c)) => (negotiation.remote_candidate(), Some(Remote::Candidate(c))),
        };
        for step in steps {
            if let Err(e) = carry_out(&pc, &events, step, &mut remote).await {
                if !matches!(step, Step::AddCandidate { ignore_errors: true }) {
                    tracing::warn!("peer link: {step:?}: {e}");
                }
                negotiation.failed(step);
                break;
            }
        }
    }
}

/// What the other side sent, for the step that uses it.
enum Remote {
    Description(Box<RTCSessionDescription>),
    Candidate(RTCIceCandidateInit),
}

/// Carries out one step of the negotiation on the connection.
async fn carry_out(
    pc: &Arc<dyn PeerConnection>,
    events: &mpsc::UnboundedSender<PeerEvent>,
    step: Step,
    remote: &mut Option<Remote>,
) -> Result<(), NetError> {
    match step {
        Step::RestartIce => pc.restart_ice().await.map_err(NetError::webrtc),
        Step::Offer => {
            let offer = pc.create_offer(None).await.map_err(NetError::webrtc)?;
            pc.set_local_description(offer).await.map_err(NetError::webrtc)?;
            send_local(pc, events).await;
            Ok(())
        }
        Step::Rollback => {
            let rollback = RTCSessionDescription::rollback(None).map_err(NetError::webrtc)?;
            pc.set_local_description(rollback).await.map_err(NetError::webrtc)
        }
        Step::SetRemote => match remote.take() {
            Some(Remote::Description(desc)) => pc.set_remote_description(*desc).await.map_err(NetError::webrtc),
            _ => Err(NetError::WebRtc("no remote description to set".into())),
        },
        Step::Answer => {
            let answer = pc.create_answer(None).await.map_err(NetError::webrtc)?;
            pc.set_local_description(answer).await.map_err(NetError::webrtc)?;
            send_local(pc, events).await;
            Ok(())
        }
        Step::AddCandidate { .. } => match remote.take() {
            Some(Remote::Candidate(c)) => pc.add_ice_candidate(c).await.map_err(NetError::webrtc),
            _ => Err(NetError::WebRtc("no remote candidate to add".into())),
        },
    }
}

/// Sends the local description just set.
async fn send_local(pc: &Arc<dyn PeerConnection>, events: &mpsc::UnboundedSender<PeerEvent>) {
    if let Some(local) = pc.local_description().await {
        let _ = events.send(PeerEvent::Signal(PeerSignal::Description(Box::new(local))));
    }
}
