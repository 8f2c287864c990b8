//! Screen and window capture from a real X server: an Xvfb this test starts, with known pixels
//! drawn on its screen and a named window on top.
#![cfg(all(target_os = "linux", feature = "screen"))]

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use trygg::media::clock::SystemClock;
use trygg::media::convert::{RgbLayout, rgb_to_i420};
use trygg::media::screen::x11::{X11Capture, list_on};
use trygg::media::screen::{ShareKind, ShareTarget};
use trygg::media::source::Source;
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{ConnectionExt as _, CreateGCAux, CreateWindowAux, ImageFormat, PropMode, WindowClass};
use x11rb::wrapper::ConnectionExt as _;

const W: u32 = 640;
const H: u32 = 480;
const WIN: (i16, i16, u16, u16) = (400, 300, 200, 150);

/// An Xvfb on a display of its own, stopped on drop. `-noreset`: by default Xvfb resets when its
/// last client leaves, and a connection made during the reset fails.
struct Xvfb {
    child: Child,
    display: String,
}

impl Xvfb {
    fn start() -> Option<Self> {
        let found =
            std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d.join("Xvfb").is_file()));
        if !found {
            return None;
        }
        let n = (100..400).find(|n| {
            !std::path::Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
                && !std::path::Path::new(&format!("/tmp/.X{n}-lock")).exists()
        })?;
        let display = format!(":{n}");
        let child = Command::new("Xvfb")
            .args([&display, "-screen", "0", &format!("{W}x{H}x24"), "-nolisten", "tcp", "-noreset"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let x = Self { child, display };
        let deadline = Instant::now() + Duration::from_secs(10);
        while x11rb::connect(Some(&x.display)).is_err() {
            assert!(Instant::now() < deadline, "Xvfb {} did not come up", x.display);
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(x)
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The test picture: gradients and sharp 1-pixel lines, as BGRA.
fn pattern() -> Vec<u8> {
    let mut px = Vec::with_capacity((W * H * 4) as usize);
    for y in 0..H {
        for x in 0..W {
            let line = x % 37 == 0 || y % 23 == 0;
            let (r, g, b) =
                if line { (0, 0, 0) } else { ((x * 255 / W) as u8, (y * 255 / H) as u8, ((x + y) % 256) as u8) };
            px.extend_from_slice(&[b, g, r, 0]);
        }
    }
    px
}

#[test]
fn screens_and_windows_are_listed_captured_and_a_closed_window_ends_the_share() {
    // `make test` installs Xvfb; without it this test fails rather than pass unrun.
    let x = Xvfb::start().expect("Xvfb is missing or cannot start: install the Debian package xvfb");
    let (conn, screen_num) = x11rb::connect(Some(&x.display)).unwrap();
    let screen = &conn.setup().roots[screen_num];
    let root = screen.root;

    // Draw the pattern on the screen, in rows (a request has a size limit).
    let gc = conn.generate_id().unwrap();
    conn.create_gc(gc, root, &CreateGCAux::default()).unwrap();
    let bgra = pattern();
    for y in (0..H).step_by(40) {
        let rows = &bgra[(y * W * 4) as usize..((y + 40).min(H) * W * 4) as usize];
        conn.put_image(ImageFormat::Z_PIXMAP, root, gc, W as u16, 40, 0, y as i16, 0, screen.root_depth, rows).unwrap();
    }
    // A green window with a name, on top.
    let win = conn.generate_id().unwrap();
    let (wx, wy, ww, wh) = WIN;
    conn.create_window(
        screen.root_depth,
        win,
        root,
        wx,
        wy,
        ww,
        wh,
        0,
        WindowClass::INPUT_OUTPUT,
        0,
        &CreateWindowAux::default().background_pixel(0x00_ff00),
    )
    .unwrap();
    conn.change_property8(
        PropMode::REPLACE,
        win,
        x11rb::protocol::xproto::AtomEnum::WM_NAME,
        x11rb::protocol::xproto::AtomEnum::STRING,
        b"Trygg test window",
    )
    .unwrap();
    conn.map_window(win).unwrap();
    conn.sync().unwrap();
    std::thread::sleep(Duration::from_millis(200));

    // Listed: the screen and the window, with thumbnails.
    let sources = list_on(Some(&x.display), 160).unwrap();
    let screen_src = sources.iter().find(|s| s.kind == ShareKind::Screen).expect("a screen");
    assert_eq!((screen_src.id.as_str(), screen_src.width, screen_src.height), ("screen:0", W, H));
    let window_src = sources.iter().find(|s| s.name == "Trygg test window").expect("the window, by name");
    assert_eq!((window_src.kind, window_src.width, window_src.height), (ShareKind::Window, 200, 150));
    let thumb = window_src.thumbnail.as_ref().expect("a thumbnail");
    assert_eq!((thumb.width, thumb.height), (160, 120));
    let mid = ((thumb.height / 2 * thumb.width + thumb.width / 2) * 3) as usize;
    let (r, g, b) = (thumb.rgb[mid], thumb.rgb[mid + 1], thumb.rgb[mid + 2]);
    assert!(g > 230 && r < 30 && b < 30, "the window's thumbnail is green: {r},{g},{b}");

    // The screen: what was drawn, exactly, where no window covers it.
    let mut cap =
        X11Capture::open_on(Some(&x.display), &ShareTarget::Screen(Some(0)), 10, SystemClock::shared()).unwrap();
    let f = cap.next_frame().unwrap().unwrap();
    assert_eq!((f.width(), f.height()), (W, H));
    let want = rgb_to_i420(W, H, (W * 4) as usize, RgbLayout::Bgra32, &bgra).unwrap();
    for y in 0..H as usize {
        let cols = if y >= wy as usize { wx as usize } else { W as usize };
        assert_eq!(&f.y()[y * W as usize..][..cols], &want.y()[y * W as usize..][..cols], "row {y}");
    }
    let second = cap.next_frame().unwrap().unwrap();
    assert!(second.capture_us > f.capture_us && second.seq == f.seq + 1);

    // The window alone.
    let id = window_src.id.strip_prefix("window:").unwrap();
    let target = ShareTarget::parse(&format!("window:{id}")).unwrap();
    let mut wcap = X11Capture::open_on(Some(&x.display), &target, 10, SystemClock::shared()).unwrap();
    let wf = wcap.next_frame().unwrap().unwrap();
    assert_eq!((wf.width(), wf.height()), (200, 150));
    assert!(wf.y().iter().all(|&l| (143..=146).contains(&l)), "all green (Y≈145)");

    // The window closes: the share ends with a clear error, not a panic or a frozen picture.
    conn.destroy_window(win).unwrap();
    conn.sync().unwrap();
    let err = wcap.next_frame().unwrap_err();
    assert_eq!(err.code(), "media.device_failed");
    assert!(err.to_string().contains("window"), "{err}");
    // Gone from the list too, and asking for it by id is "not found".
    assert!(list_on(Some(&x.display), 0).unwrap().iter().all(|s| s.name != "Trygg test window"));
    let gone = X11Capture::open_on(Some(&x.display), &target, 10, SystemClock::shared()).err().unwrap();
    assert_eq!(gone.code(), "media.device_not_found");

    // The command line lists what can be shared.
    let out = common::trygg().args(["devices", "--json"]).env("DISPLAY", &x.display).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["share"][0]["id"], "screen:0", "{v}");
}

#[test]
fn no_display_is_a_clear_error() {
    let e = list_on(Some(":4999"), 0).unwrap_err();
    assert_eq!(e.code(), "media.no_device");
    assert!(e.to_string().contains("X display"), "{e}");
}
