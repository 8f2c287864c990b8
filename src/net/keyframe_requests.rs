//! An interceptor that tells the application about keyframe requests (PLI, FIR).
//!
//! A keyframe request is about a stream this program encodes, so only the application can answer
//! it. Inbound RTCP normally stops inside webrtc's interceptor chain; this interceptor watches it
//! pass and reports each request on a channel. (webrtc's own route to the application, polling
//! the local track, holds a lock that re-binding the track during renegotiation also needs, so
//! it is not used.)

use rtc::interceptor::{Packet, TaggedPacket};
use rtc::rtcp::payload_feedbacks::full_intra_request::FullIntraRequest;
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;

use super::read_tap::ReadTap;

/// Reports inbound PLI/FIR: calls `notify` with the media SSRC of every keyframe request (a
/// stream this side sends); passes every packet on untouched.
pub fn keyframe_request_watcher(
    notify: impl Fn(u32) + Send + Sync + 'static,
) -> ReadTap<impl FnMut(&mut TaggedPacket) + Send + Sync + 'static> {
    ReadTap::new(move |msg: &mut TaggedPacket| {
        if let Packet::Rtcp(packets) = &msg.message.packet {
            for ssrc in packets.iter().flat_map(|p| keyframes_asked(p.as_ref())) {
                notify(ssrc);
            }
        }
    })
}

/// The streams a packet asks keyframes of.
fn keyframes_asked(p: &dyn rtc::rtcp::Packet) -> Vec<u32> {
    let any = p.as_any();
    if let Some(pli) = any.downcast_ref::<PictureLossIndication>() {
        return vec![pli.media_ssrc];
    }
    if let Some(fir) = any.downcast_ref::<FullIntraRequest>() {
        return fir.fir.iter().map(|e| e.ssrc).collect();
    }
    Vec::new()
}
