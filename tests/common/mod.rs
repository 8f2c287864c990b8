//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod coturn;
pub mod meeting;
pub mod mitm;
pub mod process;
pub mod pulse;

use std::path::PathBuf;
use std::process::{Command, Output};

/// The path of a tool the tests need. `make test` installs every one of them; running the tests
/// without it is a setup error, reported as such rather than skipped.
pub fn tool(name: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        let p = dir.join(name);
        if p.is_file() {
            return p;
        }
    }
    panic!("`{name}` is not installed; `make test` installs it (see scripts/setup.sh)");
}

/// Runs a command and returns its output, failing the test with stderr if it did not succeed.
pub fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("running {cmd:?}: {e}"));
    assert!(out.status.success(), "{cmd:?} failed: {}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    out
}

/// The trygg binary built for these tests.
pub fn trygg() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_trygg"));
    // Tests that share a screen give their own display; a developer's Wayland session would
    // otherwise send the share to the desktop portal's dialog.
    c.env_remove("WAYLAND_DISPLAY");
    c
}
