//! The signalling server's runtime: WebSocket (or WebSocket over TLS) connections feeding the
//! sans-I/O [`RoomServer`].
//!
//! One task owns the room server and is the only place its state changes; each connection's task
//! turns frames into inputs for it and carries its outputs back out. Nothing is written to disk
//! and nothing about a meeting's people is logged: the server knows none of it (it sees room ids,
//! opaque member ids and sealed blobs), and the logs carry connection counts and close codes only.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::protocol::frame::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode as WsCloseCode;

use super::NetError;
use crate::room::ids::ConnId;
use crate::room::limits::ServerConfig;
use crate::room::server::{RoomServer, ServerOutput};

/// Where to find the TLS certificate chain and key (PEM).
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// Certificate chain.
    pub cert: PathBuf,
    /// Private key.
    pub key: PathBuf,
}

/// Where the server's TLS identity comes from.
pub enum Tls {
    /// PEM files an administrator provides.
    Files(TlsFiles),
    /// An identity made in memory (the embedded server's self-signed certificate).
    Identity(super::tls::ServerIdentity),
}

/// How the signalling server runs.
pub struct SignalServerConfig {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// TLS (wss) when set; plain WebSocket (behind a TLS-terminating proxy, or on loopback) when not.
    pub tls: Option<Tls>,
    /// Protocol limits.
    pub room: ServerConfig,
    /// Most simultaneous connections; beyond it new ones are closed at once.
    pub max_connections: usize,
    /// Most TLS/WebSocket handshakes in flight, in all.
    pub max_handshakes: usize,
    /// Most handshakes in flight from one address.
    pub max_handshakes_per_address: usize,
    /// Reverse proxies whose `X-Forwarded-For` header names the real client: its address is
    /// then the one the room's limits count (and the proxy's own handshakes are limited only in
    /// total). Anyone else's header is ignored.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Every frame any client sends, as received (for audits and tests that prove what the
    /// server can and cannot see). Off in normal use.
    pub tap: Option<mpsc::UnboundedSender<Vec<u8>>>,
}

impl SignalServerConfig {
    /// Defaults for `listen`.
    pub fn new(listen: SocketAddr) -> Self {
        Self {
            listen,
            tls: None,
            room: ServerConfig::default(),
            max_connections: 10_000,
            max_handshakes: 256,
            max_handshakes_per_address: 8,
            trusted_proxies: Vec::new(),
            tap: None,
        }
    }
}

enum Input {
    Connect { conn: ConnId, ip: std::net::IpAddr, out: mpsc::Sender<Output> },
    Message { conn: ConnId, bytes: Vec<u8> },
    Disconnect { conn: ConnId },
}

enum Output {
    Send(Vec<u8>),
    Close(u16, &'static str),
}

/// A running server.
pub struct SignalServer {
    /// The address it listens on (with the real port when 0 was asked for).
    pub local_addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl SignalServer {
    /// Binds and starts serving.
    pub async fn start(config: SignalServerConfig) -> Result<Self, NetError> {
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|e| NetError::Io(format!("listening on {}: {e}", config.listen)))?;
        let local_addr = listener.local_addr().map_err(|e| NetError::Io(e.to_string()))?;
        let tls = match &config.tls {
            Some(Tls::Files(files)) => Some(tokio_rustls::TlsAcceptor::from(Arc::new(load_tls(files)?))),
            Some(Tls::Identity(id)) => Some(tokio_rustls::TlsAcceptor::from(Arc::new(super::tls::server_config(id)?))),
            None => None,
        };
        let (stop, stop_rx) = watch::channel(false);
        let task = tokio::spawn(serve(listener, tls, config, stop_rx));
        Ok(Self { local_addr, stop, task })
    }

    /// Stops accepting, closes every connection and waits for the server to end.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

fn load_tls(files: &TlsFiles) -> Result<rustls::ServerConfig, NetError> {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert)
        .and_then(|i| i.collect::<Result<_, _>>())
        .map_err(|e| NetError::Tls(format!("{}: {e}", files.cert.display())))?;
    if certs.is_empty() {
        return Err(NetError::Tls(format!("{}: no certificate in the file", files.cert.display())));
    }
    let key =
        PrivateKeyDer::from_pem_file(&files.key).map_err(|e| NetError::Tls(format!("{}: {e}", files.key.display())))?;
    rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| NetError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| NetError::Tls(e.to_string()))
}

async fn serve(
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    config: SignalServerConfig,
    mut stop: watch::Receiver<bool>,
) {
    let (inputs, mut input_rx) = mpsc::channel::<Input>(1024);
    let mut seed = [0u8; 32];
    rand::fill(&mut seed);
    let mut room = config.room.clone();
    let epoch = Instant::now();
    if let Some(turn) = &mut room.turn {
        // TURN credentials expire at Unix times: the wall clock at the server's epoch.
        turn.unix_at_zero =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    }
    let mut server = RoomServer::new(room, seed);
    let mut conns: std::collections::HashMap<ConnId, mpsc::Sender<Output>> = Default::default();
    let mut next_conn = 1u64;
    let handshakes = super::handshakes::Handshakes::new(config.max_handshakes, config.max_handshakes_per_address);
    let ws_config = WebSocketConfig::default()
        .max_message_size(Some(config.room.max_message_size))
        .max_frame_size(Some(config.room.max_message_size));
    tracing::info!("signalling server ready");
    loop {
        let wake =
            server.poll_timeout().map(|t| epoch + t).unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
        tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of descriptors (or a passing failure): wait a moment for
                        // connections to end rather than spin on the error.
                        tracing::warn!("accept failed: {e}; pausing for 100 ms");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                if conns.len() + handshakes.in_flight() >= config.max_connections {
                    drop(stream);
                    continue;
                }
                let via_proxy = config.trusted_proxies.contains(&peer.ip());
                let Some(permit) = handshakes.try_start(peer.ip(), !via_proxy) else {
                    tracing::debug!("too many handshakes in flight (from {} or in all); closed", peer.ip());
                    drop(stream);
                    continue;
                };
                let conn = ConnId(next_conn);
                next_conn += 1;
                let _ = stream.set_nodelay(true);
                let (tls, inputs, tap) = (tls.clone(), inputs.clone(), config.tap.clone());
                let proxies = via_proxy.then(|| config.trusted_proxies.clone());
                let accepted = Accepted { peer, conn, permit, proxies };
                tokio::spawn(connection(stream, accepted, tls, ws_config, inputs, tap));
            }
            Some(input) = input_rx.recv() => {
                let now = epoch.elapsed();
                match input {
                    Input::Connect { conn, ip, out } => match server.handle_connect(conn, ip, now) {
                        Ok(()) => { conns.insert(conn, out); }
                        Err(refused) => {
                            tracing::debug!("connection {} refused: {refused}", conn.0);
                            let _ = out.try_send(Output::Close(1008, "too many connections; try again later"));
                        }
                    },
                    Input::Message { conn, bytes } => server.handle_message(conn, &bytes, now),
                    Input::Disconnect { conn } => {
                        conns.remove(&conn);
                        server.handle_disconnect(conn, now);
                    }
                }
            }
            _ = tokio::time::sleep_until(wake) => server.handle_timeout(epoch.elapsed()),
        }
        while let Some(out) = server.poll_output() {
            match out {
                ServerOutput::Send { conn, bytes } => {
                    let slow = conns.get(&conn).is_some_and(|tx| tx.try_send(Output::Send(bytes)).is_err());
                    if slow {
                        // A client that does not read its messages is closed rather than buffered.
                        if let Some(tx) = conns.remove(&conn) {
                            let _ = tx.try_send(Output::Close(1008, "not reading"));
                        }
                        server.handle_disconnect(conn, epoch.elapsed());
                    }
                }
                ServerOutput::Close { conn, code, reason } => {
                    tracing::debug!("closing connection {}: {}", conn.0, code.code());
                    if let Some(tx) = conns.remove(&conn) {
                        let _ = tx.try_send(Output::Close(code.as_u16(), reason));
                    }
                }
            }
        }
    }
    for (_, tx) in conns.drain() {
        let _ = tx.try_send(Output::Close(1001, "server shutting down"));
    }
}

/// A connection just accepted: who, its number, its handshake's place, and (when it comes
/// through a trusted reverse proxy) the proxies to skip in `X-Forwarded-For`.
struct Accepted {
    peer: SocketAddr,
    conn: ConnId,
    permit: super::handshakes::Permit,
    proxies: Option<Vec<std::net::IpAddr>>,
}

/// The client a trusted proxy forwarded: the right-most `X-Forwarded-For` entry that is not one
/// of the trusted proxies (entries further left are the client's own word).
pub fn forwarded_client(header: Option<&str>, proxies: &[std::net::IpAddr]) -> Option<std::net::IpAddr> {
    header?
        .rsplit(',')
        .map(str::trim)
        .filter_map(|e| e.parse::<std::net::IpAddr>().ok())
        .find(|ip| !proxies.contains(ip))
}

async fn connection(
    stream: TcpStream,
    accepted: Accepted,
    tls: Option<tokio_rustls::TlsAcceptor>,
    ws_config: WebSocketConfig,
    inputs: mpsc::Sender<Input>,
    tap: Option<mpsc::UnboundedSender<Vec<u8>>>,
) {
    // A handshake that does not finish in time is dropped (slow-loris).
    let handshake = Duration::from_secs(10);
    match tls {
        Some(acceptor) => {
            let Ok(Ok(tls_stream)) = tokio::time::timeout(handshake, acceptor.accept(stream)).await else { return };
            run_ws(tls_stream, accepted, ws_config, inputs, handshake, tap).await;
        }
        None => run_ws(stream, accepted, ws_config, inputs, handshake, tap).await,
    }
}

async fn run_ws<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    accepted: Accepted,
    ws_config: WebSocketConfig,
    inputs: mpsc::Sender<Input>,
    handshake: Duration,
    tap: Option<mpsc::UnboundedSender<Vec<u8>>>,
) {
    let Accepted { peer, conn, permit, proxies } = accepted;
    let mut client = peer.ip();
    // The callback's error type is tungstenite's own HTTP response (large by its design).
    #[allow(clippy::result_large_err)]
    let read_forwarded = |req: &tokio_tungstenite::tungstenite::handshake::server::Request,
                          resp: tokio_tungstenite::tungstenite::handshake::server::Response| {
        if let Some(proxies) = &proxies {
            let header = req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok());
            if let Some(ip) = forwarded_client(header, proxies) {
                client = ip;
            }
        }
        Ok(resp)
    };
    let accepting = tokio_tungstenite::accept_hdr_async_with_config(stream, read_forwarded, Some(ws_config));
    let Ok(Ok(mut ws)) = tokio::time::timeout(handshake, accepting).await else {
        return;
    };
    // Connected: from here the room server's own limits count this connection.
    drop(permit);
    let (out, mut out_rx) = mpsc::channel::<Output>(256);
    if inputs.send(Input::Connect { conn, ip: client, out }).await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            frame = ws.next() => match frame {
                Some(Ok(Message::Text(t))) => {
                    if let Some(tap) = &tap { let _ = tap.send(t.as_bytes().to_vec()); }
                    if inputs.send(Input::Message { conn, bytes: t.as_bytes().to_vec() }).await.is_err() { break }
                }
                Some(Ok(Message::Binary(b))) => {
                    if let Some(tap) = &tap { let _ = tap.send(b.to_vec()); }
                    if inputs.send(Input::Message { conn, bytes: b.to_vec() }).await.is_err() { break }
                }
                Some(Ok(Message::Close(_))) | None => break,
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    // Oversized frames and protocol violations end here, for this connection only.
                    let code = if matches!(e, tokio_tungstenite::tungstenite::Error::Capacity(_)) { 1009 } else { 1002 };
                    let _ = ws.send(close(code, "bad frame")).await;
                    break;
                }
            },
            Some(o) = out_rx.recv() => match o {
                Output::Send(bytes) => {
                    let text = String::from_utf8(bytes).unwrap_or_default();
                    if ws.send(Message::text(text)).await.is_err() { break }
                }
                Output::Close(code, reason) => {
                    let _ = ws.send(close(code, reason)).await;
                    let _ = ws.flush().await;
                    break;
                }
            },
        }
    }
    let _ = inputs.send(Input::Disconnect { conn }).await;
}

fn close(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame { code: WsCloseCode::from(code), reason: reason.into() }))
}

#[cfg(test)]
mod forwarded_tests {
    use super::forwarded_client;

    #[test]
    fn the_client_is_the_right_most_address_that_is_not_a_trusted_proxy() {
        let proxies = ["10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap()];
        let ip = |s: &str| Some(s.parse().unwrap());
        assert_eq!(forwarded_client(Some("198.51.100.7"), &proxies), ip("198.51.100.7"));
        assert_eq!(
            forwarded_client(Some("6.6.6.6, 198.51.100.7, 10.0.0.2"), &proxies),
            ip("198.51.100.7"),
            "what the client itself wrote on the left is ignored"
        );
        assert_eq!(forwarded_client(Some("2001:db8::5"), &proxies), ip("2001:db8::5"));
        assert_eq!(forwarded_client(Some("garbage, 10.0.0.1"), &proxies), None);
        assert_eq!(forwarded_client(None, &proxies), None);
    }
}
