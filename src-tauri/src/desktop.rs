//! The app's state: settings, opened links, previews, video watches and the one running
//! meeting. Commands (command.rs) are one line over the methods here; the methods only wire
//! the UI's choices to the runtime (`trygg::meeting::Meeting`) and never decide meeting logic.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, Runtime};
use tokio::sync::mpsc::UnboundedReceiver;
use trygg::e2ee::identity::DeviceIdentity;
use trygg::links::JoinLink;
use trygg::media::sink::{VideoReceiver, video_channel};
use trygg::meeting::{Entry, Meeting, MeetingCommand, MeetingEvent, MeetingTarget};
use trygg::net::signal_server::SignalServer;
use trygg::secrets::SecretStore;
use trygg::secrets::keychain::OsKeychain;

use crate::config::{self, JoinOptions, TURN_PASSWORD};
use crate::contract::{OpenedLink, ShellEvent, UiCommand, UiError};
use crate::event;
use crate::hosting;
use crate::opened::{Opened, OpenedLinks};
use crate::preview::Previews;
use crate::settings::{Settings, SettingsFile};
use crate::video::Watches;

/// The participant name under which our own camera is watched.
pub const SELF: &str = "self";

type Videos = Arc<Mutex<HashMap<String, Arc<VideoReceiver>>>>;

/// The running meeting.
struct Session {
    meeting: Meeting,
    /// The link to hand out (the host's); never sent to the UI.
    invite: Option<JoinLink>,
    videos: Videos,
}

/// A running pre-join preview: its id (to stop it) and, with a camera, the watch its pictures
/// are pulled from.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PreviewView {
    /// For `stop_preview`.
    pub id: u64,
    /// For `trygg-frames:`; none without a camera.
    pub frames: Option<u64>,
}

/// What the host is told after starting (ui/src/backend/types.ts `HostedMeeting`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct HostedMeeting {
    /// Where the meeting is; no secret.
    pub server: trygg::links::ServerView,
}

/// This device's identity, for the settings screen.
#[derive(Debug, Clone, serde::Serialize)]
pub struct IdentityView {
    /// Hex SHA-256 of the identity key.
    pub fingerprint: String,
}

/// Everything the app keeps.
pub struct Desktop {
    settings_file: SettingsFile,
    settings: Mutex<Settings>,
    links: Mutex<OpenedLinks>,
    previews: Mutex<Previews>,
    watches: Arc<Mutex<Watches>>,
    session: Arc<Mutex<Option<Session>>>,
    launch: Launch,
}

/// How this run was started (from the environment; see the crate docs).
#[derive(Debug, Clone)]
pub struct Launch {
    /// Where a built-in meeting server listens (`TRYGG_LISTEN`).
    pub listen: SocketAddr,
    /// No keychain: a new identity each run (`TRYGG_IDENTITY=ephemeral`).
    pub ephemeral_identity: bool,
    /// The local address media uses (`TRYGG_MEDIA_BIND`; default every interface).
    pub media_bind: Option<std::net::IpAddr>,
}

impl Launch {
    /// Reads the environment.
    pub fn from_env() -> Self {
        let var = |k: &str| std::env::var(k).ok();
        Self {
            listen: var("TRYGG_LISTEN")
                .and_then(|l| l.parse().ok())
                .unwrap_or_else(|| hosting::DEFAULT_LISTEN.parse().expect("a valid default address")),
            ephemeral_identity: var("TRYGG_IDENTITY").is_some_and(|v| v == "ephemeral"),
            media_bind: var("TRYGG_MEDIA_BIND").and_then(|b| b.parse().ok()),
        }
    }

    /// For tests: everything on loopback, no keychain.
    pub fn loopback() -> Self {
        let lo = std::net::IpAddr::from([127, 0, 0, 1]);
        Self { listen: SocketAddr::new(lo, 0), ephemeral_identity: true, media_bind: Some(lo) }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a lock must not take the whole app down with poisoned state.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Desktop {
    /// The state for a settings folder.
    pub fn new(settings_file: SettingsFile, launch: Launch) -> Self {
        let settings = settings_file.load();
        Self {
            settings_file,
            settings: Mutex::new(settings),
            links: Mutex::default(),
            previews: Mutex::default(),
            watches: Arc::default(),
            session: Arc::default(),
            launch,
        }
    }

    /// The current settings.
    pub fn settings(&self) -> Settings {
        lock(&self.settings).clone()
    }

    /// Checks, writes and adopts new settings.
    pub fn save_settings(&self, settings: Settings) -> Result<(), UiError> {
        self.settings_file.save(&settings)?;
        *lock(&self.settings) = settings;
        Ok(())
    }

    /// Remembers the window size (saved with the other settings).
    pub fn remember_window(&self, width: f64, height: f64) -> Result<(), UiError> {
        let mut s = self.settings();
        s.window = crate::settings::WindowSize { width, height };
        self.save_settings(s)
    }

    /// Runs `work` with the OS keychain (none with `TRYGG_IDENTITY=ephemeral`), on a blocking
    /// thread: the keychain's calls block, and must never run on a runtime worker.
    async fn with_keychain<T: Send + 'static>(
        &self,
        work: impl FnOnce(Option<&OsKeychain>) -> Result<T, UiError> + Send + 'static,
    ) -> Result<T, UiError> {
        if self.launch.ephemeral_identity {
            return work(None);
        }
        OsKeychain::open_async(move |keychain| work(Some(keychain))).await
    }

    /// This device's identity fingerprint.
    pub async fn identity(&self) -> Result<IdentityView, UiError> {
        let id = self.with_keychain(|k| config::identity(k.map(|k| k as &dyn SecretStore))).await?;
        Ok(IdentityView { fingerprint: id.fingerprint().to_hex() })
    }

    /// Stores the TURN password in the keychain (it never comes back to the UI).
    pub async fn set_turn_password(&self, password: String) -> Result<(), UiError> {
        let secret = trygg::secrets::Sensitive::new(password.into_bytes());
        self.with_keychain(move |keychain| {
            let keychain = keychain.ok_or_else(|| UiError::new("secrets.no_keychain", "this run has no keychain"))?;
            Ok(keychain.set(TURN_PASSWORD, &secret)?)
        })
        .await
    }

    /// The device identity and the TURN password, read from the keychain in one visit.
    async fn meeting_secrets(&self) -> Result<(DeviceIdentity, String), UiError> {
        self.with_keychain(|keychain| {
            let identity = config::identity(keychain.map(|k| k as &dyn SecretStore))?;
            let turn_password = match keychain {
                Some(k) => {
                    k.get(TURN_PASSWORD)?.map(|s| String::from_utf8_lossy(s.expose()).into_owned()).unwrap_or_default()
                }
                None => String::new(),
            };
            Ok((identity, turn_password))
        })
        .await
    }

    /// Reads what the user pasted, on a worker thread (a pasted invite can be large).
    pub async fn open_link(&self, input: String) -> Result<OpenedLink, UiError> {
        let plan = tauri::async_runtime::spawn_blocking(move || crate::opened::read_text(&input))
            .await
            .map_err(|e| UiError::new("shell.task", format!("reading the link stopped: {e}")))??;
        Ok(lock(&self.links).file(&plan))
    }

    /// Opens launch arguments (deep links, files) and tells the UI about each, in order, on a
    /// worker thread: the window's thread never waits for an invite to be read.
    pub fn open_args<R: Runtime>(&self, app: &AppHandle<R>, args: &[String]) {
        Self::open_in_background(app, crate::opened::from_args(args));
    }

    /// Opens inputs one after the other on a worker thread and tells the UI about each (each
    /// also stays queued until the UI takes it, in case the UI is not listening yet).
    pub fn open_in_background<R: Runtime>(app: &AppHandle<R>, inputs: Vec<Opened>) {
        if inputs.is_empty() {
            return;
        }
        let app = app.clone();
        tauri::async_runtime::spawn_blocking(move || {
            for opened in &inputs {
                let read = crate::opened::read(opened);
                if let Some(desktop) = app.try_state::<Desktop>() {
                    desktop.announce(&app, read);
                }
            }
        });
    }

    fn announce<R: Runtime>(&self, app: &AppHandle<R>, read: Result<trygg::links::Plan, UiError>) {
        match read.map(|p| lock(&self.links).file_and_queue(&p)) {
            Ok(view) => {
                // What was found, never the input itself (a link carries its meeting's secret;
                // the view never does).
                tracing::info!(
                    "opened a {} input: {}",
                    view.kind,
                    serde_json::to_string(&view.action).unwrap_or_default()
                );
                event::shell(app, ShellEvent::LinkOpened { opened: view })
            }
            // The input is not logged: a link carries its meeting's secret.
            Err(e) => tracing::warn!("could not open a link or file: {}", e.code),
        }
    }

    /// Links opened before the UI asked.
    pub fn take_opened_links(&self) -> Vec<OpenedLink> {
        lock(&self.links).take_unseen()
    }

    /// Starts the pre-join preview.
    pub fn start_preview<R: Runtime>(
        &self,
        app: AppHandle<R>,
        camera: &str,
        microphone: &str,
        levels: Channel<f32>,
    ) -> Result<PreviewView, UiError> {
        let (id, pictures) = lock(&self.previews).start(app, camera, microphone, levels)?;
        // The camera's pictures are pulled like a participant's ([`crate::video`]).
        let frames = pictures.map(|rx| lock(&self.watches).start(Arc::new(rx), None));
        Ok(PreviewView { id, frames })
    }

    /// Stops a preview.
    pub fn stop_preview(&self, id: u64) {
        lock(&self.previews).stop(id);
    }

    /// Starts a new meeting as its host.
    pub async fn host<R: Runtime>(&self, app: AppHandle<R>, options: JoinOptions) -> Result<HostedMeeting, UiError> {
        self.refuse_second_meeting()?;
        let server = self.settings().server;
        let secrets = self.meeting_secrets().await?;
        let new = hosting::new_meeting(&server, self.launch.listen).await?;
        let view = new.link.server_view();
        self.start(app, Entry::Host, new.link, options, secrets, new.server)?;
        Ok(HostedMeeting { server: view })
    }

    /// Knocks on the meeting of an opened link.
    pub async fn join<R: Runtime>(&self, app: AppHandle<R>, link: u64, options: JoinOptions) -> Result<(), UiError> {
        self.refuse_second_meeting()?;
        let link = lock(&self.links).joinable(link)?;
        let secrets = self.meeting_secrets().await?;
        self.start(app, Entry::Join, link, options, secrets, None)
    }

    fn refuse_second_meeting(&self) -> Result<(), UiError> {
        if lock(&self.session).is_some() {
            return Err(UiError::new("shell.meeting_running", "a meeting is already running; leave it first"));
        }
        Ok(())
    }

    /// Starts the meeting; `server` (the built-in one) is shut down when the meeting ends, or
    /// at once when it cannot start.
    fn start<R: Runtime>(
        &self,
        app: AppHandle<R>,
        entry: Entry,
        link: JoinLink,
        options: JoinOptions,
        secrets: (DeviceIdentity, String),
        server: Option<SignalServer>,
    ) -> Result<(), UiError> {
        match self.start_meeting(entry, link, options, secrets) {
            Ok((events, videos)) => {
                let closing = Closing { session: self.session.clone(), watches: self.watches.clone(), server };
                tauri::async_runtime::spawn(forward(app, events, videos, closing));
                Ok(())
            }
            Err(e) => {
                if let Some(s) = server {
                    tauri::async_runtime::spawn(s.shutdown());
                }
                Err(e)
            }
        }
    }

    fn start_meeting(
        &self,
        entry: Entry,
        link: JoinLink,
        options: JoinOptions,
        (identity, turn_password): (DeviceIdentity, String),
    ) -> Result<(UnboundedReceiver<MeetingEvent>, Videos), UiError> {
        // The preview holds the camera and microphone the meeting is about to open.
        lock(&self.previews).stop_all();
        let (self_view, self_rx) = video_channel(2);
        let target = MeetingTarget::from_link(&link)?;
        let invitation = link.invitation().map(|t| t.encode());
        let settings = self.settings();
        let mut cfg =
            config::meeting_config(&options, &settings, target, entry, invitation, identity, turn_password, self_view)?;
        if let Some(ip) = self.launch.media_bind {
            cfg.peer.bind = vec![SocketAddr::new(ip, 0).to_string()];
        }
        let (meeting, events) = Meeting::start(cfg)?;
        if options.microphone_off {
            meeting.command(MeetingCommand::MuteMicrophone(true));
        }
        if options.camera_off {
            meeting.command(MeetingCommand::MuteCamera(true));
        }
        let videos: Videos = Arc::default();
        lock(&videos).insert(SELF.into(), Arc::new(self_rx));
        let invite = (entry == Entry::Host).then_some(link);
        *lock(&self.session) = Some(Session { meeting, invite, videos: videos.clone() });
        Ok((events, videos))
    }

    /// One command to the meeting.
    pub fn command(&self, command: UiCommand) -> Result<(), UiError> {
        let command = MeetingCommand::try_from(command)?;
        let session = lock(&self.session);
        let s = session.as_ref().ok_or_else(|| UiError::new("shell.no_meeting", "no meeting is running"))?;
        s.meeting.command(command);
        Ok(())
    }

    /// The host's invite link, for the clipboard (never for the UI).
    pub fn invite_link(&self) -> Result<String, UiError> {
        let session = lock(&self.session);
        let s = session.as_ref().ok_or_else(|| UiError::new("shell.no_meeting", "no meeting is running"))?;
        s.invite
            .as_ref()
            .map(JoinLink::expose_url)
            .ok_or_else(|| UiError::new("shell.not_host", "only the host has the invite link to copy"))
    }

    /// Starts keeping a participant's newest picture ("self": our camera) for the page to pull
    /// ([`crate::video`]). With `width`, pictures come no larger than needed to fill that many
    /// pixels across.
    pub fn watch_video(&self, member: &str, width: Option<u32>) -> Result<u64, UiError> {
        let receiver = {
            let session = lock(&self.session);
            let s = session.as_ref().ok_or_else(|| UiError::new("shell.no_meeting", "no meeting is running"))?;
            lock(&s.videos).get(member).cloned()
        };
        let receiver = receiver.ok_or_else(|| UiError::new("shell.no_video", format!("no video from {member} yet")))?;
        Ok(lock(&self.watches).start(receiver, width))
    }

    /// The running watch with this id, for a pull.
    pub fn watch(&self, id: u64) -> Option<Arc<crate::video::Watch>> {
        lock(&self.watches).get(id)
    }

    /// Stops keeping pictures for the page.
    pub fn unwatch_video(&self, id: u64) {
        lock(&self.watches).stop(id);
    }

    /// Leaves the meeting (the window is closing).
    pub fn leave(&self) {
        if let Some(s) = lock(&self.session).as_ref() {
            s.meeting.leave();
        }
        lock(&self.previews).stop_all();
    }
}

/// What ends with the meeting.
struct Closing {
    session: Arc<Mutex<Option<Session>>>,
    watches: Arc<Mutex<Watches>>,
    server: Option<SignalServer>,
}

/// Carries every meeting event to the UI until the meeting ends, then clears up after it.
async fn forward<R: Runtime>(
    app: AppHandle<R>,
    mut events: UnboundedReceiver<MeetingEvent>,
    videos: Videos,
    closing: Closing,
) {
    while let Some(e) = events.recv().await {
        match e {
            MeetingEvent::VideoChannel { member, receiver } => {
                lock(&videos).insert(member.to_string(), receiver);
                event::shell(&app, ShellEvent::VideoAvailable { member: member.to_string() });
            }
            MeetingEvent::ShareChannel { member, receiver } => {
                lock(&videos).insert(format!("share:{member}"), receiver);
                event::shell(&app, ShellEvent::ShareAvailable { member: member.to_string() });
            }
            MeetingEvent::ShareStopped { ref member, .. } => {
                lock(&videos).remove(&format!("share:{member}"));
                event::meeting(&app, &e);
            }
            MeetingEvent::ParticipantLeft { ref member, .. } => {
                lock(&videos).remove(&member.to_string());
                lock(&videos).remove(&format!("share:{member}"));
                event::meeting(&app, &e);
            }
            other => event::meeting(&app, &other),
        }
    }
    *lock(&closing.session) = None;
    lock(&closing.watches).stop_all();
    if let Some(s) = closing.server {
        s.shutdown().await;
    }
    event::shell(&app, ShellEvent::MeetingClosed);
}
