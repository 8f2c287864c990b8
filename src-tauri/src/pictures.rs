//! Pictures to the page in one message each, on Linux.
//!
//! The page pulls each picture of a watch ([`crate::video`]). Through the `trygg-frames:`
//! scheme, WebKitGTK reads the answer 8 KiB at a time and sends each piece to the web process
//! as its own message: about 43 for a 640x360 picture, 1,300 a second for one 30 fps tile, and
//! that cost more of a core than drawing did. So on Linux WebKit loads Trygg's web extension
//! (src-tauri/webext) into the web process, and the page asks through it instead: one
//! `trygg-pull` user message with the watch id. The picture goes into memory the watch shares
//! with the extension ([`crate::picture_memory`]), and the answer carries only its length (and the
//! region's descriptor, the first time); where that memory cannot be made, the answer carries the
//! picture itself. The extension writes it once, into a buffer the page reuses. Same pull, same
//! answers (a picture, nothing yet, gone), a cheaper road. Only the app's own page is answered
//! ([`is_app_page`]). Without the extension (another OS, a build that did not make it) the page
//! keeps fetching from the scheme.

use std::path::{Path, PathBuf};

use crate::video::Pull;

/// The web extension's file.
pub const LIBRARY: &str = "libtrygg_webext.so";
/// The user message the extension sends for a pull; its parameters are `(tb)`: the watch id, and
/// whether the extension holds a mapping of the watch's shared memory.
pub const PULL: &str = "trygg-pull";
/// The answer's name. Its parameters are `(ut)`, the status of [`answer`] and the length of the
/// picture in the watch's shared memory (whose descriptor comes in the message's descriptor list
/// when it is new), or `(uay)`, the status and bytes of [`answer`].
pub const ANSWER: &str = "trygg-picture";

/// The folder WebKit should load the extension from: where the package installs it
/// (`/usr/lib/trygg-desktop` beside `/usr/bin`), else the executable's own folder (a build
/// tree, where cargo puts the library next to the app). None if neither has it. WebKit loads
/// every `.so` in the folder, so only a folder that holds ours is given.
pub fn extension_dir(exe: &Path) -> Option<PathBuf> {
    let dir = exe.parent()?;
    [dir.join("../lib/trygg-desktop"), dir.to_path_buf()].into_iter().find(|d| d.join(LIBRARY).is_file())
}

/// The extension folder for this run: [`extension_dir`] of the running executable, unless
/// `TRYGG_NO_WEBEXT` is set (the page then fetches from the scheme; the tests cover both).
pub fn extension_to_load() -> Option<PathBuf> {
    if std::env::var_os("TRYGG_NO_WEBEXT").is_some() {
        return None;
    }
    extension_dir(&std::env::current_exe().ok()?)
}

/// Whether `uri` (a page's address, or a request's `Origin`) is the app's own page:
/// `tauri://localhost/…` (Linux, macOS), `http(s)://tauri.localhost/…` (Windows), or the Vite dev
/// server `dev` of a development build. Only that page's pulls are answered, through the extension
/// or the `trygg-frames:` scheme.
pub fn is_app_page(uri: &str, dev: Option<&str>) -> bool {
    let under = |origin: &str| {
        let origin = origin.trim_end_matches('/');
        uri.strip_prefix(origin).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    };
    ["tauri://localhost", "http://tauri.localhost", "https://tauri.localhost"].into_iter().any(under)
        || dev.is_some_and(under)
}

/// The dev server's address where the page comes from it (a build without the embedded UI).
fn dev_origin<R: tauri::Runtime>(app: &tauri::AppHandle<R>) -> Option<String> {
    if cfg!(feature = "custom-protocol") {
        return None;
    }
    app.config().build.dev_url.as_ref().map(|u| u.to_string())
}

/// An answer's status and bytes, as the page reads them (ui/src/backend/tauri.ts): 0 and the
/// picture, 1 nothing yet (ask again), 2 the watch has stopped or never ran.
pub fn answer(pull: Option<Pull>) -> (u32, Vec<u8>) {
    match pull {
        Some(Pull::Picture(b)) => (0, b),
        Some(Pull::Nothing) => (1, Vec::new()),
        Some(Pull::Gone) | None => (2, Vec::new()),
    }
}

/// Whether `uri` is the app's own page, for this build ([`is_app_page`] with its dev server).
pub fn from_app_page<R: tauri::Runtime>(app: &tauri::AppHandle<R>, uri: &str) -> bool {
    is_app_page(uri, dev_origin(app).as_deref())
}

/// Answers the extension's pulls for this window's page. A pull waits for the next picture on
/// a blocking thread; the answer goes out from the main thread, where WebKit wants it.
#[cfg(target_os = "linux")]
pub fn serve<R: tauri::Runtime>(window: &tauri::WebviewWindow<R>, app: tauri::AppHandle<R>) {
    use tauri::Manager;
    use webkit2gtk::{UserMessageExt, WebViewExt};

    let hooked = window.with_webview(move |webview| {
        let view: webkit2gtk::WebView = webview.inner();
        view.connect_user_message_received(move |view, message| {
            if message.name().as_deref() != Some(PULL) {
                return false;
            }
            let uri = view.uri().map(|u| u.to_string()).unwrap_or_default();
            if !from_app_page(&app, &uri) {
                tracing::warn!("a picture pull from a page that is not the app's was refused: {uri}");
                // Unanswered: the page gets an error, and no picture.
                return false;
            }
            let pulled = message.parameters().and_then(|p| p.get::<(u64, bool)>());
            let (id, mapped) = (pulled.map(|(id, _)| id), pulled.is_some_and(|(_, mapped)| mapped));
            let app = app.clone();
            let message = message.clone();
            glib::MainContext::default().spawn_local(async move {
                let waited = tauri::async_runtime::spawn_blocking(move || {
                    let watch = id.and_then(|id| app.try_state::<crate::desktop::Desktop>()?.watch(id));
                    reply_to(watch.as_deref(), mapped)
                })
                .await;
                let reply = waited.unwrap_or_else(|e| {
                    tracing::error!("a picture pull failed: {e}");
                    Reply::Inline(answer(None))
                });
                message.send_reply(&reply.message());
            });
            true
        });
    });
    if let Err(e) = hooked {
        tracing::warn!("pictures go through the trygg-frames: scheme: {e}");
    }
}

/// Set once shared memory could not be made here (no `/proc`, a sandbox): pictures then go inside
/// the answers, and nobody tries again 30 times a second.
#[cfg(target_os = "linux")]
static NO_SHARED_MEMORY: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Waits for `watch`'s next picture and answers with it: in the watch's shared memory (its
/// descriptor too when the extension has not `mapped` it), else inline.
#[cfg(target_os = "linux")]
fn reply_to(watch: Option<&crate::video::Watch>, mapped: bool) -> Reply {
    use std::sync::atomic::Ordering;
    let Some(watch) = watch else { return Reply::Inline(answer(None)) };
    let picture = match watch.pull(crate::video::PULL_WAIT) {
        Pull::Picture(picture) if !NO_SHARED_MEMORY.load(Ordering::Relaxed) => picture,
        pull => return Reply::Inline(answer(Some(pull))),
    };
    let mut slot = watch.shared.lock().unwrap_or_else(|p| p.into_inner());
    match crate::picture_memory::share(&mut slot, &picture, mapped) {
        Ok(shared) => Reply::Shared(shared),
        Err(e) => {
            // Once: the next pictures go inline without trying again.
            if !NO_SHARED_MEMORY.swap(true, Ordering::Relaxed) {
                tracing::warn!("pictures go inside the messages: no shared memory ({e})");
            }
            Reply::Inline(answer(Some(Pull::Picture(picture))))
        }
    }
}

/// What a pull is answered with.
#[cfg(target_os = "linux")]
enum Reply {
    /// Status and bytes in the message: no picture, or no shared memory for it.
    Inline((u32, Vec<u8>)),
    /// A picture in the watch's shared memory.
    Shared(crate::picture_memory::Shared),
}

#[cfg(target_os = "linux")]
impl Reply {
    fn message(self) -> webkit2gtk::UserMessage {
        use glib::prelude::*;
        match self {
            Reply::Inline((status, bytes)) => {
                let picture = glib::Variant::from_bytes::<Vec<u8>>(&glib::Bytes::from_owned(bytes));
                let answer = glib::Variant::tuple_from_iter([status.to_variant(), picture]);
                webkit2gtk::UserMessage::new(ANSWER, Some(&answer))
            }
            Reply::Shared(shared) => {
                let answer = (0u32, shared.len as u64).to_variant();
                let fds = shared.region.map(|fd| webkit2gtk::gio::UnixFDList::from_array([fd]));
                webkit2gtk::UserMessage::with_fd_list(ANSWER, Some(&answer), fds.as_ref())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_extension_is_found_where_it_is_installed_or_built_and_nowhere_else() {
        let root = tempfile::tempdir().unwrap();
        let bin = root.path().join("usr/bin");
        let lib = root.path().join("usr/lib/trygg-desktop");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::create_dir_all(&lib).unwrap();
        let exe = bin.join("trygg-desktop");
        assert_eq!(extension_dir(&exe), None, "not there: the page fetches");
        std::fs::write(bin.join(LIBRARY), b"").unwrap();
        assert_eq!(extension_dir(&exe), Some(bin.clone()), "a build tree: beside the app");
        std::fs::write(lib.join(LIBRARY), b"").unwrap();
        let found = extension_dir(&exe).unwrap();
        assert_eq!(found.canonicalize().unwrap(), lib.canonicalize().unwrap(), "the installed one first");
    }

    #[test]
    fn only_the_apps_own_page_is_answered() {
        let dev = Some("http://127.0.0.1:5173/");
        for ours in [
            "tauri://localhost",
            "tauri://localhost/",
            "tauri://localhost/index.html",
            "http://tauri.localhost",
            "https://tauri.localhost/index.html",
            "http://127.0.0.1:5173/",
        ] {
            assert!(is_app_page(ours, dev), "{ours}");
        }
        for theirs in [
            "",
            "https://example.org/",
            "tauri://localhost.example.org/",
            "tauri://localhostx/",
            "http://127.0.0.1:51730/",
            "http://127.0.0.1:5173.evil/",
            "http://tauri.localhost.evil/",
            "null",
            "about:blank",
        ] {
            assert!(!is_app_page(theirs, dev), "{theirs}");
        }
        assert!(!is_app_page("http://127.0.0.1:5173/", None), "no dev server in a release build");
    }

    #[test]
    fn an_answer_says_picture_nothing_or_gone_and_carries_only_a_picture() {
        assert_eq!(answer(Some(Pull::Picture(vec![1, 2]))), (0, vec![1, 2]));
        assert_eq!(answer(Some(Pull::Nothing)), (1, vec![]));
        assert_eq!(answer(Some(Pull::Gone)), (2, vec![]));
        assert_eq!(answer(None), (2, vec![]), "a watch that does not run");
    }
}
