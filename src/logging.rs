//! Where diagnostics go, for the CLI and the desktop app alike: standard error, warnings and up
//! unless `RUST_LOG` says otherwise (zbus, the D-Bus library under the keychain and the portal,
//! only for its errors).

/// Sends `tracing` output to standard error. Call once, first thing in `main`.
pub fn init() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,zbus=error")),
        )
        .with_writer(std::io::stderr)
        .init();
}
