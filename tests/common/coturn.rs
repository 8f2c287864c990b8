//! A private coturn TURN server on loopback, started and stopped by the test that needs it.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::tool;

/// A running coturn; killed on drop.
pub struct Coturn {
    child: Child,
    _dir: tempfile::TempDir,
    /// The listening port (UDP and TCP) on 127.0.0.1.
    pub port: u16,
}

/// User name and password the server accepts.
pub const USER: &str = "trygg";
/// See [`USER`].
pub const PASSWORD: &str = "loopback-only-secret";

fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Coturn {
    /// Starts coturn with long-term credentials ([`USER`], [`PASSWORD`]), relaying on loopback
    /// only.
    pub fn start() -> Self {
        Self::start_with(&format!("lt-cred-mech\nuser={USER}:{PASSWORD}\n"))
    }

    /// Starts coturn with time-limited credentials made from `secret` (`use-auth-secret`, the
    /// scheme `trygg server --turn-secret-file` hands members credentials in).
    pub fn with_auth_secret(secret: &str) -> Self {
        Self::start_with(&format!("use-auth-secret\nstatic-auth-secret={secret}\n"))
    }

    fn start_with(credentials: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = free_udp_port();
        // A relay port range of its own, away from the listening port.
        let min = 20_000 + (u32::from(port) * 7 % 20_000) as u16;
        let conf = format!(
            "listening-ip=127.0.0.1\nrelay-ip=127.0.0.1\nlistening-port={port}\nmin-port={min}\nmax-port={}\n\
             realm=trygg.test\nserver-name=trygg.test\nfingerprint\n{credentials}\
             allow-loopback-peers\nno-multicast-peers\nno-tls\nno-dtls\nno-cli\nno-rfc5780\n\
             no-stun-backward-compatibility\nresponse-origin-only-with-rfc5780\nuserdb={d}/turndb\n\
             pidfile={d}/turnserver.pid\nlog-file={d}/turn.log\nsimple-log\nno-stdout-log\n",
            min + 200,
            d = dir.path().display()
        );
        let conf_path = dir.path().join("turnserver.conf");
        std::fs::write(&conf_path, conf).unwrap();
        let child = Command::new(tool("turnserver"))
            .arg("-c")
            .arg(&conf_path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting turnserver");
        // Ready when it answers a STUN binding request.
        let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        sock.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        let request = [0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
        loop {
            assert!(Instant::now() < deadline, "coturn did not answer on 127.0.0.1:{port}");
            let _ = sock.send_to(&request, ("127.0.0.1", port));
            let mut buf = [0u8; 512];
            if sock.recv(&mut buf).is_ok() {
                break;
            }
        }
        Self { child, _dir: dir, port }
    }

    /// The server's log (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self._dir.path().join("turn.log")).unwrap_or_default()
    }
}

impl Drop for Coturn {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
