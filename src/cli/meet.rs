//! `trygg host` and `trygg join`: headless meetings for tests, benchmarks and bots.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use trygg::media::audio_processing::AudioProcessingConfig;

use anyhow::Context;
use trygg::links::{JoinLink, LinkForm, LinkSecret};
use trygg::media::clock::SystemClock;
use trygg::media::h264::{ContentHint, H264Config};
use trygg::media::loopback::AUDIO_FRAME;
use trygg::media::opus::OpusConfig;
use trygg::media::sink::AudioSink;
use trygg::media::spec::{AudioSpec, VideoShape, VideoSpec};
use trygg::meeting::{Entry, Meeting, MeetingCommand, MeetingConfig, MeetingEvent, MeetingTarget};
use trygg::net::peer::{IceServer, PeerConfig};
use trygg::net::signal_server::{SignalServer, SignalServerConfig, Tls};
use trygg::net::tls::ServerIdentity;

/// Options both `host` and `join` take.
#[derive(Debug, clap::Args)]
pub struct MediaArgs {
    /// The name others see.
    #[arg(long, default_value = "Trygg")]
    name: String,
    /// Video to send: synthetic, camera, camera:ID, screen[:N], window[:ID], slide (a synthetic
    /// shared screen), file:PATH.y4m or none. Screens and windows are encoded as screen content.
    #[arg(long, default_value = "synthetic")]
    video: String,
    /// Share a screen or window once in the meeting, as its own track beside the camera:
    /// screen[:N], window[:ID] (see `trygg devices`), synthetic (a 1080p slide of small text with
    /// a moving marker) or synthetic:still.
    #[arg(long, value_name = "WHAT")]
    share: Option<String>,
    /// Audio to send: synthetic, mic, mic:ID, file:PATH.wav or none.
    #[arg(long, default_value = "synthetic")]
    audio: String,
    /// Play the others' mixed audio: default, a speaker id, or none.
    #[arg(long, default_value = "none")]
    speaker: String,
    /// Picture width.
    #[arg(long, default_value_t = 1280, value_parser = clap::value_parser!(u32).range(16..=3840))]
    width: u32,
    /// Picture height.
    #[arg(long, default_value_t = 720, value_parser = clap::value_parser!(u32).range(16..=2160))]
    height: u32,
    /// Frames per second.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=120))]
    fps: u32,
    /// H.264 bitrate in kbit/s.
    #[arg(long, default_value_t = 1500, value_parser = clap::value_parser!(u32).range(10..=50_000))]
    video_kbps: u32,
    /// Write what each participant sent to DIR/<member>.y4m and DIR/<member>.wav.
    #[arg(long)]
    record: Option<PathBuf>,
    /// Leave after this many seconds (default: until Ctrl-C).
    #[arg(long, value_parser = seconds)]
    seconds: Option<f64>,
    /// STUN or TURN server, e.g. turn:turn.example.org:3478?transport=udp (repeatable).
    #[arg(long = "ice")]
    ice: Vec<String>,
    /// TURN user name.
    #[arg(long, requires = "turn_secret")]
    turn_user: Option<String>,
    /// TURN password. Visible to every user of this machine in the process list: prefer
    /// --turn-password-file.
    #[arg(long, requires = "turn_user", group = "turn_secret")]
    turn_password: Option<String>,
    /// A file holding the TURN password (its first line), kept out of the process list.
    #[arg(long, requires = "turn_user", group = "turn_secret")]
    turn_password_file: Option<PathBuf>,
    /// Use only TURN relays for media.
    #[arg(long)]
    relay_only: bool,
    /// Send the microphone without echo cancellation (on by default: what the speaker plays is
    /// taken out of what the microphone hears).
    #[arg(long)]
    no_echo_cancellation: bool,
    /// Send the microphone without noise suppression (on by default).
    #[arg(long)]
    no_noise_suppression: bool,
    /// Send the microphone without automatic gain control (on by default).
    #[arg(long)]
    no_gain_control: bool,
    /// Local address for media (default: every interface).
    #[arg(long, default_value = "0.0.0.0")]
    bind: IpAddr,
    /// Where this device's identity key comes from: the OS keychain, or a one-off key made for
    /// this run only (bots and tests; other participants see a new key every time).
    #[arg(long, default_value = "keychain", value_parser = ["keychain", "ephemeral"])]
    identity: String,
    /// The list of participants this device verified [default: known-peers.json in Trygg's
    /// settings folder; with --identity ephemeral, a list kept in memory for this run only].
    #[arg(long, value_name = "FILE")]
    known_peers: Option<PathBuf>,
    /// The list of personal invitations this device made, read as host for the revoked ones
    /// [default: invitations.json in Trygg's settings folder; with --identity ephemeral, none].
    #[arg(long, value_name = "FILE")]
    invitations: Option<PathBuf>,
    /// Print one JSON object per line.
    #[arg(long)]
    json: bool,
}

/// Options of `trygg host`.
#[derive(Debug, clap::Args)]
pub struct HostArgs {
    /// A signalling server (HOST:PORT) to hold the meeting on. Without it, Trygg runs the server
    /// itself (see --listen).
    #[arg(long, conflicts_with = "link")]
    server: Option<String>,
    /// With --server on this machine (localhost, 127.0.0.1, ::1): plain WebSocket, no TLS.
    #[arg(long, requires = "server")]
    insecure: bool,
    /// Host the meeting of an existing link (from `trygg invite`) instead of a new one.
    #[arg(long)]
    link: Option<String>,
    /// Where the built-in server listens. On a loopback address the link is for this machine
    /// only (no TLS); on any other address the server makes its own certificate and the link
    /// pins it.
    #[arg(long, default_value = "0.0.0.0:7443")]
    listen: SocketAddr,
    /// The host name or address the link gives others for the built-in server (default: this
    /// machine's LAN address).
    #[arg(long)]
    advertise: Option<String>,
    /// Let everyone who knocks in at once.
    #[arg(long)]
    auto_admit: bool,
    /// Turn away every knock without a valid personal invitation (one `trygg invite --personal`
    /// made on this device, or a co-host's, and not revoked).
    #[arg(long)]
    invited_only: bool,
    #[command(flatten)]
    media: MediaArgs,
}

/// Options of `trygg join`.
#[derive(Debug, clap::Args)]
pub struct JoinArgs {
    /// The join link (trygg://… or https://…/j/…), or `-` to read it from standard input: a link
    /// on the command line is visible to every user of this machine in the process list.
    link: String,
    #[command(flatten)]
    media: MediaArgs,
}

fn seconds(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("\"{s}\" is not a number of seconds"))?;
    if !(0.1..=604_800.0).contains(&v) {
        return Err(format!("{v} s is out of range; use 0.1 to 604800"));
    }
    Ok(v)
}

fn random_secret() -> anyhow::Result<LinkSecret> {
    trygg::meeting::new_link_secret().map_err(|e| anyhow::anyhow!("the OS random source failed: {e}"))
}

fn speaker(name: &str) -> anyhow::Result<Option<Box<dyn AudioSink>>> {
    if name == "none" {
        return Ok(None);
    }
    #[cfg(feature = "audio-devices")]
    {
        let id = (name != "default").then_some(name);
        Ok(Some(Box::new(trygg::media::audio_device::Speaker::open(id).context("opening the speaker")?)))
    }
    #[cfg(not(feature = "audio-devices"))]
    anyhow::bail!("this build has no audio device support (feature \"audio-devices\")")
}

/// This device's identity: from the OS keychain (the default), or a new one for this run
/// (`--identity ephemeral`). The keychain is reached on a blocking thread, never on the
/// runtime's workers.
async fn identity(which: &str) -> anyhow::Result<trygg::e2ee::identity::DeviceIdentity> {
    use trygg::e2ee::{E2eeError, identity::DeviceIdentity};
    if which == "ephemeral" {
        return Ok(DeviceIdentity::generate(&mut rand_core_06::OsRng));
    }
    let load = |keychain: &trygg::secrets::keychain::OsKeychain| {
        DeviceIdentity::load_or_create(keychain, &mut rand_core_06::OsRng).map(|(id, _)| id)
    };
    Ok(trygg::secrets::keychain::OsKeychain::open_async::<_, E2eeError>(load).await?)
}

fn config(
    media: &MediaArgs,
    target: MeetingTarget,
    entry: Entry,
    auto_admit: bool,
    invitation: Option<String>,
    identity: trygg::e2ee::identity::DeviceIdentity,
) -> anyhow::Result<MeetingConfig> {
    let clock = SystemClock::shared();
    let shape = VideoShape { width: media.width, height: media.height, fps: media.fps };
    let spec = media.video.parse::<VideoSpec>()?;
    let content = if spec.is_screen() { ContentHint::Screen } else { ContentHint::Camera };
    let video = spec.open(shape, clock.clone()).context("opening the video source")?;
    let audio =
        media.audio.parse::<AudioSpec>()?.open(AUDIO_FRAME, clock.clone()).context("opening the audio source")?;
    let mut ice_servers = vec![];
    if !media.ice.is_empty() {
        ice_servers.push(IceServer {
            urls: media.ice.clone(),
            username: media.turn_user.clone().unwrap_or_default(),
            credential: turn_password(media)?,
        });
    }
    if let Some(dir) = &media.record {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    Ok(MeetingConfig {
        target,
        entry,
        name: media.name.clone(),
        identity,
        invitation,
        invitation_list: match (&media.invitations, media.identity.as_str()) {
            (Some(p), _) => Some(p.clone()),
            (None, "ephemeral") => None,
            (None, _) => trygg::meeting::invitations::default_path(),
        },
        invited_only: false,
        video,
        audio,
        h264: H264Config {
            bitrate_bps: media.video_kbps * 1000,
            fps: media.fps as f32,
            content,
            ..H264Config::default()
        },
        opus: OpusConfig::default(),
        peer: PeerConfig {
            ice_servers,
            relay_only: media.relay_only,
            bind: vec![SocketAddr::new(media.bind, 0).to_string()],
            ..PeerConfig::default()
        },
        auto_admit,
        speaker: speaker(&media.speaker)?,
        record: media.record.clone(),
        known_peers: match (&media.known_peers, media.identity.as_str()) {
            (Some(p), _) => Some(p.clone()),
            (None, "ephemeral") => None,
            (None, _) => Some(
                trygg::meeting::trust::default_path()
                    .context("no home folder for the list of verified participants; pass --known-peers FILE")?,
            ),
        },
        video_channels: false,
        audio_processing: AudioProcessingConfig {
            echo_cancellation: !media.no_echo_cancellation,
            noise_suppression: !media.no_noise_suppression,
            gain_control: !media.no_gain_control,
        },
        started_us: super::started_us(),
        clock,
    })
}

struct Printer {
    json: bool,
}

impl Printer {
    fn link(&self, link: &JoinLink) {
        if self.json {
            println!("{}", serde_json::json!({"type": "link", "link": link.expose_url()}));
        } else {
            println!("Meeting link (share it only with the people you invite):\n  {}", link.expose_url());
        }
    }

    fn event(&self, e: &MeetingEvent) {
        if let MeetingEvent::PeerIdentity { warning: Some(w), .. } = e {
            // Loud, whatever the output format: stderr is what a person watches.
            eprintln!("WARNING: {w}");
        }
        if self.json {
            // Every line says when it happened: ms since this process started.
            if let Ok(serde_json::Value::Object(mut v)) = serde_json::to_value(e) {
                let t = trygg::media::clock::wall_clock_us().saturating_sub(super::started_us()) / 1000;
                v.insert("t_ms".into(), t.into());
                println!("{}", serde_json::Value::Object(v));
            }
            return;
        }
        match e {
            MeetingEvent::Stats { peers, e2ee, share_out } => {
                println!(
                    "{}",
                    match e2ee.security_code.as_deref() {
                        Some(code) if e2ee.state == "end_to_end_encrypted" =>
                            format!("end-to-end encrypted, security code {code}"),
                        _ => "not end-to-end encrypted yet: waiting for the keys".into(),
                    }
                );
                for p in peers {
                    println!(
                        "  {} ({}): in {:.0} kbit/s, out {:.0} kbit/s{}, rtt {}, loss {:.1} %, {} frames{}",
                        p.name,
                        p.member,
                        p.bitrate_in_kbps,
                        p.bitrate_out_kbps,
                        p.link.estimate_kbps.map_or(String::new(), |e| format!(" (the link carries {e:.0})")),
                        p.link.rtt_ms.map_or("?".into(), |r| format!("{r:.0} ms")),
                        p.packet_loss_pct,
                        p.frames_decoded,
                        p.glass_to_glass_ms.map_or(String::new(), |g| format!(", glass-to-glass {g:.0} ms")),
                    );
                    if let Some(s) = &p.share {
                        println!(
                            "    their share: {}x{}, {:.0} fps, {:.0} kbit/s",
                            s.width, s.height, s.fps, s.bitrate_kbps
                        );
                    }
                }
                if let Some(s) = share_out {
                    println!("  our share: {}x{}, {:.0} fps, {:.0} kbit/s", s.width, s.height, s.fps, s.bitrate_kbps);
                }
            }
            other => println!("{}", serde_json::to_string(other).unwrap_or_default()),
        }
    }
}

/// Runs a meeting until it ends. A host's `link` is printed once the server has created the
/// room, so that nobody who is handed the link can knock before the meeting exists.
async fn run_meeting(
    config: MeetingConfig,
    printer: &Printer,
    seconds: Option<f64>,
    mut link: Option<&JoinLink>,
    mut share: Option<String>,
) -> ExitCode {
    let (meeting, mut events) = match Meeting::start(config) {
        Ok(m) => m,
        Err(e) => return super::fail(printer.json, e.code(), &e.into()),
    };
    let deadline = seconds.map(|s| tokio::time::Instant::now() + Duration::from_secs_f64(s));
    let mut leaving = false;
    let mut code = ExitCode::SUCCESS;
    loop {
        let wake = deadline.unwrap_or_else(|| tokio::time::Instant::now() + Duration::from_secs(86_400 * 365));
        tokio::select! {
            e = events.recv() => match e {
                Some(e) => {
                    if matches!(e, MeetingEvent::Created { .. })
                        && let Some(l) = link.take()
                    {
                        printer.link(l);
                    }
                    printer.event(&e);
                    if matches!(e, MeetingEvent::Joined { .. })
                        && let Some(what) = share.take()
                    {
                        meeting.command(MeetingCommand::StartShare(what));
                    }
                    match e {
                        MeetingEvent::Left | MeetingEvent::Ended | MeetingEvent::Removed | MeetingEvent::RemovedByServer => break,
                        MeetingEvent::Denied | MeetingEvent::NoSuchMeeting | MeetingEvent::RoomLocked => {
                            code = ExitCode::FAILURE;
                            break;
                        }
                        _ => {}
                    }
                }
                None => break,
            },
            _ = tokio::time::sleep_until(wake), if !leaving => {
                leaving = true;
                meeting.leave();
            }
            _ = tokio::signal::ctrl_c(), if !leaving => {
                leaving = true;
                meeting.leave();
            }
        }
    }
    code
}

/// The meeting's link, and the built-in server when Trygg runs one.
async fn meeting_link(args: &HostArgs) -> anyhow::Result<(JoinLink, Option<SignalServer>)> {
    if let Some(l) = &args.link {
        return Ok((JoinLink::parse(l)?, None));
    }
    if let Some(server) = &args.server {
        let link = JoinLink::new(LinkForm::Trygg, server, None, random_secret()?)?;
        return Ok((if args.insecure { link.insecure_loopback()? } else { link }, None));
    }
    // No server given: run one here.
    let ip = args.listen.ip();
    let advertise = match &args.advertise {
        Some(a) => a.clone(),
        None if ip.is_unspecified() => trygg::net::lan_address().to_string(),
        None => ip.to_string(),
    };
    let mut sc = SignalServerConfig::new(args.listen);
    let identity = if ip.is_loopback() { None } else { Some(ServerIdentity::self_signed(vec![advertise.clone()])?) };
    let pin = identity.as_ref().map(ServerIdentity::pin);
    sc.tls = identity.map(Tls::Identity);
    let server = SignalServer::start(sc).await?;
    let host = if advertise.contains(':') { format!("[{advertise}]") } else { advertise };
    let link = JoinLink::new(LinkForm::Trygg, &host, Some(server.local_addr.port()), random_secret()?)?;
    let link = match pin {
        Some(pin) => link.pinned(pin)?,
        None => link.insecure_loopback()?,
    };
    Ok((link, Some(server)))
}

/// Runs `f` on a new tokio runtime; a runtime that cannot start is an `io` error.
fn in_runtime(json: bool, f: impl std::future::Future<Output = ExitCode>) -> ExitCode {
    match tokio::runtime::Runtime::new() {
        Ok(r) => r.block_on(f),
        Err(e) => super::fail(json, "io", &e.into()),
    }
}

pub fn host(args: HostArgs) -> ExitCode {
    let json = args.media.json;
    in_runtime(json, async move {
        let printer = Printer { json };
        let (link, embedded) = match meeting_link(&args).await {
            Ok(l) => l,
            Err(e) => return super::fail(json, super::code_of(&e), &e),
        };
        let cfg = match (MeetingTarget::from_link(&link), identity(&args.media.identity).await) {
            (Ok(target), Ok(id)) => config(&args.media, target, Entry::Host, args.auto_admit, None, id)
                .map(|cfg| MeetingConfig { invited_only: args.invited_only, ..cfg }),
            (Err(e), _) => Err(e.into()),
            (_, Err(e)) => Err(e),
        };
        let code = match cfg {
            Ok(cfg) => run_meeting(cfg, &printer, args.media.seconds, Some(&link), args.media.share.clone()).await,
            Err(e) => super::fail(json, super::code_of(&e), &e),
        };
        if let Some(s) = embedded {
            s.shutdown().await;
        }
        code
    })
}

/// The TURN password: from its file (first line), or as given on the command line.
fn turn_password(media: &MediaArgs) -> anyhow::Result<String> {
    if let Some(path) = &media.turn_password_file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read the TURN password file {}: {e}", path.display()))?;
        return Ok(text.lines().next().unwrap_or_default().to_owned());
    }
    Ok(media.turn_password.clone().unwrap_or_default())
}

/// The link `join` was given: on the command line, or (`-`) the first line of standard input.
fn join_link_text(arg: &str) -> std::io::Result<String> {
    if arg != "-" {
        return Ok(arg.to_owned());
    }
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(line.trim().to_owned())
}

pub fn join(mut args: JoinArgs) -> ExitCode {
    let json = args.media.json;
    match join_link_text(&args.link) {
        Ok(text) => args.link = text,
        Err(e) => {
            return super::fail(json, "cli.stdin", &anyhow::anyhow!("cannot read the link from standard input: {e}"));
        }
    }
    // A TURN password file that cannot be read is said before anything else starts.
    if let Err(e) = turn_password(&args.media) {
        return super::fail(json, "cli.turn_password", &e);
    }
    in_runtime(json, async move {
        let printer = Printer { json };
        let cfg = async {
            let link = JoinLink::parse(&args.link)?;
            let target = MeetingTarget::from_link(&link)?;
            let invitation = link.invitation().map(|t| t.encode());
            config(&args.media, target, Entry::Join, false, invitation, identity(&args.media.identity).await?)
        }
        .await;
        match cfg {
            Ok(cfg) => run_meeting(cfg, &printer, args.media.seconds, None, args.media.share.clone()).await,
            Err(e) => super::fail(json, super::code_of(&e), &e),
        }
    })
}
