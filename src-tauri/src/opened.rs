//! Links that reach the app — a pasted link or code, a `trygg://` deep link, a second launch's
//! arguments, an opened `.ics` file — all go through `trygg::links::plan`, the one function
//! behind `trygg open`. The parsed Trygg link (with its secret) stays here under an id; the UI
//! gets only the [`OpenedLink`] view.
//!
//! Reading ([`read`], [`read_text`]) is the slow part (up to a 32 MiB invite) and runs on a
//! worker thread, never on the window's thread and never under the lock of [`OpenedLinks`],
//! which only files what was read.

use std::collections::HashMap;
use std::path::Path;

use trygg::links::extract::MAX_INPUT;
use trygg::links::{Action, Input, JoinLink, Plan, plan};

use crate::contract::{OpenedLink, UiError};

/// What one input was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opened {
    /// A link or pasted text.
    Text(String),
    /// A file (an invite).
    File(std::path::PathBuf),
}

/// The arguments of a launch that are links or files to open (the program name is skipped).
pub fn from_args(args: &[String]) -> Vec<Opened> {
    args.iter()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .map(|a| match a.strip_prefix("file://") {
            Some(path) => Opened::File(path.into()),
            None if a.contains("://") || a.starts_with("sip:") || a.starts_with("tel:") => Opened::Text(a.clone()),
            None => Opened::File(a.into()),
        })
        .collect()
}

/// The parsed links, by id, and those the UI has not yet been told about.
#[derive(Default)]
pub struct OpenedLinks {
    next: u64,
    joinable: HashMap<u64, JoinLink>,
    unseen: Vec<OpenedLink>,
}

/// Reads text (a URL, a meeting code, a pasted invite). Slow for a large paste: call it off
/// the window's thread.
pub fn read_text(text: &str) -> Result<Plan, UiError> {
    let text = text.trim();
    if text.len() > MAX_INPUT {
        return Err(UiError::new("links.too_large", "the pasted text is too large to be an invite"));
    }
    let now = Some(jiff::Timestamp::now());
    if text.contains(char::is_whitespace) {
        return Ok(plan(Input::Text(text), None, now)?);
    }
    // A meeting code is a Trygg link without its scheme: HOST[:PORT]/ROOM#SECRET.
    let as_is = plan(Input::Url(text), None, now);
    let joins = |r: &Result<Plan, _>| matches!(r, Ok(p) if matches!(p.action, Action::JoinTrygg { .. }));
    let schemeless = !text.contains("://") && !text.starts_with("sip:") && !text.starts_with("tel:");
    if !joins(&as_is) && schemeless {
        let as_code = plan(Input::Url(&format!("trygg://{text}")), None, now);
        if joins(&as_code) {
            return Ok(as_code?);
        }
    }
    Ok(as_is?)
}

/// Reads a file: an `.ics` invite, or text. Slow for a large file: call it off the window's
/// thread.
pub fn read_file(path: &Path) -> Result<Plan, UiError> {
    let bytes = read_limited(path)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let now = Some(jiff::Timestamp::now());
    Ok(if looks_like_ics(&bytes) {
        plan(Input::Ics(&bytes), name.as_deref(), now)?
    } else {
        plan(Input::Text(&String::from_utf8_lossy(&bytes)), name.as_deref(), now)?
    })
}

/// Reads a launch argument.
pub fn read(opened: &Opened) -> Result<Plan, UiError> {
    match opened {
        Opened::Text(t) => read_text(t),
        Opened::File(p) => read_file(p),
    }
}

impl OpenedLinks {
    /// Files what was read; the view is handed to the UI by the caller.
    pub fn file(&mut self, p: &Plan) -> OpenedLink {
        self.keep(p)
    }

    /// Files what was read from a launch argument and queues it for the UI.
    pub fn file_and_queue(&mut self, p: &Plan) -> OpenedLink {
        let view = self.keep(p);
        self.unseen.push(view.clone());
        view
    }

    /// The links opened before the UI listened; each is handed out once.
    pub fn take_unseen(&mut self) -> Vec<OpenedLink> {
        std::mem::take(&mut self.unseen)
    }

    /// Marks a queued link as delivered by an event.
    pub fn delivered(&mut self, id: u64) {
        self.unseen.retain(|o| o.id != id);
    }

    /// The Trygg link behind an id.
    pub fn joinable(&self, id: u64) -> Result<JoinLink, UiError> {
        self.joinable
            .get(&id)
            .cloned()
            .ok_or_else(|| UiError::new("shell.unknown_link", "that link is no longer known; open it again"))
    }

    fn keep(&mut self, p: &Plan) -> OpenedLink {
        self.next += 1;
        if let Some(join) = p.preferred().and_then(|c| c.join.clone()) {
            self.joinable.insert(self.next, join);
        }
        OpenedLink::of(self.next, p)
    }
}

fn read_limited(path: &Path) -> Result<Vec<u8>, UiError> {
    use std::io::Read;
    let io = |e: std::io::Error| UiError::new("links.io", format!("{}: {e}", path.display()));
    let mut buf = Vec::new();
    std::fs::File::open(path).map_err(io)?.take(MAX_INPUT as u64 + 1).read_to_end(&mut buf).map_err(io)?;
    if buf.len() > MAX_INPUT {
        return Err(UiError::new("links.too_large", format!("{} is too large to be an invite", path.display())));
    }
    Ok(buf)
}

fn looks_like_ics(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]);
    let head = head.trim_start_matches('\u{feff}').trim_start();
    head.get(..15).is_some_and(|p| p.eq_ignore_ascii_case("BEGIN:VCALENDAR"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use trygg::links::{LinkForm, LinkSecret};

    fn link() -> JoinLink {
        JoinLink::new(LinkForm::Trygg, "meet.example.org", None, LinkSecret::from_random([3; 32])).unwrap()
    }

    #[test]
    fn launch_arguments_become_links_and_files() {
        let args: Vec<String> =
            ["trygg-desktop", "--flag", "trygg://h/r#s", "/tmp/x.ics", "file:///tmp/y.ics", "sip:a@b"]
                .map(String::from)
                .into();
        assert_eq!(
            from_args(&args),
            vec![
                Opened::Text("trygg://h/r#s".into()),
                Opened::File("/tmp/x.ics".into()),
                Opened::File("/tmp/y.ics".into()),
                Opened::Text("sip:a@b".into()),
            ]
        );
    }

    fn open_text(links: &mut OpenedLinks, text: &str) -> Result<OpenedLink, UiError> {
        read_text(text).map(|p| links.file(&p))
    }

    #[test]
    fn a_trygg_link_is_kept_for_joining_and_other_links_are_not() {
        let mut links = OpenedLinks::default();
        let o = open_text(&mut links, &format!("  {}\n", link().expose_url())).unwrap();
        assert_eq!(links.joinable(o.id).unwrap().expose_url(), link().expose_url());
        let z = open_text(&mut links, "https://zoom.us/j/85298765432").unwrap();
        assert_eq!(links.joinable(z.id).unwrap_err().code, "shell.unknown_link");
        let code = link().expose_url().trim_start_matches("trygg://").to_owned();
        let c = open_text(&mut links, &code).unwrap();
        assert_eq!(
            links.joinable(c.id).unwrap().expose_url(),
            link().expose_url(),
            "a code is a link without its scheme"
        );
        let none = open_text(&mut links, "hello there").unwrap();
        assert!(matches!(none.action, trygg::links::Action::None { .. }));
    }

    #[test]
    fn an_invite_file_is_read_by_the_links_parser_and_queued_once() {
        let dir = tempfile::tempdir().unwrap();
        let ics = dir.path().join("invite.ics");
        let body = format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:1\r\nDTSTAMP:20260101T000000Z\r\n\
             DTSTART:20260101T100000Z\r\nSUMMARY:Planning\r\nLOCATION:{}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            link().expose_url()
        );
        std::fs::write(&ics, body).unwrap();
        let mut links = OpenedLinks::default();
        let o = read(&Opened::File(ics)).map(|p| links.file_and_queue(&p)).unwrap();
        assert_eq!(o.kind, "ics");
        assert_eq!(o.title.as_deref(), Some("Planning"));
        assert!(links.joinable(o.id).is_ok());
        assert_eq!(links.take_unseen().len(), 1);
        assert!(links.take_unseen().is_empty());
        let missing = read(&Opened::File(dir.path().join("gone.ics"))).unwrap_err();
        assert_eq!(missing.code, "links.io");
    }
}
