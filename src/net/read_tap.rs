//! A pass-through interceptor that lets Trygg see (and adjust) what arrives: every inbound
//! packet is handed to a function on its way to the application; outbound packets pass
//! untouched. The keyframe-request watcher and the congestion estimate tap are both one.

use std::collections::VecDeque;
use std::time::Instant;

use rtc::interceptor::{Interceptor, StreamInfo, TaggedPacket};
use rtc::sansio::Protocol;
use rtc::shared::error::Error;

/// Hands each inbound packet to `on_read`, then passes it on.
pub struct ReadTap<F> {
    on_read: F,
    read: VecDeque<TaggedPacket>,
    write: VecDeque<TaggedPacket>,
}

impl<F: FnMut(&mut TaggedPacket) + Send + Sync + 'static> ReadTap<F> {
    /// A tap calling `on_read` for every inbound packet.
    pub fn new(on_read: F) -> Self {
        Self { on_read, read: VecDeque::new(), write: VecDeque::new() }
    }
}

impl<F: FnMut(&mut TaggedPacket) + Send + Sync + 'static> Protocol<TaggedPacket, TaggedPacket, ()> for ReadTap<F> {
    type Rout = TaggedPacket;
    type Wout = TaggedPacket;
    type Eout = ();
    type Error = Error;
    type Time = Instant;

    fn handle_read(&mut self, mut msg: TaggedPacket) -> Result<(), Error> {
        (self.on_read)(&mut msg);
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

impl<F: FnMut(&mut TaggedPacket) + Send + Sync + 'static> Interceptor for ReadTap<F> {
    fn bind_local_stream(&mut self, _info: &StreamInfo) {}
    fn unbind_local_stream(&mut self, _info: &StreamInfo) {}
    fn bind_remote_stream(&mut self, _info: &StreamInfo) {}
    fn unbind_remote_stream(&mut self, _info: &StreamInfo) {}
}
