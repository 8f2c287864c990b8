//! `trygg open` and `trygg invite` as a user and a script meet them.

mod common;

use std::io::Write;
use std::process::{Output, Stdio};

use common::trygg;
use serde_json::Value;

fn corpus(name: &str) -> String {
    format!("{}/tests/data/invites/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// The whole of stdout is exactly one JSON document.
fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not one JSON document ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn help_names_open_and_invite() {
    let out = trygg().arg("--help").output().unwrap();
    let t = text(&out);
    assert!(t.contains("open") && t.contains("invite"), "{t}");
    let t = text(&trygg().args(["invite", "--help"]).output().unwrap());
    assert!(t.contains("--personal") && t.contains("One file per") && t.contains("--private-agenda"), "{t}");
    let t = text(&trygg().args(["open", "--help"]).output().unwrap());
    assert!(t.contains("--dry-run") && t.contains(".ics"), "{t}");
}

#[test]
fn an_invite_gives_one_json_document_with_candidates_and_action() {
    let out = trygg().args(["open", "--json", "--dry-run", &corpus("zoom.ics")]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v = json(&out);
    assert_eq!(v["input"]["kind"], "ics");
    assert_eq!(v["preferred"], 0);
    let c = &v["candidates"][0];
    assert_eq!(
        (c["kind"].as_str(), c["host"].as_str(), c["source"].as_str()),
        (Some("zoom"), Some("us02web.zoom.us"), Some("LOCATION"))
    );
    assert_eq!(c["sip_gateway"], "85298765432@zoomcrc.com");
    assert_eq!(c["dial_in"][0]["number"], "+13052241968");
    assert_eq!(c["dial_in"][0]["pin"], "85298765432");
    assert_eq!(c["dial_in"][0]["dtmf"], ",,85298765432#,,,,*482913#");
    assert_eq!(v["action"]["type"], "open_vendor");
    assert_eq!(v["action"]["host"], "us02web.zoom.us");
    assert_eq!((v["dry_run"].as_bool(), v["outcome"].as_str()), (Some(true), Some("dry run: nothing done")));
    assert_eq!(v["events"][0]["start"], "2026-05-06T13:00:00Z");
}

#[test]
fn a_trygg_link_says_what_it_would_join() {
    // A link made before room ids committed to the room proof (its path holds the old room id):
    // it still opens, and meets in the room its secret names now.
    let link = "https://meet.example.org/j/a2eythjx352jbpanjywa7f7wb4#mscOMn6Han17EgFbv6Ms_TrYOg2A8thRgFJUUOVwQoU";
    // --dry-run: the test never contacts meet.example.org (opening_a_trygg_link_knocks_and_joins
    // joins a meeting on loopback).
    let out = trygg().args(["open", "--dry-run", link]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let t = text(&out);
    assert!(
        t.contains("action: join the Trygg meeting on meet.example.org:443 (room sbe44bjdpflyy4crvhdrn7k6ee)"),
        "{t}"
    );
    assert!(t.contains("dry run: nothing done"), "{t}");
    let v = json(&trygg().args(["open", "--json", "--dry-run", link]).output().unwrap());
    assert_eq!(v["action"]["type"], "join_trygg");
    assert_eq!(v["action"]["server"]["room"], "sbe44bjdpflyy4crvhdrn7k6ee");
    assert_eq!(v["action"]["server"]["tls"], true);
    let secret = link.split_once('#').unwrap().1;
    assert!(!v["action"].to_string().contains(secret), "the action carries no secret: {}", v["action"]);
    // The secret appears once: the user's own link echoed back.
    assert_eq!(v.to_string().matches(secret).count(), 1, "{v}");
}

#[test]
fn sip_addresses_wait_for_the_bridge() {
    let v = json(&trygg().args(["open", "--json", "sip:board@sip.example.no"]).output().unwrap());
    assert_eq!(v["action"]["type"], "dial_sip");
    assert_eq!(v["action"]["bridge_available"], false);
    assert!(v["outcome"].as_str().unwrap().contains("no SIP bridge yet"), "{v}");
}

#[test]
fn what_is_not_a_meeting_is_an_error_with_what_was_found() {
    for (arg, code, found) in [
        ("javascript:alert(document.cookie)", "links.no_meeting_found", "refused link (javascript:)"),
        ("https://zoorn.us/j/85298765432", "links.no_meeting_found", "zoorn.us — imitates zoom.us"),
        ("http://zoom.us/j/85298765432", "links.only_unsafe_links", "http"),
        ("https://example.com/", "links.no_meeting_found", "1 web link (example.com)"),
    ] {
        let out = trygg().args(["open", "--json", arg]).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{arg}");
        let v = json(&out);
        assert_eq!((v["type"].as_str(), v["code"].as_str()), (Some("error"), Some(code)), "{arg}: {v}");
        assert!(v["message"].as_str().unwrap().contains(found), "{arg}: {v}");
        assert_eq!(v["plan"]["action"]["type"], "none", "{v}");
        assert!(v["plan"]["preferred"].is_null());
        let out = trygg().args(["open", arg]).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("error:") && !err.contains("panicked"), "{arg}: {err}");
    }
    let out = trygg().args(["open", "--json", &corpus("hostile_user_info_and_lookalikes.ics")]).output().unwrap();
    let v = json(&out);
    assert_eq!(v["code"], "links.no_meeting_found");
    let types: Vec<&str> =
        v["plan"]["warnings"].as_array().unwrap().iter().map(|w| w["type"].as_str().unwrap()).collect();
    for t in ["user_info", "mixed_script_host", "lookalike_domain", "link_text_mismatch"] {
        assert!(types.contains(&t), "{t} in {types:?}");
    }
    let out = trygg().args(["open", "--json", "/nonexistent/invite.ics"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json(&out)["code"], "links.io");
}

#[test]
fn standard_input_and_text_files_are_read_as_e_mails_or_invites() {
    let email = std::fs::read(corpus("email_teams_forwarded_safelinks.txt")).unwrap();
    let mut child = trygg()
        .args(["open", "--json", "--dry-run", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&email).unwrap();
    let out = child.wait_with_output().unwrap();
    let v = json(&out);
    assert_eq!(v["input"]["kind"], "text");
    assert_eq!(v["candidates"][0]["kind"], "teams");
    assert_eq!(v["candidates"][0]["warnings"][0]["type"], "unwrapped");
    assert_eq!(v["candidates"][0]["warnings"][0]["wrapper"], "eur02.safelinks.protection.outlook.com");
    // An invite under another name is still read as an invite.
    let dir = tempfile::tempdir().unwrap();
    let renamed = dir.path().join("invite.txt");
    std::fs::copy(corpus("google_meet.ics"), &renamed).unwrap();
    let v = json(&trygg().args(["open", "--json", "--dry-run", renamed.to_str().unwrap()]).output().unwrap());
    assert_eq!((v["input"]["kind"].as_str(), v["candidates"][0]["kind"].as_str()), (Some("ics"), Some("meet")));
}

#[test]
fn invite_writes_rfc_5545_that_open_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("board.ics");
    let out = trygg()
        .args(["invite", "--title", "Board, Q3", "--start", "2026-05-04T10:00[Europe/Oslo]", "--duration", "1h30m"])
        .args(["--attendee", "a@example.com", "b@example.com", "--organizer", "host@example.com"])
        .args(["--server", "meet.example.org", "--web-link", "--tel", "+4721000000,,424242#", "--json", "-o"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let v = json(&out);
    assert_eq!((v["start"].as_str(), v["end"].as_str()), (Some("2026-05-04T08:00:00Z"), Some("2026-05-04T09:30:00Z")));
    let ics = std::fs::read_to_string(&file).unwrap();
    assert!(ics.contains("METHOD:REQUEST\r\n") && ics.contains("DTSTART:20260504T080000Z\r\n"), "{ics}");
    assert!(ics.contains("SUMMARY:Board\\, Q3\r\n"), "{ics}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600, "it holds the secret");
    }
    let o = json(&trygg().args(["open", "--json", "--dry-run", file.to_str().unwrap()]).output().unwrap());
    assert_eq!(o["action"]["type"], "join_trygg");
    assert_eq!(o["candidates"][0]["url"], v["link"]);
    assert_eq!(o["candidates"][0]["dial_in"][0]["pin"], "424242");
    // A second run does not overwrite without --force.
    let again = trygg()
        .args(["invite", "--title", "x", "--start", "2026-05-04T08:00Z", "--attendee", "a@example.com", "--json", "-o"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1));
    assert_eq!(json(&again)["code"], "links.io");
}

#[test]
fn personal_invites_are_one_file_each_and_private_agendas_stay_sealed() {
    let dir = tempfile::tempdir().unwrap();
    // Personal invitations are signed with the device key in the OS keychain.
    let keychain = private_keychain::PrivateKeychain::start();
    let out = trygg()
        .envs(keychain.env())
        .args(["invite", "--title", "Project Fjord", "--agenda", "Price and timeline", "--start", "2026-05-04T08:00Z"])
        .args([
            "--attendee",
            "a@example.com",
            "--attendee",
            "b@example.com",
            "--personal",
            "--private-agenda",
            "--json",
            "-o",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let v = json(&out);
    let files = v["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    let mut links = Vec::new();
    for f in files {
        let ics = std::fs::read_to_string(f["path"].as_str().unwrap()).unwrap();
        let unfolded = ics.replace("\r\n ", "");
        let me = f["attendee"].as_str().unwrap();
        let other = if me == "a@example.com" { "b@example.com" } else { "a@example.com" };
        assert!(unfolded.contains(&format!("mailto:{me}")) && !unfolded.contains(other), "only its own attendee");
        assert!(!unfolded.contains("Fjord") && !unfolded.contains("Price"), "sealed: {unfolded}");
        assert!(unfolded.contains("SUMMARY:Trygg meeting") && unfolded.contains("X-TRYGG-AGENDA:"));
        let link = f["link"].as_str().unwrap();
        assert!(unfolded.contains(link), "its own personal link");
        let o = json(&trygg().args(["open", "--json", "--dry-run", f["path"].as_str().unwrap()]).output().unwrap());
        assert_eq!(o["action"]["personal"], true);
        assert_eq!(o["events"][0]["private_agenda"], true);
        links.push(link.to_owned());
    }
    assert_ne!(links[0], links[1]);
    assert_eq!(links[0].split('.').next(), links[1].split('.').next(), "same meeting, different invitations");
    for (f, link) in files.iter().zip(&links) {
        let inv = trygg::links::JoinLink::parse(link).unwrap().invitation().cloned().expect("a personal invitation");
        assert_eq!(inv.invitee(), f["attendee"].as_str().unwrap(), "bound to its attendee");
        assert_eq!(inv.id().to_text(), f["invitation"].as_str().unwrap(), "the id the host's list names");
    }
    let list = trygg().envs(keychain.env()).args(["invitations", "list", "--json"]).output().unwrap();
    assert_eq!(json(&list)["invitations"].as_array().map(Vec::len), Some(2), "both are in the host's list");
}

#[test]
fn bad_invite_settings_are_refused_with_a_code() {
    for (args, code) in [
        (&["--start", "tomorrow"][..], "links.invalid_invite"),
        (&["--start", "2026-05-04T10:00"], "links.invalid_invite"),
        (&["--start", "2026-05-04T08:00Z", "--duration", "0m"], "links.invalid_invite"),
        (&["--start", "2026-05-04T08:00Z", "--link", "https://example.com/"], "links.invalid_link"),
        (&["--start", "2026-05-04T08:00Z", "--tel", "call me"], "links.invalid_tel_uri"),
    ] {
        let out = trygg()
            .args(["invite", "--title", "t", "--attendee", "a@example.com", "--json", "-o", "/nonexistent/x.ics"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(json(&out)["code"], code, "{args:?}");
    }
    let out = trygg().args(["invite", "--title", "t", "--start", "2026-05-04T08:00Z"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "--attendee is required");
}

#[test]
fn bench_links_reports_the_budget() {
    let out = trygg().args(["bench", "links", "--runs", "2", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v = json(&out);
    assert_eq!(v["events"], 1000);
    assert!(v["ics_bytes"].as_u64().unwrap() >= 1_000_000);
    assert_eq!(v["parse_and_extract_ms"]["count"], 2);
    assert!(v["parse_and_extract_ms"]["p50"].as_f64().unwrap() > 0.0);
    assert_eq!(v["budget_ms"], 50.0);
}

/// Opening a Trygg link joins the meeting: the plan comes first, then the meeting's own lines.
#[test]
fn opening_a_trygg_link_knocks_and_joins() {
    use common::process::{Proc, small};
    let host_opts = small("Host");
    let mut host_args = vec!["host", "--listen", "127.0.0.1:0", "--auto-admit", "--seconds", "30"];
    host_args.extend(host_opts.iter().map(String::as_str));
    let mut host = Proc::start("host", &host_args);
    let link = host.wait(10.0, "link", |v| v["type"] == "link")["link"].as_str().unwrap().to_owned();

    let guest_opts = small("Guest");
    let mut open_args = vec!["open", "--json", &link, "--", "--seconds", "30"];
    open_args.extend(guest_opts.iter().map(String::as_str).filter(|a| *a != "--json"));
    let mut guest = Proc::start("open", &open_args);
    let plan = guest.wait(10.0, "the plan", |v| v.get("action").is_some());
    assert_eq!(plan["action"]["type"], "join_trygg", "{plan}");
    assert!(plan["outcome"].as_str().unwrap().starts_with("joining the meeting on 127.0.0.1:"), "{plan}");
    guest.wait(15.0, "admission", |v| v["type"] == "admitted");
    guest.wait(15.0, "the host's picture", |v| v["type"] == "first_remote_video");
    host.wait(15.0, "the guest's knock", |v| v["type"] == "knock_received" && v["name"] == "Guest");
}

#[test]
fn bad_join_options_after_a_trygg_link_are_refused_before_anything_happens() {
    let link = "trygg://127.0.0.1:9/gz5hhaujvgmmg5t2xkwzgxxgpu?insecure=1#g3pXjRtIG9BoZ0UOFPwaknHF-lkrimF8sgbEspO9BQ8";
    let out = trygg().args(["open", "--json", link, "--", "--width", "0"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let v = json(&out);
    assert_eq!(v["code"], "usage", "{v}");
    assert!(v["message"].as_str().unwrap().contains("--width"), "{v}");
}
