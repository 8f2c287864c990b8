//! An empty Tauri 2 window: the floor Trygg's desktop memory figures are measured against
//! (`scripts/desktop-bench.sh`). Same Tauri and WebKitGTK as the app, nothing else.

fn main() {
    if let Err(e) = tauri::Builder::default().run(tauri::generate_context!()) {
        eprintln!("the minimal window could not start: {e}");
        std::process::exit(1);
    }
}
