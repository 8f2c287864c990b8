//! TURN without per-user setup: the signalling server hands each member short-lived TURN
//! credentials for the organisation's TURN servers, made from a secret it shares with them
//! (coturn's `use-auth-secret` / `static-auth-secret`, the "REST API for access to TURN
//! services" scheme): the user name is `expiry:member`, the password
//! `base64(HMAC-SHA1(secret, user name))`. The TURN server checks the HMAC and the expiry; no
//! account exists for anyone, and a leaked credential is worthless after its lifetime.
//!
//! The server sends them in `ice_servers`, just before every `joined` (so a member has them
//! before it connects to anyone, and a member that resumes or rejoins gets fresh ones). A
//! member takes at most [`MAX_ICE_SERVERS`] servers of [`MAX_URLS`] `stun:`/`turn:`/`turns:`
//! URLs each; anything else is refused. It uses only the URLs on the meeting server's own host
//! ([`on_host`]): a relay learns the addresses a member relays to (its peers' candidates, LAN
//! ones included), which a member hands only to a relay of the organisation whose server it
//! already trusts with its own address, never to a host a hostile server names. The media stays
//! DTLS-SRTP and SFrame encrypted end to end through any relay.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::room::error::ProtocolError;
use crate::room::ids::MemberId;
use crate::room::proto::IceServer;
use crate::secrets::Sensitive;

/// How long a credential is valid unless configured otherwise: a working day's meetings.
pub const DEFAULT_TTL: Duration = Duration::from_secs(12 * 3600);
/// Servers a member takes from one `ice_servers`.
pub const MAX_ICE_SERVERS: usize = 4;
/// URLs per server.
pub const MAX_URLS: usize = 4;
/// Longest URL, user name or credential.
pub const MAX_LEN: usize = 512;

/// The TURN servers a signalling server hands out, and the secret it shares with them.
#[derive(Clone, PartialEq, Eq)]
pub struct TurnConfig {
    /// `turn:host:port?transport=udp`, `turns:…`, `stun:…`.
    pub urls: Vec<String>,
    /// The shared secret (coturn's `static-auth-secret`).
    pub secret: Sensitive<Vec<u8>>,
    /// How long each credential is valid.
    pub ttl: Duration,
    /// The Unix time (seconds) at the server's `now` = 0: the runtime's wall clock at its
    /// epoch, so that expiry times are Unix times as the TURN server reads them.
    pub unix_at_zero: u64,
}

/// Never the secret.
impl std::fmt::Debug for TurnConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TurnConfig").field("urls", &self.urls).field("ttl", &self.ttl).finish_non_exhaustive()
    }
}

impl TurnConfig {
    /// The credentials for `member` at `now` (the server's clock).
    pub fn credentials(&self, member: MemberId, now: Duration) -> IceServer {
        let expiry = self.unix_at_zero + now.as_secs() + self.ttl.as_secs();
        let username = format!("{expiry}:{member}");
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, self.secret.expose());
        let credential = STANDARD.encode(ring::hmac::sign(&key, username.as_bytes()).as_ref());
        IceServer { urls: self.urls.clone(), username, credential }
    }
}

/// Whether `url` is a STUN or TURN URL a member may be pointed at.
pub fn is_ice_url(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    url.len() <= MAX_LEN
        && ["stun:", "turn:", "turns:"].iter().any(|s| lower.starts_with(s) && lower.len() > s.len())
        && !url.chars().any(|c| c.is_control() || c.is_whitespace())
}

/// The servers of an `ice_servers` message as a member takes them, or why not.
pub fn accept(servers: Vec<IceServer>) -> Result<Vec<IceServer>, ProtocolError> {
    let bad = |why: &str| Err(ProtocolError::BadMessage { why: format!("ice_servers: {why}") });
    if servers.len() > MAX_ICE_SERVERS {
        return bad("too many servers");
    }
    for s in &servers {
        if s.urls.is_empty() || s.urls.len() > MAX_URLS {
            return bad("each server needs one to four URLs");
        }
        if !s.urls.iter().all(|u| is_ice_url(u)) {
            return bad("only stun:, turn: and turns: URLs");
        }
        if s.username.len() > MAX_LEN || s.credential.len() > MAX_LEN {
            return bad("a user name or credential is too long");
        }
    }
    Ok(servers)
}

/// The host a STUN/TURN URL names (`turn:HOST:PORT?…`, `turns:[v6]:PORT`), lower-cased.
pub fn url_host(url: &str) -> Option<String> {
    let rest = url.split_once(':')?.1;
    let rest = rest.split(['?', '/']).next()?;
    let host = match rest.strip_prefix('[') {
        Some(v6) => v6.split_once(']')?.0,
        None => rest.rsplit_once(':').map_or(rest, |(h, _)| h),
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// The servers' URLs on `host` only (the meeting server's host); a server left with no URL is
/// dropped. Also says whether anything was dropped.
pub fn on_host(servers: Vec<IceServer>, host: &str) -> (Vec<IceServer>, bool) {
    let host = host.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
    let mut dropped = false;
    let kept = servers
        .into_iter()
        .filter_map(|mut s| {
            let before = s.urls.len();
            s.urls.retain(|u| url_host(u).as_deref() == Some(host.as_str()));
            dropped |= s.urls.len() != before;
            (!s.urls.is_empty()).then_some(s)
        })
        .collect();
    (kept, dropped)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> TurnConfig {
        TurnConfig {
            urls: vec!["turn:turn.example.no:3478?transport=udp".into()],
            secret: Sensitive::new(b"north-sea".to_vec()),
            ttl: Duration::from_secs(3600),
            unix_at_zero: 1_765_096_000,
        }
    }

    #[test]
    fn credentials_follow_the_turn_rest_scheme_coturn_checks() {
        let member = MemberId::from_bytes([0, 0, 0, 0, 0, 0, 0, 0xb2]);
        // 1_765_096_000 + 400 s + the hour = 1_765_100_000; the password as Python's
        // base64(hmac.new(b"north-sea", b"1765100000:00000000000000b2", sha1)) gives it.
        let c = config().credentials(member, Duration::from_secs(400));
        assert_eq!(c.username, "1765100000:00000000000000b2");
        assert_eq!(c.credential, "9o51WtWREyD0fIqdfON/qI3vHkI=");
        assert_eq!(c.urls, config().urls);
        assert!(!format!("{:?}", config()).contains("north"), "Debug never shows the secret");
        assert!(!format!("{c:?}").contains(&c.credential), "nor the credential made with it");
    }

    #[test]
    fn a_member_uses_relays_on_the_meeting_servers_host_only() {
        let server =
            |urls: &[&str]| IceServer { urls: urls.iter().map(|u| u.to_string()).collect(), ..Default::default() };
        assert_eq!(url_host("turn:Meet.Example.no:3478?transport=udp").as_deref(), Some("meet.example.no"));
        assert_eq!(url_host("turns:[2001:db8::1]:5349").as_deref(), Some("2001:db8::1"));
        assert_eq!(url_host("stun:10.0.0.1").as_deref(), Some("10.0.0.1"));
        let (kept, dropped) = on_host(
            vec![
                server(&["turn:meet.example.no:3478", "turn:tracker.example.com:3478"]),
                server(&["stun:evil.example"]),
            ],
            "meet.example.no",
        );
        assert_eq!(kept, vec![server(&["turn:meet.example.no:3478"])]);
        assert!(dropped);
        assert_eq!(on_host(vec![server(&["turn:[::1]:3478"])], "[::1]").0.len(), 1);
    }

    #[test]
    fn a_member_takes_only_a_few_stun_and_turn_servers() {
        let server =
            |urls: &[&str]| IceServer { urls: urls.iter().map(|u| u.to_string()).collect(), ..Default::default() };
        assert!(accept(vec![server(&["turn:a:3478", "turns:a:5349?transport=tcp", "stun:a"])]).is_ok());
        assert!(accept(vec![]).is_ok());
        for bad in [
            vec![server(&["https://a.example/"])],
            vec![server(&["turn:"])],
            vec![server(&["turn:a b"])],
            vec![server(&[])],
            vec![server(&["stun:a"; 5])],
            vec![server(&["stun:a"]); 5],
            vec![IceServer { username: "u".repeat(600), ..server(&["turn:a"]) }],
        ] {
            assert!(accept(bad.clone()).is_err(), "{bad:?}");
        }
    }
}
