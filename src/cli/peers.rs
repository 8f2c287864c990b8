//! `trygg peers`: the participants this device verified, by name and identity key.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use trygg::e2ee::identity::Fingerprint;
use trygg::meeting::trust;

/// Participants this device verified (compared the security code with).
#[derive(Debug, clap::Subcommand)]
pub enum Peers {
    /// List the verified participants and their identity key fingerprints.
    List(Common),
    /// Remember NAME with the identity FINGERPRINT a meeting showed for them (`peer_identity`),
    /// after you compared the security code with them over a channel you trust.
    Verify {
        /// Their name, as the meeting shows it.
        name: String,
        /// Their fingerprint: 64 hex digits, spaces allowed.
        fingerprint: String,
        /// Replace a different key remembered for this name.
        #[arg(long)]
        replace: bool,
        #[command(flatten)]
        common: Common,
    },
    /// Forget a verified participant.
    Forget {
        /// Their name.
        name: String,
        #[command(flatten)]
        common: Common,
    },
}

/// Options every `trygg peers` command takes.
#[derive(Debug, clap::Args)]
pub struct Common {
    /// The list [default: known-peers.json in Trygg's settings folder].
    #[arg(long, value_name = "FILE")]
    known_peers: Option<PathBuf>,
    /// Print one JSON document instead of text.
    #[arg(long)]
    json: bool,
}

impl Common {
    fn path(&self) -> anyhow::Result<PathBuf> {
        self.known_peers.clone().or_else(trust::default_path).context("no home folder; pass --known-peers FILE")
    }
}

fn list(json: bool, path: &std::path::Path, known: &trygg::e2ee::verify::KnownPeers) {
    if json {
        let peers: Vec<_> =
            known.iter().map(|(n, k)| serde_json::json!({"name": n, "fingerprint": k.to_string()})).collect();
        println!("{}", serde_json::json!({"type": "known_peers", "path": path, "peers": peers}));
    } else if known.is_empty() {
        println!("no verified participants yet ({})", path.display());
    } else {
        println!("verified participants ({}):", path.display());
        for (n, k) in known.iter() {
            println!("  {n}: {k}");
        }
    }
}

fn run_inner(cmd: Peers) -> (bool, anyhow::Result<()>) {
    let json = match &cmd {
        Peers::List(c) | Peers::Verify { common: c, .. } | Peers::Forget { common: c, .. } => c.json,
    };
    let result = (|| {
        match cmd {
            Peers::List(c) => {
                let path = c.path()?;
                list(c.json, &path, &trust::read(&path)?);
            }
            Peers::Verify { name, fingerprint, replace, common } => {
                let path = common.path()?;
                let key = Fingerprint::from_hex(&fingerprint.replace([' ', ':'], "").to_lowercase())
                    .context("a fingerprint is 64 hex digits (spaces allowed)")?;
                let mut known = trust::read(&path)?;
                if replace {
                    known.replace(&name, key);
                } else {
                    known
                        .remember(&name, key)
                        .map_err(|e| anyhow::anyhow!("{e}; pass --replace after verifying again"))?;
                }
                trust::write(&path, &known)?;
                list(common.json, &path, &known);
            }
            Peers::Forget { name, common } => {
                let path = common.path()?;
                let mut known = trust::read(&path)?;
                anyhow::ensure!(known.forget(&name), "\"{name}\" is not in the list");
                trust::write(&path, &known)?;
                list(common.json, &path, &known);
            }
        }
        Ok(())
    })();
    (json, result)
}

pub fn run(cmd: Peers) -> ExitCode {
    match run_inner(cmd) {
        (_, Ok(())) => ExitCode::SUCCESS,
        (json, Err(e)) => super::fail(json, "meeting.known_peers", &e),
    }
}
