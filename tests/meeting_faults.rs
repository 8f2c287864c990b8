//! Faults with real processes: a participant killed with SIGKILL, and the meeting server
//! restarted in the middle of a meeting.

mod common;

use std::time::{Duration, Instant};

use common::process::{Proc, free_port, small};
use serde_json::Value;

fn args<'a>(fixed: &'a [&'a str], extra: &'a [String]) -> Vec<&'a str> {
    fixed.iter().copied().chain(extra.iter().map(String::as_str)).collect()
}

fn is(kind: &'static str) -> impl Fn(&Value) -> bool {
    move |v| v["type"] == kind
}

/// Stats lines where the peer named `who` has decoded more than `frames` pictures.
fn decoded_from(who: &'static str, frames: u64) -> impl Fn(&Value) -> bool {
    move |v| {
        v["type"] == "stats"
            && v["peers"].as_array().is_some_and(|ps| {
                ps.iter().any(|p| p["name"] == who && p["frames_decoded"].as_u64().unwrap_or(0) > frames)
            })
    }
}

fn frames_from(v: &Value, who: &str) -> u64 {
    v["peers"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == who))
        .and_then(|p| p["frames_decoded"].as_u64())
        .unwrap_or(0)
}

#[test]
fn a_killed_participant_is_shown_gone_within_ten_seconds() {
    let host_opts = small("Host");
    let mut host =
        Proc::start("host", &args(&["host", "--listen", "127.0.0.1:0", "--auto-admit", "--seconds", "60"], &host_opts));
    let link = host.wait(10.0, "link", is("link"))["link"].as_str().unwrap().to_owned();
    let guest_opts = small("Guest");
    let mut guest = Proc::start("guest", &args(&["join", &link, "--seconds", "60"], &guest_opts));
    guest.wait(15.0, "first remote video", is("first_remote_video"));
    host.wait(15.0, "first remote video", is("first_remote_video"));

    let killed = Instant::now();
    guest.kill();
    host.wait(10.0, "the guest shown as gone", |v| v["type"] == "participant_away" || v["type"] == "participant_left");
    let gone_after = killed.elapsed();
    assert!(gone_after < Duration::from_secs(10), "shown gone after {gone_after:?}");
}

#[test]
fn the_meeting_goes_on_when_the_server_restarts() {
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let mut server = Proc::start("server", &["server", "--listen", &listen, "--json"]);
    server.wait(10.0, "listening", is("listening"));

    let host_opts = small("Host");
    let mut host = Proc::start(
        "host",
        &args(&["host", "--server", &listen, "--insecure", "--auto-admit", "--seconds", "90"], &host_opts),
    );
    let link = host.wait(10.0, "link", is("link"))["link"].as_str().unwrap().to_owned();
    let guest_opts = small("Guest");
    let mut guest = Proc::start("guest", &args(&["join", &link, "--seconds", "90"], &guest_opts));
    guest.wait(15.0, "pictures from the host", decoded_from("Host", 10));

    // The server dies. Media keeps flowing peer to peer.
    server.kill();
    let before = frames_from(&guest.latest("stats", 5.0), "Host");
    std::thread::sleep(Duration::from_secs(3));
    let during = guest.latest("stats", 5.0);
    let during_frames = frames_from(&during, "Host");
    assert!(during_frames > before + 30, "media stalled while the server was down: {before} → {during_frames}");

    // The server comes back (empty: it keeps nothing) and the members recreate the meeting.
    let mut server = Proc::start("server", &["server", "--listen", &listen, "--json"]);
    server.wait(10.0, "listening again", is("listening"));
    host.wait(20.0, "resumed", |v| v["type"] == "resumed" && v["after_restart"] == true);
    guest.wait(20.0, "resumed", |v| v["type"] == "resumed" && v["after_restart"] == true);

    // The meeting goes on: someone new can still come in, and is keyed and sees the host.
    let late_opts = small("Late");
    let mut late = Proc::start("late", &args(&["join", &link, "--seconds", "60"], &late_opts));
    late.wait(20.0, "keys", is("security_code"));
    late.wait(20.0, "pictures from the host", decoded_from("Host", 10));
    drop(server);
}
