//! The meeting's connection to the signalling server: one WebSocket, read and written by its own
//! task, reported to the meeting driver as a stream of [`WsEvent`]s.

use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::net::NetError;

/// What the connection task reports.
#[derive(Debug)]
pub enum WsEvent {
    /// A message from the server.
    Message(Vec<u8>),
    /// The connection ended (closed by either side, or failed).
    Closed,
}

/// A live connection: send with [`Connection::send`]; events arrive on the receiver given to
/// [`Connection::open`].
pub struct Connection {
    out: mpsc::UnboundedSender<Vec<u8>>,
    task: tokio::task::JoinHandle<()>,
}

/// Largest message accepted from the server.
const MAX_MESSAGE: usize = 1 << 20;

impl Connection {
    /// Connects to `url` (`ws://` or `wss://`); events go to `events`. With `pin`, a `wss://`
    /// server must present exactly the certificate with that SHA-256.
    pub async fn open(
        url: &str,
        pin: Option<[u8; 32]>,
        events: mpsc::UnboundedSender<WsEvent>,
    ) -> Result<Self, NetError> {
        let config = WebSocketConfig::default().max_message_size(Some(MAX_MESSAGE)).max_frame_size(Some(MAX_MESSAGE));
        let connector = match pin {
            Some(pin) => Some(tokio_tungstenite::Connector::Rustls(std::sync::Arc::new(
                crate::net::tls::pinned_client_config(pin)?,
            ))),
            None => None,
        };
        let connect = tokio_tungstenite::connect_async_tls_with_config(url, Some(config), true, connector);
        let (ws, _) = tokio::time::timeout(std::time::Duration::from_secs(10), connect)
            .await
            .map_err(|_| NetError::Signalling(format!("{url}: no answer within 10 s")))?
            .map_err(|e| NetError::Signalling(format!("{url}: {e}")))?;
        let (out, mut out_rx) = mpsc::unbounded_channel::<Vec<u8>>();
        let task = tokio::spawn(async move {
            let mut ws = ws;
            loop {
                tokio::select! {
                    frame = ws.next() => match frame {
                        Some(Ok(Message::Text(t))) => {
                            if events.send(WsEvent::Message(t.as_bytes().to_vec())).is_err() { break }
                        }
                        Some(Ok(Message::Binary(b))) => {
                            if events.send(WsEvent::Message(b.to_vec())).is_err() { break }
                        }
                        Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                        Some(Ok(_)) => {}
                    },
                    msg = out_rx.recv() => match msg {
                        Some(bytes) => {
                            let text = String::from_utf8(bytes).unwrap_or_default();
                            if ws.send(Message::text(text)).await.is_err() { break }
                        }
                        None => {
                            let _ = ws.close(None).await;
                            break;
                        }
                    },
                }
            }
            let _ = events.send(WsEvent::Closed);
        });
        Ok(Self { out, task })
    }

    /// Queues a message for the server.
    pub fn send(&self, bytes: Vec<u8>) {
        let _ = self.out.send(bytes);
    }

    /// Closes the connection (after what was queued is written).
    pub async fn close(self) {
        drop(self.out);
        let _ = tokio::time::timeout(std::time::Duration::from_secs(2), self.task).await;
    }
}
