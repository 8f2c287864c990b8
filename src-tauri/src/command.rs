//! The UI's commands: each is one line over [`Desktop`]. Errors reach the UI as `{code, message}`.

use tauri::ipc::Channel;
use tauri::{AppHandle, Runtime, State};
use tauri_plugin_clipboard_manager::ClipboardExt;
use trygg::media::devices::DeviceList;

use crate::config::JoinOptions;
use crate::contract::{OpenedLink, UiCommand, UiError};
use crate::desktop::{Desktop, HostedMeeting, IdentityView};
use crate::settings::Settings;

type Result<T> = std::result::Result<T, UiError>;

#[tauri::command]
pub async fn devices() -> DeviceList {
    tauri::async_runtime::spawn_blocking(trygg::media::devices::list_all).await.unwrap_or_default()
}

#[tauri::command]
pub fn settings(desktop: State<'_, Desktop>) -> Settings {
    desktop.settings()
}

#[tauri::command]
pub fn save_settings(desktop: State<'_, Desktop>, settings: Settings) -> Result<()> {
    desktop.save_settings(settings)
}

#[tauri::command]
pub async fn identity(desktop: State<'_, Desktop>) -> Result<IdentityView> {
    desktop.identity().await
}

#[tauri::command]
pub async fn set_turn_password(desktop: State<'_, Desktop>, password: String) -> Result<()> {
    desktop.set_turn_password(password).await
}

/// Async: the link is read on a worker thread, never on the window's.
#[tauri::command]
pub async fn open_link(desktop: State<'_, Desktop>, input: String) -> Result<OpenedLink> {
    desktop.open_link(input).await
}

#[tauri::command]
pub fn take_opened_links(desktop: State<'_, Desktop>) -> Vec<OpenedLink> {
    desktop.take_opened_links()
}

#[tauri::command]
pub fn start_preview<R: Runtime>(
    app: AppHandle<R>,
    desktop: State<'_, Desktop>,
    camera: String,
    microphone: String,
    levels: Channel<f32>,
) -> Result<crate::desktop::PreviewView> {
    desktop.start_preview(app, &camera, &microphone, levels)
}

#[tauri::command]
pub fn stop_preview(desktop: State<'_, Desktop>, id: u64) {
    desktop.stop_preview(id)
}

#[tauri::command]
pub async fn host<R: Runtime>(
    app: AppHandle<R>,
    desktop: State<'_, Desktop>,
    options: JoinOptions,
) -> Result<HostedMeeting> {
    desktop.host(app, options).await
}

#[tauri::command]
pub async fn join<R: Runtime>(
    app: AppHandle<R>,
    desktop: State<'_, Desktop>,
    link: u64,
    options: JoinOptions,
) -> Result<()> {
    desktop.join(app, link, options).await
}

#[tauri::command]
pub fn command(desktop: State<'_, Desktop>, command: UiCommand) -> Result<()> {
    desktop.command(command)
}

#[tauri::command]
pub fn copy_invite_link<R: Runtime>(app: AppHandle<R>, desktop: State<'_, Desktop>) -> Result<()> {
    app.clipboard().write_text(desktop.invite_link()?).map_err(|e| UiError::new("shell.clipboard", e.to_string()))
}

#[tauri::command]
pub fn mark(moment: String) {
    crate::marks::mark(&moment)
}

#[tauri::command]
pub async fn share_sources() -> Result<Vec<crate::share::ShareSourceView>> {
    tauri::async_runtime::spawn_blocking(crate::share::sources)
        .await
        .map_err(|e| UiError::new("shell.task", e.to_string()))?
}

#[tauri::command]
pub fn watch_video(desktop: State<'_, Desktop>, member: String, width: Option<u32>) -> Result<u64> {
    desktop.watch_video(&member, width)
}

#[tauri::command]
pub fn unwatch_video(desktop: State<'_, Desktop>, id: u64) {
    desktop.unwatch_video(id)
}
