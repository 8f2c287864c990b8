//! The driver's routes: one per remote member, each with the member's decoder, the tasks that
//! feed it our encoded frames, and its numbers.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use trygg_core::rtp::keyframe_gate::KeyframeGate;

use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinHandle;

use super::{Driver, share};
use crate::media::sink::video_channel;
use crate::media::stats::median;
use crate::meeting::incoming::{Incoming, IncomingSinks, Received, SenderBinding};
use crate::meeting::mixer::MixerInput;
use crate::meeting::outgoing::EncodedFrame;
use crate::meeting::{AudioPlayoutStats, MeetingEvent, PeerStats};
use crate::net::peer::{LinkState, PeerEvent, RemoteStream};
use crate::net::route::{Lane, Route};
use crate::room::ids::MemberId;
use trygg_core::meeting::{Origin, RouteKind};

/// One remote member as the driver holds it.
pub(super) struct Peer {
    pub route: Route,
    /// Which connection this is: events of another one (replaced, closed) are dropped.
    pub token: u64,
    /// The leaf this member's media must come from (shared with its decoders).
    pub binding: SenderBinding,
    incoming: Arc<Incoming>,
    mixer_input: Option<MixerInput>,
    tasks: Vec<JoinHandle<()>>,
    pub state: Option<LinkState>,
    reported_video: bool,
    reported_audio: bool,
    last_bytes: (u64, u64),
    /// Their screen share, while they share and we decode it.
    pub share_in: share::ShareSlot,
    share_last: (u64, u64),
    /// Our share going to them.
    pub share_tasks: Vec<JoinHandle<()>>,
}

impl Driver {
    /// Opens the route the core asked for (nothing to do if the member has one).
    pub(super) async fn ensure_route(&mut self, member: MemberId, kind: RouteKind) {
        if self.peers.contains_key(&member) {
            return;
        }
        let (tx, mut rx) = mpsc::unbounded_channel();
        let route = match Route::open(kind, &self.peer_config, self.local, tx).await {
            Ok(r) => r,
            Err(e) => {
                self.emit(MeetingEvent::Error {
                    code: e.code().into(),
                    message: format!("media connection to {member}: {e}"),
                });
                self.core.handle_route_closed(member);
                return;
            }
        };
        let mixer_input =
            self.mixer.as_ref().and_then(|m| m.input().map_err(|e| tracing::warn!("no audio from {member}: {e}")).ok());
        let video = self.video_channels.then(|| video_channel(2));
        let sinks = IncomingSinks {
            video: video.as_ref().map(|(tx, _)| tx.clone()),
            audio: mixer_input.clone(),
            record: self.record.clone().map(|d| (d, member.to_string())),
        };
        let bound = self.bindings.get(&member).copied().flatten();
        let origin = Origin { route: kind, member };
        let binding = SenderBinding::default();
        binding.set(bound);
        let (keyframe_route, rt) = (route.clone(), tokio::runtime::Handle::current());
        let keys = self.core.session().keys.clone();
        // The decoder asks on every picture it cannot use; the sender needs one request per gap
        // (a request dropped here is made again by the next broken picture).
        let (gate, epoch) = (std::sync::Mutex::new(KeyframeGate::default()), std::time::Instant::now());
        let incoming = match Incoming::start(origin, binding.clone(), sinks, keys, self.clock.clone(), move || {
            if gate.lock().is_ok_and(|mut g| g.request(epoch.elapsed())) {
                let r = keyframe_route.clone();
                rt.spawn(async move { r.request_keyframe(false).await });
            }
        }) {
            Ok(i) => Arc::new(i),
            Err(e) => {
                self.emit(MeetingEvent::Error { code: e.code().into(), message: e.to_string() });
                route.close().await;
                self.core.handle_route_closed(member);
                return;
            }
        };
        if let Some((_, rx)) = video {
            self.emit(MeetingEvent::VideoChannel { member, receiver: Arc::new(rx) });
        }
        let mut tasks = Vec::new();
        let share_in: share::ShareSlot = Arc::default();
        // Media from the route goes straight to the decoders; everything else to the loop.
        let (to_driver, to_decoder, to_share) = (self.peer_tx.clone(), incoming.clone(), share_in.clone());
        let token = self.next_route_token;
        self.next_route_token += 1;
        tasks.push(tokio::spawn(async move {
            while let Some(ev) = rx.recv().await {
                match ev {
                    PeerEvent::Video(f) => to_decoder.push(Received::Video(f)),
                    PeerEvent::Audio(a) => to_decoder.push(Received::Audio(a)),
                    PeerEvent::SenderReport { stream, ntp, rtp } => {
                        if stream != RemoteStream::Share {
                            to_decoder.push(Received::SenderReport { audio: stream == RemoteStream::Audio, ntp, rtp });
                        }
                    }
                    PeerEvent::ShareVideo(f) => {
                        // Before their `share` signal has arrived there is no decoder yet; the
                        // keyframe asked for when it starts makes up for what is dropped here.
                        if let Some(i) = to_share.lock().ok().and_then(|s| s.clone()) {
                            i.push(Received::Video(f));
                        }
                    }
                    other => {
                        if to_driver.send((member, token, other)).is_err() {
                            return;
                        }
                    }
                }
            }
        }));
        if let Some(tx) = &self.outgoing.video {
            let switches = self.outgoing.switches.clone();
            tasks.push(tokio::spawn(forward(tx.subscribe(), route.clone(), Lane::Camera, move || {
                switches.keyframe.store(true, Ordering::Relaxed)
            })));
        }
        if let Some(tx) = &self.outgoing.audio {
            tasks.push(tokio::spawn(forward(tx.subscribe(), route.clone(), Lane::Audio, || {})));
        }
        self.peers.insert(
            member,
            Peer {
                route,
                token,
                binding,
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

    /// Replaces a member's route with a new connection (and decoders): the old one could not be
    /// mended. The first picture and sound from the member are not announced again.
    pub(super) async fn rebuild_route(&mut self, member: MemberId, kind: RouteKind) {
        let reported = self.peers.get(&member).map(|p| (p.reported_video, p.reported_audio));
        self.drop_route(&member).await;
        self.ensure_route(member, kind).await;
        if let (Some((video, audio)), Some(p)) = (reported, self.peers.get_mut(&member)) {
            (p.reported_video, p.reported_audio) = (video, audio);
        }
    }

    /// Closes a member's route and everything fed by it.
    pub(super) async fn drop_route(&mut self, member: &MemberId) {
        if let Some(rate) = self.send_rate.remove(member, self.now()) {
            self.outgoing.set_video_bitrate(rate);
        }
        if let Some(p) = self.peers.remove(member) {
            for t in p.tasks.iter().chain(&p.share_tasks) {
                t.abort();
            }
            p.route.close().await;
            if let (Some(m), Some(i)) = (&self.mixer, &p.mixer_input) {
                m.remove(i);
            }
        }
    }

    /// Reports each member's first decoded picture and audio, once.
    pub(super) fn first_media(&mut self) {
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

    /// Every route's numbers over the last second.
    pub(super) async fn route_stats(&mut self) -> Vec<PeerStats> {
        let mut peers = Vec::new();
        for (m, p) in self.peers.iter_mut() {
            let link = p.route.stats().await;
            let (rx, tx) = (link.bytes_received, link.bytes_sent);
            let (last_rx, last_tx) = std::mem::replace(&mut p.last_bytes, (rx, tx));
            let mut samples = p.incoming.stats.take_latencies();
            let lat = median(samples.iter().copied());
            samples.iter_mut().for_each(|x| *x = (*x * 100.0).round() / 100.0);
            let s = &p.incoming.stats;
            let lip_sync_ms = median(s.take_lip_sync()).map(|x| (x * 10.0).round() / 10.0);
            let size = s.picture_size.load(Ordering::Relaxed);
            let expected = link.packets_received as f64 + link.packets_lost.max(0) as f64;
            peers.push(PeerStats {
                member: *m,
                name: self.core.name_of(m),
                state: p.state,
                bitrate_in_kbps: rx.saturating_sub(last_rx) as f64 * 8.0 / 1000.0,
                bitrate_out_kbps: tx.saturating_sub(last_tx) as f64 * 8.0 / 1000.0,
                packet_loss_pct: if expected > 0.0 { link.packets_lost.max(0) as f64 * 100.0 / expected } else { 0.0 },
                link,
                frames_decoded: s.frames_decoded.load(Ordering::Relaxed),
                decode_errors: s.decode_errors.load(Ordering::Relaxed),
                media_dropped: s.dropped.load(Ordering::Relaxed),
                media_wrong_sender: s.wrong_sender.load(Ordering::Relaxed),
                media_unbound: s.unbound.load(Ordering::Relaxed),
                audio_packets: s.audio_packets.load(Ordering::Relaxed),
                audio_playout: p.mixer_input.as_ref().map(audio_playout).unwrap_or_default(),
                audio_level: s.take_audio_level(),
                width: (size >> 32) as u32,
                height: size as u32,
                glass_to_glass_ms: lat,
                lip_sync_ms,
                glass_to_glass_samples_ms: samples,
                share: share::incoming_share_stats(&p.share_in, &mut p.share_last),
            });
        }
        peers
    }
}

/// Sends every encoded frame to one route. A route that falls behind skips ahead (and `lagged`
/// asks for a keyframe, since video cannot be decoded across the gap).
pub(super) async fn forward(
    mut rx: broadcast::Receiver<Arc<EncodedFrame>>,
    route: Route,
    lane: Lane,
    lagged: impl Fn() + Send + 'static,
) {
    loop {
        match rx.recv().await {
            Ok(f) => {
                if let Err(e) = route.send(lane, f.data.clone(), f.capture_us).await {
                    tracing::debug!("send: {e}");
                }
            }
            Err(broadcast::error::RecvError::Lagged(_)) => lagged(),
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

fn audio_playout(input: &MixerInput) -> AudioPlayoutStats {
    let f = input.figures();
    let round = |x: f64| (x * 10.0).round() / 10.0;
    AudioPlayoutStats {
        target_ms: round(f.target_ms),
        delay_ms: round(f.delay_ms),
        concealed: f.counts.concealed,
        fec: f.counts.fec,
        late: f.counts.late,
        accelerated: f.counts.accelerated,
        decelerated: f.counts.decelerated,
        comfort_noise: f.counts.comfort_noise,
        flushed: f.counts.flushed,
    }
}
