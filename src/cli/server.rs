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
