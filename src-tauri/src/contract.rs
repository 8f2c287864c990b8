//! What crosses the IPC boundary besides `MeetingEvent` itself: the UI's commands, the shell's
//! own events, errors as `{code, message}`, and the view of an opened link. The UI's TypeScript
//! mirrors these (ui/src/backend/types.ts); the test at the bottom writes one example of every
//! variant to `ui/src/backend/fixtures/shell.json`, which the UI's contract test parses strictly.

use serde::{Deserialize, Serialize};
use trygg::links::{Action, Plan};
use trygg::meeting::MeetingCommand;
use trygg::room::ids::MemberId;
use trygg::room::roles::Role;

/// Every failure a command reports: a stable code (the UI picks its sentence by it) and the
/// library's own sentence (for logs and details).
#[derive(Debug, Clone, Serialize, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct UiError {
    /// Stable, dotted: `media.device_busy`, `links.no_meeting_found`, `shell.no_meeting`, ...
    pub code: String,
    /// A sentence.
    pub message: String,
}

impl UiError {
    /// An error of the shell itself.
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self { code: code.into(), message: message.into() }
    }
}

/// Every library error with a stable code reaches the UI as `{code, message}`.
impl<E: trygg::Coded> From<E> for UiError {
    fn from(e: E) -> Self {
        Self { code: e.code().into(), message: e.to_string() }
    }
}

/// What the UI may ask of the running meeting: `MeetingCommand` in JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum UiCommand {
    /// Let a knocker in.
    Admit { member: String },
    /// Turn a knocker away.
    Deny { member: String },
    /// Lock or unlock.
    Lock { locked: bool },
    /// Remove a participant.
    Remove { member: String },
    /// Change a member's role.
    SetRole { member: String, role: Role },
    /// Ask a member to unmute.
    RequestUnmute { member: String },
    /// Mute a member.
    Mute { member: String },
    /// Raise or lower our hand.
    RaiseHand { raised: bool },
    /// Our microphone off or on.
    MuteMicrophone { muted: bool },
    /// Our camera off or on.
    MuteCamera { muted: bool },
    /// Share a screen or window (an id from `share_sources`).
    StartShare { source: String },
    /// Stop sharing.
    StopShare,
    /// We compared the security code with this participant: remember them as verified.
    Verify { member: String },
    /// Revoke a personal invitation (its id, as the knock showed it).
    RevokeInvitation { id: String },
    /// End the meeting for everyone.
    EndForAll,
    /// Leave.
    Leave,
}

impl TryFrom<UiCommand> for MeetingCommand {
    type Error = UiError;

    fn try_from(c: UiCommand) -> Result<Self, UiError> {
        let id = |m: &str| MemberId::parse(m).map_err(UiError::from);
        Ok(match c {
            UiCommand::Admit { member } => Self::Admit(id(&member)?),
            UiCommand::Deny { member } => Self::Deny(id(&member)?),
            UiCommand::Lock { locked } => Self::Lock(locked),
            UiCommand::Remove { member } => Self::Remove(id(&member)?),
            UiCommand::SetRole { member, role } => Self::SetRole(id(&member)?, role),
            UiCommand::RequestUnmute { member } => Self::RequestUnmute(id(&member)?),
            UiCommand::Mute { member } => Self::Mute(id(&member)?),
            UiCommand::RaiseHand { raised } => Self::RaiseHand(raised),
            UiCommand::MuteMicrophone { muted } => Self::MuteMicrophone(muted),
            UiCommand::MuteCamera { muted } => Self::MuteCamera(muted),
            UiCommand::StartShare { source } => Self::StartShare(source),
            UiCommand::StopShare => Self::StopShare,
            UiCommand::Verify { member } => Self::Verify(id(&member)?),
            UiCommand::RevokeInvitation { id } => {
                Self::RevokeInvitation(trygg::links::InvitationId::from_text(&id).ok_or_else(|| UiError {
                    code: "meeting.invalid_invitation".into(),
                    message: format!("\"{id}\" is not an invitation id"),
                })?)
            }
            UiCommand::EndForAll => Self::EndForAll,
            UiCommand::Leave => Self::Leave,
        })
    }
}

/// A link warning as the UI shows it.
#[derive(Debug, Clone, Serialize)]
pub struct WarningView {
    /// The warning's stable code.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Whether it stops the link from being used.
    pub blocks: bool,
    /// A sentence.
    pub message: String,
}

/// What the links parser made of an input, without the secret: the shell keeps the parsed
/// link under `id` for `join`.
#[derive(Debug, Clone, Serialize)]
pub struct OpenedLink {
    /// Names the parsed link the shell keeps.
    pub id: u64,
    /// `url`, `text` or `ics`.
    pub kind: &'static str,
    /// What Trygg would do.
    pub action: Action,
    /// Warnings about the input.
    pub warnings: Vec<WarningView>,
    /// An invite's title.
    pub title: Option<String>,
}

impl OpenedLink {
    /// The view of a plan.
    pub fn of(id: u64, plan: &Plan) -> Self {
        let candidate_warnings = plan.preferred().map(|c| c.warnings.clone()).unwrap_or_default();
        Self {
            id,
            kind: plan.input.kind,
            action: plan.action.clone(),
            warnings: plan
                .warnings
                .iter()
                .chain(&candidate_warnings)
                .map(|w| WarningView { kind: w.code(), blocks: w.blocks(), message: w.to_string() })
                .collect(),
            title: plan.events.first().and_then(|e| e.summary.clone()),
        }
    }
}

/// What the shell adds to the meeting's own events (all go out as the one Tauri event
/// [`crate::event::EVENT`]).
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ShellEvent {
    /// A participant's pictures can be watched.
    VideoAvailable { member: String },
    /// A participant's screen share can be watched (`watch_video` with `share:<member>`).
    ShareAvailable { member: String },
    /// A link reached the app.
    LinkOpened { opened: OpenedLink },
    /// The pre-join preview stopped because a device failed.
    PreviewError { code: String, message: String },
    /// The meeting task ended.
    MeetingClosed,
}

#[cfg(test)]
mod tests {
    use super::*;
    use trygg::links::{Input, JoinLink, LinkForm, LinkSecret, plan};

    const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../ui/src/backend/fixtures/shell.json");

    fn every_command() -> Vec<UiCommand> {
        let m = || "00000000000000b2".to_string();
        let all = vec![
            UiCommand::Admit { member: m() },
            UiCommand::Deny { member: m() },
            UiCommand::Lock { locked: true },
            UiCommand::Remove { member: m() },
            UiCommand::SetRole { member: m(), role: Role::CoHost },
            UiCommand::RequestUnmute { member: m() },
            UiCommand::Mute { member: m() },
            UiCommand::RaiseHand { raised: true },
            UiCommand::MuteMicrophone { muted: true },
            UiCommand::MuteCamera { muted: false },
            UiCommand::StartShare { source: "window:0x3a00007".into() },
            UiCommand::StopShare,
            UiCommand::Verify { member: m() },
            UiCommand::RevokeInvitation { id: "AQEBAQEBAQE".into() },
            UiCommand::EndForAll,
            UiCommand::Leave,
        ];
        // Exhaustive: a new command does not compile until it has an example above.
        for c in &all {
            match c {
                UiCommand::Admit { .. }
                | UiCommand::Deny { .. }
                | UiCommand::Lock { .. }
                | UiCommand::Remove { .. }
                | UiCommand::SetRole { .. }
                | UiCommand::RequestUnmute { .. }
                | UiCommand::Mute { .. }
                | UiCommand::RaiseHand { .. }
                | UiCommand::MuteMicrophone { .. }
                | UiCommand::MuteCamera { .. }
                | UiCommand::StartShare { .. }
                | UiCommand::StopShare
                | UiCommand::Verify { .. }
                | UiCommand::RevokeInvitation { .. }
                | UiCommand::EndForAll
                | UiCommand::Leave => {}
            }
        }
        all
    }

    fn opened(input: &str) -> OpenedLink {
        OpenedLink::of(1, &plan(Input::Url(input), None, None).expect("a readable input"))
    }

    fn every_opened_link() -> Vec<OpenedLink> {
        let link = JoinLink::new(LinkForm::Trygg, "meet.example.org", None, LinkSecret::from_random([5; 32])).unwrap();
        vec![
            opened(&link.expose_url()),
            opened("https://zoom.us/j/85298765432"),
            opened("sip:alice@example.com"),
            opened("tel:+4722334455"),
            opened("https://zoom.us.example.com/j/1"),
            OpenedLink::of(2, &plan(Input::Text("javascript:alert(1)"), None, None).unwrap()),
        ]
    }

    fn every_shell_event() -> Vec<ShellEvent> {
        let all = vec![
            ShellEvent::VideoAvailable { member: "00000000000000b2".into() },
            ShellEvent::ShareAvailable { member: "00000000000000b2".into() },
            ShellEvent::LinkOpened { opened: opened("https://zoom.us/j/85298765432") },
            ShellEvent::PreviewError { code: "media.device_failed".into(), message: "the camera was unplugged".into() },
            ShellEvent::MeetingClosed,
        ];
        for e in &all {
            match e {
                ShellEvent::VideoAvailable { .. }
                | ShellEvent::ShareAvailable { .. }
                | ShellEvent::LinkOpened { .. }
                | ShellEvent::PreviewError { .. }
                | ShellEvent::MeetingClosed => {}
            }
        }
        all
    }

    #[test]
    fn commands_round_trip_and_reach_the_meeting() {
        for c in every_command() {
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(serde_json::from_str::<UiCommand>(&json).unwrap(), c);
            MeetingCommand::try_from(c).expect("a valid member id converts");
        }
        let bad: UiCommand = serde_json::from_str(r#"{"type":"admit","member":"not hex"}"#).unwrap();
        assert_eq!(MeetingCommand::try_from(bad).unwrap_err().code, "room.invalid_id");
        let bad: UiCommand = serde_json::from_str(r#"{"type":"revoke_invitation","id":"!"}"#).unwrap();
        assert_eq!(MeetingCommand::try_from(bad).unwrap_err().code, "meeting.invalid_invitation");
        assert!(serde_json::from_str::<UiCommand>(r#"{"type":"lock"}"#).is_err());
        // serde refuses unknown fields in struct variants (not in unit ones: a serde limit).
        assert!(serde_json::from_str::<UiCommand>(r#"{"type":"lock","locked":true,"for":"all"}"#).is_err());
    }

    #[test]
    fn an_opened_link_never_carries_the_secret() {
        let link = JoinLink::new(LinkForm::Https, "meet.example.org", None, LinkSecret::from_random([9; 32])).unwrap();
        let url = link.expose_url();
        let secret = url.split_once('#').unwrap().1;
        let json = serde_json::to_string(&opened(&url)).unwrap();
        assert!(!json.contains(secret), "{json}");
        assert!(json.contains(r#""type":"join_trygg""#), "{json}");
    }

    #[test]
    fn the_ui_fixture_holds_every_command_and_shell_event() {
        let doc = serde_json::json!({
            "commands": every_command(),
            "events": every_shell_event(),
            "opened_links": every_opened_link(),
            "settings": crate::settings::Settings::default(),
        });
        let json = serde_json::to_string_pretty(&doc).unwrap() + "\n";
        if std::env::var_os("TRYGG_WRITE_FIXTURES").is_some() {
            std::fs::write(FIXTURE, &json).expect("writing the fixture");
            return;
        }
        let on_disk = std::fs::read_to_string(FIXTURE).unwrap_or_default();
        assert!(
            on_disk == json,
            "{FIXTURE} is out of date: rewrite it with `TRYGG_WRITE_FIXTURES=1 cargo test -p trygg-desktop contract`, \
             then make `npm test` in ui/ pass"
        );
    }
}
