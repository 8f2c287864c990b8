//! The figures of one call through the impaired link, from Trygg's JSON statistics or from
//! Chromium's `getStats()` (as `chromium_network.mjs` prints them), in the same shape.

use serde::Serialize;
use serde_json::Value;

use super::Scenario;
use crate::media::stats::median;

/// Seconds at the start of a call left out of the medians (the estimators start).
const WARM_UP: usize = 2;

/// One second of a call.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Second {
    /// What the sender put on the link toward the receiver (kbit/s).
    pub sent_kbps: f64,
    /// The sender's estimate of the link (kbit/s).
    pub estimate_kbps: Option<f64>,
    /// Pictures the receiver decoded.
    pub decoded: u64,
    /// Height of the receiver's last picture.
    pub height: Option<u32>,
    /// Share of the receiver's audio that was concealed (percent).
    pub concealed_pct: Option<f64>,
    /// The 95th percentile of the queueing delay on the way (ms; Trygg only).
    pub queue_delay_ms: Option<f64>,
    /// What held the sender's picture back (Chromium's `qualityLimitationReason`: bandwidth,
    /// cpu or none).
    pub limited_by: Option<String>,
}

/// One call's figures.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Figures {
    /// Sent after the first two seconds: median, 95th percentile and most in one second (kbit/s).
    pub sent_median_kbps: f64,
    /// The 95th percentile of the seconds (kbit/s).
    pub sent_p95_kbps: f64,
    /// The most in one second (kbit/s).
    pub sent_max_kbps: f64,
    /// The median against the link's rate (None: unlimited).
    pub median_of_link: Option<f64>,
    /// The most in one second against the link's rate.
    pub max_of_link: Option<f64>,
    /// Pictures decoded a second, over the whole call.
    pub fps: f64,
    /// The receiver's median picture height after the first two seconds.
    pub median_height: Option<u32>,
    /// Audio concealed, percent of what was due after the first two seconds.
    pub concealed_pct: Option<f64>,
    /// The median of each second's queueing-delay p95 (ms).
    pub queue_delay_median_ms: Option<f64>,
    /// The worst second's queueing-delay p95 (ms).
    pub queue_delay_max_ms: Option<f64>,
    /// After an outage: from the link's return to the end of the first second in which a
    /// picture was decoded (s; at the statistics' one-second resolution).
    pub picture_after_outage_s: Option<f64>,
    /// What held the sender's picture back in most measured seconds (Chromium only).
    pub limited_by: Option<String>,
    /// Every second.
    pub seconds: Vec<Second>,
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    sorted.get(((sorted.len() as f64 * q) as usize).min(sorted.len().saturating_sub(1))).copied().unwrap_or(0.0)
}

/// Figures from the seconds of a call; `ends_at[i]`: when second `i` ended, in seconds from
/// the moment the outage's clock started.
fn summarise(seconds: Vec<Second>, ends_at: &[f64], s: &Scenario) -> Result<Figures, String> {
    if seconds.len() <= WARM_UP + 1 {
        return Err(format!("the call ran {} s: too short to measure", seconds.len()));
    }
    let measured = &seconds[WARM_UP..];
    let mut sent: Vec<f64> = measured.iter().map(|x| x.sent_kbps).collect();
    sent.sort_by(f64::total_cmp);
    let rate = s.rate_kbit.map(f64::from);
    let decoded: u64 = seconds.iter().map(|x| x.decoded).sum();
    let heights = median(measured.iter().filter_map(|x| x.height.map(f64::from)));
    let concealed: Vec<f64> = measured.iter().filter_map(|x| x.concealed_pct).collect();
    let queue: Vec<f64> = measured.iter().filter_map(|x| x.queue_delay_ms).collect();
    let picture_after_outage_s = s.outage.and_then(|(at, secs)| {
        let up = at + secs;
        seconds.iter().zip(ends_at).find(|(x, end)| **end > up && x.decoded > 0).map(|(_, end)| end - up)
    });
    let mut reasons: Vec<&str> = measured.iter().filter_map(|x| x.limited_by.as_deref()).collect();
    reasons.sort_unstable();
    let limited_by = reasons
        .chunk_by(|a, b| a == b)
        .max_by_key(|run| run.len())
        .and_then(|run| run.first())
        .map(|r| (*r).to_owned());
    Ok(Figures {
        limited_by,
        sent_median_kbps: quantile(&sent, 0.5),
        sent_p95_kbps: quantile(&sent, 0.95),
        sent_max_kbps: sent.last().copied().unwrap_or(0.0),
        median_of_link: rate.map(|r| quantile(&sent, 0.5) / r),
        max_of_link: rate.map(|r| sent.last().copied().unwrap_or(0.0) / r),
        fps: decoded as f64 / seconds.len() as f64,
        median_height: heights.map(|h| h as u32),
        concealed_pct: (!concealed.is_empty()).then(|| concealed.iter().sum::<f64>() / concealed.len() as f64),
        queue_delay_median_ms: median(queue.iter().copied()),
        queue_delay_max_ms: queue.iter().copied().reduce(f64::max),
        picture_after_outage_s,
        seconds,
    })
}

/// The first peer's statistics in each `stats` line that has one, with the line's time.
fn peer_stats(lines: &[(f64, Value)]) -> Vec<(f64, &Value)> {
    lines.iter().filter(|(_, v)| v["type"] == "stats").filter_map(|(t, v)| v["peers"].get(0).map(|p| (*t, p))).collect()
}

/// Trygg's figures: what the host sent (its `stats` lines) and what the guest decoded and
/// played (its `stats` lines, each with when it was printed, in seconds from the guest's start,
/// when the outage's clock started).
pub fn trygg(host: &[Value], guest: &[(f64, Value)], s: &Scenario) -> Result<Figures, String> {
    let host: Vec<(f64, Value)> = host.iter().map(|v| (0.0, v.clone())).collect();
    let (host, guest) = (peer_stats(&host), peer_stats(guest));
    if host.len() < 2 || guest.len() < 2 {
        return Err("the call did not connect".into());
    }
    let n = (host.len() - 1).min(guest.len() - 1);
    let u = |v: &Value, k: &str| v[k].as_u64().unwrap_or(0);
    let mut seconds = Vec::with_capacity(n);
    let mut ends_at = Vec::with_capacity(n);
    for i in 0..n {
        let ((_, h0), (_, h1)) = (host[i], host[i + 1]);
        let ((_, g0), (t1, g1)) = (guest[i], guest[i + 1]);
        let sent = u(&h1["link"], "bytes_sent").saturating_sub(u(&h0["link"], "bytes_sent"));
        let concealed = u(&g1["audio_playout"], "concealed").saturating_sub(u(&g0["audio_playout"], "concealed"));
        seconds.push(Second {
            sent_kbps: sent as f64 * 8.0 / 1000.0,
            estimate_kbps: h1["link"]["estimate_kbps"].as_f64(),
            decoded: u(g1, "frames_decoded").saturating_sub(u(g0, "frames_decoded")),
            height: g1["height"].as_u64().filter(|h| *h > 0).map(|h| h as u32),
            // Each concealed stretch is 20 ms of the second's 1000.
            concealed_pct: Some((concealed as f64 * 2.0).min(100.0)),
            queue_delay_ms: h1["link"]["queue_delay_ms"].as_f64(),
            limited_by: None,
        });
        ends_at.push(t1);
    }
    summarise(seconds, &ends_at, s)
}

/// Chromium's figures from `chromium_network.mjs`'s lines (one a second; `t` seconds from its
/// start, when the outage's clock started).
pub fn chromium(lines: &[Value], s: &Scenario) -> Result<Figures, String> {
    let rows: Vec<&Value> = lines.iter().filter(|v| v["t"].is_number()).collect();
    if rows.iter().all(|r| r["connection"] != "connected") {
        return Err("the Chromium peers did not connect".into());
    }
    let seconds: Vec<Second> = rows
        .iter()
        .map(|r| Second {
            sent_kbps: r["sent_kbps"].as_f64().unwrap_or(0.0),
            estimate_kbps: r["estimate_kbps"].as_f64(),
            decoded: r["decoded"].as_u64().unwrap_or(0),
            height: r["recv_height"].as_u64().map(|h| h as u32),
            concealed_pct: r["concealed_pct"].as_f64(),
            queue_delay_ms: None,
            limited_by: r["limited_by"].as_str().map(str::to_owned),
        })
        .collect();
    let ends_at: Vec<f64> = rows.iter().map(|r| r["t"].as_f64().unwrap_or(0.0)).collect();
    summarise(seconds, &ends_at, s)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn stats(bytes_sent: u64, decoded: u64, concealed: u64) -> Value {
        json!({"type": "stats", "peers": [{
            "link": {"bytes_sent": bytes_sent, "estimate_kbps": 400.0, "queue_delay_ms": 12.0},
            "frames_decoded": decoded, "height": 360, "audio_playout": {"concealed": concealed}
        }]})
    }

    #[test]
    fn trygg_seconds_are_the_differences_of_its_totals_and_the_outage_is_timed_from_the_link_up() {
        // 62 500 bytes a second = 500 kbit/s; the guest decodes 30 a second but none in seconds
        // 5 and 6 (an outage from 4 s to 6 s), conceals one 20 ms stretch in second 3.
        let host: Vec<Value> = (0..10).map(|i| stats(i * 62_500, 0, 0)).collect();
        let decoded = [0, 30, 60, 90, 120, 120, 120, 150, 180, 210];
        let concealed = [0, 0, 0, 1, 1, 1, 1, 1, 1, 1];
        let guest: Vec<(f64, Value)> = (0..10).map(|i| (i as f64 + 0.5, stats(0, decoded[i], concealed[i]))).collect();
        let s = Scenario::new("x", Some(1_000), 0, Some((4.0, 2.0)));
        let f = trygg(&host, &guest, &s).unwrap();
        assert_eq!(f.seconds.len(), 9);
        assert_eq!(f.sent_median_kbps, 500.0);
        assert_eq!(f.median_of_link, Some(0.5));
        assert_eq!(f.fps, 210.0 / 9.0);
        assert_eq!(f.median_height, Some(360));
        assert_eq!(f.seconds[2].concealed_pct, Some(2.0));
        // Link up at 6 s; the first decoding second after it ends at 7.5 s.
        assert_eq!(f.picture_after_outage_s, Some(1.5));
        assert_eq!(f.queue_delay_median_ms, Some(12.0));
    }

    #[test]
    fn a_call_that_did_not_connect_or_ran_too_short_has_no_figures() {
        let s = Scenario::new("x", None, 0, None);
        assert!(trygg(&[stats(0, 0, 0)], &[], &s).is_err());
        let rows: Vec<Value> = (1..3).map(|t| json!({"t": t, "connection": "connected", "sent_kbps": 1.0})).collect();
        assert!(chromium(&rows, &s).is_err(), "two seconds are too few");
        let rows: Vec<Value> = (1..9).map(|t| json!({"t": t, "connection": "new"})).collect();
        assert_eq!(chromium(&rows, &s).unwrap_err(), "the Chromium peers did not connect");
    }

    #[test]
    fn scenarios_are_read_from_rate_loss_and_outage() {
        let s = Scenario::parse("2500,loss=5,outage=8:2").unwrap();
        assert_eq!((s.rate_kbit, s.loss_pct, s.outage), (Some(2_500), 5, Some((8.0, 2.0))));
        assert_eq!(Scenario::parse("0").unwrap().rate_kbit, None);
        for bad in ["", "fast", "500,loss=101", "500,outage=8", "500,outage=-1:2", "500,jitter=5"] {
            assert!(Scenario::parse(bad).is_err(), "{bad}");
        }
    }
}
