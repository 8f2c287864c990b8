//! The `trygg` command line as a user and a script meet it.

mod common;

use common::trygg;
use serde_json::Value;

fn json(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn version_names_the_commit_and_the_features() {
    let out = trygg().arg("--version").output().unwrap();
    assert!(out.status.success());
    let v = String::from_utf8_lossy(&out.stdout);
    assert!(v.starts_with(&format!("trygg {}", env!("CARGO_PKG_VERSION"))), "{v}");
    assert!(v.contains("commit ") && v.contains("features: "), "{v}");
    assert!(v.contains("camera") && v.contains("audio-devices"), "default features shown: {v}");
}

#[test]
fn help_explains_every_subcommand() {
    let out = trygg().arg("--help").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for cmd in ["devices", "demo", "bench"] {
        assert!(text.contains(cmd), "{text}");
    }
    let out = trygg().args(["demo", "--help"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("--video") && text.contains("synthetic, camera"), "{text}");
}

#[test]
fn devices_lists_every_kind_or_says_there_is_none() {
    let out = trygg().args(["devices", "--json"]).output().unwrap();
    assert!(out.status.success());
    let v = json(&out);
    for kind in ["cameras", "microphones", "speakers", "problems"] {
        assert!(v[kind].is_array(), "{kind} missing: {v}");
    }
    let text = trygg().arg("devices").output().unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("cameras"), "{text}");
    if v["cameras"].as_array().unwrap().is_empty() {
        assert!(text.contains("cameras: none found"), "{text}");
    }
}

#[test]
fn demo_runs_the_synthetic_pipeline_and_reports_every_stage() {
    let out =
        trygg().args(["demo", "--seconds", "1.5", "--width", "320", "--height", "180", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v = json(&out);
    let video = &v["video"];
    let decoded = video["decoded"].as_u64().unwrap();
    assert!(decoded >= 30, "{video}");
    assert_eq!(video["stamps_read"].as_u64(), Some(decoded), "every decoded picture has its stamp");
    assert!(video["psnr_db"]["mean"].as_f64().unwrap() > 30.0);
    for stage in ["capture_to_encoded_ms", "encoded_to_decoded_ms", "capture_to_decoded_ms", "glass_to_glass_ms"] {
        let p = &video["latency"][stage];
        assert!(
            p["p50"].as_f64().unwrap() > 0.0 && p["p95"].as_f64().unwrap() >= p["p50"].as_f64().unwrap(),
            "{stage}: {p}"
        );
    }
    assert!(video["bitrate_kbps"].as_f64().unwrap() > 100.0);
    let audio = &v["audio"];
    assert_eq!(audio["dominant_hz"].as_f64(), Some(440.0), "{audio}");
    assert!(audio["encoded"].as_u64().unwrap() >= 60);

    let text = trygg().args(["demo", "--seconds", "0.5", "--width", "320", "--height", "180"]).output().unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    for want in ["PSNR", "capture → encoded", "encoded → decoded", "p50", "p95", "kbit/s"] {
        assert!(text.contains(want), "missing {want}: {text}");
    }
}

#[test]
fn absurd_values_get_a_clear_error_and_no_panic() {
    for args in [
        &["demo", "--fps", "0"][..],
        &["demo", "--width", "100000", "--height", "1"],
        &["demo", "--seconds", "0"],
        &["demo", "--seconds", "nan"],
        &["demo", "--video-kbps", "0"],
        &["bench", "codecs", "--frames", "0"],
    ] {
        let out = trygg().args(args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("error:") && !err.contains("panicked"), "{args:?}: {err}");
    }
    // Odd sizes pass the range check but not I420: the library says why.
    let out =
        trygg().args(["demo", "--width", "641", "--height", "360", "--seconds", "0.2", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_eq!(v["code"], "media.invalid_config", "{v}");
    assert!(v["message"].as_str().unwrap().contains("even"), "{v}");
}

#[test]
fn missing_sources_are_named_and_the_rest_would_still_work() {
    let out = trygg().args(["demo", "--video", "file:/nonexistent/clip.y4m", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_eq!(v["code"], "media.io", "{v}");
    assert!(v["message"].as_str().unwrap().contains("/nonexistent/clip.y4m"));

    let out = trygg().args(["demo", "--video", "webcam", "--json"]).output().unwrap();
    assert_eq!(json(&out)["code"], "media.invalid_config");

    let out = trygg().args(["demo", "--video", "none", "--audio", "none"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to do"));

    let has_camera = std::fs::read_dir("/dev")
        .map(|d| d.flatten().any(|e| e.file_name().to_string_lossy().starts_with("video")))
        .unwrap_or(false);
    let out = trygg()
        .args(["demo", "--video", "camera", "--audio", "synthetic", "--seconds", "0.5", "--json"])
        .output()
        .unwrap();
    if has_camera {
        assert!(out.status.success(), "camera present but the demo failed: {}", String::from_utf8_lossy(&out.stdout));
    } else {
        let v = json(&out);
        assert_eq!(v["code"], "media.no_device", "{v}");
        assert!(v["message"].as_str().unwrap().contains("no camera found"), "{v}");
        // Without the camera, the audio path still runs.
        let out = trygg()
            .args(["demo", "--video", "none", "--audio", "synthetic", "--seconds", "0.5", "--json"])
            .output()
            .unwrap();
        assert!(out.status.success());
        assert!(json(&out)["audio"]["encoded"].as_u64().unwrap() > 10);
    }
}

#[test]
fn bench_codecs_reports_both_sides_of_every_comparison() {
    let out = trygg().args(["bench", "codecs", "--frames", "10", "--audio-frames", "20", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v = json(&out);
    let sizes: Vec<(u64, u64)> = v["h264"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["width"].as_u64().unwrap(), h["height"].as_u64().unwrap()))
        .collect();
    assert_eq!(sizes, vec![(640, 360), (1280, 720), (1920, 1080)]);
    for h in v["h264"].as_array().unwrap() {
        for side in ["trygg", "direct"] {
            assert!(h["encode_ms"][side]["p50"].as_f64().unwrap() > 0.0, "{h}");
            assert!(h["decode_ms"][side]["count"].as_u64().unwrap() > 0, "{h}");
        }
    }
    assert_eq!(v["opus"]["encode_us"]["trygg"]["count"].as_u64(), Some(20));
    assert!(v["machine"]["cpu"].is_string());
}

#[test]
fn peers_are_verified_listed_and_forgotten_and_a_bad_list_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("settings/known-peers.json");
    let f = file.to_str().unwrap();
    let fp = "0123 4567 89ab cdef 0123 4567 89ab cdef 0123 4567 89ab cdef 0123 4567 89ab cdef";
    let run = |args: &[&str]| trygg().arg("peers").args(args).args(["--known-peers", f, "--json"]).output().unwrap();
    let doc = |o: &std::process::Output| -> serde_json::Value { serde_json::from_slice(&o.stdout).unwrap() };

    let out = run(&["verify", "Kari Nordmann", fp]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(doc(&out)["peers"][0]["name"], "kari nordmann");
    assert_eq!(doc(&out)["peers"][0]["fingerprint"], fp);
    // Another key for the same name needs --replace.
    let other = fp.replace("0123", "ffff");
    let out = run(&["verify", "kari nordmann", &other]);
    assert_eq!(out.status.code(), Some(1));
    assert!(doc(&out)["message"].as_str().unwrap().contains("--replace"), "{}", doc(&out));
    assert!(run(&["verify", "Kari Nordmann", &other, "--replace"]).status.success());
    assert_eq!(doc(&run(&["list"]))["peers"][0]["fingerprint"], other.as_str());
    // Not a fingerprint.
    let out = run(&["verify", "Ola", "12345"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(doc(&out)["message"].as_str().unwrap().contains("64 hex digits"));
    assert!(run(&["forget", "KARI NORDMANN"]).status.success());
    assert_eq!(doc(&run(&["list"]))["peers"].as_array().unwrap().len(), 0);
    assert_eq!(run(&["forget", "Kari Nordmann"]).status.code(), Some(1));

    // A damaged list is reported and never overwritten.
    std::fs::write(&file, "{\"version\": 1, \"peers\": {\"x\": \"nothex\"}}").unwrap();
    let out = run(&["verify", "Ola", fp]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(doc(&out)["code"], "meeting.known_peers");
    assert!(std::fs::read_to_string(&file).unwrap().contains("nothex"));
}

#[test]
fn the_demo_encodes_a_shared_screen_as_screen_content() {
    let out = trygg()
        .args(["demo", "--video", "slide", "--audio", "none", "--width", "640", "--height", "480"])
        .args(["--fps", "5", "--video-kbps", "800", "--seconds", "2", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v = json(&out);
    assert_eq!(v["video"]["source"]["name"], "synthetic slide", "{v}");
    assert!(v["video"]["decoded"].as_u64().unwrap() >= 3, "{v}");
    assert!(v["video"]["stamps_read"].as_u64().unwrap() >= 3, "{v}");
    for bad in ["window:0xzz", "screen:x", "slide:1"] {
        let out = trygg().args(["demo", "--video", bad, "--audio", "none", "--json"]).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{bad}");
        assert!(json(&out)["message"].as_str().unwrap().contains("screen[:N]"), "{bad}: {}", json(&out));
    }
}

#[test]
fn secrets_can_stay_out_of_the_process_list() {
    use std::io::Write;
    // The link on standard input (`join -`), the TURN password in a file: a bad file is named.
    let mut child = trygg()
        .args(["join", "-", "--json", "--turn-user", "u"])
        .args(["--turn-password-file", "/nonexistent/turn-password"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let link = "trygg://127.0.0.1:9/k3bqx7dz2mfa4ruwyhe5tnvlcp#AAAAAAAAAAAAAAAAAAAAAA?insecure=1";
    writeln!(child.stdin.take().unwrap(), "{link}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    let v = json(&out);
    let message = v["message"].as_str().unwrap_or_default();
    assert_eq!(v["code"], "cli.turn_password", "{v}");
    assert!(message.contains("TURN password file /nonexistent/turn-password"), "{v}");
    // Both a password and a password file: refused by the parser.
    let out = trygg()
        .args(["join", "-", "--turn-user", "u", "--turn-password", "p", "--turn-password-file", "f"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot be used with"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
