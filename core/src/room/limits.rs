//! Limits the server enforces as protocol decisions, and the knobs of both state machines.
//!
//! Rate limits are token buckets on the virtual clock: a bucket holds up to `burst` tokens, each
//! attempt takes one, and one token comes back every `refill_every`. Buckets are kept per peer
//! address (IPv6 per /64, since one host usually owns a whole /64) and dropped as soon as they are
//! full again, so an address is remembered only while it is being limited.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

use super::proto::DEFAULT_MAX_MESSAGE_SIZE;

/// A token bucket's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Tokens when full: how many attempts may come at once.
    pub burst: u32,
    /// One token comes back per this much time. Zero means unlimited.
    pub refill_every: Duration,
}

/// One bucket: tokens left and when it was last topped up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenBucket {
    tokens: u32,
    updated: Duration,
}

impl TokenBucket {
    /// A full bucket.
    pub fn full(limit: RateLimit, now: Duration) -> Self {
        Self { tokens: limit.burst, updated: now }
    }

    fn refill(&mut self, limit: RateLimit, now: Duration) {
        if now <= self.updated || limit.refill_every.is_zero() {
            return;
        }
        let earned = (now - self.updated).as_nanos() / limit.refill_every.as_nanos();
        if earned == 0 {
            return;
        }
        let tokens = u128::from(self.tokens) + earned;
        if tokens >= u128::from(limit.burst) {
            self.tokens = limit.burst;
            self.updated = now;
        } else {
            self.tokens = tokens as u32; // < burst, so it fits
            // Keep the fraction of a token already earned: advance by whole periods only.
            self.updated += limit.refill_every * earned as u32;
        }
    }

    /// Takes a token if there is one.
    pub fn try_take(&mut self, limit: RateLimit, now: Duration) -> bool {
        if limit.refill_every.is_zero() {
            return true;
        }
        self.refill(limit, now);
        if self.tokens == 0 {
            return false;
        }
        self.tokens -= 1;
        true
    }

    /// Whether the bucket is full at `now` (and so need not be remembered).
    pub fn is_full(&mut self, limit: RateLimit, now: Duration) -> bool {
        self.refill(limit, now);
        self.tokens >= limit.burst
    }
}

/// Token buckets per peer address.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    limit: RateLimit,
    buckets: HashMap<IpAddr, TokenBucket>,
}

impl RateLimiter {
    /// No buckets yet.
    pub fn new(limit: RateLimit) -> Self {
        Self { limit, buckets: HashMap::new() }
    }

    /// Takes a token from the address's bucket; false when it is empty.
    pub fn try_take(&mut self, ip: IpAddr, now: Duration) -> bool {
        let limit = self.limit;
        self.buckets.entry(bucket_key(ip)).or_insert_with(|| TokenBucket::full(limit, now)).try_take(limit, now)
    }

    /// Forgets every bucket that is full again.
    pub fn sweep(&mut self, now: Duration) {
        let limit = self.limit;
        self.buckets.retain(|_, b| !b.is_full(limit, now));
    }

    /// How many addresses are remembered.
    pub fn len(&self) -> usize {
        self.buckets.len()
    }

    /// Whether no address is remembered.
    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }
}

/// The key an address is limited under: IPv4 as is, IPv6 by its /64 (IPv4-mapped IPv6 as IPv4).
pub fn bucket_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// The signalling server's limits and timers. The defaults meet the requirements: a peer that
/// vanishes without closing its socket is reported away within `idle_timeout + tick` = 8.5 s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// Largest message accepted, in bytes; larger closes the connection with 1009.
    pub max_message_size: usize,
    /// New connections per address.
    pub connect_rate: RateLimit,
    /// Knocks and creations (`knock`, `create`, `recreate`) per address.
    pub knock_rate: RateLimit,
    /// Messages one member may send (signals, hands, host commands): beyond it they are refused
    /// with `room.rate_limited` and relayed to nobody.
    pub member_rate: RateLimit,
    /// How often the server pings each connection.
    pub ping_interval: Duration,
    /// A connection that sent nothing (not even a pong) for this long is closed.
    pub idle_timeout: Duration,
    /// How long a knock may wait in the lobby.
    pub knock_expiry: Duration,
    /// How long an away member keeps its seat for `resume` (and a recreated roster for `rejoin`).
    pub resume_grace: Duration,
    /// Members per meeting, away ones included.
    pub max_members: usize,
    /// Knocks waiting per meeting.
    pub max_lobby: usize,
    /// Resolution of all timers: `poll_timeout` asks to be woken this often while there is state.
    pub tick: Duration,
    /// The TURN servers handed to members, with credentials made for each (none by default).
    pub turn: Option<crate::room::turn::TurnConfig>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            // Generous bursts: a whole office behind one NAT address joins the all-hands at 10:00.
            connect_rate: RateLimit { burst: 60, refill_every: Duration::from_millis(200) },
            knock_rate: RateLimit { burst: 30, refill_every: Duration::from_millis(500) },
            member_rate: RateLimit { burst: 200, refill_every: Duration::from_millis(10) },
            ping_interval: Duration::from_secs(3),
            idle_timeout: Duration::from_secs(8),
            knock_expiry: Duration::from_secs(10 * 60),
            resume_grace: Duration::from_secs(30),
            max_members: 100,
            max_lobby: 100,
            tick: Duration::from_millis(500),
            turn: None,
        }
    }
}

/// A client's timers and limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// Largest server message accepted (a `joined` of a full meeting is a few KiB).
    pub max_message_size: usize,
    /// With no message from the server (it pings every 3 s) for this long, the client reports
    /// `Reconnecting` so the runtime replaces a half-open socket.
    pub server_silence_timeout: Duration,
    /// While rejoining after a server restart, how often to try again.
    pub rejoin_retry: Duration,
    /// The member ranked k-th in succession recreates the meeting itself after k times this,
    /// if no one ranked before it has.
    pub recreate_stagger: Duration,
    /// A knocker that lost its connection in the lobby knocks again; for this long after, "no
    /// such meeting" means the server restarted and the members have not recreated the meeting
    /// yet, so it retries every `rejoin_retry` instead of giving up.
    pub reknock_window: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            max_message_size: 4 * DEFAULT_MAX_MESSAGE_SIZE,
            server_silence_timeout: Duration::from_secs(10),
            rejoin_retry: Duration::from_secs(1),
            recreate_stagger: Duration::from_secs(3),
            reknock_window: Duration::from_secs(30),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: RateLimit = RateLimit { burst: 3, refill_every: Duration::from_secs(1) };

    fn s(x: f64) -> Duration {
        Duration::from_secs_f64(x)
    }

    #[test]
    fn bucket_allows_a_burst_then_one_per_period() {
        let mut b = TokenBucket::full(LIMIT, s(0.0));
        assert!((0..3).all(|_| b.try_take(LIMIT, s(0.0))));
        assert!(!b.try_take(LIMIT, s(0.0)));
        assert!(!b.try_take(LIMIT, s(0.9)));
        assert!(b.try_take(LIMIT, s(1.0)));
        assert!(!b.try_take(LIMIT, s(1.5)));
    }

    #[test]
    fn bucket_keeps_fractions_of_a_period() {
        let mut b = TokenBucket::full(LIMIT, s(0.0));
        (0..3).for_each(|_| assert!(b.try_take(LIMIT, s(0.0))));
        assert!(b.try_take(LIMIT, s(1.5)), "one token earned");
        assert!(b.try_take(LIMIT, s(2.0)), "the half period before counts towards the next");
        assert!(!b.try_take(LIMIT, s(2.5)));
    }

    #[test]
    fn bucket_never_holds_more_than_its_burst() {
        let mut b = TokenBucket::full(LIMIT, s(0.0));
        assert!(b.try_take(LIMIT, s(0.0)));
        assert!(b.is_full(LIMIT, s(100.0)));
        assert!((0..3).all(|_| b.try_take(LIMIT, s(100.0))));
        assert!(!b.try_take(LIMIT, s(100.0)));
    }

    #[test]
    fn zero_period_is_unlimited() {
        let unlimited = RateLimit { burst: 0, refill_every: Duration::ZERO };
        let mut b = TokenBucket::full(unlimited, s(0.0));
        assert!((0..1000).all(|_| b.try_take(unlimited, s(0.0))));
    }

    #[test]
    fn limiter_separates_addresses_and_forgets_full_buckets() {
        let mut l = RateLimiter::new(LIMIT);
        let a: IpAddr = "192.0.2.1".parse().expect("ip");
        let b: IpAddr = "192.0.2.2".parse().expect("ip");
        assert!((0..3).all(|_| l.try_take(a, s(0.0))));
        assert!(!l.try_take(a, s(0.0)));
        assert!(l.try_take(b, s(0.0)), "another address has its own bucket");
        assert_eq!(l.len(), 2);
        l.sweep(s(1.0));
        assert_eq!(l.len(), 1, "b is full again and forgotten; a is still short");
        l.sweep(s(3.0));
        assert!(l.is_empty());
    }

    #[test]
    fn ipv6_is_limited_per_64_and_mapped_ipv4_as_ipv4() {
        let a: IpAddr = "2001:db8:1:2::1".parse().expect("ip");
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().expect("ip");
        let c: IpAddr = "2001:db8:1:3::1".parse().expect("ip");
        assert_eq!(bucket_key(a), bucket_key(b));
        assert_ne!(bucket_key(a), bucket_key(c));
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().expect("ip");
        assert_eq!(bucket_key(mapped), "192.0.2.1".parse::<IpAddr>().expect("ip"));
    }

    #[test]
    fn defaults_report_a_vanished_peer_within_ten_seconds() {
        let c = ServerConfig::default();
        assert!(c.ping_interval < c.idle_timeout);
        assert!(c.idle_timeout + c.tick <= Duration::from_secs(10));
        assert_eq!(c.knock_expiry, Duration::from_secs(600));
    }
}
