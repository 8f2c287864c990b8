//! An empty Tauri 2 window: the floor Trygg's desktop figures are measured against
//! (`scripts/desktop-bench.sh`). Same Tauri and WebKitGTK as the app, nothing else.
//!
//! With `MINIMAL_WINDOW_REPAINT=WxH` the window also shows a 640x360 canvas at W×H device pixels and
//! puts a new picture into it 30 times a second, ready-made (`repaint.js`): what WebKit itself
//! costs to show a 30 fps video tile of that size, whatever the page does to get the pictures.

use tauri::{WebviewWindowBuilder, Wry};

/// The variable that turns the repainting canvas on.
const REPAINT: &str = "MINIMAL_WINDOW_REPAINT";

/// `WxH` as two sizes in device pixels, each 16..=4096.
fn size(v: &str) -> Option<(u32, u32)> {
    let (w, h) = v.split_once('x')?;
    let (w, h) = (w.parse().ok()?, h.parse().ok()?);
    let ok = |n: u32| (16..=4096).contains(&n);
    (ok(w) && ok(h)).then_some((w, h))
}

fn main() {
    let repaint = match std::env::var(REPAINT) {
        Ok(v) => match size(&v) {
            Some(s) => Some(s),
            None => {
                eprintln!("{REPAINT}={v}: expected WIDTHxHEIGHT in device pixels, such as 575x323");
                std::process::exit(2);
            }
        },
        Err(_) => None,
    };
    let built = tauri::Builder::default()
        .setup(move |app| {
            let config = app.config().app.windows.first().cloned().ok_or("no window in tauri.conf.json")?;
            let mut window = WebviewWindowBuilder::<Wry, _>::from_config(app.handle(), &config)?;
            if let Some((w, h)) = repaint {
                // A user script: it runs whatever the page's CSP says.
                let script = format!("window.__REPAINT__ = [{w}, {h}];\n{}", include_str!("../repaint.js"));
                window = window.initialization_script(&script);
            }
            window.build()?;
            Ok(())
        })
        .run(tauri::generate_context!());
    if let Err(e) = built {
        eprintln!("the minimal window could not start: {e}");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::size;

    #[test]
    fn a_repaint_size_is_two_numbers_in_range() {
        assert_eq!(size("575x323"), Some((575, 323)));
        for bad in ["", "575", "x323", "575x", "0x323", "575x99999", "a x b", "-1x20"] {
            assert_eq!(size(bad), None, "{bad:?}");
        }
    }
}
