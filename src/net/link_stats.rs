//! A link's numbers, pulled out of webrtc's W3C stats report.

use serde::Serialize;
use webrtc::peer_connection::{RTCIceCandidateType, RTCStatsReport, RTCStatsReportEntry};

/// What the meeting shows and prints about one peer connection.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LinkStats {
    /// Round-trip time on the selected candidate pair (STUN consent checks), ms.
    pub rtt_ms: Option<f64>,
    /// Bytes sent in RTP (audio and video).
    pub bytes_sent: u64,
    /// Bytes received in RTP.
    pub bytes_received: u64,
    /// Packets received.
    pub packets_received: u64,
    /// Packets lost, as the receiver counts them.
    pub packets_lost: i64,
    /// Kind of the local candidate in use: host, srflx, prflx or relay.
    pub local_candidate: Option<String>,
    /// Kind of the remote candidate in use.
    pub remote_candidate: Option<String>,
    /// What this link's congestion control estimates it carries from us (everything sent on
    /// it: media, retransmissions), kbit/s.
    pub estimate_kbps: Option<f64>,
    /// How long our packets wait in queues on the way (95th percentile over the last second,
    /// from the congestion feedback), ms.
    pub queue_delay_ms: Option<f64>,
}

fn kind(t: RTCIceCandidateType) -> String {
    match t {
        RTCIceCandidateType::Host => "host",
        RTCIceCandidateType::Srflx => "srflx",
        RTCIceCandidateType::Prflx => "prflx",
        RTCIceCandidateType::Relay => "relay",
        _ => "unknown",
    }
    .into()
}

impl LinkStats {
    /// Summarises a report.
    pub fn from_report(report: &RTCStatsReport) -> Self {
        let mut s = Self::default();
        let mut selected = None;
        for e in report.iter() {
            match e {
                RTCStatsReportEntry::Transport(t) if !t.selected_candidate_pair_id.is_empty() => {
                    selected = Some(t.selected_candidate_pair_id.clone());
                }
                RTCStatsReportEntry::InboundRtp(i) => {
                    s.bytes_received += i.bytes_received;
                    s.packets_received += i.received_rtp_stream_stats.packets_received;
                    s.packets_lost += i.received_rtp_stream_stats.packets_lost;
                }
                RTCStatsReportEntry::OutboundRtp(o) => s.bytes_sent += o.sent_rtp_stream_stats.bytes_sent,
                _ => {}
            }
        }
        let pair = report.iter().find_map(|e| match e {
            RTCStatsReportEntry::IceCandidatePair(p) if Some(&p.stats.id) == selected.as_ref() => Some(p),
            _ => None,
        });
        if let Some(p) = pair {
            if p.current_round_trip_time > 0.0 {
                s.rtt_ms = Some(p.current_round_trip_time * 1000.0);
            }
            // The pair names its candidates without the type prefix their own ids carry
            // ("candidate:…" vs "RTCLocalIceCandidate_candidate:…"), so match on the end.
            for e in report.iter() {
                match e {
                    RTCStatsReportEntry::LocalCandidate(c) if c.stats.id.ends_with(&p.local_candidate_id) => {
                        s.local_candidate = Some(kind(c.candidate_type));
                    }
                    RTCStatsReportEntry::RemoteCandidate(c) if c.stats.id.ends_with(&p.remote_candidate_id) => {
                        s.remote_candidate = Some(kind(c.candidate_type));
                    }
                    _ => {}
                }
            }
        }
        s
    }
}
