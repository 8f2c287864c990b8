//! `trygg invitations`: the personal invitations this device made, and revoking one.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use trygg::links::InvitationId;
use trygg::meeting::invitations::{self, InvitationList};

/// The personal invitations this device made (`trygg invite --personal`).
#[derive(Debug, clap::Subcommand)]
pub enum Invitations {
    /// List them: id, invitee, room, when made, and whether revoked.
    List(Common),
    /// Revoke one by its id: a knock with it shows as revoked in the lobby of every later run of
    /// the meeting hosted from this device, a co-host's approval no longer lets it in, and with
    /// `trygg host --invited-only` it is turned away.
    Revoke {
        /// The invitation's id (11 characters, as `trygg invitations list` shows it). An id may
        /// begin with "-" (base64url), so it is never taken for an option.
        #[arg(allow_hyphen_values = true)]
        id: String,
        #[command(flatten)]
        common: Common,
    },
}

/// Options every `trygg invitations` command takes.
#[derive(Debug, clap::Args)]
pub struct Common {
    /// The list [default: invitations.json in Trygg's settings folder].
    #[arg(long, value_name = "FILE")]
    invitations: Option<PathBuf>,
    /// Print one JSON document instead of text.
    #[arg(long)]
    json: bool,
}

impl Common {
    fn path(&self) -> anyhow::Result<PathBuf> {
        self.invitations.clone().or_else(invitations::default_path).context("no home folder; pass --invitations FILE")
    }
}

fn print(json: bool, path: &std::path::Path, list: &InvitationList) {
    if json {
        println!("{}", serde_json::json!({"type": "invitations", "path": path, "invitations": list.invitations}));
    } else if list.invitations.is_empty() {
        println!("no personal invitations yet ({})", path.display());
    } else {
        println!("personal invitations ({}):", path.display());
        for r in &list.invitations {
            let state = r.revoked.as_deref().map_or_else(String::new, |t| format!("  REVOKED {t}"));
            println!("  {}  {:<32} room {}  made {}{state}", r.id, r.invitee, r.room, r.issued);
        }
    }
}

pub fn run(cmd: Invitations) -> ExitCode {
    let json = match &cmd {
        Invitations::List(c) | Invitations::Revoke { common: c, .. } => c.json,
    };
    let result = (|| -> anyhow::Result<()> {
        match cmd {
            Invitations::List(c) => {
                let path = c.path()?;
                print(c.json, &path, &invitations::read(&path)?);
            }
            Invitations::Revoke { id, common } => {
                let path = common.path()?;
                let parsed = InvitationId::from_text(&id)
                    .with_context(|| format!("\"{id}\" is not an invitation id (11 characters of base64url)"))?;
                anyhow::ensure!(invitations::revoke(&path, &parsed)?, "no invitation {id} in {}", path.display());
                print(common.json, &path, &invitations::read(&path)?);
            }
        }
        Ok(())
    })();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => super::fail(json, "meeting.invitations", &e),
    }
}
