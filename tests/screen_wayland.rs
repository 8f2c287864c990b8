//! Screen sharing on Wayland through the desktop portal, against the real parts: a headless
//! sway showing a known slide, PipeWire with WirePlumber, xdg-desktop-portal and its wlroots
//! backend, each started by `tests/wayland/portal-stack.sh` on a private bus and runtime folder.
//! One `trygg` shares that screen through the portal and another checks what it receives,
//! picture by picture; the portal's refusals and a missing portal are explained.
#![cfg(all(target_os = "linux", feature = "screen-portal"))]

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use trygg::media::clock::SystemClock;
use trygg::media::convert::i420_to_rgb;
use trygg::media::frame::VideoFrame;
use trygg::media::screen::synthetic::SyntheticScreen;
use trygg::media::source::Source;

const W: u32 = 1920;
const H: u32 = 1080;

/// The stack, stopped on drop.
struct Stack {
    env: HashMap<String, String>,
    dir: PathBuf,
    _tmp: tempfile::TempDir,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/wayland/portal-stack.sh")
}

impl Stack {
    /// Starts the stack showing `image`, with `knobs` (the script's `WPS_*` settings).
    fn start(image: &Path, knobs: &[(&str, &str)]) -> Self {
        for program in ["sway", "swaybg", "pipewire", "wireplumber", "/usr/libexec/xdg-desktop-portal-wlr"] {
            let found = program.starts_with('/') && Path::new(program).exists()
                || std::env::var_os("PATH")
                    .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()));
            assert!(found, "{program} is missing: `make test` installs it (scripts/setup.sh)");
        }
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("rt");
        let out = Command::new(script())
            .args(["start", "-r", dir.to_str().unwrap(), image.to_str().unwrap()])
            .envs(knobs.iter().copied())
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let stack_err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "the Wayland portal stack did not come up:\n{stack_err}");
        let env = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.strip_prefix("export ")?.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.trim_matches('\'').to_owned()))
            .collect::<HashMap<_, _>>();
        assert!(env.contains_key("WAYLAND_DISPLAY"), "{env:?}");
        Self { env, dir, _tmp: tmp }
    }

    /// The environment a program of this session gets.
    fn vars(&self) -> Vec<(&str, &str)> {
        [
            "XDG_RUNTIME_DIR",
            "DBUS_SESSION_BUS_ADDRESS",
            "WAYLAND_DISPLAY",
            "XDG_CURRENT_DESKTOP",
            "PIPEWIRE_RUNTIME_DIR",
        ]
        .into_iter()
        .filter_map(|k| Some((k, self.env.get(k)?.as_str())))
        .collect()
    }

    fn trygg(&self) -> Command {
        let mut c = common::trygg();
        c.envs(self.vars()).env_remove("DISPLAY");
        c
    }

    /// `trygg devices --json` in this session.
    fn devices(&self) -> serde_json::Value {
        let out = self.trygg().args(["devices", "--json"]).output().unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// Stops the portal's backend, as when the desktop ends the share.
    fn kill_backend(&self) {
        let pids = std::fs::read_to_string(self.dir.join("stack.pids")).unwrap();
        let pid = pids.lines().find_map(|l| l.strip_prefix("xdpw ")).unwrap_or_else(|| panic!("no xdpw in {pids}"));
        assert!(Command::new("kill").arg(pid.trim()).status().unwrap().success());
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        let _ = Command::new(script()).arg("stop").arg(&self.dir).stderr(Stdio::null()).status();
    }
}

/// The synthetic slide (small text, a table), as the reference picture and as a PPM for the
/// screen's wallpaper.
fn slide(dir: &Path) -> (VideoFrame, PathBuf) {
    let mut s = SyntheticScreen::new(W, H, 5, SystemClock::shared()).unwrap().still(true);
    let f = s.next_frame().unwrap().unwrap();
    let mut ppm = format!("P6\n{W} {H}\n255\n").into_bytes();
    ppm.extend(i420_to_rgb(&f));
    let path = dir.join("slide.ppm");
    std::fs::write(&path, ppm).unwrap();
    (f, path)
}

fn psnr_y(a: &VideoFrame, b: &VideoFrame) -> f64 {
    let sse: u64 = a.y().iter().zip(b.y()).map(|(&x, &y)| u64::from(x.abs_diff(y)).pow(2)).sum();
    let mse = (sse as f64 / a.y().len() as f64).max(1e-9);
    (100.0 * (65025.0 / mse).log10()).round() / 10.0
}

#[test]
fn a_wayland_screen_shared_through_the_portal_reaches_the_viewer_readable_and_its_end_is_told() {
    let work = tempfile::tempdir().unwrap();
    let (want, image) = slide(work.path());
    let stack = Stack::start(&image, &[]);

    // On Wayland the system's dialog chooses: the listing offers "a screen", with no thumbnail.
    let devices = stack.devices();
    assert_eq!(devices["share"][0]["id"], "screen", "{devices}");
    assert!(devices["share"][0].get("thumbnail").is_none(), "{devices}");

    // Anna shares her screen through the portal; Bo (no Wayland of his own) records what he gets.
    let rec = tempfile::tempdir().unwrap();
    let mut anna = common::process::Proc::host(
        "anna",
        &["--video", "none", "--share", "screen", "--seconds", "40"],
        &stack.vars(),
    );
    let link = anna.wait(10.0, "link", |v| v["type"] == "link")["link"].as_str().unwrap().to_owned();
    anna.wait(15.0, "Anna's share through the portal", |v| v["type"] == "share_started");
    let mut bo = common::process::Proc::join(
        "bo",
        &link,
        &["--video", "none", "--record", rec.path().to_str().unwrap(), "--seconds", "12"],
    );
    bo.wait(15.0, "Anna's share", |v| v["type"] == "share_started");
    let stats =
        bo.wait(15.0, "share stats", |v| v["type"] == "stats" && v["peers"][0]["share"]["frames"].as_u64() > Some(10));
    let share = &stats["peers"][0]["share"];
    assert_eq!((share["width"].as_u64(), share["height"].as_u64()), (Some(W.into()), Some(H.into())), "{share}");
    bo.wait(20.0, "the end", |v| v["type"] == "left");

    // Every recorded picture against the slide on the screen (luma, as in tests/screen_x11.rs).
    let file = std::fs::read_dir(rec.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with("-share.y4m"))
        .expect("Bo recorded Anna's share");
    let mut reader =
        trygg::media::y4m::Y4mReader::new(std::io::BufReader::new(std::fs::File::open(&file).unwrap())).unwrap();
    let mut quality = vec![];
    while let Some(f) = reader.read_frame().unwrap() {
        assert_eq!((f.width(), f.height()), (W, H));
        quality.push(psnr_y(&f, &want));
    }
    eprintln!("share of a Wayland screen through the portal: {} pictures, PSNR {quality:?}", quality.len());
    // A still slide is sent at the slowest pace, at most 5 a second.
    assert!(quality.len() >= 20, "{} pictures", quality.len());
    // The first pictures after a keyframe are 33 dB or better; the sharpened ones 40 dB and up.
    assert!(quality.iter().all(|&q| q >= 33.0), "{quality:?}");
    let late = &quality[quality.len() / 2..];
    assert!(late.iter().all(|&q| q >= 40.0), "the second half: {late:?}");

    // The desktop ends the share (its portal backend goes away): the share stops, and Anna is
    // told why.
    stack.kill_backend();
    let stopped = anna.wait(10.0, "the share's end", |v| v["type"] == "share_stopped");
    assert_eq!(stopped["reason"], "source_gone", "{stopped}");
    let told = anna.wait(5.0, "why", |v| v["type"] == "error");
    assert_eq!(told["code"], "share.source_gone", "{told}");
}

#[test]
fn a_share_refused_in_the_portal_says_how_to_allow_it() {
    let work = tempfile::tempdir().unwrap();
    let (_, image) = slide(work.path());
    // The backend finds no screen to offer, so the portal answers "cancelled", as it does when
    // the user closes its dialog.
    let stack = Stack::start(&image, &[("WPS_OUTPUT_NAME", "NO-SUCH-OUTPUT")]);
    let mut anna = common::process::Proc::host(
        "anna",
        &["--video", "none", "--audio", "none", "--share", "screen", "--seconds", "20"],
        &stack.vars(),
    );
    let e = anna.wait(15.0, "the refusal", |v| v["type"] == "error");
    assert_eq!(e["code"], "media.permission_denied", "{e}");
    let message = e["message"].as_str().unwrap();
    assert!(message.contains("cancelled or refused in the system's sharing dialog; share again"), "{message}");
    // The meeting goes on without the share.
    let next = anna.wait(5.0, "a stats tick", |v| v["type"] == "stats" || v["type"] == "left");
    assert_eq!(next["type"], "stats", "{next}");
}

#[test]
fn without_a_portal_backend_sharing_says_what_to_install() {
    let work = tempfile::tempdir().unwrap();
    let (_, image) = slide(work.path());
    // The portal runs, but nothing implements ScreenCast for this desktop.
    let stack = Stack::start(&image, &[("WPS_XDPW", "0")]);
    let devices = stack.devices();
    assert_eq!(devices["share"], serde_json::json!([]), "{devices}");
    let problem =
        devices["problems"].as_array().unwrap().iter().filter_map(|p| p.as_str()).collect::<Vec<_>>().join("\n");
    assert!(problem.contains("no screen-sharing portal"), "{problem}");
    assert!(problem.contains("install xdg-desktop-portal and the portal for your desktop"), "{problem}");

    // No session bus at all: the same advice, not a hang.
    let out = stack
        .trygg()
        .args(["devices", "--json"])
        .env("DBUS_SESSION_BUS_ADDRESS", format!("unix:path={}", work.path().join("no-bus").display()))
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let problem = v["problems"].to_string();
    assert!(problem.contains("no screen-sharing portal"), "{problem}");
}
