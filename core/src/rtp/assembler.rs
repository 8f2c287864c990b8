//! From RTP packets back to codec frames, tolerating reordering and waiting briefly for
//! retransmissions (the NACK responder resends lost packets with their original sequence numbers).
//!
//! Sans-I/O: time is an argument (µs on any monotonic clock), so the loss and timeout behaviour is
//! tested on a virtual clock.
//!
//! * [`VideoAssembler`] rebuilds H.264 access units (Annex-B): a frame is the run of packets with
//!   one RTP timestamp that starts right after the previous frame's marker and ends with a marker.
//!   After an unrecoverable gap it asks for a keyframe and drops everything until one arrives,
//!   since a decoder cannot use pictures that refer to a lost one.
//!
//! Audio needs no assembly: each Opus packet goes to the playout buffer
//! ([`super::jitter_buffer`]) as it comes.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use rtc_rtp::codec::h264::H264Packet;
use rtc_rtp::packetizer::Depacketizer;

use crate::media::annexb;

/// Turns 16-bit RTP sequence numbers into a monotonic 64-bit count (RFC 3550 A.1).
#[derive(Debug, Default, Clone)]
pub struct SeqUnwrapper {
    last: Option<u64>,
}

impl SeqUnwrapper {
    /// The extended sequence number of `seq`.
    pub fn unwrap(&mut self, seq: u16) -> u64 {
        let Some(last) = self.last else {
            let first = (1u64 << 16) + u64::from(seq); // room to go back below the first packet
            self.last = Some(first);
            return first;
        };
        let cycle = last & !0xffff;
        let candidates = [cycle.wrapping_sub(1 << 16), cycle, cycle + (1 << 16)].map(|c| c | u64::from(seq));
        let best = candidates.into_iter().min_by_key(|c| c.abs_diff(last)).expect("three candidates");
        if best > last {
            self.last = Some(best);
        }
        best
    }
}

struct Pkt {
    ts: u32,
    marker: bool,
    payload: Bytes,
    arrival: Duration,
}

/// A complete access unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssembledFrame {
    /// Annex-B bytes.
    pub data: Bytes,
    /// RTP timestamp (90 kHz).
    pub rtp_timestamp: u32,
    /// True when it holds an IDR slice.
    pub keyframe: bool,
    /// Arrival time of its first packet.
    pub first_arrival: Duration,
}

/// What the video assembler has for its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VideoOutput {
    /// A complete frame to decode.
    Frame(AssembledFrame),
    /// Packets were lost for good: send a PLI to the sender.
    NeedKeyframe,
}

/// Counters for stats.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct AssemblerStats {
    /// Frames handed out.
    pub frames: u64,
    /// Frames dropped (incomplete, or undecodable while waiting for a keyframe).
    pub frames_dropped: u64,
    /// Packets that arrived after their frame was given up.
    pub late_packets: u64,
    /// Keyframe requests raised.
    pub keyframe_requests: u64,
}

/// Rebuilds H.264 frames.
pub struct VideoAssembler {
    seq: SeqUnwrapper,
    pending: BTreeMap<u64, Pkt>,
    next: Option<u64>,
    need_keyframe: bool,
    have_param_sets: bool,
    started: bool,
    gap_since: Option<Duration>,
    max_wait: Duration,
    out: std::collections::VecDeque<VideoOutput>,
    stats: AssemblerStats,
}

/// Packets held at most, beyond which the assembler starts over (a stream gone mad must not
/// grow memory without bound).
const MAX_PENDING: usize = 4096;

impl VideoAssembler {
    /// An assembler that waits up to `max_wait` for a missing packet before giving up on it.
    pub fn new(max_wait: Duration) -> Self {
        Self {
            seq: SeqUnwrapper::default(),
            pending: BTreeMap::new(),
            next: None,
            need_keyframe: true,
            have_param_sets: false,
            started: false,
            gap_since: None,
            max_wait,
            out: Default::default(),
            stats: AssemblerStats::default(),
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> AssemblerStats {
        self.stats
    }

    /// Takes one RTP packet.
    pub fn push(&mut self, seq: u16, timestamp: u32, marker: bool, payload: Bytes, now: Duration) {
        let ext = self.seq.unwrap(seq);
        if self.next.is_some_and(|n| ext < n) {
            if self.started {
                self.stats.late_packets += 1;
                return;
            }
            // Before the first frame, an earlier packet simply moves the start back.
            self.next = Some(ext);
        }
        if self.pending.len() >= MAX_PENDING {
            self.pending.clear();
            self.next = None;
            self.request_keyframe();
        }
        // Padding-only packets (bandwidth probes) carry no media but do use sequence numbers:
        // they are kept as placeholders so that they do not look like losses.
        self.pending.entry(ext).or_insert(Pkt { ts: timestamp, marker, payload, arrival: now });
        if self.next.is_none() {
            self.next = Some(ext);
        }
        self.assemble(now);
    }

    /// Gives up on missing packets that are overdue. Call it when [`Self::poll_timeout`] says.
    pub fn handle_timeout(&mut self, now: Duration) {
        self.assemble(now);
    }

    /// When the next missing packet will be given up on.
    pub fn poll_timeout(&self) -> Option<Duration> {
        self.gap_since.map(|t| t + self.max_wait)
    }

    /// The next output.
    pub fn poll_output(&mut self) -> Option<VideoOutput> {
        self.out.pop_front()
    }

    fn request_keyframe(&mut self) {
        if !self.out.contains(&VideoOutput::NeedKeyframe) {
            self.out.push_back(VideoOutput::NeedKeyframe);
            self.stats.keyframe_requests += 1;
        }
        self.need_keyframe = true;
    }

    fn assemble(&mut self, now: Duration) {
        loop {
            let Some(mut start) = self.next else { return };
            while self.pending.get(&start).is_some_and(|p| p.payload.is_empty()) {
                self.pending.remove(&start);
                start += 1;
                self.next = Some(start);
            }
            match self.complete_frame_at(start) {
                Some(end) => {
                    self.gap_since = None;
                    self.emit(start, end);
                    self.next = Some(end + 1);
                }
                None => {
                    if self.frame_blocked_by_gap(start).is_none() {
                        // Nothing is known missing: the frame is still arriving.
                        self.gap_since = None;
                        return;
                    }
                    let since = *self.gap_since.get_or_insert(now);
                    if now < since + self.max_wait {
                        return;
                    }
                    // Give up on this frame: skip to the first frame start after the gap.
                    self.gap_since = None;
                    self.started = true;
                    self.stats.frames_dropped += 1;
                    match self.next_frame_start_after(start) {
                        Some(n) => {
                            self.pending.retain(|&k, _| k >= n);
                            self.next = Some(n);
                        }
                        None => {
                            // Keep what came after the gap; the next marker tells where frames start.
                            let last_marker = self.pending.iter().rev().find(|(_, p)| p.marker).map(|(&k, _)| k);
                            match last_marker {
                                Some(m) => {
                                    self.pending.retain(|&k, _| k > m);
                                    self.next = Some(m + 1);
                                }
                                None => {
                                    self.next = self.pending.keys().next().copied();
                                }
                            }
                        }
                    }
                    self.request_keyframe();
                }
            }
        }
    }

    /// If a complete frame starts at `start`, the sequence number of its last packet.
    fn complete_frame_at(&self, start: u64) -> Option<u64> {
        let first = self.pending.get(&start)?;
        let mut s = start;
        loop {
            let p = self.pending.get(&s)?;
            if p.payload.is_empty() {
                s += 1;
                continue;
            }
            if p.ts != first.ts {
                // The frame ended without a marker (lost marker packet): treat it as ended before.
                return (s > start).then_some(s - 1);
            }
            if p.marker {
                return Some(s);
            }
            s += 1;
        }
    }

    /// The first missing sequence number blocking the frame at `start`, if one is known missing
    /// (a later packet already arrived).
    fn frame_blocked_by_gap(&self, start: u64) -> Option<u64> {
        let last_held = *self.pending.keys().next_back()?;
        (start..=last_held).find(|s| !self.pending.contains_key(s))
    }

    /// The first packet after `start` that begins a new frame (follows a marker, or has a new
    /// timestamp after a gap).
    fn next_frame_start_after(&self, start: u64) -> Option<u64> {
        let mut prev: Option<(u64, &Pkt)> = None;
        for (&k, p) in self.pending.range(start + 1..) {
            if let Some((pk, pp)) = prev
                && pk + 1 == k
                && pp.marker
            {
                return Some(k);
            }
            prev = Some((k, p));
        }
        None
    }

    fn emit(&mut self, start: u64, end: u64) {
        self.started = true;
        let mut depacketizer = H264Packet::default();
        let mut data = BytesMut::new();
        let (mut ts, mut arrival) = (0, Duration::MAX);
        let mut ok = true;
        let mut head = true;
        for s in start..=end {
            let Some(p) = self.pending.remove(&s) else { continue };
            if p.payload.is_empty() {
                continue;
            }
            if std::mem::take(&mut head) && !depacketizer.is_partition_head(&p.payload) {
                // The frame's first packet is a middle fragment: its start never arrived.
                ok = false;
            }
            ts = p.ts;
            arrival = arrival.min(p.arrival);
            match depacketizer.depacketize(&p.payload) {
                Ok(b) => data.extend_from_slice(&b),
                Err(_) => ok = false,
            }
        }
        if !ok || data.is_empty() {
            self.stats.frames_dropped += 1;
            self.request_keyframe();
            return;
        }
        let data = data.freeze();
        let units = annexb::nal_units(&data);
        let has = |t: annexb::NalType| units.iter().any(|n| n.kind() == t);
        let keyframe = has(annexb::NalType::Idr);
        if has(annexb::NalType::Sps) && has(annexb::NalType::Pps) {
            self.have_param_sets = true;
        }
        // A decoder can start at a keyframe only once it has the parameter sets.
        let decodable_start = keyframe && self.have_param_sets;
        if self.need_keyframe && !decodable_start {
            // Joined mid-stream or lost a frame: useless until a keyframe comes, so ask for one.
            self.stats.frames_dropped += 1;
            self.request_keyframe();
            return;
        }
        self.need_keyframe = false;
        self.stats.frames += 1;
        self.out.push_back(VideoOutput::Frame(AssembledFrame {
            data,
            rtp_timestamp: ts,
            keyframe,
            first_arrival: arrival,
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A frame split as the H.264 payloader does: single NAL units as they are.
    fn nal(kind: u8, len: usize) -> Bytes {
        let mut v = vec![kind];
        v.extend(std::iter::repeat_n(0xab, len));
        Bytes::from(v)
    }

    fn frames(a: &mut VideoAssembler) -> Vec<VideoOutput> {
        std::iter::from_fn(|| a.poll_output()).collect()
    }

    #[test]
    fn sequence_numbers_unwrap_across_the_16_bit_boundary() {
        let mut u = SeqUnwrapper::default();
        let a = u.unwrap(65_534);
        assert_eq!(u.unwrap(65_535), a + 1);
        assert_eq!(u.unwrap(0), a + 2);
        assert_eq!(u.unwrap(65_535), a + 1, "a late packet from before the wrap");
        assert_eq!(u.unwrap(1), a + 3);
    }

    #[test]
    fn reordered_packets_make_whole_frames() {
        let mut a = VideoAssembler::new(std::time::Duration::from_micros(100_000));
        // Keyframe: SPS, PPS, IDR in three packets; then a P frame in two.
        a.push(11, 0, false, nal(0x68, 4), std::time::Duration::from_micros(0));
        a.push(10, 0, false, nal(0x67, 4), std::time::Duration::from_micros(0));
        a.push(12, 0, true, nal(0x65, 50), std::time::Duration::from_micros(0));
        a.push(14, 3000, true, nal(0x41, 30), std::time::Duration::from_micros(0));
        a.push(13, 3000, false, nal(0x41, 30), std::time::Duration::from_micros(0));
        let out = frames(&mut a);
        assert_eq!(out.len(), 2, "{out:?}");
        let VideoOutput::Frame(k) = &out[0] else { panic!("{out:?}") };
        assert!(k.keyframe);
        assert_eq!(crate::media::annexb::nal_units(&k.data).len(), 3);
        let VideoOutput::Frame(p) = &out[1] else { panic!("{out:?}") };
        assert_eq!((p.keyframe, p.rtp_timestamp), (false, 3000));
    }

    /// Pushes a keyframe as three packets (SPS, PPS, IDR) from `seq`; returns the next seq.
    fn keyframe(a: &mut VideoAssembler, seq: u16, ts: u32, now: u64) -> u16 {
        a.push(seq, ts, false, nal(0x67, 4), std::time::Duration::from_micros(now));
        a.push(seq + 1, ts, false, nal(0x68, 4), std::time::Duration::from_micros(now));
        a.push(seq + 2, ts, true, nal(0x65, 10), std::time::Duration::from_micros(now));
        seq + 3
    }

    #[test]
    fn a_lost_packet_waits_for_retransmission_then_asks_for_a_keyframe() {
        let mut a = VideoAssembler::new(std::time::Duration::from_micros(100_000));
        keyframe(&mut a, 1, 0, 0);
        assert!(matches!(frames(&mut a)[..], [VideoOutput::Frame(_)]));
        // Packet 4 (first of a two-packet P frame) is lost; 5 and the next frame arrive.
        a.push(5, 3000, true, nal(0x41, 10), std::time::Duration::from_micros(1_000));
        a.push(6, 6000, true, nal(0x41, 10), std::time::Duration::from_micros(2_000));
        assert!(frames(&mut a).is_empty(), "waits for the retransmission");
        assert_eq!(a.poll_timeout(), Some(Duration::from_micros(101_000)));
        // The retransmission comes in time: both frames complete.
        a.push(4, 3000, false, nal(0x41, 10), std::time::Duration::from_micros(50_000));
        assert_eq!(frames(&mut a).len(), 2);

        // Now a loss (packet 7) that is never repaired.
        a.push(8, 9000, true, nal(0x41, 10), std::time::Duration::from_micros(200_000));
        a.push(9, 12000, true, nal(0x41, 10), std::time::Duration::from_micros(200_000));
        a.handle_timeout(std::time::Duration::from_micros(250_000));
        assert!(frames(&mut a).is_empty());
        a.handle_timeout(std::time::Duration::from_micros(300_001));
        assert_eq!(frames(&mut a), vec![VideoOutput::NeedKeyframe]);
        // P frames are useless until a keyframe comes, and each one asks again.
        a.push(10, 15000, true, nal(0x41, 10), std::time::Duration::from_micros(310_000));
        assert_eq!(frames(&mut a), vec![VideoOutput::NeedKeyframe]);
        a.push(11, 18000, true, nal(0x65, 10), std::time::Duration::from_micros(320_000));
        assert!(
            matches!(&frames(&mut a)[..], [VideoOutput::Frame(f)] if f.keyframe),
            "parameter sets are known by now"
        );
        assert_eq!(a.stats().keyframe_requests, 2);
    }

    #[test]
    fn a_stream_joined_midway_waits_for_parameter_sets_and_a_whole_first_packet() {
        let mut a = VideoAssembler::new(std::time::Duration::from_micros(100_000));
        // The tail of an FU-A fragmented IDR (no start bit), then an IDR without SPS/PPS.
        a.push(1, 0, true, Bytes::from_static(&[0x7c, 0x45, 1, 2, 3]), std::time::Duration::from_micros(0));
        a.push(2, 3000, true, nal(0x65, 10), std::time::Duration::from_micros(0));
        assert_eq!(frames(&mut a), vec![VideoOutput::NeedKeyframe]);
        keyframe(&mut a, 3, 6000, 0);
        assert!(matches!(&frames(&mut a)[..], [VideoOutput::Frame(f)] if f.keyframe));
    }

    #[test]
    fn padding_packets_are_not_losses() {
        let mut a = VideoAssembler::new(std::time::Duration::from_micros(100_000));
        keyframe(&mut a, 1, 0, 0);
        a.push(4, 0, false, Bytes::new(), std::time::Duration::from_micros(0)); // padding after the frame
        a.push(5, 0, false, Bytes::new(), std::time::Duration::from_micros(0));
        a.push(6, 3000, true, nal(0x41, 10), std::time::Duration::from_micros(0));
        a.handle_timeout(std::time::Duration::from_micros(1_000_000));
        let out = frames(&mut a);
        assert_eq!(out.len(), 2, "{out:?}");
        assert!(out.iter().all(|o| matches!(o, VideoOutput::Frame(_))));
        assert_eq!(a.stats().keyframe_requests, 0);
    }

    #[test]
    fn garbage_payloads_are_dropped_not_fatal() {
        let mut a = VideoAssembler::new(std::time::Duration::from_micros(10_000));
        a.push(1, 0, true, Bytes::from_static(&[0x1c]), std::time::Duration::from_micros(0)); // FU-A too short
        a.push(2, 3000, true, Bytes::from_static(&[0x1f, 1, 2, 3]), std::time::Duration::from_micros(0)); // reserved type
        keyframe(&mut a, 3, 6000, 0);
        let out = frames(&mut a);
        assert!(out.iter().any(|o| matches!(o, VideoOutput::Frame(f) if f.keyframe)), "{out:?}");
        assert!(a.stats().frames_dropped >= 2);
    }
}
