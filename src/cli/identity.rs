//! `trygg identity`

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use trygg::e2ee::E2eeError;
use trygg::e2ee::identity::DeviceIdentity;
use trygg::secrets::keychain::OsKeychain;

/// This device's identity key (kept in the OS keychain).
#[derive(Debug, clap::Subcommand)]
pub enum Identity {
    /// Print this device's identity fingerprint; makes the identity on first use.
    Show {
        /// Print one JSON document instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Replace this device's identity with a new one. People who verified you will see a
    /// key-change warning until they verify you again.
    Reset {
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
        /// Print one JSON document instead of text.
        #[arg(long)]
        json: bool,
    },
}

fn report(json: bool, id: &DeviceIdentity, what: &str) {
    if json {
        let doc = serde_json::json!({
            "type": "identity",
            "status": what,
            "fingerprint": id.fingerprint().to_string(),
            "fingerprint_hex": id.fingerprint().to_hex(),
            "algorithm": "Ed25519",
        });
        println!("{doc}");
    } else {
        println!("device identity ({what}), Ed25519, SHA-256 fingerprint:");
        println!("  {}", id.fingerprint());
    }
}

fn confirm() -> Result<bool, anyhow::Error> {
    if !std::io::stdin().is_terminal() {
        anyhow::bail!("refusing to replace the device identity without confirmation: run in a terminal or pass --yes");
    }
    print!(
        "Replace this device's identity? Everyone who verified you will see a warning until they verify you again. [y/N] "
    );
    std::io::stdout().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes"))
}

fn fail(json: bool, e: E2eeError) -> ExitCode {
    super::fail(json, e.code(), &e.into())
}

pub fn run(cmd: Identity) -> ExitCode {
    match cmd {
        Identity::Show { json } => {
            let result = OsKeychain::open()
                .map_err(E2eeError::from)
                .and_then(|k| DeviceIdentity::load_or_create(&k, &mut rand_core_06::OsRng));
            match result {
                Ok((id, created)) => {
                    report(json, &id, if created { "created" } else { "existing" });
                    ExitCode::SUCCESS
                }
                Err(e) => fail(json, e),
            }
        }
        Identity::Reset { yes, json } => {
            let keychain = match OsKeychain::open() {
                Ok(k) => k,
                Err(e) => return fail(json, e.into()),
            };
            if !yes {
                match confirm() {
                    Ok(true) => {}
                    Ok(false) => {
                        eprintln!("identity unchanged");
                        return ExitCode::FAILURE;
                    }
                    Err(e) => return super::fail(json, "cli.not_confirmed", &e),
                }
            }
            match DeviceIdentity::reset(&keychain, &mut rand_core_06::OsRng) {
                Ok(id) => {
                    report(json, &id, "replaced");
                    ExitCode::SUCCESS
                }
                Err(e) => fail(json, e),
            }
        }
    }
}
