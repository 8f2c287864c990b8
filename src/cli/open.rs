//! `trygg open`: one link, an invite or an e-mail in; what was found and what Trygg does out.

use std::io::{IsTerminal, Read, Write};
use std::path::Path;
use std::process::ExitCode;

use trygg::links::extract::MAX_INPUT;
use trygg::links::{Action, Candidate, Input, Plan, Warning, plan};

/// Options of `trygg open`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A link (trygg://, https://, sip:, tel:, a Teams/Zoom/Webex/Meet/Jitsi/Whereby/Pexip link),
    /// an .ics invite, a text file (a pasted e-mail), or - to read standard input.
    target: String,
    /// Print one JSON document instead of text.
    #[arg(long)]
    json: bool,
    /// Only print what was found and what would be done.
    #[arg(long)]
    dry_run: bool,
    /// Options for joining a Trygg meeting, as `trygg join` takes them (after `--`), for
    /// example `-- --name Kari --video camera --audio mic`.
    #[arg(last = true)]
    join: Vec<String>,
}

/// `trygg join`'s options, parsed on their own for a Trygg link that `trygg open` found.
#[derive(Debug, clap::Parser)]
#[command(name = "trygg open … --")]
struct JoinCommand {
    #[command(flatten)]
    args: super::meet::JoinArgs,
}

/// The link to join when the plan is to join a Trygg meeting: the preferred candidate's.
fn trygg_link(p: &Plan) -> Option<&str> {
    if !matches!(p.action, Action::JoinTrygg { .. }) {
        return None;
    }
    p.preferred().map(|c| c.url.as_str())
}

fn looks_like_ics(bytes: &[u8]) -> bool {
    let s = String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]);
    let s = s.trim_start_matches('\u{feff}').trim_start();
    s.get(..15).is_some_and(|p| p.eq_ignore_ascii_case("BEGIN:VCALENDAR"))
}

fn read_limited(mut r: impl Read) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    r.by_ref().take(MAX_INPUT as u64 + 1).read_to_end(&mut buf)?;
    Ok(buf)
}

/// What the argument names, read: (bytes or the link itself, kind, display name).
enum Source {
    Bytes(Vec<u8>, String),
    Link(String),
}

fn read(target: &str) -> anyhow::Result<Source> {
    if target == "-" {
        return Ok(Source::Bytes(read_limited(std::io::stdin().lock())?, "standard input".into()));
    }
    let path = Path::new(target);
    if path.is_file() {
        let f = std::fs::File::open(path).map_err(|e| anyhow::anyhow!("{target}: {e}"))?;
        let bytes = read_limited(f).map_err(|e| anyhow::anyhow!("{target}: {e}"))?;
        return Ok(Source::Bytes(bytes, target.to_owned()));
    }
    let file_like = [".ics", ".ical", ".eml", ".txt", ".html"].iter().any(|e| target.to_ascii_lowercase().ends_with(e))
        || target.starts_with(['/', '.', '~']);
    if file_like && !target.contains("://") {
        anyhow::bail!("{target}: no such file");
    }
    Ok(Source::Link(target.to_owned()))
}

fn print_candidate(i: usize, c: &Candidate, preferred: bool) {
    let mark = if preferred { "→" } else { " " };
    let from = match c.event {
        Some(e) => format!("{} of event {}", c.source, e + 1),
        None => c.source.to_string(),
    };
    println!("{mark} {}. {:<15} {}   (from {from})", i + 1, c.kind.label(), c.host);
    println!("      {}", c.url);
    if let Some(o) = &c.original {
        println!("      written as {}", o.chars().take(120).collect::<String>());
    }
    if let Some(id) = &c.meeting_id {
        println!("      meeting id {id}");
    }
    if let Some(g) = &c.sip_gateway {
        let vtc = c.video_conference_id.as_ref().map(|v| format!(", video conference id {v}")).unwrap_or_default();
        println!("      room systems: sip:{g}{vtc}");
    }
    for d in &c.dial_in {
        let pin = d.pin.as_ref().map(|p| format!(" PIN {p}")).unwrap_or_default();
        let dtmf = d.dtmf.as_ref().map(|t| format!(" (one tap: {}{t})", d.number)).unwrap_or_default();
        let label = d.label.as_ref().map(|l| format!("  {l}")).unwrap_or_default();
        println!("      dial-in {}{pin}{dtmf}{label}", d.number);
    }
    for w in &c.warnings {
        println!("      {} {w}", if w.blocks() { "✗" } else { "·" });
    }
}

fn print(p: &Plan) {
    let events = if p.events.is_empty() { String::new() } else { format!(", {} event(s)", p.events.len()) };
    println!("trygg open: {} ({}{events})", p.input.name.as_deref().unwrap_or("link"), p.input.kind);
    for e in &p.events {
        let when = e.start.as_deref().unwrap_or("no start time");
        let flags = [(e.cancelled, " [cancelled]"), (e.private_agenda, " [private agenda]")];
        let flags: String = flags.iter().filter(|(on, _)| *on).map(|(_, s)| *s).collect();
        println!("  event: {} — {when}{flags}", e.summary.as_deref().unwrap_or("(no title)"));
    }
    match p.candidates.len() {
        0 => println!("no meeting link found"),
        n => println!("found {n} meeting link(s):"),
    }
    for (i, c) in p.candidates.iter().enumerate() {
        print_candidate(i, c, p.preferred == Some(i));
    }
    for w in &p.warnings {
        println!("{} {w}", if w.blocks() { "✗" } else { "·" });
    }
    println!("action: {}", p.action.sentence());
}

fn open_in_browser(url: &str) -> std::io::Result<std::process::ExitStatus> {
    let mut cmd = if cfg!(target_os = "macos") {
        std::process::Command::new("open")
    } else if cfg!(windows) {
        let mut c = std::process::Command::new("rundll32");
        c.arg("url.dll,FileProtocolHandler");
        c
    } else {
        std::process::Command::new("xdg-open")
    };
    cmd.arg(url).status()
}

/// Carries out the plan's action and says what happened. Joining a Trygg meeting lands with the
/// meetings work: then the `JoinTrygg` arm calls the join command with the preferred candidate's
/// link (one line).
pub(crate) fn act(p: &Plan, interactive: bool) -> String {
    match &p.action {
        Action::JoinTrygg { server, .. } => format!("joining the meeting on {}:{}", server.host, server.port),
        Action::DialSip { bridge_available: false, .. } | Action::DialPhone { bridge_available: false, .. } => {
            "not dialled: this build has no SIP bridge yet".to_owned()
        }
        Action::DialSip { .. } | Action::DialPhone { .. } => "not dialled: the SIP bridge is not wired yet".to_owned(),
        Action::OpenVendor { vendor, url, host, .. } => {
            // Defence in depth: the safety checks only let https through to this point.
            if !url.starts_with("https://") {
                return format!("not opened: {url} is not an https link");
            }
            if !interactive {
                return format!("not opened; to join, open it in {}'s app or your browser: {url}", vendor.label());
            }
            print!("Open the {} meeting at {host} in your browser? [y/N] ", vendor.label());
            let _ = std::io::stdout().flush();
            let mut answer = String::new();
            if std::io::stdin().read_line(&mut answer).is_err() || !answer.trim().eq_ignore_ascii_case("y") {
                return "not opened".to_owned();
            }
            match open_in_browser(url) {
                Ok(s) if s.success() => format!("opened {host} in the browser"),
                Ok(s) => format!("the browser opener failed ({s}); open it yourself: {url}"),
                Err(e) => format!("could not start the browser opener ({e}); open it yourself: {url}"),
            }
        }
        Action::None { reason, .. } => reason.clone(),
    }
}

pub fn run(args: Args) -> ExitCode {
    let source = match read(&args.target) {
        Ok(s) => s,
        Err(e) => return super::fail(args.json, "links.io", &e),
    };
    let now = jiff::Timestamp::now();
    let result = match &source {
        Source::Link(l) => plan(Input::Url(l), None, Some(now)),
        Source::Bytes(b, name) if looks_like_ics(b) => plan(Input::Ics(b), Some(name), Some(now)),
        Source::Bytes(b, name) => plan(Input::Text(&String::from_utf8_lossy(b)), Some(name), Some(now)),
    };
    let p = match result {
        Ok(p) => p,
        Err(e) => return super::fail(args.json, e.code(), &e.into()),
    };
    if let Some(e) = p.error() {
        if !args.json {
            print(&p);
        }
        let details = serde_json::to_value(&p).expect("plans serialize");
        return super::fail_with(args.json, e.code(), &e.into(), "plan", details);
    }
    let interactive = !args.json && !args.dry_run && std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    // Joining: the options after `--` are `trygg join`'s, checked before anything is printed.
    let join = match trygg_link(&p) {
        Some(link) if !args.dry_run => {
            let argv = ["trygg open … --", link].into_iter().map(str::to_owned);
            let json = args.json.then(|| "--json".to_owned());
            match <JoinCommand as clap::Parser>::try_parse_from(argv.chain(json).chain(args.join.iter().cloned())) {
                Ok(j) => Some(j.args),
                Err(e) => return super::fail(args.json, "usage", &anyhow::anyhow!("{e}")),
            }
        }
        _ => None,
    };
    if args.json {
        let outcome = if args.dry_run { "dry run: nothing done".to_owned() } else { act(&p, false) };
        let mut v = serde_json::to_value(&p).expect("plans serialize");
        v["dry_run"] = args.dry_run.into();
        v["outcome"] = outcome.into();
        // One line, so that a joined meeting's event lines can follow it.
        println!("{}", serde_json::to_string(&v).expect("JSON values serialize"));
        return join.map_or(ExitCode::SUCCESS, super::meet::join);
    }
    print(&p);
    if args.dry_run {
        println!("dry run: nothing done");
    } else {
        println!("{}", act(&p, interactive));
    }
    if p.warnings.iter().any(Warning::blocks) || p.candidates.iter().any(|c| !c.is_safe()) {
        eprintln!("note: some links were refused; see ✗ above");
    }
    join.map_or(ExitCode::SUCCESS, super::meet::join)
}
