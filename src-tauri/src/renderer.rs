//! How WebKitGTK puts the page on screen on a Linux machine without a GPU.
//!
//! WebKitGTK composites the page into DMA-BUF buffers shared with the app's process. Without a
//! GPU (a virtual machine, a thin client, a remote desktop, Xvfb) Mesa's llvmpipe does that work
//! on the CPU, and a call's moving video keeps it busy: WebKit's web process used more than a
//! whole core for a 1:1 call, almost all of it in llvmpipe's threads, and pictures waited about
//! 25 ms for their turn on screen. WebKit's shared-memory path does the same job for a fraction:
//! about a third of a core, under half the delay and 60–90 MB less memory (`make bench-desktop`,
//! README). So where there is no GPU render node, Trygg asks WebKit for that path
//! (`WEBKIT_DISABLE_DMABUF_RENDERER=1`). A machine with a GPU keeps WebKit's default, and a
//! value the user set is left alone either way.
//!
//! The page is told too ([`page_script`]): WebGL there runs on llvmpipe as well, and converting
//! video on the CPU into a 2D canvas costs about half as much (ui/src/video/renderer_choice.ts).
//! WebKit names every WebGL renderer "Apple GPU", so the page cannot find out by itself.

use std::path::Path;

/// The environment variable WebKitGTK reads.
pub const DMABUF_OFF: &str = "WEBKIT_DISABLE_DMABUF_RENDERER";

/// Whether to turn WebKit's DMA-BUF renderer off: only when nobody chose, and no GPU is there.
pub fn dmabuf_off(user_chose: bool, gpu: bool) -> bool {
    !user_chose && !gpu
}

/// Whether `dri` (normally `/dev/dri`) holds a GPU render node (`renderD128`…).
pub fn has_render_node(dri: &Path) -> bool {
    std::fs::read_dir(dri)
        .map(|entries| entries.flatten().any(|e| e.file_name().to_string_lossy().starts_with("renderD")))
        .unwrap_or(false)
}

/// Whether WebKit's WebGL has a GPU: on Linux, a render node; elsewhere the system webview always
/// has one (or its own fallback, which the page can name).
pub fn gpu() -> bool {
    !cfg!(target_os = "linux") || has_render_node(Path::new("/dev/dri"))
}

/// The script the page runs before its own, saying whether WebGL has a GPU here.
pub fn page_script(gpu: bool) -> String {
    format!("window.__TRYGG_GPU__ = {gpu};")
}

/// Chooses WebKit's renderer for this machine. Call it first thing, before any thread starts
/// and before WebKit does.
pub fn choose() {
    if !cfg!(target_os = "linux") {
        return;
    }
    let user_chose = std::env::var_os(DMABUF_OFF).is_some();
    if dmabuf_off(user_chose, gpu()) {
        tracing::info!("no GPU render node: WebKit draws through shared memory ({DMABUF_OFF}=1)");
        // SAFETY: called at the start of `run`, from `main`, before any other thread exists.
        unsafe { std::env::set_var(DMABUF_OFF, "1") };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_machine_without_a_gpu_and_without_a_choice_of_its_own_turns_dmabuf_off() {
        assert!(dmabuf_off(false, false));
        assert!(!dmabuf_off(false, true), "a GPU keeps WebKit's default");
        assert!(!dmabuf_off(true, false), "the user's value stands");
    }

    #[test]
    fn a_render_node_is_a_gpu_and_a_card_or_nothing_is_not() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!has_render_node(&dir.path().join("missing")));
        std::fs::write(dir.path().join("card0"), b"").unwrap();
        assert!(!has_render_node(dir.path()), "a display-only card has no render node");
        std::fs::write(dir.path().join("renderD128"), b"").unwrap();
        assert!(has_render_node(dir.path()));
    }

    #[test]
    fn the_page_is_told_whether_webgl_has_a_gpu() {
        assert_eq!(page_script(false), "window.__TRYGG_GPU__ = false;");
        assert_eq!(page_script(true), "window.__TRYGG_GPU__ = true;");
    }
}
