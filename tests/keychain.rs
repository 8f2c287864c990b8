//! The device key in a real OS keychain: gnome-keyring behind the Secret Service, each test in
//! its own private D-Bus session (`dbus-run-session`) with its own keyring directory, so no
//! developer's keychain is ever touched.
//!
//! Each test runs twice: the parent (normal `cargo test`) starts `dbus-run-session`, which
//! starts gnome-keyring and runs this same test binary again as the child, filtered to the one
//! test, with `TRYGG_KEYCHAIN_CHILD` naming it; the child does the real work.
//!
//! Needs the Debian packages `dbus`, `gnome-keyring` (and `libsecret-tools` for `secret-tool`).

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::process::Proc;
use private_keychain::PrivateKeychain;
use rand_core_06::SeedableRng;
use trygg::e2ee::identity::DeviceIdentity;
use trygg::secrets::keychain::OsKeychain;
use trygg::secrets::{SecretStore, Sensitive};

const CHILD: &str = "TRYGG_KEYCHAIN_CHILD";
const SERVICE: &str = "trygg-test";

fn is_child(test: &str) -> bool {
    std::env::var(CHILD).is_ok_and(|v| v == test)
}

fn require_tools() {
    for tool in ["dbus-run-session", "gnome-keyring-daemon"] {
        let found = std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()));
        assert!(found, "{tool} is missing: install the Debian packages dbus gnome-keyring libsecret-tools");
    }
}

/// Runs `test` again inside a private session bus. `keyring` is the shell step that starts
/// gnome-keyring (unlocked or not); `data_home` holds its keyring files.
fn in_private_session(test: &str, keyring: &str, data_home: &Path) -> (bool, String) {
    require_tools();
    let exe = std::env::current_exe().expect("the test binary knows its path");
    // The daemon registers on the bus a moment after it forks. A client that asks before then
    // makes D-Bus start a second daemon, which may read the keyring file while the first one is
    // still writing it: wait for the name (10 s at most) before the test runs.
    let script = format!(
        "{keyring}; for i in $(seq 100); do {HAS_SECRETS} && break; sleep 0.1; done; \
         exec \"$0\" \"$1\" --exact --nocapture --test-threads=1"
    );
    let mut child = Command::new("dbus-run-session")
        .args(["--", "sh", "-c", &script])
        .arg(&exe)
        .arg(test)
        .env(CHILD, test)
        .env("XDG_DATA_HOME", data_home)
        // Everywhere else Trygg could write goes into the test's directory too, so that the
        // "no secret in any file" check covers it.
        .env("XDG_CONFIG_HOME", data_home.join("config"))
        .env("XDG_CACHE_HOME", data_home.join("cache"))
        .env("XDG_STATE_HOME", data_home.join("state"))
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("dbus-run-session starts");
    // A keychain that waits for a password prompt nobody can answer must fail, not hang.
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if child.try_wait().expect("wait works").is_some() {
            break;
        }
        if Instant::now() > deadline {
            child.kill().ok();
            panic!("{test}: the private keychain session hung for 90 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().expect("output");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// True once the Secret Service is on the session bus (dbus-send is in Debian's dbus-bin, which
/// every dbus install has).
const HAS_SECRETS: &str = "dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
     org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'";

const UNLOCKED: &str = "printf pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null";
const LOCKED: &str = "gnome-keyring-daemon --start --components=secrets >/dev/null";

fn files_contain(dir: &Path, needle: &[u8]) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else { return false };
    entries.flatten().any(|e| {
        let p = e.path();
        if p.is_dir() {
            files_contain(&p, needle)
        } else {
            std::fs::read(&p).is_ok_and(|b| b.windows(needle.len()).any(|w| w == needle))
        }
    })
}

#[test]
fn gnome_keyring_keeps_the_device_key() {
    const NAME: &str = "gnome_keyring_keeps_the_device_key";
    if is_child(NAME) {
        let store = OsKeychain::open_for_service(SERVICE).expect("the Secret Service is on the private bus");
        assert!(store.get("nothing-here").unwrap().is_none());
        store.set("round-trip", &Sensitive::new(b"secret bytes \x00\xff".to_vec())).unwrap();
        assert_eq!(store.get("round-trip").unwrap().unwrap().expose(), b"secret bytes \x00\xff");
        store.delete("round-trip").unwrap();
        store.delete("round-trip").unwrap();
        assert!(store.get("round-trip").unwrap().is_none());

        let mut rng = rand_chacha_03::ChaCha20Rng::seed_from_u64(1);
        let (a, created) = DeviceIdentity::load_or_create(&store, &mut rng).unwrap();
        assert!(created);
        let (b, created) =
            DeviceIdentity::load_or_create(&OsKeychain::open_for_service(SERVICE).unwrap(), &mut rng).unwrap();
        assert!(!created);
        assert_eq!(a.fingerprint(), b.fingerprint());
        // The seed is in the keychain, and in no file in clear (the keyring file is encrypted).
        let stored = store.get("device-identity").unwrap().unwrap();
        let data_home = std::env::var_os("XDG_DATA_HOME").unwrap();
        assert!(!files_contain(Path::new(&data_home), &stored.expose()[1..]));
        println!("CHILD OK");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (ok, out) = in_private_session(NAME, UNLOCKED, dir.path());
    assert!(ok && out.contains("CHILD OK"), "{out}");
    assert!(dir.path().join("keyrings").is_dir(), "gnome-keyring kept its own files in the test's directory");
}

#[test]
fn identity_command_creates_shows_and_resets() {
    const NAME: &str = "identity_command_creates_shows_and_resets";
    if is_child(NAME) {
        let trygg = env!("CARGO_BIN_EXE_trygg");
        let run = |args: &[&str]| {
            let out = Command::new(trygg).args(args).stdin(Stdio::null()).output().unwrap();
            (out.status.success(), serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap_or_default())
        };
        let (ok, first) = run(&["identity", "show", "--json"]);
        assert!(ok, "{first}");
        assert_eq!(first["status"], "created");
        let (ok, again) = run(&["identity", "show", "--json"]);
        assert!(ok);
        assert_eq!(again["status"], "existing");
        assert_eq!(again["fingerprint"], first["fingerprint"]);
        assert_eq!(again["fingerprint"].as_str().unwrap().split(' ').count(), 16);
        // No terminal and no --yes: refused, nothing changed.
        let (ok, refused) = run(&["identity", "reset", "--json"]);
        assert!(!ok);
        assert_eq!(refused["code"], "cli.not_confirmed");
        assert_eq!(run(&["identity", "show", "--json"]).1["fingerprint"], first["fingerprint"]);
        let (ok, reset) = run(&["identity", "reset", "--yes", "--json"]);
        assert!(ok);
        assert_ne!(reset["fingerprint"], first["fingerprint"]);
        assert_eq!(run(&["identity", "show", "--json"]).1["fingerprint"], reset["fingerprint"]);
        println!("CHILD OK");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (ok, out) = in_private_session(NAME, UNLOCKED, dir.path());
    assert!(ok && out.contains("CHILD OK"), "{out}");
}

#[test]
fn a_locked_keychain_is_a_clear_error_never_a_file() {
    const NAME: &str = "a_locked_keychain_is_a_clear_error_never_a_file";
    if is_child(NAME) {
        let store = OsKeychain::open_for_service(SERVICE).expect("the Secret Service is on the bus, just locked");
        let mut rng = rand_chacha_03::ChaCha20Rng::seed_from_u64(2);
        let err = DeviceIdentity::load_or_create(&store, &mut rng).unwrap_err();
        assert_eq!(err.code(), "secrets.keychain_locked", "{err}");
        assert!(err.to_string().contains("unlock it"), "{err}");
        let out = Command::new(env!("CARGO_BIN_EXE_trygg")).args(["identity", "show", "--json"]).output().unwrap();
        assert!(!out.status.success());
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(doc["code"], "secrets.keychain_locked");
        println!("CHILD OK");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // First a session that stores a key in an unlocked keyring, so that a locked one exists...
    let (ok, out) = in_private_session("gnome_keyring_keeps_the_device_key", UNLOCKED, dir.path());
    assert!(ok, "{out}");
    let before = list_files(dir.path());
    // ...then a session whose gnome-keyring starts without the password.
    let (ok, out) = in_private_session(NAME, LOCKED, dir.path());
    assert!(ok && out.contains("CHILD OK"), "{out}");
    assert_eq!(list_files(dir.path()), before, "nothing was written anywhere instead");
}

#[test]
fn no_secret_service_is_a_clear_error() {
    const NAME: &str = "no_secret_service_is_a_clear_error";
    if is_child(NAME) {
        let err = OsKeychain::open_for_service(SERVICE).unwrap_err();
        assert_eq!(err.code(), "secrets.no_keychain", "{err}");
        println!("CHILD OK");
        return;
    }
    require_tools();
    let out = Command::new(std::env::current_exe().unwrap())
        .args([NAME, "--exact", "--nocapture"])
        .env(CHILD, NAME)
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/trygg-test-bus")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains("CHILD OK"), "{text}{}", String::from_utf8_lossy(&out.stderr));
}

fn list_files(dir: &Path) -> Vec<(String, u64)> {
    let mut v = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                v.push((p.display().to_string(), e.metadata().map(|m| m.len()).unwrap_or(0)));
            }
        }
    }
    v.sort();
    v
}

/// `trygg identity show --json` on the keychain's bus: the fingerprint (an `existing` one).
fn fingerprint_in(keychain: &PrivateKeychain) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_trygg"))
        .args(["identity", "show", "--json"])
        .envs(keychain.env())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    assert!(out.status.success(), "identity show: {doc} {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(doc["status"], "existing", "the meeting made the key: {doc}");
    doc["fingerprint"].as_str().expect("a fingerprint").to_owned()
}

/// The default path of a meeting: `trygg host` and `trygg join` with no `--identity`, each
/// with its device key in its own OS keychain (a real gnome-keyring), inside the CLI's tokio
/// runtime. Each sees the other's key, the one the keychain holds; a second meeting of the same
/// device shows the same key.
#[test]
fn a_meeting_uses_the_device_keys_in_the_os_keychains() {
    let (host_keychain, guest_keychain) = (PrivateKeychain::start(), PrivateKeychain::start());
    let media = ["--video", "synthetic", "--audio", "synthetic", "--width", "320", "--height", "180"];
    let meet = |host_keychain: PrivateKeychain, guest_keychain: PrivateKeychain| {
        let host_args = [
            &["host", "--listen", "127.0.0.1:0", "--auto-admit", "--json", "--bind", "127.0.0.1"][..],
            &media,
            &["--name", "Hanne", "--seconds", "30"],
        ]
        .concat();
        let mut host = Proc::start_in("host", &host_args, host_keychain);
        let link = host.wait(15.0, "link", |v| v["type"] == "link")["link"].as_str().unwrap().to_owned();
        let guest_args =
            [&["join", &link, "--json", "--bind", "127.0.0.1"][..], &media, &["--name", "Gard", "--seconds", "30"]]
                .concat();
        let mut guest = Proc::start_in("guest", &guest_args, guest_keychain);
        let seen_by_guest =
            guest.wait(20.0, "Hanne's identity", |v| v["type"] == "peer_identity" && v["name"] == "Hanne");
        let seen_by_host = host.wait(20.0, "Gard's identity", |v| v["type"] == "peer_identity" && v["name"] == "Gard");
        let fingerprints = (
            seen_by_guest["fingerprint"].as_str().unwrap().to_owned(),
            seen_by_host["fingerprint"].as_str().unwrap().to_owned(),
        );
        (fingerprints, host.into_keychain().unwrap(), guest.into_keychain().unwrap())
    };
    // New keychains: each device key is made, and stored, inside the meeting's runtime.
    let ((hanne, gard), host_keychain, guest_keychain) = meet(host_keychain, guest_keychain);
    let (host_fp, guest_fp) = (fingerprint_in(&host_keychain), fingerprint_in(&guest_keychain));
    assert_ne!(host_fp, guest_fp, "two devices, two keys");
    assert_eq!((hanne.as_str(), gard.as_str()), (host_fp.as_str(), guest_fp.as_str()));
    let ((hanne_again, _), host_keychain, _) = meet(host_keychain, guest_keychain);
    assert_eq!(hanne_again, host_fp, "the device keeps its key from one meeting to the next");
    assert_eq!(fingerprint_in(&host_keychain), host_fp);
}

/// `trygg ARGS` with `keychain` as the desktop's keychain; stdout as one JSON document.
fn run_in(keychain: &PrivateKeychain, args: &[&str]) -> (bool, serde_json::Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_trygg"))
        .args(args)
        .envs(keychain.env())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let doc = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "{args:?}: not one JSON document: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.success(), doc)
}

/// Personal invitations on the default path: `trygg invite --personal` signs each with the
/// device key in the OS keychain and lists it; `trygg invitations revoke` revokes one; the same
/// device hosts the meeting with `--invited-only`. The lobby says whom the valid invitation was
/// made for and lets it in; the revoked invitation and the shared link are turned away.
#[test]
fn personal_invitations_signed_with_the_keychains_key_let_in_only_the_invited() {
    use trygg::links::{JoinLink, LinkForm, LinkSecret};
    let keychain = PrivateKeychain::start();
    let mut server = Proc::start("server", &["server", "--listen", "127.0.0.1:0", "--json"]);
    let url = server.wait(10.0, "listening", |v| v["type"] == "listening")["url"].as_str().unwrap().to_owned();
    let port: u16 = url.trim_end_matches('/').rsplit(':').next().unwrap().parse().unwrap();
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).unwrap();
    let link = JoinLink::new(LinkForm::Trygg, "127.0.0.1", Some(port), LinkSecret::from_random(secret))
        .and_then(|l| l.insecure_loopback())
        .unwrap()
        .expose_url();
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().display().to_string();
    let (ok, made) = run_in(
        &keychain,
        &[
            "invite",
            "--title",
            "Budget",
            "--start",
            "2026-12-08T09:00Z",
            "--link",
            &link,
            "--personal",
            "--json",
            "--attendee",
            "kari@example.no",
            "--attendee",
            "ola@example.no",
            "-o",
            &out_dir,
        ],
    );
    assert!(ok, "{made}");
    let file = |who: &str| made["files"].as_array().unwrap().iter().find(|f| f["attendee"] == who).unwrap().clone();
    let (kari_file, ola_file) = (file("kari@example.no"), file("ola@example.no"));

    let (ok, list) = run_in(&keychain, &["invitations", "list", "--json"]);
    assert!(ok, "{list}");
    let listed = list["invitations"].as_array().unwrap();
    assert_eq!(listed.len(), 2, "{list}");
    assert!(listed.iter().all(|r| r["revoked"].is_null() && r["room"] == made["room"]), "{list}");
    let ola_id = ola_file["invitation"].as_str().unwrap();
    let (ok, after) = run_in(&keychain, &["invitations", "revoke", ola_id, "--json"]);
    assert!(ok, "{after}");
    let revoked: Vec<&str> = after["invitations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| !r["revoked"].is_null())
        .map(|r| r["invitee"].as_str().unwrap())
        .collect();
    assert_eq!(revoked, ["ola@example.no"]);
    let (ok, unknown) = run_in(&keychain, &["invitations", "revoke", "AAAAAAAAAAA", "--json"]);
    assert!(!ok && unknown["code"] == "meeting.invitations", "{unknown}");
    // Ids are base64url: one in 64 begins with "-", and is still an id, not an option.
    let (ok, unknown) = run_in(&keychain, &["invitations", "revoke", "--json", "-AAAAAAAAAA"]);
    assert!(!ok && unknown["code"] == "meeting.invitations", "{unknown}");
    assert!(unknown["message"].as_str().unwrap().contains("no invitation -AAAAAAAAAA"), "{unknown}");

    let media =
        ["--video", "synthetic", "--audio", "synthetic", "--width", "320", "--height", "180", "--seconds", "40"];
    let host_args = [
        &[
            "host",
            "--link",
            &link,
            "--invited-only",
            "--auto-admit",
            "--json",
            "--bind",
            "127.0.0.1",
            "--name",
            "Hanne",
        ][..],
        &media,
    ]
    .concat();
    let mut host = Proc::start_in("host", &host_args, keychain);
    host.wait(15.0, "created", |v| v["type"] == "created");
    let mut kari = Proc::join("kari", kari_file["link"].as_str().unwrap(), &[&media[..], &["--name", "Kari"]].concat());
    let knock = host.wait(20.0, "Kari's knock", |v| v["type"] == "knock_received");
    assert_eq!(knock["invitation"]["status"], "invited", "{knock}");
    assert_eq!(knock["invitation"]["invitee"], "kari@example.no", "{knock}");
    assert_eq!(knock["invitation"]["id"], kari_file["invitation"], "{knock}");
    kari.wait(20.0, "keys", |v| v["type"] == "security_code");

    let mut ola = Proc::join("ola", ola_file["link"].as_str().unwrap(), &[&media[..], &["--name", "Ola"]].concat());
    host.wait(20.0, "Ola turned away", |v| v["type"] == "error" && v["code"] == "e2ee.not_invited");
    ola.wait(20.0, "denied", |v| v["type"] == "denied");
    let mut per = Proc::join("per", &link, &[&media[..], &["--name", "Per"]].concat());
    host.wait(20.0, "Per turned away", |v| v["type"] == "error" && v["code"] == "e2ee.not_invited");
    per.wait(20.0, "denied", |v| v["type"] == "denied");
    let knocks = host.seen.iter().filter(|v| v["type"] == "knock_received").count();
    assert_eq!(knocks, 1, "only Kari's knock reached the lobby");
}
