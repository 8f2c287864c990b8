//! The signalling server under a flood of half-open connections: the handshakes one address may
//! hold open are capped, the rest are closed at once, and everyone else still gets in.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::net::TcpSocket;
use trygg::net::signal_server::{SignalServer, SignalServerConfig};

/// A TCP connection from `from` that never starts its WebSocket handshake.
async fn half_open(from: [u8; 4], to: SocketAddr) -> tokio::net::TcpStream {
    let socket = TcpSocket::new_v4().expect("socket");
    socket.bind(SocketAddr::from((from, 0))).expect("bind a loopback address");
    socket.connect(to).await.expect("connect")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_open_connections_from_one_address_are_capped_and_others_still_get_in() {
    let config = SignalServerConfig::new("127.0.0.1:0".parse().unwrap());
    let per_address = config.max_handshakes_per_address;
    let server = SignalServer::start(config).await.unwrap();
    let addr = server.local_addr;

    // Fifty connections from 127.0.0.2 that say nothing.
    let mut flood = Vec::new();
    for _ in 0..50 {
        flood.push(half_open([127, 0, 0, 2], addr).await);
    }
    // Those beyond the cap are closed at once; the others wait for their handshake timeout.
    let mut closed = 0;
    for s in &mut flood {
        let mut b = [0u8; 1];
        if let Ok(Ok(0)) = tokio::time::timeout(Duration::from_millis(500), s.read(&mut b)).await {
            closed += 1;
        }
    }
    assert_eq!(closed, 50 - per_address, "all but {per_address} half-open connections were closed at once");

    // A client from another address completes its handshake meanwhile.
    let url = format!("ws://{addr}/");
    let connected = tokio::time::timeout(Duration::from_secs(5), tokio_tungstenite::connect_async(&url)).await;
    assert!(matches!(connected, Ok(Ok(_))), "a real client still gets in: {connected:?}");
    drop(flood);
}
