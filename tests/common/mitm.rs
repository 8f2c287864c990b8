//! A man in the middle between meeting clients and the real signalling server: the attacker of
//! `tests/hostile_server.rs`. It forwards every WebSocket frame both ways and records it; the
//! test reads what passed, rewrites or drops frames with a rule, and injects frames of its own
//! making into any connection, in either direction. To the clients it *is* the server.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

/// Which way a frame travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    ToServer,
    ToClient,
}

/// The attacker's rule for one frame on connection `conn`: `None` passes it on as it is,
/// `Some(frames)` passes these on instead (empty: the frame is dropped).
pub type Rule = Box<dyn FnMut(usize, Dir, &Value) -> Option<Vec<Value>> + Send>;

struct Ends {
    to_client: mpsc::UnboundedSender<String>,
    to_server: mpsc::UnboundedSender<String>,
}

/// The proxy. Connections are numbered in the order they arrive (0, 1, …).
pub struct Mitm {
    pub addr: SocketAddr,
    ends: Arc<Mutex<Vec<Ends>>>,
    seen: Arc<Mutex<Vec<(usize, Dir, Value)>>>,
    rule: Arc<Mutex<Option<Rule>>>,
}

impl Mitm {
    /// Listens on loopback and relays every connection to `upstream` (`ws://…/`).
    pub async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let ends: Arc<Mutex<Vec<Ends>>> = Arc::default();
        let seen: Arc<Mutex<Vec<(usize, Dir, Value)>>> = Arc::default();
        let rule: Arc<Mutex<Option<Rule>>> = Arc::default();
        let (e, s, r) = (ends.clone(), seen.clone(), rule.clone());
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let Ok(client) = tokio_tungstenite::accept_async(tcp).await else { continue };
                let Ok((server, _)) = tokio_tungstenite::connect_async(upstream.as_str()).await else { continue };
                let (to_client, mut inject_client) = mpsc::unbounded_channel::<String>();
                let (to_server, mut inject_server) = mpsc::unbounded_channel::<String>();
                let conn = {
                    let mut ends = e.lock().unwrap();
                    ends.push(Ends { to_client, to_server });
                    ends.len() - 1
                };
                let (seen, rule) = (s.clone(), r.clone());
                tokio::spawn(async move {
                    let (mut client_tx, mut client_rx) = client.split();
                    let (mut server_tx, mut server_rx) = server.split();
                    loop {
                        let (dir, text) = tokio::select! {
                            m = client_rx.next() => match m {
                                Some(Ok(Message::Text(t))) => (Dir::ToServer, t.to_string()),
                                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_) | Message::Binary(_))) => continue,
                                _ => break,
                            },
                            m = server_rx.next() => match m {
                                Some(Ok(Message::Text(t))) => (Dir::ToClient, t.to_string()),
                                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_) | Message::Binary(_))) => continue,
                                _ => break,
                            },
                            Some(t) = inject_client.recv() => {
                                if client_tx.send(Message::text(t)).await.is_err() { break }
                                continue;
                            }
                            Some(t) = inject_server.recv() => {
                                if server_tx.send(Message::text(t)).await.is_err() { break }
                                continue;
                            }
                        };
                        let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                        seen.lock().unwrap().push((conn, dir, value.clone()));
                        let out = rule.lock().unwrap().as_mut().and_then(|r| r(conn, dir, &value));
                        let frames = match out {
                            None => vec![text],
                            Some(vs) => vs.iter().map(Value::to_string).collect(),
                        };
                        for f in frames {
                            let sent = match dir {
                                Dir::ToServer => server_tx.send(Message::text(f)).await,
                                Dir::ToClient => client_tx.send(Message::text(f)).await,
                            };
                            if sent.is_err() {
                                return;
                            }
                        }
                    }
                    let _ = client_tx.close().await;
                    let _ = server_tx.close().await;
                });
            }
        });
        Self { addr, ends, seen, rule }
    }

    /// The URL clients connect to.
    pub fn url(&self) -> String {
        format!("ws://{}/", self.addr)
    }

    /// From now on, every frame goes through `rule`.
    pub fn set_rule(&self, rule: Rule) {
        *self.rule.lock().unwrap() = Some(rule);
    }

    /// Sends a frame of the attacker's making on connection `conn`.
    pub fn inject(&self, conn: usize, dir: Dir, msg: &Value) {
        let ends = self.ends.lock().unwrap();
        let end = &ends[conn];
        let _ = match dir {
            Dir::ToClient => end.to_client.send(msg.to_string()),
            Dir::ToServer => end.to_server.send(msg.to_string()),
        };
    }

    /// Every frame that passed so far, in order.
    pub fn frames(&self) -> Vec<(usize, Dir, Value)> {
        self.seen.lock().unwrap().clone()
    }

    /// The connection the server told member id `me` (in `joined` or `in_lobby`).
    pub fn conn_of(&self, me: &str) -> Option<usize> {
        self.frames().into_iter().find_map(|(c, d, v)| {
            (d == Dir::ToClient && ["joined", "in_lobby"].contains(&v["type"].as_str().unwrap_or("")) && v["me"] == me)
                .then_some(c)
        })
    }
}
