//! A meeting with every default a user has: `trygg host` and `trygg join` with no `--listen`,
//! `--bind`, `--server` or `--identity`. So the built-in server listens on every interface at
//! 7443, makes its own certificate and pins it in the link it gives out, the link names this
//! machine's LAN address, media is gathered on every interface, and each device key comes from
//! the OS keychain.
//!
//! Every interface and the LAN are the test's own: it runs again inside a new network namespace
//! (`unshare --net`, with a user namespace so that no root is needed) holding loopback and a veth
//! pair on 10.99.0.0/24 with a default route, so nothing reaches any network outside it.

mod common;

use std::process::Command;

use common::process::Proc;

const CHILD: &str = "TRYGG_DEFAULTS_CHILD";

fn ip(args: &str) {
    let ok = Command::new("ip").args(args.split(' ')).status().is_ok_and(|s| s.success());
    assert!(ok, "ip {args} failed inside the test's network namespace");
}

#[test]
fn a_meeting_with_every_default_runs_over_a_pinned_certificate_on_the_lan_address() {
    const NAME: &str = "a_meeting_with_every_default_runs_over_a_pinned_certificate_on_the_lan_address";
    if std::env::var_os(CHILD).is_none() {
        common::tool("unshare");
        common::tool("ip");
        let out = Command::new("unshare")
            .args(["--net", "--map-root-user", "--"])
            .arg(std::env::current_exe().unwrap())
            .args([NAME, "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD, "1")
            .output()
            .unwrap();
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success() && text.contains("CHILD OK"), "{text}");
        return;
    }
    // The namespace's own network: loopback, and a LAN of two veth ends with a default route,
    // so that this machine's LAN address is 10.99.0.1.
    ip("link set lo up");
    ip("link add lan0 type veth peer name lan1");
    ip("addr add 10.99.0.1/24 dev lan0");
    ip("addr add 10.99.0.2/24 dev lan1");
    ip("link set lan0 up");
    ip("link set lan1 up");
    ip("route add default via 10.99.0.254 dev lan0");
    assert_eq!(trygg::net::lan_address().to_string(), "10.99.0.1");

    let mut host = Proc::start("host", &["host", "--auto-admit", "--json", "--name", "Hanne", "--seconds", "40"]);
    let link = host.wait(20.0, "link", |v| v["type"] == "link")["link"].as_str().unwrap().to_owned();
    // 7443 is the trygg: scheme's own port, so the link does not spell it out.
    assert!(link.starts_with("trygg://10.99.0.1/"), "the link names the LAN address, on port 7443: {link}");
    assert!(link.contains("?pin="), "the link pins the server's own certificate: {link}");
    let mut guest = Proc::start("guest", &["join", &link, "--json", "--name", "Gard", "--seconds", "40"]);
    guest.wait(30.0, "Hanne's video", |v| v["type"] == "first_remote_video");
    host.wait(30.0, "Gard's video", |v| v["type"] == "first_remote_video");
    let e2ee = guest.wait(10.0, "stats", |v| v["type"] == "stats" && v["e2ee"]["security_code"].is_string());
    let code = e2ee["e2ee"]["security_code"].clone();
    host.wait(10.0, "the same security code", |v| v["type"] == "stats" && v["e2ee"]["security_code"] == code);
    println!("CHILD OK");
}
