//! `trygg bench server`: the signalling server keeps serving a normal meeting while it is
//! attacked. A host relays a small sealed signal to a guest 50 times a second and the guest
//! measures how long each takes through the server, first in peace, then while 1000 half-open
//! TCP connections (from 125 loopback addresses) and one member's message flood hit the same
//! server. The flooder sends as fast as the server reads; what the server relayed of it and what
//! it refused are counted.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use tokio::net::TcpSocket;
use tokio_tungstenite::tungstenite::Message;

use super::Machine;
use crate::media::stats::Percentiles;
use crate::net::signal_server::{SignalServer, SignalServerConfig};
use crate::room::ids::{Blob, MeetingInstance, MemberId, RoomId, RoomProof};
use crate::room::proto::{self, ClientMsg, ServerMsg, Signal};

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct ServerReport {
    /// Where it ran.
    pub machine: Machine,
    /// Seconds measured in each phase.
    pub seconds: f64,
    /// Relay time host → server → guest of the meeting's signals, ms, without an attack.
    pub relay_ms_quiet: Percentiles,
    /// The same while the server is attacked.
    pub relay_ms_attacked: Percentiles,
    /// Signals the meeting sent / the guest received while attacked.
    pub meeting_signals_sent: u64,
    /// Signals the guest received while attacked.
    pub meeting_signals_received: u64,
    /// Connections the attacker opened that never start their WebSocket handshake.
    pub half_open: usize,
    /// Of those, closed by the server at once (beyond the handshake caps).
    pub half_open_closed_at_once: usize,
    /// Messages the flooding member wrote per second (into its socket: more than the server
    /// reads, the rest waits in buffers).
    pub flood_written_per_s: f64,
    /// Of its messages, handled by the server per second (relayed or refused).
    pub flood_handled_per_s: f64,
    /// Of those, relayed to the others per second (its hands, as the guest was shown them).
    pub flood_relayed_per_s: f64,
    /// Of those, refused per second (`room.rate_limited`).
    pub flood_refused_per_s: f64,
}

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn send(ws: &mut Ws, msg: &ClientMsg) -> std::io::Result<()> {
    let text = String::from_utf8(proto::encode(msg)).expect("JSON is UTF-8");
    ws.send(Message::text(text)).await.map_err(std::io::Error::other)
}

/// The next room message (pings are answered).
async fn next(ws: &mut Ws) -> std::io::Result<ServerMsg> {
    loop {
        let Some(m) = ws.next().await else { return Err(std::io::Error::other("closed")) };
        if let Message::Text(t) = m.map_err(std::io::Error::other)? {
            match proto::decode_server(t.as_bytes(), usize::MAX).map_err(std::io::Error::other)? {
                ServerMsg::Ping => send(ws, &ClientMsg::Pong).await?,
                other => return Ok(other),
            }
        }
    }
}

async fn until(ws: &mut Ws, want: impl Fn(&ServerMsg) -> bool) -> std::io::Result<ServerMsg> {
    loop {
        let m = next(ws).await?;
        if want(&m) {
            return Ok(m);
        }
    }
}

fn proof() -> RoomProof {
    RoomProof::derive(b"the bench's link secret, 32 byte")
}

async fn connect(url: &str) -> std::io::Result<Ws> {
    tokio_tungstenite::connect_async(url).await.map(|(ws, _)| ws).map_err(std::io::Error::other)
}

/// The host starts the meeting.
async fn host(url: &str) -> std::io::Result<Ws> {
    let mut host = connect(url).await?;
    let (room, room_proof) = (RoomId::bound_to(&proof()), proof());
    let instance = MeetingInstance::from_bytes([7; 16]);
    send(&mut host, &ClientMsg::Create { room, room_proof, instance }).await?;
    until(&mut host, |m| matches!(m, ServerMsg::Joined { .. })).await?;
    Ok(host)
}

/// A member looks up the run, knocks (as a client does) and the host admits it.
async fn member(url: &str, host: &mut Ws) -> std::io::Result<(Ws, MemberId)> {
    let mut ws = connect(url).await?;
    let (room, room_proof) = (RoomId::bound_to(&proof()), proof());
    send(&mut ws, &ClientMsg::Look { room: room.clone(), room_proof: room_proof.clone() }).await?;
    until(&mut ws, |m| matches!(m, ServerMsg::Running { .. })).await?;
    send(&mut ws, &ClientMsg::Knock { room, room_proof, sealed_profile: Blob(vec![1; 300]) }).await?;
    let ServerMsg::InLobby { me } = until(&mut ws, |m| matches!(m, ServerMsg::InLobby { .. })).await? else {
        unreachable!()
    };
    send(host, &ClientMsg::Admit { member: me }).await?;
    until(&mut ws, |m| matches!(m, ServerMsg::Joined { .. })).await?;
    Ok((ws, me))
}

/// What one phase of the meeting saw.
struct Phase {
    /// Relay times of the host's signals to the guest, ms.
    times: Vec<f64>,
    /// Signals the host sent.
    sent: u64,
    /// Other members' hands the guest was shown.
    hands: u64,
}

/// The host sends a signal every 20 ms for `secs`; the guest notes each one's relay time.
async fn relay_times(host: &mut Ws, guest: &mut Ws, to: MemberId, secs: f64) -> std::io::Result<Phase> {
    let start = Instant::now();
    let mut times = Vec::new();
    let mut sent = 0u64;
    let mut hands = 0u64;
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    while start.elapsed().as_secs_f64() < secs {
        tokio::select! {
            _ = tick.tick() => {
                let stamp = start.elapsed().as_nanos() as u64;
                let payload = Signal::Sealed { data: Blob([&stamp.to_be_bytes()[..], &[0u8; 200]].concat()) };
                send(host, &ClientMsg::Signal { to, payload }).await?;
                sent += 1;
            }
            m = next(guest) => match m? {
                ServerMsg::Signal { payload: Signal::Sealed { data }, .. } => {
                    let stamp = u64::from_be_bytes(data.0[..8].try_into().expect("8 bytes"));
                    times.push((start.elapsed().as_nanos() as u64).saturating_sub(stamp) as f64 / 1e6);
                }
                ServerMsg::Hand { .. } => hands += 1,
                _ => {}
            },
            // The host's own inbox (pings, hands): read so that it never backs up.
            m = next(host) => { m?; }
        }
    }
    Ok(Phase { times, sent, hands })
}

async fn half_open(from: [u8; 4], to: SocketAddr) -> Option<tokio::net::TcpStream> {
    let socket = TcpSocket::new_v4().ok()?;
    socket.bind(SocketAddr::from((from, 0))).ok()?;
    socket.connect(to).await.ok()
}

/// Runs the benchmark: `secs` quiet, then `secs` attacked.
pub fn run(secs: f64) -> std::io::Result<ServerReport> {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    rt.block_on(async move {
        let server = SignalServer::start(SignalServerConfig::new("127.0.0.1:0".parse().expect("address")))
            .await
            .map_err(std::io::Error::other)?;
        let addr = server.local_addr;
        let url = format!("ws://{addr}/");
        let mut host = host(&url).await?;
        let (mut guest, guest_id) = member(&url, &mut host).await?;
        let quiet = relay_times(&mut host, &mut guest, guest_id, secs).await?;
        // The member who will flood joins now (a member silent for the quiet phase would have
        // been closed as idle).
        let (flooder, _) = member(&url, &mut host).await?;

        // The attack: 1000 connections that never start their WebSocket handshake, 8 from each
        // of 125 loopback addresses (Linux answers on all of 127/8).
        let mut held = Vec::new();
        for i in 0..1000u32 {
            let from = [127, 1, (i / 8 / 250) as u8, (i / 8 % 250) as u8 + 2];
            if let Some(s) = half_open(from, addr).await {
                held.push(s);
            }
        }
        let held_count = held.len();
        tokio::time::sleep(Duration::from_millis(300)).await;
        let mut closed = 0;
        for s in &mut held {
            let mut b = [0u8; 1];
            if let Ok(Ok(0)) =
                tokio::time::timeout(Duration::from_millis(1), tokio::io::AsyncReadExt::read(s, &mut b)).await
            {
                closed += 1;
            }
        }
        // The flood: one member raises and lowers its hand as fast as the server reads.
        let stop = Arc::new(AtomicBool::new(false));
        let (sent, refused) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        let (s, r, st) = (sent.clone(), refused.clone(), stop.clone());
        let flood = tokio::spawn(async move {
            let (mut tx, mut rx) = flooder.split();
            let reader = tokio::spawn(async move {
                while let Some(Ok(Message::Text(t))) = rx.next().await {
                    if t.contains("room.rate_limited") {
                        r.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
            let mut raised = false;
            while !st.load(Ordering::Relaxed) {
                raised = !raised;
                let text = String::from_utf8(proto::encode(&ClientMsg::RaiseHand { raised })).expect("UTF-8");
                if tx.send(Message::text(text)).await.is_err() {
                    break;
                }
                s.fetch_add(1, Ordering::Relaxed);
                // The server runs on the same runtime here: the attacker must not starve it of
                // threads (a real one is on another machine), only of what its socket carries.
                tokio::task::yield_now().await;
            }
            reader.abort();
        });
        // The guest counts the flooder's hands it is shown (relayed) while the meeting goes on.
        let started = Instant::now();
        let attacked = relay_times(&mut host, &mut guest, guest_id, secs).await?;
        let elapsed = started.elapsed().as_secs_f64();
        stop.store(true, Ordering::Relaxed);
        let _ = flood.await;
        drop(held);
        server.shutdown().await;
        Ok(ServerReport {
            machine: Machine::this(),
            seconds: secs,
            relay_ms_quiet: Percentiles::of(&quiet.times),
            relay_ms_attacked: Percentiles::of(&attacked.times),
            meeting_signals_sent: attacked.sent,
            meeting_signals_received: attacked.times.len() as u64,
            half_open: held_count,
            half_open_closed_at_once: closed,
            flood_written_per_s: sent.load(Ordering::Relaxed) as f64 / elapsed,
            flood_handled_per_s: (attacked.hands + refused.load(Ordering::Relaxed)) as f64 / elapsed,
            flood_relayed_per_s: attacked.hands as f64 / elapsed,
            flood_refused_per_s: refused.load(Ordering::Relaxed) as f64 / elapsed,
        })
    })
}
