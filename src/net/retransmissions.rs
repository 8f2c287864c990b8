//! Answers NACKs within a budget: webrtc's own responder resends every packet asked for, as
//! often as it is asked, which on a lossy narrow link sends more than the link carries. This
//! one keeps the last 1024 packets of each stream with when they were sent, and lets the core's
//! [`RetransmissionBudget`] decide: a quarter of the link's congestion estimate at most, nothing
//! older than the receiver can use. Retransmissions reuse the original sequence numbers (no RTX
//! stream), marked as such for the bandwidth estimator.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use rtc::interceptor::{Attribute, AttributedPacket, Interceptor, Packet, StreamInfo, TaggedPacket};
use rtc::rtcp::transport_feedbacks::transport_layer_nack::TransportLayerNack;
use rtc::sansio::Protocol;
use rtc::shared::TransportContext;
use rtc::shared::error::Error;
use trygg_core::rtp::retransmission_budget::{RetransmissionBudget, Verdict};

/// Packets kept per stream.
const KEPT: usize = 1024;

/// A link's current estimate, shared with whoever learns it (the estimate tap).
pub type Estimate = Arc<AtomicU32>;

struct Sent {
    packet: rtc::rtp::Packet,
    at: Instant,
}

/// The responder.
pub struct Retransmissions {
    estimate: Estimate,
    budget: RetransmissionBudget,
    epoch: Instant,
    streams: HashMap<u32, Vec<Option<Sent>>>,
    read: VecDeque<TaggedPacket>,
    write: VecDeque<TaggedPacket>,
}

impl Retransmissions {
    /// A responder whose budget follows `estimate`.
    pub fn new(estimate: Estimate) -> Self {
        let budget = RetransmissionBudget::new(estimate.load(Ordering::Relaxed));
        Self {
            estimate,
            budget,
            epoch: Instant::now(),
            streams: HashMap::new(),
            read: VecDeque::new(),
            write: VecDeque::new(),
        }
    }

    fn answer(&mut self, now: Instant, nack: &TransportLayerNack) {
        self.budget.set_estimate(self.estimate.load(Ordering::Relaxed));
        let Some(kept) = self.streams.get(&nack.media_ssrc) else { return };
        let asked = nack.nacks.iter().flat_map(|pair| {
            std::iter::once(pair.packet_id).chain(
                (0..16u16).filter(|i| pair.lost_packets & (1 << i) != 0).map(|i| pair.packet_id.wrapping_add(i + 1)),
            )
        });
        let mut resend = Vec::new();
        for seq in asked {
            let Some(sent) = kept[usize::from(seq) % KEPT].as_ref().filter(|s| s.packet.header.sequence_number == seq)
            else {
                continue;
            };
            let age = now.saturating_duration_since(sent.at);
            let clock = now.saturating_duration_since(self.epoch);
            if self.budget.ask(sent.packet.payload.len() + 12, age, clock) == Verdict::Send {
                resend.push(sent.packet.clone());
            }
        }
        for packet in resend {
            self.write.push_back(TaggedPacket {
                now,
                transport: TransportContext::default(),
                message: AttributedPacket::new(Packet::Rtp(packet)).with(Attribute::Retransmission),
            });
        }
    }
}

impl Protocol<TaggedPacket, TaggedPacket, ()> for Retransmissions {
    type Rout = TaggedPacket;
    type Wout = TaggedPacket;
    type Eout = ();
    type Error = Error;
    type Time = Instant;

    fn handle_read(&mut self, msg: TaggedPacket) -> Result<(), Error> {
        if let Packet::Rtcp(packets) = &msg.message.packet {
            for nack in packets.iter().filter_map(|p| p.as_any().downcast_ref::<TransportLayerNack>()) {
                self.answer(msg.now, nack);
            }
        }
        self.read.push_back(msg);
        Ok(())
    }

    fn poll_read(&mut self) -> Option<TaggedPacket> {
        self.read.pop_front()
    }

    fn handle_write(&mut self, msg: TaggedPacket) -> Result<(), Error> {
        if let Packet::Rtp(p) = &msg.message.packet
            && let Some(kept) = self.streams.get_mut(&p.header.ssrc)
        {
            kept[usize::from(p.header.sequence_number) % KEPT] = Some(Sent { packet: p.clone(), at: msg.now });
        }
        self.write.push_back(msg);
        Ok(())
    }

    fn poll_write(&mut self) -> Option<TaggedPacket> {
        self.write.pop_front()
    }
}

impl Interceptor for Retransmissions {
    fn bind_local_stream(&mut self, info: &StreamInfo) {
        if info.rtcp_feedback.iter().any(|fb| fb.typ == "nack" && fb.parameter.is_empty()) {
            self.streams.insert(info.ssrc, (0..KEPT).map(|_| None).collect());
        }
    }

    fn unbind_local_stream(&mut self, info: &StreamInfo) {
        self.streams.remove(&info.ssrc);
    }

    fn bind_remote_stream(&mut self, _info: &StreamInfo) {}

    fn unbind_remote_stream(&mut self, _info: &StreamInfo) {}
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use rtc::interceptor::RTCPFeedback;
    use rtc::rtcp::transport_feedbacks::transport_layer_nack::NackPair;

    use super::*;

    const SSRC: u32 = 7;

    fn tagged(now: Instant, packet: Packet) -> TaggedPacket {
        TaggedPacket { now, transport: TransportContext::default(), message: AttributedPacket::new(packet) }
    }

    fn rtp(seq: u16, bytes: usize) -> Packet {
        let mut p = rtc::rtp::Packet::default();
        p.header.version = 2;
        p.header.ssrc = SSRC;
        p.header.sequence_number = seq;
        p.payload = vec![0xab; bytes].into();
        Packet::Rtp(p)
    }

    fn nack(first: u16, bitmap: u16) -> Packet {
        let n = TransportLayerNack {
            sender_ssrc: 1,
            media_ssrc: SSRC,
            nacks: vec![NackPair { packet_id: first, lost_packets: bitmap }],
        };
        Packet::Rtcp(vec![Box::new(n)])
    }

    /// A responder for a stream with NACK feedback, at `estimate_bps`, that sent `count` packets
    /// of `bytes` at `at`.
    fn sent(estimate_bps: u32, count: u16, bytes: usize, at: Instant) -> Retransmissions {
        let mut r = Retransmissions::new(Arc::new(AtomicU32::new(estimate_bps)));
        let info = StreamInfo {
            ssrc: SSRC,
            rtcp_feedback: vec![RTCPFeedback { typ: "nack".into(), parameter: String::new() }],
            ..StreamInfo::default()
        };
        r.bind_local_stream(&info);
        for seq in 0..count {
            r.handle_write(tagged(at, rtp(seq, bytes))).unwrap();
        }
        while r.poll_write().is_some() {}
        r
    }

    fn resent(r: &mut Retransmissions) -> Vec<u16> {
        std::iter::from_fn(|| r.poll_write())
            .map(|m| {
                assert!(m.message.attributes.iter().any(|a| matches!(a, Attribute::Retransmission)));
                match m.message.packet {
                    Packet::Rtp(p) => p.header.sequence_number,
                    _ => panic!("not RTP"),
                }
            })
            .collect()
    }

    #[test]
    fn asked_packets_are_sent_again_as_they_were_and_marked_for_the_estimator() {
        let t = Instant::now();
        let mut r = sent(2_000_000, 100, 1_000, t);
        // Packet 10 and, by the bitmap, 12 and 13; 500 was never sent.
        r.handle_read(tagged(t + Duration::from_millis(30), nack(10, 0b110))).unwrap();
        r.handle_read(tagged(t + Duration::from_millis(30), nack(500, 0))).unwrap();
        assert_eq!(resent(&mut r), vec![10, 12, 13]);
        assert_eq!(std::iter::from_fn(|| r.poll_read()).count(), 2, "the NACKs go on up the chain");
    }

    #[test]
    fn a_narrow_link_gets_retransmissions_within_its_share_and_stale_packets_are_not_resent() {
        let t = Instant::now();
        // 200 kbit/s: a quarter is 50 kbit/s, a second of it at once: six of the seventeen
        // packets asked for (1 012 bytes each with their header), and no more.
        let mut r = sent(200_000, 100, 1_000, t);
        r.handle_read(tagged(t + Duration::from_millis(30), nack(0, 0xffff))).unwrap();
        assert_eq!(resent(&mut r).len(), 6);
        // Half a second later the packets are too old to be of use.
        let mut r = sent(20_000_000, 100, 1_000, t);
        r.handle_read(tagged(t + Duration::from_millis(500), nack(0, 0xffff))).unwrap();
        assert!(resent(&mut r).is_empty());
        assert_eq!(r.budget.stats().too_old, 17);
    }
}
