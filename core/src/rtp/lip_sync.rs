//! Lip sync: when to show a participant's picture so that it meets the sound that goes with it.
//!
//! Each stream's RTCP sender reports tie its RTP timestamps to the sender's wall clock (NTP), so
//! a picture's timestamp names a moment on the sender's clock, and so does the audio being heard
//! (the earliest mapping of the recent reports: see [`StreamClock`]).
//! The audio playout says which audio timestamp is heard when, on this side's clock; the audio of
//! the picture's moment is heard that much later (or earlier), and the picture is shown then.
//! Audio usually comes out later than video (it waits in its playout buffer and in the speaker),
//! so pictures are held; a picture whose sound has already been heard is shown at once. Without
//! reports for both streams, or with no audio playing, pictures are shown as they come; a hold
//! longer than [`MAX_HOLD`] is not believed (a restarted stream, a report that lies) and the
//! picture is shown at once.
//!
//! Time is an argument.

use std::time::Duration;

/// The longest a picture is held for its sound.
pub const MAX_HOLD: Duration = Duration::from_millis(500);

/// Reports a stream's clock is taken from.
const REPORTS: usize = 16;
/// A report whose mapping differs from the others' by more than this starts the clock afresh
/// (the stream restarted with new timestamps, or the sender's clock jumped).
const RESTART: i128 = 500_000;

/// One stream's clock, from its recent sender reports.
///
/// A report says which RTP timestamp the stream was at when it was sent, extrapolated from the
/// last packet sent by the time since that packet was *sent* (RFC 3550 leaves the how to the
/// sender; libwebrtc and the `webrtc` crate do this). A picture's timestamp, though, names when
/// it was *captured*, and it is sent after its encoding and pacing: each report places the
/// stream's timestamps later on the sender's clock than they were by that delay, which varies
/// from report to report (5 to 70 ms for video on a busy machine). The earliest mapping among
/// the recent reports is the one least delayed, so that is the clock.
#[derive(Debug, Clone, PartialEq, Eq)]
struct StreamClock {
    /// The recent reports: (NTP time in µs, the RTP timestamp then), oldest first.
    reports: std::collections::VecDeque<(i128, u32)>,
    /// RTP ticks per second.
    rate: u32,
}

impl StreamClock {
    fn new(rate: u32) -> Self {
        Self { reports: std::collections::VecDeque::with_capacity(REPORTS), rate: rate.max(1) }
    }

    /// The sender's wall-clock time (µs) of RTP timestamp `ts` as report `(ntp_us, rtp)` has it.
    fn by(&self, (ntp_us, rtp): (i128, u32), ts: u32) -> i128 {
        let ticks = i128::from(ts.wrapping_sub(rtp) as i32);
        ntp_us + ticks * 1_000_000 / i128::from(self.rate)
    }

    /// The sender's wall-clock time (µs) of RTP timestamp `ts`: the earliest the reports give.
    fn sender_time(&self, ts: u32) -> Option<i128> {
        self.reports.iter().map(|&r| self.by(r, ts)).min()
    }

    fn report(&mut self, ntp_us: i128, rtp: u32) {
        if let Some(now) = self.sender_time(rtp)
            && (ntp_us - now).abs() > RESTART
        {
            self.reports.clear();
        }
        if self.reports.len() == REPORTS {
            self.reports.pop_front();
        }
        self.reports.push_back((ntp_us, rtp));
    }
}

/// NTP's 32.32 fixed point as µs.
fn ntp_us(ntp: u64) -> i128 {
    i128::from(ntp >> 32) * 1_000_000 + ((i128::from(ntp & 0xffff_ffff) * 1_000_000) >> 32)
}

/// One participant's lip sync.
#[derive(Debug, Clone)]
pub struct LipSync {
    audio: StreamClock,
    video: StreamClock,
    /// When (local µs) the audio of RTP timestamp `.1` is heard.
    heard: Option<(i128, u32)>,
}

impl Default for LipSync {
    fn default() -> Self {
        Self { audio: StreamClock::new(48_000), video: StreamClock::new(90_000), heard: None }
    }
}

impl LipSync {
    /// A sender report of the participant's audio (48 kHz timestamps).
    pub fn audio_report(&mut self, ntp: u64, rtp: u32) {
        self.audio.report(ntp_us(ntp), rtp);
    }

    /// A sender report of the participant's camera (90 kHz timestamps).
    pub fn video_report(&mut self, ntp: u64, rtp: u32) {
        self.video.report(ntp_us(ntp), rtp);
    }

    /// The audio of timestamp `ts` is heard at `at` (local time); None: no audio is playing.
    pub fn audio_heard(&mut self, heard: Option<(Duration, u32)>) {
        self.heard = heard.map(|(at, ts)| (at.as_micros() as i128, ts));
    }

    /// When to show a picture of timestamp `ts` that is ready at `now`: `now` or later, by at
    /// most [`MAX_HOLD`].
    pub fn show_at(&self, ts: u32, now: Duration) -> Duration {
        self.hold(ts, now).map_or(now, |h| now + h)
    }

    /// How long a picture ready at `now` should wait for its sound, when that can be told.
    pub fn hold(&self, ts: u32, now: Duration) -> Option<Duration> {
        let (heard_at, heard_ts) = self.heard?;
        let picture = self.video.sender_time(ts)?;
        let sound = self.audio.sender_time(heard_ts)?;
        let due = heard_at + (picture - sound);
        let wait = due - now.as_micros() as i128;
        if wait > MAX_HOLD.as_micros() as i128 {
            return None;
        }
        Some(Duration::from_micros(u64::try_from(wait).unwrap_or(0)))
    }

    /// How far the picture of timestamp `ts`, shown at `shown`, is ahead of its sound (ms;
    /// negative: behind), when that can be told: what the meeting reports as the offset.
    pub fn offset_ms(&self, ts: u32, shown: Duration) -> Option<f64> {
        let (heard_at, heard_ts) = self.heard?;
        let due = heard_at + (self.video.sender_time(ts)? - self.audio.sender_time(heard_ts)?);
        Some((due - shown.as_micros() as i128) as f64 / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    /// NTP of `secs` seconds and `us` µs.
    fn ntp(secs: u64, us: u64) -> u64 {
        (secs << 32) | ((us << 32) / 1_000_000)
    }

    /// Reports taken at the sender's second 1000: audio at timestamp 48 000 (random offsets
    /// differ per stream), video at 7 000 000.
    fn synced() -> LipSync {
        let mut s = LipSync::default();
        s.audio_report(ntp(1000, 0), 48_000);
        s.video_report(ntp(1000, 0), 7_000_000);
        s
    }

    #[test]
    fn a_picture_waits_for_its_sound_to_be_heard() {
        let mut s = synced();
        // The audio of sender time 1000.5 s (timestamp 72 000) is heard at local 20 s.
        s.audio_heard(Some((Duration::from_secs(20), 72_000)));
        // The picture of sender time 1000.6 s (video timestamp +54 000) is ready at local 19.95 s:
        // its sound is heard at 20.1 s, so it waits 150 ms.
        let ready = Duration::from_millis(19_950);
        assert_eq!(s.show_at(7_054_000, ready), Duration::from_millis(20_100));
        assert_eq!(s.offset_ms(7_054_000, ready), Some(150.0));
        // A picture whose sound was heard already is shown at once.
        assert_eq!(s.show_at(7_000_000, ready), ready);
        assert_eq!(s.hold(7_000_000, ready), Some(Duration::ZERO));
    }

    #[test]
    fn timestamps_that_wrap_are_still_in_sync() {
        let mut s = LipSync::default();
        s.audio_report(ntp(5, 0), u32::MAX - 100);
        s.video_report(ntp(5, 0), u32::MAX - 900);
        // 100 ms on: both timestamps have wrapped.
        s.audio_heard(Some((Duration::from_secs(1), (u32::MAX - 100).wrapping_add(4_800))));
        assert_eq!(
            s.show_at((u32::MAX - 900).wrapping_add(9_000), Duration::from_secs(1) - 40 * MS),
            Duration::from_secs(1)
        );
    }

    #[test]
    fn without_both_reports_or_audio_or_with_an_absurd_hold_pictures_go_at_once() {
        let now = Duration::from_secs(3);
        let mut s = LipSync::default();
        assert_eq!(s.show_at(1, now), now);
        s.audio_report(ntp(1, 0), 0);
        s.audio_heard(Some((now, 0)));
        assert_eq!(s.show_at(1, now), now, "no video report");
        let mut s = synced();
        assert_eq!(s.show_at(7_000_000, now), now, "no audio heard");
        s.audio_heard(Some((now, 48_000)));
        // A picture 10 s ahead of what is heard: not believed.
        assert_eq!(s.show_at(7_900_000, now), now);
        s.audio_heard(None);
        assert_eq!(s.hold(7_000_000, now), None);
    }

    #[test]
    fn reports_late_by_each_pictures_encoding_still_give_the_capture_clock() {
        // The sender's camera: timestamp 7 000 000 + 90 a ms from its second 1000. Each report,
        // a second apart, extrapolates from the last picture *sent*, 5 to 70 ms after it was
        // captured: its timestamp reads that much behind the true one.
        let delays_ms = [40u64, 12, 70, 5, 33, 61, 18, 9, 52, 27];
        let mut s = LipSync::default();
        s.audio_report(ntp(1000, 0), 48_000);
        s.audio_heard(Some((Duration::from_secs(20), 48_000 + 48 * 10_000)));
        for (i, d) in delays_ms.iter().enumerate() {
            let at_ms = 1_000 * (i as u64 + 1);
            let rtp = 7_000_000 + 90 * (at_ms - d) as u32;
            s.video_report(ntp(1000 + i as u64 + 1, 0), rtp);
            // Audio reports are on time.
            s.audio_report(ntp(1000 + i as u64 + 1, 0), 48_000 + 48 * at_ms as u32);
            // The picture captured at the sender's 1010 s is due when the audio of 1010 s is
            // heard (local 20 s): the earliest mapping so far is off by the least delay so far.
            let least = delays_ms[..=i].iter().min().unwrap();
            let due = s.show_at(7_000_000 + 90 * 10_000, Duration::from_millis(19_900));
            assert_eq!(due, Duration::from_secs(20) + Duration::from_millis(*least), "after {} reports", i + 1);
        }
    }

    #[test]
    fn a_stream_that_restarts_its_timestamps_is_followed_at_once() {
        let mut s = synced();
        s.audio_heard(Some((Duration::from_secs(20), 72_000)));
        let ready = Duration::from_millis(19_950);
        assert_eq!(s.show_at(7_054_000, ready), Duration::from_millis(20_100));
        // The camera restarts with new timestamps: the old reports are forgotten, not mixed in.
        s.video_report(ntp(1001, 0), 100);
        assert_eq!(s.show_at(100u32.wrapping_sub(36_000), ready), Duration::from_millis(20_100));
    }
}
