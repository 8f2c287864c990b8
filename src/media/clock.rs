//! Where capture timestamps come from.
//!
//! Live sources stamp frames with the wall clock, in microseconds since the Unix epoch, so that two
//! processes on one machine (a host and a joiner in a test, say) can compare timestamps. Tests use
//! [`VirtualClock`], on which "sleeping" only moves time forward: a minute of synthetic media is made
//! in milliseconds with exactly the timestamps a real minute would give.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A source of "now" that sources can also wait on.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Microseconds since the Unix epoch.
    fn now_us(&self) -> u64;
    /// Returns once `now_us() >= t` (at once if that is already so).
    fn sleep_until_us(&self, t: u64);
}

/// The shared handle sources keep.
pub type SharedClock = Arc<dyn Clock>;

/// The machine's wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl SystemClock {
    /// A shareable system clock.
    pub fn shared() -> SharedClock {
        Arc::new(SystemClock)
    }
}

/// Microseconds since the Unix epoch by the wall clock.
pub fn wall_clock_us() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_micros() as u64).unwrap_or(0)
}

impl Clock for SystemClock {
    fn now_us(&self) -> u64 {
        wall_clock_us()
    }

    fn sleep_until_us(&self, t: u64) {
        loop {
            let now = self.now_us();
            if now >= t {
                return;
            }
            std::thread::sleep(Duration::from_micros(t - now));
        }
    }
}

/// A clock that only moves when waited on (or advanced by hand).
#[derive(Debug, Default)]
pub struct VirtualClock {
    now: AtomicU64,
}

impl VirtualClock {
    /// A virtual clock starting at `start_us`.
    pub fn new(start_us: u64) -> Arc<Self> {
        Arc::new(Self { now: AtomicU64::new(start_us) })
    }

    /// Moves time forward by `us`.
    pub fn advance_us(&self, us: u64) {
        self.now.fetch_add(us, Ordering::SeqCst);
    }
}

impl Clock for VirtualClock {
    fn now_us(&self) -> u64 {
        self.now.load(Ordering::SeqCst)
    }

    fn sleep_until_us(&self, t: u64) {
        self.now.fetch_max(t, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_clock_jumps_forward_and_never_back() {
        let c = VirtualClock::new(1_000);
        c.sleep_until_us(5_000);
        assert_eq!(c.now_us(), 5_000);
        c.sleep_until_us(2_000);
        assert_eq!(c.now_us(), 5_000);
        c.advance_us(10);
        assert_eq!(c.now_us(), 5_010);
    }

    #[test]
    fn system_clock_is_after_2024_and_sleeps() {
        let c = SystemClock;
        let t0 = c.now_us();
        assert!(t0 > 1_700_000_000_000_000);
        c.sleep_until_us(t0 + 2_000);
        assert!(c.now_us() >= t0 + 2_000);
    }
}
