//! `trygg bench network`: the table.

use std::process::ExitCode;

use trygg::bench::network::{Figures, NetworkBench, NetworkReport, Scenario};

/// The arguments of `trygg bench network`.
#[derive(Debug, clap::Args)]
pub struct NetworkArgs {
    /// Seconds each call is measured.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(6..=600))]
    seconds: u64,
    /// A scenario instead of the defaults (repeatable): RATE_KBIT[,loss=PCT][,outage=AT:SECS],
    /// RATE_KBIT 0 for an unlimited link.
    #[arg(long = "scenario", value_name = "SPEC", value_parser = Scenario::parse)]
    scenarios: Vec<Scenario>,
    /// Leave out the two Chromium peers.
    #[arg(long)]
    no_chromium: bool,
    /// Keep each call's events and logs in this folder.
    #[arg(long, value_name = "DIR")]
    keep: Option<std::path::PathBuf>,
    /// Print one JSON document instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run(args: NetworkArgs) -> ExitCode {
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => return super::fail(args.json, "io", &e.into()),
    };
    let interop = std::env::current_dir().ok().map(|d| d.join("tests/interop")).filter(|d| d.exists());
    let bench = NetworkBench {
        exe,
        seconds: args.seconds,
        scenarios: if args.scenarios.is_empty() { Scenario::defaults() } else { args.scenarios },
        interop_dir: if args.no_chromium { None } else { interop },
        keep: args.keep,
    };
    match trygg::bench::network::run(&bench) {
        Ok(r) if args.json => {
            println!("{}", serde_json::to_string_pretty(&r).expect("reports serialize"));
            ExitCode::SUCCESS
        }
        Ok(r) => {
            print(&r);
            ExitCode::SUCCESS
        }
        Err(e) => super::fail(args.json, "bench.network", &e.into()),
    }
}

fn opt(v: Option<f64>, unit: &str) -> String {
    v.map_or_else(|| "–".to_owned(), |v| format!("{v:.0}{unit}"))
}

fn cells(f: &Result<Figures, String>) -> String {
    match f {
        Ok(f) => format!(
            "{:>5.0} {:>5} {:>5} | {:>4.1} {:>4} | {:>5} | {:>5} {:>5}",
            f.sent_median_kbps,
            f.median_of_link.map_or_else(|| "–".into(), |x| format!("{x:.2}x")),
            f.max_of_link.map_or_else(|| "–".into(), |x| format!("{x:.2}x")),
            f.fps,
            f.median_height.map_or_else(|| "–".into(), |h| h.to_string()),
            f.concealed_pct.map_or_else(|| "–".into(), |c| format!("{c:.1}%")),
            opt(f.queue_delay_median_ms, ""),
            f.picture_after_outage_s.map_or_else(|| "–".into(), |s| format!("{s:.1}s")),
        ),
        Err(why) => why.clone(),
    }
}

fn print(r: &NetworkReport) {
    let m = &r.machine;
    println!("{} ({} CPUs), {}; trygg {}; {} s a call", m.cpu, m.cpus, m.os, m.trygg, r.seconds);
    if !m.release_build {
        println!("warning: a debug build; figures mean little");
    }
    println!(
        "sent: median kbit/s after the first 2 s, and the median and most of a second against the link;\n\
         fps: pictures decoded a second; px: median height; concealed: audio concealed;\n\
         queue: median of each second's queueing-delay p95 (ms); back: a picture after the link returned"
    );
    println!(
        "{:<32} {:<6} {:>5} {:>5} {:>5} | {:>4} {:>4} | {:>5} | {:>5} {:>5}",
        "link", "who", "sent", "med", "max", "fps", "px", "conc.", "queue", "back"
    );
    for s in &r.scenarios {
        println!("{:<32} {:<6} {}", s.scenario.name, "Trygg", cells(&s.trygg));
        let limited = match &s.chromium {
            Ok(Figures { limited_by: Some(why), .. }) if why != "none" => format!("  (picture held back by: {why})"),
            _ => String::new(),
        };
        println!("{:<32} {:<6} {}{limited}", "", "Chrome", cells(&s.chromium));
    }
    for s in &r.scenarios {
        if let Ok(f) = &s.trygg {
            let sent: Vec<String> = f.seconds.iter().map(|x| format!("{:.0}", x.sent_kbps)).collect();
            let fps: Vec<String> = f.seconds.iter().map(|x| x.decoded.to_string()).collect();
            println!("{}: Trygg sent {}", s.scenario.name, sent.join(" "));
            println!("{}: Trygg decoded {}", s.scenario.name, fps.join(" "));
        }
        if let Ok(f) = &s.chromium {
            let sent: Vec<String> = f.seconds.iter().map(|x| format!("{:.0}", x.sent_kbps)).collect();
            let fps: Vec<String> = f.seconds.iter().map(|x| x.decoded.to_string()).collect();
            println!("{}: Chromium sent {}", s.scenario.name, sent.join(" "));
            println!("{}: Chromium decoded {}", s.scenario.name, fps.join(" "));
        }
    }
}
