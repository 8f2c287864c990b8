//! Where diagnostics go, for the CLI and the desktop app alike: standard error, warnings and up
//! unless `RUST_LOG` says otherwise (zbus, the D-Bus library under the keychain and the portal,
//! only for its errors; the interceptor registry of the `webrtc` stack only for its errors too:
//! its one warning announces that an interceptor took a slot another held, which every link
//! does on purpose — Trygg puts its own NACK generator and pacer where the defaults were,
//! `net::peer` — and a user reading it would think something is wrong).

/// What is logged without `RUST_LOG`.
pub const DEFAULT_FILTER: &str = "warn,zbus=error,rtc_interceptor::registry=error";

/// Sends `tracing` output to standard error. Call once, first thing in `main`.
pub fn init() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(DEFAULT_FILTER)),
        )
        .with_writer(std::io::stderr)
        .init();
}
