//! The audio playout buffer: Opus packets go in as the network delivers them, and each time the
//! speaker needs audio the buffer decides what to play (NetEq's shape, without I/O).
//!
//! * **How long to hold** follows the measured arrival delay ([`ArrivalDelay`]): the buffer
//!   keeps a *slack* — how long before now the audio being played would have arrived by the
//!   quickest path — equal to the delay 95 % of packets stay under, plus 10 ms; so a steady link
//!   plays each packet about 10 ms after it comes, and 50 ms of jitter is met with about 60.
//!   While packets are being lost, one packet more, so that the packet after a lost one is
//!   there in time for its FEC.
//! * **Getting there without gaps**: with more slack than that, the next packet is played a
//!   little faster (one pitch period taken out, [`Stretch::Shorten`]); with less, a little slower
//!   ([`Stretch::Lengthen`]). Nothing is dropped or padded with silence to adjust the delay;
//!   only a backlog far past the aim (a burst after an outage) is cut.
//! * **Late and lost packets**: when nothing is queued, the buffer conceals (Opus's PLC)
//!   without moving on, so a packet that is merely late still plays when it comes and the delay
//!   grows by what was concealed. A gap that a later packet reveals is lost audio: rebuilt from
//!   that packet's in-band FEC when it is the packet right after, concealed otherwise, and what
//!   was concealed while waiting counts towards it. A packet that comes after its time was
//!   played is late and dropped.
//! * **DTX**: a sender that stops sending during silence leaves a timestamp gap with no gap in
//!   sequence numbers, after a DTX packet: comfort noise, not loss.
//! * **A sender that paused** (muted, a long outage): after 200 ms of concealing (a second of
//!   comfort noise after DTX) with nothing queued, the buffer goes idle and plays silence; the
//!   next packets wait their slack before they play. A sender whose timestamps jump (a restarted
//!   stream) is followed.
//!
//! Time is an argument; timestamps are Opus's 48 kHz.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;

use super::arrival_delay::ArrivalDelay;
use super::assembler::SeqUnwrapper;
use crate::media::opus_toc;

/// Samples per second of every Opus timestamp.
pub const SAMPLE_RATE: u32 = 48_000;
/// The usual packet (20 ms): what is concealed or played as silence at a time.
const FRAME: u32 = 960;
/// Opus conceals in steps of 2.5 ms.
const CONCEAL_STEP: u64 = 120;
/// The least audio held.
pub const FLOOR: Duration = Duration::from_millis(20);
/// What is held before anything has been measured.
const START: Duration = Duration::from_millis(60);
/// The most audio ever held on purpose.
const CEILING: Duration = Duration::from_millis(600);
/// A backlog this far past the aim is cut down to it.
const OVERFLOW: Duration = Duration::from_millis(300);
/// The usual packet's length, which the target includes.
const PACKET: Duration = Duration::from_millis(20);
/// Slack kept beyond the delay that 95 % of packets stay under (scheduling, drift).
const MARGIN: Duration = Duration::from_millis(10);
/// Played faster when the slack is this much (or a quarter) over the aim (a little more delay
/// than needed costs little)...
const SHORTEN_ABOVE: Duration = Duration::from_millis(20);
/// ...and slower as soon as it is this much under (too little costs concealment).
const LENGTHEN_BELOW: Duration = Duration::from_millis(1);
/// Concealing this long with nothing queued: the sender paused.
const MAX_CONCEAL: u64 = 9_600;
/// Comfort noise this long after a DTX packet with nothing more: the sender stopped.
const MAX_DTX: u64 = SAMPLE_RATE as u64;
/// Opus's DTX packets hold at most this many bytes.
const DTX_BYTES: usize = 2;
/// A loss makes the buffer wait one packet more, for FEC, for this long.
const LOSS_MEMORY: Duration = Duration::from_secs(10);
/// Timestamps this far back with sequence numbers going on: the sender restarted its stream.
const RESTART: u64 = 2 * SAMPLE_RATE as u64;
/// The most packets held (ten seconds of 20 ms packets).
const MAX_PACKETS: usize = 500;

/// One received RTP packet of an Opus stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioPacket {
    /// RTP sequence number.
    pub seq: u16,
    /// RTP timestamp (48 kHz).
    pub timestamp: u32,
    /// The payload as received (still encrypted, on Trygg's routes).
    pub payload: Bytes,
}

/// How a decoded packet is to be played.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stretch {
    /// As it is.
    None,
    /// A period shorter, to bring the delay down.
    Shorten,
    /// A period longer, to build the delay up.
    Lengthen,
}

/// What the buffer asks its owner to play next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Decode this packet and play it, stretched as said.
    Decode {
        /// The Opus packet.
        payload: Bytes,
        /// How to play it.
        stretch: Stretch,
    },
    /// The audio just before this packet was lost: rebuild `samples` of it from the packet's
    /// in-band FEC (Opus falls back to concealment when there is none). The packet itself is
    /// played by a later decision.
    Fec {
        /// The packet after the lost audio.
        payload: Bytes,
        /// How much was lost.
        samples: u32,
    },
    /// Nothing is here for this moment: extrapolate `samples` (Opus's loss concealment).
    Conceal {
        /// How much to conceal.
        samples: u32,
    },
    /// The sender is in DTX: `samples` of comfort noise (Opus makes it when asked to conceal
    /// after a DTX packet).
    ComfortNoise {
        /// How much.
        samples: u32,
    },
    /// Nothing to play (before the first packet, or the sender paused): `samples` of silence.
    Silence {
        /// How much.
        samples: u32,
    },
}

/// What became of an inserted packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    /// Queued to play.
    Queued,
    /// Its time was already played (concealed): dropped.
    Late,
    /// Already queued.
    Duplicate,
    /// Not an Opus packet (no table of contents, or an impossible one): dropped.
    Malformed,
    /// Empty (padding, as browsers send to probe bandwidth): nothing to play.
    Padding,
}

/// What the buffer did, for a participant's statistics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlayoutStats {
    /// Packets decoded and played.
    pub decoded: u64,
    /// Concealment decisions (about 20 ms each) for audio that was lost or came too late.
    pub concealed: u64,
    /// Lost packets rebuilt from the next packet's FEC.
    pub fec: u64,
    /// Comfort noise decisions (the sender in DTX).
    pub comfort_noise: u64,
    /// Packets played faster (a period taken out).
    pub accelerated: u64,
    /// Packets played slower (a period repeated).
    pub decelerated: u64,
    /// Packets that came after their time.
    pub late: u64,
    /// Packets received twice.
    pub duplicates: u64,
    /// Packets that were not Opus.
    pub malformed: u64,
    /// Packets cut from a backlog far past the target.
    pub flushed: u64,
}

struct Packet {
    seq: u64,
    samples: u64,
    payload: Bytes,
}

#[derive(Debug, Clone, Copy)]
struct Playhead {
    /// The timestamp of the next sample to play.
    ts: u64,
    /// The sequence number of the last packet played.
    last_seq: Option<u64>,
    /// Samples concealed (or comfort noise) since the last packet played.
    concealing: u64,
    /// Of those, the ones played while nothing was queued, without moving the playhead: when
    /// the next packet shows a gap, they have filled that much of it already.
    waited: u64,
    /// The last packet played was a DTX packet: silence until the sender speaks again.
    dtx: bool,
}

/// Turns 32-bit RTP timestamps into a monotonic 64-bit count.
#[derive(Debug, Default, Clone)]
struct TsUnwrapper {
    last: Option<u64>,
}

impl TsUnwrapper {
    fn unwrap(&mut self, ts: u32) -> u64 {
        let Some(last) = self.last else {
            let first = (1u64 << 32) + u64::from(ts); // room to go back below the first packet
            self.last = Some(first);
            return first;
        };
        let step = i64::from(ts.wrapping_sub(last as u32) as i32);
        let ext = last.saturating_add_signed(step);
        self.last = Some(last.max(ext));
        ext
    }
}

/// One participant's audio playout buffer.
pub struct JitterBuffer {
    seq: SeqUnwrapper,
    ts: TsUnwrapper,
    packets: BTreeMap<u64, Packet>,
    /// Samples in `packets`.
    queued: u64,
    delay: ArrivalDelay,
    head: Option<Playhead>,
    /// When the last loss was played.
    last_loss: Option<Duration>,
    /// The slack of the last packet played.
    played_slack: Duration,
    stats: PlayoutStats,
}

impl Default for JitterBuffer {
    fn default() -> Self {
        Self::new()
    }
}

fn duration(samples: u64) -> Duration {
    Duration::from_micros(samples.saturating_mul(1_000_000) / u64::from(SAMPLE_RATE))
}

impl JitterBuffer {
    /// An empty, idle buffer.
    pub fn new() -> Self {
        Self {
            seq: SeqUnwrapper::default(),
            ts: TsUnwrapper::default(),
            packets: BTreeMap::new(),
            queued: 0,
            delay: ArrivalDelay::new(FLOOR, START, CEILING),
            head: None,
            last_loss: None,
            played_slack: Duration::ZERO,
            stats: PlayoutStats::default(),
        }
    }

    /// Takes one RTP packet that arrived at `now`.
    pub fn insert(&mut self, seq: u16, ts: u32, payload: Bytes, now: Duration) -> Inserted {
        let seq = self.seq.unwrap(seq);
        if payload.is_empty() {
            return Inserted::Padding;
        }
        let ts = self.ts.unwrap(ts);
        let Some(len) = opus_toc::samples_48k(&payload).map(u64::from) else {
            self.stats.malformed += 1;
            return Inserted::Malformed;
        };
        if let Some(head) = self.head
            && ts + len <= head.ts
        {
            if head.ts - ts > RESTART && head.last_seq.is_some_and(|s| seq > s) {
                self.restart();
            } else {
                self.stats.late += 1;
                return Inserted::Late;
            }
        }
        if self.packets.contains_key(&ts) {
            self.stats.duplicates += 1;
            return Inserted::Duplicate;
        }
        if self.packets.len() >= MAX_PACKETS {
            self.stats.flushed += self.packets.len() as u64;
            self.packets.clear();
            self.queued = 0;
            self.head = None;
        }
        self.delay.observe(now, duration(ts), duration(len));
        self.queued += len;
        self.packets.insert(ts, Packet { seq, samples: len, payload });
        Inserted::Queued
    }

    /// Decides what to play next (called whenever the owner needs more audio).
    pub fn next(&mut self, now: Duration) -> Decision {
        let aim = self.aim(now);
        let mut head = match self.head {
            Some(h) => h,
            None => match self.start(now, aim) {
                Some(h) => h,
                None => return Decision::Silence { samples: FRAME },
            },
        };
        if self.slack(now, head.ts) > aim + OVERFLOW.as_micros() as i128 {
            self.cut_to(now, aim, &mut head);
        }
        let decision = self.decide(now, &mut head, aim);
        self.head = (!matches!(decision, Decision::Silence { .. })).then_some(head);
        decision
    }

    /// How long before `now` audio at `ts` would have arrived by the quickest path (µs): the
    /// most a packet for `ts` may have been delayed and still be here now.
    fn slack(&self, now: Duration, ts: u64) -> i128 {
        let media = i128::from(ts) * 1_000_000 / i128::from(SAMPLE_RATE);
        let quickest = self.delay.quickest_transit().unwrap_or(0);
        now.as_micros() as i128 - media - quickest
    }

    /// The slack to keep (µs): the delay that 95 % of packets stay under, and a margin; while
    /// packets are being lost, one packet more, so that the packet after a lost one is here in
    /// time for its FEC to rebuild it.
    fn aim(&self, now: Duration) -> i128 {
        let for_fec = self.last_loss.is_some_and(|t| now.saturating_sub(t) < LOSS_MEMORY);
        let aim = self.delay.target().saturating_sub(PACKET) + MARGIN + if for_fec { PACKET } else { Duration::ZERO };
        aim.as_micros() as i128
    }

    fn decide(&mut self, now: Duration, head: &mut Playhead, aim: i128) -> Decision {
        let Some((&ts, next)) = self.packets.first_key_value() else {
            // Nothing queued: the next packet is late, the sender is in DTX, or it paused.
            // Filling without moving the playhead lets a late packet still play when it comes
            // (the delay grows by what was filled, as it must when packets come later than it
            // allowed); if it turns out lost, the fill counts towards its gap.
            let limit = if head.dtx { MAX_DTX } else { MAX_CONCEAL };
            if head.concealing >= limit {
                return Decision::Silence { samples: FRAME };
            }
            head.concealing += u64::from(FRAME);
            head.waited += u64::from(FRAME);
            return if head.dtx {
                self.stats.comfort_noise += 1;
                Decision::ComfortNoise { samples: FRAME }
            } else {
                self.stats.concealed += 1;
                Decision::Conceal { samples: FRAME }
            };
        };
        let gap = ts.saturating_sub(head.ts);
        let in_sequence = head.last_seq.is_some_and(|s| next.seq == s + 1);
        if gap > 0 && !in_sequence {
            self.last_loss = Some(now);
        }
        let filled = std::mem::take(&mut head.waited).min(gap);
        head.ts += filled;
        let gap = gap - filled;
        if gap > 0 {
            if in_sequence {
                // The sender sent nothing for this time (DTX): no loss.
                let n = gap.min(u64::from(FRAME)).next_multiple_of(CONCEAL_STEP);
                head.ts += n;
                head.concealing += n;
                self.stats.comfort_noise += 1;
                return Decision::ComfortNoise { samples: n as u32 };
            }
            if gap <= next.samples && filled == 0 {
                let n = gap.next_multiple_of(CONCEAL_STEP);
                head.ts += n;
                head.concealing += n;
                self.stats.fec += 1;
                return Decision::Fec { payload: next.payload.clone(), samples: n as u32 };
            }
            let n = gap.min(u64::from(FRAME)).next_multiple_of(CONCEAL_STEP);
            head.ts += n;
            head.concealing += n;
            self.stats.concealed += 1;
            return Decision::Conceal { samples: n as u32 };
        }
        let slack = self.slack(now, ts);
        self.played_slack = Duration::from_micros(u64::try_from(slack).unwrap_or(0));
        let (_, p) = self.packets.pop_first().expect("a first packet");
        self.queued -= p.samples;
        head.ts = head.ts.max(ts + p.samples);
        head.last_seq = Some(p.seq);
        head.dtx = p.payload.len() <= DTX_BYTES;
        let just_concealed = std::mem::take(&mut head.concealing) > 0;
        let low = aim - LENGTHEN_BELOW.as_micros() as i128;
        let high = aim + (aim / 4).max(SHORTEN_ABOVE.as_micros() as i128);
        let stretch = if just_concealed || head.dtx {
            Stretch::None
        } else if slack > high && !self.packets.is_empty() {
            Stretch::Shorten
        } else if slack < low {
            Stretch::Lengthen
        } else {
            Stretch::None
        };
        self.stats.decoded += 1;
        Decision::Decode { payload: p.payload, stretch }
    }

    /// Idle: starts playing once the first packet has waited as long as a packet should.
    fn start(&mut self, now: Duration, aim: i128) -> Option<Playhead> {
        let (&ts, _) = self.packets.first_key_value()?;
        (self.slack(now, ts) >= aim).then_some(Playhead { ts, last_seq: None, concealing: 0, waited: 0, dtx: false })
    }

    /// A backlog far past the aim (a burst after an outage, a jump in the sender's
    /// timestamps): drops the packets that are overdue and moves the playhead to the first
    /// one kept.
    fn cut_to(&mut self, now: Duration, aim: i128, head: &mut Playhead) {
        let keep = aim + SHORTEN_ABOVE.as_micros() as i128;
        while self.packets.len() > 1
            && let Some((&ts, _)) = self.packets.first_key_value()
            && self.slack(now, ts) > keep
        {
            let (_, p) = self.packets.pop_first().expect("a first packet");
            self.queued -= p.samples;
            self.stats.flushed += 1;
        }
        if let Some((&ts, _)) = self.packets.first_key_value() {
            head.ts = head.ts.max(ts);
        }
        head.last_seq = None;
    }

    fn restart(&mut self) {
        self.stats.flushed += self.packets.len() as u64;
        self.packets.clear();
        self.queued = 0;
        self.head = None;
        self.delay = ArrivalDelay::new(FLOOR, self.delay.target(), CEILING);
    }

    /// The owner played a decision's audio `change` samples longer (positive) or shorter than
    /// the packet held (a stretch the audio allowed; none when it would have been heard).
    pub fn stretched(&mut self, change: i64) {
        match change.signum() {
            -1 => self.stats.accelerated += 1,
            1 => self.stats.decelerated += 1,
            _ => {}
        }
    }

    /// How much audio the buffer aims to hold.
    pub fn target(&self) -> Duration {
        self.delay.target()
    }

    /// How long the last packet played had been held beyond its quickest possible arrival: the
    /// delay the buffer adds (its owner's decoded samples come on top).
    pub fn delay(&self) -> Duration {
        self.played_slack
    }

    /// How much audio is queued now (not counting what the owner holds decoded).
    pub fn queued(&self) -> Duration {
        duration(self.queued)
    }

    /// The RTP timestamp of the next sample to be decided on, while playing.
    pub fn playhead(&self) -> Option<u32> {
        self.head.map(|h| h.ts as u32)
    }

    /// True while playing (not idle).
    pub fn playing(&self) -> bool {
        self.head.is_some()
    }

    /// What the buffer did so far.
    pub fn stats(&self) -> &PlayoutStats {
        &self.stats
    }
}

#[cfg(test)]
#[path = "jitter_buffer/tests.rs"]
mod tests;
