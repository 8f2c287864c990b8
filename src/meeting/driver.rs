//! The task behind a [`Meeting`](super::Meeting) handle: one loop that owns every piece of the
//! meeting's state and reacts to the shell, the signalling server, the peer links and time.

mod share;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinHandle;

use super::incoming::{Incoming, IncomingSinks, Received};
use super::mixer::{Mixer, MixerInput};
use super::outgoing::{EncodedFrame, Outgoing};
use super::profile::room_proof;
use super::signalling::{Connection, WsEvent};
use super::{E2eeStatus, Entry, MeetingCommand, MeetingConfig, MeetingError, MeetingEvent, MeetingTarget, PeerStats};
use crate::e2ee::session::{Session, SessionEvent};
use crate::media::clock::SharedClock;
use crate::media::sink::video_channel;
use crate::net::peer::{LinkState, LocalMedia, PeerConfig, PeerEvent, PeerLink, PeerSignal};
use crate::room::client::{Intent, RoomClient, RoomEvent};
use crate::room::ids::Blob;
use crate::room::ids::MemberId;
use crate::room::limits::ClientConfig;
use crate::room::proto::{SdpType, Signal};
use webrtc::peer_connection::{RTCIceCandidateInit, RTCSdpType, RTCSessionDescription};

/// Longest wait between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

struct Peer {
    link: Arc<PeerLink>,
    incoming: Arc<Incoming>,
    mixer_input: Option<MixerInput>,
    tasks: Vec<JoinHandle<()>>,
    state: Option<LinkState>,
    reported_video: bool,
    reported_audio: bool,
    last_bytes: (u64, u64),
    /// Their screen share, while they share and we decode it.
    share_in: share::ShareSlot,
    share_last: (u64, u64),
    /// Our share going to them.
    share_tasks: Vec<JoinHandle<()>>,
}

struct Driver {
    target: MeetingTarget,
    peer_config: PeerConfig,
    auto_admit: bool,
    record: Option<PathBuf>,
    video_channels: bool,
    clock: SharedClock,
    start_us: u64,
    local: LocalMedia,
    room: RoomClient,
    epoch: Instant,
    events: mpsc::UnboundedSender<MeetingEvent>,
    ws: Option<Connection>,
    ws_tx: mpsc::UnboundedSender<WsEvent>,
    reconnect_at: Option<Instant>,
    backoff: Duration,
    told_unreachable: bool,
    peers: BTreeMap<MemberId, Peer>,
    names: HashMap<MemberId, String>,
    peer_tx: mpsc::UnboundedSender<(MemberId, PeerEvent)>,
    outgoing: Outgoing,
    mixer: Option<Mixer>,
    secure: Session,
    trust: super::trust::Trust,
    signal_key: crate::e2ee::sealed_signal::SignalKey,
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
    let secure = Session::new(
        &config.target.secret,
        config.identity,
        &config.name,
        config.invite_token.clone(),
        &mut rand_core_06::OsRng,
    )?;
    let outgoing = Outgoing::start(
        config.video.take(),
        config.audio.take(),
        config.h264,
        config.opus,
        secure.keys.clone(),
        config.clock.clone(),
    )?;
    let trust = super::trust::Trust::load(config.known_peers.take())?;
    let signal_key = crate::e2ee::sealed_signal::SignalKey::new(&config.target.secret)?;
    let mixer = config.speaker.take().map(|s| Mixer::start(s, config.clock.clone()));
    let profile = secure.profile();
    let proof = room_proof(&config.target.secret);
    let intent = match config.entry {
        Entry::Host => Intent::Host { room_proof: proof, sealed_profile: profile },
        Entry::Join => Intent::Join { room_proof: proof, sealed_profile: profile },
    };
    let epoch = Instant::now();
    let room = RoomClient::new(config.target.room.clone(), intent, ClientConfig::default(), Duration::ZERO);
    let (ws_tx, ws_rx) = mpsc::unbounded_channel();
    let (peer_tx, peer_rx) = mpsc::unbounded_channel();
    let (share_opened_tx, share_opened_rx) = mpsc::unbounded_channel();
    let driver = Driver {
        target: config.target,
        peer_config: config.peer,
        auto_admit: config.auto_admit,
        record: config.record,
        video_channels: config.video_channels,
        start_us: config.started_us,
        clock: config.clock,
        local,
        room,
        epoch,
        events,
        ws: None,
        ws_tx,
        reconnect_at: Some(epoch),
        backoff: Duration::from_millis(250),
        told_unreachable: false,
        peers: BTreeMap::new(),
        names: HashMap::new(),
        peer_tx,
        outgoing,
        mixer,
        secure,
        trust,
        signal_key,
        share: None,
        share_opening: 0,
        share_opened_tx,
        sharers: BTreeSet::new(),
        done: None,
    };
    tokio::spawn(driver.run(commands, ws_rx, peer_rx, share_opened_rx));
    Ok(())
}

fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(3600)
}

impl Driver {
    fn now(&self) -> Duration {
        self.epoch.elapsed()
    }

    fn emit(&self, e: MeetingEvent) {
        let _ = self.events.send(e);
    }

    /// The members in the meeting now, but us.
    fn others(&self) -> Vec<MemberId> {
        let me = self.room.me();
        self.room.members().iter().filter(|m| m.present && Some(m.id) != me).map(|m| m.id).collect()
    }

    /// Sends handshake messages and reports what the encryption layer has to say.
    fn secure_result(&mut self, result: Result<(), crate::e2ee::E2eeError>) {
        if let Err(e) = result {
            self.emit(MeetingEvent::Error { code: e.code().into(), message: e.to_string() });
        }
        while let Some((to, data)) = self.secure.poll_transmit() {
            if let Err(e) = self.room.send_signal(to, Signal::Handshake { data: Blob(data) }) {
                tracing::debug!("handshake to {to} not sent: {e}");
            }
        }
        while let Some(e) = self.secure.poll_event() {
            match e {
                SessionEvent::Keys { epoch, code, members } => {
                    self.emit(MeetingEvent::SecurityCode { epoch, code, members });
                }
                SessionEvent::Removed => self.done = Some(MeetingEvent::Removed),
            }
        }
        self.review_identities();
    }

    /// Reports every participant whose identity the group now vouches for, when what the user
    /// should see about it changed.
    fn review_identities(&mut self) {
        for m in self.others() {
            let Some(key) = self.secure.vouched_key(&m) else { continue };
            let name = self.name_of(&m);
            if let Some(e) = self.trust.review(m, &name, key) {
                if let MeetingEvent::PeerIdentity { warning: Some(w), .. } = &e {
                    tracing::warn!("{w}");
                }
                self.emit(e);
            }
        }
    }

    /// Seals an sdp or ice signal for `to`, so the server learns nothing from it.
    fn seal(&self, to: MemberId, signal: &Signal) -> Option<Signal> {
        let me = self.room.me()?;
        let mut nonce = [0u8; 12];
        let sealed = serde_json::to_vec(signal)
            .map_err(|e| e.to_string())
            .and_then(|plain| getrandom::fill(&mut nonce).map(|()| plain).map_err(|e| e.to_string()))
            .and_then(|plain| {
                self.signal_key.seal(me.to_bytes(), to.to_bytes(), &plain, nonce).map_err(|e| e.to_string())
            });
        match sealed {
            Ok(data) => Some(Signal::Sealed { data: Blob(data) }),
            Err(e) => {
                tracing::warn!("signal to {to} not sealed: {e}");
                None
            }
        }
    }

    /// Opens a sealed signal from `from`: an sdp, ice or share signal, or None.
    fn open(&self, from: MemberId, blob: &[u8]) -> Option<Signal> {
        let me = self.room.me()?;
        let plain = self
            .signal_key
            .open(from.to_bytes(), me.to_bytes(), blob)
            .map_err(|e| tracing::warn!("a sealed signal from {from} was refused: {e}"))
            .ok()?;
        match serde_json::from_slice::<Signal>(&plain) {
            Ok(s @ (Signal::Sdp { .. } | Signal::Ice { .. } | Signal::Share { .. })) => Some(s),
            _ => {
                tracing::warn!("a sealed signal from {from} held something else than sdp, ice or share");
                None
            }
        }
    }

    fn now_us(&self) -> u64 {
        self.clock.now_us()
    }

    fn name_of(&self, m: &MemberId) -> String {
        self.names.get(m).cloned().unwrap_or_default()
    }

    async fn run(
        mut self,
        mut commands: mpsc::UnboundedReceiver<MeetingCommand>,
        mut ws_rx: mpsc::UnboundedReceiver<WsEvent>,
        mut peer_rx: mpsc::UnboundedReceiver<(MemberId, PeerEvent)>,
        mut share_opened: mpsc::UnboundedReceiver<share::Opened>,
    ) {
        let mut stats_tick = tokio::time::interval(Duration::from_secs(1));
        let mut media_tick = tokio::time::interval(Duration::from_millis(20));
        while self.done.is_none() {
            let room_wake = self.room.poll_timeout().map(|t| self.epoch + t).unwrap_or_else(far_future);
            let reconnect = self.reconnect_at.unwrap_or_else(far_future);
            tokio::select! {
                cmd = commands.recv() => match cmd {
                    Some(MeetingCommand::StartShare(target)) => self.start_share(target).await,
                    Some(MeetingCommand::StopShare) => self.stop_share(super::ShareEnd::Stopped).await,
                    Some(c) => self.command(c),
                    None => self.command(MeetingCommand::Leave),
                },
                Some(ev) = ws_rx.recv() => match ev {
                    WsEvent::Message(bytes) => {
                        if let Err(e) = self.room.handle_message(&bytes, self.now()) {
                            tracing::debug!("room message refused: {e}");
                        }
                    }
                    WsEvent::Closed => self.lost_connection(),
                },
                Some((member, ev)) = peer_rx.recv() => self.peer_event(member, ev),
                Some(opened) = share_opened.recv() => self.share_opened(opened).await,
                _ = tokio::time::sleep_until(room_wake.into()) => self.room.handle_timeout(self.now()),
                _ = tokio::time::sleep_until(reconnect.into()) => self.connect().await,
                _ = stats_tick.tick() => self.stats().await,
                _ = media_tick.tick() => self.first_media(),
            }
            self.flush();
            while let Some(e) = self.room.poll_event() {
                self.room_event(e).await;
                self.flush();
            }
        }
        self.shutdown().await;
    }

    fn flush(&mut self) {
        while let Some(bytes) = self.room.poll_transmit() {
            if let Some(ws) = &self.ws {
                ws.send(bytes);
            }
        }
    }

    async fn connect(&mut self) {
        self.reconnect_at = None;
        match Connection::open(&self.target.url, self.target.pin, self.ws_tx.clone()).await {
            Ok(c) => {
                self.ws = Some(c);
                self.backoff = Duration::from_millis(250);
                self.told_unreachable = false;
                self.room.handle_connected(self.now());
            }
            Err(e) => {
                if !self.told_unreachable {
                    self.told_unreachable = true;
                    self.emit(MeetingEvent::Error {
                        code: e.code().into(),
                        message: format!("cannot reach the meeting server ({e}); retrying"),
                    });
                }
                self.reconnect_at = Some(Instant::now() + self.backoff);
                self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
            }
        }
    }

    fn lost_connection(&mut self) {
        if self.ws.take().is_some() {
            self.room.handle_disconnected(self.now());
        }
        if self.reconnect_at.is_none() {
            self.reconnect_at = Some(Instant::now() + self.backoff);
        }
    }

    fn command(&mut self, c: MeetingCommand) {
        let result = match c {
            MeetingCommand::Admit(m) => self.room.admit(m),
            MeetingCommand::Deny(m) => self.room.deny(m),
            MeetingCommand::Lock(b) => {
                let r = self.room.lock(b);
                if r.is_ok() && self.secure.is_host() {
                    let others = self.others();
                    let out = self.secure.lock(b, &others, self.now_us());
                    self.secure_result(out);
                }
                r
            }
            MeetingCommand::Remove(m) => self.room.remove(m),
            MeetingCommand::SetRole(m, r) => self.room.set_role(m, r),
            MeetingCommand::RequestUnmute(m) => self.room.request_unmute(m),
            MeetingCommand::Mute(m) => self.room.mute(m),
            MeetingCommand::RaiseHand(b) => self.room.raise_hand(b),
            MeetingCommand::EndForAll => self.room.end_for_all(),
            MeetingCommand::Verify(m) => {
                match self.trust.verify(m) {
                    Ok(e) => self.emit(e),
                    Err(e) => self.emit(MeetingEvent::Error { code: e.code().into(), message: e.to_string() }),
                }
                Ok(())
            }
            MeetingCommand::MuteMicrophone(b) => {
                self.outgoing.switches.audio_muted.store(b, Ordering::Relaxed);
                Ok(())
            }
            MeetingCommand::MuteCamera(b) => {
                self.outgoing.switches.video_muted.store(b, Ordering::Relaxed);
                Ok(())
            }
            // Handled in the loop (they await the peer links).
            MeetingCommand::StartShare(_) | MeetingCommand::StopShare => Ok(()),
            MeetingCommand::Leave => {
                let others = self.others();
                if self.secure.is_host() {
                    // The group's host role goes to whom the room will make host.
                    if let Some(next) = self.successor() {
                        let out = self.secure.hand_over(next, &others, self.now_us());
                        self.secure_result(out);
                    }
                } else if self.secure.is_keyed() {
                    let out = self.secure.leave(&others);
                    self.secure_result(out);
                }
                self.flush();
                self.room.leave();
                self.done = Some(MeetingEvent::Left);
                Ok(())
            }
        };
        if let Err(e) = result {
            self.emit(MeetingEvent::Error { code: e.code().into(), message: e.to_string() });
        }
    }

    /// The member the room makes host when we leave ([`crate::room::roles::successor`], the
    /// room's own rule).
    fn successor(&self) -> Option<MemberId> {
        crate::room::roles::successor(self.room.members().iter().map(|m| m.standing()), self.room.me())
    }

    async fn room_event(&mut self, e: RoomEvent) {
        match e {
            RoomEvent::Created { me } => {
                let created = self.secure.handle_created(self.now_us());
                self.secure_result(created);
                self.emit(MeetingEvent::Created { me });
                self.emit(MeetingEvent::Joined { me, role: crate::room::roles::Role::Host });
            }
            RoomEvent::Knocking => self.emit(MeetingEvent::Knocking),
            RoomEvent::InLobby { .. } => self.emit(MeetingEvent::InLobby),
            RoomEvent::Admitted { me, role, members, .. } => {
                self.emit(MeetingEvent::Admitted { me });
                self.emit(MeetingEvent::Joined { me, role });
                for m in members.into_iter().filter(|m| m.id != me && m.present) {
                    self.emit(MeetingEvent::ParticipantJoined { member: m.id, name: self.name_of(&m.id) });
                    self.ensure_peer(m.id, true).await;
                }
            }
            RoomEvent::Resumed { me, members, after_restart, .. } => {
                self.emit(MeetingEvent::Resumed { after_restart });
                for m in members.into_iter().filter(|m| m.id != me && m.present) {
                    self.ensure_peer(m.id, true).await;
                }
            }
            RoomEvent::Denied => self.done = Some(MeetingEvent::Denied),
            RoomEvent::KnockExpired => {
                self.emit(MeetingEvent::Error {
                    code: "room.knock_expired".into(),
                    message: "no one admitted us in time".into(),
                });
                self.done = Some(MeetingEvent::Denied);
            }
            RoomEvent::NoSuchMeeting => self.done = Some(MeetingEvent::NoSuchMeeting),
            RoomEvent::RoomLocked => self.done = Some(MeetingEvent::RoomLocked),
            RoomEvent::MemberJoined { member, sealed_profile } => {
                if let Some(p) = sealed_profile.and_then(|b| self.secure.open_profile(member.id, &b)) {
                    self.names.insert(member.id, p.display_name);
                }
                self.emit(MeetingEvent::ParticipantJoined { member: member.id, name: self.name_of(&member.id) });
                // Admission by the room is followed by admission to the group: whoever let the
                // knocker in (us or a co-host), the group's host sends the keys.
                if self.secure.is_host() {
                    let others: Vec<_> = self.others().into_iter().filter(|m| *m != member.id).collect();
                    let out = self.secure.admit(member.id, &others, self.now_us());
                    self.secure_result(out);
                }
                // The newcomer offers; we get ready for it.
                self.ensure_peer(member.id, false).await;
            }
            RoomEvent::MemberProfile { member, sealed_profile } => {
                if let Some(p) = self.secure.open_profile(member, &sealed_profile) {
                    self.names.insert(member, p.display_name.clone());
                    self.emit(MeetingEvent::ParticipantNamed { member, name: p.display_name });
                    self.review_identities();
                }
            }
            RoomEvent::MemberAway { member } => self.emit(MeetingEvent::ParticipantAway { member }),
            RoomEvent::MemberBack { member } => self.emit(MeetingEvent::ParticipantBack { member }),
            RoomEvent::MemberLeft { member, reason } => {
                self.drop_peer(&member).await;
                self.share_left(&member);
                if self.secure.is_host() {
                    let others = self.others();
                    let out = self.secure.remove(member, &others, self.now_us());
                    self.secure_result(out);
                }
                self.secure.forget_member(&member);
                self.trust.left(&member);
                self.emit(MeetingEvent::ParticipantLeft { member, reason });
            }
            RoomEvent::Knock { member, sealed_profile } => {
                let Some(name) = self.secure.handle_knock(member, &sealed_profile) else {
                    // Not sealed with this meeting's link: whoever it is, they cannot be keyed.
                    let _ = self.room.deny(member);
                    self.emit(MeetingEvent::Error {
                        code: "e2ee.unreadable_knock".into(),
                        message: "a knock that was not made with this meeting's link was turned away".into(),
                    });
                    return;
                };
                self.names.insert(member, name.clone());
                self.emit(MeetingEvent::Knock { member, name });
                if self.auto_admit
                    && let Err(e) = self.room.admit(member)
                {
                    self.emit(MeetingEvent::Error { code: e.code().into(), message: e.to_string() });
                }
            }
            RoomEvent::KnockWithdrawn { member, reason } => {
                if reason != crate::room::proto::KnockEnd::Admitted {
                    self.secure.forget_knock(&member);
                }
                self.emit(MeetingEvent::KnockGone { member, reason })
            }
            RoomEvent::RoleChanged { member, role } => self.emit(MeetingEvent::RoleChanged { member, role }),
            RoomEvent::Locked(locked) => self.emit(MeetingEvent::Locked { locked }),
            RoomEvent::HandRaised { member, raised } => self.emit(MeetingEvent::HandRaised { member, raised }),
            RoomEvent::MuteRequested { .. } => {
                self.outgoing.switches.audio_muted.store(true, Ordering::Relaxed);
                self.emit(MeetingEvent::MutedByHost);
            }
            RoomEvent::UnmuteRequested { .. } => self.emit(MeetingEvent::UnmuteRequested),
            RoomEvent::Signal { from, payload: Signal::Handshake { data } } => {
                let others = self.others();
                let out = self.secure.handle_handshake(from, data.as_bytes(), &others, self.now_us());
                self.secure_result(out);
            }
            RoomEvent::Signal { from, payload: Signal::Sealed { data } } => match self.open(from, data.as_bytes()) {
                Some(Signal::Share { on, gone }) => self.remote_share(from, on, gone),
                Some(s) => {
                    if let Some(signal) = from_room(s) {
                        self.ensure_peer(from, false).await;
                        if let Some(p) = self.peers.get(&from) {
                            p.link.handle_signal(signal);
                        }
                    }
                }
                None => {}
            },
            RoomEvent::Signal { from, payload } => {
                // Trygg members seal every sdp and ice signal; one in clear is not from one.
                tracing::warn!("an unsealed {:?} signal from {from} was refused", std::mem::discriminant(&payload));
            }
            RoomEvent::Ended => self.done = Some(MeetingEvent::Ended),
            RoomEvent::Removed => self.done = Some(MeetingEvent::Removed),
            RoomEvent::Reconnecting => {
                self.emit(MeetingEvent::Reconnecting);
                if let Some(ws) = self.ws.take() {
                    ws.close().await;
                }
                self.lost_connection();
            }
            // A relay (or a host's action) aimed at someone who has just left: the departure is
            // its own event already, so the server's refusal is not shown as an error.
            RoomEvent::Error { code, message } if code == "room.unknown_member" => {
                tracing::debug!("refused for a member who has left: {message}");
            }
            RoomEvent::Error { code, message } => self.emit(MeetingEvent::Error { code, message }),
            RoomEvent::HostChanged { .. } => {}
        }
    }

    async fn ensure_peer(&mut self, member: MemberId, offer: bool) {
        if self.peers.contains_key(&member) {
            return;
        }
        let polite = self.room.is_polite_towards(member);
        let (tx, mut rx) = mpsc::unbounded_channel();
        let link = match PeerLink::new(&self.peer_config, self.local, polite, offer, tx).await {
            Ok(l) => Arc::new(l),
            Err(e) => {
                self.emit(MeetingEvent::Error {
                    code: e.code().into(),
                    message: format!("media connection to {member}: {e}"),
                });
                return;
            }
        };
        let mixer_input = self.mixer.as_ref().map(Mixer::input);
        let video = self.video_channels.then(|| video_channel(2));
        let sinks = IncomingSinks {
            video: video.as_ref().map(|(tx, _)| tx.clone()),
            audio: mixer_input.clone(),
            record: self.record.clone().map(|d| (d, member.to_string())),
        };
        let keyframe_link = link.clone();
        let rt = tokio::runtime::Handle::current();
        let incoming = match Incoming::start(sinks, self.secure.keys.clone(), self.clock.clone(), move || {
            let l = keyframe_link.clone();
            rt.spawn(async move { l.request_keyframe().await });
        }) {
            Ok(i) => Arc::new(i),
            Err(e) => {
                self.emit(MeetingEvent::Error { code: e.code().into(), message: e.to_string() });
                link.close().await;
                return;
            }
        };
        if let Some((_, rx)) = video {
            self.emit(MeetingEvent::VideoChannel { member, receiver: Arc::new(rx) });
        }
        let mut tasks = Vec::new();
        let share_in: share::ShareSlot = Arc::default();
        // Media from the link goes straight to the decoders; everything else to this loop.
        let (to_driver, to_decoder, to_share) = (self.peer_tx.clone(), incoming.clone(), share_in.clone());
        tasks.push(tokio::spawn(async move {
            while let Some(ev) = rx.recv().await {
                match ev {
                    PeerEvent::Video(f) => to_decoder.push(Received::Video(f)),
                    PeerEvent::Audio(a) => to_decoder.push(Received::Audio(a)),
                    PeerEvent::ShareVideo(f) => {
                        // Before their `share` signal has arrived there is no decoder yet; the
                        // keyframe asked for when it starts makes up for what is dropped here.
                        if let Some(i) = to_share.lock().ok().and_then(|s| s.clone()) {
                            i.push(Received::Video(f));
                        }
                    }
                    other => {
                        if to_driver.send((member, other)).is_err() {
                            return;
                        }
                    }
                }
            }
        }));
        if let Some(tx) = &self.outgoing.video {
            let switches = self.outgoing.switches.clone();
            tasks.push(tokio::spawn(forward(tx.subscribe(), link.clone(), Lane::Camera, move || {
                switches.keyframe.store(true, Ordering::Relaxed)
            })));
        }
        if let Some(tx) = &self.outgoing.audio {
            tasks.push(tokio::spawn(forward(tx.subscribe(), link.clone(), Lane::Audio, || {})));
        }
        self.peers.insert(
            member,
            Peer {
                link,
                incoming,
                mixer_input,
                tasks,
                state: None,
                reported_video: false,
                reported_audio: false,
                last_bytes: (0, 0),
                share_in,
                share_last: (0, 0),
                share_tasks: Vec::new(),
            },
        );
        self.share_to(member).await;
        self.watch_share(member);
    }

    async fn drop_peer(&mut self, member: &MemberId) {
        if let Some(p) = self.peers.remove(member) {
            let active = self.peers.values().any(|p| p.state == Some(LinkState::Connected));
            self.outgoing.switches.active.store(active, Ordering::Relaxed);
            for t in p.tasks.iter().chain(&p.share_tasks) {
                t.abort();
            }
            p.link.close().await;
            if let (Some(m), Some(i)) = (&self.mixer, &p.mixer_input) {
                m.remove(i);
            }
        }
    }

    fn peer_event(&mut self, member: MemberId, ev: PeerEvent) {
        match ev {
            PeerEvent::Signal(s) => {
                let Some(sealed) = self.seal(member, &to_room(s)) else { return };
                if let Err(e) = self.room.send_signal(member, sealed) {
                    tracing::debug!("signal to {member} not sent: {e}");
                }
            }
            PeerEvent::State(state) => {
                if let Some(p) = self.peers.get_mut(&member) {
                    p.state = Some(state);
                }
                let active = self.peers.values().any(|p| p.state == Some(LinkState::Connected));
                self.outgoing.switches.active.store(active, Ordering::Relaxed);
                if state == LinkState::Connected {
                    // A new viewer needs a picture it can decode.
                    self.outgoing.request_keyframe();
                    self.share_keyframe();
                }
                self.emit(MeetingEvent::Link { member, state });
            }
            PeerEvent::KeyframeRequested => {
                self.outgoing.request_keyframe();
                self.share_keyframe();
            }
            PeerEvent::Video(_) | PeerEvent::Audio(_) | PeerEvent::ShareVideo(_) => {}
        }
    }

    fn first_media(&mut self) {
        let start = self.start_us;
        let mut out = vec![];
        for (m, p) in self.peers.iter_mut() {
            let v = p.incoming.stats.first_video_us.load(Ordering::Relaxed);
            if v != 0 && !p.reported_video {
                p.reported_video = true;
                out.push(MeetingEvent::FirstRemoteVideo { member: *m, ms_since_start: v.saturating_sub(start) / 1000 });
            }
            let a = p.incoming.stats.first_audio_us.load(Ordering::Relaxed);
            if a != 0 && !p.reported_audio {
                p.reported_audio = true;
                out.push(MeetingEvent::FirstRemoteAudio { member: *m, ms_since_start: a.saturating_sub(start) / 1000 });
            }
        }
        for e in out {
            self.emit(e);
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
        let (stats, epoch) = self.secure.keys.lock().map(|k| (k.stats(), k.epoch())).unwrap_or_default();
        E2eeStatus {
            state: if epoch.is_some() { "end_to_end_encrypted" } else { "waiting_for_keys" },
            epoch,
            security_code: self.secure.security_code(),
            frames_encrypted: stats.encrypted,
            frames_decrypted: stats.decrypted,
            dropped_auth_failed: stats.dropped_auth_failed,
            dropped_replay: stats.dropped_replay,
            dropped_unknown_kid: stats.dropped_unknown_kid + stats.dropped_too_old,
            dropped_malformed: stats.dropped_malformed,
        }
    }

    async fn stats(&mut self) {
        let others = self.others();
        let out = self.secure.rekey_if_due(&others, self.now_us());
        self.secure_result(out);
        self.flush();
        self.check_share().await;
        self.check_devices();
        let share_out = self.own_share_stats();
        let mut peers = Vec::new();
        let names = self.names.clone();
        for (m, p) in self.peers.iter_mut() {
            let link = p.link.stats().await;
            let (rx, tx) = (link.bytes_received, link.bytes_sent);
            let (last_rx, last_tx) = std::mem::replace(&mut p.last_bytes, (rx, tx));
            let mut samples = p.incoming.stats.take_latencies();
            let lat = {
                let mut l = samples.clone();
                l.sort_by(f64::total_cmp);
                l.get(l.len() / 2).copied()
            };
            samples.iter_mut().for_each(|x| *x = (*x * 100.0).round() / 100.0);
            let s = &p.incoming.stats;
            let size = s.picture_size.load(Ordering::Relaxed);
            let expected = link.packets_received as f64 + link.packets_lost.max(0) as f64;
            peers.push(PeerStats {
                member: m.to_string(),
                name: names.get(m).cloned().unwrap_or_default(),
                state: p.state,
                bitrate_in_kbps: rx.saturating_sub(last_rx) as f64 * 8.0 / 1000.0,
                bitrate_out_kbps: tx.saturating_sub(last_tx) as f64 * 8.0 / 1000.0,
                packet_loss_pct: if expected > 0.0 { link.packets_lost.max(0) as f64 * 100.0 / expected } else { 0.0 },
                link,
                frames_decoded: s.frames_decoded.load(Ordering::Relaxed),
                decode_errors: s.decode_errors.load(Ordering::Relaxed),
                media_dropped: s.dropped.load(Ordering::Relaxed),
                audio_packets: s.audio_packets.load(Ordering::Relaxed),
                audio_level: s.take_audio_level(),
                width: (size >> 32) as u32,
                height: size as u32,
                glass_to_glass_ms: lat,
                glass_to_glass_samples_ms: samples,
                share: share::incoming_share_stats(&p.share_in, &mut p.share_last),
            });
        }
        let e2ee = self.e2ee_status();
        self.emit(MeetingEvent::Stats { peers, share_out, e2ee });
    }

    async fn shutdown(mut self) {
        self.flush();
        if let Some(ws) = self.ws.take() {
            ws.close().await;
        }
        let members: Vec<MemberId> = self.peers.keys().copied().collect();
        for m in members {
            self.drop_peer(&m).await;
        }
        self.share = None;
        self.outgoing.stop();
        let done = self.done.take().unwrap_or(MeetingEvent::Left);
        self.emit(done);
    }
}

/// Which of our tracks a frame goes out on.
#[derive(Debug, Clone, Copy)]
enum Lane {
    Audio,
    Camera,
    Share,
}

/// Sends every encoded frame to one peer. A peer that falls behind skips ahead (and `lagged`
/// asks for a keyframe, since video cannot be decoded across the gap).
async fn forward(
    mut rx: broadcast::Receiver<Arc<EncodedFrame>>,
    link: Arc<PeerLink>,
    lane: Lane,
    lagged: impl Fn() + Send + 'static,
) {
    loop {
        match rx.recv().await {
            Ok(f) => {
                let r = match lane {
                    Lane::Camera => link.send_video(f.data.clone(), f.capture_us).await,
                    Lane::Audio => link.send_audio(f.data.clone(), f.capture_us).await,
                    Lane::Share => link.send_share(f.data.clone(), f.capture_us).await,
                };
                if let Err(e) = r {
                    tracing::debug!("send: {e}");
                }
            }
            Err(broadcast::error::RecvError::Lagged(_)) => lagged(),
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

fn to_room(s: PeerSignal) -> Signal {
    match s {
        PeerSignal::Description(d) => Signal::Sdp {
            sdp_type: match d.sdp_type {
                RTCSdpType::Answer => SdpType::Answer,
                RTCSdpType::Pranswer => SdpType::Pranswer,
                RTCSdpType::Rollback => SdpType::Rollback,
                _ => SdpType::Offer,
            },
            sdp: d.sdp,
        },
        PeerSignal::Candidate(c) => {
            Signal::Ice { candidate: c.candidate, sdp_mid: c.sdp_mid, sdp_mline_index: c.sdp_mline_index }
        }
    }
}

fn from_room(s: Signal) -> Option<PeerSignal> {
    match s {
        Signal::Sdp { sdp_type, sdp } => {
            let d = match sdp_type {
                SdpType::Offer => RTCSessionDescription::offer(sdp),
                SdpType::Answer => RTCSessionDescription::answer(sdp),
                SdpType::Pranswer => RTCSessionDescription::pranswer(sdp),
                SdpType::Rollback => RTCSessionDescription::rollback(None),
            };
            match d {
                Ok(d) => Some(PeerSignal::Description(Box::new(d))),
                Err(e) => {
                    tracing::debug!("unusable SDP from a peer: {e}");
                    None
                }
            }
        }
        Signal::Ice { candidate, sdp_mid, sdp_mline_index } if !candidate.is_empty() => {
            Some(PeerSignal::Candidate(RTCIceCandidateInit {
                candidate,
                sdp_mid,
                sdp_mline_index,
                ..Default::default()
            }))
        }
        _ => None,
    }
}
