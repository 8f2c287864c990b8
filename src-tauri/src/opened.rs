//! Links that reach the app — a pasted link or code, a `trygg://` deep link, a second launch's
//! arguments, an opened `.ics` file — all go through `trygg::links::plan`, the one function
//! behind `trygg open`. The parsed Trygg link (with its secret) stays here under an id; the UI
//! gets only the [`OpenedLink`] view.

use std::collections::HashMap;
use std::path::Path;

use trygg::links::extract::MAX_INPUT;
use trygg::links::{Action, Input, JoinLink, plan};

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

impl OpenedLinks {
    /// Reads text (a URL, a meeting code, a pasted invite) and keeps what it found.
    pub fn open_text(&mut self, text: &str) -> Result<OpenedLink, UiError> {
        let text = text.trim();
        if text.len() > MAX_INPUT {
            return Err(UiError::new("links.too_large", "the pasted text is too large to be an invite"));
        }
        let now = Some(jiff::Timestamp::now());
        let p = if text.contains(char::is_whitespace) {
            plan(Input::Text(text), None, now)?
        } else {
            // A meeting code is a Trygg link without its scheme: HOST[:PORT]/ROOM#SECRET.
            let as_is = plan(Input::Url(text), None, now);
            let joins =
                |r: &Result<trygg::links::Plan, _>| matches!(r, Ok(p) if matches!(p.action, Action::JoinTrygg { .. }));
            let schemeless = !text.contains("://") && !text.starts_with("sip:") && !text.starts_with("tel:");
            if !joins(&as_is) && schemeless {
                let as_code = plan(Input::Url(&format!("trygg://{text}")), None, now);
                if joins(&as_code) { as_code? } else { as_is? }
            } else {
                as_is?
            }
        };
        Ok(self.keep(&p))
    }

    /// Reads a file: an `.ics` invite, or text.
    pub fn open_file(&mut self, path: &Path) -> Result<OpenedLink, UiError> {
        let bytes = read_limited(path)?;
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let now = Some(jiff::Timestamp::now());
        let p = if looks_like_ics(&bytes) {
            plan(Input::Ics(&bytes), name.as_deref(), now)?
        } else {
            plan(Input::Text(&String::from_utf8_lossy(&bytes)), name.as_deref(), now)?
        };
        Ok(self.keep(&p))
    }

    /// Opens a launch argument and queues the result for the UI.
    pub fn open_and_queue(&mut self, opened: &Opened) -> Result<OpenedLink, UiError> {
        let view = match opened {
            Opened::Text(t) => self.open_text(t)?,
            Opened::File(p) => self.open_file(p)?,
        };
        self.unseen.push(view.clone());
        Ok(view)
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

    fn keep(&mut self, p: &trygg::links::Plan) -> OpenedLink {
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

    #[test]
    fn a_trygg_link_is_kept_for_joining_and_other_links_are_not() {
        let mut links = OpenedLinks::default();
        let o = links.open_text(&format!("  {}\n", link().expose_url())).unwrap();
        assert_eq!(links.joinable(o.id).unwrap().expose_url(), link().expose_url());
        let z = links.open_text("https://zoom.us/j/85298765432").unwrap();
        assert_eq!(links.joinable(z.id).unwrap_err().code, "shell.unknown_link");
        let code = link().expose_url().trim_start_matches("trygg://").to_owned();
        let c = links.open_text(&code).unwrap();
        assert_eq!(
            links.joinable(c.id).unwrap().expose_url(),
            link().expose_url(),
            "a code is a link without its scheme"
        );
        let none = links.open_text("hello there").unwrap();
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
        let o = links.open_and_queue(&Opened::File(ics)).unwrap();
        assert_eq!(o.kind, "ics");
        assert_eq!(o.title.as_deref(), Some("Planning"));
        assert!(links.joinable(o.id).is_ok());
        assert_eq!(links.take_unseen().len(), 1);
        assert!(links.take_unseen().is_empty());
        let missing = links.open_and_queue(&Opened::File(dir.path().join("gone.ics"))).unwrap_err();
        assert_eq!(missing.code, "links.io");
    }
}
