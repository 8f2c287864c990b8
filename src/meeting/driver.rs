//! The task behind a [`Meeting`](super::Meeting) handle: the select loop that carries out what
//! the sans-I/O [`MeetingCore`] decides, and owns what only a runtime can hold — the WebSocket to
//! the signalling server, one route per remote member, this participant's outgoing media, the
//! incoming media of every other, the screen share and the remembered identities.

mod routes;
mod share;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::mixer::Mixer;
use super::outgoing::Outgoing;
use super::signalling::{Connection, WsEvent};
use super::{E2eeStatus, MeetingCommand, MeetingConfig, MeetingError, MeetingEvent, MeetingTarget};
use crate::media::audio_processing::AudioProcessor;
use crate::media::clock::SharedClock;
use crate::media::sink::NullAudioSink;
use crate::net::peer::{LocalMedia, PeerConfig, PeerEvent};
use crate::room::ids::MemberId;
use trygg_core::meeting::{Action, Command, MeetingCore, Setup};
use trygg_core::rtp::keyframe_gate::KeyframeGate;
use trygg_core::rtp::send_rate::SendRate;
use trygg_core::rtp::video_ladder::{Rung, VideoLadder};

struct Driver {
    target: MeetingTarget,
    peer_config: PeerConfig,
    /// The STUN/TURN servers configured here (the meeting's server may hand out more).
    configured_ice: Vec<crate::net::peer::IceServer>,
    record: Option<PathBuf>,
    /// The host's list of personal invitations (revocations are written there).
    invitation_list: Option<PathBuf>,
    video_channels: bool,
    clock: SharedClock,
    start_us: u64,
    local: LocalMedia,
    core: MeetingCore,
    /// The core's clock: the media clock at the start, then monotonic from there (so room
    /// timers never jump with the wall clock, and key grace periods line up with the media
    /// threads' stamps).
    epoch: (Instant, Duration),
    events: mpsc::UnboundedSender<MeetingEvent>,
    ws: Option<Connection>,
    ws_tx: mpsc::UnboundedSender<WsEvent>,
    peers: BTreeMap<MemberId, routes::Peer>,
    /// The leaf each member's media must come from, as the core last said.
    bindings: BTreeMap<MemberId, Option<u32>>,
    /// Events of every route, each with the token of the connection it came from.
    peer_tx: mpsc::UnboundedSender<(MemberId, u64, PeerEvent)>,
    /// The token of the next connection opened (a rebuilt route's old connection may still have
    /// events queued: they must not be taken for the new one's).
    next_route_token: u64,
    outgoing: Outgoing,
    /// The camera encoder's rate, from every link's congestion estimate.
    send_rate: SendRate<MemberId>,
    /// The camera's picture size and frame rate, from the send rate.
    ladder: VideoLadder,
    /// The camera's encoded bytes at the last look, and when.
    produced: Option<(u64, Duration)>,
    /// Viewers' requests for a keyframe of our share, merged to one per 300 ms.
    share_asks: KeyframeGate,
    mixer: Option<Mixer>,
    trust: super::trust::Trust,
    /// Our screen share.
    share: Option<share::OwnShare>,
    /// The share being opened (a portal dialog may wait for the user): its number, so a stop
    /// or a newer share makes a late one void.
    share_opening: u64,
    share_opened_tx: mpsc::UnboundedSender<share::Opened>,
    /// Who told us they share.
    sharers: BTreeSet<MemberId>,
    done: Option<MeetingEvent>,
}

pub(super) fn spawn(
    mut config: MeetingConfig,
    commands: mpsc::UnboundedReceiver<MeetingCommand>,
    events: mpsc::UnboundedSender<MeetingEvent>,
) -> Result<(), MeetingError> {
    let local = LocalMedia { audio: config.audio.is_some(), video: config.video.is_some() };
    let epoch = (Instant::now(), Duration::from_micros(config.clock.now_us()));
    let setup = Setup {
        room: config.target.room.clone(),
        secret: config.target.secret.clone(),
        entry: config.entry,
        name: config.name.clone(),
        identity: config.identity,
        invitation: config.invitation.clone(),
        // The host's list matters to a host only: a guest never reads it (a broken list must not
        // keep anyone from joining).
        invitations: match config.entry {
            super::Entry::Host => super::invitations::policy(config.invitation_list.as_deref(), config.invited_only)?,
            _ => Default::default(),
        },
        auto_admit: config.auto_admit,
        client: Default::default(),
    };
    let core = MeetingCore::new(setup, epoch.1, Box::new(rand_core_06::OsRng))?;
    let send_rate = SendRate::new(config.h264.bitrate_bps, config.opus.bitrate_bps)
        .starting_at(crate::net::peer::ESTIMATE_START_BPS as u32);
    let processor = AudioProcessor::new(config.audio_processing, config.opus.channels);
    let outgoing = Outgoing::start(
        config.video.take(),
        config.audio.take(),
        config.h264,
        config.opus,
        processor.clone(),
        core.session().keys.clone(),
        config.clock.clone(),
    )?;
    let trust = super::trust::Trust::load(config.known_peers.take(), core.session().own_fingerprint())?;
    // Every remote participant's audio is played out through the mixer, also without a speaker
    // (the playout is where audio is decoded, counted and recorded); the echo canceller hears
    // what a real speaker plays.
    let mixer = Some(match config.speaker.take() {
        Some(speaker) => Mixer::start(speaker, config.clock.clone(), processor),
        None => Mixer::start(Box::new(NullAudioSink), config.clock.clone(), None),
    });
    let (ws_tx, ws_rx) = mpsc::unbounded_channel();
    let (peer_tx, peer_rx) = mpsc::unbounded_channel();
    let (share_opened_tx, share_opened_rx) = mpsc::unbounded_channel();
    let driver = Driver {
        target: config.target,
        configured_ice: config.peer.ice_servers.clone(),
        peer_config: config.peer,
        record: config.record,
        invitation_list: config.invitation_list,
        video_channels: config.video_channels,
        start_us: config.started_us,
        clock: config.clock,
        local,
        core,
        epoch,
        events,
        ws: None,
        ws_tx,
        peers: BTreeMap::new(),
        bindings: BTreeMap::new(),
        peer_tx,
        next_route_token: 0,
        outgoing,
        send_rate,
        ladder: VideoLadder::new(720),
        produced: None,
        share_asks: KeyframeGate::default(),
        mixer,
        trust,
        share: None,
        share_opening: 0,
        share_opened_tx,
        sharers: BTreeSet::new(),
        done: None,
    };
    let mut driver = driver;
    // The camera starts at the rate (and so the picture size) the start estimate allows.
    let start = driver.send_rate.current();
    driver.follow_links(Some(start));
    tokio::spawn(driver.run(commands, ws_rx, peer_rx, share_opened_rx));
    Ok(())
}

impl Driver {
    /// Now, on the core's clock.
    fn now(&self) -> Duration {
        self.epoch.1 + self.epoch.0.elapsed()
    }

    /// A time on the core's clock as a tokio deadline (far away for None).
    fn deadline(&self, t: Option<Duration>) -> tokio::time::Instant {
        let wait = t.map_or(Duration::from_secs(3600), |t| t.saturating_sub(self.now()));
        tokio::time::Instant::now() + wait
    }

    fn emit(&self, e: MeetingEvent) {
        let _ = self.events.send(e);
    }

    async fn run(
        mut self,
        mut commands: mpsc::UnboundedReceiver<MeetingCommand>,
        mut ws_rx: mpsc::UnboundedReceiver<WsEvent>,
        mut peer_rx: mpsc::UnboundedReceiver<(MemberId, u64, PeerEvent)>,
        mut share_opened: mpsc::UnboundedReceiver<share::Opened>,
    ) {
        let mut stats_tick = tokio::time::interval(Duration::from_secs(1));
        let mut media_tick = tokio::time::interval(Duration::from_millis(20));
        self.carry_out().await;
        while self.done.is_none() {
            let wake = self.deadline(self.core.poll_timeout());
            tokio::select! {
                cmd = commands.recv() => match cmd {
                    Some(MeetingCommand::StartShare(target)) => self.start_share(target).await,
                    Some(MeetingCommand::StopShare) => self.stop_share(super::ShareEnd::Stopped).await,
                    Some(c) => self.command(c),
                    None => self.command(MeetingCommand::Leave),
                },
                Some(ev) = ws_rx.recv() => match ev {
                    WsEvent::Message(bytes) => {
                        if let Err(e) = self.core.handle_message(&bytes, self.now()) {
                            tracing::debug!("room message refused: {e}");
                        }
                    }
                    WsEvent::Closed => {
                        self.ws = None;
                        self.core.handle_disconnected(self.now());
                    }
                },
                Some((member, token, ev)) = peer_rx.recv() => self.peer_event(member, token, ev),
                Some(opened) = share_opened.recv() => self.share_opened(opened).await,
                _ = tokio::time::sleep_until(wake) => self.core.handle_timeout(self.now()),
                _ = stats_tick.tick() => self.stats().await,
                _ = media_tick.tick() => {
                    self.first_media();
                    if self.share_asks.due(self.now()) {
                        self.share_keyframe();
                    }
                }
            }
            self.carry_out().await;
        }
        self.shutdown().await;
    }

    /// Carries out what the core asked, in order, until it asks nothing more.
    async fn carry_out(&mut self) {
        while let Some(action) = self.core.poll_action() {
            match action {
                Action::Connect => self.connect().await,
                Action::Disconnect => {
                    if let Some(ws) = self.ws.take() {
                        ws.close().await;
                    }
                }
                Action::Transmit(bytes) => {
                    if let Some(ws) = &self.ws {
                        ws.send(bytes);
                    }
                }
                Action::EnsureRoute { member, route } => self.ensure_route(member, route).await,
                Action::DropRoute { member } => {
                    // A narrow link that is gone holds the camera down no longer.
                    let changed = self.send_rate.remove(&member, self.now());
                    self.follow_links(changed);
                    self.bindings.remove(&member);
                    self.drop_route(&member).await;
                    self.share_left(&member);
                    self.trust.left(&member);
                }
                Action::RestartRoute { member, attempt } => {
                    if let Some(p) = self.peers.get(&member) {
                        tracing::info!("media connection to {member}: trying again (ICE restart {attempt})");
                        p.route.restart();
                    }
                }
                Action::RebuildRoute { member, route, attempt } => {
                    tracing::info!("media connection to {member}: a new connection (try {attempt})");
                    self.rebuild_route(member, route).await;
                }
                Action::RouteSignal { member, signal } => {
                    if let Some(p) = self.peers.get(&member) {
                        p.route.handle_signal(signal);
                    }
                }
                Action::RemoteShare { member, on, gone } => self.remote_share(member, on, gone),
                Action::BindRoute { member, sframe_sender } => {
                    self.bindings.insert(member, sframe_sender);
                    if let Some(p) = self.peers.get(&member) {
                        p.binding.set(sframe_sender);
                    }
                }
                Action::Sending(on) => self.outgoing.switches.active.store(on, Ordering::Relaxed),
                Action::UseIceServers(servers) => {
                    // Only relays on the meeting server's own host (`room::turn`).
                    let host = url::Url::parse(&self.target.url).ok().and_then(|u| u.host_str().map(str::to_owned));
                    let (servers, dropped) = trygg_core::room::turn::on_host(servers, host.as_deref().unwrap_or(""));
                    if dropped {
                        tracing::warn!("the meeting server named STUN/TURN servers on other hosts; they are not used");
                    }
                    self.peer_config.ice_servers = self.configured_ice.iter().cloned().chain(servers).collect();
                }
                Action::RequestKeyframe => {
                    self.outgoing.request_keyframe();
                    self.share_keyframe();
                }
                Action::MuteMicrophone => self.outgoing.switches.audio_muted.store(true, Ordering::Relaxed),
                Action::ReviewIdentity { member, name, key } => {
                    if let Some(e) = self.trust.review(member, &name, key) {
                        if let MeetingEvent::PeerIdentity { warning: Some(w), .. } = &e {
                            tracing::warn!("{w}");
                        }
                        self.emit(e);
                    }
                }
                Action::Emit(n) => self.emit(n.into()),
                Action::Done(n) => self.done = Some(n.into()),
            }
        }
    }

    async fn connect(&mut self) {
        match Connection::open(&self.target.url, self.target.pin, self.ws_tx.clone()).await {
            Ok(c) => {
                self.ws = Some(c);
                self.core.handle_connected(self.now());
            }
            Err(e) => self.core.handle_connect_failed(self.now(), &e),
        }
    }

    fn command(&mut self, c: MeetingCommand) {
        let now = self.now();
        let core = match c {
            MeetingCommand::Admit(m) => Command::Admit(m),
            MeetingCommand::Deny(m) => Command::Deny(m),
            MeetingCommand::Lock(b) => Command::Lock(b),
            MeetingCommand::Remove(m) => Command::Remove(m),
            MeetingCommand::SetRole(m, r) => Command::SetRole(m, r),
            MeetingCommand::RequestUnmute(m) => Command::RequestUnmute(m),
            MeetingCommand::Mute(m) => Command::Mute(m),
            MeetingCommand::RaiseHand(b) => Command::RaiseHand(b),
            MeetingCommand::EndForAll => Command::EndForAll,
            MeetingCommand::Leave => Command::Leave,
            MeetingCommand::RevokeInvitation(id) => {
                // Into the host's list first, so it holds for later meetings of the link too.
                if let Some(path) = &self.invitation_list {
                    match super::invitations::revoke(path, &id) {
                        Ok(true) => {}
                        Ok(false) => self.emit(MeetingEvent::Error {
                            code: "meeting.invitation_not_listed".into(),
                            message: format!(
                                "invitation {id} is not in this device's list: it is revoked in this meeting only"
                            ),
                        }),
                        Err(e) => self.emit(MeetingEvent::Error { code: e.code().into(), message: e.to_string() }),
                    }
                }
                Command::RevokeInvitation(id)
            }
            MeetingCommand::Verify(m) => {
                match self.trust.verify(m) {
                    Ok(e) => self.emit(e),
                    Err(e) => self.emit(MeetingEvent::Error { code: e.code().into(), message: e.to_string() }),
                }
                return;
            }
            MeetingCommand::MuteMicrophone(b) => {
                self.outgoing.switches.audio_muted.store(b, Ordering::Relaxed);
                return;
            }
            MeetingCommand::MuteCamera(b) => {
                self.outgoing.switches.video_muted.store(b, Ordering::Relaxed);
                return;
            }
            // Handled in the loop (they await the routes).
            MeetingCommand::StartShare(_) | MeetingCommand::StopShare => return,
        };
        self.core.handle_command(core, now);
    }

    fn peer_event(&mut self, member: MemberId, token: u64, ev: PeerEvent) {
        if self.peers.get(&member).map(|p| p.token) != Some(token) {
            tracing::debug!("an event of a closed or replaced connection to {member}: dropped");
            return;
        }
        match ev {
            PeerEvent::Signal(s) => self.core.handle_route_signal(member, &crate::net::route::to_room(s)),
            PeerEvent::State(state) => {
                if let Some(p) = self.peers.get_mut(&member) {
                    p.state = Some(state);
                }
                self.core.handle_link_state(member, state, self.now());
            }
            // A camera's request costs a camera keyframe, a share's a share keyframe (a
            // hundred times larger): each goes only to the stream asked.
            PeerEvent::TargetBitrate(bps) => {
                let now = self.now();
                tracing::debug!("link to {member}: congestion estimate {bps} bit/s");
                let changed = self.send_rate.estimate(member, bps, now);
                self.follow_links(changed);
            }
            PeerEvent::KeyframeRequested { share: false } => self.outgoing.keyframe_asked(),
            PeerEvent::KeyframeRequested { share: true } => {
                if self.share_asks.request(self.now()) {
                    self.share_keyframe();
                }
            }
            PeerEvent::Video(_) | PeerEvent::Audio(_) | PeerEvent::ShareVideo(_) | PeerEvent::SenderReport { .. } => {}
        }
    }

    /// Tells the user once when a camera or microphone stopped (unplugged, taken by another
    /// app). The rest of the meeting goes on: the other medium, the share, what others send.
    fn check_devices(&mut self) {
        let failed = self.outgoing.failure.lock().ok().and_then(|mut f| f.take());
        if let Some(e) = failed {
            let what = match &e {
                crate::media::MediaError::DeviceFailed { kind, .. }
                | crate::media::MediaError::NoDevice { kind, .. }
                | crate::media::MediaError::DeviceBusy { kind, .. } => format!("the {kind}"),
                _ => "a capture device".into(),
            };
            self.emit(MeetingEvent::Error {
                code: e.code().into(),
                message: format!(
                    "{what} stopped ({e}); the others no longer get it. Reconnect it and rejoin, or go on without it"
                ),
            });
        }
    }

    fn e2ee_status(&self) -> E2eeStatus {
        let session = self.core.session();
        let (stats, epoch) = session.keys.lock().map(|k| (k.stats(), k.epoch())).unwrap_or_default();
        E2eeStatus {
            state: if epoch.is_some() { "end_to_end_encrypted" } else { "waiting_for_keys" },
            epoch,
            security_code: session.security_code(),
            frames_encrypted: stats.encrypted,
            frames_decrypted: stats.decrypted,
            dropped_auth_failed: stats.dropped_auth_failed,
            dropped_replay: stats.dropped_replay,
            dropped_unknown_kid: stats.dropped_unknown_kid + stats.dropped_too_old,
            dropped_malformed: stats.dropped_malformed,
        }
    }

    /// The camera's encoder runs at `changed` from now, when the send rate changed; the ladder
    /// follows what the links allow, up to one doubling ahead of the encoder's rate. The rate
    /// climbs on what the encoder produced (`SendRate::produced`), and a small picture cannot
    /// fill a wide link: a ladder that waited for the rate would never lift it. A larger
    /// picture at the same rate is the probe that tells whether the link holds more.
    fn follow_links(&mut self, changed: Option<u32>) {
        if let Some(rate) = changed {
            tracing::debug!("camera encoder at {rate} bit/s");
            self.outgoing.set_video_bitrate(rate);
        }
        // The ladder steps down only for what the links hold back: a rate the user chose low
        // (a small camera) is no reason to halve its frame rate.
        // One doubling ahead of the encoder's rate at most: the rung the next raise would fill.
        let allowed = self.send_rate.allowed().min(self.send_rate.current().saturating_mul(2));
        let held_back = if allowed >= self.send_rate.configured() { u32::MAX } else { allowed };
        if let Some(rung) = self.ladder.rate(held_back, self.now()) {
            self.video_rung(rung);
        }
    }

    fn video_rung(&mut self, rung: Rung) {
        tracing::debug!("camera at {}p{}", rung.height, rung.fps);
        self.outgoing.set_video_rung(rung.height, rung.fps);
    }

    async fn stats(&mut self) {
        // What the camera's encoder produced since the last look (stats come once a second).
        let bytes = self.outgoing.stats.video_bytes.load(Ordering::Relaxed);
        let now = self.now();
        if let Some((before, at)) = self.produced.replace((bytes, now)) {
            let secs = now.saturating_sub(at).as_secs_f64();
            if secs > 0.2 {
                self.send_rate.produced((bytes.saturating_sub(before) as f64 * 8.0 / secs) as u32);
            }
        }
        let changed = self.send_rate.handle_timeout(now);
        self.follow_links(changed);
        if let Some(rung) = self.ladder.handle_timeout(now) {
            self.video_rung(rung);
        }
        self.check_share().await;
        self.check_devices();
        let share_out = self.own_share_stats();
        let peers = self.route_stats().await;
        let e2ee = self.e2ee_status();
        self.emit(MeetingEvent::Stats { peers, share_out, e2ee });
    }

    async fn shutdown(mut self) {
        if let Some(ws) = self.ws.take() {
            ws.close().await;
        }
        let members: Vec<MemberId> = self.peers.keys().copied().collect();
        for m in members {
            self.drop_route(&m).await;
        }
        self.share = None;
        self.outgoing.stop();
        let done = self.done.take().unwrap_or(MeetingEvent::Left);
        self.emit(done);
    }
}
