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

/// Opens `n` WebSocket connections, each naming its client in `X-Forwarded-For`, and counts
/// how many the server closed at once as "too many connections" from one address.
async fn refused_of(addr: SocketAddr, n: u8) -> usize {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut open = Vec::new();
    for i in 0..n {
        let mut req = format!("ws://{addr}/").into_client_request().unwrap();
        req.headers_mut().insert("x-forwarded-for", format!("198.51.100.{i}").parse().unwrap());
        let (ws, _) = tokio_tungstenite::connect_async(req).await.expect("handshake");
        open.push(ws);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut refused = 0;
    for ws in &mut open {
        if let Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Close(_)))) =
            tokio::time::timeout(Duration::from_millis(20), ws.next()).await
        {
            refused += 1;
        }
    }
    refused
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_each_client_is_counted_by_its_own_address() {
    // Without the proxy trusted, seventy connections from 127.0.0.1 are one address's: the
    // room's connect limit (a burst of 60) closes the rest, whatever the header says.
    let plain = SignalServer::start(SignalServerConfig::new("127.0.0.1:0".parse().unwrap())).await.unwrap();
    assert_eq!(refused_of(plain.local_addr, 70).await, 10);
    // With 127.0.0.1 trusted as the proxy, each forwarded client is its own address.
    let mut config = SignalServerConfig::new("127.0.0.1:0".parse().unwrap());
    config.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    let behind = SignalServer::start(config).await.unwrap();
    assert_eq!(refused_of(behind.local_addr, 70).await, 0);
}
