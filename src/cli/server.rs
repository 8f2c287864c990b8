//! `trygg server`

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use trygg::net::signal_server::{SignalServer, SignalServerConfig, Tls, TlsFiles};

/// Options of `trygg server`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "0.0.0.0:7443")]
    listen: SocketAddr,
    /// TLS certificate chain (PEM). Without it the server speaks plain WebSocket, for use behind a
    /// TLS-terminating reverse proxy or on loopback.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// A reverse proxy in front of the server (repeatable): its `X-Forwarded-For` header names
    /// the real client, whose address the server's limits then count.
    #[arg(long = "trusted-proxy")]
    trusted_proxies: Vec<std::net::IpAddr>,
    /// A TURN (or STUN) server to hand members, `turn:HOST:PORT?transport=udp` (repeatable):
    /// each member gets credentials of its own for it, made with --turn-secret-file.
    #[arg(long = "turn", value_name = "URL", requires = "turn_secret_file")]
    turn: Vec<String>,
    /// The secret shared with the TURN servers (coturn's `static-auth-secret`, with
    /// `use-auth-secret`), read from this file (its first line).
    #[arg(long, value_name = "FILE", requires = "turn")]
    turn_secret_file: Option<PathBuf>,
    /// How long the TURN credentials handed out stay valid, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = trygg::room::turn::DEFAULT_TTL.as_secs())]
    turn_ttl: u64,
    /// Print JSON lines instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => return super::fail(args.json, "io", &e.into()),
    };
    runtime.block_on(async {
        let mut config = SignalServerConfig::new(args.listen);
        config.trusted_proxies = args.trusted_proxies.clone();
        if let Some(path) = &args.turn_secret_file {
            match turn_config(&args.turn, path, args.turn_ttl) {
                Ok(turn) => config.room.turn = Some(turn),
                Err(e) => return super::fail(args.json, "server.turn", &e),
            }
        }
        if let (Some(cert), Some(key)) = (args.tls_cert.clone(), args.tls_key.clone()) {
            config.tls = Some(Tls::Files(TlsFiles { cert, key }));
        }
        let tls = config.tls.is_some();
        let server = match SignalServer::start(config).await {
            Ok(s) => s,
            Err(e) => return super::fail(args.json, e.code(), &e.into()),
        };
        let scheme = if tls { "wss" } else { "ws" };
        if args.json {
            println!(
                "{}",
                serde_json::json!({"type": "listening", "url": format!("{scheme}://{}/", server.local_addr)})
            );
        } else {
            println!("Trygg meeting server listening on {scheme}://{}/ (Ctrl-C to stop)", server.local_addr);
            if !tls {
                println!("note: no TLS; put it behind a TLS proxy unless it only serves this machine");
            }
        }
        let _ = tokio::signal::ctrl_c().await;
        server.shutdown().await;
        ExitCode::SUCCESS
    })
}

/// The TURN servers and their shared secret, checked.
fn turn_config(
    urls: &[String],
    secret_file: &std::path::Path,
    ttl: u64,
) -> anyhow::Result<trygg::room::turn::TurnConfig> {
    use anyhow::Context;
    if let Some(bad) = urls.iter().find(|u| !trygg::room::turn::is_ice_url(u)) {
        anyhow::bail!("--turn {bad}: not a stun:, turn: or turns: URL");
    }
    anyhow::ensure!(urls.len() <= trygg::room::turn::MAX_URLS, "at most {} --turn URLs", trygg::room::turn::MAX_URLS);
    anyhow::ensure!((60..=7 * 24 * 3600).contains(&ttl), "--turn-ttl {ttl}: use 60 s to 7 days");
    let text =
        std::fs::read_to_string(secret_file).with_context(|| format!("cannot read {}", secret_file.display()))?;
    let secret = text.lines().next().unwrap_or_default().trim().as_bytes().to_vec();
    anyhow::ensure!(secret.len() >= 16, "{}: the TURN secret must be at least 16 characters", secret_file.display());
    Ok(trygg::room::turn::TurnConfig {
        urls: urls.to_vec(),
        secret: trygg::secrets::Sensitive::new(secret),
        ttl: std::time::Duration::from_secs(ttl),
        unix_at_zero: 0,
    })
}
