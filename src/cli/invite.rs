//! `trygg invite`: an RFC 5545 invite for a Trygg meeting, shared or one per attendee.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use data_encoding::BASE32_NOPAD;
use jiff::{SignedDuration, Timestamp};
use trygg::e2ee::identity::DeviceIdentity;
use trygg::links::invite_out::{self, Meeting};
use trygg::links::{Invitation, InvitationId, JoinLink, LinkError, LinkForm, LinkSecret, SipUri, TelUri};
use trygg::meeting::invitations::InvitationRecord;

/// Options of `trygg invite`. The output holds the meeting's secret link: send it only to the
/// people invited.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Title of the meeting.
    #[arg(long)]
    title: String,
    /// Start, ISO 8601 with an offset or a zone: 2026-05-04T10:00+02:00, 2026-05-04T08:00Z or
    /// 2026-05-04T10:00[Europe/Oslo].
    #[arg(long)]
    start: String,
    /// Duration: 30m, 1h, 1h30m, 90 (minutes) or ISO 8601 (PT1H30M).
    #[arg(long, default_value = "1h")]
    duration: String,
    /// Attendees' e-mail addresses (repeat the option or list several).
    #[arg(long = "attendee", required = true, num_args = 1.., value_name = "EMAIL")]
    attendees: Vec<String>,
    /// The organiser's e-mail address.
    #[arg(long, value_name = "EMAIL")]
    organizer: Option<String>,
    /// The agenda (free text).
    #[arg(long, default_value = "")]
    agenda: String,
    /// Where to write: a file (default trygg-invite.ics), or with --personal a directory
    /// (default: the current one).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
    /// Replace files that exist.
    #[arg(long)]
    force: bool,
    /// An existing Trygg link to invite to. Without it, a new meeting is made.
    #[arg(long, value_name = "LINK")]
    link: Option<String>,
    /// The server of a new meeting.
    #[arg(long, default_value = "localhost:7443", value_name = "HOST[:PORT]")]
    server: String,
    /// Give a new meeting an https://HOST/j/… link (clickable in every mail program; needs the
    /// server's join page) instead of trygg://.
    #[arg(long)]
    web_link: bool,
    /// A SIP address that reaches the meeting, for video systems.
    #[arg(long, value_name = "URI")]
    sip: Option<String>,
    /// A phone number that reaches the meeting (tel:+4722…,,PIN# or +4722…).
    #[arg(long, value_name = "NUMBER")]
    tel: Option<String>,
    /// One invite per attendee, each with a link bound to that attendee and signed by this
    /// device's key (from the OS keychain), so the lobby shows whom a knock was invited as and
    /// one invitation can be revoked (`trygg invitations revoke`). Host the meeting from this
    /// device. One file per attendee: a single shared file would hand everyone the others'
    /// invitations.
    #[arg(long)]
    personal: bool,
    /// With --personal, the list the invitations are added to [default: invitations.json in
    /// Trygg's settings folder].
    #[arg(long, value_name = "FILE", requires = "personal")]
    invitations: Option<PathBuf>,
    /// Keep the title and agenda out of the invite's clear text: it says "Trygg meeting" and
    /// carries them sealed for Trygg to show after admission.
    #[arg(long)]
    private_agenda: bool,
    /// Print one JSON document instead of text.
    #[arg(long)]
    json: bool,
}

fn random<const N: usize>() -> anyhow::Result<[u8; N]> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| anyhow::anyhow!("the OS random source failed: {e}"))?;
    Ok(b)
}

fn parse_start(s: &str) -> anyhow::Result<Timestamp> {
    if let Ok(t) = s.parse::<Timestamp>() {
        return Ok(t);
    }
    if let Ok(z) = s.parse::<jiff::ZonedDateTime>() {
        return Ok(z.timestamp());
    }
    Err(LinkError::InvalidInvite {
        why: format!(
            "--start \"{s}\": give a date and time with an offset or a zone, e.g. 2026-05-04T10:00+02:00, \
             2026-05-04T08:00Z or 2026-05-04T10:00[Europe/Oslo]"
        ),
    }
    .into())
}

fn parse_duration(s: &str) -> anyhow::Result<SignedDuration> {
    let t = s.trim().to_ascii_lowercase();
    let secs = if t.starts_with('p') {
        trygg::links::ics_time::parse_duration(&t.to_ascii_uppercase())
    } else if let Ok(m) = t.parse::<i64>() {
        m.checked_mul(60)
    } else {
        let mut total = 0i64;
        let mut rest = t.as_str();
        let mut ok = !rest.is_empty();
        while !rest.is_empty() && ok {
            let n = rest.bytes().take_while(u8::is_ascii_digit).count();
            let unit_len = rest[n..].bytes().take_while(u8::is_ascii_alphabetic).count();
            let value = rest[..n].parse::<i64>().ok();
            let unit = match &rest[n..n + unit_len] {
                "h" | "hr" | "hour" | "hours" => Some(3600),
                "m" | "min" | "mins" | "minute" | "minutes" => Some(60),
                _ => None,
            };
            match (value, unit) {
                (Some(v), Some(u)) => total = total.saturating_add(v.saturating_mul(u)),
                _ => ok = false,
            }
            rest = rest[n + unit_len..].trim_start();
        }
        ok.then_some(total)
    };
    match secs {
        Some(s) if (60..=31 * 86_400).contains(&s) => Ok(SignedDuration::from_secs(s)),
        _ => Err(LinkError::InvalidInvite {
            why: format!("--duration \"{s}\": use 30m, 1h, 1h30m, 90 or PT1H30M (1 minute to 31 days)"),
        }
        .into()),
    }
}

fn meeting_link(args: &Args) -> anyhow::Result<JoinLink> {
    if let Some(l) = &args.link {
        return Ok(JoinLink::parse(l)?.without_invitation());
    }
    let form = if args.web_link { LinkForm::Https } else { LinkForm::Trygg };
    Ok(JoinLink::new(form, &args.server, None, LinkSecret::from_random(random()?))?)
}

/// Writes a file only the user can read (it holds the meeting's secret), refusing to replace one
/// unless asked.
fn write_private(path: &Path, text: &str, force: bool) -> anyhow::Result<()> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true);
    if force {
        o.create(true).truncate(true)
    } else {
        o.create_new(true)
    };
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    let mut f = o.open(path).with_context(|| {
        if path.exists() && !force {
            format!("{} exists; use --force to replace it", path.display())
        } else {
            format!("cannot write {}", path.display())
        }
    })?;
    f.write_all(text.as_bytes()).with_context(|| format!("writing {}", path.display()))
}

fn file_name_for(attendee: &str) -> String {
    let safe: String =
        attendee.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '_' }).collect();
    format!("trygg-invite-{safe}.ics")
}

fn build(args: &Args) -> anyhow::Result<serde_json::Value> {
    let start = parse_start(&args.start)?;
    let end = start.checked_add(parse_duration(&args.duration)?).context("--duration goes past the year 9999")?;
    let link = meeting_link(args)?;
    let with_scheme = |s: &str, scheme: &str| {
        if s.get(..scheme.len()).is_some_and(|p| p.eq_ignore_ascii_case(scheme)) {
            s.to_owned()
        } else {
            format!("{scheme}{s}")
        }
    };
    let sip = args
        .sip
        .as_deref()
        .map(|s| {
            if s.to_ascii_lowercase().starts_with("sips:") {
                SipUri::parse(s)
            } else {
                SipUri::parse(&with_scheme(s, "sip:"))
            }
        })
        .transpose()?;
    let tel = args.tel.as_deref().map(|t| TelUri::parse(&with_scheme(t, "tel:"))).transpose()?;
    let uid = format!("{}@trygg", BASE32_NOPAD.encode(&random::<15>()?).to_ascii_lowercase());
    let meeting = Meeting {
        uid: &uid,
        stamp: Timestamp::now(),
        start,
        end,
        title: &args.title,
        agenda: &args.agenda,
        organizer: args.organizer.as_deref(),
        attendees: &args.attendees,
        sip: sip.as_ref(),
        tel: tel.as_ref(),
        private_agenda_nonce: if args.private_agenda { Some(random()?) } else { None },
    };
    let mut files = Vec::new();
    if args.personal {
        let dir = args.output.clone().unwrap_or_else(|| PathBuf::from("."));
        if !dir.is_dir() {
            return Err(LinkError::InvalidInvite {
                why: format!("{}: with --personal, -o names a directory (one file per attendee)", dir.display()),
            }
            .into());
        }
        let list_path = match &args.invitations {
            Some(p) => p.clone(),
            None => trygg::meeting::invitations::default_path()
                .context("no home folder for the list of invitations; pass --invitations FILE")?,
        };
        // Read first: a list that cannot be read is said before anything is written.
        trygg::meeting::invitations::read(&list_path)?;
        let identity = trygg::secrets::keychain::OsKeychain::open()
            .map_err(trygg::e2ee::E2eeError::from)
            .and_then(|k| DeviceIdentity::load_or_create(&k, &mut rand_core_06::OsRng))?
            .0;
        let secret = link.secret().clone();
        let invites = invite_out::write_personal(&meeting, &link, |attendee| {
            let failed = |e: anyhow::Error| LinkError::InvalidInvite { why: e.to_string() };
            let id = InvitationId(random().map_err(failed)?);
            let holder_seed = zeroize::Zeroizing::new(random::<32>().map_err(failed)?);
            Invitation::issue(secret.expose_bytes(), attendee, id, *identity.public_key(), *holder_seed, |m| {
                identity.sign_statement(m).expect("an invitation's bytes begin with its trygg/ label")
            })
        })?;
        // Check every path first, so a refusal leaves no half-written set behind.
        for inv in &invites {
            let path = dir.join(file_name_for(&inv.attendee));
            if path.exists() && !args.force {
                anyhow::bail!(std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    format!("{} exists; use --force to replace it", path.display())
                ));
            }
        }
        let issued = Timestamp::now().round(jiff::Unit::Second).unwrap_or_else(|_| Timestamp::now()).to_string();
        let records = invites.iter().map(|inv| {
            let invitation = inv.link.invitation().expect("personal links carry an invitation");
            InvitationRecord {
                id: invitation.id().to_text(),
                invitee: invitation.invitee().to_owned(),
                room: link.room().as_str().to_owned(),
                issued: issued.clone(),
                revoked: None,
            }
        });
        // The list first: an invitation that reached someone must be in it, or it could not be
        // revoked (one listed whose file then failed is merely unused).
        trygg::meeting::invitations::update(&list_path, |l| l.add(records.collect::<Vec<_>>()))?;
        for inv in invites {
            let path = dir.join(file_name_for(&inv.attendee));
            write_private(&path, &inv.ics, args.force)?;
            let invitation = inv.link.invitation().expect("personal links carry an invitation");
            files.push(serde_json::json!({
                "attendee": inv.attendee,
                "path": path.display().to_string(),
                "link": inv.link.expose_url(),
                "invitation": invitation.id().to_text(),
            }));
        }
    } else {
        let path = args.output.clone().unwrap_or_else(|| PathBuf::from("trygg-invite.ics"));
        write_private(&path, &invite_out::write(&meeting, &link)?, args.force)?;
        files.push(serde_json::json!({"attendees": args.attendees, "path": path.display().to_string()}));
    }
    Ok(serde_json::json!({
        "link": link.expose_url(),
        "room": link.room(),
        "server": link.server_view(),
        "uid": uid,
        "start": start.to_string(),
        "end": end.to_string(),
        "personal": args.personal,
        "private_agenda": args.private_agenda,
        "files": files,
    }))
}

fn print(v: &serde_json::Value) {
    println!("meeting link: {}", v["link"].as_str().unwrap_or_default());
    println!(
        "  {} to {} UTC, room {}",
        v["start"].as_str().unwrap_or_default(),
        v["end"].as_str().unwrap_or_default(),
        v["room"].as_str().unwrap_or_default()
    );
    if v["private_agenda"].as_bool() == Some(true) {
        println!("  the title and agenda are sealed: the invite says \"Trygg meeting\"");
    }
    let files = v["files"].as_array().cloned().unwrap_or_default();
    if v["personal"].as_bool() == Some(true) {
        println!(
            "personal invitations, signed by this device (host the meeting from it; `trygg invitations` lists them):"
        );
        for f in &files {
            println!(
                "  {:<32} invitation {}  {}",
                f["attendee"].as_str().unwrap_or_default(),
                f["invitation"].as_str().unwrap_or_default(),
                f["path"].as_str().unwrap_or_default()
            );
            println!("      {}", f["link"].as_str().unwrap_or_default());
        }
    } else if let Some(f) = files.first() {
        println!("wrote {}", f["path"].as_str().unwrap_or_default());
    }
}

pub fn run(args: Args) -> ExitCode {
    match build(&args) {
        Ok(v) if args.json => {
            println!("{}", serde_json::to_string_pretty(&v).expect("JSON values serialize"));
            ExitCode::SUCCESS
        }
        Ok(v) => {
            print(&v);
            ExitCode::SUCCESS
        }
        Err(e) => {
            let code = match super::code_of(&e) {
                "error" if e.downcast_ref::<std::io::Error>().is_some() => "links.io",
                code => code,
            };
            super::fail(args.json, code, &e)
        }
    }
}
