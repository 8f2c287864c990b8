//! What the meeting server receives: everything a meeting sends it, tapped as it arrives, and
//! searched for what it must never see — names, the link secret, the security code — in clear or
//! base64 inside any field. Media never reaches it at all.

mod common;

use common::meeting::{Participant, config};
use data_encoding::{BASE64, BASE64URL_NOPAD};
use serde_json::Value;
use trygg::meeting::{Entry, MeetingCommand, MeetingEvent};
use trygg::net::signal_server::{SignalServer, SignalServerConfig};

const SECRET: &[u8] = b"a secret the server never sees!!";
const HOST: &str = "Ingrid Østby-Haugland";
const GUEST: &str = "Xiomara Quintessence";

/// Every string inside a JSON document, and its base64 decodings.
fn strings(v: &Value, out: &mut Vec<Vec<u8>>) {
    match v {
        Value::String(s) => {
            out.push(s.as_bytes().to_vec());
            for codec in [&BASE64URL_NOPAD, &BASE64] {
                if let Ok(b) = codec.decode(s.as_bytes()) {
                    out.push(b);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(o) => o.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_never_receives_names_secrets_codes_or_media() {
    let (tap, mut tapped) = tokio::sync::mpsc::unbounded_channel();
    let mut sc = SignalServerConfig::new("127.0.0.1:0".parse().unwrap());
    sc.tap = Some(tap);
    let server = SignalServer::start(sc).await.unwrap();
    let url = format!("ws://{}/", server.local_addr);

    let mut host = Participant::start("host", config(&url, SECRET, Entry::Host, HOST, None));
    host.wait(10, "joined", |e| matches!(e, MeetingEvent::Joined { .. })).await;
    let mut guest = Participant::start("guest", config(&url, SECRET, Entry::Join, GUEST, None));
    let knock = host.wait(10, "knock", |e| matches!(e, MeetingEvent::Knock { .. })).await;
    let MeetingEvent::Knock { member, name, .. } = knock else { unreachable!() };
    assert_eq!(name, GUEST, "the host reads the name the server cannot");
    host.meeting.command(MeetingCommand::Admit(member));
    let stats = guest
        .wait(
            15,
            "media",
            |e| matches!(e, MeetingEvent::Stats { peers, .. } if peers.iter().any(|p| p.frames_decoded > 120)),
        )
        .await;
    let MeetingEvent::Stats { peers, e2ee, .. } = stats else { unreachable!() };
    assert_eq!(peers[0].name, HOST);
    let code = e2ee.security_code.clone().expect("keyed");
    let media_bytes = peers[0].link.bytes_received;
    guest.meeting.leave();
    guest.wait(10, "left", |e| matches!(e, MeetingEvent::Left)).await;
    host.meeting.command(MeetingCommand::EndForAll);
    host.wait(10, "ended", |e| matches!(e, MeetingEvent::Ended | MeetingEvent::Left)).await;
    server.shutdown().await;

    let mut frames = vec![];
    while let Ok(f) = tapped.try_recv() {
        frames.push(f);
    }
    assert!(frames.len() > 10, "the tap saw the meeting's signalling ({} frames)", frames.len());
    let total: usize = frames.iter().map(Vec::len).sum();
    let mut fields = vec![];
    for f in &frames {
        fields.push(f.clone());
        if let Ok(v) = serde_json::from_slice::<Value>(f) {
            strings(&v, &mut fields);
        }
    }
    let forbidden: Vec<(&str, Vec<u8>)> = vec![
        ("host's name", HOST.as_bytes().to_vec()),
        ("guest's name", GUEST.as_bytes().to_vec()),
        ("guest's first name", b"Xiomara".to_vec()),
        ("link secret", SECRET.to_vec()),
        ("link secret, base64url", BASE64URL_NOPAD.encode(SECRET).into_bytes()),
        ("security code", code.clone().into_bytes()),
        ("security code digits", code.replace(' ', "").into_bytes()),
        // Sealed signals: no SDP, no DTLS fingerprint, no ICE credentials or candidates.
        ("an SDP", b"v=0".to_vec()),
        ("a DTLS certificate fingerprint", b"a=fingerprint".to_vec()),
        ("ICE credentials", b"ice-ufrag".to_vec()),
        ("an ICE candidate", b"typ host".to_vec()),
    ];
    for (what, needle) in &forbidden {
        assert!(!fields.iter().any(|f| contains(f, needle)), "the server received the {what}");
    }
    let kinds: Vec<&str> = frames
        .iter()
        .filter_map(|f| serde_json::from_slice::<Value>(f).ok())
        .filter_map(|v| v["payload"]["kind"].as_str().map(str::to_owned))
        .map(|k| match k.as_str() {
            "sealed" => "sealed",
            "handshake" => "handshake",
            "profile" => "profile",
            _ => "other",
        })
        .collect();
    assert!(kinds.contains(&"sealed"), "the peers' signals went through the server sealed: {kinds:?}");
    assert!(!kinds.contains(&"other"), "nothing relayed in clear: {kinds:?}");
    // Media went peer to peer: the server saw signalling only, a small fraction of the media.
    assert!(total * 5 < media_bytes as usize, "server received {total} bytes, media was {media_bytes} bytes");
}
