//! `scripts/check-commands.pl`, which `make test` runs before the long build: it passes with
//! setup.sh's own list, and names the package when setup.sh would leave a command out.

use std::path::Path;
use std::process::Command;

fn check(list: Option<&Path>) -> (bool, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut cmd = Command::new(root.join("scripts/check-commands.pl"));
    if let Some(list) = list {
        cmd.env("CHECK_SETUP_LIST", list);
    }
    let out = cmd.output().expect("perl runs the check");
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn every_command_the_tests_run_is_installed_by_setup_and_a_missing_package_is_named() {
    let (ok, out) = check(None);
    assert!(ok, "{out}");
    assert!(out.contains("each is in Debian's base or installed by setup.sh"), "{out}");

    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let listed = Command::new(root.join("scripts/setup.sh")).args(["packages", "test"]).output().unwrap();
    let listed = String::from_utf8(listed.stdout).unwrap();
    assert!(listed.lines().any(|p| p == "desktop-file-utils"), "{listed}");
    let dir = tempfile::tempdir().unwrap();
    let without = dir.path().join("packages");
    std::fs::write(&without, listed.lines().filter(|p| *p != "desktop-file-utils").collect::<Vec<_>>().join("\n"))
        .unwrap();
    let (ok, out) = check(Some(&without));
    assert!(!ok, "{out}");
    assert!(
        out.contains("update-desktop-database (scripts/package-test.sh") && out.contains("add desktop-file-utils"),
        "{out}"
    );
}
