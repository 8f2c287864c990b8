//! A new meeting for the host: on the configured server, or on a server Trygg runs itself (as
//! `trygg host` without `--server` does).

use std::net::{IpAddr, SocketAddr};

use trygg::links::{JoinLink, LinkForm, LinkSecret};
use trygg::net::signal_server::{SignalServer, SignalServerConfig, Tls};
use trygg::net::tls::ServerIdentity;

use crate::contract::UiError;

/// Where the built-in server listens unless `TRYGG_LISTEN` says otherwise (tests use loopback).
pub const DEFAULT_LISTEN: &str = "0.0.0.0:7443";

/// The link of a new meeting, and the server Trygg runs for it when no server is configured.
pub struct NewMeeting {
    /// The meeting's link (with its secret: it never goes to the UI).
    pub link: JoinLink,
    /// The built-in server, when Trygg runs one.
    pub server: Option<SignalServer>,
}

fn secret() -> Result<LinkSecret, UiError> {
    trygg::meeting::new_link_secret()
        .map_err(|e| UiError::new("shell.random", format!("the OS random source failed: {e}")))
}

fn is_loopback(host: &str) -> bool {
    let bare = host.rsplit_once(':').map_or(host, |(h, _)| h).trim_matches(['[', ']']);
    bare == "localhost" || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Makes the meeting's link; `server` is the settings' HOST:PORT (empty: run one here).
pub async fn new_meeting(server: &str, listen: SocketAddr) -> Result<NewMeeting, UiError> {
    if !server.is_empty() {
        let link = JoinLink::new(LinkForm::Trygg, server, None, secret()?)?;
        // A server on this machine is a development server: plain WebSocket, as `--insecure`.
        let link = if is_loopback(server) { link.insecure_loopback()? } else { link };
        return Ok(NewMeeting { link, server: None });
    }
    let ip = listen.ip();
    let advertise = if ip.is_unspecified() { trygg::net::lan_address() } else { ip };
    let mut config = SignalServerConfig::new(listen);
    let identity =
        if ip.is_loopback() { None } else { Some(ServerIdentity::self_signed(vec![advertise.to_string()])?) };
    let pin = identity.as_ref().map(ServerIdentity::pin);
    config.tls = identity.map(Tls::Identity);
    let started = SignalServer::start(config).await?;
    let host = if advertise.is_ipv6() { format!("[{advertise}]") } else { advertise.to_string() };
    let link = JoinLink::new(LinkForm::Trygg, &host, Some(started.local_addr.port()), secret()?)?;
    let link = match pin {
        Some(pin) => link.pinned(pin)?,
        None => link.insecure_loopback()?,
    };
    Ok(NewMeeting { link, server: Some(started) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_servers_are_recognised() {
        assert!(is_loopback("127.0.0.1:7443"));
        assert!(is_loopback("localhost:9000"));
        assert!(is_loopback("[::1]:7443"));
        assert!(!is_loopback("meet.example.org:7443"));
        assert!(!is_loopback("10.0.0.2:7443"));
    }

    #[tokio::test]
    async fn a_meeting_on_loopback_gets_its_own_server_and_a_plain_link() {
        let m = new_meeting("", "127.0.0.1:0".parse().unwrap()).await.unwrap();
        let server = m.server.expect("a built-in server");
        let view = m.link.server_view();
        assert_eq!((view.host.as_str(), view.port, view.tls), ("127.0.0.1", server.local_addr.port(), false));
        server.shutdown().await;
    }
}
