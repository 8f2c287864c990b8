//! Argument parsing and the subcommands. Each subcommand translates flags into library calls
//! and prints the result, as text for people or as JSON (`--json`) for programs.

mod bench;
mod bench_network;
mod demo;
mod devices;
mod identity;
mod invitations;
mod invite;
mod meet;
mod open;
mod peers;
mod server;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Trygg: secure meetings with end-to-end encrypted audio, video and screen sharing.
#[derive(Debug, Parser)]
#[command(name = "trygg", version = trygg::BUILD_INFO, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List cameras, microphones and speakers with their formats.
    Devices(devices::Args),
    /// Run a local loopback pipeline (source → encode → decode) and report quality and latency.
    Demo(demo::Args),
    /// Open a meeting link, an .ics invite or a pasted e-mail: show what it holds and what Trygg does.
    Open(open::Args),
    /// Write an invite (.ics) for a Trygg meeting.
    Invite(invite::Args),
    /// The personal invitations this device made, and revoking one.
    #[command(subcommand)]
    Invitations(invitations::Invitations),
    /// Measure performance (figures for the README come from here).
    #[command(subcommand)]
    Bench(bench::Bench),
    /// Run a meeting server (signalling only: media flows peer to peer).
    Server(server::Args),
    /// Start a meeting and print its link; with no --server, Trygg runs the server itself.
    Host(meet::HostArgs),
    /// Join a meeting by its link: knock, wait in the lobby, meet.
    Join(meet::JoinArgs),
    /// Show or replace this device's identity key (kept in the OS keychain).
    #[command(subcommand)]
    Identity(identity::Identity),
    /// The participants this device verified, and their identity keys.
    #[command(subcommand)]
    Peers(peers::Peers),
}

/// Prints an error for people or programs and gives the exit code.
pub(crate) fn fail(json: bool, code: &str, err: &anyhow::Error) -> ExitCode {
    if json {
        println!("{}", serde_json::json!({"type": "error", "code": code, "message": format!("{err:#}")}));
    } else {
        eprintln!("error: {err:#}");
    }
    ExitCode::FAILURE
}

/// Like [`fail`], with one more field in the JSON error document (e.g. the plan that led to it).
pub(crate) fn fail_with(
    json: bool,
    code: &str,
    err: &anyhow::Error,
    key: &str,
    details: serde_json::Value,
) -> ExitCode {
    if json {
        let mut v = serde_json::json!({"type": "error", "code": code, "message": format!("{err:#}")});
        v[key] = details;
        println!("{v}");
    } else {
        eprintln!("error: {err:#}");
    }
    ExitCode::FAILURE
}

/// The stable code of an error from the library, or "error".
pub(crate) fn code_of(err: &anyhow::Error) -> &'static str {
    if let Some(e) = err.downcast_ref::<trygg::links::LinkError>() {
        return e.code();
    }
    if let Some(e) = err.downcast_ref::<trygg::net::NetError>() {
        return e.code();
    }
    if let Some(e) = err.downcast_ref::<trygg::room::error::ProtocolError>() {
        return e.code();
    }
    if let Some(e) = err.downcast_ref::<trygg::media::MediaError>() {
        return e.code();
    }
    if let Some(e) = err.downcast_ref::<trygg::e2ee::E2eeError>() {
        return e.code();
    }
    if let Some(e) = err.downcast_ref::<trygg::meeting::MeetingError>() {
        return e.code();
    }
    err.downcast_ref::<trygg::secrets::SecretsError>().map_or("error", |e| e.code())
}

static STARTED_US: std::sync::OnceLock<u64> = std::sync::OnceLock::new();

/// When this process started (µs since the epoch): join times count from here.
pub(crate) fn started_us() -> u64 {
    *STARTED_US.get_or_init(trygg::media::clock::wall_clock_us)
}

pub(crate) fn main() -> ExitCode {
    started_us();
    trygg::logging::init();
    let cli = Cli::parse();
    match cli.command {
        Command::Devices(a) => devices::run(a),
        Command::Demo(a) => demo::run(a),
        Command::Open(a) => open::run(a),
        Command::Invite(a) => invite::run(a),
        Command::Invitations(i) => invitations::run(i),
        Command::Bench(b) => bench::run(b),
        Command::Identity(i) => identity::run(i),
        Command::Peers(p) => peers::run(p),
        Command::Server(a) => server::run(a),
        Command::Host(a) => meet::host(a),
        Command::Join(a) => meet::join(a),
    }
}
