//! # Trygg's desktop app
//!
//! The Tauri 2 shell around the meeting runtime. It translates and never decides:
//!
//! * **Commands** ([`command`]) are one line each over [`desktop::Desktop`], which wires the UI's
//!   choices to `trygg::meeting::Meeting` (the same handle `trygg host`/`join` drive).
//! * **Events**: every `MeetingEvent` goes to the UI as JSON on one Tauri event ([`event`]),
//!   plus the shell's own ([`contract::ShellEvent`]): a participant's video is available, a
//!   link was opened, the preview failed, the meeting task ended.
//! * **Pictures** never travel as JSON: the page pulls each watched participant's newest decoded
//!   I420 picture as raw bytes ([`video`]), so it is never sent more than it draws: on Linux
//!   through Trygg's web extension, one message a picture ([`pictures`]), elsewhere from the
//!   `trygg-frames:` scheme. The UI draws them with WebGL on a GPU, else through a 2D canvas
//!   ([`renderer`]).
//! * **Links**: `trygg://` is registered by the deep-link plugin; a second launch hands its
//!   arguments (a link, an `.ics` file) to the running window through the single-instance
//!   plugin; every input goes through `trygg::links::plan` ([`opened`]). The link's secret stays
//!   in this process: the UI gets an id and a view without it.
//! * **Settings** ([`settings`]): a JSON file, written atomically, that refuses secrets.
//!
//! Environment: `TRYGG_LISTEN` (where a built-in meeting server listens, default
//! `0.0.0.0:7443`; tests use `127.0.0.1:0`), `TRYGG_MEDIA_BIND` (the local address for media,
//! default every interface), `TRYGG_IDENTITY=ephemeral` (no keychain: a new identity each run),
//! `TRYGG_NO_REGISTER=1` (do not register the `trygg:` scheme with the desktop at start),
//! `TRYGG_NO_WEBEXT=1` (Linux: no web extension, so the page fetches pictures from the scheme as
//! on other systems; the desktop tests cover both roads).

pub mod command;
pub mod config;
pub mod contract;
pub mod desktop;
pub mod event;
pub mod hosting;
pub mod marks;
pub mod opened;
#[cfg(target_os = "linux")]
pub mod picture_memory;
pub mod pictures;
pub mod preview;
pub mod renderer;
pub mod settings;
pub mod share;
pub mod video;

use tauri::{Manager, WindowEvent};
use tauri_plugin_deep_link::DeepLinkExt;

use crate::desktop::{Desktop, Launch};
use crate::opened::Opened;
use crate::settings::SettingsFile;

/// The commands, for `invoke_handler` (also used by the IPC tests).
#[macro_export]
macro_rules! commands {
    () => {
        tauri::generate_handler![
            $crate::command::devices,
            $crate::command::settings,
            $crate::command::save_settings,
            $crate::command::identity,
            $crate::command::set_turn_password,
            $crate::command::open_link,
            $crate::command::take_opened_links,
            $crate::command::start_preview,
            $crate::command::stop_preview,
            $crate::command::host,
            $crate::command::join,
            $crate::command::command,
            $crate::command::copy_invite_link,
            $crate::command::share_sources,
            $crate::command::mark,
            $crate::command::watch_video,
            $crate::command::unwatch_video,
        ]
    };
}

/// Runs the app.
pub fn run() {
    trygg::logging::init();
    renderer::choose();
    let launch = Launch::from_env();

    let app = tauri::Builder::default()
        // First: a second launch hands its arguments to this instance and exits.
        .plugin(tauri_plugin_single_instance::init(|app, args, _cwd| {
            if let Some(w) = app.get_webview_window("main") {
                let _ = w.unminimize();
                let _ = w.set_focus();
            }
            app.state::<Desktop>().open_args(app, &args);
        }))
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_clipboard_manager::init())
        // Before the page's own scripts: whether its WebGL has a GPU (which way it draws video).
        .plugin(
            tauri::plugin::Builder::<tauri::Wry>::new("trygg-renderer")
                .js_init_script(renderer::page_script(renderer::gpu()))
                .build(),
        )
        // Pictures for the page's video tiles, each request waiting for the next one.
        .register_asynchronous_uri_scheme_protocol(video::SCHEME, |ctx, request, responder| {
            let app = ctx.app_handle().clone();
            // A request from another page (should one ever load) is refused, like a stopped watch.
            let origin = request.headers().get("origin").and_then(|o| o.to_str().ok());
            if let Some(origin) = origin.filter(|o| !pictures::from_app_page(&app, o)) {
                tracing::warn!("a picture request from a page that is not the app's was refused: {origin}");
                responder.respond(video::response(None));
                return;
            }
            let id = video::watch_id(request.uri().path());
            tauri::async_runtime::spawn_blocking(move || {
                let watch = id.and_then(|id| app.try_state::<Desktop>()?.watch(id));
                responder.respond(video::response(watch.map(|w| w.pull(video::PULL_WAIT))));
            });
        })
        .setup(move |app| {
            let dir = app.path().app_config_dir()?;
            let desktop = Desktop::new(SettingsFile::in_dir(&dir), launch.clone());
            let size = desktop.settings().window;
            app.manage(desktop);
            // The window is made here rather than from the config alone: on Linux WebKit loads
            // Trygg's web extension into it (pictures.rs).
            if let Some(config) = app.config().app.windows.iter().find(|w| w.label == "main") {
                let builder =
                    tauri::WebviewWindowBuilder::from_config(app.handle(), config)?.inner_size(size.width, size.height);
                #[cfg(target_os = "linux")]
                let builder = match pictures::extension_to_load() {
                    Some(dir) => builder.extensions_path(dir),
                    None => builder,
                };
                let window = builder.build()?;
                #[cfg(target_os = "linux")]
                pictures::serve(&window, app.handle().clone());
                #[cfg(not(target_os = "linux"))]
                let _ = window;
            }
            if std::env::var_os("TRYGG_NO_REGISTER").is_none()
                && let Err(e) = app.deep_link().register_all()
            {
                tracing::warn!("could not register the trygg: scheme with the desktop: {e}");
            }
            // macOS (and Linux when the OS delivers it as an event) hand links over here;
            // launches with arguments are read below and by the single-instance callback.
            let handle = app.handle().clone();
            app.deep_link().on_open_url(move |e| {
                let urls = e.urls().iter().map(|u| Opened::Text(u.to_string())).collect();
                Desktop::open_in_background(&handle, urls);
            });
            let args: Vec<String> = std::env::args().collect();
            app.state::<Desktop>().open_args(app.handle(), &args);
            Ok(())
        })
        .on_window_event(|window, event| {
            if let WindowEvent::CloseRequested { .. } = event {
                let desktop = window.state::<Desktop>();
                if let Ok(size) =
                    window.inner_size().and_then(|s| window.scale_factor().map(|f| s.to_logical::<f64>(f)))
                {
                    let _ = desktop.remember_window(size.width, size.height);
                }
                desktop.leave();
            }
        })
        .invoke_handler(commands!())
        .build(tauri::generate_context!());
    match app {
        Ok(app) => app.run(|_, _| {}),
        Err(e) => {
            eprintln!("Trygg could not start: {e}");
            std::process::exit(1);
        }
    }
}
