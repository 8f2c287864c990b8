//! Screen and window capture from a real X server: an Xvfb this test starts, with known pixels
//! drawn on its screen and a named window on top; and a whole share of such a screen through a
//! meeting between two `trygg` processes, checked picture by picture on the receiving side.
#![cfg(all(target_os = "linux", feature = "screen"))]

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use trygg::media::clock::SystemClock;
use trygg::media::convert::{RgbLayout, rgb_to_i420};
use trygg::media::screen::synthetic::{MARKER, SyntheticScreen};
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
        Self::start_sized(W, H, 100..400)
    }

    /// An Xvfb of `w`x`h` on a free display number from `numbers` (tests running at the same
    /// time use different ranges, so that they cannot pick the same one).
    fn start_sized(w: u32, h: u32, numbers: std::ops::Range<u32>) -> Option<Self> {
        let found =
            std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d.join("Xvfb").is_file()));
        if !found {
            return None;
        }
        let n = numbers.into_iter().find(|n| {
            !std::path::Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
                && !std::path::Path::new(&format!("/tmp/.X{n}-lock")).exists()
        })?;
        let display = format!(":{n}");
        let child = Command::new("Xvfb")
            .args([&display, "-screen", "0", &format!("{w}x{h}x24"), "-nolisten", "tcp", "-noreset"])
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

/// A slide as gray BGRA: the synthetic slide's small text and table, with its marker band empty.
fn slide_bgra(w: u32, h: u32, band: std::ops::Range<u32>) -> Vec<u8> {
    let slide = SyntheticScreen::new(w, h, 5, SystemClock::shared()).unwrap().still(true).render(0, 0);
    let mut px = Vec::with_capacity((w * h * 4) as usize);
    for y in 0..h {
        for x in 0..w {
            let l = if band.contains(&y) { BACKGROUND } else { slide.y()[(y * w + x) as usize] };
            px.extend_from_slice(&[l, l, l, 0]);
        }
    }
    px
}

/// The slide's background gray.
const BACKGROUND: u8 = 235;

/// Where the marker's left edge is in a picture: the dark-red run in the chroma row through the
/// marker band, to the nearest even pixel.
fn marker_x(f: &trygg::media::VideoFrame, band_top: u32) -> Option<u32> {
    let (w, row) = (f.width(), (band_top + MARKER / 2) / 2);
    let v = &f.v()[(row * w / 2) as usize..((row + 1) * w / 2) as usize];
    let first = v.iter().position(|&c| c > 170)? as u32;
    let run = v[first as usize..].iter().take_while(|&&c| c > 170).count() as u32;
    (run * 2 >= MARKER - 4).then_some(first * 2)
}

#[test]
fn a_shared_screen_arrives_as_drawn_and_the_marker_is_followed() {
    let (w, h) = (1280u32, 720u32);
    let x =
        Xvfb::start_sized(w, h, 400..700).expect("Xvfb is missing or cannot start: install the Debian package xvfb");
    let (conn, screen_num) = x11rb::connect(Some(&x.display)).unwrap();
    let screen = &conn.setup().roots[screen_num];
    let (root, depth) = (screen.root, screen.root_depth);
    let band = 96..96 + MARKER;
    let bgra = slide_bgra(w, h, band.clone());
    let gc = conn.generate_id().unwrap();
    conn.create_gc(gc, root, &CreateGCAux::default()).unwrap();
    for y in (0..h).step_by(40) {
        let rows = &bgra[(y * w * 4) as usize..((y + 40).min(h) * w * 4) as usize];
        conn.put_image(ImageFormat::Z_PIXMAP, root, gc, w as u16, 40, 0, y as i16, 0, depth, rows).unwrap();
    }
    conn.sync().unwrap();

    // The marker: a dark-red square stepping 16 pixels every 100 ms along the empty band.
    let positions: Vec<u32> = (0..70).map(|k| 32 + 16 * k).collect();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mover = {
        let (display, positions, stop, band_top) = (x.display.clone(), positions.clone(), stop.clone(), band.start);
        std::thread::spawn(move || {
            let (c, n) = x11rb::connect(Some(&display)).unwrap();
            let root = c.setup().roots[n].root;
            let (bg, red) = (c.generate_id().unwrap(), c.generate_id().unwrap());
            let gray = u32::from(BACKGROUND);
            c.create_gc(bg, root, &CreateGCAux::default().foreground(gray << 16 | gray << 8 | gray)).unwrap();
            c.create_gc(red, root, &CreateGCAux::default().foreground(0x96_0000)).unwrap();
            let rect = |x: u32| x11rb::protocol::xproto::Rectangle {
                x: x as i16,
                y: band_top as i16,
                width: MARKER as u16,
                height: MARKER as u16,
            };
            let mut k = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let (old, new) =
                    (positions[(k + positions.len() - 1) % positions.len()], positions[k % positions.len()]);
                c.poly_fill_rectangle(root, bg, &[rect(old)]).unwrap();
                c.poly_fill_rectangle(root, red, &[rect(new)]).unwrap();
                c.sync().unwrap();
                k += 1;
                std::thread::sleep(Duration::from_millis(100));
            }
        })
    };

    // Anna shares that screen (her process sees only this display); Bo records what he gets.
    let rec = tempfile::tempdir().unwrap();
    let mut anna = common::process::Proc::host(
        "anna",
        &["--video", "none", "--share", "screen:0", "--seconds", "40"],
        &[("DISPLAY", &x.display)],
    );
    let link = anna.wait(10.0, "link", |v| v["type"] == "link")["link"].as_str().unwrap().to_owned();
    let dir = rec.path().to_str().unwrap();
    let mut bo = common::process::Proc::join("bo", &link, &["--video", "none", "--record", dir, "--seconds", "9"]);
    bo.wait(15.0, "Anna's share", |v| v["type"] == "share_started");
    let stats =
        bo.wait(15.0, "share stats", |v| v["type"] == "stats" && v["peers"][0]["share"]["frames"].as_u64() > Some(10));
    assert_eq!(
        (stats["peers"][0]["share"]["width"].as_u64(), stats["peers"][0]["share"]["height"].as_u64()),
        (Some(1280), Some(720))
    );
    bo.wait(20.0, "the end", |v| v["type"] == "left");
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    mover.join().unwrap();
    // Keyframes, as Bo received them and Anna sent them: each one starts the text's sharpening again.
    let received = bo.last_seen("stats").and_then(|v| v["peers"][0]["share"]["keyframes"].as_u64());
    let sent = anna.latest("stats", 5.0)["share_out"]["keyframes"].as_u64();
    eprintln!("share keyframes: {received:?} received, {sent:?} sent");
    assert!(received >= Some(1) && sent >= received, "keyframes: {received:?} received, {sent:?} sent");

    // Every recorded picture of the share, against what was drawn.
    let file = std::fs::read_dir(rec.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with("-share.y4m"))
        .expect("Bo recorded Anna's share");
    let mut reader =
        trygg::media::y4m::Y4mReader::new(std::io::BufReader::new(std::fs::File::open(&file).unwrap())).unwrap();
    let want = rgb_to_i420(w, h, (w * 4) as usize, RgbLayout::Bgra32, &bgra).unwrap();
    let text_top = band.end + 8;
    let (mut quality, mut seen) = (vec![], vec![]);
    while let Some(f) = reader.read_frame().unwrap() {
        assert_eq!((f.width(), f.height()), (w, h));
        let start = (text_top * w) as usize;
        let sse: u64 =
            f.y()[start..].iter().zip(&want.y()[start..]).map(|(&a, &b)| u64::from(a.abs_diff(b)).pow(2)).sum();
        let mse = (sse as f64 / (f.y().len() - start) as f64).max(1e-9);
        quality.push((100.0 * (65025.0 / mse).log10()).round() / 10.0);
        seen.extend(marker_x(&f, band.start));
    }
    eprintln!("share of an X11 screen: {} pictures, PSNR {quality:?}", quality.len());
    assert!(quality.len() >= 40, "{} pictures in about 7 s", quality.len());
    // As in tests/meeting_share.rs: 33 dB for the first pictures, 40 dB once sharpened.
    assert!(quality.iter().all(|&q| q >= 33.0), "{quality:?}");
    let late = &quality[quality.len() / 2..];
    assert!(late.iter().all(|&q| q >= 40.0), "the second half: {late:?}");
    // The marker is found where it was drawn, and it is followed (it moves 10 times a second).
    assert!(
        seen.len() * 10 >= quality.len() * 9,
        "the marker was found in {} of {} pictures",
        seen.len(),
        quality.len()
    );
    assert!(seen.iter().all(|x| positions.iter().any(|p| x.abs_diff(*p) <= 2)), "off its path: {seen:?}");
    seen.dedup();
    assert!(seen.len() >= 30, "the marker's moves were followed: {seen:?}");
    drop(anna);
}

#[test]
fn a_shared_window_that_closes_stops_the_share_for_everyone() {
    let x = Xvfb::start_sized(640, 480, 700..1000)
        .expect("Xvfb is missing or cannot start: install the Debian package xvfb");
    let (conn, screen_num) = x11rb::connect(Some(&x.display)).unwrap();
    let screen = &conn.setup().roots[screen_num];
    let win = conn.generate_id().unwrap();
    conn.create_window(
        screen.root_depth,
        win,
        screen.root,
        20,
        20,
        320,
        240,
        0,
        WindowClass::INPUT_OUTPUT,
        0,
        &CreateWindowAux::default().background_pixel(0x20_60a0),
    )
    .unwrap();
    conn.change_property8(
        PropMode::REPLACE,
        win,
        x11rb::protocol::xproto::AtomEnum::WM_NAME,
        x11rb::protocol::xproto::AtomEnum::STRING,
        b"Quarterly figures",
    )
    .unwrap();
    conn.map_window(win).unwrap();
    conn.sync().unwrap();
    std::thread::sleep(Duration::from_millis(200));

    let target = format!("window:{win:#x}");
    let mut anna = common::process::Proc::host(
        "anna",
        &["--video", "none", "--share", &target, "--seconds", "30"],
        &[("DISPLAY", &x.display)],
    );
    let link = anna.wait(10.0, "link", |v| v["type"] == "link")["link"].as_str().unwrap().to_owned();
    let mut bo = common::process::Proc::join("bo", &link, &["--video", "none", "--seconds", "30"]);
    bo.wait(15.0, "the window's pictures", |v| {
        v["type"] == "stats" && v["peers"][0]["share"]["frames"].as_u64() > Some(3)
    });

    // The window closes: Anna is told why sharing stopped, Bo is told it ended; the call goes on.
    conn.destroy_window(win).unwrap();
    conn.sync().unwrap();
    anna.wait(10.0, "her share stopped", |v| v["type"] == "share_stopped" && v["reason"] == "source_gone");
    let e = anna.wait(5.0, "the share's error", |v| v["type"] == "error");
    assert_eq!(e["code"], "share.source_gone", "{e}");
    assert!(e["message"].as_str().unwrap().contains("window"), "{e}");
    bo.wait(10.0, "Anna's share stopped", |v| v["type"] == "share_stopped" && v["reason"] == "source_gone");
    // Anna's audio goes on: at least a second's worth more (50 packets) within a few seconds.
    let before = bo.latest("stats", 5.0)["peers"][0]["audio_packets"].as_u64().unwrap();
    bo.wait(5.0, "Bo still hears Anna", |v| {
        v["type"] == "stats" && v["peers"][0]["audio_packets"].as_u64().is_some_and(|n| n >= before + 50)
    });
}
