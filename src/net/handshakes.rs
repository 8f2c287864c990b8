//! TLS and WebSocket handshakes in flight, counted before a connection reaches the room server
//! (whose own limits start once it is connected): a flood of half-open connections from one
//! address, or from many, cannot take every descriptor and every task while the handshake
//! timeout runs.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// The limits and what is in flight.
#[derive(Clone)]
pub struct Handshakes {
    state: Arc<Mutex<State>>,
    max_total: usize,
    max_per_address: usize,
}

#[derive(Default)]
struct State {
    total: usize,
    per_address: HashMap<IpAddr, usize>,
}

/// One handshake's place; given back when dropped (the handshake ended, either way).
pub struct Permit {
    handshakes: Handshakes,
    ip: IpAddr,
}

impl Handshakes {
    /// At most `max_total` handshakes at once, and `max_per_address` from one address.
    pub fn new(max_total: usize, max_per_address: usize) -> Self {
        Self { state: Arc::default(), max_total, max_per_address }
    }

    /// A place for a handshake from `ip`, or None when a limit is reached. A trusted proxy
    /// (`per_address: false`) carries many clients' handshakes: only the total limits it.
    pub fn try_start(&self, ip: IpAddr, per_address: bool) -> Option<Permit> {
        let mut s = self.state.lock().ok()?;
        let from_ip = s.per_address.get(&ip).copied().unwrap_or(0);
        if s.total >= self.max_total || (per_address && from_ip >= self.max_per_address) {
            return None;
        }
        s.total += 1;
        s.per_address.insert(ip, from_ip + 1);
        Some(Permit { handshakes: self.clone(), ip })
    }

    /// Handshakes in flight.
    pub fn in_flight(&self) -> usize {
        self.state.lock().map(|s| s.total).unwrap_or(0)
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        if let Ok(mut s) = self.handshakes.state.lock() {
            s.total = s.total.saturating_sub(1);
            if let Some(n) = s.per_address.get_mut(&self.ip) {
                *n -= 1;
                if *n == 0 {
                    s.per_address.remove(&self.ip);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_hold_per_address_and_in_total_and_places_come_back() {
        let h = Handshakes::new(5, 2);
        let (a, b) = (IpAddr::from([192, 0, 2, 1]), IpAddr::from([192, 0, 2, 2]));
        let a1 = h.try_start(a, true).expect("first");
        let _a2 = h.try_start(a, true).expect("second");
        assert!(h.try_start(a, true).is_none(), "a third from one address");
        let bs: Vec<Permit> = (0..3).map(|_| h.try_start(b, true)).take_while(Option::is_some).flatten().collect();
        assert_eq!(bs.len(), 2);
        assert_eq!(h.in_flight(), 4);
        drop(a1);
        let _a3 = h.try_start(a, true).expect("a place came back");
        let c = IpAddr::from([192, 0, 2, 3]);
        let _c1 = h.try_start(c, true).expect("the fifth");
        assert!(h.try_start(IpAddr::from([192, 0, 2, 4]), true).is_none(), "the total is reached");
        let proxy = Handshakes::new(5, 2);
        let p = IpAddr::from([10, 0, 0, 1]);
        let held: Vec<Permit> = (0..5).filter_map(|_| proxy.try_start(p, false)).collect();
        assert_eq!(held.len(), 5, "a trusted proxy is limited by the total only");
    }
}
