//! Every invite in tests/data/invites, read as `trygg open` reads it: the preferred meeting, the
//! kinds found, dial-ins, gateways, warnings, and for the hostile ones the refusal.

use std::path::PathBuf;
use std::time::Instant;

use jiff::Timestamp;
use trygg::links::{Candidate, Extraction, Input, Kind, Warning, extract};

fn corpus(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/invites").join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn read(name: &str, now: Option<&str>) -> Extraction {
    let bytes = corpus(name);
    let now = now.map(|n| n.parse::<Timestamp>().unwrap());
    let input =
        if name.ends_with(".ics") { Input::Ics(&bytes) } else { Input::Text(std::str::from_utf8(&bytes).unwrap()) };
    extract(input, now).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// What one file must give.
#[derive(Default)]
struct Expect {
    file: &'static str,
    now: Option<&'static str>,
    /// Kinds of all candidates, best first.
    kinds: &'static [Kind],
    /// The preferred candidate's URL starts with this (None: nothing is preferred).
    preferred_url: Option<&'static str>,
    host: &'static str,
    meeting_id: Option<&'static str>,
    /// (number, PIN) of the preferred candidate's dial-ins, in order.
    dial_in: &'static [(&'static str, Option<&'static str>)],
    sip_gateway: Option<&'static str>,
    video_conference_id: Option<&'static str>,
    /// Warning types that must appear, on the input or on a candidate.
    warnings: &'static [&'static str],
    /// The error code when nothing can be acted on.
    error: Option<&'static str>,
    /// Start of the first event, UTC.
    first_start: Option<&'static str>,
    /// Source of the preferred candidate.
    source: Option<&'static str>,
}

fn all_warnings(x: &Extraction) -> Vec<&'static str> {
    x.warnings.iter().chain(x.candidates.iter().flat_map(|c| c.warnings.iter())).map(Warning::code).collect()
}

fn check(e: &Expect) {
    let t = Instant::now();
    let x = read(e.file, e.now);
    let took = t.elapsed();
    let name = e.file;
    let kinds: Vec<Kind> = x.candidates.iter().map(|c| c.kind).collect();
    assert_eq!(kinds, e.kinds, "{name}: kinds");
    let preferred: Option<&Candidate> = x.preferred.map(|i| &x.candidates[i]);
    match (preferred, e.preferred_url) {
        (None, None) => {}
        (Some(p), Some(url)) => {
            assert!(p.url.starts_with(url), "{name}: preferred {} does not start with {url}", p.url);
            assert_eq!(p.host, e.host, "{name}: host");
            assert_eq!(p.meeting_id.as_deref(), e.meeting_id, "{name}: meeting id");
            let dial: Vec<(&str, Option<&str>)> =
                p.dial_in.iter().map(|d| (d.number.as_str(), d.pin.as_deref())).collect();
            assert_eq!(dial, e.dial_in, "{name}: dial-ins");
            for d in &p.dial_in {
                if let Some(pin) = &d.pin {
                    assert!(d.dtmf.as_deref().is_some_and(|t| t.contains(pin.as_str())), "{name}: {d:?}");
                }
            }
            assert_eq!(p.sip_gateway.as_deref(), e.sip_gateway, "{name}: SIP gateway");
            assert_eq!(p.video_conference_id.as_deref(), e.video_conference_id, "{name}: VTC id");
            assert!(p.is_safe(), "{name}: the preferred candidate is safe");
            if let Some(s) = e.source {
                assert_eq!(p.source.name(), s, "{name}: source");
            }
        }
        (p, want) => panic!("{name}: preferred {:?}, expected {want:?}", p.map(|p| &p.url)),
    }
    let warnings = all_warnings(&x);
    for w in e.warnings {
        assert!(warnings.contains(w), "{name}: missing warning {w} in {warnings:?}");
    }
    assert_eq!(x.no_action_error().map(|e| e.code()), e.error, "{name}: error");
    if let Some(start) = e.first_start {
        assert_eq!(x.events[0].start.as_deref(), Some(start), "{name}: first start");
    }
    // No unsafe candidate is ever preferred, and every candidate shows its real host.
    for c in &x.candidates {
        assert!(!c.host.is_empty(), "{name}: {c:?}");
        assert!(!c.url.starts_with("javascript") && !c.url.starts_with("data:"), "{name}: {}", c.url);
    }
    assert!(took.as_millis() < 2000, "{name} took {took:?}");
}

const TEAMS_URL: &str = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_NjQ4ZDM1YzYtZTU2Ni00YjE3LWE5ZjYtOGJiMmFhMDIyN2Nj%40thread.v2/0";
const TEAMS_ID: &str = "19:meeting_NjQ4ZDM1YzYtZTU2Ni00YjE3LWE5ZjYtOGJiMmFhMDIyN2Nj@thread.v2";
const TEAMS_DIAL: &[(&str, Option<&str>)] = &[("+4721401234", Some("123456789")), ("+13235550166", Some("123456789"))];
const ZOOM_DIAL: &[(&str, Option<&str>)] = &[
    ("+13052241968", Some("85298765432")),
    ("+13092053325", Some("85298765432")),
    ("+13126266799", Some("85298765432")),
    ("+4723960588", Some("85298765432")),
];

#[test]
fn outlook_and_teams_invites() {
    check(&Expect {
        file: "outlook_teams.ics",
        kinds: &[Kind::Teams],
        preferred_url: Some(TEAMS_URL),
        host: "teams.microsoft.com",
        meeting_id: Some(TEAMS_ID),
        dial_in: TEAMS_DIAL,
        sip_gateway: Some("contoso@m.webex.com"),
        video_conference_id: Some("1122334455"),
        source: Some("X-MICROSOFT-SKYPETEAMSMEETINGURL"),
        first_start: Some("2026-05-04T08:00:00Z"),
        ..Expect::default()
    });
    check(&Expect {
        file: "outlook_safelinks_forwarded.ics",
        kinds: &[Kind::Teams],
        preferred_url: Some(TEAMS_URL),
        host: "teams.microsoft.com",
        meeting_id: Some(TEAMS_ID),
        dial_in: TEAMS_DIAL,
        sip_gateway: Some("contoso@m.webex.com"),
        video_conference_id: Some("1122334455"),
        warnings: &["unwrapped"],
        source: Some("DESCRIPTION"),
        ..Expect::default()
    });
    check(&Expect {
        file: "teams_meet_short_link.ics",
        kinds: &[Kind::Teams],
        preferred_url: Some("https://teams.microsoft.com/meet/2345678901234?p=AbCdEfGh123456"),
        host: "teams.microsoft.com",
        meeting_id: Some("2345678901234"),
        dial_in: &[("+12065550100", Some("987654321"))],
        first_start: Some("2026-05-07T13:00:00Z"),
        ..Expect::default()
    });
    check(&Expect {
        file: "outlook_skype_for_business.ics",
        kinds: &[Kind::Sip],
        preferred_url: Some("sip:kari.nordmann@contoso.com;gruu;opaque=app:conf:focus:id:ABCD1234"),
        host: "contoso.com",
        dial_in: &[("+4721001234", Some("87654321"))],
        source: Some("X-MICROSOFT-ONLINEMEETINGCONFLINK"),
        first_start: Some("2026-05-19T12:00:00Z"),
        ..Expect::default()
    });
    check(&Expect {
        file: "email_teams_forwarded_safelinks.txt",
        kinds: &[Kind::Teams],
        preferred_url: Some(TEAMS_URL),
        host: "teams.microsoft.com",
        meeting_id: Some(TEAMS_ID),
        dial_in: TEAMS_DIAL,
        sip_gateway: Some("contoso@m.webex.com"),
        video_conference_id: Some("1122334455"),
        warnings: &["unwrapped"],
        ..Expect::default()
    });
}

#[test]
fn google_zoom_webex_jitsi_whereby_and_pexip_invites() {
    check(&Expect {
        file: "google_meet.ics",
        kinds: &[Kind::Meet],
        preferred_url: Some("https://meet.google.com/abc-defg-hij"),
        host: "meet.google.com",
        meeting_id: Some("abc-defg-hij"),
        dial_in: &[("+14841234567", Some("123456789"))],
        source: Some("X-GOOGLE-CONFERENCE"),
        first_start: Some("2026-05-05T13:00:00Z"),
        ..Expect::default()
    });
    check(&Expect {
        file: "google_meet_html.ics",
        kinds: &[Kind::Meet],
        preferred_url: Some("https://meet.google.com/xyz-abcd-efg"),
        host: "meet.google.com",
        meeting_id: Some("xyz-abcd-efg"),
        dial_in: &[("+4721931234", Some("987654321"))],
        first_start: Some("2026-05-12T12:00:00Z"),
        ..Expect::default()
    });
    check(&Expect {
        file: "zoom.ics",
        kinds: &[Kind::Zoom],
        preferred_url: Some("https://us02web.zoom.us/j/85298765432?pwd="),
        host: "us02web.zoom.us",
        meeting_id: Some("85298765432"),
        dial_in: ZOOM_DIAL,
        sip_gateway: Some("85298765432@zoomcrc.com"),
        source: Some("LOCATION"),
        first_start: Some("2026-05-06T13:00:00Z"),
        ..Expect::default()
    });
    check(&Expect {
        file: "email_zoom_pasted.txt",
        kinds: &[Kind::Zoom],
        preferred_url: Some("https://us02web.zoom.us/j/85298765432?pwd="),
        host: "us02web.zoom.us",
        meeting_id: Some("85298765432"),
        dial_in: ZOOM_DIAL,
        sip_gateway: Some("85298765432@zoomcrc.com"),
        ..Expect::default()
    });
    check(&Expect {
        file: "webex.ics",
        kinds: &[Kind::Webex, Kind::Webex],
        preferred_url: Some("https://acme.webex.com/acme/j.php?MTID=m1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d"),
        host: "acme.webex.com",
        meeting_id: Some("m1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d"),
        dial_in: &[("+14156550001", Some("25712345678")), ("+4721034567", Some("25712345678"))],
        sip_gateway: Some("25712345678@acme.webex.com"),
        source: Some("URL"),
        first_start: Some("2026-05-08T13:00:00Z"),
        ..Expect::default()
    });
    check(&Expect {
        file: "webex_personal_room.ics",
        kinds: &[Kind::Webex],
        preferred_url: Some("https://acme.webex.com/meet/ingrid.berg"),
        host: "acme.webex.com",
        meeting_id: Some("ingrid.berg"),
        dial_in: &[("+14156550001", Some("25901234567"))],
        sip_gateway: Some("ingrid.berg@acme.webex.com"),
        ..Expect::default()
    });
    check(&Expect {
        file: "jitsi_selfhosted_thunderbird.ics",
        kinds: &[Kind::Jitsi],
        preferred_url: Some("https://meet.example.org/SprintReview42"),
        host: "meet.example.org",
        meeting_id: Some("SprintReview42"),
        dial_in: &[("+4721501234", Some("4815162342"))],
        first_start: Some("2026-05-13T07:00:00Z"),
        ..Expect::default()
    });
    check(&Expect {
        file: "pexip.ics",
        kinds: &[Kind::Pexip],
        preferred_url: Some("https://vc.example.com/webapp/#/?conference=meet.kari@example.com"),
        host: "vc.example.com",
        meeting_id: Some("meet.kari@example.com"),
        dial_in: &[("+4721987654", Some("456789"))],
        sip_gateway: Some("meet.kari@example.com"),
        first_start: Some("2026-05-20T07:00:00Z"),
        ..Expect::default()
    });
    check(&Expect {
        file: "outlook_custom_timezone_whereby.ics",
        kinds: &[Kind::Whereby],
        preferred_url: Some("https://acme.whereby.com/design-crit"),
        host: "acme.whereby.com",
        meeting_id: Some("design-crit"),
        source: Some("URL"),
        // "Customized Time Zone" is only in the file's VTIMEZONE: 15:00 CEST is 13:00 UTC.
        first_start: Some("2026-05-21T13:00:00Z"),
        ..Expect::default()
    });
}

#[test]
fn several_events_are_chosen_by_time() {
    let two = |now, kinds: &'static [Kind], url| Expect {
        file: "jitsi_and_whereby_two_events.ics",
        now: Some(now),
        kinds,
        preferred_url: Some(url),
        host: if url.contains("jit.si") { "meet.jit.si" } else { "whereby.com" },
        meeting_id: Some(if url.contains("jit.si") { "TryggCommunityCall" } else { "trygg-community" }),
        ..Expect::default()
    };
    check(&two("2026-05-10T00:00:00Z", &[Kind::Jitsi, Kind::Whereby], "https://meet.jit.si/TryggCommunityCall"));
    check(&two("2026-05-14T08:10:00Z", &[Kind::Jitsi, Kind::Whereby], "https://meet.jit.si/TryggCommunityCall"));
    check(&two("2026-05-15T00:00:00Z", &[Kind::Whereby, Kind::Jitsi], "https://whereby.com/trygg-community"));

    // A weekly series in "Pacific Standard Time" (no VTIMEZONE), moved on the 12th and cancelled
    // on the 19th. 10:00 PDT is 17:00 UTC.
    let series = |now, url, id| Expect {
        file: "recurring_series_with_exceptions.ics",
        now: Some(now),
        kinds: &[Kind::Zoom, Kind::Zoom, Kind::Zoom],
        preferred_url: Some(url),
        host: "acme.zoom.us",
        meeting_id: Some(id),
        sip_gateway: Some(if id.ends_with('1') { "91234567801@zoomcrc.com" } else { "91234567802@zoomcrc.com" }),
        warnings: &["cancelled"],
        first_start: Some("2026-05-05T16:00:00Z"),
        ..Expect::default()
    };
    check(&series("2026-05-01T00:00:00Z", "https://acme.zoom.us/j/91234567801", "91234567801"));
    check(&series("2026-05-12T17:05:00Z", "https://acme.zoom.us/j/91234567802", "91234567802"));
    // After the cancelled occurrence the latest held one is the moved one.
    check(&series("2026-06-01T00:00:00Z", "https://acme.zoom.us/j/91234567802", "91234567802"));
}

#[test]
fn rfc_7986_and_trygg_conference_properties() {
    check(&Expect {
        file: "rfc7986_conference_examples.ics",
        kinds: &[Kind::Tel, Kind::Tel, Kind::Tel],
        preferred_url: Some("tel:+14125550123,,,654321"),
        host: "+14125550123",
        dial_in: &[("+14125550123", Some("654321"))],
        warnings: &["unsafe_scheme"],
        first_start: Some("2026-05-15T15:00:00Z"),
        ..Expect::default()
    });
    check(&Expect {
        file: "trygg_conference_with_fallbacks.ics",
        kinds: &[Kind::Trygg, Kind::Sip, Kind::Teams],
        preferred_url: Some("https://meet.example.org/j/a2eythjx352jbpanjywa7f7wb4#"),
        host: "meet.example.org",
        // A link from before room ids committed to the proof: it meets in its secret's room.
        meeting_id: Some("sbe44bjdpflyy4crvhdrn7k6ee"),
        dial_in: &[("+4721000000", Some("424242"))],
        source: Some("CONFERENCE"),
        first_start: Some("2026-05-18T11:00:00Z"),
        ..Expect::default()
    });
}

#[test]
fn hostile_invites_are_refused_with_reasons() {
    check(&Expect {
        file: "hostile_unsafe_schemes.ics",
        kinds: &[Kind::Zoom],
        warnings: &["unsafe_scheme"],
        error: Some("links.only_unsafe_links"),
        ..Expect::default()
    });
    let x = read("hostile_unsafe_schemes.ics", None);
    let schemes: Vec<&str> = x
        .warnings
        .iter()
        .filter_map(|w| match w {
            Warning::UnsafeScheme { scheme } => Some(scheme.as_str()),
            _ => None,
        })
        .collect();
    for s in ["javascript", "data", "vbscript", "file"] {
        assert!(schemes.contains(&s), "{s} in {schemes:?}");
    }
    assert_eq!(x.candidates[0].warnings, vec![Warning::UnsafeScheme { scheme: "http".into() }]);

    check(&Expect {
        file: "hostile_user_info_and_lookalikes.ics",
        warnings: &["user_info", "mixed_script_host", "lookalike_domain", "link_text_mismatch"],
        error: Some("links.no_meeting_found"),
        ..Expect::default()
    });
    let x = read("hostile_user_info_and_lookalikes.ics", None);
    let imitated: Vec<(&str, &str)> = x
        .warnings
        .iter()
        .filter_map(|w| match w {
            Warning::LookalikeDomain { host, looks_like } => Some((host.as_str(), looks_like.as_str())),
            _ => None,
        })
        .collect();
    for want in [
        ("zoom.us.example.com", "zoom.us"),
        ("zoorn.us", "zoom.us"),
        ("z00m.us", "zoom.us"),
        ("wedex.com", "webex.com"),
        ("meet.google.com.evil.example", "meet.google.com"),
    ] {
        assert!(imitated.contains(&want), "{want:?} in {imitated:?}");
    }
    // Hosts that mix scripts are only ever shown in punycode.
    assert!(imitated.iter().any(|(h, v)| h.starts_with("xn--") && *v == "teams.microsoft.com"), "{imitated:?}");
    assert!(x.warnings.contains(&Warning::UserInfo { host: "evil.example".into() }));

    check(&Expect {
        file: "hostile_shorteners.ics",
        warnings: &["shortener_or_redirect"],
        error: Some("links.no_meeting_found"),
        ..Expect::default()
    });
    check(&Expect {
        file: "hostile_tampered_trygg.ics",
        warnings: &["tampered_link", "link_without_secret", "invalid_trygg_link"],
        error: Some("links.no_meeting_found"),
        ..Expect::default()
    });
    check(&Expect {
        file: "hostile_broken_folding.ics",
        kinds: &[Kind::Meet],
        preferred_url: Some("https://meet.google.com/kmn-pqrs-tuv"),
        host: "meet.google.com",
        meeting_id: Some("kmn-pqrs-tuv"),
        dial_in: &[("+4721931234", Some("111222333"))],
        warnings: &["broken_folding"],
        first_start: Some("2026-05-06T10:00:00Z"),
        ..Expect::default()
    });
    check(&Expect { file: "email_no_meeting.txt", error: Some("links.no_meeting_found"), ..Expect::default() });
    let e = read("email_no_meeting.txt", None).no_action_error().unwrap().to_string();
    assert!(e.contains("2 web links (billing.example.com, example.com)") && e.contains("+4722334455"), "{e}");
}

#[test]
fn a_10_mb_line_is_read_in_one_pass_without_panic() {
    let mut ics = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:big@example.org\r\n");
    ics.push_str("DESCRIPTION:");
    ics.push_str(&"a".repeat(10 << 20));
    ics.push_str(&"+47 22 33 44 55 @x.com tel: sip:@ https:// ".repeat(100_000));
    ics.push_str("\r\nURL:https://example.com/");
    ics.push_str(&"b".repeat(10 << 20));
    ics.push_str("\r\nLOCATION:https://meet.jit.si/StillHere\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");
    let t = Instant::now();
    let x = extract(Input::Ics(ics.as_bytes()), None).unwrap();
    let took = t.elapsed();
    assert_eq!(x.candidates.len(), 1);
    assert_eq!(x.candidates[x.preferred.unwrap()].url, "https://meet.jit.si/StillHere");
    assert!(x.warnings.iter().any(|w| matches!(w, Warning::OverlongLink { .. })), "{:?}", x.warnings);
    // Free text of the same shape, including a 10 MB link.
    let text = format!("https://example.com/{} and {}", "c".repeat(10 << 20), "<a href=".repeat(500_000));
    let y = extract(Input::Text(&text), None).unwrap();
    assert!(y.warnings.iter().any(|w| matches!(w, Warning::OverlongLink { .. })), "{:?}", y.warnings);
    assert!(took.as_secs() < 10, "{took:?}");
}
