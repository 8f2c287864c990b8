//! The driver's part of screen sharing: our own share going out to every peer (a track of its
//! own, added to each connection by renegotiation), and each participant's share coming in.
//!
//! Who shares is told member to member in a sealed `share` signal, so the server never learns
//! it; the share's pictures are SFrame-encrypted under the sharer's screen key like every other
//! frame. A viewer who arrives during a share gets the track in its first negotiation, the
//! signal, and a keyframe as soon as the connection is up.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use super::Driver;
use super::routes::forward;
use crate::media::MediaError;
use crate::media::screen::{self, ShareTarget};
use crate::media::sink::video_channel;
use crate::meeting::incoming::{Incoming, IncomingSinks};
use crate::meeting::share_out::{ShareOut, share_h264};
use crate::meeting::{MeetingEvent, ShareEnd, ShareStats};
use crate::net::route::Lane;
use crate::room::ids::MemberId;
use crate::room::proto::Signal;

/// The pace a share source is opened at: the fastest the share goes.
const SHARE_FPS: u32 = 15;

/// Our running share.
pub(super) struct OwnShare {
    out: ShareOut,
    last: (u64, u64),
}

/// One participant's share as this device receives it.
pub(super) type ShareSlot = Arc<Mutex<Option<Arc<Incoming>>>>;

/// A share source opened off the driver's task: which request it answers, and the result.
pub(super) type Opened = (u64, Result<ShareOut, MediaError>);

impl Driver {
    /// Starts sharing `target` (replacing a share already running). A source chosen in the
    /// desktop portal's dialog is opened on a blocking thread, since the dialog waits for the
    /// user and the meeting must go on meanwhile; [`Driver::share_opened`] takes over when it
    /// answers. X11 and synthetic sources open at once.
    pub(super) async fn start_share(&mut self, target: String) {
        if self.core.me().is_none() {
            self.emit(MeetingEvent::Error {
                code: "share.not_in_meeting".into(),
                message: "sharing starts once you are in the meeting".into(),
            });
            return;
        }
        self.share_opening += 1;
        let (n, keys, clock) = (self.share_opening, self.core.session().keys.clone(), self.clock.clone());
        let open = move || {
            ShareTarget::parse(&target)
                .and_then(|t| screen::open(&t, SHARE_FPS, clock.clone()))
                .and_then(|source| ShareOut::start(source, share_h264(), keys, clock))
        };
        if !screen::opens_in_dialog() {
            return self.share_opened((n, open())).await;
        }
        let tx = self.share_opened_tx.clone();
        tokio::task::spawn_blocking(move || {
            let _ = tx.send((n, open()));
        });
    }

    /// A share source is open (or could not be): starts sending it, unless it was stopped or
    /// replaced meanwhile.
    pub(super) async fn share_opened(&mut self, (n, opened): Opened) {
        if n != self.share_opening {
            return; // Dropping it stops its capture.
        }
        let Some(me) = self.core.me() else { return };
        let out = match opened {
            Ok(o) => o,
            Err(e) => {
                self.emit(MeetingEvent::Error {
                    code: e.code().into(),
                    message: format!("the screen could not be shared: {e}"),
                });
                return;
            }
        };
        self.stop_share(ShareEnd::Stopped).await;
        let source = out.name.clone();
        self.share = Some(OwnShare { out, last: (0, 0) });
        let members: Vec<MemberId> = self.peers.keys().copied().collect();
        for m in members {
            self.share_to(m).await;
        }
        self.emit(MeetingEvent::ShareStarted { member: me, source: Some(source) });
    }

    /// Sends our share to one participant (if we share): adds the track, starts forwarding,
    /// and tells them.
    pub(super) async fn share_to(&mut self, member: MemberId) {
        let (Some(share), Some(p)) = (&self.share, self.peers.get_mut(&member)) else { return };
        if let Err(e) = p.route.start_share().await {
            let (code, message) = (e.code().into(), format!("sharing with {member}: {e}"));
            self.emit(MeetingEvent::Error { code, message });
            return;
        }
        let keyframe = share.out.keyframe.clone();
        let rx = share.out.tx.subscribe();
        p.share_tasks.push(tokio::spawn(forward(rx, p.route.clone(), Lane::Share, move || {
            keyframe.store(true, Ordering::Relaxed)
        })));
        share.out.request_keyframe();
        self.send_sealed(member, &Signal::Share { on: true, gone: false });
    }

    /// Stops our share, if one runs, and tells everyone.
    pub(super) async fn stop_share(&mut self, reason: ShareEnd) {
        // A share still being opened is void too.
        self.share_opening += 1;
        let Some(share) = self.share.take() else { return };
        for p in self.peers.values_mut() {
            for t in p.share_tasks.drain(..) {
                t.abort();
            }
        }
        // Joins the capture thread (it checks for a stop at least every 20 ms).
        drop(share);
        let members: Vec<MemberId> = self.peers.keys().copied().collect();
        for m in members {
            self.send_sealed(m, &Signal::Share { on: false, gone: reason == ShareEnd::SourceGone });
        }
        if let Some(me) = self.core.me() {
            self.emit(MeetingEvent::ShareStopped { member: me, reason });
        }
    }

    /// Stops our share when its source has gone (the window closed, the screen went away).
    pub(super) async fn check_share(&mut self) {
        let Some(share) = &self.share else { return };
        if !share.out.ended() {
            return;
        }
        let why = share.out.failure.lock().ok().and_then(|f| f.as_ref().map(ToString::to_string));
        self.stop_share(ShareEnd::SourceGone).await;
        self.emit(MeetingEvent::Error {
            code: "share.source_gone".into(),
            message: format!(
                "sharing stopped: the shared window or screen is gone{}",
                why.map(|w| format!(" ({w})")).unwrap_or_default()
            ),
        });
    }

    /// A participant started or stopped sharing (`gone`: because what they shared went away).
    pub(super) fn remote_share(&mut self, from: MemberId, on: bool, gone: bool) {
        if on {
            self.sharers.insert(from);
            self.watch_share(from);
        } else if self.sharers.remove(&from) {
            if let Some(p) = self.peers.get(&from)
                && let Ok(mut slot) = p.share_in.lock()
            {
                *slot = None;
            }
            let reason = if gone { ShareEnd::SourceGone } else { ShareEnd::Stopped };
            self.emit(MeetingEvent::ShareStopped { member: from, reason });
        }
    }

    /// Starts decoding a participant's share, once both their signal and their connection are
    /// here (either may come first).
    pub(super) fn watch_share(&mut self, member: MemberId) {
        if !self.sharers.contains(&member) {
            return;
        }
        let Some(p) = self.peers.get(&member) else { return };
        if p.share_in.lock().map(|s| s.is_some()).unwrap_or(true) {
            return;
        }
        let video = self.video_channels.then(|| video_channel(2));
        let sinks = IncomingSinks {
            video: video.as_ref().map(|(tx, _)| tx.clone()),
            audio: None,
            record: self.record.clone().map(|d| (d, format!("{member}-share"))),
        };
        let (route, rt) = (p.route.clone(), tokio::runtime::Handle::current());
        let origin = trygg_core::meeting::Origin { route: route.kind(), member };
        let binding = p.binding.clone();
        // The share's decoder asks on every picture it cannot use: one request per 300 ms
        // reaches the sharer (a share keyframe is 100–300 kB).
        let gate = std::sync::Mutex::new(trygg_core::rtp::keyframe_gate::KeyframeGate::default());
        let epoch = std::time::Instant::now();
        let ask = move || {
            if gate.lock().is_ok_and(|mut g| g.request(epoch.elapsed())) {
                let r = route.clone();
                rt.spawn(async move { r.request_keyframe(true).await });
            }
        };
        ask();
        let incoming =
            match Incoming::start(origin, binding, sinks, self.core.session().keys.clone(), self.clock.clone(), ask) {
                Ok(i) => Arc::new(i),
                Err(e) => {
                    self.emit(MeetingEvent::Error { code: e.code().into(), message: e.to_string() });
                    return;
                }
            };
        if let Ok(mut slot) = p.share_in.lock() {
            *slot = Some(incoming);
        }
        self.emit(MeetingEvent::ShareStarted { member, source: None });
        if let Some((_, rx)) = video {
            self.emit(MeetingEvent::ShareChannel { member, receiver: Arc::new(rx) });
        }
    }

    /// A participant who shared has left.
    pub(super) fn share_left(&mut self, member: &MemberId) {
        if self.sharers.remove(member) {
            self.emit(MeetingEvent::ShareStopped { member: *member, reason: ShareEnd::Left });
        }
    }

    /// Our share's numbers since the last call (its `fps` is the capture pace).
    pub(super) fn own_share_stats(&mut self) -> Option<ShareStats> {
        let share = self.share.as_mut()?;
        let s = &share.out.stats;
        let (width, height) = share.out.size();
        let counts = Counts {
            pictures: s.captured.load(Ordering::Relaxed),
            bytes: s.bytes.load(Ordering::Relaxed),
            frames: s.frames.load(Ordering::Relaxed),
            keyframes: s.keyframes.load(Ordering::Relaxed),
        };
        Some(share_stats((width, height), &counts, &mut share.last))
    }

    /// Asks our share for a keyframe (a viewer connected or asked).
    pub(super) fn share_keyframe(&self) {
        if let Some(s) = &self.share {
            s.out.request_keyframe();
        }
    }

    /// Sends a signal sealed for `to`.
    pub(super) fn send_sealed(&mut self, to: MemberId, signal: &Signal) {
        self.core.send_sealed(to, signal);
    }
}

/// A participant's share numbers since the last call, from their share decoder.
pub(super) fn incoming_share_stats(slot: &ShareSlot, last: &mut (u64, u64)) -> Option<ShareStats> {
    let incoming = slot.lock().ok()?.clone()?;
    let s = &incoming.stats;
    let size = s.picture_size.load(Ordering::Relaxed);
    let frames = s.frames_decoded.load(Ordering::Relaxed);
    let counts = Counts {
        pictures: frames,
        bytes: s.video_bytes.load(Ordering::Relaxed),
        frames,
        keyframes: s.keyframes.load(Ordering::Relaxed),
    };
    Some(share_stats(((size >> 32) as u32, size as u32), &counts, last))
}

/// A share's counters since it started.
struct Counts {
    /// Pictures counted for the pace: captured (ours) or decoded (another's).
    pictures: u64,
    bytes: u64,
    frames: u64,
    keyframes: u64,
}

/// A share's numbers over the second since `last` (pictures counted, bytes), which it updates.
fn share_stats(size: (u32, u32), c: &Counts, last: &mut (u64, u64)) -> ShareStats {
    let (last_pictures, last_bytes) = std::mem::replace(last, (c.pictures, c.bytes));
    ShareStats {
        width: size.0,
        height: size.1,
        fps: c.pictures.saturating_sub(last_pictures) as f64,
        bitrate_kbps: c.bytes.saturating_sub(last_bytes) as f64 * 8.0 / 1000.0,
        frames: c.frames,
        keyframes: c.keyframes,
    }
}
