//! Congestion control on each link: webrtc's Google congestion control (delay-based over
//! transport-wide feedback, plus loss-based) estimates what the path carries; this interceptor
//! hands each new estimate to the application, which sets the encoder's rate from it
//! (`trygg_core::rtp::send_rate`), and lets the pacer release packets faster than the estimate
//! (browsers pace at 2.5×), never slower than [`PACE_FLOOR_BPS`]: the encoder keeps the average
//! within the estimate, the pacer only spreads bursts.
//!
//! The estimator attaches its target to the feedback packet it came from, on the read leg
//! (`Attribute::TargetBitrateChanged`); the pacer reads it further along. This interceptor sits
//! between the two ([`ESTIMATE_SLOT`]).

use rtc::interceptor::{Attribute, TaggedPacket};

use super::read_tap::ReadTap;

/// Between the estimator's feedback intake (`Slot::TwccSender`, 2_000) and the pacer (3_000).
pub const ESTIMATE_SLOT: usize = 2_500;
/// How much faster than the estimate the pacer releases packets (browsers pace at 2.5×): the
/// encoder keeps to the estimate on average, bursts drain quickly.
pub const PACING_FACTOR: f64 = 2.5;
/// The pacer never releases slower than this. A 1080p keyframe of text (100–300 kB) must leave
/// in 30–100 ms: paced at 2.5× a 2 Mbit/s estimate it took half a second, the viewer's assembler
/// gave up on it and asked again, and the share fell into a loop of keyframes
/// (`tests/meeting_share.rs` showed it). Without pacing at all it overflows socket buffers, even
/// on loopback. Camera pictures fit in one burst and are not held.
pub const PACE_FLOOR_BPS: f64 = 25_000_000.0;

/// Reports each new estimate (bits per second) to `notify` and sets the pacer's rate from it
/// ([`PACING_FACTOR`], [`PACE_FLOOR_BPS`]).
pub fn estimate_tap(
    notify: impl Fn(u32) + Send + Sync + 'static,
) -> ReadTap<impl FnMut(&mut TaggedPacket) + Send + Sync + 'static> {
    ReadTap::new(move |msg: &mut TaggedPacket| {
        for a in &mut msg.message.attributes {
            if let Attribute::TargetBitrateChanged { bits_per_second } = a {
                // Saturating: an absurd estimate is the encoder's ceiling, never a wrap.
                notify(bits_per_second.clamp(0.0, f64::from(u32::MAX)) as u32);
                *bits_per_second = (*bits_per_second * PACING_FACTOR).max(PACE_FLOOR_BPS);
            }
        }
    })
}
