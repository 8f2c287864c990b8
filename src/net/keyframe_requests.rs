//! An interceptor that tells the application about keyframe requests (PLI, FIR).
//!
//! A keyframe request is about a stream this program encodes, so only the application can answer
//! it. Inbound RTCP normally stops inside webrtc's interceptor chain; this interceptor watches it
//! pass and reports each request on a channel. (webrtc's own route to the application, polling
//! the local track, holds a lock that re-binding the track during renegotiation also needs, so
//! it is not used.)

use std::collections::VecDeque;
use std::time::Instant;

use rtc::interceptor::{Interceptor, Packet, StreamInfo, TaggedPacket};
use rtc::rtcp::payload_feedbacks::full_intra_request::FullIntraRequest;
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::sansio::Protocol;
use rtc::shared::error::Error;

/// Reports inbound PLI/FIR; passes every packet on untouched.
pub struct KeyframeRequestWatcher {
    read: VecDeque<TaggedPacket>,
    write: VecDeque<TaggedPacket>,
    notify: Box<dyn Fn(u32) + Send + Sync>,
}

impl KeyframeRequestWatcher {
    /// Calls `notify` with the media SSRC of every keyframe request (a stream this side sends).
    pub fn new(notify: impl Fn(u32) + Send + Sync + 'static) -> Self {
        Self { read: VecDeque::new(), write: VecDeque::new(), notify: Box::new(notify) }
    }
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

impl Protocol<TaggedPacket, TaggedPacket, ()> for KeyframeRequestWatcher {
    type Rout = TaggedPacket;
    type Wout = TaggedPacket;
    type Eout = ();
    type Error = Error;
    type Time = Instant;

    fn handle_read(&mut self, msg: TaggedPacket) -> Result<(), Error> {
        if let Packet::Rtcp(packets) = &msg.message.packet {
            for ssrc in packets.iter().flat_map(|p| keyframes_asked(p.as_ref())) {
                (self.notify)(ssrc);
            }
        }
        self.read.push_back(msg);
        Ok(())
    }

    fn poll_read(&mut self) -> Option<TaggedPacket> {
        self.read.pop_front()
    }

    fn handle_write(&mut self, msg: TaggedPacket) -> Result<(), Error> {
        self.write.push_back(msg);
        Ok(())
    }

    fn poll_write(&mut self) -> Option<TaggedPacket> {
        self.write.pop_front()
    }
}

impl Interceptor for KeyframeRequestWatcher {
    fn bind_local_stream(&mut self, _info: &StreamInfo) {}
    fn unbind_local_stream(&mut self, _info: &StreamInfo) {}
    fn bind_remote_stream(&mut self, _info: &StreamInfo) {}
    fn unbind_remote_stream(&mut self, _info: &StreamInfo) {}
}
