//! The pacer, with sound ahead of pictures. webrtc's pacer is one queue in order of arrival: an
//! audio packet written just after a keyframe waited until the whole picture had left (at the
//! 25 Mbit/s floor a 720p keyframe holds the queue for 20–40 ms), and the listener's playout,
//! which on a quiet link waits only 20–25 ms, concealed it. Browsers' pacers put audio first and
//! do not hold it; so does this one. Audio still draws on the budget, so the pictures after it
//! wait for what it took and the link's rate is kept.

use std::collections::{HashSet, VecDeque};
use std::time::Instant;

use rtc::interceptor::{Interceptor, PacerInterceptor, Packet, StreamInfo, TaggedPacket};
use rtc::sansio::Protocol;
use rtc::shared::error::Error;
use rtc::shared::marshal::MarshalSize;

/// webrtc's pacer for everything but audio, which goes at once.
pub struct AudioFirstPacer {
    inner: PacerInterceptor,
    /// The local streams that carry audio.
    audio: HashSet<u32>,
    /// Audio packets on their way out, ahead of anything the pacer releases.
    out: VecDeque<TaggedPacket>,
}

impl AudioFirstPacer {
    /// Audio goes ahead of `inner`, which paces the rest.
    pub fn new(inner: PacerInterceptor) -> Self {
        Self { inner, audio: HashSet::new(), out: VecDeque::new() }
    }

    fn is_audio(&self, msg: &TaggedPacket) -> Option<usize> {
        match &msg.message.packet {
            Packet::Rtp(p) if self.audio.contains(&p.header.ssrc) => Some(p.marshal_size()),
            _ => None,
        }
    }
}

impl Protocol<TaggedPacket, TaggedPacket, ()> for AudioFirstPacer {
    type Rout = TaggedPacket;
    type Wout = TaggedPacket;
    type Eout = ();
    type Error = Error;
    type Time = Instant;

    fn handle_read(&mut self, msg: TaggedPacket) -> Result<(), Error> {
        self.inner.handle_read(msg)
    }

    fn poll_read(&mut self) -> Option<TaggedPacket> {
        self.inner.poll_read()
    }

    fn handle_write(&mut self, msg: TaggedPacket) -> Result<(), Error> {
        let Some(bytes) = self.is_audio(&msg) else { return self.inner.handle_write(msg) };
        let bucket = self.inner.pacer_mut();
        bucket.refill(msg.now);
        bucket.consume((bytes * 8) as f64);
        self.out.push_back(msg);
        Ok(())
    }

    fn poll_write(&mut self) -> Option<TaggedPacket> {
        self.out.pop_front().or_else(|| self.inner.poll_write())
    }

    fn handle_timeout(&mut self, now: Instant) -> Result<(), Error> {
        self.inner.handle_timeout(now)
    }

    fn poll_timeout(&mut self) -> Option<Instant> {
        self.inner.poll_timeout()
    }

    fn close(&mut self) -> Result<(), Error> {
        self.inner.close()
    }
}

impl Interceptor for AudioFirstPacer {
    fn bind_local_stream(&mut self, info: &StreamInfo) {
        if info.mime_type.to_ascii_lowercase().starts_with("audio/") {
            self.audio.insert(info.ssrc);
        }
        self.inner.bind_local_stream(info);
    }

    fn unbind_local_stream(&mut self, info: &StreamInfo) {
        self.audio.remove(&info.ssrc);
        self.inner.unbind_local_stream(info);
    }

    fn bind_remote_stream(&mut self, info: &StreamInfo) {
        self.inner.bind_remote_stream(info);
    }

    fn unbind_remote_stream(&mut self, info: &StreamInfo) {
        self.inner.unbind_remote_stream(info);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use rtc::interceptor::{AttributedPacket, PacerBuilder};
    use rtc::shared::TransportContext;

    use super::*;

    const AUDIO: u32 = 1;
    const VIDEO: u32 = 2;

    fn rtp(ssrc: u32, seq: u16, bytes: usize, now: Instant) -> TaggedPacket {
        let mut p = rtc::rtp::Packet::default();
        p.header.version = 2;
        p.header.ssrc = ssrc;
        p.header.sequence_number = seq;
        p.payload = vec![0xab; bytes].into();
        TaggedPacket { now, transport: TransportContext::default(), message: AttributedPacket::new(Packet::Rtp(p)) }
    }

    fn ssrc_seq(m: &TaggedPacket) -> (u32, u16) {
        match &m.message.packet {
            Packet::Rtp(p) => (p.header.ssrc, p.header.sequence_number),
            _ => panic!("not RTP"),
        }
    }

    /// At 8 Mbit/s with a 12 kB burst: a 100-packet picture takes about 100 ms to leave.
    fn pacer() -> AudioFirstPacer {
        let mut p = AudioFirstPacer::new(
            PacerBuilder::new().with_target_bitrate(8_000_000.0).with_burst_bits(96_000.0).build(),
        );
        p.bind_local_stream(&StreamInfo { ssrc: AUDIO, mime_type: "audio/opus".into(), ..StreamInfo::default() });
        p.bind_local_stream(&StreamInfo { ssrc: VIDEO, mime_type: "video/H264".into(), ..StreamInfo::default() });
        p
    }

    #[test]
    fn audio_written_behind_a_keyframe_leaves_before_it_and_the_picture_still_keeps_to_the_rate() {
        let t = Instant::now();
        let mut p = pacer();
        for seq in 0..100 {
            p.handle_write(rtp(VIDEO, seq, 1_000, t)).unwrap();
        }
        p.handle_timeout(t).unwrap();
        let first: Vec<_> = std::iter::from_fn(|| p.poll_write()).map(|m| ssrc_seq(&m)).collect();
        assert!(!first.is_empty() && first.len() < 20, "one burst of the picture leaves at once: {}", first.len());
        // 10 ms later a sound comes: it leaves at once, ahead of the 80-odd packets still held.
        p.handle_write(rtp(AUDIO, 0, 120, t + Duration::from_millis(10))).unwrap();
        assert_eq!(p.poll_write().map(|m| ssrc_seq(&m)), Some((AUDIO, 0)));
        // The rest of the picture goes in order, paced: not all of it within the next 50 ms.
        let mut rest = Vec::new();
        let mut now = t + Duration::from_millis(10);
        while now < t + Duration::from_millis(60) {
            now += Duration::from_millis(5);
            p.handle_timeout(now).unwrap();
            rest.extend(std::iter::from_fn(|| p.poll_write()).map(|m| ssrc_seq(&m)));
        }
        assert!(rest.iter().all(|&(s, _)| s == VIDEO));
        assert!(rest.windows(2).all(|w| w[1].1 == w[0].1 + 1), "in order");
        assert!(first.len() + rest.len() < 100, "the picture is still paced: {} left", first.len() + rest.len());
        while p.poll_timeout().is_some() {
            now += Duration::from_millis(5);
            p.handle_timeout(now).unwrap();
            rest.extend(std::iter::from_fn(|| p.poll_write()).map(|m| ssrc_seq(&m)));
        }
        assert_eq!(first.len() + rest.len(), 100, "every packet of the picture leaves");
    }

    #[test]
    fn audio_takes_from_the_budget_so_pictures_after_it_wait_for_it() {
        let t = Instant::now();
        let (mut with, mut without) = (pacer(), pacer());
        for seq in 0..50 {
            with.handle_write(rtp(AUDIO, seq, 1_000, t)).unwrap();
        }
        while with.poll_write().is_some() {}
        for p in [&mut with, &mut without] {
            for seq in 0..20 {
                p.handle_write(rtp(VIDEO, seq, 1_000, t)).unwrap();
            }
            p.handle_timeout(t).unwrap();
        }
        assert_eq!(std::iter::from_fn(|| with.poll_write()).count(), 0, "the audio took the burst");
        assert!(std::iter::from_fn(|| without.poll_write()).count() > 0);
    }

    #[test]
    fn a_stream_not_bound_as_audio_is_paced() {
        let t = Instant::now();
        let mut p = pacer();
        for seq in 0..100 {
            p.handle_write(rtp(3, seq, 1_000, t)).unwrap();
        }
        p.handle_timeout(t).unwrap();
        assert!(std::iter::from_fn(|| p.poll_write()).count() < 20);
    }
}
