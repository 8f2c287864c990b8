//! Untrusted frames into the room protocol: the server (as any connection, fresh or seated) and
//! the client (in whichever state), which must answer with an error or a close, never a panic.
#![no_main]

use std::net::IpAddr;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use trygg::room::client::{Intent, RoomClient};
use trygg::room::limits::{ClientConfig, ServerConfig};
use trygg::room::proto::{self, ClientMsg};
use trygg::room::server::RoomServer;
use trygg::room::{Blob, ConnId, MeetingInstance, RoomId, RoomProof};

fuzz_target!(|data: &[u8]| {
    let proof = RoomProof::new(vec![1; 32]).expect("valid");
    let room = RoomId::bound_to(&proof);
    let now = Duration::from_secs(10);
    let ip = IpAddr::from([192, 0, 2, 1]);

    // The server: a host on conn 1, a knocker on conn 2, and the input split into frames on 0xff
    // bytes, sent alternately from a fresh connection (3) and from the host.
    let mut server = RoomServer::new(ServerConfig::default(), [0; 32]);
    for c in 1..=3 {
        server.handle_connect(ConnId(c), ip, now).expect("budget");
    }
    let create = ClientMsg::Create { room: room.clone(), room_proof: proof.clone(), instance: MeetingInstance::from_bytes([2; 16]) };
    server.handle_message(ConnId(1), &proto::encode(&create), now);
    let knock = ClientMsg::Knock { room: room.clone(), room_proof: proof.clone(), sealed_profile: Blob(vec![]) };
    server.handle_message(ConnId(2), &proto::encode(&knock), now);
    for (i, frame) in data.split(|&b| b == 0xff).enumerate() {
        let conn = ConnId(if i % 2 == 0 { 3 } else { 1 });
        server.handle_message(conn, frame, now + Duration::from_millis(i as u64));
    }
    server.handle_timeout(now + Duration::from_secs(3600));
    while let Some(out) = server.poll_output() {
        if let trygg::room::server::ServerOutput::Send { bytes, .. } = out {
            proto::decode_server(&bytes, usize::MAX).expect("the server only sends valid messages");
        }
    }

    // The client: joining, then fed the same frames.
    let intent = Intent::Join { room_proof: proof, sealed_profile: Blob(vec![]) };
    let mut client = RoomClient::new(room, intent, ClientConfig::default(), now);
    client.handle_connected(now);
    for frame in data.split(|&b| b == 0xff) {
        let _ = client.handle_message(frame, now);
    }
    client.handle_timeout(now + Duration::from_secs(3600));
    while client.poll_transmit().is_some() {}
    while client.poll_event().is_some() {}
});
