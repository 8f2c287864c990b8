//! An interceptor that tells the application about the other side's RTCP sender reports: each
//! ties one stream's RTP timestamps to the sender's wall clock, which lip sync needs (the
//! reports otherwise stop inside webrtc's interceptor chain).

use rtc::interceptor::{Packet, TaggedPacket};
use rtc::rtcp::sender_report::SenderReport;

use super::read_tap::ReadTap;

/// Calls `notify(ssrc, ntp_time, rtp_time)` for every inbound sender report; passes every packet
/// on untouched.
pub fn sender_report_watcher(
    notify: impl Fn(u32, u64, u32) + Send + Sync + 'static,
) -> ReadTap<impl FnMut(&mut TaggedPacket) + Send + Sync + 'static> {
    ReadTap::new(move |msg: &mut TaggedPacket| {
        if let Packet::Rtcp(packets) = &msg.message.packet {
            for sr in packets.iter().filter_map(|p| p.as_any().downcast_ref::<SenderReport>()) {
                notify(sr.ssrc, sr.ntp_time, sr.rtp_time);
            }
        }
    })
}
