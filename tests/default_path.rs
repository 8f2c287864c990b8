//! Every main flow runs at least once as a user runs it: the device key in the OS keychain, no
//! identity made for one run. The meeting tests were once all run with `--identity ephemeral`,
//! and the default path (the keychain inside the meeting's runtime) panicked unseen.
//!
//! This test reads the tests, the scripts that run them and the benches, and fails when one asks
//! for an ephemeral identity without a reason listed here. The test harness refuses it as well
//! (`tests/common/process.rs`).

use std::path::{Path, PathBuf};

/// Where an ephemeral identity is still asked for, and why that leaves the default path tested.
const ALLOWED: &[(&str, &str)] = &[
    ("tests/default_path.rs", "this list"),
    ("tests/common/process.rs", "the harness's refusal of it"),
    ("src/bench/call.rs", "a benchmark of the media path; the keychain is not what it measures"),
    (
        "src/bench/network/mod.rs",
        "a benchmark of rate and loss through network namespaces, where no session bus or keychain runs",
    ),
    (
        "scripts/bench-audio-loss.sh",
        "a benchmark of speech quality through loss in network namespaces, where no session bus or keychain runs",
    ),
    ("scripts/desktop-bench.sh", "a benchmark of the app's memory and CPU, next to an empty window"),
    ("ui/tests/desktop/memory.bench.mjs", "the same benchmark's peer"),
    (
        "src-tauri/tests/meeting_through_the_shell.rs",
        "the host's app runs with the keychain; the joiner is a second app in the same process, on the host's \
         session bus, and one keychain is one device",
    ),
];

/// Whether a line asks for an identity made for one run: the CLI's `--identity ephemeral`,
/// `TRYGG_IDENTITY=ephemeral`, or the desktop's `Launch::loopback()` (which sets it).
fn asks_for_ephemeral(line: &str) -> bool {
    (line.contains("ephemeral") && !line.contains("ephemeral_identity: false")) || line.contains("Launch::loopback()")
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if name == "node_modules" || name == "data" || name == "target" {
            continue;
        }
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| ["rs", "mjs", "js", "ts", "sh"].iter().any(|x| e == *x)) {
            out.push(path);
        }
    }
}

#[test]
fn no_test_needs_an_identity_made_for_one_run() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut all = vec![root.join("Makefile"), root.join(".ci/run")];
    for dir in ["tests", "scripts", "ui/tests", "src-tauri/tests", "src/bench"] {
        files(&root.join(dir), &mut all);
    }
    assert!(all.len() > 40, "the tests were found: {all:?}");
    let mut asking = vec![];
    for path in &all {
        let rel = path.strip_prefix(root).unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let asks = text.lines().any(asks_for_ephemeral);
        let allowed = ALLOWED.iter().any(|(f, _)| *f == rel);
        if asks && !allowed {
            asking.push(rel);
        } else if allowed && !asks {
            panic!("{rel} is listed in ALLOWED but no longer asks for an ephemeral identity: take it off the list");
        }
    }
    assert!(
        asking.is_empty(),
        "these ask for an ephemeral identity, so the default path (the OS keychain) goes untested there: {asking:?}; \
         run the meeting with a keychain (tests/private-keychain), or list the file in ALLOWED with the reason"
    );
}
