//! Everything the UI hears goes out as one Tauri event, [`EVENT`], whose payload is a
//! `MeetingEvent` or a [`ShellEvent`] (both tagged by `type`). Pictures never do: they go
//! through binary channels ([`crate::video`]).

use tauri::{AppHandle, Emitter, Runtime};
use trygg::meeting::MeetingEvent;

use crate::contract::ShellEvent;

/// The one event name (ui/src/backend/tauri.ts listens to it).
pub const EVENT: &str = "trygg://event";

/// Sends a meeting event to the UI.
pub fn meeting<R: Runtime>(app: &AppHandle<R>, event: &MeetingEvent) {
    if let Err(e) = app.emit(EVENT, event) {
        tracing::warn!("could not send {event:?} to the UI: {e}");
    }
}

/// Sends a shell event to the UI.
pub fn shell<R: Runtime>(app: &AppHandle<R>, event: ShellEvent) {
    if let Err(e) = app.emit(EVENT, &event) {
        tracing::warn!("could not send a shell event to the UI: {e}");
    }
}
