//! The shell over a real meeting, without a window: a host and a joiner (two app instances on
//! Tauri's mock runtime, one process), a built-in server on loopback, synthetic camera and
//! microphone. Everything the UI would see is read where the UI reads it: the Tauri event and
//! the binary video channel.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder, mock_context, noop_assets};
use tauri::webview::InvokeRequest;
use tauri::{App, Listener, Manager, WebviewWindow, WebviewWindowBuilder};
use trygg_desktop::config::JoinOptions;
use trygg_desktop::contract::UiCommand;
use trygg_desktop::desktop::{Desktop, Launch};
use trygg_desktop::event::EVENT;
use trygg_desktop::settings::SettingsFile;
use trygg_desktop::video::Pull;

struct Instance {
    app: App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
    events: mpsc::Receiver<Value>,
    _dir: tempfile::TempDir,
}

fn instance() -> Instance {
    instance_with(Launch::loopback())
}

fn instance_with(launch: Launch) -> Instance {
    let dir = tempfile::tempdir().unwrap();
    let desktop = Desktop::new(SettingsFile::in_dir(dir.path()), launch);
    let app = mock_builder()
        .manage(desktop)
        .invoke_handler(trygg_desktop::commands!())
        .build(mock_context(noop_assets()))
        .expect("a mock app");
    let window = WebviewWindowBuilder::new(&app, "main", Default::default()).build().unwrap();
    let (tx, events) = mpsc::channel();
    app.listen_any(EVENT, move |e| {
        let _ = tx.send(serde_json::from_str(e.payload()).expect("events are JSON"));
    });
    Instance { app, window, events, _dir: dir }
}

impl Instance {
    fn desktop(&self) -> tauri::State<'_, Desktop> {
        self.app.state::<Desktop>()
    }

    /// Calls a command the way the UI does; Ok(reply) or Err({code, message}).
    fn invoke(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        get_ipc_response(
            &self.window,
            InvokeRequest {
                cmd: cmd.into(),
                callback: CallbackFn(0),
                error: CallbackFn(1),
                url: "tauri://localhost".parse().unwrap(),
                body: InvokeBody::from(args),
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            },
        )
        .map(|b| b.deserialize::<Value>().unwrap())
    }

    /// Waits for the first event of this type, passing others by.
    fn wait_for(&self, kind: &str, within: Duration) -> Value {
        let end = Instant::now() + within;
        while let Some(left) = end.checked_duration_since(Instant::now()) {
            if let Ok(e) = self.events.recv_timeout(left)
                && e["type"] == kind
            {
                return e;
            }
        }
        panic!("no {kind} event within {within:?}");
    }
}

fn options(name: &str) -> JoinOptions {
    serde_json::from_value(serde_json::json!({
        "name": name, "camera": "synthetic", "microphone": "synthetic", "speaker": "none",
        "camera_off": false, "microphone_off": false,
    }))
    .unwrap()
}

/// Pictures from a watch, pulled as the page pulls them: (width, height, mean luma, luma hash)
/// of each.
fn watch(instance: &Instance, member: &str, width: Option<u32>) -> (u64, mpsc::Receiver<(u32, u32, f64, u64)>) {
    let (tx, rx) = mpsc::channel();
    let id = instance.desktop().watch_video(member, width).expect("a video to watch");
    let watch = instance.desktop().watch(id).expect("a running watch");
    std::thread::spawn(move || {
        loop {
            let b = match watch.pull(Duration::from_secs(1)) {
                Pull::Picture(b) => b,
                Pull::Nothing => continue,
                Pull::Gone => return,
            };
            assert_eq!(&b[0..4], b"TRV1", "pictures are binary, header first");
            let w = u32::from_le_bytes(b[4..8].try_into().unwrap());
            let h = u32::from_le_bytes(b[8..12].try_into().unwrap());
            let luma = &b[24..24 + (w * h) as usize];
            let mean = luma.iter().map(|&v| f64::from(v)).sum::<f64>() / luma.len() as f64;
            let hash = luma.iter().step_by(61).fold(0u64, |a, &v| a.wrapping_mul(31).wrapping_add(u64::from(v)));
            if tx.send((w, h, mean, hash)).is_err() {
                return;
            }
        }
    });
    (id, rx)
}

fn pictures(rx: &mpsc::Receiver<(u32, u32, f64, u64)>, n: usize) -> Vec<(u32, u32, f64, u64)> {
    (0..n).map(|_| rx.recv_timeout(Duration::from_secs(10)).expect("a picture within 10 s")).collect()
}

#[test]
fn commands_answer_with_codes_the_ui_can_read() {
    let a = instance();
    let settings = a.invoke("settings", Value::Null).unwrap();
    assert_eq!(settings["language"], "en");
    let mut bad = settings.clone();
    bad["ice"] = serde_json::json!(["turn:alice:secret@turn.example.org"]);
    assert_eq!(
        a.invoke("save_settings", serde_json::json!({ "settings": bad })).unwrap_err()["code"],
        "settings.invalid"
    );
    let err = a.invoke("command", serde_json::json!({ "command": { "type": "leave" } })).unwrap_err();
    assert_eq!(err["code"], "shell.no_meeting");
    let opened = a.invoke("open_link", serde_json::json!({ "input": "https://zoom.us/j/85298765432" })).unwrap();
    assert_eq!(opened["action"]["type"], "open_vendor");
    let none = a.invoke("join", serde_json::json!({ "link": 999, "options": options("x") })).unwrap_err();
    assert_eq!(none["code"], "shell.unknown_link");
}

/// Set in the copy of this test binary that runs inside a private keychain session.
const CHILD: &str = "TRYGG_SHELL_KEYCHAIN_CHILD";

/// The host's app keeps its device key where a user's does: the OS keychain (a real
/// gnome-keyring on a private session bus). The test runs again in a process whose session
/// bus is that one; the joiner, in the same process, has an identity for this run only (two
/// devices cannot share one keychain).
#[test]
fn host_admits_a_joiner_and_each_sees_the_others_moving_pictures() {
    const NAME: &str = "host_admits_a_joiner_and_each_sees_the_others_moving_pictures";
    if std::env::var_os(CHILD).is_none() {
        let keychain = private_keychain::PrivateKeychain::start();
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([NAME, "--exact", "--nocapture", "--test-threads=1"])
            .envs(keychain.env())
            .env(CHILD, "1")
            .output()
            .unwrap();
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success() && text.contains("CHILD OK"), "{text}");
        return;
    }
    let host = instance_with(Launch { ephemeral_identity: false, ..Launch::loopback() });
    let rt = tauri::async_runtime::handle();
    // The settings screen's fingerprint: the key is made in the keychain on first use, then kept.
    let fingerprint = host.invoke("identity", serde_json::json!({})).unwrap()["fingerprint"].clone();
    assert_eq!(fingerprint.as_str().map(str::len), Some(64), "{fingerprint}");
    // The TURN password goes to the same keychain; the meeting reads it back with the key.
    host.invoke("set_turn_password", serde_json::json!({ "password": "turn secret" })).unwrap();
    let hosted = rt.block_on(host.desktop().host(host.app.handle().clone(), options("Hanne Host"))).unwrap();
    assert_eq!(hosted.server.host, "127.0.0.1");
    host.wait_for("joined", Duration::from_secs(10));

    // Our own camera, for the self view, sized to its tile (the camera captures 1280x720).
    let (_, selfie) = watch(&host, "self", Some(300));
    let p = pictures(&selfie, 3);
    assert!(p.iter().all(|&(w, h, ..)| (w, h) == (320, 180)), "{p:?}");

    let joiner = instance();
    let link = host.desktop().invite_link().unwrap();
    let opened = joiner.invoke("open_link", serde_json::json!({ "input": link })).unwrap();
    assert!(!opened.to_string().contains(link.split_once('#').unwrap().1), "the secret never reaches the UI");
    joiner.invoke("join", serde_json::json!({ "link": opened["id"], "options": options("Jon Joiner") })).unwrap();

    let knock = host.wait_for("knock_received", Duration::from_secs(15));
    assert_eq!(knock["name"], "Jon Joiner");
    let member = knock["member"].as_str().unwrap().to_owned();
    host.invoke("command", serde_json::json!({ "command": { "type": "admit", "member": member } })).unwrap();
    joiner.wait_for("joined", Duration::from_secs(15));
    let video = host.wait_for("video_available", Duration::from_secs(20));
    assert_eq!(video["member"], member.as_str());

    let (id, remote) = watch(&host, &member, None);
    let p = pictures(&remote, 10);
    // A call starts at 540p and climbs to 720p as the links' estimate allows (the ladder).
    let rung = |w, h| (w, h) == (1280, 720) || (w, h) == (960, 540);
    assert!(p.iter().all(|&(w, h, mean, _)| mean > 20.0 && rung(w, h)), "whole and not black: {p:?}");
    let distinct: std::collections::HashSet<u64> = p.iter().map(|x| x.3).collect();
    assert!(distinct.len() > 3, "the pictures change: {p:?}");
    host.desktop().unwatch_video(id);
    // A tile 600 pixels wide gets pictures no larger than it needs.
    let (id, remote) = watch(&host, &member, Some(600));
    let p = pictures(&remote, 5);
    // Halved while at least 600 wide: 1280x720 to 640x360; 960x540 stays.
    let fitted = |w, h| (w, h) == (640, 360) || (w, h) == (960, 540);
    assert!(p.iter().all(|&(w, h, mean, _)| mean > 20.0 && fitted(w, h)), "halved: {p:?}");
    host.desktop().unwatch_video(id);

    joiner.invoke("command", serde_json::json!({ "command": UiCommand::Leave })).unwrap();
    joiner.wait_for("left", Duration::from_secs(10));
    joiner.wait_for("meeting_closed", Duration::from_secs(10));
    host.wait_for("participant_left", Duration::from_secs(10));
    host.invoke("command", serde_json::json!({ "command": UiCommand::EndForAll })).unwrap();
    host.wait_for("meeting_closed", Duration::from_secs(10));
    assert_eq!(
        host.invoke("command", serde_json::json!({ "command": UiCommand::Leave })).unwrap_err()["code"],
        "shell.no_meeting"
    );
    assert_eq!(host.invoke("identity", serde_json::json!({})).unwrap()["fingerprint"], fingerprint);
    println!("CHILD OK");
}
